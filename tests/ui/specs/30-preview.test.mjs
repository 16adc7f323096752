// Previews in place: the image gallery with the keyboard, video with seeking over Range
// requests, text with line numbers; and an uploaded HTML file with a script never runs,
// whether previewed, opened from its content URL or downloaded.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, screenshot, fixture } from '../harness.mjs';
import { signedInPage, uploadFixtures, row } from './lib/ui.mjs';
import { readFileSync } from 'node:fs';

let browser;
let context;
let page;
let entries;
const pwnedRequests = [];

before(async () => {
  browser = await launch();
  ({ context, page } = await signedInPage(browser, {}, 'preview'));
  context.on('request', (r) => { if (new URL(r.url()).pathname === '/pwned') pwnedRequests.push(r.url()); });
  entries = await uploadFixtures(page, ['photo1.png', 'photo2.png', 'photo3.jpg', 'clip.webm', 'tone.ogg', 'main.rs', 'evil.html', 'doc.pdf']);
  await page.reload();
  await row(page, 'photo1.png').waitFor();
});
after(async () => { await browser?.close(); });

const viewer = () => page.locator('dialog.viewer');
const title = () => viewer().locator('.pv-title').textContent();

test('image gallery: open, next and previous with the arrow keys, Escape returns focus', async () => {
  const content = page.waitForResponse((r) => r.url().endsWith(`/files/${entries[0].id}/content`));
  await row(page, 'photo1.png').getByRole('link', { name: 'photo1.png' }).click();
  assert.equal((await content).status(), 200);
  await viewer().getByRole('img', { name: 'photo1.png' }).waitFor();
  await page.waitForFunction(() => document.querySelector('.pv-image')?.naturalWidth > 0);
  assert.match(page.url(), new RegExp(`open=${entries[0].id}`));
  // The gallery runs over the folder's files in list order: clip.webm, doc.pdf, evil.html, main.rs, photo1.png, …
  const order = ['clip.webm', 'doc.pdf', 'evil.html', 'main.rs', 'photo1.png', 'photo2.png', 'photo3.jpg', 'tone.ogg'];
  assert.equal(await viewer().locator('.pv-counter').textContent(), `${order.indexOf('photo1.png') + 1} of ${order.length}`);
  await page.keyboard.press('ArrowRight');
  await viewer().getByRole('img', { name: 'photo2.png' }).waitFor();
  assert.equal(await title(), 'photo2.png');
  await page.keyboard.press('ArrowRight');
  await viewer().getByRole('img', { name: 'photo3.jpg' }).waitFor();
  await page.waitForFunction(() => document.querySelector('.pv-image')?.naturalWidth > 0);
  await screenshot(page, 'preview-image');
  await page.keyboard.press('ArrowLeft');
  await viewer().getByRole('img', { name: 'photo2.png' }).waitFor();
  await viewer().getByRole('button', { name: 'Next' }).click();
  assert.equal(await title(), 'photo3.jpg');
  await page.keyboard.press('Escape');
  await viewer().waitFor({ state: 'detached' });
  assert.doesNotMatch(page.url(), /open=/);
  const focused = await page.evaluate(() => document.activeElement.closest('.fl-row')?.querySelector('.fl-link')?.textContent);
  assert.equal(focused, 'photo3.jpg', 'focus returns to the last previewed file');
});

test('video plays from Range requests and seeking works (206 with Content-Range)', async () => {
  const clip = entries.find((e) => e.name === 'clip.webm');
  const ranged = [];
  const onResponse = async (r) => {
    if (r.url().endsWith(`/files/${clip.id}/content`)) ranged.push({ status: r.status(), range: r.headers()['content-range'], req: await r.request().headerValue('range') });
  };
  page.on('response', onResponse);
  await row(page, 'clip.webm').getByRole('link', { name: 'clip.webm' }).click();
  const video = viewer().locator('video');
  await video.waitFor();
  await page.waitForFunction(() => document.querySelector('.pv-video')?.readyState >= 1);
  const duration = await video.evaluate((v) => v.duration);
  assert.ok(duration > 1, `a few seconds of video, got ${duration}`);
  const seeked = await video.evaluate((v) => new Promise((resolve) => {
    v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
    v.currentTime = v.duration * 0.75;
  }));
  assert.ok(Math.abs(seeked - duration * 0.75) < 0.6, `seeked to ${seeked}`);
  page.off('response', onResponse);
  const partial = ranged.filter((r) => r.status === 206);
  assert.ok(partial.length >= 1, `the media element used Range requests: ${JSON.stringify(ranged)}`);
  const size = readFileSync(fixture('clip.webm')).length;
  for (const r of partial) assert.match(r.range, new RegExp(`^bytes \\d+-\\d+/${size}$`));
  // A seek into the middle of the file asks for exactly that range.
  const mid = Math.floor(size / 2);
  const probe = await page.evaluate(async ({ url, mid }) => {
    const res = await fetch(url, { headers: { Range: `bytes=${mid}-` } });
    return { status: res.status, range: res.headers.get('content-range'), length: (await res.arrayBuffer()).byteLength };
  }, { url: `/api/v1/files/${clip.id}/content`, mid });
  assert.deepEqual(probe, { status: 206, range: `bytes ${mid}-${size - 1}/${size}`, length: size - mid });
  await page.keyboard.press('Escape');
  await viewer().waitFor({ state: 'detached' });
});

