import { describe, expect, it } from 'vitest';
import metaFixture from './meta.fixture.json';
import { activityLink, defaultColumns, fieldGroups, filterFields, isEditable, type Entity, type Meta } from './meta';
import { apiQuery, escapeLike, parseListState, serializeListState, sortDirection, toggleSort } from './query';
import { byKey, byMonth, crossTab, keyOf, lastMonths, monthsAgoStart } from './dashboard';
import { matchRoute } from './router-match';

const meta = metaFixture as unknown as Meta;
const ent = (n: string) => meta.entities.find((e) => e.name === n)! as Entity;

describe('lists and forms from the metadata', () => {
  it('starts a list with the title, telling fields and the owner', () => {
    const cols = defaultColumns(ent('contacts'));
    expect(cols[0]).toBe('name');
    expect(cols.at(-1)).toBe('owner_id');
    expect(cols).toContain('account_id');
    expect(cols).toContain('email');
    expect(cols).not.toContain('description');
    expect(cols.length).toBeLessThanOrEqual(7);
  });
  it('works for every entity, even one it has never seen', () => {
    for (const e of meta.entities) {
      const cols = defaultColumns(e);
      expect(cols[0]).toBe(e.title_field);
      expect(new Set(cols).size).toBe(cols.length);
    }
    const made: Entity = {
      name: 'gadgets', singular: 'gadget', label: { en: 'Gadgets', 'zh-CN': '小工具' }, title_field: 'code', default_sort: '-id', related: [],
      fields: [
        { name: 'id', type: 'id', label: { en: 'ID', 'zh-CN': '编号' }, system: true, readonly: true },
        { name: 'code', type: 'string', label: { en: 'Code', 'zh-CN': '代码' }, required: true },
        { name: 'colour', type: 'enum', values: ['red'], indexed: true, label: { en: 'Colour', 'zh-CN': '颜色' } },
      ],
    };
    expect(defaultColumns(made)).toEqual(['code', 'colour']);
    expect(fieldGroups(made).map((g) => g.key)).toEqual(['main', 'system']);
  });
  it('groups a record’s fields sensibly', () => {
    const groups = Object.fromEntries(fieldGroups(ent('accounts')).map((g) => [g.key, g.fields.map((f) => f.name)]));
    expect(groups.contact).toEqual(['phone', 'email', 'website']);
    expect(groups.address).toEqual(['city', 'province', 'country', 'address', 'postal_code']);
    expect(groups.amounts).toEqual(['annual_revenue', 'currency']);
    expect(groups.notes).toEqual(['description']);
    expect(groups.main).toContain('owner_id');
    expect(groups.system).toContain('created_at');
  });
  it('lets people edit what they may', () => {
    const f = (n: string, e = 'contacts') => ent(e).fields.find((x) => x.name === n)!;
    expect(isEditable(f('name'))).toBe(true);
    expect(isEditable(f('owner_id'))).toBe(true);
    expect(isEditable(f('created_at'))).toBe(false);
    expect(isEditable(f('id'))).toBe(false);
    expect(isEditable(f('case_number', 'cases'))).toBe(false);
  });
  it('finds the activity link of an entity', () => {
    expect(activityLink(meta, 'accounts')).toBe('account_id');
    expect(activityLink(meta, 'cases')).toBe('case_id');
    expect(activityLink(meta, 'products')).toBeUndefined();
  });
  it('offers indexed enums as filters', () => {
    expect(filterFields(ent('opportunities')).map((f) => f.name)).toEqual(expect.arrayContaining(['stage', 'status', 'source']));
  });
});

describe('list state in the URL and the API query', () => {
  const contacts = ent('contacts');
  it('round-trips through the URL', () => {
    const st = { sort: '-created_at', q: '张', mine: true, filters: { status: 'active', source: 'web' }, dateField: 'created_at', from: '2026-01-01', to: '2026-01-31', archived: true, limit: 100 };
    expect(parseListState(serializeListState(st), contacts)).toEqual(st);
  });
  it('ignores what it does not know in the URL', () => {
    const st = parseListState('?sort=-nope&f.evil=1&f.status=active&limit=7&from=yesterday&owner=-3', contacts);
    expect(st).toEqual({ filters: { status: 'active' } });
  });
  it('builds the API query', () => {
    const q = apiQuery({ q: '50%_off', mine: true, filters: { status: 'active' }, dateField: 'birthday', from: '1990-01-01', to: '1999-12-31' }, contacts, 9);
    expect(Object.fromEntries(q)).toEqual({
      sort: '-id', limit: '50', 'name[like]': '%50\\%\\_off%', owner_id: '9', status: 'active',
      'birthday[gte]': '1990-01-01', 'birthday[lte]': '1999-12-31',
    });
  });
  it('turns a day range on a timestamp into local midnights', () => {
    const q = apiQuery({ filters: {}, dateField: 'created_at', from: '2026-03-01', to: '2026-03-01' }, contacts);
    const from = new Date(q.get('created_at[gte]')!);
    const to = new Date(q.get('created_at[lt]')!);
    expect(to.getTime() - from.getTime()).toBe(86400e3);
    expect(from.getHours()).toBe(0);
  });
  it('escapes LIKE wildcards', () => {
    expect(escapeLike('a%b_c\\d')).toBe('a\\%b\\_c\\\\d');
  });
  it('toggles sort on a header click', () => {
    expect(toggleSort(undefined, 'name', '-id')).toBe('name');
    expect(toggleSort('name', 'name', '-id')).toBe('-name');
    expect(toggleSort('-name', 'name', '-id')).toBe('name');
    expect(sortDirection(undefined, 'id', '-id')).toBe('descending');
    expect(sortDirection('-name,id', 'name', '-id')).toBe('descending');
    expect(sortDirection('name', 'email', '-id')).toBe('none');
  });
});

