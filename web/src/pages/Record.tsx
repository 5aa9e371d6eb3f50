// One record: fields in groups with inline edit, the activity timeline with
// one-click logging, related lists, and for accounts and contacts the
// customer 360 view (value figures, open opportunities and cases).
import { useEffect, useState } from 'preact/hooks';
import { lazy, Suspense } from 'preact/compat';
import { api, ApiError, call, type ListPage as Page, type Rec } from '../lib/api';
import type { Entity, Field } from '../lib/meta';
import { activityLink, activityLinks, defaultColumns, field, fieldGroups, isEditable, isVisible } from '../lib/meta';
import { entityLabel, enumLabel, fieldLabel, locale, singularLabel, t } from '../lib/i18n';
import { coerce, formatDate, formatDateTime, formatMoney, formatMoneyCompact, formatNumber, formatRelative, inputText, fromLocalInput } from '../lib/format';
import { entities, may, mayOn, meta, permissions } from '../lib/session';
import { isMasked } from '../lib/permissions';
import { rememberTitle, titleOf } from '../lib/refs';
import { ErrorBox, Link, Loading, errorText, toast } from '../components/ui';
import { FieldInput, FieldValue } from '../components/fields';
import type { MessageKey } from '../lib/messages';

// The stored analytics scores as badges (RFM segment, CLV, churn risk), loaded with their own small chunk.
const ScoreBadges = lazy(() => import('./analytics/Badges'));

const CUSTOMER_360 = new Set(['accounts', 'contacts']);
const OPEN_CASE_STATUSES = 'new,assigned,in_progress,waiting';

