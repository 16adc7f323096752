// Administration: instance statistics and user accounts (search, create, role, quota,
// activate/deactivate, reset two-step sign-in, delete).

import { h, mount, debounce } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatBytes, formatNumber, formatRelative, formatDate } from '../i18n.js';
import { api } from '../api.js';
import { me } from '../state.js';
import { field, showFormError, openDialog, confirmDialog } from '../components/dialog.js';
import { menuButton } from '../components/menu.js';
import { toastOk, toastError } from '../components/toast.js';
import { avatar } from '../components/avatar.js';

const GB = 1024 ** 3;

function stat(label, value, sub) {
  return h('div', { class: 'stat' }, h('p', { class: 'stat-label', text: label }), h('p', { class: 'stat-value', text: value }), sub ? h('p', { class: 'stat-sub', text: sub }) : null);
}

function quotaText(user) {
  return user.storage_quota === null || user.storage_quota === undefined
    ? t('admin.usedUnlimited', { used: formatBytes(user.storage_used) })
    : t('usage.of', { used: formatBytes(user.storage_used), quota: formatBytes(user.storage_quota) });
}

/** Create (user = null) or edit a user. Resolves true when something changed. */
function userDialog(user) {
  return new Promise((resolve) => {
    let changed = false;
    const quotaGb = user?.storage_quota ? String(Math.round((user.storage_quota / GB) * 100) / 100) : '';
    const fields = user ? {} : {
      username: field({ label: t('auth.username'), name: 'username', required: true, autocomplete: 'off' }),
      email: field({ label: t('auth.email'), name: 'email', type: 'email', required: true, autocomplete: 'off' }),
      password: field({ label: t('auth.password'), name: 'password', type: 'password', required: true, autocomplete: 'new-password', hint: t('auth.passwordHint') }),
    };
    if (user) {
      fields.display_name = field({ label: t('profile.displayName'), name: 'display_name', value: user.display_name || '' });
      fields.email = field({ label: t('auth.email'), name: 'email', type: 'email', value: user.email || '' });
    }
    fields.role = field({ label: t('admin.role'), name: 'role', type: 'select', value: user?.role || 'user', options: [{ value: 'user', label: t('role.user') }, { value: 'admin', label: t('role.admin') }] });
    fields.storage_quota = field({ label: t('admin.quotaGb'), name: 'storage_quota', type: 'number', min: 0, value: quotaGb, placeholder: t('admin.unlimited'), hint: t('admin.quotaHint') });
    const general = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'form', novalidate: true, id: `user-form-${user?.id || 'new'}` }, Object.values(fields).map((f) => f.wrap), general);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: form.id, text: user ? t('common.save') : t('admin.createUser') });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const value = (k) => fields[k]?.input.value.trim();
      const quota = value('storage_quota');
      const json = { role: value('role'), storage_quota: quota === '' ? null : Math.round(Number(quota) * GB) };
      for (const key of ['username', 'email', 'password', 'display_name']) if (fields[key]) json[key] = key === 'password' ? fields[key].input.value : value(key);
      submit.disabled = true;
      try {
        await api(user ? `/users/${user.id}` : '/users', { method: user ? 'PATCH' : 'POST', json });
        changed = true;
        toastOk(user ? t('admin.userSaved') : t('admin.userCreated', { name: json.username }));
        dlg.close();
      } catch (error) {
        showFormError(error, fields, general);
      } finally {
        submit.disabled = false;
      }
    });
    const dlg = openDialog({
      title: user ? t('admin.editUser', { name: user.username }) : t('admin.createUser'),
      body: form,
      actions: [h('button', { type: 'button', class: 'btn', text: t('common.cancel'), onclick: () => dlg.close() }), submit],
      onClose: () => resolve(changed),
    });
  });
}

/** What each row action sends, and asks first when it cannot be undone. */
const ACTIONS = {
  activate: { method: 'POST', path: '/activate', done: 'admin.activated' },
  deactivate: { method: 'POST', path: '/deactivate', done: 'admin.deactivated' },
  mfa: { method: 'DELETE', path: '/mfa', ask: 'admin.resetMfa', message: 'admin.resetMfaConfirm', done: 'admin.mfaReset' },
  delete: { method: 'DELETE', path: '', ask: 'admin.deleteUser', message: 'admin.deleteConfirm', done: 'admin.deleted' },
};

