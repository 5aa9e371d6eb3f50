// Export: CSV streamed with the list's filters, XLSX and vCard; masking for a
// role without personal data; write-only fields never leave; and a round trip
// (export, then import the file back) that changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, kehu } from './lib/server.mjs';

const sql = (db, q) => execFileSync('sqlite3', [db, q]).toString().trim();

async function seed(srv, token) {
  const acc = await srv.call('POST', '/api/v1/accounts', { token, json: { name: '武当科技' } });
  const people = [
    { name: '张三丰', mobile: '138-1234-5678', email: 'zs@wudang.cn', city: '湖北', account_id: acc.body.id, birthday: '1985-03-14', tags: ['vip', '武当'], description: '第一行\n第二行, "引号"' },
    { name: '欧阳锋', mobile: '+86 139 0000 1111', email: 'oyf@x.cn', city: '北京', gender: 'male' },
    { name: 'John Smith', phone: '+1 415 555 0100', email: 'john@example.com', city: '北京' },
  ];
  for (const p of people) assert.equal((await srv.call('POST', '/api/v1/contacts', { token, json: p })).status, 201);
}

test('CSV export: the list filters and sort, streamed as an attachment, headers by name or label', async () => {
  const srv = await startServer();
  try {
    const token = await srv.login();
    await seed(srv, token);
    const res = await srv.fetch('/api/v1/contacts/export?city=北京&sort=name&fields=id,name,mobile,email', { token });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/csv/);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="contacts.csv"');
    const lines = (await res.text()).trim().split('\r\n');
    assert.deepEqual(lines.map((l) => l.split(',').slice(1, 2)[0]), ['name', 'John Smith', '欧阳锋']);
    const zh = Buffer.from(await (await srv.fetch('/api/v1/contacts/export?fields=name,mobile&labels=zh&bom=1', { token })).arrayBuffer());
    assert.ok(zh.toString().startsWith('\ufeff姓名,手机\r\n'), zh.toString().slice(0, 20)); // fetch's text() drops a BOM
    const full = await (await srv.fetch('/api/v1/contacts/export?sort=id', { token })).text();
    assert.match(full, /"第一行\n第二行, ""引号"""/);
    assert.match(full, /,vip; 武当,/);
    let r = await srv.call('GET', '/api/v1/contacts/export?format=pdf', { token });
    assert.equal(r.status, 400);
    r = await srv.call('GET', '/api/v1/contacts/export?fields=name,nickname', { token });
    assert.equal(r.status, 400);
    r = await srv.call('GET', '/api/v1/contacts/export?limit=5', { token });
    assert.equal(r.status, 400);
    r = await srv.call('GET', '/api/v1/accounts/export?format=vcf', { token });
    assert.equal(r.status, 400);
  } finally {
    await srv.stop();
  }
});

test('vCard 4.0: one card per contact, escaped, folded at 75 octets, phones as tel: URIs', async () => {
  const srv = await startServer();
  try {
    const token = await srv.login();
    await seed(srv, token);
    const res = await srv.fetch('/api/v1/contacts/export?format=vcf&sort=id', { token });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/vcard/);
    const text = await res.text();
    assert.equal(text.match(/BEGIN:VCARD\r\nVERSION:4\.0\r\n/g).length, 3);
    for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, line);
    const unfolded = text.replace(/\r\n /g, '');
    assert.match(unfolded, /FN:张三丰\r\nN:张;三丰;;;\r\n/);
    assert.match(unfolded, /N:欧阳;锋;;;/);
    assert.match(unfolded, /N:Smith;John;;;/);
    assert.match(unfolded, /TEL;VALUE=uri;TYPE="cell,voice":tel:\+8613812345678/);
    assert.match(unfolded, /NOTE:第一行\\n第二行\\, "引号"/);
    assert.match(unfolded, /ORG:武当科技/);
    assert.match(unfolded, /BDAY:19850314/);
    assert.match(unfolded, /CATEGORIES:vip,武当/);
  } finally {
    await srv.stop();
  }
});

