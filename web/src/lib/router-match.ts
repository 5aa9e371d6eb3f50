// Which page a path names (pure, so it is tested without a browser).
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
