// The service module through HTTP: the case state machine (every transition,
// and PATCH cannot bypass it), assignment rules, complaints and their analysis,
// CSAT surveys, follow-up visits that reopen cases, the knowledge base, the
// public case form and customer care rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';

let srv, admin;
const PASSWORD = 'Service-pass-42';
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const as = (tok, m, p, json) => srv.call(m, p, { token: tok, json });
const api = (m, p, json) => as(admin, m, p, json);
async function ok(res, status = 200) {
  const r = await res;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}
const STATUSES = ['new', 'assigned', 'in_progress', 'waiting', 'resolved', 'closed'];
const MACHINE = {
  new: ['assigned', 'in_progress', 'resolved', 'closed'],
  assigned: ['new', 'in_progress', 'waiting', 'resolved'],
  in_progress: ['assigned', 'waiting', 'resolved'],
  waiting: ['in_progress', 'resolved', 'closed'],
  resolved: ['closed', 'in_progress'],
  closed: ['in_progress'],
};

before(async () => {
  srv = await startServer();
  admin = await srv.login();
});
after(async () => { await srv.stop(); });

async function user(username, role = 'service_agent', extra = {}) {
  const u = await ok(api('POST', '/api/v1/users', { username, role, password: PASSWORD, ...extra }), 201);
  return { id: u.id, token: await srv.login(username, PASSWORD) };
}

