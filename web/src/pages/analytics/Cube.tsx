// A pivot view of the OLAP cube: rows and columns from the dimensions, one
// measure; clicking a row drills down one level (year > quarter > month,
// region > city, category > product), the trail of filters rolls back up.
import { useState } from 'preact/hooks';
import { locale } from '../../lib/i18n';
import { ta, code, type AKey } from '../../lib/analytics-i18n';
import { cubeQuery, drillDown, pivot, pivotValue, type CubeAnswer, type CubeState } from '../../lib/analytics';
import { AChart } from './AChart';
import { Card, Loaded, int, num, useApi, yuan } from './common';

const DIMS: Record<'orders' | 'opportunities', string[]> = {
  orders: ['year', 'quarter', 'month', 'region', 'city', 'category', 'product', 'segment', 'owner'],
  opportunities: ['year', 'quarter', 'month', 'region', 'city', 'segment', 'owner', 'stage'],
};
const MEASURES: Record<'orders' | 'opportunities', string[]> = {
  orders: ['revenue', 'margin', 'cost', 'quantity', 'count'],
  opportunities: ['amount', 'weighted', 'won', 'count'],
};
const dimLabel = (d: string) => ta(`an_dim_${d}` as AKey);
const measureLabel = (m: string) => ta(`an_m_${m}` as AKey);

export function CubePage() {
  const [s, setS] = useState<CubeState>({ fact: 'orders', rows: 'year', cols: 'category', measure: 'revenue', filters: [] });
  const a = useApi<CubeAnswer>('/analytics/cube', cubeQuery(s));
  locale.value;
  const set = (patch: Partial<CubeState>) => setS({ ...s, ...patch });
  const money = !['quantity', 'count'].includes(s.measure);
  return (
    <>
      <div class="an-toolbar" role="group" aria-label={ta('an_cube')}>
        <label>{ta('an_fact')}
          <select name="fact" value={s.fact} onChange={(e) => {
            const fact = (e.target as HTMLSelectElement).value as CubeState['fact'];
            setS({ fact, rows: 'year', cols: fact === 'orders' ? 'category' : 'stage', measure: MEASURES[fact][0], filters: [] });
          }}>
            <option value="orders">{ta('an_fact_orders')}</option>
            <option value="opportunities">{ta('an_fact_opportunities')}</option>
          </select>
        </label>
        <label>{ta('an_rows')}
          <select name="rows" value={s.rows} onChange={(e) => set({ rows: (e.target as HTMLSelectElement).value })}>
            {DIMS[s.fact].map((d) => <option key={d} value={d}>{dimLabel(d)}</option>)}
          </select>
        </label>
        <label>{ta('an_columns')}
          <select name="cols" value={s.cols ?? ''} onChange={(e) => set({ cols: (e.target as HTMLSelectElement).value || null })}>
            <option value="">—</option>
            {DIMS[s.fact].filter((d) => d !== s.rows).map((d) => <option key={d} value={d}>{dimLabel(d)}</option>)}
          </select>
        </label>
        <label>{ta('an_measure')}
          <select name="measure" value={s.measure} onChange={(e) => set({ measure: (e.target as HTMLSelectElement).value })}>
            {MEASURES[s.fact].map((m) => <option key={m} value={m}>{measureLabel(m)}</option>)}
          </select>
        </label>
      </div>
      <div class="an-crumbs" role="group" aria-label={ta('an_filters')}>
        {s.filters.map(([d, v], i) => (
          <button key={d} class="btn btn-sm" onClick={() => setS({ ...s, rows: d, filters: s.filters.slice(0, i) })}>
            {dimLabel(d)}: {v} ×
          </button>
        ))}
        {s.filters.length > 0 && <button class="btn btn-sm btn-ghost" onClick={() => set({ filters: [], rows: 'year' })}>{ta('an_clear')}</button>}
      </div>
      <Loaded s={a}>{(d) => <PivotView a={d} s={s} money={money} onDrill={(m) => setS(drillDown(s, m, d.drill))} />}</Loaded>
    </>
  );
}

function PivotView({ a, s, money, onDrill }: { a: CubeAnswer; s: CubeState; money: boolean; onDrill: (m: string) => void }) {
  if (a.dims[0] !== s.rows) return null; /* an answer for another state is on its way */
  const p = pivot(a, s.rows, s.cols, s.measure);
  const fmt = (v: number | undefined) => (v === undefined ? '' : money ? yuan(v) : s.measure === 'count' ? int(v) : num(v));
  const label = (v: string | null) => (v === null ? ta('an_none') : s.rows === 'segment' || s.rows === 'stage' ? code(v) : v);
  const canDrill = !!a.drill[s.rows];
  return (
    <div class="an-grid">
      <Card title={`${measureLabel(s.measure)} · ${dimLabel(s.rows)}${s.cols ? ` × ${dimLabel(s.cols)}` : ''}`} wide name="pivot">
        {canDrill && <p class="an-note">{ta('an_drill_hint')}</p>}
        <div class="table-wrap">
          <table class="table table-compact an-pivot" data-table="pivot">
            <thead>
              <tr>
                <th>{dimLabel(s.rows)}</th>
                {p.cols.map((c) => <th key={String(c)} class="num">{c === null ? ta('an_none') : s.cols === 'segment' || s.cols === 'stage' ? code(c) : c}</th>)}
                <th class="num">{ta('an_total')}</th>
              </tr>
            </thead>
            <tbody>
              {p.rows.map((r) => (
                <tr key={String(r)} class={canDrill ? 'drillable' : ''} data-member={r ?? ''}>
                  <th tabIndex={canDrill ? 0 : undefined} onClick={() => canDrill && r !== null && onDrill(r)}
                    onKeyDown={(e) => e.key === 'Enter' && canDrill && r !== null && onDrill(r)}>{label(r)}</th>
                  {p.cols.map((c) => <td key={String(c)} class="num">{fmt(pivotValue(p, r, c))}</td>)}
                  <td class="num"><b>{fmt(p.rowTotal.get(r === null ? '\u0000' : r))}</b></td>
                </tr>
              ))}
              <tr class="total">
                <th>{ta('an_total')}</th>
                {p.cols.map((c) => <td key={String(c)} class="num">{fmt(p.colTotal.get(c === null ? '\u0000' : c))}</td>)}
                <td class="num">{fmt(p.total)}</td>
              </tr>
            </tbody>
          </table>
        </div>
      </Card>
      <Card title={measureLabel(s.measure)} wide name="cube-chart">
        <AChart name="cube" height={300} description={p.rows.map((r) => `${label(r)} ${fmt(p.rowTotal.get(r ?? '\u0000'))}`).join(', ')}
          onClick={(e) => canDrill && e.name && onDrill(String(e.name))}
          option={{
            tooltip: { trigger: 'axis' },
            legend: s.cols ? { top: 0, type: 'scroll' } : undefined,
            grid: { left: 8, right: 16, top: s.cols ? 32 : 8, bottom: 8, containLabel: true },
            xAxis: { type: 'category', data: p.rows.map((r) => r ?? ta('an_none')) },
            yAxis: { type: 'value', axisLabel: { formatter: (v: number) => new Intl.NumberFormat(locale.value, { notation: 'compact' }).format(v) } },
            series: s.cols
              ? p.cols.map((c) => ({ name: c ?? ta('an_none'), type: 'bar', stack: 'all', data: p.rows.map((r) => pivotValue(p, r, c) ?? 0) }))
              : [{ type: 'bar', data: p.rows.map((r) => p.rowTotal.get(r ?? '\u0000') ?? 0) }],
          }} />
      </Card>
    </div>
  );
}
