// What can be done to entries, shared by the file list, its menus and the previewer.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { api, fileUrl } from '../api.js';
import { navigate } from '../router.js';
import { promptDialog, confirmDialog } from './dialog.js';
import { pickFolder } from './folder-picker.js';
import { toast, toastOk, toastError } from './toast.js';
import { openShareDialog } from './share-dialog.js';
import { openVersions } from './versions.js';
import { reloadUser } from '../state.js';

/** Runs `fn` for every entry; stops at and reports the first failure. */
async function each(entries, fn) {
  const done = [];
  for (const entry of entries) {
    try {
      done.push(await fn(entry));
    } catch (error) {
      toastError(error);
      break;
    }
  }
  return done;
}

export function download(entry) {
  const a = h('a', { href: fileUrl(entry.id, 'download'), download: '' });
  document.body.append(a);
  a.click();
  a.remove();
}

export async function createFolder(parentId) {
  return promptDialog({
    title: t('files.newFolder'),
    label: t('files.folderName'),
    value: '',
    confirm: t('common.create'),
    submit: (name) => api('/folders', { method: 'POST', json: { name, parent_id: parentId } }),
  });
}

export async function rename(entry) {
  const dot = entry.kind === 'file' ? entry.name.lastIndexOf('.') : -1;
  const renamed = await promptDialog({
    title: t('files.rename'),
    label: t('files.newName'),
    value: entry.name,
    confirm: t('files.rename'),
    select: (v) => [0, dot > 0 ? dot : v.length],
    submit: (name) => (name === entry.name ? entry : api(`/files/${entry.id}`, { method: 'PATCH', json: { name } })),
  });
  if (renamed && renamed.name !== entry.name) toastOk(t('files.renamed', { name: renamed.name }));
  return renamed;
}

async function destination(entries, title, confirm) {
  const exclude = new Set(entries.filter((e) => e.kind === 'folder').map((e) => e.id));
  return pickFolder({ title, confirm, exclude });
}

export async function move(entries) {
  const target = await destination(entries, t('files.moveTitle', { n: entries.length }), t('files.moveHere'));
  if (!target) return [];
  const moved = await each(entries, (e) => api(`/files/${e.id}`, { method: 'PATCH', json: { parent_id: target.id } }));
  if (moved.length) toastOk(t('files.moved', { n: moved.length, folder: target.path === '/' ? t('nav.files') : target.path }));
  return moved;
}

export async function copy(entries) {
  const target = await destination([], t('files.copyTitle', { n: entries.length }), t('files.copyHere'));
  if (!target) return [];
  const copied = await each(entries, (e) => api(`/files/${e.id}/copy`, { method: 'POST', json: { parent_id: target.id } }));
  if (copied.length) {
    toastOk(t('files.copied', { n: copied.length }));
    reloadUser();
  }
  return copied;
}

export async function remove(entries, { onUndo } = {}) {
  const one = entries.length === 1;
  const ok = await confirmDialog({
    title: t('files.deleteTitle', { n: entries.length }),
    message: one ? t('files.deleteOne', { name: entries[0].name }) : t('files.deleteMany', { n: entries.length }),
    confirm: t('files.moveToTrash'),
    danger: true,
  });
  if (!ok) return [];
  const deleted = await each(entries, (e) => api(`/files/${e.id}`, { method: 'DELETE' }).then(() => e));
  if (deleted.length) {
    toast(t('files.deleted', { n: deleted.length }), {
      kind: 'success',
      timeout: 6000,
      action: {
        label: t('common.undo'),
        run: async () => {
          await each(deleted, (e) => api(`/trash/${e.id}/restore`, { method: 'POST' }));
          onUndo?.();
        },
      },
    });
  }
  return deleted;
}

/**
 * The actions menu for one or more entries. `refresh` reloads the view afterwards;
 * `versions(entry)` opens a file's versions (by default with `refresh` after a change).
 */
export function entryMenu(entries, { refresh, preview, versions = (entry) => openVersions(entry, { onChange: refresh }) }) {
  const one = entries.length === 1 ? entries[0] : null;
  const after = (promise) => promise.then((r) => { if (r && (!Array.isArray(r) || r.length)) refresh(); }).catch(toastError);
  return [
    one && { label: t('files.open'), icon: one.kind === 'folder' ? 'folder' : 'eye', run: () => (one.kind === 'folder' ? navigate(`/files/${one.id}`) : preview(one)) },
    one && one.kind === 'file' && { label: t('files.openNewTab'), icon: 'external', run: () => window.open(fileUrl(one.id, 'content'), '_blank', 'noopener') },
    { label: one?.kind === 'folder' ? t('files.downloadZip') : t('files.download'), icon: 'download', run: () => entries.forEach(download) },
    one && { label: t('share.action'), icon: 'share', run: () => openShareDialog(one) },
    one && one.kind === 'file' && { label: t('versions.action'), icon: 'clock', run: () => versions(one) },
    'sep',
    one && { label: t('files.rename'), icon: 'edit', run: () => after(rename(one)) },
    { label: t('files.move'), icon: 'move', run: () => after(move(entries)) },
    { label: t('files.copy'), icon: 'copy', run: () => after(copy(entries)) },
    'sep',
    { label: t('files.delete'), icon: 'trash', danger: true, run: () => after(remove(entries, { onUndo: refresh }).then((r) => { if (r.length) reloadUser(); return r; })) },
  ].filter(Boolean);
}
