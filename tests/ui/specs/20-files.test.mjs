// The file browser: create a folder, upload by picker (with visible progress) and by drag
// and drop, rename, move with the folder picker, delete and restore from the trash, the
// list and grid views, and keyboard navigation of the list.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, screenshot, fixture, baseUrl } from '../harness.mjs';
import { signedInPage, apiInPage, listedNames, row, uploadFixtures } from './lib/ui.mjs';

let browser;
let context;
let page;

before(async () => {
  browser = await launch();
  ({ context, page } = await signedInPage(browser, {}, 'files'));
});
after(async () => { await browser?.close(); });

const ok = (status) => (r) => r.status() === status;

test('create a folder from the toolbar', async () => {
  await page.getByRole('button', { name: 'New folder' }).click();
  const dialog = page.getByRole('dialog', { name: 'New folder' });
  await dialog.getByLabel('Folder name').fill('Projects');
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/folders'));
  await dialog.getByRole('button', { name: 'Create' }).click();
  assert.equal((await created).status(), 201);
  await row(page, 'Projects').waitFor();
  assert.equal(await dialog.count(), 0, 'the dialog closed');
  const list = await apiInPage(page, '/files');
  assert.deepEqual(list.body.items.map((e) => [e.name, e.kind]), [['Projects', 'folder']]);
});

test('upload several files with the picker, with per-file and total progress', async () => {
  // Slow the upload link down so the progress is visible, then let it go.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 768 * 1024 });
  const big = Buffer.alloc(700 * 1024, 7);
  const uploads = [];
  page.on('response', (r) => { if (r.url().includes('/api/v1/files?on_conflict=rename') && r.request().method() === 'POST') uploads.push(r.status()); });
  await page.locator('input[type=file]:not([webkitdirectory])').setInputFiles([
    ...['photo1.png', 'notes.txt', 'main.rs'].map((name) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(fixture(name)) })),
    { name: 'big-a.bin', mimeType: 'application/octet-stream', buffer: big },
    { name: 'big-b.bin', mimeType: 'application/octet-stream', buffer: big },
  ]);
  const panel = page.getByRole('region', { name: 'Uploads' });
  await panel.waitFor();
  const total = panel.getByRole('progressbar', { name: 'Total progress' });
  await page.waitForFunction(() => {
    const bar = document.querySelector('.upload-panel [aria-label="Total progress"]');
    const v = Number(bar?.getAttribute('aria-valuenow'));
    return v > 0 && v < 100;
  });
  await panel.getByRole('progressbar', { name: 'Progress of big-a.bin' }).waitFor();
  assert.match(await panel.locator('.up-summary').textContent(), /\/s/, 'shows a speed');
  await screenshot(page, 'upload-progress');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await panel.getByRole('heading', { name: '5 uploads complete' }).waitFor({ timeout: 30000 });
  assert.equal(await total.getAttribute('aria-valuenow'), '100');
  assert.deepEqual(uploads, [201, 201, 201, 201, 201]);
  await page.waitForFunction(() => document.querySelectorAll('.fl-body .fl-row').length === 6);
  const names = await listedNames(page);
  assert.deepEqual(names, ['Projects', 'big-a.bin', 'big-b.bin', 'main.rs', 'notes.txt', 'photo1.png']);
  const server = await apiInPage(page, '/files');
  const notes = server.body.items.find((e) => e.name === 'notes.txt');
  assert.equal(notes.size, readFileSync(fixture('notes.txt')).length);
  await panel.getByRole('button', { name: 'Close uploads' }).click();
});

test('upload by dropping files on the list', async () => {
  const posted = page.waitForResponse((r) => r.url().includes('/api/v1/files?on_conflict=rename') && r.request().method() === 'POST');
  const b64 = readFileSync(fixture('photo2.png')).toString('base64');
  await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
    dt.items.add(new File(['dropped text\n'], 'dropped.txt', { type: 'text/plain' }));
    const zone = document.querySelector('.drop-zone');
    for (const type of ['dragenter', 'dragover']) zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    if (!zone.classList.contains('dragging')) throw new Error('no drop highlight');
    zone.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, b64);
  assert.equal((await posted).status(), 201);
  await row(page, 'dropped.png').waitFor();
  await row(page, 'dropped.txt').waitFor();
  assert.equal(await page.locator('.drop-zone.dragging').count(), 0);
  await page.getByRole('region', { name: 'Uploads' }).getByRole('button', { name: 'Close uploads' }).click();
});