export async function showAdmin(view) {
  document.title = `${t('nav.admin')} · Hoard`;
  if (me().role !== 'admin') {
    mount(view, h('div', { class: 'empty' }, icon('lock', { size: 44 }), h('h1', { text: t('admin.forbidden') })));
    return;
  }
  const stats = h('div', { class: 'stats', 'aria-busy': 'true' }, Array.from({ length: 4 }, () => h('div', { class: 'stat skeleton' })));
  const search = h('input', { type: 'search', class: 'input', placeholder: t('admin.searchUsers'), 'aria-label': t('admin.searchUsers') });
  const create = h('button', { type: 'button', class: 'btn btn-primary' }, icon('plus', { size: 18 }), h('span', { text: t('admin.createUser') }));
  const table = h('div', { class: 'table-wrap' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  mount(view, h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', { class: 'page-title', text: t('nav.admin') })),
    h('h2', { class: 'section-title', text: t('admin.stats') }), stats,
    h('div', { class: 'section-head' }, h('h2', { class: 'section-title', text: t('admin.users') }), h('div', { class: 'toolbar' }, search, create)),
    status, table));

  create.addEventListener('click', async () => { if (await userDialog(null)) { loadUsers(); loadStats(); } });
  search.addEventListener('input', debounce(() => loadUsers(), 250));

  async function loadStats() {
    try {
      const s = await api('/admin/stats');
      mount(stats,
        stat(t('admin.statUsers'), formatNumber(s.users), t('admin.statActive', { n: formatNumber(s.active_users) })),
        stat(t('admin.statFiles'), formatNumber(s.files), t('admin.statFolders', { n: formatNumber(s.folders) })),
        stat(t('admin.statStored'), formatBytes(s.bytes_stored), t('admin.statLogical', { size: formatBytes(s.bytes_logical) })),
        stat(t('admin.statSaved'), formatBytes(s.bytes_saved_by_dedup), t('admin.statFree', { size: formatBytes(s.free_disk_bytes) })),
        stat(t('admin.statVersions'), formatNumber(s.versions), t('admin.statVersionBytes', { size: formatBytes(s.bytes_in_versions) })));
      stats.removeAttribute('aria-busy');
    } catch (error) { toastError(error); }
  }

  async function act(user, action) {
    const { method, path, ask, message, done } = ACTIONS[action];
    try {
      if (ask && !(await confirmDialog({ title: t(ask), message: t(message, { name: user.username }), confirm: t(ask), danger: true }))) return;
      await api(`/users/${user.id}${path}`, { method });
      toastOk(t(done, { name: user.username }));
      loadUsers();
      loadStats();
    } catch (error) { toastError(error); }
  }

  async function loadUsers() {
    try {
      const page = await api('/users', { query: { q: search.value.trim() || undefined, limit: 200 } });
      status.textContent = t('admin.userCount', { n: formatNumber(page.total) });
      mount(table, h('table', { class: 'table users-table' },
        h('caption', { class: 'sr-only', text: t('admin.users') }),
        h('thead', {}, h('tr', {}, [t('admin.user'), t('admin.role'), t('admin.status'), t('admin.storage'), t('admin.lastLogin')].map((label, i) => h('th', { scope: 'col', class: i >= 3 ? 'hide-sm' : '', text: label })), h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: t('files.col.actions') })))),
        h('tbody', {}, page.items.map((u) => h('tr', { dataset: { id: u.id, username: u.username } },
          h('td', {}, h('div', { class: 'cell-user' }, avatar(u, 32), h('div', {}, h('p', { class: 'row-title', text: u.display_name || u.username }), h('p', { class: 'muted', text: `@${u.username} · ${u.email}` })))),
          h('td', {}, h('span', { class: `badge badge-${u.role}`, text: t(`role.${u.role}`) })),
          h('td', {}, h('span', { class: 'badges' },
            h('span', { class: `badge ${u.is_active ? 'badge-active' : 'badge-off'}`, text: u.is_active ? t('admin.active') : t('admin.inactive') }),
            u.totp_enabled ? h('span', { class: 'badge badge-mfa', title: t('admin.mfaOnTitle'), text: t('admin.mfaOn') }) : null)),
          h('td', { class: 'hide-sm', text: quotaText(u) }),
          h('td', { class: 'hide-sm', title: u.last_login_at ? formatDate(u.last_login_at) : '', text: u.last_login_at ? formatRelative(u.last_login_at) : t('admin.never') }),
          h('td', { class: 'cell-actions' }, menuButton({
            label: t('admin.actionsFor', { name: u.username }),
            items: () => [
              { label: t('admin.edit'), icon: 'edit', run: async () => { if (await userDialog(u)) loadUsers(); } },
              u.is_active
                ? { label: t('admin.deactivate'), icon: 'lock', run: () => act(u, 'deactivate'), hidden: u.id === me().id }
                : { label: t('admin.activate'), icon: 'check', run: () => act(u, 'activate') },
              { label: t('admin.resetMfa'), icon: 'shield', hidden: !u.totp_enabled, run: () => act(u, 'mfa') },
              'sep',
              { label: t('admin.deleteUser'), icon: 'trash', danger: true, hidden: u.id === me().id, run: () => act(u, 'delete') },
            ],
          })))))));
    } catch (error) { toastError(error); }
  }
  loadStats();
  loadUsers();
}
