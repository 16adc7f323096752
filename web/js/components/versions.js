// A file's earlier versions (SPEC §13) in a dialog: newest first, each with its size, the
// content's time, when it was replaced and by whom and how; download, restore and delete one.
// Restoring swaps it with the current content, so the count stays; deleting frees storage.

import { h, mount } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatBytes, formatDate, formatRelative, formatNumber, errorText } from '../i18n.js';
import { api, fileUrl } from '../api.js';
import { openDialog, confirmDialog } from './dialog.js';
import { toastOk, toastError } from './toast.js';
import { reloadUser } from '../state.js';

// One page only: retention keeps a handful per file (versions.max_per_file, default 10), so
// the newest 100 — the API's default limit — are listed and a note says when there are more.
const LIMIT = 100;
const SOURCES = new Set(['upload', 'put', 'resumable', 'webdav', 'restore']);

const versionUrl = (fileId, versionId) => fileUrl(fileId, `versions/${versionId}`);

/** "replaced 5 minutes ago · by alice · web upload": what is known of where it came from. */
function provenance(version) {
  return [
    t('versions.replaced', { when: formatRelative(version.created_at) }),
    version.uploaded_by ? t('versions.by', { user: version.uploaded_by }) : null,
    SOURCES.has(version.source) ? t(`versions.source.${version.source}`) : null,
  ].filter(Boolean).join(' · ');
}

/**
 * A badge for a file with earlier versions (nothing for none): a clock and the count.
 * `open` runs on click, which neither selects nor opens the row.
 */
export function versionsBadge(entry, open) {
  const n = Number(entry.versions) || 0;
  if (entry.kind !== 'file' || n <= 0) return null;
  const label = t('versions.badge', { n: formatNumber(n) });
  const badge = h('button', { type: 'button', class: 'version-badge', tabindex: '-1', title: label, 'aria-label': label, dataset: { testid: 'versions-badge' } },
    icon('clock', { size: 13 }), h('span', { text: formatNumber(n) }));
  badge.addEventListener('click', (event) => {
    event.stopPropagation();
    open(entry);
  });
  badge.addEventListener('dblclick', (event) => event.stopPropagation());
  return badge;
}

/** openVersions(entry, {onChange, onClose}): `onChange` runs after a restore or delete. */
export function openVersions(entry, { onChange, onClose } = {}) {
  let file = entry;
  const current = h('p', { class: 'version-current', dataset: { testid: 'versions-current' } });
  const body = h('div', { class: 'versions-body', 'aria-live': 'polite', 'aria-busy': 'true' }, h('div', { class: 'skeleton-row' }), h('div', { class: 'skeleton-row' }));
  const panel = h('div', { class: 'versions' }, h('p', { class: 'muted', text: t('versions.hint') }), current, body);

  function row(version) {
    const date = formatDate(version.modified_at);
    const base = versionUrl(file.id, version.id);
    const download = h('a', { class: 'btn btn-sm', href: `${base}/content`, download: file.name, 'aria-label': t('versions.downloadOne', { date }), title: t('files.download'), dataset: { testid: 'version-download' } },
      icon('download', { size: 16 }), h('span', { class: 'btn-label', text: t('files.download') }));
    const restore = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('versions.restoreOne', { date }), title: t('versions.restore'), dataset: { testid: 'version-restore' }, onclick: () => act(version, 'restore') },
      icon('restore', { size: 16 }), h('span', { class: 'btn-label', text: t('versions.restore') }));
    const remove = h('button', { type: 'button', class: 'icon-btn danger', 'aria-label': t('versions.deleteOne', { date }), title: t('versions.delete'), dataset: { testid: 'version-delete' }, onclick: () => act(version, 'delete') },
      icon('trash', { size: 18 }));
    return h('li', { class: 'row-item version-row', dataset: { testid: 'version-row', id: version.id } },
      icon('clock', { size: 20, className: 'version-icon' }),
      h('div', { class: 'row-main' },
        h('div', { class: 'row-title' },
          h('span', { class: 'version-date', text: date }),
          h('span', { class: 'version-size', dataset: { testid: 'version-size' }, text: formatBytes(version.size) })),
        h('div', { class: 'muted version-meta', title: formatDate(version.created_at), text: provenance(version) })),
      h('div', { class: 'version-actions' }, download, restore, remove));
  }

  async function act(version, what) {
    const date = formatDate(version.modified_at);
    const words = { date, size: formatBytes(version.size), name: file.name };
    const restoring = what === 'restore';
    const ok = await confirmDialog(restoring
      ? { title: t('versions.restoreTitle'), message: t('versions.restoreConfirm', words), confirm: t('versions.restore') }
      : { title: t('versions.deleteTitle'), message: t('versions.deleteConfirm', words), confirm: t('versions.delete'), danger: true });
    if (!ok) return;
    try {
      const url = versionUrl(file.id, version.id);
      if (restoring) file = await api(`${url}/restore`, { method: 'POST' });
      else await api(url, { method: 'DELETE' });
      toastOk(restoring ? t('versions.restored', { date }) : t('versions.deleted'));
    } catch (error) {
      toastError(error);
    }
    // Sizes move between the file and its versions either way; a delete frees storage.
    reloadUser();
    onChange?.();
    await load();
    if (!dlg.el.contains(document.activeElement)) (dlg.el.querySelector('.version-actions .btn') || dlg.el.querySelector('.dialog-actions .btn'))?.focus();
  }

  function showCurrent() {
    mount(current, h('span', { class: 'version-current-label', text: t('versions.current') }),
      h('span', { text: `${formatBytes(file.size)} · ${formatDate(file.modified_at)}` }));
  }

  async function load() {
    body.setAttribute('aria-busy', 'true');
    try {
      const [fresh, page] = await Promise.all([
        api(`/files/${file.id}`),
        api(`/files/${file.id}/versions`, { query: { limit: LIMIT } }),
      ]);
      file = fresh;
      showCurrent();
      if (!page.items.length) {
        mount(body, h('div', { class: 'versions-empty', dataset: { testid: 'versions-empty' } }, icon('clock', { size: 32 }), h('p', { text: t('versions.empty') })));
      } else {
        mount(body,
          h('ul', { class: 'rows version-list', 'aria-label': t('versions.list') }, page.items.map(row)),
          page.total > page.items.length ? h('p', { class: 'muted version-more', text: t('versions.more', { shown: formatNumber(page.items.length), total: formatNumber(page.total) }) }) : null);
      }
    } catch (error) {
      mount(body, h('p', { class: 'form-error', role: 'alert', text: errorText(error) }));
    }
    body.removeAttribute('aria-busy');
  }

  const dlg = openDialog({
    title: t('versions.title', { name: entry.name }),
    size: 'md',
    className: 'versions-dialog',
    body: panel,
    actions: [h('button', { type: 'button', class: 'btn', text: t('common.done'), onclick: () => dlg.close() })],
    onClose,
  });
  dlg.el.setAttribute('data-testid', 'versions-panel');
  load();
  return dlg;
}
