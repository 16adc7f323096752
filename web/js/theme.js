// Dark mode: follows the system unless the user picked light or dark (remembered).

import { pref, setPref } from './state.js';

const ORDER = ['system', 'light', 'dark'];
const media = window.matchMedia('(prefers-color-scheme: dark)');

export const themeChoice = () => pref('theme', 'system');

export function effectiveTheme() {
  const choice = themeChoice();
  if (choice === 'system') return media.matches ? 'dark' : 'light';
  return choice;
}

export function applyTheme() {
  const root = document.documentElement;
  root.dataset.theme = effectiveTheme();
  root.style.colorScheme = effectiveTheme();
}

export function setTheme(choice) {
  setPref('theme', choice);
  applyTheme();
  window.dispatchEvent(new CustomEvent('hoard:theme'));
}

export function cycleTheme() {
  setTheme(ORDER[(ORDER.indexOf(themeChoice()) + 1) % ORDER.length]);
}

media.addEventListener('change', () => {
  applyTheme();
  window.dispatchEvent(new CustomEvent('hoard:theme'));
});
applyTheme();
