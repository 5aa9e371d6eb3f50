// The case console: open cases with live SLA timers, worst first, and a
// workspace for the chosen one: move it through the state machine with a
// note, knowledge-base suggestions to link as the solution, the survey.
import { useEffect, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import { api, ApiError, type Rec } from '../../lib/api';
import { enumLabel, locale } from '../../lib/i18n';
import { formatDateTime } from '../../lib/format';
import { entities, user } from '../../lib/session';
import { OPEN_STATUSES, slaView, type SlaView } from '../../lib/service';
import { ts } from '../../lib/service-i18n';
import { onLiveEvent } from '../../lib/service-events';
import { ErrorBox, Link, Loading, errorText, toast } from '../../components/ui';
import { RefLink } from '../../components/fields';

/** One clock for every timer on the page, ticking each second. */
const now = signal(Date.now());
let ticking = 0;
function useClock() {
  useEffect(() => {
    if (!ticking++) (useClock as any).timer = setInterval(() => (now.value = Date.now()), 1000);
    return () => {
      if (!--ticking) clearInterval((useClock as any).timer);
    };
  }, []);
}

export function Timer({ due, status }: { due: string | null; status: string | null }) {
  const v: SlaView = slaView(due, status, now.value, locale.value);
  return (
    <span class={`sla sla-${v.tone}`} data-tone={v.tone} title={due ? formatDateTime(due, locale.value) : undefined}>
      {ts(v.key, v.t ? { t: v.t } : undefined)}
    </span>
  );
}

export function ConsolePage() {
  useClock();
  const [scope, setScope] = useState<'mine' | 'all'>('all');
  const [risky, setRisky] = useState(false);
  const [rows, setRows] = useState<Rec[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    document.title = `${ts('svc_console')} · Kehu`;
    const q: Record<string, string> = { 'status[in]': OPEN_STATUSES.join(','), sort: 'resolution_due_at,-priority', limit: '200' };
    if (scope === 'mine') q.owner_id = String(user.value?.id ?? 0);
    if (risky) q['sla_status[in]'] = 'warning,breached';
    api.get<{ data: Rec[] }>('/cases', q).then((r) => setRows(r.data), setError);
  }, [scope, risky, reload]);

  // Assignments and SLA news arrive live: the list follows them.
  useEffect(
    () =>
      onLiveEvent((e) => {
        if (e.event === 'case_assigned' || e.event === 'sla_warning' || e.event === 'sla_breach') setReload((n) => n + 1);
      }),
    [],
  );

  if (error) return <section class="page"><h1>{ts('svc_console')}</h1><ErrorBox error={error} /></section>;
  return (
    <section class="page service-console">
      <div class="page-head">
        <h1>{ts('svc_console')}</h1>
        <div class="toolbar" role="group" aria-label={ts('svc_open_cases')}>
          <button class={`btn btn-sm ${scope === 'all' ? 'btn-active' : ''}`} aria-pressed={scope === 'all'} onClick={() => setScope('all')}>{ts('svc_all')}</button>
          <button class={`btn btn-sm ${scope === 'mine' ? 'btn-active' : ''}`} aria-pressed={scope === 'mine'} onClick={() => setScope('mine')}>{ts('svc_mine')}</button>
          <label class="check">
            <input type="checkbox" checked={risky} onChange={(e) => setRisky((e.target as HTMLInputElement).checked)} /> {ts('svc_breached_only')}
          </label>
        </div>
      </div>
      <div class="console-grid">
        <div class="card console-list">
          {!rows ? <Loading /> : rows.length === 0 ? <p class="muted">{ts('svc_none_open')}</p> : (
            <table class="table">
              <thead>
                <tr>
                  <th>{ts('svc_number')}</th><th>{ts('svc_subject')}</th><th>{ts('svc_priority')}</th><th>{ts('svc_status')}</th>
                  <th>{ts('svc_first_response')}</th><th>{ts('svc_resolution')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} class={`case-row ${selected === r.id ? 'selected' : ''}`} data-id={r.id} aria-selected={selected === r.id}>
                    <td><button class="btn-link" onClick={() => setSelected(r.id)}>{r.case_number}</button></td>
                    <td>{r.subject}</td>
                    <td><span class={`badge prio-${r.priority}`}>{enumLabel('cases', 'priority', r.priority)}</span></td>
                    <td>{enumLabel('cases', 'status', r.status)}</td>
                    <td class="sla-first">{r.first_response_at ? <span class="sla sla-met" data-tone="met">{ts('svc_met')}</span> : <Timer due={r.first_response_due_at} status={r.sla_status} />}</td>
                    <td class="sla-resolution"><Timer due={r.resolution_due_at} status={r.sla_status} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div class="card console-work">
          {selected ? <Workspace key={selected} id={selected} onChanged={() => setReload((n) => n + 1)} /> : <p class="muted">{ts('svc_select_case')}</p>}
        </div>
      </div>
    </section>
  );
}

function Workspace({ id, onChanged }: { id: number; onChanged: () => void }) {
  const [c, setC] = useState<Rec | null>(null);
  const [allowed, setAllowed] = useState<string[]>([]);
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');
  const [articles, setArticles] = useState<Rec[]>([]);
  const [csat, setCsat] = useState<Rec | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function load() {
    try {
      const [rec, tr, kb] = await Promise.all([
        api.get<Rec>(`/cases/${id}`),
        api.get<{ allowed: string[] }>(`/cases/${id}/transitions`),
        api.get<{ data: Rec[] }>(`/cases/${id}/kb-suggestions`).catch(() => ({ data: [] })),
      ]);
      setC(rec);
      setAllowed(tr.allowed);
      setTo(tr.allowed[0] ?? '');
      setArticles(kb.data);
      setCsat(await api.get<Rec>(`/cases/${id}/csat`).catch(() => null));
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    load();
  }, [id]);

  async function move(ev: Event, extra: Record<string, unknown> = {}) {
    ev.preventDefault();
    setBusy(true);
    setProblem('');
    try {
      const r = await api.post<Rec>(`/cases/${id}/transition`, { to, note: note || undefined, version: c!.version, ...extra });
      toast(ts('svc_moved', { status: enumLabel('cases', 'status', r.status) }));
      setNote('');
      onChanged();
      await load();
    } catch (e) {
      // Said by the error's code in the UI's language, with the fields at fault (lib/errors.ts).
      setProblem(errorText(e, entities.value.get('cases')));
      if (e instanceof ApiError && e.status === 409) await load();
    } finally {
      setBusy(false);
    }
  }

  async function useSolution(a: Rec) {
    try {
      const r = await api.patch<Rec>(`/cases/${id}`, { kb_article_id: a.id, resolution: c!.resolution || a.title }, c!.version);
      setC(r);
      toast(ts('svc_solution_set'));
    } catch (e) {
      setProblem(errorText(e, entities.value.get('cases')));
    }
  }

  if (error) return <ErrorBox error={error} />;
  if (!c) return <Loading />;
  return (
    <div class="workspace" data-case={c.id}>
      <h2 class="card-title">{c.case_number} · {c.subject}</h2>
      <p class="muted">
        {enumLabel('cases', 'status', c.status)} · {enumLabel('cases', 'priority', c.priority)}
        {c.owner_id ? <> · <RefLink entity="users" id={c.owner_id} /></> : null}
        {c.contact_id ? <> · <RefLink entity="contacts" id={c.contact_id} /></> : null}
      </p>
      {c.description && <p class="pre">{c.description}</p>}
      <dl class="sla-clocks">
        <dt>{ts('svc_first_response')}</dt>
        <dd>{c.first_response_at ? formatDateTime(c.first_response_at, locale.value) : <Timer due={c.first_response_due_at} status={c.sla_status} />}</dd>
        <dt>{ts('svc_resolution')}</dt>
        <dd><Timer due={c.resolution_due_at} status={c.sla_status} /></dd>
      </dl>
      {allowed.length > 0 && (
        <form class="transition-form" onSubmit={(e) => move(e)}>
          <label>
            {ts('svc_move_to')}{' '}
            <select value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)} name="to">
              {allowed.map((s) => <option key={s} value={s}>{enumLabel('cases', 'status', s)}</option>)}
            </select>
          </label>
          <label class="block">
            {ts('svc_note')}
            <textarea rows={2} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} name="note" />
          </label>
          <button class="btn btn-primary" disabled={busy} type="submit">{ts('svc_apply')}</button>
          {problem && <p class="alert alert-error" role="alert">{problem}</p>}
        </form>
      )}
      <h3 class="card-title">{ts('svc_suggestions')}</h3>
      {articles.length === 0 ? <p class="muted">{ts('svc_no_suggestions')}</p> : (
        <ul class="suggestions">
          {articles.map((a) => (
            <li key={a.id}>
              <Link href={`/service/kb/${a.id}`}>{a.title}</Link>
              <span class="muted"> · {a.category}</span>
              {c.kb_article_id === a.id ? <span class="badge"> ✓ {ts('svc_solution_set')}</span> : (
                <button class="btn btn-sm" onClick={() => useSolution(a)}>{ts('svc_use_solution')}</button>
              )}
            </li>
          ))}
        </ul>
      )}
      <h3 class="card-title">{ts('svc_csat')}</h3>
      {csat ? (
        <p>
          {csat.score ? `${csat.score} / 5 ${csat.comment ? `· ${csat.comment}` : ''}` : <a href={csat.link} target="_blank" rel="noopener">{ts('svc_csat_link')}</a>}
        </p>
      ) : <p class="muted">{ts('svc_csat_none')}</p>}
      <p><Link href={`/cases/${c.id}`}>{ts('svc_open_record')} →</Link></p>
    </div>
  );
}
