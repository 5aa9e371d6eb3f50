// Operations: health, metrics, routing errors, login and sessions, graceful
// shutdown with requests in flight, and durability across kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ADMIN_PASSWORD } from './lib/server.mjs';
import { usePg } from './lib/pg.mjs';

test('healthz needs no token; metrics count requests by route and status', async () => {
  const srv = await startServer();
  try {
    const h = await srv.call('GET', '/healthz');
    assert.equal(h.status, 200);
    assert.deepEqual(h.body, { status: 'ok', database: usePg ? 'postgresql' : 'sqlite' });
    const token = await srv.login();
    await srv.call('GET', '/api/v1/contacts/424242', { token });
    await srv.call('GET', '/api/v1/contacts', { token });
    assert.equal((await srv.call('GET', '/metrics')).status, 401);
    const m = await srv.call('GET', '/metrics', { token });
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    assert.match(m.body, /kehu_http_requests_total\{route="GET \/api\/v1\/\{entity\}\/\{id\}",status="404"\} 1\n/);
    assert.match(m.body, /kehu_http_requests_total\{route="GET \/api\/v1\/\{entity\}",status="200"\} 1\n/);
    assert.match(m.body, /kehu_http_request_duration_seconds_bucket\{route="GET \/api\/v1\/\{entity\}",le="\+Inf"\} 1\n/);
    assert.match(m.body, /kehu_db_errors_total 0\n/);
    // Every line is a comment or `name{labels} value`: the Prometheus text format.
    for (const line of m.body.trim().split('\n')) assert.match(line, /^(# (HELP|TYPE) .+|[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? [0-9.e+-]+)$/);
  } finally {
    await srv.stop();
  }
});

test('unknown routes are 404, wrong methods 405 with Allow, bodies on GET 400', async () => {
  const srv = await startServer();
  try {
    const token = await srv.login();
    const nf = await srv.call('GET', '/api/v1/no_such_entity', { token });
    assert.equal(nf.status, 404);
    assert.equal(nf.body.error.code, 'not_found');
    const put = await srv.call('PUT', '/api/v1/contacts/1', { token, json: {} });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, PATCH, DELETE');
    assert.equal(put.body.error.code, 'method_not_allowed');
    const g = await srv.call('POST', '/api/v1/auth/logout', { token, json: { x: 1 } });
    assert.equal(g.status, 400);
  } finally {
    await srv.stop();
  }
});

test('login: tokens work until logout; wrong credentials and missing tokens get 401', async () => {
  const srv = await startServer();
  try {
    const wrong = await srv.call('POST', '/api/v1/auth/login', { json: { username: 'admin', password: 'nope-nope' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'unauthorized');
    const nouser = await srv.call('POST', '/api/v1/auth/login', { json: { username: 'ghost', password: ADMIN_PASSWORD } });
    assert.equal(nouser.status, 401);
    assert.equal(nouser.body.error.message, wrong.body.error.message, 'no hint whether the user exists');
    const bad = await srv.call('POST', '/api/v1/auth/login', { json: { username: 'admin' } });
    assert.equal(bad.status, 422);
    assert.ok(bad.body.error.fields.password);
    const extra = await srv.call('POST', '/api/v1/auth/login', { json: { username: 'admin', password: ADMIN_PASSWORD, admin: true } });
    assert.equal(extra.status, 422);

    const ok = await srv.call('POST', '/api/v1/auth/login', { json: { username: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(ok.status, 200);
    assert.match(ok.body.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(ok.body.user.username, 'admin');
    assert.equal(ok.body.user.password, undefined);
    const token = ok.body.token;
    assert.equal((await srv.call('GET', '/api/v1/auth/me', { token })).body.username, 'admin');
    const none = await srv.call('GET', '/api/v1/contacts');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await srv.call('GET', '/api/v1/contacts', { token: 'x'.repeat(43) })).status, 401);
    assert.equal((await srv.call('GET', '/api/v1/contacts', { headers: { authorization: `Basic ${token}` } })).status, 401);
    assert.equal((await srv.call('POST', '/api/v1/auth/logout', { token })).status, 204);
    assert.equal((await srv.call('GET', '/api/v1/contacts', { token })).status, 401, 'the token died with the session');
  } finally {
    await srv.stop();
  }
});

test('tokens expire: a server whose clock is past the expiry refuses them', async () => {
  const srv = await startServer({ args: ['--session-ttl', '3600'] });
  const token = await srv.login();
  const db = srv.db;
  srv.proc.kill('SIGTERM');
  await srv.exited;
  // The same database, served by a process whose one clock reads two hours later.
  const later = new Date(Date.now() + 2 * 3600 * 1000).toISOString();
  const srv2 = await startServer({ db, env: { KEHU_NOW: later } });
  try {
    assert.equal((await srv2.call('GET', '/api/v1/contacts', { token })).status, 401);
  } finally {
    await srv2.stop();
  }
});

test('SIGTERM lets requests in flight finish, then the server exits 0', async () => {
  const srv = await startServer();
  // Logins are slow on purpose (Argon2id), so these two are still being worked
  // on, one per worker thread, when the signal arrives.
  const inflight = [0, 1].map(() =>
    srv.call('POST', '/api/v1/auth/login', { json: { username: 'admin', password: ADMIN_PASSWORD } }));
  await new Promise((r) => setTimeout(r, 60));
  srv.proc.kill('SIGTERM');
  for (const r of await Promise.all(inflight)) {
    assert.equal(r.status, 200, 'the request in flight was answered in full');
    assert.match(r.body.token, /^[A-Za-z0-9_-]{43}$/);
  }
  await srv.stop(); // asserts exit status 0 and a clean sanitizer log
  await assert.rejects(fetch(srv.url + '/healthz'), 'no longer listening');
});

test('every acknowledged write survives kill -9', async () => {
  const srv = await startServer();
  const token = await srv.login();
  const acked = [];
  let stop = false;
  const writers = Array.from({ length: 4 }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      try {
        const r = await srv.call('POST', '/api/v1/contacts', { token, json: { name: `w${w}-${i}` } });
        if (r.status === 201) acked.push(r.body.id);
      } catch { return; } // the connection died with the server
    }
  });
  await new Promise((r) => setTimeout(r, 400));
  srv.proc.kill('SIGKILL');
  stop = true;
  await Promise.all(writers);
  await srv.exited;
  assert.ok(acked.length > 10, `writes were acknowledged (${acked.length})`);
  const srv2 = await startServer({ db: srv.db });
  try {
    const t2 = await srv2.login();
    for (const id of acked) {
      const r = await srv2.call('GET', `/api/v1/contacts/${id}`, { token: t2 });
      assert.equal(r.status, 200, `acknowledged contact ${id} is there`);
    }
  } finally {
    await srv2.stop();
  }
});

test('the web UI\'s files: index.html for app paths, cached assets, a CSP that allows only the app itself', async () => {
  const { mkdtemp, mkdir, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const root = await mkdtemp(join(tmpdir(), 'kehu-web-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>Kehu</title>');
  await writeFile(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
  const srv = await startServer({ args: ['--web-root', root] });
  try {
    const index = await srv.fetch('/');
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type'), /^text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-security-policy'), /^default-src 'self'/);
    const deep = await srv.fetch('/contacts/42');
    assert.equal(await deep.text(), '<!doctype html><title>Kehu</title>', 'app paths get index.html');
    const js = await srv.fetch('/assets/app-1234.js');
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    assert.match(js.headers.get('cache-control'), /immutable/);
    assert.equal((await srv.fetch('/assets/missing.js')).status, 404);
    assert.doesNotMatch(await (await srv.fetch('/../../etc/passwd')).text(), /root:/, 'no way out of the web root');
    assert.equal((await srv.fetch('/assets/..%2f..%2f..%2fetc%2fpasswd')).status, 404);
    assert.equal((await srv.fetch('/.hidden')).status, 404);
    const api = await srv.fetch('/api/v1/nothing');
    assert.equal(api.status, 404, 'the API namespace is never the UI');
    assert.equal((await api.json()).error.code, 'not_found');
  } finally {
    await srv.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test('an upload with a wrong token is answered 401 without being kept', async () => {
  const srv = await startServer();
  try {
    const big = Buffer.alloc(40 << 20, 'a'); // 40 MiB
    const before = Number((await import('node:fs')).readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
    const r = await srv.call('POST', '/api/v1/imports', {
      token: 'x'.repeat(43), body: big, headers: { 'content-type': 'multipart/form-data; boundary=zzz' },
    });
    assert.equal(r.status, 401);
    const after = Number((await import('node:fs')).readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
    assert.ok(after - before < 20 * 1024, `the server did not hold the file (RSS grew ${after - before} kB)`);
    assert.equal((await srv.call('GET', '/healthz')).status, 200);
  } finally {
    await srv.stop();
  }
});
