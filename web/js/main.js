// Boot: routes, the session check, re-rendering on language or theme changes.

import { api, refreshSession, csrfToken } from './api.js';
import { me, setUser } from './state.js';
import { route, notFound, start, navigate, refresh } from './router.js';
import { t } from './i18n.js';
import './theme.js';
import { useShell, dropShell } from './components/shell.js';
import { closeMenu } from './components/menu.js';
import { showLogin, showRegister } from './views/auth.js';
import { showFiles } from './views/files.js';
import { showTrash } from './views/trash.js';
import { showShares } from './views/shares.js';
import { showSettings } from './views/settings.js';
import { showAdmin } from './views/admin.js';
import { showPublicShare } from './views/public-share.js';
import { h, mount } from './dom.js';

async function loadUser() {
  if (me()) return me();
  try {
    setUser(await api('/users/me'));
  } catch {
    setUser(null);
  }
  return me();
}

/** Wraps a signed-in view: no session → the login page (remembering where to go back). */
function signedIn(render) {
  return async (params) => {
    if (!(await loadUser())) {
      dropShell();
      const next = location.pathname + location.search;
      return navigate(next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login', { replace: true });
    }
    closeMenu();
    return render(useShell(), params);
  };
}

function signedOut(render) {
  return async () => {
    if (await loadUser()) return navigate('/files', { replace: true });
    dropShell();
    return render(document.getElementById('app'));
  };
}

route('/', signedIn(() => navigate('/files', { replace: true })));
route('/login', signedOut(showLogin));
route('/register', signedOut(showRegister));
route('/files', signedIn((view) => showFiles(view, null)));
route('/files/:id', signedIn((view, { id }) => showFiles(view, Number(id))));
route('/trash', signedIn(showTrash));
route('/shares', signedIn(showShares));
route('/settings', signedIn(showSettings));
route('/admin', signedIn(showAdmin));
route('/s/:token', ({ token }) => {
  dropShell();
  return showPublicShare(document.getElementById('app'), token);
});
notFound(signedIn((view) => {
  document.title = `${t('notFound.title')} · Hoard`;
  mount(view, h('div', { class: 'empty' }, h('h1', { text: t('notFound.title') }), h('p', { text: t('notFound.text') }), h('a', { href: '/files', class: 'btn btn-primary', text: t('nav.files') })));
}));

window.addEventListener('hoard:session-lost', () => {
  if (!me()) return;
  setUser(null);
  dropShell();
  navigate('/login', { replace: true });
});
window.addEventListener('hoard:locale', () => {
  closeMenu();
  refresh();
});
window.addEventListener('hoard:theme', () => {
  if (me() && !location.pathname.startsWith('/s/')) refresh();
});

// Keep the access cookie fresh while the tab is open (it lives 60 min).
setInterval(() => {
  if (me() && csrfToken() && document.visibilityState === 'visible') refreshSession();
}, 45 * 60 * 1000);

start();
