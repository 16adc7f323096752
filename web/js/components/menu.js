// Popup menus (role=menu): arrow keys move, Enter/Space choose, Escape/Tab close and return
// focus to the opener. Anchored under a button, or at a pointer position.

import { h } from '../dom.js';
import { icon } from '../icons.js';

let openMenu = null;

export function closeMenu() {
  openMenu?.close();
}

/**
 * openMenuAt({anchor | x,y, items:[{label, icon, run, danger, hidden, checked}|'sep'], label})
 */
export function openMenuAt({ anchor, x, y, items, label }) {
  closeMenu();
  const previous = document.activeElement;
  const entries = items.filter((item) => item && !item.hidden);
  const buttons = [];
  const menu = h('div', { class: 'menu', role: 'menu', 'aria-label': label || '' });
  for (const item of entries) {
    if (item === 'sep') {
      menu.append(h('div', { class: 'menu-sep', role: 'separator' }));
      continue;
    }
    const role = item.checked === undefined ? 'menuitem' : 'menuitemradio';
    const button = h(
      'button',
      {
        type: 'button',
        class: `menu-item${item.danger ? ' danger' : ''}`,
        role,
        tabindex: '-1',
        'aria-checked': item.checked === undefined ? null : String(!!item.checked),
        onclick: () => {
          close(false);
          item.run();
        },
      },
      item.icon ? icon(item.icon, { size: 18 }) : h('span', { class: 'menu-icon-space' }),
      h('span', { text: item.label }),
      item.checked ? icon('check', { size: 16, className: 'menu-check' }) : null,
    );
    buttons.push(button);
    menu.append(button);
  }
  function close(restore = true) {
    if (!menu.isConnected) return;
    menu.remove();
    document.removeEventListener('pointerdown', outside, true);
    window.removeEventListener('resize', onResize);
    anchor?.setAttribute('aria-expanded', 'false');
    openMenu = null;
    if (restore && previous?.isConnected) previous.focus();
  }
  const outside = (event) => {
    if (!menu.contains(event.target) && !anchor?.contains(event.target)) close(false);
  };
  const onResize = () => close(false);
  menu.addEventListener('keydown', (event) => {
    const index = buttons.indexOf(document.activeElement);
    const go = (i) => buttons[(i + buttons.length) % buttons.length]?.focus();
    switch (event.key) {
      case 'ArrowDown': event.preventDefault(); go(index + 1); break;
      case 'ArrowUp': event.preventDefault(); go(index - 1); break;
      case 'Home': event.preventDefault(); go(0); break;
      case 'End': event.preventDefault(); go(buttons.length - 1); break;
      case 'Escape': event.preventDefault(); event.stopPropagation(); close(); break;
      case 'Tab': event.preventDefault(); close(); break;
      default:
        if (event.key.length === 1) {
          const letter = event.key.toLowerCase();
          const found = buttons.findIndex((b, i) => i > index && b.textContent.trim().toLowerCase().startsWith(letter));
          if (found >= 0) buttons[found].focus();
        }
    }
  });
  document.body.append(menu);
  const rect = menu.getBoundingClientRect();
  let left;
  let top;
  if (anchor) {
    const a = anchor.getBoundingClientRect();
    left = a.right - rect.width;
    top = a.bottom + 4;
    if (left < 8) left = a.left;
    if (top + rect.height > innerHeight - 8) top = a.top - rect.height - 4;
    anchor.setAttribute('aria-expanded', 'true');
  } else {
    left = x;
    top = y;
    if (left + rect.width > innerWidth - 8) left = innerWidth - rect.width - 8;
    if (top + rect.height > innerHeight - 8) top = innerHeight - rect.height - 8;
  }
  menu.style.left = `${Math.max(8, left)}px`;
  menu.style.top = `${Math.max(8, top)}px`;
  setTimeout(() => document.addEventListener('pointerdown', outside, true));
  window.addEventListener('resize', onResize);
  buttons[0]?.focus();
  openMenu = { close };
  return openMenu;
}

/** A button that opens a menu built by `items()` when clicked. */
export function menuButton({ label, iconName = 'more', className = 'icon-btn', items, text }) {
  const button = h(
    'button',
    { type: 'button', class: className, 'aria-label': label, 'aria-haspopup': 'menu', 'aria-expanded': 'false', title: label },
    icon(iconName),
    text ? h('span', { text }) : null,
  );
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    openMenuAt({ anchor: button, items: items(), label });
  });
  return button;
}
