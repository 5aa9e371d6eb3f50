// The UI as someone other than the administrator: a sales rep sees his own
// records only (lists, counts, search, direct links), and a role without the
// personal-data permission sees personal fields masked, in lists and on the
// record page alike. What the browser shows is compared with what the API
// gives the same user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, setupBrowserOnly, login, shot } from './browser.mjs';

let s, admin, rep, analyst, repPage, anaPage, mine, others;
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

test('a sales rep\'s contact list holds his three contacts and nothing else', async () => {
  const page = repPage.page;
  await page.goto(s.url('/contacts'));
  await page.locator('h1 .count').waitFor();
  assert.equal((await page.locator('h1 .count').textContent()).trim(), '3');
  await page.locator('tbody tr').nth(2).waitFor();
  const names = await page.locator('tbody tr .row-title').allTextContents();
  assert.deepEqual([...names].sort(), mine.map((c) => c.name).sort());
  // The administrator's list of the same entity is far longer.
  const all = (await api(admin, 'GET', '/contacts?limit=1&count=1')).body.total;
  assert.ok(all > 300, `admin sees ${all}`);
  await shot(page, 'rep-contacts');
});

test('search and direct links do not reach others\' records', async () => {
  const page = repPage.page;
  const other = others[0];
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
