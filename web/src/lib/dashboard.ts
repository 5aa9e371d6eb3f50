// The dashboard's data: the aggregate API's groups turned into chart series.
// Pure functions (no ECharts, no fetch), tested on their own.

export interface Group {
  key: Record<string, string | number | null>;
  count: number;
  [measure: string]: unknown;
}

/** The value of a group's key for a field (the API may name a bucketed key "order_date" or "order_date:month"). */
export function keyOf(g: Group, fieldName: string): string | null {
  const k = g.key[fieldName] ?? Object.entries(g.key).find(([n]) => n.startsWith(`${fieldName}:`))?.[1];
  return k === undefined || k === null ? null : String(k);
}

/** "yyyy-mm" of the `n` months up to and including the month of `now`. */
export function lastMonths(n: number, now = new Date()): string[] {
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  return out;
}

/** Sums a measure per month over the given months; months without orders are 0. */
export function byMonth(groups: Group[], fieldName: string, measure: string, months: string[]): number[] {
  const m = new Map<string, number>();
  for (const g of groups) {
    const k = keyOf(g, fieldName);
    if (!k) continue;
    const month = k.slice(0, 7);
    m.set(month, (m.get(month) ?? 0) + Number(g[measure] ?? 0));
  }
  return months.map((x) => m.get(x) ?? 0);
}

/** Values in the order of `order` (the enum's order), with those the order lacks at the end. */
export function byKey(groups: Group[], fieldName: string, measure: string, order: string[]): { key: string | null; value: number }[] {
  const m = new Map<string | null, number>();
  for (const g of groups) {
    const k = keyOf(g, fieldName);
    m.set(k, (m.get(k) ?? 0) + Number(measure === 'count' ? g.count : (g[measure] ?? 0)));
  }
  const keys = [...order.filter((k) => m.has(k)), ...[...m.keys()].filter((k) => k === null || !order.includes(k))];
  return keys.map((key) => ({ key, value: m.get(key)! }));
}

/** A matrix for a stacked chart: rows of `a` values, one series per `b` value. */
export function crossTab(groups: Group[], a: string, b: string, aOrder: string[], bOrder: string[]) {
  const as = aOrder.filter((x) => groups.some((g) => keyOf(g, a) === x));
  const bs = bOrder.filter((x) => groups.some((g) => keyOf(g, b) === x));
  const series = bs.map((bv) => ({
    key: bv,
    data: as.map((av) => groups.filter((g) => keyOf(g, a) === av && keyOf(g, b) === bv).reduce((s, g) => s + g.count, 0)),
  }));
  return { categories: as, series };
}

/** The first day of the month `n - 1` months before now's month, as yyyy-mm-dd. */
export function monthsAgoStart(n: number, now = new Date()): string {
  return `${lastMonths(n, now)[0]}-01`;
}
