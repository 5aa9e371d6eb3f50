// The sales screens' logic, apart from the DOM so that it is tested on its own:
// quote line arithmetic (the server's rounding), rule conditions as editable
// rows, saved list filters as API filters, and the forecast chart's series.

/** A quote line's net amount and tax in minor units, rounded as the server does. */
export function quoteLine(quantity: number, unitPrice: number, discountPct: number, taxPct: number) {
  const gross = quantity * unitPrice;
  const amount = Math.floor((gross * (100 - discountPct) + 50) / 100);
  const tax = Math.floor((amount * taxPct + 50) / 100);
  return { gross, amount, tax };
}

export interface CondRow {
  field: string;
  op: string;
  value: string;
}

export const OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'contains', 'empty', 'not_empty', 'changed', 'changed_to', 'changed_from'];
const NO_VALUE = new Set(['empty', 'not_empty', 'changed']);
const LIST = new Set(['in', 'not_in']);

/** {"all": [...]} into rows the editor shows (lists as comma-separated text). */
export function conditionsToRows(c: any): { any: boolean; rows: CondRow[] } {
  if (!c || typeof c !== 'object') return { any: false, rows: [] };
  const list = Array.isArray(c.any) ? c.any : Array.isArray(c.all) ? c.all : [];
  return {
    any: Array.isArray(c.any),
    rows: list.map((x: any) => ({
      field: String(x.field ?? ''),
      op: String(x.op ?? 'eq'),
      value: x.value === undefined ? '' : Array.isArray(x.value) ? x.value.join(',') : String(x.value),
    })),
  };
}

/** Rows back into the rules' JSON; numbers stay numbers when the field is numeric. */
export function rowsToConditions(any: boolean, rows: CondRow[], numeric: (field: string) => boolean): any {
  const list = rows
    .filter((r) => r.field)
    .map((r) => {
      if (NO_VALUE.has(r.op)) return { field: r.field, op: r.op };
      const conv = (s: string) => (numeric(r.field) && /^-?\d+$/.test(s.trim()) ? Number(s.trim()) : s.trim());
      return { field: r.field, op: r.op, value: LIST.has(r.op) ? r.value.split(',').filter((s) => s.trim()).map(conv) : conv(r.value) };
    });
  if (!list.length) return null;
  return any ? { any: list } : { all: list };
}

/** What a target list is made from when a list page's address is pasted (http://host/contacts?f.city=上海,
 *  /leads?f.source=web, or only its query): the entity the address names, if any, and the filter. */
export function targetFromListAddress(text: string): { entity: string | null; filter: string } {
  const m = /^(?:[a-z]+:\/\/[^/]+)?\/(contacts|leads|accounts)\/?(?:\?(.*))?$/.exec(text.trim());
  return m ? { entity: m[1], filter: filterFromListQuery(m[2] ?? '') } : { entity: null, filter: filterFromListQuery(text.trim()) };
}

/** A list page's URL query (f.city=上海&sort=...) as the filter a target list takes (city=上海). */
export function filterFromListQuery(search: string): string {
  const p = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const out = new URLSearchParams();
  for (const [k, v] of p) {
    if (k.startsWith('f.')) out.append(k.slice(2), v);
    else if (!['sort', 'limit', 'cursor', 'count', 'mine', 'page'].includes(k) && !k.includes('.')) out.append(k, v);
  }
  return out.toString();
}

export interface ForecastCell {
  period: string;
  won: number;
  commit: number;
  best_case: number;
  pipeline: number;
  weighted: number;
  forecast: number;
  quota: number | null;
  attainment: number | null;
}

/** The forecast chart's series in yuan: stacked won / commit / best case /
 * pipeline bars per period, weighted and quota as lines. */
export function forecastSeries(totals: ForecastCell[]) {
  const yuan = (n: number | null) => (n === null ? null : n / 100);
  return {
    periods: totals.map((c) => c.period),
    won: totals.map((c) => yuan(c.won)),
    commit: totals.map((c) => yuan(c.commit)),
    best_case: totals.map((c) => yuan(c.best_case)),
    pipeline: totals.map((c) => yuan(c.pipeline)),
    weighted: totals.map((c) => yuan(c.weighted)),
    quota: totals.map((c) => yuan(c.quota)),
  };
}

/** The code a website uses to post its own form to Kehu. */
export function embedSnippet(origin: string, key: string): string {
  return `fetch('${origin}/api/v1/public/forms/${key}', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ name: '…', email: '…', website: '' /* honeypot: leave empty */ }),
}).then((r) => r.json());`;
}


/** The lead desk's filters: status "open" (new, contacted, qualified), "" (any) or one status;
 *  a source or ""; an owner's id, "none" (leads nobody owns) or "" (anyone). */
export interface LeadFilter { status: string; source: string; owner: string }

/** The list query of the lead desk's filters, best scores first, with a total. */
export function leadQuery(f: LeadFilter): Record<string, string | number | boolean> {
  const q: Record<string, string | number | boolean> = { sort: '-score', limit: 100, count: 1 };
  if (f.status === 'open') q['status[in]'] = 'new,contacted,qualified';
  else if (f.status) q.status = f.status;
  if (f.source) q.source = f.source;
  if (f.owner === 'none') q['owner_id[null]'] = true;
  else if (f.owner) q.owner_id = f.owner;
  return q;
}


/** A starting point for each action a rule can take (domain/rules.h has the full forms). */
export const ACTION_SKELETONS: Record<string, unknown> = {
  create_task: { subject: 'Follow up {{name}}', due_days: 1, assign_to: 'owner' },
  set: { rating: 'hot' },
  assign: { team_id: 1, method: 'round_robin' },
  add_to_campaign: { campaign_id: 1 },
  send_email: { template_id: 1, to: 'record' },
  webhook: { url: 'https://example.com/hook', secret: '' },
};

/** The actions' JSON text with one more action's skeleton (an action already there is kept as it is).
 *  Throws a SyntaxError when the text is not JSON, so that nothing typed is lost. */
export function addActionSkeleton(text: string, action: string): string {
  const cur = text.trim() ? JSON.parse(text) : {};
  if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) throw new SyntaxError('the actions must be a JSON object');
  if (!(action in cur)) cur[action] = ACTION_SKELETONS[action];
  return JSON.stringify(cur, null, 2);
}

/** What a trigger's settings look like, as the placeholder of their field (on a change, only
 *  assignment rules take settings: when to reassign an idle lead). */
export function paramsHint(trigger: string, kind = 'automation'): string {
  switch (trigger) {
    case 'date_reached': return '{"field": "expected_close_date", "offset_days": -7}';
    case 'no_activity': return '{"days": 14}';
    case 'score_crossed': return '{"score": "churn_risk", "above": 0.7}';
    default: return kind === 'assignment' ? '{"reassign_after_days": 2}' : '';
  }
}