test('personal fields are masked for a role without personal data; passwords never leave; no export right is 403', async () => {
  const srv = await startServer();
  try {
    const token = await srv.login();
    await seed(srv, token);
    for (const [u, role] of [['ana', 'analyst'], ['rita', 'read_only']])
      assert.equal((await srv.call('POST', '/api/v1/users', { token, json: { username: u, password: 'Quiet-harbor-77', role } })).status, 201);
    const ana = await srv.login('ana', 'Quiet-harbor-77');
    const csv = await (await srv.fetch('/api/v1/contacts/export?sort=id&fields=name,mobile,email', { token: ana })).text();
    assert.match(csv, /张三丰,138\*\*\*\*5678,z\*\*\*@wudang\.cn/);
    assert.doesNotMatch(csv, /zs@wudang\.cn/);
    const vcf = await (await srv.fetch('/api/v1/contacts/export?format=vcf', { token: ana })).text();
    assert.doesNotMatch(vcf, /13812345678|zs@wudang|BDAY/);
    const users = await (await srv.fetch('/api/v1/users/export', { token })).text();
    assert.doesNotMatch(users.split('\r\n')[0], /password/);
    assert.doesNotMatch(users, /\$argon2/);
    const rita = await srv.login('rita', 'Quiet-harbor-77');
    const r = await srv.call('GET', '/api/v1/contacts/export', { token: rita });
    assert.equal(r.status, 403);
  } finally {
    await srv.stop();
  }
});

test('round trip: export as CSV and XLSX, import back by id with updates: nothing changes', async () => {
  const srv = await startServer({ customers: 60 });
  const dir = await mkdtemp(join(tmpdir(), 'kehu-rt-'));
  try {
    const token = await srv.login();
    await seed(srv, token);
    const state = () => sql(srv.db, 'SELECT id, version, updated_at FROM contacts ORDER BY id');
    const audit = () => sql(srv.db, 'SELECT count(*) FROM kh_audit');
    const before = state(), auditBefore = audit();
    const csv = join(dir, 'contacts.csv');
    await writeFile(csv, Buffer.from(await (await srv.fetch('/api/v1/contacts/export', { token })).arrayBuffer()));
    let r = await kehu(['import', 'contacts', csv, '--db', srv.db, '--key', 'id', '--on-duplicate', 'update']);
    assert.equal(r.code, 0, r.stderr);
    const n = Number(sql(srv.db, 'SELECT count(*) FROM contacts'));
    assert.match(r.stdout, new RegExp(`0 created, ${n} updated, 0 skipped, 0 failed`));
    assert.equal(state(), before, 'no version or timestamp moved');
    assert.equal(audit(), auditBefore, 'no change was recorded');
    const xlsx = join(dir, 'contacts.xlsx');
    await writeFile(xlsx, Buffer.from(await (await srv.fetch('/api/v1/contacts/export?format=xlsx', { token })).arrayBuffer()));
    assert.equal((await readFile(xlsx)).subarray(0, 2).toString(), 'PK');
    r = await kehu(['import', 'contacts', xlsx, '--db', srv.db, '--key', 'id', '--on-duplicate', 'update']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`0 created, ${n} updated, 0 skipped, 0 failed`));
    assert.equal(state(), before);
    // The command line exports the same rows.
    r = await kehu(['export', 'contacts', '--db', srv.db, '--query', 'city=北京&sort=name', '--fields', 'name']);
    assert.equal(r.code, 0, r.stderr);
    // Sorted by name means by pinyin: ceng, chen, John, liang ...
    assert.ok(r.stdout.startsWith('name\r\n曾琳娟\r\n陈丰\r\nJohn Smith\r\n梁玉琳\r\n'), r.stdout.slice(0, 60));
  } finally {
    await srv.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
