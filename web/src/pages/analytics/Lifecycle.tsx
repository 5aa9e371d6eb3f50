// Lifecycle: stages today, stages month by month, and the flows between the
// start and the end of the period as a Sankey diagram.
import { locale } from '../../lib/i18n';
import { code, ta } from '../../lib/analytics-i18n';
import { sankey, type Flow } from '../../lib/analytics';
import { AChart } from './AChart';
import { Card, Loaded, useApi } from './common';

const STAGES = ['prospect', 'new', 'active', 'won_back', 'at_risk', 'churned'];
const STAGE_COLOR: Record<string, string> = { prospect: '#94a3b8', new: '#2563eb', active: '#0f766e', won_back: '#7c3aed', at_risk: '#b45309', churned: '#be123c' };
interface Life {
  as_of: string;
  stages: { stage: string; customers: number }[];
  months: Record<string, any>[];
  transition: { from: string; to: string; flows: Flow[] };
}

export function LifecyclePage() {
  const s = useApi<Life>('/analytics/lifecycle', { limit: 0, months: 12 });
  locale.value;
  return <Loaded s={s}>{(d) => <LifeView d={d} />}</Loaded>;
}

function LifeView({ d }: { d: Life }) {
  const sk = sankey(d.transition.flows, code);
  const months = d.months.map((m) => String(m.date).slice(0, 7));
  return (
    <div class="an-grid">
      <Card title={ta('an_flow')} wide name="sankey">
        <p class="an-note">{ta('an_flow_desc', { from: d.transition.from, to: d.transition.to })}</p>
        <AChart name="sankey" height={380}
          description={d.transition.flows.map((f) => `${code(f.from)} → ${code(f.to)}: ${f.customers}`).join(', ')}
          option={{
            tooltip: { trigger: 'item', formatter: (p: any) => (p.dataType === 'edge' ? `${code(p.data.source)} → ${code(p.data.target.replace('\u200b', ''))}: ${p.data.value}` : `${code(p.name.replace('\u200b', ''))}: ${p.value}`) },
            series: [{
              type: 'sankey', left: 8, right: 96, nodeGap: 12, emphasis: { focus: 'adjacency' },
              data: sk.nodes.map((n) => ({ name: n.name, label: { formatter: n.label }, itemStyle: { color: STAGE_COLOR[n.name.replace('\u200b', '')] } })),
              links: sk.links, lineStyle: { color: 'source', opacity: 0.35 },
            }],
          }} />
      </Card>
      <Card title={ta('an_stages_months')} wide name="stages">
        <AChart name="stages" height={300}
          description={STAGES.map((s) => `${code(s)} ${d.months[d.months.length - 1]?.[s] ?? 0}`).join(', ')}
          option={{
            tooltip: { trigger: 'axis' },
            legend: { top: 0 },
            grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
            xAxis: { type: 'category', data: months },
            yAxis: { type: 'value' },
            series: STAGES.map((s) => ({ name: code(s), type: 'bar', stack: 'all', itemStyle: { color: STAGE_COLOR[s] }, data: d.months.map((m) => m[s] ?? 0) })),
          }} />
      </Card>
    </div>
  );
}
