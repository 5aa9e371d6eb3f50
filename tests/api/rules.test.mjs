// Automation rules through HTTP: rules as data with their checks, the two
// shipped examples, every action, webhooks (signed; failures visible, retried
// only when nothing was delivered), loops cut, time-based triggers, and no
// event lost or applied twice across a kill -9.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { startServer } from './lib/server.mjs';

const NOW = '2026-03-10T08:00:00Z';
let srv, token, hook, hookUrl, killedDir, retiredDir;
const received = [];
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const post = async (p, json) => {
  const r = await call('POST', p, { json });
  assert.ok(r.status === 201 || r.status === 200, `${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
async function waitFor(fn, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}
const runs = async (id) => (await call('GET', `/api/v1/rules/${id}/runs`)).body.data;
const ruleNamed = async (name) => (await call('GET', `/api/v1/rules?name=${encodeURIComponent(name)}`)).body.data[0];

before(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ url: req.url, headers: req.headers, body });
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('ok');
    });
  });
  await new Promise((ok) => hook.listen(0, '127.0.0.1', ok));
  hookUrl = `http://127.0.0.1:${hook.address().port}`;
  srv = await startServer({ env: { KEHU_NOW: NOW } });
  token = await srv.login();
});
after(async () => {
  await srv.stop();
  hook.close();
  if (killedDir) await rm(killedDir, { recursive: true, force: true });
  if (retiredDir) await rm(retiredDir, { recursive: true, force: true });
});

test('rules are data, checked when saved; only administrators change them', async () => {
  const list = (await call('GET', '/api/v1/rules?kind=automation')).body.data;
  assert.deepEqual(list.map((r) => r.name), ['Won deal: onboarding task', 'Churn risk above 0.7: win-back']);
  const bad = async (json, field, re) => {
    const r = await call('POST', '/api/v1/rules', { json: { name: 'Bad', ...json } });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(r.body.error.fields[field], re);
  };
  await bad({ entity: 'planets', actions: { create_task: { subject: 'x' } } }, 'entity', /entity/);
  await bad({ entity: 'leads', conditions: { all: [{ field: 'status', op: 'resembles', value: 'x' }] }, actions: { create_task: { subject: 'x' } } }, 'conditions', /unknown op/);
  await bad({ entity: 'opportunities', conditions: { all: [{ field: 'stage', op: 'eq', value: 'won_it' }] }, actions: { create_task: { subject: 'x' } } }, 'conditions', /won_it/);
  await bad({ entity: 'leads', conditions: { all: [{ field: 'colour', op: 'eq', value: 'red' }] }, actions: { create_task: { subject: 'x' } } }, 'conditions', /no field colour/);
  await bad({ entity: 'leads', actions: { teleport: {} } }, 'actions', /unknown action/);
  await bad({ entity: 'leads', actions: { set: { status: 'bogus' } } }, 'actions', /status/);
  await bad({ entity: 'leads', actions: {} }, 'actions', /at least one/);
  await bad({ entity: 'leads', trigger: 'date_reached', actions: { create_task: { subject: 'x' } } }, 'params', /date_reached/);
  await bad({ entity: 'leads', actions: { webhook: { url: 'ftp://x' } } }, 'actions', /http/);
  await bad({ entity: 'leads', actions: { add_to_campaign: { campaign_id: 99999 } } }, 'actions', /campaign/);
  await post('/api/v1/users', { username: 'mgr', role: 'sales_manager', password: 'Copper-Leaf-5521' });
  const mgr = await srv.login('mgr', 'Copper-Leaf-5521');
  const denied = await srv.call('POST', '/api/v1/rules', { token: mgr, json: { name: 'Mine', entity: 'leads', actions: { create_task: { subject: 'x' } } } });
  assert.equal(denied.status, 403);
  assert.equal((await srv.call('GET', '/api/v1/rules', { token: mgr })).status, 200, 'but they may read them');
});

