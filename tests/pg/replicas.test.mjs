// kehu serve --read-db: reads go to a streaming replica, a user who has just
// written reads from the primary (read your own writes), and a replica that
// goes away costs no request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, kehu, ADMIN_PASSWORD } from '../api/lib/server.mjs';
import { createDatabase, dropDatabase, startReplica, stopReplica, onServer } from '../api/lib/pg.mjs';

const psql = (uri, q) =>
  execFileSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-A', '-t', '-d', uri, '-c', q]).toString().trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn) {
  for (let i = 0; i < 200; i++) {
    if (await fn()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('reads go to the replica, a writer reads its own writes, a lost replica is not noticed', async () => {
  const replicaServer = startReplica();
  const db = createDatabase();
  const replicaDb = onServer(db, replicaServer);
  let srv;
  try {
    assert.equal((await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD })).code, 0);
    await until('the schema on the replica', () => {
      try { return psql(replicaDb, 'SELECT count(*) FROM users') === '1'; } catch { return false; }
    });
    srv = await startServer({ db, args: ['--read-db', replicaDb, '--threads', '2'] });
    const admin = await srv.login();
    const mk = await srv.call('POST', '/api/v1/users', { token: admin, json: { username: 'reader', role: 'admin', password: 'Quiet-Lake-8841' } });
    assert.equal(mk.status, 201, JSON.stringify(mk.body));
    const reader = await srv.login('reader', 'Quiet-Lake-8841');

    // Hold the replica back: what is written now reaches only the primary.
    psql(replicaDb, 'SELECT pg_wal_replay_pause()');
    const c = await srv.call('POST', '/api/v1/contacts', { token: admin, json: { name: 'Replica Probe' } });
    assert.equal(c.status, 201);
    const find = (token) => srv.call('GET', '/api/v1/contacts?name=Replica%20Probe', { token });
    assert.equal((await find(admin)).body.data.length, 1, 'the writer sees its write at once (primary)');
    assert.equal((await srv.call('GET', `/api/v1/contacts/${c.body.id}`, { token: admin })).status, 200);
    assert.equal((await find(reader)).body.data.length, 0, 'another user reads the replica, which is behind');
    assert.equal((await srv.call('GET', `/api/v1/contacts/${c.body.id}`, { token: reader })).status, 404);
    psql(replicaDb, 'SELECT pg_wal_replay_resume()');
    await until('the replica to catch up', async () => (await find(reader)).body.data.length === 1);

    // The replica goes away: reads are answered from the primary, without errors.
    stopReplica();
    for (let i = 0; i < 6; i++) {
      const r = await find(reader);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.data.length, 1);
    }
    assert.match(srv.stderr, /read replica 1 failed/);
  } finally {
    if (srv) await srv.stop();
    stopReplica();
    dropDatabase(db);
  }
});

test('--read-db takes only PostgreSQL URIs, and --print-config hides their passwords', async () => {
  const bad = await kehu(['serve', '--db', 'postgresql://k@127.0.0.1:1/x', '--read-db', 'replica.db', '--listen', '127.0.0.1:0']);
  assert.notEqual(bad.code, 0);
  const pc = await kehu(['serve', '--db', 'x.db', '--read-db', 'postgresql://k:s3cret@r1/k,postgresql://k:other@r2,r3/k', '--print-config']);
  assert.equal(pc.code, 0);
  assert.match(pc.stdout, /read_db\s+= postgresql:\/\/k:\*\*\*@r1\/k,postgresql:\/\/k:\*\*\*@r2,r3\/k/);
});
