// Analytics on a database with no purchases, then with a single one: every
// door (the API, `kehu analyze` over the database and over a CSV, the stored
// scores) answers with its documented error or an empty result, and nothing
// trips the sanitizers (srv.stop() fails on any report; an empty customer
// table once handed memcpy a null pointer).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, kehu } from './lib/server.mjs';

let srv, token;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const ANALYSES = ['rfm', 'abc', 'clv', 'churn', 'segments', 'baskets', 'lifecycle', 'profitability', 'cohorts', 'survival'];
const day = (d) => new Date(Date.now() - d * 86400e3).toISOString().slice(0, 10);

before(async () => {
  srv = await startServer();
  token = await srv.login();
});
after(async () => { await srv.stop(); });

// The newest refresh finished so far: a refresh asked for now finishes after
// it. (A clock a second back was not enough: on a fast machine the previous
// test's refresh finished less than a second earlier and was taken for this one.)
async function lastRefresh() {
  const r = await call('GET', '/api/v1/analytics/status');
  return r.body.refreshes.reduce((m, x) => (x.finished_at > m ? x.finished_at : m), '');
}

async function refreshed(since) {
  // The refresh is a job; wait for both entities' runs after `since`.
  for (let i = 0; i < 100; i++) {
    const r = await call('GET', '/api/v1/analytics/status');
    const runs = r.body.refreshes.filter((x) => x.finished_at > since);
    if (runs.length === 2) return runs;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('the refresh did not finish');
}

test('an empty database: each analysis is a 400 with the reason, the rest answer empty', async () => {
  for (const a of ANALYSES) {
    const r = await call('GET', `/api/v1/analytics/${a}`);
    assert.equal(r.status, 400, a);
    assert.equal(r.body.error.code, 'bad_request', a);
    assert.match(r.body.error.message, /no purchases/, a);
  }
  for (const fact of ['orders', 'opportunities']) {
    const c = await call('GET', `/api/v1/analytics/cube?fact=${fact}&dims=year,region&rollup=1`);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.facts, 0);
    assert.deepEqual(c.body.cells.filter((x) => x.count > 0), []);
  }
  const loyalty = await call('GET', '/api/v1/analytics/loyalty');
  assert.equal(loyalty.status, 200);
  assert.equal(loyalty.body.customers, 0);
  assert.deepEqual(loyalty.body.segments.map((s) => s.customers), [0, 0, 0, 0]);
  const sc = await call('GET', '/api/v1/analytics/scorecard');
  assert.equal(sc.status, 200);
  assert.equal(sc.body.perspectives.length, 4);
  const cap = await call('GET', '/api/v1/analytics/capability');
  assert.equal(cap.status, 200);
  assert.equal(cap.body.id, null);
  const rep = await call('GET', '/api/v1/analytics/report');
  assert.equal(rep.status, 409);
  assert.equal(rep.body.error.code, 'conflict');
});

test('an empty database: a refresh scores nobody and stores nothing', async () => {
  const since = await lastRefresh();
  const r = await call('POST', '/api/v1/analytics/refresh');
  assert.equal(r.status, 202);
  const runs = await refreshed(since);
  assert.deepEqual(runs.map((x) => [x.entity, x.customers]).sort(), [['accounts', 0], ['contacts', 0]]);
  assert.equal(sql('SELECT count(*) FROM kh_customer_scores'), '0');
  const rep = await call('GET', '/api/v1/analytics/report');
  assert.equal(rep.status, 409);
  assert.match(rep.body.error.message, /no customer has stored scores/);
});

