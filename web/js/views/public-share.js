// The public page of a share link (/s/{token}): no account needed. Asks for the password
// when there is one, previews the file (or lists the folder) and downloads.

import { h, mount } from '../dom.js';
import { icon, entryIcon } from '../icons.js';
import { t, formatBytes, formatDate, errorText } from '../i18n.js';
import { api, BASE } from '../api.js';
import { field } from '../components/dialog.js';
import { prefButtons } from '../components/shell.js';
import { openDialog } from '../components/dialog.js';
import { stage, noPreviewBox } from '../components/preview.js';

function urls(token, path) {
  const base = `${BASE}/public/shares/${encodeURIComponent(token)}`;
  const q = path ? `?path=${encodeURIComponent(path)}` : '';
  return { meta: base, content: `${base}/content${q}`, preview: `${base}/content${q}`, download: `${base}/download${q}`, thumb: `${base}/thumbnail${q ? `${q}&` : '?'}size=1024` };
}

function page(root, ...content) {
  mount(root, h('div', { class: 'public' },
    h('header', { class: 'public-bar' },
      h('a', { href: '/', class: 'brand', 'aria-label': t('app.home') }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('drive', { size: 18 })), h('span', { class: 'brand-name', text: 'Hoard' })),
      h('span', { class: 'spacer' }), prefButtons()),
    h('main', { class: 'public-main', id: 'view' }, content)));
}

function message(root, iconName, title, text) {
  page(root, h('div', { class: 'empty public-card' }, icon(iconName, { size: 48 }), h('h1', { text: title }), h('p', { text }) ));
}

function previewInfo(info) {
  // Images go through the thumbnail route (which never counts as a download).
  return info;
}

function downloadButton(href, label) {
  return h('a', { class: 'btn btn-primary', href, download: '' }, icon('download', { size: 18 }), h('span', { text: label }));
}

async function fileStage(info, u) {
  const shown = info.category === 'image' && !/svg/.test(info.mime_type || '') ? { ...u, content: u.thumb } : u;
  return stage(previewInfo(info), shown, { noPreview: () => noPreviewBox(info, u.download) });
}

function openItem(token, item) {
  const u = urls(token, item.path);
  const area = h('div', { class: 'pv-stage' }, h('div', { class: 'spinner', role: 'status', 'aria-label': t('common.loading') }));
  const dlg = openDialog({
    title: item.name,
    size: 'full',
    className: 'viewer',
    body: h('div', { class: 'pv' }, h('div', { class: 'pv-bar' }, h('div', { class: 'pv-heading' }, h('span', { class: 'pv-title', text: item.name }), h('span', { class: 'pv-sub', text: formatBytes(item.size) })), h('div', { class: 'pv-tools' }, downloadButton(u.download, t('files.download')))), h('div', { class: 'pv-main' }, area)),
  });
  fileStage(item, u).then((node) => mount(area, node));
  return dlg;
}

export async function showPublicShare(root, token) {
  document.title = `${t('public.title')} · Hoard`;
  page(root, h('div', { class: 'public-card', 'aria-busy': 'true' }, h('div', { class: 'spinner', role: 'status', 'aria-label': t('common.loading') })));
  const u = urls(token);
  let info;
  try {
    info = await api(u.meta, { public: true });
  } catch (error) {
    if (error.code === 'password_required' || error.code === 'invalid_credentials') return askPassword(root, token);
    if (error.status === 410) return message(root, 'clock', t('public.expired'), t('public.expiredHint'));
    if (error.status === 404) return message(root, 'alert', t('public.notFound'), t('public.notFoundHint'));
    return message(root, 'alert', t('public.error'), errorText(error));
  }
  document.title = `${info.name} · Hoard`;
  const facts = [info.kind === 'folder' ? t('files.folder') : formatBytes(info.size), info.expires_at ? t('share.expiresOn', { date: formatDate(info.expires_at) }) : null].filter(Boolean).join(' · ');
  const head = h('div', { class: 'public-head' },
    h('span', { class: 'public-icon' }, icon(entryIcon(info), { size: 28 })),
    h('div', { class: 'public-title' }, h('p', { class: 'muted', text: t('public.sharedWithYou') }), h('h1', { text: info.name }), h('p', { class: 'muted', text: facts })),
    downloadButton(u.download, info.kind === 'folder' ? t('public.downloadZip') : t('files.download')));
  if (info.kind === 'folder') {
    const items = info.items || [];
    const list = items.length
      ? h('ul', { class: 'public-list' }, items.map((item) => h('li', { class: 'public-item' },
        icon(entryIcon(item), { size: 20 }),
        h('span', { class: 'public-item-name', title: item.path, text: item.path.replace(/^\//, '') }),
        h('span', { class: 'muted hide-sm', text: item.kind === 'folder' ? '' : formatBytes(item.size) }),
        item.kind === 'file' && item.can_preview ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('public.preview'), onclick: () => openItem(token, item) }, icon('eye', { size: 16 }), h('span', { class: 'btn-label', text: t('public.preview') })) : null,
        item.kind === 'file' ? h('a', { class: 'icon-btn', href: urls(token, item.path).download, download: '', 'aria-label': t('public.downloadName', { name: item.name }), title: t('files.download') }, icon('download', { size: 18 })) : null)))
      : h('div', { class: 'empty' }, h('p', { text: t('files.emptyFolder') }));
    page(root, h('div', { class: 'public-card wide' }, head, list, info.truncated ? h('p', { class: 'muted', text: t('public.truncated') }) : null));
    return;
  }
  const area = h('div', { class: 'public-stage' }, h('div', { class: 'spinner', role: 'status', 'aria-label': t('common.loading') }));
  page(root, h('div', { class: 'public-card wide' }, head, area));
  mount(area, await fileStage(info, u));
}

function askPassword(root, token, failed) {
  const pw = field({ label: t('auth.password'), name: 'password', type: 'password', autocomplete: 'off', required: true });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: t('public.unlock') });
  const form = h('form', { class: 'form', novalidate: true }, pw.wrap, button);
  if (failed) pw.setError(failed);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pw.input.value) { pw.setError(t('form.required')); return; }
    button.disabled = true;
    try {
      await api(`${BASE}/public/shares/${encodeURIComponent(token)}/unlock`, { method: 'POST', json: { password: pw.input.value }, public: true });
      showPublicShare(root, token);
    } catch (error) {
      button.disabled = false;
      pw.setError(error.code === 'invalid_credentials' ? t('public.wrongPassword') : errorText(error));
      pw.input.select();
    }
  });
  page(root, h('div', { class: 'public-card narrow' }, icon('lock', { size: 40 }), h('h1', { text: t('public.protected') }), h('p', { class: 'muted', text: t('public.protectedHint') }), form));
  pw.input.focus();
}
