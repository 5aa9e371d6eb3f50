// Getting data in and out, without DOM: the import wizard's mapping, form and
// polling, the error report, export queries, and the duplicate finder's merge
// choices. The server does the work (POST /api/v1/imports, GET .../export,
// POST /api/v1/dedupe/...); this decides what to ask it.
import { ApiError, api, getToken, type Rec } from './api';
import type { Entity, Field } from './meta';
import { isEditable } from './meta';
import { parseCsv } from './import-file';

// ---- import ----

export interface ImportColumn {
  header: string;
  field: string | null;
  skipped?: string;
}

export interface ImportJob {
  id: number;
  entity: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  source: string | null;
  options: { map: string | null; key: string; on_duplicate: string; dry_run: boolean; create_refs: boolean; run_rules: boolean };
  columns: ImportColumn[] | null;
  message: string | null;
  progress: number;
  rows: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errors: number;
  errors_url: string;
}

export type MatchKey = '' | 'email' | 'phone' | 'name+account' | 'external_id' | 'id';
export type OnDuplicate = 'skip' | 'update' | 'error';

export interface ImportOptions {
  entity: string;
  /** The field of each column of the file (in order), or null to leave it out. */
  mapping?: (string | null)[];
  key?: MatchKey;
  onDuplicate?: OnDuplicate;
  createRefs?: boolean;
  /** Record each new record's creation as if made by hand, so automation rules fire. */
  runRules?: boolean;
  dryRun?: boolean;
}

/** The pseudo-field that keeps the source system's id of a record. */
export const EXTERNAL_ID = 'external_id';

/** Entities one can import into: those the menu shows, without the parts of other records. */
export function importableEntities(all: Entity[]): Entity[] {
  return all.filter((e) => e.fields.some((f) => isEditable(f)));
}

/** The fields a column can go to: the writable ones (owner included); the id only as a key. */
export function importTargets(e: Entity, key: MatchKey): Field[] {
  return e.fields.filter((f) => (isEditable(f) && f.type !== 'password') || (f.type === 'id' && key === 'id'));
}

/** The keys an entity's records can be matched by. */
export function keyOptions(e: Entity): MatchKey[] {
  const has = (p: (f: Field) => boolean) => e.fields.some(p);
  const keys: MatchKey[] = [''];
  if (has((f) => f.type === 'email')) keys.push('email');
  if (has((f) => f.type === 'phone')) keys.push('phone');
  if (has((f) => f.name === 'account_id')) keys.push('name+account');
  keys.push('external_id', 'id');
  return keys;
}

/** The columns as the server's suggestions have them (field or null), one per header. */
export function suggestedMapping(headers: string[], columns: ImportColumn[] | null): (string | null)[] {
  return headers.map((_, i) => columns?.[i]?.field ?? null);
}

/** The map the server takes: each column by its number (headers may hold "," or "="). */
export function mapSpec(mapping: (string | null)[]): string {
  return mapping.map((f, i) => `#${i + 1}=${f ?? '-'}`).join(',');
}

/** Required fields that no column fills (none when every row updates a record by its id). */
export function missingRequired(e: Entity, mapping: (string | null)[], key: MatchKey, onDup: OnDuplicate): Field[] {
  if (key === 'id' && onDup === 'update') return [];
  return e.fields.filter((f) => f.required && f.default === undefined && !f.system && !mapping.includes(f.name));
}

/** Whether a column is mapped to the key the rows are matched by. */
export function keyMapped(e: Entity, mapping: (string | null)[], key: MatchKey): boolean {
  const mapped = mapping.filter(Boolean).map((n) => e.fields.find((f) => f.name === n) ?? { name: n!, type: '' });
  switch (key) {
    case '': return true;
    case 'email': return mapped.some((f) => f.type === 'email');
    case 'phone': return mapped.some((f) => f.type === 'phone');
    case 'name+account': return mapped.some((f) => f.name === e.title_field);
    case 'external_id': return mapped.some((f) => f.name === EXTERNAL_ID);
    case 'id': return mapped.some((f) => f.type === 'id');
  }
}

/** Two columns on one field: the server keeps the first, so the wizard says so first. */
export function duplicateTargets(mapping: (string | null)[]): Set<string> {
  const seen = new Set<string>(), twice = new Set<string>();
  for (const f of mapping) if (f) (seen.has(f) ? twice : seen).add(f);
  return twice;
}

export function importForm(file: Blob, name: string, o: ImportOptions): FormData {
  const form = new FormData();
  form.append('entity', o.entity);
  if (o.mapping) form.append('map', mapSpec(o.mapping));
  if (o.key) form.append('key', o.key);
  if (o.key && o.onDuplicate) form.append('on_duplicate', o.onDuplicate);
  if (o.createRefs) form.append('create_refs', 'true');
  if (o.runRules) form.append('run_rules', 'true');
  if (o.dryRun) form.append('dry_run', 'true');
  form.append('file', file, name);
  return form;
}

/** A request with the session's token and a body that is not JSON (an upload), or a
 *  download; errors as the API's. */
async function raw(method: string, path: string, body?: BodyInit, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body, signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'network_error');
  }
  if (!res.ok) {
    const err = await res.json().then((j) => j?.error ?? {}, () => ({}));
    throw new ApiError(res.status, err.code ?? `http_${res.status}`, err.message ?? res.statusText, err.fields ?? {});
  }
  return res;
}

export async function startImport(file: Blob, name: string, o: ImportOptions): Promise<ImportJob> {
  return (await raw('POST', '/imports', importForm(file, name, o))).json();
}

