// How bytes reach the server: small files as multipart over XHR (for upload progress), large
// ones through tus (resumable: tus-js-client fingerprints the file in localStorage, so picking
// the same file again after a reload continues where it stopped). Both send the CSRF header
// and renew an expired session once.

import { BASE, csrfToken, refreshSession, renewable, ApiError } from './api.js';

export const TUS_THRESHOLD = 16 * 1024 * 1024;
const CHUNK = 8 * 1024 * 1024;

export const tusAvailable = () => !!(window.tus && window.tus.isSupported);

function parseError(xhr) {
  let body = {};
  try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
  return new ApiError(xhr.status, body);
}

/** Multipart upload of one file into `parentId`; returns {promise, abort}. */
export function xhrUpload(file, name, parentId, onProgress) {
  let xhr;
  let aborted = false;
  const send = (retry) => new Promise((resolve, reject) => {
    xhr = new XMLHttpRequest();
    xhr.open('POST', `${BASE}/files?on_conflict=rename`);
    xhr.setRequestHeader('X-CSRF-Token', csrfToken());
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', async () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try { resolve(JSON.parse(xhr.responseText).items[0]); } catch { resolve(null); }
        return;
      }
      const error = parseError(xhr);
      if (retry && renewable(xhr.status, error.code) && (await refreshSession())) {
        send(false).then(resolve, reject);
      } else {
        reject(error);
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, {})));
    xhr.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError')));
    const form = new FormData();
    if (parentId !== null && parentId !== undefined) form.append('parent_id', String(parentId));
    form.append('file', file, name);
    if (aborted) xhr.abort();
    else xhr.send(form);
  });
  return {
    promise: send(true),
    abort() { aborted = true; xhr?.abort(); },
  };
}

/** Resumable upload through tus; returns {promise, abort}. */
export function tusUpload(file, name, parentId, onProgress) {
  let upload;
  const promise = new Promise((resolve, reject) => {
    const metadata = { filename: name, filetype: file.type || 'application/octet-stream', on_conflict: 'rename' };
    if (parentId !== null && parentId !== undefined) metadata.parent_id = String(parentId);
    upload = new window.tus.Upload(file, {
      endpoint: `${BASE}/uploads`,
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      // The fingerprint includes the target folder, so the same file into two folders are two uploads.
      fingerprint: (f) => Promise.resolve(['hoard', f.name, f.type, f.size, f.lastModified, parentId ?? 'root'].join('-')),
      onBeforeRequest(req) {
        req.setHeader('X-CSRF-Token', csrfToken());
        const xhr = req.getUnderlyingObject();
        if (xhr) xhr.withCredentials = true;
      },
      onShouldRetry(err, attempt, options) {
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        if (status === 401 && attempt < 2) {
          return true;
        }
        if (status === 403 || status === 413 || status === 507 || status === 422 || status === 404 || status === 410) return false;
        return !status || status >= 500 || status === 409 || status === 423 || status === 429;
      },
      onProgress: (loaded, total) => onProgress(loaded, total),
      onSuccess: () => resolve(null),
      onError: (err) => {
        const res = err.originalResponse;
        let body = {};
        try { body = JSON.parse(res?.getBody() || '{}'); } catch { /* not JSON */ }
        reject(new ApiError(res ? res.getStatus() : 0, body));
      },
    });
    // A 401 during a retry: renew the session before tus tries again.
    const original = upload.options.onShouldRetry;
    upload.options.onShouldRetry = (err, attempt, options) => {
      const ok = original(err, attempt, options);
      if (ok && err.originalResponse?.getStatus() === 401) refreshSession();
      return ok;
    };
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }, () => upload.start());
  });
  return {
    promise,
    resumed: () => upload?.url,
    abort() { upload?.abort(true).catch(() => {}); },
  };
}
