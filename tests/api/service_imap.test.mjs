// Cases from e-mail, against a real IMAP server: Debian's dovecot, started by
// the test on a loopback port with a Maildir in a temporary directory. Kehu
// reads the mailbox with libcurl: each new message becomes a case (matched to
// the contact by address) or a reply on its case; a message is taken once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile, rm, chmod, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib/server.mjs';

const DOVECOT = '/usr/sbin/dovecot';
const skip = existsSync(DOVECOT) ? false : 'no dovecot (scripts/deps.sh installs dovecot-imapd)';
let srv, admin, dir, dovecot, port, seq = 0;
const api = (m, p, json) => srv.call(m, p, { token: admin, json });
async function ok(res, status = 200) {
  const r = await res;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

/** Delivers a message the way a mail server does: a file in the Maildir's new/. */
async function deliver(lines) {
  const box = join(dir, 'mail', 'service', 'new');
  const name = join(box, `${Date.now()}.${process.pid}_${++seq}.kehu-test`);
  await writeFile(name, lines.join('\r\n') + '\r\n');
  await chmod(name, 0o666);
}

async function poll() {
  return ok(api('POST', '/api/v1/service/mail/poll'));
}

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'kehu-imap-'));
  await chmod(dir, 0o755); // dovecot's mail processes run as its own user when we are root
  for (const d of ['run', 'state', 'home', 'mail/service/new', 'mail/service/cur', 'mail/service/tmp']) await mkdir(join(dir, d), { recursive: true });
  // Dovecot drops privileges to its own users when run as root (as CI does); otherwise it runs as us.
  const root = process.getuid() === 0;
  const me = userInfo().username;
  for (const d of ['mail', 'mail/service', 'mail/service/new', 'mail/service/cur', 'mail/service/tmp', 'home']) await chmod(join(dir, d), 0o777);
  port = await freePort();
  const conf = [
    'protocols = imap', 'listen = 127.0.0.1', `base_dir = ${dir}/run`, `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`, 'ssl = no', 'disable_plaintext_auth = no', 'auth_mechanisms = plain login',
    `mail_location = maildir:${dir}/mail/%u`, `default_internal_user = ${root ? 'dovecot' : me}`,
    `default_login_user = ${root ? 'dovenull' : me}`, 'first_valid_uid = 0',
    'passdb {', '  driver = static', '  args = password=mail-secret', '}',
    'userdb {', '  driver = static', `  args = uid=${root ? 'dovecot' : process.getuid()} gid=${root ? 'dovecot' : process.getgid()} home=${dir}/home/%u`, '}',
    'service imap-login {', '  inet_listener imap {', '    address = 127.0.0.1', `    port = ${port}`, '  }',
    '  inet_listener imaps {', '    port = 0', '  }', '}',
    'service pop3-login {', '  inet_listener pop3 {', '    port = 0', '  }', '}',
    'service submission-login {', '  inet_listener submission {', '    port = 0', '  }', '}',
  ].join('\n');
  await writeFile(join(dir, 'dovecot.conf'), conf + '\n');
  dovecot = spawn(DOVECOT, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  dovecot.stderr.on('data', (d) => { err += d; });
  for (let i = 0; ; i++) { // until it answers on its port
    const up = await new Promise((r) => {
      const s = createServer(); // a throwaway; the real check is a connect
      s.close();
      import('node:net').then(({ connect }) => {
        const c = connect(port, '127.0.0.1', () => { c.destroy(); r(true); });
        c.on('error', () => r(false));
      });
    });
    if (up) break;
    if (i > 100) throw new Error(`dovecot did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  srv = await startServer();
  admin = await srv.login();
  await ok(api('PUT', '/api/v1/service/settings', {
    imap_url: `imap://127.0.0.1:${port}/INBOX`, imap_username: 'service', imap_password: 'mail-secret',
  }));
});

after(async () => {
  if (skip) return;
  await srv?.stop();
  if (dovecot && dovecot.exitCode === null) {
    dovecot.kill('SIGTERM');
    await new Promise((r) => dovecot.on('exit', r));
  }
  await rm(dir, { recursive: true, force: true });
});

