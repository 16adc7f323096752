// Share links (SPEC §7): the share dialog creates a link; a fresh browser without an account
// opens /s/{token}, sees and downloads the file; a password-protected link asks first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, newPage, screenshot, fixture, baseUrl } from '../harness.mjs';
import { signedInPage, uploadFixtures, row, apiInPage } from './lib/ui.mjs';

let browser;
let page;

before(async () => {
  browser = await launch();
  ({ page } = await signedInPage(browser, {}, 'share'));
  await uploadFixtures(page, ['photo1.png', 'notes.txt']);
  await page.reload();
  await row(page, 'photo1.png').waitFor();
});
after(async () => { await browser?.close(); });

async function createShare(name, { password } = {}) {
  await row(page, name).getByRole('button', { name: `Actions for ${name}` }).click();
  await page.getByRole('menuitem', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: `Share “${name}”` });
  await dialog.waitFor();
  if (password) await dialog.getByLabel('Password (optional)').fill(password);
  await dialog.getByLabel('Download limit').fill('5');
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/shares') && r.request().method() === 'POST');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const response = await created;
  assert.equal(response.status(), 201);
  const share = await response.json();
  assert.equal(share.url, `/s/${share.token}`);
  assert.equal(share.max_downloads, 5);
  assert.equal(share.has_password, !!password);
  const link = dialog.getByRole('textbox', { name: 'New share link' });
  assert.equal(await link.inputValue(), `${baseUrl}/s/${share.token}`);
  await dialog.getByRole('list', { name: 'Links to this item' }).getByRole('listitem').first().waitFor();
  return { dialog, share };
}

test('create a share link in the dialog and open it without an account', async () => {
  const { dialog, share } = await createShare('photo1.png');
  assert.ok(share.expires_at, 'expires in 7 days by default');
  const days = (new Date(share.expires_at) - Date.now()) / 86400000;
  assert.ok(days > 6.9 && days < 7.1, `expiry ${days} days`);
  await screenshot(page, 'share-dialog');
  await dialog.getByRole('button', { name: 'Done' }).click();

  const mine = await apiInPage(page, '/shares');
  assert.equal(mine.body.total, 1);

  const { context: anon, page: visitor } = await newPage(browser);
  try {
    const meta = visitor.waitForResponse((r) => r.url().endsWith(`/api/v1/public/shares/${share.token}`));
    await visitor.goto(`/s/${share.token}`);
    assert.equal((await meta).status(), 200);
    await visitor.getByRole('heading', { name: 'photo1.png' }).waitFor();
    await visitor.getByRole('img', { name: 'photo1.png' }).waitFor();
    await visitor.waitForFunction(() => document.querySelector('.pv-image')?.naturalWidth > 0);
    await screenshot(visitor, 'share-public');
    const [download] = await Promise.all([
      visitor.waitForEvent('download'),
      visitor.getByRole('link', { name: 'Download' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'photo1.png');
    assert.deepEqual(readFileSync(await download.path()), readFileSync(fixture('photo1.png')));
    // The visitor has no session: the drive stays closed.
    assert.equal(await visitor.evaluate(() => fetch('/api/v1/files').then((r) => r.status)), 401);
  } finally {
    await anon.close();
  }
  const after = await apiInPage(page, '/shares');
  assert.equal(after.body.items[0].downloads, 1);
});

test('a password-protected link asks for the password first', async () => {
  const { dialog, share } = await createShare('notes.txt', { password: 'open sesame 42' });
  await dialog.getByRole('button', { name: 'Done' }).click();
  const { context: anon, page: visitor } = await newPage(browser);
  try {
    await visitor.goto(`/s/${share.token}`);
    await visitor.getByRole('heading', { name: 'This link is protected' }).waitFor();
    await visitor.getByLabel('Password').fill('wrong password');
    const failed = visitor.waitForResponse((r) => r.url().endsWith('/unlock'));
    await visitor.getByRole('button', { name: 'Open' }).click();
    assert.equal((await failed).status(), 401);
    await visitor.getByText('That password is not right.').waitFor();
    await visitor.getByLabel('Password').fill('open sesame 42');
    const unlocked = visitor.waitForResponse((r) => r.url().endsWith('/unlock'));
    await visitor.getByRole('button', { name: 'Open' }).click();
    assert.equal((await unlocked).status(), 200);
    await visitor.getByRole('heading', { name: 'notes.txt' }).waitFor();
    const text = readFileSync(fixture('notes.txt'), 'utf8');
    await visitor.locator('.pv-code pre').waitFor();
    assert.equal(await visitor.locator('.pv-code pre').textContent(), text.replace(/\n$/, ''));
  } finally {
    await anon.close();
  }
});

test('shared links page lists the links; deleting one ends it', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Shared links' }).click();
  await page.getByRole('heading', { name: 'Shared links' }).waitFor();
  const cards = page.locator('.share-card');
  await cards.first().waitFor();
  assert.equal(await cards.count(), 2);
  const card = cards.filter({ hasText: 'notes.txt' });
  const token = (await apiInPage(page, '/shares')).body.items.find((s) => s.name === 'notes.txt').token;
  await card.getByRole('button', { name: 'Delete link' }).click();
  const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete link' }).click();
  assert.equal((await deleted).status(), 204);
  await page.waitForFunction(() => document.querySelectorAll('.share-card').length === 1);
  const gone = await page.request.get(`/api/v1/public/shares/${token}`);
  assert.equal(gone.status(), 404);
});
