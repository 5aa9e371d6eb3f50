import { describe, expect, it } from 'vitest';
import {
  answerBody, cohortHeat, cubeQuery, drillDown, judge, missingAnswers, nearestSaaty, paretoPoints, pathLayout, pivot,
  pivotValue, rfmHeat, sankey, saatyLabel, type CubeAnswer, type Question,
} from './analytics';
import { aen, azh } from './analytics-i18n';

describe('analytics strings', () => {
  it('have the same keys and placeholders in both languages', () => {
    expect(Object.keys(azh).sort()).toEqual(Object.keys(aen).sort());
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(aen) as (keyof typeof aen)[]) expect(ph(azh[k]), k).toEqual(ph(aen[k]));
  });
});

describe('charts', () => {
  it('turn the Pareto curve into percent points', () => {
    expect(paretoPoints([0, 0.5, 0.8, 0.95, 1])).toEqual([[0, 0], [25, 50], [50, 80], [75, 95], [100, 100]]);
  });
  it('lay the RFM grid out as heat-map points', () => {
    const g = [[{ customers: 1 }, { customers: 2 }], [{ customers: 3 }, { customers: 4 }]];
    expect(rfmHeat(g)).toEqual([[0, 0, 1], [1, 0, 2], [0, 1, 3], [1, 1, 4]]);
  });
  it('make a two-column Sankey with the same stage on both sides', () => {
    const s = sankey([{ from: 'new', to: 'active', customers: 3 }, { from: 'active', to: 'active', customers: 5 }, { from: 'new', to: 'churned', customers: 0 }], (x) => x.toUpperCase());
    expect(s.nodes.map((n) => n.label).sort()).toEqual(['ACTIVE', 'ACTIVE', 'CHURNED', 'NEW']);
    expect(s.links).toHaveLength(2);
    expect(s.links.every((l) => l.source !== l.target)).toBe(true);
  });
  it('put cohorts on a heat map without the all-100% first month', () => {
    expect(cohortHeat([{ month: '2025-01', retention: [1, 0.25, null] }, { month: '2025-02', retention: [1, 0.5] }])).toEqual([[1, 0, 25], [1, 1, 50]]);
  });
  it('lay out a path model by depth', () => {
    const p = pathLayout(['A', 'B', 'C'], [{ from: 'A', to: 'B' }, { from: 'B', to: 'C' }, { from: 'A', to: 'C' }]);
    expect(p.A[0]).toBeLessThan(p.B[0]);
    expect(p.B[0]).toBeLessThan(p.C[0]);
  });
});

describe('the cube', () => {
  const a: CubeAnswer = {
    fact: 'orders', dims: ['year', 'category'], measures: ['count', 'revenue'], facts: 6, drill: { year: 'quarter', category: 'product' },
    cells: [
      { year: '2024', category: 'A', count: 1, revenue: 10 }, { year: '2024', category: 'B', count: 2, revenue: 20 },
      { year: '2024', category: null, count: 3, revenue: 30 }, { year: '2025', category: 'A', count: 3, revenue: 5 },
      { year: '2025', category: null, count: 3, revenue: 5 }, { year: null, category: null, count: 6, revenue: 35 },
    ],
  };
  it('pivots cells with their subtotals', () => {
    const p = pivot(a, 'year', 'category', 'revenue');
    expect(p.rows).toEqual(['2024', '2025']);
    expect(p.cols).toEqual(['A', 'B']);
    expect(pivotValue(p, '2024', 'B')).toBe(20);
    expect(pivotValue(p, '2025', 'B')).toBeUndefined();
    expect(p.rowTotal.get('2025')).toBe(5);
    expect(p.colTotal.get('A')).toBe(15); /* ROLLUP has no column subtotals: added up */
    expect(p.total).toBe(35);
  });
  it('adds up totals when the answer has no roll-up', () => {
    const b = { ...a, cells: a.cells.filter((c) => c.year !== null && c.category !== null) };
    const p = pivot(b, 'year', 'category', 'count');
    expect(p.rowTotal.get('2024')).toBe(3);
    expect(p.colTotal.get('A')).toBe(4);
    expect(p.total).toBe(6);
  });
  it('drills into a member and builds the query', () => {
    const s = drillDown({ fact: 'orders', rows: 'year', cols: 'category', measure: 'revenue', filters: [] }, '2024', a.drill);
    expect(s.rows).toBe('quarter');
    expect(s.filters).toEqual([['year', '2024']]);
    expect(cubeQuery(s)).toEqual({ fact: 'orders', dims: 'quarter,category', rollup: '1', year: '2024' });
    expect(drillDown(s, '2024-Q1', { quarter: 'month' }).rows).toBe('month');
    expect(drillDown({ ...s, rows: 'month' }, '2024-01', { month: null }).rows).toBe('month');
  });
});

describe('AHP matrices', () => {
  it('stay reciprocal as judgements are entered', () => {
    let m = [[1, 1, 1], [1, 1, 1], [1, 1, 1]];
    m = judge(m, 0, 2, 5);
    expect(m[2][0]).toBeCloseTo(0.2);
    m = judge(m, 1, 1, 9);
    expect(m[1][1]).toBe(1);
  });
  it('show Saaty\'s scale', () => {
    expect(saatyLabel(1 / 3)).toBe('1/3');
    expect(saatyLabel(7)).toBe('7');
    expect(nearestSaaty(2.6)).toBe(3);
    expect(nearestSaaty(0.3)).toBeCloseTo(1 / 3);
  });
});

describe('the answer page', () => {
  const qs: Question[] = [
    { code: 'Q1', type: 'scale', text: 'a', scale_min: 1, scale_max: 5, options: [], required: true },
    { code: 'Q2', type: 'multiple', text: 'b', scale_min: 1, scale_max: 5, options: ['x', 'y'], required: true },
    { code: 'Q3', type: 'text', text: 'c', scale_min: 1, scale_max: 5, options: [], required: false },
  ];
  it('names the required questions left empty', () => {
    expect(missingAnswers(qs, { Q1: 3, Q2: [] })).toEqual(['Q2']);
    expect(missingAnswers(qs, { Q1: 3, Q2: ['x'] })).toEqual([]);
  });
  it('sends only what was answered', () => {
    expect(answerBody({ Q1: 3, Q2: [], Q3: '' }, '  ')).toEqual({ answers: { Q1: 3 } });
    expect(answerBody({ Q1: 3 }, ' 好 ')).toEqual({ answers: { Q1: 3 }, comment: '好' });
  });
});
