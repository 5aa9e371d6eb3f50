// Kehu on several machines, on loopback: a PostgreSQL primary and a streaming
// replica, two `kehu serve` processes (reads to the replica) behind haproxy
// (Debian's package), as a company would run it. Under a bounded load of
// writes and reads one server is killed with SIGKILL and started again:
//   - no acknowledged write is lost, and no request gets a 5xx except those in
//     flight on the killed process (at most one per client);
//   - background work runs on exactly one server at a time (PostgreSQL
//     advisory lock), moves to the survivor when its server dies, and applies
//     each change once (an automation rule, checked per record);
//   - a live event made on one server reaches a browser connected to the
//     other (LISTEN/NOTIFY).
// The figures are printed as test diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startServer, kehu, ADMIN_PASSWORD } from '../api/lib/server.mjs';
import { createDatabase, dropDatabase, startReplica, stopReplica, onServer } from '../api/lib/pg.mjs';
import { openStream } from '../api/telephony_sse.mjs';

const HAPROXY = '/usr/sbin/haproxy';
const WRITERS = 4;
const READERS = 2;
const PASSWORD = 'Quiet-Lake-8841';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});
const psql = (uri, q) =>
  execFileSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-A', '-t', '-d', uri, '-c', q]).toString().trim();
async function until(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The server's kehu_background_leader gauge (1 if it runs background work). */
async function leads(srv, token) {
  const r = await srv.call('GET', '/metrics', { token });
  const m = typeof r.body === 'string' && r.body.match(/^kehu_background_leader (\d)$/m);
  return m ? Number(m[1]) : NaN;
}
async function notifications(srv, token) {
  const r = await srv.call('GET', '/metrics', { token });
  return Number(r.body.match(/^kehu_event_notifications_total (\d+)$/m)[1]);
}

test('two servers behind haproxy on a primary and a replica: one killed under load', { skip: !existsSync(HAPROXY) && 'skipped: no haproxy (apt-get install haproxy)', timeout: 240000 }, async (t) => {
  const replicaServer = startReplica();
  const db = createDatabase();
  const replicaDb = onServer(db, replicaServer);
  const dir = await mkdtemp(join(tmpdir(), 'kehu-haproxy-'));
  const servers = {};
  let lb, killed;
  try {
    assert.equal((await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD })).code, 0);
    await until('the schema on the replica', () => {
      try { return psql(replicaDb, 'SELECT count(*) FROM users') === '1'; } catch { return false; }
    });
    const ports = { a: await freePort(), b: await freePort() };
    const front = await freePort();
    const start = (name) => startServer({ db, args: ['--listen', `127.0.0.1:${ports[name]}`, '--read-db', replicaDb] });
    servers.a = await start('a');
    servers.b = await start('b');

    await writeFile(join(dir, 'haproxy.cfg'), `global
  maxconn 500
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch 1
frontend kehu
  bind 127.0.0.1:${front}
  default_backend servers
backend servers
  balance roundrobin
  # A new server connection per request: a pooled one to the killed server
  # would fail requests sent after the kill (haproxy closes the client's
  # connection then, for the client to retry), not only those in flight.
  http-reuse never
  option httpchk GET /healthz
  http-check expect status 200
  default-server inter 250ms fall 2 rise 2
  server a 127.0.0.1:${ports.a} check
  server b 127.0.0.1:${ports.b} check
`);
    lb = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'ignore'] });
    const base = `http://127.0.0.1:${front}`;
    const call = async (method, path, { token, json } = {}) => {
      const headers = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (json !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(base + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
      const text = await res.text();
      let body = text;
      try { body = JSON.parse(text); } catch { /* not JSON */ }
      return { status: res.status, body };
    };
    await until('haproxy to see both servers', async () => {
      try { return (await call('GET', '/healthz')).status === 200; } catch { return false; }
    });

    // Through the balancer: users, a rule, the telephony set-up.
    const login = async (username, password) => (await call('POST', '/api/v1/auth/login', { json: { username, password } })).body.token;
    const admin = await login('admin', ADMIN_PASSWORD);
    const ok = async (p, status = 201) => { const r = await p; assert.equal(r.status, status, JSON.stringify(r.body)); return r.body; };
    await ok(call('POST', '/api/v1/users', { token: admin, json: { username: 'reader', role: 'admin', password: PASSWORD } }));
    const agentUser = await ok(call('POST', '/api/v1/users', { token: admin, json: { username: 'agent1', role: 'service_agent', password: PASSWORD } }));
    await ok(call('POST', '/api/v1/agents', { token: admin, json: { user_id: agentUser.id, extension: '8001', skills: ['after_sales'] } }));
    const pbx = (await ok(call('POST', '/api/v1/api-keys', { token: admin, json: { name: 'PBX', role: 'service_agent' } }))).key;
    const rule = await ok(call('POST', '/api/v1/rules', { token: admin, json: { name: 'WeChat leads are hot', entity: 'leads', trigger: 'created', conditions: { all: [{ field: 'source', op: 'eq', value: 'wechat' }] }, actions: { set: { rating: 'hot' } } } }));
    const reader = await login('reader', PASSWORD);
    const agent = await login('agent1', PASSWORD);

    // Exactly one server runs background work.
    const leaderNow = async () => [await leads(servers.a, admin), await leads(servers.b, admin)];
    await until('one leader', async () => (await leaderNow()).reduce((x, y) => x + y, 0) === 1);
    const [la] = await leaderNow();
    const leader = la ? 'a' : 'b';
    const other = la ? 'b' : 'a';
    assert.equal(psql(db, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND locktype = 'advisory' AND objid = 2 AND objsubid = 1 AND granted"), '1', 'one server holds the worker lock');

    // A screen pop made on one server reaches the agent's browser on the other,
    // both ways, announced by a notification.
    let calls = 0;
    const popLatency = [];
    for (const [from, to] of [['a', 'b'], ['b', 'a']]) {
      const before = await notifications(servers[to], admin);
      const s = openStream(servers[to].url, agent);
      await s.ready;
      const id = `call-${++calls}`;
      const sent = Date.now();
      const r = await servers[from].call('POST', '/api/v1/telephony/events', { token: pbx, json: { event: 'ringing', call_id: id, from: '13800000000', agent: '8001' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const pop = await s.next((e) => e.event === 'screen_pop' && e.data.call_id === id);
      popLatency.push(Date.now() - sent);
      assert.equal(pop.data.number, '13800000000');
      s.close();
      assert.ok(await notifications(servers[to], admin) > before, `server ${to} was told of the event by PostgreSQL`);
    }

    // The load: writers create leads the rule acts on; readers list them (the replica).
    const acked = [];
    const statuses = {};
    let stop = false, clientErrors = 0, reads = 0;
    const errorKinds = new Set();
    const count = (s) => { statuses[s] = (statuses[s] ?? 0) + 1; };
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await call('POST', '/api/v1/leads', { token: admin, json: { name: `load ${w}-${i}`, source: 'wechat' } });
          count(r.status);
          if (r.status === 201) acked.push(r.body.id);
        } catch (e) { clientErrors++; errorKinds.add(String(e.cause?.code ?? e.cause ?? e)); await sleep(20); }
      }
    });
    const readers = Array.from({ length: READERS }, async () => {
      while (!stop) {
        try {
          const r = await call('GET', '/api/v1/leads?limit=20', { token: reader });
          count(r.status);
          if (r.status === 200) reads++;
        } catch (e) { clientErrors++; errorKinds.add(String(e.cause?.code ?? e.cause ?? e)); await sleep(20); }
      }
    });
    await until('writes under way', () => acked.length >= 20);
    const ackedBeforeKill = acked.length;
    const killedAt = Date.now();
    killed = servers[leader];
    killed.proc.kill('SIGKILL');
    await killed.exited;
    await until('the survivor to take the background work', async () => (await leads(servers[other], admin)) === 1);
    const failoverMs = Date.now() - killedAt;
    await until('writes on the survivor', () => acked.length >= ackedBeforeKill + 40);
    servers[leader] = await start(leader);
    const ackedBeforeStop = acked.length;
    await until('writes after the restart', () => acked.length >= ackedBeforeStop + 20);
    stop = true;
    await Promise.all([...writers, ...readers]);

    const failed = Object.entries(statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0);
    t.diagnostic(`writes acknowledged ${acked.length}, reads ${reads}, answers by status ${JSON.stringify(statuses)}, ` +
      `5xx ${failed}, client errors ${clientErrors} ${[...errorKinds]}, background work back ${failoverMs} ms after the kill, ` +
      `screen pop across servers ${popLatency.join(', ')} ms`);
    // A request in flight on the killed server gets a 502, or its connection
    // closed (haproxy's way of letting a client retry): one per client at most.
    assert.ok(failed + clientErrors <= WRITERS + READERS, `failures only for requests in flight on the killed server: ${JSON.stringify(statuses)}, ${clientErrors} closed`);
    assert.equal(statuses[500] ?? 0, 0, 'no server error');
    const notOk = Object.keys(statuses).filter((s) => !['200', '201', '502', '503', '504'].includes(s));
    assert.deepEqual(notOk, [], JSON.stringify(statuses));

    // No acknowledged write lost (on the primary).
    const ids = acked.join(',');
    assert.equal(psql(db, `SELECT count(*) FROM leads WHERE id IN (${ids})`), String(acked.length));
    // The rule ran for every lead, the ones made after the kill included (on
    // the survivor), and once for each.
    await until('the rule on every lead', () => psql(db, `SELECT count(*) FROM leads WHERE id IN (${ids}) AND rating = 'hot'`) === String(acked.length), 30000);
    const runs = psql(db, `SELECT count(*), count(DISTINCT record_id) FROM kh_rule_runs WHERE rule_id = ${rule.id}`).split('|');
    assert.equal(runs[0], runs[1], 'no lead was acted on twice');
    assert.ok(Number(runs[1]) >= acked.length);
    // The restarted server waits: one leader still.
    await until('one leader after the restart', async () => (await leaderNow()).reduce((x, y) => x + y, 0) === 1);
    assert.equal(await leads(servers[other], admin), 1, 'the survivor keeps the background work');
  } finally {
    // The servers that were not killed must stop cleanly (exit 0, no
    // sanitizer report); the rest is cleaned up whatever happens.
    let unclean;
    for (const s of Object.values(servers)) await s.stop().catch((e) => { unclean ??= e; });
    if (killed) await killed.stop().catch(() => {}); // exits by SIGKILL: only its files
    if (lb) { lb.kill('SIGTERM'); await new Promise((r) => lb.once('exit', r)); }
    stopReplica();
    dropDatabase(db);
    await rm(dir, { recursive: true, force: true });
    if (unclean) throw unclean;
  }
});
