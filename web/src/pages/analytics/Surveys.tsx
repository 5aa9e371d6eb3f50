// Surveys: the list, a builder (questions, activation, sending to a segment)
// and the results (response rate, NPS and CSAT, distributions by question,
// by segment and by month, comments).
import { useState } from 'preact/hooks';
import { api, ApiError, type Rec } from '../../lib/api';
import { enumLabel, locale } from '../../lib/i18n';
import { navigate } from '../../lib/router';
import { ErrorBox, Link, toast, errorText } from '../../components/ui';
import { code, ta } from '../../lib/analytics-i18n';
import { AChart } from './AChart';
import { Card, Figure, Loaded, int, num, pct, useApi } from './common';

const KINDS = ['nps', 'csat', 'ces', 'acsi', 'ecsi', 'custom'];
const TYPES = ['scale', 'nps', 'single', 'multiple', 'text'];
const SEGMENTS = ['Champions', 'Loyal', 'Potential Loyalists', 'New', 'Promising', 'Need Attention', 'About to Sleep', 'At Risk', "Can't Lose", 'Hibernating', 'Lost'];

export function SurveysPage({ id }: { id: number | null }) {
  return id ? <SurveyDetail id={id} /> : <SurveyList />;
}

function SurveyList() {
  const [tick, setTick] = useState(0);
  const list = useApi<{ data: Rec[] }>('/surveys', { limit: 100, sort: '-id' }, tick);
  const [name, setName] = useState('');
  const [kind, setKind] = useState('nps');
  const [err, setErr] = useState<unknown>(null);
  locale.value;
  async function create(e: Event) {
    e.preventDefault();
    try {
      const s = await api.post<Rec>('/surveys', { name, kind, scale_max: kind === 'csat' || kind === 'ces' ? 5 : 10 });
      setTick(tick + 1);
      navigate(`/analytics/surveys/${s.id}`);
    } catch (x) {
      setErr(x);
    }
  }
  return (
    <div class="an-grid">
      <Card title={ta('an_new_survey')} name="new-survey">
        <form class="an-form" onSubmit={create}>
          <label>{ta('an_survey_name')}<input name="survey-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
          <label>{ta('an_survey_kind')}
            <select name="survey-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
              {KINDS.map((k) => <option key={k} value={k}>{enumLabel('surveys', 'kind', k)}</option>)}
            </select>
          </label>
          <button class="btn btn-primary" type="submit">{ta('an_create')}</button>
        </form>
        {err ? <ErrorBox error={err} /> : null}
      </Card>
      <Card title={ta('an_surveys_list')} wide name="surveys">
        <Loaded s={list}>{(d) => (
          <table class="table table-compact">
            <thead><tr><th>{ta('an_survey_name')}</th><th>{ta('an_survey_kind')}</th><th>{ta('an_status')}</th></tr></thead>
            <tbody>
              {d.data.map((s) => (
                <tr key={s.id}><td><Link href={`/analytics/surveys/${s.id}`}>{s.name}</Link></td><td>{enumLabel('surveys', 'kind', s.kind)}</td><td><span class={`badge badge-${s.status}`}>{enumLabel('surveys', 'status', s.status)}</span></td></tr>
              ))}
            </tbody>
          </table>
        )}</Loaded>
      </Card>
    </div>
  );
}

function SurveyDetail({ id }: { id: number }) {
  const [tick, setTick] = useState(0);
  const survey = useApi<Rec>(`/surveys/${id}`, undefined, tick);
  const qs = useApi<{ data: Rec[] }>('/survey_questions', { survey_id: id, sort: 'position', limit: 500 }, tick);
  const results = useApi<any>(`/surveys/${id}/results`, undefined, tick);
  const links = useApi<{ data: Rec[] }>('/survey_invitations', { survey_id: id, limit: 10, sort: '-id' }, tick);
  const reload = () => setTick(tick + 1);
  locale.value;
  return (
    <Loaded s={survey}>{(s) => (
      <>
        <p><Link href="/analytics/surveys">← {ta('an_surveys_list')}</Link></p>
        <h2 class="an-survey-title">{s.name} <span class={`badge badge-${s.status}`}>{enumLabel('surveys', 'status', s.status)}</span></h2>
        <div class="an-grid">
          <Card title={ta('an_questions')} name="questions">
            <Loaded s={qs}>{(d) => <Questions survey={s} questions={d.data} onChange={reload} />}</Loaded>
          </Card>
          <Card title={ta('an_send')} name="send">
            <Send survey={s} onChange={reload} />
            <Loaded s={links}>{(d) => d.data.length ? (
              <>
                <h3 class="card-title">{ta('an_links')}</h3>
                <ul class="mini-list" data-list="links">
                  {d.data.map((i) => <li key={i.id}><a href={`/s/${i.token}`} target="_blank" rel="noopener">/s/{i.token}</a> <span class={`badge badge-${i.status}`}>{enumLabel('survey_invitations', 'status', i.status)}</span></li>)}
                </ul>
              </>
            ) : null}</Loaded>
          </Card>
          <Loaded s={results}>{(r) => <Results r={r} />}</Loaded>
        </div>
      </>
    )}</Loaded>
  );
}

