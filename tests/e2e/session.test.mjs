// Logging in and out, deep links through the login page, and an expired
// session that asks for the password again without losing the form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, login, shot, pageToken, ADMIN_PASSWORD } from './browser.mjs';

let s, page;
before(async () => {
  s = await setup({ customers: 50 });
  page = s.page;
});
after(async () => {
  assert.deepEqual(s?.errors ?? [], []);
  await s?.stop();
});

test('a wrong password is refused; the right one opens the deep link asked for', async () => {
  await page.goto(s.url('/accounts'));
  await page.waitForURL(/\/login\?next=%2Faccounts/);
  await shot(page, 'login');
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill('wrong-password');
  await page.locator('#login-password').press('Enter');
  await page.getByRole('alert').filter({ hasText: '用户名或密码错误' }).waitFor();
  await page.locator('#login-password').fill(ADMIN_PASSWORD);
  await page.locator('#login-password').press('Enter');
  await page.waitForURL(/\/accounts$/);
  await page.getByRole('heading', { level: 1, name: /客户/ }).waitFor();
  // A reload keeps the session of this tab.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: /客户/ }).waitFor();
});

test('an expired session asks for the password again and keeps what was typed', async () => {
  await page.goto(s.url('/accounts/new'));
  await page.locator('#new-name').fill('过期会话测试有限公司');
  await page.locator('#new-city').fill('杭州');
  // The session ends behind the page's back (as when it times out).
  const t = await pageToken(page);
  const out = await s.srv.call('POST', '/api/v1/auth/logout', { token: t });
  assert.equal(out.status, 204);
  await page.getByRole('button', { name: '创建' }).click();
  const dialog = page.getByRole('dialog', { name: '登录已过期' });
  await dialog.waitFor();
  assert.equal(await dialog.locator('#login-username').inputValue(), 'admin');
  await dialog.locator('#login-password').fill(ADMIN_PASSWORD);
  await dialog.locator('#login-password').press('Enter');
  await page.waitForURL(/\/accounts\/\d+$/);
  await page.getByRole('heading', { level: 1, name: '过期会话测试有限公司' }).waitFor();
  const id = page.url().split('/').pop();
  const token = await s.srv.login();
  const r = await s.srv.call('GET', `/api/v1/accounts/${id}`, { token });
  assert.equal(r.body.city, '杭州', 'the form was sent as typed, once');
});

test('sign out ends the session on the server', async () => {
  const t = await pageToken(page);
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.waitForURL(/\/login/);
  const r = await s.srv.call('GET', '/api/v1/auth/me', { token: t });
  assert.equal(r.status, 401);
  await page.goto(s.url('/contacts'));
  await page.waitForURL(/\/login/);
});

test('unknown pages and records say so', async () => {
  await login(page, s.srv.url);
  await page.goto(s.url('/contacts/999999'));
  await page.getByRole('alert').filter({ hasText: '记录不存在' }).waitFor();
  await page.goto(s.url('/no-such-page'));
  await page.getByText('页面不存在').waitFor();
});
