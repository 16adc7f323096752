// File versions (SPEC §13): content replaced with PUT by-path leaves versions; the list shows
// a clock badge on that file only; its Versions dialog lists them newest first with sizes,
// downloads one byte for byte, restores one (after a confirmation: the count stays, the old
// bytes are current again) and deletes one (the count and the storage used go down). The
// actions menu opens the dialog too (files only), and it speaks Chinese.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, screenshot } from '../harness.mjs';
import { signedInPage, apiInPage, row } from './lib/ui.mjs';

let browser;
let page;
let user;

before(async () => {
  browser = await launch();
  ({ page, user } = await signedInPage(browser, {}, 'versions'));
});
after(async () => { await browser?.close(); });

/** `PUT /files/by-path` with a raw text body, from the page (cookie + CSRF) → {status, body}. */
async function put(where, path, text) {
  return where.evaluate(async ({ path, text }) => {
    const csrf = decodeURIComponent((document.cookie.match(/(?:^|;\s*)hoard_csrf=([^;]*)/) || [])[1] || '');
    const res = await fetch(`/api/v1/files/by-path?path=${encodeURIComponent(path)}`, { method: 'PUT', body: text, headers: { 'X-CSRF-Token': csrf } });
    return { status: res.status, body: await res.json() };
  }, { path, text });
}

/** The current bytes of a file, as text. */
const content = (id) => page.evaluate(async (id) => (await fetch(`/api/v1/files/${id}/content`)).text(), id);

const response = (where, pattern, method) =>
  where.waitForResponse((r) => pattern.test(new URL(r.url()).pathname) && r.request().method() === method);

const FIRST = 'one\n';
const SECOND = 'second version\n';
const THIRD = 'third, the current content\n';
const sizes = (panel) => panel.locator('[data-testid="version-row"] [data-testid="version-size"]').allTextContents();

test('replaced content shows a badge on that file only, and its versions newest first', async () => {
  assert.equal((await put(page, '/notes.txt', FIRST)).status, 201);
  assert.equal((await put(page, '/notes.txt', SECOND)).status, 200);
  const third = await put(page, '/notes.txt', THIRD);
  assert.equal(third.status, 200);
  assert.equal((await put(page, '/plain.txt', 'no versions here\n')).status, 201);
  const listed = (await apiInPage(page, '/files')).body.items;
  assert.deepEqual(listed.map((e) => [e.name, e.versions]), [['notes.txt', 2], ['plain.txt', 0]]);

  await page.reload();
  await row(page, 'plain.txt').waitFor();
  assert.equal(await page.locator('[data-testid="versions-badge"]').count(), 1);
  assert.equal(await row(page, 'plain.txt').locator('[data-testid="versions-badge"]').count(), 0);
  const badge = row(page, 'notes.txt').locator('[data-testid="versions-badge"]');
  assert.equal((await badge.textContent()).trim(), '2');
  assert.equal(await badge.getAttribute('aria-label'), '2 earlier versions');

  await badge.click();
  const panel = page.getByRole('dialog', { name: 'Versions of “notes.txt”' });
  await panel.waitFor();
  assert.equal(await panel.getAttribute('data-testid'), 'versions-panel');
  await panel.locator('[data-testid="version-row"]').nth(1).waitFor();
  assert.deepEqual(await sizes(panel), [`${SECOND.length} B`, `${FIRST.length} B`], 'newest first');
  const api = (await apiInPage(page, `/files/${third.body.id}/versions`)).body;
  assert.deepEqual(api.items.map((v) => v.size), [SECOND.length, FIRST.length]);
  assert.match(await panel.locator('[data-testid="versions-current"]').textContent(), new RegExp(`${THIRD.length} B`));
  const meta = await panel.locator('[data-testid="version-row"]').first().locator('.version-meta').textContent();
  assert.match(meta, /replaced/);
  assert.ok(meta.includes(`by ${user.username}`), `who uploaded it: ${meta}`);
  assert.ok(meta.includes('script (PUT)'), `how it arrived: ${meta}`);
  assert.equal(await row(page, 'notes.txt').count(), 1, 'the badge click did not open or leave the folder');
  await panel.evaluate((el) => Promise.all(el.getAnimations({ subtree: true }).map((a) => a.finished)));
  await screenshot(page, 'versions');
});

test('download a version: the old bytes exactly, under the file’s name', async () => {
  const panel = page.locator('[data-testid="versions-panel"]');
  const downloading = page.waitForEvent('download');
  await panel.locator('[data-testid="version-row"]').first().locator('[data-testid="version-download"]').click();
  const file = await downloading;
  assert.equal(file.suggestedFilename(), 'notes.txt');
  assert.equal(readFileSync(await file.path(), 'utf8'), SECOND);
});