/** Polls the job until it has finished, calling `onUpdate` with each state. */
export async function waitForImport(id: number, onUpdate: (j: ImportJob) => void, signal?: AbortSignal, everyMs = 400): Promise<ImportJob> {
  for (;;) {
    const j = await api.get<ImportJob>(`/imports/${id}`, undefined, signal);
    onUpdate(j);
    if (j.status === 'done' || j.status === 'failed') return j;
    await new Promise((ok, fail) => {
      const t = setTimeout(ok, everyMs);
      signal?.addEventListener('abort', () => { clearTimeout(t); fail(new DOMException('aborted', 'AbortError')); }, { once: true });
    });
  }
}

export interface ImportError {
  row: number;
  column: string;
  field: string;
  value: string;
  reason: string;
}

/** The error report (row,column,field,value,reason) as records. */
export function parseErrors(csv: string): ImportError[] {
  const [head, ...rows] = parseCsv(csv, ',');
  if (!head || head.join(',') !== 'row,column,field,value,reason') return [];
  return rows.map(([row, column = '', field = '', value = '', reason = '']) => ({ row: Number(row), column, field, value, reason }));
}

export async function fetchErrors(job: ImportJob, signal?: AbortSignal): Promise<ImportError[]> {
  if (!job.errors) return [];
  return parseErrors(await (await raw('GET', job.errors_url.replace(/^\/api\/v1/, ''), undefined, signal)).text());
}

export function errorsByRow(errors: ImportError[]): Map<number, ImportError[]> {
  const m = new Map<number, ImportError[]>();
  for (const e of errors) m.set(e.row, [...(m.get(e.row) ?? []), e]);
  return m;
}

/** Downloads what the API answers at path as a file (the name from Content-Disposition). */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await raw('GET', path);
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const href = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60000);
}

// ---- export ----

export type ExportFormat = 'csv' | 'xlsx' | 'vcf';
export type HeaderLabels = 'names' | 'zh' | 'en';

export function exportFormats(e: Entity): ExportFormat[] {
  return e.name === 'contacts' ? ['csv', 'xlsx', 'vcf'] : ['csv', 'xlsx'];
}

/** The export of a list view: its filters and sort, without paging. */
export function exportPath(e: Entity, list: URLSearchParams, o: { format: ExportFormat; labels: HeaderLabels; bom?: boolean; fields?: string[] }): string {
  const q = new URLSearchParams(list);
  for (const k of ['limit', 'cursor', 'count']) q.delete(k);
  q.set('format', o.format);
  if (o.format !== 'vcf' && o.labels !== 'names') q.set('labels', o.labels);
  if (o.format === 'csv' && o.bom) q.set('bom', '1');
  if (o.format !== 'vcf' && o.fields?.length) q.set('fields', o.fields.join(','));
  return `/${e.name}/export?${q}`;
}

// ---- duplicates ----

export interface DupPair {
  a: number;
  b: number;
  score: number;
  reasons: string[];
}
export interface Cluster {
  score: number;
  ids: number[];
  pairs: DupPair[];
  records: Rec[];
}
export interface DedupeResult {
  entity: string;
  scanned: number;
  compared: number;
  threshold: number;
  clusters: number;
  data: Cluster[];
}
export interface Merge {
  id: number;
  entity: string;
  winner: number;
  losers: number[];
  moved: number;
  fields: string[];
  undone_at: string | null;
}

/** Entities the duplicate scan works on: those with names, e-mails or phones. */
export function dedupeEntities(all: Entity[]): Entity[] {
  return all.filter((e) => e.fields.some((f) => f.type === 'email' || f.type === 'phone') && e.fields.some((f) => f.name === e.title_field));
}

/** Fields a merge may take from any record: the record's own writable ones (and its owner). */
export function mergeableFields(e: Entity): Field[] {
  return e.fields.filter((f) => (!(f.system || f.readonly || f.writeonly || f.unique) || f.name === 'owner_id') && f.type !== 'password');
}

const empty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
const same = (a: unknown, b: unknown) => (empty(a) && empty(b)) || JSON.stringify(a) === JSON.stringify(b);

/** The fields whose values differ between the records (the ones there is a choice for). */
export function differingFields(e: Entity, records: Rec[]): Field[] {
  return mergeableFields(e).filter((f) => records.some((r) => !same(r[f.name], records[0][f.name])));
}

/** The record kept by default: the one with the most filled fields, the oldest on a tie. */
export function defaultWinner(e: Entity, records: Rec[]): number {
  const fields = mergeableFields(e);
  const filled = (r: Rec) => fields.filter((f) => !empty(r[f.name])).length;
  return [...records].sort((a, b) => filled(b) - filled(a) || a.id - b.id)[0].id;
}

/** Where each differing field's value comes from by default: the kept record's own,
 *  or where it is empty the first record that has one (as the server fills gaps). */
export function defaultChoices(e: Entity, records: Rec[], winner: number): Record<string, number> {
  const w = records.find((r) => r.id === winner)!;
  const out: Record<string, number> = {};
  for (const f of differingFields(e, records))
    out[f.name] = !empty(w[f.name]) ? winner : (records.find((r) => !empty(r[f.name]))?.id ?? winner);
  return out;
}

/** The merge request: the losers and, for every field with a choice, where it comes from. */
export function mergeBody(records: Rec[], winner: number, choices: Record<string, number>) {
  return { winner, losers: records.map((r) => r.id).filter((id) => id !== winner), fields: { ...choices } };
}

/** The reasons of a cluster's pairs, each once, in the server's order. */
export function clusterReasons(c: Cluster): string[] {
  const order = ['name', 'email', 'phone', 'company', 'city', 'pinyin'];
  const all = new Set(c.pairs.flatMap((p) => p.reasons));
  return order.filter((r) => all.has(r));
}
