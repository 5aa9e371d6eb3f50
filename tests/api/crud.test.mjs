// Generic CRUD through HTTP: create, read, update with optimistic concurrency,
// archive and restore, lists with filters, operators, sort, keyset paging and
// counts, related lists, and the domain rules that run on the write path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

let srv, token;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });

before(async () => {
  srv = await startServer();
  token = await srv.login();
});
after(async () => { await srv.stop(); });

test('create returns 201, Location, ETag and the stored record', async () => {
  const r = await call('POST', '/api/v1/accounts', { json: { name: '上海华信科技有限公司', city: '上海', industry: 'it' } });
  assert.equal(r.status, 201);
  assert.match(r.headers.get('location'), /^\/api\/v1\/accounts\/\d+$/);
  assert.equal(r.headers.get('etag'), '"1"');
  assert.equal(r.body.name, '上海华信科技有限公司');
  assert.equal(r.body.type, 'customer', 'the default of an enum applies');
  assert.equal(r.body.currency, 'CNY');
  assert.equal(r.body.version, 1);
  assert.equal(r.body.archived_at, null);
  assert.ok(r.body.owner_id >= 1, 'the creator owns the record');
  assert.match(r.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const back = await call('GET', r.headers.get('location'));
  assert.equal(back.status, 200);
  assert.deepEqual(back.body, r.body);
});

test('PATCH changes only the given fields, bumps the version, and refuses a stale If-Match with 409', async () => {
  const c = (await call('POST', '/api/v1/contacts', { json: { name: '张三丰', email: 'Zhang@Example.COM', mobile: '138 1234 5678' } })).body;
  assert.equal(c.email, 'zhang@example.com', 'e-mail addresses are stored lower-case');
  const p = await call('PATCH', `/api/v1/contacts/${c.id}`, { json: { title: '总经理' }, headers: { 'if-match': '"1"' } });
  assert.equal(p.status, 200);
  assert.equal(p.body.title, '总经理');
  assert.equal(p.body.version, 2);
  assert.equal(p.body.mobile, '138 1234 5678');
  assert.equal(p.headers.get('etag'), '"2"');
  const stale = await call('PATCH', `/api/v1/contacts/${c.id}`, { json: { title: '董事长' }, headers: { 'if-match': '"1"' } });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, 'conflict');
  const now = await call('GET', `/api/v1/contacts/${c.id}`);
  assert.equal(now.body.title, '总经理', 'the refused change was not written');
  // A PATCH that changes nothing does not make a new version.
  const same = await call('PATCH', `/api/v1/contacts/${c.id}`, { json: { title: '总经理' } });
  assert.equal(same.body.version, 2);
  // The version may also travel in the body.
  const viaBody = await call('PATCH', `/api/v1/contacts/${c.id}`, { json: { title: 'CEO', version: 1 } });
  assert.equal(viaBody.status, 409);
});

test('DELETE archives: the record leaves lists but can be read, listed on request and restored', async () => {
  const c = (await call('POST', '/api/v1/contacts', { json: { name: 'Archive Me', city: 'ArchiveCity' } })).body;
  const d = await call('DELETE', `/api/v1/contacts/${c.id}`);
  assert.equal(d.status, 204);
  assert.equal((await call('DELETE', `/api/v1/contacts/${c.id}`)).status, 204, 'archiving twice is harmless');
  const list = await call('GET', '/api/v1/contacts?city=ArchiveCity');
  assert.equal(list.body.data.length, 0);
  const withArchived = await call('GET', '/api/v1/contacts?city=ArchiveCity&archived=include');
  assert.equal(withArchived.body.data.length, 1);
  const got = await call('GET', `/api/v1/contacts/${c.id}`);
  assert.equal(got.status, 200);
  assert.ok(got.body.archived_at);
  const edit = await call('PATCH', `/api/v1/contacts/${c.id}`, { json: { title: 'x' } });
  assert.equal(edit.status, 409, 'archived records are read-only until restored');
  const restored = await call('POST', `/api/v1/contacts/${c.id}/restore`);
  assert.equal(restored.status, 200);
  assert.equal(restored.body.archived_at, null);
  assert.equal((await call('GET', '/api/v1/contacts?city=ArchiveCity')).body.data.length, 1);
});

test('missing records are 404 with the error body', async () => {
  for (const [m, p] of [['GET', '/api/v1/contacts/999999'], ['PATCH', '/api/v1/contacts/999999'], ['DELETE', '/api/v1/contacts/999999'], ['GET', '/api/v1/accounts/999999/contacts']]) {
    const r = await call(m, p, m === 'PATCH' ? { json: { title: 'x' } } : {});
    assert.equal(r.status, 404, `${m} ${p}`);
    assert.equal(r.body.error.code, 'not_found');
  }
});

