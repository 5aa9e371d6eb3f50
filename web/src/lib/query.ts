// A list's state (sort, filters, page size) as it lives in the page's URL, and
// the API query it becomes. Paging is keyset: the cursor is not in the URL.
import type { Entity } from './meta';

export interface ListState {
  sort?: string;
  q?: string;
  mine?: boolean;
  owner?: number;
  filters: Record<string, string>;
  dateField?: string;
  from?: string;
  to?: string;
  archived?: boolean;
  limit?: number;
}

export const PAGE_SIZES = [25, 50, 100];

export function parseListState(search: string, e: Entity): ListState {
  const p = new URLSearchParams(search);
  const st: ListState = { filters: {} };
  const names = new Set(e.fields.map((f) => f.name));
  const sort = p.get('sort');
  if (sort && sort.split(',').every((s) => names.has(s.replace(/^[-+]/, '')))) st.sort = sort;
  if (p.get('q')) st.q = p.get('q')!;
  if (p.get('mine') === '1') st.mine = true;
  const owner = Number(p.get('owner'));
  if (Number.isSafeInteger(owner) && owner > 0) st.owner = owner;
  for (const [k, v] of p) if (k.startsWith('f.') && names.has(k.slice(2)) && v) st.filters[k.slice(2)] = v;
  const df = p.get('date');
  if (df && names.has(df)) st.dateField = df;
  const date = /^\d{4}-\d{2}-\d{2}$/;
  if (date.test(p.get('from') ?? '')) st.from = p.get('from')!;
  if (date.test(p.get('to') ?? '')) st.to = p.get('to')!;
  if (p.get('archived') === '1') st.archived = true;
  const limit = Number(p.get('limit'));
  if (PAGE_SIZES.includes(limit)) st.limit = limit;
  return st;
}

export function serializeListState(st: ListState): string {
  const p = new URLSearchParams();
  if (st.sort) p.set('sort', st.sort);
  if (st.q) p.set('q', st.q);
  if (st.mine) p.set('mine', '1');
  if (st.owner) p.set('owner', String(st.owner));
  for (const [k, v] of Object.entries(st.filters).sort()) if (v) p.set(`f.${k}`, v);
  if (st.dateField && (st.from || st.to)) p.set('date', st.dateField);
  if (st.from) p.set('from', st.from);
  if (st.to) p.set('to', st.to);
  if (st.archived) p.set('archived', '1');
  if (st.limit) p.set('limit', String(st.limit));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Makes a text safe inside a LIKE pattern (the API escapes with a backslash). */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Local midnight of a yyyy-mm-dd day as an ISO UTC timestamp. */
export function localDayStart(day: string, plusDays = 0): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}

/** The API's query for a list state (without cursor). */
export function apiQuery(st: ListState, e: Entity, meId?: number): URLSearchParams {
  const p = new URLSearchParams();
  p.set('sort', st.sort ?? e.default_sort);
  p.set('limit', String(st.limit ?? 50));
  if (st.q?.trim()) p.set(`${e.title_field}[like]`, `%${escapeLike(st.q.trim())}%`);
  if (st.mine && meId) p.set('owner_id', String(meId));
  else if (st.owner) p.set('owner_id', String(st.owner));
  for (const [k, v] of Object.entries(st.filters)) if (v) p.set(k, v);
  const df = st.dateField && e.fields.find((f) => f.name === st.dateField);
  if (df) {
    if (df.type === 'date') {
      if (st.from) p.set(`${df.name}[gte]`, st.from);
      if (st.to) p.set(`${df.name}[lte]`, st.to);
    } else {
      if (st.from) p.set(`${df.name}[gte]`, localDayStart(st.from));
      if (st.to) p.set(`${df.name}[lt]`, localDayStart(st.to, 1));
    }
  }
  if (st.archived) p.set('archived', 'only');
  return p;
}

/** The next sort when a column header is clicked: ascending, then descending. */
export function toggleSort(current: string | undefined, fieldName: string, defaultSort: string): string {
  const cur = current ?? defaultSort;
  const first = cur.split(',')[0];
  if (first === fieldName) return `-${fieldName}`;
  if (first === `-${fieldName}`) return fieldName;
  return fieldName;
}

export function sortDirection(current: string | undefined, fieldName: string, defaultSort: string): 'ascending' | 'descending' | 'none' {
  const first = (current ?? defaultSort).split(',')[0];
  if (first === fieldName) return 'ascending';
  if (first === `-${fieldName}`) return 'descending';
  return 'none';
}
