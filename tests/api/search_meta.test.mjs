// Global search (CJK-aware), /api/v1/meta and the OpenAPI document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startServer } from './lib/server.mjs';

let srv, token;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const search = async (q) => (await call('GET', `/api/v1/search?q=${encodeURIComponent(q)}`)).body.data;

before(async () => {
  srv = await startServer({ customers: 100 });
  token = await srv.login();
  await call('POST', '/api/v1/contacts', { json: { name: '张三丰', email: 'sanfeng@wudang.cn', mobile: '139-0000-1234' } });
  await call('POST', '/api/v1/leads', { json: { name: 'Zhang Wuji', company: '明教科技有限公司' } });
  await call('POST', '/api/v1/accounts', { json: { name: '武当山文旅集团' } });
});
after(async () => { await srv.stop(); });

test('Chinese substrings of any length find the record', async () => {
  for (const q of ['张三丰', '张三', '三丰', '丰']) {
    const hits = await search(q);
    assert.ok(hits.some((h) => h.entity === 'contacts' && h.title === '张三丰'), `'${q}' finds 张三丰`);
  }
  const hits = await search('明教');
  assert.ok(hits.some((h) => h.entity === 'leads' && h.record.company === '明教科技有限公司'));
  assert.ok((await search('武当山')).some((h) => h.entity === 'accounts'));
  assert.equal((await search('张四丰')).filter((h) => h.title === '张三丰').length, 0, 'no false hits');
});

test('e-mails, phones (with or without separators) and latin prefixes are found', async () => {
  assert.ok((await search('wudang')).some((h) => h.title === '张三丰'));
  assert.ok((await search('13900001234')).some((h) => h.title === '张三丰'), 'digits only');
  assert.ok((await search('0000-12')).some((h) => h.title === '张三丰'), 'as written');
  assert.ok((await search('Zh')).some((h) => h.title === 'Zhang Wuji'), 'a two-letter prefix');
  assert.ok((await search('wuji')).some((h) => h.title === 'Zhang Wuji'), 'case-insensitive');
});

test('search follows changes and archiving', async () => {
  const c = (await call('POST', '/api/v1/contacts', { json: { name: '欧阳锋' } })).body;
  assert.ok((await search('欧阳')).some((h) => h.id === c.id));
  await call('PATCH', `/api/v1/contacts/${c.id}`, { json: { name: '欧阳克' } });
  assert.ok(!(await search('阳锋')).some((h) => h.id === c.id), 'the old name is gone');
  assert.ok((await search('阳克')).some((h) => h.id === c.id));
  await call('DELETE', `/api/v1/contacts/${c.id}`);
  assert.ok(!(await search('欧阳克')).some((h) => h.id === c.id), 'archived records are not found');
});

test('search needs q and limits its answer', async () => {
  assert.equal((await call('GET', '/api/v1/search')).status, 400);
  assert.equal((await call('GET', '/api/v1/search?q=%20%20')).status, 400);
  assert.equal((await call('GET', '/api/v1/search?q=a&limit=1000')).status, 400);
  const r = await call('GET', '/api/v1/search?q=com&limit=3');
  assert.equal(r.status, 200);
  assert.ok(r.body.data.length <= 3);
});

test('meta describes every entity and field from the metadata', async () => {
  const r = await call('GET', '/api/v1/meta');
  assert.equal(r.status, 200);
  const names = r.body.entities.map((e) => e.name);
  for (const n of ['accounts', 'contacts', 'leads', 'opportunities', 'activities', 'cases', 'campaigns', 'products', 'orders', 'order_lines', 'users']) {
    assert.ok(names.includes(n), n);
  }
  const contacts = r.body.entities.find((e) => e.name === 'contacts');
  const f = Object.fromEntries(contacts.fields.map((x) => [x.name, x]));
  for (const n of ['id', 'name', 'title', 'account_id', 'email', 'phone', 'mobile', 'wechat', 'city', 'source', 'owner_id', 'tags', 'created_at', 'updated_at', 'created_by', 'version']) {
    assert.ok(f[n], `contacts.${n}`);
  }
  assert.equal(f.account_id.ref, 'accounts');
  assert.equal(f.name.required, true);
  assert.equal(f.mobile.personal, true);
  assert.equal(f.name.label['zh-CN'], '姓名');
  const users = r.body.entities.find((e) => e.name === 'users');
  assert.equal(users.fields.find((x) => x.name === 'password').writeonly, true);
  const accounts = r.body.entities.find((e) => e.name === 'accounts');
  assert.ok(accounts.related.some((x) => x.entity === 'contacts' && x.field === 'account_id'));
});

test('meta names every enum value in English and Chinese, most specific name first', async () => {
  const r = await call('GET', '/api/v1/meta');
  const field = (e, f) => r.body.entities.find((x) => x.name === e).fields.find((x) => x.name === f);
  const stage = field('opportunities', 'stage');
  assert.deepEqual(stage.value_labels.closed_won, { en: 'Closed won', 'zh-CN': '赢单' });
  assert.deepEqual(stage.value_labels.needs_analysis, { en: 'Needs analysis', 'zh-CN': '需求分析' });
  assert.equal(field('contacts', 'status').value_labels.active['zh-CN'], '活跃');
  assert.equal(field('campaigns', 'status').value_labels.active['zh-CN'], '进行中');
  assert.equal(field('accounts', 'industry').value_labels.it.en, 'IT');
  const missing = [];
  for (const e of r.body.entities)
    for (const f of e.fields.filter((x) => x.values)) {
      assert.deepEqual(Object.keys(f.value_labels), f.values, `${e.name}.${f.name}: one name per value, in order`);
      for (const v of f.values)
        if (!f.value_labels[v].en || !f.value_labels[v]['zh-CN'] || f.value_labels[v]['zh-CN'] === f.value_labels[v].en && /[a-z]{3}/.test(v))
          missing.push(`${e.name}.${f.name}.${v}`);
    }
  assert.deepEqual(missing, [], 'every value has a Chinese name of its own');
});

test('the OpenAPI document is valid OpenAPI 3.1 and covers every entity', async () => {
  const r = await call('GET', '/api/v1/openapi.json');
  assert.equal(r.status, 200);
  assert.equal(r.body.openapi, '3.1.0');
  const doc = structuredClone(r.body);
  await SwaggerParser.validate(doc); // throws with the reasons if invalid
  for (const p of ['/api/v1/contacts', '/api/v1/contacts/{id}', '/api/v1/accounts/{id}/contacts', '/api/v1/search', '/api/v1/auth/login']) {
    assert.ok(r.body.paths[p], p);
  }
  assert.ok(r.body.paths['/api/v1/contacts'].post.requestBody);
  assert.deepEqual(r.body.components.schemas.contacts_create.required, ['name']);
});

test('meta and OpenAPI need a token like every other API route', async () => {
  assert.equal((await srv.call('GET', '/api/v1/meta')).status, 401);
  assert.equal((await srv.call('GET', '/api/v1/openapi.json')).status, 401);
});
