// The analytics API (GET /api/v1/analytics/...) against a real server with demo
// data: the numbers agree with SQL over the same database and with `kehu
// analyze --json`, the scope of each role holds, bad parameters are refused
// with the documented error body, results follow changes to the data, and the
// stored scores appear on the customer after a refresh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, kehu } from './lib/server.mjs';

let srv, token;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const today = () => new Date().toISOString().slice(0, 10);
// Revenue as the analytics count it: lines of orders that are neither drafts
// nor cancelled, in CNY, of a contact, in yuan.
const PURCHASES = "FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.archived_at IS NULL AND l.archived_at IS NULL AND o.status NOT IN ('draft', 'cancelled') AND o.currency = 'CNY' AND o.contact_id IS NOT NULL";

before(async () => {
  srv = await startServer({ customers: 800 });
  token = await srv.login();
});
after(async () => { await srv.stop(); });

test('RFM: every buying customer is scored once, and segment revenue adds up to SQL', async () => {
  const r = await call('GET', '/api/v1/analytics/rfm?limit=1000');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.as_of, today());
  const buyers = Number(sql(`SELECT count(DISTINCT o.contact_id) ${PURCHASES} AND o.order_date <= '${today()}'`));
  assert.equal(r.body.scored, buyers);
  assert.equal(r.body.segments.length, 11);
  assert.equal(r.body.segments.reduce((s, x) => s + x.customers, 0), buyers);
  const revenue = Number(sql(`SELECT sum(l.amount) ${PURCHASES} AND o.order_date <= '${today()}'`)) / 100;
  assert.ok(Math.abs(r.body.segments.reduce((s, x) => s + x.revenue, 0) - revenue) < 0.01);
  // The list is ranked by monetary value; each row is a consistent score.
  const c = r.body.customers;
  assert.ok(c.length > 0 && c.length <= 1000);
  for (let i = 1; i < c.length; i++) assert.ok(c[i - 1].monetary >= c[i].monetary);
  for (const x of c) for (const k of ['r', 'f', 'm']) assert.ok(x[k] >= 1 && x[k] <= 5);
  const grid = r.body.grid.flat().reduce((s, x) => s + x.customers, 0);
  assert.equal(grid, buyers);
  // One customer's figures against SQL.
  const top = c[0];
  const [orders, money, last] = sql(`SELECT count(DISTINCT o.id), sum(l.amount), max(o.order_date) ${PURCHASES} AND o.contact_id = ${top.customer_id}`).split('|');
  assert.equal(top.frequency, Number(orders));
  assert.ok(Math.abs(top.monetary - Number(money) / 100) < 0.005);
  assert.equal(top.recency, Math.round((Date.parse(today()) - Date.parse(last)) / 86400e3));
});

test('the API and kehu analyze --json give the same results', async () => {
  const api = await call('GET', '/api/v1/analytics/clv?limit=5');
  assert.equal(api.status, 200);
  const cli = await kehu(['analyze', 'clv', '--db', srv.db, '--json', '--limit', '5']);
  assert.equal(cli.code, 0, cli.stderr);
  const j = JSON.parse(cli.stdout);
  for (const m of ['bgnbd', 'gamma_gamma'])
    for (const k of Object.keys(j[m])) assert.deepEqual(api.body[m][k], j[m][k], `${m}.${k}`);
  assert.equal(api.body.total_clv, j.total_clv);
  // Issue 7's shape of `kehu analyze clv --json`.
  for (const k of ['r', 'alpha', 'a', 'b', 'loglik']) assert.equal(typeof j.bgnbd[k], 'number', k);
  for (const k of ['p', 'q', 'gamma']) assert.equal(typeof j.gamma_gamma[k], 'number', k);
  assert.ok(j.pareto_nbd === null || ['r', 'alpha', 's', 'beta', 'loglik'].every((k) => typeof j.pareto_nbd[k] === 'number'));
  for (const c of j.customers)
    assert.deepEqual(Object.keys(c).sort(), ['T', 'clv', 'customer_id', 'expected_purchases', 'expected_spend', 'frequency', 'p_alive', 'recency'].sort());
  // The API ranks by CLV; so does the CLI in a table, not in JSON.
  for (let i = 1; i < api.body.customers.length; i++) assert.ok(api.body.customers[i - 1].clv >= api.body.customers[i].clv);
});

