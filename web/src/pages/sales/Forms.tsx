// Web forms: setting one up (fields, required fields, campaign, rate limit),
// its link and the code for a website, and its counters; and the hosted form
// itself, which visitors fill in without an account.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ListPage, type Rec } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import { embedSnippet } from '../../lib/sales';
import { st } from '../../lib/sales-i18n';
import { Link, Loading, errorText, toast } from '../../components/ui';

const FIELDS = ['name', 'company', 'title', 'email', 'phone', 'mobile', 'wechat', 'city', 'province', 'industry', 'employees', 'description'];

export function FormsPage() {
  const [forms, setForms] = useState<Rec[] | null>(null);
  const [campaigns, setCampaigns] = useState<Rec[]>([]);
  const [draft, setDraft] = useState({ name: '', campaign: '', fields: ['name', 'company', 'email', 'mobile'], required: ['email'], rate: '20' });
  const l = locale.value;
  async function load() {
    setForms((await api.get<ListPage>('/web_forms', { limit: 100 })).data);
  }
  useEffect(() => {
    document.title = `${st('s_forms')} · Kehu`;
    load().catch((e) => toast(errorText(e), 'error'));
    api.get<ListPage>('/campaigns', { limit: 200 }).then((p) => setCampaigns(p.data), () => {});
  }, []);
  async function create(e: Event) {
    e.preventDefault();
    try {
      await api.post('/web_forms', {
        name: draft.name, campaign_id: draft.campaign ? Number(draft.campaign) : undefined, fields: draft.fields,
        required_fields: draft.required.filter((f) => draft.fields.includes(f)), rate_limit: Number(draft.rate),
      });
      setDraft({ ...draft, name: '' });
      await load();
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
  }
  const toggle = (list: 'fields' | 'required', f: string) =>
    setDraft({ ...draft, [list]: draft[list].includes(f) ? draft[list].filter((x) => x !== f) : [...draft[list], f] });
  if (!forms) return <Loading />;
  return (
    <section class="page sales-forms" aria-labelledby="page-title">
      <h1 id="page-title">{st('s_forms')}</h1>
      <p class="muted help">{st('s_forms_help')}</p>
      {forms.map((f) => (
        <section class="card web-form" key={f.id} data-form={f.form_key}>
          <h2 class="card-title"><Link href={`/web_forms/${f.id}`}>{f.name}</Link>{!f.active && <span class="badge">off</span>}</h2>
          <p>{st('s_submissions')}: {formatNumber(f.submissions, l)} · {st('s_spam')}: {formatNumber(f.spam_blocked, l)}{f.last_submission_at ? ` · ${formatDateTime(f.last_submission_at, l)}` : ''}</p>
          <p>{st('s_form_link')}: <a class="form-link" href={`/f/${f.form_key}`} target="_blank" rel="noopener">{location.origin}/f/{f.form_key}</a></p>
          <details><summary>{st('s_form_embed')}</summary><pre class="pre">{embedSnippet(location.origin, f.form_key)}</pre></details>
        </section>
      ))}
      <form class="card form new-form" onSubmit={create}>
        <h2 class="card-title">{st('s_new_form')}</h2>
        <label class="field">{st('s_forms')}<input id="wf-name" required value={draft.name} onInput={(e) => setDraft({ ...draft, name: (e.target as HTMLInputElement).value })} /></label>
        <label class="field">{l === 'zh-CN' ? '市场活动' : 'Campaign'}
          <select id="wf-campaign" value={draft.campaign} onChange={(e) => setDraft({ ...draft, campaign: (e.target as HTMLSelectElement).value })}>
            <option value="">—</option>{campaigns.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </label>
        <fieldset><legend>{l === 'zh-CN' ? '字段' : 'Fields'}</legend>
          {FIELDS.map((f) => (
            <span class="check" key={f}>
              <label><input type="checkbox" data-field={f} checked={draft.fields.includes(f)} onChange={() => toggle('fields', f)} /> {f}</label>
              {draft.fields.includes(f) && <label class="muted"> <input type="checkbox" data-required={f} checked={draft.required.includes(f)} onChange={() => toggle('required', f)} /> {st('s_required')}</label>}
            </span>
          ))}
        </fieldset>
        <label class="field">{l === 'zh-CN' ? '每地址每小时提交上限' : 'Submissions per hour per address'}<input id="wf-rate" type="number" min="1" value={draft.rate} onInput={(e) => setDraft({ ...draft, rate: (e.target as HTMLInputElement).value })} /></label>
        <button class="btn btn-primary">{st('s_new_form')}</button>
      </form>
    </section>
  );
}

interface FormDesc {
  name: string;
  honeypot_field: string;
  success_message: string | null;
  redirect_url: string | null;
  fields: { name: string; type: string; label_en: string; label_zh: string; required: boolean; values?: string[]; max_length?: number }[];
}

/** The hosted form at /f/{key}: no account, no menu. */
export function PublicFormPage({ formKey }: { formKey: string }) {
  const [d, setD] = useState<FormDesc | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);
  const zh = locale.value === 'zh-CN';
  useEffect(() => {
    api.get<FormDesc>(`/public/forms/${encodeURIComponent(formKey)}`).then((x) => { setD(x); document.title = x.name; }, (e) => setFatal(errorText(e)));
  }, [formKey]);
  async function submit(e: Event) {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    for (const f of d!.fields) {
      const v = values[f.name];
      if (v) body[f.name] = f.type === 'integer' ? Number(v) : v;
    }
    body[d!.honeypot_field] = values.__hp ?? '';
    try {
      const r = await api.post<any>(`/public/forms/${encodeURIComponent(formKey)}`, body);
      if (r.redirect_url) location.href = r.redirect_url;
      setDone(r.message ?? st('s_thanks'));
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setErrors(err.fields);
      else setFatal(errorText(err));
    }
  }
  if (fatal) return <main class="page public-form"><p class="alert alert-error" role="alert">{fatal}</p></main>;
  if (!d) return <Loading />;
  if (done) return <main class="page public-form"><h1>{d.name}</h1><p class="alert form-done" role="status">{done}</p></main>;
  return (
    <main class="page public-form" id="main">
      <h1>{d.name}</h1>
      <form class="card form" onSubmit={submit} noValidate>
        {d.fields.map((f) => (
          <label class="field" key={f.name}>
            {zh ? f.label_zh : f.label_en}{f.required && <span class="req" aria-hidden="true"> *</span>}
            {f.values ? (
              <select name={f.name} value={values[f.name] ?? ''} onChange={(e) => setValues({ ...values, [f.name]: (e.target as HTMLSelectElement).value })}>
                <option value="">—</option>{f.values.map((v) => <option key={v} value={v}>{v}</option>)}
              </select>
            ) : (
              <input name={f.name} type={f.type === 'email' ? 'email' : f.type === 'integer' ? 'number' : 'text'} required={f.required} maxLength={f.max_length}
                aria-invalid={!!errors[f.name]} value={values[f.name] ?? ''} onInput={(e) => setValues({ ...values, [f.name]: (e.target as HTMLInputElement).value })} />
            )}
            {errors[f.name] && <span class="field-error" role="alert">{errors[f.name]}</span>}
          </label>
        ))}
        {/* A field people never see: robots fill it in. */}
        <div class="sr-only" aria-hidden="true">
          <label>{d.honeypot_field}<input name={d.honeypot_field} tabIndex={-1} autoComplete="off" value={values.__hp ?? ''} onInput={(e) => setValues({ ...values, __hp: (e.target as HTMLInputElement).value })} /></label>
        </div>
        <button class="btn btn-primary">{st('s_submit')}</button>
      </form>
    </main>
  );
}
