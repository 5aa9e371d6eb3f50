import { defineConfig } from 'vitest/config';

// The API server for `npm run dev` (Vite's dev server proxies /api to it).
const api = process.env.KEHU_API ?? 'http://127.0.0.1:8090';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // ECharts is loaded only by the dashboard, in its own chunk; keep warnings meaningful.
    chunkSizeWarningLimit: 900,
  },
  server: { proxy: { '/api': api, '/healthz': api } },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
