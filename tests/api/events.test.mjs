// Live events (Server-Sent Events) and the background worker behind them: an
// owner's browser hears when someone else changes their records; streams
// replay what was missed; the jobs queue runs the daily housekeeping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';

let srv, admin, rep, repId;
const PASSWORD = 'Events-pass-42';
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();

before(async () => {
  srv = await startServer();
  admin = await srv.login();
  repId = (await srv.call('POST', '/api/v1/users', { token: admin, json: { username: 'listener', role: 'sales_rep', password: PASSWORD } })).body.id;
  rep = await srv.login('listener', PASSWORD);
});
after(async () => { await srv.stop(); });

/** Opens an event stream; collects events; `next(type)` waits for one. */
function stream(token, lastEventId) {
  const ctrl = new AbortController();
  const events = [];
  const waiters = [];
  const headers = { authorization: `Bearer ${token}` };
  if (lastEventId) headers['last-event-id'] = String(lastEventId);
  const ready = fetch(srv.url + '/api/v1/events', { headers, signal: ctrl.signal }).then(async (res) => {
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev = {};
            for (const line of block.split('\n')) {
              const m = line.match(/^(id|event|data): (.*)$/);
              if (m) ev[m[1]] = m[2];
            }
            if (ev.event) {
              ev.data = JSON.parse(ev.data);
              events.push(ev);
              waiters.splice(0).forEach((w) => w());
            }
          }
        }
      } catch { /* aborted */ }
    })();
  });
  return {
    events, ready,
    async next(pred, ms = 8000) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`no such event within ${ms} ms: ${JSON.stringify(events)}`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, 200); });
      }
    },
    close() { ctrl.abort(); },
  };
}

test('an owner hears when someone else changes their record, and only then', async () => {
  const c = (await srv.call('POST', '/api/v1/contacts', { token: admin, json: { name: 'Watched', owner_id: repId } })).body;
  const s = stream(rep);
  await s.ready;
  await srv.call('PATCH', `/api/v1/contacts/${c.id}`, { token: admin, json: { title: 'Changed by admin' } });
  const ev = await s.next((e) => e.event === 'record_changed' && e.data.id === c.id && e.data.action === 'update');
  assert.equal(ev.data.entity, 'contacts');
  assert.equal(ev.data.by, 1);
  // The rep's own change makes no event for himself.
  await srv.call('PATCH', `/api/v1/contacts/${c.id}`, { token: rep, json: { title: 'Changed by me' } });
  await new Promise((r) => setTimeout(r, 1500));
  const updates = s.events.filter((e) => e.data.id === c.id && e.data.action === 'update');
  assert.equal(updates.length, 1, 'the rep\'s own change is not announced to him');
  assert.ok(s.events.some((e) => e.data.id === c.id && e.data.action === 'create'), 'a record assigned to him is');
  s.close();
});

test('a stream that reconnects with Last-Event-ID gets what it missed', async () => {
  const c = (await srv.call('POST', '/api/v1/contacts', { token: admin, json: { name: 'Missed', owner_id: repId } })).body;
  const s1 = stream(rep);
  await s1.ready;
  await srv.call('PATCH', `/api/v1/contacts/${c.id}`, { token: admin, json: { title: 'one' } });
  const first = await s1.next((e) => e.data.id === c.id);
  s1.close();
  await srv.call('PATCH', `/api/v1/contacts/${c.id}`, { token: admin, json: { title: 'two' } });
  await new Promise((r) => setTimeout(r, 1500)); // the worker turns the change into an event
  const s2 = stream(rep, first.id);
  await s2.ready;
  const missed = await s2.next((e) => e.data.id === c.id && Number(e.id) > Number(first.id));
  assert.equal(missed.data.action, 'update');
  s2.close();
});

test('streams need a token; many open streams do not hold up the API or the shutdown', async () => {
  assert.equal((await srv.call('GET', '/api/v1/events')).status, 401);
  const streams = Array.from({ length: 20 }, () => stream(admin));
  await Promise.all(streams.map((s) => s.ready));
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) assert.equal((await srv.call('GET', '/api/v1/contacts?limit=1', { token: admin })).status, 200);
  assert.ok(Date.now() - t0 < 10000, 'idle streams take no worker thread');
  // Left open on purpose: after() stops the server with them connected.
});

test('the background worker holds the lease and runs the daily housekeeping job', async () => {
  for (let i = 0; i < 40 && sql("SELECT count(*) FROM kh_jobs WHERE kind = 'core.prune' AND status = 'done'") !== '1'; i++) {
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(sql("SELECT count(*) FROM kh_jobs WHERE kind = 'core.prune' AND status = 'done'"), '1');
  assert.equal(sql("SELECT count(*) FROM kh_leases WHERE name = 'scheduler'"), '1');
  assert.ok(Number(sql("SELECT last_id FROM kh_consumer_offsets WHERE name = 'core.notify_owner'")) > 0);
});
