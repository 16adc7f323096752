// Large files go through tus (SPEC §6) and survive a page reload: picking the same file
// again resumes from the server's offset instead of starting over.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from '../harness.mjs';
import { signedInPage, apiInPage, row } from './lib/ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a 20 MiB upload uses tus and resumes after a reload', async () => {
  const { context, page } = await signedInPage(browser, {}, 'tus');
  try {
    const size = 20 * 1024 * 1024;
    const buffer = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) buffer.writeUInt32LE(i, i);
    // A real file on disk, so both picks carry the same lastModified (part of the fingerprint).
    const dir = mkdtempSync(join(tmpdir(), 'hoard-tus-'));
    const file = join(dir, 'big-video.bin');
    writeFileSync(file, buffer);
    const requests = [];
    context.on('response', (r) => {
      if (r.url().includes('/api/v1/uploads')) requests.push({ method: r.request().method(), status: r.status(), offset: r.headers()['upload-offset'] });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 6 * 1024 * 1024 });
    const firstChunk = page.waitForResponse((r) => r.url().includes('/api/v1/uploads/') && r.request().method() === 'PATCH' && r.status() === 204, { timeout: 60000 });
    await page.locator('input[type=file]:not([webkitdirectory])').setInputFiles(file);
    const panel = page.getByRole('region', { name: 'Uploads' });
    await panel.getByText('Resumable').waitFor();
    const offset = Number((await firstChunk).headers()['upload-offset']);
    assert.ok(offset > 0 && offset < size, `part of the file is on the server (${offset})`);
    assert.deepEqual(requests.filter((r) => r.method === 'POST').map((r) => r.status), [201]);
    // Leave mid-upload: the page goes away, the server keeps what it has.
    await page.reload();
    await page.getByRole('grid').or(page.locator('.empty')).first().waitFor();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    const resumed = page.waitForResponse((r) => r.url().includes('/api/v1/uploads/') && r.request().method() === 'HEAD');
    await page.locator('input[type=file]:not([webkitdirectory])').setInputFiles(file);
    const head = await resumed;
    assert.ok([200, 204].includes(head.status()), `HEAD ${head.status()}`);
    assert.ok(Number(head.headers()['upload-offset']) >= offset, 'resumes from the server offset');
    await page.getByRole('region', { name: 'Uploads' }).getByRole('heading', { name: '1 upload complete' }).waitFor({ timeout: 60000 });
    assert.equal(requests.filter((r) => r.method === 'POST').length, 1, 'no second upload was created');
    await row(page, 'big-video.bin').waitFor();
    const list = await apiInPage(page, '/files');
    const entry = list.body.items.find((e) => e.name === 'big-video.bin');
    assert.equal(entry.size, size);
    const sample = await page.evaluate(async (id) => {
      const res = await fetch(`/api/v1/files/${id}/content`, { headers: { Range: 'bytes=16777216-16777219' } });
      return [...new Uint8Array(await res.arrayBuffer())];
    }, entry.id);
    assert.deepEqual(sample, [...buffer.subarray(16777216, 16777220)]);
  } finally {
    await context.close();
  }
});
