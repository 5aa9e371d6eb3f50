// Pages for customers, without a login: the support form (a case from the web)
// and the satisfaction survey behind the link sent on resolution.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Rec } from '../../lib/api';
import { LOCALES, locale, serverMessage } from '../../lib/i18n';
import { setLanguage } from '../../lib/session';
import { ts, type SvcKey } from '../../lib/service-i18n';
import type { PublicRoute } from '../../lib/service';
import './service.css';

export function PublicPage({ route }: { route: NonNullable<PublicRoute> }) {
  return (
    <main class="public-page" id="main">
      <div class="public-lang">
        <select aria-label="Language" value={locale.value} onChange={(e) => setLanguage((e.target as HTMLSelectElement).value as any)}>
          {LOCALES.map((l) => <option key={l.code} value={l.code}>{l.name}</option>)}
        </select>
      </div>
      {route.name === 'support' ? <SupportForm /> : <Survey token={route.token} />}
    </main>
  );
}

function SupportForm() {
  const [v, setV] = useState<Record<string, string>>({ name: '', email: '', phone: '', subject: '', description: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState('');
  const [problem, setProblem] = useState('');
  useEffect(() => {
    document.title = ts('svc_support_title');
  }, []);
  async function submit(e: Event) {
    e.preventDefault();
    setErrors({});
    setProblem('');
    const body: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (x.trim()) body[k] = x.trim();
    try {
      const r = await api.post<Rec>('/public/cases', body);
      setDone(r.case_number);
    } catch (err) {
      if (err instanceof ApiError && err.fields && Object.keys(err.fields).length) setErrors(err.fields);
      else setProblem(err instanceof ApiError ? err.message : String(err));
    }
  }
  if (done) return <section class="card public-card"><h1>{ts('svc_support_title')}</h1><p role="status" class="done">{ts('svc_submitted', { number: done })}</p></section>;
  const fields: [string, SvcKey, string][] = [['name', 'svc_your_name', 'text'], ['email', 'svc_email', 'email'], ['phone', 'svc_phone', 'tel'], ['subject', 'svc_subject', 'text']];
  return (
    <section class="card public-card">
      <h1>{ts('svc_support_title')}</h1>
      <p class="muted">{ts('svc_support_intro')}</p>
      <form onSubmit={submit} noValidate>
        {fields.map(([k, label, type]) => (
          <div class="field" key={k}>
            <label for={`f-${k}`}>{ts(label)}</label>
            <input id={`f-${k}`} name={k} type={type} value={v[k]} aria-invalid={!!errors[k]} aria-describedby={errors[k] ? `e-${k}` : undefined}
              onInput={(e) => setV({ ...v, [k]: (e.target as HTMLInputElement).value })} />
            {errors[k] && <p class="field-error" id={`e-${k}`}>{serverMessage(errors[k])}</p>}
          </div>
        ))}
        <div class="field">
          <label for="f-description">{ts('svc_description')}</label>
          <textarea id="f-description" rows={5} value={v.description} onInput={(e) => setV({ ...v, description: (e.target as HTMLTextAreaElement).value })} />
        </div>
        {problem && <p class="alert alert-error" role="alert">{problem}</p>}
        <button class="btn btn-primary" type="submit">{ts('svc_submit')}</button>
      </form>
    </section>
  );
}

function Survey({ token }: { token: string }) {
  const [s, setS] = useState<Rec | null>(null);
  const [gone, setGone] = useState(false);
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState('');
  const [thanks, setThanks] = useState(false);
  const [problem, setProblem] = useState('');
  useEffect(() => {
    document.title = ts('svc_csat_title');
    api.get<Rec>(`/public/csat/${token}`).then(setS, () => setGone(true));
  }, [token]);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api.post(`/public/csat/${token}`, { score, comment: comment.trim() || undefined });
      setThanks(true);
    } catch (err) {
      setProblem(err instanceof ApiError ? err.message : String(err));
    }
  }
  if (gone) return <section class="card public-card"><p role="alert">{ts('svc_csat_gone')}</p></section>;
  if (!s) return null;
  if (thanks || s.answered) return <section class="card public-card"><h1>{ts('svc_csat_title')}</h1><p role="status" class="done">{thanks ? ts('svc_csat_thanks') : ts('svc_csat_done')}</p></section>;
  return (
    <section class="card public-card">
      <h1>{ts('svc_csat_title')}</h1>
      <form onSubmit={submit}>
        <fieldset class="scores">
          <legend>{ts('svc_csat_question', { number: s.case_number, subject: s.subject })}</legend>
          {[1, 2, 3, 4, 5].map((n) => (
            <label key={n} class={`score ${score === n ? 'chosen' : ''}`}>
              <input type="radio" name="score" value={n} checked={score === n} onChange={() => setScore(n)} />
              <span class="score-n">{n}</span> {ts(`svc_score_${n}` as SvcKey)}
            </label>
          ))}
        </fieldset>
        <label class="block" for="csat-comment">{ts('svc_csat_comment')}</label>
        <textarea id="csat-comment" rows={3} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
        {problem && <p class="alert alert-error" role="alert">{problem}</p>}
        <button class="btn btn-primary" type="submit" disabled={!score}>{ts('svc_submit')}</button>
      </form>
    </section>
  );
}
