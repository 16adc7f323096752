// Helpers shared by the UI specs: accounts made through the admin API (registration is
// throttled per IP, so only the registration spec uses it), a signed-in page, and
// server-side checks through the page's own cookie session.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { admin, unique, fixture, newPage } from '../../harness.mjs';

export const PASSWORD = 'correct horse battery staple';

let adminToken = null;

async function adminBearer(request) {
  if (!adminToken) {
    const res = await request.post('/api/v1/auth/login', { data: { username: admin.username, password: admin.password } });
    if (!res.ok()) throw new Error(`admin login failed: ${res.status()} ${await res.text()}`);
    adminToken = (await res.json()).tokens.access_token;
  }
  return { Authorization: `Bearer ${adminToken}` };
}

/** Creates a user through the admin API; returns {username, password, id}. */
export async function createUser(request, prefix = 'ui', extra = {}) {
  const username = unique(prefix);
  const res = await request.post('/api/v1/users', {
    headers: await adminBearer(request),
    data: { username, email: `${username}@example.test`, password: PASSWORD, ...extra },
  });
  if (res.status() !== 201) throw new Error(`create user: ${res.status()} ${await res.text()}`);
  const user = await res.json();
  return { username, password: PASSWORD, id: user.id };
}

/** A fresh context signed in (cookies set by the web login) as a new user, on /files. */
export async function signedInPage(browser, options = {}, prefix = 'ui') {
  const { context, page } = await newPage(browser, options);
  const user = await createUser(page.request, prefix);
  const res = await page.request.post('/api/v1/auth/web/login', { data: { username: user.username, password: user.password } });
  if (res.status() !== 200) throw new Error(`web login: ${res.status()}`);
  await page.goto('/files');
  await page.getByRole('grid').or(page.locator('.empty')).first().waitFor();
  return { context, page, user };
}

/** A same-origin API call from inside the page (cookies + CSRF header), → {status, body}. */
export async function apiInPage(page, path, { method = 'GET', json } = {}) {
  return page.evaluate(async ({ path, method, json }) => {
    const csrf = (document.cookie.match(/(?:^|;\s*)hoard_csrf=([^;]*)/) || [])[1] || '';
    const res = await fetch(`/api/v1${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await res.text();
    let body = null;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: res.status, body };
  }, { path, method, json });
}

/** Uploads fixtures through the API (multipart) into parentId; returns the entries. */
export async function uploadFixtures(page, names, parentId = null) {
  const files = names.map((name) => ({ name: basename(name), b64: readFileSync(fixture(name)).toString('base64') }));
  return page.evaluate(async ({ files, parentId }) => {
    const csrf = decodeURIComponent((document.cookie.match(/(?:^|;\s*)hoard_csrf=([^;]*)/) || [])[1] || '');
    const form = new FormData();
    if (parentId !== null) form.append('parent_id', String(parentId));
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      form.append('file', new Blob([bytes]), f.name);
    }
    const res = await fetch('/api/v1/files', { method: 'POST', body: form, headers: { 'X-CSRF-Token': csrf } });
    if (res.status !== 201) throw new Error(`upload ${res.status}: ${await res.text()}`);
    return (await res.json()).items;
  }, { files, parentId });
}

/** The names in the visible file list, in order. */
export async function listedNames(page) {
  return page.locator('.fl-body .fl-row .fl-link').allTextContents();
}

export function row(page, name) {
  return page.locator('.fl-body .fl-row').filter({ has: page.locator('.fl-link', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
}

export { unique };
