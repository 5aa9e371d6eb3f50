// Pieces shared by the Analytics pages: loading an answer of the API, the
// figures row, and number formats.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Query } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { formatMoney, formatNumber } from '../../lib/format';
import { ErrorBox, Loading } from '../../components/ui';
import { ta } from '../../lib/analytics-i18n';

/** GET an API path; re-fetches when the path, the query or `version` changes. */
export function useApi<T>(path: string | null, query?: Query, version = 0) {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: !!path });
  const key = path ? `${path}${JSON.stringify(query ?? {})}#${version}` : '';
  useEffect(() => {
    if (!path) return;
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    api.get<T>(path, query, ctl.signal).then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => {
        if ((error as Error)?.name !== 'AbortError') setState({ data: null, error, loading: false });
      },
    );
    return () => ctl.abort();
  }, [key]);
  return state;
}

/** Shows loading, an error (no data: a note rather than an alarm) or the children. */
export function Loaded<T>({ s, children }: { s: { data: T | null; error: unknown; loading: boolean }; children: (d: T) => ComponentChildren }) {
  if (s.error) {
    if (s.error instanceof ApiError && s.error.status === 400 && /no purchases/.test(s.error.message))
      return <p class="muted pad">{ta('an_no_data')}</p>;
    return <ErrorBox error={s.error} />;
  }
  if (!s.data) return <Loading />;
  return <>{children(s.data)}</>;
}

export const yuan = (v: number | null | undefined) => (v === null || v === undefined || !isFinite(v) ? '—' : formatMoney(Math.round(v * 100), 'CNY', locale.value));
export const num = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || !isFinite(v) ? '—' : new Intl.NumberFormat(locale.value, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v);
export const pct = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || !isFinite(v) ? '—' : `${num(v * 100, digits)}%`);
export const int = (v: number | null | undefined) => (v === null || v === undefined ? '—' : formatNumber(v, locale.value));

export function Figure({ label, value, sub }: { label: string; value: string; sub?: string }) {
  return (
    <div class="figure">
      <div class="figure-value">{value}</div>
      <div class="figure-label">{label}{sub && <span class="figure-sub"> · {sub}</span>}</div>
    </div>
  );
}

export function Card({ title, children, wide, name }: { title: string; children: ComponentChildren; wide?: boolean; name?: string }) {
  return (
    <section class={`card an-card ${wide ? 'an-wide' : ''}`} aria-label={title} data-card={name}>
      <h2 class="card-title">{title}</h2>
      {children}
    </section>
  );
}