test('restore a version after a confirmation: its bytes are current, the count stays', async () => {
  const panel = page.locator('[data-testid="versions-panel"]');
  const id = (await apiInPage(page, '/files/by-path?path=/notes.txt')).body.id;
  const oldest = panel.locator('[data-testid="version-row"]').filter({ hasText: `${FIRST.length} B` });
  await oldest.locator('[data-testid="version-restore"]').click();
  const confirm = page.getByRole('dialog', { name: 'Restore this version?' });
  await confirm.waitFor();
  // Cancelling changes nothing.
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  assert.equal(await content(id), THIRD);
  await oldest.locator('[data-testid="version-restore"]').click();
  const restored = response(page, /\/versions\/\d+\/restore$/, 'POST');
  await confirm.getByRole('button', { name: 'Restore' }).click();
  const answer = await restored;
  assert.equal(answer.status(), 200);
  assert.equal((await answer.json()).id, id, 'the entry keeps its id');
  assert.equal(await content(id), FIRST);
  const entry = (await apiInPage(page, `/files/${id}`)).body;
  assert.equal(entry.versions, 2, 'the current content became a version');
  assert.equal(entry.size, FIRST.length);
  // The dialog and the list follow: the replaced content is now the newest version.
  await page.waitForFunction((want) => [...document.querySelectorAll('[data-testid="versions-panel"] [data-testid="version-size"]')].map((e) => e.textContent).join() === want,
    [`${THIRD.length} B`, `${SECOND.length} B`].join());
  assert.match(await panel.locator('[data-testid="versions-current"]').textContent(), new RegExp(`(?<!\\d)${FIRST.length} B`));
  await row(page, 'notes.txt').locator('.fl-size', { hasText: `${FIRST.length} B` }).waitFor();
  assert.equal((await row(page, 'notes.txt').locator('[data-testid="versions-badge"]').textContent()).trim(), '2');
});

test('delete versions after a confirmation: the count and the storage used go down', async () => {
  const panel = page.locator('[data-testid="versions-panel"]');
  const id = (await apiInPage(page, '/files/by-path?path=/notes.txt')).body.id;
  const before = (await apiInPage(page, '/users/me')).body.storage_used;
  await panel.locator('[data-testid="version-row"]').filter({ hasText: `${SECOND.length} B` }).locator('[data-testid="version-delete"]').click();
  const confirm = page.getByRole('dialog', { name: 'Delete this version?' });
  const deleted = response(page, /\/versions\/\d+$/, 'DELETE');
  await confirm.getByRole('button', { name: 'Delete version' }).click();
  assert.equal((await deleted).status(), 204);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="versions-panel"] [data-testid="version-row"]').length === 1);
  assert.deepEqual(await sizes(panel), [`${THIRD.length} B`]);
  assert.equal((await apiInPage(page, `/files/${id}`)).body.versions, 1);
  await page.waitForFunction(() => document.querySelector('[data-testid="versions-badge"]')?.textContent.trim() === '1');
  const used = (await apiInPage(page, '/users/me')).body.storage_used;
  assert.equal(used, before - SECOND.length, 'a version counts toward the storage used');
  await page.locator('.usage-text', { hasText: `${used} B used` }).waitFor();

  // The last one: the dialog says there are none, and the badge goes.
  await panel.locator('[data-testid="version-delete"]').click();
  await confirm.getByRole('button', { name: 'Delete version' }).click();
  await panel.locator('[data-testid="versions-empty"]', { hasText: 'No earlier versions' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid="versions-badge"]'));
  assert.equal((await apiInPage(page, `/files/${id}`)).body.versions, 0);
  await panel.getByRole('button', { name: 'Done' }).click();
  await panel.waitFor({ state: 'detached' });
});

test('the actions menu opens Versions for a file, not for a folder', async () => {
  assert.equal((await apiInPage(page, '/folders', { method: 'POST', json: { name: 'Archive' } })).status, 201);
  await page.reload();
  await row(page, 'Archive').getByRole('button', { name: 'Actions for Archive' }).click();
  await page.getByRole('menuitem', { name: 'Rename' }).waitFor();
  assert.equal(await page.getByRole('menuitem', { name: 'Versions' }).count(), 0);
  await page.keyboard.press('Escape');
  await row(page, 'plain.txt').getByRole('button', { name: 'Actions for plain.txt' }).click();
  await page.getByRole('menuitem', { name: 'Versions' }).click();
  const panel = page.getByRole('dialog', { name: 'Versions of “plain.txt”' });
  await panel.locator('[data-testid="versions-empty"]').waitFor();
  assert.equal(await panel.locator('[data-testid="version-row"]').count(), 0);
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
});

test('the versions dialog in Chinese', async () => {
  const zh = await signedInPage(browser, { locale: 'zh-CN' }, 'versionszh');
  try {
    assert.equal((await put(zh.page, '/报告.txt', '第一版\n')).status, 201);
    assert.equal((await put(zh.page, '/报告.txt', '第二版，更长一些\n')).status, 200);
    await zh.page.reload();
    const badge = zh.page.locator('[data-testid="versions-badge"]');
    assert.equal(await badge.getAttribute('aria-label'), '1 个历史版本');
    await badge.click();
    const panel = zh.page.getByRole('dialog', { name: '“报告.txt”的历史版本' });
    await panel.locator('[data-testid="version-row"]').waitFor();
    await panel.getByText('当前版本').waitFor();
    assert.ok((await panel.locator('.version-meta').textContent()).includes('脚本上传（PUT）'));
    await panel.locator('[data-testid="version-restore"]').click();
    const confirm = zh.page.getByRole('dialog', { name: '恢复此版本？' });
    await confirm.getByRole('button', { name: '取消' }).click();
    await confirm.waitFor({ state: 'detached' });
    await panel.getByRole('button', { name: '完成' }).click();
    await panel.waitFor({ state: 'detached' });
  } finally {
    await zh.context.close();
  }
});
