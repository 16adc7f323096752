// A value to copy (an address, a command) and the one-time view of a new secret (an API
// token, an app password): shown once, with a copy button, and kept nowhere by the UI.

import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';
import { openDialog } from './dialog.js';
import { copyText } from './share-dialog.js';

/**
 * A read-only field holding `value` beside a Copy button; returns {row, input}. The button
 * copies `copyValue` when given (the value without the spaces that make it readable).
 */
export function copyRow(value, { label, copyLabel, copied = t('common.copied'), primary = false, copyValue = value }) {
  const input = h('input', { type: 'text', readonly: true, value, class: 'share-url mono', 'aria-label': label });
  const button = h('button', { type: 'button', class: `btn ${primary ? 'btn-primary' : ''}`.trim(), 'aria-label': copyLabel, onclick: () => copyText(copyValue, copied) },
    icon('copy', { size: 16 }), h('span', { text: t('share.copy') }));
  return { row: h('div', { class: 'share-row' }, input, button), input };
}

/**
 * showSecret({title, hint, label, secret, details}): the secret selected in a dialog with a
 * Copy button, `hint` as a warning above it and optional `details` (nodes) below.
 */
export function showSecret({ title, hint, label, secret, details = null }) {
  const { row, input } = copyRow(secret, { label, primary: true });
  const dlg = openDialog({
    title,
    size: 'md',
    body: h('div', { class: 'secret-body' }, h('p', { class: 'notice', role: 'note' }, icon('alert', { size: 18 }), h('span', { text: hint })), row, details),
    actions: [h('button', { type: 'button', class: 'btn btn-primary', text: t('common.done'), onclick: () => dlg.close() })],
    initialFocus: () => input,
  });
  input.select();
  return dlg;
}
