// One campaign's results (members by status, rates, cost against attributed
// revenue and margin, ROI) with charts, and its work: record cost lines (in
// another currency with its rate), add a target list, send an e-mail, call
// down the telemarketing list.
import { useEffect, useState } from 'preact/hooks';
import { api, type ListPage, type Rec } from '../../lib/api';
import { entityLabel, enumLabel, locale } from '../../lib/i18n';
import { entities, permissions } from '../../lib/session';
import { isMasked } from '../../lib/permissions';
import { formatDate, formatMoney, formatNumber, parseMoney } from '../../lib/format';
import { targetFromListAddress } from '../../lib/sales';
import { senum, st } from '../../lib/sales-i18n';
import { ErrorBox, Link, Loading, errorText, toast } from '../../components/ui';
import { Chart, type ChartOption } from '../../components/Chart';

const STATUSES = ['planned', 'sent', 'opened', 'clicked', 'responded', 'converted', 'unsubscribed', 'bounced', 'skipped', 'failed'];
const OUTCOMES = ['interested', 'not_interested', 'call_back', 'no_answer', 'wrong_number', 'do_not_call', 'converted'];
const SEGMENTS = ['Champions', 'Loyal', 'Potential Loyalists', 'New', 'Promising', 'Need Attention', 'About to Sleep', 'At Risk', "Can't Lose", 'Hibernating', 'Lost'];

export function CampaignPage({ id }: { id: number }) {
  const [c, setC] = useState<Rec | null>(null);
  const [r, setR] = useState<any>(null);
  const [error, setError] = useState<unknown>(null);
  const [calls, setCalls] = useState<any>(null);
  const [templates, setTemplates] = useState<Rec[]>([]);
  const l = locale.value;
  async function load() {
    try {
      const [camp, res, list, tpl] = await Promise.all([
        api.get<Rec>(`/campaigns/${id}`), api.get(`/campaigns/${id}/results`), api.get(`/campaigns/${id}/call-list`, { limit: 20 }),
        api.get<ListPage>('/templates', { kind: 'email', limit: 100 }),
      ]);
      setC(camp); setR(res); setCalls(list); setTemplates(tpl.data); setError(null);
      document.title = `${camp.name} · ${st('s_campaign_results')}`;
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { load(); }, [id]);
  if (error && !r) return <section class="page"><ErrorBox error={error} /></section>;
  if (!r || !c) return <Loading />;
  const money = (v: number | null) => (v === null ? '—' : formatMoney(v, r.currency, l));
  const pct = (x: number | null) => (x === null ? '—' : new Intl.NumberFormat(l, { style: 'percent', maximumFractionDigits: 1 }).format(x));
  const statusOpt: ChartOption = {
    color: ['#2563eb'], textStyle: { fontFamily: 'inherit' },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: STATUSES.map(senum), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', data: STATUSES.map((s) => r.members.by_status[s] ?? 0), barMaxWidth: 36 }],
  };
  const moneyOpt: ChartOption = {
    color: ['#be123c', '#0f766e', '#2563eb'], textStyle: { fontFamily: 'inherit' },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number) => formatMoney(v * 100, r.currency, l) },
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: [st('s_cost'), st('s_revenue'), st('s_margin')] },
    yAxis: { type: 'value' },
    series: [{ type: 'bar', barMaxWidth: 56, colorBy: 'data', data: [r.cost / 100, r.revenue / 100, r.margin / 100] }],
  };
  return (
    <section class="page sales-campaign" aria-labelledby="page-title">
      <nav class="crumbs"><Link href="/sales/campaigns">{st('s_campaign_results')}</Link></nav>
      <div class="page-head"><h1 id="page-title">{c.name}</h1><Link class="btn btn-ghost" href={`/campaigns/${id}`}>{c.name} →</Link></div>
      <div class="kpis">
        {[
          [st('s_members'), formatNumber(r.members.total, l)], [st('s_reach'), formatNumber(r.members.reached, l)],
          [st('s_response_rate'), pct(r.response_rate)], [st('s_conversion_rate'), pct(r.conversion_rate)],
          [st('s_cost'), money(r.cost)], [st('s_revenue'), money(r.revenue)], [st('s_margin'), money(r.margin)], [st('s_roi'), pct(r.roi)],
        ].map(([k, v]) => <div class="kpi" key={k} data-kpi={k}><span class="kpi-value">{v}</span><span class="kpi-label">{k}</span></div>)}
      </div>
      <p class="muted">{st('s_cost_per_lead')}: {money(r.cost_per_lead)} · {st('s_cost_per_customer')}: {money(r.cost_per_customer)} · {st('s_window', { n: r.window_days })} · {st('s_skipped_consent', { n: r.members.skipped_no_consent })}</p>
      <div class="charts">
        <section class="card chart-card" aria-labelledby="cp-status">
          <h2 class="card-title" id="cp-status">{st('s_members')}</h2>
          <Chart option={statusOpt} description={STATUSES.map((s) => `${senum(s)} ${r.members.by_status[s] ?? 0}`).join('; ')} height={260} />
        </section>
        <section class="card chart-card" aria-labelledby="cp-money">
          <h2 class="card-title" id="cp-money">{st('s_roi')} {pct(r.roi)}</h2>
          <Chart option={moneyOpt} description={`${st('s_cost')} ${money(r.cost)}; ${st('s_revenue')} ${money(r.revenue)}; ${st('s_margin')} ${money(r.margin)}`} height={260} />
        </section>
      </div>
      <div class="charts">
        <AddMembers id={id} onDone={load} />
        <SendMail id={id} templates={templates} onDone={load} />
      </div>
      <CostLines campaign={c} onDone={load} />
      <CallList list={calls} onDone={load} />
    </section>
  );
}

