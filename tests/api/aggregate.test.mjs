// Aggregates (dashboards, kanban totals), the customer summary of the 360 view,
// and per-user preferences.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';

let srv, token;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();

before(async () => {
  srv = await startServer({ customers: 300 });
  token = await srv.login();
});
after(async () => { await srv.stop(); });

test('group by a field with count and sums agrees with SQL over the same data', async () => {
  const r = await call('GET', '/api/v1/opportunities/aggregate?group=stage&measures=count,sum:amount,avg:amount,max:amount');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.truncated, false);
  const expected = sql("SELECT stage, count(*), sum(amount), max(amount) FROM opportunities WHERE archived_at IS NULL GROUP BY stage ORDER BY stage")
    .split('\n').map((l) => l.split('|'));
  assert.deepEqual(r.body.groups.map((g) => [g.key.stage, String(g.count), String(g.sum_amount), String(g.max_amount)]), expected);
  for (const g of r.body.groups) assert.ok(Math.abs(g.avg_amount - g.sum_amount / g.count) < 1e-6 * g.avg_amount + 1e-9);
});

test('date buckets: revenue by month and by quarter, with filters', async () => {
  const r = await call('GET', '/api/v1/orders/aggregate?group=order_date:month&measures=sum:total_amount,count&status[ne]=cancelled');
  assert.equal(r.status, 200);
  assert.ok(r.body.groups.length > 20, 'three years of months');
  const expected = sql("SELECT substr(order_date,1,7), sum(total_amount) FROM orders WHERE archived_at IS NULL AND status <> 'cancelled' GROUP BY 1 ORDER BY 1")
    .split('\n').map((l) => l.split('|'));
  assert.deepEqual(r.body.groups.map((g) => [g.key.order_date, String(g.sum_total_amount)]), expected);
  const q = await call('GET', '/api/v1/orders/aggregate?group=order_date:quarter');
  assert.ok(q.body.groups.every((g) => /^\d{4}-Q[1-4]$/.test(g.key.order_date)));
  assert.equal(q.body.groups.reduce((s, g) => s + g.count, 0), Number(sql('SELECT count(*) FROM orders')));
  const two = await call('GET', '/api/v1/cases/aggregate?group=status,priority&status[nin]=x'.replace('&status[nin]=x', ''));
  assert.ok(two.body.groups.every((g) => 'status' in g.key && 'priority' in g.key));
});

test('aggregates refuse what they cannot do', async () => {
  for (const [q, field] of [
    ['group=description', 'group'], ['group=stage:month', 'group'], ['group=a,b,c', 'group'],
    ['measures=sum:name', 'measures'], ['measures=median:amount', 'measures'], ['measures=count:amount', 'measures'],
    ['sort=stage', 'sort'], ['limit=0', 'limit'], ['nope=1', 'nope'],
  ]) {
    const r = await call('GET', `/api/v1/opportunities/aggregate?${q}`);
    assert.equal(r.status, 400, q);
    assert.ok(r.body.error.fields[field], `${q} names ${field}`);
  }
});

test('the customer summary adds up the customer\'s orders, deals and cases', async () => {
  const id = Number(sql("SELECT contact_id FROM orders WHERE status <> 'cancelled' GROUP BY contact_id ORDER BY count(*) DESC LIMIT 1"));
  const r = await call('GET', `/api/v1/contacts/${id}/summary`);
  assert.equal(r.status, 200);
  const [n, rev, first, last] = sql(`SELECT count(*), sum(total_amount), min(order_date), max(order_date) FROM orders WHERE contact_id = ${id} AND status <> 'cancelled'`).split('|');
  assert.equal(r.body.orders, Number(n));
  assert.equal(r.body.revenue, Number(rev));
  assert.equal(r.body.first_order_date, first);
  assert.equal(r.body.last_order_date, last);
  assert.equal(typeof r.body.open_cases, 'number');
  assert.equal(r.body.currency, 'CNY');
  const acct = Number(sql('SELECT account_id FROM opportunities WHERE status = \'open\' LIMIT 1'));
  const a = await call('GET', `/api/v1/accounts/${acct}/summary`);
  assert.equal(a.body.open_opportunities, Number(sql(`SELECT count(*) FROM opportunities WHERE account_id = ${acct} AND status = 'open'`)));
  assert.equal((await call('GET', '/api/v1/products/1/summary')).status, 404, 'only customers have one');
  assert.equal((await call('GET', '/api/v1/contacts/99999999/summary')).status, 404);
});

test('preferences are per user, replaced whole, and limited in size', async () => {
  assert.deepEqual((await call('GET', '/api/v1/me/preferences')).body, {});
  const prefs = { language: 'en', columns: { contacts: ['name', 'city'] } };
  const put = await call('PUT', '/api/v1/me/preferences', { json: prefs });
  assert.equal(put.status, 200);
  assert.deepEqual((await call('GET', '/api/v1/me/preferences')).body, prefs);
  await call('POST', '/api/v1/users', { json: { username: 'prefs2', role: 'sales_rep', password: 'Secret-pass-43' } });
  const other = await srv.login('prefs2', 'Secret-pass-43');
  assert.deepEqual((await srv.call('GET', '/api/v1/me/preferences', { token: other })).body, {}, 'not shared');
  const big = await call('PUT', '/api/v1/me/preferences', { json: { x: 'y'.repeat(70000) } });
  assert.equal(big.status, 413);
  assert.deepEqual((await call('GET', '/api/v1/me/preferences')).body, prefs, 'unchanged');
  assert.equal((await call('PUT', '/api/v1/me/preferences', { json: '[1]' })).status, 400);
});
