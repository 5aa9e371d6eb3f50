// The Analytics section in a real browser: the charts draw, the cube drills
// down and rolls back up, a survey is built, sent, answered on a phone through
// the public page (once), and scored; AHP judgements are checked for
// consistency as they are entered; the 360 view shows the stored scores; and
// the section speaks Chinese and English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setup, setupBrowserOnly, login, shot } from './browser.mjs';

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

test('customer value: the RFM grid, segments, Pareto curve and CLV distribution are drawn from the API', async () => {
  await page.goto(s.url('/analytics'));
  await page.locator('h1', { hasText: '客户价值' }).waitFor();
  for (const c of ['rfm-grid', 'rfm-segments', 'pareto', 'clv']) await chart(c).waitFor();
  const rfm = (await api('GET', '/analytics/rfm?limit=0')).body;
  const champs = rfm.segments.find((x) => x.name === 'Champions');
  await page.locator('[data-segment="Champions"] td', { hasText: '冠军客户' }).waitFor();
  assert.equal(await page.locator('[data-segment="Champions"] td').nth(1).innerText(), new Intl.NumberFormat('zh-CN').format(champs.customers));
  // The grid's cells are the API's counts.
  const grid = await page.locator('[data-chart="rfm-grid"] svg').innerHTML();
  assert.ok(grid.includes(`>${rfm.grid[0][0].customers}<`), 'a cell of the grid is labelled with its count');
  await shot(page, 'analytics-value');
});

test('churn: the riskiest customers with their reasons, linked to their records', async () => {
  await page.locator('.an-tab', { hasText: '流失风险' }).click();
  const row = page.locator('[data-table="at-risk"] tbody tr').first();
  await row.waitFor();
  assert.ok(await row.locator('.an-reason').count() >= 1);
  const href = await row.locator('a').getAttribute('href');
  assert.match(href, /^\/contacts\/\d+$/);
  await chart('calibration').waitFor();
  await shot(page, 'analytics-churn');
});

test('lifecycle flows as a Sankey diagram; cohorts and survival on the loyalty page', async () => {
  await page.goto(s.url('/analytics/lifecycle'));
  await chart('sankey').waitFor();
  assert.ok(await page.locator('[data-chart="sankey"] svg path').count() > 5);
  await page.goto(s.url('/analytics/loyalty'));
  await chart('cohorts').waitFor();
  await chart('survival').waitFor();
  await shot(page, 'analytics-lifecycle');
});

test('the cube: drill from years into the quarters of one year, then roll back up', async () => {
  await page.goto(s.url('/analytics/cube'));
  const firstYear = page.locator('[data-table="pivot"] tbody tr.drillable').first();
  await firstYear.waitFor();
  const year = await firstYear.getAttribute('data-member');
  assert.match(year, /^\d{4}$/);
  await firstYear.locator('th').click();
  await page.locator(`[data-table="pivot"] tbody tr[data-member^="${year}-Q"]`).first().waitFor();
  const cube = (await api('GET', `/analytics/cube?dims=quarter&year=${year}`)).body;
  assert.equal(await page.locator('[data-table="pivot"] tbody tr.drillable').count(), cube.cells.length);
  await page.locator('.an-crumbs button', { hasText: year }).click();
  await page.locator('[data-table="pivot"] tbody tr[data-member="' + year + '"]').waitFor();
  await shot(page, 'analytics-cube');
});

test('a survey is built and sent in the UI, answered once on a phone, and its result shows', async () => {
  await page.goto(s.url('/analytics/surveys'));
  await page.locator('input[name="survey-name"]').fill('E2E 服务满意度');
  await page.locator('select[name="survey-kind"]').selectOption('nps');
  await page.locator('[data-card="new-survey"] button[type=submit]').click();
  await page.locator('h2', { hasText: 'E2E 服务满意度' }).waitFor();
  const add = async (code, type, text) => {
    await page.locator('input[name="q-code"]').fill(code);
    await page.locator('select[name="q-type"]').selectOption(type);
    await page.locator('input[name="q-text"]').fill(text);
    await page.locator('form[aria-label="添加题目"] button[type=submit]').click();
    await page.locator('.an-questions li', { hasText: code }).waitFor();
  };
  await add('NPS', 'nps', '您向朋友推荐我们的可能性有多大?');
  await add('CSAT', 'scale', '您对这次服务满意吗?');
  await page.locator('button[name="activate"]').click();
  await page.locator('select[name="segment"]').waitFor();
  await page.locator('[data-card="send"] button[type=submit]').click();
  const link = page.locator('[data-list="links"] a').first();
  await link.waitFor();
  const href = await link.getAttribute('href');
  assert.match(href, /^\/s\/[A-Za-z0-9_-]{22}$/);

  const phone = await setupBrowserOnly({ viewport: { width: 390, height: 844 } });
  try {
    const p = phone.page;
    await p.goto(s.url(href));
    await p.locator('h1', { hasText: 'E2E 服务满意度' }).waitFor();
    // Nothing is sent without the required answers.
    await p.locator('button[type=submit]').click();
    await p.locator('#q-NPS[aria-invalid=true]').waitFor();
    await p.locator('#q-NPS label', { hasText: /^9$/ }).click();
    await p.locator('#q-CSAT label', { hasText: /^5$/ }).click();
    await p.locator('textarea[name=comment]').fill('送货很快');
    // Touch targets are big enough for a finger.
    const box = await p.locator('#q-NPS label').first().boundingBox();
    assert.ok(box.height >= 40, `answer buttons are ${box.height}px high`);
    await shot(p, 'survey-phone');
    await p.locator('button[type=submit]').click();
    await p.locator('[data-state="thanks"]').waitFor();
    await p.reload();
    await p.locator('[data-state="already"]').waitFor();
  } finally {
    await phone.close();
  }
  await page.reload();
  const figures = page.locator('[data-card="results"] .figure');
  await figures.first().waitFor();
  await page.locator('[data-card="results"] .figure', { hasText: '答卷数' }).locator('.figure-value', { hasText: /^1$/ }).waitFor();
  await page.locator('[data-card="comments"] li', { hasText: '送货很快' }).waitFor();
  await shot(page, 'analytics-survey');
});

