import { describe, expect, it } from 'vitest';
import metaFixture from './meta.fixture.json';
import type { Entity, Meta } from './meta';
import { formatKind, parseCsv, readCsvHead, readHead, serialDate, sniffDelimiter, sniffEncoding } from './import-file';
import {
  defaultChoices, defaultWinner, differingFields, duplicateTargets, errorsByRow, exportPath, importForm, keyMapped, keyOptions,
  mapSpec, mergeBody, missingRequired, parseErrors, suggestedMapping,
} from './import';
import { importEn, importZh } from './import-i18n';

const meta = metaFixture as unknown as Meta;
const contacts = meta.entities.find((e) => e.name === 'contacts') as Entity;
const enc = (s: string) => new TextEncoder().encode(s);

describe('reading the head of a CSV file', () => {
  it('finds the encoding as the server does', () => {
    expect(sniffEncoding(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), false)).toEqual({ encoding: 'utf-8', skip: 3 });
    expect(sniffEncoding(new Uint8Array([0xff, 0xfe, 0x61, 0]), false).encoding).toBe('utf-16le');
    expect(sniffEncoding(enc('姓名,手机'), false).encoding).toBe('utf-8');
    // "姓名" in GB18030, which is not UTF-8
    expect(sniffEncoding(new Uint8Array([0xd0, 0xd5, 0xc3, 0xfb]), false).encoding).toBe('gb18030');
    // a sample cut inside a character is still UTF-8
    expect(sniffEncoding(enc('张三').subarray(0, 5), true).encoding).toBe('utf-8');
  });
  it('finds the delimiter in the first line, outside quotes', () => {
    expect(sniffDelimiter('a;b;c\n1,2,3')).toBe(';');
    expect(sniffDelimiter('a\tb\tc')).toBe('\t');
    expect(sniffDelimiter('"x;y",b')).toBe(',');
    expect(sniffDelimiter('name')).toBe(',');
  });
  it('parses quotes, doubled quotes, line breaks inside quotes, CRLF; blank lines are no records', () => {
    expect(parseCsv('a,"b ""c""",d\r\n\r\n"line\nbreak",,\n', ',')).toEqual([['a', 'b "c"', 'd'], ['line\nbreak', '', '']]);
    expect(parseCsv('a,b\nc,d', ',', true)).toEqual([['a', 'b']]);
  });
  it('skips empty leading rows, numbers rows as records, keeps up to max rows with something in them', () => {
    const h = readCsvHead(enc('\n,,\n 姓名 ,手机\n张三,138\n,\n李四,139\n王五,137\n'), 2);
    expect(h.headers).toEqual(['姓名', '手机']);
    expect(h.rows).toEqual([{ num: 3, cells: ['张三', '138'] }, { num: 5, cells: ['李四', '139'] }]);
  });
  it('reads GB18030 as Chinese Excel saves it', async () => {
    const gb = new Uint8Array([0xd0, 0xd5, 0xc3, 0xfb, 0x0a, 0xd5, 0xc5, 0xc8, 0xfd, 0x0a]); // 姓名\n张三\n
    const h = await readHead(new Blob([gb]));
    expect(h).toMatchObject({ format: 'csv', encoding: 'gb18030', headers: ['姓名'], rows: [{ num: 2, cells: ['张三'] }] });
  });
});

