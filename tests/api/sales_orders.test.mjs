// Orders through fulfilment and payment, through HTTP: the status goes one
// way with each step's time stamped, cancelling and reopening have their
// limits, the payment status follows what was paid, also when lines move
// the total, and shipping, completing or cancelling locks the lines. A refused
// change writes nothing. The clock is frozen (KEHU_NOW).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

const NOW = '2026-03-15T10:00:00Z';
const AT = '2026-03-15T10:00:00.000Z'; // NOW as the API writes times
let srv, token, product;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const ok = async (m, p, json) => {
  const r = await call(m, p, { json });
  assert.ok(r.status === 200 || r.status === 201, `${m} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const refused = async (id, json, field, re) => {
  const before = (await call('GET', `/api/v1/orders/${id}`)).body;
  const r = await call('PATCH', `/api/v1/orders/${id}`, { json });
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'validation_failed');
  assert.match(r.body.error.fields[field], re);
  const after = (await call('GET', `/api/v1/orders/${id}`)).body;
  assert.deepEqual(after, before, 'nothing was written');
};
const order = async (lines = [100000]) => {
  const o = await ok('POST', '/api/v1/orders', { order_date: '2026-03-15' });
  for (const price of lines) await ok('POST', '/api/v1/order_lines', { order_id: o.id, product_id: product.id, quantity: 1, unit_price: price });
  return (await call('GET', `/api/v1/orders/${o.id}`)).body;
};

before(async () => {
  srv = await startServer({ env: { KEHU_NOW: NOW } });
  token = await srv.login();
  product = await ok('POST', '/api/v1/products', { name: '服务器', sku: 'SRV-1', unit_price: 100000 });
});
after(async () => { await srv.stop(); });

test('fulfilment goes forward, each step stamped; backwards and from completed is refused', async () => {
  const o = await order();
  assert.equal(o.status, 'draft');
  assert.equal(o.confirmed_at, null);
  const c = await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'confirmed' });
  assert.equal(c.confirmed_at, AT);
  await refused(o.id, { status: 'draft' }, 'status', /forward only/);
  const s = await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'shipped', tracking_number: 'SF1234567890' });
  assert.deepEqual([s.shipped_at, s.tracking_number, s.delivered_at], [AT, 'SF1234567890', null]);
  await refused(o.id, { status: 'cancelled' }, 'status', /return/);
  await refused(o.id, { status: 'confirmed' }, 'status', /forward only/);
  const d = await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'delivered' });
  assert.equal(d.delivered_at, AT);
  const done = await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'completed' });
  assert.equal(done.completed_at, AT);
  await refused(o.id, { status: 'delivered' }, 'status', /completed order/);
  await refused(o.id, { status: 'cancelled' }, 'status', /return|completed/);
  // A time the client knows is kept: the warehouse shipped yesterday.
  const o2 = await order();
  const s2 = await ok('PATCH', `/api/v1/orders/${o2.id}`, { status: 'shipped', shipped_at: '2026-03-14T16:30:00Z' });
  assert.equal(s2.shipped_at, '2026-03-14T16:30:00.000Z');
  assert.equal(s2.confirmed_at, null, 'a skipped step is not invented');
  await refused(o2.id, { status: 'nowhere' }, 'status', /one of/);
});

test('cancel only before shipping; a cancelled order reopens only as a draft', async () => {
  const o = await order();
  await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'confirmed' });
  const x = await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'cancelled' });
  assert.equal(x.cancelled_at, AT);
  await refused(o.id, { status: 'shipped' }, 'status', /reopened as a draft/);
  const back = await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'draft' });
  assert.deepEqual([back.status, back.cancelled_at], ['draft', null]);
});

test('payment status follows the paid amount, also when lines change the total; refunded stays', async () => {
  const o = await order([60000, 40000]);
  assert.equal(o.total_amount, 100000);
  assert.equal(o.payment_status, 'unpaid');
  const part = await ok('PATCH', `/api/v1/orders/${o.id}`, { paid_amount: 30000 });
  assert.deepEqual([part.payment_status, part.paid_at], ['partial', null]);
  const full = await ok('PATCH', `/api/v1/orders/${o.id}`, { paid_amount: 100000 });
  assert.deepEqual([full.payment_status, full.paid_at], ['paid', AT]);
  // Another line raises the total above what was paid: partly paid again.
  await ok('POST', '/api/v1/order_lines', { order_id: o.id, product_id: product.id, quantity: 1, unit_price: 25000 });
  const more = (await call('GET', `/api/v1/orders/${o.id}`)).body;
  assert.deepEqual([more.total_amount, more.payment_status], [125000, 'partial']);
  const lines = (await call('GET', `/api/v1/orders/${o.id}/order_lines`)).body.data;
  assert.equal((await call('DELETE', `/api/v1/order_lines/${lines[lines.length - 1].id}`)).status, 204);
  assert.equal((await call('GET', `/api/v1/orders/${o.id}`)).body.payment_status, 'paid', 'the line archived, the total is covered again');
  const r = await ok('PATCH', `/api/v1/orders/${o.id}`, { payment_status: 'refunded' });
  assert.equal(r.payment_status, 'refunded');
  const still = await ok('PATCH', `/api/v1/orders/${o.id}`, { paid_amount: 50000 });
  assert.equal(still.payment_status, 'refunded', "a refund is the client's word");
  await refused(o.id, { paid_amount: -1 }, 'paid_amount', /./);
  await refused(o.id, { paid_amount: '1000' }, 'paid_amount', /./);
  // An order nobody records payments on keeps the status set by hand.
  const hand = await order();
  const h = await ok('PATCH', `/api/v1/orders/${hand.id}`, { payment_status: 'paid' });
  assert.deepEqual([h.payment_status, h.paid_at], ['paid', AT]);
});

test('an order locks its lines when it ships, completes or is cancelled; reopening or unlocking frees them', async () => {
  const lines = async (id) => (await call('GET', `/api/v1/orders/${id}/order_lines`)).body.data;
  // Every way of changing a line of a locked order is refused with 409, and writes nothing.
  const frozen = async (o) => {
    const before = { order: (await call('GET', `/api/v1/orders/${o.id}`)).body, lines: await lines(o.id) };
    const line = before.lines[0];
    const tries = [
      ['POST', '/api/v1/order_lines', { order_id: o.id, product_id: product.id, quantity: 1, unit_price: 5000 }],
      ['PATCH', `/api/v1/order_lines/${line.id}`, { quantity: 7 }],
      ['DELETE', `/api/v1/order_lines/${line.id}`],
    ];
    for (const [m, p, json] of tries) {
      const r = await call(m, p, json ? { json } : {});
      assert.equal(r.status, 409, `${m} ${p}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'conflict');
      assert.match(r.body.error.message, new RegExp(`order ${o.id} is locked.*locked: false`));
    }
    // A line of an open order cannot be moved onto the locked one either.
    const open = await order([1000]);
    const mover = (await lines(open.id))[0];
    assert.equal((await call('PATCH', `/api/v1/order_lines/${mover.id}`, { json: { order_id: o.id } })).status, 409);
    assert.deepEqual({ order: (await call('GET', `/api/v1/orders/${o.id}`)).body, lines: await lines(o.id) }, before, 'nothing was written');
    assert.equal((await call('GET', `/api/v1/order_lines/${mover.id}`)).body.order_id, open.id);
  };

  const o = await order([60000, 40000]);
  assert.equal(o.locked, false, 'a new order is open');
  await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'confirmed' });
  await ok('POST', '/api/v1/order_lines', { order_id: o.id, product_id: product.id, quantity: 2, unit_price: 1000 });
  const shipped = await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'shipped' });
  assert.deepEqual([shipped.locked, shipped.total_amount], [true, 102000]);
  await frozen(shipped);
  // The rest of a shipped order still changes: payment, tracking, the next step.
  const paid = await ok('PATCH', `/api/v1/orders/${o.id}`, { paid_amount: 102000, tracking_number: 'SF99' });
  assert.deepEqual([paid.payment_status, paid.locked], ['paid', true]);
  // Unlocking is a change like any other: allowed, and in the audit log.
  const open = await ok('PATCH', `/api/v1/orders/${o.id}`, { locked: false });
  assert.equal(open.locked, false);
  await ok('PATCH', `/api/v1/order_lines/${(await lines(o.id))[0].id}`, { quantity: 2 });
  assert.equal((await call('GET', `/api/v1/orders/${o.id}`)).body.total_amount, 162000);
  const audit = (await call('GET', `/api/v1/orders/${o.id}/history`)).body.data;
  assert.ok(audit.some((h) => JSON.stringify(h.changes).includes('locked')), JSON.stringify(audit));
  // The next step locks it again.
  assert.equal((await ok('PATCH', `/api/v1/orders/${o.id}`, { status: 'delivered' })).locked, true);

  // Completed without shipping (a service), and cancelled: both lock.
  const svc = await order();
  assert.equal((await ok('PATCH', `/api/v1/orders/${svc.id}`, { status: 'completed' })).locked, true);
  await frozen(svc);
  const x = await order();
  await ok('PATCH', `/api/v1/orders/${x.id}`, { status: 'confirmed' });
  assert.equal((await ok('PATCH', `/api/v1/orders/${x.id}`, { status: 'cancelled' })).locked, true);
  await frozen(x);
  // Reopened as a draft, its lines can change again.
  assert.equal((await ok('PATCH', `/api/v1/orders/${x.id}`, { status: 'draft' })).locked, false);
  await ok('POST', '/api/v1/order_lines', { order_id: x.id, product_id: product.id, quantity: 1, unit_price: 1 });
  // A client may keep an order open in the request that moves it.
  const keep = await order();
  assert.equal((await ok('PATCH', `/api/v1/orders/${keep.id}`, { status: 'shipped', locked: false })).locked, false);

  // An old order recorded as completed starts open, to take its lines; then it can be locked by hand.
  const old = await ok('POST', '/api/v1/orders', { order_date: '2025-11-02', status: 'completed' });
  assert.equal(old.locked, false);
  await ok('POST', '/api/v1/order_lines', { order_id: old.id, product_id: product.id, quantity: 3, unit_price: 2000 });
  const sealed = await ok('PATCH', `/api/v1/orders/${old.id}`, { locked: true });
  assert.deepEqual([sealed.locked, sealed.total_amount], [true, 6000]);
  await frozen(sealed);

  // An import of lines takes them into open orders only: the locked order's row is a row error.
  const form = new FormData();
  form.append('entity', 'order_lines');
  const csv = `order_id,product_id,quantity,unit_price\r\n${x.order_number},服务器,1,700\r\n${sealed.order_number},服务器,1,700\r\n`;
  form.append('file', new Blob([csv]), 'lines.csv');
  const up = await srv.fetch('/api/v1/imports', { method: 'POST', token, body: form });
  assert.equal(up.status, 202);
  let job;
  for (let i = 0; i < 100 && !['done', 'failed'].includes(job?.status); i++) {
    await new Promise((done) => setTimeout(done, 100));
    job = (await call('GET', `/api/v1/imports/${(await up.clone().json()).id}`)).body;
  }
  assert.deepEqual([job.status, job.created, job.failed], ['done', 1, 1], JSON.stringify(job));
  const report = await (await srv.fetch(`/api/v1/imports/${job.id}/errors`, { token })).text();
  assert.match(report, new RegExp(`^3,.*order ${sealed.id} is locked`, 'm'));
  assert.equal((await call('GET', `/api/v1/orders/${sealed.id}`)).body.total_amount, 6000);
});

