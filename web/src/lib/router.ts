// Client-side routing over the History API: the URL is a signal; the server
// answers index.html for every path without a file extension.
import { signal } from '@preact/signals';

export const url = signal({ path: location.pathname, search: location.search });

export function navigate(to: string, replace = false) {
  const u = new URL(to, location.origin);
  if (u.pathname === location.pathname && u.search === location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', u.pathname + u.search);
  url.value = { path: u.pathname, search: u.search };
  if (!replace) window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  url.value = { path: location.pathname, search: location.search };
});

/** For <a onClick>: keeps ctrl/cmd/middle clicks as the browser's own. */
export function linkClick(e: MouseEvent) {
  const a = e.currentTarget as HTMLAnchorElement;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target && a.target !== '_self') return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
}

export type Route =
  | { name: 'dashboard' }
  | { name: 'login' }
  | { name: 'pipeline' }
  | { name: 'list'; entity: string }
  | { name: 'new'; entity: string }
  | { name: 'record'; entity: string; id: number }
  | { name: 'notfound' };

export function matchRoute(path: string, entities: Set<string>): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: 'dashboard' };
  if (parts.length === 1 && parts[0] === 'login') return { name: 'login' };
  if (parts.length === 1 && parts[0] === 'pipeline') return { name: 'pipeline' };
  if (!entities.has(parts[0])) return { name: 'notfound' };
  if (parts.length === 1) return { name: 'list', entity: parts[0] };
  if (parts.length === 2 && parts[1] === 'new') return { name: 'new', entity: parts[0] };
  if (parts.length === 2 && /^[1-9]\d{0,15}$/.test(parts[1])) return { name: 'record', entity: parts[0], id: Number(parts[1]) };
  return { name: 'notfound' };
}