test('a new message becomes a case for the sender\'s contact; a reply goes on its case', { skip }, async () => {
  const settings = await ok(api('GET', '/api/v1/service/settings'));
  assert.equal(settings.imap_password_set, true);
  assert.equal(settings.imap_password, undefined, 'the password is never shown');
  const zhang = await ok(api('POST', '/api/v1/contacts', { name: '张三丰', email: 'Zhang.SanFeng@example.com' }), 201);
  await deliver([
    'From: =?UTF-8?B?5byg5LiJ5Liw?= <zhang.sanfeng@example.com>', 'To: service@kehu.example',
    'Subject: =?GB2312?B?tPLTobv6v6jWvQ==?=', 'Message-ID: <first-1@example.com>',
    'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '',
    Buffer.from('打印机一直卡纸，型号 LJ-2000。').toString('base64'),
  ]);
  const r1 = await poll();
  assert.deepEqual(r1, { fetched: 1, created: 1, replied: 0, skipped: 0 });
  const c = (await api('GET', '/api/v1/cases?channel=email')).body.data[0];
  assert.equal(c.subject, '打印机卡纸', 'GB2312 encoded-word decoded');
  assert.equal(c.contact_id, zhang.id);
  assert.match(c.description, /^From: 张三丰 <zhang.sanfeng@example.com>\n\n打印机一直卡纸，型号 LJ-2000。/);
  // Polling again takes nothing twice.
  assert.deepEqual(await poll(), { fetched: 0, created: 0, replied: 0, skipped: 0 });
  // The agent asks for details and waits; the customer's answer (In-Reply-To) puts the case back in progress.
  await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'in_progress' }));
  await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'waiting', note: '请提供购买日期' }));
  await deliver([
    'From: zhang.sanfeng@example.com', 'Subject: Re: 打印机卡纸', 'Message-ID: <reply-1@example.com>',
    'In-Reply-To: <first-1@example.com>', 'Content-Type: text/plain; charset=utf-8', '',
    '去年十月买的。', '', 'On Mon, 5 Jan 2026, Service wrote:', '> 请提供购买日期',
  ]);
  assert.deepEqual(await poll(), { fetched: 1, created: 0, replied: 1, skipped: 0 });
  const after = await ok(api('GET', `/api/v1/cases/${c.id}`));
  assert.equal(after.status, 'in_progress');
  const mails = (await api('GET', `/api/v1/cases/${c.id}/activities?type=email`)).body.data;
  assert.equal(mails.length, 1);
  assert.equal(mails[0].description, 'From: zhang.sanfeng@example.com\n\n去年十月买的。', 'the quoted message is cut');
  // A case number in the subject also finds the case.
  await deliver(['From: someone@else.example', `Subject: About ${c.case_number}`, 'Message-ID: <byno-1@example.com>', '', 'Any news?']);
  const r3 = await poll();
  assert.equal(r3.replied, 1);
  assert.equal((await api('GET', `/api/v1/cases/${c.id}/activities?type=email`)).body.data.length, 2);
});

test('unknown senders, GBK, HTML-only, a message without a Message-ID, and junk that is not a message', { skip }, async () => {
  await deliver([
    'From: "Li" <li@unknown.example>', 'Subject: =?GBK?B?t6LGsbK7ttQ=?=', 'Message-ID: <gbk-1@example.com>',
    'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="b1"', '',
    '--b1', 'Content-Type: text/html; charset=gbk', 'Content-Transfer-Encoding: base64', '',
    Buffer.from([0x3c, 0x70, 0x3e, 0xb7, 0xa2, 0xc6, 0xb1, 0x3c, 0x2f, 0x70, 0x3e]).toString('base64'), '--b1--',
  ]);
  await deliver(['From: noid@example.com', 'Subject: no id', '', 'hello']);
  await deliver(['this is not an e-mail at all']);
  const r = await poll();
  assert.deepEqual(r, { fetched: 3, created: 2, replied: 0, skipped: 1 });
  const cases = (await api('GET', '/api/v1/cases?channel=email&sort=-id&limit=2')).body.data;
  assert.equal(cases[1].subject, '发票不对');
  assert.equal(cases[1].contact_id, null);
  assert.match(cases[1].description, /发票/);
  assert.equal(cases[0].subject, 'no id');
  assert.deepEqual(await poll(), { fetched: 0, created: 0, replied: 0, skipped: 0 });
});

test('the background tick polls the mailbox on its own; a wrong password is a clear error', { skip }, async () => {
  await ok(api('PUT', '/api/v1/service/settings', { tick_seconds: 1, imap_interval_seconds: 1 }));
  await deliver(['From: bg@example.com', 'Subject: 后台收信', 'Message-ID: <bg-1@example.com>', '', '自动']);
  let found = [];
  for (let i = 0; i < 80 && !found.length; i++) {
    await new Promise((r) => setTimeout(r, 250));
    found = (await api('GET', '/api/v1/cases?subject=' + encodeURIComponent('后台收信'))).body.data;
  }
  assert.equal(found.length, 1, 'the tick queued a poll and the poll took the message');
  await ok(api('PUT', '/api/v1/service/settings', { tick_seconds: 30, imap_password: 'wrong' }));
  const bad = await api('POST', '/api/v1/service/mail/poll');
  assert.equal(bad.status, 409);
  assert.match(bad.body.error.message, /^the mailbox cannot be read: Login denied/);
  assert.equal((await api('PUT', '/api/v1/service/settings', { imap_url: 'http://example.com' })).status, 422);
  const moved = await readdir(join(dir, 'mail', 'service', 'cur'));
  assert.ok(moved.length >= 5, 'dovecot saw the messages (they moved from new/ to cur/)');
});
