// The forecast: won, committed, best-case and pipeline amounts per period
// against quotas (a stacked bar chart with weighted and quota lines), the
// table by owner or team, the funnel, won and lost by reason, stuck deals.
import { useEffect, useState } from 'preact/hooks';
import { api, type ListPage, type Rec } from '../../lib/api';
import { parseMoney } from '../../lib/format';
import { errorText, toast } from '../../components/ui';
import { enumLabel, locale } from '../../lib/i18n';
import { formatMoney, formatMoneyCompact, formatNumber } from '../../lib/format';
import { forecastSeries, type ForecastCell } from '../../lib/sales';
import { st } from '../../lib/sales-i18n';
import { ErrorBox, Link, Loading } from '../../components/ui';
import { Chart, type ChartOption } from '../../components/Chart';

interface Forecast {
  periods: string[];
  rows: { owner_id?: number | null; team_id?: number | null; name: string | null; periods: ForecastCell[]; total: ForecastCell }[];
  totals: ForecastCell[];
  total: ForecastCell;
  excluded_other_currency: number;
}

const pct = (x: number | null | undefined, l: string) =>
  x === null || x === undefined ? '—' : new Intl.NumberFormat(l, { style: 'percent', maximumFractionDigits: 1 }).format(x);

export function ForecastPage() {
  const [period, setPeriod] = useState<'month' | 'quarter'>('month');
  const [group, setGroup] = useState<'owner' | 'team'>('owner');
  const [f, setF] = useState<Forecast | null>(null);
  const [more, setMore] = useState<{ funnel: any; wl: any; stuck: any } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const l = locale.value;
  useEffect(() => {
    document.title = `${st('s_forecast')} · Kehu`;
    api.get<Forecast>('/sales/forecast', { period, group }).then(setF, setError);
  }, [period, group]);
  useEffect(() => {
    Promise.all([api.get('/sales/funnel'), api.get('/sales/win-loss', { by: 'reason' }), api.get('/sales/stuck', { idle_days: 14, limit: 50 })])
      .then(([funnel, wl, stuck]) => setMore({ funnel, wl, stuck }), setError);
  }, []);
  if (error) return <section class="page"><h1>{st('s_forecast')}</h1><ErrorBox error={error} /></section>;
  if (!f) return <Loading />;
  const money = (v: number) => formatMoney(v * 100, 'CNY', l);
  const short = (v: number) => formatMoneyCompact(v * 100, 'CNY', l);
  const s = forecastSeries(f.totals);
  const option: ChartOption = {
    color: ['#0f766e', '#2563eb', '#a16207', '#94a3b8', '#c2410c', '#111827'],
    textStyle: { fontFamily: 'inherit' },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => (v === null ? '—' : money(v)) },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: s.periods },
    yAxis: { type: 'value', axisLabel: { formatter: short } },
    series: [
      { name: st('s_won'), type: 'bar', stack: 'f', data: s.won, barMaxWidth: 44 },
      { name: st('s_commit'), type: 'bar', stack: 'f', data: s.commit },
      { name: st('s_best_case'), type: 'bar', stack: 'f', data: s.best_case },
      { name: st('s_pipeline'), type: 'bar', stack: 'f', data: s.pipeline },
      { name: st('s_weighted'), type: 'line', data: s.weighted, symbolSize: 7 },
      { name: st('s_quota'), type: 'line', data: s.quota, lineStyle: { type: 'dashed' }, connectNulls: false },
    ],
  };
  const desc = `${st('s_forecast')}: ` + f.totals.map((c) => `${c.period} ${st('s_won')} ${formatMoney(c.won, 'CNY', l)}, ${st('s_commit')} ${formatMoney(c.commit, 'CNY', l)}, ${st('s_weighted')} ${formatMoney(c.weighted, 'CNY', l)}`).join('; ');
  const cell = (c: ForecastCell) => (
    <>
      <td class="num">{formatMoney(c.won, 'CNY', l)}</td>
      <td class="num">{formatMoney(c.forecast, 'CNY', l)}</td>
      <td class="num">{formatMoney(c.weighted, 'CNY', l)}</td>
      <td class="num">{c.quota === null ? '—' : formatMoney(c.quota, 'CNY', l)}</td>
      <td class="num">{pct(c.attainment, l)}</td>
    </>
  );
  let funnelOpt: ChartOption | null = null, wlOpt: ChartOption | null = null;
  if (more) {
    const stages = more.funnel.stages.filter((x: any) => x.stage !== 'closed_lost');
    funnelOpt = {
      color: ['#2563eb'], textStyle: { fontFamily: 'inherit' },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      yAxis: { type: 'category', inverse: true, data: stages.map((x: any) => enumLabel('opportunities', 'stage', x.stage)) },
      xAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data: stages.map((x: any) => x.reached), label: { show: true, position: 'right' } }],
    };
    const lost = more.wl.groups.filter((g: any) => g.lost > 0);
    wlOpt = {
      color: ['#be123c', '#c2410c', '#a16207', '#7c3aed', '#475569', '#0e7490'], textStyle: { fontFamily: 'inherit' },
      tooltip: { trigger: 'item' }, legend: { type: 'scroll', orient: 'vertical', right: 8, top: 'middle' },
      series: [{ type: 'pie', radius: ['40%', '70%'], center: ['35%', '50%'], label: { show: false },
        data: lost.map((g: any) => ({ name: g.key ?? '—', value: g.lost })) }],
    };
  }
  return (
    <section class="page sales-forecast" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{st('s_forecast')}</h1>
        <div class="toolbar">
          <label class="filter">{st('s_period')}{' '}
            <select id="fc-period" value={period} onChange={(e) => setPeriod((e.target as HTMLSelectElement).value as any)}>
              <option value="month">{st('s_month')}</option>
              <option value="quarter">{st('s_quarter')}</option>
            </select>
          </label>
          <label class="filter">{st('s_group')}{' '}
            <select id="fc-group" value={group} onChange={(e) => setGroup((e.target as HTMLSelectElement).value as any)}>
              <option value="owner">{st('s_owner')}</option>
              <option value="team">{st('s_team')}</option>
            </select>
          </label>
        </div>
      </div>
      <p class="muted help">{st('s_forecast_help')}</p>
      <div class="kpis">
        <div class="kpi"><span class="kpi-value">{formatMoneyCompact(f.total.won, 'CNY', l)}</span><span class="kpi-label">{st('s_won')}</span></div>
        <div class="kpi"><span class="kpi-value">{formatMoneyCompact(f.total.forecast, 'CNY', l)}</span><span class="kpi-label">{st('s_forecast_total')}</span></div>
        <div class="kpi"><span class="kpi-value">{formatMoneyCompact(f.total.weighted, 'CNY', l)}</span><span class="kpi-label">{st('s_weighted')}</span></div>
        <div class="kpi"><span class="kpi-value">{pct(f.total.attainment, l)}</span><span class="kpi-label">{st('s_attainment')}</span></div>
      </div>
      <div class="charts">
        <section class="card chart-card chart-wide" aria-labelledby="fc-chart">
          <h2 class="card-title" id="fc-chart">{st('s_forecast')}</h2>
          <Chart option={option} description={desc} height={320} />
        </section>
      </div>
      {f.excluded_other_currency > 0 && <p class="muted">{st('s_other_currency', { n: f.excluded_other_currency })}</p>}
      <div class="table-wrap card">
        <table class="table forecast-table">
          <thead>
            <tr><th>{group === 'team' ? st('s_team') : st('s_owner')}</th><th>{st('s_period')}</th><th class="num">{st('s_won')}</th><th class="num">{st('s_forecast_total')}</th><th class="num">{st('s_weighted')}</th><th class="num">{st('s_quota')}</th><th class="num">{st('s_attainment')}</th></tr>
          </thead>
          <tbody>
            {f.rows.flatMap((r) => r.periods.filter((c) => c.won || c.forecast || c.weighted || c.quota).map((c, i) => (
              <tr key={`${r.owner_id ?? r.team_id}-${c.period}`}>
                <td>{i === 0 ? (r.name ?? st('s_nobody')) : ''}</td><td>{c.period}</td>{cell(c)}
              </tr>
            )))}
            <tr class="total-row"><th>{st('s_total')}</th><td></td>{cell(f.total)}</tr>
          </tbody>
        </table>
      </div>
      <QuotaForm onDone={() => api.get<Forecast>('/sales/forecast', { period, group }).then(setF, setError)} />
      {more && (
        <div class="charts">
          <section class="card chart-card" aria-labelledby="fc-funnel">
            <h2 class="card-title" id="fc-funnel">{st('s_funnel')}</h2>
            <p class="muted">{st('s_win_rate')}: {pct(more.funnel.win_rate, l)} · {st('s_cycle')}: {more.funnel.avg_cycle_days_won ?? '—'}</p>
            <Chart option={funnelOpt!} description={`${st('s_funnel')}: ` + more.funnel.stages.map((x: any) => `${x.stage} ${x.reached}`).join('; ')} height={260} />
          </section>
          <section class="card chart-card" aria-labelledby="fc-wl">
            <h2 class="card-title" id="fc-wl">{st('s_win_loss')}</h2>
            <p class="muted">{st('s_win_rate')}: {pct(more.wl.win_rate, l)}</p>
            <Chart option={wlOpt!} description={`${st('s_win_loss')}: ` + more.wl.groups.map((g: any) => `${g.key ?? '—'} ${g.won}/${g.lost}`).join('; ')} height={260} />
          </section>
          <section class="card chart-wide" aria-labelledby="fc-stuck">
            <h2 class="card-title" id="fc-stuck">{st('s_stuck')}</h2>
            <p class="muted">{st('s_stuck_help', { n: 14 })}</p>
            {more.stuck.data.length === 0 ? <p class="muted">{st('s_stuck_none')}</p> : (
              <table class="table table-compact stuck-table">
                <tbody>
                  {more.stuck.data.map((d: any) => (
                    <tr key={d.id}>
                      <td><Link href={`/opportunities/${d.id}`}>{d.name}</Link></td>
                      <td>{enumLabel('opportunities', 'stage', d.stage)}</td>
                      <td class="num">{formatMoney(d.amount, d.currency, l)}</td>
                      <td class="num">{formatNumber(d.days_in_stage, l)} / {d.stage_limit_days ?? '—'}</td>
                      <td>{d.reasons.map((x: string) => st(x === 'no_activity' ? 's_reason_no_activity' : 's_reason_over_stage_time')).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </div>
      )}
    </section>
  );
}

/** Managers set a user's or team's quota for a month or quarter here. */
function QuotaForm({ onDone }: { onDone: () => void }) {
  const [users, setUsers] = useState<Rec[]>([]);
  const [teams, setTeams] = useState<Rec[]>([]);
  const [who, setWho] = useState('');
  const [period, setPeriod] = useState(new Date().toISOString().slice(0, 7));
  const [amount, setAmount] = useState('');
  useEffect(() => {
    api.get<ListPage>('/users', { limit: 200, sort: 'username' }).then((p) => setUsers(p.data), () => {});
    api.get<ListPage>('/teams', { limit: 200 }).then((p) => setTeams(p.data), () => {});
  }, []);
  async function save(e: Event) {
    e.preventDefault();
    const [kind, id] = who.split(':');
    try {
      await api.put('/sales/quotas', { quotas: [{ [kind === 't' ? 'team_id' : 'user_id']: Number(id), period, amount: parseMoney(amount) ?? 0 }] });
      toast(st('s_saved'));
      onDone();
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  return (
    <form class="card form quota-form" onSubmit={save}>
      <h2 class="card-title">{st('s_quota')}</h2>
      <div class="form-grid">
        <label class="field">{st('s_group')}
          <select id="quota-who" required value={who} onChange={(e) => setWho((e.target as HTMLSelectElement).value)}>
            <option value="">—</option>
            {users.map((u) => <option key={`u${u.id}`} value={`u:${u.id}`}>{u.display_name ?? u.username}</option>)}
            {teams.map((t) => <option key={`t${t.id}`} value={`t:${t.id}`}>{st('s_team')}: {t.name}</option>)}
          </select>
        </label>
        <label class="field">{st('s_period')}<input id="quota-period" required pattern="\d{4}-(0[1-9]|1[0-2]|Q[1-4])" placeholder="2026-03 / 2026-Q1" value={period} onInput={(e) => setPeriod((e.target as HTMLInputElement).value)} /></label>
        <label class="field">{st('s_quota')}<input id="quota-amount" required inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} /></label>
      </div>
      <button class="btn btn-primary">{st('s_save')}</button>
    </form>
  );
}
