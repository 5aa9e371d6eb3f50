// The one door to the Kehu API: JSON in and out, the bearer token, errors as
// ApiError (with the server's per-field messages), and a paused retry when the
// session has expired (the UI asks for the password again; nothing typed is lost).

export interface FieldErrors {
  [field: string]: string;
}

export class ApiError extends Error {
  status: number;
  code: string;
  fields: FieldErrors;
  constructor(status: number, code: string, message: string, fields: FieldErrors = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

export interface ListPage<T = Rec> {
  data: T[];
  next_cursor: string | null;
  total?: number;
}

export type Rec = Record<string, any> & { id: number; version: number };

let token: string | null = null;
/** Called on a 401 from any call but login; resolves once the user has logged in again. */
let onExpired: (() => Promise<void>) | null = null;

export function setToken(t: string | null) {
  token = t;
}
export function getToken() {
  return token;
}
export function setExpiredHandler(h: (() => Promise<void>) | null) {
  onExpired = h;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

/** A query string from an object, skipping empty values; keys keep their brackets (status[in]). */
export function queryString(q: Query | URLSearchParams | undefined): string {
  if (!q) return '';
  const p = q instanceof URLSearchParams ? q : new URLSearchParams();
  if (!(q instanceof URLSearchParams))
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.append(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface CallOptions {
  body?: unknown;
  query?: Query | URLSearchParams;
  ifMatch?: number;
  signal?: AbortSignal;
  /** Let the request finish even if the page is left (preferences saved just before a reload). */
  keepalive?: boolean;
}

export interface Answer<T> {
  data: T;
  status: number;
  etag: number | null;
}

export async function call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Answer<T>> {
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.ifMatch !== undefined) headers['if-match'] = `"${opts.ifMatch}"`;
    let res: Response;
    try {
      res = await fetch(`/api/v1${path}${queryString(opts.query)}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
        keepalive: opts.keepalive,
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, 'network', 'network_error');
    }
    if (res.status === 401 && path !== '/auth/login' && path !== '/auth/logout' && onExpired && attempt === 0) {
      await onExpired();
      continue;
    }
    const text = res.status === 204 ? '' : await res.text();
    let data: any = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!res.ok) {
      const err = data && typeof data === 'object' && data.error ? data.error : {};
      throw new ApiError(res.status, err.code ?? `http_${res.status}`, err.message ?? res.statusText, err.fields ?? {});
    }
    const tag = res.headers.get('etag');
    const m = tag ? /(\d+)/.exec(tag) : null;
    return { data: data as T, status: res.status, etag: m ? Number(m[1]) : null };
  }
}

export const api = {
  get: <T = any>(path: string, query?: Query | URLSearchParams, signal?: AbortSignal) =>
    call<T>('GET', path, { query, signal }).then((a) => a.data),
  post: <T = any>(path: string, body?: unknown) => call<T>('POST', path, { body }).then((a) => a.data),
  patch: <T = any>(path: string, body: unknown, version?: number) =>
    call<T>('PATCH', path, { body, ifMatch: version }).then((a) => a.data),
  put: <T = any>(path: string, body: unknown) => call<T>('PUT', path, { body }).then((a) => a.data),
  del: (path: string) => call('DELETE', path).then(() => undefined),
};

/** Runs `fn` over items with at most `n` requests in flight; returns per-item outcomes in order. */
export async function pool<I, O>(items: I[], n: number, fn: (item: I) => Promise<O>) {
  const out: ({ ok: true; value: O } | { ok: false; error: unknown })[] = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { ok: true, value: await fn(items[i]) };
      } catch (error) {
        out[i] = { ok: false, error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
