// The Analytics section's logic without DOM: the API's answers reshaped for
// charts and tables (pivot, Sankey, cohorts, path diagram), drill-down, AHP
// matrices, and the answer page's checks. Unit-tested in analytics.test.ts.

export interface RfmAnswer {
  as_of: string;
  scored: number;
  segments: { name: string; customers: number; revenue: number }[];
  grid: { customers: number; revenue: number }[][];
  customers: { customer_id: number; recency: number; frequency: number; monetary: number; r: number; f: number; m: number; segment: string }[];
}

export interface CubeCell {
  [dim: string]: string | number | null;
  count: number;
}

export interface CubeAnswer {
  fact: string;
  dims: string[];
  measures: string[];
  facts: number;
  drill: Record<string, string | null>;
  cells: CubeCell[];
}

/** The Pareto curve as points in percent: x = share of customers, y = share of value. */
export function paretoPoints(curve: number[]): [number, number][] {
  const n = curve.length - 1;
  return curve.map((v, i) => [Math.round((1000 * i) / n) / 10, Math.round(1000 * v) / 10]);
}

/** The R x FM grid as heat-map points [fm - 1, r - 1, customers] (R rows bottom to top). */
export function rfmHeat(grid: { customers: number }[][]): [number, number, number][] {
  const out: [number, number, number][] = [];
  grid.forEach((row, r) => row.forEach((cell, fm) => out.push([fm, r, cell.customers])));
  return out;
}

/** Histogram bars of a distribution with a bin width: labels are the bins' lower edges. */
export function histogram(counts: number[], width: number): { edges: number[]; counts: number[] } {
  return { edges: counts.map((_, i) => i * width), counts };
}

export interface Flow {
  from: string;
  to: string;
  customers: number;
}

/**
 * A two-column Sankey from start-to-end flows: the same stage on both sides
 * needs two nodes, so the right-hand ones carry a suffix the labels drop.
 */
export function sankey(flows: Flow[], label: (s: string) => string) {
  const right = (s: string) => `${s}\u200b`;
  const names = new Set<string>();
  for (const f of flows) {
    names.add(f.from);
    names.add(right(f.to));
  }
  return {
    nodes: [...names].map((n) => ({ name: n, label: label(n.replace('\u200b', '')) })),
    links: flows.filter((f) => f.customers > 0).map((f) => ({ source: f.from, target: right(f.to), value: f.customers })),
  };
}

export interface Pivot {
  rows: (string | null)[];
  cols: (string | null)[];
  cell: Map<string, number>;
  rowTotal: Map<string, number>;
  colTotal: Map<string, number>;
  total: number;
}

const keyOf = (v: unknown) => (v === null || v === undefined ? '\u0000' : String(v));

/** Reshapes the cube's cells (with roll-up subtotals) into a rows x columns table of one measure. */
export function pivot(a: CubeAnswer, rowDim: string, colDim: string | null, measure: string): Pivot {
  const rows: (string | null)[] = [];
  const cols: (string | null)[] = [];
  const seenR = new Set<string>();
  const seenC = new Set<string>();
  const cell = new Map<string, number>();
  const rowTotal = new Map<string, number>();
  const colTotal = new Map<string, number>();
  let total = 0;
  for (const c of a.cells) {
    const r = c[rowDim] as string | null;
    const col = colDim ? (c[colDim] as string | null) : null;
    const v = Number(c[measure] ?? 0);
    const isRowTotal = r === null;
    const isColTotal = colDim ? col === null : true;
    if (isRowTotal && isColTotal) total = v;
    else if (isColTotal) rowTotal.set(keyOf(r), v);
    else if (isRowTotal) colTotal.set(keyOf(col), v);
    else cell.set(`${keyOf(r)}|${keyOf(col)}`, v);
    if (!isRowTotal && !seenR.has(keyOf(r))) {
      seenR.add(keyOf(r));
      rows.push(r);
    }
    if (colDim && !isColTotal && !seenC.has(keyOf(col))) {
      seenC.add(keyOf(col));
      cols.push(col);
    }
  }
  cols.sort((x, y) => String(x).localeCompare(String(y)));
  // Subtotals the answer lacks (ROLLUP gives each row's, not each column's;
  // no roll-up gives none) are added up here.
  const haveRow = rowTotal.size > 0, haveCol = colTotal.size > 0, haveTotal = a.cells.some((c) => c[rowDim] === null && (!colDim || c[colDim] === null));
  for (const [k, v] of cell) {
    const [r, c] = k.split('|');
    if (!haveRow) rowTotal.set(r, (rowTotal.get(r) ?? 0) + v);
    if (!haveCol) colTotal.set(c, (colTotal.get(c) ?? 0) + v);
    if (!haveTotal) total += v;
  }
  return { rows, cols, cell, rowTotal, colTotal, total };
}

