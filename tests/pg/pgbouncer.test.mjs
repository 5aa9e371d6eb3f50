// Kehu behind pgbouncer in transaction mode: each transaction may run on a
// different server connection, so nothing may outlive one (named prepared
// statements, SET, temporary tables, session locks). With kehu_pgbouncer=1 in
// the URI the driver sends every statement unnamed; the API works as usual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startServer, kehu, ADMIN_PASSWORD } from '../api/lib/server.mjs';
import { createDatabase, dropDatabase } from '../api/lib/pg.mjs';
import { openStream } from '../api/telephony_sse.mjs';

const PGBOUNCER = '/usr/sbin/pgbouncer';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

test('the API through pgbouncer in transaction mode', { skip: !existsSync(PGBOUNCER) && 'skipped: no pgbouncer (apt-get install pgbouncer)' }, async () => {
  const db = createDatabase();
  const target = new URL(db);
  const dir = await mkdtemp(join(tmpdir(), 'kehu-pgbouncer-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  await writeFile(join(dir, 'users.txt'), '"kehu" ""\n');
  await writeFile(join(dir, 'pgbouncer.ini'), `[databases]
* = host=${target.hostname} port=${target.port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, 'users.txt')}
pool_mode = transaction
default_pool_size = 3
max_client_conn = 100
logfile = ${join(dir, 'pgbouncer.log')}
`);
  // pgbouncer will not run as root (CI runs as root): then as postgres.
  const asRoot = process.getuid() === 0;
  if (asRoot) execFileSync('chown', ['-R', 'postgres', dir]);
  const bouncer = spawn(asRoot ? 'runuser' : PGBOUNCER,
    asRoot ? ['-u', 'postgres', '--', PGBOUNCER, join(dir, 'pgbouncer.ini')] : [join(dir, 'pgbouncer.ini')],
    { stdio: 'ignore' });
  let srv;
  try {
    const via = new URL(db);
    via.port = String(port);
    via.search = '?kehu_pgbouncer=1';
    for (let i = 0; i < 100; i++) {
      try { execFileSync('/usr/lib/postgresql/15/bin/pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port)]); break; } catch { await sleep(50); }
    }
    const init = await kehu(['init', '--db', via.toString()], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD });
    assert.equal(init.code, 0, init.stderr);
    srv = await startServer({ db: via.toString(), args: ['--threads', '4'] });
    const token = await srv.login();
    // Many requests at once over 4 workers and 3 server connections: each
    // transaction lands wherever pgbouncer puts it.
    const made = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      srv.call('POST', '/api/v1/contacts', { token, json: { name: `经由连接池 ${i}`, email: `pool${i}@example.com` } })));
    assert.ok(made.every((r) => r.status === 201), JSON.stringify(made.find((r) => r.status !== 201)?.body));
    const pages = await Promise.all(Array.from({ length: 20 }, () => srv.call('GET', '/api/v1/contacts?limit=10', { token })));
    assert.ok(pages.every((r) => r.status === 200 && r.body.data.length === 10));
    const hits = await srv.call('GET', `/api/v1/search?q=${encodeURIComponent('连接')}`, { token });
    assert.ok(hits.body.data.length >= 20, 'search through the pool');
    const id = made[0].body.id;
    assert.equal((await srv.call('PATCH', `/api/v1/contacts/${id}`, { token, json: { city: '杭州' }, headers: { 'if-match': '"1"' } })).status, 200);
    assert.equal((await srv.call('PATCH', `/api/v1/contacts/${id}`, { token, json: { city: '上海' }, headers: { 'if-match': '"1"' } })).status, 409);

    // Background work and live events need no session either: the worker leads
    // by the lease row (no session lock on a pooled connection), the event tail
    // polls (no LISTEN), and an owner still hears of a change by someone else.
    const metrics = (await srv.call('GET', '/metrics', { token })).body;
    assert.match(metrics, /^kehu_background_leader 1$/m);
    const rep = await srv.call('POST', '/api/v1/users', { token, json: { username: 'rep', role: 'sales_rep', password: 'Quiet-Lake-8841' } });
    assert.equal(rep.status, 201, JSON.stringify(rep.body));
    const mine = await srv.call('POST', '/api/v1/contacts', { token, json: { name: 'Watched through the pool', owner_id: rep.body.id } });
    const s = openStream(srv.url, await srv.login('rep', 'Quiet-Lake-8841'));
    await s.ready;
    await srv.call('PATCH', `/api/v1/contacts/${mine.body.id}`, { token, json: { title: 'Changed by admin' } });
    const ev = await s.next((e) => e.event === 'record_changed' && e.data.id === mine.body.id && e.data.action === 'update');
    assert.equal(ev.data.entity, 'contacts');
    s.close();
    const psql = (q) => execFileSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-A', '-t', '-d', db, '-c', q]).toString().trim();
    assert.equal(psql("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND locktype = 'advisory' AND objid = 2 AND objsubid = 1"), '0', 'no session lock');
    assert.equal(psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'"), '0', 'no LISTEN');
    assert.match((await srv.call('GET', '/metrics', { token })).body, /^kehu_event_notifications_total 0$/m);
    assert.doesNotMatch(srv.stderr, /prepared statement|does not exist|ERROR/);
  } finally {
    if (srv) await srv.stop();
    bouncer.kill('SIGTERM');
    await new Promise((r) => bouncer.on('exit', r));
    await rm(dir, { recursive: true, force: true });
    dropDatabase(db);
  }
});
