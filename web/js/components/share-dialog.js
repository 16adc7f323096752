// Share a file or folder: optional password, expiry and download limit; the link to copy;
// the entry's existing links with their state, each revocable.

import { h, mount } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatDate, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import { openDialog, field, showFormError } from './dialog.js';
import { toastOk, toastError } from './toast.js';

export const shareLink = (share) => `${location.origin}${share.url || `/s/${share.token}`}`;

/** Copies `text` and says so (`done`: the toast, "Link copied" unless told). */
export async function copyText(text, done = t('share.copied')) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { value: text, class: 'sr-only' });
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  toastOk(done);
}

export function shareState(share) {
  const status = share.status || 'active';
  const parts = [t(`share.status.${status}`)];
  if (share.has_password) parts.push(t('share.protected'));
  parts.push(share.expires_at ? t('share.expiresOn', { date: formatDate(share.expires_at) }) : t('share.noExpiry'));
  parts.push(share.max_downloads ? t('share.downloadsOf', { n: formatNumber(share.downloads), max: formatNumber(share.max_downloads) }) : t('share.downloadsCount', { n: formatNumber(share.downloads) }));
  return parts.join(' · ');
}

function linkRow(share, onRevoke) {
  const url = shareLink(share);
  const input = h('input', { type: 'text', readonly: true, value: url, class: 'share-url', 'aria-label': t('share.link') });
  input.addEventListener('focus', () => input.select());
  return h('li', { class: 'share-item' },
    h('div', { class: 'share-row' }, input,
      h('button', { type: 'button', class: 'btn', onclick: () => copyText(url) }, icon('copy', { size: 16 }), h('span', { text: t('share.copy') })),
      h('button', { type: 'button', class: 'icon-btn danger', 'aria-label': t('share.revoke'), title: t('share.revoke'), onclick: onRevoke }, icon('trash', { size: 18 }))),
    h('p', { class: 'share-meta', text: shareState(share) }));
}

export function openShareDialog(entry) {
  const existing = h('ul', { class: 'share-list', 'aria-label': t('share.existing') });
  const expirySelect = field({
    label: t('share.expiry'),
    name: 'expiry',
    type: 'select',
    value: '7',
    options: [
      { value: '', label: t('share.expiry.never') },
      { value: '1', label: t('share.expiry.day') },
      { value: '7', label: t('share.expiry.week') },
      { value: '30', label: t('share.expiry.month') },
      { value: 'custom', label: t('share.expiry.custom') },
    ],
  });
  const customDate = field({ label: t('share.expiryDate'), name: 'expires_at', type: 'date' });
  customDate.wrap.hidden = true;
  customDate.input.min = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  expirySelect.input.addEventListener('change', () => { customDate.wrap.hidden = expirySelect.input.value !== 'custom'; });
  const fields = {
    password: field({ label: t('share.passwordOptional'), name: 'password', type: 'password', autocomplete: 'new-password', placeholder: t('share.passwordPlaceholder') }),
    expires_at: customDate,
    max_downloads: field({ label: t('share.maxDownloads'), name: 'max_downloads', type: 'number', min: 1, placeholder: t('share.unlimited') }),
  };
  const general = h('p', { class: 'form-error', role: 'alert' });
  const create = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('link', { size: 18 }), h('span', { text: t('share.create') }));
  const form = h('form', { class: 'form share-form', novalidate: true },
    h('div', { class: 'form-grid' }, fields.password.wrap, expirySelect.wrap, customDate.wrap, fields.max_downloads.wrap),
    general, h('div', { class: 'form-actions' }, create));
  const created = h('div', { class: 'share-created', 'aria-live': 'polite' });

  async function refresh() {
    try {
      const page = await api('/shares', { query: { file_id: entry.id, limit: 50 } });
      mount(existing, page.items.map((s) => linkRow(s, async () => {
        try {
          await api(`/shares/${s.id}`, { method: 'DELETE' });
          toastOk(t('share.revoked'));
          refresh();
        } catch (error) { toastError(error); }
      })));
      existingWrap.hidden = page.items.length === 0;
    } catch (error) {
      toastError(error);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { file_id: entry.id };
    const password = fields.password.input.value;
    if (password) body.password = password;
    const choice = expirySelect.input.value;
    if (choice === 'custom') {
      if (!customDate.input.value) { customDate.setError(t('form.required')); return; }
      body.expires_at = new Date(`${customDate.input.value}T23:59:59`).toISOString();
    } else if (choice) {
      body.expires_at = new Date(Date.now() + Number(choice) * 86400000).toISOString();
    }
    const max = fields.max_downloads.input.value;
    if (max) body.max_downloads = Number(max);
    create.disabled = true;
    try {
      const share = await api('/shares', { method: 'POST', json: body });
      const url = shareLink(share);
      const input = h('input', { type: 'text', readonly: true, value: url, class: 'share-url', 'aria-label': t('share.newLink') });
      const copyBtn = h('button', { type: 'button', class: 'btn btn-primary', onclick: () => copyText(url) }, icon('copy', { size: 16 }), h('span', { text: t('share.copy') }));
      mount(created, h('p', { class: 'share-created-title' }, icon('check', { size: 18 }), h('span', { text: t('share.ready') })), h('div', { class: 'share-row' }, input, copyBtn));
      copyBtn.focus();
      form.reset();
      customDate.wrap.hidden = true;
      expirySelect.input.value = '7';
      general.textContent = '';
      Object.values(fields).forEach((f) => f.setError(''));
      refresh();
    } catch (error) {
      showFormError(error, fields, general);
    } finally {
      create.disabled = false;
    }
  });

  const existingWrap = h('div', { class: 'share-existing', hidden: true }, h('h3', { text: t('share.existing') }), existing);
  const dlg = openDialog({
    title: t('share.title', { name: entry.name }),
    size: 'md',
    body: h('div', { class: 'share-dialog' }, h('p', { class: 'muted', text: entry.kind === 'folder' ? t('share.introFolder') : t('share.introFile') }), form, created, existingWrap),
    actions: [h('button', { type: 'button', class: 'btn', text: t('common.done'), onclick: () => dlg.close() })],
  });
  refresh();
  return dlg;
}
