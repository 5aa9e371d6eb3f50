// Bulk edit, assign, archive and restore (POST /api/v1/{entity}/bulk/...): one
// request and one transaction for many records, each record checked as a
// PATCH or DELETE of its own would be - scope, validation, versions, archived
// records - and reported one by one; "atomic" turns any failure into no change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

let srv, admin, rep, agent, analyst;
const PASSWORD = 'Bulk-horse-42';
const as = (who, m, p, json) => srv.call(m, p, { token: who.token ?? who, json });
const bulk = (who, entity, op, json) => as(who, 'POST', `/api/v1/${entity}/bulk/${op}`, json);

async function user(role) {
  const u = await as(admin, 'POST', '/api/v1/users', { username: `b_${role}`, role, password: PASSWORD });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  return { id: u.body.id, token: await srv.login(`b_${role}`, PASSWORD) };
}

async function contact(owner, name = `批量${Math.random().toString(36).slice(2, 8)}`) {
  const r = await as(admin, 'POST', '/api/v1/contacts', { name, owner_id: owner });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}
const get = async (entity, id) => (await as(admin, 'GET', `/api/v1/${entity}/${id}`)).body;

before(async () => {
  srv = await startServer();
  admin = await srv.login();
  rep = await user('sales_rep');
  agent = await user('service_agent');
  analyst = await user('analyst');
});
after(async () => { await srv.stop(); });

