// Records in a real browser: create with a server validation error shown at the
// field, fix it; inline edit; a conflicting edit; one-click call logging; lists
// with sort, filters, keyset paging, columns and bulk assign / archive.
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
  assert.deepEqual(s?.errors ?? [], [], 'no uncaught errors in the page');
  await s?.stop();
});

const api = (method, path, json, headers) => s.srv.call(method, `/api/v1${path}`, { token, json, headers });

test('create a contact: the server’s error appears at the field, then the fixed form creates it', async () => {
  await page.goto(s.url('/contacts'));
  await page.getByRole('link', { name: '+ 新建联系人' }).click();
  await page.locator('#new-name').fill('测试联系人甲');
  await page.locator('#new-email').fill('not-an-email');
  // A reference is chosen from what the API finds as one types.
  await page.locator('#new-account_id').fill('有限公司');
  await page.locator('#new-account_id-list [role=option]').first().click();
  const account = await page.locator('#new-account_id').inputValue();
  assert.ok(account.length > 0, 'an account was chosen');
  await page.getByRole('button', { name: '创建' }).click();
  const err = page.locator('#new-email-error');
  await err.waitFor();
  assert.equal(await err.textContent(), '不是有效的邮箱地址');
  assert.equal(await page.locator('#new-email').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'new-email', 'focus moves to the field in error');
  await shot(page, 'contact-new-validation');
  await page.locator('#new-email').fill('jia@example.com');
  assert.equal(await err.count(), 0, 'the message goes once the field is changed');
  await page.getByRole('button', { name: '创建' }).click();
  await page.waitForURL(/\/contacts\/\d+$/);
  await page.getByRole('heading', { level: 1, name: '测试联系人甲' }).waitFor();
  const id = Number(page.url().split('/').pop());
  const r = await api('GET', `/contacts/${id}`);
  assert.equal(r.body.email, 'jia@example.com');
  assert.ok(r.body.account_id > 0);
  assert.equal((await page.locator('[data-field=account_id] dd a').textContent()).trim(), account);
});

test('inline edit saves one field; a bad value shows the server’s message at the field', async () => {
  const c = (await api('POST', '/contacts', { name: '行内编辑', email: 'inline@example.com' })).body;
  await page.goto(s.url(`/contacts/${c.id}`));
  await page.getByRole('button', { name: '编辑职务' }).click();
  await page.locator('#f-title').fill('采购总监');
  await page.locator('#f-title').press('Enter');
  await page.locator('[data-field=title] dd', { hasText: '采购总监' }).waitFor();
  assert.equal((await api('GET', `/contacts/${c.id}`)).body.title, '采购总监');

  await page.getByRole('button', { name: '编辑邮箱' }).click();
  await page.locator('#f-email').fill('bad@');
  await page.locator('#f-email').press('Enter');
  await page.locator('#f-email-error', { hasText: '不是有效的邮箱地址' }).waitFor();
  await page.locator('#f-email').press('Escape');
  assert.equal((await api('GET', `/contacts/${c.id}`)).body.email, 'inline@example.com', 'nothing was written');
});

test('an edit that conflicts with someone else’s is caught, explained and can be saved again', async () => {
  const c = (await api('POST', '/contacts', { name: '冲突测试', department: '销售部' })).body;
  await page.goto(s.url(`/contacts/${c.id}`));
  await page.getByRole('button', { name: '编辑部门' }).click();
  await page.locator('#f-department').fill('市场部');
  // Someone else saves first.
  const other = await api('PATCH', `/contacts/${c.id}`, { department: '财务部' }, { 'if-match': `"${c.version}"` });
  assert.equal(other.status, 200);
  await page.locator('#f-department').press('Enter');
  await page.locator('#f-department-error', { hasText: '其他人修改了这条记录' }).waitFor();
  assert.equal(await page.locator('#f-department').inputValue(), '市场部', 'what the user typed is kept');
  await page.locator('#f-department').press('Enter');
  await page.locator('[data-field=department] dd', { hasText: '市场部' }).waitFor();
  assert.equal((await api('GET', `/contacts/${c.id}`)).body.department, '市场部');
});

test('log a call in one click; it appears on the timeline of the contact and its account', async () => {
  const acc = (await api('POST', '/accounts', { name: '时间线测试有限公司' })).body;
  const c = (await api('POST', '/contacts', { name: '时间线', account_id: acc.id })).body;
  await page.goto(s.url(`/contacts/${c.id}`));
  await page.getByRole('button', { name: '☎ 记录通话' }).click();
  assert.equal(await page.locator('#ql-subject').inputValue(), '电话沟通');
  await page.locator('#ql-notes').fill('客户确认下周二上门演示');
  await page.getByRole('form', { name: '记录通话' }).getByRole('button', { name: '保存' }).click();
  await page.locator('.timeline .tl-item', { hasText: '客户确认下周二上门演示' }).waitFor();
  await shot(page, 'contact-360');
  const acts = (await api('GET', `/accounts/${acc.id}/activities`)).body.data;
  assert.equal(acts.length, 1);
  assert.equal(acts[0].type, 'call');
  assert.equal(acts[0].status, 'completed');
  assert.equal(acts[0].contact_id, c.id);
  // A task can be added and marked done from the timeline.
  await page.getByRole('button', { name: '☑ 添加任务' }).click();
  await page.locator('#ql-subject').fill('发送报价单');
  await page.getByRole('form', { name: '添加任务' }).getByRole('button', { name: '保存' }).click();
  const task = page.locator('.timeline .tl-item', { hasText: '发送报价单' });
  await task.getByRole('button', { name: '标记完成' }).click();
  await task.getByRole('button', { name: '标记完成' }).waitFor({ state: 'detached' });
  const done = (await api('GET', `/contacts/${c.id}/activities?type=task`)).body.data[0];
  assert.equal(done.status, 'completed');
});