test('shipped example: a won deal creates an onboarding task for its owner, once', async () => {
  const rule = await ruleNamed('Won deal: onboarding task');
  const acc = await post('/api/v1/accounts', { name: '天津港机' });
  const opp = await post('/api/v1/opportunities', { name: '岸桥改造', account_id: acc.id, amount: 3000000, stage: 'negotiation' });
  await call('PATCH', `/api/v1/opportunities/${opp.id}`, { json: { description: 'not yet won' } });
  await call('PATCH', `/api/v1/opportunities/${opp.id}`, { json: { stage: 'closed_won' } });
  const r = await waitFor(async () => (await runs(rule.id)).find((x) => x.record_id === opp.id && x.status === 'done'), 'the run');
  assert.deepEqual(r.steps.map((s) => [s.step, s.status]), [['create_task', 'done']]);
  const tasks = (await call('GET', `/api/v1/activities?opportunity_id=${opp.id}&type=task`)).body.data;
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].subject, 'Onboarding: 岸桥改造');
  assert.equal(tasks[0].priority, 'high');
  assert.equal(tasks[0].owner_id, opp.owner_id);
  assert.equal(tasks[0].account_id, acc.id);
  assert.equal(tasks[0].due_at, '2026-03-13T08:00:00.000Z');
  await call('PATCH', `/api/v1/opportunities/${opp.id}`, { json: { description: 'won, edited' } });
  await new Promise((ok) => setTimeout(ok, 800));
  assert.equal((await runs(rule.id)).filter((x) => x.record_id === opp.id).length, 1, 'a later edit is not a new win');
  const r2 = (await call('GET', `/api/v1/rules/${rule.id}`)).body;
  assert.ok(r2.runs >= 1 && r2.last_run_at);
});

test('shipped example: a churn risk crossing 0.7 puts the customer in the win-back campaign and gives the owner a task', async () => {
  const rule = await ruleNamed('Churn risk above 0.7: win-back');
  const winback = (await call('GET', '/api/v1/campaigns?name=Win-back')).body.data[0];
  const a = await post('/api/v1/accounts', { name: '流失风险客户' });
  const b = await post('/api/v1/accounts', { name: '稳定客户' });
  const rec = await call('POST', '/api/v1/sales/scores', { json: { entity: 'accounts', name: 'churn_risk', scores: [{ id: a.id, value: 0.82 }, { id: b.id, value: 0.5 }] } });
  assert.equal(rec.status, 200);
  await waitFor(async () => (await runs(rule.id)).some((x) => x.record_id === a.id && x.status === 'done'), 'the win-back run');
  const members = (await call('GET', `/api/v1/campaigns/${winback.id}/campaign_members`)).body.data;
  assert.deepEqual(members.map((m) => m.account_id), [a.id]);
  assert.equal(members[0].source, 'rule');
  const tasks = (await call('GET', `/api/v1/activities?account_id=${a.id}&type=task`)).body.data;
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].subject, 'Win back 流失风险客户');
  assert.equal(tasks[0].owner_id, a.owner_id);
  // Staying above the line is not crossing it; dropping and rising again is.
  await post('/api/v1/sales/scores', { entity: 'accounts', name: 'churn_risk', scores: [{ id: a.id, value: 0.9 }] });
  await post('/api/v1/sales/scores', { entity: 'accounts', name: 'churn_risk', scores: [{ id: a.id, value: 0.6 }] });
  await post('/api/v1/sales/scores', { entity: 'accounts', name: 'churn_risk', scores: [{ id: a.id, value: 0.75 }] });
  await waitFor(async () => (await runs(rule.id)).filter((x) => x.record_id === a.id && x.status === 'done').length === 2, 'the second crossing');
  assert.equal((await call('GET', `/api/v1/campaigns/${winback.id}/campaign_members`)).body.data.length, 1, 'a member once');
  assert.equal((await call('GET', `/api/v1/activities?account_id=${a.id}&type=task`)).body.data.length, 2);
  assert.equal((await runs(rule.id)).filter((x) => x.record_id === b.id).length, 0);
  const bad = await call('POST', '/api/v1/sales/scores', { json: { entity: 'accounts', name: 'churn_risk', scores: [{ id: 999999, value: 0.99 }] } });
  assert.equal(bad.status, 404, 'a score of nothing is refused');
});

