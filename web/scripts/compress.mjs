// Writes file.br and file.gz beside every text file of the build (dist/ or the
// directory given), so that `kehu serve` sends them compressed without
// compressing anything while it serves (src/http/static.c). Files under 1 KB
// are left alone: compression would save less than a packet.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const TEXT = /\.(html|js|mjs|css|json|svg|txt|map)$/;
const root = resolve(process.argv[2] ?? 'dist');
let files = 0, raw = 0, br = 0, gz = 0;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p);
    else if (TEXT.test(name) && st.size >= 1024) {
      const data = readFileSync(p);
      const b = brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
      const g = gzipSync(data, { level: 9 });
      writeFileSync(`${p}.br`, b);
      writeFileSync(`${p}.gz`, g);
      files++, raw += data.length, br += b.length, gz += g.length;
    }
  }
}

walk(root);
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
console.log(`compressed ${files} files: ${kb(raw)} -> ${kb(br)} brotli, ${kb(gz)} gzip`);
