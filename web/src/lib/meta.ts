// Types of /api/v1/meta and the rules that turn it into lists and forms, so a
// new entity or field shows up in the UI without UI code.

export type FieldType =
  | 'id' | 'string' | 'text' | 'email' | 'phone' | 'url' | 'integer' | 'money' | 'percent' | 'boolean'
  | 'date' | 'datetime' | 'enum' | 'reference' | 'tags' | 'password' | 'currency';

export interface Label {
  en: string;
  'zh-CN': string;
}

export interface Field {
  name: string;
  type: FieldType;
  label: Label;
  required?: boolean;
  readonly?: boolean;
  writeonly?: boolean;
  system?: boolean;
  indexed?: boolean;
  unique?: boolean;
  searchable?: boolean;
  personal?: boolean;
  sortable?: boolean;
  max_length?: number;
  min?: number;
  max?: number;
  values?: string[];
  /** Names of the enum values by language ("closed_won": {en: "Closed won", "zh-CN": "赢单"}), from the server. */
  value_labels?: Record<string, Record<string, string>>;
  ref?: string;
  default?: string;
}

export interface Entity {
  name: string;
  singular: string;
  label: Label;
  title_field: string;
  default_sort: string;
  admin_write?: boolean;
  searchable?: boolean;
  fields: Field[];
  related: { entity: string; field: string }[];
}

export interface Meta {
  version: string;
  entities: Entity[];
}

export function field(e: Entity, name: string): Field | undefined {
  return e.fields.find((f) => f.name === name);
}

/** Fields a person may type into (owner_id is a system field one may still set). */
export function isEditable(f: Field): boolean {
  if (f.readonly || f.type === 'id') return false;
  if (f.system && f.name !== 'owner_id') return false;
  return true;
}

/** Fields that can be shown in a list or on a record page. */
export function isVisible(f: Field): boolean {
  return !f.writeonly && f.type !== 'password';
}

const SHOWN_TYPES: FieldType[] = ['enum', 'reference', 'money', 'date', 'email', 'phone', 'percent'];

/** The columns a list starts with: the title, then up to five telling fields, then the owner. */
export function defaultColumns(e: Entity, max = 7): string[] {
  const cols = [e.title_field];
  const candidates = e.fields.filter(
    (f) => isVisible(f) && !f.system && f.name !== e.title_field && f.type !== 'currency',
  );
  const score = (f: Field) =>
    (f.indexed ? 2 : 0) + (SHOWN_TYPES.includes(f.type) ? 2 : 0) + (f.required ? 1 : 0) + (f.type === 'text' ? -5 : 0);
  const ranked = candidates
    .map((f, i) => ({ f, i, s: score(f) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, max - 2)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.f.name);
  cols.push(...ranked);
  if (field(e, 'owner_id')) cols.push('owner_id');
  return cols;
}

export type GroupKey = 'main' | 'contact' | 'address' | 'amounts' | 'notes' | 'system';

const CONTACT_NAMES = ['email', 'phone', 'mobile', 'wechat', 'website'];
const ADDRESS_NAMES = ['address', 'city', 'province', 'country', 'postal_code', 'shipping_address'];

export function groupOf(f: Field): GroupKey {
  if (f.system && f.name !== 'owner_id') return 'system';
  if (f.type === 'text') return 'notes';
  if (ADDRESS_NAMES.includes(f.name)) return 'address';
  if (CONTACT_NAMES.includes(f.name) || f.type === 'email' || f.type === 'phone' || f.type === 'url') return 'contact';
  if (f.type === 'money' || f.type === 'currency' || f.type === 'percent') return 'amounts';
  return 'main';
}

export const GROUP_ORDER: GroupKey[] = ['main', 'contact', 'amounts', 'address', 'notes', 'system'];

/** A record's fields in sensible groups (in the order of the metadata within each). */
export function fieldGroups(e: Entity, filter: (f: Field) => boolean = isVisible): { key: GroupKey; fields: Field[] }[] {
  const groups = new Map<GroupKey, Field[]>();
  for (const f of e.fields) {
    if (!filter(f)) continue;
    const g = groupOf(f);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(f);
  }
  return GROUP_ORDER.filter((g) => groups.has(g)).map((key) => ({ key, fields: groups.get(key)! }));
}

/** The activity field that points at records of entity `name` (activities.account_id for accounts). */
export function activityLink(meta: Meta, name: string): string | undefined {
  const acts = meta.entities.find((e) => e.name === 'activities');
  return acts?.fields.find((f) => f.type === 'reference' && f.ref === name && !f.system)?.name;
}

/** Fields worth filtering a list by: enums and references that are indexed, plus dates. */
export function filterFields(e: Entity): Field[] {
  return e.fields.filter(
    (f) => isVisible(f) && f.name !== 'owner_id' && ((f.type === 'enum' && f.indexed) || f.type === 'boolean'),
  );
}

export function dateFields(e: Entity): Field[] {
  return e.fields.filter((f) => (f.type === 'date' || f.type === 'datetime') && f.sortable && f.name !== 'archived_at');
}

/** The activity links a new activity on this record carries (the record, and its account / contact). */
export function activityLinks(meta: { entities: Entity[] }, entity: string, rec: { id: number; [k: string]: unknown }): Record<string, number> {
  const acts = meta.entities.find((x) => x.name === 'activities');
  const out: Record<string, number> = {};
  if (!acts) return out;
  for (const f of acts.fields) {
    if (f.type !== 'reference' || f.system) continue;
    if (f.ref === entity) out[f.name] = rec.id;
    else if (typeof rec[f.name] === 'number') out[f.name] = rec[f.name] as number;
  }
  return out;
}

/** The form's first values: the metadata's defaults, then what the URL says (/contacts/new?account_id=5). */
export function initialValues(e: Entity, search: string): Record<string, string> {
  const v: Record<string, string> = {};
  const p = new URLSearchParams(search);
  for (const f of e.fields) {
    if (!isEditable(f)) continue;
    if (p.has(f.name)) v[f.name] = p.get(f.name)!;
    else if (f.default !== undefined && f.type !== 'boolean') v[f.name] = f.default;
    else v[f.name] = '';
  }
  return v;
}
