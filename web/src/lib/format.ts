// Locale formatting of numbers, money, dates and times, and the parsing of what
// people type back into the API's types. Money is integer minor units (fen,
// cents) on the wire; it is never held as a float between parse and send.

import type { Field } from './meta';

export type Locale = 'zh-CN' | 'en';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function nf(locale: string, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${locale}|${JSON.stringify(opts)}`;
  let f = cache.get(key) as Intl.NumberFormat | undefined;
  if (!f) cache.set(key, (f = new Intl.NumberFormat(locale, opts)));
  return f;
}
function df(locale: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${locale}|${JSON.stringify(opts)}`;
  let f = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) cache.set(key, (f = new Intl.DateTimeFormat(locale, opts)));
  return f;
}

/** Digits after the decimal point of a currency (CNY 2, JPY 0, ...). */
export function currencyDigits(currency: string): number {
  try {
    return nf('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** 123456 fen -> "¥1,234.56" (zh-CN) or "CN¥1,234.56" (en). */
export function formatMoney(minor: number | null | undefined, currency = 'CNY', locale: Locale = 'zh-CN'): string {
  if (minor === null || minor === undefined || Number.isNaN(minor)) return '';
  const d = currencyDigits(currency);
  try {
    return nf(locale, { style: 'currency', currency }).format(minor / 10 ** d);
  } catch {
    return `${(minor / 10 ** d).toFixed(d)} ${currency}`;
  }
}

/** Short money for charts and column totals: "¥52万" in Chinese, "CN¥520K" in English. */
export function formatMoneyCompact(minor: number | null | undefined, currency = 'CNY', locale: Locale = 'zh-CN'): string {
  if (minor === null || minor === undefined) return '';
  const d = currencyDigits(currency);
  try {
    return nf(locale, { style: 'currency', currency, notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 }).format(
      minor / 10 ** d,
    );
  } catch {
    return formatMoney(minor, currency, locale);
  }
}

export function formatNumber(n: number | null | undefined, locale: Locale = 'zh-CN'): string {
  if (n === null || n === undefined) return '';
  return nf(locale, {}).format(n);
}

/** A date-only value ("2026-01-28") shown without any time-zone shift. */
export function formatDate(s: string | null | undefined, locale: Locale = 'zh-CN'): string {
  if (!s) return '';
  const d = new Date(s.length === 10 ? `${s}T00:00:00Z` : s);
  if (Number.isNaN(d.getTime())) return s;
  return df(locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone: s.length === 10 ? 'UTC' : undefined }).format(d);
}

/** A UTC timestamp shown in the viewer's time zone. */
export function formatDateTime(s: string | null | undefined, locale: Locale = 'zh-CN', timeZone?: string): string {
  if (!s) return '';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return df(locale, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone }).format(d);
}

/** "3 days ago" / "3天前" for the timeline. */
export function formatRelative(s: string | null | undefined, locale: Locale = 'zh-CN', now = Date.now()): string {
  if (!s) return '';
  const t = new Date(s).getTime();
  if (Number.isNaN(t)) return s;
  const sec = Math.round((t - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(sec);
  if (abs < 60) return rtf.format(sec, 'second');
  if (abs < 3600) return rtf.format(Math.round(sec / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(sec / 3600), 'hour');
  if (abs < 86400 * 30) return rtf.format(Math.round(sec / 86400), 'day');
  if (abs < 86400 * 365) return rtf.format(Math.round(sec / (86400 * 30)), 'month');
  return rtf.format(Math.round(sec / (86400 * 365)), 'year');
}

/** "1,234.5" or "¥ 1 234,50" -> minor units as an integer, or null when it is not an amount. */
export function parseMoney(text: string, currency = 'CNY'): number | null {
  const d = currencyDigits(currency);
  const s = text.replace(/[\s,_'¥$€£]|CN¥|RMB|CNY|元/gi, '').replace(/，/g, '');
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const frac = m[3] ?? '';
  if (frac.length > d) return null;
  const digits = m[2] + frac.padEnd(d, '0');
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) return null;
  return m[1] ? -n : n;
}

/** Minor units -> the plain decimal text an input shows ("1234.50"). */
export function moneyInputText(minor: number | null | undefined, currency = 'CNY'): string {
  if (minor === null || minor === undefined) return '';
  const d = currencyDigits(currency);
  if (d === 0) return String(minor);
  const neg = minor < 0;
  const s = String(Math.abs(minor)).padStart(d + 1, '0');
  return `${neg ? '-' : ''}${s.slice(0, -d)}.${s.slice(-d)}`;
}

/** ISO UTC -> the value of an <input type=datetime-local> in the viewer's zone. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export type Coerced = { value: unknown } | { error: 'number' | 'integer' | 'money' | 'date' };

/** What a person typed (as text, or a boolean from a checkbox) -> the JSON value for the API.
 * Empty means null; the server still validates everything else (and says so at the field). */
export function coerce(f: Field, raw: string | boolean | null, currency = 'CNY'): Coerced {
  if (typeof raw === 'boolean') return { value: raw };
  const text = (raw ?? '').trim();
  if (f.type === 'tags') {
    const tags = text.split(/[,，;；]/).map((t) => t.trim()).filter(Boolean);
    return { value: tags.length ? tags : null };
  }
  if (text === '') return { value: null };
  switch (f.type) {
    case 'integer':
    case 'percent':
    case 'reference': {
      if (!/^-?\d+$/.test(text)) return { error: 'integer' };
      return { value: Number(text) };
    }
    case 'money': {
      const m = parseMoney(text, currency);
      return m === null ? { error: 'money' } : { value: m };
    }
    case 'datetime': {
      const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text) ? fromLocalInput(text) : text;
      return iso ? { value: iso } : { error: 'date' };
    }
    case 'boolean':
      return { value: text === 'true' };
    default:
      return { value: text };
  }
}

/** The text an input starts with for a stored value. */
export function inputText(f: Field, v: unknown, currency = 'CNY'): string {
  if (v === null || v === undefined) return '';
  switch (f.type) {
    case 'money':
      return moneyInputText(v as number, currency);
    case 'datetime':
      return toLocalInput(v as string);
    case 'tags':
      return Array.isArray(v) ? v.join(', ') : String(v);
    default:
      return String(v);
  }
}
