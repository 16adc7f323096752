// Settings: profile (name, email, bio, avatar), password, two-step sign-in, sessions, API
// tokens and WebDAV.

import { h, mount } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatRelative, formatDate } from '../i18n.js';
import { api } from '../api.js';
import { me, setUser } from '../state.js';
import { field, showFormError, confirmDialog } from '../components/dialog.js';
import { toastOk, toastError } from '../components/toast.js';
import { avatar } from '../components/avatar.js';
import { signInAgain, signOut } from '../session.js';
import { refresh } from '../router.js';
import { showSecret } from '../components/secret-dialog.js';
import { webdavCard } from './settings-webdav.js';
import { securityCard } from './settings-security.js';

function card(id, title, hint, ...content) {
  return h('section', { class: 'card settings-card', 'aria-labelledby': id },
    h('h2', { id, class: 'card-title', text: title }), hint ? h('p', { class: 'muted', text: hint }) : null, content);
}

function profileCard() {
  const user = me();
  const fields = {
    display_name: field({ label: t('profile.displayName'), name: 'display_name', value: user.display_name || '', maxlength: 64, autocomplete: 'name' }),
    email: field({ label: t('auth.email'), name: 'email', type: 'email', value: user.email || '', autocomplete: 'email' }),
    bio: field({ label: t('profile.bio'), name: 'bio', type: 'textarea', value: user.bio || '', maxlength: 500, rows: 3 }),
  };
  const general = h('p', { class: 'form-error', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', text: t('common.save') });
  const form = h('form', { class: 'form', novalidate: true }, Object.values(fields).map((f) => f.wrap), general, h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const json = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.input.value.trim()]));
      setUser(await api('/users/me', { method: 'PATCH', json }));
      nameLine.textContent = me().display_name || me().username;
      Object.values(fields).forEach((f) => f.setError(''));
      general.textContent = '';
      toastOk(t('profile.saved'));
    } catch (error) {
      showFormError(error, fields, general);
    } finally {
      save.disabled = false;
    }
  });

  const picture = h('div', { class: 'avatar-big' }, avatar(user, 88));
  const nameLine = h('p', { class: 'profile-name', text: user.display_name || user.username });
  const fileInput = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', class: 'sr-only', id: 'avatar-file', tabindex: '-1' });
  const change = h('button', { type: 'button', class: 'btn', onclick: () => fileInput.click() }, icon('upload', { size: 16 }), h('span', { text: t('profile.changeAvatar') }));
  const removeBtn = h('button', { type: 'button', class: 'btn btn-ghost', hidden: !user.avatar_url, text: t('profile.removeAvatar') });
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files[0];
    fileInput.value = '';
    if (!file) return;
    const body = new FormData();
    body.append('avatar', file);
    change.disabled = true;
    try {
      const updated = await api('/users/me/avatar', { method: 'PUT', body });
      setUser({ ...updated, updated_at: Date.now() });
      mount(picture, avatar(me(), 88));
      removeBtn.hidden = false;
      toastOk(t('profile.avatarSaved'));
    } catch (error) { toastError(error); } finally { change.disabled = false; }
  });
  removeBtn.addEventListener('click', async () => {
    try {
      await api('/users/me/avatar', { method: 'DELETE' });
      setUser({ ...me(), avatar_url: null });
      mount(picture, avatar(me(), 88));
      removeBtn.hidden = true;
    } catch (error) { toastError(error); }
  });
  return card('profile-title', t('profile.title'), null,
    h('div', { class: 'profile-head' }, picture,
      h('div', {}, nameLine, h('p', { class: 'muted', text: `@${user.username} · ${t(`role.${user.role}`)}` }),
        h('div', { class: 'btn-row' }, change, removeBtn), fileInput)),
    form);
}

/** Change the password; an account made by single sign-on has none yet and just sets one. */
function passwordCard() {
  const setting = me().has_password === false;
  const fields = {};
  if (!setting) fields.old_password = field({ label: t('password.current'), name: 'old_password', type: 'password', autocomplete: 'current-password', required: true });
  fields.new_password = field({ label: t('password.new'), name: 'new_password', type: 'password', autocomplete: 'new-password', required: true, hint: t('auth.passwordHint') });
  fields.new_password_confirm = field({ label: t('password.confirm'), name: 'new_password_confirm', type: 'password', autocomplete: 'new-password', required: true });
  const general = h('p', { class: 'form-error', role: 'alert' });
  const label = setting ? t('password.set') : t('password.change');
  const save = h('button', { type: 'submit', class: 'btn btn-primary', text: label });
  const form = h('form', { class: 'form', novalidate: true }, Object.values(fields).map((f) => f.wrap), general, h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const oldPw = fields.old_password?.input.value;
    const newPw = fields.new_password.input.value;
    const confirm = fields.new_password_confirm.input.value;
    fields.new_password_confirm.setError(newPw !== confirm ? t('auth.passwordMismatch') : '');
    if ((!setting && !oldPw) || !newPw || newPw !== confirm) return;
    save.disabled = true;
    try {
      await api('/auth/change-password', { method: 'POST', json: { old_password: oldPw, new_password: newPw, new_password_confirm: confirm } });
      // Every earlier session ended, this one too: sign in again with the new password.
      if (!(await signInAgain(me().username, newPw))) return signOut();
      form.reset();
      general.textContent = '';
      toastOk(setting ? t('password.wasSet') : t('password.changed'));
      if (setting) refresh();
    } catch (error) {
      showFormError(error, fields, general);
      if (error.code === 'weak_password') { fields.new_password.setError(general.textContent); general.textContent = ''; }
      if (error.code === 'invalid_credentials' && fields.old_password) { fields.old_password.setError(general.textContent); general.textContent = ''; }
    } finally {
      save.disabled = false;
    }
  });
  return card('password-title', t('password.title'), setting ? t('password.setHint') : t('password.hint'), form);
}

