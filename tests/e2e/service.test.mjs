// The service screens in a real browser: the case console with SLA timers and
// transitions, the knowledge base, complaint analysis charts, the Erlang C
// calculator, the live wallboard, the agent's phone bar with screen pops, and
// the customers' support form and survey. Chinese first, English where noted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, login, shot } from './browser.mjs';

let s, page, token, pbx;
const PASSWORD = 'Agent-pass-42';
const api = (method, path, json, tok = token) => s.srv.call(method, `/api/v1${path}`, { token: tok, json });
async function ok(res, status = 200) {
  const r = await res;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}

before(async () => {
  s = await setup({ customers: 0 });
  page = s.page;
  token = await s.srv.login();
  pbx = (await ok(api('POST', '/api-keys', { name: 'PBX', role: 'service_agent' }), 201)).key;
  await ok(api('POST', '/sla_policies', { name: 'all', first_response_minutes: 60, resolution_minutes: 480, warn_before_minutes: 30 }), 201);
  await login(page, s.srv.url);
});
after(async () => {
  assert.deepEqual(s?.errors ?? [], []);
  await s?.stop();
});

test('the case console shows SLA timers and moves a case through the state machine', async () => {
  const c = await ok(api('POST', '/cases', { subject: '打印机卡纸', priority: 'high', description: '型号 LJ-2000' }), 201);
  await ok(api('POST', '/kb_articles', { title: '打印机卡纸怎么办', body: '打开后盖，取出卡住的纸张。', category: '硬件' }), 201);
  await page.goto(s.url('/service'));
  const row = page.locator(`.case-row[data-id="${c.id}"]`);
  await row.waitFor();
  assert.equal(await row.locator('.sla-resolution .sla').getAttribute('data-tone'), 'ok');
  assert.match(await row.locator('.sla-resolution').textContent(), /剩余 \d+小时\d+分/);
  await row.locator('button.btn-link').click();
  const work = page.locator(`.workspace[data-case="${c.id}"]`);
  await work.waitFor();
  await work.locator('.suggestions', { hasText: '打印机卡纸怎么办' }).waitFor();
  assert.deepEqual(await work.locator('select[name=to] option').evaluateAll((o) => o.map((x) => x.value)), ['assigned', 'in_progress', 'resolved', 'closed']);
  await work.locator('select[name=to]').selectOption('in_progress');
  await work.locator('textarea[name=note]').fill('已联系客户');
  await work.locator('button[type=submit]').click();
  await page.locator('.toast', { hasText: '工单已转为“处理中”' }).waitFor();
  const after = await ok(api('GET', `/cases/${c.id}`));
  assert.equal(after.status, 'in_progress');
  assert.ok(after.first_response_at);
  await work.locator('.sla-clocks').waitFor();
  // Link the suggested article as the solution.
  await work.locator('.suggestions button').first().click();
  await page.locator('.toast', { hasText: '已关联为解决方案' }).waitFor();
  assert.ok((await ok(api('GET', `/cases/${c.id}`))).kb_article_id);
  await shot(page, 'service-console');
});

test('the knowledge base finds Chinese by any word and opens the article', async () => {
  await ok(api('POST', '/kb_articles', { title: '如何申请退货', body: '七天无理由退货，登录后在订单页申请。', category: '售后' }), 201);
  await page.goto(s.url('/service/kb'));
  await page.locator('#kb-q').fill('退货');
  await page.locator('form.kb-search button[type=submit]').click();
  const hit = page.locator('.kb-hit', { hasText: '如何申请退货' });
  await hit.waitFor();
  assert.equal(await page.locator('.kb-hit').count(), 1);
  await hit.locator('a').click();
  await page.locator('.kb-article h1', { hasText: '如何申请退货' }).waitFor();
  await page.locator('.kb-body', { hasText: '七天无理由退货' }).waitFor();
});

test('complaint analysis draws its charts', async () => {
  const who = await ok(api('POST', '/contacts', { name: '王芳' }), 201);
  for (const [cause, severity] of [['delivery', 'major'], ['delivery', 'minor'], ['product_quality', 'critical']])
    await ok(api('POST', '/cases', { subject: `投诉 ${cause}`, type: 'complaint', complaint_cause: cause, severity, contact_id: who.id, compensation: 1000 }), 201);
  await page.goto(s.url('/service/complaints'));
  await page.locator('[data-kpi=complaints]', { hasText: '3' }).waitFor();
  await page.locator('.chart svg').first().waitFor();
  assert.ok(await page.locator('.chart svg').count() >= 4);
  await page.locator('.repeaters', { hasText: '王芳' }).waitFor();
  await shot(page, 'service-complaints');
});

test('the Erlang C calculator: the worked example, in English too', async () => {
  await page.goto(s.url('/service/erlang'));
  await page.locator('[data-kpi=agents]', { hasText: '14' }).waitFor();
  assert.equal((await page.locator('[data-kpi=agents_with_shrinkage]').textContent()).trim(), '20');
  await page.locator('input[name=calls]').fill('200');
  await page.locator('form.erlang-form button[type=submit]').click();
  await page.locator('[data-kpi=agents]', { hasText: '24' }).waitFor(); // twice the calls, not twice the agents
  await page.locator('.chart svg').waitFor();
  await page.locator('.topbar-right select').selectOption('en');
  await page.locator('.kpi-label', { hasText: 'Agents needed' }).waitFor();
  await page.locator('input[name=target_sl]').fill('150');
  await page.locator('form.erlang-form button[type=submit]').click();
  await page.locator('.erlang-form [role=alert]', { hasText: 'target_sl' }).waitFor();
  await page.locator('input[name=target_sl]').fill('80');
  await page.locator('form.erlang-form button[type=submit]').click();
  await page.locator('.topbar-right select').selectOption('zh-CN');
  await page.locator('.kpi-label', { hasText: '所需坐席' }).waitFor();
});

