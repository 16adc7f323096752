// Shared helpers for the browser specs in tests/ui/specs/*.test.mjs.
//
// tests/browser.rs starts the real `hoard` binary and runs
//   node --test --test-concurrency=1 tests/ui/specs/*.test.mjs
// with HOARD_URL, HOARD_ADMIN_USER, HOARD_ADMIN_PASSWORD and HOARD_SCREENSHOTS set.
// The browser is Debian's Chromium (/usr/bin/chromium or HOARD_CHROMIUM), driven by
// playwright-core, which never downloads a browser of its own.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

/** The server under test, e.g. `http://127.0.0.1:40123` (no trailing slash). */
export const baseUrl = (process.env.HOARD_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');

/** The admin account that tests/browser.rs created with `hoard user add --admin`. */
export const admin = {
  username: process.env.HOARD_ADMIN_USER || 'admin',
  password: process.env.HOARD_ADMIN_PASSWORD || '',
};

const chromiumPath = process.env.HOARD_CHROMIUM || '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps trying to reach Google's hosts,
// which this machine's closed network refuses.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Starts a headless Chromium. Playwright gives every launch a new, empty temporary
 * user-data-dir (and deletes it on `browser.close()`), so no state leaks between launches.
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launch() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
  });
}

/**
 * A fresh browser context (own cookies and storage) and a page in it.
 * `page.goto('/')` resolves against `baseUrl`.
 * @param {import('playwright-core').Browser} browser
 * @param {{locale?: string, colorScheme?: 'light'|'dark'|'no-preference', viewport?: {width: number, height: number}}} [options]
 * @returns {Promise<{context: import('playwright-core').BrowserContext, page: import('playwright-core').Page}>}
 */
export async function newPage(
  browser,
  { locale = 'en-US', colorScheme = 'light', viewport = { width: 1280, height: 800 } } = {},
) {
  const context = await browser.newContext({
    baseURL: baseUrl,
    locale,
    colorScheme,
    viewport,
    extraHTTPHeaders: { 'Accept-Language': acceptLanguage(locale) },
  });
  const page = await context.newPage();
  return { context, page };
}

/** `zh-CN` → `zh-CN,zh;q=0.9`; `en-US` → `en-US,en;q=0.9`; `en` → `en`. */
function acceptLanguage(locale) {
  const base = locale.split('-')[0];
  return base && base !== locale ? `${locale},${base};q=0.9` : locale;
}

/**
 * Saves a PNG of the page's viewport as `<HOARD_SCREENSHOTS or docs/screenshots>/<name>.png`.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 * @returns {Promise<string>} the file's absolute path
 */
export async function screenshot(page, name) {
  const dir = resolve(process.env.HOARD_SCREENSHOTS || join(repoRoot, 'docs', 'screenshots'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** The absolute path of `tests/ui/fixtures/<name>`. */
export function fixture(name) {
  return join(here, 'fixtures', name);
}

let counter = 0;

/**
 * A unique, lower-case, username-safe string (letters, digits, `_`; 3–32 characters)
 * starting with the (sanitised) prefix, e.g. `unique('bob')` → `bob_m3k9x2a1b`.
 * @param {string} [prefix]
 */
export function unique(prefix = 'u') {
  let head = String(prefix).toLowerCase().replace(/[^a-z0-9_]/g, '');
  if (!/^[a-z]/.test(head)) head = `u${head}`;
  counter += 1;
  const tail = `_${Date.now().toString(36)}${process.pid.toString(36)}${counter.toString(36)}`;
  const room = 32 - tail.length;
  return `${head.slice(0, Math.max(room, 1))}${tail}`.slice(0, 32);
}
