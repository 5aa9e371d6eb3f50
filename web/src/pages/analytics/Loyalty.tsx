// Loyalty and the relationship: retention by cohort and its curve, how long
// customers stay (Kaplan-Meier), profitability with breadth, length and depth,
// and loyalty segments (attitude from surveys x repeat purchase) with the NPS trend.
import { locale } from '../../lib/i18n';
import { code, ta } from '../../lib/analytics-i18n';
import { cohortHeat } from '../../lib/analytics';
import { AChart } from './AChart';
import { Card, Figure, Loaded, int, num, pct, useApi, yuan } from './common';

interface Cohorts { cohorts: { month: string; customers: number; repurchase_rate: number; retention: (number | null)[] }[]; curve: (number | null)[]; repurchase_rate: number; customers: number }
interface Survival { median_days: number | null; customers: number; churned: number; curve: { days: number; survival: number }[] }
interface Profit {
  totals: { customers: number; unprofitable: number; revenue: number; cogs: number; service: number; profit: number };
  whale: [number, number][];
  relationship: { products_mean: number; categories_mean: number | null; tenure_days_mean: number; purchases_per_year_mean: number; spend_per_purchase_mean: number };
}
interface Loyalty { customers: number; segments: { segment: string; customers: number; share_of_wallet: number | null }[]; nps_trend: { month: string; n: number; nps: number | null }[]; share_of_wallet: { answers: number; mean: number | null } }

export function LoyaltyPage() {
  const co = useApi<Cohorts>('/analytics/cohorts', { months: 12 });
  const sv = useApi<Survival>('/analytics/survival');
  const pr = useApi<Profit>('/analytics/profitability', { limit: 0 });
  const ly = useApi<Loyalty>('/analytics/loyalty');
  locale.value;
  return (
    <div class="an-grid">
      <Loaded s={co}>{(d) => <CohortCards d={d} />}</Loaded>
      <Loaded s={sv}>{(d) => <SurvivalCard d={d} />}</Loaded>
      <Loaded s={pr}>{(d) => <ProfitCard d={d} />}</Loaded>
      <Loaded s={ly}>{(d) => <LoyaltyCard d={d} />}</Loaded>
    </div>
  );
}

function CohortCards({ d }: { d: Cohorts }) {
  const heat = cohortHeat(d.cohorts);
  const periods = Math.max(1, ...d.cohorts.map((c) => c.retention.length));
  return (
    <>
      <Card title={ta('an_cohorts')} wide name="cohorts">
        <p class="an-note">{ta('an_repurchase')}: {pct(d.repurchase_rate)} · {ta('an_customers')}: {int(d.customers)}</p>
        <AChart name="cohorts" height={340}
          description={d.cohorts.map((c) => `${c.month}: ${c.retention.slice(1, 4).map((v) => pct(v, 0)).join(' ')}`).join('; ')}
          option={{
            tooltip: { formatter: (p: any) => `${d.cohorts[p.value[1]].month} +${p.value[0]}: ${p.value[2]}%` },
            grid: { left: 8, right: 16, top: 8, bottom: 56, containLabel: true },
            xAxis: { type: 'category', data: Array.from({ length: periods }, (_, i) => String(i)), name: ta('an_months_since'), nameLocation: 'middle', nameGap: 24 },
            yAxis: { type: 'category', data: d.cohorts.map((c) => c.month) },
            visualMap: { min: 0, max: Math.max(10, ...heat.map((h) => h[2])), orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, inRange: { color: ['#f8fafc', '#5eead4', '#0f766e'] } },
            series: [{ type: 'heatmap', data: heat, label: { show: true, fontSize: 10 } }],
          }} />
      </Card>
      <Card title={ta('an_retention_curve')} name="retention">
        <AChart name="retention" height={260} description={d.curve.slice(0, 13).map((v) => pct(v, 0)).join(', ')}
          option={{
            tooltip: { trigger: 'axis' },
            grid: { left: 48, right: 16, top: 16, bottom: 32 },
            xAxis: { type: 'category', data: d.curve.map((_, i) => String(i)) },
            yAxis: { type: 'value', max: 100 },
            series: [{ type: 'line', data: d.curve.map((v, i) => (i === 0 || v === null ? null : Math.round(v * 1000) / 10)) }],
          }} />
      </Card>
    </>
  );
}