function Questions({ survey, questions, onChange }: { survey: Rec; questions: Rec[]; onChange: () => void }) {
  const [q, setQ] = useState({ code: '', type: 'scale', text: '', scale_max: '5', options: '' });
  const [err, setErr] = useState<unknown>(null);
  async function add(e: Event) {
    e.preventDefault();
    setErr(null);
    try {
      await api.post('/survey_questions', {
        survey_id: survey.id, position: questions.length, code: q.code, type: q.type, text: q.text,
        ...(q.type === 'scale' ? { scale_min: 1, scale_max: Number(q.scale_max) } : {}),
        ...(q.type === 'single' || q.type === 'multiple' ? { options: q.options.split(/[,,]/).map((x) => x.trim()).filter(Boolean) } : {}),
      });
      setQ({ ...q, code: '', text: '', options: '' });
      onChange();
    } catch (x) {
      setErr(x);
    }
  }
  async function status(st: string) {
    try {
      await api.patch(`/surveys/${survey.id}`, { status: st }, survey.version);
      onChange();
    } catch (x) {
      toast(errorText(x), 'error');
    }
  }
  const fieldErr = err instanceof ApiError ? err.fields : {};
  return (
    <>
      {questions.length === 0 ? <p class="muted">{ta('an_no_questions')}</p> : (
        <ol class="an-questions">
          {questions.map((x) => (
            <li key={x.id}><code>{x.code}</code> <span>{x.text}</span> <span class="badge">{enumLabel('survey_questions', 'type', x.type)}{x.type === 'scale' ? ` ${x.scale_min}-${x.scale_max}` : ''}</span></li>
          ))}
        </ol>
      )}
      {survey.status === 'draft' && (
        <form class="an-form" onSubmit={add} aria-label={ta('an_add_question')}>
          <label>{ta('an_code')}<input name="q-code" required size={8} value={q.code} aria-invalid={!!fieldErr.code} onInput={(e) => setQ({ ...q, code: (e.target as HTMLInputElement).value })} /></label>
          <label>{ta('an_type')}
            <select name="q-type" value={q.type} onChange={(e) => setQ({ ...q, type: (e.target as HTMLSelectElement).value })}>
              {TYPES.map((t) => <option key={t} value={t}>{enumLabel('survey_questions', 'type', t)}</option>)}
            </select>
          </label>
          {q.type === 'scale' && (
            <label>{ta('an_scale')}
              <select name="q-scale" value={q.scale_max} onChange={(e) => setQ({ ...q, scale_max: (e.target as HTMLSelectElement).value })}>
                {['5', '7', '10'].map((v) => <option key={v} value={v}>1-{v}</option>)}
              </select>
            </label>
          )}
          <label style={{ flex: '1 1 16rem' }}>{ta('an_text')}<input name="q-text" required value={q.text} onInput={(e) => setQ({ ...q, text: (e.target as HTMLInputElement).value })} /></label>
          {(q.type === 'single' || q.type === 'multiple') && (
            <label>{ta('an_options')}<input name="q-options" value={q.options} onInput={(e) => setQ({ ...q, options: (e.target as HTMLInputElement).value })} /></label>
          )}
          <button class="btn" type="submit">{ta('an_add_question')}</button>
        </form>
      )}
      {err ? <ErrorBox error={err} /> : null}
      <p>
        {survey.status === 'draft' && <button class="btn btn-primary" name="activate" onClick={() => status('active')}>{ta('an_activate')}</button>}
        {survey.status === 'active' && <button class="btn" name="close" onClick={() => status('closed')}>{ta('an_close_survey')}</button>}
      </p>
    </>
  );
}

