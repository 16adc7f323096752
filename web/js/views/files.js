// My files: breadcrumbs, toolbar (upload, new folder, sort, view), search results, the
// list/grid, selection actions, drag-and-drop upload and in-place previews.

import { h, mount, debounce } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import { navigate, query } from '../router.js';
import { pref, setPref, reloadUser } from '../state.js';
import { createFileList } from '../components/filelist.js';
import { entryMenu, createFolder, rename, remove, move, copy, download } from '../components/actions.js';
import { openMenuAt, menuButton } from '../components/menu.js';
import { openShareDialog } from '../components/share-dialog.js';
import { toastError } from '../components/toast.js';
import { uploader, filesFromDrop } from '../components/uploader.js';
import { openPreview } from '../components/preview.js';
import { openVersions } from '../components/versions.js';

const PAGE = 200;
// "Modified" is the content's time as the uploader's device knew it (`modified_at`).
const SORTS = ['name', 'size', 'modified_at', 'created_at'];
// Saved before `modified_at` existed: the same column, under its new key.
const RENAMED_SORTS = { updated_at: 'modified_at' };
const pathCache = new Map();

let active = null;
// Set when the keyboard took us to this folder: true (Enter) focuses the list, a folder id
// (Backspace: the folder we came up from) focuses that row.
let focusList = false;

window.addEventListener('hoard:uploaded', (event) => {
  if (active && (event.detail.parentId ?? null) === active.folderId) active.reloadSoon();
});

async function ancestors(path) {
  const parts = path.split('/').filter(Boolean);
  const prefixes = parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
  return Promise.all(prefixes.map(async (p) => {
    if (!pathCache.has(p)) {
      const entry = await api('/files/by-path', { query: { path: p } });
      pathCache.set(p, entry.id);
    }
    return { name: p.split('/').pop(), id: pathCache.get(p) };
  }));
}

function breadcrumbs(folder, trail) {
  const items = [{ name: t('nav.files'), href: '/files' }, ...trail.map((a) => ({ name: a.name, href: `/files/${a.id}` }))];
  if (folder) items.push({ name: folder.name, href: null });
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': t('files.breadcrumb') },
    h('ol', {}, items.map((item, i) => h(
      'li',
      {},
      i > 0 ? icon('right', { size: 14, className: 'crumb-sep' }) : null,
      item.href && i < items.length - 1
        ? h('a', { href: item.href, class: 'crumb', text: item.name })
        : h('span', { class: 'crumb current', 'aria-current': 'page', text: item.name }),
    ))),
  );
}

function skeleton(mode) {
  return h('div', { class: `fl fl-${mode} loading`, 'aria-busy': 'true', 'aria-label': t('common.loading') },
    Array.from({ length: mode === 'grid' ? 8 : 6 }, () => h('div', { class: 'skeleton-row' })));
}

