// The call center through HTTP and Server-Sent Events: PBX events by API key,
// screen pops to the agent's browser with the caller matched in any number
// format, unknown callers, every call an activity, missed calls as callback
// tasks, agent states, longest-idle routing with skills, the IVR menu as data,
// the wallboard and Erlang C staffing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';
import { openStream } from './telephony_sse.mjs';

let srv, admin, pbx, zhang, li, shop, queue, billingQueue;
const PASSWORD = 'Phone-pass-42';
const agents = {}; // name -> {id (user), token, agent (record)}
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const api = (m, p, json, tok = admin) => srv.call(m, p, { token: tok, json });
async function ok(res, status = 200) {
  const r = await res;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}
let seq = 0;
const callId = () => `call-${++seq}`;
const ev = (json) => srv.call('POST', '/api/v1/telephony/events', { token: pbx, json });

before(async () => {
  srv = await startServer();
  admin = await srv.login();
  pbx = (await ok(api('POST', '/api/v1/api-keys', { name: 'PBX connector', role: 'service_agent' }), 201)).key;
  const mgr = await ok(api('POST', '/api/v1/users', { username: 'supervisor', role: 'sales_manager', password: PASSWORD }), 201);
  const team = await ok(api('POST', '/api/v1/teams', { name: 'Hotline', manager_id: mgr.id }), 201);
  for (const [name, ext, skills] of [['xiaowang', '8001', ['after_sales', 'mandarin']], ['xiaoli', '8002', ['after_sales']], ['xiaozhao', '8003', ['billing']]]) {
    const u = await ok(api('POST', '/api/v1/users', { username: name, role: 'service_agent', password: PASSWORD, team_id: team.id }), 201);
    const a = await ok(api('POST', '/api/v1/agents', { user_id: u.id, extension: ext, skills }), 201);
    agents[name] = { id: u.id, agent: a, token: await srv.login(name, PASSWORD) };
  }
  queue = await ok(api('POST', '/api/v1/service_queues', { name: '售后', required_skills: ['after_sales'], team_id: team.id, target_answer_seconds: 20 }), 201);
  billingQueue = await ok(api('POST', '/api/v1/service_queues', { name: '账单', required_skills: ['billing'], team_id: team.id }), 201);
  await ok(api('POST', '/api/v1/ivr_options', { menu: 'main', digit: '1', label: '售后服务', queue_id: queue.id }), 201);
  await ok(api('POST', '/api/v1/ivr_options', { menu: 'main', digit: '2', label: '账单查询', next_menu: 'billing' }), 201);
  await ok(api('POST', '/api/v1/ivr_options', { menu: 'billing', digit: '1', label: '发票', queue_id: billingQueue.id }), 201);
  shop = await ok(api('POST', '/api/v1/accounts', { name: '北京小店', tier: 'A', phone: '010-6666 1234' }), 201);
  zhang = await ok(api('POST', '/api/v1/contacts', { name: '张三', mobile: '138-1234-5678', account_id: shop.id }), 201);
  li = await ok(api('POST', '/api/v1/contacts', { name: '李四', phone: '010-8888 6666' }), 201);
  await ok(api('POST', '/api/v1/cases', { subject: '路由器坏了', contact_id: zhang.id, account_id: shop.id }), 201);
});
after(async () => { await srv.stop(); });

test('call events need an API key with the right to create calls; bad events are refused and write nothing', async () => {
  assert.equal((await srv.call('POST', '/api/v1/telephony/events', { token: admin, json: { event: 'ringing', call_id: 'x' } })).status, 403);
  assert.equal((await srv.call('POST', '/api/v1/telephony/events', { json: { event: 'ringing', call_id: 'x' } })).status, 401);
  const ro = await ok(api('POST', '/api/v1/api-keys', { name: 'reader', role: 'read_only' }), 201);
  assert.equal((await srv.call('POST', '/api/v1/telephony/events', { token: ro.key, json: { event: 'ringing', call_id: 'x' } })).status, 403);
  const before = sql('SELECT count(*) FROM calls');
  const bad = await ev({ event: 'ring', from: 'abc', direction: 'sideways', digits: '1x', at: 'now', extra: true });
  assert.equal(bad.status, 422);
  assert.deepEqual(Object.keys(bad.body.error.fields).sort(), ['at', 'call_id', 'digits', 'direction', 'event', 'extra', 'from']);
  const nobody = await ev({ event: 'ringing', call_id: 'y', from: '13800000000', agent: '9999' });
  assert.equal(nobody.status, 422);
  assert.equal(nobody.body.error.fields.agent, 'no agent has this extension or username');
  assert.equal((await ev({ event: 'ringing', call_id: 'y', from: '13800000000', queue: 'nope' })).status, 422);
  assert.equal(sql('SELECT count(*) FROM calls'), before);
});

