import { describe, expect, it } from 'vitest';
import metaFixture from './meta.fixture.json';
import { activityLinks, initialValues, type Entity, type Meta } from './meta';
import { moveCard, totalsByStage, type Column } from './pipeline';
import { groupHits } from './search';
import { navGroups } from './nav';

const meta = metaFixture as unknown as Meta;
const ent = (n: string) => meta.entities.find((e) => e.name === n)! as Entity;
const rec = (id: number, extra: Record<string, unknown> = {}) => ({ id, version: 1, ...extra });

describe('kanban', () => {
  const cols = (): Column[] => [
    { stage: 'prospecting', cards: [rec(1, { amount: 100, stage: 'prospecting' }), rec(2, { amount: 50, stage: 'prospecting' })], total: 2, sum: 150, sumIsShown: false },
    { stage: 'proposal', cards: [rec(3, { amount: 10, stage: 'proposal' })], total: 1, sum: 10, sumIsShown: false },
  ];
  it('moves a card and its amount to the top of another column', () => {
    const after = moveCard(cols(), 1, 'proposal');
    expect(after[0].cards.map((c) => c.id)).toEqual([2]);
    expect(after[1].cards.map((c) => c.id)).toEqual([1, 3]);
    expect(after[1].cards[0].stage).toBe('proposal');
    expect([after[0].total, after[0].sum, after[1].total, after[1].sum]).toEqual([1, 50, 2, 110]);
  });
  it('leaves the board alone for an unknown card', () => {
    const before = cols();
    expect(moveCard(before, 99, 'proposal')).toBe(before);
  });
  it('reads column totals from the aggregate API', () => {
    expect(totalsByStage([{ key: { stage: 'proposal' }, count: 12, sum_amount: 123400 }])).toEqual({ proposal: { count: 12, sum: 123400 } });
  });
});

describe('search results', () => {
  it('groups hits by type in the order of the metadata, keeping the server’s order inside', () => {
    const h = (entity: string, id: number) => ({ entity, id, title: `${entity}${id}`, record: rec(id) });
    const groups = groupHits([h('leads', 1), h('accounts', 2), h('leads', 3), h('contacts', 4)], meta.entities.map((e) => e.name));
    expect(groups.map((g) => g.entity)).toEqual(['accounts', 'contacts', 'leads']);
    expect(groups[2].hits.map((x) => x.id)).toEqual([1, 3]);
  });
});

describe('activities logged on a record', () => {
  it('link to the record and to its account and contact', () => {
    expect(activityLinks(meta, 'contacts', rec(5, { account_id: 9 }))).toEqual({ contact_id: 5, account_id: 9 });
    expect(activityLinks(meta, 'opportunities', rec(7, { account_id: 2, contact_id: null }))).toEqual({ opportunity_id: 7, account_id: 2 });
    expect(activityLinks(meta, 'accounts', rec(3))).toEqual({ account_id: 3 });
  });
});

describe('new record forms', () => {
  it('start with the metadata’s defaults and what the URL says', () => {
    const v = initialValues(ent('opportunities'), '?account_id=12&stage=proposal&id=5');
    expect(v.account_id).toBe('12');
    expect(v.stage).toBe('proposal');
    expect(v.currency).toBe('CNY');
    expect(v.forecast_category).toBe('pipeline');
    expect(v).not.toHaveProperty('id');
    expect(v).not.toHaveProperty('created_at');
  });
});

describe('navigation', () => {
  it('groups entities and still lists ones it does not know', () => {
    const extra = { ...ent('products'), name: 'warehouses' };
    const groups = navGroups([...meta.entities, extra]);
    const names = groups.flatMap((g) => g.entities.map((e) => e.name));
    expect(names).toContain('warehouses');
    expect(names).not.toContain('order_lines');
    expect(groups[0].entities.map((e) => e.name)).toEqual(['accounts', 'contacts', 'leads', 'opportunities', 'quotes']);
  });
});
