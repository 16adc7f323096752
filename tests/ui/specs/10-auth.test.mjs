// Register, sign in, sign out: cookies only (nothing in web storage), the API's error
// message on a failed sign-in, and no way back into the drive after signing out.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, screenshot, unique, baseUrl } from '../harness.mjs';
import { createUser, PASSWORD } from './lib/ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('register a new account in the UI and land in an empty drive', async () => {
  const { context, page } = await newPage(browser);
  try {
    await page.goto('/');
    await page.waitForURL(/\/login/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'login');
    await page.getByRole('link', { name: 'Create account' }).click();
    await page.waitForURL(/\/register/);
    const username = unique('reg');
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Email').fill(`${username}@example.test`);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    const registered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/register'));
    const login = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/web/login'));
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.equal((await registered).status(), 201);
    assert.equal((await login).status(), 200);
    await page.waitForURL(`${baseUrl}/files`);
    await page.getByRole('heading', { name: 'Your drive is empty' }).waitFor();
    // The session lives in cookies: HttpOnly tokens, a readable CSRF cookie, no web storage tokens.
    const cookies = await context.cookies();
    const byName = Object.fromEntries(cookies.map((c) => [c.name, c]));
    assert.ok(byName.hoard_access?.httpOnly, 'hoard_access is HttpOnly');
    assert.equal(byName.hoard_access.sameSite, 'Strict');
    assert.ok(byName.hoard_refresh?.httpOnly, 'hoard_refresh is HttpOnly');
    assert.equal(byName.hoard_csrf?.httpOnly, false);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!stored.includes(byName.hoard_access.value.slice(0, 20)), 'no token in web storage');
    assert.doesNotMatch(stored, /eyJ[A-Za-z0-9_-]{10,}/, 'no JWT in web storage');
    const me = await page.evaluate(() => fetch('/api/v1/users/me').then((r) => r.json()));
    assert.equal(me.username, username);
  } finally {
    await context.close();
  }
});

test('a wrong password shows the API message; the right one signs in', async () => {
  const { context, page } = await newPage(browser);
  try {
    const user = await createUser(page.request, 'login');
    await page.goto('/login');
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password').fill('not the password at all');
    const failed = page.waitForResponse((r) => r.url().endsWith('/auth/web/login'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const response = await failed;
    assert.equal(response.status(), 401);
    const body = await response.json();
    assert.equal(body.code, 'invalid_credentials');
    await page.getByRole('alert').filter({ hasText: body.message }).waitFor();
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${baseUrl}/files`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My files' }).waitFor();
  } finally {
    await context.close();
  }
});

test('sign out: the drive is out of reach (reload → login, API 401)', async () => {
  const { context, page } = await newPage(browser);
  try {
    const user = await createUser(page.request, 'logout');
    await page.goto('/login?next=%2Ftrash');
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${baseUrl}/trash`);
    await page.getByRole('button', { name: 'Account' }).click();
    const logout = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/web/logout'));
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    assert.equal((await logout).status(), 204);
    await page.waitForURL(/\/login$/);
    const names = (await context.cookies()).filter((c) => c.name.startsWith('hoard_')).map((c) => c.name);
    assert.deepEqual(names, [], 'session cookies cleared');
    await page.goto('/files');
    await page.waitForURL(/\/login/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const status = await page.evaluate(() => fetch('/api/v1/users/me').then((r) => r.status));
    assert.equal(status, 401);
    const list = await page.evaluate(() => fetch('/api/v1/files').then((r) => r.status));
    assert.equal(list, 401);
  } finally {
    await context.close();
  }
});
