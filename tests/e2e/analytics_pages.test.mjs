// The Analytics pages that tests/e2e/analytics.test.mjs leaves out, in a real
// browser: k-means segments with their profiles and the silhouette by k, the
// basket rules and "also bought" for a product, the satisfaction model's path
// diagram with the coefficients the API estimated (an ECSI survey answered
// through the public page, from ../shared/data's ecsi_mobi.csv when present,
// else from simulated answers), and the scorecard's targets set by an
// administrator, refused at the KPI when the threshold is on the wrong side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setup, login, shot } from './browser.mjs';

let s, page, token;
before(async () => {
  s = await setup({ customers: 400 });
  page = s.page;
  token = await s.srv.login();
  await login(page, s.srv.url);
});
after(async () => {
  assert.deepEqual((s?.errors ?? []).filter((e) => !/callcenter/.test(e)), []);
  await s?.stop();
});
const api = (method, path, json) => s.srv.call(method, `/api/v1${path}`, { token, json });
const chart = (name) => page.locator(`[data-chart="${name}"] svg`).first();

test('segments: the k-means profiles and the silhouette of each k, as the API found them', async () => {
  const seg = (await api('GET', '/analytics/segments?limit=0')).body;
  await page.goto(s.url('/analytics/segments'));
  await chart('profiles').waitFor();
  await chart('silhouette').waitFor();
  await page.locator('[data-card="segments"] h2', { hasText: `k = ${seg.k}` }).waitFor();
  // One row per segment, with its customer count.
  const rows = page.locator('[data-card="segments"] tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), seg.k);
  const counts = await rows.evaluateAll((trs) => trs.map((tr) => tr.innerText));
  for (const x of seg.segments)
    assert.ok(counts.some((t) => t.includes(new Intl.NumberFormat('zh-CN').format(x.customers))), `segment of ${x.customers}`);
  await shot(page, 'analytics-segments');
});

test('baskets: the association rules, then what is bought with a product', async () => {
  // The page's own query (its default minimum support and confidence).
  const Q = 'min_support=0.002&min_confidence=0.05&limit=30';
  const b = (await api('GET', `/analytics/baskets?${Q}`)).body;
  assert.ok(b.rules.length > 0, 'the demo data has rules');
  await page.goto(s.url('/analytics/baskets'));
  const rows = page.locator('[data-table="rules"] tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), b.rules.length);
  const first = b.rules[0];
  assert.match(await rows.first().innerText(), new RegExp(first.antecedent[0].name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  // Picking the product of the first rule shows what goes with it.
  const product = first.antecedent[0];
  const also = (await api('GET', `/analytics/baskets?${Q}&product=${product.id}`)).body.also_bought;
  await page.locator('[data-card="also"] select').selectOption(String(product.id));
  await chart('also').waitFor();
  assert.ok(also.items.length > 0, 'a product of a rule is bought with another');
  const top = also.items[0].product.name;
  await page.waitForFunction((n) => document.querySelector('[data-chart="also"]')?.textContent.includes(n), top);
  // Cross-sell for one customer: the first of the best customers with a suggestion.
  let who = null, rec = null;
  for (const c of (await api('GET', '/analytics/rfm?limit=20')).body.customers) {
    rec = (await api('GET', `/analytics/baskets?${Q}&product=${product.id}&customer=${c.customer_id}`)).body.recommended;
    if (rec?.items.length) { who = c.customer_id; break; }
  }
  assert.ok(who, 'a good customer has a suggestion');
  await page.locator('[data-card="recommended"] input[name="customer"]').fill(String(who));
  await page.locator('[data-card="recommended"] button[type=submit]').click();
  const recRows = page.locator('[data-table="recommended"] tbody tr');
  await recRows.first().waitFor();
  assert.equal(await recRows.count(), rec.items.length);
  assert.match(await recRows.first().innerText(), new RegExp(rec.items[0].product.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await shot(page, 'analytics-baskets');
});

/** Answers for an ECSI survey: the real ones when the data set is there. */
function ecsiAnswers() {
  const DATA = process.env.KEHU_SHARED_DATA ?? '../shared/data';
  const file = join(DATA, 'ecsi_mobi.csv');
  if (existsSync(file)) {
    const [head, ...rows] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
    const names = head.split(',').map((x) => x.replace(/"/g, ''));
    return { names, rows: rows.slice(0, 120).map((r) => r.split(',').map(Number)) };
  }
  // Simulated: each block of items follows one latent score, the blocks in a chain.
  const names = ['IMAG1', 'IMAG2', 'IMAG3', 'IMAG4', 'IMAG5', 'CUEX1', 'CUEX2', 'CUEX3', 'PERQ1', 'PERQ2', 'PERQ3', 'PERQ4', 'PERQ5', 'PERQ6', 'PERQ7',
    'PERV1', 'PERV2', 'CUSA1', 'CUSA2', 'CUSA3', 'CUSCO', 'CUSL1', 'CUSL2', 'CUSL3'];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const clip = (x) => Math.max(1, Math.min(10, Math.round(x)));
  const rows = [];
  for (let i = 0; i < 120; i++) {
    const base = 3 + 6 * rnd();
    rows.push(names.map(() => clip(base + 2 * (rnd() - 0.5))));
  }
  return { names, rows };
}

test('satisfaction: the ECSI path diagram carries the coefficients the API estimated, for each scheme', async () => {
  const { names, rows } = ecsiAnswers();
  const sv = await api('POST', '/surveys', { name: 'E2E ECSI', kind: 'ecsi', scale_min: 1, scale_max: 10 });
  assert.equal(sv.status, 201, JSON.stringify(sv.body));
  let pos = 0;
  for (const code of names) {
    const q = await api('POST', '/survey_questions', { survey_id: sv.body.id, position: pos++, code, type: 'scale', text: code, scale_min: 1, scale_max: 10 });
    assert.equal(q.status, 201, JSON.stringify(q.body));
  }
  assert.equal((await api('PATCH', `/surveys/${sv.body.id}`, { status: 'active' })).status, 200);
  const contacts = (await api('GET', `/contacts?limit=${rows.length}`)).body.data.map((c) => c.id);
  const inv = await api('POST', `/surveys/${sv.body.id}/send`, { contact_ids: contacts });
  assert.equal(inv.status, 201, JSON.stringify(inv.body));
  for (const [i, t] of inv.body.invitations.entries()) {
    const answers = Object.fromEntries(names.map((n, j) => [n, rows[i][j]]));
    const r = await s.srv.call('POST', `/api/v1/public/surveys/${t.token}`, { json: { answers } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  await page.goto(s.url('/analytics/satisfaction'));
  await page.locator('select[name="survey"]').selectOption(String(sv.body.id));
  for (const scheme of ['path', 'centroid']) {
    await page.locator('select[name="scheme"]').selectOption(scheme);
    const est = (await api('GET', `/analytics/satisfaction?survey=${sv.body.id}&scheme=${scheme}`)).body;
    assert.equal(est.respondents, rows.length);
    // The chart's description lists every path with its coefficient, as drawn.
    const p = est.paths.find((x) => x.from === 'Satisfaction' && x.to === 'Loyalty') ?? est.paths[0];
    const coef = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(p.coef);
    await page.locator('[data-chart="diagram"]').filter({ hasText: '' }).first().waitFor();
    await page.waitForFunction((c) => [...document.querySelectorAll('[data-chart="diagram"] [aria-label], [data-chart="diagram"]')]
      .some((e) => (e.getAttribute('aria-label') ?? e.textContent ?? '').includes(c)), coef);
    const lat = page.locator('[data-table="latent"] tbody tr');
    assert.equal(await lat.count(), est.latent.length);
  }
  await shot(page, 'analytics-satisfaction');
});

test('scorecard: an administrator sets a target; a threshold on the wrong side is refused at its KPI', async () => {
  await page.goto(s.url('/analytics/scorecard'));
  const row = page.locator('[data-table="targets"] tr[data-kpi="csat"]');
  await row.waitFor();
  await row.locator('input[name="csat.target"]').fill('95');
  await row.locator('input[name="csat.threshold"]').fill('99');
  await page.locator('[data-card="targets"] button[type=submit]').click();
  await row.locator('.field-error', { hasText: /./ }).waitFor();
  assert.notEqual((await api('GET', '/analytics/scorecard')).body.perspectives.flatMap((p) => p.kpis).find((k) => k.id === 'csat').target, 95);
  await row.locator('input[name="csat.threshold"]').fill('85');
  await page.locator('[data-card="targets"] button[type=submit]').click();
  await page.locator('[data-kpi="csat"].an-kpi', { hasText: '95' }).waitFor();
  const csat = (await api('GET', '/analytics/scorecard')).body.perspectives.flatMap((p) => p.kpis).find((k) => k.id === 'csat');
  assert.deepEqual([csat.target, csat.threshold], [95, 85]);
});
