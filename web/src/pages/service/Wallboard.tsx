// The wallboard: today's queue figures and agents by state, updated live
// (a "wallboard" event after call events, at most once a second) and every
// fifteen seconds in any case.
import { useEffect, useState } from 'preact/hooks';
import { api, type Rec } from '../../lib/api';
import { enumLabel, locale } from '../../lib/i18n';
import { formatNumber } from '../../lib/format';
import { formatDuration, pct } from '../../lib/service';
import { ts } from '../../lib/service-i18n';
import { onLiveEvent } from '../../lib/service-events';
import { Chart, type ChartOption } from '../../components/Chart';
import { ErrorBox, Loading } from '../../components/ui';

const STATES = ['available', 'on_call', 'wrap_up', 'break', 'offline'];
const STATE_COLOURS = ['#0f766e', '#2563eb', '#a16207', '#c2410c', '#94a3b8'];

export function WallboardPage() {
  const [w, setW] = useState<Rec | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    document.title = `${ts('svc_wallboard')} · Kehu`;
    const load = () => api.get<Rec>('/callcenter/wallboard').then(setW, setError);
    load();
    const t = setInterval(load, 15000);
    const off = onLiveEvent((e) => {
      if (e.event === 'wallboard') {
        setW(e.data);
        setLive(true);
      }
    });
    return () => {
      clearInterval(t);
      off();
    };
  }, []);
  if (error) return <section class="page"><h1>{ts('svc_wallboard')}</h1><ErrorBox error={error} /></section>;
  if (!w) return <Loading />;
  const l = locale.value;
  const agents: ChartOption = {
    color: STATE_COLOURS, textStyle: { fontFamily: 'inherit' },
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    series: [{ type: 'pie', radius: ['45%', '72%'], data: STATES.map((s) => ({ name: enumLabel('agents', 'state', s), value: w.agents[s] ?? 0 })) }],
  };
  const tiles: [string, string, string][] = [
    ['calls_waiting', ts('svc_calls_waiting'), formatNumber(w.calls_waiting, l)],
    ['longest_wait', ts('svc_longest_wait'), formatDuration(w.longest_wait_seconds, l)],
    ['service_level', ts('svc_service_level'), pct(w.service_level, l)],
    ['asa', ts('svc_asa'), w.asa_seconds === null ? '—' : formatDuration(w.asa_seconds, l)],
    ['abandonment', ts('svc_abandonment'), pct(w.abandonment_rate, l)],
    ['answered', `${ts('svc_answered')} / ${ts('svc_offered')}`, `${formatNumber(w.answered, l)} / ${formatNumber(w.offered, l)}`],
  ];
  return (
    <section class="page wallboard">
      <div class="page-head">
        <h1>{ts('svc_wallboard')}</h1>
        {live && <span class="badge live" aria-live="polite">● {ts('svc_live')}</span>}
      </div>
      <div class="kpis wallboard-tiles">
        {tiles.map(([k, label, value]) => (
          <div class={`kpi ${k === 'calls_waiting' && w.calls_waiting > 0 ? 'kpi-alert' : ''}`} key={k}>
            <span class="kpi-value" data-kpi={k}>{value}</span>
            <span class="kpi-label">{label}</span>
          </div>
        ))}
      </div>
      <div class="charts">
        <div class="card chart-card">
          <h2 class="card-title">{ts('svc_agents_by_state')}</h2>
          <Chart option={agents} description={STATES.map((s) => `${enumLabel('agents', 'state', s)}: ${w.agents[s] ?? 0}`).join('; ')} height={280} />
        </div>
        <div class="card chart-card">
          <h2 class="card-title">{ts('svc_queues')}</h2>
          <table class="table">
            <thead><tr><th>{ts('svc_queues')}</th><th>{ts('svc_calls_waiting')}</th><th>{ts('svc_offered')}</th><th>{ts('svc_service_level')}</th></tr></thead>
            <tbody>
              {(w.queues as Rec[]).map((q) => (
                <tr key={q.queue_id ?? 0}><td>{q.name ?? '—'}</td><td>{q.calls_waiting}</td><td>{q.offered}</td><td>{pct(q.service_level, l)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
