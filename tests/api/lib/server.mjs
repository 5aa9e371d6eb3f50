// Starts a real `kehu serve` on a free loopback port, on a fresh database in a
// temporary directory, for black-box tests (API and browser alike). With
// KEHU_TEST_PG=1 the fresh database is a PostgreSQL one instead (lib/pg.mjs).
//
//   const srv = await startServer({ customers: 200 });   // demo data optional
//   const token = await srv.login();                      // admin's bearer token
//   const res = await srv.fetch('/api/v1/contacts', { token });
//   await srv.stop();                                     // SIGTERM, then cleanup
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { usePg, createDatabase, dropDatabase } from './pg.mjs';

const execFileP = promisify(execFile);

export const KEHU_BIN = resolve(process.env.KEHU_BIN ?? 'build/dev/kehu');
export const ADMIN_PASSWORD = 'test-password-1';

/** Runs a kehu subcommand; resolves to {code, stdout, stderr} (never rejects on exit status). */
export async function kehu(args, env = {}) {
  try {
    const { stdout, stderr } = await execFileP(KEHU_BIN, args, {
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

export async function startServer({ customers = 0, seed = 42, args = [], env = {}, db } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'kehu-test-'));
  const path = db ?? (usePg ? createDatabase() : join(dir, 'test.db'));
  if (!db) {
    const init = await kehu(['init', '--db', path], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD });
    if (init.code !== 0) throw new Error(`kehu init failed: ${init.stderr}`);
    if (customers) {
      const demo = await kehu(['demo', '--db', path, '--customers', String(customers), '--seed', String(seed)]);
      if (demo.code !== 0) throw new Error(`kehu demo failed: ${demo.stderr}`);
    }
  }
  const proc = spawn(KEHU_BIN, ['serve', '--db', path, '--listen', '127.0.0.1:0', '--threads', '2', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`kehu serve did not start: ${stderr}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving (http:\/\/[^/\s]+)\//);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`kehu serve exited (${code}): ${stderr}`)); });
  });
  const exited = new Promise((ok) => proc.on('exit', (code, signal) => ok({ code, signal })));

  const srv = {
    url, db: path, dir, proc, exited,
    get stderr() { return stderr; },
    /** fetch relative to the server; `token` adds the bearer header, `json` a JSON body. */
    async fetch(pathname, { token, json, headers = {}, ...init } = {}) {
      const h = { ...headers };
      if (token) h.authorization = `Bearer ${token}`;
      if (json !== undefined) {
        h['content-type'] ??= 'application/json';
        init.body = typeof json === 'string' ? json : JSON.stringify(json);
      }
      return fetch(url + pathname, { ...init, headers: h });
    },
    /** fetch and parse: resolves to {status, headers, body} with body parsed as JSON when possible. */
    async call(method, pathname, opts = {}) {
      const res = await srv.fetch(pathname, { method, ...opts });
      const text = await res.text();
      let body = text;
      try { body = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
      return { status: res.status, headers: res.headers, body };
    },
    async login(username = 'admin', password = ADMIN_PASSWORD) {
      const r = await srv.call('POST', '/api/v1/auth/login', { json: { username, password } });
      if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token;
    },
    /** SIGTERM, and a check that the server shut down cleanly: exit status 0 and no
     *  sanitizer report (leaks, memory errors) on its stderr. */
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const result = await exited;
      await rm(dir, { recursive: true, force: true });
      if (usePg && !db) dropDatabase(path);
      if (result.code !== 0 || /Sanitizer|runtime error/.test(stderr)) {
        throw new Error(`kehu serve did not stop cleanly (${JSON.stringify(result)}):\n${stderr}`);
      }
      return result;
    },
  };
  return srv;
}
