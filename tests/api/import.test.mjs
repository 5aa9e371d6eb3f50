// Import through the API and the command line: encodings, header mapping, bad
// rows and their report, upserts, permissions, and a kill -9 in the middle of
// an import followed by a resume that leaves no duplicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, kehu, KEHU_BIN, ADMIN_PASSWORD } from './lib/server.mjs';

const sql = (db, q) => execFileSync('sqlite3', [db, q]).toString().trim();
const gb18030 = (text) => execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text });

async function upload(srv, token, fields, file, name = 'data.csv') {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file !== undefined) form.append('file', new Blob([file]), name);
  const res = await srv.fetch('/api/v1/imports', { method: 'POST', token, body: form });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function finished(srv, token, id) {
  for (let i = 0; i < 200; i++) {
    const r = await srv.call('GET', `/api/v1/imports/${id}`, { token });
    assert.equal(r.status, 200);
    if (r.body.status === 'done' || r.body.status === 'failed') return r.body;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('the import did not finish');
}

const CSV = [
  '客户姓名,手机号码,电子邮件,公司,城市,生日,性别,标签,备注',
  '张三丰,138-1234-5678,ZS@Example.com,武当科技,湖北,1985/3/14,男,vip;武当,"说 ""你好"""',
  '李四,+86 139 0000 1111,li4@x.cn,,北京,,女,,',
  '王五,12,not-an-email,,上海,1990-13-01,x,,',
  ',,,,,,,,',
  '赵六,１３７００００１１１１,ZL@X.CN,武当科技,北京,2001年2月3日,,,',
].join('\r\n');

test('a GB18030 CSV with Chinese headers: mapped, converted, validated; bad rows in a CSV report', async () => {
  const srv = await startServer();
  try {
    const token = await srv.login();
    const up = await upload(srv, token, { entity: 'contacts', create_refs: 'true' }, gb18030(CSV));
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.match(up.headers.get('location'), /^\/api\/v1\/imports\/\d+$/);
    const job = await finished(srv, token, up.body.id);
    assert.equal(job.status, 'done', job.message);
    assert.deepEqual([job.rows, job.created, job.failed, job.skipped], [4, 3, 1, 0]);
    assert.deepEqual(job.columns.map((c) => c.field),
      ['name', 'mobile', 'email', 'account_id', 'city', 'birthday', 'gender', 'tags', 'description']);
    const list = await srv.call('GET', '/api/v1/contacts?sort=id', { token });
    const [zhang, li, zhao] = list.body.data;
    assert.equal(zhang.name, '张三丰');
    assert.equal(zhang.email, 'zs@example.com');
    assert.equal(zhang.birthday, '1985-03-14');
    assert.equal(zhang.gender, 'male');
    assert.deepEqual(zhang.tags, ['vip', '武当']);
    assert.equal(zhang.description, '说 "你好"');
    assert.equal(li.gender, 'female');
    assert.equal(zhao.mobile, '13700001111', 'full-width digits folded');
    assert.equal(zhao.birthday, '2001-02-03');
    assert.ok(zhang.account_id && zhang.account_id === zhao.account_id, 'one account created, then found by name');
    const acc = await srv.call('GET', `/api/v1/accounts/${zhang.account_id}`, { token });
    assert.equal(acc.body.name, '武当科技');
    const report = await srv.fetch(`/api/v1/imports/${job.id}/errors`, { token });
    assert.equal(report.status, 200);
    assert.match(report.headers.get('content-type'), /^text\/csv/);
    const lines = (await report.text()).trim().split('\r\n');
    assert.equal(lines[0], 'row,column,field,value,reason');
    assert.deepEqual(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(',')),
      ['4,手机号码,mobile', '4,电子邮件,email', '4,生日,birthday', '4,性别,gender']);
  } finally {
    await srv.stop();
  }
});

