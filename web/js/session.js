// Sign in, register, sign out: the server sets and clears the cookies.

import { api } from './api.js';
import { setUser } from './state.js';
import { navigate } from './router.js';
import { toastError } from './components/toast.js';

export async function signIn(username, password) {
  const user = await api('/auth/web/login', { method: 'POST', json: { username, password } });
  setUser(user);
  return user;
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
