// The first rows of a CSV or XLSX file, read in the browser, so that the import
// wizard can show the columns with examples before the server has read the
// whole file. The server stays the one that reads a file for real
// (util/csv.c, util/xlsx.c); this reads the way it does: the encoding from a
// BOM, else UTF-8 if it decodes, else GB18030; the delimiter that is most
// frequent in the first line; the first row with something in it is the
// header; row numbers count records as the server's error report does.

export interface FileHead {
  format: 'csv' | 'xlsx';
  encoding?: string;
  delimiter?: string;
  /** The header row's cells, trimmed. */
  headers: string[];
  /** Up to `max` data rows with something in them, each with its row number in the file. */
  rows: { num: number; cells: string[] }[];
}

const HEAD_BYTES = 256 * 1024;

export async function readHead(file: Blob, max = 20): Promise<FileHead> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) return readXlsxHead(file, max);
  const bytes = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  return readCsvHead(bytes, max, file.size > HEAD_BYTES);
}

// ---- CSV ----

/** The encoding of the start of a file, as the server finds it. */
export function sniffEncoding(b: Uint8Array, cut: boolean): { encoding: string; skip: number } {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', skip: 3 };
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  // A sample cut in the middle of a character is still UTF-8.
  let end = b.length;
  if (cut) for (let k = 1; k <= 3 && end - k >= 0; k++) if ((b[end - k] & 0xc0) === 0xc0) { end -= k; break; } else if ((b[end - k] & 0x80) === 0) break;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, end));
    return { encoding: 'utf-8', skip: 0 };
  } catch {
    return { encoding: 'gb18030', skip: 0 };
  }
}

/** The most frequent of , ; and tab outside quotes in the first line (comma on a tie). */
export function sniffDelimiter(text: string): string {
  const n = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && c in n) n[c as keyof typeof n]++;
  }
  if (n['\t'] > n[','] && n['\t'] >= n[';']) return '\t';
  if (n[';'] > n[',']) return ';';
  return ',';
}

/** RFC 4180 records of text; blank lines are not records (as libcsv reads them). A
 *  record cut off at the end of a sample is left out when `cut`. */
export function parseCsv(text: string, delim: string, cut = false): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let any = false; // the record has begun
  const endRow = () => {
    if (any) out.push([...row, cell]);
    row = [];
    cell = '';
    any = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') cell += '"', i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') {
      quoted = any = true;
    } else if (c === delim) {
      row.push(cell);
      cell = '';
      any = true;
    } else if (c === '\n' || c === '\r') {
      endRow();
    } else {
      cell += c;
      any = true;
    }
  }
  if (!cut) endRow();
  return out;
}

export function readCsvHead(bytes: Uint8Array, max: number, cut = false): FileHead {
  const { encoding, skip } = sniffEncoding(bytes, cut);
  let text = new TextDecoder(encoding).decode(bytes.subarray(skip));
  if (cut) text = text.slice(0, text.lastIndexOf('\n') + 1); // whole lines only
  const delimiter = sniffDelimiter(text);
  return headOf(parseCsv(text, delimiter, cut).map((cells, i) => ({ num: i + 1, cells })), max, {
    format: 'csv',
    encoding,
    delimiter,
  });
}

function headOf(records: { num: number; cells: string[] }[], max: number, base: Omit<FileHead, 'headers' | 'rows'>): FileHead {
  const filled = (cells: string[]) => cells.some((c) => c.trim() !== '');
  const h = records.findIndex((r) => filled(r.cells));
  if (h < 0) return { ...base, headers: [], rows: [] };
  const headers = records[h].cells.map((c) => c.trim());
  const rows = records.slice(h + 1).filter((r) => filled(r.cells)).slice(0, max);
  return { ...base, headers, rows };
}

// ---- XLSX: a zip of XML parts ----

interface ZipEntry {
  method: number;
  size: number;
  offset: number;
}

