// E-mail campaigns end to end: a real SMTP server from Debian's packages
// (python3-aiosmtpd, delivering into a Maildir that the test reads back) on a
// loopback port, started and stopped by the test; personalised templates,
// consent (members without it are skipped and counted), throttling, the
// unsubscribe link, open and click tracking, and STARTTLS with credentials.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib/server.mjs';

const PYTHON = '/usr/bin/python3'; // Debian's, where python3-aiosmtpd is installed
const SMTPD = `
import sys, ssl, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword
port, maildir, cert, key, user, password = int(sys.argv[1]), sys.argv[2], *(sys.argv[3:7] + [''] * 4)[:4]
def auth(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
    return AuthResult(success=ok, handled=False)
kw = {}
if cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    kw.update(tls_context=ctx, require_starttls=True)
if user:
    kw.update(authenticator=auth, auth_required=True, auth_require_tls=bool(cert))
c = Controller(Mailbox(maildir), hostname='127.0.0.1', port=port, **kw)
c.start()
print('READY', flush=True)
while True:
    time.sleep(3600)
`;

const have = existsSync(PYTHON) && (() => {
  try { execFileSync(PYTHON, ['-c', 'import aiosmtpd']); return true; } catch { return false; }
})();

let srv, token, work;
const smtpds = [];
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const post = async (p, json) => {
  const r = await call('POST', p, { json });
  assert.ok(r.status >= 200 && r.status < 300, `${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
async function freePort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}
async function smtpd(name, extra = []) {
  const port = await freePort();
  const maildir = join(work, name);
  const p = spawn(PYTHON, ['-c', SMTPD, String(port), maildir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  smtpds.push(p);
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`smtpd did not start: ${err}`)), 15000);
    p.stdout.on('data', (d) => { if (String(d).includes('READY')) { clearTimeout(t); ok(); } });
    p.on('exit', (code) => { clearTimeout(t); fail(new Error(`smtpd exited ${code}: ${err}`)); });
  });
  return { port, maildir };
}
async function mails(maildir) {
  const dir = join(maildir, 'new');
  if (!existsSync(dir)) return [];
  return Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')));
}
async function waitFor(fn, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}
/** The decoded text of a MIME part of the given type. */
function part(raw, type) {
  const i = raw.indexOf(`Content-Type: ${type}`);
  assert.ok(i >= 0, `a ${type} part`);
  const body = raw.slice(raw.indexOf('\n\n', i) + 2).split('--kehu-')[0];
  return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
}
function subject(raw) {
  const m = raw.match(/^Subject: ((?:.*\n[ \t].*)*.*)$/m);
  if (!m[1].startsWith('=?')) return m[1];
  // Encoded words next to each other join without the folding whitespace (RFC 2047).
  return m[1].split(/\s+/).map((w) => w.replace(/^=\?UTF-8\?B\?(.*)\?=$/, (_, b) => Buffer.from(b, 'base64').toString('utf8'))).join('');
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kehu-mail-'));
  srv = await startServer();
  token = await srv.login();
});
after(async () => {
  for (const p of smtpds) p.kill();
  await srv.stop();
  await rm(work, { recursive: true, force: true });
});

test('settings are checked and keep their secret', { skip: !have && 'python3-aiosmtpd is not installed' }, async () => {
  const bad = await call('PUT', '/api/v1/sales/settings', { json: { smtp_url: 'http://mail.example', smtp_tls: 'maybe', colour: 'red' } });
  assert.equal(bad.status, 422);
  assert.deepEqual(Object.keys(bad.body.error.fields).sort(), ['colour', 'smtp_tls', 'smtp_url']);
  const ok = await call('PUT', '/api/v1/sales/settings', { json: { smtp_url: 'smtp://127.0.0.1:1', smtp_password: 'hunter2', from_address: 'news@kehu.example' } });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.smtp_password, '********');
  const again = await call('PUT', '/api/v1/sales/settings', { json: { smtp_url: 'smtp://127.0.0.1:2', from_address: 'news@kehu.example' } });
  assert.equal(again.body.smtp_password, '********', 'a secret left out keeps its value');
  await post('/api/v1/users', { username: 'mkt2', role: 'marketing', password: 'Ochre-Sand-6624' });
  const m = await srv.login('mkt2', 'Ochre-Sand-6624');
  assert.equal((await srv.call('GET', '/api/v1/sales/settings', { token: m })).status, 403);
});

test('a campaign mail goes out through SMTP, personalised, to those who consented; links unsubscribe and track', { skip: !have && 'python3-aiosmtpd is not installed' }, async () => {
  const box = await smtpd('plain');
  const c = await post('/api/v1/campaigns', { name: '春季新品', type: 'email' });
  const tpl = await post('/api/v1/templates', {
    name: '新品通知', kind: 'email', subject: '{{name}}，春季新品到了',
    body: '<p>{{name}} 您好：</p><p><a href="https://kehu.example/spring?a=1&amp;b=2">看看新品</a></p><p><a href="{{unsubscribe_url}}">退订</a></p>',
  });
  const early = await call('POST', `/api/v1/campaigns/${c.id}/send`, { json: { template_id: tpl.id } });
  assert.equal(early.status, 409, 'not before the server is set up (or with nobody to send to)');
  const yes = await post('/api/v1/contacts', { name: '陈静', email: 'chenjing@example.cn' });
  const no = await post('/api/v1/contacts', { name: '刘洋', email: 'liuyang@example.cn' });
  const dnc = await post('/api/v1/contacts', { name: '孙悦', email: 'sunyue@example.cn', do_not_contact: true });
  const nomail = await post('/api/v1/contacts', { name: '周强' });
  for (const k of [yes, dnc, nomail]) await post('/api/v1/consents', { contact_id: k.id, channel: 'email', status: 'granted' });
  await post(`/api/v1/campaigns/${c.id}/members`, { entity: 'contacts', ids: [yes.id, no.id, dnc.id, nomail.id] });
  await call('PUT', '/api/v1/sales/settings', { json: { smtp_url: `smtp://127.0.0.1:${box.port}`, smtp_tls: 'none', from_address: 'news@kehu.example', from_name: '客户成功部', public_url: srv.url, send_rate_per_minute: 100, smtp_password: null } });
  assert.equal((await call('POST', `/api/v1/campaigns/${c.id}/send`, { json: { template_id: 999999 } })).status, 422);
  const go = await call('POST', `/api/v1/campaigns/${c.id}/send`, { json: { template_id: tpl.id } });
  assert.equal(go.status, 202);
  assert.equal(go.body.queued, 4);
  const [raw] = await waitFor(async () => { const m = await mails(box.maildir); return m.length ? m : null; }, 'the mail');
  const members = async () => Object.fromEntries((await call('GET', `/api/v1/campaigns/${c.id}/campaign_members?limit=10`)).body.data.map((m) => [m.contact_id, m]));
  const ms = await waitFor(async () => { const x = await members(); return Object.values(x).every((m) => m.status !== 'planned' && m.status !== 'sending') ? x : null; }, 'every member handled');
  assert.equal(ms[yes.id].status, 'sent');
  assert.ok(ms[yes.id].sent_at);
  assert.deepEqual([ms[no.id].status, ms[no.id].skip_reason], ['skipped', 'no_consent']);
  assert.deepEqual([ms[dnc.id].status, ms[dnc.id].skip_reason], ['skipped', 'do_not_contact']);
  assert.deepEqual([ms[nomail.id].status, ms[nomail.id].skip_reason], ['skipped', 'no_email']);
  assert.equal((await mails(box.maildir)).length, 1, 'one message, to the one who consented');

  assert.match(raw, /^X-RcptTo: chenjing@example\.cn$/m);
  assert.match(raw, /^From: =\?UTF-8\?B\?.*\?= <news@kehu\.example>$/m);
  assert.equal(subject(raw), '陈静，春季新品到了');
  const unsub = raw.match(/^List-Unsubscribe: <([^>]+)>$/m)[1];
  const html = part(raw, 'text/html');
  const text = part(raw, 'text/plain');
  assert.ok(html.includes('陈静 您好') && text.includes('陈静 您好'));
  assert.ok(html.includes(`href="${unsub}"`), 'the template’s {{unsubscribe_url}}');
  const click = html.match(/href="([^"]+\/click\?[^"]+)"/)[1].replace(/&amp;/g, '&');
  const pixel = html.match(/<img src="([^"]+open\.gif)"/)[1];
  assert.ok(click.startsWith(srv.url) && pixel.startsWith(srv.url));

  const open = await fetch(pixel);
  assert.equal(open.status, 200);
  assert.equal(open.headers.get('content-type'), 'image/gif');
  assert.equal((await members())[yes.id].status, 'opened');
  const go2 = await fetch(click, { redirect: 'manual' });
  assert.equal(go2.status, 302);
  assert.equal(go2.headers.get('location'), 'https://kehu.example/spring?a=1&b=2');
  const m2 = (await members())[yes.id];
  assert.equal(m2.status, 'clicked');
  assert.ok(m2.opened_at && m2.clicked_at);
  const forged = click.replace(/u=[^&]+/, `u=${encodeURIComponent('https://evil.example/')}`);
  assert.equal((await fetch(forged, { redirect: 'manual' })).status, 400, 'no open redirect');
  assert.equal((await fetch(pixel.replace(/email\/[0-9a-f]+\//, 'email/00000000000000000000000000000000/'))).status, 200, 'an unknown pixel says nothing');

  const u = await fetch(unsub);
  assert.equal(u.status, 200);
  assert.match(await u.text(), /退订/);
  assert.equal((await members())[yes.id].status, 'unsubscribed');
  const consents = (await call('GET', `/api/v1/consents?contact_id=${yes.id}&channel=email&sort=-id`)).body.data;
  assert.equal(consents[0].status, 'withdrawn');
  assert.equal(consents[0].source, 'unsubscribe link');

  const r = (await call('GET', `/api/v1/campaigns/${c.id}/results`)).body;
  assert.equal(r.members.skipped_no_consent, 1);
  assert.equal(r.members.opened, 1);
  assert.equal(r.members.clicked, 1);
  assert.equal(r.open_rate, 1);

  // Unsubscribed means no more mail: the next campaign skips them.
  const c2 = await post('/api/v1/campaigns', { name: '夏季新品' });
  await post(`/api/v1/campaigns/${c2.id}/members`, { entity: 'contacts', ids: [yes.id] });
  await call('POST', `/api/v1/campaigns/${c2.id}/send`, { json: { template_id: tpl.id } });
  const after2 = await waitFor(async () => { const m = (await call('GET', `/api/v1/campaigns/${c2.id}/campaign_members`)).body.data[0]; return m.status !== 'planned' ? m : null; }, 'the second campaign');
  assert.deepEqual([after2.status, after2.skip_reason], ['skipped', 'no_consent']);
  assert.equal((await mails(box.maildir)).length, 1);
});

test('sending is throttled: no more per minute than the settings say', { skip: !have && 'python3-aiosmtpd is not installed' }, async () => {
  const box = await smtpd('throttle');
  await call('PUT', '/api/v1/sales/settings', { json: { smtp_url: `smtp://127.0.0.1:${box.port}`, from_address: 'news@kehu.example', public_url: srv.url, send_rate_per_minute: 2 } });
  const c = await post('/api/v1/campaigns', { name: 'Throttled' });
  const tpl = await post('/api/v1/templates', { name: 'Plain', subject: 'Hello {{name}}', body: '<p>Hi {{name}}</p>' });
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const k = await post('/api/v1/contacts', { name: `Reader ${i}`, email: `reader${i}@example.cn` });
    await post('/api/v1/consents', { contact_id: k.id, channel: 'email', status: 'granted' });
    ids.push(k.id);
  }
  await post(`/api/v1/campaigns/${c.id}/members`, { entity: 'contacts', ids });
  await post(`/api/v1/campaigns/${c.id}/send`, { template_id: tpl.id });
  await waitFor(async () => (await mails(box.maildir)).length === 2, 'the first two');
  await new Promise((ok) => setTimeout(ok, 2500));
  assert.equal((await mails(box.maildir)).length, 2, 'the third waits for the next minute');
  const st = (await call('GET', `/api/v1/campaigns/${c.id}/results`)).body.members.by_status;
  assert.deepEqual([st.sent, st.planned], [2, 1]);
  assert.equal((await call('POST', `/api/v1/campaigns/${c.id}/send`, { json: { template_id: tpl.id } })).status, 409, 'one sending at a time');
});

test('STARTTLS with a user name and password; a wrong password fails the message, visibly', { skip: !have && 'python3-aiosmtpd is not installed' }, async () => {
  const key = join(work, 'key.pem'), cert = join(work, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-days', '1'], { stdio: 'ignore' });
  const box = await smtpd('tls', [cert, key, 'kehu', 'mail-secret']);
  const tpl = await post('/api/v1/templates', { name: 'TLS', subject: 'Secure {{name}}', body: '<p>Hi</p>' });
  const k = await post('/api/v1/contacts', { name: 'TLS reader', email: 'tls@example.cn' });
  await post('/api/v1/consents', { contact_id: k.id, channel: 'email', status: 'granted' });
  const send = async (password) => {
    await call('PUT', '/api/v1/sales/settings', { json: { smtp_url: `smtp://127.0.0.1:${box.port}`, smtp_tls: 'starttls', smtp_insecure: true, smtp_username: 'kehu', smtp_password: password, from_address: 'news@kehu.example', public_url: srv.url, send_rate_per_minute: 100 } });
    const c = await post('/api/v1/campaigns', { name: `TLS ${password}` });
    await post(`/api/v1/campaigns/${c.id}/members`, { entity: 'contacts', ids: [k.id] });
    await post(`/api/v1/campaigns/${c.id}/send`, { template_id: tpl.id });
    return waitFor(async () => { const m = (await call('GET', `/api/v1/campaigns/${c.id}/campaign_members`)).body.data[0]; return m.status !== 'planned' && m.status !== 'sending' ? m : null; }, 'the TLS member');
  };
  const bad = await send('wrong');
  assert.equal(bad.status, 'failed');
  assert.match(bad.error, /Login denied|535/);
  const good = await send('mail-secret');
  assert.equal(good.status, 'sent', good.error);
  const [raw] = await mails(box.maildir);
  assert.match(raw, /^X-RcptTo: tls@example\.cn$/m);
  assert.equal(subject(raw), 'Secure TLS reader');
});
