// Sign in, register, sign out: the server sets and clears the cookies.

import { api } from './api.js';
import { setUser } from './state.js';
import { navigate } from './router.js';
import { toastError } from './components/toast.js';
import { promptDialog } from './components/dialog.js';
import { t } from './i18n.js';

/**
 * The password step. Resolves with the User (signed in), or with the server's
 * `{mfa_required, mfa_token, methods}` when two-step sign-in asks for a code next.
 */
export async function signIn(username, password) {
  const result = await api('/auth/web/login', { method: 'POST', json: { username, password } });
  if (result?.mfa_required) return result;
  setUser(result);
  return result;
}

/** The second step: a TOTP or recovery code for the `mfa_token` of the password step. */
export async function signInWithCode(mfaToken, code) {
  const user = await api('/auth/web/login/mfa', { method: 'POST', json: { mfa_token: mfaToken, code } });
  setUser(user);
  return user;
}

/**
 * Signs in again where the user already is (after a password change ended every session):
 * with two-step sign-in on, a dialog asks for a code. Resolves false when it was cancelled.
 */
export async function signInAgain(username, password) {
  const result = await signIn(username, password);
  if (!result?.mfa_required) return true;
  const user = await promptDialog({
    title: t('mfa.again'),
    label: t('security.codeOrRecovery'),
    confirm: t('mfa.verify'),
    submit: (code) => signInWithCode(result.mfa_token, code.replace(/\s+/g, '')),
  });
  return !!user;
}

export async function register({ username, email, password, display_name }) {
  await api('/auth/register', { method: 'POST', json: { username, email, password, password_confirm: password, display_name: display_name || undefined } });
  return signIn(username, password);
}

export async function signOut() {
  try {
    await api('/auth/web/logout', { method: 'POST' });
  } catch (error) {
    if (error.status !== 401) toastError(error);
  }
  setUser(null);
  navigate('/login', { replace: true });
}