test('the wallboard updates live when a call starts waiting', async () => {
  const queue = await ok(api('POST', '/service_queues', { name: '售后热线' }), 201);
  await page.goto(s.url('/service/wallboard'));
  const waiting = page.locator('[data-kpi=calls_waiting]');
  await waiting.waitFor();
  const before = Number((await waiting.textContent()).trim());
  await new Promise((r) => setTimeout(r, 1100)); // the wallboard event comes at most once a second
  await ok(s.srv.call('POST', '/api/v1/telephony/events', { token: pbx, json: { event: 'ringing', call_id: 'wb-1', from: '13900000001', queue: queue.name } }));
  await page.locator('[data-kpi=calls_waiting]', { hasText: String(before + 1) }).waitFor();
  await page.locator('.badge.live').waitFor();
  await shot(page, 'service-wallboard');
  await ok(s.srv.call('POST', '/api/v1/telephony/events', { token: pbx, json: { event: 'hangup', call_id: 'wb-1' } }));
});

test('an agent\'s phone bar: state, and the screen pop for a known and an unknown caller', async () => {
  const u = await ok(api('POST', '/users', { username: 'xiaowang', role: 'service_agent', password: PASSWORD }), 201);
  await ok(api('POST', '/agents', { user_id: u.id, extension: '8001', state: 'available' }), 201);
  const acc = await ok(api('POST', '/accounts', { name: '北京小店', tier: 'A' }), 201);
  await ok(api('POST', '/contacts', { name: '张三', mobile: '138-1234-5678', account_id: acc.id }), 201);
  await page.locator('.topbar-right button').click(); // sign out
  await page.locator('form.login-form').waitFor();
  await login(page, s.srv.url, { username: 'xiaowang', password: PASSWORD });
  const bar = page.locator('.phonebar');
  await bar.waitFor();
  await bar.locator('select').selectOption('break');
  await page.locator('.phonebar.state-break').waitFor();
  await bar.locator('select').selectOption('available');
  await page.locator('.phonebar.state-available').waitFor();
  await new Promise((r) => setTimeout(r, 300)); // the event stream is open
  await ok(s.srv.call('POST', '/api/v1/telephony/events', { token: pbx, json: { event: 'ringing', call_id: 'pop-1', from: '+86 138 1234 5678', agent: '8001' } }));
  const pop = page.locator('.screen-pop[data-call="pop-1"]');
  await pop.waitFor();
  await pop.locator('.pop-name', { hasText: '张三' }).waitFor();
  await pop.locator('.pop-account', { hasText: '北京小店' }).waitFor();
  await shot(page, 'service-screen-pop');
  await pop.locator('.pop-close').click();
  await ok(s.srv.call('POST', '/api/v1/telephony/events', { token: pbx, json: { event: 'ringing', call_id: 'pop-2', from: '139-0000-1111', agent: '8001' } }));
  const unknown = page.locator('.screen-pop[data-call="pop-2"]');
  await unknown.locator('.pop-new-contact').click();
  await page.waitForURL(/\/contacts\/new/);
  assert.equal(await page.locator('input[name=mobile], #f-mobile, [id$=mobile]').first().inputValue(), '139-0000-1111');
  await page.locator('.topbar-right button').click();
  await page.locator('form.login-form').waitFor();
  await login(page, s.srv.url);
});

test('customers: the support form and the satisfaction survey, without a login', async () => {
  const anon = await s.browser.newPage();
  await anon.goto(s.url('/support'));
  await anon.locator('#f-name').fill('赵敏');
  await anon.locator('#f-email').fill('not-an-email');
  await anon.locator('form button[type=submit]').click();
  await anon.locator('#e-email').waitFor();
  assert.match(await anon.locator('#e-email').textContent(), /不是有效的邮箱地址|is not a valid e-mail address/);
  await anon.locator('#e-subject').waitFor();
  await anon.locator('#f-email').fill('zhao@example.com');
  await anon.locator('#f-subject').fill('无法登录');
  await anon.locator('form button[type=submit]').click();
  const done = anon.locator('.done', { hasText: 'CS-' });
  await done.waitFor();
  const number = (await done.textContent()).match(/CS-\d+/)[0];
  const c = (await ok(api('GET', `/cases?case_number=${number}`))).data[0];
  await ok(api('POST', `/cases/${c.id}/transition`, { to: 'resolved' }));
  const survey = await ok(api('GET', `/cases/${c.id}/csat`));
  await anon.goto(s.url(`/csat/${survey.token}`));
  await anon.locator('legend', { hasText: number }).waitFor();
  await anon.locator('label.score').nth(4).click();
  await anon.locator('#csat-comment').fill('很好');
  await anon.locator('form button[type=submit]').click();
  await anon.locator('.done').waitFor();
  assert.equal((await ok(api('GET', `/cases/${c.id}`))).satisfaction, 5);
  await anon.close();
});
