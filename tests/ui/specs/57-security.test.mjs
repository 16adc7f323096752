// Two-step sign-in through the UI: set up TOTP in Settings → Security (QR code, the secret
// read from the page, a code computed here as an authenticator app would), save the recovery
// codes, sign in again with the second step (an app code, then a recovery code), make a new
// set of codes, change the password (which asks for a code to stay signed in) and turn it
// off; the admin resets a user's two-step sign-in; the login page explains a failed single
// sign-on. A user of its own, so the admin account never gets TOTP.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, newPage, screenshot, admin, baseUrl } from '../harness.mjs';
import { createUser, signedInPage, apiInPage } from './lib/ui.mjs';
import { totp, step, stepAfter } from './lib/totp.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const response = (page, path, method = 'POST') =>
  page.waitForResponse((r) => r.url().endsWith(`/api/v1${path}`) && r.request().method() === method);

async function signOut(page) {
  await page.getByRole('button', { name: 'Account' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login$/);
}

/** Submits the login page's password form; → the server's answer. */
async function submitPassword(page, user) {
  await page.getByLabel('Username or email').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  const login = response(page, '/auth/web/login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  return (await login).json();
}

/** The password step; with two-step sign-in on, it answers mfa_required and shows the code form. */
async function passwordStep(page, user) {
  const body = await submitPassword(page, user);
  assert.equal(body.mfa_required, true, 'the password alone does not sign in');
  assert.ok(!(await page.context().cookies()).some((c) => c.name === 'hoard_access'), 'no session cookie after the password');
}

async function securityCard(page) {
  await page.goto('/settings');
  const card = page.locator('[data-section="security"]');
  await card.getByRole('heading', { name: 'Security' }).waitFor();
  return card;
}

test('set up two-step sign-in, sign in with an app code and a recovery code, new codes, change the password, turn it off', async () => {
  const { context, page } = await newPage(browser);
  try {
    const user = await createUser(page.request, 'mfa');
    await page.goto('/login');
    assert.equal((await submitPassword(page, user)).username, user.username, 'no second step yet');
    await page.waitForURL(`${baseUrl}/files`);

    // Set up: the password, then the QR code and the key, then a code from "the app".
    let card = await securityCard(page);
    await card.getByText('Two-step sign-in is off.').waitFor();
    await card.getByRole('button', { name: 'Set up two-step sign-in' }).click();
    let dialog = page.getByRole('dialog', { name: 'Set up two-step sign-in' });
    await dialog.getByLabel('Password').fill('not my password');
    const refused = response(page, '/auth/mfa/totp/setup');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    assert.equal((await refused).status(), 401);
    await dialog.locator('.field-error').filter({ hasText: /\S/ }).waitFor();
    assert.equal(page.url(), `${baseUrl}/settings`, 'a wrong password is no lost session');
    await dialog.getByLabel('Password').fill(user.password);
    const setup = response(page, '/auth/mfa/totp/setup');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    assert.equal((await setup).status(), 200);
    const qr = dialog.locator('img.qr');
    await qr.waitFor();
    assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
    await page.waitForFunction(() => document.querySelector('img.qr')?.naturalWidth > 0);
    const shown = await dialog.getByRole('textbox', { name: 'Setup key' }).inputValue();
    assert.match(shown, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/, 'the key in groups of four');
    const secret = shown.replace(/\s+/g, '');
    await dialog.evaluate((el) => Promise.all(el.getAnimations({ subtree: true }).map((a) => a.finished)));
    await screenshot(page, 'security');

    await dialog.getByLabel('Code from the app').fill(totp(secret) === '000000' ? '111111' : '000000');
    const wrong = response(page, '/auth/mfa/totp/enable');
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    assert.equal((await wrong).status(), 422);
    await dialog.getByText('That code is not right').waitFor();
    const used = step();
    await dialog.getByLabel('Code from the app').fill(totp(secret, used));
    const enabled = response(page, '/auth/mfa/totp/enable');
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    assert.equal((await enabled).status(), 200);

    // The recovery codes, shown once: listed, copied, downloaded.
    dialog = page.getByRole('dialog', { name: 'Your recovery codes' });
    // allTextContents does not wait: wait for the list to be there first.
    await dialog.locator('.recovery-codes li').first().waitFor();
    const codes = (await dialog.locator('.recovery-codes li').allTextContents()).map((c) => c.trim());
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    const downloading = page.waitForEvent('download');
    await dialog.getByRole('button', { name: 'Download (.txt)' }).click();
    const file = await downloading;
    assert.match(file.suggestedFilename(), /\.txt$/);
    const text = readFileSync(await file.path(), 'utf8');
    for (const code of codes) assert.ok(text.includes(code), `${code} is in the file`);
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Recovery codes copied').waitFor();
    await dialog.getByRole('button', { name: 'I saved them' }).click();
    card = page.locator('[data-section="security"]');
    await card.getByText('Two-step sign-in is on · 10 recovery codes left').waitFor();

    // Sign in again: password, then a wrong code (inline error), then the next app code.
    await signOut(page);
    await passwordStep(page, user);
    const code = page.getByLabel('Authentication code');
    assert.equal(await code.getAttribute('inputmode'), 'numeric');
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
    const next = await stepAfter(used);
    await code.fill(totp(secret, next) === '123456' ? '654321' : '123456');
    const refusedCode = response(page, '/auth/web/login/mfa');
    await page.getByRole('button', { name: 'Verify' }).click();
    const refusedBody = await (await refusedCode).json();
    assert.equal(refusedBody.code, 'invalid_code');
    await page.getByText('That code is not right, or was already used.').waitFor();
    await code.fill(totp(secret, step()));
    const second = response(page, '/auth/web/login/mfa');
    await page.getByRole('button', { name: 'Verify' }).click();
    assert.equal((await second).status(), 200);
    await page.waitForURL(`${baseUrl}/files`);

    // And with a recovery code, through the switch.
    await signOut(page);
    await passwordStep(page, user);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    const recovery = page.getByLabel('Recovery code');
    assert.notEqual(await recovery.getAttribute('inputmode'), 'numeric');
    await recovery.fill(codes[0]);
    const third = response(page, '/auth/web/login/mfa');
    await page.getByRole('button', { name: 'Verify' }).click();
    assert.equal((await third).status(), 200);
    await page.waitForURL(`${baseUrl}/files`);

    // A new set of recovery codes (the password and a code from the old set).
    card = await securityCard(page);
    await card.getByText('9 recovery codes left').waitFor();
    await card.getByRole('button', { name: 'New recovery codes' }).click();
    dialog = page.getByRole('dialog', { name: 'New recovery codes' });
    await dialog.getByLabel('Password').fill(user.password);
    await dialog.getByLabel('Code from your app, or a recovery code').fill(codes[1]);
    const regenerated = response(page, '/auth/mfa/recovery-codes');
    await dialog.getByRole('button', { name: 'Make new codes' }).click();
    assert.equal((await regenerated).status(), 200);
    dialog = page.getByRole('dialog', { name: 'Your recovery codes' });
    await dialog.locator('.recovery-codes li').first().waitFor();
    const fresh = (await dialog.locator('.recovery-codes li').allTextContents()).map((c) => c.trim());
    assert.equal(fresh.length, 10);
    assert.ok(!fresh.includes(codes[2]), 'a new set');
    await dialog.getByRole('button', { name: 'I saved them' }).click();
    await card.getByText('10 recovery codes left').waitFor();

    // A password change ends every session; staying signed in takes the second step too.
    const newPassword = 'purple elephant dancing quietly';
    await page.getByLabel('Current password').fill(user.password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Code from your app, or a recovery code').fill(fresh[1]);
    const again = response(page, '/auth/web/login/mfa');
    await dialog.getByRole('button', { name: 'Verify' }).click();
    assert.equal((await again).status(), 200);
    await page.getByText('Password changed').waitFor();
    assert.equal((await apiInPage(page, '/users/me')).status, 200, 'still signed in');
    user.password = newPassword;

    // Turn it off: an old code is dead, a new one works.
    await card.getByRole('button', { name: 'Turn off' }).click();
    dialog = page.getByRole('dialog', { name: 'Turn off two-step sign-in?' });
    await dialog.getByLabel('Password').fill(user.password);
    await dialog.getByLabel('Code from your app, or a recovery code').fill(codes[2]);
    const dead = response(page, '/auth/mfa/totp', 'DELETE');
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    assert.ok([401, 422].includes((await dead).status()), 'the old set is dead');
    await dialog.getByText('That code is not right').waitFor();
    await dialog.getByLabel('Code from your app, or a recovery code').fill(fresh[0]);
    const off = response(page, '/auth/mfa/totp', 'DELETE');
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    assert.equal((await off).status(), 204);
    await card.getByText('Two-step sign-in is off.').waitFor();
    assert.equal((await apiInPage(page, '/auth/mfa')).body.totp_enabled, false);
  } finally {
    await context.close();
  }
});

test('the admin resets a locked-out user’s two-step sign-in', async () => {
  const { context, page, user } = await signedInPage(browser, {}, 'mfalost');
  try {
    const setup = await apiInPage(page, '/auth/mfa/totp/setup', { method: 'POST', json: { password: user.password } });
    assert.equal(setup.status, 200);
    const on = await apiInPage(page, '/auth/mfa/totp/enable', { method: 'POST', json: { code: totp(setup.body.secret) } });
    assert.equal(on.status, 200);
  } finally {
    await context.close();
  }
  const { context: adminContext, page: adminPage } = await newPage(browser);
  try {
    assert.equal((await adminPage.request.post('/api/v1/auth/web/login', { data: admin })).status(), 200);
    await adminPage.goto('/admin');
    await adminPage.getByRole('searchbox', { name: 'Search users' }).fill(user.username);
    await adminPage.waitForFunction((name) => {
      const rows = document.querySelectorAll('.users-table tbody tr');
      return rows.length === 1 && rows[0].dataset.username === name;
    }, user.username);
    const row = adminPage.locator('.users-table tbody tr').first();
    await row.locator('.badge-mfa', { hasText: 'Two-step' }).waitFor();
    await row.getByRole('button', { name: `Actions for ${user.username}` }).click();
    await adminPage.getByRole('menuitem', { name: 'Reset two-step sign-in' }).click();
    const confirm = adminPage.getByRole('dialog', { name: 'Reset two-step sign-in' });
    const reset = response(adminPage, `/users/${user.id}/mfa`, 'DELETE');
    await confirm.getByRole('button', { name: 'Reset two-step sign-in' }).click();
    assert.equal((await reset).status(), 204);
    await adminPage.waitForFunction(() => !document.querySelector('.users-table .badge-mfa'));
    const login = await adminPage.request.post('/api/v1/auth/login', { data: { username: user.username, password: user.password } });
    assert.ok((await login.json()).tokens, 'the password alone signs in again');
  } finally {
    await adminContext.close();
  }
});

test('the login page explains a failed single sign-on, in English and in Chinese', async () => {
  for (const [locale, words] of [['en-US', 'Single sign-on failed.'], ['zh-CN', '单点登录失败。']]) {
    const { context, page } = await newPage(browser, { locale });
    try {
      await page.goto('/login?error=oidc_failed');
      await page.getByRole('alert').filter({ hasText: words }).waitFor();
      await page.goto('/login');
      await page.locator('form[data-step="password"]').waitFor();
      assert.equal(await page.locator('[data-error="oidc_failed"]').count(), 0, 'no message without the error');
    } finally {
      await context.close();
    }
  }
});

test('the Security card in Chinese', async () => {
  const { context, page } = await signedInPage(browser, { locale: 'zh-CN' }, 'mfazh');
  try {
    const card = page.locator('[data-section="security"]');
    await page.goto('/settings');
    await card.getByRole('heading', { name: '安全' }).waitFor();
    await card.getByText('两步验证未开启。').waitFor();
    await card.getByRole('button', { name: '设置两步验证' }).waitFor();
  } finally {
    await context.close();
  }
});
