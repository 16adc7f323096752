// The file list (role=grid) in list or grid layout, with a roving focus: arrows move, Home/
// End jump, Enter opens, Space selects, Shift extends, Ctrl+A selects all, Delete deletes,
// F2 renames, the context-menu key (or Shift+F10) opens the actions menu, Backspace goes up.

import { h } from '../dom.js';
import { icon, entryIcon } from '../icons.js';
import { t, formatBytes, formatRelative, formatDate } from '../i18n.js';
import { fileUrl } from '../api.js';
import { versionsBadge } from './versions.js';

/**
 * createFileList({mode, sort, order, onOpen, onMenu, onSort, onSelection, onKey, onVersions})
 * → {el, setItems(items, {append}), selected(), focusIndex(i), clearSelection(), items()}
 */
export function createFileList(options) {
  const { mode, sort, order, onOpen, onMenu, onSort, onSelection, onKey, onVersions, label, showPath } = options;
  let items = [];
  let rows = [];
  let focus = 0;
  let anchor = null;
  const selected = new Set();

  const body = h('div', { class: 'fl-body', role: 'rowgroup' });
  const selectAll = h('input', { type: 'checkbox', class: 'check', 'aria-label': t('files.selectAll'), tabindex: '-1' });
  selectAll.addEventListener('change', () => {
    if (selectAll.checked) items.forEach((e) => selected.add(e.id));
    else selected.clear();
    sync();
  });
  const header = mode === 'list'
    ? h(
      'div',
      { class: 'fl-head', role: 'rowgroup' },
      h(
        'div',
        { class: 'fl-row fl-header', role: 'row' },
        h('div', { class: 'fl-cell fl-check', role: 'columnheader' }, selectAll),
        sortHeader('name', t('files.col.name'), 'fl-name'),
        sortHeader('size', t('files.col.size'), 'fl-size'),
        sortHeader('modified_at', t('files.col.modified'), 'fl-date'),
        h('div', { class: 'fl-cell fl-actions', role: 'columnheader' }, h('span', { class: 'sr-only', text: t('files.col.actions') })),
      ),
    )
    : null;
  const el = h(
    'div',
    { class: `fl fl-${mode}`, role: 'grid', 'aria-label': label, 'aria-multiselectable': 'true', 'aria-rowcount': '0' },
    header,
    body,
  );

  function sortHeader(key, text, className) {
    const active = sort === key;
    const button = h(
      'button',
      { type: 'button', class: 'sort-btn', tabindex: '-1', onclick: () => onSort(key, active && order === 'asc' ? 'desc' : 'asc') },
      h('span', { text }),
      active ? icon(order === 'asc' ? 'up' : 'down', { size: 14 }) : null,
    );
    return h('div', { class: `fl-cell ${className}`, role: 'columnheader', 'aria-sort': active ? (order === 'asc' ? 'ascending' : 'descending') : 'none' }, button);
  }

  function thumb(entry, size) {
    if (entry.kind === 'file' && entry.category === 'image' && entry.extension !== 'svg') {
      const img = h('img', { class: 'thumb-img', src: `${fileUrl(entry.id, 'thumbnail')}?size=${size}&v=${encodeURIComponent(entry.sha256 || '')}`, alt: '', loading: 'lazy', decoding: 'async' });
      img.addEventListener('error', () => img.replaceWith(icon(entryIcon(entry), { size: mode === 'grid' ? 40 : 22 })));
      return img;
    }
    return icon(entryIcon(entry), { size: mode === 'grid' ? 40 : 22 });
  }

  function row(entry, index) {
    const check = h('input', { type: 'checkbox', class: 'check', tabindex: '-1', 'aria-label': t('files.select', { name: entry.name }) });
    check.addEventListener('click', (event) => {
      event.stopPropagation();
      toggle(index, event.shiftKey);
    });
    const nameLink = h(
      'a',
      {
        class: 'fl-link',
        href: entry.kind === 'folder' ? `/files/${entry.id}` : `/files/${entry.parent_id ?? ''}`.replace(/\/$/, '') + `?open=${entry.id}`,
        tabindex: '-1',
        title: entry.name,
      },
      entry.name,
    );
    nameLink.addEventListener('click', (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      event.stopPropagation();
      onOpen(entry);
    });
    const more = h('button', { type: 'button', class: 'icon-btn fl-more', tabindex: '-1', 'aria-label': t('files.actionsFor', { name: entry.name }), 'aria-haspopup': 'menu' }, icon('more'));
    more.addEventListener('click', (event) => {
      event.stopPropagation();
      setFocus(index);
      onMenu([entry], { anchor: more });
    });
    const kindText = entry.kind === 'folder' ? t('files.folder') : formatBytes(entry.size);
    const badge = onVersions ? versionsBadge(entry, onVersions) : null;
    const meta = showPath
      ? h('span', { class: 'fl-path', text: parentPath(entry.path) })
      : h('span', { class: 'fl-sub', text: `${entry.kind === 'folder' ? t('files.folder') : formatBytes(entry.size)} · ${formatRelative(entry.modified_at)}` });
    const cells = mode === 'list'
      ? [
        h('div', { class: 'fl-cell fl-check', role: 'gridcell' }, check),
        h('div', { class: 'fl-cell fl-name', role: 'gridcell' }, h('span', { class: 'fl-icon' }, thumb(entry, 64)), h('span', { class: 'fl-name-text' }, nameLink, meta), badge),
        h('div', { class: 'fl-cell fl-size', role: 'gridcell', text: entry.kind === 'folder' ? '—' : formatBytes(entry.size) }),
        h('div', { class: 'fl-cell fl-date', role: 'gridcell', title: formatDate(entry.modified_at), text: formatRelative(entry.modified_at) }),
        h('div', { class: 'fl-cell fl-actions', role: 'gridcell' }, more),
      ]
      : [
        h('div', { class: 'fl-cell fl-tile', role: 'gridcell' },
          h('div', { class: `fl-thumb ${entry.kind}` }, thumb(entry, 256)),
          h('div', { class: 'fl-tile-foot' },
            check,
            h('div', { class: 'fl-tile-text' }, nameLink, h('span', { class: 'fl-tile-meta' }, h('span', { text: kindText }), badge)),
            more)),
      ];
    const el = h(
      'div',
      { class: 'fl-row', role: 'row', tabindex: '-1', 'aria-selected': 'false', 'aria-rowindex': String(index + 2), dataset: { id: entry.id, kind: entry.kind } },
      cells,
    );
    el.addEventListener('click', (event) => {
      setFocus(index);
      if (event.shiftKey) toggle(index, true);
      else if (event.ctrlKey || event.metaKey) toggle(index);
      else if (matchMedia('(pointer: coarse)').matches) onOpen(entry);
      else selectOnly(index);
    });
    el.addEventListener('dblclick', () => onOpen(entry));
    el.addEventListener('contextmenu', (event) => {
      event.preventDefault();
      if (!selected.has(entry.id)) selectOnly(index);
      setFocus(index);
      onMenu(selectedEntries(), { x: event.clientX, y: event.clientY });
    });
    el.addEventListener('focus', () => { focus = index; });
    return el;
  }

  function parentPath(path) {
    const parts = (path || '').split('/');
    parts.pop();
    return parts.join('/') || '/';
  }

  function selectedEntries() {
    return items.filter((e) => selected.has(e.id));
  }

  function selectOnly(index) {
    selected.clear();
    if (items[index]) selected.add(items[index].id);
    anchor = index;
    sync();
  }

  function toggle(index, range = false) {
    if (range && anchor !== null) {
      const [a, b] = [Math.min(anchor, index), Math.max(anchor, index)];
      for (let i = a; i <= b; i++) selected.add(items[i].id);
    } else {
      const id = items[index].id;
      if (selected.has(id)) selected.delete(id);
      else selected.add(id);
      anchor = index;
    }
    sync();
  }

  function sync() {
    rows.forEach((r, i) => {
      const on = selected.has(items[i].id);
      r.setAttribute('aria-selected', String(on));
      r.querySelector('.check').checked = on;
    });
    selectAll.checked = items.length > 0 && selected.size === items.length;
    selectAll.indeterminate = selected.size > 0 && selected.size < items.length;
    onSelection(selectedEntries());
  }

  function setFocus(index, { scroll = true } = {}) {
    if (!rows.length) return;
    focus = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((r, i) => r.setAttribute('tabindex', i === focus ? '0' : '-1'));
    rows[focus].focus({ preventScroll: !scroll });
    if (scroll) rows[focus].scrollIntoView({ block: 'nearest' });
  }

  function columns() {
    if (mode !== 'grid' || rows.length < 2) return 1;
    const top = rows[0].offsetTop;
    const n = rows.findIndex((r) => r.offsetTop !== top);
    return n === -1 ? rows.length : n;
  }

  el.addEventListener('keydown', (event) => {
    const row = event.target.closest('.fl-row');
    if (!row || !body.contains(row) || event.target.closest('input:not(.check), .menu')) return;
    const step = mode === 'grid' ? columns() : 1;
    const move = (to) => {
      event.preventDefault();
      const prev = focus;
      setFocus(to);
      if (event.shiftKey) {
        anchor ??= prev;
        selected.clear();
        const [a, b] = [Math.min(anchor, focus), Math.max(anchor, focus)];
        for (let i = a; i <= b; i++) selected.add(items[i].id);
        sync();
      }
    };
    const ctrl = event.ctrlKey || event.metaKey;
    switch (event.key) {
      case 'ArrowDown': return move(focus + step);
      case 'ArrowUp': return move(focus - step);
      case 'ArrowRight': if (mode === 'grid') move(focus + 1); return;
      case 'ArrowLeft': if (mode === 'grid') move(focus - 1); return;
      case 'Home': return move(0);
      case 'End': return move(rows.length - 1);
      case 'PageDown': return move(focus + 10 * step);
      case 'PageUp': return move(focus - 10 * step);
      case 'Enter': event.preventDefault(); return onOpen(items[focus], { keyboard: true });
      case ' ': event.preventDefault(); return toggle(focus);
      case 'Escape': if (selected.size) { event.preventDefault(); selected.clear(); sync(); } return;
      case 'ContextMenu':
      case 'F10':
        if (event.key === 'F10' && !event.shiftKey) return;
        event.preventDefault();
        if (!selected.has(items[focus].id)) selectOnly(focus);
        return onMenu(selectedEntries(), { anchor: rows[focus].querySelector('.fl-more') });
      case 'a': case 'A':
        if (!ctrl) break;
        event.preventDefault();
        items.forEach((e) => selected.add(e.id));
        return sync();
      default:
    }
    const targets = selected.size ? selectedEntries() : [items[focus]];
    if (onKey(event, targets, items[focus])) event.preventDefault();
  });

  return {
    el,
    setItems(next, { append = false } = {}) {
      const start = append ? items.length : 0;
      if (!append) {
        items = [];
        rows = [];
        body.replaceChildren();
        for (const id of [...selected]) if (!next.some((e) => e.id === id)) selected.delete(id);
      }
      items = items.concat(next);
      const fresh = next.map((entry, i) => row(entry, start + i));
      rows = rows.concat(fresh);
      body.append(...fresh);
      el.setAttribute('aria-rowcount', String(items.length + 1));
      rows.forEach((r, i) => r.setAttribute('tabindex', i === Math.min(focus, rows.length - 1) ? '0' : '-1'));
      sync();
    },
    items: () => items,
    selected: selectedEntries,
    clearSelection() { selected.clear(); sync(); },
    focusIndex: (i) => setFocus(i),
    focusId(id) {
      const i = items.findIndex((e) => e.id === id);
      if (i >= 0) setFocus(i);
    },
    hasFocus: () => el.contains(document.activeElement),
  };
}
