// The sign-in page's extras: the second step (a code from the authenticator app, or a
// recovery code), the single sign-on buttons, and the message after a failed single sign-on.

import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t, errorText } from '../i18n.js';
import { api } from '../api.js';
import { field } from '../components/dialog.js';
import { signInWithCode } from '../session.js';

/** The user's way back after signing in: a same-origin path from `?next=`, else null. */
export function nextPath(params) {
  const next = params.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : null;
}

/** Turns a code input into the 6-digit one, or into the free text of a recovery code. */
function codeMode(f, recovery) {
  const { input } = f;
  f.wrap.querySelector('label').textContent = t(recovery ? 'mfa.recoveryLabel' : 'mfa.codeLabel');
  input.value = '';
  input.setAttribute('inputmode', recovery ? 'text' : 'numeric');
  input.setAttribute('autocomplete', recovery ? 'off' : 'one-time-code');
  input.setAttribute('maxlength', recovery ? '32' : '6');
  if (recovery) input.removeAttribute('pattern');
  else input.setAttribute('pattern', '[0-9]*');
  input.spellcheck = false;
  f.setError('');
}

/**
 * The second step's form for `mfaToken`. `onDone()` after the cookies are set;
 * `onRestart(message)` when the token is spent or expired (back to the password).
 */
export function secondStepForm(mfaToken, { onDone, onRestart }) {
  let recovery = false;
  const code = field({ label: t('mfa.codeLabel'), name: 'code', required: true, autofocus: true });
  codeMode(code, recovery);
  const swap = h('button', { type: 'button', class: 'btn-link mfa-switch', text: t('mfa.useRecovery') });
  swap.addEventListener('click', () => {
    recovery = !recovery;
    codeMode(code, recovery);
    swap.textContent = t(recovery ? 'mfa.useApp' : 'mfa.useRecovery');
    hint.textContent = t(recovery ? 'mfa.recoveryHint' : 'mfa.codeHint');
    code.input.focus();
  });
  const hint = h('p', { class: 'muted', text: t('mfa.codeHint') });
  const general = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: t('mfa.verify') });
  const back = h('button', { type: 'button', class: 'btn-link', text: t('mfa.back'), onclick: () => onRestart('') });
  const form = h('form', { class: 'form mfa-form', novalidate: true, dataset: { step: 'code' } },
    h('p', { class: 'mfa-title' }, icon('lock', { size: 18 }), h('span', { text: t('mfa.title') })),
    hint, code.wrap, h('p', { class: 'mfa-links' }, swap), general, button, h('p', { class: 'mfa-links' }, back));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    general.textContent = '';
    const value = code.input.value.replace(/\s+/g, '');
    code.setError(value ? '' : t('form.required'));
    if (!value) return;
    button.disabled = true;
    try {
      await signInWithCode(mfaToken, value);
      onDone();
    } catch (error) {
      button.disabled = false;
      if (error.code === 'invalid_token' || error.code === 'token_expired') {
        onRestart(t('mfa.startAgain'));
      } else if (error.code === 'invalid_code') {
        code.setError(t(recovery ? 'mfa.wrongRecovery' : 'mfa.wrongCode'));
        code.input.select();
      } else {
        general.textContent = errorText(error);
      }
    }
  });
  return form;
}

/** The single sign-on providers, as a bare array or a paged list; [] when there are none. */
async function providers() {
  try {
    const body = await api('/auth/oidc/providers', { public: true });
    const list = Array.isArray(body) ? body : body?.items;
    return Array.isArray(list) ? list.filter((p) => p && p.id) : [];
  } catch {
    return [];
  }
}

/** `next` in a query string: encoded, but with its slashes kept readable (`?next=/files/3`). */
const nextParam = (path) => encodeURIComponent(path).replace(/%2F/gi, '/');

/** A box that fills with one button per provider (and an "or" rule) once they are known. */
export function oidcButtons(next) {
  const box = h('div', { class: 'oidc', hidden: true });
  providers().then((list) => {
    if (!list.length) return;
    box.append(h('p', { class: 'oidc-or' }, h('span', { text: t('oidc.or') })),
      ...list.map((p) => h('a', {
        class: 'btn btn-block oidc-btn',
        href: `/api/v1/auth/oidc/${encodeURIComponent(p.id)}/start?next=${nextParam(next || '/')}`,
        dataset: { oidcProvider: p.id },
      }, icon('key', { size: 16 }), h('span', { text: t('oidc.signInWith', { name: p.name || p.id }) }))));
    box.hidden = false;
  });
  return box;
}

/** The explanation for `/login?error=…` (single sign-on sends failures there), or null. */
export function loginNotice(params) {
  if (params.get('error') !== 'oidc_failed') return null;
  return h('p', { class: 'notice notice-error', role: 'alert', dataset: { error: 'oidc_failed' } },
    icon('alert', { size: 18 }), h('span', { text: t('oidc.failed') }));
}
