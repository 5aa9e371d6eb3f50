// The service module's UI logic without DOM (unit-tested in service.test.ts):
// its routes, SLA timers, and durations in words.
import type { Locale } from './format';
import type { SvcKey } from './service-i18n';

export type ServiceRoute =
  | { name: 'console' }
  | { name: 'complaints' }
  | { name: 'kb'; id?: number }
  | { name: 'wallboard' }
  | { name: 'erlang' }
  | { name: 'notfound' };

/** The screens under /service. */
export function serviceRoute(path: string): ServiceRoute {
  const p = path.replace(/\/+$/, '').split('/').filter(Boolean);
  if (p[0] !== 'service') return { name: 'notfound' };
  if (p.length === 1) return { name: 'console' };
  if (p.length === 2 && ['complaints', 'wallboard', 'erlang', 'kb'].includes(p[1])) return { name: p[1] as 'kb' };
  if (p.length === 3 && p[1] === 'kb' && /^[1-9]\d{0,15}$/.test(p[2])) return { name: 'kb', id: Number(p[2]) };
  return { name: 'notfound' };
}

export function isServicePath(path: string): boolean {
  return path === '/service' || path.startsWith('/service/');
}

export type PublicRoute = { name: 'support' } | { name: 'csat'; token: string } | null;

/** Pages for customers, without a login: the case form and the survey. */
export function publicRoute(path: string): PublicRoute {
  if (path === '/support' || path === '/support/') return { name: 'support' };
  const m = /^\/csat\/([A-Za-z0-9_-]{8,64})\/?$/.exec(path);
  return m ? { name: 'csat', token: m[1] } : null;
}

/** The menu entries of the module's screens. */
export const SERVICE_LINKS: [string, SvcKey][] = [
  ['/service', 'svc_console'],
  ['/service/kb', 'svc_kb'],
  ['/service/complaints', 'svc_complaints'],
  ['/service/wallboard', 'svc_wallboard'],
  ['/service/erlang', 'svc_erlang'],
];

/** 3725 s -> "1 h 02 min" / "1小时02分"; under an hour "12 min" / "12分钟"; under a minute "40 s". */
export function formatDuration(seconds: number, l: Locale): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  const zh = l === 'zh-CN';
  if (d > 0) return zh ? `${d}天${h}小时` : `${d} d ${h} h`;
  if (h > 0) return zh ? `${h}小时${String(m).padStart(2, '0')}分` : `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return zh ? `${m}分钟` : `${m} min`;
  return zh ? `${s}秒` : `${s} s`;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'paused' | 'met' | 'none';

export interface SlaView {
  tone: Tone;
  /** The message key and its parameter: "in {t}", "{t} overdue", "paused", "met". */
  key: SvcKey;
  t?: string;
}

/**
 * What a timer shows for a due time: time left (amber within the warning
 * window or when the server says "warning"), time overdue (red), paused or met.
 */
export function slaView(due: string | null | undefined, status: string | null | undefined, nowMs: number, l: Locale, warnSeconds = 1800): SlaView {
  if (status === 'paused' && !due) return { tone: 'paused', key: 'svc_paused' };
  if (status === 'met') return { tone: 'met', key: 'svc_met' };
  if (!due) return { tone: status === 'paused' ? 'paused' : 'none', key: status === 'paused' ? 'svc_paused' : 'svc_no_sla' };
  const left = (Date.parse(due) - nowMs) / 1000;
  if (left < 0) return { tone: 'bad', key: 'svc_overdue', t: formatDuration(-left, l) };
  const warn = status === 'warning' || status === 'breached' || left <= warnSeconds;
  return { tone: warn ? 'warn' : 'ok', key: 'svc_due_in', t: formatDuration(left, l) };
}

/** Open statuses, in the order a console shows them. */
export const OPEN_STATUSES = ['new', 'assigned', 'in_progress', 'waiting'];

/** Percent with one decimal, for rates 0..1. */
export function pct(x: number | null | undefined, l: Locale): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return new Intl.NumberFormat(l, { style: 'percent', maximumFractionDigits: 1 }).format(x);
}
