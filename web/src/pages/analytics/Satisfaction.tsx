// The satisfaction index model (ACSI, ECSI or a survey's own), estimated by
// PLS from a survey's answers: the path diagram with the coefficients on the
// arrows, and each latent variable's reliability and 0-100 index.
import { useState } from 'preact/hooks';
import { type Rec } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { code, ta } from '../../lib/analytics-i18n';
import { pathLayout } from '../../lib/analytics';
import { AChart } from './AChart';
import { Card, Figure, Loaded, num, useApi } from './common';

interface Pls {
  model: string;
  scheme: string;
  respondents: number;
  latent: { name: string; r2: number; ave: number; composite_reliability: number; alpha: number; index: number }[];
  paths: { from: string; to: string; coef: number; se: number | null }[];
  satisfaction_index: number | null;
}

export function SatisfactionPage() {
  const list = useApi<{ data: Rec[] }>('/surveys', { 'kind[in]': 'acsi,ecsi,custom', limit: 100, sort: '-id' });
  const [survey, setSurvey] = useState<number | null>(null);
  const [scheme, setScheme] = useState('path');
  locale.value;
  const chosen = survey ?? list.data?.data[0]?.id ?? null;
  const pls = useApi<Pls>(chosen ? '/analytics/satisfaction' : null, { survey: chosen ?? 0, scheme });
  return (
    <>
      <div class="an-toolbar">
        <label>{ta('an_pick_survey')}
          <select name="survey" value={chosen ?? ''} onChange={(e) => setSurvey(Number((e.target as HTMLSelectElement).value))}>
            {(list.data?.data ?? []).map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </select>
        </label>
        <label>{ta('an_scheme')}
          <select name="scheme" value={scheme} onChange={(e) => setScheme((e.target as HTMLSelectElement).value)}>
            {['path', 'centroid', 'factorial'].map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
      </div>
      {chosen ? <Loaded s={pls}>{(d) => <Model d={d} />}</Loaded> : <p class="muted">{ta('an_pick_survey')}</p>}
    </>
  );
}

function Model({ d }: { d: Pls }) {
  const pos = pathLayout(d.latent.map((l) => l.name), d.paths);
  const byName = Object.fromEntries(d.latent.map((l) => [l.name, l]));
  return (
    <div class="an-grid">
      <Card title={ta('an_model_diagram')} wide name="diagram">
        <p class="an-note">{ta('an_model_desc', { scheme: d.scheme, n: d.respondents })}</p>
        {d.satisfaction_index !== null && <div class="figures"><Figure label={ta('an_satisfaction_index')} value={num(d.satisfaction_index, 1)} /></div>}
        <AChart name="diagram" height={420}
          description={d.paths.map((p) => `${code(p.from)} → ${code(p.to)} ${num(p.coef, 3)}`).join(', ')}
          option={{
            tooltip: {},
            series: [{
              type: 'graph', layout: 'none', roam: false, symbol: 'roundRect', symbolSize: [132, 52],
              edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 10,
              label: { show: true, formatter: (p: any) => `${code(p.name)}\nR² ${num(byName[p.name].r2, 2)}` },
              edgeLabel: { show: true, formatter: (p: any) => num(p.data.value, 3), fontSize: 12 },
              data: d.latent.map((l) => ({ name: l.name, x: pos[l.name][0], y: pos[l.name][1], itemStyle: { color: l.name === 'Satisfaction' ? '#fed7aa' : '#e0f2fe', borderColor: '#64748b' }, label: { color: '#0f172a' } })),
              links: d.paths.map((p) => ({ source: p.from, target: p.to, value: p.coef, lineStyle: { width: 1 + 6 * Math.abs(p.coef), color: p.coef >= 0 ? '#0f766e' : '#be123c', curveness: 0.1 } })),
            }],
          }} />
      </Card>
      <Card title={ta('an_latent')} wide name="latent">
        <table class="table table-compact" data-table="latent">
          <thead><tr><th>{ta('an_latent')}</th><th class="num">{ta('an_r2')}</th><th class="num">{ta('an_ave')}</th><th class="num">{ta('an_reliability')}</th><th class="num">{ta('an_alpha')}</th><th class="num">{ta('an_index')}</th></tr></thead>
          <tbody>
            {d.latent.map((l) => <tr key={l.name}><td>{code(l.name)}</td><td class="num">{num(l.r2, 3)}</td><td class="num">{num(l.ave, 3)}</td><td class="num">{num(l.composite_reliability, 3)}</td><td class="num">{num(l.alpha, 3)}</td><td class="num">{num(l.index, 1)}</td></tr>)}
          </tbody>
        </table>
      </Card>
    </div>
  );
}
