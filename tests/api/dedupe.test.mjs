// Duplicates: the scan finds the same person written another way (traditional
// characters, another phone format, e-mail case) and not a namesake; a merge
// moves related records and archives the loser with a pointer, in one audited
// transaction; undo puts everything back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, kehu } from './lib/server.mjs';

const sql = (db, q) => execFileSync('sqlite3', [db, q]).toString().trim();

async function make(srv, token, entity, json) {
  const r = await srv.call('POST', `/api/v1/${entity}`, { token, json });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

test('scan, merge, undo', async () => {
  const srv = await startServer();
  try {
    const token = await srv.login();
    const acc = await make(srv, token, 'accounts', { name: '华为技术有限公司' });
    const a = await make(srv, token, 'contacts', { name: '张伟', mobile: '138-1234-5678', email: 'zw@huawei.com', city: '深圳', account_id: acc.id });
    const b = await make(srv, token, 'contacts', { name: '張偉', mobile: '+86 138 1234 5678', email: 'ZW@Huawei.com', city: '深圳', title: '采购经理' });
    const c = await make(srv, token, 'contacts', { name: '张 伟', mobile: '13812345678', city: '深圳', wechat: 'zhangwei88' });
    const namesake = await make(srv, token, 'contacts', { name: '张伟', mobile: '13900000000', email: 'other@x.cn', city: '深圳' });
    await make(srv, token, 'contacts', { name: '李娜', mobile: '13700000000', city: '北京' });
    const act = await make(srv, token, 'activities', { type: 'call', subject: '电话回访', contact_id: b.id });
    const opp = await make(srv, token, 'opportunities', { name: '交换机采购', account_id: acc.id, contact_id: c.id });
    const order = await make(srv, token, 'orders', { contact_id: b.id, order_date: '2026-01-15', status: 'confirmed' });
    const kase = await make(srv, token, 'cases', { subject: '交换机故障', status: 'new', contact_id: c.id });

    let r = await srv.call('POST', '/api/v1/dedupe/contacts', { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.scanned, 5);
    assert.equal(r.body.clusters, 1);
    const cluster = r.body.data[0];
    assert.deepEqual(cluster.ids, [a.id, b.id, c.id]);
    assert.ok(cluster.score >= 0.9, String(cluster.score));
    assert.ok(!cluster.ids.includes(namesake.id), 'a namesake with other phone and e-mail is not a duplicate');
    const ab = cluster.pairs.find((p) => p.a === a.id && p.b === b.id);
    assert.deepEqual(ab.reasons.sort(), ['city', 'email', 'name', 'phone']);
    assert.equal(cluster.records.length, 3);
    r = await srv.call('POST', '/api/v1/dedupe/contacts?threshold=2', { token });
    assert.equal(r.status, 400);

    // Merge b and c into a, taking b's title explicitly (a has none anyway) and keeping a's e-mail.
    r = await srv.call('POST', '/api/v1/dedupe/contacts/merge', { token, json: { winner: a.id, losers: [b.id, c.id], fields: { title: b.id } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const merge = r.body;
    assert.equal(r.headers.get('location'), `/api/v1/merges/${merge.id}`);
    assert.equal(merge.moved, 4, 'the call, the deal, the order and the case');
    const winner = (await srv.call('GET', `/api/v1/contacts/${a.id}`, { token })).body;
    assert.equal(winner.title, '采购经理');
    assert.equal(winner.wechat, 'zhangwei88', 'an empty field is filled from a loser');
    assert.equal(winner.email, 'zw@huawei.com');
    assert.equal((await srv.call('GET', `/api/v1/activities/${act.id}`, { token })).body.contact_id, a.id);
    assert.equal((await srv.call('GET', `/api/v1/opportunities/${opp.id}`, { token })).body.contact_id, a.id);
    assert.equal((await srv.call('GET', `/api/v1/orders/${order.id}`, { token })).body.contact_id, a.id);
    assert.equal((await srv.call('GET', `/api/v1/cases/${kase.id}`, { token })).body.contact_id, a.id);
    for (const loser of [b, c])
      assert.ok((await srv.call('GET', `/api/v1/contacts/${loser.id}`, { token })).body.archived_at);
    assert.equal(sql(srv.db, `SELECT record_id, winner_id FROM kh_merged WHERE merge_id = ${merge.id} ORDER BY record_id`),
      `${b.id}|${a.id}\n${c.id}|${a.id}`);
    assert.equal(sql(srv.db, `SELECT count(*) FROM kh_audit WHERE action = 'merge' AND record_id = ${a.id}`), '1');
    r = await srv.call('POST', '/api/v1/dedupe/contacts', { token });
    assert.equal(r.body.clusters, 0, 'merged records are no longer duplicates');
    r = await srv.call('POST', '/api/v1/dedupe/contacts/merge', { token, json: { winner: a.id, losers: [b.id] } });
    assert.equal(r.status, 409, 'an archived record cannot be merged again');

    // Undo: losers back, related records back, the winner as it was.
    r = await srv.call('POST', `/api/v1/merges/${merge.id}/undo`, { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.undone_at);
    const back = (await srv.call('GET', `/api/v1/contacts/${a.id}`, { token })).body;
    assert.equal(back.title, null);
    assert.equal(back.wechat, null);
    assert.equal((await srv.call('GET', `/api/v1/activities/${act.id}`, { token })).body.contact_id, b.id);
    assert.equal((await srv.call('GET', `/api/v1/opportunities/${opp.id}`, { token })).body.contact_id, c.id);
    assert.equal((await srv.call('GET', `/api/v1/orders/${order.id}`, { token })).body.contact_id, b.id);
    assert.equal((await srv.call('GET', `/api/v1/cases/${kase.id}`, { token })).body.contact_id, c.id);
    assert.equal((await srv.call('GET', `/api/v1/contacts/${b.id}`, { token })).body.archived_at, null);
    assert.equal(sql(srv.db, 'SELECT count(*) FROM kh_merged'), '0');
    r = await srv.call('POST', `/api/v1/merges/${merge.id}/undo`, { token });
    assert.equal(r.status, 409);

    // A failed merge writes nothing.
    const versions = sql(srv.db, 'SELECT id, version FROM contacts ORDER BY id');
    r = await srv.call('POST', '/api/v1/dedupe/contacts/merge', { token, json: { winner: a.id, losers: [b.id, 999] } });
    assert.equal(r.status, 404);
    r = await srv.call('POST', '/api/v1/dedupe/contacts/merge', { token, json: { winner: a.id, losers: [b.id], fields: { email: 12345 } } });
    assert.equal(r.status, 422);
    assert.equal(sql(srv.db, 'SELECT id, version FROM contacts ORDER BY id'), versions);

    // The command line finds the same cluster.
    const cli = await kehu(['dedupe', 'contacts', '--db', srv.db]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Scanned 5 contacts .* 1 clusters/);
    assert.match(cli.stdout, new RegExp(`#${a.id} 张伟 #${b.id} 張偉 #${c.id} 张 伟`));
  } finally {
    await srv.stop();
  }
});
