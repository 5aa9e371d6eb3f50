// Campaigns through HTTP: target lists frozen from saved filters, ids and
// segments; cost lines in other currencies; results (rates, cost per lead and
// customer, attributed revenue and margin, ROI) against a hand-computed
// fixture; telemarketing call lists, scripts and outcomes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, kehu, ADMIN_PASSWORD } from './lib/server.mjs';
import { usePg } from './lib/pg.mjs';

const NOW = '2026-03-15T08:00:00Z';
let srv, token;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const post = async (p, json) => {
  const r = await call('POST', p, { json });
  assert.ok(r.status === 201 || r.status === 200, `${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

before(async () => {
  srv = await startServer({ env: { KEHU_NOW: NOW } });
  token = await srv.login();
});
after(async () => { await srv.stop(); });

test('results: members by status, rates, cost per lead and customer, attributed revenue and margin, ROI', async () => {
  const c = await post('/api/v1/campaigns', { name: '苏州春季推广', type: 'email', budget: 1000000 });
  await post('/api/v1/campaign_costs', { campaign_id: c.id, description: '展位费', amount: 300000, category: 'event' });
  await post('/api/v1/campaign_costs', { campaign_id: c.id, description: 'Ads abroad', amount: 10000, currency: 'USD', exchange_rate: '7.1' });
  const noRate = await call('POST', '/api/v1/campaign_costs', { json: { campaign_id: c.id, description: 'No rate', amount: 5000, currency: 'USD' } });
  assert.equal(noRate.status, 422);
  assert.match(noRate.body.error.fields.exchange_rate, /USD.*CNY/);
  const sameRate = await call('POST', '/api/v1/campaign_costs', { json: { campaign_id: c.id, description: 'Odd', amount: 5000, exchange_rate: '7' } });
  assert.equal(sameRate.status, 422);
  const badRate = await call('POST', '/api/v1/campaign_costs', { json: { campaign_id: c.id, description: 'Bad', amount: 5000, currency: 'EUR', exchange_rate: 'seven' } });
  assert.equal(badRate.status, 422);

  const p1 = await post('/api/v1/products', { name: '传感器', sku: 'S-1', unit_price: 10000, cost: 6000 });
  const p2 = await post('/api/v1/products', { name: '网关', sku: 'G-2', unit_price: 25000, cost: 10000 });
  const acc = [], con = [];
  for (let i = 1; i <= 4; i++) {
    acc[i] = await post('/api/v1/accounts', { name: `客户${i}` });
    con[i] = await post('/api/v1/contacts', { name: `联系人${i}`, account_id: acc[i].id, city: i < 4 ? '苏州' : '杭州' });
  }
  const byFilter = await call('POST', `/api/v1/campaigns/${c.id}/members`, { json: { entity: 'contacts', filter: 'city=%E8%8B%8F%E5%B7%9E' } });
  assert.equal(byFilter.status, 201);
  assert.deepEqual(byFilter.body, { matched: 3, added: 3, already: 0 });
  assert.deepEqual((await call('POST', `/api/v1/campaigns/${c.id}/members`, { json: { entity: 'contacts', ids: [con[4].id, con[1].id] } })).body, { matched: 2, added: 1, already: 1 });
  const badFilter = await call('POST', `/api/v1/campaigns/${c.id}/members`, { json: { entity: 'contacts', filter: 'colour=red' } });
  assert.equal(badFilter.status, 422);
  assert.match(badFilter.body.error.fields.filter, /colour/);
  const badSeg = await call('POST', `/api/v1/campaigns/${c.id}/members`, { json: { segment: 'Sleepy' } });
  assert.equal(badSeg.status, 422);
  assert.match(badSeg.body.error.fields.segment, /At Risk/);
  const members = (await call('GET', `/api/v1/campaigns/${c.id}/campaign_members?sort=id&limit=10`)).body.data;
  assert.equal(members.length, 4);
  assert.equal(members[0].account_id, acc[1].id, "a contact's account comes along");
  const m = Object.fromEntries(members.map((x) => [x.contact_id, x]));
  await call('PATCH', `/api/v1/campaign_members/${m[con[1].id].id}`, { json: { status: 'sent' } });
  await call('PATCH', `/api/v1/campaign_members/${m[con[2].id].id}`, { json: { status: 'responded' } });
  const conv = await call('PATCH', `/api/v1/campaign_members/${m[con[3].id].id}`, { json: { status: 'converted' } });
  assert.ok(conv.body.converted_at, 'converting stamps the time');
  // Leads the campaign brought: one converted into a customer.
  await post('/api/v1/leads', { name: '线索甲', campaign_id: c.id });
  const l2 = await post('/api/v1/leads', { name: '线索乙', company: '新客户五', campaign_id: c.id });
  const converted = (await call('POST', `/api/v1/leads/${l2.id}/convert`, { json: { opportunity: false } })).body;

  const order = async (account, date, lines, extra = {}) => {
    const o = await post('/api/v1/orders', { account_id: account, order_date: date, status: 'confirmed', ...extra });
    for (const [product, quantity] of lines) await post('/api/v1/order_lines', { order_id: o.id, product_id: product, quantity });
    return o;
  };
  await order(acc[1].id, '2026-04-01', [[p1.id, 2]]); // 17 days after: 20000, margin 8000
  await order(acc[2].id, '2026-08-01', [[p1.id, 1]]); // 139 days: outside 90, inside 200
  await order(acc[3].id, '2026-03-20', [[p2.id, 1]]); // 25000, margin 15000
  await order(acc[4].id, '2026-03-20', [[p2.id, 1]]); // a member never reached
  await order(acc[1].id, '2026-03-25', [[p2.id, 3]], { status: 'cancelled' });
  await order(converted.account_id, '2026-03-30', [[p1.id, 1]]); // the converted lead: 10000, margin 4000
  await order(acc[1].id, '2026-03-21', [[p1.id, 1]], { currency: 'USD' });
  await order(acc[1].id, '2026-03-01', [[p1.id, 1]]); // before the contact

  const r = await call('GET', `/api/v1/campaigns/${c.id}/results`);
  assert.equal(r.status, 200);
  const x = r.body;
  assert.equal(x.currency, 'CNY');
  assert.equal(x.members.total, 4);
  assert.deepEqual({ planned: x.members.by_status.planned, sent: x.members.by_status.sent, responded: x.members.by_status.responded, converted: x.members.by_status.converted }, { planned: 1, sent: 1, responded: 1, converted: 1 });
  assert.equal(x.members.reached, 3);
  assert.equal(x.members.responded, 2);
  assert.equal(x.members.converted, 1);
  assert.equal(x.response_rate, 0.6667);
  assert.equal(x.conversion_rate, 0.3333);
  assert.equal(x.leads, 2);
  assert.equal(x.customers, 2);
  assert.equal(x.cost, 371000);
  assert.equal(x.cost_source, 'cost_lines');
  assert.equal(x.cost_per_lead, 185500);
  assert.equal(x.cost_per_customer, 185500);
  assert.equal(x.budget, 1000000);
  assert.deepEqual({ orders: x.orders, revenue: x.revenue, margin: x.margin, other: x.orders_in_other_currencies }, { orders: 3, revenue: 55000, margin: 27000, other: 1 });
  assert.equal(x.roi, -0.9272);
  const wide = (await call('GET', `/api/v1/campaigns/${c.id}/results?window=200`)).body;
  assert.deepEqual({ orders: wide.orders, revenue: wide.revenue, margin: wide.margin }, { orders: 4, revenue: 65000, margin: 31000 });
  assert.equal((await call('GET', `/api/v1/campaigns/${c.id}/results?window=-1`)).status, 400);
  assert.equal((await call('GET', '/api/v1/campaigns/999999/results')).status, 404);
});

test('a campaign without cost lines uses its actual cost; segments freeze customers by RFM', async () => {
  const c = await post('/api/v1/campaigns', { name: 'Plain', actual_cost: 50000 });
  const r = (await call('GET', `/api/v1/campaigns/${c.id}/results`)).body;
  assert.equal(r.cost, 50000);
  assert.equal(r.cost_source, 'actual_cost');
  assert.equal(r.roi, -1);
  assert.equal(r.response_rate, null, 'no one reached: no rate');
  // The segments split the customers with orders (the five of the last test) between them.
  let added = 0;
  for (const segment of ['Champions', 'Loyal', 'Potential Loyalists', 'New', 'Promising', 'Need Attention', 'About to Sleep', 'At Risk', "Can't Lose", 'Hibernating', 'Lost']) {
    const seg = await call('POST', `/api/v1/campaigns/${c.id}/members`, { json: { segment, by: 'accounts' } });
    assert.equal(seg.status, 201);
    assert.equal(seg.body.already, 0, 'no customer is in two segments');
    added += seg.body.added;
  }
  assert.equal(added, 5);
});

test('telemarketing: a call list with the script, consent respected, outcomes logged as activities', async () => {
  const c = await post('/api/v1/campaigns', { name: '电话回访', type: 'telemarketing' });
  await post('/api/v1/templates', { name: '回访话术', kind: 'call_script', campaign_id: c.id, body: '您好，{{name}}，我是客户成功部的小王……' });
  const ok = await post('/api/v1/contacts', { name: '陈静', mobile: '13611112222' });
  const noConsent = await post('/api/v1/contacts', { name: '刘洋', mobile: '13633334444' });
  const dnc = await post('/api/v1/contacts', { name: '孙悦', mobile: '13655556666', do_not_contact: true });
  await post('/api/v1/consents', { contact_id: ok.id, channel: 'phone', status: 'granted' });
  await post('/api/v1/consents', { contact_id: dnc.id, channel: 'phone', status: 'granted' });
  await post(`/api/v1/campaigns/${c.id}/members`, { entity: 'contacts', ids: [ok.id, noConsent.id, dnc.id] });
  const list = (await call('GET', `/api/v1/campaigns/${c.id}/call-list`)).body;
  assert.match(list.script.body, /\{\{name\}\}/);
  assert.deepEqual(list.data.map((d) => d.name), ['陈静']);
  assert.equal(list.data[0].phone, '13611112222');
  assert.equal(list.skipped_no_consent, 1);
  const mid = list.data[0].member_id;
  const noTime = await call('POST', `/api/v1/campaign_members/${mid}/call`, { json: { outcome: 'call_back' } });
  assert.equal(noTime.status, 422);
  assert.ok(noTime.body.error.fields.callback_at);
  const bad = await call('POST', `/api/v1/campaign_members/${mid}/call`, { json: { outcome: 'maybe' } });
  assert.equal(bad.status, 422);
  assert.match(bad.body.error.fields.outcome, /interested/);
  const cb = await call('POST', `/api/v1/campaign_members/${mid}/call`, { json: { outcome: 'call_back', callback_at: '2026-03-16T02:00:00Z', notes: '明天再打', duration_minutes: 3 } });
  assert.equal(cb.status, 201);
  const act = (await call('GET', `/api/v1/activities/${cb.body.activity_id}`)).body;
  assert.deepEqual({ type: act.type, status: act.status, contact: act.contact_id, dur: act.duration_minutes }, { type: 'call', status: 'completed', contact: ok.id, dur: 3 });
  const tasks = (await call('GET', `/api/v1/activities?type=task&contact_id=${ok.id}`)).body.data;
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].due_at, '2026-03-16T02:00:00.000Z');
  await call('POST', `/api/v1/campaign_members/${mid}/call`, { json: { outcome: 'interested' } });
  const member = (await call('GET', `/api/v1/campaign_members/${mid}`)).body;
  assert.deepEqual({ status: member.status, outcome: member.call_outcome, attempts: member.call_attempts }, { status: 'responded', outcome: 'interested', attempts: 2 });
  assert.equal((await call('GET', `/api/v1/campaigns/${c.id}/call-list`)).body.data.length, 0, 'an interested member leaves the list');
  const res = (await call('GET', `/api/v1/campaigns/${c.id}/results`)).body;
  assert.equal(res.members.called, 1);
  assert.equal(res.members.reached, 1);
  assert.equal(res.response_rate, 1);
  // "Do not call" withdraws the consent to phone marketing.
  const c2 = await post('/api/v1/campaigns', { name: '二次回访', type: 'telemarketing' });
  await post(`/api/v1/campaigns/${c2.id}/members`, { entity: 'contacts', ids: [ok.id] });
  const m2 = (await call('GET', `/api/v1/campaigns/${c2.id}/call-list`)).body.data[0].member_id;
  assert.equal((await call('POST', `/api/v1/campaign_members/${m2}/call`, { json: { outcome: 'do_not_call' } })).status, 201);
  const consents = (await call('GET', `/api/v1/consents?contact_id=${ok.id}&channel=phone&sort=-id`)).body.data;
  assert.equal(consents[0].status, 'withdrawn');
});

test('marketing may run campaigns; a sales rep may log calls but not add members; a service agent sees no quotes', async () => {
  await post('/api/v1/users', { username: 'mkt', role: 'marketing', password: 'Amber-Moon-3141' });
  await post('/api/v1/users', { username: 'rep', role: 'sales_rep', password: 'Violet-Sky-2718' });
  await post('/api/v1/users', { username: 'agent', role: 'service_agent', password: 'Green-Tree-1618' });
  const mkt = await srv.login('mkt', 'Amber-Moon-3141');
  const rep = await srv.login('rep', 'Violet-Sky-2718');
  const agent = await srv.login('agent', 'Green-Tree-1618');
  const c = await srv.call('POST', '/api/v1/campaigns', { token: mkt, json: { name: 'By marketing' } });
  assert.equal(c.status, 201);
  const k = await srv.call('POST', '/api/v1/contacts', { token: mkt, json: { name: 'Someone' } });
  assert.equal((await srv.call('POST', `/api/v1/campaigns/${c.body.id}/members`, { token: mkt, json: { entity: 'contacts', ids: [k.body.id] } })).status, 201);
  assert.equal((await srv.call('POST', '/api/v1/campaign_costs', { token: mkt, json: { campaign_id: c.body.id, description: 'x', amount: 1 } })).status, 201);
  assert.equal((await srv.call('POST', `/api/v1/campaigns/${c.body.id}/members`, { token: rep, json: { entity: 'contacts', ids: [k.body.id] } })).status, 403);
  assert.equal((await srv.call('GET', '/api/v1/quotes', { token: agent })).status, 403);
  assert.equal((await srv.call('POST', '/api/v1/quotes', { token: rep, json: { name: 'Rep quote' } })).status, 201);
  assert.equal((await srv.call('POST', '/api/v1/price_lists', { token: rep, json: { name: 'Rep list' } })).status, 403);
});

test('built-in roles of a database older than the module get its grants when it is upgraded', { skip: usePg && 'edits the SQLite file directly' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kehu-grants-'));
  const db = join(dir, 'old.db');
  try {
    assert.equal((await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD })).code, 0);
    // As before the module: marketing without its grants, an administrator's own choice for quotes kept.
    const perms = JSON.parse(execFileSync('sqlite3', [db, "SELECT permissions FROM roles WHERE key = 'marketing'"]).toString());
    for (const e of ['campaign_members', 'campaign_costs', 'templates', 'web_forms', 'price_lists', 'price_list_items', 'quote_lines']) delete perms[e];
    perms.quotes = { read: 'own', create: 'none', edit: 'none', delete: 'none', export: 'none', import: 'none' };
    execFileSync('sqlite3', [db, `UPDATE roles SET permissions = '${JSON.stringify(perms)}' WHERE key = 'marketing'; DELETE FROM kh_migrations WHERE version = 102;`]);
    const up = await startServer({ db });
    try {
      const t = await up.login();
      const role = (await up.call('GET', '/api/v1/roles/marketing', { token: t })).body;
      assert.equal(role.permissions.campaign_members.create, 'all', 'the missing grant was added');
      assert.equal(role.permissions.web_forms.edit, 'all');
      assert.equal(role.permissions.quotes.read, 'own', 'what was set stays');
    } finally {
      await up.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
