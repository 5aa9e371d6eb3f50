// The nightly refresh of the stored scores, on a fake clock the test moves
// (KEHU_TEST_CLOCK=1): the first change to orders of a day schedules one
// refresh for 18:00 UTC (02:00 in China), later changes that day add none,
// nothing is scored before then, and after it the customers' scores are there;
// a change after 18:00 waits for the next evening. Changes to other entities
// schedule nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';

let srv, admin, product;
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const api = (m, p, json) => srv.call(m, p, { token: admin, json });
async function ok(res, status = 200) {
  const r = await res;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}
/** Moves the server's clock (UTC), and logs in again. */
async function at(utc) {
  const r = await api('PUT', '/api/v1/service/test-clock', { now: `${utc}Z` });
  if (r.status === 401) {
    admin = await srv.login();
    return at(utc);
  }
  assert.equal(r.status, 200, JSON.stringify(r.body));
  admin = await srv.login(); // a session idle for hours of fake time is over
}
const refreshJobs = () => sql("SELECT run_at || ' ' || status FROM kh_jobs WHERE kind = 'analytics.refresh' ORDER BY id").split('\n').filter(Boolean);
const runs = () => Number(sql("SELECT count(*) FROM kh_analytics_runs WHERE entity = 'contacts'"));
async function until(what, f) {
  for (let i = 0; i < 150; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
/** Waits until the scheduling consumer has seen every change so far. */
const consumed = () => until('the outbox to be consumed', () => sql(
  "SELECT CASE WHEN (SELECT last_id FROM kh_consumer_offsets WHERE name = 'analytics.schedule') >= (SELECT COALESCE(MAX(id), 0) FROM kh_outbox) THEN 1 ELSE 0 END") === '1');
/** An order of `n` yuan on `date` for contact `id`. */
async function buy(id, date, n) {
  const o = await ok(api('POST', '/api/v1/orders', { contact_id: id, order_date: date, status: 'completed' }), 201);
  await ok(api('POST', '/api/v1/order_lines', { order_id: o.id, product_id: product, quantity: n, unit_price: 100 }), 201);
}

before(async () => {
  srv = await startServer({ env: { KEHU_TEST_CLOCK: '1', KEHU_NOW: '2025-09-22T09:00:00Z' } });
  admin = await srv.login();
  // A consumer starts at the present when it first runs: let it start first.
  await until('the consumer to start', () => sql("SELECT count(*) FROM kh_consumer_offsets WHERE name = 'analytics.schedule'") === '1');
});
after(async () => { await srv.stop(); });

test('changes that are not purchases schedule nothing', async () => {
  await ok(api('POST', '/api/v1/contacts', { name: '不买的人' }), 201);
  await ok(api('POST', '/api/v1/accounts', { name: '某公司' }), 201);
  // The outbox consumers run in the background: give them a moment, then look.
  await consumed();
  assert.deepEqual(refreshJobs(), []);
});

test('the first purchase of a day schedules one refresh at 18:00 UTC; it scores the customers then', async () => {
  product = (await ok(api('POST', '/api/v1/products', { name: '绿茶', sku: 'TEA-G', unit_price: 100, cost: 40 }), 201)).id;
  const ids = [];
  for (let i = 0; i < 6; i++) ids.push((await ok(api('POST', '/api/v1/contacts', { name: `客户${i}` }), 201)).id);
  await until('the refresh to be scheduled', () => refreshJobs().length === 1);
  assert.deepEqual(refreshJobs(), ['2025-09-22T18:00:00.000Z pending']);
  for (const [k, id] of ids.entries()) {
    await buy(id, '2025-06-01', 1 + k);
    if (k % 2) await buy(id, '2025-08-15', 2);
  }
  await consumed();
  assert.deepEqual(refreshJobs(), ['2025-09-22T18:00:00.000Z pending'], 'once a day');
  // Before 18:00 nothing is scored.
  await at('2025-09-22T17:59:00');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(runs(), 0);
  assert.deepEqual((await ok(api('GET', `/api/v1/contacts/${ids[0]}/scores`))), { scored: false });
  // After it the job runs and every buyer has scores as of that day.
  await at('2025-09-22T18:01:00');
  await until('the refresh to run', () => runs() === 1);
  const status = await ok(api('GET', '/api/v1/analytics/status'));
  const c = status.refreshes.find((x) => x.entity === 'contacts');
  assert.equal(c.as_of, '2025-09-22');
  assert.equal(c.customers, 6);
  const s = await ok(api('GET', `/api/v1/contacts/${ids[5]}/scores`));
  assert.equal(s.scored, true);
  assert.equal(s.as_of, '2025-09-22');
  assert.equal(s.frequency, 2);
  assert.equal(s.monetary, 8);
  assert.equal(s.recency, 38);
  assert.deepEqual(refreshJobs(), ['2025-09-22T18:00:00.000Z done']);
});

test('a purchase after 18:00 waits for the next evening', async () => {
  const id = (await ok(api('POST', '/api/v1/contacts', { name: '晚到的客户' }), 201)).id;
  await buy(id, '2025-09-22', 3);
  await until('the next refresh to be scheduled', () => refreshJobs().length === 2);
  assert.equal(refreshJobs()[1], '2025-09-23T18:00:00.000Z pending');
  assert.deepEqual(await ok(api('GET', `/api/v1/contacts/${id}/scores`)), { scored: false });
  await at('2025-09-23T18:00:30');
  await until('the second refresh to run', () => runs() === 2);
  const s = await ok(api('GET', `/api/v1/contacts/${id}/scores`));
  assert.equal(s.scored, true);
  assert.equal(s.as_of, '2025-09-23');
  assert.equal(s.recency, 1);
});
