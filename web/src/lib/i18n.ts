// The UI language (a signal: components re-render when it changes) and lookups
// for messages, entity and field labels, and enum values.
import { signal } from '@preact/signals';
import type { Entity, Field, Meta } from './meta';
import type { Locale } from './format';
import { en, zh, SERVER_ZH, type MessageKey } from './messages';
import { entities, meta } from './session';

export const LOCALES: { code: Locale; name: string }[] = [
  { code: 'zh-CN', name: '简体中文' },
  { code: 'en', name: 'English' },
];

export function normalizeLocale(s: string | null | undefined): Locale | null {
  if (!s) return null;
  const l = s.toLowerCase();
  if (l.startsWith('zh')) return 'zh-CN';
  if (l.startsWith('en')) return 'en';
  return null;
}

function initialLocale(): Locale {
  try {
    const saved = normalizeLocale(localStorage.getItem('kehu.locale'));
    if (saved) return saved;
  } catch {
    /* no storage */
  }
  if (typeof navigator !== 'undefined') return normalizeLocale(navigator.language) ?? 'en';
  return 'zh-CN';
}

export const locale = signal<Locale>(typeof window === 'undefined' ? 'zh-CN' : initialLocale());

export function applyLocale(l: Locale) {
  locale.value = l;
  try {
    localStorage.setItem('kehu.locale', l);
  } catch {
    /* no storage */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = l;
}

export function interpolate(s: string, params?: Record<string, string | number>): string {
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

export function tr(l: Locale, key: MessageKey, params?: Record<string, string | number>): string {
  const dict = l === 'zh-CN' ? zh : en;
  return interpolate(dict[key] ?? en[key] ?? key, params);
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return tr(locale.value, key, params);
}

export function humanize(v: string): string {
  const s = v.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The name of an enum value in language l, as /api/v1/meta gives it (value_labels); a value the
 *  metadata does not name (an old value still stored) is shown made readable. */
export function enumLabelIn(l: Locale, entity: string, field: string, value: string, m: Meta | null = meta.value): string {
  const e = m === meta.value ? entities.value.get(entity) : m?.entities.find((x) => x.name === entity);
  const names = e?.fields.find((f) => f.name === field)?.value_labels?.[value];
  return names?.[l] ?? names?.en ?? humanize(value);
}

export function enumLabel(entity: string, field: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  return enumLabelIn(locale.value, entity, field, value);
}

export function fieldLabel(f: Field): string {
  return f.label[locale.value] ?? f.label.en ?? f.name;
}

export function entityLabel(e: Entity): string {
  return e.label[locale.value] ?? e.label.en ?? e.name;
}

/** "contact" / "联系人": the name of one record of the entity. */
export function singularLabel(e: Entity): string {
  if (locale.value === 'zh-CN') return e.label['zh-CN'];
  return e.singular.replace(/_/g, ' ');
}

/** A field message from the server in the UI's language. */
export function serverMessageIn(l: Locale, msg: string): string {
  if (l !== 'zh-CN') return msg;
  for (const [re, zhText] of SERVER_ZH) if (re.test(msg)) return msg.replace(re, zhText);
  return msg;
}
export function serverMessage(msg: string): string {
  return serverMessageIn(locale.value, msg);
}