test('AHP: an inconsistent judgement is flagged as it is entered, and the fix is suggested', async () => {
  await page.goto(s.url('/analytics/capability'));
  const m = page.locator('[data-matrix="basic"]');
  await m.waitFor();
  await page.locator('[data-card="matrix-basic"] [data-consistency="ok"]').waitFor();
  // Insight 9x interaction, interaction 9x value, yet value 9x insight.
  await m.locator('select[data-cell="0-1"]').selectOption(String(9));
  await m.locator('select[data-cell="1-2"]').selectOption(String(9));
  await m.locator('select[data-cell="0-2"]').selectOption(String(1 / 9));
  const warn = page.locator('[data-card="matrix-basic"] [data-consistency="bad"]');
  await warn.waitFor();
  assert.match(await warn.innerText(), /CR/);
  assert.ok(await m.locator('td.worst').count() >= 1);
  // 3 x 3 = 9: perfectly consistent.
  await m.locator('select[data-cell="0-1"]').selectOption(String(3));
  await m.locator('select[data-cell="1-2"]').selectOption(String(3));
  await m.locator('select[data-cell="0-2"]').selectOption(String(9));
  await page.locator('[data-card="matrix-basic"] [data-consistency="ok"]').waitFor();
  await page.locator('button', { hasText: '保存评估' }).click();
  await page.locator('.toast', { hasText: '已保存' }).waitFor();
  await chart('global-weights').waitFor();
  await shot(page, 'analytics-capability');
});

test('the 360 view shows the stored RFM segment, CLV and churn risk as badges', async () => {
  assert.equal((await api('POST', '/analytics/refresh')).status, 202);
  let top;
  for (let i = 0; i < 100 && !top; i++) {
    const st = (await api('GET', '/analytics/status')).body;
    if (st.refreshes.some((r) => r.entity === 'contacts')) top = (await api('GET', '/analytics/rfm?limit=1')).body.customers[0];
    else await new Promise((ok) => setTimeout(ok, 200));
  }
  assert.ok(top, 'the refresh ran');
  await page.goto(s.url(`/contacts/${top.customer_id}`));
  await page.locator('[data-badge="rfm"]').waitFor();
  const zh = { Champions: '冠军客户', Loyal: '忠诚客户', 'Potential Loyalists': '潜力客户', 'At Risk': '有风险客户', "Can't Lose": '不能失去的客户' };
  assert.match(await page.locator('[data-badge="rfm"]').innerText(), new RegExp(zh[top.segment] ?? '.'));
  await page.locator('[data-badge="clv"]').waitFor();
  await shot(page, 'account-360-scores');
});

test('the scorecard and the 7P report; the section in English', async () => {
  await page.goto(s.url('/analytics/scorecard'));
  for (const p of ['knowledge', 'interaction', 'customer', 'company']) await page.locator(`[data-card="perspective-${p}"]`).waitFor();
  assert.ok(await page.locator('.an-kpi[data-status]').count() >= 13);
  await chart('strategy-map').waitFor();
  await page.goto(s.url('/analytics/report'));
  await page.locator('[data-table="7p"] tbody tr').first().waitFor();
  await page.locator('.topbar select').selectOption('en');
  await page.locator('h1', { hasText: '7P report' }).waitFor();
  await page.locator('.an-tab', { hasText: 'Customer value' }).click();
  await page.locator('[data-card="rfm-grid"] .card-title', { hasText: 'RFM grid' }).waitFor();
  await page.locator('.topbar select').selectOption('zh-CN');
  await page.locator('h1', { hasText: '客户价值' }).waitFor();
});

test('the analytics pages and the answer page have no serious accessibility violations (axe-core)', async () => {
  const axe = await readFile(resolve('web/node_modules/axe-core/axe.min.js'), 'utf8');
  const check = async (p, path, ready) => {
    await p.goto(s.url(path));
    await p.locator(ready).first().waitFor();
    await p.waitForTimeout(300);
    await p.evaluate(axe);
    const r = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(bad, [], path);
  };
  for (const [path, ready] of [['/analytics/value', '[data-chart="rfm-grid"] svg'], ['/analytics/churn', '[data-table="at-risk"] tbody tr'],
    ['/analytics/cube', '[data-table="pivot"] tbody tr'], ['/analytics/surveys', '[data-card="surveys"] tbody tr'],
    ['/analytics/scorecard', '.an-kpi'], ['/analytics/capability', '[data-matrix]'], ['/analytics/report', '[data-table="7p"] tbody tr']])
    await check(page, path, ready);
  const survey = (await api('GET', '/surveys?limit=1&sort=-id')).body.data[0];
  // A contact of its own, so that no earlier test has invited it yet.
  const contact = (await api('POST', '/contacts', { name: '无障碍测试', email: 'a11y@example.com' })).body;
  const inv = (await api('POST', `/surveys/${survey.id}/send`, { contact_ids: [contact.id], channel: 'link' })).body;
  assert.equal(inv.invitations?.length, 1, JSON.stringify(inv));
  const phone = await setupBrowserOnly({ viewport: { width: 390, height: 844 } });
  try {
    await check(phone.page, inv.invitations[0].link, 'fieldset');
  } finally {
    await phone.close();
  }
});