async function zipEntries(file: Blob): Promise<Map<string, ZipEntry>> {
  // The end of central directory record is in the last 64 KiB + 22 bytes.
  const tailStart = Math.max(0, file.size - 65558);
  const tail = new DataView(await file.slice(tailStart).arrayBuffer());
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) if (tail.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new Error('not a zip file');
  const count = tail.getUint16(eocd + 10, true);
  const cdSize = tail.getUint32(eocd + 12, true);
  const cdOffset = tail.getUint32(eocd + 16, true);
  const cd = new DataView(await file.slice(cdOffset, cdOffset + cdSize).arrayBuffer());
  const names = new TextDecoder();
  const out = new Map<string, ZipEntry>();
  for (let p = 0, k = 0; k < count && p + 46 <= cd.byteLength; k++) {
    if (cd.getUint32(p, true) !== 0x02014b50) break;
    const nameLen = cd.getUint16(p + 28, true), extra = cd.getUint16(p + 30, true), comment = cd.getUint16(p + 32, true);
    const name = names.decode(new Uint8Array(cd.buffer, cd.byteOffset + p + 46, nameLen));
    out.set(name, { method: cd.getUint16(p + 10, true), size: cd.getUint32(p + 20, true), offset: cd.getUint32(p + 42, true) });
    p += 46 + nameLen + extra + comment;
  }
  return out;
}

/** A part of the zip as text, decompressed as a stream; `enough(text)` may stop early. */
async function zipText(file: Blob, e: ZipEntry, enough?: (text: string) => boolean): Promise<string> {
  const local = new DataView(await file.slice(e.offset, e.offset + 30).arrayBuffer());
  const start = e.offset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  let stream = file.slice(start, start + e.size).stream();
  if (e.method === 8) stream = stream.pipeThrough(new DecompressionStream('deflate-raw'));
  else if (e.method !== 0) throw new Error('unsupported zip compression');
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
    if (enough?.(text)) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return text;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
export function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(parseInt(e[1] === 'x' || e[1] === 'X' ? e.slice(2) : e.slice(1), e[1] === 'x' || e[1] === 'X' ? 16 : 10)) : ENTITIES[e] ?? m,
  );
}

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(tag);
  return m ? xmlText(m[2] ?? m[3]) : null;
};

/** The text of the <t> elements in a piece of XML, phonetic runs (<rPh>) left out. */
function runs(xml: string): string {
  return xmlText(
    xml.replace(/<(\w+:)?rPh\b[\s\S]*?<\/(\w+:)?rPh>/g, '').replace(/<(\w+:)?t(\s[^>]*)?\/>/g, '')
      .match(/<(\w+:)?t(\s[^>]*)?>[\s\S]*?<\/(\w+:)?t>/g)?.map((t) => t.replace(/^<[^>]*>|<\/[^>]*>$/g, '')).join('') ?? '',
  );
}

/** 1 for a date format, 2 for a date and time, 0 otherwise (the server's rule). */
export function formatKind(code: string): number {
  const bare = code.replace(/"[^"]*"|\[[^\]]*\]|\\./g, '');
  const date = /[yYdDmM年月日]/.test(bare), time = /[hHsS]/.test(bare);
  return date ? (time ? 2 : 1) : 0;
}
function builtinKind(id: number): number {
  if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || (id >= 34 && id <= 36) || (id >= 50 && id <= 58)) return 1;
  return id === 22 ? 2 : 0;
}

/** An Excel serial number as the server writes it: "YYYY-MM-DD" (and " HH:MM:SS"). */
export function serialDate(serial: number, kind: number, date1904 = false): string {
  const d = Math.floor(serial);
  const days = date1904 ? d - 24107 : d >= 61 ? d - 25569 : d - 25568;
  let s = new Date(days * 86400000).toISOString().slice(0, 10);
  const frac = serial - d;
  if (kind === 2 || frac > 0) {
    const secs = Math.min(Math.round(frac * 86400), 86399);
    const two = (n: number) => String(n).padStart(2, '0');
    s += ` ${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}`;
  }
  return s;
}

function numberText(v: string, kind: number, date1904: boolean): string {
  const d = Number(v);
  if (v === '' || !Number.isFinite(d)) return v;
  if (kind && d >= 0 && d < 2958466) return serialDate(d, kind, date1904);
  if (Number.isInteger(d) && Math.abs(d) < 1e15) return String(d);
  return String(Number(d.toPrecision(15)));
}

function colIndex(ref: string): number {
  let col = 0;
  const m = /^[A-Z]+/.exec(ref);
  if (!m) return -1;
  for (const c of m[0]) col = col * 26 + c.charCodeAt(0) - 64;
  return col - 1;
}

