// The manager's view: revenue by month, pipeline by stage, new leads by source,
// open cases by status and priority, all from the aggregate API, drawn by ECharts.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { field } from '../lib/meta';
import { enumLabel, locale, t } from '../lib/i18n';
import { formatMoney, formatMoneyCompact, formatNumber } from '../lib/format';
import { entities } from '../lib/session';
import { byKey, byMonth, crossTab, lastMonths, monthsAgoStart, type Group } from '../lib/dashboard';
import { ErrorBox, Link, Loading } from '../components/ui';
import { Chart, type ChartOption } from '../components/Chart';

const OPEN_CASES = ['new', 'assigned', 'in_progress', 'waiting'];
const PALETTE = ['#c2410c', '#0f766e', '#2563eb', '#a16207', '#7c3aed', '#be123c', '#4d7c0f', '#0e7490', '#9333ea', '#b45309', '#475569', '#db2777'];

interface Data {
  revenue: Group[];
  pipeline: Group[];
  leads: Group[];
  cases: Group[];
}

async function aggregate(entity: string, q: Record<string, string>) {
  return (await api.get<{ groups: Group[] }>(`/${entity}/aggregate`, q)).groups;
}

export function DashboardPage() {
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  const l = locale.value;
  const months = useMemo(() => lastMonths(12), []);

  useEffect(() => {
    document.title = `${t('dash_title')} · Kehu`;
    const since90 = new Date(Date.now() - 90 * 86400e3).toISOString();
    Promise.all([
      aggregate('orders', { group: 'order_date:month', measures: 'count,sum:total_amount', 'order_date[gte]': monthsAgoStart(12), 'status[ne]': 'cancelled' }),
      aggregate('opportunities', { group: 'stage', measures: 'count,sum:amount', status: 'open' }),
      aggregate('leads', { group: 'source', measures: 'count', 'created_at[gte]': since90 }),
      aggregate('cases', { group: 'status,priority', measures: 'count', 'status[in]': OPEN_CASES.join(',') }),
    ]).then(([revenue, pipeline, leads, cases]) => setData({ revenue, pipeline, leads, cases }), setError);
  }, []);

  if (error) {
    const missing = error instanceof ApiError && error.status === 404;
    return (
      <section class="page">
        <h1>{t('dash_title')}</h1>
        {missing ? <p class="alert alert-warn">{t('dash_unavailable')}</p> : <ErrorBox error={error} />}
        <p><Link href="/pipeline">{t('nav_pipeline')} →</Link></p>
      </section>
    );
  }
  if (!data) return <Loading />;

  const opp = entities.value.get('opportunities')!;
  const stages = (field(opp, 'stage')?.values ?? []).filter((s) => !s.startsWith('closed'));
  const leadSources = field(entities.value.get('leads')!, 'source')?.values ?? [];
  const priorities = field(entities.value.get('cases')!, 'priority')?.values ?? [];

  const revenue = byMonth(data.revenue, 'order_date', 'sum_total_amount', months);
  const orders = byMonth(data.revenue, 'order_date', 'count', months);
  const pipe = byKey(data.pipeline, 'stage', 'sum_amount', stages);
  const pipeCount = byKey(data.pipeline, 'stage', 'count', stages);
  const leads = byKey(data.leads, 'source', 'count', leadSources);
  const cases = crossTab(data.cases, 'status', 'priority', OPEN_CASES, priorities);

  const money = (v: number) => formatMoney(v, 'CNY', l);
  const moneyShort = (v: number) => formatMoneyCompact(v, 'CNY', l);
  const monthLabel = (m: string) =>
    new Intl.DateTimeFormat(l, { year: '2-digit', month: 'short', timeZone: 'UTC' }).format(new Date(`${m}-01T00:00:00Z`));
  const textStyle = { fontFamily: 'inherit' };

  const revenueOpt: ChartOption = {
    color: PALETTE,
    textStyle,
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => money(v) },
    grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: months.map(monthLabel) },
    yAxis: { type: 'value', axisLabel: { formatter: moneyShort } },
    series: [{ name: t('value_revenue'), type: 'bar', data: revenue, barMaxWidth: 36, itemStyle: { borderRadius: [4, 4, 0, 0] } }],
  };
  const pipelineOpt: ChartOption = {
    color: ['#0f766e'],
    textStyle,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps: any) => {
        const p = ps[0];
        return `${p.name}<br/>${money(p.value)} · ${t('pipeline_count', { n: formatNumber(pipeCount[p.dataIndex]?.value ?? 0, l) })}`;
      },
    },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    yAxis: { type: 'category', inverse: true, data: pipe.map((x) => enumLabel('opportunities', 'stage', x.key ?? '')) },
    xAxis: { type: 'value', axisLabel: { formatter: moneyShort } },
    series: [{ type: 'bar', data: pipe.map((x) => x.value), barMaxWidth: 28, label: { show: true, position: 'right', formatter: (p: any) => moneyShort(p.value) } }],
  };
  const leadsOpt: ChartOption = {
    color: PALETTE,
    textStyle,
    tooltip: { trigger: 'item', formatter: (p: any) => `${p.name}: ${formatNumber(p.value, l)} (${p.percent}%)` },
    legend: { type: 'scroll', orient: 'vertical', right: 16, top: 'middle' },
    series: [{
      type: 'pie', radius: ['45%', '72%'], center: ['35%', '50%'], avoidLabelOverlap: true,
      label: { show: false },
      data: leads.map((x) => ({ name: x.key ? enumLabel('leads', 'source', x.key) : t('not_set'), value: x.value })),
    }],
  };
  const priorityColor: Record<string, string> = { low: '#94a3b8', normal: '#2563eb', high: '#d97706', urgent: '#dc2626' };
  const casesOpt: ChartOption = {
    textStyle,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: cases.categories.map((s) => enumLabel('cases', 'status', s)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: cases.series.map((s) => ({
      name: enumLabel('cases', 'priority', s.key), type: 'bar', stack: 'p', data: s.data, barMaxWidth: 48,
      itemStyle: { color: priorityColor[s.key] },
    })),
  };

  // What a screen reader says for each chart: the title, then each value, formatted.
  const sep = l === 'zh-CN' ? '；' : '; ';
  const colon = l === 'zh-CN' ? '：' : ': ';
  const describe = (title: string, items: [string, string][]) =>
    `${title}${colon}${items.length ? items.map(([k, v]) => `${k} ${v}`).join(sep) : t('none_yet')}`;
  const descRevenue = describe(t('dash_revenue'), months.map((m, i) => [monthLabel(m), money(revenue[i])]));
  const descPipeline = describe(t('dash_pipeline'), pipe.map((x, i) => [enumLabel('opportunities', 'stage', x.key ?? ''), `${money(x.value)} (${t('pipeline_count', { n: pipeCount[i]?.value ?? 0 })})`]));
  const descLeads = describe(t('dash_leads'), leads.map((x) => [x.key ? enumLabel('leads', 'source', x.key) : t('not_set'), formatNumber(x.value, l)]));
  const descCases = describe(t('dash_cases'), cases.categories.flatMap((c, i) =>
    cases.series.filter((s) => s.data[i]).map((s) => [`${enumLabel('cases', 'status', c)} · ${enumLabel('cases', 'priority', s.key)}`, formatNumber(s.data[i], l)] as [string, string])));

  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const kpis = [
    { label: t('dash_kpi_pipeline'), value: moneyShort(sum(pipe.map((x) => x.value))), title: money(sum(pipe.map((x) => x.value))), href: '/pipeline' },
    { label: t('dash_kpi_revenue'), value: moneyShort(sum(revenue)), title: `${money(sum(revenue))} · ${formatNumber(sum(orders), l)}`, href: '/orders' },
    { label: t('dash_kpi_leads'), value: formatNumber(sum(leads.map((x) => x.value)), l), href: '/leads' },
    { label: t('dash_kpi_cases'), value: formatNumber(sum(cases.series.flatMap((s) => s.data)), l), href: `/cases` },
  ];

  return (
    <section class="page dashboard" aria-labelledby="page-title">
      <h1 id="page-title">{t('dash_title')}</h1>
      <div class="kpis">
        {kpis.map((k) => (
          <Link class="kpi" href={k.href} key={k.label} title={k.title}>
            <span class="kpi-value">{k.value}</span>
            <span class="kpi-label">{k.label}</span>
          </Link>
        ))}
      </div>
      <div class="charts">
        <section class="card chart-card chart-wide" aria-labelledby="c-rev">
          <h2 class="card-title" id="c-rev">{t('dash_revenue')}</h2>
          <Chart option={revenueOpt} description={descRevenue} />
        </section>
        <section class="card chart-card" aria-labelledby="c-pipe">
          <h2 class="card-title" id="c-pipe">{t('dash_pipeline')}</h2>
          {pipe.length ? <Chart option={pipelineOpt} description={descPipeline} /> : <p class="muted chart-empty">{t('none_yet')}</p>}
        </section>
        <section class="card chart-card" aria-labelledby="c-leads">
          <h2 class="card-title" id="c-leads">{t('dash_leads')}</h2>
          {leads.length ? <Chart option={leadsOpt} description={descLeads} /> : <p class="muted chart-empty">{t('none_yet')}</p>}
        </section>
        <section class="card chart-card chart-wide" aria-labelledby="c-cases">
          <h2 class="card-title" id="c-cases">{t('dash_cases')}</h2>
          {cases.series.length ? <Chart option={casesOpt} description={descCases} /> : <p class="muted chart-empty">{t('none_yet')}</p>}
        </section>
      </div>
    </section>
  );
}
