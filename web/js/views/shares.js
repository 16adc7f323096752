// My share links across the drive: state, copy, revoke.

import { h, mount } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatRelative, formatDate } from '../i18n.js';
import { api } from '../api.js';
import { confirmDialog } from '../components/dialog.js';
import { toastOk, toastError } from '../components/toast.js';
import { shareLink, shareState, copyText } from '../components/share-dialog.js';

export async function showShares(view) {
  document.title = `${t('nav.shares')} · Hoard`;
  const body = h('div', { class: 'table-wrap' }, h('div', { class: 'skeleton-row' }));
  mount(view, h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { class: 'page-title', text: t('nav.shares') }), h('p', { class: 'muted', text: t('shares.hint') }))),
    body));

  async function load() {
    try {
      const page = await api('/shares', { query: { limit: 1000 } });
      if (!page.items.length) {
        mount(body, h('div', { class: 'empty' }, icon('link', { size: 44 }), h('h2', { text: t('shares.none') }), h('p', { text: t('shares.noneHint') })));
        return;
      }
      mount(body, h('ul', { class: 'cards' }, page.items.map((share) => h('li', { class: 'card share-card' },
        h('div', { class: 'share-card-head' },
          icon(share.kind === 'folder' ? 'folder' : 'file', { size: 20 }),
          h('strong', { class: 'share-name', text: share.name || `#${share.file_id}` }),
          h('span', { class: `badge badge-${share.status || 'active'}`, text: t(`share.status.${share.status || 'active'}`) })),
        h('p', { class: 'share-meta', text: shareState(share) }),
        h('p', { class: 'share-meta', title: formatDate(share.created_at), text: t('shares.created', { when: formatRelative(share.created_at) }) }),
        h('div', { class: 'share-card-actions' },
          h('a', { href: share.url, class: 'btn btn-sm', target: '_blank', rel: 'noopener' }, icon('external', { size: 16 }), h('span', { text: t('shares.open') })),
          h('button', { type: 'button', class: 'btn btn-sm', onclick: () => copyText(shareLink(share)) }, icon('copy', { size: 16 }), h('span', { text: t('share.copy') })),
          h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', onclick: async () => {
            if (!(await confirmDialog({ title: t('share.revoke'), message: t('shares.revokeConfirm', { name: share.name || '' }), confirm: t('share.revoke'), danger: true }))) return;
            try {
              await api(`/shares/${share.id}`, { method: 'DELETE' });
              toastOk(t('share.revoked'));
              load();
            } catch (error) { toastError(error); }
          } }, icon('trash', { size: 16 }), h('span', { text: t('share.revoke') })))))));
    } catch (error) {
      toastError(error);
      mount(body, h('div', { class: 'empty' }, h('p', { text: t('files.loadFailed') })));
    }
  }
  load();
}
