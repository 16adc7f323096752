// Language (detected and switchable, every string translated), dark mode (system and
// switch), and the phone layout at 375 px.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, screenshot } from '../harness.mjs';
import { signedInPage, uploadFixtures, row } from './lib/ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ENGLISH = ['My files', 'Trash', 'Settings', 'Upload', 'New folder', 'Storage', 'Name', 'Size', 'Modified', 'used', 'Shared links', 'Search'];

test('switch the language to 简体中文: the whole screen changes', async () => {
  const { context, page } = await signedInPage(browser, {}, 'lang');
  try {
    await uploadFixtures(page, ['photo1.png', 'notes.txt']);
    await page.reload();
    await row(page, 'notes.txt').waitFor();
    await page.getByRole('button', { name: 'Language' }).click();
    await page.getByRole('menuitemradio', { name: '简体中文' }).click();
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '我的文件' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    await page.getByRole('button', { name: '上传', exact: true }).waitFor();
    await page.getByRole('button', { name: '新建文件夹' }).waitFor();
    assert.equal(await page.getByRole('searchbox').getAttribute('placeholder'), '搜索文件');
    await page.getByRole('columnheader', { name: '名称' }).waitFor();
    const text = await page.evaluate(() => document.body.innerText);
    for (const word of ENGLISH) assert.ok(!text.includes(word), `no “${word}” left on the zh-CN screen`);
    const labels = await page.evaluate(() => [...document.querySelectorAll('[aria-label],[placeholder],[title]')]
      .map((el) => el.getAttribute('aria-label') || el.getAttribute('placeholder') || el.getAttribute('title')));
    for (const label of labels) {
      assert.ok(!/\b(Actions|Select|Language|Theme|Account|Search|Menu|Upload)\b/.test(label), `translated label: ${label}`);
    }
    // Menus and dialogs too.
    await row(page, 'notes.txt').getByRole('button', { name: 'notes.txt 的操作' }).click();
    await page.getByRole('menuitem', { name: '重命名' }).waitFor();
    await page.keyboard.press('Escape');
    // Remembered across a reload.
    await page.reload();
    await page.getByRole('link', { name: '回收站' }).waitFor();
    await page.getByRole('button', { name: '语言' }).click();
    await page.getByRole('menuitemradio', { name: 'English' }).click();
    await page.getByRole('link', { name: 'Trash' }).waitFor();
  } finally {
    await context.close();
  }
});

test('a Chinese browser gets the Chinese UI from the start; dark when the system is dark', async () => {
  const { context, page } = await signedInPage(browser, { locale: 'zh-CN', colorScheme: 'dark' }, 'zhdark');
  try {
    await uploadFixtures(page, ['photo1.png', 'photo2.png', 'photo3.jpg', 'notes.txt', 'main.rs']);
    await page.reload();
    await row(page, 'main.rs').waitFor();
    await page.getByRole('link', { name: '我的文件' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(17, 19, 24)');
    await page.waitForFunction(() => [...document.querySelectorAll('.thumb-img')].every((i) => i.complete && i.naturalWidth > 0));
    await screenshot(page, 'files-zh-dark');
    // Sizes and dates follow the locale; the sign-in page too.
    const modified = await page.locator('.fl-date').nth(1).textContent();
    assert.match(modified, /[\u4e00-\u9fff]/, 'a Chinese relative date');
  } finally {
    await context.close();
  }
  const { context: c2, page: login } = await newPage(browser, { locale: 'zh-CN' });
  try {
    await login.goto('/login');
    await login.getByRole('heading', { name: '登录' }).waitFor();
    await login.getByLabel('用户名或邮箱').waitFor();
    await login.getByRole('button', { name: '登录' }).click();
    await login.getByText('此项为必填项。').first().waitFor();
  } finally {
    await c2.close();
  }
});

test('dark mode can be switched on and is remembered', async () => {
  const { context, page } = await signedInPage(browser, { colorScheme: 'light' }, 'dark');
  try {
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
    await page.getByRole('button', { name: 'Theme' }).click();
    await page.getByRole('menuitemradio', { name: 'Dark' }).click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(17, 19, 24)');
    await page.reload();
    await page.getByRole('grid').or(page.locator('.empty')).first().waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await page.getByRole('button', { name: 'Theme' }).click();
    await page.getByRole('menuitemradio', { name: 'System theme' }).click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
  } finally {
    await context.close();
  }
});

test('375 px wide: no horizontal scrolling, a menu button for the navigation, usable list and preview', async () => {
  const { context, page } = await signedInPage(browser, { viewport: { width: 375, height: 740 } }, 'mobile');
  try {
    await uploadFixtures(page, ['photo1.png', 'photo2.png', 'notes.txt', 'main.rs', 'clip.webm']);
    await page.reload();
    await row(page, 'photo1.png').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
    const sidebar = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await sidebar.isVisible(), false, 'the sidebar is tucked away');
    await page.waitForFunction(() => [...document.querySelectorAll('.thumb-img')].every((i) => i.complete && i.naturalWidth > 0));
    await screenshot(page, 'mobile');
    const toggle = page.getByRole('button', { name: 'Menu' });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await sidebar.getByRole('link', { name: 'Trash' }).click();
    await page.waitForURL(/\/trash$/);
    await page.getByRole('heading', { name: 'The trash is empty' }).waitFor();
    await page.goBack();
    await row(page, 'photo2.png').getByRole('link', { name: 'photo2.png' }).click();
    await page.locator('dialog.viewer .pv-image').waitFor();
    const box = await page.locator('dialog.viewer .pv-image').boundingBox();
    assert.ok(box.width <= 375, 'the image fits the screen');
    const next = page.getByRole('button', { name: 'Next' });
    assert.ok(await next.isVisible());
    await page.keyboard.press('Escape');
    for (const name of ['New folder', 'Sort by']) {
      const b = await page.getByRole('button', { name }).boundingBox();
      assert.ok(b.x >= 0 && b.x + b.width <= 375, `${name} is on screen`);
    }
  } finally {
    await context.close();
  }
});