function AddMembers({ id, onDone }: { id: number; onDone: () => void }) {
  const [entity, setEntity] = useState('contacts');
  const [filter, setFilter] = useState('');
  const [segment, setSegment] = useState('');
  const [busy, setBusy] = useState(false);
  async function add(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      // A pasted list address names its records itself.
      const target = targetFromListAddress(filter);
      if (target.entity) setEntity(target.entity);
      const body = segment ? { segment, by: entity === 'contacts' ? 'contacts' : 'accounts' } : { entity: target.entity ?? entity, filter: target.filter };
      const res = await api.post(`/campaigns/${id}/members`, body);
      toast(st('s_added', res));
      onDone();
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="card form add-members" onSubmit={add}>
      <h2 class="card-title">{st('s_add_members')}</h2>
      <label class="field">{st('s_entity')}
        <select id="am-entity" value={entity} onChange={(e) => setEntity((e.target as HTMLSelectElement).value)}>
          {['contacts', 'leads', 'accounts'].map((x) => { const e = entities.value.get(x); return <option key={x} value={x}>{e ? entityLabel(e) : x}</option>; })}
        </select>
      </label>
      <label class="field">{st('s_filter')}
        <input id="am-filter" value={filter} placeholder="f.city=上海&f.status=active" onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      </label>
      <label class="field">{st('s_segment')}
        <select id="am-segment" value={segment} onChange={(e) => setSegment((e.target as HTMLSelectElement).value)}>
          <option value="">—</option>
          {SEGMENTS.map((x) => <option key={x} value={x}>{x}</option>)}
        </select>
      </label>
      <button class="btn btn-primary" disabled={busy}>{st('s_add')}</button>
    </form>
  );
}

