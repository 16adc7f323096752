// Settings → WebDAV: the address to mount, how to connect from each desktop and rclone, and
// a one-click app password (a personal API token named after the device, shown once).

import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { me } from '../state.js';
import { promptDialog } from '../components/dialog.js';
import { copyRow, showSecret } from '../components/secret-dialog.js';
import { copyText } from '../components/share-dialog.js';

const WEBCLIENT = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\WebClient\\Parameters';

/** The WebDAV card; `onCreated` runs after an app password is made (to list it). */
export function webdavCard({ onCreated }) {
  const user = me().username;
  const url = `${location.origin}/dav/`;
  const address = copyRow(url, { label: t('webdav.address'), copyLabel: t('webdav.copyAddress'), copied: t('webdav.addressCopied') });
  const create = h('button', { type: 'button', class: 'btn btn-primary', onclick: () => createAppPassword(user, onCreated) },
    icon('key', { size: 16 }), h('span', { text: t('webdav.create') }));
  return h('section', { class: 'card settings-card settings-wide', 'aria-labelledby': 'webdav-title' },
    h('h2', { id: 'webdav-title', class: 'card-title', text: t('webdav.title') }),
    h('p', { class: 'muted', text: t('webdav.hint') }),
    h('div', { class: 'field' }, h('label', { for: (address.input.id = 'webdav-address'), text: t('webdav.address') }), address.row),
    h('p', { class: 'dav-signin', text: t('webdav.signIn', { user }) }),
    h('div', { class: 'btn-row' }, create),
    howTo(url, user));
}

async function createAppPassword(user, onCreated) {
  const token = await promptDialog({
    title: t('webdav.newTitle'),
    label: t('webdav.deviceName'),
    value: proposedName(),
    confirm: t('common.create'),
    submit: (name) => api('/auth/tokens', { method: 'POST', json: { name } }),
  });
  if (!token) return;
  onCreated?.();
  showSecret({
    title: t('webdav.createdTitle'),
    hint: t('webdav.createdHint'),
    label: t('webdav.password'),
    secret: token.token,
    details: h('p', { class: 'muted', text: t('webdav.createdUse', { user, name: token.name }) }),
  });
}

/** "Linux (WebDAV)", from what the browser says it runs on; the user may change it. */
function proposedName() {
  const ua = navigator.userAgent;
  const platform = navigator.userAgentData?.platform || navigator.platform || '';
  const device = /iPhone/.test(ua) ? 'iPhone' : /iPad/.test(ua) ? 'iPad' : /Android/.test(ua) ? 'Android'
    : /Win/.test(platform) ? 'Windows' : /Mac/.test(platform) ? 'Mac' : /CrOS/.test(ua) ? 'ChromeOS'
      : /Linux/.test(platform) ? 'Linux' : null;
  return device ? t('webdav.deviceNamed', { device }) : t('webdav.deviceAny');
}

/** A command to copy: the text in a <pre>, a copy button beside it. */
function code(...lines) {
  const text = lines.filter(Boolean).join('\n');
  return h('div', { class: 'code-row' }, h('pre', { class: 'code-block' }, h('code', { text })),
    h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('webdav.copyCommand'), title: t('webdav.copyCommand'), onclick: () => copyText(text, t('common.copied')) }, icon('copy', { size: 16 })));
}

const step = (text) => h('p', { text });

/** One <details> per client: the steps in words, the commands to copy. */
function howTo(url, user) {
  const secure = location.protocol === 'https:';
  const clients = [
    ['windows', step(t('webdav.windowsSteps')), code(`net use * ${url} /user:${user}`),
      step(t('webdav.windowsLimits')),
      code(secure ? null : `reg add ${WEBCLIENT} /v BasicAuthLevel /t REG_DWORD /d 2 /f`,
        `reg add ${WEBCLIENT} /v FileSizeLimitInBytes /t REG_DWORD /d 4294967295 /f`,
        'net stop WebClient && net start WebClient')],
    ['mac', step(t('webdav.macSteps')), code(url)],
    ['davfs', step(t('webdav.davfsSteps')),
      code('sudo apt install davfs2', 'sudo mkdir -p /mnt/hoard', `sudo mount -t davfs ${url} /mnt/hoard -o uid=$USER`),
      step(t('webdav.davfsKernel')), code("echo 'buf_size 64' | sudo tee -a /etc/davfs2/davfs2.conf")],
    ['gnome', step(t('webdav.gnomeSteps')), code(`${secure ? 'davs' : 'dav'}://${location.host}/dav/`)],
    ['rclone', step(t('webdav.rcloneSteps')),
      code(`rclone config create hoard webdav url=${url} vendor=owncloud user=${user} pass=APP_PASSWORD --obscure`, 'rclone lsd hoard:')],
  ];
  return h('div', { class: 'dav-clients' }, clients.map(([key, ...parts]) => h('details', { class: 'dav-client', dataset: { client: key } },
    h('summary', { text: t(`webdav.${key}`) }), h('div', { class: 'dav-steps' }, parts))));
}
