// Surveys through HTTP: a questionnaire built from questions, sent to contacts,
// answered through the public answer page (once per invitation: the second is
// refused), scored (response rate, NPS, CSAT), and the ECSI model estimated by
// PLS from the answers: the 250 respondents of the ECSI mobile-phone data,
// answered one by one through the public page, reproduce the path
// coefficients SmartPLS published for each inner scheme. Also invitations
// that an event triggers, and who may do what.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';

let srv, token, survey, questions;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const pub = (m, key, json) => srv.call(m, `/api/v1/public/surveys/${key}`, json === undefined ? {} : { json });

const DATA = process.env.KEHU_SHARED_DATA ?? '../shared/data';
const MOBI = join(DATA, 'ecsi_mobi.csv');
const hasData = existsSync(MOBI);
const mobi = hasData
  ? (() => {
      const [head, ...rows] = readFileSync(MOBI, 'utf8').trim().split(/\r?\n/);
      const names = head.split(',').map((s) => s.replace(/"/g, ''));
      return { names, rows: rows.map((r) => r.split(',').map(Number)) };
    })()
  : null;

// SmartPLS 2.0's published ECSI path coefficients for the mobi data (the
// references of tests/unit/test_pls.c), in the model's path order.
const SMARTPLS = {
  centroid: [0.50470564, 0.17883348, 0.19535971, 0.55724786, 0.05078755, 0.06442534, 0.55721686, 0.51254524, 0.19181566, 0.52609731, 0.48347472, 0.07123241],
  factorial: [0.50494314, 0.17859267, 0.19581962, 0.55675903, 0.05017810, 0.06494365, 0.55776245, 0.51297470, 0.19144526, 0.52585655, 0.48305917, 0.07031057],
  path: [0.50491393, 0.17873950, 0.19575534, 0.55674896, 0.04998839, 0.06252287, 0.55830438, 0.51202394, 0.19476510, 0.52806625, 0.48547762, 0.06692607],
};
const PATHS = [['Image', 'Expectation'], ['Image', 'Satisfaction'], ['Image', 'Loyalty'], ['Expectation', 'Quality'],
  ['Expectation', 'Value'], ['Expectation', 'Satisfaction'], ['Quality', 'Value'], ['Quality', 'Satisfaction'],
  ['Value', 'Satisfaction'], ['Satisfaction', 'Complaints'], ['Satisfaction', 'Loyalty'], ['Complaints', 'Loyalty']];

before(async () => {
  srv = await startServer({ customers: 300 });
  token = await srv.login();
});
after(async () => { await srv.stop(); });

test('a survey is built from questions and cannot go live without them', async () => {
  const bad = await call('POST', '/api/v1/surveys', { json: { name: 'Empty', kind: 'ecsi', status: 'active' } });
  assert.equal(bad.status, 422);
  assert.ok(bad.body.error.fields.status);
  const s = await call('POST', '/api/v1/surveys', {
    json: { name: '移动服务满意度调查 (ECSI)', kind: 'ecsi', scale_min: 1, scale_max: 10, intro: '感谢您抽出时间', thanks: '谢谢!' },
  });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  survey = s.body.id;
  const items = mobi ? mobi.names : ['IMAG1', 'IMAG2', 'CUEX1', 'CUSA1', 'CUSL1'];
  let pos = 0;
  for (const code of items) {
    const q = await call('POST', '/api/v1/survey_questions', {
      json: { survey_id: survey, position: pos++, code, type: 'scale', text: `题目 ${code}`, text_en: `Item ${code}`, scale_min: 1, scale_max: 10 },
    });
    assert.equal(q.status, 201, JSON.stringify(q.body));
  }
  const nps = await call('POST', '/api/v1/survey_questions', {
    json: { survey_id: survey, position: pos++, code: 'NPS', type: 'nps', text: '您向朋友推荐我们的可能性有多大?', required: false },
  });
  assert.equal(nps.status, 201);
  assert.equal(nps.body.scale_min, 0);
  assert.equal(nps.body.scale_max, 10);
  const ch = await call('POST', '/api/v1/survey_questions', {
    json: { survey_id: survey, position: pos++, code: 'CHANNEL', type: 'single', text: '您通常如何联系我们?', options: ['电话', '网站', '门店'], required: false },
  });
  assert.equal(ch.status, 201, JSON.stringify(ch.body));
  // Rules of questions: codes unique and usable as item names, choices need options.
  for (const [json, field] of [
    [{ survey_id: survey, code: 'NPS', type: 'scale', text: 'dup' }, 'code'],
    [{ survey_id: survey, code: '9LIVES', type: 'scale', text: 'digit' }, 'code'],
    [{ survey_id: survey, code: 'PICK', type: 'single', text: 'no options' }, 'options'],
    [{ survey_id: survey, code: 'WIDE', type: 'scale', text: 'too wide', scale_min: 0, scale_max: 50 }, 'scale_max'],
  ]) {
    const r = await call('POST', '/api/v1/survey_questions', { json });
    assert.equal(r.status, 422, JSON.stringify(json));
    assert.ok(r.body.error.fields[field], `${JSON.stringify(json)} names ${field}`);
  }
  questions = items;
  const on = await call('PATCH', `/api/v1/surveys/${survey}`, { json: { status: 'active' } });
  assert.equal(on.status, 200, JSON.stringify(on.body));
});

let invitations;
test('sending invites each contact once and gives each a link', async () => {
  const ids = sql('SELECT id FROM contacts ORDER BY id LIMIT 260').split('\n').map(Number);
  const r = await call('POST', `/api/v1/surveys/${survey}/send`, { json: { contact_ids: ids.slice(0, 250), channel: 'link' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.created, 250);
  assert.equal(r.body.invitations.length, 200);
  const again = await call('POST', `/api/v1/surveys/${survey}/send`, { json: { contact_ids: ids.slice(240, 255) } });
  assert.equal(again.body.created, 5);
  assert.equal(again.body.skipped, 10);
  invitations = sql(`SELECT token FROM survey_invitations WHERE survey_id = ${survey} ORDER BY id`).split('\n');
  assert.equal(invitations.length, 255);
  assert.ok(invitations.every((t) => /^[A-Za-z0-9_-]{22}$/.test(t)));
  for (const [json, field] of [[{ segment: 'rfm:Heroes', contact_ids: [1] }, 'segment'], [{ contact_ids: [1], channel: 'pigeon' }, 'channel'], [{ nope: 1, segment: 'all' }, 'nope']]) {
    const b = await call('POST', `/api/v1/surveys/${survey}/send`, { json });
    assert.equal(b.status, 422, JSON.stringify(json));
    assert.ok(b.body.error.fields[field]);
  }
  assert.equal((await call('POST', '/api/v1/surveys/999999/send', { json: { segment: 'all' } })).status, 404);
});

test('the public page: questionnaire without a token, checked answers, one answer per invitation', async () => {
  const key = invitations[0];
  const page = await pub('GET', key);
  assert.equal(page.status, 200, JSON.stringify(page.body));
  assert.equal(page.body.answered, false);
  assert.equal(page.body.survey.name, '移动服务满意度调查 (ECSI)');
  assert.equal(page.body.questions.length, questions.length + 2);
  assert.equal(sql(`SELECT status FROM survey_invitations WHERE token = '${key}'`), 'opened');
  // Wrong answers are refused, each at its question, and nothing is stored.
  const wrong = await pub('POST', key, { answers: { [questions[0]]: 11, CHANNEL: '信鸽', BOGUS: 3 } });
  assert.equal(wrong.status, 422);
  assert.ok(wrong.body.error.fields[`answers.${questions[0]}`]);
  assert.ok(wrong.body.error.fields[`answers.${questions[1]}`].includes('required'));
  assert.ok(wrong.body.error.fields['answers.CHANNEL']);
  assert.ok(wrong.body.error.fields['answers.BOGUS']);
  assert.equal(sql('SELECT count(*) FROM survey_responses'), '0');
  assert.equal((await pub('GET', 'no-such-token-at-all')).status, 404);
  assert.equal((await pub('GET', '..%2F..')).status, 404);
});

test('250 respondents answer through the public page; a second answer is refused', async (t) => {
  if (!hasData) { t.skip('skipped: no reference data'); return; }
  for (let i = 0; i < mobi.rows.length; i++) {
    const answers = Object.fromEntries(mobi.names.map((n, j) => [n, mobi.rows[i][j]]));
    answers.NPS = i % 11;
    if (i % 3 === 0) answers.CHANNEL = ['电话', '网站', '门店'][i % 3 === 0 ? (i / 3) % 3 : 0];
    const r = await pub('POST', invitations[i], { answers, comment: i % 50 === 0 ? `意见 ${i}` : undefined });
    assert.equal(r.status, 201, `respondent ${i}: ${JSON.stringify(r.body)}`);
  }
  const twice = await pub('POST', invitations[0], { answers: Object.fromEntries(mobi.names.map((n) => [n, 5])) });
  assert.equal(twice.status, 409);
  assert.equal(twice.body.error.code, 'conflict');
  const seen = await pub('GET', invitations[0]);
  assert.equal(seen.body.answered, true);
  assert.equal(seen.body.questions, undefined);
  assert.equal(sql(`SELECT count(*) FROM survey_responses WHERE survey_id = ${survey}`), '250');
  // Answers can only come through the page.
  assert.equal((await call('POST', '/api/v1/survey_responses', { json: { survey_id: survey } })).status, 405);
});

test('results: response rate, each question\'s distribution and CSAT, NPS overall and by month', async (t) => {
  if (!hasData) { t.skip('skipped: no reference data'); return; }
  const r = await call('GET', `/api/v1/surveys/${survey}/results`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.responses, 250);
  assert.equal(r.body.invited, 255);
  assert.ok(Math.abs(r.body.response_rate - 250 / 255) < 1e-12);
  const q0 = r.body.questions.find((q) => q.code === mobi.names[0]);
  const col = mobi.rows.map((row) => row[0]);
  assert.equal(q0.n, 250);
  assert.ok(Math.abs(q0.mean - col.reduce((s, x) => s + x, 0) / 250) < 1e-9);
  assert.equal(Object.values(q0.distribution).reduce((s, x) => s + x, 0), 250);
  assert.ok(Math.abs(q0.csat - (100 * col.filter((x) => x >= 9).length) / 250) < 1e-9);
  // NPS: answers 0..10 in turn; 9-10 promoters, 0-6 detractors.
  const nps = mobi.rows.map((_, i) => i % 11);
  const want = (100 * (nps.filter((x) => x >= 9).length - nps.filter((x) => x <= 6).length)) / 250;
  const nq = r.body.questions.find((q) => q.code === 'NPS');
  assert.ok(Math.abs(nq.nps.score - want) < 1e-9);
  assert.equal(r.body.by_month.reduce((s, m) => s + m.responses, 0), 250);
  assert.equal(r.body.by_segment.reduce((s, m) => s + m.responses, 0), 250);
  const ch = r.body.questions.find((q) => q.code === 'CHANNEL');
  assert.equal(Object.values(ch.counts).reduce((s, x) => s + x, 0), ch.n);
  assert.equal(r.body.comments.length, 5);
});

test('the ECSI model estimated from the answers matches SmartPLS for every inner scheme', async (t) => {
  if (!hasData) { t.skip('skipped: no reference data'); return; }
  for (const scheme of ['centroid', 'factorial', 'path']) {
    const r = await call('GET', `/api/v1/analytics/satisfaction?survey=${survey}&scheme=${scheme}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.respondents, 250);
    assert.equal(r.body.model, 'ecsi');
    assert.deepEqual(r.body.paths.map((p) => [p.from, p.to]), PATHS);
    r.body.paths.forEach((p, i) => assert.ok(Math.abs(p.coef - SMARTPLS[scheme][i]) < 1e-6, `${scheme} ${p.from}->${p.to}: ${p.coef} vs ${SMARTPLS[scheme][i]}`));
    const sat = r.body.latent.find((l) => l.name === 'Satisfaction');
    assert.ok(sat.index > 0 && sat.index < 100 && sat.index === r.body.satisfaction_index);
  }
  const b = await call('GET', `/api/v1/analytics/satisfaction?survey=${survey}&bootstrap=100`);
  assert.equal(b.body.bootstrap, 100);
  assert.ok(b.body.paths.every((p) => p.se > 0 && p.se < 0.2));
  for (const [q, field] of [['scheme=best', 'scheme'], ['bootstrap=99999', 'bootstrap'], ['nope=1', 'nope']]) {
    const x = await call('GET', `/api/v1/analytics/satisfaction?survey=${survey}&${q}`);
    assert.equal(x.status, 400);
    assert.ok(x.body.error.fields[field]);
  }
  assert.equal((await call('GET', '/api/v1/analytics/satisfaction')).status, 400);
});

test('loyalty: attitude from the NPS answers against repeat purchases', async (t) => {
  if (!hasData) { t.skip('skipped: no reference data'); return; }
  const r = await call('GET', `/api/v1/analytics/loyalty?survey=${survey}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.customers, 250);
  assert.deepEqual(r.body.segments.map((s) => s.segment), ['true', 'latent', 'spurious', 'none']);
  assert.equal(r.body.segments.reduce((s, x) => s + x.customers, 0), 250);
  const promoters = mobi.rows.filter((_, i) => i % 11 >= 9).length;
  const high = r.body.segments.filter((s) => s.segment === 'true' || s.segment === 'latent').reduce((s, x) => s + x.customers, 0);
  assert.equal(high, promoters);
  assert.ok(r.body.nps_trend.length >= 1);
});

test('an event invites: resolving a case sends the survey that waits for it', async () => {
  const s = await call('POST', '/api/v1/surveys', { json: { name: 'After service', kind: 'csat', trigger: 'case_resolved' } });
  await call('POST', '/api/v1/survey_questions', { json: { survey_id: s.body.id, code: 'CSAT', type: 'scale', text: '服务满意度', scale_min: 1, scale_max: 5 } });
  assert.equal((await call('PATCH', `/api/v1/surveys/${s.body.id}`, { json: { status: 'active' } })).status, 200);
  const contact = Number(sql('SELECT id FROM contacts ORDER BY id DESC LIMIT 1'));
  const made = await call('POST', '/api/v1/cases', { json: { subject: '无法登录', contact_id: contact, status: 'in_progress' } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const c = made.body.id;
  const patched = await call('PATCH', `/api/v1/cases/${c}`, { json: { status: 'resolved', resolution: '已重置密码' } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  let inv = [];
  for (let i = 0; i < 100 && !inv.length; i++) {
    inv = (await call('GET', `/api/v1/survey_invitations?survey_id=${s.body.id}`)).body.data;
    if (!inv.length) await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.equal(inv.length, 1);
  assert.equal(inv[0].trigger_entity, 'cases');
  assert.equal(inv[0].trigger_id, c);
  assert.equal(inv[0].contact_id, Number(sql(`SELECT contact_id FROM cases WHERE id = ${c}`)));
});

test('who may: reps read surveys but may not build or send them; marketing may', async () => {
  const mk = async (username, role) => {
    const r = await call('POST', '/api/v1/users', { json: { username, role, password: 'Xq7-tulip-harbor-42' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return srv.login(username, 'Xq7-tulip-harbor-42');
  };
  const rep = await mk('svy_rep', 'sales_rep');
  assert.equal((await srv.call('GET', `/api/v1/surveys/${survey}`, { token: rep })).status, 200);
  assert.equal((await srv.call('POST', '/api/v1/surveys', { token: rep, json: { name: 'x' } })).status, 403);
  assert.equal((await srv.call('POST', `/api/v1/surveys/${survey}/send`, { token: rep, json: { segment: 'all' } })).status, 403);
  const mkt = await mk('svy_mkt', 'marketing');
  const s = await srv.call('POST', '/api/v1/surveys', { token: mkt, json: { name: 'Marketing NPS', kind: 'nps' } });
  assert.equal(s.status, 201, JSON.stringify(s.body));
});
