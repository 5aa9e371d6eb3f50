// A real SMTP server for tests: Debian's python3-aiosmtpd on a loopback port,
// delivering into a Maildir that the test reads back (the same server as
// tests/api/email.test.mjs starts; plain SMTP, no TLS or login here).
//
//   if (!haveSmtpd) t.skip(...);
//   const box = await startSmtpd(dir);   // { port, maildir, stop() }
//   const raw = await mails(box.maildir); // the messages delivered so far
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const SMTPD = `
import sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
c = Controller(Mailbox(sys.argv[2]), hostname='127.0.0.1', port=int(sys.argv[1]))
c.start()
print('READY', flush=True)
while True:
    time.sleep(3600)
`;

export const haveSmtpd = existsSync(PYTHON) && (() => {
  try { execFileSync(PYTHON, ['-c', 'import aiosmtpd']); return true; } catch { return false; }
})();

async function freePort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

export async function startSmtpd(dir) {
  const port = await freePort();
  const maildir = join(dir, `maildir-${port}`);
  const p = spawn(PYTHON, ['-c', SMTPD, String(port), maildir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`smtpd did not start: ${err}`)), 15000);
    p.stdout.on('data', (d) => { if (String(d).includes('READY')) { clearTimeout(t); ok(); } });
    p.on('exit', (code) => { clearTimeout(t); fail(new Error(`smtpd exited ${code}: ${err}`)); });
  });
  return { port, maildir, stop: () => p.kill() };
}

export async function mails(maildir) {
  const dir = join(maildir, 'new');
  if (!existsSync(dir)) return [];
  return Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')));
}

/** The decoded text of a MIME part of the given type (base64 parts, as Kehu writes them). */
export function part(raw, type) {
  const i = raw.indexOf(`Content-Type: ${type}`);
  if (i < 0) return null;
  const body = raw.slice(raw.indexOf('\n\n', i) + 2).split('--kehu-')[0];
  return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
}