test('upserts by each key; duplicates inside the file; --on-duplicate error; --dry-run writes nothing', async () => {
  const srv = await startServer();
  const dir = await mkdtemp(join(tmpdir(), 'kehu-imp-'));
  try {
    const token = await srv.login();
    const db = srv.db;
    const file = join(dir, 'a.csv');
    await writeFile(file, '\ufeffname;mobile;email;city\n张伟;13800000001;zw@x.cn;上海\n李娜;13800000002;ln@x.cn;北京\n');
    let r = await kehu(['import', 'contacts', file, '--db', db, '--key', 'email']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 created, 0 updated, 0 skipped, 0 failed/);
    // By phone, written another way: an update of the same records.
    await writeFile(file, 'name,mobile,city\n张伟,+86 138-0000-0001,杭州\n李娜,+86 138.0000.0002,\n王芳,13800000003,广州\n');
    r = await kehu(['import', 'contacts', file, '--db', db, '--key', 'phone', '--on-duplicate', 'update']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 created, 2 updated/);
    assert.equal(sql(db, "SELECT city FROM contacts WHERE email = 'zw@x.cn'"), '杭州');
    assert.equal(sql(db, "SELECT city FROM contacts WHERE email = 'ln@x.cn'"), '北京', 'an empty cell changes nothing');
    // The same e-mail twice in one file: the second row is a duplicate of the first.
    await writeFile(file, 'name,email\n新人,new@x.cn\n新人二,NEW@x.cn\n张伟,zw@x.cn\n');
    r = await kehu(['import', 'contacts', file, '--db', db, '--key', 'email', '--on-duplicate', 'error']);
    assert.equal(r.code, 3, 'some rows failed');
    assert.match(r.stdout, /1 created, 0 updated, 0 skipped, 2 failed/);
    assert.match(r.stderr, /duplicate of contact \d+ \(same email\)/);
    // name+account and external ids.
    await writeFile(file, '编号,姓名,公司\nCRM-1,陈静,华为\nCRM-2,陈静,腾讯\n');
    r = await kehu(['import', 'contacts', file, '--db', db, '--key', 'external_id', '--map', '编号=external_id,公司=account_id:name', '--create-refs']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 created/);
    await writeFile(file, '编号,姓名,职务\nCRM-1,陈静,经理\n');
    r = await kehu(['import', 'contacts', file, '--db', db, '--key', 'external_id', '--on-duplicate', 'update', '--map', '编号=external_id']);
    assert.match(r.stdout, /0 created, 1 updated/);
    assert.equal(sql(db, "SELECT count(*) FROM contacts WHERE name = '陈静' AND title = '经理'"), '1');
    await writeFile(file, 'name,account\n陈静,华为\n陈静,京东\n');
    r = await kehu(['import', 'contacts', file, '--db', db, '--key', 'name+account', '--map', 'account=account_id:name']);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /0 created, 0 updated, 1 skipped, 1 failed/);
    assert.match(r.stderr, /no account is named '京东'/);
    // A dry run reports what would happen and writes no record.
    const before = sql(db, 'SELECT count(*) FROM contacts');
    await writeFile(file, 'name,email\n甲,a@x.cn\n乙,zw@x.cn\n丙,bad\n');
    r = await kehu(['import', 'contacts', file, '--db', db, '--key', 'email', '--on-duplicate', 'update', '--dry-run']);
    assert.match(r.stdout, /Checked 3 rows .*1 would be created, 1 would be updated, 0 skipped, 1 failed/);
    assert.equal(sql(db, 'SELECT count(*) FROM contacts'), before);
    // Mapping mistakes stop before any row, with one clear line.
    r = await kehu(['import', 'contacts', file, '--db', db, '--map', 'name=nickname']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /contacts has no field named 'nickname'/);
    await writeFile(file, 'foo,bar\n1,2\n');
    r = await kehu(['import', 'contacts', file, '--db', db]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no column of the file matches a field of contacts/);
    assert.equal((await srv.call('GET', '/api/v1/contacts?count=1&limit=1', { token })).body.total, Number(before));
    // --run-rules: each new record's creation goes to the audit log and the outbox, as by hand.
    const events = () => sql(db, "SELECT (SELECT count(*) FROM kh_audit WHERE entity = 'contacts' AND action = 'create') || ' ' || (SELECT count(*) FROM kh_outbox WHERE entity = 'contacts' AND action = 'create')");
    const quiet = events();
    await writeFile(file, 'name,email\n规则甲,rule1@x.cn\n规则乙,rule2@x.cn\n');
    r = await kehu(['import', 'contacts', file, '--db', db, '--key', 'email']);
    assert.match(r.stdout, /2 created/);
    assert.equal(events(), quiet, 'a bulk load records no per-record creation');
    await writeFile(file, 'name,email\n规则丙,rule3@x.cn\n规则丁,rule4@x.cn\n');
    r = await kehu(['import', 'contacts', file, '--db', db, '--key', 'email', '--run-rules']);
    assert.match(r.stdout, /2 created/);
    const [audit, outbox] = quiet.split(' ').map(Number);
    assert.equal(events(), `${audit + 2} ${outbox + 2}`);
  } finally {
    await srv.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad uploads get the documented errors; a role without import gets 403', async () => {
  const srv = await startServer();
  try {
    const token = await srv.login();
    let r = await srv.call('POST', '/api/v1/imports', { token, json: { entity: 'contacts' } });
    assert.equal(r.status, 415);
    assert.equal(r.body.error.code, 'unsupported_media_type');
    r = await upload(srv, token, { entity: 'contacts' });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.fields.file, 'is required');
    r = await upload(srv, token, { entity: 'planets', key: 'color' }, 'a,b\n');
    assert.equal(r.status, 422);
    assert.deepEqual(Object.keys(r.body.error.fields).sort(), ['entity', 'key']);
    // A field the form does not have, and a yes/no field that is neither, are refused: no job is made.
    r = await upload(srv, token, { entity: 'contacts', on_duplicat: 'update', run_rules: 'maybe', dry_run: 'nein' }, 'name\n张三\n');
    assert.equal(r.status, 422);
    assert.deepEqual(r.body.error.fields, { on_duplicat: 'is not a field of the import form', run_rules: 'must be true or false', dry_run: 'must be true or false' });
    // Not a table at all: the job fails and says why; nothing is written.
    r = await upload(srv, token, { entity: 'contacts', format: 'xlsx' }, 'name\n张三\n', 'x.xlsx');
    assert.equal(r.status, 202);
    const job = await finished(srv, token, r.body.id);
    assert.equal(job.status, 'failed');
    assert.match(job.message, /not an Excel workbook/);
    const u = await srv.call('POST', '/api/v1/users', { token, json: { username: 'rep', password: 'Quiet-harbor-77', role: 'sales_rep' } });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    const rep = await srv.login('rep', 'Quiet-harbor-77');
    r = await upload(srv, rep, { entity: 'contacts' }, 'name\n张三\n');
    assert.equal(r.status, 403);
    r = await srv.call('GET', `/api/v1/imports/${job.id}`, { token: rep });
    assert.equal(r.status, 404, "another user's import is not visible");
    assert.equal(sql(srv.db, 'SELECT count(*) FROM contacts'), '0');
  } finally {
    await srv.stop();
  }
});

