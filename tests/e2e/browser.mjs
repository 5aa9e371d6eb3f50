// Shared pieces of the browser tests: Debian's Chromium through playwright-core,
// a real `kehu serve` with demo data (tests/api/lib/server.mjs), and logging in.
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, ADMIN_PASSWORD } from '../api/lib/server.mjs';

export { ADMIN_PASSWORD };
export const WEB_ROOT = resolve(process.env.KEHU_WEB_ROOT ?? 'web/dist');
export const SHOTS = resolve('docs/screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Starts a server with demo data and a browser; `stop()` ends both. */
export async function setup({ customers = 300, viewport = { width: 1366, height: 860 }, locale = 'zh-CN' } = {}) {
  if (!existsSync(join(WEB_ROOT, 'index.html'))) throw new Error(`the web UI is not built: no ${WEB_ROOT}/index.html (cd web && npm run build)`);
  const srv = await startServer({ customers, args: ['--web-root', WEB_ROOT] });
  const profile = await mkdtemp(join(tmpdir(), 'kehu-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
    locale,
    timezoneId: 'Asia/Shanghai',
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    srv,
    browser,
    page,
    errors,
    url: (p = '/') => srv.url + p,
    async stop() {
      await browser.close().catch(() => {});
      await srv.stop();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** A second browser (its own fresh profile) for a server already running; `close()` ends it. */
export async function setupBrowserOnly({ viewport = { width: 1366, height: 860 }, locale = 'zh-CN' } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'kehu-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
    locale,
    timezoneId: 'Asia/Shanghai',
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15000);
  return {
    browser, page,
    async close() {
      await browser.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Logs in through the login page as admin. */
export async function login(page, base, { username = 'admin', password = ADMIN_PASSWORD } = {}) {
  await page.goto(base + '/login');
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('form.login-form button[type=submit]').click();
  await page.locator('.topbar').waitFor();
}

export async function shot(page, name, { fullPage = false } = {}) {
  // Only on request (KEHU_SCREENSHOTS=1 node --test tests/e2e/), so that a test run leaves the tree clean.
  if (process.env.KEHU_SCREENSHOTS !== '1') return;
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

/** The token the page holds (to act as "someone else" through the API). */
export async function pageToken(page) {
  return page.evaluate(() => sessionStorage.getItem('kehu.token'));
}