export function pivotValue(p: Pivot, r: string | null, c: string | null): number | undefined {
  return p.cell.get(`${keyOf(r)}|${keyOf(c)}`);
}

export interface CubeState {
  fact: 'orders' | 'opportunities';
  rows: string;
  cols: string | null;
  measure: string;
  filters: [string, string][];
}

/** Drilling into a row member: keep it as a filter and show the level below in its place. */
export function drillDown(s: CubeState, member: string | null, drill: Record<string, string | null>): CubeState {
  const next = drill[s.rows];
  if (!next || member === null) return s;
  return { ...s, filters: [...s.filters.filter(([d]) => d !== s.rows), [s.rows, member]], rows: next };
}

/** The query string of a cube state. */
export function cubeQuery(s: CubeState): Record<string, string> {
  const q: Record<string, string> = { fact: s.fact, dims: s.cols ? `${s.rows},${s.cols}` : s.rows, rollup: '1' };
  for (const [d, v] of s.filters) q[d] = q[d] ? `${q[d]},${v}` : v;
  return q;
}

/** Cohort retention as heat-map points [period, cohort index, percent]. */
export function cohortHeat(cohorts: { month: string; retention: (number | null)[] }[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  cohorts.forEach((c, y) =>
    c.retention.forEach((v, x) => {
      if (v !== null && x > 0) out.push([x, y, Math.round(v * 1000) / 10]);
    }),
  );
  return out;
}

/** Saaty's scale as the choices of a judgement: 1/9 ... 1 ... 9. */
export const SAATY: number[] = [1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9];

export function saatyLabel(v: number): string {
  if (v >= 1) return String(Math.round(v));
  return `1/${Math.round(1 / v)}`;
}

/** The nearest choice on Saaty's scale (for a judgement the server suggests). */
export function nearestSaaty(v: number): number {
  let best = SAATY[0];
  for (const s of SAATY) if (Math.abs(Math.log(s / v)) < Math.abs(Math.log(best / v))) best = s;
  return best;
}

/** An n x n comparison matrix of ones. */
export function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 1)));
}

/** Sets a[i][j] = v and keeps the matrix reciprocal (a[j][i] = 1 / v). */
export function judge(a: number[][], i: number, j: number, v: number): number[][] {
  if (i === j) return a;
  const b = a.map((row) => row.slice());
  b[i][j] = v;
  b[j][i] = 1 / v;
  return b;
}

/** Lays out a path model's latent variables in columns by their depth in the DAG. */
export function pathLayout(latents: string[], paths: { from: string; to: string }[]): Record<string, [number, number]> {
  const depth: Record<string, number> = Object.fromEntries(latents.map((l) => [l, 0]));
  for (let k = 0; k < latents.length; k++)
    for (const p of paths) if (depth[p.to] < depth[p.from] + 1) depth[p.to] = depth[p.from] + 1;
  const byDepth: Record<number, string[]> = {};
  for (const l of latents) (byDepth[depth[l]] ??= []).push(l);
  const pos: Record<string, [number, number]> = {};
  for (const [d, ls] of Object.entries(byDepth)) ls.forEach((l, i) => (pos[l] = [Number(d) * 220, (i - (ls.length - 1) / 2) * 130]));
  return pos;
}

export interface Question {
  code: string;
  type: 'scale' | 'nps' | 'single' | 'multiple' | 'text';
  text: string;
  text_en?: string | null;
  scale_min: number;
  scale_max: number;
  options: string[];
  required: boolean;
}

/** The questions the respondent still has to answer (required and empty). */
export function missingAnswers(qs: Question[], answers: Record<string, unknown>): string[] {
  return qs
    .filter((q) => q.required)
    .filter((q) => {
      const a = answers[q.code];
      return a === undefined || a === null || a === '' || (Array.isArray(a) && a.length === 0);
    })
    .map((q) => q.code);
}

/** The answers as the API takes them: empty ones left out. */
export function answerBody(answers: Record<string, unknown>, comment: string) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(answers)) if (v !== undefined && v !== '' && !(Array.isArray(v) && !v.length)) out[k] = v;
  return comment.trim() ? { answers: out, comment: comment.trim() } : { answers: out };
}

/** Colour of a KPI's status. */
export function statusColor(s: string): string {
  return s === 'green' ? '#0f766e' : s === 'amber' ? '#b45309' : s === 'red' ? '#be123c' : '#94a3b8';
}