test('screen pop: the agent\'s browser shows the caller\'s card, whatever the number\'s format', async () => {
  const s = openStream(srv.url, agents.xiaowang.token);
  await s.ready;
  const formats = ['+86 138 1234 5678', '13812345678', '0086-138-1234-5678', '+8613812345678', '(138) 1234-5678'];
  for (const from of formats) {
    const id = callId();
    const sent = Date.now();
    const r = await ok(ev({ event: 'ringing', call_id: id, from, to: '4008001234', agent: '8001' }));
    assert.equal(r.call.state, 'ringing');
    assert.equal(r.contact_id, zhang.id, from);
    const pop = await s.next((e) => e.event === 'screen_pop' && e.data.call_id === id);
    s.latencies.push(Date.now() - sent);
    assert.equal(pop.data.contact.name, '张三', from);
    assert.equal(pop.data.account.name, '北京小店');
    assert.equal(pop.data.account.tier, 'A');
    assert.equal(pop.data.open_cases[0].subject, '路由器坏了');
    assert.equal(pop.data.number, from);
    await ok(ev({ event: 'hangup', call_id: id, from }));
  }
  // A landline with or without its area code.
  for (const from of ['88886666', '+86 10 8888 6666', '01088886666']) {
    const id = callId();
    await ok(ev({ event: 'ringing', call_id: id, from, agent: 'xiaowang' }));
    const pop = await s.next((e) => e.event === 'screen_pop' && e.data.call_id === id);
    assert.equal(pop.data.contact?.name, '李四', from);
    await ok(ev({ event: 'hangup', call_id: id, from }));
  }
  // A company's switchboard number finds the account when no contact has it.
  const acc = callId();
  await ok(ev({ event: 'ringing', call_id: acc, from: '66661234', agent: '8001' }));
  const accPop = await s.next((e) => e.event === 'screen_pop' && e.data.call_id === acc);
  assert.equal(accPop.data.contact, undefined);
  assert.equal(accPop.data.account.id, shop.id);
  await ok(ev({ event: 'hangup', call_id: acc }));
  // Screen pops go to that agent only.
  assert.equal(sql(`SELECT count(*) FROM kh_events WHERE type = 'screen_pop' AND user_id <> ${agents.xiaowang.id}`), '0');
  console.log(`# screen pop latency (event sent -> SSE received, ms): ${s.latencies.join(', ')}`);
  s.close();
});

test('an unknown caller: the pop carries a new-contact form with the number; the lookup says the same', async () => {
  const s = openStream(srv.url, agents.xiaoli.token);
  await s.ready;
  const id = callId();
  const r = await ok(ev({ event: 'ringing', call_id: id, from: '+86 139 0000 1111', agent: '8002' }));
  assert.equal(r.contact_id, null);
  const pop = await s.next((e) => e.event === 'screen_pop' && e.data.call_id === id);
  assert.deepEqual(pop.data.new_contact, { mobile: '+86 139 0000 1111' });
  assert.equal(pop.data.contact, undefined);
  const look = await ok(api('GET', `/api/v1/callcenter/lookup?phone=${encodeURIComponent('139-0000-1111')}`));
  assert.deepEqual([look.key, look.contact, look.account], ['+8613900001111', null, null]);
  const known = await ok(api('GET', `/api/v1/callcenter/lookup?phone=${encodeURIComponent('+86 (138) 1234 5678')}`));
  assert.equal(known.contact.name, '张三');
  assert.equal((await api('GET', '/api/v1/callcenter/lookup?phone=abc')).status, 400);
  await ok(ev({ event: 'hangup', call_id: id }));
  s.close();
});

