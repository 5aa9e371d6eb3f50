import { describe, expect, it } from 'vitest';
import { coerce, currencyDigits, formatDate, formatDateTime, formatMoney, formatMoneyCompact, formatRelative, inputText, moneyInputText, parseMoney } from './format';
import type { Field } from './meta';

const f = (type: Field['type'], extra: Partial<Field> = {}): Field => ({ name: 'x', type, label: { en: 'X', 'zh-CN': 'X' }, ...extra });

describe('money', () => {
  it('knows the digits of a currency', () => {
    expect(currencyDigits('CNY')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('XYZ-not-a-code')).toBe(2);
  });
  it('formats minor units for the locale', () => {
    expect(formatMoney(123456, 'CNY', 'zh-CN')).toBe('¥1,234.56');
    expect(formatMoney(123456, 'CNY', 'en')).toBe('CN¥1,234.56');
    expect(formatMoney(123456, 'USD', 'en')).toBe('$1,234.56');
    expect(formatMoney(500, 'JPY', 'en')).toBe('¥500');
    expect(formatMoney(null)).toBe('');
  });
  it('shortens big amounts the Chinese way in Chinese', () => {
    expect(formatMoneyCompact(52_000_000, 'CNY', 'zh-CN')).toBe('¥52万');
    expect(formatMoneyCompact(52_000_000, 'CNY', 'en')).toBe('CN¥520K');
  });
  it('parses what people type into minor units without floating point', () => {
    expect(parseMoney('1234.5')).toBe(123450);
    expect(parseMoney('1,234.56')).toBe(123456);
    expect(parseMoney('¥ 0.07')).toBe(7);
    expect(parseMoney('12元')).toBe(1200);
    expect(parseMoney('0.1')).toBe(10);
    expect(parseMoney('19.99')).toBe(1999); // 19.99 * 100 is 1998.9999999999998 in floating point
    expect(parseMoney('-5')).toBe(-500);
    expect(parseMoney('1.234')).toBeNull(); // a fen has no fraction
    expect(parseMoney('abc')).toBeNull();
    expect(parseMoney('')).toBeNull();
    expect(parseMoney('1e5')).toBeNull();
    expect(parseMoney('99999999999999999999')).toBeNull();
    expect(parseMoney('500', 'JPY')).toBe(500);
  });
  it('turns minor units back into input text', () => {
    expect(moneyInputText(123450)).toBe('1234.50');
    expect(moneyInputText(7)).toBe('0.07');
    expect(moneyInputText(-7)).toBe('-0.07');
    expect(moneyInputText(500, 'JPY')).toBe('500');
    expect(moneyInputText(null)).toBe('');
  });
});

describe('dates', () => {
  it('shows a date-only value on its own day in every time zone', () => {
    expect(formatDate('2026-01-28', 'zh-CN')).toBe('2026年1月28日');
    expect(formatDate('2026-01-28', 'en')).toBe('Jan 28, 2026');
  });
  it('shows timestamps in the given zone', () => {
    expect(formatDateTime('2026-01-28T16:30:00Z', 'zh-CN', 'Asia/Shanghai')).toBe('2026年1月29日 00:30');
    expect(formatDateTime('2026-01-28T16:30:00Z', 'en', 'UTC')).toBe('Jan 28, 2026, 04:30 PM');
  });
  it('says how long ago', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    expect(formatRelative('2026-03-07T12:00:00Z', 'en', now)).toBe('3 days ago');
    expect(formatRelative('2026-03-07T12:00:00Z', 'zh-CN', now)).toBe('3天前');
    expect(formatRelative('2026-03-10T11:59:30Z', 'en', now)).toMatch(/seconds? ago|now/);
  });
  it('leaves what it cannot read as it is', () => {
    expect(formatDate('not a date')).toBe('not a date');
    expect(formatDate(null)).toBe('');
  });
});

describe('coerce', () => {
  it('turns empty input into null', () => {
    expect(coerce(f('string'), '  ')).toEqual({ value: null });
    expect(coerce(f('integer'), '')).toEqual({ value: null });
  });
  it('checks numbers and amounts', () => {
    expect(coerce(f('integer'), '42')).toEqual({ value: 42 });
    expect(coerce(f('integer'), '4.2')).toEqual({ error: 'integer' });
    expect(coerce(f('money'), '1,000.5')).toEqual({ value: 100050 });
    expect(coerce(f('money'), 'ten')).toEqual({ error: 'money' });
    expect(coerce(f('reference'), '7')).toEqual({ value: 7 });
  });
  it('splits tags on Latin and Chinese commas', () => {
    expect(coerce(f('tags'), 'VIP，老客户, 华东')).toEqual({ value: ['VIP', '老客户', '华东'] });
    expect(coerce(f('tags'), ' , ')).toEqual({ value: null });
  });
  it('keeps text as typed for the server to validate', () => {
    expect(coerce(f('email'), ' not-an-email ')).toEqual({ value: 'not-an-email' });
  });
  it('reads booleans from selects', () => {
    expect(coerce(f('boolean'), 'true')).toEqual({ value: true });
    expect(coerce(f('boolean'), 'false')).toEqual({ value: false });
    expect(coerce(f('boolean'), true)).toEqual({ value: true });
  });
  it('round-trips a datetime through the local input', () => {
    const iso = '2026-05-01T08:15:00.000Z';
    const text = inputText(f('datetime'), iso);
    expect(coerce(f('datetime'), text)).toEqual({ value: iso });
  });
  it('shows stored values as input text', () => {
    expect(inputText(f('money'), 123456)).toBe('1234.56');
    expect(inputText(f('tags'), ['a', 'b'])).toBe('a, b');
    expect(inputText(f('string'), null)).toBe('');
  });
});