test('an accepted quote becomes a confirmed order with its confirmation time', async () => {
  const q = await ok('POST', '/api/v1/quotes', { name: '服务器报价' });
  await ok('POST', '/api/v1/quote_lines', { quote_id: q.id, product_id: product.id, quantity: 2 });
  const a = await ok('POST', `/api/v1/quotes/${q.id}/accept`);
  const o = (await call('GET', `/api/v1/orders/${a.order_id}`)).body;
  assert.deepEqual([o.status, o.confirmed_at, o.total_amount, o.payment_status], ['confirmed', AT, 200000, 'unpaid']);
});

test('a quote past its valid-until date is not accepted; a revision with a new date is', async () => {
  const q = await ok('POST', '/api/v1/quotes', { name: '过期报价', valid_until: '2026-03-14' });
  await ok('POST', '/api/v1/quote_lines', { quote_id: q.id, product_id: product.id, quantity: 1 });
  const orders = (await call('GET', '/api/v1/orders?count=1')).body.total;
  const late = await call('POST', `/api/v1/quotes/${q.id}/accept`);
  assert.equal(late.status, 409);
  assert.match(late.body.error.message, /expired on 2026-03-14/);
  assert.equal((await call('GET', '/api/v1/orders?count=1')).body.total, orders, 'no order was made');
  assert.equal((await call('GET', `/api/v1/quotes/${q.id}`)).body.status, 'draft');
  const rev = await ok('POST', `/api/v1/quotes/${q.id}/revise`);
  await ok('PATCH', `/api/v1/quotes/${rev.id}`, { valid_until: '2026-03-15' });
  const a = await ok('POST', `/api/v1/quotes/${rev.id}/accept`);
  assert.ok(a.order_id > 0, 'valid through its last day');
});
