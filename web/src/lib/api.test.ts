import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, call, pool, queryString, setExpiredHandler, setToken } from './api';

type Seen = { url: string; method: string; headers: Record<string, string>; body?: string };
function fakeFetch(answers: (Response | (() => Response))[]) {
  const seen: Seen[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    seen.push({ url, method: init.method!, headers: init.headers as Record<string, string>, body: init.body as string | undefined });
    const a = answers.shift()!;
    return typeof a === 'function' ? a() : a;
  });
  return seen;
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

afterEach(() => {
  vi.unstubAllGlobals();
  setExpiredHandler(null);
  setToken(null);
});

describe('api', () => {
  it('sends the token, the version and JSON, and reads the ETag', async () => {
    const seen = fakeFetch([json(200, { id: 1, version: 4 }, { etag: '"4"' })]);
    setToken('tok');
    const a = await call('PATCH', '/contacts/1', { body: { name: '张三' }, ifMatch: 3 });
    expect(a.etag).toBe(4);
    expect(seen[0].url).toBe('/api/v1/contacts/1');
    expect(seen[0].headers.authorization).toBe('Bearer tok');
    expect(seen[0].headers['if-match']).toBe('"3"');
    expect(JSON.parse(seen[0].body!)).toEqual({ name: '张三' });
  });
  it('sends no body where there is none (the server refuses one on logout and restore)', async () => {
    const seen = fakeFetch([new Response(null, { status: 204 })]);
    await api.post('/auth/logout');
    expect(seen[0].body).toBeUndefined();
    expect(seen[0].headers['content-type']).toBeUndefined();
  });
  it('turns an error answer into an ApiError with the field messages', async () => {
    fakeFetch([json(422, { error: { code: 'validation_failed', message: 'email is bad', fields: { email: 'is not a valid e-mail address' } } })]);
    const e = await api.post('/contacts', { email: 'x' }).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.fields.email]).toEqual([422, 'validation_failed', 'is not a valid e-mail address']);
  });
  it('says "network" when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', async () => { throw new TypeError('Failed to fetch'); });
    const e = await api.get('/meta').catch((x) => x);
    expect([e.status, e.code]).toEqual([0, 'network']);
  });
  it('on 401 waits for a new login and sends the request again with the new token', async () => {
    const seen = fakeFetch([json(401, { error: { code: 'unauthorized', message: 'expired' } }), json(201, { id: 9, version: 1 })]);
    setToken('old');
    const expired = vi.fn(async () => setToken('new'));
    setExpiredHandler(expired);
    const r = await api.post('/contacts', { name: 'x' });
    expect(r.id).toBe(9);
    expect(expired).toHaveBeenCalledOnce();
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer old', 'Bearer new']);
    expect(seen[1].body).toBe(seen[0].body);
  });
  it('does not ask for a login again when logging in fails', async () => {
    fakeFetch([json(401, { error: { code: 'unauthorized', message: 'wrong' } })]);
    const expired = vi.fn(async () => {});
    setExpiredHandler(expired);
    const e = await api.post('/auth/login', { username: 'a', password: 'b' }).catch((x) => x);
    expect(e.status).toBe(401);
    expect(expired).not.toHaveBeenCalled();
  });
  it('builds query strings, keeping operator brackets and dropping empty values', () => {
    expect(queryString({ 'status[in]': 'a,b', q: '', x: undefined, n: 0, cursor: null })).toBe('?status%5Bin%5D=a%2Cb&n=0');
    expect(queryString({})).toBe('');
  });
  it('runs bulk work with bounded concurrency and reports each outcome', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await pool([1, 2, 3, 4, 5, 6], 2, async (n) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (n === 4) throw new Error('no');
      return n * 10;
    });
    expect(most).toBe(2);
    expect(out.map((o) => (o.ok ? o.value : 'x'))).toEqual([10, 20, 30, 'x', 50, 60]);
  });
});