test('every transition of the state machine, legal and illegal, through the transition route', async () => {
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      const c = await ok(api('POST', '/api/v1/cases', { subject: `${from}->${to}`, status: from }), 201);
      const r = await api('POST', `/api/v1/cases/${c.id}/transition`, { to, note: `moving ${from} to ${to}` });
      if (MACHINE[from].includes(to)) {
        assert.equal(r.status, 200, `${from} -> ${to}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.status, to);
        assert.equal(r.body.version, c.version + 1);
        const notes = (await api('GET', `/api/v1/cases/${c.id}/activities`)).body.data;
        assert.ok(notes.some((a) => a.type === 'note' && a.description === `moving ${from} to ${to}`), 'the note is on the case');
      } else {
        assert.equal(r.status, 422, `${from} -> ${to} must be refused`);
        assert.equal(r.body.error.code, 'validation_failed');
        assert.deepEqual(r.body.error.allowed, MACHINE[from], `${from}: the legal targets are listed`);
        assert.equal(r.body.error.from, from);
        assert.ok(r.body.error.fields.to);
        const after = (await api('GET', `/api/v1/cases/${c.id}`)).body;
        assert.equal(after.version, c.version, 'a refused move writes nothing');
        assert.equal((await api('GET', `/api/v1/cases/${c.id}/activities`)).body.data.length, 0, 'not even the note');
      }
    }
  }
  const t = await ok(api('GET', `/api/v1/cases/${(await ok(api('POST', '/api/v1/cases', { subject: 'x', status: 'waiting' }), 201)).id}/transitions`));
  assert.deepEqual(t, { status: 'waiting', allowed: MACHINE.waiting });
});

test('a plain PATCH of status goes through the same rule; bad transition bodies are refused clearly', async () => {
  const c = await ok(api('POST', '/api/v1/cases', { subject: 'Printer', status: 'new' }), 201);
  const bad = await api('PATCH', `/api/v1/cases/${c.id}`, { status: 'waiting' });
  assert.equal(bad.status, 422);
  assert.match(bad.body.error.fields.status, /cannot change from new to waiting; allowed: assigned, in_progress, resolved, closed/);
  assert.equal((await api('GET', `/api/v1/cases/${c.id}`)).body.version, 1);
  const good = await ok(api('PATCH', `/api/v1/cases/${c.id}`, { status: 'in_progress' }));
  assert.ok(good.first_response_at, 'starting work is the first response');
  // Resolving stamps resolved_at; reopening counts and clears it.
  const res = await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'resolved', resolution: 'Replaced the toner' }));
  assert.ok(res.resolved_at);
  assert.equal(res.resolution, 'Replaced the toner');
  const re = await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'in_progress', note: 'still broken' }));
  assert.equal(re.resolved_at, null);
  assert.equal(re.reopen_count, 1);
  // Assigned needs an owner.
  const nobody = await ok(api('POST', '/api/v1/cases', { subject: 'orphan', owner_id: null }), 201);
  const noowner = await api('POST', `/api/v1/cases/${nobody.id}/transition`, { to: 'assigned' });
  assert.equal(noowner.status, 422);
  assert.ok(noowner.body.error.fields.owner_id);
  // Bad bodies.
  assert.equal((await api('POST', `/api/v1/cases/${c.id}/transition`, {})).body.error.fields.to, 'is required: the new status');
  assert.equal((await api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'done' })).status, 422);
  assert.equal((await api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'waiting', status: 'x' })).status, 422);
  assert.equal((await api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'waiting', nonsense: 1 })).body.error.fields.nonsense, 'unknown field');
  assert.equal((await api('POST', `/api/v1/cases/999999/transition`, { to: 'waiting' })).status, 404);
  assert.equal((await srv.call('POST', `/api/v1/cases/${c.id}/transition`, { token: admin, json: 'not json' })).status, 400);
  // A stale version is a conflict.
  const cur = (await api('GET', `/api/v1/cases/${c.id}`)).body;
  const stale = await srv.call('POST', `/api/v1/cases/${c.id}/transition`, { token: admin, json: { to: 'waiting' }, headers: { 'if-match': `"${cur.version - 1}"` } });
  assert.equal(stale.status, 409);
  // A role that may not edit cases may not move them.
  const ro = await user('viewer', 'read_only');
  assert.equal((await as(ro.token, 'POST', `/api/v1/cases/${c.id}/transition`, { to: 'waiting' })).status, 403);
});

test('assignment: queue per category, skills, round robin, least loaded, nobody there', async () => {
  const a1 = await user('agent1'), a2 = await user('agent2'), a3 = await user('agent3'), a4 = await user('agent4');
  const agent = async (u, skills, state = 'available') => ok(api('POST', '/api/v1/agents', { user_id: u.id, skills, state, extension: `80${u.id}` }), 201);
  const ag1 = await agent(a1, ['billing']);
  await agent(a2, ['billing', 'vip']);
  await agent(a3, ['tech']);
  const ag4 = await agent(a4, ['tech', 'billing'], 'offline');
  assert.equal(ag1.owner_id, a1.id, 'an agent owns their agent record');
  assert.ok(ag1.state_since && ag1.idle_since);
  const billing = await ok(api('POST', '/api/v1/service_queues', { name: 'Billing', categories: ['billing'], required_skills: ['billing'], strategy: 'round_robin' }), 201);
  const tech = await ok(api('POST', '/api/v1/service_queues', { name: 'Tech', categories: ['technical', 'incident'], required_skills: ['tech'], strategy: 'least_loaded' }), 201);
  // Round robin among the two billing agents (the offline one is skipped).
  const owners = [];
  for (let i = 0; i < 4; i++) {
    const c = await ok(api('POST', '/api/v1/cases', { subject: `Invoice ${i}`, category: 'billing' }), 201);
    assert.equal(c.status, 'assigned');
    assert.equal(c.queue_id, billing.id);
    owners.push(c.owner_id);
  }
  assert.deepEqual(owners, [a1.id, a2.id, a1.id, a2.id]);
  // The type can name the queue too; least loaded among the tech agents.
  await ok(api('PATCH', `/api/v1/agents/${ag4.id}`, { state: 'available' }));
  for (let i = 0; i < 2; i++) await ok(api('POST', '/api/v1/cases', { subject: `old ${i}`, owner_id: a3.id, status: 'in_progress' }), 201);
  const t1 = await ok(api('POST', '/api/v1/cases', { subject: 'Server down', type: 'incident' }), 201);
  assert.equal(t1.queue_id, tech.id);
  assert.equal(t1.owner_id, a4.id, 'agent4 has no open cases, agent3 has two');
  const t2 = await ok(api('POST', '/api/v1/cases', { subject: 'Disk full', category: 'technical' }), 201);
  assert.equal(t2.owner_id, a4.id, 'still fewer (1 against 2)');
  const t3 = await ok(api('POST', '/api/v1/cases', { subject: 'Slow', category: 'technical' }), 201);
  assert.ok([a3.id, a4.id].includes(t3.owner_id));
  // Nobody available: the case waits in its queue; assignment later by the rules.
  for (const u of [a3, a4]) await ok(as(u.token, 'POST', '/api/v1/callcenter/agents/me/state', { state: 'break' }));
  const waiting = await ok(api('POST', '/api/v1/cases', { subject: 'Nobody home', category: 'technical', owner_id: null }), 201);
  assert.equal(waiting.status, 'new');
  assert.equal(waiting.queue_id, tech.id);
  assert.equal(waiting.owner_id, null);
  await ok(as(a3.token, 'POST', '/api/v1/callcenter/agents/me/state', { state: 'available' }));
  const assigned = await ok(api('POST', `/api/v1/cases/${waiting.id}/assign`));
  assert.equal(assigned.owner_id, a3.id);
  assert.equal(assigned.status, 'assigned');
  assert.equal((await api('POST', `/api/v1/cases/${waiting.id}/assign`)).status, 409, 'only a case waiting in its queue');
  // A cap on open cases per agent.
  await ok(api('PATCH', `/api/v1/service_queues/${billing.id}`, { max_open_per_agent: 2 }));
  const capped = await ok(api('POST', '/api/v1/cases', { subject: 'One too many', category: 'billing', owner_id: null }), 201);
  assert.equal(capped.status, 'new', 'both billing agents have two open cases');
  // No matching queue: plain new case, nobody routed.
  const plain = await ok(api('POST', '/api/v1/cases', { subject: 'General' }), 201);
  assert.equal(plain.queue_id, null);
  assert.equal(plain.status, 'new');
  // Agents cannot set their state to what calls set, nor without an agent record.
  assert.equal((await as(a3.token, 'POST', '/api/v1/callcenter/agents/me/state', { state: 'on_call' })).status, 422);
  assert.equal((await as(admin, 'POST', '/api/v1/callcenter/agents/me/state', { state: 'available' })).status, 404);
  // The agent was told over SSE-bound events (kh_events) about the assignment.
  assert.ok(Number(sql(`SELECT count(*) FROM kh_events WHERE type = 'case_assigned' AND user_id = ${a1.id}`)) >= 2);
});

test('complaints: causes, severity, compensation, and their analysis', async () => {
  const acme = await ok(api('POST', '/api/v1/accounts', { name: '华为测试', tier: 'B' }), 201);
  const wang = await ok(api('POST', '/api/v1/contacts', { name: '王芳', account_id: acme.id }), 201);
  const li = await ok(api('POST', '/api/v1/contacts', { name: '李雷' }), 201);
  const mk = (cause, severity, contact, compensation = 0) => ok(api('POST', '/api/v1/cases', {
    subject: `投诉 ${cause}`, type: 'complaint', complaint_cause: cause, severity, contact_id: contact.id, compensation,
  }), 201);
  const c1 = await mk('delivery', 'major', wang, 5000);
  await mk('delivery', 'minor', wang);
  await mk('product_quality', 'critical', li, 20000);
  const bad = await api('POST', '/api/v1/cases', { subject: 'x', type: 'complaint', complaint_cause: 'weather' });
  assert.equal(bad.status, 422);
  await ok(api('POST', `/api/v1/cases/${c1.id}/transition`, { to: 'in_progress' }));
  await ok(api('POST', `/api/v1/cases/${c1.id}/transition`, { to: 'resolved', root_cause: '快递外包商延误' }));
  const a = await ok(api('GET', '/api/v1/service/complaints/analysis'));
  assert.deepEqual(a.top_causes.map((g) => [g.cause, g.count, g.compensation]), [['delivery', 2, 5000], ['product_quality', 1, 20000]]);
  const month = new Date().toISOString().slice(0, 7);
  assert.ok(a.by_month.some((g) => g.month === month && g.cause === 'delivery' && g.count === 2));
  assert.deepEqual(a.repeat_complainers.map((r) => [r.contact_id, r.complaints]), [[wang.id, 2]]);
  assert.equal(a.time_to_resolve.resolved, 1);
  assert.ok(a.time_to_resolve.average_hours >= 0);
  assert.deepEqual(a.by_severity.map((g) => g.severity), ['critical', 'major', 'minor']);
  // Date range: nothing before today.
  const none = await ok(api('GET', '/api/v1/service/complaints/analysis?to=2000-01-01'));
  assert.equal(none.top_causes.length, 0);
  assert.equal((await api('GET', '/api/v1/service/complaints/analysis?from=yesterday')).status, 400);
});

test('CSAT: a survey link on resolution, answered once without a login, rolled up per agent and category', async () => {
  const agent = await user('csat_agent');
  const c = await ok(as(agent.token, 'POST', '/api/v1/cases', { subject: 'Wi-Fi drops', category: 'network', status: 'in_progress' }), 201);
  assert.equal((await api('GET', `/api/v1/cases/${c.id}/csat`)).status, 404, 'no survey before resolution');
  await ok(as(agent.token, 'POST', `/api/v1/cases/${c.id}/transition`, { to: 'resolved' }));
  const s = await ok(api('GET', `/api/v1/cases/${c.id}/csat`));
  assert.match(s.link, /\/csat\/[A-Za-z0-9_-]{20,}$/);
  const acts = (await api('GET', `/api/v1/cases/${c.id}/activities`)).body.data;
  assert.ok(acts.some((x) => x.type === 'email' && x.description.includes(s.link)), 'the message with the link is on the case');
  const pub = await srv.call('GET', `/api/v1/public/csat/${s.token}`);
  assert.equal(pub.status, 200);
  assert.deepEqual(pub.body, { case_number: c.case_number, subject: 'Wi-Fi drops', answered: false, score: null });
  assert.equal((await srv.call('POST', `/api/v1/public/csat/${s.token}`, { json: { score: 6 } })).status, 422);
  assert.equal((await srv.call('POST', `/api/v1/public/csat/${s.token}`, { json: { score: 4, extra: 1 } })).status, 422);
  const answer = await srv.call('POST', `/api/v1/public/csat/${s.token}`, { json: { score: 4, comment: '很快，谢谢' } });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.answered, true);
  assert.equal((await srv.call('POST', `/api/v1/public/csat/${s.token}`, { json: { score: 1 } })).status, 409, 'once only');
  assert.equal((await srv.call('GET', '/api/v1/public/csat/not-a-token')).status, 404);
  assert.equal((await srv.call('GET', '/api/v1/public/csat/bad%20token')).status, 404);
  const after = await ok(api('GET', `/api/v1/cases/${c.id}`));
  assert.equal(after.satisfaction, 4);
  assert.equal(after.satisfaction_comment, '很快，谢谢');
  const byOwner = await ok(api('GET', '/api/v1/service/csat?group=owner'));
  assert.deepEqual(byOwner.groups.find((g) => g.key === agent.id), { key: agent.id, responses: 1, average: 4, csat: 1 });
  const byCat = await ok(api('GET', '/api/v1/service/csat?group=category'));
  assert.ok(byCat.groups.some((g) => g.key === 'network' && g.responses === 1));
  assert.equal((await api('GET', '/api/v1/service/csat?group=weather')).status, 400);
  assert.equal((await ok(api('GET', '/api/v1/service/csat?group=team'))).group, 'team');
});

test('follow-up visits: planned on resolving a complaint or a high-value case; an unhappy outcome reopens it', async () => {
  const vip = await ok(api('POST', '/api/v1/accounts', { name: 'Big Co', tier: 'A' }), 201);
  const small = await ok(api('POST', '/api/v1/accounts', { name: 'Small Co', tier: 'C' }), 201);
  const complaint = await ok(api('POST', '/api/v1/cases', { subject: 'Rude driver', type: 'complaint', status: 'in_progress' }), 201);
  const valuable = await ok(api('POST', '/api/v1/cases', { subject: 'Order question', account_id: vip.id, status: 'in_progress' }), 201);
  const ordinary = await ok(api('POST', '/api/v1/cases', { subject: 'Order question', account_id: small.id, status: 'in_progress' }), 201);
  for (const c of [complaint, valuable, ordinary]) await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'resolved' }));
  const visits = async (c) => (await api('GET', `/api/v1/cases/${c.id}/service_followups`)).body.data;
  assert.equal((await visits(ordinary)).length, 0);
  assert.equal((await visits(valuable)).length, 1);
  const [v] = await visits(complaint);
  assert.equal(v.status, 'planned');
  const days = (Date.parse(v.due_at) - Date.now()) / 86400e3;
  assert.ok(days > 2.9 && days < 3.1, `due in 3 days (${days})`);
  // Done needs an outcome; the unhappy customer's case is reopened, with the notes on it.
  assert.equal((await api('PATCH', `/api/v1/service_followups/${v.id}`, { status: 'done' })).status, 422);
  const done = await ok(api('PATCH', `/api/v1/service_followups/${v.id}`, { status: 'done', outcome: 'unsatisfied', reopen_case: true, notes: '司机仍未道歉' }));
  assert.ok(done.completed_at);
  const reopened = await ok(api('GET', `/api/v1/cases/${complaint.id}`));
  assert.equal(reopened.status, 'in_progress');
  assert.equal(reopened.reopen_count, 1);
  const notes = (await api('GET', `/api/v1/cases/${complaint.id}/activities`)).body.data;
  assert.ok(notes.some((n) => n.type === 'note' && n.description.includes('司机仍未道歉')));
  // A happy outcome leaves the case alone.
  const [v2] = await visits(valuable);
  await ok(api('PATCH', `/api/v1/service_followups/${v2.id}`, { status: 'done', outcome: 'satisfied' }));
  assert.equal((await api('GET', `/api/v1/cases/${valuable.id}`)).body.status, 'resolved');
  // The settings decide the delay and which cases count as high value.
  await ok(api('PUT', '/api/v1/service/settings', { followup_days: 7, followup_tiers: 'A,C' }));
  const again = await ok(api('POST', '/api/v1/cases', { subject: 'Another', account_id: small.id, status: 'in_progress' }), 201);
  await ok(api('POST', `/api/v1/cases/${again.id}/transition`, { to: 'resolved' }));
  const [v3] = await visits(again);
  assert.ok((Date.parse(v3.due_at) - Date.now()) / 86400e3 > 6.9);
  const badSettings = await api('PUT', '/api/v1/service/settings', { followup_days: -1, colour: 'red' });
  assert.equal(badSettings.status, 422);
  assert.deepEqual(Object.keys(badSettings.body.error.fields).sort(), ['colour', 'followup_days']);
  assert.equal((await ok(api('GET', '/api/v1/service/settings'))).followup_days, 7, 'a refused change writes nothing');
});

test('knowledge base: Chinese full-text search, suggestions for a case, linked as the solution', async () => {
  const art = (title, body, category) => ok(api('POST', '/api/v1/kb_articles', { title, body, category }), 201);
  const refund = await art('如何申请退货退款', '登录账户后，在订单详情页点击“申请退货”。七天无理由退货，运费由买家承担。', '售后');
  await art('发票开具说明', '增值税专用发票请在下单时填写公司抬头和税号。', '财务');
  await art('Resetting the router', 'Hold the reset button for ten seconds. Wi-Fi comes back in a minute.', 'network');
  const draft = await ok(api('POST', '/api/v1/kb_articles', { title: '退货草稿', body: '未发布', status: 'draft' }), 201);
  const search = async (q, extra = '') => (await ok(api('GET', `/api/v1/kb/search?q=${encodeURIComponent(q)}${extra}`))).data;
  assert.deepEqual((await search('退货')).map((a) => a.id), [refund.id], 'drafts are not found');
  assert.deepEqual((await search('退')).map((a) => a.id), [refund.id], 'one character');
  assert.deepEqual((await search('退貨')).map((a) => a.id), [refund.id], 'traditional characters');
  assert.equal((await search('发票'))[0].title, '发票开具说明');
  assert.equal((await search('RESET router'))[0].category, 'network');
  assert.equal((await search('退货 发票')).length, 0, 'every term must match');
  assert.equal((await search('退货 发票', '&any=1')).length, 2);
  assert.equal((await search('退货', '&category=财务')).length, 0);
  assert.ok((await search('退货'))[0].snippet.startsWith('登录账户后'));
  assert.equal((await api('GET', '/api/v1/kb/search')).status, 400);
  // Suggested on a case from its subject and description.
  const c = await ok(api('POST', '/api/v1/cases', { subject: '我想退货，怎么申请？', description: '买的鞋子尺码不对', status: 'in_progress' }), 201);
  const sug = await ok(api('GET', `/api/v1/cases/${c.id}/kb-suggestions`));
  assert.equal(sug.data[0].id, refund.id);
  // Linked as the solution on resolving: counted on the article.
  await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'resolved', kb_article_id: refund.id, resolution: '按退货流程处理' }));
  const read = await ok(api('GET', `/api/v1/kb/articles/${refund.id}`));
  assert.equal(read.used_count, 1);
  assert.equal((await ok(api('GET', `/api/v1/kb_articles/${refund.id}`))).views, 1, 'reading through the KB counts a view');
  // Edits and archiving keep the index in step.
  await ok(api('PATCH', `/api/v1/kb_articles/${draft.id}`, { status: 'published', body: '换货流程' }));
  assert.equal((await search('换货'))[0].id, draft.id);
  assert.equal((await api('DELETE', `/api/v1/kb_articles/${draft.id}`)).status, 204);
  assert.equal((await search('换货')).length, 0);
  assert.equal((await api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'closed', kb_article_id: 999999 })).status, 422);
});

test('the public case form: no login, matched to the contact, validated, throttled', async () => {
  const zhao = await ok(api('POST', '/api/v1/contacts', { name: '赵敏', email: 'Zhao.Min@Example.com' }), 201);
  const r = await srv.call('POST', '/api/v1/public/cases', { json: { name: '赵敏', email: 'zhao.min@example.com', subject: '无法登录', description: '提示密码错误', category: 'account' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.match(r.body.case_number, /^CS-\d{6}$/);
  assert.deepEqual(Object.keys(r.body), ['case_number'], 'the visitor learns only the number');
  const c = (await api('GET', `/api/v1/cases?case_number=${r.body.case_number}`)).body.data[0];
  assert.equal(c.contact_id, zhao.id);
  assert.equal(c.channel, 'web');
  assert.equal(c.category, 'account');
  assert.match(c.description, /赵敏 <zhao.min@example.com>\n\n提示密码错误/);
  const bad = await srv.call('POST', '/api/v1/public/cases', { json: { email: 'not-an-email', extra: 1 } });
  assert.equal(bad.status, 422);
  assert.deepEqual(Object.keys(bad.body.error.fields).sort(), ['email', 'extra', 'subject']);
  const before = sql('SELECT count(*) FROM cases');
  let last;
  for (let i = 0; i < 10; i++) last = await srv.call('POST', '/api/v1/public/cases', { json: { phone: '13900000000', subject: `spam ${i}` } });
  assert.equal(last.status, 429);
  assert.ok(last.headers.get('retry-after'));
  assert.equal(Number(sql('SELECT count(*) FROM cases')) - Number(before), 9 - 0, 'ten a window per address, the refused one wrote nothing');
});

test('customer care: birthday, first-purchase anniversary and contract renewal tasks from rules, once each', async () => {
  const day = '2026-03-15';
  const acc = await ok(api('POST', '/api/v1/accounts', { name: '老客户', tier: 'A' }), 201);
  // A contract ending 30 days after the day: the renewal rule reminds its account's owner.
  const renew = await ok(api('POST', '/api/v1/accounts', { name: '合同客户' }), 201);
  const k = await ok(api('POST', '/api/v1/contracts', { name: '年度维保合同', contract_number: 'HT-2025-001', account_id: renew.id,
    status: 'active', start_date: '2025-04-14', end_date: '2026-04-14', amount: 12000000 }), 201);
  assert.equal(k.currency, 'CNY');
  await ok(api('POST', '/api/v1/contracts', { name: '另一份', account_id: renew.id, status: 'active', end_date: '2026-09-30' }), 201);
  assert.equal((await api('POST', '/api/v1/contracts', { name: '无客户' })).status, 422, 'a contract needs its account');
  assert.equal((await api('POST', '/api/v1/contracts', { name: 'x', account_id: renew.id, end_date: '2026-02-30' })).status, 422);
  assert.equal((await api('GET', `/api/v1/accounts/${renew.id}/contracts`)).body.data.length, 2, 'a related list of the account');
  const who = await ok(api('POST', '/api/v1/contacts', { name: '孙悦', birthday: '1990-03-18', account_id: acc.id }), 201);
  await ok(api('POST', '/api/v1/contacts', { name: '不是今天', birthday: '1990-03-19' }), 201);
  await ok(api('POST', '/api/v1/orders', { account_id: acc.id, order_date: '2024-03-15' }), 201);
  await ok(api('POST', '/api/v1/care_rules', { name: '生日关怀', kind: 'birthday', days_before: 3, subject: '给{name}送生日祝福' }), 201);
  await ok(api('POST', '/api/v1/care_rules', { name: '首购周年', kind: 'first_purchase_anniversary', subject: '{name} 首购周年回访', tier: 'A' }), 201);
  await ok(api('POST', '/api/v1/care_rules', { name: '续约', kind: 'contract_renewal', days_before: 30, subject: '续约 {name}' }), 201);
  const run = await ok(api('POST', '/api/v1/service/care/run', { day }));
  assert.equal(run.tasks, 3);
  const tasks = (await api('GET', '/api/v1/activities?type=task&limit=100')).body.data;
  assert.ok(tasks.some((t) => t.subject === '给孙悦送生日祝福' && t.contact_id === who.id));
  assert.ok(tasks.some((t) => t.subject === '老客户 首购周年回访' && t.account_id === acc.id));
  assert.ok(tasks.some((t) => t.subject === '续约 合同客户' && t.account_id === renew.id), JSON.stringify(tasks.map((t) => t.subject)));
  assert.equal((await ok(api('POST', '/api/v1/service/care/run', { day }))).tasks, 0, 'not twice');
  assert.equal((await api('POST', '/api/v1/service/care/run', { day: '15/03/2026' })).status, 400);
});
