// Toasts in a polite live region; errors are assertive and stay a little longer.

import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t, errorText } from '../i18n.js';

let region;

function host() {
  if (!region || !region.isConnected) {
    region = h('div', { class: 'toasts', role: 'region', 'aria-label': t('toast.region') });
    document.body.append(region);
  }
  region.setAttribute('aria-label', t('toast.region'));
  return region;
}

export function toast(message, { kind = 'info', timeout = 4000, action } = {}) {
  const close = () => {
    el.classList.add('leaving');
    setTimeout(() => el.remove(), 180);
  };
  const el = h(
    'div',
    { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    icon(kind === 'error' ? 'alert' : kind === 'success' ? 'check' : 'info', { size: 18 }),
    h('span', { class: 'toast-text', text: message }),
    action && h('button', { class: 'btn btn-link', type: 'button', text: action.label, onclick: () => { action.run(); close(); } }),
    h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('common.dismiss'), onclick: close }, icon('close', { size: 16 })),
  );
  host().append(el);
  if (timeout) setTimeout(close, timeout);
  return close;
}

export const toastError = (error) => {
  if (error?.name === 'AbortError') return null;
  return toast(errorText(error), { kind: 'error', timeout: 7000 });
};

export const toastOk = (message) => toast(message, { kind: 'success' });