test('every call is an activity; the agent goes on call, then to wrap-up; repeated events change nothing', async () => {
  const id = callId();
  await ok(ev({ event: 'ringing', call_id: id, from: '13812345678', agent: '8001', at: '2026-01-05T02:00:00Z' }));
  const ans = await ok(ev({ event: 'answered', call_id: id, agent: '8001', at: '2026-01-05T02:00:12Z' }));
  assert.equal(ans.call.state, 'answered');
  assert.equal((await ok(api('GET', `/api/v1/agents/${agents.xiaowang.agent.id}`))).state, 'on_call');
  const end = await ok(ev({ event: 'hangup', call_id: id, at: '2026-01-05T02:03:32Z' }));
  assert.equal(end.call.state, 'ended');
  const call = await ok(api('GET', `/api/v1/calls/${end.call.id}`));
  assert.deepEqual([call.wait_seconds, call.talk_seconds, call.contact_id, call.agent_id], [12, 200, zhang.id, agents.xiaowang.id]);
  const act = await ok(api('GET', `/api/v1/activities/${call.activity_id}`));
  assert.equal(act.type, 'call');
  assert.equal(act.status, 'completed');
  assert.equal(act.duration_minutes, 4);
  assert.equal(act.contact_id, zhang.id);
  assert.equal(act.owner_id, agents.xiaowang.id);
  assert.match(act.subject, /来电 Inbound call: 13812345678/);
  assert.match(act.description, /direction: inbound; outcome: ended; wait: 12 s; talk: 200 s/);
  assert.equal((await ok(api('GET', `/api/v1/agents/${agents.xiaowang.agent.id}`))).state, 'wrap_up');
  // A repeated hangup is ignored: no second activity.
  const again = await ok(ev({ event: 'hangup', call_id: id }));
  assert.equal(again.ignored, true);
  assert.equal(sql(`SELECT count(*) FROM activities WHERE description LIKE '%call: ${id}'`), '1');
  // Notes on the call; the agent is available again.
  await ok(api('PATCH', `/api/v1/calls/${call.id}`, { notes: '客户询问退货' }));
  await ok(api('POST', '/api/v1/callcenter/agents/me/state', { state: 'available' }, agents.xiaowang.token));
  // An outbound call that nobody answers is logged, with no callback task.
  const out = callId();
  await ok(ev({ event: 'ringing', call_id: out, direction: 'outbound', from: '8001', to: '13812345678', agent: '8001' }));
  const outEnd = await ok(ev({ event: 'hangup', call_id: out, direction: 'outbound' }));
  assert.equal(outEnd.call.state, 'missed');
  assert.equal(sql(`SELECT count(*) FROM activities WHERE type = 'task' AND description = 'call: ${out}'`), '0');
});

test('missed calls become callback tasks: the agent\'s, or the queue manager\'s when nobody was rung', async () => {
  const missed = callId();
  await ok(ev({ event: 'ringing', call_id: missed, from: '13812345678', agent: '8002' }));
  const m = await ok(ev({ event: 'hangup', call_id: missed }));
  assert.equal(m.call.state, 'missed');
  const task = (await api('GET', `/api/v1/activities?type=task&contact_id=${zhang.id}`)).body.data.find((t) => t.description === `call: ${missed}`);
  assert.ok(task, 'a callback task');
  assert.equal(task.owner_id, agents.xiaoli.id);
  assert.equal(task.priority, 'high');
  assert.match(task.subject, /回电 Call back: 13812345678/);
  const due = (Date.parse(task.due_at) - Date.now()) / 60000;
  assert.ok(due > 55 && due < 65, `due in an hour (${due})`);
  // Everyone busy: the call waits in the queue and the caller gives up.
  for (const a of Object.values(agents)) await ok(api('POST', '/api/v1/callcenter/agents/me/state', { state: 'break' }, a.token));
  const ab = callId();
  const q = await ok(ev({ event: 'ringing', call_id: ab, from: '13900001234', queue: '售后' }));
  assert.equal(q.call.state, 'queued');
  assert.equal(q.route_to, null);
  const gone = await ok(ev({ event: 'hangup', call_id: ab }));
  assert.equal(gone.call.state, 'abandoned');
  const cb = (await api('GET', '/api/v1/activities?type=task&limit=100')).body.data.find((t) => t.description === `call: ${ab}`);
  assert.equal(cb.owner_id, (await api('GET', '/api/v1/users?username=supervisor')).body.data[0].id);
});