/** A zip of the given parts (deflated), as Excel writes an .xlsx. */
async function deflate(text: string): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer());
}
async function zip(parts: Record<string, string>) {
  const chunks: Uint8Array[] = [], central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(parts)) {
    const n = enc(name), data = await deflate(text), size = enc(text).length;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(8, 8, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, size, true);
    local.setUint16(26, n.length, true);
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(10, 8, true);
    cd.setUint32(20, data.length, true);
    cd.setUint32(24, size, true);
    cd.setUint16(28, n.length, true);
    cd.setUint32(42, offset, true);
    chunks.push(new Uint8Array(local.buffer), n, data);
    central.push(new Uint8Array(cd.buffer), n);
    offset += 30 + n.length + data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(10, Object.keys(parts).length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  const all = [...chunks, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((s, c) => s + c.length, 0));
  let p = 0;
  for (const c of all) out.set(c, p), (p += c.length);
  return out;
}

describe('reading the head of an XLSX workbook', () => {
  it('follows the workbook to its first sheet; shared and inline strings, numbers, dates, gaps', async () => {
    const book = await zip({
      'xl/workbook.xml': '<workbook xmlns:r="r"><sheets><sheet name="客户" sheetId="1" r:id="rId7"/></sheets></workbook>',
      'xl/_rels/workbook.xml.rels': '<Relationships><Relationship Id="rId1" Target="worksheets/other.xml"/><Relationship Id="rId7" Target="worksheets/sheet1.xml"/></Relationships>',
      'xl/styles.xml': '<styleSheet><numFmts><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="22"/></cellXfs></styleSheet>',
      'xl/sharedStrings.xml': '<sst><si><t>姓名</t></si><si><r><t>手</t></r><r><t>机</t></r><rPh><t>shouji</t></rPh></si><si><t>生日</t></si><si><t>张 &amp; 三</t></si></sst>',
      'xl/worksheets/sheet1.xml': '<worksheet><sheetData>'
        + '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="D2" t="s"><v>2</v></c></row>'
        + '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>13812345678</v></c><c r="D3" s="1"><v>31120</v></c></row>'
        + '<row r="5"><c r="A5" t="inlineStr"><is><t>李四</t></is></c><c r="B5"><v>0.5</v></c><c r="D5" s="2"><v>45000.75</v></c><c r="E5" s="0"/></row>'
        + '</sheetData></worksheet>',
    });
    const h = await readHead(new Blob([book]));
    expect(h.format).toBe('xlsx');
    expect(h.headers).toEqual(['姓名', '手机', '', '生日']);
    expect(h.rows).toEqual([
      { num: 3, cells: ['张 & 三', '13812345678', '', '1985-03-14'] },
      { num: 5, cells: ['李四', '0.5', '', '2023-03-15 18:00:00'] },
    ]);
  });
  it('date formats and serial numbers as the server reads them', () => {
    expect(formatKind('yyyy-mm-dd')).toBe(1);
    expect(formatKind('[Red]0.00')).toBe(0);
    expect(formatKind('"d"0')).toBe(0);
    expect(formatKind('yyyy/m/d h:mm')).toBe(2);
    expect(serialDate(59, 1)).toBe('1900-02-28');
    expect(serialDate(61, 1)).toBe('1900-03-01'); // after Lotus's 1900-02-29 (serial 60), which did not exist
    expect(serialDate(0, 1, true)).toBe('1904-01-01');
  });
});

describe('mapping columns', () => {
  it('sends every column by its number', () => {
    expect(mapSpec(['name', null, 'account_id'])).toBe('#1=name,#2=-,#3=account_id');
  });
  it('starts from the server’s suggestions', () => {
    expect(suggestedMapping(['客户姓名', '备注', 'x'], [{ header: '客户姓名', field: 'name' }, { header: '备注', field: 'description' }, { header: 'x', field: null, skipped: 'no field of that name' }]))
      .toEqual(['name', 'description', null]);
    expect(suggestedMapping(['a', 'b'], null)).toEqual([null, null]);
  });
  it('says what must be fixed before the server is asked', () => {
    expect(missingRequired(contacts, ['mobile'], '', 'skip').map((f) => f.name)).toEqual(['name']);
    expect(missingRequired(contacts, ['id', 'mobile'], 'id', 'update')).toEqual([]);
    expect(keyMapped(contacts, ['name', 'mobile'], 'phone')).toBe(true);
    expect(keyMapped(contacts, ['name', 'mobile'], 'email')).toBe(false);
    expect(keyMapped(contacts, ['name', 'external_id'], 'external_id')).toBe(true);
    expect([...duplicateTargets(['name', 'mobile', 'name', null, null])]).toEqual(['name']);
    expect(keyOptions(contacts)).toEqual(['', 'email', 'phone', 'name+account', 'external_id', 'id']);
  });
  it('reads the error report, grouped by row', () => {
    const errs = parseErrors('row,column,field,value,reason\r\n4,手机号码,mobile,12,"is not a valid phone number (5 to 20 digits, optionally + - . ( ) or spaces)"\r\n4,电子邮件,email,x,is not a valid e-mail address\r\n9,,,,"duplicate of contact 3 (same email)"\r\n');
    expect(errs).toHaveLength(3);
    expect(errs[0]).toMatchObject({ row: 4, column: '手机号码', field: 'mobile', value: '12' });
    expect(errs[2]).toMatchObject({ row: 9, field: '', reason: 'duplicate of contact 3 (same email)' });
    expect(errorsByRow(errs).get(4)).toHaveLength(2);
    expect(parseErrors('not,a,report\n')).toEqual([]);
  });
});

describe('export', () => {
  it('keeps the list’s filters and sort, drops paging', () => {
    const q = new URLSearchParams('sort=-created_at&limit=50&city=上海&status[in]=active,inactive');
    const p = exportPath(contacts, q, { format: 'csv', labels: 'zh', bom: true, fields: ['name', 'city'] });
    const u = new URLSearchParams(p.split('?')[1]);
    expect(p.startsWith('/contacts/export?')).toBe(true);
    expect(Object.fromEntries(u)).toEqual({ sort: '-created_at', city: '上海', 'status[in]': 'active,inactive', format: 'csv', labels: 'zh', bom: '1', fields: 'name,city' });
    const v = new URLSearchParams(exportPath(contacts, q, { format: 'vcf', labels: 'zh', bom: true, fields: ['name'] }).split('?')[1]);
    expect([v.get('format'), v.get('labels'), v.get('bom'), v.get('fields')]).toEqual(['vcf', null, null, null]);
  });
});

describe('merging duplicates', () => {
  const recs = [
    { id: 3, version: 1, name: '张伟', mobile: '13812345678', email: null, city: '深圳', title: null, tags: [] },
    { id: 5, version: 1, name: '張偉', mobile: '+86 138 1234 5678', email: 'zw@x.cn', city: '深圳', title: '经理', tags: ['vip'] },
  ];
  it('keeps the fullest record and fills its gaps from the others, as the server would', () => {
    expect(defaultWinner(contacts, recs)).toBe(5);
    expect(differingFields(contacts, recs).map((f) => f.name)).toEqual(['name', 'title', 'email', 'mobile', 'tags']);
    expect(defaultChoices(contacts, recs, 3)).toEqual({ name: 3, email: 5, mobile: 3, title: 5, tags: 5 });
  });
  it('sends every choice, so that an empty value chosen stays empty', () => {
    const body = mergeBody(recs, 3, { ...defaultChoices(contacts, recs, 3), title: 3 });
    expect(body).toEqual({ winner: 3, losers: [5], fields: { name: 3, email: 5, mobile: 3, title: 3, tags: 5 } });
  });
});

describe('strings', () => {
  it('exist in both languages with the same placeholders', () => {
    expect(Object.keys(importZh).sort()).toEqual(Object.keys(importEn).sort());
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join();
    for (const k of Object.keys(importEn) as (keyof typeof importEn)[]) expect(ph(importZh[k]), k).toBe(ph(importEn[k]));
  });
});

describe('the upload form', () => {
  const fields = (f: FormData) => [...f.keys()].filter((k) => k !== 'file');
  it('sends the options the wizard chose, and only those', () => {
    const blob = new Blob(['姓名\r\n张三\r\n']);
    expect(fields(importForm(blob, 'a.csv', { entity: 'contacts' }))).toEqual(['entity']);
    const f = importForm(blob, 'a.csv', { entity: 'contacts', mapping: ['name'], key: 'email', onDuplicate: 'update', createRefs: true, runRules: true, dryRun: true });
    expect(fields(f)).toEqual(['entity', 'map', 'key', 'on_duplicate', 'create_refs', 'run_rules', 'dry_run']);
    expect([f.get('run_rules'), f.get('create_refs'), f.get('on_duplicate')]).toEqual(['true', 'true', 'update']);
    expect((f.get('file') as File).name).toBe('a.csv');
  });
});