test('rename a file from its menu', async () => {
  await row(page, 'notes.txt').getByRole('button', { name: 'Actions for notes.txt' }).click();
  await page.getByRole('menuitem', { name: 'Rename' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rename' });
  const input = dialog.getByLabel('New name');
  assert.equal(await input.inputValue(), 'notes.txt');
  // The base name is preselected, so typing keeps the extension.
  assert.deepEqual(await input.evaluate((el) => [el.selectionStart, el.selectionEnd]), [0, 5]);
  await input.fill('meeting-notes.txt');
  const patched = page.waitForResponse((r) => r.url().match(/\/api\/v1\/files\/\d+$/) && r.request().method() === 'PATCH');
  await input.press('Enter');
  const response = await patched;
  assert.equal(response.status(), 200);
  assert.equal((await response.json()).name, 'meeting-notes.txt');
  await row(page, 'meeting-notes.txt').waitFor();
  assert.equal(await row(page, 'notes.txt').count(), 0);
});

test('a clashing name shows the API message in the dialog', async () => {
  await row(page, 'main.rs').getByRole('button', { name: 'Actions for main.rs' }).click();
  await page.getByRole('menuitem', { name: 'Rename' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rename' });
  await dialog.getByLabel('New name').fill('photo1.png');
  const failed = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await dialog.getByRole('button', { name: 'Rename' }).click();
  const response = await failed;
  assert.equal(response.status(), 409);
  const body = await response.json();
  await dialog.getByText(body.message).waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
});

test('move a file into a folder with the folder picker', async () => {
  await row(page, 'main.rs').getByRole('button', { name: 'Actions for main.rs' }).click();
  await page.getByRole('menuitem', { name: 'Move' }).click();
  const dialog = page.getByRole('dialog', { name: 'Move 1 item to…' });
  await dialog.getByRole('button', { name: 'Projects' }).click();
  await dialog.getByRole('navigation').getByRole('button', { name: 'Projects' }).waitFor();
  const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await dialog.getByRole('button', { name: 'Move here' }).click();
  const response = await patched;
  assert.equal(response.status(), 200);
  const moved = await response.json();
  assert.equal(moved.path, '/Projects/main.rs');
  await row(page, 'main.rs').waitFor({ state: 'detached' });
  await row(page, 'Projects').getByRole('link', { name: 'Projects' }).click();
  await page.waitForURL(/\/files\/\d+$/);
  await row(page, 'main.rs').waitFor();
  const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
  assert.deepEqual(await crumbs.locator('.crumb').allTextContents(), ['My files', 'Projects']);
  await crumbs.getByRole('link', { name: 'My files' }).click();
  await page.waitForURL(`${baseUrl}/files`);
});

test('delete to the trash and restore from it', async () => {
  await row(page, 'dropped.txt').getByRole('button', { name: 'Actions for dropped.txt' }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  const confirm = page.getByRole('dialog', { name: 'Move to trash?' });
  const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
  await confirm.getByRole('button', { name: 'Move to trash' }).click();
  assert.equal((await deleted).status(), 204);
  await row(page, 'dropped.txt').waitFor({ state: 'detached' });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' }).click();
  await page.waitForURL(`${baseUrl}/trash`);
  const trashRow = page.locator('tbody tr').filter({ hasText: 'dropped.txt' });
  await trashRow.waitFor();
  assert.match(await trashRow.textContent(), /\/dropped\.txt/);
  const restored = page.waitForResponse((r) => r.url().includes('/restore'));
  await trashRow.getByRole('button', { name: 'Restore dropped.txt' }).click();
  assert.equal((await restored).status(), 200);
  await page.getByRole('heading', { name: 'The trash is empty' }).waitFor();
  const trash = await apiInPage(page, '/trash');
  assert.equal(trash.body.total, 0);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My files' }).click();
  await row(page, 'dropped.txt').waitFor();
});

test('keyboard: arrows move, Space selects, Enter opens, Backspace goes up, Delete asks', async () => {
  const grid = page.getByRole('grid');
  await grid.locator('.fl-body .fl-row').first().focus();
  const focusedName = () => page.evaluate(() => document.activeElement.closest('.fl-row')?.querySelector('.fl-link')?.textContent);
  assert.equal(await focusedName(), 'Projects');
  await page.keyboard.press('ArrowDown');
  assert.equal(await focusedName(), 'big-a.bin');
  await page.keyboard.press('End');
  assert.equal(await focusedName(), 'photo1.png');
  await page.keyboard.press('ArrowUp');
  assert.equal(await focusedName(), 'meeting-notes.txt');
  await page.keyboard.press('Space');
  assert.equal(await row(page, 'meeting-notes.txt').getAttribute('aria-selected'), 'true');
  await page.getByRole('region', { name: 'Selection' }).getByText('1 selected').waitFor();
  await page.keyboard.press('Shift+ArrowUp');
  await page.getByRole('region', { name: 'Selection' }).getByText('2 selected').waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('.fl-row[aria-selected="true"]').count(), 0);
  await page.keyboard.press('Delete');
  const confirm = page.getByRole('dialog', { name: 'Move to trash?' });
  await confirm.waitFor();
  // Focus is trapped in the dialog and returns to the row when it closes.
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    assert.ok(await confirm.evaluate((d) => d.contains(document.activeElement)), 'focus stays in the dialog');
  }
  await page.keyboard.press('Escape');
  await confirm.waitFor({ state: 'detached' });
  assert.ok((await focusedName()) !== undefined, 'focus is back on a row');
  await page.keyboard.press('Home');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/files\/\d+$/);
  await row(page, 'main.rs').waitFor();
  await page.getByRole('grid').locator('.fl-row[tabindex="0"]').focus();
  await page.keyboard.press('Backspace');
  await page.waitForURL(`${baseUrl}/files`);
  // Shift+F10 opens the actions menu; Escape returns.
  await row(page, 'Projects').waitFor();
  await page.getByRole('grid').locator('.fl-row[tabindex="0"]').focus();
  await page.keyboard.press('Shift+F10');
  await page.getByRole('menu').getByRole('menuitem', { name: 'Open' }).waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await page.getByRole('menu').count(), 0);
});

test('list and grid views (with thumbnails), sorted by size and by modification time', async () => {
  await uploadFixtures(page, ['photo3.jpg']);
  await page.reload();
  await row(page, 'photo3.jpg').waitFor();
  await page.getByRole('columnheader', { name: 'Size' }).getByRole('button').click();
  await page.waitForFunction(() => document.querySelector('[aria-sort="ascending"]')?.textContent.includes('Size'));
  const sizes = await apiInPage(page, '/files?sort=size&order=asc');
  assert.deepEqual(await listedNames(page), sizes.body.items.map((e) => e.name));
  // "Modified" is the content's time (`modified_at`), and the list sorts by it on the server.
  await page.getByRole('columnheader', { name: 'Modified' }).getByRole('button').click();
  await page.waitForFunction(() => document.querySelector('[aria-sort="ascending"]')?.textContent.includes('Modified'));
  const times = await apiInPage(page, '/files?sort=modified_at&order=asc');
  assert.deepEqual(await listedNames(page), times.body.items.map((e) => e.name));
  await page.getByRole('columnheader', { name: 'Name' }).getByRole('button').click();
  await page.waitForFunction(() => document.querySelector('[aria-sort="ascending"]')?.textContent.includes('Name'));
  await page.locator('.fl-row .thumb-img').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('.thumb-img')].every((i) => i.complete && i.naturalWidth > 0));
  await screenshot(page, 'files-list');
  const thumbs = page.waitForResponse((r) => r.url().includes('/thumbnail?size=256'));
  await page.getByRole('button', { name: 'Grid view' }).click();
  assert.equal((await thumbs).status(), 200);
  assert.equal(await page.getByRole('button', { name: 'Grid view' }).getAttribute('aria-pressed'), 'true');
  await page.waitForFunction(() => document.querySelectorAll('.fl-grid .thumb-img').length >= 3 && [...document.querySelectorAll('.thumb-img')].every((i) => i.complete && i.naturalWidth > 0));
  await screenshot(page, 'files-grid');
  // Grid keyboard: right arrow moves along the row.
  await page.getByRole('grid').locator('.fl-row').first().focus();
  await page.keyboard.press('ArrowRight');
  const second = await page.evaluate(() => document.activeElement.querySelector('.fl-link')?.textContent);
  assert.equal(second, 'big-a.bin');
  await page.getByRole('button', { name: 'List view' }).click();
  await page.locator('.fl-list').waitFor();
});

test('search by name', async () => {
  await page.getByRole('searchbox', { name: 'Search files by name' }).fill('PHOTO');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\?q=PHOTO/);
  await page.getByRole('heading', { name: 'Results for “PHOTO”' }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.fl-body .fl-row').length === 2);
  assert.deepEqual(await listedNames(page), ['photo1.png', 'photo3.jpg']);
  await page.getByRole('searchbox', { name: 'Search files by name' }).fill('no-such-thing');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Nothing matches “no-such-thing”' }).waitFor();
  await page.getByRole('link', { name: 'Clear search' }).click();
  await page.waitForURL(`${baseUrl}/files`);
});
