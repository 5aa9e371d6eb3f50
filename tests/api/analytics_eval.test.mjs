// CRM evaluation through HTTP: AHP priorities and consistency (Saaty's
// textbook example), capability assessments by several assessors combined by
// geometric mean into an index over time, the balanced scorecard with its
// targets, and the 7P report of each RFM segment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';

let srv, token;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const near = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

before(async () => {
  srv = await startServer({ customers: 400 });
  token = await srv.login();
});
after(async () => { await srv.stop(); });

test('AHP: Saaty\'s three-criteria example, and the judgement to revisit in an inconsistent one', async () => {
  // Saaty (1980): weights 0.637, 0.105, 0.258; lambda_max 3.039; CR 0.033.
  const r = await call('POST', '/api/v1/analytics/ahp', { json: { matrix: [[1, 5, 3], [1 / 5, 1, 1 / 3], [1 / 3, 3, 1]] } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  [0.637, 0.105, 0.258].forEach((w, i) => near(r.body.weights[i], w, 5e-4, `w${i}`));
  near(r.body.lambda_max, 3.039, 5e-4, 'lambda_max');
  near(r.body.cr, 0.033, 5e-4, 'CR');
  assert.equal(r.body.acceptable, true);
  // A judges B 9 times as important, B judges C 9 times, yet C beats A: no
  // weights fit; the check says so and names a judgement to change.
  const bad = await call('POST', '/api/v1/analytics/ahp', { json: { matrix: [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]] } });
  assert.equal(bad.status, 200);
  assert.equal(bad.body.acceptable, false);
  assert.ok(bad.body.cr > 0.1);
  assert.ok(bad.body.worst.i < bad.body.worst.j && bad.body.worst.suggested > 0);
  // Two assessors: the geometric mean of each judgement.
  const two = await call('POST', '/api/v1/analytics/ahp', { json: { matrices: [[[1, 2], [1 / 2, 1]], [[1, 8], [1 / 8, 1]]] } });
  near(two.body.aggregated[0][1], 4, 1e-9, 'sqrt(2 * 8)');
  near(two.body.weights[0], 0.8, 1e-9, 'weight of 4:1');
  for (const json of [{}, { matrix: [[1, 2], [2, 1]] }, { matrix: [[1, -1], [-1, 1]] }, { matrix: [[1, 2, 3]] }]) {
    const e = await call('POST', '/api/v1/analytics/ahp', { json });
    assert.ok([400, 422].includes(e.status), JSON.stringify(json));
  }
});

test('capability: two assessors\' judgements combined, weights through the hierarchy, the index and its trend', async () => {
  const m2 = (x) => [[1, x], [1 / x, 1]];
  const judgements = {
    assessors: [
      { name: '张总', matrices: { crm: m2(3), basic: [[1, 2, 3], [1 / 2, 1, 2], [1 / 3, 1 / 2, 1]], supporting: [[1, 1, 2, 3], [1, 1, 2, 2], [1 / 2, 1 / 2, 1, 1], [1 / 3, 1 / 2, 1, 1]] } },
      { name: 'Li', matrices: { crm: m2(1 / 3 * 9), basic: [[1, 3, 4], [1 / 3, 1, 2], [1 / 4, 1 / 2, 1]] } },
    ],
  };
  const scores = { insight: 70, interaction: 80, value: 60, process: 50, technology: 90, organisation: 65, culture: 75 };
  const a = await call('POST', '/api/v1/capability_assessments', { json: { name: '2025 年度评估', assessed_on: '2025-06-30', judgements, scores } });
  assert.equal(a.status, 201, JSON.stringify(a.body));
  const r = await call('GET', `/api/v1/analytics/capability?assessment=${a.body.id}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const node = Object.fromEntries(r.body.nodes.map((n) => [n.id, n]));
  // crm: both said 3:1 -> basic 0.75.
  near(node.basic.local, 0.75, 1e-9, 'basic');
  const leaves = ['insight', 'interaction', 'value', 'process', 'technology', 'organisation', 'culture'];
  near(leaves.reduce((s, l) => s + node[l].global, 0), 1, 1e-9, 'leaf weights');
  near(r.body.index, leaves.reduce((s, l) => s + node[l].global * scores[l], 0), 1e-9, 'index');
  const basic = r.body.matrices.find((m) => m.parent === 'basic');
  assert.equal(basic.assessors.length, 2);
  near(basic.matrix[0][1], Math.sqrt(2 * 3), 1e-9, 'geometric mean');
  assert.ok(basic.cr < 0.1 && basic.acceptable);
  const sup = r.body.matrices.find((m) => m.parent === 'supporting');
  assert.equal(sup.assessors.length, 1);
  // A later assessment: the trend has both, in time order.
  const b = await call('POST', '/api/v1/capability_assessments', { json: { name: '2026', assessed_on: '2026-06-30', judgements, scores: { ...scores, culture: 95 } } });
  assert.equal(b.status, 201);
  const latest = await call('GET', '/api/v1/analytics/capability');
  assert.equal(latest.body.id, b.body.id);
  assert.deepEqual(latest.body.trend.map((t) => t.assessed_on), ['2025-06-30', '2026-06-30']);
  assert.ok(latest.body.trend[1].index > latest.body.trend[0].index);
  // Missing scores: weights still, index null. A broken hierarchy is refused.
  const c = await call('POST', '/api/v1/capability_assessments', { json: { name: 'weights only', assessed_on: '2026-07-01', judgements } });
  assert.equal((await call('GET', `/api/v1/analytics/capability?assessment=${c.body.id}`)).body.index, null);
  const bad = await call('POST', '/api/v1/capability_assessments', { json: { name: 'x', assessed_on: '2026-07-01', hierarchy: { levels: 2 } } });
  assert.equal(bad.status, 422);
  assert.ok(bad.body.error.fields.hierarchy);
});

test('7P: refused until scores are stored, then one report per segment with all seven views', async () => {
  const before = await call('GET', '/api/v1/analytics/report');
  assert.equal(before.status, 409);
  assert.equal((await call('POST', '/api/v1/analytics/refresh')).status, 202);
  for (let i = 0; i < 100; i++) {
    if (sql("SELECT count(*) FROM kh_analytics_runs WHERE entity = 'accounts'") !== '0') break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  const r = await call('GET', '/api/v1/analytics/report');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.customers, Number(sql("SELECT count(*) FROM kh_customer_scores WHERE entity = 'contacts'")));
  for (const s of r.body.segments)
    for (const k of ['profiling', 'persistency', 'profitability', 'performance', 'prospecting', 'product', 'promotion'])
      assert.ok(k in s, `${s.segment} has ${k}`);
  const champs = r.body.segments.find((s) => s.segment === 'Champions');
  const [n, rev] = sql("SELECT count(*), sum(monetary) FROM kh_customer_scores WHERE entity = 'contacts' AND rfm_segment = 'Champions'").split('|').map(Number);
  assert.equal(champs.profiling.customers, n);
  near(champs.profitability.revenue, rev, 0.01, 'revenue');
  assert.ok(champs.product.length >= 1);
});

test('the scorecard: four perspectives of live KPIs, targets an administrator sets, the strategy map', async () => {
  const r = await call('GET', '/api/v1/analytics/scorecard?months=6');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.perspectives.map((p) => p.id), ['knowledge', 'interaction', 'customer', 'company']);
  assert.equal(r.body.months.length, 6);
  const kpi = Object.fromEntries(r.body.perspectives.flatMap((p) => p.kpis).map((k) => [k.id, k]));
  assert.equal(Object.keys(kpi).length, 13);
  const since = new Date(Date.now() - 90 * 86400e3).toISOString().slice(0, 10);
  const [rated, happy] = sql(`SELECT count(*), sum(satisfaction >= 4) FROM cases WHERE archived_at IS NULL AND satisfaction IS NOT NULL AND substr(created_at, 1, 10) >= '${since}'`).split('|').map(Number);
  if (rated) near(kpi.csat.value, (100 * happy) / rated, 1.5, 'CSAT');
  const [all, ok] = sql("SELECT count(*), sum((COALESCE(phone, '') <> '' OR COALESCE(mobile, '') <> '' OR COALESCE(email, '') <> '') AND COALESCE(city, '') <> '') FROM contacts WHERE archived_at IS NULL").split('|').map(Number);
  near(kpi.data_completeness.value, (100 * ok) / all, 1e-9, 'completeness');
  for (const k of Object.values(kpi)) {
    assert.ok(['green', 'amber', 'red', 'unknown'].includes(k.status), k.id);
    if (k.window !== 'now' && k.window !== 'latest survey') assert.equal(k.trend.length, 6, k.id);
  }
  assert.ok(r.body.links.every((l) => kpi[l.from] && kpi[l.to]));
  // Targets: set, shown, checked; administrators only.
  const t = await call('PUT', '/api/v1/analytics/scorecard/targets', { json: { csat: { target: 99, threshold: 98 } } });
  assert.equal(t.status, 200, JSON.stringify(t.body));
  const csat = t.body.perspectives.flatMap((p) => p.kpis).find((k) => k.id === 'csat');
  assert.equal(csat.target, 99);
  for (const [json, field] of [[{ csat: { target: 50, threshold: 60 } }, 'csat'], [{ happiness: { target: 1, threshold: 0 } }, 'happiness']]) {
    const b = await call('PUT', '/api/v1/analytics/scorecard/targets', { json });
    assert.equal(b.status, 422);
    assert.ok(b.body.error.fields[field]);
  }
  const mk = await call('POST', '/api/v1/users', { json: { username: 'sc_analyst', role: 'analyst', password: 'Xq7-tulip-harbor-42' } });
  assert.equal(mk.status, 201);
  const an = await srv.login('sc_analyst', 'Xq7-tulip-harbor-42');
  assert.equal((await srv.call('GET', '/api/v1/analytics/scorecard', { token: an })).status, 200);
  assert.equal((await srv.call('PUT', '/api/v1/analytics/scorecard/targets', { token: an, json: { csat: { target: 90, threshold: 80 } } })).status, 403);
  assert.equal((await call('GET', '/api/v1/analytics/scorecard?months=99')).status, 400);
});