test('a list sorts by a column, filters, pages by cursor and remembers chosen columns', async () => {
  await page.goto(s.url('/contacts'));
  await page.locator('.pager-range', { hasText: '第 1–50 条' }).waitFor();
  await shot(page, 'contacts-list');
  await page.getByRole('button', { name: '姓名' }).click();
  await page.waitForURL(/sort=name/);
  assert.equal(await page.locator('th', { hasText: '姓名' }).getAttribute('aria-sort'), 'ascending');
  await page.getByRole('button', { name: '下一页 ›' }).click();
  await page.locator('.pager-range', { hasText: '第 51–100 条' }).waitFor();
  const second = await page.locator('tbody a.row-title').allTextContents();
  const expected = (await api('GET', '/contacts?sort=name&limit=100')).body.data.slice(50).map((r) => r.name);
  assert.deepEqual(second, expected, 'page two is the API’s page two');
  await page.getByRole('button', { name: '‹ 上一页' }).click();
  await page.locator('.pager-range', { hasText: '第 1–50 条' }).waitFor();

  await page.getByRole('button', { name: '筛选' }).click();
  await page.locator('#filters label', { hasText: '来源' }).locator('select').selectOption('wechat');
  await page.waitForURL(/f\.source=wechat/);
  const wechat = (await api('GET', '/contacts?source=wechat&count=1&limit=1')).body.total;
  await page.locator('h1 .count', { hasText: String(wechat) }).waitFor();
  const sources = await page.locator('tbody td[data-label="来源"]').allTextContents();
  assert.ok(sources.length > 0 && sources.every((x) => x === '微信'), 'only WeChat contacts are listed');

  await page.getByRole('button', { name: '列', exact: true }).click();
  await page.locator('#columns label', { hasText: '城市' }).locator('input').check();
  await page.locator('th', { hasText: '城市' }).waitFor();
  await page.reload();
  await page.locator('th', { hasText: '城市' }).waitFor();
});

test('bulk assign and bulk archive act on the selected rows', async () => {
  const made = [];
  for (const n of ['批量一', '批量二', '批量三']) made.push((await api('POST', '/contacts', { name: n })).body);
  await page.goto(s.url('/contacts?q=批量'));
  await page.locator('tbody tr').nth(2).waitFor();
  await page.getByRole('checkbox', { name: '选择 批量一' }).check();
  await page.getByRole('checkbox', { name: '选择 批量二' }).check();
  await page.locator('.bulkbar', { hasText: '已选 2 条' }).waitFor();
  await page.getByRole('button', { name: '分配给…' }).click();
  await page.locator('#bulk-value').click();
  await page.locator('#bulk-value-list [role=option]', { hasText: 'demo1_002' }).click();
  await page.getByRole('button', { name: '应用到 2 条' }).click();
  await page.locator('.toast', { hasText: '成功 2 条，失败 0 条' }).waitFor();
  const users = (await api('GET', '/users?username=demo1_002')).body.data;
  for (const c of made.slice(0, 2)) assert.equal((await api('GET', `/contacts/${c.id}`)).body.owner_id, users[0].id);
  assert.equal((await api('GET', `/contacts/${made[2].id}`)).body.owner_id, 1, 'the unselected one keeps its owner');

  // Bulk edit: any editable field, with the field's own input.
  await page.getByRole('checkbox', { name: '选择 批量三' }).check();
  await page.getByRole('button', { name: '批量修改' }).click();
  await page.locator('#bulk-field').selectOption('status');
  await page.locator('#bulk-value').selectOption('inactive');
  await page.getByRole('button', { name: '应用到 1 条' }).click();
  await page.locator('.toast', { hasText: '成功 1 条，失败 0 条' }).waitFor();
  assert.equal((await api('GET', `/contacts/${made[2].id}`)).body.status, 'inactive');
  assert.equal((await api('GET', `/contacts/${made[0].id}`)).body.status, 'active');

  page.once('dialog', (d) => d.accept());
  await page.getByRole('checkbox', { name: '选择本页全部' }).check();
  await page.getByRole('button', { name: '归档', exact: true }).click();
  await page.locator('.empty').waitFor();
  for (const c of made) assert.ok((await api('GET', `/contacts/${c.id}`)).body.archived_at, 'archived');
});

