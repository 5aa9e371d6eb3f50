// The main screens checked by axe-core (installed with the web UI's packages):
// no serious or critical accessibility violations, in Chinese and in English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setup, login } from './browser.mjs';

let s, page, axe;
before(async () => {
  axe = await readFile(resolve('web/node_modules/axe-core/axe.min.js'), 'utf8');
  s = await setup({ customers: 100 });
  page = s.page;
  await login(page, s.srv.url);
});
after(async () => {
  await s?.stop();
});

async function check(path, ready) {
  await page.goto(s.url(path));
  await page.locator(ready).first().waitFor();
  await page.waitForTimeout(200);
  await page.evaluate(axe);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(bad, [], `${path}`);
}

const id = async (entity) => (await s.srv.call('GET', `/api/v1/${entity}?limit=1`, { token: await s.srv.login() })).body.data[0].id;

test('list, record, new, pipeline and dashboard pages have no serious violations', async () => {
  await check('/contacts', 'tbody tr');
  await check(`/accounts/${await id('accounts')}`, '.record-page');
  await check(`/opportunities/${await id('opportunities')}`, '.record-page');
  await check('/contacts/new', '#new-name');
  await check('/pipeline', '.kcard');
  await check('/', 'h1');
});

test('the login page has none either', async () => {
  const p2 = await s.browser.newPage();
  await p2.goto(s.url('/login'));
  await p2.locator('#login-username').waitFor();
  await p2.evaluate(axe);
  const r = await p2.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  assert.deepEqual(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id), []);
  await p2.close();
});
