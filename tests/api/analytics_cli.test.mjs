// `kehu analyze` through its command line: the published CDNOW fits from a
// transaction CSV (BG/NBD and Pareto/NBD of Fader, Hardie & Lee 2005, the
// Gamma-Gamma of Fader & Hardie's note), the JSON shapes issue 7 fixes, the
// UCI Online Retail customers with an amount that is a product of two
// columns, the ECSI model by PLS against SmartPLS, --all over a database, and
// bad usage. Skipped with a message when ../shared/data is absent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kehu, startServer } from './lib/server.mjs';

const DATA = process.env.KEHU_SHARED_DATA ?? '../shared/data';
const have = (f) => existsSync(join(DATA, f));
let dir;
before(() => { dir = mkdtempSync(join(tmpdir(), 'kehu-analyze-')); });
after(() => rmSync(dir, { recursive: true, force: true }));
const near = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

function cdnowCsv() {
  // CDNOW_sample.txt: master id, sample id, YYYYMMDD, CDs, dollars (fixed width, CRLF).
  const lines = readFileSync(join(DATA, 'CDNOW_sample.txt'), 'utf8').trim().split(/\r?\n/);
  const out = ['customer_id,date,amount', ...lines.map((l) => { const f = l.trim().split(/\s+/); return `${f[1]},${f[2]},${f[4]}`; })];
  const p = join(dir, 'cdnow.csv');
  writeFileSync(p, out.join('\n') + '\n');
  return p;
}

