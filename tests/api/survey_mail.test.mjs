// Survey invitations by e-mail, through a real SMTP server (Debian's
// python3-aiosmtpd on a loopback port): invitations wait while no mail server
// is set up; then each contact with an address gets one message with the
// survey's name and its own answer link, which opens the questionnaire;
// contacts without an address or marked do-not-contact are failed with the
// reason and get nothing; sending again mails nobody twice; an event-triggered
// invitation (a resolved case) is mailed as well.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';
import { haveSmtpd, startSmtpd, mails, part } from './lib/smtpd.mjs';

let srv, token, work, box;
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const call = (m, p, json) => srv.call(m, p, { token, json });
async function ok(res, status = 200) {
  const r = await res;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}
async function waitFor(fn, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const statuses = (survey) => Object.fromEntries(sql(`SELECT contact_id || '=' || status || ':' || COALESCE(delivery_error, '') FROM survey_invitations WHERE survey_id = ${survey} ORDER BY id`)
  .split('\n').filter(Boolean).map((l) => l.split('=')));
const subjectOf = (raw) => {
  const m = raw.match(/^Subject: ((?:.*\n[ \t].*)*.*)$/m);
  return m[1].startsWith('=?') ? m[1].split(/\s+/).map((w) => w.replace(/^=\?UTF-8\?B\?(.*)\?=$/, (_, b) => Buffer.from(b, 'base64').toString('utf8'))).join('') : m[1];
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kehu-survey-mail-'));
  srv = await startServer();
  token = await srv.login();
});
after(async () => {
  box?.stop();
  await srv.stop();
  await rm(work, { recursive: true, force: true });
});

test('e-mail invitations: mailed once each with their own link; no address or do-not-contact fail with the reason', { skip: !haveSmtpd && 'python3-aiosmtpd is not installed' }, async () => {
  const survey = (await ok(call('POST', '/api/v1/surveys', { name: '售后满意度回访', kind: 'nps', intro: '感谢您的购买，请花一分钟告诉我们您的体验。' }), 201)).id;
  await ok(call('POST', '/api/v1/survey_questions', { survey_id: survey, position: 0, code: 'NPS', type: 'nps', text: '您向朋友推荐我们的可能性有多大?' }), 201);
  await ok(call('PATCH', `/api/v1/surveys/${survey}`, { status: 'active' }));
  const early = (await ok(call('POST', '/api/v1/contacts', { name: '王早', email: 'wangzao@example.cn' }), 201)).id;
  // No mail server yet: the invitation waits.
  await ok(call('POST', `/api/v1/surveys/${survey}/send`, { contact_ids: [early], channel: 'email' }), 201);
  await waitFor(() => sql("SELECT count(*) FROM kh_jobs WHERE kind = 'surveys.mail' AND status = 'done'") !== '0', 'the mail job to run');
  assert.deepEqual(statuses(survey), { [early]: 'pending:' });

  box = await startSmtpd(work);
  await ok(call('PUT', '/api/v1/sales/settings', { smtp_url: `smtp://127.0.0.1:${box.port}`, from_address: 'survey@kehu.example', public_url: 'https://crm.kehu.example/' }));
  const yes = (await ok(call('POST', '/api/v1/contacts', { name: '陈静', email: 'chenjing@example.cn' }), 201)).id;
  const dnc = (await ok(call('POST', '/api/v1/contacts', { name: '孙悦', email: 'sunyue@example.cn', do_not_contact: true }), 201)).id;
  const nomail = (await ok(call('POST', '/api/v1/contacts', { name: '周强' }), 201)).id;
  const sent = await ok(call('POST', `/api/v1/surveys/${survey}/send`, { contact_ids: [yes, dnc, nomail], channel: 'email' }), 201);
  assert.equal(sent.created, 3);
  await waitFor(() => Object.values(statuses(survey)).every((s) => !s.startsWith('pending')), 'every invitation to be dealt with');
  const st = statuses(survey);
  assert.equal(st[yes], 'sent:');
  assert.equal(st[early], 'sent:', 'the one that waited goes out with the next');
  assert.equal(st[dnc], 'failed:do_not_contact');
  assert.equal(st[nomail], 'failed:no_email');
  const got = await waitFor(async () => { const m = await mails(box.maildir); return m.length === 2 && m; }, 'two messages');
  const to = (raw) => raw.match(/^To: .*$/m)[0];
  const mine = got.find((m) => to(m).includes('chenjing@example.cn'));
  assert.ok(mine, got.map(to).join(', '));
  assert.ok(got.some((m) => to(m).includes('wangzao@example.cn')));
  assert.equal(subjectOf(mine), '售后满意度回访');
  const text = part(mine, 'text/plain');
  const key = sql(`SELECT token FROM survey_invitations WHERE survey_id = ${survey} AND contact_id = ${yes}`);
  assert.ok(text.includes(`https://crm.kehu.example/s/${key}`), text);
  assert.ok(text.includes('感谢您的购买'), text);
  assert.ok(part(mine, 'text/html').includes(`href="https://crm.kehu.example/s/${key}"`));
  // The link is the contact's own: it opens the questionnaire.
  const page = await srv.call('GET', `/api/v1/public/surveys/${key}`);
  assert.equal(page.status, 200);
  assert.equal(page.body.survey.name, '售后满意度回访');
  // Sending again invites nobody twice and mails nothing more.
  const again = await ok(call('POST', `/api/v1/surveys/${survey}/send`, { contact_ids: [yes, early], channel: 'email' }), 201);
  assert.deepEqual([again.created, again.skipped], [0, 2]);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await mails(box.maildir)).length, 2);
});

test('an invitation that an event makes (a resolved case) is mailed too', { skip: !haveSmtpd && 'python3-aiosmtpd is not installed' }, async () => {
  const survey = (await ok(call('POST', '/api/v1/surveys', { name: '服务回访', kind: 'csat', trigger: 'case_resolved' }), 201)).id;
  await ok(call('POST', '/api/v1/survey_questions', { survey_id: survey, position: 0, code: 'CSAT', type: 'scale', text: '您对这次服务满意吗?', scale_min: 1, scale_max: 5 }), 201);
  await ok(call('PATCH', `/api/v1/surveys/${survey}`, { status: 'active' }));
  const who = (await ok(call('POST', '/api/v1/contacts', { name: '李娜', email: 'lina@example.cn' }), 201)).id;
  const c = await ok(call('POST', '/api/v1/cases', { subject: '路由器无法联网', contact_id: who, status: 'in_progress' }), 201);
  const r = await call('PATCH', `/api/v1/cases/${c.id}`, { status: 'resolved', resolution: '已远程重置' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const before = (await mails(box.maildir)).length;
  await waitFor(async () => (await mails(box.maildir)).length === before + 1, 'the case survey mail');
  assert.equal(statuses(survey)[who], 'sent:');
  const raw = (await mails(box.maildir)).find((m) => /lina@example\.cn/.test(m));
  assert.equal(subjectOf(raw), '服务回访');
});
