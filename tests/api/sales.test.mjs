// Sales through HTTP: lead conversion, configurable pipelines with stage
// history, forecast against quotas (checked against a hand-computed fixture),
// win/loss, funnel and stuck deals, and quotes from price list to order.
// The clock is frozen (KEHU_NOW) so that periods and dates are fixed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startServer } from './lib/server.mjs';

const NOW = '2026-03-15T10:00:00Z';
let srv, token;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const post = async (p, json, t = token) => {
  const r = await srv.call('POST', p, { token: t, json });
  assert.ok(r.status === 201 || r.status === 200, `${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

before(async () => {
  srv = await startServer({ env: { KEHU_NOW: NOW } });
  token = await srv.login();
});
after(async () => { await srv.stop(); });

test('a lead converts into an account, a contact and an opportunity once, taking its activities along', async () => {
  const lead = await post('/api/v1/leads', { name: '李雷', company: '杭州云栖科技有限公司', email: 'lilei@yunqi.cn', mobile: '13900001111', title: '采购经理', source: 'web', industry: 'it', employees: 300, city: '杭州' });
  const call1 = await post('/api/v1/activities', { type: 'call', subject: '首次电话', lead_id: lead.id, status: 'completed' });
  const task = await post('/api/v1/activities', { type: 'task', subject: '发送资料', lead_id: lead.id });
  const r = await call('POST', `/api/v1/leads/${lead.id}/convert`, { json: { opportunity: { amount: 8800000, expected_close_date: '2026-05-30' } } });
  assert.equal(r.status, 201);
  const { account_id, contact_id, opportunity_id } = r.body;
  assert.ok(account_id > 0 && contact_id > 0 && opportunity_id > 0);
  const acc = (await call('GET', `/api/v1/accounts/${account_id}`)).body;
  assert.equal(acc.name, '杭州云栖科技有限公司');
  assert.equal(acc.industry, 'it');
  const con = (await call('GET', `/api/v1/contacts/${contact_id}`)).body;
  assert.equal(con.name, '李雷');
  assert.equal(con.email, 'lilei@yunqi.cn');
  assert.equal(con.account_id, account_id);
  const opp = (await call('GET', `/api/v1/opportunities/${opportunity_id}`)).body;
  assert.equal(opp.amount, 8800000);
  assert.equal(opp.account_id, account_id);
  assert.equal(opp.contact_id, contact_id);
  assert.equal(opp.source, 'web');
  for (const a of [call1, task]) {
    const now = (await call('GET', `/api/v1/activities/${a.id}`)).body;
    assert.equal(now.contact_id, contact_id, 'the activity moved to the contact');
    assert.equal(now.account_id, account_id);
    assert.equal(now.opportunity_id, opportunity_id);
    assert.equal(now.lead_id, lead.id, 'and still shows on the lead');
  }
  const l = (await call('GET', `/api/v1/leads/${lead.id}`)).body;
  assert.equal(l.status, 'converted');
  assert.equal(l.converted_account_id, account_id);
  assert.equal(l.converted_opportunity_id, opportunity_id);
  assert.ok(l.converted_at);

  const again = await call('POST', `/api/v1/leads/${lead.id}/convert`, { json: {} });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'conflict');
  const accounts = (await call('GET', '/api/v1/accounts?name=杭州云栖科技有限公司')).body.data;
  assert.equal(accounts.length, 1, 'the refused second conversion made nothing');
});

test('conversion can attach to an existing account, skip the deal, and refuses bad input whole', async () => {
  const acc = await post('/api/v1/accounts', { name: '苏州精工' });
  const lead = await post('/api/v1/leads', { name: '韩梅梅', company: '苏州精工' });
  const bad = await call('POST', `/api/v1/leads/${lead.id}/convert`, { json: { account_id: 999999, opportunity: false } });
  assert.equal(bad.status, 422);
  assert.ok(bad.body.error.fields.account_id);
  const unknown = await call('POST', `/api/v1/leads/${lead.id}/convert`, { json: { accounts: 1 } });
  assert.equal(unknown.status, 422);
  const badOpp = await call('POST', `/api/v1/leads/${lead.id}/convert`, { json: { opportunity: { amount: -5 } } });
  assert.equal(badOpp.status, 422, 'an invalid opportunity field fails the whole conversion');
  assert.equal((await call('GET', `/api/v1/leads/${lead.id}`)).body.status, 'new', 'nothing was written');
  assert.equal((await call('GET', '/api/v1/contacts?name=韩梅梅')).body.data.length, 0);
  const r = await call('POST', `/api/v1/leads/${lead.id}/convert`, { json: { account_id: acc.id, opportunity: false } });
  assert.equal(r.status, 201);
  assert.equal(r.body.account_id, acc.id);
  assert.equal(r.body.opportunity_id, null);
  assert.equal((await call('POST', '/api/v1/leads/999999/convert', { json: {} })).status, 404);
  const manual = await call('PATCH', `/api/v1/leads/${(await post('/api/v1/leads', { name: 'X' })).id}`, { json: { status: 'converted' } });
  assert.equal(manual.status, 422, 'converted is reached only by converting');
});

test('duplicates are found as leads arrive: same e-mail, same phone written differently, same name at the company', async () => {
  const first = await post('/api/v1/leads', { name: '赵敏', company: '明教贸易', email: 'zhaomin@mingjiao.cn', mobile: '138 0013 8000' });
  const byPhone = await post('/api/v1/leads', { name: 'Min Zhao', mobile: '+86 138-0013-8000' });
  assert.equal(byPhone.duplicate_of_lead_id, first.id);
  const byMail = await post('/api/v1/leads', { name: 'Z. Min', email: 'ZhaoMin@mingjiao.cn' });
  assert.equal(byMail.duplicate_of_lead_id, first.id);
  const byName = await post('/api/v1/leads', { name: '赵敏', company: '明教贸易' });
  assert.equal(byName.duplicate_of_lead_id, first.id);
  const contact = await post('/api/v1/contacts', { name: '周芷若', email: 'zzr@emei.cn' });
  const toContact = await post('/api/v1/leads', { name: '周芷若', email: 'zzr@emei.cn' });
  assert.equal(toContact.duplicate_of_contact_id, contact.id);
  const fresh = await post('/api/v1/leads', { name: '张无忌', mobile: '13912345678' });
  assert.equal(fresh.duplicate_of_lead_id, null);
  const list = (await call('GET', `/api/v1/leads/${first.id}/duplicates`)).body.data;
  assert.deepEqual(list.map((d) => d.id).sort((a, b) => a - b), [byPhone.id, byMail.id, byName.id].sort((a, b) => a - b));
  assert.ok(list.every((d) => ['email', 'phone', 'name_company'].includes(d.reason)));
});

test('pipelines: stages from the pipeline, required fields per stage, reasons to close, stage history', async () => {
  const bad = await call('POST', '/api/v1/pipelines', { json: { name: 'Broken', config: { stages: [{ key: 'demo', probability: 30 }] } } });
  assert.equal(bad.status, 422);
  assert.match(bad.body.error.fields.config, /stage/);
  const noClose = await call('POST', '/api/v1/pipelines', { json: { name: 'No close', config: { stages: [{ key: 'prospecting', probability: 10 }, { key: 'proposal', probability: 50 }] } } });
  assert.equal(noClose.status, 422);
  const pl = await post('/api/v1/pipelines', {
    name: 'Projects',
    config: {
      stages: [
        { key: 'qualification', probability: 15, forecast_category: 'pipeline' },
        { key: 'proposal', probability: 55, forecast_category: 'best_case', required: ['amount', 'expected_close_date'], max_days: 10 },
        { key: 'closed_won', probability: 100 },
        { key: 'closed_lost', probability: 0 },
      ],
      lost_reasons: ['price', 'competitor'],
      won_reasons: ['relationship'],
      require_reasons: true,
    },
  });
  const acc = await post('/api/v1/accounts', { name: 'Pipeline Co' });
  const o = await post('/api/v1/opportunities', { name: 'Project A', account_id: acc.id, pipeline_id: pl.id, stage: 'qualification' });
  assert.equal(o.probability, 15, "the pipeline's probability, not the vocabulary's default");
  const notIn = await call('PATCH', `/api/v1/opportunities/${o.id}`, { json: { stage: 'negotiation' } });
  assert.equal(notIn.status, 422);
  assert.match(notIn.body.error.fields.stage, /not a stage of this pipeline/);
  const missing = await call('PATCH', `/api/v1/opportunities/${o.id}`, { json: { stage: 'proposal' } });
  assert.equal(missing.status, 422);
  assert.deepEqual(Object.keys(missing.body.error.fields).sort(), ['amount', 'expected_close_date']);
  const ok = await call('PATCH', `/api/v1/opportunities/${o.id}`, { json: { stage: 'proposal', amount: 500000, expected_close_date: '2026-04-30' } });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.probability, 55);
  assert.equal(ok.body.forecast_category, 'best_case');
  const clear = await call('PATCH', `/api/v1/opportunities/${o.id}`, { json: { amount: null } });
  assert.equal(clear.status, 422, 'a required field of the stage cannot be cleared');
  const noReason = await call('PATCH', `/api/v1/opportunities/${o.id}`, { json: { stage: 'closed_lost' } });
  assert.equal(noReason.status, 422);
  assert.ok(noReason.body.error.fields.lost_reason);
  const wrongReason = await call('PATCH', `/api/v1/opportunities/${o.id}`, { json: { stage: 'closed_lost', lost_reason: 'weather' } });
  assert.equal(wrongReason.status, 422);
  assert.match(wrongReason.body.error.fields.lost_reason, /price, competitor/);
  const lost = await call('PATCH', `/api/v1/opportunities/${o.id}`, { json: { stage: 'closed_lost', lost_reason: 'competitor' } });
  assert.equal(lost.status, 200);
  assert.equal(lost.body.status, 'lost');
  const hist = (await call('GET', `/api/v1/opportunities/${o.id}/stages`)).body.data;
  assert.deepEqual(hist.map((h) => h.stage), ['qualification', 'proposal', 'closed_lost']);
  assert.ok(hist[0].left_at && hist[1].left_at && !hist[2].left_at);
  assert.ok(hist.every((h) => typeof h.days === 'number'));
  // The default pipeline is the standard vocabulary, as before.
  const d = await post('/api/v1/opportunities', { name: 'Default deal', account_id: acc.id, stage: 'negotiation' });
  assert.equal(d.probability, 80);
  assert.ok(d.pipeline_id > 0);
  assert.equal((await call('DELETE', `/api/v1/pipelines/${d.pipeline_id}`)).status, 409, 'the default pipeline stays');
});

test('forecast by owner and team, month and quarter, against quotas: the hand-computed figures', async () => {
  const team = await post('/api/v1/teams', { name: 'East' });
  const repA = await post('/api/v1/users', { username: 'rep_a', role: 'sales_rep', team_id: team.id, password: 'Rep-a-password-1' });
  const repB = await post('/api/v1/users', { username: 'rep_b', role: 'sales_rep', team_id: team.id, password: 'Rep-b-password-1' });
  const acc = await post('/api/v1/accounts', { name: 'Forecast Co' });
  const q = await call('PUT', '/api/v1/sales/quotas', {
    json: { quotas: [
      { user_id: repA.id, period: '2026-03', amount: 1000000 },
      { user_id: repA.id, period: '2026-04', amount: 2000000 },
      { user_id: repB.id, period: '2026-Q1', amount: 3000000 },
      { team_id: team.id, period: '2026-03', amount: 5000000 },
    ] },
  });
  assert.equal(q.status, 200, JSON.stringify(q.body));
  const badQ = await call('PUT', '/api/v1/sales/quotas', { json: { quotas: [{ user_id: repA.id, period: '2026-13', amount: 1 }] } });
  assert.equal(badQ.status, 422);
  const opp = (o) => post('/api/v1/opportunities', { account_id: acc.id, ...o });
  await opp({ name: 'A1', owner_id: repA.id, amount: 1000000, stage: 'negotiation', expected_close_date: '2026-03-20' });
  await opp({ name: 'A2', owner_id: repA.id, amount: 500000, stage: 'proposal', expected_close_date: '2026-03-31' });
  await opp({ name: 'A3', owner_id: repA.id, amount: 200000, stage: 'prospecting', expected_close_date: '2026-04-10' });
  await opp({ name: 'A4', owner_id: repA.id, amount: 300000, stage: 'closed_won', expected_close_date: '2026-03-10' });
  await opp({ name: 'B1', owner_id: repB.id, amount: 400000, stage: 'qualification', probability: 50, expected_close_date: '2026-03-05' });
  await opp({ name: 'B2', owner_id: repB.id, amount: 1000000, currency: 'USD', stage: 'proposal', expected_close_date: '2026-03-25' });
  await opp({ name: 'B3', owner_id: repB.id, amount: 700000, stage: 'closed_lost', lost_reason: 'price', expected_close_date: '2026-03-12' });

  const f = (await call('GET', '/api/v1/sales/forecast?period=month&group=owner')).body;
  assert.deepEqual(f.periods, ['2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08']);
  assert.equal(f.excluded_other_currency, 1);
  const row = (id) => f.rows.find((r) => r.owner_id === id);
  const a3 = row(repA.id).periods[0];
  assert.deepEqual(
    { won: a3.won, commit: a3.commit, best_case: a3.best_case, pipeline: a3.pipeline, weighted: a3.weighted, forecast: a3.forecast, quota: a3.quota, attainment: a3.attainment },
    { won: 300000, commit: 1000000, best_case: 500000, pipeline: 0, weighted: 1100000, forecast: 1300000, quota: 1000000, attainment: 0.3 },
  );
  const a4 = row(repA.id).periods[1];
  assert.deepEqual({ pipeline: a4.pipeline, weighted: a4.weighted, quota: a4.quota, attainment: a4.attainment }, { pipeline: 200000, weighted: 20000, quota: 2000000, attainment: 0 });
  const b3 = row(repB.id).periods[0];
  assert.deepEqual({ pipeline: b3.pipeline, weighted: b3.weighted, quota: b3.quota }, { pipeline: 400000, weighted: 200000, quota: null });
  assert.equal(row(repA.id).name, 'rep_a');
  assert.equal(f.totals[0].weighted, 1300000);

  const fq = (await call('GET', '/api/v1/sales/forecast?period=quarter&group=owner')).body;
  assert.deepEqual(fq.periods, ['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']);
  const qa = fq.rows.find((r) => r.owner_id === repA.id), qb = fq.rows.find((r) => r.owner_id === repB.id);
  assert.equal(qa.periods[0].quota, 1000000, 'a quarter without its own quota sums its months');
  assert.equal(qa.periods[1].quota, 2000000);
  assert.equal(qb.periods[0].quota, 3000000);
  assert.equal(qa.periods[0].won, 300000);
  assert.equal(qa.periods[1].weighted, 20000);

  const ft = (await call('GET', '/api/v1/sales/forecast?period=month&group=team')).body;
  const east = ft.rows.find((r) => r.team_id === team.id);
  assert.equal(east.name, 'East');
  assert.deepEqual(
    { won: east.periods[0].won, commit: east.periods[0].commit, best_case: east.periods[0].best_case, pipeline: east.periods[0].pipeline, weighted: east.periods[0].weighted, quota: east.periods[0].quota },
    { won: 300000, commit: 1000000, best_case: 500000, pipeline: 400000, weighted: 1300000, quota: 5000000 },
  );
  assert.equal(east.periods[1].quota, 2000000, "a team without its own quota for a month sums its members'");

  // A rep sees only their own deals.
  const tA = await srv.login('rep_a', 'Rep-a-password-1');
  const mine = (await srv.call('GET', '/api/v1/sales/forecast', { token: tA })).body;
  assert.deepEqual(mine.rows.map((r) => r.owner_id), [repA.id]);
  assert.equal((await call('GET', '/api/v1/sales/forecast?period=week')).status, 400);
  assert.equal((await call('GET', '/api/v1/sales/forecast?from=2026-02-30')).status, 400);

  const wl = (await call('GET', '/api/v1/sales/win-loss?by=reason')).body;
  assert.ok(wl.groups.some((g) => g.key === 'price' && g.lost === 1 && g.lost_amount === 700000));
  const byOwner = (await call('GET', '/api/v1/sales/win-loss?by=owner')).body;
  const ga = byOwner.groups.find((g) => g.key === repA.id), gb = byOwner.groups.find((g) => g.key === repB.id);
  assert.deepEqual({ won: ga.won, lost: ga.lost, rate: ga.win_rate }, { won: 1, lost: 0, rate: 1 });
  assert.deepEqual({ won: gb.won, lost: gb.lost, rate: gb.win_rate }, { won: 0, lost: 1, rate: 0 });
  assert.equal((await call('GET', '/api/v1/sales/win-loss?by=colour')).status, 400);

  const funnel = (await call('GET', '/api/v1/sales/funnel')).body;
  const st = Object.fromEntries(funnel.stages.map((s) => [s.stage, s]));
  assert.ok(st.prospecting.reached >= st.qualification.reached && st.qualification.reached >= st.proposal.reached);
  assert.ok(funnel.won >= 1 && funnel.lost >= 1);
  assert.equal(typeof funnel.win_rate, 'number');
});

test('stuck deals: no activity for N days, or longer in the stage than it allows', async () => {
  const r = (await call('GET', '/api/v1/sales/stuck?idle_days=1')).body;
  assert.equal(r.data.length, 0, 'everything was touched today');
  // The same database a month later.
  const later = await startServer({ db: srv.db, env: { KEHU_NOW: '2026-04-20T10:00:00Z' } }).catch((e) => e);
  if (later instanceof Error) throw later;
  try {
    const t = await later.login();
    const s = (await later.call('GET', '/api/v1/sales/stuck?idle_days=14', { token: t })).body;
    const a2 = s.data.find((d) => d.name === 'A2');
    assert.ok(a2, JSON.stringify(s));
    assert.ok(a2.reasons.includes('no_activity'));
    assert.ok(a2.reasons.includes('over_stage_time'), 'proposal allows 21 days in the standard pipeline');
    assert.ok(a2.days_in_stage >= 36);
    assert.equal((await later.call('GET', '/api/v1/sales/stuck?idle_days=0', { token: t })).status, 400);
  } finally {
    await later.stop();
  }
});

test('quotes: price list prices, discounts and tax, revisions, printing, and acceptance into an order', async () => {
  token = await srv.login(); // the later server of the last test ended idle sessions by its clock
  const p1 = await post('/api/v1/products', { name: '工业网关 G1', sku: 'G1', unit_price: 10000, cost: 6000 });
  const p2 = await post('/api/v1/products', { name: '安装服务', sku: 'SVC-1', unit_price: 25000, cost: 10000 });
  const pl = await post('/api/v1/price_lists', { name: 'Dealer 2026', currency: 'CNY' });
  await post('/api/v1/price_list_items', { price_list_id: pl.id, product_id: p1.id, unit_price: 9000 });
  await post('/api/v1/price_list_items', { price_list_id: pl.id, product_id: p1.id, unit_price: 8500, min_quantity: 10 });
  const dupItem = await call('POST', '/api/v1/price_list_items', { json: { price_list_id: pl.id, product_id: p1.id, unit_price: 1, min_quantity: 10 } });
  assert.equal(dupItem.status, 422);
  const acc = await post('/api/v1/accounts', { name: '宁波港务' });
  const quote = await post('/api/v1/quotes', { name: '网关项目报价', account_id: acc.id, price_list_id: pl.id, valid_until: '2026-04-15', terms: '款到发货' });
  assert.match(quote.quote_number, /^QT-\d{6}$/);
  assert.equal(quote.currency, 'CNY');
  const l1 = await post('/api/v1/quote_lines', { quote_id: quote.id, product_id: p1.id, quantity: 10, discount: 10, tax_rate: 13 });
  assert.equal(l1.unit_price, 8500, 'the price list item for 10 and more');
  assert.equal(l1.amount, 76500);
  assert.equal(l1.tax_amount, 9945);
  assert.equal(l1.description, '工业网关 G1');
  await post('/api/v1/quote_lines', { quote_id: quote.id, product_id: p2.id, quantity: 2, tax_rate: 13 });
  const neg = await call('POST', '/api/v1/quote_lines', { json: { quote_id: quote.id, product_id: p2.id, quantity: -3 } });
  assert.equal(neg.status, 422);
  assert.ok(neg.body.error.fields.quantity);
  const q = (await call('GET', `/api/v1/quotes/${quote.id}`)).body;
  assert.deepEqual({ subtotal: q.subtotal, discount_total: q.discount_total, tax_total: q.tax_total, total: q.total }, { subtotal: 135000, discount_total: 8500, tax_total: 16445, total: 142945 });

  const usd = await post('/api/v1/quotes', { name: 'Export quote', account_id: acc.id, currency: 'USD' });
  const mismatch = await call('POST', '/api/v1/quote_lines', { json: { quote_id: usd.id, product_id: p2.id, quantity: 1 } });
  assert.equal(mismatch.status, 422);
  assert.match(mismatch.body.error.fields.unit_price, /CNY/);
  const wrongList = await call('PATCH', `/api/v1/quotes/${usd.id}`, { json: { price_list_id: pl.id } });
  assert.equal(wrongList.status, 422);

  const html = await srv.fetch(`/api/v1/quotes/${quote.id}/document?format=html&lang=zh-CN`, { token });
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-type'), /text\/html/);
  const text = await html.text();
  assert.ok(text.includes(quote.quote_number) && text.includes('报价单') && text.includes('1,429.45'));
  assert.equal((await call('GET', `/api/v1/quotes/${quote.id}/document?format=docx`)).status, 400);

  const rev = await call('POST', `/api/v1/quotes/${quote.id}/revise`);
  assert.equal(rev.status, 201);
  assert.equal(rev.body.revision, 2);
  assert.equal(rev.body.previous_id, quote.id);
  assert.equal(rev.body.quote_number, `${quote.quote_number}-R2`);
  assert.equal(rev.body.total, 142945, 'the lines came along');
  assert.equal((await call('GET', `/api/v1/quotes/${quote.id}`)).body.status, 'superseded');
  assert.equal((await call('PATCH', `/api/v1/quotes/${quote.id}`, { json: { name: 'changed' } })).status, 409);
  assert.equal((await call('POST', `/api/v1/quote_lines`, { json: { quote_id: quote.id, product_id: p2.id, quantity: 1 } })).status, 409);

  const acc2 = await call('POST', `/api/v1/quotes/${rev.body.id}/accept`);
  assert.equal(acc2.status, 201, JSON.stringify(acc2.body));
  const order = (await call('GET', `/api/v1/orders/${acc2.body.order_id}`)).body;
  assert.equal(order.account_id, acc.id);
  assert.equal(order.status, 'confirmed');
  assert.equal(order.total_amount, 126500, 'the net amount of the lines (tax stays on the quote)');
  const lines = (await call('GET', `/api/v1/orders/${order.id}/order_lines`)).body.data;
  assert.equal(lines.length, 2);
  const accepted = (await call('GET', `/api/v1/quotes/${rev.body.id}`)).body;
  assert.equal(accepted.status, 'accepted');
  assert.equal(accepted.order_id, order.id);
  assert.equal((await call('POST', `/api/v1/quotes/${rev.body.id}/accept`)).status, 409);
  assert.equal((await call('PATCH', `/api/v1/quotes/${usd.id}`, { json: { status: 'accepted' } })).status, 422, 'accepted only through accept');
  assert.equal((await call('POST', `/api/v1/quotes/${usd.id}/accept`)).status, 409, 'a quote without lines');

  if (existsSync('/usr/bin/chromium')) {
    const pdf = await srv.fetch(`/api/v1/quotes/${accepted.id}/document?format=pdf&lang=en`, { token });
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  }
});

test('the sales reports refuse parameters they do not take, naming them; quotas refuse unknown members', async () => {
  for (const p of ['/api/v1/sales/forecast?period=month&grup=team', '/api/v1/sales/funnel?pipeline=1', '/api/v1/sales/win-loss?by=owner&since=2026-01-01',
    '/api/v1/sales/stuck?days=3', '/api/v1/sales/quotas?year=2026', '/api/v1/campaigns/1/results?windows=30', '/api/v1/campaigns/1/call-list?max=5',
    '/api/v1/rules/1/runs?page=2', '/api/v1/quotes/1/document?fmt=pdf']) {
    const r = await call('GET', p);
    assert.equal(r.status, 400, p);
    assert.equal(r.body.error.code, 'bad_request');
    const name = new URL(p, 'http://x').searchParams;
    const unknown = [...name.keys()].find((k) => !['period', 'by'].includes(k));
    assert.ok(r.body.error.fields[unknown], `${p}: ${JSON.stringify(r.body)}`);
  }
  const before = (await call('GET', '/api/v1/sales/quotas?from=2026-01&to=2026-12')).body;
  for (const q of [{ user_id: 1, period: '2026-06', amount: 5, target: 9 }, { user_id: 1, period: '2026-06', amount: 5, currency: 7 }, { user_id: 1, period: '2026-06', amount: 5, currency: 'usd' }]) {
    const r = await call('PUT', '/api/v1/sales/quotas', { json: { quotas: [{ user_id: 1, period: '2026-05', amount: 77 }, q] } });
    assert.equal(r.status, 422, JSON.stringify(q));
    assert.ok(r.body.error.fields['quotas[1]']);
  }
  assert.deepEqual((await call('GET', '/api/v1/sales/quotas?from=2026-01&to=2026-12')).body, before, 'nothing was written, not even the good item');
});
