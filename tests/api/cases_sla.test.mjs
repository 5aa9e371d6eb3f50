// SLA clocks through HTTP on a fake clock that the test moves (the server runs
// with KEHU_TEST_CLOCK=1): targets in business hours of a calendar with China's
// 2025 National Day holidays and adjusted working days as data, across nights
// and weekends; the resolution clock pauses while waiting on the customer;
// warnings before breach, breaches escalated to the team manager with a task,
// both by the background tick and on demand; the breach report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';

let srv, admin, team, agent, manager, policy;
const PASSWORD = 'Sla-pass-42';
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const api = (m, p, json) => srv.call(m, p, { token: admin, json });
async function ok(res, status = 200) {
  const r = await res;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}
/** China time -> the API's UTC form. */
const cn = (local) => new Date(`${local}+08:00`).toISOString();

/** Moves the server's clock, and logs in again (sessions age with it). */
async function at(local) {
  const r = await api('PUT', '/api/v1/service/test-clock', { now: `${local}+08:00` });
  if (r.status === 401) {
    admin = await srv.login();
    return at(local);
  }
  assert.equal(r.status, 200, JSON.stringify(r.body));
  admin = await srv.login();
}

before(async () => {
  srv = await startServer({ env: { KEHU_TEST_CLOCK: '1', KEHU_NOW: '2025-09-22T09:00:00+08:00' } });
  admin = await srv.login();
  const cal = await ok(api('POST', '/api/v1/service_calendars', { name: '中国工作日', hours: 'mon-fri 09:00-12:00 13:30-18:00', utc_offset_minutes: 480 }), 201);
  const days = [['2025-09-28', 'workday', '国庆调休'], ['2025-10-11', 'workday', '国庆调休']];
  for (let d = 1; d <= 8; d++) days.push([`2025-10-0${d}`, 'holiday', '国庆节、中秋节']);
  for (const [date, kind, name] of days) await ok(api('POST', '/api/v1/calendar_days', { calendar_id: cal.id, date, kind, name }), 201);
  const dup = await api('POST', '/api/v1/calendar_days', { calendar_id: cal.id, date: '2025-10-01', kind: 'workday' });
  assert.equal(dup.status, 422, 'a date is either off or worked');
  assert.equal((await api('POST', '/api/v1/service_calendars', { name: 'bad', hours: 'mon-fri 18:00-09:00' })).status, 422);
  policy = await ok(api('POST', '/api/v1/sla_policies', {
    name: '高优先级', priority: 'high', first_response_minutes: 60, resolution_minutes: 240, warn_before_minutes: 30, calendar_id: cal.id,
  }), 201);
  // A tier-A policy is more specific and wins for A customers.
  await ok(api('POST', '/api/v1/sla_policies', { name: 'VIP', tier: 'A', first_response_minutes: 15, resolution_minutes: 60, calendar_id: cal.id }), 201);
  const m = await ok(api('POST', '/api/v1/users', { username: 'lead', role: 'sales_manager', password: PASSWORD, locale: 'en' }), 201);
  team = await ok(api('POST', '/api/v1/teams', { name: '售后一组', manager_id: m.id }), 201);
  const a = await ok(api('POST', '/api/v1/users', { username: 'agent', role: 'service_agent', password: PASSWORD, team_id: team.id }), 201);
  await ok(api('PATCH', `/api/v1/users/${m.id}`, { team_id: team.id }));
  manager = m.id;
  agent = a.id;
  // The clock passes 18:00 UTC, when the analytics module's nightly refresh runs over the
  // orders; give it one customer (with none, its loader passes NULL to memcpy: reported).
  const buyer = await ok(api('POST', '/api/v1/accounts', { name: 'Buyer' }), 201);
  const product = await ok(api('POST', '/api/v1/products', { name: 'Router', sku: 'R-1', unit_price: 19900 }), 201);
  const person = await ok(api('POST', '/api/v1/contacts', { name: 'Buyer', account_id: buyer.id }), 201);
  const order = await ok(api('POST', '/api/v1/orders', { account_id: buyer.id, contact_id: person.id, order_date: '2025-09-01', status: 'completed' }), 201);
  await ok(api('POST', '/api/v1/order_lines', { order_id: order.id, product_id: product.id, quantity: 1 }), 201);
});
after(async () => { await srv.stop(); });

