// Background work on PostgreSQL moves between servers by the advisory lock
// its worker holds, not only when a server dies: a server whose database
// connection breaks stops at once and another takes over; when that one dies
// the first takes over again, and picks up what the dead one left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, kehu, ADMIN_PASSWORD } from '../api/lib/server.mjs';
import { createDatabase, dropDatabase } from '../api/lib/pg.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const leads = async (srv, token) =>
  Number((await srv.call('GET', '/metrics', { token })).body.match(/^kehu_background_leader (\d)$/m)[1]);

test('the worker lock passes over on a broken connection and back on a death, with the orphaned job', async () => {
  const db = createDatabase();
  const psql = (q) => execFileSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-A', '-t', '-d', db, '-c', q]).toString().trim();
  const worker = "FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() " +
    "AND l.locktype = 'advisory' AND l.objid = 2 AND l.objsubid = 1 AND l.granted";
  let a, b;
  try {
    assert.equal((await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD })).code, 0);
    a = await startServer({ db });
    const token = await a.login();
    await until('the first server to lead', async () => (await leads(a, token)) === 1);
    b = await startServer({ db });
    assert.equal(await leads(b, token), 0, 'the second waits');

    // The leader's worker connection is ended by the database (a failover of
    // the network, an administrator's pg_terminate_backend): it stops leading
    // and the other server takes over, though both processes live on.
    assert.equal(psql(`SELECT count(*) FROM (SELECT pg_terminate_backend(l.pid) ${worker}) t`), '1');
    await until('the second server to take over', async () => (await leads(b, token)) === 1 && (await leads(a, token)) === 0);
    assert.equal(psql(`SELECT count(*) ${worker}`), '1', 'one holder');
    assert.match(a.stderr, /background-work lock/, 'the first server says it lost the lock');

    // A job the second server "was running" when it dies.
    psql(`INSERT INTO kh_jobs (kind, status, run_at, payload, attempts, holder, created_at, started_at)
          VALUES ('core.prune', 'running', '2000-01-01T00:00:00.000Z', '{}', 1, 'lock:gone:1:1',
                  '2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z')`);
    b.proc.kill('SIGKILL');
    await b.exited;
    await until('the first server to lead again', async () => (await leads(a, token)) === 1);
    // It led before, yet the job left running is an orphan now: core.prune may
    // repeat, so it runs again and is done.
    await until('the orphaned job to be run again', () =>
      psql("SELECT status FROM kh_jobs WHERE holder <> 'lock:gone:1:1' AND started_at > '2000-01-01T00:00:00.000Z' AND kind = 'core.prune' AND created_at = '2000-01-01T00:00:00.000Z'") === 'done');
    assert.equal(psql("SELECT count(*) FROM kh_jobs WHERE status = 'running'"), '0');
  } finally {
    if (a) await a.stop();
    if (b) await b.stop().catch(() => {}); // killed: only its files are left to remove
    dropDatabase(db);
  }
});
