// The signed-in user and small UI preferences (never tokens).

import { api } from './api.js';

let user = null;
const listeners = new Set();

export const me = () => user;

export function setUser(next) {
  user = next;
  for (const fn of listeners) fn(user);
}

export function onUser(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Re-read the user (storage usage changes after uploads and deletes). */
export async function reloadUser() {
  try {
    setUser(await api('/users/me'));
  } catch {
    /* the next request reports it */
  }
}

export function pref(key, fallback) {
  const value = localStorage.getItem(`hoard.${key}`);
  return value === null ? fallback : value;
}

export function setPref(key, value) {
  localStorage.setItem(`hoard.${key}`, value);
}