test('kill -9 in the middle of an import, then the same command resumes it: every row once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kehu-kill-'));
  try {
    const db = join(dir, 'k.db');
    assert.equal((await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD })).code, 0);
    const rows = ['name,email,mobile'];
    for (let i = 0; i < 6000; i++) rows.push(`客户${i},c${i}@x.cn,1390000${String(i).padStart(4, '0')}`);
    const file = join(dir, 'big.csv');
    await writeFile(file, rows.join('\n'));
    const args = ['import', 'contacts', file, '--db', db];
    const env = { ...process.env, KEHU_IMPORT_BATCH: '300' };
    const child = spawn(KEHU_BIN, args, { env, stdio: 'ignore' });
    let done = 0;
    for (let i = 0; i < 600 && done < 900; i++) {
      await new Promise((ok) => setTimeout(ok, 20));
      try { done = Number(sql(db, 'SELECT last_row FROM kh_imports') || 0); } catch { /* busy */ }
    }
    child.kill('SIGKILL');
    await new Promise((ok) => child.on('exit', ok));
    const partial = Number(sql(db, 'SELECT count(*) FROM contacts'));
    assert.ok(partial >= 900 && partial < 6000, `killed part way: ${partial} rows in`);
    assert.equal(sql(db, "SELECT status FROM kh_imports"), 'running');
    // Every committed row's search document was committed with it (staged until
    // the import ends): the next search indexes them, before any resume.
    assert.equal(sql(db, 'SELECT count(*) FROM kh_search_bulk'), String(partial));
    const srv = await startServer({ db });
    try {
      const token = await srv.login();
      const r = await srv.call('GET', `/api/v1/search?q=${encodeURIComponent(`c${partial - 1}@x.cn`)}`, { token });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.data.map((h) => h.title), [`客户${partial - 1}`]);
      assert.equal(sql(db, 'SELECT count(*) FROM kh_search_bulk'), '0');
    } finally {
      await srv.stop();
    }
    const again = await kehu(args, { KEHU_IMPORT_BATCH: '300' });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /resuming import 1/);
    assert.equal(sql(db, 'SELECT count(*), count(DISTINCT email) FROM contacts'), '6000|6000');
    assert.equal(sql(db, "SELECT status, rows_done, created FROM kh_imports"), 'done|6000|6000');
    // Searchable, all of them, and the indexes are back.
    assert.equal(sql(db, "SELECT count(*) FROM kh_search WHERE kh_search MATCH '\"c5999@x\"'"), '1');
    assert.equal(sql(db, 'SELECT count(*) FROM kh_search_content'), '6000', 'each row indexed once');
    assert.equal(sql(db, 'SELECT count(*) FROM kh_search_bulk'), '0');
    assert.match(sql(db, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts'"), /ix_contacts_email/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
