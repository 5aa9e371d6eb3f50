// The agent's phone bar in the top bar: their state, and the screen pop when a
// call rings for them (the caller's card, or a new-contact form's link with
// the number filled in). Everyone also hears of cases assigned to them and of
// SLA warnings and breaches, as toasts.
import { useEffect, useState } from 'preact/hooks';
import { api, type Rec } from '../../lib/api';
import { enumLabel } from '../../lib/i18n';
import { ts } from '../../lib/service-i18n';
import { onLiveEvent, type LiveEvent } from '../../lib/service-events';
import { Link, errorText, toast } from '../../components/ui';
import './service.css';

const STATES = ['available', 'break', 'offline'];

export function PhoneBar() {
  const [agent, setAgent] = useState<Rec | null>(null);
  const [pop, setPop] = useState<any>(null);
  useEffect(() => {
    api.get<Rec>('/callcenter/agents/me').then(setAgent, () => setAgent(null));
    return onLiveEvent((e: LiveEvent) => {
      const d = e.data;
      if (e.event === 'screen_pop') setPop(d);
      else if (e.event === 'case_assigned') toast(ts('svc_assigned_to_you', { number: d.case_number, subject: d.subject }), 'ok', 8000);
      else if (e.event === 'sla_warning') toast(ts('svc_sla_warning', { number: d.case_number, subject: d.subject }), 'warn', 10000);
      else if (e.event === 'sla_breach') toast(ts('svc_sla_breach', { number: d.case_number, subject: d.subject }), 'error', 0);
    });
  }, []);
  async function setState(state: string) {
    try {
      setAgent(await api.post<Rec>('/callcenter/agents/me/state', { state }));
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }
  return (
    <>
      {agent && (
        <label class={`phonebar state-${agent.state}`} title={agent.extension ?? ''}>
          <span class="phonebar-icon" aria-hidden="true">☎</span>
          <span class="sr-only">{ts('svc_state')}</span>
          <select aria-label={ts('svc_state')} value={STATES.includes(agent.state) ? agent.state : ''} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
            {!STATES.includes(agent.state) && <option value="">{enumLabel('agents', 'state', agent.state)}</option>}
            {STATES.map((s) => <option key={s} value={s}>{enumLabel('agents', 'state', s)}</option>)}
          </select>
        </label>
      )}
      {pop && <ScreenPop pop={pop} onClose={() => setPop(null)} />}
    </>
  );
}

function ScreenPop({ pop, onClose }: { pop: any; onClose: () => void }) {
  const known = pop.contact || pop.account;
  return (
    <aside class="screen-pop card" role="alertdialog" aria-labelledby="pop-title" data-call={pop.call_id}>
      <h2 id="pop-title" class="card-title">☎ {ts('svc_incoming')} · <span class="pop-number">{pop.number}</span></h2>
      {known ? (
        <>
          {pop.contact && <p class="pop-name"><strong>{pop.contact.name}</strong>{pop.contact.title ? ` · ${pop.contact.title}` : ''}</p>}
          {pop.account && <p class="pop-account">{pop.account.name}{pop.account.tier ? <span class="badge"> {pop.account.tier}</span> : null}</p>}
          {pop.open_cases?.length ? (
            <>
              <p class="muted">{ts('svc_open_cases_n', { n: pop.open_cases.length })}</p>
              <ul class="pop-cases">
                {pop.open_cases.map((c: Rec) => (
                  <li key={c.id}><Link href={`/cases/${c.id}`} onClick={onClose}>{c.case_number}</Link> {c.subject} · {enumLabel('cases', 'status', c.status)}</li>
                ))}
              </ul>
            </>
          ) : null}
          <p class="pop-actions">
            <Link class="btn btn-primary" href={pop.contact ? `/contacts/${pop.contact.id}` : `/accounts/${pop.account.id}`} onClick={onClose}>{ts('svc_open_customer')}</Link>
            <Link class="btn" href={`/cases/new?channel=phone${pop.contact ? `&contact_id=${pop.contact.id}` : ''}${pop.account ? `&account_id=${pop.account.id}` : ''}`} onClick={onClose}>{ts('svc_new_case')}</Link>
          </p>
        </>
      ) : (
        <>
          <p class="pop-name"><strong>{ts('svc_unknown_caller')}</strong></p>
          <p class="pop-actions">
            <Link class="btn btn-primary pop-new-contact" href={`/contacts/new?mobile=${encodeURIComponent(pop.new_contact?.mobile ?? pop.number)}&source=phone`} onClick={onClose}>{ts('svc_new_contact')}</Link>
          </p>
        </>
      )}
      <button class="btn btn-ghost pop-close" onClick={onClose}>{ts('svc_dismiss')}</button>
    </aside>
  );
}