function Send({ survey, onChange }: { survey: Rec; onChange: () => void }) {
  const [segment, setSegment] = useState('all');
  const [channel, setChannel] = useState('link');
  const [busy, setBusy] = useState(false);
  if (survey.status !== 'active') return <p class="muted">{enumLabel('surveys', 'status', survey.status)}</p>;
  async function send(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await api.post<{ created: number; skipped: number }>(`/surveys/${survey.id}/send`, { segment, channel });
      toast(ta('an_sent', { n: int(r.created), skipped: int(r.skipped) }));
      onChange();
    } catch (x) {
      toast(errorText(x), 'error');
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="an-form" onSubmit={send}>
      <label>{ta('an_send_to')}
        <select name="segment" value={segment} onChange={(e) => setSegment((e.target as HTMLSelectElement).value)}>
          <option value="all">{ta('an_send_all')}</option>
          {SEGMENTS.map((s) => <option key={s} value={`rfm:${s}`}>RFM · {code(s)}</option>)}
          {['new', 'active', 'at_risk', 'won_back'].map((s) => <option key={s} value={`stage:${s}`}>{ta('an_lifecycle')} · {code(s)}</option>)}
        </select>
      </label>
      <label>{ta('an_channel')}
        <select name="channel" value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value)}>
          {['link', 'email', 'portal'].map((c) => <option key={c} value={c}>{enumLabel('survey_invitations', 'channel', c)}</option>)}
        </select>
      </label>
      <button class="btn btn-primary" type="submit" disabled={busy}>{ta('an_send')}</button>
    </form>
  );
}

function Results({ r }: { r: any }) {
  const nq = r.questions.find((q: any) => q.code === r.nps_question);
  const sq = r.questions.find((q: any) => q.code === r.csat_question);
  return (
    <>
      <Card title={ta('an_results')} wide name="results">
        <div class="figures">
          <Figure label={ta('an_invited')} value={int(r.invited)} />
          <Figure label={ta('an_responses')} value={int(r.responses)} />
          <Figure label={ta('an_response_rate')} value={pct(r.response_rate)} />
          {nq?.nps && <Figure label={ta('an_nps')} value={num(nq.nps.score, 0)} sub={`± ${num(nq.nps.se, 0)}`} />}
          {sq && <Figure label={ta('an_csat')} value={`${num(sq.csat, 0)}%`} sub={`${ta('an_mean')} ${num(sq.mean, 2)}`} />}
        </div>
      </Card>
      {r.questions.filter((q: any) => q.distribution || q.counts).map((q: any) => (
        <Card key={q.code} title={q.code} name={`q-${q.code}`}>
          <AChart name={`q-${q.code}`} height={200}
            description={Object.entries(q.distribution ?? q.counts).map(([k, v]) => `${k}: ${v}`).join(', ')}
            option={{
              tooltip: { trigger: 'axis' },
              grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
              xAxis: { type: 'category', data: Object.keys(q.distribution ?? q.counts) },
              yAxis: { type: 'value' },
              series: [{ type: 'bar', data: Object.values(q.distribution ?? q.counts) }],
            }} />
          {q.mean !== undefined && <p class="an-note">{ta('an_mean')} {num(q.mean, 2)} · CSAT {num(q.csat, 0)}%{q.nps ? ` · NPS ${num(q.nps.score, 0)}` : ''}</p>}
        </Card>
      ))}
      {r.by_month.length > 0 && (
        <Card title={ta('an_by_month')} name="by-month">
          <AChart name="by-month" height={220} description={r.by_month.map((m: any) => `${m.month} ${m.responses}`).join(', ')}
            option={{
              tooltip: { trigger: 'axis' },
              legend: { top: 0 },
              grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
              xAxis: { type: 'category', data: r.by_month.map((m: any) => m.month) },
              yAxis: [{ type: 'value' }, { type: 'value', min: -100, max: 100 }],
              series: [
                { name: ta('an_responses'), type: 'bar', data: r.by_month.map((m: any) => m.responses) },
                ...(nq ? [{ name: ta('an_nps'), type: 'line', yAxisIndex: 1, data: r.by_month.map((m: any) => (m.nps === null ? null : Math.round(m.nps))) }] : []),
              ],
            }} />
        </Card>
      )}
      {r.by_segment.length > 0 && (
        <Card title={ta('an_by_segment')} name="by-segment">
          <table class="table table-compact">
            <thead><tr><th>{ta('an_segment')}</th><th class="num">{ta('an_responses')}</th><th class="num">{ta('an_nps')}</th><th class="num">{ta('an_csat')}</th></tr></thead>
            <tbody>
              {r.by_segment.map((s: any) => <tr key={s.segment ?? '-'}><td>{s.segment ? code(s.segment) : '—'}</td><td class="col-integer">{int(s.responses)}</td><td class="col-integer">{num(s.nps, 0)}</td><td class="col-percent">{s.csat === undefined ? '—' : `${num(s.csat, 0)}%`}</td></tr>)}
            </tbody>
          </table>
        </Card>
      )}
      {r.comments.length > 0 && (
        <Card title={ta('an_comments')} name="comments">
          <ul class="mini-list">{r.comments.map((c: any, i: number) => <li key={i}>{c.text}</li>)}</ul>
        </Card>
      )}
    </>
  );
}
