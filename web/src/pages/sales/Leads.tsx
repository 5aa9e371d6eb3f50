// The lead desk: open leads by score, each with why it scores so (rule points
// and the learned factors), the duplicates found when it arrived, and one
// button that converts it into an account, a contact and an opportunity.
// Also the campaigns' index, which leads to each campaign's results.
import { useEffect, useState } from 'preact/hooks';
import { api, type ListPage, type Rec } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { formatMoney, parseMoney } from '../../lib/format';
import { navigate } from '../../lib/router';
import { senum, st } from '../../lib/sales-i18n';
import { Link, Loading, errorText, toast } from '../../components/ui';
import { user } from '../../lib/session';

export function LeadsDesk() {
  const [leads, setLeads] = useState<Rec[] | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  useEffect(() => {
    document.title = `${st('s_lead_desk')} · Kehu`;
    api.get<ListPage>('/leads', { 'status[in]': 'new,contacted,qualified', sort: '-score', limit: 50 }).then((p) => setLeads(p.data), (e) => toast(errorText(e), 'error'));
  }, []);
  if (!leads) return <Loading />;
  return (
    <section class="page sales-leads" aria-labelledby="page-title">
      <h1 id="page-title">{st('s_lead_desk')}</h1>
      <div class="table-wrap card">
        <table class="table leads-desk">
          <thead><tr><th>{st('s_score')}</th><th>{locale.value === 'zh-CN' ? '线索' : 'Lead'}</th><th></th><th></th></tr></thead>
          <tbody>
            {leads.map((l) => (
              <>
                <tr key={l.id} data-lead={l.id}>
                  <td class="num"><strong>{l.score ?? '—'}</strong></td>
                  <td><Link href={`/leads/${l.id}`}>{l.name}</Link> <span class="muted">{l.company ?? ''}</span>
                    {(l.duplicate_of_lead_id || l.duplicate_of_contact_id) && <span class="badge badge-high"> {st('s_duplicate')}</span>}</td>
                  <td><button class="btn btn-sm btn-ghost" aria-expanded={open === l.id} onClick={() => setOpen(open === l.id ? null : l.id)}>{st('s_why')}</button></td>
                  <td><ConvertButton lead={l} /></td>
                </tr>
                {open === l.id && <tr key={`${l.id}-why`}><td colSpan={4}><LeadWhy id={l.id} /></td></tr>}
              </>
            ))}
          </tbody>
        </table>
      </div>
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
      <ul>{d.score.rules.map((r: any) => <li key={r.rule_id}>{r.name}: +{r.points}</li>)}</ul>
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

export function CampaignsIndex() {
  const [list, setList] = useState<Rec[] | null>(null);
  const l = locale.value;
  useEffect(() => {
    document.title = `${st('s_campaign_results')} · Kehu`;
    api.get<ListPage>('/campaigns', { limit: 100, sort: '-id' }).then((p) => setList(p.data), (e) => toast(errorText(e), 'error'));
  }, []);
  if (!list) return <Loading />;
  return (
    <section class="page sales-campaigns" aria-labelledby="page-title">
      <h1 id="page-title">{st('s_campaign_results')}</h1>
      {user.value?.role === 'admin' && <MailSettings />}
      <div class="table-wrap card">
        <table class="table">
          <tbody>
            {list.map((c) => (
              <tr key={c.id}>
                <td><Link href={`/sales/campaigns/${c.id}`}>{c.name}</Link></td><td>{c.type ?? ''}</td><td>{c.status}</td>
                <td class="num">{c.budget !== null ? formatMoney(c.budget, c.currency, l) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The e-mail server campaigns send through (administrators). */
function MailSettings() {
  const [v, setV] = useState<Record<string, any> | null>(null);
  useEffect(() => {
    api.get('/sales/settings').then(setV, () => setV(null));
  }, []);
  if (!v) return null;
  const keys = ['smtp_url', 'smtp_tls', 'smtp_username', 'smtp_password', 'from_address', 'from_name', 'public_url', 'send_rate_per_minute'];
  async function save(e: Event) {
    e.preventDefault();
    const body: Record<string, any> = {};
    for (const k of Object.keys(v!)) {
      if (k === 'smtp_password' && (v![k] === '********' || v![k] === null)) continue; // kept as it is
      if (v![k] !== null && v![k] !== '') body[k] = k === 'send_rate_per_minute' ? Number(v![k]) : v![k];
    }
    try {
      setV(await api.put('/sales/settings', body));
      toast(st('s_saved'));
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  return (
    <details class="card mail-settings">
      <summary class="card-title">{st('s_mail_settings')}</summary>
      <form class="form form-grid" onSubmit={save}>
        {keys.map((k) => (
          <label class="field" key={k}>{k}
            {k === 'smtp_tls' ? (
              <select id={`ms-${k}`} value={v[k] ?? 'none'} onChange={(e) => setV({ ...v, [k]: (e.target as HTMLSelectElement).value })}>
                {['none', 'starttls', 'required'].map((x) => <option key={x} value={x}>{x}</option>)}
              </select>
            ) : (
              <input id={`ms-${k}`} type={k === 'smtp_password' ? 'password' : 'text'} value={v[k] ?? ''} onInput={(e) => setV({ ...v, [k]: (e.target as HTMLInputElement).value })} />
            )}
          </label>
        ))}
        <button class="btn btn-primary">{st('s_save')}</button>
      </form>
    </details>
  );
}