describe('routes', () => {
  const names = new Set(meta.entities.map((e) => e.name));
  it('matches the UI’s paths', () => {
    expect(matchRoute('/', names)).toEqual({ name: 'dashboard' });
    expect(matchRoute('/contacts', names)).toEqual({ name: 'list', entity: 'contacts' });
    expect(matchRoute('/contacts/new', names)).toEqual({ name: 'new', entity: 'contacts' });
    expect(matchRoute('/contacts/12', names)).toEqual({ name: 'record', entity: 'contacts', id: 12 });
    expect(matchRoute('/pipeline', names)).toEqual({ name: 'pipeline' });
  });
  it('refuses what is not a page', () => {
    expect(matchRoute('/nothing', names).name).toBe('notfound');
    expect(matchRoute('/contacts/0', names).name).toBe('notfound');
    expect(matchRoute('/contacts/-1', names).name).toBe('notfound');
    expect(matchRoute('/contacts/1e3', names).name).toBe('notfound');
    expect(matchRoute('/contacts/1/2', names).name).toBe('notfound');
  });
});

describe('dashboard data', () => {
  it('lists the last months', () => {
    expect(lastMonths(3, new Date('2026-02-15T00:00:00Z'))).toEqual(['2025-12', '2026-01', '2026-02']);
    expect(monthsAgoStart(12, new Date('2026-02-15T00:00:00Z'))).toBe('2025-03-01');
  });
  it('reads bucketed keys under either name', () => {
    expect(keyOf({ key: { order_date: '2026-01' }, count: 1 }, 'order_date')).toBe('2026-01');
    expect(keyOf({ key: { 'order_date:month': '2026-01-01' }, count: 1 }, 'order_date')).toBe('2026-01-01');
    expect(keyOf({ key: { stage: null }, count: 1 }, 'stage')).toBeNull();
  });
  it('fills months without orders with zero', () => {
    const groups = [
      { key: { order_date: '2026-01' }, count: 2, sum_total_amount: 500 },
      { key: { order_date: '2025-12-01' }, count: 1, sum_total_amount: 100 },
    ];
    expect(byMonth(groups, 'order_date', 'sum_total_amount', ['2025-11', '2025-12', '2026-01'])).toEqual([0, 100, 500]);
  });
  it('orders groups as the enum does, unknown values last', () => {
    const groups = [
      { key: { stage: 'proposal' }, count: 2, sum_amount: 9 },
      { key: { stage: 'prospecting' }, count: 5, sum_amount: 3 },
      { key: { stage: null }, count: 1, sum_amount: 1 },
    ];
    expect(byKey(groups, 'stage', 'sum_amount', ['prospecting', 'qualification', 'proposal'])).toEqual([
      { key: 'prospecting', value: 3 }, { key: 'proposal', value: 9 }, { key: null, value: 1 },
    ]);
    expect(byKey(groups, 'stage', 'count', ['prospecting', 'proposal']).map((x) => x.value)).toEqual([5, 2, 1]);
  });
  it('cross-tabulates two group fields', () => {
    const groups = [
      { key: { status: 'new', priority: 'high' }, count: 3 },
      { key: { status: 'new', priority: 'low' }, count: 1 },
      { key: { status: 'waiting', priority: 'high' }, count: 2 },
    ];
    expect(crossTab(groups, 'status', 'priority', ['new', 'assigned', 'waiting'], ['low', 'normal', 'high'])).toEqual({
      categories: ['new', 'waiting'],
      series: [{ key: 'low', data: [1, 0] }, { key: 'high', data: [3, 2] }],
    });
  });
});
