// The Erlang C calculator: a forecast in, the agents needed out, with the
// service level each extra agent buys drawn against the target.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Rec } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { formatNumber } from '../../lib/format';
import { formatDuration, pct } from '../../lib/service';
import { ts, type SvcKey } from '../../lib/service-i18n';
import { Chart, type ChartOption } from '../../components/Chart';
import { errorText } from '../../components/ui';

const FIELDS: [string, SvcKey, number][] = [
  ['calls', 'svc_calls', 100],
  ['interval_s', 'svc_interval', 1800],
  ['aht_s', 'svc_aht', 180],
  ['target_s', 'svc_target', 20],
  ['target_sl', 'svc_target_sl', 80],
  ['shrinkage', 'svc_shrinkage', 30],
];

export function ErlangPage() {
  const [v, setV] = useState<Record<string, string>>(() => Object.fromEntries(FIELDS.map(([k, , d]) => [k, String(d)])));
  const [r, setR] = useState<Rec | null>(null);
  const [problem, setProblem] = useState('');
  const l = locale.value;
  async function calc(e?: Event) {
    e?.preventDefault();
    setProblem('');
    try {
      // Percentages on screen, fractions in the API.
      const q = { ...v, target_sl: String(Number(v.target_sl) / 100), shrinkage: String(Number(v.shrinkage) / 100) };
      setR(await api.get<Rec>('/callcenter/erlang-c', q));
    } catch (err) {
      setR(null);
      setProblem(err instanceof ApiError ? errorText(err) : String(err));
    }
  }
  useEffect(() => {
    document.title = `${ts('svc_erlang')} · Kehu`;
    calc();
  }, []);
  const target = Number(v.target_sl) / 100;
  const curve: ChartOption | null = r && {
    color: ['#2563eb', '#c2410c'], textStyle: { fontFamily: 'inherit' },
    tooltip: { trigger: 'axis', valueFormatter: (x: number) => pct(x, l) },
    grid: { left: 8, right: 16, top: 24, bottom: 24, containLabel: true },
    xAxis: { type: 'category', name: ts('svc_agents'), data: r.table.map((t: Rec) => t.agents) },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (x: number) => pct(x, l) } },
    series: [
      { name: ts('svc_service_level'), type: 'line', data: r.table.map((t: Rec) => t.service_level), markLine: { symbol: 'none', data: [{ yAxis: target, name: ts('svc_target_line') }] } },
      { name: ts('svc_p_wait'), type: 'bar', data: r.table.map((t: Rec) => t.p_wait) },
    ],
  };
  return (
    <section class="page erlang">
      <h1>{ts('svc_erlang')}</h1>
      <form class="card erlang-form" onSubmit={calc}>
        {FIELDS.map(([k, label]) => (
          <label key={k}>
            {ts(label)}
            <input name={k} type="number" step="any" min="0" value={v[k]} onInput={(e) => setV({ ...v, [k]: (e.target as HTMLInputElement).value })} />
          </label>
        ))}
        <button class="btn btn-primary" type="submit">{ts('svc_calculate')}</button>
        {problem && <p class="alert alert-error" role="alert">{problem}</p>}
      </form>
      {r && (
        <>
          <div class="kpis">
            <div class="kpi"><span class="kpi-value" data-kpi="agents">{formatNumber(r.agents, l)}</span><span class="kpi-label">{ts('svc_agents_needed')}</span></div>
            <div class="kpi"><span class="kpi-value" data-kpi="agents_with_shrinkage">{formatNumber(r.agents_with_shrinkage, l)}</span><span class="kpi-label">{ts('svc_agents_rostered')}</span></div>
            <div class="kpi"><span class="kpi-value" data-kpi="service_level">{pct(r.service_level, l)}</span><span class="kpi-label">{ts('svc_service_level')}</span></div>
            <div class="kpi"><span class="kpi-value" data-kpi="p_wait">{pct(r.p_wait, l)}</span><span class="kpi-label">{ts('svc_p_wait')}</span></div>
            <div class="kpi"><span class="kpi-value" data-kpi="asa">{formatDuration(r.asa_s, l)}</span><span class="kpi-label">{ts('svc_asa')}</span></div>
            <div class="kpi"><span class="kpi-value" data-kpi="occupancy">{pct(r.occupancy, l)}</span><span class="kpi-label">{ts('svc_occupancy')}</span></div>
          </div>
          <div class="card chart-card">
            <h2 class="card-title">{ts('svc_sl_curve')}</h2>
            <Chart option={curve!} description={r.table.map((t: Rec) => `${t.agents}: ${pct(t.service_level, l)}`).join('; ')} />
          </div>
        </>
      )}
    </section>
  );
}
