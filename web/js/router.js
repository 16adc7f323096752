// History-API router: patterns like '/files/:id'; same-origin <a> clicks are intercepted.

const routes = [];
let handler404 = null;
let current = null;

export function route(pattern, render) {
  const keys = [];
  const regex = new RegExp(
    `^${pattern.replace(/\/:(\w+)/g, (_, key) => { keys.push(key); return '/([^/]+)'; })}/?$`,
  );
  routes.push({ regex, keys, render });
}

export const notFound = (render) => { handler404 = render; };

export function navigate(path, { replace = false } = {}) {
  if (path === location.pathname + location.search) return dispatch();
  history[replace ? 'replaceState' : 'pushState']({}, '', path);
  return dispatch();
}

export function currentPath() {
  return location.pathname;
}

export function query() {
  return new URLSearchParams(location.search);
}

export function dispatch() {
  const path = location.pathname;
  for (const { regex, keys, render } of routes) {
    const match = path.match(regex);
    if (match) {
      const params = Object.fromEntries(keys.map((key, i) => [key, decodeURIComponent(match[i + 1])]));
      current = { path, params };
      return render(params);
    }
  }
  current = { path, params: {} };
  return handler404?.();
}

export const refresh = () => dispatch();
export const currentRoute = () => current;

export function start() {
  window.addEventListener('popstate', () => dispatch());
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest('a[href]');
    if (!link || link.target || link.hasAttribute('download') || link.dataset.external !== undefined) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  return dispatch();
}
