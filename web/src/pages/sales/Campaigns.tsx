// The campaigns' index: each campaign with its type, status, dates, owner,
// budget against actual cost, leading to its results; filtered by status and
// type. Administrators also set the e-mail server campaigns send through.
import { useEffect, useState } from 'preact/hooks';
import { api, type ListPage, type Query, type Rec } from '../../lib/api';
import { enumLabel, locale } from '../../lib/i18n';
import { formatDate, formatMoney } from '../../lib/format';
import { st } from '../../lib/sales-i18n';
import { Link, Loading, errorText, toast } from '../../components/ui';
import { user } from '../../lib/session';

const STATUSES = ['planned', 'active', 'completed', 'aborted'];
const TYPES = ['email', 'sms', 'event', 'webinar', 'advertising', 'social', 'telemarketing', 'direct_mail', 'other'];

export function CampaignsIndex() {
  const [list, setList] = useState<Rec[] | null>(null);
  const [users, setUsers] = useState<Rec[]>([]);
  const [status, setStatus] = useState('');
  const [type, setType] = useState('');
  const l = locale.value;
  useEffect(() => {
    document.title = `${st('s_campaign_results')} · Kehu`;
    api.get<ListPage>('/users', { limit: 200, sort: 'username' }).then((p) => setUsers(p.data), () => {});
  }, []);
  useEffect(() => {
    const q: Query = { limit: 200, sort: '-id' };
    if (status) q.status = status;
    if (type) q.type = type;
    api.get<ListPage>('/campaigns', q).then((p) => setList(p.data), (e) => toast(errorText(e), 'error'));
  }, [status, type]);
  const who = (id: number | null) => {
    const u = users.find((x) => x.id === id);
    return id === null ? '' : u ? (u.display_name || u.username) : `#${id}`;
  };
  return (
    <section class="page sales-campaigns" aria-labelledby="page-title">
      <div class="page-head"><h1 id="page-title">{st('s_campaign_results')}</h1><Link class="btn btn-primary" href="/campaigns/new">{st('s_new_campaign')}</Link></div>
      {user.value?.role === 'admin' && <MailSettings />}
      <form class="filters campaign-filters" onSubmit={(e) => e.preventDefault()}>
        <label class="field">{st('s_status')}
          <select id="cf-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">{st('s_all')}</option>
            {STATUSES.map((x) => <option key={x} value={x}>{enumLabel('campaigns', 'status', x)}</option>)}
          </select>
        </label>
        <label class="field">{st('s_type')}
          <select id="cf-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">{st('s_all')}</option>
            {TYPES.map((x) => <option key={x} value={x}>{enumLabel('campaigns', 'type', x)}</option>)}
          </select>
        </label>
      </form>
      {!list ? <Loading /> : list.length === 0 ? <p class="muted pad campaigns-empty">{st('s_no_campaigns')}</p> : (
        <div class="table-wrap card">
          <table class="table campaigns-table">
            <thead><tr>
              <th>{st('s_name')}</th><th>{st('s_type')}</th><th>{st('s_status')}</th><th>{st('s_dates')}</th><th>{st('s_owner')}</th>
              <th class="num">{st('s_budget')}</th><th class="num">{st('s_actual_cost')}</th><th></th>
            </tr></thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id} data-campaign={c.id}>
                  <td><Link href={`/sales/campaigns/${c.id}`}>{c.name}</Link></td>
                  <td>{enumLabel('campaigns', 'type', c.type)}</td>
                  <td><span class={`badge badge-${c.status}`}>{enumLabel('campaigns', 'status', c.status)}</span></td>
                  <td>{c.start_date ? `${formatDate(c.start_date, l)} – ${c.end_date ? formatDate(c.end_date, l) : ''}` : ''}</td>
                  <td>{who(c.owner_id)}</td>
                  <td class="num">{c.budget !== null ? formatMoney(c.budget, c.currency, l) : ''}</td>
                  <td class="num">{c.actual_cost !== null ? formatMoney(c.actual_cost, c.currency, l) : ''}
                    {c.budget !== null && c.actual_cost !== null && c.actual_cost > c.budget && <span class="badge badge-high over-budget"> {st('s_over_budget')}</span>}</td>
                  <td><Link class="btn btn-sm btn-ghost" href={`/sales/campaigns/${c.id}`}>{st('s_open_campaign')}</Link></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
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