function SendMail({ id, templates, onDone }: { id: number; templates: Rec[]; onDone: () => void }) {
  const [tpl, setTpl] = useState('');
  async function send(e: Event) {
    e.preventDefault();
    try {
      const res = await api.post(`/campaigns/${id}/send`, { template_id: Number(tpl) });
      toast(st('s_queued', { n: res.queued }));
      onDone();
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  return (
    <form class="card form send-mail" onSubmit={send}>
      <h2 class="card-title">{st('s_send_email')}</h2>
      <label class="field">{st('s_template')}
        <select id="sm-template" value={tpl} required onChange={(e) => setTpl((e.target as HTMLSelectElement).value)}>
          <option value="">—</option>
          {templates.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
        </select>
      </label>
      <button class="btn btn-primary" disabled={!tpl}>{st('s_send')}</button>
    </form>
  );
}

function CallList({ list, onDone }: { list: any; onDone: () => void }) {
  async function log(member: number, outcome: string) {
    try {
      const body: any = { outcome };
      if (outcome === 'call_back') body.callback_at = new Date(Date.now() + 86400e3).toISOString();
      await api.post(`/campaign_members/${member}/call`, body);
      toast(st('s_call_logged'));
      onDone();
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  if (!list) return null;
  return (
    <section class="card call-list" aria-labelledby="cl-title">
      <h2 class="card-title" id="cl-title">{st('s_call_list')}</h2>
      {list.script && <details open><summary>{st('s_call_script')}: {list.script.name}</summary><p class="pre">{list.script.body}</p></details>}
      {list.data.length === 0 ? <p class="muted">{st('s_nobody_to_call')}</p> : (
        <table class="table table-compact">
          <tbody>
            {list.data.map((m: any) => (
              <tr key={m.member_id} data-member={m.member_id}>
                <td>{m.name}</td><td>{m.company ?? ''}</td><td>{isMasked(permissions.value, m.phone, true) ? m.phone : <a href={`tel:${m.phone}`}>{m.phone}</a>}</td>
                <td>
                  <select aria-label={st('s_outcome')} onChange={(e) => { const v = (e.target as HTMLSelectElement).value; if (v) log(m.member_id, v); }}>
                    <option value="">{st('s_log_call')}…</option>
                    {OUTCOMES.map((o) => <option key={o} value={o}>{senum(o)}</option>)}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.skipped_no_consent > 0 && <p class="muted">{st('s_skipped_consent', { n: list.skipped_no_consent })}</p>}
    </section>
  );
}

const COST_CATEGORIES = ['media', 'agency', 'event', 'print', 'staff', 'tools', 'other'];

/** The campaign's cost lines, and a form for another; a cost in another currency needs its rate. */
function CostLines({ campaign, onDone }: { campaign: Rec; onDone: () => void }) {
  const [lines, setLines] = useState<Rec[] | null>(null);
  const [row, setRow] = useState({ description: '', category: 'media', amount: '', currency: campaign.currency ?? 'CNY', rate: '', date: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const l = locale.value;
  const load = () => api.get<ListPage>(`/campaigns/${campaign.id}/campaign_costs`, { limit: 500 }).then((p) => setLines(p.data), (e) => toast(errorText(e), 'error'));
  useEffect(() => { load(); }, [campaign.id]);
  const other = row.currency !== campaign.currency;
  async function add(e: Event) {
    e.preventDefault();
    const body: Record<string, unknown> = { campaign_id: campaign.id, description: row.description, category: row.category, currency: row.currency, amount: parseMoney(row.amount, row.currency) };
    if (other && row.rate) body.exchange_rate = row.rate;
    if (row.date) body.cost_date = row.date;
    try {
      await api.post('/campaign_costs', body);
      setErrors({});
      setRow({ ...row, description: '', amount: '', rate: '' });
      toast(st('s_saved'));
      load();
      onDone();
    } catch (err: any) {
      setErrors(err?.fields ?? {});
      toast(errorText(err), 'error', 8000);
    }
  }
  const set = (k: keyof typeof row) => (e: Event) => setRow({ ...row, [k]: (e.target as HTMLInputElement).value });
  const fieldError = (k: string) => errors[k] && <span class="field-error" id={`cc-err-${k}`}>{errors[k]}</span>;
  return (
    <section class="card cost-lines" aria-labelledby="cc-title">
      <h2 class="card-title" id="cc-title">{st('s_cost_lines')}</h2>
      {lines && lines.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead><tr><th>{st('s_description')}</th><th>{st('s_category')}</th><th>{st('s_date')}</th><th class="num">{st('s_amount')}</th><th class="num">{st('s_rate')}</th><th class="num">{st('s_in_campaign_currency')}</th></tr></thead>
            <tbody>
              {lines.map((x) => (
                <tr key={x.id} data-cost={x.id}>
                  <td>{x.description}</td><td>{enumLabel('campaign_costs', 'category', x.category)}</td><td>{formatDate(x.cost_date, l)}</td>
                  <td class="num">{formatMoney(x.amount, x.currency, l)}</td><td class="num">{x.exchange_rate ?? ''}</td>
                  <td class="num">{formatMoney(x.amount_converted ?? x.amount, campaign.currency, l)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {lines && lines.length === 0 && <p class="muted">{st('s_no_cost_lines')}</p>}
      <form class="form form-grid add-cost" onSubmit={add}>
        <label class="field">{st('s_description')}<input id="cc-description" required value={row.description} onInput={set('description')} />{fieldError('description')}</label>
        <label class="field">{st('s_category')}
          <select id="cc-category" value={row.category} onChange={set('category')}>
            {COST_CATEGORIES.map((x) => <option key={x} value={x}>{enumLabel('campaign_costs', 'category', x)}</option>)}
          </select>
        </label>
        <label class="field">{st('s_amount')}<input id="cc-amount" required inputMode="decimal" value={row.amount} onInput={set('amount')} />{fieldError('amount')}</label>
        <label class="field">{st('s_currency')}<input id="cc-currency" size={4} maxLength={3} value={row.currency} onInput={(e) => setRow({ ...row, currency: (e.target as HTMLInputElement).value.toUpperCase() })} />{fieldError('currency')}</label>
        {other && <label class="field">{st('s_rate_help', { to: campaign.currency, from: row.currency })}<input id="cc-rate" inputMode="decimal" value={row.rate} onInput={set('rate')} />{fieldError('exchange_rate')}</label>}
        <label class="field">{st('s_date')}<input id="cc-date" type="date" value={row.date} onInput={set('date')} /></label>
        <button class="btn btn-primary">{st('s_add_cost')}</button>
      </form>
    </section>
  );
}