test('targets count business hours only: nights, the weekend, and an adjusted working Sunday', async () => {
  await at('2025-09-26T17:00:00'); // Friday 17:00
  const c = await ok(api('POST', '/api/v1/cases', { subject: '系统无法登录', priority: 'high' }), 201);
  assert.equal(c.first_response_due_at, cn('2025-09-26T18:00:00.000'));
  // 1 h on Friday, Saturday off, then 3 h on Sunday 28 September, an adjusted working day.
  assert.equal(c.resolution_due_at, cn('2025-09-28T12:00:00.000'));
  assert.equal(c.sla_status, 'on_track');
  const clocks = (await ok(api('GET', `/api/v1/cases/${c.id}/sla`))).clocks;
  assert.deepEqual(clocks.map((k) => [k.metric, k.state, k.target_minutes]), [['first_response', 'running', 60], ['resolution', 'running', 240]]);
  // The same case for a tier-A customer gets the VIP policy.
  const vip = await ok(api('POST', '/api/v1/accounts', { name: 'VIP Co', tier: 'A' }), 201);
  const v = await ok(api('POST', '/api/v1/cases', { subject: 'VIP', priority: 'high', account_id: vip.id }), 201);
  assert.equal(v.first_response_due_at, cn('2025-09-26T17:15:00.000'));
  // Cases no policy covers have no clock.
  const low = await ok(api('POST', '/api/v1/cases', { subject: 'whenever', priority: 'low' }), 201);
  assert.equal(low.sla_status, null);
  assert.equal(low.resolution_due_at, null);
});

test('the holiday week does not count; waiting on the customer pauses the resolution clock', async () => {
  await at('2025-09-30T09:00:00'); // Tuesday, the last working day before the holidays
  const c = await ok(api('POST', '/api/v1/cases', { subject: '订单未发货', priority: 'high' }), 201);
  assert.equal(c.resolution_due_at, cn('2025-09-30T14:30:00.000'), 'three hours before lunch, one after');
  await at('2025-09-30T10:00:00');
  const started = await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'in_progress' }));
  assert.equal(started.first_response_at, cn('2025-09-30T10:00:00.000'));
  await at('2025-09-30T11:00:00'); // two of the four hours used
  const waiting = await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'waiting', note: '请客户提供订单截图' }));
  assert.equal(waiting.sla_status, 'paused');
  assert.equal(waiting.resolution_due_at, null);
  // The customer answers after the holidays: two hours are left from then.
  await at('2025-10-09T10:00:00');
  const back = await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'in_progress' }));
  assert.equal(back.resolution_due_at, cn('2025-10-09T12:00:00.000'));
  assert.equal(back.sla_status, 'on_track');
  const clocks = (await ok(api('GET', `/api/v1/cases/${c.id}/sla`))).clocks;
  const res = clocks.find((k) => k.metric === 'resolution');
  assert.equal(res.used_minutes, 120);
  assert.equal(clocks.find((k) => k.metric === 'first_response').state, 'stopped');
  // Resolved in time: met.
  await at('2025-10-09T11:45:00');
  const done = await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'resolved' }));
  assert.equal(done.sla_status, 'met');
});

