// Grouping the global search's hits by type, in the metadata's order of entities.
import type { Rec } from './api';

export interface Hit {
  entity: string;
  id: number;
  title: string;
  record: Rec;
}

/** Hits grouped by entity, in the order of the metadata's entity table. */
export function groupHits(hits: Hit[], order: string[]): { entity: string; hits: Hit[] }[] {
  const by = new Map<string, Hit[]>();
  for (const h of hits) {
    if (!by.has(h.entity)) by.set(h.entity, []);
    by.get(h.entity)!.push(h);
  }
  const rank = (e: string) => (order.indexOf(e) < 0 ? 999 : order.indexOf(e));
  return [...by.entries()].sort((a, b) => rank(a[0]) - rank(b[0])).map(([entity, hits]) => ({ entity, hits }));
}
