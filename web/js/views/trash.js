// The trash: what was deleted, from where and when; restore or delete for good; empty it.

import { h, mount } from '../dom.js';
import { icon, entryIcon } from '../icons.js';
import { t, formatBytes, formatRelative, formatDate } from '../i18n.js';
import { api } from '../api.js';
import { confirmDialog } from '../components/dialog.js';
import { toastOk, toastError } from '../components/toast.js';
import { reloadUser } from '../state.js';

export async function showTrash(view) {
  document.title = `${t('nav.trash')} · Hoard`;
  const emptyBtn = h('button', { type: 'button', class: 'btn btn-danger', disabled: true }, icon('trash', { size: 18 }), h('span', { text: t('trash.empty') }));
  const body = h('div', { class: 'table-wrap' }, h('div', { class: 'skeleton-row' }), h('div', { class: 'skeleton-row' }));
  mount(view, h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { class: 'page-title', text: t('nav.trash') }), h('p', { class: 'muted', text: t('trash.hint') })), emptyBtn),
    body));

  emptyBtn.addEventListener('click', async () => {
    if (!(await confirmDialog({ title: t('trash.emptyTitle'), message: t('trash.emptyConfirm'), confirm: t('trash.empty'), danger: true }))) return;
    try {
      await api('/trash', { method: 'DELETE' });
      toastOk(t('trash.emptied'));
      reloadUser();
      load();
    } catch (error) { toastError(error); }
  });

  async function act(item, restore) {
    if (!restore && !(await confirmDialog({ title: t('trash.purgeTitle'), message: t('trash.purgeConfirm', { name: item.name }), confirm: t('trash.purge'), danger: true }))) return;
    try {
      const result = await api(restore ? `/trash/${item.id}/restore` : `/trash/${item.id}`, { method: restore ? 'POST' : 'DELETE' });
      toastOk(restore ? t('trash.restored', { name: item.name, path: result?.path || '/' }) : t('trash.purged', { name: item.name }));
      if (!restore) reloadUser();
      load();
    } catch (error) { toastError(error); }
  }

  async function load() {
    try {
      const page = await api('/trash', { query: { limit: 1000 } });
      emptyBtn.disabled = page.total === 0;
      if (!page.items.length) {
        mount(body, h('div', { class: 'empty' }, icon('trash', { size: 44 }), h('h2', { text: t('trash.none') }), h('p', { text: t('trash.noneHint') })));
        return;
      }
      mount(body, h('table', { class: 'table trash-table' },
        h('caption', { class: 'sr-only', text: t('nav.trash') }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('files.col.name') }), h('th', { scope: 'col', class: 'hide-sm', text: t('trash.originalPath') }), h('th', { scope: 'col', class: 'hide-sm', text: t('files.col.size') }), h('th', { scope: 'col', text: t('trash.deletedAt') }), h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: t('files.col.actions') })))),
        h('tbody', {}, page.items.map((item) => h('tr', { dataset: { id: item.id } },
          h('td', {}, h('div', { class: 'cell-name' }, icon(entryIcon(item), { size: 20 }), h('span', { text: item.name }))),
          h('td', { class: 'hide-sm muted', text: item.original_path }),
          h('td', { class: 'hide-sm', text: item.kind === 'folder' ? '—' : formatBytes(item.size) }),
          h('td', { title: formatDate(item.deleted_at), text: formatRelative(item.deleted_at) }),
          h('td', { class: 'cell-actions' },
            h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': t('trash.restoreName', { name: item.name }), onclick: () => act(item, true) }, icon('restore', { size: 16 }), h('span', { class: 'btn-label', text: t('trash.restore') })),
            h('button', { type: 'button', class: 'icon-btn danger', 'aria-label': t('trash.purgeName', { name: item.name }), title: t('trash.purge'), onclick: () => act(item, false) }, icon('close', { size: 18 }))))))));
    } catch (error) {
      toastError(error);
      mount(body, h('div', { class: 'empty' }, h('p', { text: t('files.loadFailed') })));
    }
  }
  load();
}