test('an empty database from the command line: exit 1 with the reason, --all scores nobody', async () => {
  for (const a of ANALYSES) {
    const r = await kehu(['analyze', a, '--db', srv.db, '--json']);
    assert.equal(r.code, 1, a);
    assert.equal(r.stdout, '', a);
    assert.match(r.stderr, /no purchases/, a);
    assert.doesNotMatch(r.stderr, /runtime error|Sanitizer/, a);
  }
  const all = await kehu(['analyze', '--all', '--db', srv.db]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout + all.stderr, /Scored 0 contacts/);
  assert.doesNotMatch(all.stderr, /runtime error|Sanitizer/);
  const csv = join(srv.dir, 'header-only.csv');
  writeFileSync(csv, 'customer_id,date,amount\n');
  const r = await kehu(['analyze', 'rfm', '--csv', csv, '--json']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no row has a customer/);
  writeFileSync(csv, '');
  const e = await kehu(['analyze', 'clv', '--csv', csv, '--json']);
  assert.equal(e.code, 1, e.stderr);
});

test('one customer with one order: the models that need more say why, the rest score them', async () => {
  const c = await call('POST', '/api/v1/contacts', { json: { name: '独一客' } });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const p = await call('POST', '/api/v1/products', { json: { name: '茶', sku: 'TEA-1', unit_price: 1000, cost: 400 } });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  const o = await call('POST', '/api/v1/orders', { json: { contact_id: c.body.id, order_date: day(10), status: 'delivered' } });
  assert.equal(o.status, 201, JSON.stringify(o.body));
  const l = await call('POST', '/api/v1/order_lines', { json: { order_id: o.body.id, product_id: p.body.id, quantity: 2, unit_price: 1000 } });
  assert.equal(l.status, 201, JSON.stringify(l.body));

  const rfm = await call('GET', '/api/v1/analytics/rfm');
  assert.equal(rfm.status, 200, JSON.stringify(rfm.body));
  assert.equal(rfm.body.scored, 1);
  assert.deepEqual(rfm.body.customers.map((x) => [x.customer_id, x.recency, x.frequency, x.monetary]), [[c.body.id, 10, 1, 20]]);
  assert.equal(rfm.body.segments.reduce((s, x) => s + x.revenue, 0), 20);
  const abc = await call('GET', '/api/v1/analytics/abc');
  assert.equal(abc.status, 200);
  assert.deepEqual(abc.body.classes.map((x) => x.customers), [1, 0, 0]);
  const prof = await call('GET', '/api/v1/analytics/profitability');
  assert.equal(prof.status, 200);
  assert.deepEqual([prof.body.totals.revenue, prof.body.totals.cogs, prof.body.totals.profit], [20, 8, 12]);
  for (const a of ['baskets', 'lifecycle', 'cohorts', 'survival']) {
    const r = await call('GET', `/api/v1/analytics/${a}`);
    assert.equal(r.status, 200, `${a}: ${JSON.stringify(r.body)}`);
  }
  const stages = (await call('GET', '/api/v1/analytics/lifecycle')).body.stages;
  assert.equal(stages.find((s) => s.stage === 'new').customers, 1);
  for (const [a, why] of [['clv', /repeat buyers/], ['churn', /not enough history/], ['segments', /at least 2 customers/]]) {
    const r = await call('GET', `/api/v1/analytics/${a}`);
    assert.equal(r.status, 400, a);
    assert.match(r.body.error.message, why, a);
  }
  // The stored scores: what could be computed is stored, what could not is null.
  const since = await lastRefresh();
  assert.equal((await call('POST', '/api/v1/analytics/refresh')).status, 202);
  const runs = await refreshed(since);
  assert.equal(runs.find((x) => x.entity === 'contacts').customers, 1);
  const s = await call('GET', `/api/v1/contacts/${c.body.id}/scores`);
  assert.equal(s.status, 200);
  assert.equal(s.body.scored, true);
  assert.equal(s.body.monetary, 20);
  assert.equal(s.body.abc_class, 'A');
  assert.equal(s.body.clv, null);
  const rep = await call('GET', '/api/v1/analytics/report');
  assert.equal(rep.status, 200, JSON.stringify(rep.body));
  assert.equal(rep.body.segments.reduce((n, x) => n + x.profiling.customers, 0), 1);
});
