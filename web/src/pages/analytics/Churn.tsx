// Churn risk: how many customers at each level, what drives it, how well the
// model is calibrated out of time, and the customers most at risk with reasons.
import { locale } from '../../lib/i18n';
import { code, reasonText, ta } from '../../lib/analytics-i18n';
import { AChart } from './AChart';
import { Card, Loaded, int, num, pct, useApi } from './common';
import { CustomerLink } from './Value';

interface Churn {
  as_of: string;
  horizon_days: number;
  model: {
    auc: number;
    coefficients: { feature: string; standardized: number }[];
    calibration: { predicted: number; observed: number; count: number }[];
  };
  risk: { customers: number; high: number; medium: number; low: number };
  customers: { customer_id: number; churn_probability: number; recency: number; reasons: { feature: string; direction: string; contribution: number }[] }[];
}

export function ChurnPage() {
  const s = useApi<Churn>('/analytics/churn', { limit: 50 });
  locale.value;
  return <Loaded s={s}>{(d) => <ChurnView d={d} />}</Loaded>;
}

function ChurnView({ d }: { d: Churn }) {
  const risk = [
    { name: ta('an_risk_high'), value: d.risk.high, itemStyle: { color: '#be123c' } },
    { name: ta('an_risk_medium'), value: d.risk.medium, itemStyle: { color: '#b45309' } },
    { name: ta('an_risk_low'), value: d.risk.low, itemStyle: { color: '#0f766e' } },
  ];
  const coefs = [...d.model.coefficients].sort((a, b) => Math.abs(b.standardized) - Math.abs(a.standardized));
  return (
    <>
      <p class="an-note">{ta('an_as_of', { date: d.as_of })} · {ta('an_churn_desc', { days: d.horizon_days, auc: num(d.model.auc, 3) })}</p>
      <div class="an-grid">
        <Card title={ta('an_churn')} name="risk">
          <AChart name="risk" height={260} description={risk.map((r) => `${r.name} ${r.value}`).join(', ')}
            option={{ tooltip: { trigger: 'item' }, legend: { bottom: 0 }, series: [{ type: 'pie', radius: ['45%', '70%'], data: risk, label: { formatter: '{b}\n{c}' } }] }} />
        </Card>
        <Card title={ta('an_drivers')} name="drivers">
          <AChart name="drivers" height={260} description={coefs.map((c) => `${code(c.feature)} ${num(c.standardized, 2)}`).join(', ')}
            option={{
              tooltip: { trigger: 'axis' },
              grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
              xAxis: { type: 'value' },
              yAxis: { type: 'category', data: coefs.map((c) => code(c.feature)), inverse: true },
              series: [{ type: 'bar', data: coefs.map((c) => ({ value: Math.round(c.standardized * 1000) / 1000, itemStyle: { color: c.standardized > 0 ? '#be123c' : '#0f766e' } })) }],
            }} />
        </Card>
        <Card title={ta('an_calibration')} name="calibration">
          <AChart name="calibration" height={260}
            description={d.model.calibration.map((b) => `${pct(b.predicted, 0)} → ${pct(b.observed, 0)}`).join(', ')}
            option={{
              tooltip: { trigger: 'item' },
              grid: { left: 48, right: 16, top: 16, bottom: 40 },
              xAxis: { type: 'value', min: 0, max: 1, name: ta('an_predicted'), nameLocation: 'middle', nameGap: 26 },
              yAxis: { type: 'value', min: 0, max: 1, name: ta('an_observed') },
              series: [
                { type: 'scatter', symbolSize: 10, data: d.model.calibration.map((b) => [b.predicted, b.observed]) },
                { type: 'line', data: [[0, 0], [1, 1]], showSymbol: false, lineStyle: { type: 'dotted', color: '#94a3b8' }, silent: true },
              ],
            }} />
        </Card>
        <Card title={ta('an_at_risk_list')} wide name="at-risk">
          <table class="table table-compact" data-table="at-risk">
            <thead><tr><th>{ta('an_customer')}</th><th class="num">{ta('an_probability')}</th><th class="num">{ta('an_recency_days')}</th><th>{ta('an_reasons')}</th></tr></thead>
            <tbody>
              {d.customers.map((c) => (
                <tr key={c.customer_id}>
                  <td><CustomerLink id={c.customer_id} /></td>
                  <td class="col-percent">{pct(c.churn_probability, 0)}</td>
                  <td class="col-integer">{int(c.recency)}</td>
                  <td>{c.reasons.map((r) => <span key={r.feature} class="badge an-reason">{reasonText(r.feature, r.direction)}</span>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
    </>
  );
}
