// The one way the UI talks to the server: JSON in/out, the CSRF double-submit header on
// every state-changing request, one silent session refresh on an expired access token.
// The tokens themselves are HttpOnly cookies this code never sees.

export class ApiError extends Error {
  constructor(status, body = {}) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || (status ? 'http_error' : '');
    this.fields = body.fields || null;
  }
}

export const BASE = '/api/v1';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)hoard_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : '';
}

let refreshing = null;

/** One refresh at a time; resolves true when the session was renewed. */
export function refreshSession() {
  if (!refreshing) {
    refreshing = fetch(`${BASE}/auth/web/refresh`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrfToken() },
    })
      .then((r) => r.ok)
      .catch(() => false)
      .finally(() => {
        setTimeout(() => { refreshing = null; }, 0);
      });
  }
  return refreshing;
}

const RENEWABLE = new Set(['token_expired', 'unauthorized']);

/** Whether a 401 is worth one refresh (and we ever had a session). */
export const renewable = (status, code) => status === 401 && RENEWABLE.has(code) && !!csrfToken();

function sessionLost() {
  window.dispatchEvent(new CustomEvent('hoard:session-lost'));
}

function buildUrl(path, query) {
  const url = new URL(path.startsWith('/api/') ? path : BASE + path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  return url.pathname + url.search;
}

async function parse(response) {
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') || '';
  if (type.includes('json')) return response.json();
  return response.text();
}

/**
 * api('/files', {query: {parent_id: 3}}) → parsed JSON; throws ApiError.
 * Options: method, json (body as JSON), body (FormData/Blob), query, signal, headers, quiet401.
 */
export async function api(path, options = {}) {
  const { method = 'GET', json, body, query, signal, headers = {}, retry = true, public: isPublic = false } = options;
  const init = { method, credentials: 'same-origin', signal, headers: { Accept: 'application/json', ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
  }
  if (!SAFE.has(method)) init.headers['X-CSRF-Token'] = csrfToken();
  let response;
  try {
    response = await fetch(buildUrl(path, query), init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { code: '', message: '' });
  }
  if (response.ok) return parse(response);
  const data = await parse(response).catch(() => ({}));
  const error = new ApiError(response.status, typeof data === 'object' && data ? data : {});
  if (!isPublic && retry && renewable(response.status, error.code) && !path.startsWith('/auth/web/')) {
    if (await refreshSession()) return api(path, { ...options, retry: false });
    sessionLost();
  } else if (!isPublic && response.status === 401 && !path.startsWith('/auth/')) {
    sessionLost();
  }
  throw error;
}

/** Every page of a list route, concatenated (for folder pickers and galleries). */
export async function listAll(path, query = {}, max = 5000) {
  const items = [];
  for (let offset = 0; offset < max; offset += 1000) {
    const page = await api(path, { query: { ...query, limit: 1000, offset } });
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) break;
  }
  return items;
}

export const fileUrl = (id, what) => `${BASE}/files/${id}/${what}`;
