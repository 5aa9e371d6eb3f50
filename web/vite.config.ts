import { defineConfig, type Plugin } from 'vitest/config';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';

// The API server for `npm run dev` (Vite's dev server proxies /api to it).
const api = process.env.KEHU_API ?? 'http://127.0.0.1:8090';

/** Writes file.gz beside every text asset of the build, for a server that sends precompressed files. */
function precompress(): Plugin {
  return {
    name: 'kehu-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const p = join(dir, name);
          if (statSync(p).isDirectory()) walk(p);
          else if (/\.(js|css|html|svg|json)$/.test(name) && statSync(p).size > 1024)
            writeFileSync(`${p}.gz`, gzipSync(readFileSync(p), { level: constants.Z_BEST_COMPRESSION }));
        }
      };
      walk('dist');
    },
  };
}

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  plugins: [precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // ECharts is loaded only by the dashboard, in its own chunk.
    chunkSizeWarningLimit: 900,
  },
  server: { proxy: { '/api': api, '/healthz': api } },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