test('a bulk change is one request; a record someone changed meanwhile is named with the reason and left alone', async () => {
  const made = [];
  for (const n of ['批次甲', '批次乙', '批次丙']) made.push((await api('POST', '/contacts', { name: n })).body);
  await page.goto(s.url('/contacts?q=批次'));
  await page.locator('tbody tr').nth(2).waitFor();
  await page.getByRole('checkbox', { name: '选择本页全部' }).check();
  // Someone else edits 批次乙 after the list was loaded: the version the page holds is stale.
  assert.equal((await api('PATCH', `/contacts/${made[1].id}`, { title: '经理' })).status, 200);
  const writes = [];
  const seen = (r) => { if (r.method() !== 'GET' && r.url().includes('/api/v1/contacts')) writes.push(`${r.method()} ${new URL(r.url()).pathname}`); };
  page.on('request', seen);
  await page.getByRole('button', { name: '批量修改' }).click();
  await page.locator('#bulk-field').selectOption('city');
  await page.locator('#bulk-value').fill('苏州');
  await page.getByRole('button', { name: '应用到 3 条' }).click();
  await page.locator('.toast', { hasText: '成功 2 条，失败 1 条' }).waitFor();
  const failures = page.locator('[data-region="bulk-failures"]');
  await failures.waitFor();
  assert.match(await failures.textContent(), /1 条未修改.*批次乙.*已被他人修改或已归档/s);
  assert.equal(await failures.locator('li').count(), 1);
  page.off('request', seen);
  assert.deepEqual(writes, ['POST /api/v1/contacts/bulk/update'], 'one request for the whole selection');
  const city = async (c) => (await api('GET', `/contacts/${c.id}`)).body.city;
  assert.deepEqual([await city(made[0]), await city(made[1]), await city(made[2])], ['苏州', null, '苏州']);
  await shot(page, 'bulk-result');
});

test('an account lists its contacts; a contact added from there belongs to it; archive and restore', async () => {
  const acc = (await api('POST', '/accounts', { name: '关联列表测试有限公司', city: '成都' })).body;
  await page.goto(s.url(`/accounts/${acc.id}`));
  await page.getByRole('heading', { level: 1, name: '关联列表测试有限公司' }).waitFor();
  await page.getByRole('tab', { name: '联系人' }).click();
  await page.getByRole('tabpanel').getByText('暂无。').waitFor();
  await page.getByRole('tabpanel').getByRole('link', { name: '+ 新建联系人' }).click();
  await page.waitForURL(/\/contacts\/new\?account_id=\d+$/);
  assert.equal(await page.locator('#new-account_id').inputValue(), '关联列表测试有限公司', 'the account is filled in');
  await page.locator('#new-name').fill('关联联系人');
  await page.getByRole('button', { name: '创建' }).click();
  await page.waitForURL(/\/contacts\/\d+$/);
  await page.locator('[data-field=account_id] dd a', { hasText: '关联列表测试有限公司' }).click();
  await page.waitForURL(new RegExp(`/accounts/${acc.id}$`));
  await page.getByRole('tab', { name: '联系人' }).click();
  await page.getByRole('tabpanel').getByRole('link', { name: '关联联系人' }).waitFor();

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: '归档' }).click();
  await page.locator('h1 .badge', { hasText: '已归档' }).waitFor();
  assert.ok((await api('GET', `/accounts/${acc.id}`)).body.archived_at);
  await page.getByRole('button', { name: '恢复' }).click();
  await page.locator('h1 .badge').waitFor({ state: 'detached' });
  assert.equal((await api('GET', `/accounts/${acc.id}`)).body.archived_at, null);
});

test('a shipped order shows its lines as locked and offers no new line until it is unlocked', async () => {
  const product = (await api('POST', '/products', { name: '锁定测试产品', sku: 'LOCK-1', unit_price: 9900 })).body;
  const order = (await api('POST', '/orders', { order_date: '2026-03-01' })).body;
  assert.equal((await api('POST', '/order_lines', { order_id: order.id, product_id: product.id, quantity: 2 })).status, 201);
  assert.equal((await api('PATCH', `/orders/${order.id}`, { status: 'shipped' })).body.locked, true);
  await page.goto(s.url(`/orders/${order.id}`));
  await page.getByRole('heading', { level: 1, name: order.order_number }).waitFor();
  await page.getByRole('tab', { name: '订单明细' }).click();
  const panel = page.getByRole('tabpanel');
  await panel.locator('.related-locked', { hasText: '已锁定' }).waitFor();
  assert.equal(await panel.getByRole('link', { name: /新建/ }).count(), 0, 'no link to add a line');
  assert.equal(await panel.locator('tbody tr').count(), 1, 'the line is still listed');
  await shot(page, 'order-locked');
  assert.equal((await api('PATCH', `/orders/${order.id}`, { locked: false })).body.locked, false);
  await page.reload();
  await page.getByRole('tab', { name: '订单明细' }).click();
  await page.getByRole('tabpanel').getByRole('link', { name: /新建/ }).waitFor();
  assert.equal(await page.getByRole('tabpanel').locator('.related-locked').count(), 0);
});