function sessionsCard() {
  const list = h('ul', { class: 'rows' }, h('li', { class: 'skeleton-row' }));
  const outAll = h('button', { type: 'button', class: 'btn btn-danger-ghost', text: t('sessions.signOutAll') });
  outAll.addEventListener('click', async () => {
    if (!(await confirmDialog({ title: t('sessions.signOutAll'), message: t('sessions.signOutAllConfirm'), confirm: t('sessions.signOutAll'), danger: true }))) return;
    try {
      await api('/auth/logout-all', { method: 'POST' });
    } catch (error) { if (error.status !== 401) toastError(error); }
    signOut();
  });
  async function load() {
    try {
      const page = await api('/auth/sessions', { query: { limit: 100 } });
      mount(list, page.items.map((s) => h('li', { class: 'row-item' },
        icon('clock', { size: 20 }),
        h('div', { class: 'row-main' },
          h('p', { class: 'row-title' }, h('span', { text: describeAgent(s.user_agent) }), s.current ? h('span', { class: 'badge badge-active', text: t('sessions.current') }) : null),
          h('p', { class: 'muted', text: t('sessions.meta', { ip: s.ip || '—', when: formatRelative(s.last_used_at), since: formatDate(s.created_at) }) })),
        s.current ? null : h('button', { type: 'button', class: 'btn btn-sm', text: t('sessions.revoke'), 'aria-label': t('sessions.revokeOne', { agent: describeAgent(s.user_agent) }), onclick: async () => {
          try { await api(`/auth/sessions/${s.id}`, { method: 'DELETE' }); toastOk(t('sessions.revoked')); load(); } catch (error) { toastError(error); }
        } }))));
    } catch (error) { toastError(error); mount(list); }
  }
  load();
  return card('sessions-title', t('sessions.title'), t('sessions.hint'), list, h('div', { class: 'form-actions' }, outAll));
}

function describeAgent(ua) {
  if (!ua) return t('sessions.unknownDevice');
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /curl\//.test(ua) ? 'curl' : null;
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  return browser ? (os ? t('sessions.on', { browser, os }) : browser) : ua.slice(0, 60);
}

/** The API tokens card, and `load` to list them again (an app password made elsewhere). */
function tokensCard() {
  const list = h('ul', { class: 'rows' });
  const name = field({ label: t('tokens.name'), name: 'name', placeholder: t('tokens.namePlaceholder'), maxlength: 64 });
  const expiry = field({ label: t('tokens.expiry'), name: 'expires_in_days', type: 'select', value: '90', options: [
    { value: '30', label: t('tokens.days', { n: 30 }) }, { value: '90', label: t('tokens.days', { n: 90 }) }, { value: '365', label: t('tokens.days', { n: 365 }) }, { value: '', label: t('tokens.never') },
  ] });
  const general = h('p', { class: 'form-error', role: 'alert' });
  const create = h('button', { type: 'submit', class: 'btn btn-primary', text: t('tokens.create') });
  const form = h('form', { class: 'form inline-form', novalidate: true }, name.wrap, expiry.wrap, h('div', { class: 'form-actions' }, create), general);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = name.input.value.trim();
    name.setError(value ? '' : t('form.required'));
    if (!value) return;
    try {
      const json = { name: value };
      if (expiry.input.value) json.expires_in_days = Number(expiry.input.value);
      const token = await api('/auth/tokens', { method: 'POST', json });
      form.reset();
      general.textContent = '';
      showSecret({ title: t('tokens.createdTitle'), hint: t('tokens.createdHint'), label: t('tokens.value'), secret: token.token });
      load();
    } catch (error) { showFormError(error, { name }, general); }
  });
  async function load() {
    try {
      const page = await api('/auth/tokens', { query: { limit: 100 } });
      if (!page.items.length) {
        mount(list, h('li', { class: 'muted empty-line', text: t('tokens.none') }));
        return;
      }
      mount(list, page.items.map((tok) => h('li', { class: 'row-item' }, icon('key', { size: 20 }),
        h('div', { class: 'row-main' }, h('p', { class: 'row-title', text: tok.name }),
          h('p', { class: 'muted', text: [t('tokens.createdAt', { when: formatDate(tok.created_at, { time: false }) }), tok.expires_at ? t('tokens.expiresAt', { when: formatDate(tok.expires_at, { time: false }) }) : t('tokens.noExpiry'), tok.last_used_at ? t('tokens.lastUsed', { when: formatRelative(tok.last_used_at) }) : t('tokens.neverUsed')].join(' · ') })),
        h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', text: t('tokens.revoke'), 'aria-label': t('tokens.revokeOne', { name: tok.name }), onclick: async () => {
          if (!(await confirmDialog({ title: t('tokens.revoke'), message: t('tokens.revokeConfirm', { name: tok.name }), confirm: t('tokens.revoke'), danger: true }))) return;
          try { await api(`/auth/tokens/${tok.id}`, { method: 'DELETE' }); load(); } catch (error) { toastError(error); }
        } }))));
    } catch (error) { toastError(error); }
  }
  load();
  return { el: card('tokens-title', t('tokens.title'), t('tokens.hint'), form, list), load };
}

export function showSettings(view) {
  document.title = `${t('nav.settings')} · Hoard`;
  const tokens = tokensCard();
  mount(view, h('section', { class: 'page settings' },
    h('div', { class: 'page-head' }, h('h1', { class: 'page-title', text: t('nav.settings') })),
    h('div', { class: 'settings-grid' }, profileCard(), passwordCard(), securityCard(), sessionsCard(), tokens.el,
      webdavCard({ onCreated: tokens.load }))));
}
