// The 7P customer analysis: for each RFM segment, profiling, persistency,
// profitability, performance, prospecting, product and promotion side by side.
import { ApiError } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { code, ta, type AKey } from '../../lib/analytics-i18n';
import { Card, Loaded, int, num, pct, useApi, yuan } from './common';

interface Seg {
  segment: string;
  profiling: { customers: number; share: number; top_regions: { region: string | null; customers: number }[] };
  persistency: { p_alive: number; churn_risk: number | null; recency_days: number; active_share: number };
  profitability: { revenue: number; profit_per_customer: number; clv: number };
  performance: { orders_per_customer: number; average_order_value: number };
  prospecting: { open_deals: number; pipeline: number };
  product: { category: string; revenue: number }[];
  promotion: { consent_share: number; campaign_deals_won: number; campaign_revenue: number };
}

const VIEWS = ['profiling', 'persistency', 'profitability', 'performance', 'prospecting', 'product', 'promotion'] as const;

export function ReportPage() {
  const s = useApi<{ customers: number; segments: Seg[] }>('/analytics/report');
  locale.value;
  if (s.error instanceof ApiError && s.error.status === 409) return <p class="alert alert-warn">{ta('an_needs_refresh')} ({ta('an_refresh')}: {ta('an_value')})</p>;
  return <Loaded s={s}>{(d) => <Table segs={d.segments} />}</Loaded>;
}

function cell(view: (typeof VIEWS)[number], s: Seg) {
  switch (view) {
    case 'profiling':
      return <>{int(s.profiling.customers)} ({pct(s.profiling.share)})<br /><span class="muted">{s.profiling.top_regions.map((r) => r.region ?? '—').join('、')}</span></>;
    case 'persistency':
      return <>{ta('an_p_alive')} {pct(s.persistency.p_alive, 0)}<br />{ta('an_churn')} {pct(s.persistency.churn_risk, 0)}<br />{ta('an_active_share')} {pct(s.persistency.active_share, 0)}</>;
    case 'profitability':
      return <>{yuan(s.profitability.revenue)}<br />{ta('an_profit')} {yuan(s.profitability.profit_per_customer)}<br />CLV {yuan(s.profitability.clv)}</>;
    case 'performance':
      return <>{ta('an_orders_per_customer')} {num(s.performance.orders_per_customer, 1)}<br />{ta('an_aov')} {yuan(s.performance.average_order_value)}</>;
    case 'prospecting':
      return <>{ta('an_open_deals')} {int(s.prospecting.open_deals)}<br />{ta('an_pipeline')} {yuan(s.prospecting.pipeline)}</>;
    case 'product':
      return <>{s.product.map((p) => p.category).join('、') || '—'}</>;
    default:
      return <>{ta('an_consent')} {pct(s.promotion.consent_share, 0)}<br />{int(s.promotion.campaign_deals_won)} · {yuan(s.promotion.campaign_revenue)}</>;
  }
}

function Table({ segs }: { segs: Seg[] }) {
  return (
    <Card title={ta('an_report')} wide name="7p">
      <p class="an-note">{ta('an_report_desc')}</p>
      <div class="an-7p">
        <table class="table table-compact" data-table="7p">
          <thead><tr><th>{ta('an_segment')}</th>{VIEWS.map((v) => <th key={v}>{ta(`an_7p_${v}` as AKey)}</th>)}</tr></thead>
          <tbody>
            {segs.map((s) => <tr key={s.segment} data-segment={s.segment}><th>{code(s.segment)}</th>{VIEWS.map((v) => <td key={v}>{cell(v, s)}</td>)}</tr>)}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
