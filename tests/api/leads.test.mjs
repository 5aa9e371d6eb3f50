// Lead capture and routing through HTTP: the public web-form endpoint (key,
// fields, honeypot, rate limit), assignment rules (round robin, by load, idle
// leads moving on), and the score (rule points and the learned model, both
// explained).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startServer } from './lib/server.mjs';

const NOW = '2026-03-02T09:00:00Z';
let srv, token, team, u1, u2, campaign, retiredDir;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const post = async (p, json) => {
  const r = await call('POST', p, { json });
  assert.ok(r.status === 201 || r.status === 200, `${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const pub = (m, p, json, headers = {}) => srv.call(m, p, { json, headers });

before(async () => {
  srv = await startServer({ env: { KEHU_NOW: NOW } });
  token = await srv.login();
  team = await post('/api/v1/teams', { name: 'Inside sales' });
  u1 = await post('/api/v1/users', { username: 'isr1', role: 'sales_rep', team_id: team.id, password: 'Isr-one-password-1' });
  u2 = await post('/api/v1/users', { username: 'isr2', role: 'sales_rep', team_id: team.id, password: 'Isr-two-password-1' });
  campaign = await post('/api/v1/campaigns', { name: 'Spring expo', type: 'event' });
});
after(async () => {
  await srv.stop();
  if (retiredDir) await rm(retiredDir, { recursive: true, force: true });
});

test('a web form takes leads without a token: fields, required fields, honeypot, and its counters', async () => {
  const bad = await call('POST', '/api/v1/web_forms', { json: { name: 'Bad', fields: ['name', 'score'] } });
  assert.equal(bad.status, 422, 'the score is not for visitors to set');
  const form = await post('/api/v1/web_forms', { name: '展会报名', campaign_id: campaign.id, lead_source: 'trade_show', fields: ['name', 'company', 'email', 'mobile', 'title'], required_fields: ['email'], success_message: '感谢报名！' });
  assert.match(form.form_key, /^[A-Za-z0-9_-]{20}$/);
  assert.equal(form.honeypot_field, 'website');
  const desc = await pub('GET', `/api/v1/public/forms/${form.form_key}`);
  assert.equal(desc.status, 200);
  assert.deepEqual(desc.body.fields.map((f) => f.name), ['name', 'company', 'email', 'mobile', 'title']);
  assert.equal(desc.body.fields.find((f) => f.name === 'email').required, true);
  assert.equal(desc.body.fields.find((f) => f.name === 'email').label_zh, '邮箱');

  const ok = await pub('POST', `/api/v1/public/forms/${form.form_key}`, { name: '钱多多', company: '金山软件', email: 'qian@jinshan.cn', title: 'CTO', website: '' });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.message, '感谢报名！');
  const lead = (await call('GET', '/api/v1/leads?email=qian@jinshan.cn')).body.data[0];
  assert.equal(lead.source, 'trade_show');
  assert.equal(lead.campaign_id, campaign.id);
  assert.equal(lead.created_by, null, 'made by the form, not a user');

  const missing = await pub('POST', `/api/v1/public/forms/${form.form_key}`, { name: '无邮箱' });
  assert.equal(missing.status, 422);
  assert.equal(missing.body.error.fields.email, 'is required');
  const extra = await pub('POST', `/api/v1/public/forms/${form.form_key}`, { name: 'X', email: 'x@x.cn', status: 'converted' });
  assert.equal(extra.status, 422);
  assert.ok(extra.body.error.fields.status);
  const invalid = await pub('POST', `/api/v1/public/forms/${form.form_key}`, { name: 'Y', email: 'not-an-address' });
  assert.equal(invalid.status, 422);
  assert.ok(invalid.body.error.fields.email);

  const bot = await pub('POST', `/api/v1/public/forms/${form.form_key}`, { name: 'Cheap pills', email: 'bot@spam.example', website: 'http://spam.example' });
  assert.equal(bot.status, 201, 'a robot hears the same thank-you');
  assert.deepEqual(bot.body, ok.body);
  assert.equal((await call('GET', '/api/v1/leads?email=bot@spam.example')).body.data.length, 0, 'and nothing is kept');
  const f = (await call('GET', `/api/v1/web_forms/${form.id}`)).body;
  assert.equal(f.submissions, 1);
  assert.equal(f.spam_blocked, 1);
  assert.ok(f.last_submission_at);

  assert.equal((await pub('POST', '/api/v1/public/forms/no-such-form', { name: 'Z', email: 'z@z.cn' })).status, 404);
  await call('PATCH', `/api/v1/web_forms/${form.id}`, { json: { active: false } });
  assert.equal((await pub('GET', `/api/v1/public/forms/${form.form_key}`)).status, 404, 'a form switched off is gone');
  assert.equal((await pub('POST', `/api/v1/public/forms/${form.form_key}`, { name: 'Q', email: 'q@q.cn' }, { 'content-type': 'text/plain' })).status, 415);
});

test('each address may submit a form only so often: 429 with Retry-After, nothing kept', async () => {
  const form = await post('/api/v1/web_forms', { name: 'Limited', rate_limit: 3 });
  for (let i = 0; i < 3; i++)
    assert.equal((await pub('POST', `/api/v1/public/forms/${form.form_key}`, { name: `Limit ${i}` })).status, 201);
  const r = await pub('POST', `/api/v1/public/forms/${form.form_key}`, { name: 'Limit 3' });
  assert.equal(r.status, 429);
  assert.equal(r.body.error.code, 'rate_limited');
  const ra = Number(r.headers.get('retry-after'));
  assert.ok(ra > 0 && ra <= 3600, `Retry-After ${ra}`);
  assert.equal((await call('GET', '/api/v1/leads?name=Limit 3')).body.data.length, 0);
});

test('assignment rules: round robin in a team, by load among users, and only for leads that arrive without an owner', async () => {
  const rr = await post('/api/v1/rules', {
    name: 'Web leads to inside sales', kind: 'assignment', entity: 'leads', position: 10,
    conditions: { all: [{ field: 'source', op: 'eq', value: 'web' }] },
    actions: { assign: { team_id: team.id, method: 'round_robin' } },
    params: { reassign_after_days: 2 },
  });
  const badRule = await call('POST', '/api/v1/rules', { json: { name: 'Bad', kind: 'assignment', entity: 'leads', actions: { create_task: { subject: 'x' } } } });
  assert.equal(badRule.status, 422);
  const form = await post('/api/v1/web_forms', { name: 'Contact us' });
  const owners = [];
  for (let i = 0; i < 4; i++) {
    await pub('POST', `/api/v1/public/forms/${form.form_key}`, { name: `Web lead ${i}`, email: `web${i}@example.cn` });
    owners.push((await call('GET', `/api/v1/leads?email=web${i}@example.cn`)).body.data[0].owner_id);
  }
  assert.deepEqual(owners, [u1.id, u2.id, u1.id, u2.id]);
  // By load: u2 gets the Beijing lead because u1 holds more open leads now.
  await post('/api/v1/leads', { name: 'Extra for u1', owner_id: u1.id });
  await post('/api/v1/rules', {
    name: 'Beijing by load', kind: 'assignment', entity: 'leads', position: 5,
    conditions: { all: [{ field: 'city', op: 'eq', value: '北京' }] },
    actions: { assign: { user_ids: [u1.id, u2.id], method: 'load' } },
  });
  const bj = await post('/api/v1/leads', { name: '北京客户', city: '北京', source: 'web', owner_id: null });
  assert.equal(bj.owner_id, u2.id);
  assert.ok(bj.assigned_at);
  const mine = await post('/api/v1/leads', { name: 'Mine', source: 'web' });
  assert.equal(mine.owner_id, 1, 'a lead entered with an owner (the creator) keeps it');
  const now = await call('POST', `/api/v1/leads/${mine.id}/assign`);
  assert.equal(now.status, 200);
  assert.ok([u1.id, u2.id].includes(now.body.owner_id));
  assert.equal(now.body.rule_id, rr.id);
});

test('idle leads move on to the next person after the rule’s days', async () => {
  const first = (await call('GET', '/api/v1/leads?email=web0@example.cn')).body.data[0];
  assert.equal(first.owner_id, u1.id);
  const touched = (await call('GET', '/api/v1/leads?email=web1@example.cn')).body.data[0];
  await post('/api/v1/activities', { type: 'call', subject: '回访', lead_id: touched.id, status: 'completed' });
  // Three days later, same database: this server steps down (SIGTERM hands the
  // background work on at once) and one whose clock reads later takes over.
  const db = srv.db;
  retiredDir = srv.dir; // holds the SQLite database: removed at the end
  srv.proc.kill('SIGTERM');
  await srv.exited;
  const later = await startServer({ db, env: { KEHU_NOW: '2026-03-05T09:30:00Z' } });
  try {
    const t = await later.login();
    let moved;
    for (let i = 0; i < 60; i++) {
      moved = (await later.call('GET', `/api/v1/leads/${first.id}`, { token: t })).body;
      if (moved.owner_id !== u1.id) break;
      await new Promise((ok) => setTimeout(ok, 250));
    }
    assert.equal(moved.owner_id, u2.id, 'the untouched lead went to the other rep');
    assert.equal((await later.call('GET', `/api/v1/leads/${touched.id}`, { token: t })).body.owner_id, u2.id, 'the lead with a call stays');
  } finally {
    await later.stop();
  }
  srv = await startServer({ db, env: { KEHU_NOW: NOW } });
  token = await srv.login(); // the later server ended idle sessions by its clock
});

test('scores: rule points explained, and a learned score from converted and unqualified leads', async () => {
  const lead = await post('/api/v1/leads', { name: '高分线索', source: 'referral', title: '总经理', employees: 2000, email: 'boss@big.cn', mobile: '13700000000' });
  assert.equal(lead.rule_score, 20 + 15 + 10 + 10 + 5 + 5);
  assert.equal(lead.score, lead.rule_score);
  await post('/api/v1/activities', { type: 'call', subject: 'Call', lead_id: lead.id, status: 'completed' });
  let rescored;
  for (let i = 0; i < 40; i++) {
    rescored = (await call('GET', `/api/v1/leads/${lead.id}`)).body;
    if (rescored.rule_score !== lead.rule_score) break;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  assert.equal(rescored.rule_score, lead.rule_score + 10, 'an activity earns the engagement points (outbox consumer)');
  const ex = (await call('GET', `/api/v1/leads/${lead.id}/score`)).body;
  assert.deepEqual(ex.rules.map((r) => r.name).sort(), ['Company of 1,000+ employees', 'Company of 100+ employees', "Decision maker's title", 'Engaged: an activity logged', 'Reachable by e-mail', 'Reachable by phone', 'Referral or partner source'].sort());
  assert.equal(ex.learned, null);

  const tooEarly = await call('POST', '/api/v1/sales/lead-model/train');
  assert.equal(tooEarly.status, 409, 'not enough history yet');
  // History: referrals from big companies convert, cold calls to small ones do not (with a little noise).
  for (let i = 0; i < 16; i++) {
    const l = await post('/api/v1/leads', { name: `Hist good ${i}`, source: i % 8 === 7 ? 'cold_call' : 'referral', employees: 500 + i * 50, email: `good${i}@h.cn` });
    const c = await call('POST', `/api/v1/leads/${l.id}/convert`, { json: { opportunity: false } });
    assert.equal(c.status, 201);
  }
  for (let i = 0; i < 16; i++) {
    const l = await post('/api/v1/leads', { name: `Hist bad ${i}`, source: i % 8 === 7 ? 'referral' : 'cold_call', employees: 5 + i });
    await call('PATCH', `/api/v1/leads/${l.id}`, { json: { status: 'unqualified' } });
  }
  const tr = await call('POST', '/api/v1/sales/lead-model/train');
  assert.equal(tr.status, 200, JSON.stringify(tr.body));
  assert.equal(tr.body.trained_on, 32);
  assert.equal(tr.body.converted, 16);
  assert.ok(tr.body.auc > 0.9, `AUC ${tr.body.auc}`);
  const good = await post('/api/v1/leads', { name: 'New referral', source: 'referral', employees: 800, email: 'n@r.cn' });
  const bad = await post('/api/v1/leads', { name: 'New cold', source: 'cold_call', employees: 8 });
  assert.ok(good.learned_score > 70 && bad.learned_score < 30, `${good.learned_score} / ${bad.learned_score}`);
  assert.equal(good.score, Math.floor((Math.min(good.rule_score, 100) + good.learned_score + 1) / 2), 'the mean of both');
  const why = (await call('GET', `/api/v1/leads/${good.id}/score`)).body;
  assert.ok(why.learned.probability > 0.7);
  assert.ok(why.learned.factors.length > 0);
  assert.ok(why.learned.factors.some((f) => f.feature === 'source_referral' && f.effect > 0));
  const rep = await srv.login('isr1', 'Isr-one-password-1');
  assert.equal((await srv.call('POST', '/api/v1/sales/lead-model/train', { token: rep })).status, 403);
});
