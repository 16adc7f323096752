// The upload queue and its panel: many files and whole folders, three at a time, each with
// its progress, speed and a cancel button, and a total bar with speed and time left.

import { h, mount } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatBytes, formatSpeed, formatDuration, errorText } from '../i18n.js';
import { api } from '../api.js';
import { reloadUser } from '../state.js';
import { toastError } from './toast.js';
import { xhrUpload, tusUpload, tusAvailable, TUS_THRESHOLD } from '../upload-transport.js';

const CONCURRENCY = 3;
let nextId = 1;
const items = [];
const folderIds = new Map();
let panel = null;
let collapsed = false;
let renderQueued = false;
const samples = [];

/** Files (and empty folders) from a drop, walking dropped folders. */
export async function filesFromDrop(dataTransfer) {
  const entries = [...(dataTransfer.items || [])]
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.())
    .filter(Boolean);
  if (!entries.some((e) => e.isDirectory)) {
    return [...dataTransfer.files].map((file) => ({ file, path: file.name }));
  }
  const out = [];
  const readAll = (reader) => new Promise((resolve, reject) => {
    const all = [];
    const next = () => reader.readEntries((batch) => {
      if (!batch.length) resolve(all);
      else { all.push(...batch); next(); }
    }, reject);
    next();
  });
  async function walk(entry, prefix) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ file, path });
    } else if (entry.isDirectory) {
      const children = await readAll(entry.createReader());
      if (!children.length) out.push({ dir: true, path });
      for (const child of children) await walk(child, path);
    }
  }
  for (const entry of entries) await walk(entry, '');
  return out;
}

/** The id of folder `dirs` below `base`, creating what is missing (once, even when racing). */
function ensureFolder(base, dirs) {
  if (!dirs.length) return Promise.resolve(base);
  const key = `${base ?? 'root'}/${dirs.join('/')}`;
  if (!folderIds.has(key)) {
    const promise = ensureFolder(base, dirs.slice(0, -1)).then(async (parent) => {
      const name = dirs[dirs.length - 1];
      try {
        return (await api('/folders', { method: 'POST', json: { name, parent_id: parent } })).id;
      } catch (error) {
        if (error.code !== 'name_conflict') throw error;
        const found = await api('/files', { query: { parent_id: parent ?? undefined, q: name, limit: 1000 } });
        const hit = found.items.find((e) => e.name === name && e.kind === 'folder' && (e.parent_id ?? null) === (parent ?? null));
        if (!hit) throw error;
        return hit.id;
      }
    });
    promise.catch(() => folderIds.delete(key));
    folderIds.set(key, promise);
  }
  return folderIds.get(key);
}

function schedule() {
  const running = items.filter((i) => i.status === 'uploading' || i.status === 'preparing').length;
  const waiting = items.filter((i) => i.status === 'queued');
  for (const item of waiting.slice(0, Math.max(0, CONCURRENCY - running))) start(item);
  render();
}

async function start(item) {
  item.status = 'preparing';
  try {
    const parts = item.path.split('/');
    const name = parts.pop();
    const dirs = item.dir ? [...parts, name] : parts;
    const parent = await ensureFolder(item.base, dirs);
    if (item.status === 'cancelled') return;
    if (item.dir) {
      finish(item);
      return;
    }
    item.status = 'uploading';
    item.started = performance.now();
    const onProgress = (loaded, total) => {
      item.loaded = loaded;
      item.size = total || item.size;
      sample();
      render();
    };
    const useTus = item.size >= TUS_THRESHOLD && tusAvailable();
    item.transport = (useTus ? tusUpload : xhrUpload)(item.file, name, parent, onProgress);
    item.resumable = useTus;
    await item.transport.promise;
    finish(item);
  } catch (error) {
    if (item.status === 'cancelled') return;
    item.status = 'error';
    item.error = error;
    if (!items.some((i) => i !== item && i.status === 'error' && i.error?.code === error.code)) toastError(error);
    schedule();
  }
}

function finish(item) {
  if (item.status === 'cancelled') return;
  item.status = 'done';
  item.loaded = item.size;
  window.dispatchEvent(new CustomEvent('hoard:uploaded', { detail: { parentId: item.base } }));
  if (!items.some((i) => i.status === 'queued' || i.status === 'uploading' || i.status === 'preparing')) reloadUser();
  schedule();
}

function cancel(item) {
  if (item.status === 'done' || item.status === 'cancelled') return;
  item.status = 'cancelled';
  item.transport?.abort();
  schedule();
}

function retry(item) {
  item.status = 'queued';
  item.loaded = 0;
  item.error = null;
  schedule();
}

function sample() {
  const now = performance.now();
  samples.push([now, items.reduce((sum, i) => sum + (i.status === 'cancelled' ? 0 : i.loaded), 0)]);
  while (samples.length > 2 && now - samples[0][0] > 3000) samples.shift();
}

function speed() {
  if (samples.length < 2) return 0;
  const [t0, b0] = samples[0];
  const [t1, b1] = samples[samples.length - 1];
  return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
}

function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    draw();
  });
}

