// The lead desk: open leads by score, filtered by status, source and owner
// (or nobody), each with why it scores so (rule points and the learned
// factors), the duplicates found when it arrived, and its work in one row:
// assign by the rules, disqualify (what the learned score learns from), or
// convert into an account, a contact and an opportunity.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type ListPage, type Rec } from '../../lib/api';
import { type LeadFilter, leadQuery } from '../../lib/sales';
import { enumLabel, locale } from '../../lib/i18n';
import { formatMoney, formatNumber, parseMoney } from '../../lib/format';
import { navigate } from '../../lib/router';
import { senum, st } from '../../lib/sales-i18n';
import { Link, Loading, errorText, toast } from '../../components/ui';

const STATUSES = ['new', 'contacted', 'qualified', 'unqualified', 'converted'];
const SOURCES = ['web', 'phone', 'email', 'referral', 'partner', 'trade_show', 'advertising', 'social', 'wechat', 'campaign', 'cold_call', 'other'];

export function LeadsDesk() {
  const [leads, setLeads] = useState<Rec[] | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [users, setUsers] = useState<Rec[]>([]);
  const [f, setF] = useState<LeadFilter>({ status: 'open', source: '', owner: '' });
  const [open, setOpen] = useState<number | null>(null);
  const zh = locale.value === 'zh-CN';
  async function load(filter = f) {
    try {
      const p = await api.get<ListPage>('/leads', leadQuery(filter));
      setLeads(p.data);
      setTotal(p.total ?? null);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }
  useEffect(() => {
    document.title = `${st('s_lead_desk')} · Kehu`;
    api.get<ListPage>('/users', { limit: 200, sort: 'username' }).then((p) => setUsers(p.data), () => {});
  }, []);
  useEffect(() => { load(f); }, [f.status, f.source, f.owner]);
  const who = (id: number | null) => {
    const u = users.find((x) => x.id === id);
    return id === null ? st('s_nobody') : u ? (u.display_name || u.username) : `#${id}`;
  };
  const days = (iso: string) => Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 86400000));
  const replace = (r: Rec) => setLeads((ls) => (ls ?? []).map((x) => (x.id === r.id ? r : x)));
  async function assign(l: Rec) {
    try {
      const r = await api.post<any>(`/leads/${l.id}/assign`);
      replace(await api.get<Rec>(`/leads/${l.id}`));
      toast(st('s_assigned_to', { who: who(r.owner_id) }));
    } catch (e) {
      toast(errorText(e), 'error', 8000);
    }
  }
  /** Routes every lead shown by the assignment rules (an imported list, say), one after another. */
  async function assignAll() {
    let done = 0, none = 0;
    for (const l of (leads ?? []).filter((x) => x.status !== 'converted')) {
      try {
        await api.post(`/leads/${l.id}/assign`);
        done++;
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) none++;
        else { toast(errorText(e), 'error', 8000); break; }
      }
    }
    toast(st('s_assigned_all', { n: done, none }));
    load();
  }
  async function disqualify(l: Rec) {
    try {
      await api.patch(`/leads/${l.id}`, { status: 'unqualified' }, l.version);
      toast(st('s_disqualified'));
      load();
    } catch (e) {
      toast(errorText(e), 'error', 8000);
    }
  }
  const set = (k: keyof LeadFilter) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLSelectElement).value });
  return (
    <section class="page sales-leads" aria-labelledby="page-title">
      <div class="page-head"><h1 id="page-title">{st('s_lead_desk')}</h1><Link class="btn btn-primary" href="/leads/new">{st('s_new_lead')}</Link></div>
      <form class="filters lead-filters" onSubmit={(e) => e.preventDefault()}>
        <label class="field">{st('s_status')}
          <select id="ld-status" value={f.status} onChange={set('status')}>
            <option value="open">{st('s_open_leads')}</option>
            <option value="">{st('s_all')}</option>
            {STATUSES.map((x) => <option key={x} value={x}>{enumLabel('leads', 'status', x)}</option>)}
          </select>
        </label>
        <label class="field">{st('s_source')}
          <select id="ld-source" value={f.source} onChange={set('source')}>
            <option value="">{st('s_all')}</option>
            {SOURCES.map((x) => <option key={x} value={x}>{enumLabel('leads', 'source', x)}</option>)}
          </select>
        </label>
        <label class="field">{st('s_owner')}
          <select id="ld-owner" value={f.owner} onChange={set('owner')}>
            <option value="">{st('s_all')}</option>
            <option value="none">{st('s_nobody')}</option>
            {users.map((u) => <option key={u.id} value={String(u.id)}>{u.display_name || u.username}</option>)}
          </select>
        </label>
        {leads && leads.length > 0 && <button type="button" class="btn btn-sm" id="ld-assign-all" onClick={assignAll}>{st('s_assign_all')}</button>}
        <p class="muted lead-count">{leads ? st('s_leads_shown', { n: formatNumber(leads.length, locale.value), total: formatNumber(total ?? leads.length, locale.value) }) : ''}</p>
      </form>
      {!leads ? <Loading /> : leads.length === 0 ? <p class="muted pad lead-empty">{st('s_no_leads')}</p> : (
        <div class="table-wrap card">
          <table class="table leads-desk">
            <thead><tr>
              <th>{st('s_score')}</th><th>{zh ? '线索' : 'Lead'}</th><th>{st('s_source')}</th><th>{st('s_status')}</th>
              <th>{st('s_owner')}</th><th class="num">{st('s_age_days')}</th><th></th><th></th>
            </tr></thead>
            <tbody>
              {leads.map((l) => (
                <>
                  <tr key={l.id} data-lead={l.id}>
                    <td class="num"><strong>{l.score ?? '—'}</strong></td>
                    <td><Link href={`/leads/${l.id}`}>{l.name}</Link> <span class="muted">{l.company ?? ''}</span>
                      {(l.duplicate_of_lead_id || l.duplicate_of_contact_id) && <span class="badge badge-high"> {st('s_duplicate')}</span>}</td>
                    <td>{enumLabel('leads', 'source', l.source)}</td>
                    <td><span class={`badge badge-${l.status}`}>{enumLabel('leads', 'status', l.status)}</span></td>
                    <td class="lead-owner">{who(l.owner_id)}</td>
                    <td class="num">{days(l.created_at)}</td>
                    <td class="inline-actions">
                      <button class="btn btn-sm btn-ghost" aria-expanded={open === l.id} onClick={() => setOpen(open === l.id ? null : l.id)}>{st('s_why')}</button>
                      {l.status !== 'converted' && <button class="btn btn-sm btn-ghost lead-assign" onClick={() => assign(l)}>{st('s_assign')}</button>}
                      {l.status !== 'converted' && l.status !== 'unqualified' && <button class="btn btn-sm btn-ghost lead-disqualify" onClick={() => disqualify(l)}>{st('s_disqualify')}</button>}
                    </td>
                    <td>{l.status !== 'converted' ? <ConvertButton lead={l} /> : l.converted_opportunity_id ? <Link href={`/opportunities/${l.converted_opportunity_id}`}>{st('s_open_deal')}</Link> : null}</td>
                  </tr>
                  {open === l.id && <tr key={`${l.id}-why`}><td colSpan={8}><LeadWhy id={l.id} /></td></tr>}
                </>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function LeadWhy({ id }: { id: number }) {
  const [d, setD] = useState<{ score: any; dups: any } | null>(null);
  useEffect(() => {
    Promise.all([api.get(`/leads/${id}/score`), api.get(`/leads/${id}/duplicates`)]).then(([score, dups]) => setD({ score, dups }), (e) => toast(errorText(e), 'error'));
  }, [id]);
  if (!d) return <Loading />;
  return (
    <div class="lead-why">
      <ul>{d.score.rules.map((r: any) => <li key={r.rule_id}>{r.name}: {r.points > 0 ? '+' : ''}{r.points}</li>)}</ul>
      {d.score.rules.length === 0 && <p class="muted">{st('s_no_rule_points')}</p>}
      <p>{st('s_rule_score')}: {d.score.rule_score} · {st('s_learned_score')}: {d.score.learned_score ?? '—'} · {st('s_score')}: {d.score.score}</p>
      {d.score.learned && <ul>{d.score.learned.factors.slice(0, 5).map((f: any) => <li key={f.feature}>{f.feature}: {f.effect > 0 ? '+' : ''}{f.effect.toFixed(2)}</li>)}</ul>}
      {d.dups.data.length > 0 && <p>{st('s_duplicate')}: {d.dups.data.map((x: any) => <Link key={`${x.entity}${x.id}`} href={`/${x.entity}/${x.id}`}>{x.title ?? x.id} ({senum(x.reason)}) </Link>)}</p>}
    </div>
  );
}

function ConvertButton({ lead }: { lead: Rec }) {
  const [amount, setAmount] = useState('');
  const [busy, setBusy] = useState(false);
  async function convert(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const body: any = {};
      const minor = amount ? parseMoney(amount) : null;
      if (minor !== null) body.opportunity = { amount: minor };
      const r = await api.post<any>(`/leads/${lead.id}/convert`, body);
      toast(st('s_converted'));
      navigate(r.opportunity_id ? `/opportunities/${r.opportunity_id}` : `/accounts/${r.account_id}`);
    } catch (err) {
      toast(errorText(err), 'error', 8000);
      setBusy(false);
    }
  }
  return (
    <form class="inline-actions convert-form" onSubmit={convert}>
      <input aria-label={st('s_amount')} placeholder={formatMoney(0, 'CNY', locale.value)} inputMode="decimal" size={8} value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
      <button class="btn btn-sm btn-primary" disabled={busy}>{st('s_convert')}</button>
    </form>
  );
}