test('set, assign and add to a campaign; a rule never fires on its own changes', async () => {
  const u = await post('/api/v1/users', { username: 'wechat_rep', role: 'sales_rep', password: 'Silver-Fox-7734' });
  const camp = await post('/api/v1/campaigns', { name: 'WeChat nurture' });
  const a = await post('/api/v1/rules', { name: 'WeChat leads', entity: 'leads', trigger: 'created', conditions: { all: [{ field: 'source', op: 'eq', value: 'wechat' }] }, actions: { set: { rating: 'hot' }, assign: { user_id: u.id }, add_to_campaign: { campaign_id: camp.id } } });
  const b = await post('/api/v1/rules', { name: 'Hot leads noted', entity: 'leads', trigger: 'updated', conditions: { all: [{ field: 'rating', op: 'changed_to', value: 'hot' }] }, actions: { set: { description: 'hot lead' } } });
  const self = await post('/api/v1/rules', { name: 'Title tidy', entity: 'leads', trigger: 'updated', conditions: { all: [{ field: 'title', op: 'changed' }] }, actions: { set: { title: 'Tidied' } } });
  const lead = await post('/api/v1/leads', { name: '微信客户', source: 'wechat' });
  const done = await waitFor(async () => {
    const l = (await call('GET', `/api/v1/leads/${lead.id}`)).body;
    return l.description === 'hot lead' ? l : null;
  }, 'both rules');
  assert.equal(done.rating, 'hot');
  assert.equal(done.owner_id, u.id);
  const members = (await call('GET', `/api/v1/campaigns/${camp.id}/campaign_members`)).body.data;
  assert.deepEqual(members.map((m) => m.lead_id), [lead.id]);
  const ra = (await runs(a.id))[0];
  assert.deepEqual(ra.steps.map((s) => s.step).sort(), ['add_to_campaign', 'assign', 'set']);
  assert.equal((await runs(b.id))[0].depth, 1, 'fired by the first rule');
  await call('PATCH', `/api/v1/leads/${lead.id}`, { json: { title: 'cto' } });
  await waitFor(async () => (await call('GET', `/api/v1/leads/${lead.id}`)).body.title === 'Tidied', 'the tidy');
  await new Promise((ok) => setTimeout(ok, 800));
  assert.equal((await runs(self.id)).length, 1, 'its own change did not fire it again');
});

test('an import fires created rules for its records only when asked to (run_rules), and then audits them', async () => {
  const rule = await post('/api/v1/rules', { name: 'Chengdu welcome', entity: 'contacts', trigger: 'created', conditions: { all: [{ field: 'city', op: 'eq', value: '成都' }] }, actions: { set: { description: 'welcomed' } } });
  const importing = async (rows, fields) => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ entity: 'contacts', ...fields })) form.append(k, v);
    form.append('file', new Blob([['姓名,城市,邮箱', ...rows].join('\r\n')]), 'people.csv');
    const up = await srv.fetch('/api/v1/imports', { method: 'POST', token, body: form });
    assert.equal(up.status, 202);
    const id = (await up.json()).id;
    const job = await waitFor(async () => {
      const j = (await call('GET', `/api/v1/imports/${id}`)).body;
      return ['done', 'failed'].includes(j.status) && j;
    }, 'the import');
    assert.deepEqual([job.status, job.created], ['done', rows.length], JSON.stringify(job));
    return (await call('GET', `/api/v1/contacts?email=${encodeURIComponent(rows[0].split(',')[2])}`)).body.data[0];
  };
  // Without the option first: had its records fired, their runs would come before the second import's.
  const quiet = await importing(['静默导入,成都,quiet@example.com'], {});
  const loud = await importing(['规则导入,成都,loud@example.com', '外地导入,西安,far@example.com'], { run_rules: 'true' });
  await waitFor(async () => (await runs(rule.id)).some((x) => x.record_id === loud.id && x.status === 'done'), 'the imported record\'s run');
  assert.equal((await call('GET', `/api/v1/contacts/${loud.id}`)).body.description, 'welcomed');
  assert.deepEqual((await runs(rule.id)).map((x) => x.record_id), [loud.id], 'only the record of the import with run_rules that matched');
  assert.equal((await call('GET', `/api/v1/contacts/${quiet.id}`)).body.description, null);
  const history = async (id) => (await call('GET', `/api/v1/contacts/${id}/history`)).body.data.map((h) => h.action);
  assert.deepEqual(await history(quiet.id), [], 'a bulk load leaves no per-record entry');
  assert.ok((await history(loud.id)).includes('create'), 'created as by hand');
});

