// Leads that arrive by import are treated as leads that arrive one by one:
// after the bulk load a background job finds their duplicates (against
// leads and contacts, and within the file) and scores them with the rules'
// points. They keep the owner the import gives them (the file's, else the
// importing user's), as a lead entered with an owner does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

let srv, token;
const call = (m, p, o = {}) => srv.call(m, p, { token, ...o });
const post = async (p, json) => {
  const r = await call('POST', p, { json });
  assert.equal(r.status, 201, `${p}: ${JSON.stringify(r.body)}`);
  return r.body;
};
const until = async (what, fn) => {
  for (let i = 0; i < 150; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

before(async () => {
  srv = await startServer();
  token = await srv.login();
});
after(async () => { await srv.stop(); });

test('imported leads get duplicates and scores, as if entered one by one', async () => {
  const contact = await post('/api/v1/contacts', { name: '陈静', email: 'chen.jing@example.cn' });
  const earlier = await post('/api/v1/leads', { name: '刘洋', mobile: '13911112222', company: '云帆科技' });
  const csv = [
    'name,company,email,mobile,source,title,owner_id',
    '陈静,星河传媒,Chen.Jing@example.cn,,trade_show,市场总监,',
    '刘洋,云帆科技,,+86 139-1111-2222,referral,,1',
    '周敏,蓝海物流,zhou.min@example.cn,,trade_show,总经理,',
    '周敏,蓝海物流,zm2@example.cn,,web,,1',
  ].join('\n');
  const form = new FormData();
  form.append('entity', 'leads');
  form.append('file', new Blob([csv]), 'show.csv');
  const up = await srv.fetch('/api/v1/imports', { method: 'POST', token, body: form });
  assert.equal(up.status, 202, await up.clone().text());
  const job = await up.json();
  const done = await until('the import', async () => {
    const r = (await call('GET', `/api/v1/imports/${job.id}`)).body;
    return r.status === 'done' || r.status === 'failed' ? r : null;
  });
  assert.equal(done.status, 'done', JSON.stringify(done));
  const leads = await until('the imported leads to be scored', async () => {
    const r = (await call('GET', '/api/v1/leads?sort=id&limit=10')).body.data;
    return r.length === 5 && r.every((l) => l.score !== null) ? r : null;
  });
  const [, chen, liu, zhou, zhou2] = leads;
  assert.equal(chen.duplicate_of_contact_id, contact.id, 'the same e-mail in another case');
  assert.equal(liu.duplicate_of_lead_id, earlier.id, 'the same mobile written differently');
  assert.equal(zhou2.duplicate_of_lead_id, zhou.id, 'the same name at the same company, earlier in the file');
  assert.equal(zhou.duplicate_of_lead_id, null, 'the first of the two is the original');
  assert.equal(chen.owner_id, 1, 'the importing user, as for a lead entered by hand');
  assert.equal(liu.owner_id, 1);
  // The rule points, the same as a lead entered by hand gets.
  const byHand = await post('/api/v1/leads', { name: '对照', company: '对照公司', source: 'trade_show', title: '总经理', email: 'ref@example.cn' });
  assert.equal(zhou.rule_score, byHand.rule_score);
  assert.ok(zhou.rule_score > 0);
  const why = (await call('GET', `/api/v1/leads/${zhou.id}/score`)).body;
  assert.equal(why.rule_score, zhou.rule_score);
  const dups = (await call('GET', `/api/v1/leads/${chen.id}/duplicates`)).body.data;
  assert.ok(dups.some((d) => d.entity === 'contacts' && d.id === contact.id && d.reason === 'email'));
});
