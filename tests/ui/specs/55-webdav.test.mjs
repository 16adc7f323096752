// Settings → WebDAV: the address and the per-client instructions, and an app password made
// in one click, shown once, that really signs in (checked over HTTP from here, outside the
// browser), listed with the API tokens and revoked there; in English, then in Chinese.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, screenshot, baseUrl } from '../harness.mjs';
import { signedInPage } from './lib/ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** GET /api/v1/users/me with the secret as a Bearer token, from Node (no cookies). */
async function meWith(secret) {
  const res = await fetch(`${baseUrl}/api/v1/users/me`, { headers: { Authorization: `Bearer ${secret}` } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const clipboard = (page) => page.evaluate(() => navigator.clipboard.readText());

test('settings: the WebDAV address and an app password that works, shown once, revocable, in both languages', async () => {
  const { context, page, user } = await signedInPage(browser, {}, 'dav');
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  const address = `${baseUrl}/dav/`;
  try {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    const card = page.getByRole('region', { name: 'WebDAV network drive' });
    await card.waitFor();
    assert.equal(await card.getByRole('textbox', { name: 'WebDAV address' }).inputValue(), address);
    await card.getByRole('button', { name: 'Copy the WebDAV address' }).click();
    await page.getByText('Address copied').waitFor();
    assert.equal(await clipboard(page), address);

    // Each client's instructions, with this server's address and this user's name in them.
    const text = await card.textContent();
    for (const needle of [`Sign in as “${user.username}”`, `net use * ${address} /user:${user.username}`, 'Map network drive',
      'BasicAuthLevel /t REG_DWORD /d 2', 'FileSizeLimitInBytes', '50 MB', 'Connect to Server', `mount -t davfs ${address} /mnt/hoard`,
      'buf_size 64', `dav://${new URL(baseUrl).host}/dav/`, `url=${address} vendor=owncloud user=${user.username}`]) {
      assert.ok(text.includes(needle), `the WebDAV card says “${needle}”`);
    }
    const windows = card.locator('details[data-client="windows"]');
    await windows.locator('summary').click();
    await windows.getByText(`net use * ${address} /user:${user.username}`).waitFor();
    await page.evaluate(() => document.querySelector('.toasts')?.replaceChildren());
    await card.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 72));
    await screenshot(page, 'webdav');

    // One click: a device name is proposed, the secret is shown once and signs in.
    await card.getByRole('button', { name: 'Create app password' }).click();
    const ask = page.getByRole('dialog', { name: 'New app password' });
    const device = await ask.getByRole('textbox', { name: 'Device name' }).inputValue();
    assert.equal(device, 'Linux (WebDAV)', 'proposed from the platform');
    const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/tokens') && r.request().method() === 'POST');
    await ask.getByRole('button', { name: 'Create' }).click();
    assert.equal((await created).status(), 201);
    const shown = page.getByRole('dialog', { name: 'Your new app password' });
    await shown.getByText('Copy it now: it will not be shown again.').waitFor();
    const secret = await shown.getByRole('textbox', { name: 'App password' }).inputValue();
    assert.match(secret, /^hoard_pat_/);
    const me = await meWith(secret);
    assert.equal(me.status, 200, 'the app password is a working credential');
    assert.equal(me.body.username, user.username);
    await shown.getByRole('button', { name: 'Copy', exact: true }).click();
    assert.equal(await clipboard(page), secret);
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    const tokens = page.getByRole('region', { name: 'API tokens' });
    await tokens.locator('.row-title', { hasText: device }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page once the dialog is closed');

    // The same section in Chinese; the app password is revoked from the token list there.
    await page.getByRole('button', { name: 'Language' }).click();
    await page.getByRole('menuitemradio', { name: '简体中文' }).click();
    const zh = page.getByRole('region', { name: 'WebDAV 网络驱动器' });
    await zh.waitFor();
    assert.equal(await zh.getByRole('textbox', { name: 'WebDAV 地址' }).inputValue(), address);
    await zh.getByRole('button', { name: '复制 WebDAV 地址' }).waitFor();
    await zh.getByRole('button', { name: '创建应用密码' }).waitFor();
    const zhText = await zh.textContent();
    for (const needle of ['映射网络驱动器', 'BasicAuthLevel', '连接服务器', 'buf_size 64', '其他位置', 'vendor=owncloud', `用户名填“${user.username}”`]) {
      assert.ok(zhText.includes(needle), `the Chinese WebDAV card says “${needle}”`);
    }
    for (const word of ['Sign in as', 'Create app password', 'Map network drive', 'Other Locations', 'Copy']) {
      assert.ok(!zhText.includes(word), `no “${word}” left in the Chinese card`);
    }
    const zhTokens = page.getByRole('region', { name: 'API 令牌' });
    await zhTokens.getByRole('button', { name: `吊销 ${device}` }).click();
    const revoked = page.waitForResponse((r) => /\/api\/v1\/auth\/tokens\/\d+$/.test(r.url()) && r.request().method() === 'DELETE');
    await page.getByRole('dialog', { name: '吊销' }).getByRole('button', { name: '吊销' }).click();
    assert.equal((await revoked).status(), 204);
    await zhTokens.getByText('还没有令牌。').waitFor();
    assert.equal((await meWith(secret)).status, 401, 'a revoked app password signs in no more');
  } finally {
    await context.close();
  }
});
