// Security through HTTP: the permission matrix of every built-in role, record
// scope in every read path, personal-data masking, API keys, sessions, login
// throttling, the audit log and privacy requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';

let srv, admin;
const users = {}; // role -> {id, token}
const PASSWORD = 'Correct-horse-9';
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
const as = (who, m, p, o = {}) => srv.call(m, p, { token: who.token ?? who, ...o });

const ROLES = ['sales_manager', 'sales_rep', 'service_agent', 'marketing', 'analyst', 'read_only'];

before(async () => {
  srv = await startServer();
  admin = await srv.login();
  const team = (await as(admin, 'POST', '/api/v1/teams', { json: { name: 'East' } })).body;
  for (const role of ROLES) {
    const u = await as(admin, 'POST', '/api/v1/users', { json: { username: `u_${role}`, role, password: PASSWORD, team_id: team.id } });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    users[role] = { id: u.body.id, token: await srv.login(`u_${role}`, PASSWORD) };
  }
  // The manager leads the team the rep is in.
  await as(admin, 'PATCH', `/api/v1/teams/${team.id}`, { json: { manager_id: users.sales_manager.id } });
});
after(async () => { await srv.stop(); });

/** A contact owned by `owner` (a user id), made by the admin. */
async function contactOf(owner, extra = {}) {
  const r = await as(admin, 'POST', '/api/v1/contacts', { json: { name: `C${Math.random()}`, mobile: '13812345678', email: 'p@example.com', owner_id: owner, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

test('the permission matrix: every role, entity and action as its role says, through HTTP', async () => {
  const entities = ['accounts', 'contacts', 'leads', 'opportunities', 'activities', 'cases', 'campaigns', 'products'];
  const bodies = {
    accounts: { name: 'Acme' }, contacts: { name: 'Li Lei' }, leads: { name: 'Han Meimei' }, campaigns: { name: 'Spring' },
    products: { name: 'Gadget', sku: null }, activities: { type: 'call', subject: 'Hello' }, cases: { subject: 'Broken' },
  };
  const account = (await as(admin, 'POST', '/api/v1/accounts', { json: { name: 'Owner Co' } })).body;
  bodies.opportunities = { name: 'Deal', account_id: account.id };
  let sku = 0;
  for (const role of ROLES) {
    const me = users[role];
    const perms = (await as(admin, 'GET', `/api/v1/roles/${role}`)).body.permissions;
    const scope = (e, a) => (perms[e] ?? perms['*'] ?? {})[a] ?? 'none';
    for (const e of entities) {
      const body = { ...bodies[e] };
      if (e === 'products') body.sku = `S${role}${sku++}`;
      // A record someone else (the admin) owns, and one the user owns.
      const theirs = (await as(admin, 'POST', `/api/v1/${e}`, { json: { ...body, ...(e === 'products' ? { sku: `T${sku++}` } : {}) } })).body;
      const read = scope(e, 'read');
      const list = await as(me, 'GET', `/api/v1/${e}?limit=500&count=1`);
      const get = await as(me, 'GET', `/api/v1/${e}/${theirs.id}`);
      if (read === 'none') {
        assert.equal(list.status, 403, `${role} list ${e}`);
        assert.equal(get.status, 403, `${role} get ${e}`);
      } else {
        assert.equal(list.status, 200, `${role} list ${e}`);
        const sees = list.body.data.some((x) => x.id === theirs.id);
        assert.equal(sees, read === 'all', `${role} sees others' ${e} in lists: ${read}`);
        assert.equal(get.status, read === 'all' ? 200 : 404, `${role} get others' ${e}`);
        assert.equal(list.body.total, list.body.data.length, 'counts only what the list shows');
      }
      const create = await as(me, 'POST', `/api/v1/${e}`, { json: body.sku ? { ...body, sku: `M${sku++}` } : body });
      assert.equal(create.status, scope(e, 'create') === 'none' ? 403 : 201, `${role} create ${e}: ${JSON.stringify(create.body)}`);
      const edit = await as(me, 'PATCH', `/api/v1/${e}/${theirs.id}`, { json: { description: 'x' } });
      const expectEdit = scope(e, 'edit') === 'none' ? 403 : scope(e, 'edit') === 'all' ? 200 : read === 'all' ? 403 : 404;
      assert.equal(edit.status, expectEdit, `${role} edit others' ${e}`);
      if (create.status === 201) {
        const mine = await as(me, 'PATCH', `/api/v1/${e}/${create.body.id}`, { json: { description: 'mine' } });
        assert.equal(mine.status, scope(e, 'edit') === 'none' ? 403 : 200, `${role} edit own ${e}`);
        const del = await as(me, 'DELETE', `/api/v1/${e}/${create.body.id}`);
        assert.equal(del.status, scope(e, 'delete') === 'none' ? 403 : 204, `${role} archive own ${e}`);
      }
    }
  }
});

test('a rep sees his own and shared records, his manager the team\'s, nobody else\'s', async () => {
  const rep = users.sales_rep, mgr = users.sales_manager;
  const mine = await contactOf(rep.id);
  const adminOwned = await contactOf(1);
  assert.equal((await as(rep, 'GET', `/api/v1/contacts/${mine.id}`)).status, 200);
  assert.equal((await as(rep, 'GET', `/api/v1/contacts/${adminOwned.id}`)).status, 404, 'not even its existence');
  assert.equal((await as(mgr, 'GET', `/api/v1/contacts/${mine.id}`)).status, 200, 'the manager sees the team member\'s');
  assert.equal((await as(mgr, 'GET', `/api/v1/contacts/${adminOwned.id}`)).status, 404);
  // Hidden records leak through no other door either.
  const acct = (await as(admin, 'POST', '/api/v1/accounts', { json: { name: 'Shared Parent', owner_id: rep.id } })).body;
  await contactOf(1, { account_id: acct.id, name: '隐藏的人' });
  const related = await as(rep, 'GET', `/api/v1/accounts/${acct.id}/contacts`);
  assert.equal(related.body.data.length, 0, 'related lists');
  const search = await as(rep, 'GET', `/api/v1/search?q=${encodeURIComponent('隐藏')}`);
  assert.equal(search.body.data.length, 0, 'search');
  const agg = await as(rep, 'GET', '/api/v1/contacts/aggregate');
  assert.equal(agg.body.groups[0].count, Number(sql(`SELECT count(*) FROM contacts WHERE owner_id = ${rep.id} AND archived_at IS NULL`)), 'aggregates');
  assert.equal((await as(rep, 'GET', `/api/v1/contacts/${adminOwned.id}/history`)).status, 404, 'history');
  assert.equal((await as(rep, 'PATCH', `/api/v1/contacts/${adminOwned.id}`, { json: { title: 'x' } })).status, 404, 'edits');
  // A share opens one record, for reading; an edit share for editing too.
  const share = await as(admin, 'POST', '/api/v1/shares', { json: { entity: 'contacts', record_id: adminOwned.id, user_id: rep.id } });
  assert.equal(share.status, 201, JSON.stringify(share.body));
  assert.equal((await as(rep, 'GET', `/api/v1/contacts/${adminOwned.id}`)).status, 200);
  assert.equal((await as(rep, 'PATCH', `/api/v1/contacts/${adminOwned.id}`, { json: { title: 'x' } })).status, 403);
  await as(admin, 'PATCH', `/api/v1/shares/${share.body.id}`, { json: { access: 'edit' } });
  assert.equal((await as(rep, 'PATCH', `/api/v1/contacts/${adminOwned.id}`, { json: { title: 'x' } })).status, 200);
  // A rep cannot give his records away, nor share what he cannot edit.
  const give = await as(rep, 'PATCH', `/api/v1/contacts/${mine.id}`, { json: { owner_id: 1 } });
  assert.equal(give.status, 403);
  const other = await contactOf(1);
  const badShare = await as(rep, 'POST', '/api/v1/shares', { json: { entity: 'contacts', record_id: other.id, user_id: rep.id } });
  assert.equal(badShare.status, 422);
});

test('personal data is masked for roles without the permission, in every output', async () => {
  const an = users.analyst;
  const c = await contactOf(1, { name: '王小明', mobile: '13912345678', email: 'wangxm@example.com', wechat: 'wx_wang' });
  const get = (await as(an, 'GET', `/api/v1/contacts/${c.id}`)).body;
  assert.equal(get.mobile, '139****5678');
  assert.equal(get.email, 'w***@example.com');
  assert.equal(get.wechat, 'w***');
  assert.equal(get.name, '王小明', 'names are not personal data in the metadata');
  const list = (await as(an, 'GET', `/api/v1/contacts?limit=500`)).body.data.find((x) => x.id === c.id);
  assert.equal(list.mobile, '139****5678');
  const hit = (await as(an, 'GET', `/api/v1/search?q=${encodeURIComponent('王小明')}`)).body.data.find((x) => x.id === c.id);
  assert.equal(hit.record.mobile, '139****5678');
  await as(admin, 'PATCH', `/api/v1/contacts/${c.id}`, { json: { mobile: '13700001111' } });
  const hist = (await as(an, 'GET', `/api/v1/contacts/${c.id}/history`)).body.data;
  assert.ok(hist.some((h) => h.changes.mobile));
  assert.ok(!JSON.stringify(hist).includes('13700001111') && !JSON.stringify(hist).includes('13912345678'), 'history is masked too');
  // Searching by a phone number or filtering on it would tell whose it is.
  assert.equal((await as(an, 'GET', '/api/v1/search?q=13700001111')).body.data.length, 0);
  assert.equal((await as(an, 'GET', '/api/v1/contacts?mobile=13700001111')).status, 403);
  assert.equal((await as(an, 'GET', '/api/v1/contacts?sort=email')).status, 403);
  // The admin sees everything.
  assert.equal((await as(admin, 'GET', `/api/v1/contacts/${c.id}`)).body.mobile, '13700001111');
});

test('API keys: shown once, scoped no wider than their creator, usable, revocable', async () => {
  const rep = users.sales_rep;
  const wide = await as(rep, 'POST', '/api/v1/api-keys', { json: { name: 'too much', role: 'sales_manager' } });
  assert.equal(wide.status, 403, JSON.stringify(wide.body));
  const wider = await as(rep, 'POST', '/api/v1/api-keys', { json: { name: 'reads all', role: 'read_only' } });
  assert.equal(wider.status, 403, 'read_only reads every contact; a rep reads his own');
  const reader = await as(admin, 'POST', '/api/v1/roles', { json: { key: 'rep_reader', name: 'Reads own contacts', permissions: { contacts: { read: 'own' } } } });
  assert.equal(reader.status, 201, JSON.stringify(reader.body));
  const k = await as(rep, 'POST', '/api/v1/api-keys', { json: { name: 'integration', role: 'rep_reader' } });
  assert.equal(k.status, 201, JSON.stringify(k.body));
  assert.match(k.body.key, /^kh_[A-Za-z0-9_-]{43}$/);
  assert.equal(k.body.api_key.prefix, k.body.key.slice(0, 10));
  assert.equal(k.body.api_key.key_hash, undefined);
  const listed = (await as(rep, 'GET', '/api/v1/api-keys')).body.data;
  assert.ok(!JSON.stringify(listed).includes(k.body.key), 'never shown again');
  assert.ok(!sql('SELECT group_concat(key_hash) FROM api_keys').includes(k.body.key), 'stored hashed');
  const withKey = await srv.call('GET', '/api/v1/contacts?limit=1', { token: k.body.key });
  assert.equal(withKey.status, 200);
  assert.equal((await srv.call('POST', '/api/v1/contacts', { token: k.body.key, json: { name: 'x' } })).status, 403, 'the key\'s role, not the user\'s');
  assert.ok(sql(`SELECT last_used_at FROM api_keys WHERE id = ${k.body.api_key.id}`).length > 0, 'last use recorded');
  assert.equal((await srv.call('POST', '/api/v1/api-keys', { token: k.body.key, json: { name: 'child' } })).status, 403);
  assert.equal((await as(users.analyst, 'DELETE', `/api/v1/api-keys/${k.body.api_key.id}`)).status, 404, 'only its owner');
  assert.equal((await as(rep, 'DELETE', `/api/v1/api-keys/${k.body.api_key.id}`)).status, 204);
  assert.equal((await srv.call('GET', '/api/v1/contacts?limit=1', { token: k.body.key })).status, 401);
  assert.equal((await as(admin, 'POST', '/api/v1/api_keys', { json: { name: 'generic' } })).status, 405, 'no back door');
});

test('failed logins are throttled per account with 429 and Retry-After, and audited', async () => {
  await as(admin, 'POST', '/api/v1/users', { json: { username: 'victim', role: 'read_only', password: PASSWORD } });
  for (let i = 0; i < 5; i++) {
    const r = await srv.call('POST', '/api/v1/auth/login', { json: { username: 'victim', password: `wrong-${i}-pass` } });
    assert.equal(r.status, 401);
  }
  const blocked = await srv.call('POST', '/api/v1/auth/login', { json: { username: 'victim', password: PASSWORD } });
  assert.equal(blocked.status, 429, 'even the right password waits');
  assert.equal(blocked.body.error.code, 'rate_limited');
  const ra = Number(blocked.headers.get('retry-after'));
  assert.ok(ra > 0 && ra <= 900, `Retry-After ${ra}`);
  assert.equal((await srv.call('POST', '/api/v1/auth/login', { json: { username: 'u_analyst', password: PASSWORD } })).status, 200, 'other accounts are not blocked');
  assert.ok(Number(sql("SELECT count(*) FROM kh_audit WHERE action = 'login_failed' AND changes LIKE '%victim%'")) >= 5);
  assert.ok(Number(sql("SELECT count(*) FROM kh_audit WHERE action = 'login'")) >= 1);
});

test('sessions: logout everywhere, a new password, deactivation and idleness all end them', async () => {
  await as(admin, 'POST', '/api/v1/users', { json: { username: 'mover', role: 'read_only', password: PASSWORD } });
  const t1 = await srv.login('mover', PASSWORD), t2 = await srv.login('mover', PASSWORD);
  assert.equal((await srv.call('POST', '/api/v1/auth/logout-all', { token: t1 })).status, 204);
  assert.equal((await srv.call('GET', '/api/v1/auth/me', { token: t2 })).status, 401);
  const t3 = await srv.login('mover', PASSWORD);
  const id = (await srv.call('GET', '/api/v1/auth/me', { token: t3 })).body.id;
  assert.equal((await as(admin, 'PATCH', `/api/v1/users/${id}`, { json: { password: 'Another-pass-77' } })).status, 200);
  assert.equal((await srv.call('GET', '/api/v1/auth/me', { token: t3 })).status, 401, 'a new password ends old sessions');
  const weak = await as(admin, 'PATCH', `/api/v1/users/${id}`, { json: { password: 'password123' } });
  assert.equal(weak.status, 422);
  assert.ok(weak.body.error.fields.password);
  const t4 = await srv.login('mover', 'Another-pass-77');
  await as(admin, 'PATCH', `/api/v1/users/${id}`, { json: { active: false } });
  assert.equal((await srv.call('GET', '/api/v1/auth/me', { token: t4 })).status, 401);
});

test('sessions are remembered per server thread, and a change reaches every thread at once', async () => {
  // Sixteen requests at once use several connections, so both server threads
  // answer some and remember the session; each change must then be seen by all.
  const burst = (token) => Promise.all(Array.from({ length: 16 }, () => srv.call('GET', '/api/v1/auth/me', { token })));
  const u = (await as(admin, 'POST', '/api/v1/users', { json: { username: 'cached', role: 'read_only', password: PASSWORD } })).body;
  const token = await srv.login('cached', PASSWORD);
  for (const r of await burst(token)) assert.equal(r.body.permissions.role, 'read_only');
  assert.equal((await as(admin, 'PATCH', `/api/v1/users/${u.id}`, { json: { role: 'analyst' } })).status, 200);
  for (const r of await burst(token)) assert.equal(r.body.permissions.role, 'analyst', 'a new role, on every thread');
  const perms = (await as(admin, 'GET', '/api/v1/roles/analyst')).body.permissions;
  const answers = await burst(token);
  assert.ok(answers.every((r) => r.body.permissions.entities.campaigns.create === answers[0].body.permissions.entities.campaigns.create));
  const flipped = answers[0].body.permissions.entities.campaigns.create === 'none' ? 'all' : 'none';
  assert.equal((await as(admin, 'PATCH', '/api/v1/roles/analyst', { json: { permissions: { ...perms, campaigns: { ...perms.campaigns, create: flipped } } } })).status, 200);
  for (const r of await burst(token)) assert.equal(r.body.permissions.entities.campaigns.create, flipped, 'a changed role, on every thread');
  assert.equal((await as(admin, 'PATCH', '/api/v1/roles/analyst', { json: { permissions: perms } })).status, 200);
  assert.equal((await srv.call('POST', '/api/v1/auth/logout', { token })).status, 204);
  for (const r of await burst(token)) assert.equal(r.status, 401, 'a logout, on every thread');
});

test('an idle session ends even before it expires', async () => {
  const s1 = await startServer({ args: ['--session-idle', '600'] });
  const token = await s1.login();
  s1.proc.kill('SIGTERM');
  await s1.exited;
  const s2 = await startServer({ db: s1.db, args: ['--session-idle', '600'], env: { KEHU_NOW: new Date(Date.now() + 20 * 60000).toISOString() } });
  try {
    assert.equal((await s2.call('GET', '/api/v1/auth/me', { token })).status, 401);
  } finally {
    await s2.stop();
  }
});

test('the audit log records changes, is for administrators, and has no route to change it', async () => {
  const c = await contactOf(1);
  await as(admin, 'PATCH', `/api/v1/contacts/${c.id}`, { json: { title: 'CEO' } });
  await as(admin, 'DELETE', `/api/v1/contacts/${c.id}`);
  const log = await as(admin, 'GET', `/api/v1/audit?entity=contacts&record_id=${c.id}`);
  assert.equal(log.status, 200);
  assert.deepEqual(log.body.data.map((e) => e.action), ['archive', 'update', 'create']);
  assert.deepEqual(log.body.data[1].changes, { title: [null, 'CEO'] });
  assert.equal(log.body.data[1].username, 'admin');
  assert.equal((await as(users.sales_manager, 'GET', '/api/v1/audit')).status, 403);
  for (const m of ['POST', 'PATCH', 'DELETE', 'PUT']) assert.ok([404, 405].includes((await as(admin, m, '/api/v1/audit', { json: {} })).status));
  const page = await as(admin, 'GET', '/api/v1/audit?limit=2');
  assert.equal(page.body.data.length, 2);
  const next = await as(admin, 'GET', `/api/v1/audit?limit=2&cursor=${page.body.next_cursor}`);
  assert.ok(next.body.data[0].id < page.body.data[1].id);
  const role = await as(admin, 'PATCH', '/api/v1/roles/read_only', { json: { description: 'changed' } });
  assert.equal(role.status, 200);
  assert.ok(Number(sql("SELECT count(*) FROM kh_audit WHERE entity = 'roles' AND action = 'update'")) >= 1, 'permission changes too');
});

test('role changes take effect at the next request', async () => {
  const ro = users.read_only;
  assert.equal((await as(ro, 'POST', '/api/v1/campaigns', { json: { name: 'nope' } })).status, 403);
  const before = (await as(admin, 'GET', '/api/v1/roles/read_only')).body.permissions;
  const perms = { ...before, campaigns: { read: 'all', create: 'all' } };
  assert.equal((await as(admin, 'PATCH', '/api/v1/roles/read_only', { json: { permissions: perms } })).status, 200);
  assert.equal((await as(ro, 'POST', '/api/v1/campaigns', { json: { name: 'now yes' } })).status, 201);
  const bad = await as(admin, 'PATCH', '/api/v1/roles/read_only', { json: { permissions: { contacts: { read: 'everything' } } } });
  assert.equal(bad.status, 422);
  assert.equal((await as(admin, 'PATCH', '/api/v1/roles/read_only', { json: { key: 'other' } })).status, 422);
  assert.equal((await as(admin, 'DELETE', `/api/v1/roles/${(await as(admin, 'GET', '/api/v1/roles/read_only')).body.id}`)).status, 409, 'built-in roles stay');
  assert.equal((await as(users.sales_manager, 'PATCH', '/api/v1/roles/read_only', { json: { description: 'x' } })).status, 403);
});

test('privacy: export everything about a contact; erasure leaves none of their personal values anywhere', async () => {
  const c = await contactOf(1, { name: '李秘密', mobile: '13655558888', email: 'secret.li@example.com', wechat: 'wx_secret_li', address: '秘密路1号' });
  await as(admin, 'PATCH', `/api/v1/contacts/${c.id}`, { json: { mobile: '13655559999' } });
  const order = (await as(admin, 'POST', '/api/v1/orders', { json: { order_date: '2026-01-02', contact_id: c.id } })).body;
  await as(admin, 'POST', '/api/v1/activities', { json: { type: 'call', subject: 'Called', contact_id: c.id } });
  await as(admin, 'POST', '/api/v1/consents', { json: { contact_id: c.id, channel: 'email', status: 'granted' } });
  const exp = await as(admin, 'GET', `/api/v1/contacts/${c.id}/privacy-export`);
  assert.equal(exp.status, 200);
  assert.equal(exp.body.contact[0].email, 'secret.li@example.com');
  assert.equal(exp.body.orders[0].id, order.id);
  assert.equal(exp.body.activities.length, 1);
  assert.equal(exp.body.consents[0].channel, 'email');
  assert.ok(exp.body.audit.data.length >= 2);
  assert.equal((await as(users.sales_manager, 'GET', `/api/v1/contacts/${c.id}/privacy-export`)).status, 403);

  assert.equal((await as(admin, 'POST', `/api/v1/contacts/${c.id}/erase`)).status, 204);
  const after = (await as(admin, 'GET', `/api/v1/contacts/${c.id}`)).body;
  assert.equal(after.name, `Erased contact #${c.id}`);
  assert.equal(after.mobile, null);
  assert.equal((await as(admin, 'GET', `/api/v1/orders/${order.id}`)).body.contact_id, c.id, 'orders stay for accounting');
  assert.equal((await as(admin, 'GET', `/api/v1/search?q=${encodeURIComponent('李秘密')}`)).body.data.length, 0);
  // Scan every table's text for the old values: none may remain.
  const dump = execFileSync('sqlite3', [srv.db, '.dump']).toString();
  for (const v of ['李秘密', '13655558888', '13655559999', 'secret.li@example.com', 'wx_secret_li', '秘密路1号']) {
    assert.ok(!dump.includes(v), `${v} is gone from the database`);
  }
  assert.ok(Number(sql(`SELECT count(*) FROM kh_audit WHERE entity = 'contacts' AND record_id = ${c.id} AND action = 'erase'`)) === 1);
});

test('every response carries the security headers', async () => {
  const r = await srv.fetch('/api/v1/contacts', { token: admin });
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  const unauth = await srv.fetch('/api/v1/contacts');
  assert.equal(unauth.status, 401);
  assert.match(unauth.headers.get('content-security-policy'), /default-src 'none'/);
});
