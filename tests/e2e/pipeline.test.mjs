// The pipeline board: dragging a card changes the stage through the API; the
// stage menu does the same from the keyboard; a card someone else changed first
// is refused with a clear message and the board shows the truth.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, login, shot } from './browser.mjs';

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
const column = (stage) => page.locator(`.column[data-stage=${stage}]`);

test('columns show the open deals of each stage with their count', async () => {
  await page.goto(s.url('/pipeline'));
  await column('prospecting').locator('.kcard').first().waitFor();
  const n = (await api('GET', '/opportunities?stage=proposal&count=1&limit=1')).body.total;
  await column('proposal').locator('.column-figures', { hasText: `${n} 个商机` }).waitFor();
  // The amount of a column is the sum over all its deals (the aggregate API), not only the cards shown.
  const agg = (await api('GET', '/opportunities/aggregate?group=stage&measures=count,sum:amount')).body.groups;
  const prospecting = agg.find((g) => g.key.stage === 'prospecting');
  const compact = new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY', notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 }).format(prospecting.sum_amount / 100);
  await column('prospecting').locator('.column-sum', { hasText: compact }).waitFor();
  assert.equal(await column('prospecting').locator('.column-sum .muted').count(), 0, 'not marked as a sum of the shown cards');
  await shot(page, 'pipeline');
});

test('dragging a card to another column changes its stage', async () => {
  const card = column('prospecting').locator('.kcard').first();
  const id = Number(await card.getAttribute('data-id'));
  await card.dragTo(column('qualification'));
  await column('qualification').locator(`.kcard[data-id="${id}"]`).waitFor();
  await page.locator('.toast', { hasText: '需求确认' }).waitFor();
  const r = await api('GET', `/opportunities/${id}`);
  assert.equal(r.body.stage, 'qualification');
  assert.equal(await column('prospecting').locator(`.kcard[data-id="${id}"]`).count(), 0);
});

test('the stage menu on a card moves it from the keyboard', async () => {
  const card = column('qualification').locator('.kcard').first();
  const id = Number(await card.getAttribute('data-id'));
  await card.locator('select').focus();
  await card.locator('select').selectOption('closed_won');
  await column('closed_won').locator(`.kcard[data-id="${id}"]`).waitFor();
  await page.locator('.toast', { hasText: '赢单' }).waitFor();
  const r = await api('GET', `/opportunities/${id}`);
  assert.equal(r.body.stage, 'closed_won');
  assert.equal(r.body.status, 'won', 'the server sets the status from the stage');
});

test('a card that someone else changed first is not moved, and the reason is shown', async () => {
  const card = column('needs_analysis').locator('.kcard').first();
  const id = Number(await card.getAttribute('data-id'));
  const name = (await card.locator('.kcard-title').textContent()).trim();
  const cur = (await api('GET', `/opportunities/${id}`)).body;
  // Meanwhile a colleague moves it to negotiation.
  const other = await api('PATCH', `/opportunities/${id}`, { stage: 'negotiation' }, { 'if-match': `"${cur.version}"` });
  assert.equal(other.status, 200);
  await card.dragTo(column('proposal'));
  const alert = page.locator('.conflict[role=alert]');
  await alert.waitFor();
  const text = await alert.textContent();
  assert.match(text, new RegExp(`其他人已先修改了“${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}”`));
  assert.match(text, /商务谈判/);
  await column('negotiation').locator(`.kcard[data-id="${id}"]`).waitFor();
  assert.equal(await column('proposal').locator(`.kcard[data-id="${id}"]`).count(), 0);
  assert.equal((await api('GET', `/opportunities/${id}`)).body.stage, 'negotiation', 'the colleague’s change stands');
  await shot(page, 'pipeline-conflict');
});

test('an account’s 360 view shows its open opportunities, cases and recent activities on one screen', async () => {
  // The demo account with the most open opportunities makes the fullest picture.
  const opps = (await api('GET', '/opportunities?status=open&limit=500')).body.data;
  const counts = new Map();
  for (const o of opps) counts.set(o.account_id, (counts.get(o.account_id) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
  let [accountId, n] = ranked[0];
  for (const [id, k] of ranked) {
    const acts = (await api('GET', `/accounts/${id}/activities?limit=1`)).body.data;
    if (acts.length) { [accountId, n] = [id, k]; break; }
  }
  await page.goto(s.url(`/accounts/${accountId}`));
  const openOpps = page.getByRole('region', { name: '进行中的商机' });
  await openOpps.locator('.count', { hasText: String(n) }).waitFor();
  assert.equal(await openOpps.locator('.mini-list li').count(), Math.min(n, 10));
  await page.getByRole('region', { name: '未结工单' }).waitFor();
  await page.locator('#timeline-title', { hasText: '最近活动' }).waitFor();
  await page.getByRole('tab', { name: '联系人' }).waitFor();
  // The value figures are the server's customer summary, formatted for the locale.
  const sum = (await api('GET', `/accounts/${accountId}/summary`)).body;
  const money = new Intl.NumberFormat('zh-CN', { style: 'currency', currency: sum.currency ?? 'CNY' }).format(sum.revenue / 100);
  await page.locator('[data-figure=value_revenue] .figure-value', { hasText: money }).waitFor();
  assert.equal(await page.locator('[data-figure=value_orders] .figure-value').textContent(), new Intl.NumberFormat('zh-CN').format(sum.orders));
  assert.equal(await page.locator('[data-figure=value_open_opps] .figure-value').textContent(), String(sum.open_opportunities));
  await shot(page, 'account-360');
});