test('assigning three contacts is one request: each changes once, with its audit entry', async () => {
  const cs = [await contact(1), await contact(1), await contact(1)];
  const r = await bulk(admin, 'contacts', 'update', { ids: cs.map((c) => c.id), set: { owner_id: rep.id } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.changed, 3);
  assert.equal(r.body.failed, 0);
  assert.deepEqual(r.body.data.map((x) => [x.id, x.ok, x.version]), cs.map((c) => [c.id, true, c.version + 1]));
  for (const c of cs) {
    const now = await get('contacts', c.id);
    assert.equal(now.owner_id, rep.id);
    const h = (await as(admin, 'GET', `/api/v1/contacts/${c.id}/history`)).body.data;
    assert.ok(h.some((e) => e.action === 'update' && JSON.stringify(e.changes).includes('owner_id')), JSON.stringify(h));
  }
  // The rep now sees them as his own.
  const mine = (await as(rep, 'GET', `/api/v1/contacts?owner_id=${rep.id}&limit=10`)).body.data.map((x) => x.id);
  for (const c of cs) assert.ok(mine.includes(c.id));
});

test('each record is checked against the caller\'s scope: 403 for one he sees but may not edit, 404 for one he cannot see', async () => {
  // A service agent sees every customer but edits only his own.
  const own = await contact(agent.id), other = await contact(1);
  const r = await bulk(agent, 'contacts', 'update', { ids: [own.id, other.id], set: { city: '杭州' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.data.map((x) => [x.ok, x.status]), [[true, undefined], [false, 403]]);
  assert.equal(r.body.data[1].error.code, 'forbidden');
  assert.equal((await get('contacts', own.id)).city, '杭州');
  assert.equal((await get('contacts', other.id)).city, null);
  // A sales rep does not see others' contacts at all: as if they did not exist.
  const mine = await contact(rep.id);
  const r2 = await bulk(rep, 'contacts', 'archive', { ids: [other.id, mine.id] });
  assert.deepEqual(r2.body.data.map((x) => [x.id, x.ok, x.status]), [[other.id, false, 404], [mine.id, true, undefined]]);
  assert.equal((await get('contacts', other.id)).archived_at, null);
  assert.notEqual((await get('contacts', mine.id)).archived_at, null);
});

test('validation runs per record: a unique value fits one record, the other is refused with the field; atomic writes nothing', async () => {
  const mk = async (sku) => (await as(admin, 'POST', '/api/v1/products', { name: `产品${sku}`, sku, unit_price: 100 })).body;
  const [a, b] = [await mk('BULK-A'), await mk('BULK-B')];
  const atomic = await bulk(admin, 'products', 'update', { ids: [a.id, b.id], set: { sku: 'BULK-SAME' }, atomic: true });
  assert.ok(atomic.status === 409 || atomic.status === 422, `status ${atomic.status}`);
  assert.match(atomic.body.error.message, /1 of 2 records could not be changed; nothing was written/);
  assert.equal(atomic.body.changed, 0);
  assert.deepEqual(atomic.body.data.map((x) => x.ok), [true, false]);
  assert.ok(atomic.body.data[1].error.fields.sku, JSON.stringify(atomic.body.data[1]));
  assert.equal((await get('products', a.id)).sku, 'BULK-A', 'atomic: the record that passed was rolled back too');

  const some = await bulk(admin, 'products', 'update', { ids: [a.id, b.id], set: { sku: 'BULK-SAME' } });
  assert.equal(some.status, 200);
  assert.deepEqual([some.body.changed, some.body.failed], [1, 1]);
  assert.equal((await get('products', a.id)).sku, 'BULK-SAME');
  assert.equal((await get('products', b.id)).sku, 'BULK-B');
  assert.equal((await get('products', b.id)).version, b.version, 'the refused record is untouched');
});

test('versions guard each record as If-Match does; archived records must be restored first', async () => {
  const [c1, c2] = [await contact(1), await contact(1)];
  await as(admin, 'PATCH', `/api/v1/contacts/${c2.id}`, { title: '经理' }); // c2 moves on to version 2
  const r = await bulk(admin, 'contacts', 'update', { ids: [c1.id, c2.id], versions: [c1.version, c2.version], set: { department: '采购' } });
  assert.deepEqual(r.body.data.map((x) => [x.ok, x.status]), [[true, undefined], [false, 409]]);
  assert.match(r.body.data[1].error.message, /changed by someone else/);

  const arch = await bulk(admin, 'contacts', 'archive', { ids: [c1.id, c2.id] });
  assert.equal(arch.body.changed, 2);
  const again = await bulk(admin, 'contacts', 'archive', { ids: [c1.id] });
  assert.equal(again.body.data[0].ok, true, 'archiving an archived record changes nothing and is no error');
  assert.equal(again.body.data[0].version, arch.body.data[0].version);
  const edit = await bulk(admin, 'contacts', 'update', { ids: [c1.id], set: { department: '财务' } });
  assert.equal(edit.body.data[0].status, 409);
  const back = await bulk(admin, 'contacts', 'restore', { ids: [c1.id, c2.id] });
  assert.equal(back.body.changed, 2);
  assert.equal((await get('contacts', c1.id)).archived_at, null);
});

test('the route checks the action for the role before any record: analysts may not archive, only admins change users', async () => {
  const c = await contact(1);
  const r = await bulk(analyst, 'contacts', 'archive', { ids: [c.id] });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'forbidden');
  assert.equal((await get('contacts', c.id)).archived_at, null);
  assert.equal((await bulk(rep, 'users', 'update', { ids: [rep.id], set: { display_name: 'x' } })).status, 403);
});

test('bad requests are refused whole, with the member named, and write nothing', async () => {
  const c = await contact(1);
  const cases = [
    [{ ids: [c.id], set: { city: 'x' }, extra: 1 }, 400, 'extra'],
    [{ ids: [], set: { city: 'x' } }, 400, 'ids'],
    [{ ids: [c.id, c.id], set: { city: 'x' } }, 400, 'ids'],
    [{ ids: ['1'], set: { city: 'x' } }, 400, 'ids'],
    [{ ids: [0], set: { city: 'x' } }, 400, 'ids'],
    [{ ids: Array.from({ length: 501 }, (_, i) => i + 1), set: { city: 'x' } }, 400, 'ids'],
    [{ ids: [c.id], versions: [1, 2], set: { city: 'x' } }, 400, 'versions'],
    [{ ids: [c.id], set: { city: 'x' }, atomic: 'yes' }, 400, 'atomic'],
    [{ ids: [c.id] }, 400, 'set'],
    [{ ids: [c.id], set: {} }, 400, 'set'],
    [{ ids: [c.id], set: { city: 'x', version: 1 } }, 400, 'set'],
    [{ ids: [c.id], set: { no_such_field: 1 } }, 422, 'no_such_field'],
    [{ ids: [c.id], set: { email: 'not an address' } }, 422, 'email'],
    [{ ids: [c.id], set: { id: 5 } }, 422, 'id'],
  ];
  for (const [body, status, member] of cases) {
    const r = await bulk(admin, 'contacts', 'update', body);
    assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.body)}`);
    assert.ok(r.body.error.fields?.[member], `${member} named: ${JSON.stringify(r.body)}`);
  }
  assert.equal((await bulk(admin, 'contacts', 'archive', { ids: [c.id], set: { city: 'x' } })).status, 400);
  const raw = async (body, type = 'application/json') =>
    (await srv.fetch('/api/v1/contacts/bulk/update', { method: 'POST', token: admin, body, headers: { 'content-type': type } })).status;
  assert.equal(await raw('[1, 2]'), 400);
  assert.equal(await raw('{"ids": [1'), 400);
  assert.equal(await raw(Buffer.concat([Buffer.from(`{"ids": [${c.id}], "set": {"city": "`), Buffer.from([0xff]), Buffer.from('"}}')])), 400);
  assert.equal(await raw('ids=1', 'application/x-www-form-urlencoded'), 415);
  assert.equal((await bulk(admin, 'no_such_entity', 'update', { ids: [1], set: { a: 1 } })).status, 404);
  const now = await get('contacts', c.id);
  assert.equal(now.version, c.version);
  assert.equal(now.city, null);
});
