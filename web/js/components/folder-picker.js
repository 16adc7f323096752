// Choose a destination folder (for move and copy): browse folders from the root, create one
// on the way, and never offer a folder being moved (or anything inside it).

import { h, mount } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';
import { api, listAll } from '../api.js';
import { openDialog, promptDialog } from './dialog.js';
import { toastError } from './toast.js';

/** pickFolder({title, confirm, exclude: Set of ids, start}) → Promise<{id|null, path}|null> */
export function pickFolder({ title, confirm, exclude = new Set(), start = null }) {
  return new Promise((resolve) => {
    let result = null;
    let current = { id: null, path: '/' };
    const crumbs = h('nav', { class: 'picker-crumbs', 'aria-label': t('files.breadcrumb') });
    const list = h('ul', { class: 'picker-list', role: 'listbox', 'aria-label': t('picker.folders') });
    const status = h('p', { class: 'picker-status', 'aria-live': 'polite' });
    const here = h('button', { type: 'button', class: 'btn btn-primary', text: confirm });
    here.addEventListener('click', () => { result = current; dlg.close(); });
    const newFolder = h('button', { type: 'button', class: 'btn' }, icon('folderPlus', { size: 18 }), h('span', { text: t('files.newFolder') }));
    newFolder.addEventListener('click', async () => {
      const made = await promptDialog({
        title: t('files.newFolder'),
        label: t('files.folderName'),
        confirm: t('common.create'),
        submit: (name) => api('/folders', { method: 'POST', json: { name, parent_id: current.id } }),
      });
      if (made) open({ id: made.id, path: made.path });
    });

    async function open(folder) {
      current = folder;
      const parts = folder.path.split('/').filter(Boolean);
      mount(
        crumbs,
        h('button', { type: 'button', class: 'crumb', text: t('nav.files'), onclick: () => open({ id: null, path: '/' }) }),
        parts.map((name, i) => [h('span', { class: 'crumb-sep', 'aria-hidden': 'true', text: '/' }), h('button', {
          type: 'button',
          class: 'crumb',
          text: name,
          onclick: async () => {
            try {
              const entry = await api('/files/by-path', { query: { path: `/${parts.slice(0, i + 1).join('/')}` } });
              open({ id: entry.id, path: entry.path });
            } catch (error) { toastError(error); }
          },
        })]),
      );
      status.textContent = t('common.loading');
      mount(list);
      try {
        const items = (await listAll('/files', { parent_id: folder.id ?? undefined })).filter((e) => e.kind === 'folder');
        status.textContent = items.length ? '' : t('picker.empty');
        mount(list, items.map((entry) => {
          const blocked = exclude.has(entry.id);
          const button = h('button', { type: 'button', class: 'picker-item', disabled: blocked, 'aria-disabled': blocked ? 'true' : null }, icon('folder', { size: 18 }), h('span', { text: entry.name }), blocked ? null : icon('right', { size: 16, className: 'picker-go' }));
          button.addEventListener('click', () => open({ id: entry.id, path: entry.path }));
          return h('li', { role: 'option', 'aria-selected': 'false' }, button);
        }));
        list.querySelector('button:not([disabled])')?.focus();
      } catch (error) {
        status.textContent = '';
        toastError(error);
      }
      here.disabled = exclude.has(folder.id);
    }

    const dlg = openDialog({
      title,
      size: 'md',
      body: h('div', { class: 'picker' }, crumbs, list, status),
      actions: [newFolder, h('span', { class: 'spacer' }), h('button', { type: 'button', class: 'btn', text: t('common.cancel'), onclick: () => dlg.close() }), here],
      onClose: () => resolve(result),
    });
    open(start || { id: null, path: '/' });
  });
}
