// Complaint analysis: causes by month, top causes with compensation, severity,
// repeat complainers and time to resolve; beside them satisfaction per agent
// and SLA compliance per priority. ECharts, as the dashboard.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Rec } from '../../lib/api';
import { enumLabel, locale } from '../../lib/i18n';
import { formatMoney, formatNumber } from '../../lib/format';
import { pct } from '../../lib/service';
import { ts } from '../../lib/service-i18n';
import { refTitle } from '../../lib/refs';
import { Chart, type ChartOption } from '../../components/Chart';
import { ErrorBox, Loading } from '../../components/ui';
import { RefLink } from '../../components/fields';

const PALETTE = ['#c2410c', '#0f766e', '#2563eb', '#a16207', '#7c3aed', '#be123c', '#4d7c0f', '#0e7490'];
const PERIODS = [30, 90, 365];

interface Data {
  complaints: Rec;
  csat: Rec;
  sla: Rec;
}

export function ComplaintsPage() {
  const [days, setDays] = useState(90);
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  const l = locale.value;
  useEffect(() => {
    document.title = `${ts('svc_complaints')} · Kehu`;
    const from = new Date(Date.now() - days * 86400e3).toISOString();
    setData(null);
    Promise.all([
      api.get<Rec>('/service/complaints/analysis', { from }),
      api.get<Rec>('/service/csat', { group: 'owner', from }),
      api.get<Rec>('/service/sla/report', { group: 'priority', from }),
    ]).then(([complaints, csat, sla]) => setData({ complaints, csat, sla }), setError);
  }, [days]);

  const charts = useMemo(() => {
    if (!data) return null;
    const c = data.complaints;
    const months: string[] = [...new Set<string>(c.by_month.map((g: Rec) => g.month))].sort();
    const causes: string[] = [...new Set<string>(c.by_month.map((g: Rec) => g.cause ?? 'other'))];
    const textStyle = { fontFamily: 'inherit' };
    const byMonth: ChartOption = {
      color: PALETTE, textStyle,
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: months },
      yAxis: { type: 'value', minInterval: 1 },
      series: causes.map((cause) => ({
        name: enumLabel('cases', 'complaint_cause', cause), type: 'bar', stack: 'c',
        data: months.map((m) => c.by_month.find((g: Rec) => g.month === m && (g.cause ?? 'other') === cause)?.count ?? 0),
      })),
    };
    const top: ChartOption = {
      color: PALETTE, textStyle,
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: c.top_causes.map((g: Rec) => enumLabel('cases', 'complaint_cause', g.cause) || '—') },
      series: [{ type: 'bar', data: c.top_causes.map((g: Rec) => g.count), label: { show: true, position: 'right' } }],
    };
    const severity: ChartOption = {
      color: ['#be123c', '#c2410c', '#a16207', '#94a3b8'], textStyle,
      tooltip: { trigger: 'item' },
      series: [{ type: 'pie', radius: ['40%', '70%'], data: c.by_severity.map((g: Rec) => ({ name: enumLabel('cases', 'severity', g.severity) || '—', value: g.count })) }],
    };
    const agents = data.csat.groups as Rec[];
    const csat: ChartOption = {
      color: ['#0f766e'], textStyle,
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: agents.map((g) => refTitle('users', g.key) ?? `#${g.key}`) },
      yAxis: { type: 'value', min: 0, max: 5 },
      series: [{ type: 'bar', data: agents.map((g) => Math.round(g.average * 100) / 100), label: { show: true, position: 'top' } }],
    };
    const slaGroups = data.sla.groups as Rec[];
    const sla: ChartOption = {
      color: ['#2563eb'], textStyle,
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => pct(v, l) },
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: slaGroups.map((g) => enumLabel('cases', 'priority', g.key) || '—') },
      yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v: number) => pct(v, l) } },
      series: [{ type: 'bar', data: slaGroups.map((g) => g.compliance ?? 0) }],
    };
    return { byMonth, top, severity, csat, sla, causes, months };
  }, [data, l]);

  if (error) return <section class="page"><h1>{ts('svc_complaints')}</h1><ErrorBox error={error} /></section>;
  if (!data || !charts) return <Loading />;
  const c = data.complaints;
  const total = c.top_causes.reduce((s: number, g: Rec) => s + g.count, 0);
  const compensation = c.top_causes.reduce((s: number, g: Rec) => s + (g.compensation ?? 0), 0);
  const ttr = c.time_to_resolve;
  const describe = (rows: [string, number][]) => rows.map(([k, v]) => `${k}: ${formatNumber(v, l)}`).join('; ');
  return (
    <section class="page service-analysis">
      <div class="page-head">
        <h1>{ts('svc_complaints')}</h1>
        <label>
          {ts('svc_period')}{' '}
          <select value={days} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
            {PERIODS.map((d) => <option key={d} value={d}>{ts('svc_last_n_days', { n: d })}</option>)}
          </select>
        </label>
      </div>
      <div class="kpis">
        <div class="kpi"><span class="kpi-value" data-kpi="complaints">{formatNumber(total, l)}</span><span class="kpi-label">{ts('svc_complaints_n', { n: '' }).trim()}</span></div>
        <div class="kpi"><span class="kpi-value">{formatMoney(compensation, 'CNY', l)}</span><span class="kpi-label">{ts('svc_compensation')}</span></div>
        <div class="kpi"><span class="kpi-value">{ttr.average_hours === null ? '—' : formatNumber(Math.round(ttr.average_hours * 10) / 10, l)}</span>
          <span class="kpi-label">{ts('svc_ttr')} · {ts('svc_ttr_avg', { h: ttr.average_hours === null ? '—' : (Math.round(ttr.average_hours * 10) / 10).toString(), m: ttr.median_hours === null ? '—' : (Math.round(ttr.median_hours * 10) / 10).toString(), n: ttr.resolved })}</span></div>
      </div>
      {total === 0 ? <p class="alert alert-warn">{ts('svc_no_data')}</p> : null}
      <div class="charts">
        <div class="card chart-card chart-wide">
          <h2 class="card-title">{ts('svc_causes_by_month')}</h2>
          <Chart option={charts.byMonth} description={describe(charts.causes.map((k) => [enumLabel('cases', 'complaint_cause', k), c.by_month.filter((g: Rec) => (g.cause ?? 'other') === k).reduce((s: number, g: Rec) => s + g.count, 0)]))} />
        </div>
        <div class="card chart-card">
          <h2 class="card-title">{ts('svc_top_causes')}</h2>
          <Chart option={charts.top} description={describe(c.top_causes.map((g: Rec) => [enumLabel('cases', 'complaint_cause', g.cause), g.count]))} height={260} />
        </div>
        <div class="card chart-card">
          <h2 class="card-title">{ts('svc_by_severity')}</h2>
          <Chart option={charts.severity} description={describe(c.by_severity.map((g: Rec) => [enumLabel('cases', 'severity', g.severity), g.count]))} height={260} />
        </div>
        <div class="card chart-card">
          <h2 class="card-title">{ts('svc_csat_by_agent')}</h2>
          <Chart option={charts.csat} description={describe(data.csat.groups.map((g: Rec) => [refTitle('users', g.key) ?? `#${g.key}`, g.average]))} height={260} />
        </div>
        <div class="card chart-card">
          <h2 class="card-title">{ts('svc_sla_compliance')}</h2>
          <Chart option={charts.sla} description={describe(data.sla.groups.map((g: Rec) => [enumLabel('cases', 'priority', g.key), g.compliance ?? 0]))} height={260} />
        </div>
        <div class="card chart-card chart-wide">
          <h2 class="card-title">{ts('svc_repeat')}</h2>
          {c.repeat_complainers.length === 0 ? <p class="muted">{ts('svc_no_data')}</p> : (
            <ul class="repeaters">
              {c.repeat_complainers.map((r: Rec) => (
                <li key={r.contact_id}><RefLink entity="contacts" id={r.contact_id} /> · {ts('svc_complaints_n', { n: r.complaints })}</li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