export async function showFiles(view, folderId) {
  const q = query().get('q')?.trim() || '';
  const openId = Number(query().get('open')) || null;
  let mode = pref('view', 'list');
  const saved = pref('sort', 'name');
  let sort = RENAMED_SORTS[saved] || (SORTS.includes(saved) ? saved : 'name');
  let order = pref('order', 'asc') === 'desc' ? 'desc' : 'asc';
  let folder = null;
  let total = 0;
  let list = null;
  let loadingMore = false;
  const token = {};
  active = { folderId, token, reloadSoon: debounce(() => active?.token === token && load(), 250) };

  const fileInput = h('input', { type: 'file', multiple: true, hidden: true, 'aria-hidden': 'true', tabindex: '-1' });
  const dirInput = h('input', { type: 'file', multiple: true, hidden: true, webkitdirectory: true, 'aria-hidden': 'true', tabindex: '-1' });
  fileInput.addEventListener('change', () => {
    uploader.add([...fileInput.files].map((file) => ({ file, path: file.name })), folderId);
    fileInput.value = '';
  });
  dirInput.addEventListener('change', () => {
    uploader.add([...dirInput.files].map((file) => ({ file, path: file.webkitRelativePath || file.name })), folderId);
    dirInput.value = '';
  });

  const title = h('div', { class: 'files-title' });
  const count = h('span', { class: 'files-count', 'aria-live': 'polite' });
  const uploadBtn = h('button', { type: 'button', class: 'btn btn-primary', onclick: () => fileInput.click() }, icon('upload', { size: 18 }), h('span', { text: t('upload.button') }));
  const uploadMore = menuButton({
    label: t('upload.more'),
    iconName: 'down',
    className: 'btn btn-primary btn-split',
    items: () => [
      { label: t('upload.files'), icon: 'file', run: () => fileInput.click() },
      { label: t('upload.folder'), icon: 'folder', run: () => dirInput.click() },
    ],
  });
  const newFolderBtn = h('button', { type: 'button', class: 'btn', 'aria-label': t('files.newFolder'), onclick: async () => {
    const made = await createFolder(folderId).catch(toastError);
    if (made) { await load(); list?.focusId(made.id); }
  } }, icon('folderPlus', { size: 18 }), h('span', { class: 'btn-label', text: t('files.newFolder') }));
  const sortBtn = menuButton({
    label: t('files.sortBy'),
    iconName: 'list',
    className: 'btn btn-icon-mobile',
    text: t(`files.sort.${sort}`),
    items: () => [
      ...SORTS.map((key) => ({ label: t(`files.sort.${key}`), checked: key === sort, run: () => setSort(key, order) })),
      'sep',
      { label: t('files.order.asc'), checked: order === 'asc', run: () => setSort(sort, 'asc') },
      { label: t('files.order.desc'), checked: order === 'desc', run: () => setSort(sort, 'desc') },
    ],
  });
  sortBtn.querySelector('.icon').replaceWith(icon(order === 'asc' ? 'up' : 'down', { size: 18 }));
  const viewBtn = h('div', { class: 'segmented', role: 'group', 'aria-label': t('files.viewMode') },
    ['list', 'grid'].map((m) => h('button', {
      type: 'button',
      class: `seg${mode === m ? ' on' : ''}`,
      'aria-pressed': String(mode === m),
      'aria-label': t(`files.view.${m}`),
      title: t(`files.view.${m}`),
      onclick: () => { if (mode !== m) { setPref('view', m); showFiles(view, folderId); } },
    }, icon(m, { size: 18 }))));

  const selectionBar = h('div', { class: 'selection-bar', hidden: true, role: 'region', 'aria-label': t('files.selection') });
  const content = h('div', { class: 'files-content' }, skeleton(mode));
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const dropHint = h('div', { class: 'drop-hint', 'aria-hidden': 'true' }, icon('upload', { size: 40 }), h('p', { text: t('upload.dropHere') }));
  const zone = h('section', { class: 'files drop-zone', 'aria-label': t('nav.files') },
    h('div', { class: 'files-head' }, title,
      h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': t('files.toolbar') },
        h('div', { class: 'split' }, uploadBtn, uploadMore), newFolderBtn, h('span', { class: 'spacer' }), sortBtn, viewBtn)),
    count, selectionBar, content, sentinel, dropHint, fileInput, dirInput);
  mount(view, zone);

  const setSort = (key, dir) => {
    setPref('sort', key);
    setPref('order', dir);
    showFiles(view, folderId);
  };

  function updateSelection(entries) {
    selectionBar.hidden = entries.length === 0;
    if (!entries.length) return;
    const one = entries.length === 1 ? entries[0] : null;
    const b = (label, name, run, cls = '') => h('button', { type: 'button', class: `btn btn-ghost ${cls}`, onclick: run, title: label, 'aria-label': label }, icon(name, { size: 18 }), h('span', { class: 'btn-label', text: label }));
    mount(selectionBar,
      h('span', { class: 'selection-count', text: t('files.selected', { n: entries.length }) }),
      b(t('files.download'), 'download', () => entries.forEach(download)),
      one ? b(t('share.action'), 'share', () => openShareDialog(one)) : null,
      b(t('files.move'), 'move', () => move(entries).then((r) => r.length && load())),
      b(t('files.copy'), 'copy', () => copy(entries).then((r) => r.length && load())),
      b(t('files.delete'), 'trash', () => remove(entries, { onUndo: load }).then((r) => { if (r.length) { load(); reloadUser(); } }), 'danger'),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('files.clearSelection'), title: t('files.clearSelection'), onclick: () => list.clearSelection() }, icon('close', { size: 18 })));
  }

  const preview = (entry) => {
    const siblings = list.items().filter((e) => e.kind === 'file');
    openPreview(entry, siblings, {
      onChange: load,
      onClose: (last) => list.focusId(last.id),
    });
  };
  const onOpen = (entry, { keyboard = false } = {}) => {
    if (entry.kind !== 'folder') return preview(entry);
    focusList = keyboard;
    return navigate(`/files/${entry.id}`);
  };
  // After a restore or delete the list reloads (size and count change); focus then goes
  // back to the file's row, as after a preview.
  const versions = (entry) => openVersions(entry, { onChange: load, onClose: () => list?.focusId(entry.id) });
  const onMenu = (entries, where) => openMenuAt({ ...where, label: t('files.actions'), items: entryMenu(entries, { refresh: load, preview, versions }) });
  const onKey = (event, targets) => {
    if (event.key === 'Delete') {
      remove(targets, { onUndo: load }).then((r) => { if (r.length) { load(); reloadUser(); } });
      return true;
    }
    if (event.key === 'F2' && targets.length === 1) {
      rename(targets[0]).then((r) => r && load()).catch(toastError);
      return true;
    }
    if ((event.key === 'Backspace' || (event.altKey && event.key === 'ArrowUp')) && folder) {
      focusList = folder.id;
      navigate(folder.parent_id ? `/files/${folder.parent_id}` : '/files');
      return true;
    }
    return false;
  };

  async function load({ more = false } = {}) {
    if (active?.token !== token) return;
    const focusedId = list?.hasFocus() ? Number(document.activeElement?.dataset?.id) : null;
    const offset = more ? list.items().length : 0;
    try {
      const page = await api('/files', { query: { parent_id: folderId ?? undefined, q: q || undefined, sort, order, limit: PAGE, offset } });
      if (active?.token !== token) return;
      total = page.total;
      if (!more || !list) {
        list = createFileList({ mode, sort, order, onOpen, onMenu, onKey, onSort: setSort, onSelection: updateSelection, onVersions: versions, label: q ? t('search.results', { q }) : t('files.listLabel', { name: folder?.name || t('nav.files') }), showPath: !!q });
        list.setItems(page.items);
        if (page.items.length === 0) {
          mount(content, emptyState());
        } else {
          mount(content, list.el);
        }
      } else {
        list.setItems(page.items, { append: true });
      }
      count.textContent = total ? t('files.count', { n: formatNumber(total) }) : '';
      if (focusedId) list.focusId(focusedId);
    } catch (error) {
      if (error.status === 404) return navigate('/files', { replace: true });
      mount(content, h('div', { class: 'empty' }, icon('alert', { size: 40 }), h('p', { text: t('files.loadFailed') }), h('button', { type: 'button', class: 'btn', text: t('common.retry'), onclick: () => load() })));
      toastError(error);
    }
  }

  function emptyState() {
    if (q) {
      return h('div', { class: 'empty' }, icon('search', { size: 44 }), h('h2', { text: t('search.none', { q }) }), h('p', { text: t('search.noneHint') }));
    }
    return h('div', { class: 'empty' }, icon(folderId ? 'folder' : 'drive', { size: 44 }),
      h('h2', { text: folderId ? t('files.emptyFolder') : t('files.emptyRoot') }),
      h('p', { text: t('files.emptyHint') }),
      h('button', { type: 'button', class: 'btn btn-primary', onclick: () => fileInput.click() }, icon('upload', { size: 18 }), h('span', { text: t('upload.button') })));
  }

  // Drag and drop: anywhere on the view; folders come through webkitGetAsEntry.
  let depth = 0;
  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes('Files');
  zone.addEventListener('dragenter', (event) => { if (!hasFiles(event)) return; event.preventDefault(); depth += 1; zone.classList.add('dragging'); });
  zone.addEventListener('dragover', (event) => { if (!hasFiles(event)) return; event.preventDefault(); event.dataTransfer.dropEffect = 'copy'; });
  zone.addEventListener('dragleave', () => { depth = Math.max(0, depth - 1); if (!depth) zone.classList.remove('dragging'); });
  zone.addEventListener('drop', async (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    const files = await filesFromDrop(event.dataTransfer);
    if (files.length) uploader.add(files, folderId);
  });

  new IntersectionObserver((entries) => {
    if (entries[0].isIntersecting && list && list.items().length < total && !loadingMore) {
      loadingMore = true;
      load({ more: true }).finally(() => { loadingMore = false; });
    }
  }, { rootMargin: '400px' }).observe(sentinel);

  // Header: breadcrumbs for a folder, a heading for search results.
  try {
    if (folderId) folder = await api(`/files/${folderId}`);
    if (folder && folder.kind !== 'folder') return navigate(`/files/${folder.parent_id ?? ''}?open=${folder.id}`.replace('/?', '?'), { replace: true });
    if (q) {
      mount(title, h('h1', { class: 'page-title', text: t('search.results', { q }) }), h('a', { href: folderId ? `/files/${folderId}` : '/files', class: 'btn btn-link', text: t('search.clear') }));
    } else {
      const trail = folder ? await ancestors(folder.path) : [];
      mount(title, h('h1', { class: 'sr-only', text: folder ? folder.name : t('nav.files') }), breadcrumbs(folder, trail));
    }
    document.title = `${q ? t('search.results', { q }) : folder ? folder.name : t('nav.files')} · Hoard`;
  } catch (error) {
    if (error.status === 404) return navigate('/files', { replace: true });
    toastError(error);
  }
  await load();
  if (openId) {
    const entry = list?.items().find((e) => e.id === openId) || await api(`/files/${openId}`).catch(() => null);
    if (entry && entry.kind === 'file') preview(entry);
  }
  if (focusList && !openId && list) {
    if (typeof focusList === 'number') list.focusId(focusList);
    else list.el.querySelector('.fl-row[tabindex="0"]')?.focus({ preventScroll: true });
  }
  focusList = false;
}
