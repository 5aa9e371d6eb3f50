// The command line on PostgreSQL: init, a second init, a database that is not
// Kehu's, an empty one, a server that is not there. Each answer is the one the
// SQLite file gets in the same situation, with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { kehu, KEHU_BIN } from '../api/lib/server.mjs';
import { createDatabase, dropDatabase } from '../api/lib/pg.mjs';

const psql = (uri, q) =>
  execFileSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-A', '-t', '-d', uri, '-c', q]).toString().trim();

test('init, init again, someone else\'s database, an empty one, no server', async () => {
  const db = createDatabase();
  const other = createDatabase();
  try {
    const empty = await kehu(['serve', '--db', db, '--listen', '127.0.0.1:0']);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /empty, not a Kehu database \(create it with `kehu init`\)/);

    const first = await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: 'first-Password-1' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Log in as admin/);
    assert.doesNotMatch(first.stderr, /WARN|ERROR/, 'a fresh database is no cause for alarm');
    assert.equal(psql(db, 'SELECT count(*) FROM users'), '1');

    const again = await kehu(['init', '--db', db]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already a Kehu database; nothing done/);

    psql(other, 'CREATE TABLE invoices (n int)');
    const foreign = await kehu(['init', '--db', other]);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /tables of another application; Kehu will not touch it/);
    assert.equal(psql(other, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), '1', 'left as it was');

    // A password in the URI never reaches the output.
    const secret = new URL(other);
    secret.password = 's3cret-pw';
    const refused = await kehu(['init', '--db', secret.toString()]);
    assert.match(refused.stderr, /another application/);
    assert.doesNotMatch(refused.stderr + refused.stdout, /s3cret-pw/);
    const withPw = new URL(db);
    withPw.password = 's3cret-pw';
    const proc = spawn(KEHU_BIN, ['serve', '--db', withPw.toString(), '--listen', '127.0.0.1:0', '--threads', '1']);
    let out = '';
    await new Promise((ok, fail) => {
      proc.stdout.on('data', (d) => { out += d; if (/serving/.test(out)) ok(); });
      proc.on('exit', () => fail(new Error(`kehu serve exited: ${out}`)));
    });
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('exit', r));
    assert.match(out, /database postgresql:\/\/kehu:\*\*\*@/);
    assert.doesNotMatch(out, /s3cret-pw/);

    const none = await kehu(['serve', '--db', 'postgresql://kehu@127.0.0.1:1/kehu?connect_timeout=2', '--listen', '127.0.0.1:0']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /cannot connect to PostgreSQL/);
  } finally {
    dropDatabase(db);
    dropDatabase(other);
  }
});
