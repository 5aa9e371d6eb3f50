// The web UI's files as `kehu serve` sends them (src/http/static.c): the
// build's precompressed copies (web/scripts/compress.mjs, run here on a
// directory of our own) chosen by Accept-Encoding, caching headers and
// revalidation. Requests go through node:http, which, unlike fetch, neither
// adds an Accept-Encoding of its own nor decompresses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile, utimes } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startServer } from './lib/server.mjs';

let srv, root;
// Text that compresses, above the build's 1 KB threshold.
const JS = Array.from({ length: 400 }, (_, i) => `export const v${i} = "客户 ${i}";`).join('\n');
const SMALL_CSS = 'body { margin: 0 }';
const INDEX = '<!doctype html><html lang="zh-CN"><title>Kehu</title><script type="module" src="/assets/app-1.js"></script></html>';

function get(path, headers = {}) {
  return new Promise((ok, fail) => {
    const req = request(srv.url + path, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'kehu-web-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), INDEX.repeat(12)); // over 1 KB, so it has copies too
  await writeFile(join(root, 'assets', 'app-1.js'), JS);
  await writeFile(join(root, 'assets', 'small-1.css'), SMALL_CSS);
  await writeFile(join(root, 'assets', 'logo-1.png'), Buffer.alloc(4096, 7));
  execFileSync(process.execPath, [resolve('web/scripts/compress.mjs'), root]);
  srv = await startServer({ args: ['--web-root', root] });
});

after(async () => {
  await srv?.stop();
  await rm(root, { recursive: true, force: true });
});

test('a client that accepts brotli gets the brotli copy; gzip-only clients get gzip', async () => {
  const br = await get('/assets/app-1.js', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(br.status, 200);
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers.vary, 'Accept-Encoding');
  assert.match(br.headers['content-type'], /^text\/javascript/);
  assert.match(br.headers['cache-control'], /max-age=31536000, immutable/);
  assert.ok(br.body.length < JS.length / 3, `compressed: ${br.body.length} of ${Buffer.byteLength(JS)} bytes`);
  assert.equal(Number(br.headers['content-length']), br.body.length);
  assert.equal(brotliDecompressSync(br.body).toString(), JS);

  const gz = await get('/assets/app-1.js', { 'accept-encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.body).toString(), JS);
});

test('q-values are honoured; without a usable coding the file goes as it is', async () => {
  const cases = [
    [undefined, undefined],
    ['identity', undefined],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0.0, gzip;q=0', undefined],
    ['*', 'br'],
    ['*;q=0.5, br;q=0', 'gzip'],
    ['GZIP', 'gzip'],
    ['deflate', undefined],
  ];
  for (const [ae, want] of cases) {
    const r = await get('/assets/app-1.js', ae === undefined ? {} : { 'accept-encoding': ae });
    assert.equal(r.headers['content-encoding'], want, `Accept-Encoding: ${ae}`);
    const text = want === 'br' ? brotliDecompressSync(r.body) : want === 'gzip' ? gunzipSync(r.body) : r.body;
    assert.equal(text.toString(), JS, `Accept-Encoding: ${ae}`);
  }
});

test('small files and images go uncompressed; only compressible types vary by encoding', async () => {
  const css = await get('/assets/small-1.css', { 'accept-encoding': 'br, gzip' });
  assert.equal(css.headers['content-encoding'], undefined);
  assert.equal(css.body.toString(), SMALL_CSS);
  assert.equal(css.headers.vary, 'Accept-Encoding');
  const png = await get('/assets/logo-1.png', { 'accept-encoding': 'br, gzip' });
  assert.equal(png.headers['content-encoding'], undefined);
  assert.equal(png.headers.vary, undefined);
  assert.equal(png.body.length, 4096);
});

test('a compressed copy older than its file is never sent (a build that skipped compressing)', async () => {
  const changed = '<!doctype html><title>new build</title>';
  await writeFile(join(root, 'index.html'), changed);
  const old = new Date(Date.now() - 3600e3);
  await utimes(join(root, 'index.html.br'), old, old);
  await utimes(join(root, 'index.html.gz'), old, old);
  const r = await get('/', { 'accept-encoding': 'br, gzip' });
  assert.equal(r.headers['content-encoding'], undefined);
  assert.equal(r.body.toString(), changed);
});

test('index.html is revalidated: an unchanged page is a 304, a new build a 200', async () => {
  const first = await get('/contacts/7', { 'accept-encoding': 'gzip' });
  assert.equal(first.status, 200);
  assert.equal(first.headers['cache-control'], 'no-cache');
  const etag = first.headers.etag;
  assert.match(etag, /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
  const again = await get('/contacts/7', { 'if-none-match': etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, etag);
  assert.equal((await get('/', { 'if-none-match': `"other", ${etag}` })).status, 304);
  assert.equal((await get('/', { 'if-none-match': '"other"' })).status, 200);
  await writeFile(join(root, 'index.html'), '<!doctype html><title>another build, another size</title>');
  const later = new Date(Date.now() + 5000);
  await utimes(join(root, 'index.html'), later, later);
  const fresh = await get('/', { 'if-none-match': etag });
  assert.equal(fresh.status, 200);
  assert.notEqual(fresh.headers.etag, etag);
  assert.match(fresh.body.toString(), /another build/);
});