export function RecordPage({ entity: e, id }: { entity: Entity; id: number }) {
  const [rec, setRec] = useState<Rec | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [timelineKey, setTimelineKey] = useState(0);

  async function load() {
    try {
      const a = await call<Rec>('GET', `/${e.name}/${id}`);
      setRec(a.data);
      rememberTitle(e.name, a.data);
      setError(null);
      return a.data;
    } catch (err) {
      setError(err);
      return null;
    }
  }
  useEffect(() => {
    load();
  }, [e.name, id]);
  useEffect(() => {
    if (rec) document.title = `${titleOf(e, rec)} · ${entityLabel(e)}`;
  }, [rec, locale.value]);

  if (error && !rec) return <section class="page"><ErrorBox error={error} /></section>;
  if (!rec) return <Loading />;

  // What the role allows (GET /auth/me): with scope "own", on the user's own records only.
  const canEdit = mayOn(e, 'edit', rec) && !rec.archived_at;
  const canArchive = rec.archived_at ? mayOn(e, 'edit', rec) : mayOn(e, 'delete', rec); // restore is an edit
  const acts = entities.value.get('activities');
  const canLog = !!acts && may(acts, 'create') && !rec.archived_at;
  const is360 = CUSTOMER_360.has(e.name);
  const hasTimeline = !!activityLink(meta.value!, e.name);

  async function archive() {
    if (!confirm(t('confirm_archive', { title: titleOf(e, rec!) }))) return;
    try {
      await api.del(`/${e.name}/${id}`);
      toast(t('archived_done'));
      await load();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
  async function restore() {
    try {
      setRec(await api.post(`/${e.name}/${id}/restore`));
      toast(t('restored_done'));
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  return (
    <article class={`page record-page ${is360 ? 'is-360' : ''}`} aria-labelledby="page-title">
      <div class="page-head">
        <div>
          <nav class="crumbs" aria-label={entityLabel(e)}>
            <Link href={`/${e.name}`}>{entityLabel(e)}</Link>
            {is360 && <span class="muted"> · {t('customer_360')}</span>}
          </nav>
          <h1 id="page-title">
            {titleOf(e, rec)}
            {rec.archived_at && <span class="badge badge-archived">{t('archived_badge')}</span>}
          </h1>
          <HeadBadges e={e} rec={rec} />
        </div>
        {canArchive && (
          <div class="head-actions">
            {rec.archived_at ? (
              <button class="btn" onClick={restore}>{t('restore')}</button>
            ) : (
              <button class="btn btn-ghost" onClick={archive}>{t('archive')}</button>
            )}
          </div>
        )}
      </div>

      {is360 && <ValueFigures e={e} id={id} />}
      {is360 && <Suspense fallback={null}><ScoreBadges entity={e.name} id={id} /></Suspense>}

      <div class="record-grid">
        <div class="record-main">
          <FieldsPanel e={e} rec={rec} canWrite={canEdit} onSaved={setRec} reload={load} />
        </div>
        <div class="record-side">
          {is360 && (
            <>
              <MiniList title={t('open_opportunities')} entity="opportunities" base={`/${e.name}/${id}/opportunities`}
                query={{ status: 'open', sort: 'expected_close_date' }} extra={['stage', 'amount']} />
              <MiniList title={t('open_cases')} entity="cases" base={`/${e.name}/${id}/cases`}
                query={{ 'status[in]': OPEN_CASE_STATUSES, sort: '-id' }} extra={['status', 'priority']} />
            </>
          )}
          {hasTimeline && (
            <section class="card" aria-labelledby="timeline-title">
              <h2 id="timeline-title" class="card-title">{is360 ? t('recent_activities') : t('timeline')}</h2>
              {canLog && <QuickLog e={e} rec={rec} onLogged={() => setTimelineKey((k) => k + 1)} />}
              <Timeline key={timelineKey} e={e} id={id} />
            </section>
          )}
        </div>
      </div>

      <RelatedTabs e={e} id={id} rec={rec} />
    </article>
  );
}

function HeadBadges({ e, rec }: { e: Entity; rec: Rec }) {
  const shown = e.fields.filter((f) => f.type === 'enum' && f.indexed && rec[f.name]).slice(0, 3);
  const owner = field(e, 'owner_id');
  return (
    <p class="head-badges">
      {shown.map((f) => (
        <span key={f.name} class={`badge badge-${rec[f.name]}`} title={fieldLabel(f)}>{enumLabel(e.name, f.name, rec[f.name])}</span>
      ))}
      {e.fields
        .filter((f) => (f.type === 'phone' || f.type === 'email') && rec[f.name])
        .slice(0, 3)
        .map((f) =>
          // A masked value (138****5678) cannot be called or written to: shown, not linked.
          isMasked(permissions.value, rec[f.name], f) ? (
            <span key={f.name} class="quick-contact masked" title={fieldLabel(f)}>
              {f.type === 'email' ? '✉' : '☎'} {rec[f.name]}
            </span>
          ) : (
            <a key={f.name} class="quick-contact" href={f.type === 'email' ? `mailto:${rec[f.name]}` : `tel:${String(rec[f.name]).replace(/[^\d+]/g, '')}`}
              aria-label={`${fieldLabel(f)} ${rec[f.name]}`}>
              {f.type === 'email' ? '✉' : '☎'} {rec[f.name]}
            </a>
          ),
        )}
      {owner && rec.owner_id && (
        <span class="muted">
          {fieldLabel(owner)}: <FieldValue entity={e.name} f={owner} r={rec} />
        </span>
      )}
    </p>
  );
}

function FieldsPanel(props: { e: Entity; rec: Rec; canWrite: boolean; onSaved: (r: Rec) => void; reload: () => Promise<Rec | null> }) {
  const { e, rec } = props;
  return (
    <>
      {fieldGroups(e).map((g) => (
        <section class="card" key={g.key} aria-labelledby={`group-${g.key}`}>
          <h2 class="card-title" id={`group-${g.key}`}>{t(`group_${g.key}` as MessageKey)}</h2>
          <dl class={`fields ${g.key === 'notes' ? 'fields-wide' : ''}`}>
            {g.fields.map((f) => (
              <InlineField key={f.name} e={e} f={f} rec={rec} canWrite={props.canWrite && isEditable(f)} onSaved={props.onSaved} reload={props.reload} />
            ))}
          </dl>
        </section>
      ))}
    </>
  );
}

/** A field that turns into its input on click (or Enter), saves with If-Match, and shows the server's error at the field. */
function InlineField(props: { e: Entity; f: Field; rec: Rec; canWrite: boolean; onSaved: (r: Rec) => void; reload: () => Promise<Rec | null> }) {
  const { e, f, rec } = props;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const id = `f-${f.name}`;

  function start() {
    setText(inputText(f, rec[f.name], rec.currency ?? 'CNY'));
    setError('');
    setEditing(true);
  }
  async function save() {
    const c = coerce(f, text, rec.currency ?? 'CNY');
    if ('error' in c) {
      setError(t(`err_${c.error}` as MessageKey));
      return;
    }
    if (JSON.stringify(c.value) === JSON.stringify(rec[f.name] ?? null)) {
      setEditing(false);
      return;
    }
    setBusy(true);
    try {
      const r = await api.patch<Rec>(`/${e.name}/${rec.id}`, { [f.name]: c.value }, rec.version);
      props.onSaved(r);
      rememberTitle(e.name, r);
      setEditing(false);
      toast(`${fieldLabel(f)}: ${t('saved')}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        await props.reload();
        setError(t('conflict_record'));
      } else if (err instanceof ApiError && err.fields[f.name]) {
        setError(err.fields[f.name]);
      } else {
        setError(errorText(err));
      }
    } finally {
      setBusy(false);
    }
  }
  const onKeyDown = (ev: KeyboardEvent) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      setEditing(false);
    } else if (ev.key === 'Enter' && !(ev.target instanceof HTMLTextAreaElement) && !(ev.target as HTMLElement).getAttribute('aria-expanded')?.includes('true')) {
      ev.preventDefault();
      save();
    }
  };

  return (
    <div class={`field-row ${editing ? 'editing' : ''}`} data-field={f.name}>
      <dt>{editing ? <label for={id}>{fieldLabel(f)}</label> : fieldLabel(f)}</dt>
      <dd>
        {editing ? (
          <div class="inline-edit">
            <FieldInput entity={e.name} f={f} id={id} value={text} onInput={setText} error={error} autoFocus onKeyDown={onKeyDown} currency={rec.currency} />
            <div class="inline-actions">
              <button class="btn btn-primary btn-sm" onClick={save} disabled={busy}>{busy ? t('saving') : t('save')}</button>
              <button class="btn btn-sm" onClick={() => setEditing(false)} disabled={busy}>{t('cancel')}</button>
            </div>
          </div>
        ) : props.canWrite ? (
          <div class="value-edit">
            <span class="value"><FieldValue entity={e.name} f={f} r={rec} /></span>
            <button class="icon-btn edit-btn" aria-label={t('edit_field', { field: fieldLabel(f) })} title={t('edit')} onClick={start}>✎</button>
          </div>
        ) : (
          <FieldValue entity={e.name} f={f} r={rec} />
        )}
      </dd>
    </div>
  );
}

interface Summary {
  revenue?: number;
  currency?: string;
  orders?: number;
  last_order_date?: string | null;
  first_order_date?: string | null;
  open_opportunities?: number;
  open_pipeline?: number;
  open_cases?: number;
  last_activity_at?: string | null;
}

function ValueFigures({ e, id }: { e: Entity; id: number }) {
  const [s, setS] = useState<Summary | null>(null);
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    api.get<Summary>(`/${e.name}/${id}/summary`).then(setS, () => setMissing(true));
  }, [e.name, id]);
  const l = locale.value;
  if (missing) return <p class="muted figures-missing">{t('value_unavailable')}</p>;
  if (!s) return <div class="figures figures-loading" aria-hidden="true" />;
  const fig = (label: MessageKey, value: string, cls = '', sub = '') => (
    <div class={`figure ${cls}`} data-figure={label}>
      <div class="figure-value">{value || t('empty_value')}</div>
      <div class="figure-label">{t(label)}{sub && <span class="figure-sub"> · {sub}</span>}</div>
    </div>
  );
  const cur = s.currency ?? 'CNY';
  return (
    <section class="figures" aria-label={t('customer_360')}>
      {fig('value_revenue', formatMoney(s.revenue ?? 0, cur, l), 'figure-big')}
      {fig('value_orders', formatNumber(s.orders ?? 0, l))}
      {fig('value_last_order', formatDate(s.last_order_date, l))}
      {fig('value_first_order', formatDate(s.first_order_date, l))}
      {fig('value_open_opps', formatNumber(s.open_opportunities ?? 0, l), '', s.open_pipeline ? formatMoneyCompact(s.open_pipeline, cur, l) : '')}
      {fig('value_open_cases', formatNumber(s.open_cases ?? 0, l))}
      {s.last_activity_at !== undefined && fig('value_last_activity', formatRelative(s.last_activity_at, l))}
    </section>
  );
}

function MiniList(props: { title: string; entity: string; base: string; query: Record<string, string>; extra: string[] }) {
  const target = entities.value.get(props.entity);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Page>(props.base, { ...props.query, limit: 10, count: 1 }).then(setPage, setError);
  }, [props.base]);
  if (!target) return null;
  return (
    <section class="card" aria-label={props.title}>
      <h2 class="card-title">
        {props.title} {page?.total !== undefined && <span class="count">{page.total}</span>}
      </h2>
      {error ? <ErrorBox error={error} /> : null}
      {page && page.data.length === 0 && <p class="muted">{t('none_yet')}</p>}
      <ul class="mini-list">
        {page?.data.map((r) => (
          <li key={r.id}>
            <Link href={`/${target.name}/${r.id}`}>{titleOf(target, r)}</Link>
            <span class="mini-extra">
              {props.extra.map((n) => {
                const f = field(target, n);
                return f ? <FieldValue key={n} entity={target.name} f={f} r={r} /> : null;
              })}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const ICON: Record<string, string> = { call: '☎', task: '☑', note: '✎', meeting: '👥', email: '✉' };

function Timeline({ e, id }: { e: Entity; id: number }) {
  const [items, setItems] = useState<Rec[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const acts = entities.value.get('activities')!;
  async function more(c: string | null) {
    try {
      const p = await api.get<Page>(`/${e.name}/${id}/activities`, { sort: '-created_at', limit: 15, cursor: c ?? undefined });
      setItems((old) => (c ? [...old, ...p.data] : p.data));
      setCursor(p.next_cursor);
    } catch (err) {
      setError(err);
    }
    setLoaded(true);
  }
  useEffect(() => {
    more(null);
  }, [e.name, id]);
  async function done(a: Rec) {
    try {
      const r = await api.patch<Rec>(`/activities/${a.id}`, { status: 'completed' }, a.version);
      setItems((old) => old.map((x) => (x.id === a.id ? r : x)));
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
  const l = locale.value;
  if (!loaded) return <Loading />;
  return (
    <>
      {error ? <ErrorBox error={error} /> : null}
      {items.length === 0 && <p class="muted">{t('none_yet')}</p>}
      <ol class="timeline">
        {items.map((a) => (
          <li key={a.id} class={`tl-item tl-${a.type} tl-${a.status}`}>
            <span class="tl-icon" aria-hidden="true">{ICON[a.type] ?? '•'}</span>
            <div class="tl-body">
              <div class="tl-head">
                <Link href={`/activities/${a.id}`} class="tl-subject">{a.subject}</Link>
                <span class="badge">{enumLabel('activities', 'type', a.type)}</span>
                {a.status !== 'completed' && <span class={`badge badge-${a.status}`}>{enumLabel('activities', 'status', a.status)}</span>}
              </div>
              {a.description && <p class="tl-text pre">{a.description}</p>}
              <div class="tl-meta muted">
                <time dateTime={a.created_at} title={formatDateTime(a.created_at, l)}>{formatRelative(a.created_at, l)}</time>
                {a.due_at && a.status === 'planned' && <> · {fieldLabel(field(acts, 'due_at')!)} {formatDateTime(a.due_at, l)}</>}
                {a.owner_id && <> · <FieldValue entity="activities" f={field(acts, 'owner_id')!} r={a} /></>}
              </div>
            </div>
            {a.status === 'planned' && mayOn(acts, 'edit', a) && (
              <button class="btn btn-sm" onClick={() => done(a)}>{t('mark_done')}</button>
            )}
          </li>
        ))}
      </ol>
      {cursor && <button class="btn btn-ghost" onClick={() => more(cursor)}>{t('load_more')}</button>}
    </>
  );
}

type QuickKind = 'call' | 'task' | 'note';

function QuickLog({ e, rec, onLogged }: { e: Entity; rec: Rec; onLogged: () => void }) {
  const [kind, setKind] = useState<QuickKind | null>(null);
  const [subject, setSubject] = useState('');
  const [notes, setNotes] = useState('');
  const [due, setDue] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const acts = entities.value.get('activities')!;

  function open(k: QuickKind) {
    setKind(k);
    setSubject(k === 'call' ? t('default_subject_call') : k === 'note' ? t('default_subject_note') : '');
    setNotes('');
    setDue('');
    setErrors({});
  }
  async function submit(ev: Event) {
    ev.preventDefault();
    setBusy(true);
    setErrors({});
    const body: Record<string, unknown> = {
      type: kind,
      subject: subject.trim(),
      description: notes.trim() || null,
      status: kind === 'task' ? 'planned' : 'completed',
      ...activityLinks(meta.value!, e.name, rec),
    };
    if (kind === 'task' && due) body.due_at = fromLocalInput(due);
    try {
      await api.post('/activities', body);
      toast(t('activity_logged'));
      setKind(null);
      onLogged();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setErrors(err.fields);
      else setErrors({ _: errorText(err) });
    } finally {
      setBusy(false);
    }
  }
  const label = (n: string) => fieldLabel(field(acts, n)!);
  return (
    <div class="quicklog">
      <div class="quicklog-buttons" role="group">
        <button class={`btn ${kind === 'call' ? 'btn-active' : ''}`} onClick={() => open('call')}>☎ {t('log_call')}</button>
        <button class={`btn ${kind === 'task' ? 'btn-active' : ''}`} onClick={() => open('task')}>☑ {t('add_task')}</button>
        <button class={`btn ${kind === 'note' ? 'btn-active' : ''}`} onClick={() => open('note')}>✎ {t('add_note')}</button>
      </div>
      {kind && (
        <form class="form quicklog-form" onSubmit={submit} noValidate aria-label={t(kind === 'call' ? 'log_call' : kind === 'task' ? 'add_task' : 'add_note')}>
          <div class="field">
            <label for="ql-subject">{label('subject')}</label>
            <FieldInput entity="activities" f={field(acts, 'subject')!} id="ql-subject" value={subject} onInput={setSubject} error={errors.subject} autoFocus />
          </div>
          {kind === 'task' && (
            <div class="field">
              <label for="ql-due">{label('due_at')}</label>
              <FieldInput entity="activities" f={field(acts, 'due_at')!} id="ql-due" value={due} onInput={setDue} error={errors.due_at} />
            </div>
          )}
          <div class="field">
            <label for="ql-notes">{label('description')}</label>
            <FieldInput entity="activities" f={field(acts, 'description')!} id="ql-notes" value={notes} onInput={setNotes} error={errors.description} />
          </div>
          {errors._ && <p class="alert alert-error" role="alert">{errors._}</p>}
          <div class="form-actions">
            <button class="btn btn-primary" type="submit" disabled={busy}>{busy ? t('saving') : t('save')}</button>
            <button class="btn" type="button" onClick={() => setKind(null)}>{t('cancel')}</button>
          </div>
        </form>
      )}
    </div>
  );
}

/** Child records a locked parent keeps as they are (the server refuses changes: domain/orders.c). */
const LOCKED_CHILDREN: Record<string, string> = { orders: 'order_lines' };

function RelatedTabs({ e, id, rec }: { e: Entity; id: number; rec: Rec }) {
  // Activities have the timeline; records owned by a user are many and belong to their own lists.
  const rel = e.related.filter((r) => r.entity !== 'activities' && r.field !== 'owner_id' && entities.value.has(r.entity));
  const [tab, setTab] = useState(0);
  if (rel.length === 0) return null;
  const cur = rel[Math.min(tab, rel.length - 1)];
  const label = (r: { entity: string; field: string }) => {
    const re = entities.value.get(r.entity)!;
    const dup = rel.filter((x) => x.entity === r.entity).length > 1;
    return dup ? `${entityLabel(re)} (${fieldLabel(field(re, r.field)!)})` : entityLabel(re);
  };
  return (
    <section class="card related" aria-labelledby="related-title">
      <h2 class="card-title" id="related-title">{t('related')}</h2>
      <div class="tabs" role="tablist" aria-label={t('related')}>
        {rel.map((r, i) => (
          <button role="tab" id={`tab-${i}`} aria-selected={r === cur} aria-controls="related-panel" tabIndex={r === cur ? 0 : -1} class="tab" key={`${r.entity}.${r.field}`}
            onClick={() => setTab(i)}
            onKeyDown={(ev) => {
              if (ev.key === 'ArrowRight') { setTab((i + 1) % rel.length); (ev.currentTarget.nextElementSibling as HTMLElement | null)?.focus(); }
              if (ev.key === 'ArrowLeft') { setTab((i - 1 + rel.length) % rel.length); (ev.currentTarget.previousElementSibling as HTMLElement | null)?.focus(); }
            }}>
            {label(r)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="related-panel" aria-labelledby={`tab-${rel.indexOf(cur)}`}>
        <RelatedList key={`${cur.entity}.${cur.field}`} parent={e} id={id} entity={entities.value.get(cur.entity)!} via={cur.field}
          locked={rec.locked === true && LOCKED_CHILDREN[e.name] === cur.entity} />
      </div>
    </section>
  );
}

function RelatedList({ parent, id, entity, via, locked }: { parent: Entity; id: number; entity: Entity; via: string; locked: boolean }) {
  const [rows, setRows] = useState<Rec[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [total, setTotal] = useState<number | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(false);
  // The same relation through another field (leads.converted_account_id) needs a filter, not the path.
  const direct = parent.related.find((r) => r.entity === entity.name)?.field === via;
  async function more(c: string | null) {
    try {
      const q = { limit: 20, count: c ? undefined : 1, cursor: c ?? undefined };
      const p = direct
        ? await api.get<Page>(`/${parent.name}/${id}/${entity.name}`, q)
        : await api.get<Page>(`/${entity.name}`, { ...q, [via]: id });
      setRows((old) => (c ? [...old, ...p.data] : p.data));
      setCursor(p.next_cursor);
      if (p.total !== undefined) setTotal(p.total);
    } catch (err) {
      setError(err);
    }
    setLoaded(true);
  }
  useEffect(() => {
    more(null);
  }, []);
  const cols = defaultColumns(entity, 5).filter((n) => n !== via).map((n) => field(entity, n)!).filter((f) => f && isVisible(f));
  if (!loaded) return <Loading />;
  return (
    <>
      <div class="related-head">
        <span class="muted">{total !== undefined ? formatNumber(total, locale.value) : ''}</span>
        {locked ? (
          <span class="muted related-locked">{t('lines_locked')}</span>
        ) : (
          may(entity, 'create') && <Link class="btn btn-sm" href={`/${entity.name}/new?${via}=${id}`}>+ {t('new_record', { entity: singularLabel(entity) })}</Link>
        )}
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {rows.length === 0 ? (
        <p class="muted">{t('none_yet')}</p>
      ) : (
        <div class="table-wrap">
          <table class="table table-compact">
            <thead>
              <tr>{cols.map((c) => <th key={c.name}>{fieldLabel(c)}</th>)}</tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  {cols.map((c) => (
                    <td key={c.name} data-label={fieldLabel(c)}>
                      {c.name === entity.title_field ? <Link href={`/${entity.name}/${r.id}`}>{titleOf(entity, r)}</Link> : <FieldValue entity={entity.name} f={c} r={r} />}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && <button class="btn btn-ghost" onClick={() => more(cursor)}>{t('load_more')}</button>}
    </>
  );
}

