// Getting data in and out, in a real browser against a real server: the import
// wizard with a GB18030 CSV dropped on it (suggested columns, a column mapped by
// hand, upsert by phone, per-row problems in the dry run, the run's progress
// bar, the report and its CSV) and with an Excel workbook from the file picker;
// export of a filtered, sorted list as CSV, XLSX and vCard; the duplicate
// finder's merge with a field chosen by hand, and its undo. Every file is made
// here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { WEB_ROOT, setupBrowserOnly, login, shot } from './browser.mjs';
import { startServer } from '../api/lib/server.mjs';

let s, page, token;
const errors = [];
before(async () => {
  // Small batches, so that a file of a few thousand rows moves the progress bar.
  const srv = await startServer({ args: ['--web-root', WEB_ROOT], env: { KEHU_IMPORT_BATCH: '100' } });
  const b = await setupBrowserOnly();
  s = { srv, browser: b, url: (p = '/') => srv.url + p };
  page = b.page;
  page.on('pageerror', (e) => errors.push(String(e)));
  token = await srv.login();
  await login(page, srv.url);
});
after(async () => {
  assert.deepEqual(errors, []);
  await s?.browser.close();
  await s?.srv.stop();
});

const api = async (method, path, json) => {
  const r = await s.srv.call(method, `/api/v1${path}`, { token, json });
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const gb18030 = (text) => execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text });

/** An .xlsx workbook (a zip of XML parts) with one sheet of shared strings, numbers and dates. */
function xlsx(rows) {
  const strings = [];
  const sid = (v) => (strings.includes(v) ? strings.indexOf(v) : strings.push(v) - 1);
  const esc = (v) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const col = (i) => String.fromCharCode(65 + i);
  const sheet = rows.map((r, y) => `<row r="${y + 1}">${r.map((v, x) => {
    const ref = `${col(x)}${y + 1}`;
    if (v === null) return '';
    if (typeof v === 'number') return `<c r="${ref}"><v>${v}</v></c>`;
    if (v instanceof Date) return `<c r="${ref}" s="1"><v>${v.getTime() / 86400000 + 25569}</v></c>`;
    return `<c r="${ref}" t="s"><v>${sid(v)}</v></c>`;
  }).join('')}</row>`).join('');
  const ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
  const rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
  const parts = {
    '[Content_Types].xml': '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    'xl/workbook.xml': `<?xml version="1.0" encoding="UTF-8"?><workbook ${ns} ${rel}><sheets><sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    'xl/styles.xml': `<?xml version="1.0" encoding="UTF-8"?><styleSheet ${ns}><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`,
    'xl/worksheets/sheet1.xml': `<?xml version="1.0" encoding="UTF-8"?><worksheet ${ns}><sheetData>${sheet}</sheetData></worksheet>`,
  };
  parts['xl/sharedStrings.xml'] = `<?xml version="1.0" encoding="UTF-8"?><sst ${ns} count="${strings.length}">${strings.map((v) => `<si><t>${esc(v)}</t></si>`).join('')}</sst>`;
  const files = [], dir = [];
  let offset = 0;
  for (const [name, text] of Object.entries(parts)) {
    const raw = Buffer.from(text), data = deflateRawSync(raw), n = Buffer.from(name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0); head.writeUInt16LE(20, 4); head.writeUInt16LE(8, 8);
    head.writeUInt32LE(crc32(raw), 14); head.writeUInt32LE(data.length, 18); head.writeUInt32LE(raw.length, 22); head.writeUInt16LE(n.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(20, 4); cd.writeUInt16LE(20, 6); cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(crc32(raw), 16); cd.writeUInt32LE(data.length, 20); cd.writeUInt32LE(raw.length, 24); cd.writeUInt16LE(n.length, 28); cd.writeUInt32LE(offset, 42);
    files.push(head, n, data);
    dir.push(cd, n);
    offset += 30 + n.length + data.length;
  }
  const cdLen = dir.reduce((a, b) => a + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(dir.length / 2, 8); end.writeUInt16LE(dir.length / 2, 10);
  end.writeUInt32LE(cdLen, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...files, ...dir, end]);
}

/** Drops a file on an element, as dragging it from the desktop does. */
async function dropFile(selector, name, bytes) {
  const dt = await page.evaluateHandle(([b64, n]) => {
    const d = new DataTransfer();
    d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], n));
    return d;
  }, [bytes.toString('base64'), name]);
  await page.locator(selector).dispatchEvent('dragover', { dataTransfer: dt });
  await page.locator(selector).dispatchEvent('drop', { dataTransfer: dt });
}

