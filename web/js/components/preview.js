// The previewer: a full-window dialog over the list. Images, video and audio (seekable: the
// browser asks for byte ranges), PDF in a frame, text and code with line numbers (read as
// text and shown with textContent, so nothing in a file ever runs), next/previous with the
// arrow keys.

import { h, mount } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatBytes, formatDate } from '../i18n.js';
import { api, fileUrl } from '../api.js';
import { openDialog } from './dialog.js';
import { download, remove } from './actions.js';
import { openShareDialog } from './share-dialog.js';
import { toastError } from './toast.js';
import { reloadUser } from '../state.js';

const TEXT_LIMIT = 512 * 1024;

/** Text and code, with line numbers; the first 512 KiB of a large file. */
export async function textView(url, size, headers = {}) {
  const box = h('div', { class: 'pv-text', 'aria-busy': 'true' }, h('p', { class: 'muted', text: t('common.loading') }));
  try {
    const response = await fetch(url, { credentials: 'same-origin', headers: { ...headers, Range: `bytes=0-${TEXT_LIMIT - 1}` } });
    if (!response.ok && response.status !== 206) throw new Error(String(response.status));
    const text = await response.text();
    const lines = text.replace(/\r\n?/g, '\n').split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    const code = h('code', {});
    const gutter = h('div', { class: 'pv-gutter', 'aria-hidden': 'true' });
    gutter.textContent = lines.map((_, i) => i + 1).join('\n');
    code.textContent = lines.join('\n');
    mount(box, h('div', { class: 'pv-code' }, gutter, h('pre', { tabindex: '0', 'aria-label': t('preview.textContent') }, code)),
      size > TEXT_LIMIT ? h('p', { class: 'pv-note', text: t('preview.truncated', { size: formatBytes(TEXT_LIMIT) }) }) : null);
  } catch {
    mount(box, h('p', { class: 'muted', text: t('preview.failed') }));
  }
  box.removeAttribute('aria-busy');
  return box;
}

/**
 * The stage for one file: info = {name, category, mime_type, can_preview, size}, urls = {content, preview, download}.
 * Shared with the public share page.
 */
export async function stage(info, urls, { fetchHeaders, noPreview } = {}) {
  const mime = info.mime_type || '';
  const pdf = mime === 'application/pdf';
  if (!info.can_preview && !pdf) return noPreview();
  if (info.category === 'image' && !/svg/.test(mime)) {
    const img = h('img', { class: 'pv-image', src: urls.content, alt: info.name });
    img.addEventListener('error', () => img.replaceWith(noPreview()));
    return img;
  }
  if (info.category === 'video') return h('video', { class: 'pv-video', src: urls.content, controls: true, preload: 'metadata', playsinline: true, 'aria-label': info.name });
  if (info.category === 'audio') return h('div', { class: 'pv-audio' }, icon('audio', { size: 64 }), h('p', { text: info.name }), h('audio', { src: urls.content, controls: true, preload: 'metadata', 'aria-label': info.name }));
  if (pdf) return h('iframe', { class: 'pv-pdf', src: urls.content, title: info.name });
  return textView(urls.preview, info.size, fetchHeaders);
}

export function noPreviewBox(info, downloadUrl) {
  return h('div', { class: 'pv-none' }, icon('file', { size: 64 }), h('h3', { text: info.name }), h('p', { text: t('preview.unavailable') }),
    h('a', { class: 'btn btn-primary', href: downloadUrl, download: '' }, icon('download', { size: 18 }), h('span', { text: t('files.download') })));
}

