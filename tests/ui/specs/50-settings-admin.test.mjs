// Settings (profile, password, sessions, API tokens) and the admin page (stats, user search,
// create, deactivate).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, screenshot, admin, fixture } from '../harness.mjs';
import { signedInPage, createUser, apiInPage, PASSWORD } from './lib/ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('profile: display name, bio and avatar; API tokens; password change keeps me signed in', async () => {
  const { context, page, user } = await signedInPage(browser, {}, 'profile');
  try {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await page.getByLabel('Display name').fill('Ada Lovelace');
    await page.getByLabel('About you').fill('Analyst of engines.');
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/users/me') && r.request().method() === 'PATCH');
    await page.getByRole('button', { name: 'Save' }).click();
    assert.equal((await saved).status(), 200);
    await page.getByText('Profile saved').waitFor();
    const avatar = page.waitForResponse((r) => r.url().endsWith('/users/me/avatar'));
    await page.locator('#avatar-file').setInputFiles(fixture('photo1.png'));
    assert.equal((await avatar).status(), 200);
    await page.locator('.avatar-big img').waitFor();
    const me = await apiInPage(page, '/users/me');
    assert.equal(me.body.display_name, 'Ada Lovelace');
    assert.equal(me.body.bio, 'Analyst of engines.');
    assert.ok(me.body.avatar_url);
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.getByText('This browser').waitFor();

    await page.getByLabel('Token name').fill('backup script');
    const token = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/tokens') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Create token' }).click();
    assert.equal((await token).status(), 201);
    const shown = page.getByRole('dialog', { name: 'Your new token' });
    assert.match(await shown.getByRole('textbox', { name: 'Token' }).inputValue(), /^hoard_pat_/);
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.locator('.row-title', { hasText: 'backup script' }).waitFor();
    await page.evaluate(() => { window.scrollTo(0, 0); document.querySelector('.toasts')?.replaceChildren(); });
    await screenshot(page, 'profile');

    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('purple elephant dancing quietly');
    await page.getByLabel('Confirm new password').fill('purple elephant dancing quietly');
    const changed = page.waitForResponse((r) => r.url().endsWith('/auth/change-password'));
    await page.getByRole('button', { name: 'Change password' }).click();
    assert.equal((await changed).status(), 200);
    await page.getByText('Password changed').waitFor();
    assert.equal((await apiInPage(page, '/users/me')).status, 200, 'still signed in with the new password');
    assert.equal(user.username, me.body.username);
  } finally {
    await context.close();
  }
});

test('admin: stats, search, create and deactivate a user', async () => {
  const { context, page } = await newPage(browser);
  try {
    const target = await createUser(page.request, 'target');
    const res = await page.request.post('/api/v1/auth/web/login', { data: admin });
    assert.equal(res.status(), 200);
    await page.goto('/admin');
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.locator('.stat-label', { hasText: 'Users' }).waitFor();
    await page.locator('.stat-label', { hasText: 'Earlier versions' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search users' }).fill(target.username);
    const rows = page.locator('.users-table tbody tr');
    await page.waitForFunction((name) => {
      const r = document.querySelectorAll('.users-table tbody tr');
      return r.length === 1 && r[0].dataset.username === name;
    }, target.username);
    await page.getByRole('searchbox', { name: 'Search users' }).fill('');
    await page.waitForFunction(() => document.querySelectorAll('.users-table tbody tr').length > 1);
    await screenshot(page, 'admin');

    await page.getByRole('searchbox', { name: 'Search users' }).fill(target.username);
    await page.waitForFunction(() => document.querySelectorAll('.users-table tbody tr').length === 1);
    await rows.first().getByRole('button', { name: `Actions for ${target.username}` }).click();
    const deactivated = page.waitForResponse((r) => r.url().endsWith(`/users/${target.id}/deactivate`));
    await page.getByRole('menuitem', { name: 'Deactivate' }).click();
    assert.equal((await deactivated).status(), 200);
    await rows.first().getByText('Deactivated').waitFor();

    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    const name = `${target.username.slice(0, 20)}_n`;
    await dialog.getByLabel('Username').fill(name);
    await dialog.getByLabel('Email').fill(`${name}@example.test`);
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByLabel('Quota (GB)').fill('2');
    const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/users') && r.request().method() === 'POST');
    await dialog.getByRole('button', { name: 'New user' }).click();
    const response = await created;
    assert.equal(response.status(), 201);
    assert.equal((await response.json()).storage_quota, 2 * 1024 ** 3);
  } finally {
    await context.close();
  }
});

test('a non-admin sees no admin link and the API refuses', async () => {
  const { context, page } = await signedInPage(browser, {}, 'plain');
  try {
    assert.equal(await page.getByRole('link', { name: 'Administration' }).count(), 0);
    assert.equal((await apiInPage(page, '/admin/stats')).status, 403);
  } finally {
    await context.close();
  }
});
