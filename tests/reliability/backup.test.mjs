// Backup and restore through the CLI: `kehu backup` of a server's database
// while four clients write is one consistent snapshot that passes
// integrity_check; `kehu restore` refuses a database a server has open, a
// damaged backup and a file that is not a backup, and otherwise brings the
// snapshot back, on which a server answers the API as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, kehu, ADMIN_PASSWORD } from '../api/lib/server.mjs';
import { createDatabase, dropDatabase } from '../api/lib/pg.mjs';
import { ensureTmp, newLedger, startWriters, tagOf, integrity, sleep } from './lib.mjs';

const execFileP = promisify(execFile);

async function sql(db, query) {
  const { stdout } = await execFileP('sqlite3', ['-json', db, query], { maxBuffer: 64 << 20 });
  return stdout.trim() ? JSON.parse(stdout) : [];
}

const state = (ledger) => new Map([...ledger.records].map(([id, r]) => [id, { tag: r.tag, version: r.version }]));

test('kehu backup during writes is a consistent snapshot; kehu restore brings it back and the API works on it', async (t) => {
  const dir = await mkdtemp(join(await ensureTmp(), 'kehu-backup-'));
  const backup = join(dir, 'backup.db'), restored = join(dir, 'restored.db');
  let srv = await startServer({ customers: 2000 }), srv2;
  try {
    const token = await srv.login();
    const ledger = newLedger();
    const writers = startWriters(srv, token, ledger, { count: 4 });
    while (ledger.acked.creates < 30) await sleep(20);

    const before = state(ledger);
    const b = await kehu(['backup', '--db', srv.db, '--to', backup]);
    const after = state(ledger);
    await sleep(100); // writes go on after the backup too
    await writers.stop();
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /-> .*backup\.db \([0-9.]+ MB\)/);
    assert.equal(b.stderr, '', 'no progress bar when standard error is not a terminal');
    assert.deepEqual(ledger.failures, [], 'the writers were never refused');
    assert.ok(ledger.acked.creates + ledger.acked.updates > after.size, 'writes went on during the backup');

    // One snapshot: whole records, everything acknowledged before the backup
    // began, nothing newer than what was written by the time it ended.
    assert.equal(await integrity(backup), 'ok');
    assert.deepEqual(await sql(backup, "INSERT INTO kh_search(kh_search) VALUES ('integrity-check'); SELECT 1 AS ok"), [{ ok: 1 }],
      'the search index matches the records');
    const [mode] = await sql(backup, 'PRAGMA journal_mode');
    assert.equal(mode.journal_mode, 'delete', 'a backup is one self-contained file');
    const rows = await sql(backup, "SELECT id, name, title, department, description, version FROM contacts WHERE name LIKE 'n%.%'");
    const inBackup = new Map(rows.map((r) => [r.id, r]));
    for (const r of rows) assert.ok(tagOf(r), `contact ${r.id} is whole in the backup`);
    for (const [id, want] of before) {
      assert.ok(inBackup.has(id), `contact ${id}, acknowledged before the backup, is in it`);
      assert.ok(inBackup.get(id).version >= want.version, `contact ${id} is at least as new as when the backup began`);
    }
    for (const r of rows) {
      const end = after.get(r.id);
      // A write in flight as the backup ended may be in it without its answer having arrived yet.
      assert.ok(!end || r.version <= end.version + 1, `contact ${r.id} is no newer than the writes at the end`);
    }
    const [{ n: demo }] = await sql(backup, "SELECT count(*) AS n FROM contacts WHERE name NOT LIKE 'n%.%'");
    assert.equal(demo, 2000, 'the demo contacts are all there');

    // Restore: never over a database a server has open.
    const busy = await kehu(['restore', '--from', backup, '--db', srv.db]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /in use \(by a running kehu serve\?\)/);

    // Nor from a damaged backup or from a file that is not one; the target stays as it was.
    const r1 = await kehu(['restore', '--from', backup, '--db', restored]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, /backup\.db -> .*restored\.db/);
    const damaged = join(dir, 'damaged.db');
    await copyFile(backup, damaged);
    const f = await open(damaged, 'r+');
    const size = (await stat(damaged)).size;
    await f.write(Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(size / 4096 / 2) * 4096); // a page of garbage
    await f.close();
    const r2 = await kehu(['restore', '--from', damaged, '--db', restored]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /fails its integrity check|malformed|not a database/);
    await writeFile(join(dir, 'notes.txt'), 'not a database, but a person\'s notes\n'.repeat(200));
    const r3 = await kehu(['restore', '--from', join(dir, 'notes.txt'), '--db', restored]);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /not a database/);
    const r4 = await kehu(['restore', '--from', join(dir, 'missing.db'), '--db', join(dir, 'new.db')]);
    assert.equal(r4.code, 1);
    await assert.rejects(stat(join(dir, 'new.db')), 'a failed restore leaves no new database behind');
    assert.equal(await integrity(restored), 'ok');
    const [{ n: total }] = await sql(restored, 'SELECT count(*) AS n FROM contacts');
    assert.equal(total, 2000 + rows.length, 'the refused restores changed nothing');

    // The restored copy serves the API: the same records, search, the 360
    // view, and new writes.
    await srv.stop();
    srv = null;
    srv2 = await startServer({ db: restored });
    const t2 = await srv2.login();
    for (const r of rows.slice(0, 50)) {
      const got = await srv2.call('GET', `/api/v1/contacts/${r.id}`, { token: t2 });
      assert.equal(got.status, 200);
      assert.equal(got.body.description, r.description);
      assert.equal(got.body.version, r.version);
    }
    const list = await srv2.call('GET', '/api/v1/contacts?limit=10&count=1', { token: t2 });
    assert.equal(list.body.total, total);
    const some = (await srv2.call('GET', '/api/v1/contacts/1', { token: t2 })).body;
    const found = await srv2.call('GET', `/api/v1/search?q=${encodeURIComponent(some.name)}`, { token: t2 });
    assert.equal(found.status, 200);
    assert.ok(JSON.stringify(found.body).includes(`"id":1,`), `search finds ${some.name} in the restored copy`);
    assert.equal((await srv2.call('GET', '/api/v1/contacts/1/summary', { token: t2 })).status, 200);
    const c = await srv2.call('POST', '/api/v1/contacts', { token: t2, json: { name: '恢复后新建' } });
    assert.equal(c.status, 201);
    const p = await srv2.call('PATCH', `/api/v1/contacts/${c.body.id}`,
      { token: t2, json: { title: '经理' }, headers: { 'if-match': '"1"' } });
    assert.equal(p.status, 200);
    assert.equal((await srv2.call('DELETE', `/api/v1/contacts/${c.body.id}`, { token: t2 })).status, 204);
    t.diagnostic(`backup: ${b.stdout.trim()} while 4 clients wrote (${before.size} of our records acknowledged ` +
      `when it began, ${rows.length} in the backup, ${ledger.records.size} at the end); integrity_check ok; ` +
      `restore refused a server's open database, a damaged backup and a non-database`);
  } finally {
    if (srv) await srv.stop();
    if (srv2) await srv2.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('kehu backup: clear errors for a missing database and for a destination that is not a backup', async () => {
  const dir = await mkdtemp(join(await ensureTmp(), 'kehu-backup-'));
  try {
    const missing = await kehu(['backup', '--db', join(dir, 'none.db'), '--to', join(dir, 'b.db')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such database/);
    const init = await kehu(['init', '--db', join(dir, 'a.db')], { KEHU_ADMIN_PASSWORD: 'test-password-1' });
    assert.equal(init.code, 0, init.stderr);
    await writeFile(join(dir, 'keep.txt'), 'precious\n'.repeat(1000));
    const wrong = await kehu(['backup', '--db', join(dir, 'a.db'), '--to', join(dir, 'keep.txt')]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /not a database/);
    const usage = await kehu(['backup', '--db', join(dir, 'a.db')]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--to is required/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('on PostgreSQL, kehu backup and kehu restore point to pg_dump and pg_restore, and print no URI', async (t) => {
  if (!existsSync(`${process.env.KEHU_PGBIN ?? '/usr/lib/postgresql/15/bin'}/initdb`)) return t.skip('no PostgreSQL server here');
  const dir = await mkdtemp(join(await ensureTmp(), 'kehu-backup-'));
  const uri = createDatabase(); // a private cluster, started on first use
  try {
    const init = await kehu(['init', '--db', uri], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD });
    assert.equal(init.code, 0, init.stderr);
    const b = await kehu(['backup', '--db', uri, '--to', join(dir, 'b.db')]);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /backed up with its own tools: pg_dump/);
    assert.ok(!b.stderr.includes(uri), 'a URI may carry a password');
    await assert.rejects(stat(join(dir, 'b.db')), 'no file was made');
    const r = await kehu(['restore', '--from', join(dir, 'b.db'), '--db', uri]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pg_restore.*kehu migrate-data/);
  } finally {
    dropDatabase(uri);
    await rm(dir, { recursive: true, force: true });
  }
});
