// The signed-in layout: top bar (menu, brand, search, language, theme, account), side
// navigation with the storage bar, and the view area the router renders into.

import { h, mount } from '../dom.js';
import { icon } from '../icons.js';
import { t, LOCALES, locale, setLocale } from '../i18n.js';
import { me, onUser } from '../state.js';
import { themeChoice, setTheme } from '../theme.js';
import { menuButton } from './menu.js';
import { usageBar } from './usage.js';
import { avatar } from './avatar.js';
import { navigate, query } from '../router.js';
import { signOut } from '../session.js';

let shell = null;

/** Language and theme menus, shared by the shell and the signed-out pages. */
export function prefButtons() {
  const lang = menuButton({
    label: t('prefs.language'),
    iconName: 'globe',
    items: () => LOCALES.map((l) => ({ label: l.label, checked: l.code === locale(), run: () => setLocale(l.code) })),
  });
  const themeIcon = { system: 'auto', light: 'sun', dark: 'moon' }[themeChoice()];
  const theme = menuButton({
    label: t('prefs.theme'),
    iconName: themeIcon,
    items: () => ['system', 'light', 'dark'].map((c) => ({ label: t(`theme.${c}`), icon: { system: 'auto', light: 'sun', dark: 'moon' }[c], checked: c === themeChoice(), run: () => setTheme(c) })),
  });
  return [lang, theme];
}

function navLink(href, iconName, label, active) {
  return h(
    'a',
    { href, class: `nav-link${active ? ' active' : ''}`, 'aria-current': active ? 'page' : null },
    icon(iconName),
    h('span', { text: label }),
  );
}

function section(path) {
  if (path.startsWith('/trash')) return 'trash';
  if (path.startsWith('/shares')) return 'shares';
  if (path.startsWith('/settings')) return 'settings';
  if (path.startsWith('/admin')) return 'admin';
  return 'files';
}

function renderShell() {
  const user = me();
  const active = section(location.pathname);
  const search = h('input', {
    type: 'search',
    name: 'q',
    class: 'search-input',
    placeholder: t('search.placeholder'),
    'aria-label': t('search.label'),
    value: query().get('q') || '',
    autocomplete: 'off',
  });
  const searchForm = h('form', { class: 'search', role: 'search' }, icon('search', { size: 18 }), search);
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = search.value.trim();
    const base = location.pathname.startsWith('/files') ? location.pathname : '/files';
    navigate(q ? `${base}?q=${encodeURIComponent(q)}` : base);
  });
  search.addEventListener('search', () => {
    if (!search.value) searchForm.requestSubmit();
  });
  const nav = h(
    'nav',
    { class: 'sidebar', id: 'sidebar', 'aria-label': t('nav.label') },
    h(
      'div',
      { class: 'nav-links' },
      navLink('/files', 'drive', t('nav.files'), active === 'files'),
      navLink('/shares', 'link', t('nav.shares'), active === 'shares'),
      navLink('/trash', 'trash', t('nav.trash'), active === 'trash'),
      navLink('/settings', 'settings', t('nav.settings'), active === 'settings'),
      user.role === 'admin' ? navLink('/admin', 'shield', t('nav.admin'), active === 'admin') : null,
    ),
    usageBar(user),
  );
  const toggle = h(
    'button',
    { type: 'button', class: 'icon-btn nav-toggle', 'aria-label': t('nav.toggle'), 'aria-controls': 'sidebar', 'aria-expanded': 'false' },
    icon('menu'),
  );
  toggle.addEventListener('click', () => {
    const open = !document.body.classList.contains('nav-open');
    document.body.classList.toggle('nav-open', open);
    toggle.setAttribute('aria-expanded', String(open));
  });
  nav.addEventListener('click', (event) => {
    if (event.target.closest('a')) document.body.classList.remove('nav-open');
  });
  const account = menuButton({
    label: t('account.menu'),
    className: 'account-btn',
    iconName: 'user',
    items: () => [
      { label: t('nav.settings'), icon: 'settings', run: () => navigate('/settings') },
      user.role === 'admin' ? { label: t('nav.admin'), icon: 'shield', run: () => navigate('/admin') } : null,
      'sep',
      { label: t('auth.signOut'), icon: 'logout', run: signOut },
    ],
  });
  account.replaceChildren(avatar(user, 30));
  const header = h(
    'header',
    { class: 'topbar' },
    toggle,
    h('a', { href: '/files', class: 'brand', 'aria-label': t('app.home') }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('drive', { size: 18 })), h('span', { class: 'brand-name', text: 'Hoard' })),
    searchForm,
    h('div', { class: 'topbar-actions' }, prefButtons(), account),
  );
  const view = h('main', { class: 'view', id: 'view', tabindex: '-1' });
  const skip = h('a', { href: '#view', class: 'skip-link', text: t('app.skip'), 'data-external': '' });
  skip.addEventListener('click', (event) => { event.preventDefault(); view.focus(); });
  const root = h('div', { class: 'app' }, skip, header, h('div', { class: 'app-body' }, nav, h('div', { class: 'scrim', onclick: () => document.body.classList.remove('nav-open') }), view));
  return { root, view, nav, search };
}

/** Mounts (or updates) the shell and returns the view element to render into. */
export function useShell() {
  const app = document.getElementById('app');
  if (!shell || !shell.root.isConnected || shell.user !== me() || shell.locale !== locale() || shell.theme !== themeChoice()) {
    shell = { ...renderShell(), user: me(), locale: locale(), theme: themeChoice() };
    mount(app, shell.root);
  } else {
    updateNav();
  }
  document.body.classList.remove('nav-open');
  return shell.view;
}

function updateNav() {
  const active = section(location.pathname);
  for (const link of shell.nav.querySelectorAll('.nav-link')) {
    const on = section(new URL(link.href).pathname) === active;
    link.classList.toggle('active', on);
    if (on) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  shell.search.value = query().get('q') || '';
}

export function dropShell() {
  shell = null;
}

onUser(() => {
  if (shell && me()) {
    const bar = shell.nav.querySelector('.usage');
    bar?.replaceWith(usageBar(me()));
    shell.root.querySelector('.account-btn')?.replaceChildren(avatar(me(), 30));
    shell.user = me();
  }
});