test('webhooks: signed, without personal data; failures are visible, retried only when nothing was delivered', async () => {
  const ok = await post('/api/v1/rules', { name: 'Shanghai contacts to ERP', entity: 'contacts', trigger: 'created', conditions: { all: [{ field: 'city', op: 'eq', value: '上海' }] }, actions: { webhook: { url: `${hookUrl}/hook`, secret: 's3cret' } } });
  const down = await post('/api/v1/rules', { name: 'Guangzhou to a dead host', entity: 'contacts', trigger: 'created', conditions: { all: [{ field: 'city', op: 'eq', value: '广州' }] }, actions: { webhook: { url: 'http://127.0.0.1:9/nothing' } } });
  const fails = await post('/api/v1/rules', { name: 'Shenzhen to a failing receiver', entity: 'contacts', trigger: 'created', conditions: { all: [{ field: 'city', op: 'eq', value: '深圳' }] }, actions: { webhook: { url: `${hookUrl}/fail` } } });
  const c = await post('/api/v1/contacts', { name: '上海联系人', city: '上海', email: 'secret@person.cn', mobile: '13900009999' });
  await post('/api/v1/contacts', { name: '北京联系人', city: '北京' });
  await waitFor(async () => received.some((r) => r.url === '/hook'), 'the webhook');
  const got = received.filter((r) => r.url === '/hook');
  assert.equal(got.length, 1);
  const sig = createHmac('sha256', 's3cret').update(got[0].body).digest('hex');
  assert.equal(got[0].headers['x-kehu-signature'], `sha256=${sig}`);
  const body = JSON.parse(got[0].body);
  assert.equal(body.rule.id, ok.id);
  assert.equal(body.entity, 'contacts');
  assert.equal(body.record.id, c.id);
  assert.equal(body.record.name, '上海联系人');
  assert.ok(!('email' in body.record) && !('mobile' in body.record), 'personal fields stay home');
  assert.equal(got[0].headers['x-kehu-delivery'], String(body.delivery));

  await post('/api/v1/contacts', { name: '广州联系人', city: '广州' });
  const r = await waitFor(async () => (await runs(down.id)).find((x) => x.status === 'retrying'), 'the retrying run');
  assert.equal(r.attempts, 1);
  assert.match(r.error, /webhook: Couldn't connect/);
  assert.equal(r.steps.length, 0, 'nothing was delivered, so the step may run again');

  await post('/api/v1/contacts', { name: '深圳联系人', city: '深圳' });
  const f = await waitFor(async () => (await runs(fails.id)).find((x) => x.status === 'failed'), 'the failed run');
  assert.match(f.error, /HTTP 500/);
  assert.deepEqual(f.steps.map((s) => [s.step, s.status]), [['webhook', 'failed']]);
  await new Promise((ok) => setTimeout(ok, 800));
  assert.equal(received.filter((x) => x.url === '/fail').length, 1, 'the receiver got it once: not repeated');
  assert.equal((await call('GET', `/api/v1/rules/${fails.id}`)).body.failures, 1);
});

test('date and silence: rules fire when a date is reached or nothing happened for days, once each', async () => {
  // The records first: with the clock frozen, the tick that saving a rule queues runs once.
  const acc = await post('/api/v1/accounts', { name: 'Dates Co' });
  const o1 = await post('/api/v1/opportunities', { name: 'Due on the 13th', account_id: acc.id, expected_close_date: '2026-03-13' });
  const o2 = await post('/api/v1/opportunities', { name: 'Due on the 20th', account_id: acc.id, expected_close_date: '2026-03-20' });
  await post('/api/v1/opportunities', { name: 'Due before the rule', account_id: acc.id, expected_close_date: '2026-03-12' });
  const l1 = await post('/api/v1/leads', { name: 'Idle lead one' });
  await post('/api/v1/leads', { name: 'Busy lead' });
  const soon = await post('/api/v1/rules', { name: 'Closing soon', entity: 'opportunities', trigger: 'date_reached', params: { field: 'expected_close_date', offset_days: -3 }, conditions: { all: [{ field: 'status', op: 'eq', value: 'open' }] }, actions: { create_task: { subject: 'Closing soon: {{name}}', due_days: 1 } } });
  const idle = await post('/api/v1/rules', { name: 'Idle leads', entity: 'leads', trigger: 'no_activity', params: { days: 7 }, conditions: { all: [{ field: 'name', op: 'contains', value: 'idle' }] }, actions: { create_task: { subject: 'Wake up {{name}}' } } });
  await waitFor(async () => (await runs(soon.id)).some((x) => x.record_id === o1.id && x.status === 'done'), 'the 13th');
  assert.deepEqual((await runs(soon.id)).map((x) => x.record_id), [o1.id], 'the 20th is not yet, the 12th was before the rule');
  assert.equal((await runs(idle.id)).length, 0);
  // Eight days later: this server steps down (SIGTERM hands the background work
  // on at once) and one whose clock reads later takes over the database.
  const db = srv.db;
  retiredDir = srv.dir; // holds the SQLite database: removed at the end
  srv.proc.kill('SIGTERM');
  await srv.exited;
  const later = await startServer({ db, env: { KEHU_NOW: '2026-03-18T09:00:00Z' } });
  try {
    const t = await later.login();
    const lruns = async (id) => (await later.call('GET', `/api/v1/rules/${id}/runs`, { token: t })).body.data;
    await waitFor(async () => (await lruns(soon.id)).some((x) => x.record_id === o2.id && x.status === 'done'), 'the 20th');
    await waitFor(async () => (await lruns(idle.id)).some((x) => x.record_id === l1.id && x.status === 'done'), 'the idle lead');
    assert.deepEqual((await lruns(idle.id)).map((x) => x.record_id), [l1.id]);
    assert.equal((await lruns(idle.id))[0].cause, 'no_activity');
    const tasks = (await later.call('GET', `/api/v1/activities?lead_id=${l1.id}`, { token: t })).body.data;
    assert.deepEqual(tasks.map((x) => x.subject), ['Wake up Idle lead one']);
    await new Promise((ok) => setTimeout(ok, 1000));
    assert.equal((await lruns(soon.id)).length, 2, 'each date fires once');
  } finally {
    await later.stop();
  }
  srv = await startServer({ db, env: { KEHU_NOW: NOW } });
  token = await srv.login();
});

test('no change is lost or applied twice when the server is killed right after it', async () => {
  const rule = await ruleNamed('Won deal: onboarding task');
  const acc = await post('/api/v1/accounts', { name: 'Crash Co' });
  const opps = [];
  for (let i = 0; i < 5; i++) opps.push(await post('/api/v1/opportunities', { name: `Crash deal ${i}`, account_id: acc.id, stage: 'proposal' }));
  const db = srv.db;
  killedDir = srv.dir; // removed at the end: the next server uses its database
  await Promise.all(opps.map((o) => call('PATCH', `/api/v1/opportunities/${o.id}`, { json: { stage: 'closed_won' } })));
  srv.proc.kill('SIGKILL');
  await srv.exited;
  // A minute on: the dead server's scheduler lease (30 s) has run out.
  srv = await startServer({ db, env: { KEHU_NOW: '2026-03-10T08:01:00Z' } });
  token = await srv.login();
  for (const o of opps) {
    await waitFor(async () => (await runs(rule.id)).some((x) => x.record_id === o.id && x.status === 'done'), `the run of ${o.name}`);
    const tasks = (await call('GET', `/api/v1/activities?opportunity_id=${o.id}&type=task`)).body.data;
    assert.equal(tasks.length, 1, `one task for ${o.name}`);
  }
});
