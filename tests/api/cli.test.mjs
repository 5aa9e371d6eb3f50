// The command line: version, help, bad arguments, init's refusals, demo data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { kehu } from './lib/server.mjs';

async function tempdir() {
  return mkdtemp(join(tmpdir(), 'kehu-cli-'));
}

test('kehu version prints the version', async () => {
  const r = await kehu(['version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^kehu \d+\.\d+\.\d+ \(schema \d+, sqlite 3\.\d+\.\d+\)\n$/);
});

test('every subcommand has --help; bad arguments give one line and exit 2', async () => {
  for (const cmd of ['init', 'serve', 'demo', 'version']) {
    const h = await kehu([cmd, '--help']);
    if (cmd === 'version') continue; // takes no arguments at all
    assert.equal(h.code, 0, cmd);
    assert.match(h.stdout, new RegExp(`^usage: kehu ${cmd} `), cmd);
  }
  const cases = [
    ['nonsense'],
    ['init'],
    ['init', '--db'],
    ['init', '--db', '/tmp/x.db', '--bogus'],
    ['serve', '--db', '/tmp/x.db', '--threads', 'many'],
    ['serve', '--db', '/tmp/x.db', '--threads', '0'],
    ['demo', '--db', '/tmp/x.db', '--customers', '-5'],
    ['version', 'extra'],
  ];
  for (const args of cases) {
    const r = await kehu(args, { KEHU_DB: '' });
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
  assert.equal((await kehu([])).code, 2);
});

test('init creates a database and an admin; a generated password is printed and works', async () => {
  const dir = await tempdir();
  try {
    const db = join(dir, 'new.db');
    const r = await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: '' });
    assert.equal(r.code, 0, r.stderr);
    const m = r.stdout.match(/password: (\S+)/);
    assert.ok(m, r.stdout);
    assert.ok(m[1].length >= 12);
    const again = await kehu(['init', '--db', db]);
    assert.equal(again.code, 1, 'an existing Kehu database is left alone');
    assert.match(again.stderr, /already a Kehu database/);
    const users = execFileSync('sqlite3', [db, 'SELECT username, role, length(password) > 50 FROM users']).toString();
    assert.equal(users.trim(), 'admin|admin|1');
    assert.doesNotMatch(execFileSync('sqlite3', [db, 'SELECT password FROM users']).toString(), new RegExp(m[1]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('init and serve refuse a file that is not a Kehu database, and leave it untouched', async () => {
  const dir = await tempdir();
  try {
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'my important notes\n');
    const r = await kehu(['init', '--db', text]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const other = join(dir, 'other.db');
    execFileSync('sqlite3', [other, 'CREATE TABLE mine (x); INSERT INTO mine VALUES (1);']);
    const r2 = await kehu(['init', '--db', other]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /another application/);
    assert.equal(execFileSync('sqlite3', [other, 'SELECT count(*) FROM sqlite_schema']).toString().trim(), '1');
    const s = await kehu(['serve', '--db', other, '--listen', '127.0.0.1:0']);
    assert.equal(s.code, 1);
    const missing = await kehu(['serve', '--db', join(dir, 'missing.db'), '--listen', '127.0.0.1:0']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /kehu init/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('serve applies migrations and refuses a database newer than itself', async () => {
  const dir = await tempdir();
  try {
    const db = join(dir, 'k.db');
    assert.equal((await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: 'pass-pass-1' })).code, 0);
    const [count, distinct, core] = execFileSync('sqlite3', [db, 'SELECT count(*), count(DISTINCT version), count(*) FILTER (WHERE version < 100) FROM kh_migrations']).toString().trim().split('|');
    assert.equal(count, distinct, 'every numbered migration is recorded once');
    assert.ok(Number(core) >= 6);
    execFileSync('sqlite3', [db, "INSERT INTO kh_migrations VALUES (999, 'from the future', 'x')"]);
    const r = await kehu(['serve', '--db', db, '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /migration 999, which this kehu does not know/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('serve --print-config shows flags over environment over defaults', async () => {
  const r = await kehu(['serve', '--db', 'x.db', '--threads', '3', '--print-config'], { KEHU_LISTEN: '127.0.0.1:9999', KEHU_THREADS: '7' });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /listen\s+= 127\.0\.0\.1:9999/);
  assert.match(r.stdout, /threads\s+= 3/);
  const pg = await kehu(['serve', '--db', 'postgresql://kehu:s3cret@db/kehu', '--print-config']);
  assert.doesNotMatch(pg.stdout, /s3cret/, 'secrets are hidden');
});

test('demo data is realistic and the same seed gives the same data', async () => {
  const dir = await tempdir();
  try {
    const a = join(dir, 'a.db'), b = join(dir, 'b.db');
    assert.equal((await kehu(['demo', '--db', a, '--customers', '300', '--seed', '7'])).code, 0);
    assert.equal((await kehu(['demo', '--db', b, '--customers', '300', '--seed', '7'])).code, 0);
    const q = (db, sql) => execFileSync('sqlite3', [db, sql]).toString().trim();
    // Timestamps differ (they are "now"); the generated content does not.
    const content = "SELECT group_concat(name || email || mobile || city, ',') FROM (SELECT * FROM contacts ORDER BY id)";
    assert.equal(q(a, content), q(b, content));
    assert.equal(q(a, 'SELECT count(*) FROM contacts'), '300');
    assert.equal(q(a, 'SELECT count(*) FROM accounts'), '30');
    assert.ok(Number(q(a, 'SELECT count(*) FROM orders')) > 150);
    // Chinese and English names, phones, cities; orders over three years with consistent totals.
    assert.ok(Number(q(a, "SELECT count(*) FROM contacts WHERE name GLOB '*[a-z]*'")) > 0);
    assert.ok(Number(q(a, "SELECT count(*) FROM contacts WHERE unicode(name) > 19968")) > 200);
    assert.equal(q(a, "SELECT count(*) FROM contacts WHERE mobile NOT GLOB '1[3-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"), '0');
    assert.ok(Number(q(a, 'SELECT julianday(max(order_date)) - julianday(min(order_date)) FROM orders')) > 700);
    assert.equal(q(a, 'SELECT count(*) FROM orders o WHERE total_amount <> (SELECT COALESCE(SUM(amount),0) FROM order_lines WHERE order_id = o.id)'), '0');
    assert.equal(q(a, "SELECT count(*) FROM opportunities WHERE (stage = 'closed_won') <> (status = 'won')"), '0');
    // Orders past shipping, or cancelled, have their lines locked, as their moves there would have done.
    const late = "status IN ('shipped', 'delivered', 'completed', 'cancelled')";
    assert.ok(Number(q(a, `SELECT count(*) FROM orders WHERE ${late}`)) > 100);
    assert.equal(q(a, `SELECT count(*) FROM orders WHERE (locked = 1) <> (${late})`), '0');
    assert.ok(Number(q(a, "SELECT count(DISTINCT stage) FROM opportunities")) >= 6);
    assert.ok(Number(q(a, "SELECT count(*) FROM cases WHERE type = 'complaint'")) > 0);
    assert.ok(Number(q(a, 'SELECT count(*) FROM activities')) >= 150);
    assert.equal(q(a, 'PRAGMA foreign_key_check'), '', 'every reference points at a record');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a demo too big for one search-index transaction indexes it in committed steps, completely', async () => {
  const dir = await tempdir();
  try {
    const a = join(dir, 'a.db'), b = join(dir, 'b.db');
    assert.equal((await kehu(['demo', '--db', a, '--customers', '2000', '--seed', '3'])).code, 0);
    // A step of 500 documents takes the stepwise path (about 5,700 documents: six steps and more).
    assert.equal((await kehu(['demo', '--db', b, '--customers', '2000', '--seed', '3'], { KEHU_SEARCH_STEP_DOCS: '500' })).code, 0);
    const q = (db, sql) => execFileSync('sqlite3', [db, sql]).toString().trim();
    for (const db of [a, b]) {
      assert.equal(q(db, 'SELECT count(*) FROM kh_search_bulk'), '0', 'nothing is left staged');
      q(db, "INSERT INTO kh_search (kh_search, rank) VALUES ('integrity-check', 1)"); // throws if the index is corrupt
    }
    const docs = q(a, 'SELECT count(*) FROM kh_search');
    assert.ok(Number(docs) > 5000);
    assert.equal(q(b, 'SELECT count(*) FROM kh_search'), docs);
    // The same documents, found by the same terms; the stepwise index has more segments.
    const found = (db) => q(db, "SELECT group_concat(rowid) FROM (SELECT rowid FROM kh_search WHERE kh_search MATCH '\"138\"' ORDER BY rowid)");
    assert.equal(found(b), found(a));
    assert.ok(found(a).length > 0);
    const segments = (db) => Number(q(db, 'SELECT count(*) FROM kh_search_data'));
    assert.ok(segments(b) > segments(a), 'the steps were not merged into one segment at the end');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