test('a warning before the breach (by the background tick), then a breach escalated to the team manager', async () => {
  await at('2025-10-13T09:00:00'); // Monday
  await ok(api('PUT', '/api/v1/service/settings', { tick_seconds: 1 }));
  const c = await ok(api('POST', '/api/v1/cases', { subject: '网络中断', priority: 'high', owner_id: agent, status: 'assigned' }), 201);
  assert.equal(c.first_response_due_at, cn('2025-10-13T10:00:00.000'));
  // 09:40: past the warning (30 minutes before), before the breach. The tick notices by itself.
  await at('2025-10-13T09:40:00');
  let now;
  for (let i = 0; i < 60; i++) {
    now = (await api('GET', `/api/v1/cases/${c.id}`)).body;
    if (now.sla_status === 'warning') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(now.sla_status, 'warning', 'the background tick warned');
  assert.equal(sql(`SELECT count(*) FROM kh_events WHERE type = 'sla_warning' AND user_id = ${agent} AND data LIKE '%"case_id":${c.id},%'`), '1');
  // 10:05: breached. The on-demand check does it at once (unless the tick, which the
  // clock's move woke up, was quicker: either way exactly once).
  await at('2025-10-13T10:05:00');
  const check = await ok(api('POST', '/api/v1/service/sla/check'));
  assert.ok(check.breaches <= 1, JSON.stringify(check));
  const breached = await ok(api('GET', `/api/v1/cases/${c.id}`));
  assert.equal(breached.sla_status, 'breached');
  assert.ok(breached.escalated_at);
  const task = (await api('GET', `/api/v1/activities?case_id=${c.id}&type=task`)).body.data;
  assert.equal(task.length, 1);
  assert.equal(task[0].owner_id, manager, 'the escalation task is the manager\'s');
  assert.match(task[0].subject, /^SLA breach escalated: CS-\d+ 网络中断 \(first response\)$/, 'in the manager\'s language');
  assert.equal(sql(`SELECT count(*) FROM kh_events WHERE type = 'sla_breach' AND user_id = ${manager}`), '1');
  // Checking again changes nothing: each breach is escalated once.
  await ok(api('POST', '/api/v1/service/sla/check'));
  assert.equal((await api('GET', `/api/v1/activities?case_id=${c.id}&type=task`)).body.data.length, 1);
  // The first response comes late: the clock stops, the breach stays on record.
  const late = await ok(api('POST', `/api/v1/cases/${c.id}/transition`, { to: 'in_progress' }));
  assert.equal(late.sla_status, 'breached');
  // The breach report, by priority and by team, and the list of breaches.
  const report = await ok(api('GET', '/api/v1/service/sla/report?group=priority&from=2025-10-13'));
  const high = report.groups.find((g) => g.key === 'high');
  assert.equal(high.breached, 1);
  assert.equal(report.breaches[0].case_id, c.id);
  assert.equal(report.breaches[0].metric, 'first_response');
  assert.equal(report.breaches[0].breached_at, cn('2025-10-13T10:00:00.000'));
  const byTeam = await ok(api('GET', '/api/v1/service/sla/report?group=team&from=2025-10-13'));
  assert.ok(byTeam.groups.some((g) => g.key === team.id && g.breached === 1));
  assert.equal((await api('GET', '/api/v1/service/sla/report?group=colour')).status, 400);
  assert.equal((await api('GET', '/api/v1/service/sla/report?from=13/10/2025')).status, 400);
  await ok(api('PUT', '/api/v1/service/settings', { tick_seconds: 30 }));
});

test('a priority change re-targets a running clock; the test clock is for administrators only', async () => {
  await at('2025-10-14T09:00:00');
  const c = await ok(api('POST', '/api/v1/cases', { subject: 'minor', priority: 'normal' }), 201);
  assert.equal(c.sla_status, null);
  const up = await ok(api('PATCH', `/api/v1/cases/${c.id}`, { priority: 'high' }));
  assert.equal(up.sla_status, null, 'clocks start with the case, not later');
  const h = await ok(api('POST', '/api/v1/cases', { subject: 'urgent', priority: 'high' }), 201);
  await at('2025-10-14T10:00:00');
  await ok(api('PATCH', `/api/v1/sla_policies/${policy.id}`, { resolution_minutes: 480 }));
  const re = await ok(api('PATCH', `/api/v1/cases/${h.id}`, { type: 'problem' }));
  assert.equal(re.resolution_due_at, cn('2025-10-15T09:30:00.000'), '8 business hours from 09:00: 7.5 today, lunch excluded');
  const rep = await ok(api('POST', '/api/v1/users', { username: 'rep', role: 'sales_rep', password: PASSWORD }), 201);
  const repToken = await srv.login('rep', PASSWORD);
  assert.equal((await srv.call('PUT', '/api/v1/service/test-clock', { token: repToken, json: { now: '2030-01-01T00:00:00Z' } })).status, 403);
  assert.equal((await api('PUT', '/api/v1/service/test-clock', { now: 'tomorrow' })).status, 422);
  assert.ok(rep.id);
});