async function readXlsxHead(file: Blob, max: number): Promise<FileHead> {
  const zip = await zipEntries(file);
  const part = async (name: string, enough?: (t: string) => boolean) => {
    const e = zip.get(name);
    return e ? zipText(file, e, enough) : null;
  };
  const wb = await part('xl/workbook.xml');
  const rels = await part('xl/_rels/workbook.xml.rels');
  if (!wb || !rels) throw new Error('not an Excel workbook');
  const sheetTag = /<(\w+:)?sheet\s[^>]*>/.exec(wb)?.[0];
  const rid = sheetTag && (attr(sheetTag, 'r:id') ?? attr(sheetTag, '\\w+:id'));
  const rel = [...rels.matchAll(/<(\w+:)?Relationship\s[^>]*>/g)].map((m) => m[0]).find((t) => attr(t, 'Id') === rid);
  const target = rel && attr(rel, 'Target');
  if (!target) throw new Error('the workbook has no sheet');
  const date1904 = /date1904\s*=\s*["'](1|true)["']/.test(wb);

  // Styles: which cell formats are dates.
  const styles = (await part('xl/styles.xml')) ?? '';
  const custom = new Map<number, number>();
  for (const m of styles.matchAll(/<(\w+:)?numFmt\s[^>]*>/g)) custom.set(Number(attr(m[0], 'numFmtId')), formatKind(attr(m[0], 'formatCode') ?? ''));
  const xfs = /<(\w+:)?cellXfs[\s>][\s\S]*?<\/(\w+:)?cellXfs>/.exec(styles)?.[0] ?? '';
  const xfKind = [...xfs.matchAll(/<(\w+:)?xf\s[^>]*>/g)].map((m) => {
    const id = Number(attr(m[0], 'numFmtId') ?? 0);
    return custom.get(id) ?? builtinKind(id);
  });

  // The sheet, until enough rows are read.
  const rowRe = /<(\w+:)?row[\s>][\s\S]*?<\/(\w+:)?row>/g;
  const sheet = (await part(target.startsWith('/') ? target.slice(1) : `xl/${target}`, (t) => (t.match(rowRe)?.length ?? 0) > max + 5)) ?? '';
  type Cell = { col: number; type: string; style: number; v: string };
  const rows: { num: number; cells: Cell[] }[] = [];
  let next = 1;
  for (const m of sheet.matchAll(rowRe)) {
    const open = /^<[^>]*>/.exec(m[0])![0];
    const num = Math.max(Number(attr(open, 'r') ?? next), next);
    next = num + 1;
    const cells: Cell[] = [];
    let nextCol = 0;
    for (const c of m[0].matchAll(/<(\w+:)?c(\s[^>]*?)?(\/>|>([\s\S]*?)<\/(\w+:)?c>)/g)) {
      const tag = /^<[^>]*>/.exec(c[0])![0];
      const ref = attr(tag, 'r');
      const col = ref ? colIndex(ref) : nextCol;
      nextCol = col + 1;
      const body = c[4] ?? '';
      const type = attr(tag, 't') ?? 'n';
      const v = type === 'inlineStr' ? runs(/<(\w+:)?is>[\s\S]*<\/(\w+:)?is>/.exec(body)?.[0] ?? '') : xmlText(/<(\w+:)?v>([\s\S]*?)<\/(\w+:)?v>/.exec(body)?.[2] ?? '');
      cells.push({ col, type, style: Number(attr(tag, 's') ?? -1), v });
    }
    rows.push({ num, cells });
  }

  // Shared strings, up to the last one these rows use.
  const need = Math.max(-1, ...rows.flatMap((r) => r.cells.filter((c) => c.type === 's').map((c) => Number(c.v))));
  const siRe = /<(\w+:)?si[\s>][\s\S]*?<\/(\w+:)?si>|<(\w+:)?si\/>/g;
  const sstXml = need >= 0 ? (await part('xl/sharedStrings.xml', (t) => (t.match(siRe)?.length ?? 0) > need)) ?? '' : '';
  const sst = [...sstXml.matchAll(siRe)].map((m) => runs(m[0]));

  const text = (c: Cell) =>
    c.type === 's' ? sst[Number(c.v)] ?? ''
    : c.type === 'b' ? (c.v === '1' ? 'true' : 'false')
    : c.type === 'n' ? numberText(c.v, xfKind[c.style] ?? 0, date1904)
    : c.v;
  const records = rows.map((r) => {
    const cells: string[] = [];
    for (const c of [...r.cells].sort((a, b) => a.col - b.col)) {
      if (c.col < cells.length || c.col > 1000) continue; // a repeated reference keeps the first cell
      while (cells.length < c.col) cells.push('');
      cells.push(text(c));
    }
    while (cells.length && cells[cells.length - 1] === '') cells.pop();
    return { num: r.num, cells };
  });
  return headOf(records, max, { format: 'xlsx' });
}
