// Segments by k-means: the silhouette that chose k, and each segment's profile.
import { locale } from '../../lib/i18n';
import { code, ta } from '../../lib/analytics-i18n';
import { AChart } from './AChart';
import { Card, Loaded, int, num, pct, useApi, yuan } from './common';

interface Segs {
  k: number;
  silhouette: number;
  silhouettes: { k: number; silhouette: number }[];
  overall: Record<string, number>;
  segments: { segment: number; customers: number; share: number; revenue: number; recency: number; frequency: number; monetary: number; tenure: number; traits: string[] }[];
}

export function SegmentsPage() {
  const s = useApi<Segs>('/analytics/segments', { limit: 0 });
  locale.value;
  return <Loaded s={s}>{(d) => <SegView d={d} />}</Loaded>;
}

function SegView({ d }: { d: Segs }) {
  const feats = ['recency', 'frequency', 'monetary', 'tenure'];
  const rel = (s: Segs['segments'][number], f: string) => Math.round((100 * (s as any)[f]) / (d.overall[f] || 1));
  return (
    <div class="an-grid">
      <Card title={ta('an_profiles')} name="profiles">
        <AChart name="profiles" height={300}
          description={d.segments.map((s) => `${s.segment}: ${s.traits.map(code).join(' ')}`).join('; ')}
          option={{
            tooltip: {},
            legend: { bottom: 0 },
            radar: { indicator: feats.map((f) => ({ name: code(f), max: Math.max(200, ...d.segments.map((s) => rel(s, f))) })) },
            series: [{ type: 'radar', data: d.segments.map((s) => ({ name: `#${s.segment}`, value: feats.map((f) => rel(s, f)) })) }],
          }} />
      </Card>
      <Card title={ta('an_silhouette')} name="silhouette">
        <AChart name="silhouette" height={300} description={d.silhouettes.map((s) => `k=${s.k} ${num(s.silhouette, 3)}`).join(', ')}
          option={{
            tooltip: { trigger: 'axis' },
            grid: { left: 48, right: 16, top: 16, bottom: 32 },
            xAxis: { type: 'category', data: d.silhouettes.map((s) => String(s.k)) },
            yAxis: { type: 'value' },
            series: [{ type: 'line', data: d.silhouettes.map((s) => Math.round(s.silhouette * 1000) / 1000) }],
          }} />
      </Card>
      <Card title={`${ta('an_segments')} (k = ${d.k})`} wide name="segments">
        <table class="table table-compact">
          <thead><tr><th>#</th><th class="num">{ta('an_customers')}</th><th class="num">{ta('an_share')}</th><th class="num">{code('recency')}</th><th class="num">{code('frequency')}</th><th class="num">{ta('an_revenue')}</th><th>{ta('an_traits')}</th></tr></thead>
          <tbody>
            {d.segments.map((s) => (
              <tr key={s.segment}><td>{s.segment}</td><td class="col-integer">{int(s.customers)}</td><td class="col-percent">{pct(s.share)}</td><td class="col-integer">{num(s.recency)}</td><td class="col-integer">{num(s.frequency, 1)}</td><td class="col-money">{yuan(s.monetary)}</td><td>{s.traits.map((t) => <span key={t} class="badge an-reason">{code(t)}</span>)}</td></tr>
            ))}
          </tbody>
        </table>
      </Card>
    </div>
  );
}