function bar(ratio, label) {
  const el = h('div', { class: 'progress', role: 'progressbar', 'aria-label': label, 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(ratio * 100)) }, h('div', { class: 'progress-fill' }));
  el.firstChild.style.width = `${Math.round(ratio * 1000) / 10}%`;
  return el;
}

function statusText(item) {
  switch (item.status) {
    case 'queued': return t('upload.queued');
    case 'preparing': return t('upload.preparing');
    case 'uploading': return `${formatBytes(item.loaded)} / ${formatBytes(item.size)}`;
    case 'done': return item.dir ? t('upload.folderCreated') : t('upload.done');
    case 'cancelled': return t('upload.cancelled');
    case 'error': return errorText(item.error);
    default: return '';
  }
}

function row(item) {
  const ratio = item.size ? item.loaded / item.size : item.status === 'done' ? 1 : 0;
  const actions = [];
  if (['queued', 'preparing', 'uploading'].includes(item.status)) {
    actions.push(h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('upload.cancelFile', { name: item.path }), title: t('common.cancel'), onclick: () => cancel(item) }, icon('close', { size: 16 })));
  } else if (item.status === 'error' || item.status === 'cancelled') {
    actions.push(h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('upload.retryFile', { name: item.path }), title: t('common.retry'), onclick: () => retry(item) }, icon('restore', { size: 16 })));
  }
  return h(
    'li',
    { class: `up-item up-${item.status}`, dataset: { status: item.status } },
    h('div', { class: 'up-icon' }, icon(item.status === 'done' ? 'check' : item.status === 'error' ? 'alert' : item.dir ? 'folder' : 'file', { size: 18 })),
    h('div', { class: 'up-main' },
      h('div', { class: 'up-name', title: item.path, text: item.path }),
      item.dir ? null : bar(ratio, t('upload.progressOf', { name: item.path })),
      h('div', { class: 'up-status' }, h('span', { text: statusText(item) }), item.resumable && item.status === 'uploading' ? h('span', { class: 'badge', text: t('upload.resumable') }) : null)),
    actions,
  );
}

function draw() {
  if (!items.length) {
    panel?.remove();
    panel = null;
    return;
  }
  if (!panel || !panel.isConnected) {
    panel = h('section', { class: 'upload-panel', role: 'region', 'aria-label': t('upload.panel') });
    document.body.append(panel);
  }
  const live = items.filter((i) => i.status !== 'cancelled');
  const total = live.reduce((s, i) => s + (i.size || 0), 0);
  const loaded = live.reduce((s, i) => s + (i.loaded || 0), 0);
  const active = items.filter((i) => ['queued', 'preparing', 'uploading'].includes(i.status));
  const done = items.filter((i) => i.status === 'done').length;
  const failed = items.filter((i) => i.status === 'error').length;
  const rate = active.length ? speed() : 0;
  const title = active.length
    ? t('upload.progressTitle', { done, total: live.length })
    : failed ? t('upload.finishedWithErrors', { n: failed }) : t('upload.allDone', { n: done });
  const summary = active.length
    ? [formatBytes(loaded), ' / ', formatBytes(total), rate ? ` · ${formatSpeed(rate)}` : '', rate ? ` · ${t('upload.left', { time: formatDuration((total - loaded) / rate) })}` : ''].join('')
    : formatBytes(total);
  panel.classList.toggle('collapsed', collapsed);
  mount(
    panel,
    h('div', { class: 'up-head' },
      h('div', { class: 'up-title' }, h('h2', { text: title }), h('p', { class: 'up-summary', text: summary })),
      active.length ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: t('upload.cancelAll'), onclick: () => active.forEach(cancel) }) : null,
      h('button', { type: 'button', class: 'icon-btn', 'aria-expanded': String(!collapsed), 'aria-label': collapsed ? t('upload.expand') : t('upload.collapse'), onclick: () => { collapsed = !collapsed; draw(); } }, icon(collapsed ? 'up' : 'down', { size: 18 })),
      active.length ? null : h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('upload.close'), onclick: () => { items.length = 0; draw(); } }, icon('close', { size: 18 }))),
    bar(total ? loaded / total : active.length ? 0 : 1, t('upload.total')),
    collapsed ? null : h('ul', { class: 'up-list' }, items.map(row)),
  );
}

export const uploader = {
  /** files: [{file, path} | {dir: true, path}]; base: the folder they go into (null = root). */
  add(files, base) {
    if (!files.length) return;
    if (!items.some((i) => ['queued', 'preparing', 'uploading'].includes(i.status))) {
      items.splice(0, items.length, ...items.filter((i) => i.status === 'error'));
      samples.length = 0;
    }
    for (const entry of files) {
      items.push({ id: nextId++, file: entry.file, dir: !!entry.dir, path: entry.path, base: base ?? null, size: entry.file?.size || 0, loaded: 0, status: 'queued' });
    }
    collapsed = false;
    schedule();
  },
  rerender: () => panel && draw(),
};

window.addEventListener('hoard:locale', () => uploader.rerender());
window.addEventListener('beforeunload', (event) => {
  if (items.some((i) => i.status === 'uploading' && !i.resumable)) event.preventDefault();
});
