// GET /api/v1/auth/me tells a client what the user may do ("permissions"), so
// that the UI can leave out what would be refused. What it says is checked
// against the role as stored (GET /roles/{key}) and against what the server
// really does: for every built-in role, every entity and every action a probe
// through HTTP is refused with 403 exactly where /auth/me says "none".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

let srv, admin, meta;
const users = {}; // role -> {id, token}
const PASSWORD = 'Correct-horse-9';
const ROLES = ['admin', 'sales_manager', 'sales_rep', 'service_agent', 'marketing', 'analyst', 'read_only'];
const ACTIONS = ['read', 'create', 'edit', 'delete', 'export', 'import'];
const SCOPES = ['none', 'own', 'team', 'all'];
const as = (token, m, p, o = {}) => srv.call(m, p, { token, ...o });
const me = async (token) => {
  const r = await as(token, 'GET', '/api/v1/auth/me');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

before(async () => {
  srv = await startServer();
  admin = await srv.login();
  meta = (await as(admin, 'GET', '/api/v1/meta')).body;
  users.admin = { id: 1, token: admin };
  for (const role of ROLES.slice(1)) {
    const u = await as(admin, 'POST', '/api/v1/users', { json: { username: `m_${role}`, role, password: PASSWORD } });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    users[role] = { id: u.body.id, token: await srv.login(`m_${role}`, PASSWORD) };
  }
});
after(async () => { await srv?.stop(); });

test('/auth/me keeps the user record and adds the role\'s permissions', async () => {
  for (const role of ROLES) {
    const body = await me(users[role].token);
    const record = (await as(admin, 'GET', `/api/v1/users/${users[role].id}`)).body;
    const { permissions, ...rest } = body;
    for (const k of ['id', 'username', 'role', 'display_name', 'version'])
      assert.deepEqual(rest[k], record[k], `${role}: ${k} as before`);
    assert.equal(rest.password_hash, undefined);
    assert.equal(permissions.role, role);
    assert.equal(permissions.is_admin, role === 'admin');
    const stored = (await as(admin, 'GET', `/api/v1/roles/${role}`)).body;
    assert.equal(permissions.personal_data, !!stored.personal_data, `${role} personal data`);
    assert.deepEqual(Object.keys(permissions.entities).sort(), meta.entities.map((e) => e.name).sort(), 'every entity');
    for (const e of meta.entities)
      for (const a of ACTIONS) assert.ok(SCOPES.includes(permissions.entities[e.name][a]), `${role} ${e.name} ${a}`);
  }
  assert.equal((await me(users.analyst.token)).permissions.personal_data, false);
  assert.equal((await me(users.sales_rep.token)).permissions.personal_data, true);
  assert.equal((await srv.call('GET', '/api/v1/auth/me')).status, 401, 'still needs a token');
});

test('the scopes are the role\'s, but only administrators write admin-only entities, and entities with routes of their own are not written through the record routes', async () => {
  // Entities written only through routes of their own (POST /api-keys, survey answers): none even for the admin.
  const adminP = (await me(admin)).permissions.entities;
  const ownRoutes = new Set(meta.entities.filter((e) => adminP[e.name].create === 'none').map((e) => e.name));
  assert.deepEqual([...ownRoutes].sort(), ['api_keys', 'survey_responses']);
  for (const role of ROLES) {
    const p = (await me(users[role].token)).permissions.entities;
    const stored = (await as(admin, 'GET', `/api/v1/roles/${role}`)).body.permissions;
    for (const e of meta.entities) {
      for (const a of ACTIONS) {
        const writes = a === 'create' || a === 'edit' || a === 'delete';
        // As the role is read (model/permission.c): "*" gives the defaults, an entity's own actions override them.
        let want = role === 'admin' ? 'all' : ({ ...stored['*'], ...stored[e.name] }[a] ?? 'none');
        if (writes && e.admin_write && role !== 'admin') want = 'none';
        if (writes && ownRoutes.has(e.name)) want = 'none';
        assert.equal(p[e.name][a], want, `${role} ${a} ${e.name}`);
      }
    }
  }
  const rep = (await me(users.sales_rep.token)).permissions.entities;
  assert.deepEqual(rep.contacts, { read: 'own', create: 'all', edit: 'own', delete: 'own', export: 'none', import: 'none' });
  const analyst = (await me(users.analyst.token)).permissions.entities;
  assert.deepEqual(analyst.contacts, { read: 'all', create: 'none', edit: 'none', delete: 'none', export: 'all', import: 'none' });
  assert.equal((await me(users.sales_manager.token)).permissions.entities.users.create, 'none', 'users are admin_write');
});

test('where /auth/me says none the server answers 403, and only there', async () => {
  const GONE = 987654321; // no record has this id: an allowed action ends in 404 (or 422), not 403
  for (const role of ROLES) {
    const { token } = users[role];
    const p = (await me(token)).permissions.entities;
    for (const e of meta.entities) {
      const probes = {
        read: () => as(token, 'GET', `/api/v1/${e.name}?limit=1`),
        create: () => as(token, 'POST', `/api/v1/${e.name}`, { json: {} }),
        edit: () => as(token, 'PATCH', `/api/v1/${e.name}/${GONE}`, { json: {} }),
        delete: () => as(token, 'DELETE', `/api/v1/${e.name}/${GONE}`),
        export: () => as(token, 'GET', `/api/v1/${e.name}/export?format=csv&limit=1`),
      };
      for (const [a, probe] of Object.entries(probes)) {
        const r = await probe();
        // 405: the entity is written through routes of its own (checked for every role, admin too).
        const refused = r.status === 403 || r.status === 405;
        assert.equal(refused, p[e.name][a] === 'none', `${role} ${a} ${e.name}: /auth/me says ${p[e.name][a]}, the server ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }
  }
});

test('an API key\'s /auth/me shows the key\'s role; a custom role, even one that cannot read users, and its changes show at once', async () => {
  const k = await as(admin, 'POST', '/api/v1/api-keys', { json: { name: 'reporting', role: 'read_only' } });
  assert.equal(k.status, 201, JSON.stringify(k.body));
  const viaKey = await me(k.body.key);
  assert.equal(viaKey.id, 1, 'the key\'s creator');
  assert.equal(viaKey.permissions.role, 'read_only');
  assert.equal(viaKey.permissions.is_admin, false);
  assert.equal(viaKey.permissions.entities.contacts.create, 'none');

  const custom = await as(admin, 'POST', '/api/v1/roles', {
    json: { key: 'lead_typist', name: 'Types in leads', permissions: { leads: { read: 'own', create: 'all' } } },
  });
  assert.equal(custom.status, 201, JSON.stringify(custom.body));
  const u = await as(admin, 'POST', '/api/v1/users', { json: { username: 'typist', role: 'lead_typist', password: PASSWORD } });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  const t = await srv.login('typist', PASSWORD); // the role cannot read users, yet logs in and sees itself
  assert.equal((await as(t, 'GET', `/api/v1/users/${u.body.id}`)).status, 403, 'users stay closed to the role');
  const self = await me(t);
  assert.equal(self.username, 'typist');
  let p = self.permissions;
  assert.deepEqual(p.entities.leads, { read: 'own', create: 'all', edit: 'none', delete: 'none', export: 'none', import: 'none' });
  assert.equal(p.entities.contacts.read, 'none', 'what the role does not name is none');
  const patched = await as(admin, 'PATCH', `/api/v1/roles/lead_typist`, { json: { permissions: { leads: { read: 'own', create: 'all', edit: 'own' }, '*': { read: 'all' } } } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  p = (await me(t)).permissions;
  assert.equal(p.entities.leads.edit, 'own');
  assert.equal(p.entities.contacts.read, 'all');
});
