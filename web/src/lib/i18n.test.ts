import { describe, expect, it } from 'vitest';
import { en, zh } from './messages';
import { enumLabelIn, interpolate, normalizeLocale, serverMessageIn, tr } from './i18n';
import { compareNames, sortByName } from './collate';
import metaFixture from './meta.fixture.json';
import type { Meta } from './meta';

const meta = metaFixture as unknown as Meta;

describe('messages', () => {
  it('has every key in both languages, none empty', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(zh)) expect(v, k).not.toBe('');
  });
  it('has the same placeholders in both languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(en) as (keyof typeof en)[]) expect(ph(zh[k]), k).toEqual(ph(en[k]));
  });
  it('fills placeholders', () => {
    expect(tr('en', 'bulk_selected', { n: 3 })).toBe('3 selected');
    expect(tr('zh-CN', 'bulk_selected', { n: 3 })).toBe('已选 3 条');
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
  it('names enum values from the metadata, in the language asked for', () => {
    expect(enumLabelIn('zh-CN', 'opportunities', 'stage', 'closed_won', meta)).toBe('赢单');
    expect(enumLabelIn('zh-CN', 'contacts', 'status', 'active', meta)).toBe('活跃');
    expect(enumLabelIn('zh-CN', 'campaigns', 'status', 'active', meta)).toBe('进行中');
    expect(enumLabelIn('en', 'opportunities', 'stage', 'needs_analysis', meta)).toBe('Needs analysis');
    expect(enumLabelIn('en', 'accounts', 'industry', 'it', meta)).toBe('IT');
    // A value the metadata does not know (still stored from an older version) is made readable.
    expect(enumLabelIn('en', 'contacts', 'status', 'brand_new_value', meta)).toBe('Brand new value');
    expect(enumLabelIn('zh-CN', 'x', 'y', 'brand_new_value', meta)).toBe('Brand new value');
  });
  it('is given a name for every enum value in both languages', () => {
    const missing: string[] = [];
    for (const e of meta.entities)
      for (const f of e.fields)
        for (const v of f.values ?? [])
          if (!f.value_labels?.[v]?.['zh-CN'] || !f.value_labels?.[v]?.en) missing.push(`${e.name}.${f.name}.${v}`);
    expect(missing).toEqual([]);
  });
  it('reads locale names', () => {
    expect(normalizeLocale('zh')).toBe('zh-CN');
    expect(normalizeLocale('zh-Hans-CN')).toBe('zh-CN');
    expect(normalizeLocale('en-GB')).toBe('en');
    expect(normalizeLocale('fr')).toBeNull();
    expect(normalizeLocale(null)).toBeNull();
  });
  it('puts the server’s field messages into Chinese', () => {
    expect(serverMessageIn('zh-CN', 'is not a valid e-mail address')).toBe('不是有效的邮箱地址');
    expect(serverMessageIn('zh-CN', 'must be at most 100 characters')).toBe('最多 100 个字符');
    expect(serverMessageIn('zh-CN', 'something new')).toBe('something new');
    expect(serverMessageIn('en', 'is required')).toBe('is required');
  });
});

describe('pinyin order', () => {
  it('sorts Chinese names by pinyin', () => {
    const names = ['张三丰', '李四', '王五', '阿明', '赵六', '陈静', '欧阳修'];
    expect(sortByName(names, (x) => x)).toEqual(['阿明', '陈静', '李四', '欧阳修', '王五', '张三丰', '赵六']);
  });
  it('mixes Latin and Chinese names sensibly and numbers by value', () => {
    expect(compareNames('Item 2', 'Item 10')).toBeLessThan(0);
    expect(compareNames('alice', 'Alice')).toBe(0);
    // ICU's pinyin order puts Han names before Latin ones, each group in its own order.
    expect(sortByName(['Zoe', '白', 'Adam'], (x) => x)).toEqual(['白', 'Adam', 'Zoe']);
  });
});
