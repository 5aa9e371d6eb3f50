// Bad input through HTTP: every kind gets the documented error body with the
// right status and the field at fault, and nothing is written (read back).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

let srv, token, account;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });

before(async () => {
  srv = await startServer({ args: ['--max-body', '65536'] });
  token = await srv.login();
  account = (await call('POST', '/api/v1/accounts', { json: { name: 'Existing' } })).body;
});
after(async () => { await srv.stop(); });

/** Counts the contacts, archived ones included: the proof that nothing was written. */
async function contactCount() {
  const r = await call('GET', '/api/v1/contacts?count=1&limit=1&archived=include');
  return r.body.total;
}

function assertError(r, status, code, field) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(typeof r.body, 'object');
  assert.equal(r.body.error.code, code);
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 0);
  if (field) assert.ok(r.body.error.fields && r.body.error.fields[field], `field ${field} named in ${JSON.stringify(r.body)}`);
}

const bodies = [
  ['malformed JSON', '{"name": "x",', 400, 'invalid_json'],
  ['JSON that is not an object', '["name"]', 400, 'invalid_json'],
  ['a bare string', '"hello"', 400, 'invalid_json'],
  ['an empty body', '', 400, 'invalid_json'],
  ['duplicate keys', '{"name":"a","name":"b"}', 400, 'invalid_json'],
  ['too deep JSON', '{"name":' + '['.repeat(100) + ']'.repeat(100) + '}', 400, 'invalid_json'],
  ['a string with a NUL', '{"name":"a\\u0000b"}', 400, 'invalid_json'],
];
for (const [what, body, status, code] of bodies) {
  test(`create with ${what} is refused and writes nothing`, async () => {
    const before = await contactCount();
    const r = await call('POST', '/api/v1/contacts', { json: body });
    assertError(r, status, code);
    assert.equal(await contactCount(), before);
  });
}

test('invalid UTF-8 in the body is refused', async () => {
  const before = await contactCount();
  const bytes = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
  const r = await call('POST', '/api/v1/contacts', { body: bytes, headers: { 'content-type': 'application/json' } });
  assertError(r, 400, 'invalid_json');
  assert.match(r.body.error.message, /UTF-8/);
  assert.equal(await contactCount(), before);
});

const fields = [
  ['a wrong type', { name: 123 }, 'name'],
  ['a missing required field', { title: 'CEO' }, 'name'],
  ['an unknown field', { name: 'x', favourite_colour: 'red' }, 'favourite_colour'],
  ['a read-only field', { name: 'x', id: 5 }, 'id'],
  ['a string over its max length', { name: '长'.repeat(101) }, 'name'],
  ['an invalid e-mail', { name: 'x', email: 'not-an-email' }, 'email'],
  ['an e-mail with two @', { name: 'x', email: 'a@b@c.com' }, 'email'],
  ['an invalid phone', { name: 'x', mobile: '12ab' }, 'mobile'],
  ['an invalid date', { name: 'x', birthday: '2026-02-30' }, 'birthday'],
  ['a date in another format', { name: 'x', birthday: '30/01/2026' }, 'birthday'],
  ['an enum value that does not exist', { name: 'x', gender: 'robot' }, 'gender'],
  ['a reference to a record that does not exist', { name: 'x', account_id: 999999 }, 'account_id'],
  ['a reference of the wrong type', { name: 'x', account_id: '1' }, 'account_id'],
  ['a boolean that is a string', { name: 'x', do_not_contact: 'yes' }, 'do_not_contact'],
  ['tags that are not a list', { name: 'x', tags: 'vip' }, 'tags'],
  ['a control character in a name', { name: 'a\u0007b' }, 'name'],
  ['a nested object as a value', { name: { first: 'x' } }, 'name'],
];
for (const [what, json, field] of fields) {
  test(`create with ${what} gets 422 naming ${field}, and writes nothing`, async () => {
    const before = await contactCount();
    const r = await call('POST', '/api/v1/contacts', { json });
    assertError(r, 422, 'validation_failed', field);
    assert.equal(await contactCount(), before);
  });
}

test('every fault in a body is reported at once', async () => {
  const r = await call('POST', '/api/v1/contacts', { json: { email: 'bad', mobile: 'bad', nope: 1 } });
  assertError(r, 422, 'validation_failed');
  assert.deepEqual(Object.keys(r.body.error.fields).sort(), ['email', 'mobile', 'name', 'nope']);
});

test('money must be integer minor units', async () => {
  const r = await call('POST', '/api/v1/opportunities', { json: { name: 'x', account_id: account.id, amount: 12.5 } });
  assertError(r, 422, 'validation_failed', 'amount');
  const neg = await call('POST', '/api/v1/opportunities', { json: { name: 'x', account_id: account.id, amount: -1 } });
  assertError(neg, 422, 'validation_failed', 'amount');
});