test('lists filter by equality and operators, sort, and page with a cursor until the end', async () => {
  const tag = `T${Date.now()}`;
  const made = [];
  for (let i = 0; i < 23; i++) {
    const r = await call('POST', '/api/v1/opportunities', {
      json: { name: `${tag}-${String(i).padStart(2, '0')}`, account_id: await accountId(), amount: i * 1000, stage: i % 2 ? 'proposal' : 'negotiation' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.push(r.body);
  }
  const base = `/api/v1/opportunities?name[like]=${tag}%25`;
  const all = await call('GET', `${base}&limit=500&count=1`);
  assert.equal(all.body.total, 23);
  assert.equal(all.body.next_cursor, null);
  const gte = await call('GET', `${base}&amount[gte]=20000`);
  assert.deepEqual(gte.body.data.map((o) => o.amount).sort((a, b) => a - b), [20000, 21000, 22000]);
  const inStage = await call('GET', `${base}&stage[in]=proposal&limit=500`);
  assert.equal(inStage.body.data.length, 11);
  assert.ok(inStage.body.data.every((o) => o.stage === 'proposal' && o.probability === 60 && o.status === 'open'));
  const ne = await call('GET', `${base}&stage[ne]=proposal&limit=500`);
  assert.equal(ne.body.data.length, 12);
  // Keyset paging by amount descending, 5 a page: every record once, in order.
  const seen = [];
  let cursor = null, pages = 0;
  do {
    const r = await call('GET', `${base}&sort=-amount&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    seen.push(...r.body.data.map((o) => o.amount));
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 5);
  assert.deepEqual(seen, made.map((o) => o.amount).sort((a, b) => b - a));
  // Sorting by a field with NULLs and ties still pages through everything exactly once.
  const names = [];
  cursor = null;
  do {
    const r = await call('GET', `${base}&sort=lost_reason,-stage&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
    names.push(...r.body.data.map((o) => o.name));
    cursor = r.body.next_cursor;
  } while (cursor);
  assert.equal(new Set(names).size, 23);
  assert.equal(names.length, 23);
  // A cursor only fits the sort it was made for.
  const first = await call('GET', `${base}&sort=-amount&limit=5`);
  const wrong = await call('GET', `${base}&sort=name&cursor=${first.body.next_cursor}`);
  assert.equal(wrong.status, 400);
  assert.ok(wrong.body.error.fields.cursor);
});

let acct;
async function accountId() {
  if (!acct) acct = (await call('POST', '/api/v1/accounts', { json: { name: 'Pipeline Co' } })).body.id;
  return acct;
}

test('related lists follow the reference fields', async () => {
  const a = (await call('POST', '/api/v1/accounts', { json: { name: '北京鼎盛贸易有限公司' } })).body;
  for (const n of ['李雷', '韩梅梅']) await call('POST', '/api/v1/contacts', { json: { name: n, account_id: a.id } });
  await call('POST', '/api/v1/contacts', { json: { name: 'Elsewhere' } });
  const r = await call('GET', `/api/v1/accounts/${a.id}/contacts?sort=name`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data.map((c) => c.name).sort(), ['李雷', '韩梅梅'].sort());
  const none = await call('GET', `/api/v1/accounts/${a.id}/products`);
  assert.equal(none.status, 404, 'products have no reference to accounts');
});

test('tags are stored as a list and filtered by membership', async () => {
  const c = (await call('POST', '/api/v1/contacts', { json: { name: 'Tagged', tags: ['VIP', ' 老客户 ', 'VIP'] } })).body;
  assert.deepEqual(c.tags, ['VIP', '老客户']);
  const r = await call('GET', `/api/v1/contacts?tags=${encodeURIComponent('老客户')}`);
  assert.ok(r.body.data.some((x) => x.id === c.id));
  const r2 = await call('GET', '/api/v1/contacts?tags=VI');
  assert.ok(!r2.body.data.some((x) => x.id === c.id), 'a tag matches whole, not as a prefix');
});

test('orders: numbers are assigned, line amounts and order totals follow the lines', async () => {
  const p = (await call('POST', '/api/v1/products', { json: { name: '智能网关', sku: `GW-${Date.now()}`, unit_price: 230000 } })).body;
  const o = (await call('POST', '/api/v1/orders', { json: { order_date: '2026-03-01' } })).body;
  assert.match(o.order_number, /^SO-\d{6}$/);
  assert.equal(o.total_amount, 0);
  const l1 = (await call('POST', '/api/v1/order_lines', { json: { order_id: o.id, product_id: p.id, quantity: 3, discount: 10 } })).body;
  assert.equal(l1.unit_price, 230000, 'the product price is the default');
  assert.equal(l1.amount, 621000);
  const l2 = (await call('POST', '/api/v1/order_lines', { json: { order_id: o.id, product_id: p.id, quantity: 1, unit_price: 99 } })).body;
  assert.equal((await call('GET', `/api/v1/orders/${o.id}`)).body.total_amount, 621099);
  await call('PATCH', `/api/v1/order_lines/${l2.id}`, { json: { quantity: 2 } });
  assert.equal((await call('GET', `/api/v1/orders/${o.id}`)).body.total_amount, 621198);
  await call('DELETE', `/api/v1/order_lines/${l1.id}`);
  assert.equal((await call('GET', `/api/v1/orders/${o.id}`)).body.total_amount, 198);
  const lines = await call('GET', `/api/v1/orders/${o.id}/order_lines`);
  assert.equal(lines.body.data.length, 1);
});

test('cases get numbers; resolving stamps resolved_at; opportunities follow their stage', async () => {
  const c = (await call('POST', '/api/v1/cases', { json: { subject: '无法登录系统', type: 'complaint', priority: 'high' } })).body;
  assert.match(c.case_number, /^CS-\d{6}$/);
  assert.equal(c.status, 'new');
  const r = (await call('PATCH', `/api/v1/cases/${c.id}`, { json: { status: 'resolved', satisfaction: 5 } })).body;
  assert.ok(r.resolved_at);
  const opp = (await call('POST', '/api/v1/opportunities', { json: { name: 'Deal', account_id: await accountId(), stage: 'negotiation' } })).body;
  assert.equal(opp.probability, 80);
  const won = (await call('PATCH', `/api/v1/opportunities/${opp.id}`, { json: { stage: 'closed_won' } })).body;
  assert.equal(won.status, 'won');
  assert.equal(won.probability, 100);
  assert.ok(won.closed_at);
});

test('users are admin-only to change, never show their password, and new users can log in', async () => {
  const u = await call('POST', '/api/v1/users', { json: { username: 'rep1', role: 'sales_rep', password: 'Secret-pass-42' } });
  assert.equal(u.status, 201);
  assert.equal(u.body.password, undefined);
  const repToken = await srv.login('rep1', 'Secret-pass-42');
  const denied = await srv.call('POST', '/api/v1/users', { token: repToken, json: { username: 'rep2', role: 'admin', password: 'x2345678' } });
  assert.equal(denied.status, 403);
  const list = await srv.call('GET', '/api/v1/users?username=rep2', { token });
  assert.equal(list.body.data.length, 0, 'the refused user was not created');
  const dup = await call('POST', '/api/v1/users', { json: { username: 'rep1', role: 'sales_rep', password: 'another-pass' } });
  assert.equal(dup.status, 409);
  assert.ok(dup.body.error.fields.username);
});

test('names sort by pinyin, Chinese and Latin together from A to Z, page by page, both ways; renaming moves a record', async () => {
  const names = ['张伟', 'Zoe', '西安客户', '阿里', '北京大学', 'Alice', '先锋', '章伟', '李娜'];
  const ids = {};
  for (const name of names) ids[name] = (await call('POST', '/api/v1/contacts', { json: { name, city: 'PinyinCity' } })).body.id;
  const expected = ['阿里', 'Alice', '北京大学', '李娜', '西安客户', '先锋', '张伟', '章伟', 'Zoe'];
  const walk = async (sort) => {
    const seen = [];
    let cursor = '';
    for (let pages = 0; pages < 10; pages++) {
      const r = await call('GET', `/api/v1/contacts?city=PinyinCity&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      seen.push(...r.body.data.map((c) => c.name));
      if (!r.body.next_cursor) break;
      cursor = r.body.next_cursor;
    }
    return seen;
  };
  assert.deepEqual(await walk('name'), expected);
  assert.deepEqual(await walk('-name'), [...expected].reverse());
  const one = (await call('GET', `/api/v1/contacts/${ids['李娜']}`)).body;
  assert.equal(one.sort_key, undefined, 'the sort key is never shown');
  assert.equal((await call('PATCH', `/api/v1/contacts/${ids['李娜']}`, { json: { sort_key: 'a' } })).status, 422, 'nor set');
  await call('PATCH', `/api/v1/contacts/${ids['李娜']}`, { json: { name: '安娜' } });
  assert.deepEqual((await walk('name')).slice(0, 4), ['阿里', 'Alice', '安娜', '北京大学'], 'an na comes after a li and alice');
  const history = await call('GET', `/api/v1/contacts/${ids['李娜']}/history`);
  assert.ok(!JSON.stringify(history.body).includes('sort_key'), 'the history shows the name, not its key');
});