test('code preview shows the text with line numbers', async () => {
  await row(page, 'main.rs').getByRole('link', { name: 'main.rs' }).click();
  const code = viewer().locator('.pv-code pre');
  await code.waitFor();
  const text = readFileSync(fixture('main.rs'), 'utf8');
  assert.equal(await code.textContent(), text.replace(/\r\n?/g, '\n').replace(/\n$/, ''));
  const lines = text.replace(/\n$/, '').split('\n').length;
  const gutter = await viewer().locator('.pv-gutter').textContent();
  assert.equal(gutter.split('\n').length, lines);
  assert.equal(gutter.split('\n')[0], '1');
  await page.keyboard.press('Escape');
});

test('audio and PDF previews', async () => {
  await row(page, 'tone.ogg').getByRole('link', { name: 'tone.ogg' }).click();
  await viewer().locator('audio[controls]').waitFor();
  const duration = await viewer().locator('audio').evaluate((a) => new Promise((resolve) => {
    if (a.readyState >= 1) resolve(a.duration);
    else a.addEventListener('loadedmetadata', () => resolve(a.duration), { once: true });
  }));
  assert.ok(duration > 0, 'the audio loads');
  await page.keyboard.press('Escape');
  await viewer().waitFor({ state: 'detached' });
  await row(page, 'doc.pdf').getByRole('link', { name: 'doc.pdf' }).click();
  const frame = viewer().locator('iframe.pv-pdf');
  await frame.waitFor();
  const response = await page.request.get(await frame.getAttribute('src'));
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-type'], 'application/pdf');
  assert.doesNotMatch(response.headers()['content-security-policy'] || '', /frame-ancestors 'none'/);
  await page.keyboard.press('Escape');
});

async function assertNotPwned(target, label) {
  const state = await target.evaluate(() => ({ title: document.title, pwned: typeof window.pwned }));
  assert.notEqual(state.title, 'PWNED', `${label}: title`);
  assert.equal(state.pwned, 'undefined', `${label}: window.pwned`);
}

test('evil.html never runs: not in the preview, not from its content URL, not on download', async () => {
  const evil = entries.find((e) => e.name === 'evil.html');
  const source = readFileSync(fixture('evil.html'), 'utf8');
  // 1. Preview: shown as text.
  await row(page, 'evil.html').getByRole('link', { name: 'evil.html' }).click();
  const code = viewer().locator('.pv-code pre');
  await code.waitFor();
  assert.match(await code.textContent(), /<script>document\.title='PWNED'/);
  assert.equal(await viewer().locator('.pv-code script, .pv-code img').count(), 0);
  await page.waitForTimeout(300);
  await assertNotPwned(page, 'preview');
  // 2. Opened in a new tab from the previewer (the content URL).
  const navigation = context.waitForEvent('response', (r) => r.url().endsWith(`/files/${evil.id}/content`) && r.request().isNavigationRequest());
  const [popup] = await Promise.all([
    context.waitForEvent('page'),
    viewer().getByRole('link', { name: 'Open in new tab' }).click(),
  ]);
  const popupResponse = await navigation;
  await popup.waitForLoadState('load');
  assert.match(popupResponse.headers()['content-type'], /^text\/plain/);
  assert.match(popupResponse.headers()['content-security-policy'], /sandbox/);
  assert.equal(popupResponse.headers()['x-content-type-options'], 'nosniff');
  await popup.waitForTimeout(300);
  await assertNotPwned(popup, 'content URL in a new page');
  assert.equal((await popup.locator('body').innerText()).trim(), source.trim());
  await popup.close();
  await page.keyboard.press('Escape');
  await viewer().waitFor({ state: 'detached' });
  // 3. Directly navigating a fresh page of the same session to the content URL.
  const direct = await context.newPage();
  await direct.goto(`/api/v1/files/${evil.id}/content`);
  await direct.waitForTimeout(300);
  await assertNotPwned(direct, 'direct navigation');
  await direct.close();
  // 4. Download through the UI: a file, not a page.
  await row(page, 'evil.html').getByRole('button', { name: 'Actions for evil.html' }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('menuitem', { name: 'Download' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'evil.html');
  assert.equal(readFileSync(await download.path(), 'utf8'), source);
  await page.waitForTimeout(300);
  await assertNotPwned(page, 'download');
  assert.equal(new URL(page.url()).pathname, '/files');
  assert.deepEqual(pwnedRequests, [], 'no request to /pwned');
});