test('a failed update writes nothing, not even the valid fields', async () => {
  const c = (await call('POST', '/api/v1/contacts', { json: { name: 'Keep Me', title: 'Before' } })).body;
  const r = await call('PATCH', `/api/v1/contacts/${c.id}`, { json: { title: 'After', email: 'broken' } });
  assertError(r, 422, 'validation_failed', 'email');
  const back = (await call('GET', `/api/v1/contacts/${c.id}`)).body;
  assert.equal(back.title, 'Before');
  assert.equal(back.version, 1);
  const nullRequired = await call('PATCH', `/api/v1/contacts/${c.id}`, { json: { name: null } });
  assertError(nullRequired, 422, 'validation_failed', 'name');
});

test('a body over the limit gets 413 and writes nothing', async () => {
  const before = await contactCount();
  const r = await call('POST', '/api/v1/contacts', { json: { name: 'x', description: 'y'.repeat(70000) } });
  assertError(r, 413, 'payload_too_large');
  assert.equal(await contactCount(), before);
});

test('a body that is not JSON by its content type gets 415', async () => {
  const r = await call('POST', '/api/v1/contacts', { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assertError(r, 415, 'unsupported_media_type');
});

test('unknown filter fields and operators, bad limits and bad cursors get 400 naming the parameter', async () => {
  const cases = [
    ['/api/v1/contacts?favourite=1', 'favourite'],
    ['/api/v1/contacts?name[regex]=x', 'name[regex]'],
    ['/api/v1/contacts?password=x', 'password'],
    ['/api/v1/users?password=x', 'password'],
    ['/api/v1/contacts?limit=0', 'limit'],
    ['/api/v1/contacts?limit=501', 'limit'],
    ['/api/v1/contacts?limit=ten', 'limit'],
    ['/api/v1/contacts?cursor=not-a-cursor', 'cursor'],
    ['/api/v1/contacts?cursor=' + Buffer.from('{"s":"-id","v":["x"]}').toString('base64url'), 'cursor'],
    ['/api/v1/contacts?sort=description', 'sort'],
    ['/api/v1/contacts?sort=nope', 'sort'],
    ['/api/v1/contacts?id[gt]=abc', 'id[gt]'],
    ['/api/v1/contacts?birthday=yesterday', 'birthday'],
    ['/api/v1/contacts?gender[in]=male,robot', 'gender[in]'],
    ['/api/v1/contacts?archived=maybe', 'archived'],
    ['/api/v1/contacts?do_not_contact=perhaps', 'do_not_contact'],
  ];
  for (const [path, field] of cases) {
    const r = await call('GET', path);
    assertError(r, 400, 'bad_request', field);
  }
});

test('a query parameter a route does not take gets 400 naming it, before the route does anything', async () => {
  const contact = (await call('POST', '/api/v1/contacts', { json: { name: '参数检查' } })).body;
  const cases = [
    ['GET', '/api/v1/search?q=x&limt=5', 'limt', /takes q limit$/],
    ['GET', '/api/v1/meta?lang=zh', 'lang', /takes none/],
    ['GET', `/api/v1/contacts/${contact.id}?fields=name`, 'fields', /takes none/],
    ['GET', `/api/v1/contacts/${contact.id}/summary?since=2026-01-01`, 'since', /takes none/],
    ['GET', `/api/v1/contacts/${contact.id}/history?limit=5&page=2`, 'page', /takes limit cursor$/],
    ['POST', '/api/v1/dedupe/contacts?thresold=0.5', 'thresold', /takes threshold limit$/],
    ['GET', '/api/v1/audit?entity=contacts&recordid=1', 'recordid', /record_id/],
  ];
  for (const [m, path, field, re] of cases) {
    const r = await call(m, path);
    assertError(r, 400, 'bad_request', field);
    assert.match(r.body.error.fields[field], re, path);
  }
  // One whose name is not UTF-8 is named "query": the error body carries no bytes that are not UTF-8.
  const res = await srv.fetch('/api/v1/search?q=x&%C3%28=1', { token });
  assert.equal(res.status, 400);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(await res.arrayBuffer());
  assert.equal(JSON.parse(text).error.fields.query, 'is not valid UTF-8');
  // A write with one is refused before anything is written.
  const r = await call('PATCH', `/api/v1/contacts/${contact.id}?force=1`, { json: { name: '改了' } });
  assertError(r, 400, 'bad_request', 'force');
  const after = (await call('GET', `/api/v1/contacts/${contact.id}`)).body;
  assert.deepEqual([after.name, after.version], ['参数检查', 1]);
  const n = await contactCount();
  assertError(await call('POST', '/api/v1/contacts?dry=1', { json: { name: '不该写入' } }), 400, 'bad_request', 'dry');
  assert.equal(await contactCount(), n);
  // The parameters a route declares are in the OpenAPI document.
  const doc = (await call('GET', '/api/v1/openapi.json')).body;
  const params = doc.paths['/api/v1/search'].get.parameters.map((p) => [p.name, p.required]);
  assert.deepEqual(params, [['q', true], ['limit', false]]);
});

test('a body that is not a record refuses members it does not take, naming them, and writes nothing', async () => {
  const a = (await call('POST', '/api/v1/accounts', { json: { name: '成员检查' } })).body;
  const lead = (await call('POST', '/api/v1/leads', { json: { name: '线索', company: '公司' } })).body;
  const camp = (await call('POST', '/api/v1/campaigns', { json: { name: '活动' } })).body;
  const cases = [
    ['/api/v1/sales/scores', { entity: 'accounts', name: 'churn_risk', scores: [{ id: a.id, value: 0.9 }], weight: 2 }, 'weight', 'entity, name, scores'],
    ['/api/v1/service/care/run', { day: '2026-01-01', dry: true }, 'dry', 'day'],
    [`/api/v1/leads/${lead.id}/convert`, { account_id: a.id, keep_lead: true }, 'keep_lead', 'account_id, contact_id, opportunity'],
    [`/api/v1/campaigns/${camp.id}/members`, { entity: 'accounts', ids: [a.id], note: 'x' }, 'note', 'entity, filter, ids, segment, by'],
    ['/api/v1/dedupe/accounts/merge', { winner: a.id, losers: [a.id], why: 'x' }, 'why', 'winner, losers, fields'],
    ['/api/v1/auth/login', { username: 'admin', password: 'x', remember: true }, 'remember', 'username, password'],
  ];
  for (const [path, json, member, names] of cases) {
    const r = await call('POST', path, { json });
    assertError(r, 422, 'validation_failed', member);
    assert.equal(r.body.error.fields[member], `unknown member (${names})`, path);
  }
  assert.equal((await call('GET', `/api/v1/leads/${lead.id}`)).body.status, lead.status, 'the lead was not converted');
  assert.equal((await call('GET', `/api/v1/campaigns/${camp.id}/campaign_members`)).body.data.length, 0);
});

test('invalid UTF-8 in a query parameter gets 400', async () => {
  const r = await call('GET', '/api/v1/contacts?name=%C3%28');
  assertError(r, 400, 'bad_request');
  const s = await call('GET', '/api/v1/search?q=%FF%FE');
  assertError(s, 400, 'bad_request', 'q');
});

test('SQL injection text in every parameter is data, never SQL', async () => {
  const evil = "x' OR '1'='1'; DROP TABLE contacts; --";
  const c = await call('POST', '/api/v1/contacts', { json: { name: evil, title: evil, city: evil } });
  assert.equal(c.status, 201);
  assert.equal(c.body.name, evil);
  const byName = await call('GET', `/api/v1/contacts?name=${encodeURIComponent(evil)}`);
  assert.equal(byName.body.data.length, 1);
  const like = await call('GET', `/api/v1/contacts?name[like]=${encodeURIComponent("%' OR 1=1 --")}`);
  assert.equal(like.status, 200);
  assert.equal(like.body.data.length, 0);
  const inj = await call('GET', `/api/v1/contacts?city[in]=${encodeURIComponent("a','b') OR (1=1")}`);
  assert.equal(inj.status, 200);
  assert.equal(inj.body.data.length, 0);
  const sortInj = await call('GET', `/api/v1/contacts?sort=${encodeURIComponent('name; DROP TABLE contacts')}`);
  assertError(sortInj, 400, 'bad_request', 'sort');
  const fieldInj = await call('GET', `/api/v1/contacts?${encodeURIComponent('name=1 OR 1')}=1`);
  assert.equal(fieldInj.status, 400);
  const search = await call('GET', `/api/v1/search?q=${encodeURIComponent('" OR 1 --')}`);
  assert.equal(search.status, 200);
  const path = await call('GET', `/api/v1/${encodeURIComponent('contacts; DROP TABLE contacts')}`);
  assert.equal(path.status, 404);
  assert.ok((await contactCount()) > 0, 'the table is still there');
});

test('ids in paths must be positive integers', async () => {
  for (const p of ['/api/v1/contacts/0', '/api/v1/contacts/-1', '/api/v1/contacts/1.5', '/api/v1/contacts/abc', '/api/v1/contacts/99999999999999999999']) {
    const r = await call('GET', p);
    assertError(r, 404, 'not_found');
  }
});

test('If-Match that is not a version gets 400', async () => {
  const c = (await call('POST', '/api/v1/contacts', { json: { name: 'Etag' } })).body;
  const r = await call('PATCH', `/api/v1/contacts/${c.id}`, { json: { title: 'x' }, headers: { 'if-match': 'banana' } });
  assertError(r, 400, 'bad_request');
});
