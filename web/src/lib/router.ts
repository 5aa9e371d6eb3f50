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

export { matchRoute, type Route } from './router-match';