async function downloaded(click) {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: d.suggestedFilename(), bytes: await readFile(await d.path()) };
}

test('a GB18030 CSV dropped on the wizard: columns suggested and mapped, upsert by phone, problems per row, progress, report', async () => {
  const old = await api('POST', '/contacts', { name: '李四', mobile: '13900000001', city: '上海' });
  const lines = ['客户姓名,手机号码,电子邮件,公司,城市,微信号码,内部代码',
    '张三丰,138-1234-5678,ZS@Example.com,武当科技,湖北,zsf_wd,A1',
    '李四,+86 139 0000 0001,li4@x.cn,,北京,lisi88,A2',
    '王五,12,not-an-email,,上海,,A3',
    '赵六,１３７００００１１１１,zl@x.cn,武当科技,北京,,A4'];
  for (let i = 0; i < 1500; i++) lines.push(`客户${i},1380000${String(i).padStart(4, '0')},c${i}@x.cn,,深圳,,B${i}`);
  const file = gb18030(lines.join('\r\n') + '\r\n');

  await page.goto(s.url('/data/import'));
  await page.locator('h1', { hasText: '导入数据' }).waitFor();
  await page.locator('#im-entity').selectOption('contacts');
  await shot(page, 'import-upload');
  await dropFile('#im-drop', '客户名单.csv', file);

  // The server's suggestions, with examples read in the browser.
  await page.locator('table.im-map').waitFor();
  const mapped = await page.locator('table.im-map select').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(mapped, ['name', 'mobile', 'email', 'account_id', 'city', '', '']);
  assert.equal(await page.locator('.im-suggested').count(), 5);
  await page.locator('tr[data-col="1"] .im-example', { hasText: '张三丰' }).waitFor();
  await page.locator('#im-map-6').selectOption('wechat'); // 微信号码: no suggestion, mapped by hand
  await page.locator('#im-key').selectOption('phone');
  await page.locator('input[name=im-dup][value=update]').check();
  await page.locator('#im-create-refs').check();
  await page.locator('#im-run-rules').check();
  await shot(page, 'import-map');
  await page.locator('#im-check').click();

  // The dry run: counts, and the bad row marked at its cells, in Chinese.
  await page.locator('[data-figure=im_would_create] .figure-value', { hasText: '1,502' }).waitFor({ timeout: 30000 });
  assert.equal(await page.locator('[data-figure=im_would_update] .figure-value').textContent(), '1');
  assert.equal(await page.locator('[data-figure=im_problems] .figure-value').textContent(), '1');
  const bad = page.locator('tr.im-row-bad');
  assert.equal(await bad.count(), 1);
  assert.equal(await bad.getAttribute('data-row'), '4');
  assert.equal(await bad.locator('td.im-cell-bad').count(), 2, 'the phone and the e-mail');
  await bad.locator('.im-cell-why', { hasText: '不是有效的电话号码' }).waitFor();
  assert.equal(await page.locator('tr.im-row-ok').count(), 19);
  await shot(page, 'import-preview', { fullPage: true });
  assert.equal((await api('GET', '/contacts?count=1&limit=1')).total, 1, 'a dry run writes nothing');

  // The run: the progress bar moves with the job's status, then the report.
  await page.evaluate(() => {
    window.__seen = [];
    new MutationObserver(() => {
      const p = document.querySelector('#im-progress');
      if (p) window.__seen.push(p.value);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  // A fast machine imports 1,502 rows before the page first asks how far the
  // job got: that first answer is shown to the page as the job half done, so
  // the bar's drawing of a status is tested whatever the machine's speed (the
  // job's own figures are api/import's to test).
  const status = /\/api\/v1\/imports\/\d+$/;
  let halfway = false;
  await page.route(status, async (route) => {
    if (route.request().method() !== 'GET' || halfway) return route.continue();
    halfway = true;
    const res = await route.fetch();
    const job = await res.json();
    await route.fulfill({ response: res, json: { ...job, status: 'running', progress: 0.5 } });
  });
  await page.locator('#im-run').click();
  await page.locator('.im-report [data-figure=im_created] .figure-value', { hasText: '1,502' }).waitFor({ timeout: 30000 });
  await page.unroute(status);
  const seen = await page.evaluate(() => window.__seen);
  assert.ok(halfway, 'the page asked for the job\'s status');
  assert.ok(seen.some((v) => v > 0 && v < 1), `the bar showed the import part way: ${seen}`);
  assert.equal(await page.locator('.im-report [data-figure=im_updated] .figure-value').textContent(), '1');
  assert.equal(await page.locator('.im-report [data-figure=im_failed_rows] .figure-value').textContent(), '1');
  await shot(page, 'import-report');
  const report = await downloaded(() => page.locator('#im-errors-csv').click());
  assert.match(report.name, /^import-\d+-errors\.csv$/);
  const rows = report.bytes.toString().trim().split('\r\n');
  assert.equal(rows[0], 'row,column,field,value,reason');
  assert.deepEqual(rows.slice(1).map((l) => l.split(',').slice(0, 3).join(',')), ['4,手机号码,mobile', '4,电子邮件,email']);

  // What went in.
  const li = await api('GET', `/contacts/${old.id}`);
  assert.equal(li.city, '北京');
  assert.equal(li.wechat, 'lisi88');
  const [zhang] = (await api('GET', `/contacts?name=${encodeURIComponent('张三丰')}`)).data;
  assert.equal(zhang.email, 'zs@example.com');
  assert.equal(zhang.wechat, 'zsf_wd');
  assert.equal((await api('GET', `/accounts/${zhang.account_id}`)).name, '武当科技');
  // Asked to run the rules: each new record's creation is recorded as if made by hand.
  assert.deepEqual((await api('GET', `/contacts/${zhang.id}/history`)).data.map((h) => h.action), ['create']);
  assert.equal((await api('GET', '/contacts?count=1&limit=1')).total, 1503);
  await page.locator('.im-report a', { hasText: '联系人' }).click();
  await page.waitForURL(/\/contacts$/);
});

test('an Excel workbook from the file picker, in English: dates and numbers as the server reads them', async () => {
  await page.locator('.topbar-right select').selectOption('en');
  await page.goto(s.url('/data/import?entity=accounts'));
  await page.locator('h1', { hasText: 'Import records' }).waitFor();
  assert.equal(await page.locator('#im-entity').inputValue(), 'accounts');
  const book = xlsx([
    ['Company name', 'Industry', 'Employees', 'City', 'Since'],
    ['华为技术', 'it', 207000, '深圳', new Date(Date.UTC(1987, 8, 15))],
    ['腾讯', 'it', 105417, '深圳', new Date(Date.UTC(1998, 10, 11))],
    ['Broken Co', 'no-such-industry', 12, 'Beijing', null],
  ]);
  await page.setInputFiles('#im-file', { name: 'accounts.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: book });
  await page.locator('table.im-map').waitFor();
  await page.locator('tr[data-col="5"] .im-example', { hasText: '1987-09-15' }).waitFor();
  await page.locator('tr[data-col="3"] .im-example', { hasText: '207000' }).waitFor();
  assert.equal(await page.locator('#im-map-1').inputValue(), 'name');
  await page.locator('#im-check').click();
  await page.locator('[data-figure=im_would_create] .figure-value', { hasText: '2' }).waitFor({ timeout: 30000 });
  await page.locator('tr.im-row-bad[data-row="4"] .im-cell-why', { hasText: 'must be one of' }).waitFor();
  await page.locator('#im-run').click();
  await page.locator('.im-report h2', { hasText: 'Import finished' }).waitFor({ timeout: 30000 });
  const hw = (await api('GET', `/accounts?name=${encodeURIComponent('华为技术')}`)).data[0];
  assert.equal(hw.city, '深圳');
  assert.equal(hw.industry, 'it');
  await page.locator('.topbar-right select').selectOption('zh-CN');
});

test('export of the list as it is filtered and sorted: CSV with Chinese headings, Excel, vCard', async () => {
  await page.goto(s.url(`/contacts?f.city=${encodeURIComponent('北京')}&sort=name`));
  await page.locator('table.table tbody tr').first().waitFor();
  const expected = (await api('GET', `/contacts?city=${encodeURIComponent('北京')}&sort=name,id&limit=500`)).data.map((r) => r.name);
  assert.ok(expected.length >= 2, 'the import left contacts in 北京');

  await page.locator('#ex-open').click();
  await page.locator('.dialog .ex-format', { hasText: 'CSV' }).click();
  await page.locator('#ex-labels').selectOption('zh');
  await shot(page, 'export-dialog');
  let file = await downloaded(() => page.locator('#ex-go').click());
  assert.equal(file.name, 'contacts.csv');
  const text = file.bytes.toString();
  assert.ok(text.startsWith('\ufeff'), 'a byte order mark, for Excel');
  const lines = text.slice(1).trim().split('\r\n');
  const head = lines[0].split(',');
  assert.ok(head.includes('姓名') && head.includes('城市'), lines[0]);
  const nameAt = head.indexOf('姓名');
  assert.deepEqual(lines.slice(1).map((l) => l.split(',')[nameAt]), expected);

  await page.locator('#ex-open').click();
  await page.locator('.dialog .ex-format', { hasText: 'Excel' }).click();
  file = await downloaded(() => page.locator('#ex-go').click());
  assert.equal(file.name, 'contacts.xlsx');
  assert.equal(file.bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04');

  await page.locator('#ex-open').click();
  await page.locator('.dialog .ex-format', { hasText: 'vCard' }).click();
  file = await downloaded(() => page.locator('#ex-go').click());
  assert.equal(file.name, 'contacts.vcf');
  assert.equal(file.bytes.toString().match(/BEGIN:VCARD/g).length, expected.length);
});

test('duplicates: the cluster side by side, a value chosen by hand, merged, then undone', async () => {
  const acc = await api('POST', '/accounts', { name: '京东方' });
  const a = await api('POST', '/contacts', { name: '陈静', mobile: '186-0000-1234', city: '成都', account_id: acc.id });
  const b = await api('POST', '/contacts', { name: '陳靜', mobile: '+86 186 0000 1234', email: 'chenjing@boe.cn', city: '成都', title: '采购经理' });
  const act = await api('POST', '/activities', { type: 'call', subject: '回访', contact_id: b.id });

  await page.goto(s.url('/contacts'));
  await page.locator('#dd-open').click();
  await page.waitForURL(/\/data\/duplicates\?entity=contacts$/);
  await page.locator('#dd-scan').click();
  const card = page.locator(`.dd-cluster[data-ids="${a.id},${b.id}"]`);
  await card.waitFor();
  await card.locator('.tag', { hasText: '电话' }).waitFor();
  // Keep a (the older one), but take b's way of writing the name.
  await card.locator('th', { hasText: `#${a.id}` }).locator('input[type=radio]').check();
  await card.locator(`input[aria-label="姓名 取自 #${b.id}"]`).check();
  await shot(page, 'duplicates');
  await card.locator('.dd-merge').click();
  await card.locator('.dd-done', { hasText: `#${a.id}` }).waitFor();
  let kept = await api('GET', `/contacts/${a.id}`);
  assert.equal(kept.name, '陳靜', 'the value chosen by hand');
  assert.equal(kept.email, 'chenjing@boe.cn', 'a gap filled from the other record');
  assert.equal(kept.account_id, acc.id);
  assert.ok((await api('GET', `/contacts/${b.id}`)).archived_at, 'the other record is archived');
  assert.equal((await api('GET', `/activities/${act.id}`)).contact_id, a.id, 'its call moved');

  await card.locator('.dd-undo').click();
  await card.locator('.alert', { hasText: '合并已撤销' }).waitFor();
  kept = await api('GET', `/contacts/${a.id}`);
  assert.equal(kept.name, '陈静');
  assert.equal(kept.email, null);
  assert.equal((await api('GET', `/contacts/${b.id}`)).archived_at, null);
  assert.equal((await api('GET', `/activities/${act.id}`)).contact_id, b.id);
});

/** axe-core (installed with the web UI) on the page as it is: no serious or critical violations. */
async function accessible(what) {
  await page.evaluate(await readFile(resolve('web/node_modules/axe-core/axe.min.js'), 'utf8'));
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')})`);
  assert.deepEqual(bad, [], what);
}

test('the wizard at each step, the export dialog and the duplicate finder pass axe-core', async () => {
  await page.goto(s.url('/data/import'));
  await page.locator('#im-drop').waitFor();
  await accessible('upload');
  await dropFile('#im-drop', 'a11y.csv', Buffer.from('姓名,手机,邮箱\n钱七,13500001111,q7@x.cn\n孙八,12,bad\n'));
  await page.locator('table.im-map').waitFor();
  await accessible('mapping');
  await page.locator('#im-check').click();
  await page.locator('tr.im-row-bad').waitFor({ timeout: 30000 });
  await accessible('preview');
  await page.locator('#im-run').click();
  await page.locator('.im-report').waitFor({ timeout: 30000 });
  await accessible('report');
  await page.goto(s.url('/contacts'));
  await page.locator('#ex-open').click();
  await page.locator('.dialog .ex-format').first().waitFor();
  await accessible('export dialog');
  await page.goto(s.url('/data/duplicates?entity=contacts'));
  await page.locator('#dd-scan').click();
  await page.locator('.dd-summary').waitFor({ timeout: 30000 });
  await accessible('duplicates');
});
