// Modal dialogs on the native <dialog>: focus moves in, Tab is trapped, Escape closes, and
// focus returns to whatever had it before.

import { h, focusables, uid } from '../dom.js';
import { icon } from '../icons.js';
import { t, errorText, fieldErrorText } from '../i18n.js';

/**
 * openDialog({title, body, actions, size, onClose}) → {el, close, body}
 * `body` is a node (or array); `actions` an array of nodes for the footer.
 */
export function openDialog({ title, body, actions = [], size = 'md', className = '', onClose, initialFocus }) {
  const previous = document.activeElement;
  const titleId = uid('dlg-title');
  const dialog = h(
    'dialog',
    { class: `dialog dialog-${size} ${className}`.trim(), 'aria-labelledby': titleId, 'aria-modal': 'true' },
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', { id: titleId, class: 'dialog-title', text: title }),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('common.close'), onclick: () => close() }, icon('close')),
    ),
    h('div', { class: 'dialog-body' }, body),
    actions.length ? h('div', { class: 'dialog-actions' }, actions) : null,
  );
  let closed = false;
  function close(result) {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    if (previous && previous.isConnected && typeof previous.focus === 'function') previous.focus();
    onClose?.(result);
  }
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    close();
  });
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    const items = focusables(dialog);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) close();
  });
  document.body.append(dialog);
  dialog.showModal();
  const target = initialFocus?.() || dialog.querySelector('[autofocus]') || focusables(dialog.querySelector('.dialog-body'))[0] || focusables(dialog)[0];
  target?.focus();
  return { el: dialog, close };
}

/** A labelled form field; returns {wrap, input, setError}. */
export function field({ label, name, type = 'text', value = '', required = false, autocomplete, hint, placeholder, maxlength, min, max, rows, options, autofocus }) {
  const id = uid(`f-${name}`);
  const errorId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  let input;
  if (type === 'textarea') {
    input = h('textarea', { id, name, rows: rows || 3, maxlength, placeholder, required, autofocus }, value);
  } else if (type === 'select') {
    input = h('select', { id, name, required, autofocus }, options.map((o) => h('option', { value: o.value, selected: String(o.value) === String(value) }, o.label)));
  } else {
    input = h('input', { id, name, type, value, required, autocomplete, placeholder, maxlength, min, max, autofocus });
  }
  input.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  const error = h('p', { class: 'field-error', id: errorId, 'aria-live': 'polite' });
  const wrap = h(
    'div',
    { class: 'field' },
    h('label', { for: id, text: label }),
    input,
    hint ? h('p', { class: 'field-hint', id: hintId, text: hint }) : null,
    error,
  );
  return {
    wrap,
    input,
    setError(message) {
      error.textContent = message || '';
      input.toggleAttribute('aria-invalid', !!message);
    },
  };
}

/** Show an API error on a form: per-field messages where the API named fields, else `general`. */
export function showFormError(error, fields, general) {
  Object.values(fields).forEach((f) => f.setError(''));
  let placed = false;
  for (const name of Object.keys(error?.fields || {})) {
    if (fields[name]) {
      fields[name].setError(fieldErrorText(error, name));
      placed = true;
    }
  }
  if (!placed) general.textContent = errorText(error);
  else general.textContent = '';
}

/** Confirm dialog → Promise<boolean>. */
export function confirmDialog({ title, message, confirm = t('common.ok'), danger = false }) {
  return new Promise((resolve) => {
    let result = false;
    const ok = h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, text: confirm, onclick: () => { result = true; dlg.close(); } });
    const dlg = openDialog({
      title,
      size: 'sm',
      body: h('p', { text: message }),
      actions: [h('button', { type: 'button', class: 'btn', text: t('common.cancel'), onclick: () => dlg.close() }), ok],
      onClose: () => resolve(result),
      initialFocus: () => ok,
    });
  });
}

/**
 * A dialog with one text input; `submit(value)` may throw an ApiError, which is shown in
 * place and keeps the dialog open. Resolves with submit's result, or null when cancelled.
 */
export function promptDialog({ title, label, value = '', confirm, submit, select }) {
  return new Promise((resolve) => {
    let result = null;
    const f = field({ label, name: 'value', value, required: true });
    const general = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'form', novalidate: true }, f.wrap, general);
    const ok = h('button', { type: 'submit', class: 'btn btn-primary', text: confirm });
    ok.setAttribute('form', (form.id = uid('prompt')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = f.input.value.trim();
      if (!text) {
        f.setError(t('form.required'));
        return;
      }
      ok.disabled = true;
      try {
        result = await submit(text);
        dlg.close();
      } catch (error) {
        f.setError(errorText(error));
        f.input.focus();
      } finally {
        ok.disabled = false;
      }
    });
    const dlg = openDialog({
      title,
      size: 'sm',
      body: form,
      actions: [h('button', { type: 'button', class: 'btn', text: t('common.cancel'), onclick: () => dlg.close() }), ok],
      onClose: () => resolve(result),
      initialFocus: () => f.input,
    });
    if (select) f.input.setSelectionRange(...select(value));
    else f.input.select();
  });
}
