// Two kehu servers on one PostgreSQL database, as behind a load balancer: a
// token from one works on the other, login throttling and logouts hold across
// them (no state in a server's memory), the write path's checks hold across them
// (If-Match versions, unique values), and killing one with SIGKILL under load
// loses no acknowledged write and costs the other nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, kehu, ADMIN_PASSWORD } from '../api/lib/server.mjs';
import { createDatabase, dropDatabase } from '../api/lib/pg.mjs';

test('two servers, one database', async () => {
  const db = createDatabase();
  let a, b;
  try {
    assert.equal((await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD })).code, 0);
    a = await startServer({ db });
    b = await startServer({ db });
    const token = await a.login();
    assert.equal((await b.call('GET', '/api/v1/auth/me', { token })).body.username, 'admin', 'a token from one server works on the other');

    // Nothing lives in one server's memory: failed logins count across both
    // (5 per account, then 429 on either), and a logout on one ends the
    // session on the other.
    const mk = await a.call('POST', '/api/v1/users', { token, json: { username: 'victim', role: 'read_only', password: 'Quiet-Lake-8841' } });
    assert.equal(mk.status, 201, JSON.stringify(mk.body));
    for (let i = 0; i < 5; i++) {
      const r = await [a, b][i % 2].call('POST', '/api/v1/auth/login', { json: { username: 'victim', password: `wrong-${i}-pass` } });
      assert.equal(r.status, 401);
    }
    assert.equal((await a.call('POST', '/api/v1/auth/login', { json: { username: 'victim', password: 'Quiet-Lake-8841' } })).status, 429);
    assert.equal((await b.call('POST', '/api/v1/auth/login', { json: { username: 'victim', password: 'Quiet-Lake-8841' } })).status, 429);
    const other = await b.login();
    assert.equal((await a.call('GET', '/api/v1/auth/me', { token: other })).status, 200);
    assert.ok([200, 204].includes((await b.call('POST', '/api/v1/auth/logout', { token: other })).status));
    assert.equal((await a.call('GET', '/api/v1/auth/me', { token: other })).status, 401, 'logged out on the other server too');

    // The same version changed through both servers at once: exactly one wins.
    for (let i = 0; i < 8; i++) {
      const c = (await a.call('POST', '/api/v1/contacts', { token, json: { name: `race ${i}` } })).body;
      const [ra, rb] = await Promise.all([a, b].map((s, k) =>
        s.call('PATCH', `/api/v1/contacts/${c.id}`, { token, json: { city: k ? '北京' : '上海' }, headers: { 'if-match': '"1"' } })));
      assert.deepEqual([ra.status, rb.status].sort(), [200, 409], `race ${i}: one change, one conflict`);
      const now = (await b.call('GET', `/api/v1/contacts/${c.id}`, { token })).body;
      assert.equal(now.version, 2);
      assert.equal(now.city, ra.status === 200 ? '上海' : '北京');
    }
    // A unique value claimed through both servers at once: one gets it.
    for (let i = 0; i < 4; i++) {
      const rs = await Promise.all([a, b].map((s) =>
        s.call('POST', '/api/v1/products', { token, json: { name: `p${i}`, sku: `SKU-RACE-${i}`, unit_price: 100 } })));
      assert.deepEqual(rs.map((r) => r.status).sort(), [201, 409], `sku ${i}`);
    }

    // Writers on both servers; one server dies.
    const acked = [];
    const bErrors = [];
    let stop = false;
    const writers = [a, b, a, b].map(async (s, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await s.call('POST', '/api/v1/contacts', { token, json: { name: `w${w}-${i}` } });
          if (r.status === 201) acked.push(r.body.id);
          else if (s === b) bErrors.push(r.status);
        } catch {
          if (s === b) bErrors.push('connection');
          await new Promise((r) => setTimeout(r, 20)); // the killed server's socket is gone
        }
      }
    });
    await new Promise((r) => setTimeout(r, 400));
    a.proc.kill('SIGKILL');
    await a.exited;
    await new Promise((r) => setTimeout(r, 400));
    stop = true;
    await Promise.all(writers);
    assert.ok(acked.length > 10, `writes were acknowledged (${acked.length})`);
    assert.deepEqual(bErrors, [], 'the surviving server answered every request');
    for (const id of acked) {
      const r = await b.call('GET', `/api/v1/contacts/${id}`, { token });
      assert.equal(r.status, 200, `acknowledged contact ${id} is there`);
    }
    // The killed server comes back on the same database and carries on.
    a = await startServer({ db });
    assert.equal((await a.call('GET', '/api/v1/auth/me', { token })).status, 200);
  } finally {
    if (a) await a.stop();
    if (b) await b.stop();
    dropDatabase(db);
  }
});
