// Single sign-on from the login page: the provider's button (one per configured provider,
// `data-oidc-provider="<id>"`) goes through the test's OpenID Connect provider
// (tests/oidc/provider.mjs, started by tests/browser.rs as provider `mock`) and lands signed
// in; a refused sign-in comes back to the login page with its message.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, baseUrl, unique } from '../harness.mjs';

const control = process.env.HOARD_OIDC_CONTROL;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** What the provider's next ID token holds, or how it is spoiled. */
async function nextToken(spec) {
  assert.ok(control, 'HOARD_OIDC_CONTROL is set by tests/browser.rs');
  const res = await fetch(`${control}/next`, { method: 'POST', body: JSON.stringify(spec) });
  assert.equal(res.status, 204);
}

test('the OIDC button signs in through the provider and lands on /', async () => {
  const { context, page } = await newPage(browser);
  try {
    const username = unique('sso');
    await nextToken({ claims: { sub: username, email: `${username}@example.test`, email_verified: true, preferred_username: username } });
    await page.goto('/login');
    const callback = page.waitForResponse((r) => r.url().includes('/api/v1/auth/oidc/mock/callback'));
    await page.locator('[data-oidc-provider="mock"]').click();
    const answer = await callback;
    assert.equal(answer.status(), 302);
    assert.equal(answer.headers().location, '/');
    await page.waitForURL((url) => url.origin === baseUrl && !url.pathname.startsWith('/login'));
    const me = await page.evaluate(() => fetch('/api/v1/users/me').then((r) => r.json()));
    assert.equal(me.username, username);
    assert.equal(me.has_password, false);
    const names = (await context.cookies()).map((c) => c.name);
    assert.ok(names.includes('hoard_access') && names.includes('hoard_csrf'), names.join());
  } finally {
    await context.close();
  }
});

test('a refused sign-in comes back to the login page with a message', async () => {
  const { context, page } = await newPage(browser);
  try {
    await nextToken({ claims: { sub: unique('bad'), email_verified: true }, tamper: true });
    await page.goto('/login');
    await page.locator('[data-oidc-provider="mock"]').click();
    await page.waitForURL(`${baseUrl}/login?error=oidc_failed`);
    await page.getByRole('alert').first().waitFor();
    const status = await page.evaluate(() => fetch('/api/v1/users/me').then((r) => r.status));
    assert.equal(status, 401);
  } finally {
    await context.close();
  }
});
