// Who is logged in, the metadata, and per-user preferences.
//
// The token lives in memory and in sessionStorage (this tab only, gone when it
// closes) so that a reload keeps the session; the API has no cookie session yet.
import { signal, computed } from '@preact/signals';
import { api, ApiError, call, setExpiredHandler, setToken, type Rec } from './api';
import type { Entity, Meta } from './meta';
import { applyLocale, normalizeLocale } from './i18n';
import type { Locale } from './format';
import { can, canOnRecord, permissionsOf, type Action } from './permissions';

export const user = signal<Rec | null>(null);
/** What the user's role allows (GET /auth/me's "permissions"); null from an older server. */
export const permissions = computed(() => permissionsOf(user.value));
/** Whether the user's role allows the action on the entity at all. */
export function may(e: Entity, a: Action): boolean {
  return can(permissions.value, e, a, user.value?.role);
}
/** Whether the action is offered on this record (scope "own": the user's own records only). */
export function mayOn(e: Entity, a: Action, rec: Rec): boolean {
  return canOnRecord(permissions.value, e, a, rec, user.value?.id as number, user.value?.role);
}
export const meta = signal<Meta | null>(null);
export const entities = computed(() => {
  const m = new Map<string, Entity>();
  for (const e of meta.value?.entities ?? []) m.set(e.name, e);
  return m;
});
/** True while the session has expired and the re-login dialog is up. */
export const expired = signal(false);

export interface Prefs {
  language?: Locale;
  columns?: Record<string, string[]>;
  [k: string]: unknown;
}
export const prefs = signal<Prefs>({});
/** Whether the server keeps preferences (GET/PUT /me/preferences); else they stay in this browser. */
let serverPrefs = false;

const TOKEN_KEY = 'kehu.token';

function storeToken(t: string | null) {
  setToken(t);
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* no storage */
  }
}

let waiting: (() => void)[] = [];
setExpiredHandler(
  () =>
    new Promise<void>((resolve) => {
      expired.value = true;
      waiting.push(resolve);
    }),
);

async function loadPrefs() {
  try {
    prefs.value = (await api.get<Prefs>('/me/preferences')) ?? {};
    serverPrefs = true;
  } catch (e) {
    serverPrefs = false;
    let local: Prefs = {};
    try {
      local = JSON.parse(localStorage.getItem(`kehu.prefs.${user.value?.id}`) ?? '{}');
    } catch {
      /* ignore */
    }
    prefs.value = local;
    if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 405)) console.warn('preferences:', e);
  }
}

// Writes go out at once and one after another (never two at a time, so the last one wins).
let saving: Promise<unknown> = Promise.resolve();
export function savePrefs(patch: Partial<Prefs>) {
  prefs.value = { ...prefs.value, ...patch };
  const snapshot = prefs.value;
  try {
    localStorage.setItem(`kehu.prefs.${user.value?.id}`, JSON.stringify(snapshot));
  } catch {
    /* ignore */
  }
  if (!serverPrefs) return;
  saving = saving
    .then(() => call('PUT', '/me/preferences', { body: snapshot, keepalive: true }))
    .catch((e) => console.warn('saving preferences:', e));
}

/** Switches the language now and remembers it for this user. */
export function setLanguage(l: Locale) {
  applyLocale(l);
  if (user.value) savePrefs({ language: l });
}

/** The user with their permissions: login answers the user record only. */
async function withPermissions(u: Rec): Promise<Rec> {
  if (u.permissions) return u;
  try {
    return await api.get<Rec>('/auth/me');
  } catch (e) {
    console.warn('permissions:', e);
    return u;
  }
}

async function afterLogin(u: Rec) {
  user.value = u;
  const [m, me] = await Promise.all([api.get<Meta>('/meta'), withPermissions(u), loadPrefs()]);
  user.value = me;
  meta.value = m;
  const lang = normalizeLocale(prefs.value.language as string) ?? normalizeLocale(u.locale);
  if (lang) applyLocale(lang);
}

export async function login(username: string, password: string) {
  const r = await api.post<{ token: string; user: Rec }>('/auth/login', { username, password });
  storeToken(r.token);
  if (expired.value) {
    // Same person again: let the paused requests go on; a different one starts afresh.
    expired.value = false;
    const same = user.value?.id === r.user.id;
    const w = waiting;
    waiting = [];
    if (same) {
      user.value = await withPermissions(r.user);
      w.forEach((f) => f());
      return;
    }
    location.assign('/');
    return;
  }
  await afterLogin(r.user);
}

/** On start: resume the tab's session if its token is still good. */
export async function resume(): Promise<boolean> {
  let t: string | null = null;
  try {
    t = sessionStorage.getItem(TOKEN_KEY);
  } catch {
    /* no storage */
  }
  if (!t) return false;
  setToken(t);
  setExpiredHandler(null);
  try {
    const u = await api.get<Rec>('/auth/me');
    await afterLogin(u);
    return true;
  } catch {
    storeToken(null);
    return false;
  } finally {
    setExpiredHandler(
      () =>
        new Promise<void>((resolve) => {
          expired.value = true;
          waiting.push(resolve);
        }),
    );
  }
}

export async function logout() {
  try {
    await api.post('/auth/logout');
  } catch {
    /* the session may be gone already */
  }
  storeToken(null);
  user.value = null;
  location.assign('/login');
}