/** openPreview(entry, siblings, {onChange, onClose}) */
export function openPreview(entry, siblings, { onChange, onClose } = {}) {
  const list = siblings.some((e) => e.id === entry.id) ? siblings : [entry];
  let index = list.findIndex((e) => e.id === entry.id);
  const title = h('span', { class: 'pv-title' });
  const counter = h('span', { class: 'pv-counter' });
  const meta = h('span', { class: 'pv-meta' });
  const area = h('div', { class: 'pv-stage' });
  const btn = (label, name, run) => h('button', { type: 'button', class: 'icon-btn', 'aria-label': label, title: label, onclick: run }, icon(name));
  const prev = h('button', { type: 'button', class: 'pv-nav pv-prev', 'aria-label': t('preview.previous'), title: t('preview.previous'), onclick: () => go(-1) }, icon('left', { size: 28 }));
  const next = h('button', { type: 'button', class: 'pv-nav pv-next', 'aria-label': t('preview.next'), title: t('preview.next'), onclick: () => go(1) }, icon('right', { size: 28 }));
  const current = () => list[index];
  const openTab = h('a', { class: 'icon-btn', target: '_blank', rel: 'noopener', 'aria-label': t('files.openNewTab'), title: t('files.openNewTab') }, icon('external'));
  const body = h('div', { class: 'pv' },
    h('div', { class: 'pv-bar' },
      h('div', { class: 'pv-heading' }, title, h('span', { class: 'pv-sub' }, counter, meta)),
      h('div', { class: 'pv-tools' },
        btn(t('files.download'), 'download', () => download(current())),
        openTab,
        btn(t('share.action'), 'share', () => openShareDialog(current())),
        btn(t('files.delete'), 'trash', async () => {
          const gone = await remove([current()]).catch(toastError);
          if (gone?.length) {
            reloadUser();
            onChange?.();
            list.splice(index, 1);
            if (!list.length) return dlg.close();
            index = Math.min(index, list.length - 1);
            show();
          }
        }))),
    h('div', { class: 'pv-main' }, prev, area, next));
  let token = 0;
  async function show() {
    const entry = current();
    const mine = ++token;
    title.textContent = entry.name;
    counter.textContent = list.length > 1 ? t('preview.position', { i: index + 1, n: list.length }) : '';
    meta.textContent = `${formatBytes(entry.size)} · ${formatDate(entry.modified_at)}`;
    openTab.href = fileUrl(entry.id, 'content');
    prev.hidden = next.hidden = list.length < 2;
    dlg.el.querySelector('.dialog-title').textContent = entry.name;
    area.setAttribute('aria-busy', 'true');
    mount(area, h('div', { class: 'spinner', role: 'status', 'aria-label': t('common.loading') }));
    const url = new URL(location.href);
    url.searchParams.set('open', entry.id);
    history.replaceState(history.state, '', url.pathname + url.search);
    try {
      const info = await api(`/files/${entry.id}/preview-info`);
      const node = await stage(info, { content: info.content_url, preview: info.preview_url, download: info.download_url }, { noPreview: () => noPreviewBox(info, info.download_url) });
      if (mine === token) mount(area, node);
    } catch (error) {
      if (mine === token) mount(area, h('p', { class: 'muted', text: t('preview.failed') }));
      toastError(error);
    }
    area.removeAttribute('aria-busy');
    // Warm the neighbour images so next/previous feels instant.
    for (const n of [list[index + 1], list[index - 1]]) {
      if (n?.category === 'image' && n.extension !== 'svg') new Image().src = fileUrl(n.id, 'content');
    }
  }
  function go(delta) {
    if (list.length < 2) return;
    index = (index + delta + list.length) % list.length;
    show();
  }
  const dlg = openDialog({
    title: entry.name,
    body,
    size: 'full',
    className: 'viewer',
    onClose: () => {
      token += 1;
      mount(area);
      const url = new URL(location.href);
      url.searchParams.delete('open');
      history.replaceState(history.state, '', url.pathname + url.search);
      onClose?.(current() || entry);
    },
    initialFocus: () => body.querySelector('.pv-tools .icon-btn'),
  });
  dlg.el.addEventListener('keydown', (event) => {
    if (event.target.closest('video, audio, input, textarea, select, iframe')) return;
    if (event.key === 'ArrowRight') { event.preventDefault(); go(1); }
    if (event.key === 'ArrowLeft') { event.preventDefault(); go(-1); }
  });
  show();
  return dlg;
}