function SurvivalCard({ d }: { d: Survival }) {
  return (
    <Card title={ta('an_survival')} name="survival">
      <p class="an-note">{d.median_days !== null ? ta('an_survival_median', { days: num(d.median_days) }) : ta('an_survival_open')}</p>
      <AChart name="survival" height={260} description={d.curve.filter((_, i) => i % 20 === 0).map((p) => `${p.days}: ${pct(p.survival, 0)}`).join(', ')}
        option={{
          tooltip: { trigger: 'axis' },
          grid: { left: 48, right: 16, top: 16, bottom: 40 },
          xAxis: { type: 'value', name: ta('an_days'), nameLocation: 'middle', nameGap: 26 },
          yAxis: { type: 'value', min: 0, max: 1 },
          series: [{ type: 'line', step: 'end', showSymbol: false, data: d.curve.map((p) => [p.days, p.survival]) }],
        }} />
    </Card>
  );
}

function ProfitCard({ d }: { d: Profit }) {
  const r = d.relationship;
  return (
    <Card title={ta('an_profitability')} name="profitability">
      <div class="figures">
        <Figure label={ta('an_profit')} value={yuan(d.totals.profit)} sub={ta('an_unprofitable', { n: int(d.totals.unprofitable) })} />
        <Figure label={ta('an_breadth')} value={num(r.products_mean, 1)} />
        <Figure label={ta('an_length')} value={num(r.tenure_days_mean)} />
        <Figure label={ta('an_depth')} value={num(r.purchases_per_year_mean, 1)} />
      </div>
      <AChart name="whale" height={220} description={ta('an_whale')}
        option={{
          tooltip: { trigger: 'axis' },
          grid: { left: 48, right: 16, top: 16, bottom: 32 },
          xAxis: { type: 'value', max: 100 },
          yAxis: { type: 'value' },
          series: [{ type: 'line', name: ta('an_whale'), showSymbol: false, data: d.whale.map(([x, y]) => [Math.round(x * 1000) / 10, Math.round(y * 1000) / 10]) }],
        }} />
    </Card>
  );
}

function LoyaltyCard({ d }: { d: Loyalty }) {
  return (
    <Card title={ta('an_loyalty_segments')} name="loyalty">
      {d.customers === 0 ? <p class="muted">{ta('an_no_answers')}</p> : (
        <AChart name="loyalty" height={220} description={d.segments.map((s) => `${code(s.segment)} ${s.customers}`).join(', ')}
          option={{ tooltip: { trigger: 'item' }, series: [{ type: 'pie', radius: ['40%', '70%'], data: d.segments.map((s) => ({ name: code(s.segment), value: s.customers })) }] }} />
      )}
      {d.share_of_wallet.answers > 0 && <p>{ta('an_share_of_wallet')}: {num(d.share_of_wallet.mean, 1)}%</p>}
      {d.nps_trend.length > 0 && (
        <AChart name="nps-trend" height={200} description={d.nps_trend.map((m) => `${m.month} ${num(m.nps, 0)}`).join(', ')}
          option={{
            tooltip: { trigger: 'axis' },
            grid: { left: 40, right: 16, top: 24, bottom: 24 },
            xAxis: { type: 'category', data: d.nps_trend.map((m) => m.month) },
            yAxis: { type: 'value', min: -100, max: 100, name: ta('an_nps_trend') },
            series: [{ type: 'line', data: d.nps_trend.map((m) => (m.nps === null ? null : Math.round(m.nps))) }],
          }} />
      )}
    </Card>
  );
}
