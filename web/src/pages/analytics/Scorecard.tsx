// The balanced scorecard: four perspectives of KPIs against their targets,
// each with its monthly trend, and the strategy map of what drives what.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { user } from '../../lib/session';
import { errorText, toast } from '../../components/ui';
import { ta, type AKey } from '../../lib/analytics-i18n';
import { statusColor } from '../../lib/analytics';
import { AChart } from './AChart';
import { Card, Loaded, num, useApi, yuan } from './common';

interface Kpi { id: string; label_en: string; label_zh: string; unit: string; value: number | null; target: number; threshold: number; status: string; trend: (number | null)[]; higher_is_better: boolean }
interface Card4 { id: string; label_en: string; label_zh: string; score: number | null; kpis: Kpi[] }
interface Score { as_of: string; months: string[]; perspectives: Card4[]; score: number | null; links: { from: string; to: string }[] }

export function ScorecardPage() {
  const [version, setVersion] = useState(0);
  const s = useApi<Score>('/analytics/scorecard', { months: 12 }, version);
  locale.value;
  return <Loaded s={s}>{(d) => <>
    <Board d={d} />
    {user.value?.role === 'admin' && <Targets key={version} d={d} onSaved={() => setVersion(version + 1)} />}
  </>}</Loaded>;
}

/** Administrators set each KPI's target and threshold (the amber line);
 *  only the changed ones are sent, and a refusal is shown at its KPI. */
function Targets({ d, onSaved }: { d: Score; onSaved: () => void }) {
  const zh = locale.value === 'zh-CN';
  const kpis = d.perspectives.flatMap((p) => p.kpis);
  const [edit, setEdit] = useState<Record<string, { target: string; threshold: string }>>(() =>
    Object.fromEntries(kpis.map((k) => [k.id, { target: String(k.target ?? ''), threshold: String(k.threshold ?? '') }])));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = (id: string, f: 'target' | 'threshold', v: string) => setEdit({ ...edit, [id]: { ...edit[id], [f]: v } });
  async function save(e: Event) {
    e.preventDefault();
    const body: Record<string, { target: number; threshold: number }> = {};
    for (const k of kpis) {
      const x = edit[k.id];
      if (Number(x.target) !== k.target || Number(x.threshold) !== k.threshold) body[k.id] = { target: Number(x.target), threshold: Number(x.threshold) };
    }
    if (!Object.keys(body).length) return;
    try {
      await api.put('/analytics/scorecard/targets', body);
      setErrors({});
      toast(ta('an_saved'));
      onSaved();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields ?? {}).length) setErrors(err.fields as Record<string, string>);
      else toast(errorText(err), 'error');
    }
  }
  return (
    <Card title={ta('an_targets')} wide name="targets">
      <form onSubmit={save}>
        <table class="table table-compact" data-table="targets">
          <thead><tr><th>KPI</th><th>{ta('an_target')}</th><th>{ta('an_threshold')}</th><th /></tr></thead>
          <tbody>
            {kpis.map((k) => (
              <tr key={k.id} data-kpi={k.id}>
                <td>{zh ? k.label_zh : k.label_en}{k.unit ? ` (${k.unit})` : ''}</td>
                <td><input type="number" step="any" name={`${k.id}.target`} aria-label={`${zh ? k.label_zh : k.label_en} ${ta('an_target')}`}
                  value={edit[k.id].target} onInput={(e) => set(k.id, 'target', (e.target as HTMLInputElement).value)} /></td>
                <td><input type="number" step="any" name={`${k.id}.threshold`} aria-label={`${zh ? k.label_zh : k.label_en} ${ta('an_threshold')}`}
                  value={edit[k.id].threshold} onInput={(e) => set(k.id, 'threshold', (e.target as HTMLInputElement).value)} /></td>
                <td class="field-error" role={errors[k.id] ? 'alert' : undefined}>{errors[k.id] ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="submit" class="btn btn-primary">{ta('an_save_targets')}</button>
      </form>
    </Card>
  );
}

function fmt(k: Kpi, v: number | null) {
  if (v === null || v === undefined) return '—';
  if (k.unit === 'CNY') return yuan(v);
  if (k.unit === '%') return `${num(v, 1)}%`;
  if (k.unit === 'h') return `${num(v, 1)} h`;
  return num(v, k.id === 'activities_per_customer' ? 2 : 1);
}

function Board({ d }: { d: Score }) {
  const zh = locale.value === 'zh-CN';
  const label = (o: { label_en: string; label_zh: string }) => (zh ? o.label_zh : o.label_en);
  const kpis = d.perspectives.flatMap((p) => p.kpis.map((k) => ({ ...k, p: p.id })));
  const col: Record<string, number> = { knowledge: 0, interaction: 1, customer: 2, company: 3 };
  const row: Record<string, number> = {};
  return (
    <>
      <p class="an-note">{ta('an_as_of', { date: d.as_of })} · {ta('an_scorecard_score', { score: num(d.score, 0) })}</p>
      <div class="an-grid">
        {d.perspectives.map((p) => (
          <Card key={p.id} title={`${ta(`an_perspective_${p.id}` as AKey)} · ${num(p.score, 0)}`} name={`perspective-${p.id}`}>
            <div class="an-kpis">
              {p.kpis.map((k) => (
                <div key={k.id} class="an-kpi" data-kpi={k.id} data-status={k.status} style={{ '--kpi': statusColor(k.status) } as any}>
                  <div class="an-kpi-meta">{label(k)}</div>
                  <div class="an-kpi-value">{fmt(k, k.value)}</div>
                  <div class="an-kpi-meta">{ta(`an_status_${k.status}` as AKey)} · {ta('an_target')} {fmt(k, k.target)} · {ta('an_threshold')} {fmt(k, k.threshold)}</div>
                  {k.trend.length > 0 && (
                    <AChart name={`trend-${k.id}`} height={60} description={`${label(k)}: ${k.trend.map((v) => fmt(k, v)).join(', ')}`}
                      option={{ grid: { left: 2, right: 2, top: 4, bottom: 2 }, xAxis: { type: 'category', show: false, data: d.months }, yAxis: { type: 'value', show: false, scale: true }, tooltip: { trigger: 'axis' }, series: [{ type: 'line', showSymbol: false, data: k.trend, lineStyle: { color: statusColor(k.status) } }] }} />
                  )}
                </div>
              ))}
            </div>
          </Card>
        ))}
        <Card title={ta('an_strategy_map')} wide name="strategy-map">
          <AChart name="strategy-map" height={420} description={d.links.map((l) => `${l.from} → ${l.to}`).join(', ')}
            option={{
              tooltip: {},
              series: [{
                type: 'graph', layout: 'none', symbol: 'roundRect', symbolSize: [150, 40], edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 8,
                label: { show: true, color: '#0f172a', fontSize: 11, formatter: (x: any) => x.data.title },
                data: kpis.map((k) => {
                  const r = (row[k.p] = (row[k.p] ?? -1) + 1);
                  return { name: k.id, title: label(k), x: r * 180, y: (3 - col[k.p]) * 110, itemStyle: { color: '#fff', borderColor: statusColor(k.status), borderWidth: 3 } };
                }),
                links: d.links.map((l) => ({ source: l.from, target: l.to, lineStyle: { color: '#94a3b8', curveness: 0.15 } })),
              }],
            }} />
        </Card>
      </div>
    </>
  );
}
