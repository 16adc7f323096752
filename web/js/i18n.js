// Language: detected from navigator.languages, switchable, remembered (a preference, not a
// secret). Strings live in locales/*.js; numbers, sizes and dates go through Intl.

import en from './locales/en.js';
import zh from './locales/zh-CN.js';

const DICTS = { en, 'zh-CN': zh };
export const LOCALES = [
  { code: 'en', label: 'English' },
  { code: 'zh-CN', label: '简体中文' },
];
const KEY = 'hoard.lang';

function pick(list) {
  for (const tag of list) {
    if (!tag) continue;
    if (/^zh\b/i.test(tag)) return 'zh-CN';
    if (/^en\b/i.test(tag)) return 'en';
  }
  return 'en';
}

let current = (() => {
  const saved = localStorage.getItem(KEY);
  if (saved && DICTS[saved]) return saved;
  return pick(navigator.languages?.length ? navigator.languages : [navigator.language]);
})();

export const locale = () => current;

export function setLocale(code) {
  if (!DICTS[code] || code === current) return;
  current = code;
  localStorage.setItem(KEY, code);
  applyDocumentLang();
  window.dispatchEvent(new CustomEvent('hoard:locale'));
}

export function applyDocumentLang() {
  document.documentElement.lang = current;
}

/** t('files.count', {n: 3}): a string, or a function of the variables, from the dictionary. */
export function t(key, vars = {}) {
  let value = DICTS[current][key] ?? DICTS.en[key];
  if (value === undefined) {
    console.warn('missing string', key);
    return key;
  }
  if (typeof value === 'function') value = value(vars);
  return value.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '—';
  let value = Number(bytes);
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(current, { maximumFractionDigits: digits }).format(value)} ${UNITS[unit]}`;
}

export const formatNumber = (n) => new Intl.NumberFormat(current).format(n);

export function formatDate(iso, { time = true } = {}) {
  if (!iso) return '—';
  const opts = time ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' };
  return new Intl.DateTimeFormat(current, opts).format(new Date(iso));
}

/** "5 minutes ago" / "5分钟前" for recent times, else the date. */
export function formatRelative(iso) {
  if (!iso) return '—';
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const abs = Math.abs(seconds);
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: 'auto' });
  if (abs < 60) return rtf.format(Math.round(seconds), 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  if (abs < 86400 * 7) return rtf.format(Math.round(seconds / 86400), 'day');
  return formatDate(iso, { time: false });
}

export function formatSpeed(bytesPerSecond) {
  return t('upload.speed', { speed: formatBytes(bytesPerSecond) });
}

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  if (s < 60) return t('time.seconds', { n: s });
  if (s < 3600) return t('time.minutes', { n: Math.floor(s / 60), s: s % 60 });
  return t('time.hours', { n: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

/** The message to show for an error: the API's own words in English; in other languages,
 * a translation of its code when there is one (so no screen mixes languages). */
export function errorText(error) {
  if (!error) return t('error.unknown');
  if (error.name === 'AbortError') return t('error.cancelled');
  if (!error.code) return t('error.network');
  if (current === 'en' && error.message) return error.message;
  const key = `error.${error.code}`;
  if (DICTS[current][key]) return t(key);
  return current === 'en' ? error.message : t('error.generic', { status: error.status });
}

/** Field errors translated like errorText. */
export function fieldErrorText(error, field) {
  const raw = error?.fields?.[field];
  if (!raw) return '';
  if (current === 'en') return raw;
  const key = `field.${error.code}`;
  return DICTS[current][key] ? t(key) : t('error.invalid_field');
}

applyDocumentLang();
