// A user's avatar image, or their initial on a colour derived from the name.

import { h } from '../dom.js';

export function avatar(user, size = 32) {
  const name = user.display_name || user.username || '?';
  const el = h('span', { class: 'avatar', 'aria-hidden': 'true' });
  el.style.width = el.style.height = `${size}px`;
  el.style.fontSize = `${Math.round(size * 0.42)}px`;
  if (user.avatar_url) {
    el.append(h('img', { src: `${user.avatar_url}${user.avatar_url.includes('?') ? '&' : '?'}v=${encodeURIComponent(user.updated_at || user.last_login_at || '')}`, alt: '' }));
  } else {
    let hash = 0;
    for (const c of name) hash = (hash * 31 + c.codePointAt(0)) % 360;
    el.style.background = `hsl(${hash} 55% 45%)`;
    el.textContent = [...name][0].toUpperCase();
  }
  return el;
}
