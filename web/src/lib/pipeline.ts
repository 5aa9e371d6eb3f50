// The kanban board's bookkeeping, apart from the DOM so that it is tested on its own.
import type { Rec } from './api';

export interface Column {
  stage: string;
  cards: Rec[];
  total: number | null;
  sum: number | null;
  sumIsShown: boolean;
}

/** Column figures from the aggregate API's groups: {stage: {count, sum}}. */
export function totalsByStage(groups: { key: Record<string, string>; count: number; sum_amount?: number }[]) {
  const out: Record<string, { count: number; sum: number }> = {};
  for (const g of groups) out[g.key.stage] = { count: g.count, sum: g.sum_amount ?? 0 };
  return out;
}

/** Moves a card between columns (a pure step, so that it can be undone by the previous state). */
export function moveCard(cols: Column[], id: number, to: string, updated?: Rec): Column[] {
  let card: Rec | undefined;
  const without = cols.map((c) => {
    const i = c.cards.findIndex((x) => x.id === id);
    if (i < 0) return c;
    card = c.cards[i];
    const amount = card.amount ?? 0;
    return { ...c, cards: c.cards.filter((x) => x.id !== id), total: c.total !== null ? c.total - 1 : null, sum: c.sum !== null ? c.sum - amount : null };
  });
  if (!card) return cols;
  const moved = updated ?? { ...card, stage: to };
  return without.map((c) =>
    c.stage === to
      ? { ...c, cards: [moved, ...c.cards], total: c.total !== null ? c.total + 1 : null, sum: c.sum !== null ? c.sum + (moved.amount ?? 0) : null }
      : c,
  );
}
