// Settings → Security: two-step sign-in with an authenticator app (TOTP). Set up with the
// password, scan the QR code (or type the secret), confirm with a code, save the recovery
// codes; once on, regenerate the codes or turn it off with the password and a code.

import { h, mount, uid } from '../dom.js';
import { icon } from '../icons.js';
import { t, errorText, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import { me } from '../state.js';
import { field, showFormError, openDialog } from '../components/dialog.js';
import { toastOk } from '../components/toast.js';
import { copyRow } from '../components/secret-dialog.js';
import { showRecoveryCodes } from '../components/recovery-codes.js';

/** The SVG as an image (a data: URL): scripts in an <img>'s SVG never run. */
function qrImage(svg) {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return h('img', { class: 'qr', src: `data:image/svg+xml;base64,${btoa(binary)}`, alt: t('security.qrAlt'), width: 200, height: 200 });
}

const grouped = (secret) => secret.replace(/\s+/g, '').match(/.{1,4}/g)?.join(' ') || '';

/** The 6-digit code input of an authenticator app. */
function appCodeField(label) {
  const f = field({ label, name: 'code', autocomplete: 'one-time-code', maxlength: 6, required: true });
  f.input.setAttribute('inputmode', 'numeric');
  f.input.setAttribute('pattern', '[0-9]*');
  return f;
}

/**
 * A dialog form: `fields` by name, `submit(values)` may throw an ApiError; a wrong password
 * lands on the password field, a wrong code on the code field. Resolves with submit's
 * result, or null when cancelled.
 */
function formDialog({ title, intro, fields, confirm, danger = false, submit }) {
  return new Promise((resolve) => {
    let result = null;
    const general = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'form', novalidate: true, id: uid('security-form') }, intro, Object.values(fields).map((f) => f.wrap), general);
    const ok = h('button', { type: 'submit', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, form: form.id, text: confirm });
    const PLACES = { invalid_credentials: 'password', invalid_code: 'code' };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.input.value.trim()]));
      if (fields.password) values.password = fields.password.input.value;
      const missing = Object.keys(fields).filter((k) => !values[k]);
      Object.entries(fields).forEach(([k, f]) => f.setError(missing.includes(k) ? t('form.required') : ''));
      general.textContent = '';
      if (missing.length) return;
      ok.disabled = true;
      try {
        result = await submit(values);
        dlg.close();
      } catch (error) {
        const place = fields[PLACES[error.code]];
        if (place) {
          Object.values(fields).forEach((f) => f.setError(''));
          place.setError(error.code === 'invalid_code' ? t('security.wrongCode') : errorText(error));
          place.input.select();
        } else {
          showFormError(error, fields, general);
        }
      } finally {
        ok.disabled = false;
      }
    });
    const dlg = openDialog({
      title,
      body: form,
      actions: [h('button', { type: 'button', class: 'btn', text: t('common.cancel'), onclick: () => dlg.close() }), ok],
      onClose: () => resolve(result),
      initialFocus: () => Object.values(fields)[0].input,
    });
  });
}

const passwordField = () => field({ label: t('security.password'), name: 'password', type: 'password', autocomplete: 'current-password', required: true });

/** Password and a code (from the app, or a recovery code) for turning off or regenerating. */
function passwordAndCode() {
  const code = field({ label: t('security.codeOrRecovery'), name: 'code', autocomplete: 'one-time-code', required: true, maxlength: 32 });
  code.input.spellcheck = false;
  return { password: passwordField(), code };
}

