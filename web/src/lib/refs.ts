// Titles of referenced records (a contact's account, a record's owner), fetched
// in one batch per entity per render (GET /accounts?id[in]=1,2,3) and cached.
import { signal } from '@preact/signals';
import { api, type Rec } from './api';
import { entities } from './session';

const titles = new Map<string, Map<number, string>>();
const pending = new Map<string, Set<number>>();
/** Bumped when titles arrive, so components that show them render again. */
export const refsVersion = signal(0);
let timer: ReturnType<typeof setTimeout> | undefined;

export function titleOf(e: { title_field: string; name: string }, r: Rec): string {
  const v = r[e.title_field];
  if (e.name === 'users' && r.display_name) return r.display_name;
  return v === null || v === undefined || v === '' ? `#${r.id}` : String(v);
}

export function rememberTitle(entity: string, r: Rec) {
  const e = entities.value.get(entity);
  if (!e) return;
  if (!titles.has(entity)) titles.set(entity, new Map());
  titles.get(entity)!.set(r.id, titleOf(e, r));
}

async function flush() {
  const jobs = [...pending.entries()];
  pending.clear();
  for (const [entity, idset] of jobs) {
    const ids = [...idset];
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      try {
        const page = await api.get<{ data: Rec[] }>(`/${entity}`, {
          'id[in]': chunk.join(','),
          limit: chunk.length,
          archived: 'include',
        });
        for (const r of page.data) rememberTitle(entity, r);
      } catch {
        /* shown as #id */
      }
      const m = titles.get(entity) ?? new Map();
      titles.set(entity, m);
      for (const id of chunk) if (!m.has(id)) m.set(id, `#${id}`);
    }
  }
  refsVersion.value++;
}

/** The title of a referenced record, or undefined while it is being fetched. */
export function refTitle(entity: string, id: number | null | undefined): string | undefined {
  if (id === null || id === undefined) return '';
  refsVersion.value; // subscribe
  const hit = titles.get(entity)?.get(id);
  if (hit !== undefined) return hit;
  if (!pending.has(entity)) pending.set(entity, new Set());
  pending.get(entity)!.add(id);
  clearTimeout(timer);
  timer = setTimeout(flush, 0);
  return undefined;
}

/** All users (for owner pickers and filters), loaded once. */
export const users = signal<Rec[] | null>(null);
export async function loadUsers() {
  if (users.value) return users.value;
  const page = await api.get<{ data: Rec[] }>('/users', { limit: 500, sort: 'username' });
  for (const u of page.data) rememberTitle('users', u);
  users.value = page.data;
  return page.data;
}
