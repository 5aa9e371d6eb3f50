// Creating a record: a form generated from the metadata. The server validates;
// its messages appear at the fields they are about.
import { useRef, useState } from 'preact/hooks';
import { api, ApiError, type Rec } from '../lib/api';
import type { Entity } from '../lib/meta';
import { fieldGroups, initialValues, isEditable } from '../lib/meta';
import { entityLabel, serverMessage, singularLabel, t } from '../lib/i18n';
import { coerce } from '../lib/format';
import { navigate, url } from '../lib/router';
import { rememberTitle } from '../lib/refs';
import { may } from '../lib/session';
import { Link, errorText, toast } from '../components/ui';
import { FieldInput, FieldLabel } from '../components/fields';
import type { MessageKey } from '../lib/messages';

export function NewPage({ entity: e }: { entity: Entity }) {
  const [values, setValues] = useState(() => initialValues(e, url.value.search));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const groups = fieldGroups(e, isEditable).filter((g) => g.key !== 'system');

  async function submit(ev: Event) {
    ev.preventDefault();
    const body: Record<string, unknown> = {};
    const errs: Record<string, string> = {};
    for (const f of e.fields) {
      if (!isEditable(f)) continue;
      const raw = values[f.name] ?? '';
      if (raw === '' ) continue; // leave it to the server's default
      const c = coerce(f, raw, values.currency || 'CNY');
      if ('error' in c) errs[f.name] = t(`err_${c.error}` as MessageKey);
      else body[f.name] = c.value;
    }
    setErrors(errs);
    setMessage('');
    if (Object.keys(errs).length) return focusFirstError(errs);
    setBusy(true);
    try {
      const r = await api.post<Rec>(`/${e.name}`, body);
      rememberTitle(e.name, r);
      toast(t('created', { entity: singularLabel(e) }));
      navigate(`/${e.name}/${r.id}`, true);
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        setErrors(err.fields);
        setMessage(t('fix_errors'));
        focusFirstError(err.fields);
      } else {
        setMessage(errorText(err, e));
      }
    } finally {
      setBusy(false);
    }
  }
  function focusFirstError(errs: Record<string, string>) {
    setTimeout(() => {
      const first = e.fields.find((f) => errs[f.name]);
      if (first) formRef.current?.querySelector<HTMLElement>(`#new-${first.name}`)?.focus();
    }, 0);
  }
  // Errors about fields the form does not show (unlikely) still need saying.
  const stray = Object.entries(errors).filter(([k]) => !groups.some((g) => g.fields.some((f) => f.name === k)));

  // A role that may not create these (an address typed in, an old bookmark) gets the reason, not a form.
  if (!may(e, 'create'))
    return (
      <section class="page new-page" aria-labelledby="page-title">
        <nav class="crumbs"><Link href={`/${e.name}`}>{entityLabel(e)}</Link></nav>
        <h1 id="page-title">{t('new_record', { entity: singularLabel(e) })}</h1>
        <p class="alert alert-error" role="alert">{t('forbidden')}</p>
      </section>
    );

  return (
    <section class="page new-page" aria-labelledby="page-title">
      <nav class="crumbs"><Link href={`/${e.name}`}>{entityLabel(e)}</Link></nav>
      <h1 id="page-title">{t('new_record', { entity: singularLabel(e) })}</h1>
      <form ref={formRef} class="form" onSubmit={submit} noValidate>
        {message && <p class="alert alert-error" role="alert">{message}</p>}
        {stray.map(([k, v]) => <p class="alert alert-error" key={k}>{k}: {serverMessage(v)}</p>)}
        {groups.map((g) => (
          <fieldset class="card form-group" key={g.key}>
            <legend class="card-title">{t(`group_${g.key}` as MessageKey)}</legend>
            <div class={`form-grid ${g.key === 'notes' ? 'form-grid-wide' : ''}`}>
              {g.fields.map((f) => (
                <div class={`field ${errors[f.name] ? 'has-error' : ''} field-${f.type}`} key={f.name}>
                  <FieldLabel f={f} htmlFor={`new-${f.name}`} />
                  <FieldInput entity={e.name} f={f} id={`new-${f.name}`} value={values[f.name] ?? ''} error={errors[f.name]}
                    currency={values.currency || 'CNY'}
                    onInput={(v) => {
                      setValues((old) => ({ ...old, [f.name]: v }));
                      if (errors[f.name]) setErrors((old) => { const n = { ...old }; delete n[f.name]; return n; });
                    }} />
                </div>
              ))}
            </div>
          </fieldset>
        ))}
        <div class="form-actions sticky-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{busy ? t('creating') : t('create')}</button>
          <Link class="btn" href={`/${e.name}`}>{t('cancel')}</Link>
        </div>
      </form>
    </section>
  );
}
