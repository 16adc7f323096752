// The one-time view of a fresh set of recovery codes: listed, copied or downloaded as a .txt,
// and gone from the UI once the dialog closes (the server keeps only their hashes).

import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';
import { me } from '../state.js';
import { openDialog } from './dialog.js';
import { copyText } from './share-dialog.js';

/** The text file: who and where the codes are for, the codes, how to use them. */
function codesFile(codes) {
  const { username } = me();
  return [t('recovery.fileHead', { user: username, host: location.host }), '', ...codes, '', t('recovery.fileUse'), ''].join('\n');
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** showRecoveryCodes(codes, {onClose}): the dialog that shows a new set once. */
export function showRecoveryCodes(codes, { onClose } = {}) {
  const list = h('ol', { class: 'recovery-codes', 'aria-label': t('recovery.listLabel') }, codes.map((code) => h('li', { class: 'mono', text: code })));
  const copy = h('button', { type: 'button', class: 'btn', onclick: () => copyText(codes.join('\n'), t('recovery.copied')) },
    icon('copy', { size: 16 }), h('span', { text: t('recovery.copy') }));
  const save = h('button', { type: 'button', class: 'btn', onclick: () => download(`hoard-recovery-codes-${me().username}.txt`, codesFile(codes)) },
    icon('download', { size: 16 }), h('span', { text: t('recovery.download') }));
  const dlg = openDialog({
    title: t('recovery.title'),
    size: 'md',
    body: h('div', { class: 'secret-body' },
      h('p', { class: 'notice', role: 'note' }, icon('alert', { size: 18 }), h('span', { text: t('recovery.hint') })),
      list, h('div', { class: 'btn-row' }, copy, save)),
    actions: [h('button', { type: 'button', class: 'btn btn-primary', text: t('recovery.saved'), onclick: () => dlg.close() })],
    onClose,
    initialFocus: () => copy,
  });
  return dlg;
}