test('churn, segments, baskets, lifecycle, profitability, cohorts and survival answer with their figures', async () => {
  const ch = await call('GET', '/api/v1/analytics/churn?limit=20');
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  assert.ok(ch.body.model.auc > 0.5 && ch.body.model.auc <= 1, `AUC ${ch.body.model.auc}`);
  assert.equal(ch.body.model.calibration.length, 10);
  const probs = ch.body.customers.map((c) => c.churn_probability);
  for (let i = 1; i < probs.length; i++) assert.ok(probs[i - 1] >= probs[i]);
  const features = new Set(ch.body.model.coefficients.map((c) => c.feature));
  for (const c of ch.body.customers) for (const why of c.reasons) assert.ok(features.has(why.feature) && why.contribution > 0);
  assert.equal(ch.body.risk.high + ch.body.risk.medium + ch.body.risk.low, ch.body.risk.customers);

  const sg = await call('GET', '/api/v1/analytics/segments?k=4&limit=0');
  assert.equal(sg.status, 200);
  assert.equal(sg.body.k, 4);
  assert.equal(sg.body.segments.reduce((s, x) => s + x.customers, 0), (await call('GET', '/api/v1/analytics/rfm?limit=0')).body.scored);

  const bk = await call('GET', '/api/v1/analytics/baskets?min_support=0.002&min_confidence=0.05&limit=5');
  assert.equal(bk.status, 200);
  assert.equal(bk.body.baskets, Number(sql(`SELECT count(DISTINCT o.id) ${PURCHASES} AND o.order_date <= '${today()}'`)));
  for (const r of bk.body.rules) assert.ok(r.confidence >= 0.05 && r.support >= 0.002 && r.antecedent.length >= 1 && r.consequent.name);
  if (bk.body.rules.length) {
    const p = bk.body.rules[0].antecedent[0].id;
    const ab = await call('GET', `/api/v1/analytics/baskets?min_support=0.002&product=${p}`);
    assert.equal(ab.body.also_bought.product.id, p);
    assert.ok(ab.body.also_bought.items.length > 0);
  }

  const lc = await call('GET', '/api/v1/analytics/lifecycle?months=6&limit=0');
  assert.equal(lc.status, 200);
  assert.equal(lc.body.months.length, 7);
  const atEnd = lc.body.stages.reduce((s, x) => s + x.customers, 0);
  assert.equal(lc.body.transition.flows.reduce((s, x) => s + x.customers, 0), atEnd);

  const pr = await call('GET', '/api/v1/analytics/profitability?limit=3');
  assert.equal(pr.status, 200);
  const t = pr.body.totals;
  assert.ok(Math.abs(t.revenue - t.cogs - t.service - t.profit) < 0.01);
  const cogs = Number(sql(`SELECT sum(l.quantity * p.cost) ${PURCHASES.replace('WHERE', 'JOIN products p ON p.id = l.product_id WHERE')} AND o.order_date <= '${today()}'`)) / 100;
  assert.ok(Math.abs(t.cogs - cogs) < 0.01, `${t.cogs} vs ${cogs}`);

  const co = await call('GET', '/api/v1/analytics/cohorts?months=6');
  assert.equal(co.status, 200);
  assert.ok(co.body.cohorts.length <= 6 && co.body.cohorts.every((c) => c.retention[0] === 1));
  const sv = await call('GET', '/api/v1/analytics/survival');
  assert.equal(sv.status, 200);
  assert.ok(sv.body.curve.every((p, i, a) => i === 0 || p.survival <= a[i - 1].survival));
});

