// Customer value: the RFM grid and segments, the Pareto curve and ABC classes,
// the CLV distribution with the fitted models, and the most valuable customers.
import { useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { refTitle } from '../../lib/refs';
import { Link, toast, errorText } from '../../components/ui';
import { code, ta } from '../../lib/analytics-i18n';
import { histogram, paretoPoints, rfmHeat, type RfmAnswer } from '../../lib/analytics';
import { AChart } from './AChart';
import { Card, Figure, Loaded, int, num, pct, useApi, yuan } from './common';

interface Abc {
  top20_share: number;
  customers_for_80: number;
  total: number;
  classes: { class: string; customers: number; value: number; share: number }[];
  curve: number[];
}

interface Model { [k: string]: any }
interface Clv {
  bgnbd: Model;
  pareto_nbd: Model | null;
  gamma_gamma: Model;
  total_clv: number;
  expected_alive: number;
  customers_fitted: number;
  distribution: { bin_width?: number; median?: number; p90?: number; counts?: number[] };
  customers: { customer_id: number; frequency: number; p_alive: number; expected_purchases: number; expected_spend: number; clv: number }[];
}

export function CustomerLink({ id }: { id: number | string }) {
  const n = Number(id);
  const title = refTitle('contacts', n);
  return <Link href={`/contacts/${n}`}>{title ?? `#${n}`}</Link>;
}

function RefreshBar() {
  const status = useApi<{ refreshes: { entity: string; finished_at: string; customers: number }[] }>('/analytics/status');
  const [busy, setBusy] = useState(false);
  const run = status.data?.refreshes.find((r) => r.entity === 'contacts');
  const l = locale.value;
  async function refresh() {
    setBusy(true);
    try {
      await api.post('/analytics/refresh');
      toast(ta('an_refresh_queued'));
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  }
  return (
    <p class="an-note">
      {run ? ta('an_last_refresh', { when: new Date(run.finished_at).toLocaleString(l), n: num(run.customers) }) : ta('an_never_refreshed')}{' '}
      <button class="btn btn-sm" onClick={refresh} disabled={busy}>{ta('an_refresh')}</button>
    </p>
  );
}

export function ValuePage() {
  const rfm = useApi<RfmAnswer>('/analytics/rfm', { limit: 0 });
  const abc = useApi<Abc>('/analytics/abc', { limit: 0 });
  const clv = useApi<Clv>('/analytics/clv', { limit: 10 });
  locale.value;
  return (
    <>
      <RefreshBar />
      <div class="an-grid">
        <Loaded s={rfm}>{(d) => <RfmCards d={d} />}</Loaded>
        <Loaded s={abc}>{(d) => <ParetoCard d={d} />}</Loaded>
        <Loaded s={clv}>{(d) => <ClvCards d={d} />}</Loaded>
      </div>
    </>
  );
}

function RfmCards({ d }: { d: RfmAnswer }) {
  const labels = ['1', '2', '3', '4', '5'];
  const heat = rfmHeat(d.grid);
  const max = Math.max(1, ...heat.map((h) => h[2]));
  const segs = d.segments.filter((s) => s.customers > 0);
  return (
    <>
      <Card title={ta('an_rfm_grid')} name="rfm-grid">
        <p class="an-note">{ta('an_as_of', { date: d.as_of })} · {ta('an_rfm_grid_desc')}</p>
        <AChart name="rfm-grid" height={300}
          description={`${ta('an_rfm_grid')}: ${heat.map((h) => `R${h[1] + 1} FM${h[0] + 1} ${h[2]}`).join(', ')}`}
          option={{
            tooltip: { formatter: (p: any) => `R ${p.value[1] + 1} · FM ${p.value[0] + 1}: ${int(p.value[2])}` },
            grid: { left: 56, right: 72, top: 8, bottom: 40 },
            xAxis: { type: 'category', data: labels, name: ta('an_fm_score'), nameLocation: 'middle', nameGap: 28 },
            yAxis: { type: 'category', data: labels, name: ta('an_recency_score'), nameLocation: 'middle', nameGap: 36 },
            visualMap: { min: 0, max, calculable: false, orient: 'vertical', right: 0, top: 'middle', inRange: { color: ['#f8fafc', '#fdba74', '#c2410c'] }, itemHeight: 120 },
            series: [{ type: 'heatmap', data: heat, label: { show: true } }],
          }} />
      </Card>
      <Card title={ta('an_rfm_segments')} name="rfm-segments">
        <AChart name="rfm-segments" height={320}
          description={segs.map((s) => `${code(s.name)} ${s.customers}`).join(', ')}
          option={{
            tooltip: { trigger: 'axis' },
            grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
            xAxis: [{ type: 'value' }],
            yAxis: { type: 'category', data: segs.map((s) => code(s.name)), inverse: true },
            series: [{ name: ta('an_customers'), type: 'bar', data: segs.map((s) => s.customers) }],
          }} />
        <table class="table table-compact">
          <thead><tr><th>{ta('an_segment')}</th><th class="num">{ta('an_customers')}</th><th class="num">{ta('an_revenue')}</th></tr></thead>
          <tbody>
            {segs.map((s) => (
              <tr key={s.name} data-segment={s.name}><td>{code(s.name)}</td><td class="col-integer">{int(s.customers)}</td><td class="col-money">{yuan(s.revenue)}</td></tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}

function ParetoCard({ d }: { d: Abc }) {
  const pts = paretoPoints(d.curve);
  return (
    <Card title={`${ta('an_pareto')} · ${ta('an_abc')}`} name="pareto">
      <p class="an-note">{ta('an_pareto_desc', { top: num(d.customers_for_80 * 100, 1), share: num(d.top20_share * 100, 1) })}</p>
      <AChart name="pareto" height={260} description={ta('an_pareto_desc', { top: num(d.customers_for_80 * 100, 1), share: num(d.top20_share * 100, 1) })}
        option={{
          tooltip: { trigger: 'axis' },
          grid: { left: 48, right: 16, top: 16, bottom: 40 },
          xAxis: { type: 'value', min: 0, max: 100, name: ta('an_pareto_x'), nameLocation: 'middle', nameGap: 26 },
          yAxis: { type: 'value', min: 0, max: 100 },
          series: [
            { type: 'line', data: pts, showSymbol: false, areaStyle: { opacity: 0.12 }, name: ta('an_pareto_y'),
              markLine: { symbol: 'none', lineStyle: { type: 'dashed' }, data: [{ yAxis: 80 }, { xAxis: 20 }] } },
            { type: 'line', data: [[0, 0], [100, 100]], showSymbol: false, lineStyle: { type: 'dotted', color: '#94a3b8' }, silent: true },
          ],
        }} />
      <table class="table table-compact">
        <thead><tr><th>{ta('an_abc')}</th><th class="num">{ta('an_customers')}</th><th class="num">{ta('an_revenue')}</th><th class="num">{ta('an_share')}</th></tr></thead>
        <tbody>
          {d.classes.map((c) => (
            <tr key={c.class} data-class={c.class}><td><b>{c.class}</b></td><td class="col-integer">{int(c.customers)}</td><td class="col-money">{yuan(c.value)}</td><td class="col-percent">{pct(c.share)}</td></tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function ClvCards({ d }: { d: Clv }) {
  const h = histogram(d.distribution.counts ?? [], d.distribution.bin_width ?? 0);
  const param = (m: Model | null, keys: string[]) => (m ? keys.map((k) => `${k} = ${num(m[k], 3)}`).join(', ') + ` · ${ta('an_loglik')} ${num(m.loglik, 1)}` : '—');
  return (
    <>
      <Card title={ta('an_clv_dist')} name="clv">
        <div class="figures">
          <Figure label={ta('an_clv_total')} value={yuan(d.total_clv)} />
          <Figure label={ta('an_clv_median')} value={yuan(d.distribution.median)} />
          <Figure label={ta('an_expected_alive')} value={int(Math.round(d.expected_alive))} sub={int(d.customers_fitted)} />
        </div>
        <AChart name="clv" height={240}
          description={`${ta('an_clv_dist')}: ${h.counts.join(', ')}`}
          option={{
            tooltip: { trigger: 'axis' },
            grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
            xAxis: { type: 'category', data: h.edges.map((e) => yuan(e)), axisLabel: { rotate: 30 } },
            yAxis: { type: 'value' },
            series: [{ type: 'bar', name: ta('an_customers'), data: h.counts, barCategoryGap: '5%' }],
          }} />
      </Card>
      <Card title={ta('an_models')} name="models">
        <dl class="an-models">
          <dt>BG/NBD</dt><dd>{param(d.bgnbd, ['r', 'alpha', 'a', 'b'])}</dd>
          <dt>Pareto/NBD</dt><dd>{param(d.pareto_nbd, ['r', 'alpha', 's', 'beta'])}</dd>
          <dt>Gamma-Gamma</dt><dd>{param(d.gamma_gamma, ['p', 'q', 'gamma'])}</dd>
        </dl>
        <h3 class="card-title">{ta('an_top_customers')}</h3>
        <table class="table table-compact">
          <thead><tr><th>{ta('an_customer')}</th><th class="num">{ta('an_p_alive')}</th><th class="num">{ta('an_expected_purchases')}</th><th class="num">{ta('an_expected_spend')}</th><th class="num">CLV</th></tr></thead>
          <tbody>
            {d.customers.map((c) => (
              <tr key={c.customer_id}><td><CustomerLink id={c.customer_id} /></td><td class="col-percent">{pct(c.p_alive, 0)}</td><td class="col-integer">{num(c.expected_purchases, 1)}</td><td class="col-money">{yuan(c.expected_spend)}</td><td class="col-money">{yuan(c.clv)}</td></tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}
