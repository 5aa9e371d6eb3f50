// Global search in Chinese as you type, the language switch (remembered),
// locale formatting, the dashboard, and phone-sized screens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, setupBrowserOnly, login, shot } from './browser.mjs';

let s, page, token;
before(async () => {
  s = await setup({ customers: 300 });
  page = s.page;
  token = await s.srv.login();
  await login(page, s.srv.url);
});
after(async () => {
  assert.deepEqual(s?.errors ?? [], []);
  await s?.stop();
});
const api = (method, path, json, headers) => s.srv.call(method, `/api/v1${path}`, { token, json, headers });

test('search finds a Chinese name from two of its characters, grouped by type, and opens it from the keyboard', async () => {
  const acc = (await api('POST', '/accounts', { name: '武当三丰太极有限公司' })).body;
  const c = (await api('POST', '/contacts', { name: '张三丰', account_id: acc.id })).body;
  await page.goto(s.url('/'));
  await page.getByRole('heading', { level: 1, name: '仪表盘' }).waitFor();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'global-search', '“/” focuses the search box');
  await page.keyboard.type('三丰');
  const results = page.locator('#search-results');
  await results.getByRole('group', { name: '联系人' }).getByRole('option', { name: /张三丰/ }).waitFor();
  await results.getByRole('group', { name: '客户' }).getByRole('option', { name: /武当三丰太极有限公司/ }).waitFor();
  const groups = await results.locator('.search-group-title').allTextContents();
  assert.ok(groups.indexOf('客户') < groups.indexOf('联系人'), 'groups follow the entity order');
  await shot(page, 'search');
  // Walk to the contact and open it.
  const options = await results.getByRole('option').allTextContents();
  const idx = options.findIndex((o) => o.startsWith('张三丰'));
  for (let i = 0; i < idx; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/contacts/${c.id}$`));
  await page.getByRole('heading', { level: 1, name: '张三丰' }).waitFor();
});

test('search says when nothing is found', async () => {
  await page.locator('#global-search').fill('这个名字肯定不存在');
  await page.locator('#search-results', { hasText: '没有找到' }).waitFor();
  await page.locator('#global-search').press('Escape');
});

test('switching to English translates every label and formats money and dates for the locale, and is remembered', async () => {
  const opp = (await api('GET', '/opportunities?limit=1&sort=-amount')).body.data[0];
  await page.goto(s.url(`/opportunities/${opp.id}`));
  await page.locator('[data-field=amount] dd', { hasText: '¥' }).waitFor();
  const zhAmount = (await page.locator('[data-field=amount] dd .num').textContent()).trim();
  assert.match(zhAmount, /^¥[\d,]+\.\d\d$/);
  await page.getByRole('combobox', { name: '语言' }).selectOption('en');
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Opportunities' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  const enAmount = (await page.locator('[data-field=amount] dd .num').textContent()).trim();
  assert.match(enAmount, /^CN¥[\d,]+\.\d\d$/);
  const closeDate = await page.locator('[data-field=expected_close_date] dd time').textContent();
  assert.match(closeDate, /^[A-Z][a-z]{2} \d{1,2}, \d{4}$/, 'an English date');
  assert.equal(await page.locator('[data-field=stage] dd .badge').textContent(), { prospecting: 'Prospecting', qualification: 'Qualification', needs_analysis: 'Needs analysis', proposal: 'Proposal', negotiation: 'Negotiation', closed_won: 'Closed won', closed_lost: 'Closed lost' }[opp.stage]);
  // No Chinese is left in the page's own labels (record data may be Chinese).
  const labels = await page.locator('nav.nav a, nav.nav h2, .card-title, dt, .topbar button, .quicklog-buttons, .crumbs').allTextContents();
  assert.deepEqual(labels.filter((x) => /[\u4e00-\u9fff]/.test(x)), []);
  await shot(page, 'opportunity-en');
  await page.reload();
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();

  // Remembered for the user on the server: another browser (a fresh profile) opens in English.
  const prefs = await api('GET', '/me/preferences');
  assert.equal(prefs.status, 200);
  assert.equal(prefs.body.language, 'en', 'the choice is stored for the user on the server');
  const other = await setupBrowserOnly();
  try {
    await login(other.page, s.srv.url);
    await other.page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Opportunities' }).waitFor();
  } finally {
    await other.close();
  }
  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  await page.getByRole('navigation', { name: '主导航' }).waitFor();
  // The saved choice follows (it is written a moment after the switch).
  for (let i = 0; i < 20 && (await api('GET', '/me/preferences')).body.language !== 'zh-CN'; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await api('GET', '/me/preferences')).body.language, 'zh-CN');
});

test('the dashboard draws its charts from the aggregate API (or says the server lacks it)', async () => {
  await page.goto(s.url('/'));
  await page.getByRole('heading', { level: 1, name: '仪表盘' }).waitFor();
  const openCaseGroups = (await api('GET', '/cases/aggregate?group=status&measures=count&status[in]=new,assigned,in_progress,waiting')).body.groups;
  const charts = ['月度收入', '各阶段进行中商机', '新线索来源（近 90 天）'];
  if (openCaseGroups.length) charts.push('未结工单（按状态与优先级）');
  else await page.getByRole('region', { name: '未结工单（按状态与优先级）' }).getByText('暂无。').waitFor();
  for (const name of charts) {
    const chart = page.getByRole('region', { name }).locator('.chart');
    await chart.locator('svg path').first().waitFor({ state: 'attached' });
    assert.ok((await chart.getAttribute('aria-label')).startsWith(name + '：'), 'the chart is described to screen readers');
  }
  // The KPI tiles agree with the API: open cases counted, open pipeline summed.
  const openCases = (await api('GET', '/cases?status[in]=new,assigned,in_progress,waiting&count=1&limit=1')).body.total;
  assert.equal(await page.locator('.kpi', { hasText: '未结工单' }).locator('.kpi-value').textContent(), new Intl.NumberFormat('zh-CN').format(openCases));
  const pipe = (await api('GET', '/opportunities/aggregate?group=stage&measures=sum:amount&status=open')).body.groups.reduce((a, g) => a + g.sum_amount, 0);
  const compact = new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY', notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 }).format(pipe / 100);
  assert.equal(await page.locator('.kpi', { hasText: '进行中商机金额' }).locator('.kpi-value').textContent(), compact);

  await page.waitForTimeout(400); // let the charts finish their short animation
  await shot(page, 'dashboard', { fullPage: true });
});

test('on a phone-sized screen the list, record and activity logging work', async () => {
  const phone = await s.browser.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await login(phone, s.srv.url);
  await phone.goto(s.url('/contacts'));
  await phone.locator('tbody tr').first().waitFor();
  assert.equal(await phone.locator('thead').isVisible(), false, 'rows are cards, not a wide table');
  const box = await phone.locator('.table-wrap').boundingBox();
  assert.ok(box.width <= 390, 'nothing is wider than the screen');
  await shot(phone, 'mobile-list');
  await phone.getByRole('button', { name: '菜单' }).click();
  await phone.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '客户' }).click();
  await phone.waitForURL(/\/accounts$/);
  await phone.locator('tbody a.row-title').first().click();
  await phone.locator('.record-page').waitFor();
  await phone.getByRole('button', { name: '✎ 添加备注' }).click();
  await phone.locator('#ql-notes').fill('手机上记录的备注');
  await phone.getByRole('form', { name: '添加备注' }).getByRole('button', { name: '保存' }).click();
  await phone.locator('.timeline', { hasText: '手机上记录的备注' }).waitFor();
  await shot(phone, 'mobile-record');
  await phone.close();
});
