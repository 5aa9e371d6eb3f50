import { describe, expect, it } from 'vitest';
import { addActionSkeleton, conditionsToRows, filterFromListQuery, forecastSeries, leadQuery, paramsHint, quoteLine, rowsToConditions, targetFromListAddress } from './sales';
import { salesEn, salesZh } from './sales-i18n';

describe('quote lines', () => {
  it('round like the server: net after discount, then tax on the net', () => {
    expect(quoteLine(10, 8500, 10, 13)).toEqual({ gross: 85000, amount: 76500, tax: 9945 });
    expect(quoteLine(3, 333, 33, 0)).toEqual({ gross: 999, amount: 669, tax: 0 });
    expect(quoteLine(1, 1, 50, 13)).toEqual({ gross: 1, amount: 1, tax: 0 });
  });
});

describe('rule conditions', () => {
  const numeric = (f: string) => ['amount', 'probability'].includes(f);
  it('round-trip through the editor rows', () => {
    const c = { any: [{ field: 'source', op: 'in', value: ['web', 'referral'] }, { field: 'amount', op: 'gte', value: 100000 }, { field: 'email', op: 'not_empty' }] };
    const { any, rows } = conditionsToRows(c);
    expect(any).toBe(true);
    expect(rows[0]).toEqual({ field: 'source', op: 'in', value: 'web,referral' });
    expect(rowsToConditions(any, rows, numeric)).toEqual(c);
  });
  it('drop empty rows and give null for none', () => {
    expect(rowsToConditions(false, [{ field: '', op: 'eq', value: 'x' }], numeric)).toBeNull();
    expect(conditionsToRows(null)).toEqual({ any: false, rows: [] });
  });
});

describe('saved filters', () => {
  it('take the list URL’s filters and leave paging and sorting', () => {
    expect(filterFromListQuery('?f.city=%E4%B8%8A%E6%B5%B7&sort=-id&f.status=active&limit=50')).toBe('city=%E4%B8%8A%E6%B5%B7&status=active');
    expect(filterFromListQuery('source=web')).toBe('source=web');
  });
});

describe('forecast series', () => {
  it('are in yuan, with missing quotas as gaps', () => {
    const s = forecastSeries([{ period: '2026-03', won: 30000, commit: 100000, best_case: 0, pipeline: 50, weighted: 110000, forecast: 130000, quota: null, attainment: null }]);
    expect(s).toMatchObject({ periods: ['2026-03'], won: [300], commit: [1000], pipeline: [0.5], weighted: [1100], quota: [null] });
  });
});

describe('messages', () => {
  it('exist in both languages with the same placeholders', () => {
    expect(Object.keys(salesZh).sort()).toEqual(Object.keys(salesEn).sort());
    for (const k of Object.keys(salesEn) as (keyof typeof salesEn)[]) {
      const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(ph(salesZh[k]), k).toEqual(ph(salesEn[k]));
    }
  });
});

describe('the lead desk', () => {
  it('asks for open leads by score, and for leads nobody owns', () => {
    expect(leadQuery({ status: 'open', source: '', owner: '' })).toEqual({ sort: '-score', limit: 100, count: 1, 'status[in]': 'new,contacted,qualified' });
    expect(leadQuery({ status: '', source: 'web', owner: 'none' })).toEqual({ sort: '-score', limit: 100, count: 1, source: 'web', 'owner_id[null]': true });
    expect(leadQuery({ status: 'unqualified', source: '', owner: '7' })).toEqual({ sort: '-score', limit: 100, count: 1, status: 'unqualified', owner_id: '7' });
  });
});

describe('target lists from a list page', () => {
  it('take the entity and filters from a pasted address, or the filters alone', () => {
    expect(targetFromListAddress('http://127.0.0.1:8080/leads?f.source=web&sort=-score')).toEqual({ entity: 'leads', filter: 'source=web' });
    expect(targetFromListAddress('/contacts?f.city=%E4%B8%8A%E6%B5%B7')).toEqual({ entity: 'contacts', filter: 'city=%E4%B8%8A%E6%B5%B7' });
    expect(targetFromListAddress('/accounts')).toEqual({ entity: 'accounts', filter: '' });
    expect(targetFromListAddress('f.city=上海')).toEqual({ entity: null, filter: 'city=%E4%B8%8A%E6%B5%B7' });
    expect(targetFromListAddress('/users?f.role=admin')).toEqual({ entity: null, filter: '' });
  });
});

describe('the rule editor', () => {
  it('adds an action skeleton without losing what was typed', () => {
    expect(JSON.parse(addActionSkeleton('', 'create_task'))).toEqual({ create_task: { subject: 'Follow up {{name}}', due_days: 1, assign_to: 'owner' } });
    const both = JSON.parse(addActionSkeleton('{"set": {"rating": "cold"}}', 'webhook'));
    expect(both.set).toEqual({ rating: 'cold' });
    expect(Object.keys(both)).toEqual(['set', 'webhook']);
    expect(JSON.parse(addActionSkeleton('{"set": {"rating": "cold"}}', 'set'))).toEqual({ set: { rating: 'cold' } });
    expect(() => addActionSkeleton('{"set": ', 'webhook')).toThrow(SyntaxError);
    expect(() => addActionSkeleton('[1]', 'webhook')).toThrow(SyntaxError);
  });
  it("hints each trigger's settings", () => {
    expect(JSON.parse(paramsHint('no_activity'))).toEqual({ days: 14 });
    expect(JSON.parse(paramsHint('date_reached')).field).toBe('expected_close_date');
    expect(paramsHint('created')).toBe('');
    expect(JSON.parse(paramsHint('created', 'assignment'))).toEqual({ reassign_after_days: 2 });
  });
});
