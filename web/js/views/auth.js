// Sign-in and registration pages.

import { h, mount } from '../dom.js';
import { icon } from '../icons.js';
import { t, errorText } from '../i18n.js';
import { field, showFormError } from '../components/dialog.js';
import { prefButtons } from '../components/shell.js';
import { signIn, register } from '../session.js';
import { navigate, query } from '../router.js';
import { nextPath, secondStepForm, oidcButtons, loginNotice } from './login-steps.js';

function authPage(root, title, form, footer) {
  document.title = `${title} · Hoard`;
  mount(
    root,
    h(
      'div',
      { class: 'auth' },
      h('div', { class: 'auth-prefs' }, prefButtons()),
      h(
        'main',
        { class: 'auth-card' },
        h('div', { class: 'auth-brand' }, h('span', { class: 'brand-mark big', 'aria-hidden': 'true' }, icon('drive', { size: 26 })), h('span', { text: 'Hoard' })),
        h('h1', { class: 'auth-title', text: title }),
        h('p', { class: 'auth-tagline', text: t('auth.tagline') }),
        form,
        h('p', { class: 'auth-footer' }, footer),
      ),
    ),
  );
}

function afterSignIn() {
  navigate(nextPath(query()) || '/files', { replace: true });
}

function submitting(button, busy, label) {
  button.disabled = busy;
  button.textContent = busy ? t('common.working') : label;
}

export function showLogin(root) {
  const params = query();
  const fields = {
    username: field({ label: t('auth.usernameOrEmail'), name: 'username', autocomplete: 'username', required: true, autofocus: true }),
    password: field({ label: t('auth.password'), name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
  };
  const general = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: t('auth.signIn') });
  const form = h('form', { class: 'form', novalidate: true, dataset: { step: 'password' } }, fields.username.wrap, fields.password.wrap, general, button);
  // The password form, or in its place the second step; single sign-on hides meanwhile.
  const step = h('div', { class: 'auth-step' }, form);
  const sso = oidcButtons(nextPath(params));
  const passwordStep = (message) => {
    mount(step, form);
    sso.classList.remove('away');
    general.textContent = message;
    fields.password.input.value = '';
    fields.password.input.focus();
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    general.textContent = '';
    const username = fields.username.input.value.trim();
    const password = fields.password.input.value;
    fields.username.setError(username ? '' : t('form.required'));
    fields.password.setError(password ? '' : t('form.required'));
    if (!username || !password) return;
    submitting(button, true, t('auth.signIn'));
    try {
      const result = await signIn(username, password);
      submitting(button, false, t('auth.signIn'));
      if (!result?.mfa_required) return afterSignIn();
      sso.classList.add('away');
      mount(step, secondStepForm(result.mfa_token, { onDone: afterSignIn, onRestart: passwordStep }));
      step.querySelector('input[name="code"]').focus();
    } catch (error) {
      showFormError(error, fields, general);
      submitting(button, false, t('auth.signIn'));
      fields.password.input.select();
    }
  });
  authPage(root, t('auth.signInTitle'), [loginNotice(params), step, sso], [t('auth.noAccount'), ' ', h('a', { href: `/register${location.search}`, text: t('auth.createAccount') })]);
  fields.username.input.focus();
}

export function showRegister(root) {
  const fields = {
    username: field({ label: t('auth.username'), name: 'username', autocomplete: 'username', required: true, hint: t('auth.usernameHint'), maxlength: 32 }),
    email: field({ label: t('auth.email'), name: 'email', type: 'email', autocomplete: 'email', required: true }),
    display_name: field({ label: t('auth.displayNameOptional'), name: 'display_name', autocomplete: 'name', maxlength: 64 }),
    password: field({ label: t('auth.password'), name: 'password', type: 'password', autocomplete: 'new-password', required: true, hint: t('auth.passwordHint') }),
    password_confirm: field({ label: t('auth.passwordConfirm'), name: 'password_confirm', type: 'password', autocomplete: 'new-password', required: true }),
  };
  const general = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: t('auth.createAccount') });
  const form = h('form', { class: 'form', novalidate: true }, Object.values(fields).map((f) => f.wrap), general, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    general.textContent = '';
    const values = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.input.value.trim()]));
    values.password = fields.password.input.value;
    let ok = true;
    for (const key of ['username', 'email', 'password']) {
      fields[key].setError(values[key] ? '' : t('form.required'));
      ok &&= !!values[key];
    }
    const mismatch = values.password !== fields.password_confirm.input.value;
    fields.password_confirm.setError(mismatch ? t('auth.passwordMismatch') : '');
    if (!ok || mismatch) return;
    submitting(button, true, t('auth.createAccount'));
    try {
      await register(values);
      afterSignIn();
    } catch (error) {
      showFormError(error, fields, general);
      if (error.code === 'weak_password') {
        fields.password.setError(errorText(error));
        general.textContent = '';
      }
      submitting(button, false, t('auth.createAccount'));
    }
  });
  authPage(root, t('auth.registerTitle'), form, [t('auth.haveAccount'), ' ', h('a', { href: `/login${location.search}`, text: t('auth.signIn') })]);
  fields.username.input.focus();
}