test('parameters are checked: unknown, malformed and out of range are 400 naming the parameter', async () => {
  for (const [q, field] of [
    ['rfm?nope=1', 'nope'], ['rfm?as_of=2025-13-01', 'as_of'], ['rfm?limit=5000', 'limit'],
    ['rfm?segment=Heroes', 'segment'], ['clv?unit=year', 'unit'], ['clv?horizon=0', 'horizon'],
    ['clv?model=gamma', 'model'], ['segments?k=0', 'k'], ['baskets?min_support=2', 'min_support'],
    ['rfm?by=lead', 'by'], ['abc?value=margin', 'value'],
  ]) {
    const r = await call('GET', `/api/v1/analytics/${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.error.code, 'bad_request');
    assert.ok(r.body.error.fields[field], `${q} names ${field}`);
  }
  assert.equal((await call('GET', '/api/v1/analytics/astrology')).status, 404);
  assert.equal((await srv.call('GET', '/api/v1/analytics/rfm')).status, 401);
  // An as-of date before any purchase has nothing to analyse.
  const early = await call('GET', '/api/v1/analytics/rfm?as_of=2000-01-01');
  assert.equal(early.status, 400);
  assert.match(early.body.error.message, /no purchases/);
});

test('an as-of date in the past sees only what had happened by then', async () => {
  const day = sql(`SELECT o.order_date ${PURCHASES} ORDER BY o.order_date LIMIT 1 OFFSET (SELECT count(*) / 2 ${PURCHASES})`);
  const r = await call('GET', `/api/v1/analytics/rfm?as_of=${day}&limit=0`);
  assert.equal(r.status, 200);
  assert.equal(r.body.as_of, day);
  assert.equal(r.body.scored, Number(sql(`SELECT count(DISTINCT o.contact_id) ${PURCHASES} AND o.order_date <= '${day}'`)));
});

test('a new order changes the answer (the cache follows the data)', async () => {
  const before = (await call('GET', '/api/v1/analytics/rfm?limit=0')).body;
  const contact = Number(sql('SELECT id FROM contacts WHERE id NOT IN (SELECT contact_id FROM orders WHERE contact_id IS NOT NULL) LIMIT 1'));
  const product = Number(sql('SELECT id FROM products LIMIT 1'));
  const o = await call('POST', '/api/v1/orders', { json: { contact_id: contact, order_date: today(), status: 'confirmed' } });
  assert.equal(o.status, 201, JSON.stringify(o.body));
  const l = await call('POST', '/api/v1/order_lines', { json: { order_id: o.body.id, product_id: product, quantity: 2 } });
  assert.equal(l.status, 201, JSON.stringify(l.body));
  const after = (await call('GET', '/api/v1/analytics/rfm?limit=0')).body;
  assert.equal(after.scored, before.scored + 1);
});

test('scope: a sales rep analyses only the orders they own; roles without orders get 403', async () => {
  const mk = await call('POST', '/api/v1/users', { json: { username: 'rep_an', display_name: 'Rep', role: 'sales_rep', password: 'rep-password-9' } });
  assert.equal(mk.status, 201, JSON.stringify(mk.body));
  const ids = sql("SELECT id FROM orders WHERE status NOT IN ('draft', 'cancelled') AND contact_id IS NOT NULL ORDER BY id LIMIT 12").split('\n').map(Number);
  for (const id of ids) {
    const r = await call('PATCH', `/api/v1/orders/${id}`, { json: { owner_id: mk.body.id } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const rep = await srv.login('rep_an', 'rep-password-9');
  const r = await srv.call('GET', '/api/v1/analytics/rfm?limit=100', { token: rep });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const mine = sql(`SELECT DISTINCT contact_id FROM orders WHERE owner_id = ${mk.body.id} AND order_date <= '${today()}'`).split('\n').map(Number).sort((a, b) => a - b);
  assert.deepEqual(r.body.customers.map((c) => c.customer_id).sort((a, b) => a - b), mine);
  // A role that may not read orders may not run analyses.
  const role = await call('POST', '/api/v1/roles', { json: { key: 'no_orders', name: 'No orders', permissions: { '*': { read: 'all' }, orders: { read: 'none' } } } });
  assert.equal(role.status, 201, JSON.stringify(role.body));
  const u = await call('POST', '/api/v1/users', { json: { username: 'blind', role: 'no_orders', password: 'Kx7-tulip-harbor' } });
  assert.equal(u.status, 201);
  const b = await srv.call('GET', '/api/v1/analytics/rfm', { token: await srv.login('blind', 'Kx7-tulip-harbor') });
  assert.equal(b.status, 403);
  assert.equal(b.body.error.code, 'forbidden');
});

test('refresh stores the scores the customer page shows; only administrators may start it', async () => {
  const rep = await srv.login('rep_an', 'rep-password-9');
  assert.equal((await srv.call('POST', '/api/v1/analytics/refresh', { token: rep })).status, 403);
  const q = await call('POST', '/api/v1/analytics/refresh');
  assert.equal(q.status, 202);
  let status;
  for (let i = 0; i < 100; i++) {
    status = (await call('GET', '/api/v1/analytics/status')).body;
    if (status.refreshes.some((x) => x.entity === 'accounts')) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  const run = status.refreshes.find((x) => x.entity === 'contacts');
  assert.ok(run, JSON.stringify(status));
  const rfm = (await call('GET', '/api/v1/analytics/rfm?limit=5')).body;
  assert.equal(run.customers, rfm.scored);
  const top = rfm.customers[0];
  const s = await call('GET', `/api/v1/contacts/${top.customer_id}/scores`);
  assert.equal(s.status, 200);
  assert.equal(s.body.scored, true);
  assert.equal(s.body.rfm_segment, top.segment);
  assert.equal(s.body.monetary, top.monetary);
  assert.ok(['low', 'medium', 'high', null].includes(s.body.churn_risk));
  assert.ok(s.body.clv >= 0);
  // A customer who never bought has no scores; another entity has none at all.
  const none = Number(sql('SELECT id FROM contacts WHERE id NOT IN (SELECT contact_id FROM orders WHERE contact_id IS NOT NULL) LIMIT 1'));
  assert.deepEqual((await call('GET', `/api/v1/contacts/${none}/scores`)).body, { scored: false });
  assert.equal((await call('GET', '/api/v1/leads/1/scores')).status, 404);
  // Out of the rep's scope (they own no contact): as if it did not exist.
  const hidden = await srv.call('GET', `/api/v1/contacts/${top.customer_id}/scores`, { token: rep });
  assert.equal(hidden.status, 404);
});

test('the cube: roll-up subtotals add up, drilling down into a year gives its quarters, opportunities by stage', async () => {
  const r = await call('GET', '/api/v1/analytics/cube?fact=orders&dims=year,category&rollup=1');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.dims, ['year', 'category']);
  assert.equal(r.body.drill.year, 'quarter');
  const total = r.body.cells.find((c) => c.year === null && c.category === null);
  const revenue = Number(sql(`SELECT sum(l.amount) ${PURCHASES}`)) / 100;
  assert.ok(Math.abs(total.revenue - revenue) < 0.01, `${total.revenue} vs ${revenue}`);
  assert.equal(total.count, Number(sql(`SELECT count(*) ${PURCHASES}`)));
  const years = r.body.cells.filter((c) => c.year !== null && c.category === null);
  assert.deepEqual(years.map((c) => c.year), [...years.map((c) => c.year)].sort());
  for (const y of years) {
    const parts = r.body.cells.filter((c) => c.year === y.year && c.category !== null);
    assert.ok(Math.abs(parts.reduce((s, c) => s + c.revenue, 0) - y.revenue) < 0.01);
    assert.ok(Math.abs(y.revenue - y.cost - y.margin) < 0.01);
  }
  const y = years[years.length - 1];
  const q = await call('GET', `/api/v1/analytics/cube?fact=orders&dims=quarter&year=${y.year}`);
  assert.equal(q.status, 200);
  assert.ok(q.body.cells.every((c) => c.quarter.startsWith(y.year)));
  assert.ok(Math.abs(q.body.cells.reduce((s, c) => s + c.revenue, 0) - y.revenue) < 0.01);
  // Two members of one dimension are alternatives.
  const two = await call('GET', `/api/v1/analytics/cube?dims=year&year=${years[0].year},${y.year}`);
  assert.deepEqual(two.body.cells.map((c) => c.year), [years[0].year, y.year]);

  const o = await call('GET', '/api/v1/analytics/cube?fact=opportunities&dims=stage');
  assert.equal(o.status, 200);
  const bySql = Object.fromEntries(sql("SELECT stage, count(*) FROM opportunities WHERE archived_at IS NULL AND currency = 'CNY' GROUP BY stage").split('\n').map((l) => l.split('|')).map(([s, n]) => [s, Number(n)]));
  assert.deepEqual(Object.fromEntries(o.body.cells.map((c) => [c.stage, c.count])), bySql);
  const won = Number(sql("SELECT COALESCE(sum(amount), 0) FROM opportunities WHERE archived_at IS NULL AND currency = 'CNY' AND status = 'won'")) / 100;
  assert.ok(Math.abs(o.body.cells.reduce((s, c) => s + c.won, 0) - won) < 0.01);

  for (const [qs, field] of [['dims=stage', 'dims'], ['fact=leads', 'fact'], ['dims=colour', 'dims'], ['limit=3', 'limit']]) {
    const b = await call('GET', `/api/v1/analytics/cube?${qs}`);
    assert.equal(b.status, 400, qs);
    assert.ok(b.body.error.fields[field], qs);
  }
});

test('cross-sell for a customer: products they have not bought, each from a rule over what they have', async () => {
  const Q = 'min_support=0.002&min_confidence=0.05';
  const all = (await call('GET', `/api/v1/analytics/baskets?${Q}&limit=1000`)).body;
  assert.ok(all.rules.length > 0);
  // A customer who bought the antecedent of a rule but not its consequent has a recommendation.
  const rule = all.rules.find((r) => r.antecedent.length === 1);
  const who = sql(`SELECT o.contact_id ${PURCHASES} AND l.product_id = ${rule.antecedent[0].id} AND o.order_date <= '${today()}' AND o.contact_id NOT IN (SELECT o2.contact_id FROM order_lines l2 JOIN orders o2 ON o2.id = l2.order_id WHERE l2.product_id = ${rule.consequent.id}) ORDER BY o.contact_id LIMIT 1`);
  assert.ok(who, 'such a customer exists in the demo data');
  const r = await call('GET', `/api/v1/analytics/baskets?${Q}&customer=${who}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const rec = r.body.recommended;
  assert.equal(rec.customer, Number(who));
  const bought = new Set(sql(`SELECT DISTINCT l.product_id ${PURCHASES} AND o.contact_id = ${who} AND o.order_date <= '${today()}'`).split('\n').map(Number));
  assert.equal(rec.products_bought, bought.size);
  assert.ok(rec.items.length > 0);
  assert.ok(rec.items.some((x) => x.product.id === rule.consequent.id));
  for (const x of rec.items) {
    assert.ok(!bought.has(x.product.id), `${x.product.name} was bought already`);
    assert.ok(x.because.length > 0 && x.because.every((b) => bought.has(b.id)), 'the reason is what they bought');
    // The confidence is the best of the rules over what they bought that end in it.
    const best = Math.max(...all.rules.filter((u) => u.consequent.id === x.product.id && u.antecedent.every((a) => bought.has(a.id))).map((u) => u.confidence));
    assert.ok(Math.abs(x.confidence - best) < 1e-9, `${x.confidence} vs ${best}`);
  }
  for (let i = 1; i < rec.items.length; i++) assert.ok(rec.items[i - 1].confidence >= rec.items[i].confidence);
  // The command line gives the same.
  const cli = await kehu(['analyze', 'baskets', '--db', srv.db, '--json', '--min-support', '0.002', '--min-confidence', '0.05', '--customer', who]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout).recommended.items.map((x) => x.product.id), rec.items.map((x) => x.product.id));
  // A contact who bought nothing gets null; a bad id is a 400 naming it.
  const none = (await call('POST', '/api/v1/contacts', { json: { name: '没买过' } })).body.id;
  assert.equal((await call('GET', `/api/v1/analytics/baskets?${Q}&customer=${none}`)).body.recommended, null);
  for (const v of ['0', 'abc', '1.5']) {
    const b = await call('GET', `/api/v1/analytics/baskets?customer=${v}`);
    assert.equal(b.status, 400, v);
    assert.ok(b.body.error.fields.customer, v);
  }
});
