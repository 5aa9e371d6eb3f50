// The UI as someone other than the administrator: a sales rep sees his own
// records only (lists, counts, search, direct links), and a role without the
// personal-data permission sees personal fields masked, in lists and on the
// record page alike, as text rather than tel:/mailto: links. The UI offers only
// what the role allows (GET /auth/me's permissions): an analyst gets no "New",
// inline edit, archive, bulk actions or import; a rep gets them on his own
// records but not on one shared with him to read. Errors from the server are
// said in Chinese by their code. What the browser shows is compared with what
// the API gives (and refuses) the same user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, setupBrowserOnly, login, shot } from './browser.mjs';

let s, admin, rep, analyst, repPage, anaPage, mine, others, myDeal, sharedDeal;
const PASSWORD = 'Role-horse-77';
const api = (token, method, path, json) => s.srv.call(method, `/api/v1${path}`, { token, json });

before(async () => {
  s = await setup({ customers: 300 });
  admin = await s.srv.login();
  const mk = async (username, role, display_name) => {
    const u = await api(admin, 'POST', '/users', { username, role, password: PASSWORD, display_name });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    return { id: u.body.id, username, token: await s.srv.login(username, PASSWORD) };
  };
  rep = await mk('rep_li', 'sales_rep', '李销售');
  analyst = await mk('ana_wang', 'analyst', '王分析');
  // Three contacts of the rep's own (one with a mobile and e-mail to mask) and the demo's for everyone else.
  mine = [];
  for (const [name, extra] of [['甲客户', { mobile: '13812345678', email: 'jia@example.com' }], ['乙客户', {}], ['丙客户', {}]])
    mine.push((await api(admin, 'POST', '/contacts', { name, owner_id: rep.id, ...extra })).body);
  others = (await api(admin, 'GET', `/contacts?limit=5&owner_id[ne]=${rep.id}`)).body.data;
  assert.equal(others.length, 5);
  // Shared with the rep to read, not to change: he sees them, and may not edit them.
  const share = async (entity, record_id) => {
    const r = await api(admin, 'POST', '/shares', { entity, record_id, user_id: rep.id, access: 'read' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  await share('contacts', others[1].id);
  const account = (await api(admin, 'POST', '/accounts', { name: '共享测试公司', owner_id: rep.id })).body;
  myDeal = (await api(admin, 'POST', '/opportunities', { name: '我的商机', account_id: account.id, owner_id: rep.id, stage: 'prospecting', amount: 900000000 })).body;
  sharedDeal = (await api(admin, 'POST', '/opportunities', { name: '别人的商机', account_id: account.id, owner_id: 1, stage: 'prospecting', amount: 800000000 })).body;
  assert.ok(myDeal.id && sharedDeal.id, JSON.stringify([myDeal, sharedDeal]));
  await share('opportunities', sharedDeal.id);
  const r = await setupBrowserOnly(), a = await setupBrowserOnly();
  repPage = r; anaPage = a;
  await login(r.page, s.srv.url, { username: rep.username, password: PASSWORD });
  await login(a.page, s.srv.url, { username: analyst.username, password: PASSWORD });
});
after(async () => {
  await repPage?.close();
  await anaPage?.close();
  assert.deepEqual(s?.errors ?? [], [], 'no uncaught errors in the page');
  await s?.stop();
});

test('a sales rep\'s contact list holds his three contacts and the one shared with him', async () => {
  const page = repPage.page;
  await page.goto(s.url('/contacts'));
  await page.locator('h1 .count').waitFor();
  assert.equal((await page.locator('h1 .count').textContent()).trim(), '4');
  await page.locator('tbody tr').nth(3).waitFor();
  const names = await page.locator('tbody tr .row-title').allTextContents();
  assert.deepEqual([...names].sort(), [...mine.map((c) => c.name), others[1].name].sort());
  // The administrator's list of the same entity is far longer.
  const all = (await api(admin, 'GET', '/contacts?limit=1&count=1')).body.total;
  assert.ok(all > 300, `admin sees ${all}`);
  await shot(page, 'rep-contacts');
});

test('search and direct links do not reach others\' records', async () => {
  const page = repPage.page;
  const other = others[0]; // not the shared one
  await page.goto(s.url('/'));
  await page.locator('#global-search').fill(other.name);
  await page.locator('#search-results .muted').waitFor();
  assert.equal(await page.locator('#search-results [role=option]', { hasText: other.name }).count(), 0);
  // The administrator finds it by the same words; the rep's API answer has no such hit.
  const hit = (who) => api(who, 'GET', `/search?q=${encodeURIComponent(other.name)}`).then((r) => JSON.stringify(r.body).includes(`"id":${other.id},`));
  assert.equal(await hit(admin), true);
  assert.equal(await hit(rep.token), false);
  await page.goto(s.url(`/contacts/${other.id}`));
  await page.getByText(/不存在|未找到|not found/i).first().waitFor();
  assert.equal(await page.locator('h1', { hasText: other.name }).count(), 0);
  // His own record opens.
  await page.goto(s.url(`/contacts/${mine[0].id}`));
  await page.getByRole('heading', { level: 1, name: mine[0].name }).waitFor();
  assert.ok((await page.textContent('main')).includes('13812345678'), 'the rep may see personal data');
});

test('an analyst sees personal fields masked on the record page and in the list', async () => {
  const page = anaPage.page;
  const masked = (await api(analyst.token, 'GET', `/contacts/${mine[0].id}`)).body;
  assert.equal(masked.mobile, '138****5678');
  assert.equal(masked.email, 'j***@example.com');
  await page.goto(s.url(`/contacts/${mine[0].id}`));
  await page.getByRole('heading', { level: 1, name: mine[0].name }).waitFor();
  const text = await page.textContent('main');
  assert.ok(text.includes('138****5678'), 'mobile shown masked');
  assert.ok(text.includes('j***@example.com'), 'e-mail shown masked');
  assert.ok(!text.includes('13812345678') && !text.includes('jia@example.com'), 'the real values appear nowhere');
  await shot(anaPage.page, 'masked-contact');
  await page.goto(s.url('/contacts?q=甲客户'));
  await page.locator('tbody tr').first().waitFor();
  const html = await page.content();
  assert.ok(!html.includes('13812345678') && !html.includes('jia@example.com'), 'nor in the list');
});

test('masked personal values are plain text, never tel: or mailto: links; real ones stay links', async () => {
  const page = anaPage.page;
  await page.goto(s.url(`/contacts/${mine[0].id}`));
  await page.getByRole('heading', { level: 1, name: mine[0].name }).waitFor();
  await page.locator('[data-field=mobile] dd', { hasText: '138****5678' }).waitFor();
  assert.equal(await page.locator('main a[href^="tel:"], main a[href^="mailto:"]').count(), 0, 'no link to a masked value');
  assert.ok((await page.locator('.head-badges .quick-contact.masked').allTextContents()).join(' ').includes('138****5678'));
  await page.goto(s.url('/contacts?q=甲客户'));
  await page.locator('tbody tr').first().waitFor();
  assert.equal(await page.locator('main a[href^="tel:"], main a[href^="mailto:"]').count(), 0, 'nor in the list');
  // The rep may see the real values: they are links he can call and write to.
  const rp = repPage.page;
  await rp.goto(s.url(`/contacts/${mine[0].id}`));
  await rp.locator('[data-field=mobile] a[href="tel:13812345678"]').waitFor();
  assert.equal(await rp.locator('[data-field=email] a[href="mailto:jia@example.com"]').count(), 1);
});

test('an analyst (read-only) is offered no change the server would refuse', async () => {
  const page = anaPage.page;
  const p = (await api(analyst.token, 'GET', '/auth/me')).body.permissions;
  assert.deepEqual([p.entities.contacts.create, p.entities.contacts.edit, p.entities.contacts.delete, p.entities.contacts.import, p.entities.contacts.export], ['none', 'none', 'none', 'none', 'all']);
  // What the buttons would have done, refused by the server.
  assert.equal((await api(analyst.token, 'POST', '/contacts', { name: 'x' })).status, 403);
  assert.equal((await api(analyst.token, 'PATCH', `/contacts/${mine[0].id}`, { title: 'x' })).status, 403);
  assert.equal((await api(analyst.token, 'DELETE', `/contacts/${mine[0].id}`)).status, 403);

  await page.goto(s.url('/contacts'));
  await page.locator('tbody tr').nth(2).waitFor();
  assert.equal(await page.locator('a[href="/contacts/new"]').count(), 0, 'no "New"');
  assert.equal(await page.locator('table input[type=checkbox]').count(), 0, 'nothing to select for bulk actions');
  assert.equal(await page.locator('#ex-open').count(), 1, 'export: the analyst may');
  assert.equal(await page.locator('main a[href^="/data/import"], #dd-open').count(), 0, 'no import, no merging duplicates');
  assert.equal(await page.locator('.nav a[href="/data/import"], .nav a[href="/data/duplicates"]').count(), 0);

  await page.goto(s.url(`/contacts/${mine[0].id}`));
  await page.getByRole('heading', { level: 1, name: mine[0].name }).waitFor();
  await page.locator('[data-field=name]').waitFor();
  assert.equal(await page.locator('.edit-btn').count(), 0, 'no inline edit');
  assert.equal(await page.locator('.head-actions').count(), 0, 'no archive');
  assert.equal(await page.locator('.quicklog').count(), 0, 'no logging a call on a record');
  assert.equal(await page.locator('.related-head a[href*="/new"]').count(), 0, 'no "New" in related lists');

  await page.goto(s.url('/contacts/new'));
  await page.locator('.new-page [role=alert]', { hasText: '没有执行此操作的权限' }).waitFor();
  assert.equal(await page.locator('.new-page form').count(), 0, 'a typed-in /new gets the reason, not a form');

  await page.goto(s.url('/pipeline'));
  await page.locator(`.kcard[data-id="${myDeal.id}"]`).waitFor();
  assert.equal(await page.locator('.kcard select').count(), 0, 'no stage menus');
  assert.equal(await page.locator('.kcard[draggable=true]').count(), 0, 'no card to drag');
});

test('a sales rep may change his own records, and not one shared with him to read', async () => {
  const page = repPage.page;
  await page.goto(s.url('/contacts'));
  await page.locator('tbody tr').nth(3).waitFor();
  assert.equal(await page.locator('a[href="/contacts/new"]').count(), 1, '"New": the rep may create');
  await page.locator('tbody input[type=checkbox]').first().check();
  const bar = page.locator('.bulkbar');
  await bar.waitFor();
  const buttons = (await bar.locator('button').allTextContents()).map((x) => x.trim());
  assert.ok(buttons.includes('批量修改') && buttons.includes('归档'), `bulk edit and archive: ${buttons}`);
  assert.equal(await bar.locator('button', { hasText: '分配给' }).count(), 0, 'no assigning: a rep owns only his own (scope own)');
  assert.equal(await page.locator('main a[href^="/data/import"]').count(), 0, 'no import for a rep');
  await bar.locator('.btn-ghost').click();

  // His own contact: inline edit and archive are offered.
  await page.goto(s.url(`/contacts/${mine[1].id}`));
  await page.getByRole('heading', { level: 1, name: mine[1].name }).waitFor();
  await page.locator('.edit-btn').first().waitFor();
  assert.equal(await page.locator('.head-actions button', { hasText: '归档' }).count(), 1);
  // The shared one: he reads it, the server refuses changes, and the page offers none.
  assert.equal((await api(rep.token, 'GET', `/contacts/${others[1].id}`)).status, 200);
  assert.equal((await api(rep.token, 'PATCH', `/contacts/${others[1].id}`, { title: 'x' })).status, 403);
  await page.goto(s.url(`/contacts/${others[1].id}`));
  await page.getByRole('heading', { level: 1, name: others[1].name }).waitFor();
  await page.locator('[data-field=name]').waitFor();
  assert.equal(await page.locator('.edit-btn').count(), 0, 'no inline edit on a record he does not own');
  assert.equal(await page.locator('.head-actions').count(), 0, 'no archive either');

  // The kanban: his deal moves, the shared one does not.
  assert.equal((await api(rep.token, 'PATCH', `/opportunities/${sharedDeal.id}`, { stage: 'qualification' })).status, 403);
  await page.goto(s.url('/pipeline'));
  await page.locator(`.kcard[data-id="${myDeal.id}"] select`).waitFor();
  assert.equal(await page.locator(`.kcard[data-id="${myDeal.id}"]`).getAttribute('draggable'), 'true');
  await page.locator(`.kcard[data-id="${sharedDeal.id}"]`).waitFor();
  assert.equal(await page.locator(`.kcard[data-id="${sharedDeal.id}"] select`).count(), 0);
  assert.equal(await page.locator(`.kcard[data-id="${sharedDeal.id}"]`).getAttribute('draggable'), 'false');
});

test('an error from the server is said in Chinese by its code, with the fields at fault', async () => {
  const page = repPage.page;
  // What the server says (in English) for the change below.
  const raw = await api(rep.token, 'POST', '/contacts/bulk/update', { ids: [mine[1].id], set: { email: 'not-an-address' } });
  assert.equal(raw.status, 422);
  assert.equal(raw.body.error.code, 'validation_failed');
  assert.match(raw.body.error.message, /not a valid/);
  await page.goto(s.url('/contacts'));
  await page.locator('tbody tr').nth(3).waitFor();
  await page.locator('tbody tr', { hasText: mine[1].name }).locator('input[type=checkbox]').check();
  await page.locator('.bulkbar button', { hasText: '批量修改' }).click();
  await page.locator('#bulk-field').selectOption('email');
  await page.locator('#bulk-value').fill('not-an-address');
  await page.locator('dialog button[type=submit]').click();
  const toast = page.locator('.toast-error');
  await toast.waitFor();
  const text = await toast.textContent();
  assert.ok(text.includes('部分字段无效') && text.includes('邮箱：不是有效的邮箱地址'), text);
  assert.ok(!/not valid|e-mail address/.test(text), `no English: ${text}`);
  assert.equal((await api(rep.token, 'GET', `/contacts/${mine[1].id}`)).body.email ?? null, null, 'nothing written');
});
