// kehu migrate-data through its CLI and the API: a company on SQLite moves to
// PostgreSQL and its records, search and ids carry on there; bad targets and
// bad data are refused with a clear message and nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { startServer, kehu } from '../api/lib/server.mjs';
import { createDatabase, dropDatabase } from '../api/lib/pg.mjs';

const psql = (uri, q) =>
  execFileSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-A', '-t', '-d', uri, '-c', q]).toString().trim();

async function pages(srv, token, path) {
  const out = [];
  let cursor = null;
  do {
    const r = await srv.call('GET', `${path}${path.includes('?') ? '&' : '?'}limit=500${cursor ? `&cursor=${cursor}` : ''}`, { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.data);
    cursor = r.body.next_cursor;
  } while (cursor);
  return out;
}

test('an SQLite company moves to PostgreSQL: same records, same answers, search and ids carry on', async () => {
  const lite = await startServer({ customers: 300 });
  const token = await lite.login();
  const made = await lite.call('POST', '/api/v1/contacts', { token, json: { name: '张三丰', email: 'sanfeng@wudang.cn' } });
  assert.equal(made.status, 201);
  await lite.call('PATCH', `/api/v1/contacts/${made.body.id}`, { token, json: { city: '十堰' }, headers: { 'if-match': '"1"' } });
  const before = {};
  for (const p of ['/api/v1/contacts?sort=name', '/api/v1/orders?sort=-order_date', '/api/v1/opportunities?sort=-amount']) {
    before[p] = await pages(lite, token, p);
  }
  const agg = (await lite.call('GET', '/api/v1/orders/aggregate?group=order_date:month&measures=count,sum:total_amount', { token })).body;
  const dbfile = lite.db;
  lite.proc.kill('SIGTERM');
  await lite.exited;

  const target = createDatabase();
  try {
    const r = await kehu(['migrate-data', '--from', dbfile, '--to', target]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /every table's row count and checksum match/);

    const pg = await startServer({ db: target });
    try {
      const t2 = await pg.login();
      for (const [p, rows] of Object.entries(before)) {
        assert.deepEqual(await pages(pg, t2, p), rows, `${p} is the same on PostgreSQL`);
      }
      const agg2 = (await pg.call('GET', '/api/v1/orders/aggregate?group=order_date:month&measures=count,sum:total_amount', { token: t2 })).body;
      assert.deepEqual(agg2, agg);
      const hits = (await pg.call('GET', `/api/v1/search?q=${encodeURIComponent('三丰')}`, { token: t2 })).body.data;
      assert.ok(hits.some((h) => h.id === made.body.id), 'the search index came along');
      const next = await pg.call('POST', '/api/v1/contacts', { token: t2, json: { name: 'After the move' } });
      assert.equal(next.status, 201);
      assert.ok(next.body.id > made.body.id, 'new ids follow the copied ones');
      const hist = await pg.call('GET', `/api/v1/contacts/${made.body.id}`, { token: t2 });
      assert.equal(hist.body.city, '十堰');
      assert.equal(hist.body.version, 2);
    } finally {
      await pg.stop();
    }

    // A target that already holds data is refused and left alone.
    const users = psql(target, 'SELECT count(*) FROM users');
    const again = await kehu(['migrate-data', '--from', dbfile, '--to', target]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds Kehu data/);
    assert.equal(psql(target, 'SELECT count(*) FROM users'), users);
  } finally {
    dropDatabase(target);
    await rm(lite.dir, { recursive: true, force: true });
  }
});

test('data PostgreSQL cannot take stops the copy with the table named, and the target stays empty', async () => {
  const lite = await startServer();
  const dbfile = lite.db;
  lite.proc.kill('SIGTERM');
  await lite.exited;
  // SQLite takes text in an integer column; PostgreSQL does not.
  execFileSync('/usr/bin/sqlite3', [dbfile, "INSERT INTO kh_counters (name, value) VALUES ('x', 'not a number')"]);
  const target = createDatabase();
  try {
    const r = await kehu(['migrate-data', '--from', dbfile, '--to', target]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /kh_counters: .*invalid input syntax/);
    assert.match(r.stderr, /the target was left as it was/);
    assert.equal(psql(target, 'SELECT count(*) FROM users'), '0');
  } finally {
    dropDatabase(target);
  }
  assert.equal((await kehu(['migrate-data', '--from', dbfile, '--to', dbfile])).code, 2, 'the target must be PostgreSQL');
  assert.equal((await kehu(['migrate-data', '--to', 'postgresql://x/y'])).code, 2, '--from is required');
  await rm(lite.dir, { recursive: true, force: true });
});
