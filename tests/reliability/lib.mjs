// Shared by the reliability tests: writers whose every acknowledged write is
// remembered, a check that reads everything back through the API, and the
// database-level checks (PRAGMA integrity_check) done with the sqlite3 tool.
//
// Each writer owns its records, so a record never has two writes in flight. A
// write carries one tag in four fields (name, title, department and a
// description whose length depends on the tag), so a record that shows two
// tags, or a description of the wrong length, was half-written.
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** The long forms (make soak) set KEHU_RELIABILITY=long. */
export const LONG = process.env.KEHU_RELIABILITY === 'long';

/** os.tmpdir() is where startServer puts its databases; ctest points TMPDIR at the build tree. */
export async function ensureTmp() {
  await mkdir(tmpdir(), { recursive: true });
  return tmpdir();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits for cond() up to a bound (not a timing assertion: the bound only stops a hang). */
export async function until(cond, what, ms = 60000) {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

function fields(tag) {
  const [w, n] = tag.split('.').map(Number);
  return {
    name: `n${tag}`,
    title: `t${tag}`,
    department: `d${tag}`,
    description: `${tag}:` + 'x'.repeat((w * 7919 + n * 104729) % 3000),
  };
}

/** The tag a record shows, or null when its fields do not all come from one write. */
export function tagOf(rec) {
  const tag = rec.name?.slice(1);
  if (!tag) return null;
  const f = fields(tag);
  return rec.title === f.title && rec.department === f.department && rec.description === f.description ? tag : null;
}

/** What the writers did, shared across server restarts. */
export function newLedger() {
  return {
    seq: 0, // numbers every write, across restarts
    records: new Map(), // id -> { id, tag, version, writer, maybe: tag of a write in flight at a crash }
    pendingCreates: new Set(), // tags of creates in flight at a crash (their id never came back)
    acked: { creates: 0, updates: 0 },
    unackedApplied: 0, // writes in flight at a crash that turned out committed
    failures: [], // answers that were neither 2xx nor a connection cut by a crash
  };
}

/**
 * Starts `count` writers against srv; each creates records and updates its own
 * (with If-Match, so a write lands only on the version it was meant for) until
 * stop() is called or its connection dies. `accept(status)` may admit expected
 * failures (a 507 on a full disk): they are counted, not treated as a bug.
 */
export function startWriters(srv, token, ledger, { count = 4, accept = () => false } = {}) {
  let stopped = false;
  const refused = { count: 0, bodies: [] };
  const loops = Array.from({ length: count }, async (_, w) => {
    const mine = () => [...ledger.records.values()].filter((r) => r.writer === w);
    while (!stopped) {
      const tag = `${w}.${++ledger.seq}`;
      const own = mine();
      const create = own.length < 3 || Math.random() < 0.3;
      const rec = create ? null : own[Math.floor(Math.random() * own.length)];
      if (create) ledger.pendingCreates.add(tag);
      else rec.maybe = tag;
      let r;
      try {
        r = create
          ? await srv.call('POST', '/api/v1/contacts', { token, json: fields(tag) })
          : await srv.call('PATCH', `/api/v1/contacts/${rec.id}`,
            { token, json: fields(tag), headers: { 'if-match': `"${rec.version}"` } });
      } catch {
        return; // the server died with this write in flight: it may or may not have landed
      }
      if (r.status === 201 || r.status === 200) {
        if (create) {
          ledger.pendingCreates.delete(tag);
          ledger.records.set(r.body.id, { id: r.body.id, tag, version: r.body.version, writer: w, maybe: null });
          ledger.acked.creates++;
        } else {
          Object.assign(rec, { tag, version: r.body.version, maybe: null });
          ledger.acked.updates++;
        }
        continue;
      }
      // Refused: nothing was written.
      if (create) ledger.pendingCreates.delete(tag);
      else rec.maybe = null;
      if (accept(r.status, r.body)) {
        refused.count++;
        if (refused.bodies.length < 3) refused.bodies.push({ status: r.status, body: r.body });
        await sleep(5);
      } else {
        ledger.failures.push({ status: r.status, body: r.body, create });
      }
    }
  });
  return {
    refused,
    async stop() { stopped = true; await Promise.all(loops); },
    done: Promise.all(loops),
  };
}

/** Every contact, through the list API, a page of 500 at a time. */
export async function allContacts(srv, token) {
  const out = [];
  let cursor = null;
  do {
    const q = `/api/v1/contacts?limit=500&sort=id${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await srv.call('GET', q, { token });
    if (r.status !== 200) throw new Error(`listing contacts: ${r.status} ${JSON.stringify(r.body)}`);
    out.push(...r.body.data);
    cursor = r.body.next_cursor;
  } while (cursor);
  return out;
}

/**
 * Reads everything back and compares it with the ledger. Returns
 * { acknowledged, found, lost: [...], halfWritten: [...], unknown: [...] }.
 * A write in flight at a crash may have landed or not; when it did, the ledger
 * adopts it, so the next round expects it.
 */
export async function verify(srv, token, ledger) {
  const seen = new Map((await allContacts(srv, token)).map((c) => [c.id, c]));
  const lost = [], halfWritten = [], unknown = [];
  let found = 0;
  for (const c of seen.values()) {
    const tag = tagOf(c);
    if (!tag) halfWritten.push(c.id);
    else if (!ledger.records.has(c.id)) {
      if (ledger.pendingCreates.delete(tag)) { // a create in flight at the crash that was committed
        ledger.records.set(c.id, { id: c.id, tag, version: c.version, writer: Number(tag.split('.')[0]), maybe: null });
        ledger.unackedApplied++;
      } else unknown.push(c.id);
    }
  }
  for (const rec of ledger.records.values()) {
    const c = seen.get(rec.id);
    const tag = c && tagOf(c);
    if (tag && tag === rec.tag && c.version === rec.version) found++;
    else if (tag && rec.maybe && tag === rec.maybe && c.version === rec.version + 1) {
      Object.assign(rec, { tag, version: c.version });
      ledger.unackedApplied++;
      found++;
    } else lost.push({ id: rec.id, expected: rec.tag, version: rec.version, got: c ? `${tag}@${c.version}` : 'missing' });
    rec.maybe = null;
  }
  ledger.pendingCreates.clear(); // not there now: they were never committed
  return { records: ledger.records.size, found, lost, halfWritten, unknown };
}

/** PRAGMA integrity_check and foreign_key_check, by the sqlite3 tool, on a database no server has open. */
export async function integrity(dbPath) {
  const { stdout } = await execFileP('sqlite3', [dbPath, 'PRAGMA integrity_check; PRAGMA foreign_key_check;']);
  return stdout.trim();
}

/** Resident memory of a process, in kB. */
export async function rssKb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}
