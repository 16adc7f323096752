// The runner works end to end: Chromium starts, reaches the real server, and the UI page
// carries the SPEC §9 security headers; unknown API routes answer the §2 JSON error shape.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, baseUrl, admin } from '../harness.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('the harness is configured by tests/browser.rs', () => {
  assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(admin.username, 'HOARD_ADMIN_USER is set');
  assert.ok(admin.password, 'HOARD_ADMIN_PASSWORD is set');
});

test('GET / serves the UI with a title, CSP and X-Frame-Options: DENY', async () => {
  const { context, page } = await newPage(browser);
  try {
    const response = await page.goto('/');
    assert.ok(response, 'a navigation response');
    assert.equal(response.status(), 200);
    assert.equal(response.url(), `${baseUrl}/`);
    const headers = response.headers();
    assert.match(headers['content-type'] ?? '', /^text\/html/);
    const csp = headers['content-security-policy'] ?? '';
    assert.ok(csp.length > 0, 'a Content-Security-Policy header');
    assert.match(csp, /default-src/);
    assert.equal(headers['x-frame-options'], 'DENY');
    const title = await page.title();
    assert.ok(title.trim().length > 0, `a non-empty <title>, got ${JSON.stringify(title)}`);
  } finally {
    await context.close();
  }
});

test('GET /api/v1/nope answers a JSON 404 not_found', async () => {
  const { context, page } = await newPage(browser);
  try {
    const response = await page.request.get('/api/v1/nope');
    assert.equal(response.status(), 404);
    assert.match(response.headers()['content-type'] ?? '', /^application\/json/);
    const body = await response.json();
    assert.equal(body.code, 'not_found');
    assert.equal(typeof body.message, 'string');
  } finally {
    await context.close();
  }
});

test('the API documentation renders: Swagger UI lists the operations, ReDoc the API title', async () => {
  const { context, page } = await newPage(browser);
  try {
    const failed = [];
    page.on('pageerror', (error) => failed.push(error.message));
    const docs = await page.goto('/docs');
    assert.equal(docs.status(), 200);
    // Operations come from /openapi.json through the gzip-compressed Swagger UI bundle.
    await page.locator('.opblock-summary-path', { hasText: '/files/{id}/versions' }).first().waitFor();
    await page.locator('.info .title', { hasText: 'Hoard' }).waitFor();
    const redoc = await page.goto('/redoc');
    assert.equal(redoc.status(), 200);
    await page.locator('h1', { hasText: 'Hoard' }).first().waitFor();
    await page.getByText(/earlier contents, newest first/).first().waitFor({ state: 'attached' });
    assert.deepEqual(failed, [], 'no script errors');
  } finally {
    await context.close();
  }
});
