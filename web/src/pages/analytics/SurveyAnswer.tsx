// The public answer page of a survey invitation (/s/<token>): no login, one
// column, large touch targets, works on a phone; one answer per invitation.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../../lib/api';
import { locale, LOCALES, setLanguageLocal } from './lang';
import { answerBody, missingAnswers, type Question } from '../../lib/analytics';
import { ta } from '../../lib/analytics-i18n';
import './analytics.css';

interface Page { survey: { name: string; intro: string | null; thanks: string | null }; answered: boolean; questions?: Question[] }

export function SurveyAnswerPage({ token }: { token: string }) {
  const [page, setPage] = useState<Page | null>(null);
  const [gone, setGone] = useState(false);
  const [answers, setAnswers] = useState<Record<string, unknown>>({});
  const [comment, setComment] = useState('');
  const [bad, setBad] = useState<Record<string, string>>({});
  const [state, setState] = useState<'form' | 'sending' | 'done' | 'already'>('form');
  locale.value;
  useEffect(() => {
    call<Page>('GET', `/public/surveys/${encodeURIComponent(token)}`).then(
      (a) => {
        setPage(a.data);
        if (a.data.answered) setState('already');
        document.title = a.data.survey.name;
      },
      () => setGone(true),
    );
  }, [token]);
  if (gone) return <main class="sv-page"><p class="alert alert-warn" role="alert">{ta('sv_gone')}</p></main>;
  if (!page) return <main class="sv-page" aria-busy="true" />;
  const qs = page.questions ?? [];
  const set = (c: string, v: unknown) => {
    setAnswers({ ...answers, [c]: v });
    if (bad[c]) setBad({ ...bad, [c]: '' });
  };
  async function submit(e: Event) {
    e.preventDefault();
    const missing = missingAnswers(qs, answers);
    if (missing.length) {
      setBad(Object.fromEntries(missing.map((c) => [c, ta('sv_required')])));
      document.getElementById(`q-${missing[0]}`)?.focus();
      return;
    }
    setState('sending');
    try {
      await call('POST', `/public/surveys/${encodeURIComponent(token)}`, { body: answerBody(answers, comment) });
      setState('done');
    } catch (x) {
      if (x instanceof ApiError && x.status === 409) setState('already');
      else if (x instanceof ApiError && x.status === 422) {
        setBad(Object.fromEntries(Object.entries(x.fields).map(([k, v]) => [k.replace(/^answers\./, ''), v])));
        setState('form');
      } else {
        setBad({ _: x instanceof Error ? x.message : String(x) });
        setState('form');
      }
    }
  }
  const zhText = (q: Question) => (locale.value === 'en' && q.text_en ? q.text_en : q.text);
  return (
    <main class="sv-page" lang={locale.value}>
      <p style={{ textAlign: 'right' }}>
        <select aria-label="Language / 语言" value={locale.value} onChange={(e) => setLanguageLocal((e.target as HTMLSelectElement).value as any)}>
          {LOCALES.map((l) => <option key={l.code} value={l.code}>{l.name}</option>)}
        </select>
      </p>
      <h1>{page.survey.name}</h1>
      {state === 'done' && <p class="alert" role="status" data-state="thanks">{page.survey.thanks || ta('sv_thanks')}</p>}
      {state === 'already' && <p class="alert" role="status" data-state="already">{ta('sv_already')}</p>}
      {(state === 'form' || state === 'sending') && (
        <form onSubmit={submit} noValidate>
          {page.survey.intro && <p>{page.survey.intro}</p>}
          {qs.map((q) => (
            <fieldset key={q.code} class="sv-q" id={`q-${q.code}`} tabIndex={-1} aria-invalid={bad[q.code] ? true : undefined} aria-describedby={bad[q.code] ? `e-${q.code}` : undefined}>
              <legend>{zhText(q)}{q.required ? ' *' : ''}</legend>
              {(q.type === 'scale' || q.type === 'nps') && (
                <>
                  <div class="sv-scale" role="radiogroup">
                    {Array.from({ length: q.scale_max - q.scale_min + 1 }, (_, k) => q.scale_min + k).map((v) => (
                      <label key={v}>
                        <input type="radio" name={q.code} value={v} checked={answers[q.code] === v} onChange={() => set(q.code, v)} />
                        <span>{v}</span>
                      </label>
                    ))}
                  </div>
                  {q.type === 'nps' && <div class="sv-ends"><span>{ta('sv_not_likely')}</span><span>{ta('sv_very_likely')}</span></div>}
                </>
              )}
              {q.type === 'single' && q.options.map((o) => (
                <label key={o} class="sv-choice"><input type="radio" name={q.code} value={o} checked={answers[q.code] === o} onChange={() => set(q.code, o)} /> {o}</label>
              ))}
              {q.type === 'multiple' && q.options.map((o) => {
                const cur = (answers[q.code] as string[] | undefined) ?? [];
                return (
                  <label key={o} class="sv-choice">
                    <input type="checkbox" name={q.code} value={o} checked={cur.includes(o)} onChange={(e) => set(q.code, (e.target as HTMLInputElement).checked ? [...cur, o] : cur.filter((x) => x !== o))} /> {o}
                  </label>
                );
              })}
              {q.type === 'text' && <textarea name={q.code} aria-label={zhText(q)} maxLength={2000} value={(answers[q.code] as string) ?? ''} onInput={(e) => set(q.code, (e.target as HTMLTextAreaElement).value)} />}
              {bad[q.code] && <p class="sv-error" id={`e-${q.code}`}>{bad[q.code]}</p>}
            </fieldset>
          ))}
          <fieldset class="sv-q">
            <legend>{ta('sv_comment')}</legend>
            <textarea name="comment" aria-label={ta('sv_comment')} maxLength={2000} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
          </fieldset>
          {Object.values(bad).some(Boolean) && <p class="sv-error" role="alert">{bad._ || ta('sv_check')}</p>}
          <button class="btn btn-primary btn-block" type="submit" disabled={state === 'sending'}>{state === 'sending' ? ta('sv_sending') : ta('sv_submit')}</button>
        </form>
      )}
    </main>
  );
}