test('routing: the longest-idle available agent with the queue\'s skill; the IVR menu picks the queue', async () => {
  const set = (name, state) => ok(api('POST', '/api/v1/callcenter/agents/me/state', { state }, agents[name].token));
  await set('xiaozhao', 'available'); // idle longest, but has no after-sales skill
  await new Promise((r) => setTimeout(r, 20));
  await set('xiaoli', 'available');
  await new Promise((r) => setTimeout(r, 20));
  await set('xiaowang', 'available');
  const c1 = callId(), c2 = callId(), c3 = callId();
  const r1 = await ok(ev({ event: 'ringing', call_id: c1, from: '13700000001', digits: '1' }));
  assert.equal(r1.route_to.user_id, agents.xiaoli.id, 'idle longest among those with the skill');
  assert.equal(r1.route_to.extension, '8002');
  // While xiaoli's phone rings, the next call goes to the next in line.
  const r2 = await ok(ev({ event: 'ringing', call_id: c2, from: '13700000002', queue: '售后' }));
  assert.equal(r2.route_to.user_id, agents.xiaowang.id);
  // Nobody else has the skill: the third call waits.
  const r3 = await ok(ev({ event: 'ringing', call_id: c3, from: '13700000003', digits: '1' }));
  assert.equal(r3.route_to, null);
  assert.equal(r3.call.state, 'queued');
  // The IVR's second level: 2 then 1 is the billing queue, where xiaozhao is.
  const r4 = await ok(ev({ event: 'ringing', call_id: callId(), from: '13700000004', digits: '21' }));
  assert.equal(r4.route_to.user_id, agents.xiaozhao.id);
  // xiaoli answers, then the PBX rings xiaowang's colleague for the waiting call when xiaowang is free.
  await ok(ev({ event: 'answered', call_id: c1, agent: '8002' }));
  await ok(ev({ event: 'hangup', call_id: c2 }));
  const moved = await ok(ev({ event: 'ringing', call_id: c3, agent: '8001' }));
  assert.equal(moved.call.state, 'ringing');
  assert.equal(moved.route_to.user_id, agents.xiaowang.id);
  const tree = await ok(api('GET', '/api/v1/callcenter/ivr'));
  assert.deepEqual(tree.menus.main.map((o) => [o.digit, o.queue, o.next_menu]), [['1', '售后', null], ['2', null, 'billing']]);
  assert.deepEqual(tree.menus.billing.map((o) => o.queue), ['账单']);
  for (const id of [c1, c3]) await ok(ev({ event: 'hangup', call_id: id }));
});

test('the wallboard: waiting calls, longest wait, service level, ASA, abandonment, agents by state; live over SSE', async () => {
  const s = openStream(srv.url, admin);
  await s.ready;
  const w = await ok(api('GET', '/api/v1/callcenter/wallboard'));
  assert.ok(w.offered > 0);
  assert.ok(w.answered >= 1);
  assert.ok(w.abandoned >= 1);
  assert.ok(w.service_level > 0 && w.service_level <= 1);
  assert.ok(w.abandonment_rate > 0 && w.abandonment_rate < 1);
  assert.ok(w.asa_seconds >= 0);
  assert.equal(Object.values(w.agents).reduce((a, b) => a + b, 0), 3);
  assert.ok(w.queues.some((q) => q.name === '售后'));
  // A call waiting in the queue shows at once, and the figures reach every browser.
  await new Promise((r) => setTimeout(r, 1100)); // past the one-a-second limit
  for (const a of Object.values(agents)) await ok(api('POST', '/api/v1/callcenter/agents/me/state', { state: 'break' }, a.token));
  const id = callId();
  await ok(ev({ event: 'ringing', call_id: id, from: '13700000009', queue: '售后', at: new Date(Date.now() - 30000).toISOString() }));
  // The hub may still deliver a figure from the previous test's calls (a stream
  // gets every event the server reads after it opened): wait for this call's,
  // the one with all three agents on a break.
  const live = await s.next((e) => e.event === 'wallboard' && e.data.calls_waiting >= 1 && e.data.agents.break === 3);
  assert.ok(live.data.longest_wait_seconds >= 29);
  const q = await ok(api('GET', `/api/v1/callcenter/wallboard?queue_id=${queue.id}`));
  assert.equal(q.calls_waiting, 1);
  assert.equal((await api('GET', '/api/v1/callcenter/wallboard?queue_id=x')).status, 400);
  await ok(ev({ event: 'hangup', call_id: id }));
  s.close();
});

test('Erlang C staffing: the published worked example, and the parameters checked', async () => {
  const r = await ok(api('GET', '/api/v1/callcenter/erlang-c?calls=100&interval_s=1800&aht_s=180&target_s=20&target_sl=0.8&shrinkage=0.3'));
  assert.equal(r.agents, 14);
  assert.equal(r.agents_with_shrinkage, 20);
  assert.ok(Math.abs(r.p_wait - 0.1741319) < 1e-6);
  assert.ok(Math.abs(r.service_level - 0.88835) < 1e-5);
  assert.ok(Math.abs(r.asa_s - 7.8359) < 1e-3);
  assert.ok(Math.abs(r.occupancy - 10 / 14) < 1e-9);
  assert.deepEqual(r.table.map((t) => t.agents), [11, 12, 13, 14, 15, 16, 17, 18]);
  assert.ok(Math.abs(r.table[0].p_wait - 0.6821182) < 1e-6);
  for (const [q, name] of [['calls=100', 'aht_s'], ['aht_s=180', 'calls'], ['calls=x&aht_s=180', 'calls'], ['calls=100&aht_s=180&target_sl=80', 'target_sl'], ['calls=100&aht_s=180&shrinkage=1', 'shrinkage']]) {
    const bad = await api('GET', `/api/v1/callcenter/erlang-c?${q}`);
    assert.equal(bad.status, 400, q);
    assert.match(bad.body.error.message, new RegExp(`^${name} `), q);
  }
});
