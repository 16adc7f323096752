// The storage usage bar: used of quota (or just used when unlimited).

import { h } from '../dom.js';
import { t, formatBytes } from '../i18n.js';

export function usageBar(user) {
  const used = user.storage_used || 0;
  const quota = user.storage_quota;
  const ratio = quota ? Math.min(1, used / quota) : 0;
  const label = quota
    ? t('usage.of', { used: formatBytes(used), quota: formatBytes(quota) })
    : t('usage.unlimited', { used: formatBytes(used) });
  const bar = h('div', {
    class: `usage-track${ratio > 0.9 ? ' full' : ''}`,
    role: 'progressbar',
    'aria-label': t('usage.title'),
    'aria-valuemin': '0',
    'aria-valuemax': '100',
    'aria-valuenow': String(Math.round(ratio * 100)),
    'aria-valuetext': label,
  }, h('div', { class: 'usage-fill' }));
  bar.firstChild.style.width = `${quota ? Math.max(ratio * 100, used ? 1 : 0) : 0}%`;
  return h('div', { class: 'usage' }, h('div', { class: 'usage-title', text: t('usage.title') }), quota ? bar : null, h('div', { class: 'usage-text', text: label }));
}