async function setUp(reload) {
  const setup = await formDialog({
    title: t('security.setUpTitle'),
    intro: h('p', { class: 'muted', text: t('security.setUpPassword') }),
    fields: { password: passwordField() },
    confirm: t('security.continue'),
    submit: ({ password }) => api('/auth/mfa/totp/setup', { method: 'POST', json: { password } }),
  });
  if (!setup) return;
  const secret = copyRow(grouped(setup.secret), { label: t('security.secret'), copyLabel: t('security.copySecret'), copied: t('security.secretCopied'), copyValue: setup.secret });
  secret.row.classList.add('totp-secret');
  const intro = h('div', { class: 'totp-setup' },
    h('p', { text: t('security.scan') }),
    h('div', { class: 'qr-wrap' }, qrImage(setup.qr_svg)),
    h('p', { class: 'muted', text: t('security.manual') }),
    secret.row,
    h('p', { text: t('security.enterCode') }));
  const result = await formDialog({
    title: t('security.setUpTitle'),
    intro,
    fields: { code: appCodeField(t('security.code')) },
    confirm: t('security.turnOn'),
    submit: ({ code }) => api('/auth/mfa/totp/enable', { method: 'POST', json: { code } }),
  });
  if (!result) return;
  toastOk(t('security.turnedOn'));
  showRecoveryCodes(result.recovery_codes, { onClose: reload });
}

async function regenerate(reload) {
  const result = await formDialog({
    title: t('security.regenerate'),
    intro: h('p', { class: 'muted', text: t('security.regenerateHint') }),
    fields: passwordAndCode(),
    confirm: t('security.regenerateConfirm'),
    submit: (json) => api('/auth/mfa/recovery-codes', { method: 'POST', json }),
  });
  if (result) showRecoveryCodes(result.recovery_codes, { onClose: reload });
}

async function turnOff(reload) {
  const done = await formDialog({
    title: t('security.turnOffTitle'),
    intro: h('p', { class: 'muted', text: t('security.turnOffHint') }),
    fields: passwordAndCode(),
    confirm: t('security.turnOff'),
    danger: true,
    submit: (json) => api('/auth/mfa/totp', { method: 'DELETE', json }).then(() => true),
  });
  if (!done) return;
  toastOk(t('security.turnedOff'));
  reload();
}

function button(label, run, extra = '') {
  return h('button', { type: 'button', class: `btn ${extra}`.trim(), onclick: run }, h('span', { text: label }));
}

/** What the card shows for `status` = {totp_enabled, recovery_codes_left}. */
function statusView(status, reload) {
  const on = !!status.totp_enabled;
  const left = Number(status.recovery_codes_left) || 0;
  const line = h('p', { class: 'security-status', dataset: { totp: on ? 'on' : 'off' } },
    h('span', { class: `badge ${on ? 'badge-active' : 'badge-off'}`, text: on ? t('security.on') : t('security.off') }),
    h('span', { text: on ? t('security.codesLeft', { n: formatNumber(left) }) : t('security.offHint') }));
  if (!on && me().has_password === false) {
    return [line, h('p', { class: 'notice', role: 'note' }, icon('alert', { size: 18 }), h('span', { text: t('security.needPassword') }))];
  }
  if (!on) return [line, h('div', { class: 'btn-row' }, button(t('security.setUp'), () => setUp(reload), 'btn-primary'))];
  return [line,
    left <= 2 ? h('p', { class: 'notice', role: 'note' }, icon('alert', { size: 18 }), h('span', { text: t('security.fewCodes') })) : null,
    h('div', { class: 'btn-row' },
      button(t('security.regenerate'), () => regenerate(reload)),
      button(t('security.turnOff'), () => turnOff(reload), 'btn-danger-ghost'))];
}

/** The Security card of the settings page. */
export function securityCard() {
  const body = h('div', { class: 'security-body', 'aria-live': 'polite' }, h('p', { class: 'muted', text: t('common.loading') }));
  async function load() {
    try {
      mount(body, statusView(await api('/auth/mfa'), load));
    } catch (error) {
      mount(body, h('p', { class: 'form-error', text: errorText(error) }));
    }
  }
  load();
  return h('section', { class: 'card settings-card', 'aria-labelledby': 'security-title', dataset: { section: 'security' } },
    h('h2', { id: 'security-title', class: 'card-title', text: t('security.title') }),
    h('p', { class: 'muted', text: t('security.hint') }),
    body);
}