test('clv over the CDNOW sample reproduces the published BG/NBD, Pareto/NBD and Gamma-Gamma fits', async (t) => {
  if (!have('CDNOW_sample.txt')) { t.skip('skipped: no reference data'); return; }
  const r = await kehu(['analyze', 'clv', '--csv', cdnowCsv(), '--calibration-end', '1997-09-30', '--unit', 'week', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  // FHL (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
  near(j.bgnbd.r, 0.243, 5e-4, 'r'); near(j.bgnbd.alpha, 4.414, 5e-4, 'alpha');
  near(j.bgnbd.a, 0.793, 5e-4, 'a'); near(j.bgnbd.b, 2.426, 5e-4, 'b'); near(j.bgnbd.loglik, -9582.4, 0.05, 'LL');
  // Pareto/NBD: r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0.
  near(j.pareto_nbd.r, 0.553, 5e-4, 'r'); near(j.pareto_nbd.alpha, 10.578, 5e-4, 'alpha');
  near(j.pareto_nbd.s, 0.606, 5e-4, 's'); near(j.pareto_nbd.beta, 11.669, 5e-3, 'beta'); near(j.pareto_nbd.loglik, -9595.0, 0.05, 'LL');
  // Gamma-Gamma: p = 6.25, q = 3.74, gamma = 15.44.
  near(j.gamma_gamma.p, 6.25, 5e-3, 'p'); near(j.gamma_gamma.q, 3.74, 5e-3, 'q'); near(j.gamma_gamma.gamma, 15.44, 5e-3, 'gamma');
  // The shape issue 7 fixes; every customer, in weeks; the CDNOW holdout of 39 weeks.
  assert.equal(j.customers.length, 2357);
  for (const c of j.customers.slice(0, 50)) {
    assert.deepEqual(Object.keys(c).sort(), ['T', 'clv', 'customer_id', 'expected_purchases', 'expected_spend', 'frequency', 'p_alive', 'recency']);
    assert.ok(c.recency <= c.T && c.T <= 39.01 && c.p_alive > 0 && c.p_alive <= 1);
  }
  assert.equal(j.unit, 'week');
  assert.equal(j.customers_fitted, 2357);
  // A table for people, too.
  const tbl = await kehu(['analyze', 'clv', '--csv', cdnowCsv(), '--calibration-end', '1997-09-30']);
  assert.match(tbl.stdout, /BG\/NBD\s+r=0\.2426/);
});

test('rfm --json has the shape issue 7 fixes; the UCI customers from Quantity*UnitPrice', async (t) => {
  if (!have('online_retail_uci.csv.gz')) { t.skip('skipped: no reference data'); return; }
  const csv = join(dir, 'uci.csv');
  writeFileSync(csv, execFileSync('gzip', ['-dc', join(DATA, 'online_retail_uci.csv.gz')], { maxBuffer: 256 << 20 }));
  const r = await kehu(['analyze', 'rfm', '--csv', csv, '--customer-col', 'CustomerID', '--date-col', 'InvoiceDate',
    '--amount-col', 'Quantity*UnitPrice', '--order-col', 'InvoiceNo', '--product-col', 'StockCode', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.as_of, '2011-12-09');
  // 4372 customers have a CustomerID, cancellations included (the commonly reported count).
  assert.equal(j.customers.length, 4372);
  assert.deepEqual(Object.keys(j.customers[0]).sort(), ['customer_id', 'f', 'frequency', 'm', 'monetary', 'r', 'recency', 'segment']);
  assert.equal(typeof j.customers[0].customer_id, 'number');
  assert.deepEqual(j.segments.map((s) => Object.keys(s).sort()), j.segments.map(() => ['customers', 'name', 'revenue']));
  assert.equal(j.segments.reduce((s, x) => s + x.customers, 0), 4372);
  const base = await kehu(['analyze', 'baskets', '--csv', csv, '--customer-col', 'CustomerID', '--date-col', 'InvoiceDate',
    '--amount-col', 'Quantity*UnitPrice', '--order-col', 'InvoiceNo', '--product-col', 'StockCode', '--min-support', '0.02', '--json']);
  const b = JSON.parse(base.stdout);
  assert.ok(b.rules.length > 0 && b.rules.every((x) => x.support >= 0.02 && x.lift > 0));
});

test('pls reproduces SmartPLS on the ECSI mobile-phone data', async (t) => {
  if (!have('ecsi_mobi.csv')) { t.skip('skipped: no reference data'); return; }
  const r = await kehu(['analyze', 'pls', '--model', 'ecsi', '--csv', join(DATA, 'ecsi_mobi.csv'), '--scheme', 'centroid', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const smartpls = [0.50470564, 0.17883348, 0.19535971, 0.55724786, 0.05078755, 0.06442534, 0.55721686, 0.51254524, 0.19181566, 0.52609731, 0.48347472, 0.07123241];
  j.paths.forEach((p, i) => near(p.coef, smartpls[i], 1e-6, `${p.from}->${p.to}`));
  assert.equal(j.respondents, 250);
  // A model of one's own in lavaan syntax.
  const model = join(dir, 'model.txt');
  writeFileSync(model, '# abridged\nImage =~ IMAG1 + IMAG2 + IMAG3\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\nLoyalty =~ CUSL1 + CUSL3\nSatisfaction ~ Image\nLoyalty ~ Image + Satisfaction\n');
  const c = await kehu(['analyze', 'pls', '--model', model, '--csv', join(DATA, 'ecsi_mobi.csv'), '--json']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(JSON.parse(c.stdout).paths.length, 3);
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, 'Satisfaction ~ Nothing\n');
  const e = await kehu(['analyze', 'pls', '--model', bad, '--csv', join(DATA, 'ecsi_mobi.csv')]);
  assert.equal(e.code, 1);
  assert.match(e.stderr, /line 1/);
});

test('--all stores the scores of a database; bad usage exits 2 with a reason', async () => {
  const srv = await startServer({ customers: 200 });
  try {
    const r = await kehu(['analyze', '--all', '--db', srv.db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Scored \d+ contacts/);
    const n = Number(execFileSync('sqlite3', [srv.db, "SELECT count(*) FROM kh_customer_scores WHERE entity = 'contacts'"]).toString());
    assert.ok(n > 50);
    const tbl = await kehu(['analyze', 'rfm', '--db', srv.db]);
    assert.equal(tbl.code, 0, tbl.stderr);
    assert.match(tbl.stdout, /Champions/);
  } finally {
    await srv.stop();
  }
  for (const args of [['analyze'], ['analyze', 'astrology', '--csv', 'x'], ['analyze', 'rfm'], ['analyze', 'clv', '--csv', 'x', '--unit', 'year'],
    ['analyze', 'rfm', '--csv', 'x', '--as-of', 'soon'], ['analyze', 'rfm', '--csv', 'x', '--db', 'y']]) {
    const r = await kehu(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.length > 0);
  }
  const missing = await kehu(['analyze', 'rfm', '--csv', join(dir, 'nope.csv')]);
  assert.equal(missing.code, 1);
  const cols = join(dir, 'cols.csv');
  writeFileSync(cols, 'who,when,how much\n1,2024-01-01,5\n');
  const c = await kehu(['analyze', 'rfm', '--csv', cols]);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /customer column 'customer_id'/);
});
