// A list of any entity, driven by the metadata: columns per user, sort by any
// column, filters, keyset paging, and bulk edit / assign / archive.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, type ListPage as Page, type Rec } from '../lib/api';
import type { Entity, Field } from '../lib/meta';
import { dateFields, defaultColumns, field, filterFields, isEditable, isVisible } from '../lib/meta';
import { PAGE_SIZES, apiQuery, parseListState, serializeListState, sortDirection, toggleSort, type ListState } from '../lib/query';
import { entityLabel, enumLabel, fieldLabel, locale, serverMessage, singularLabel, t } from '../lib/i18n';
import { formatNumber, coerce } from '../lib/format';
import { navigate, url } from '../lib/router';
import { may, meta, permissions, prefs, savePrefs, user } from '../lib/session';
import { errorMessageIn } from '../lib/errors';
import { canAssign } from '../lib/permissions';
import { loadUsers, titleOf, users } from '../lib/refs';
import { sortByName } from '../lib/collate';
import { Dialog, ErrorBox, Link, errorText, toast } from '../components/ui';
import { FieldInput, FieldValue, RefPicker } from '../components/fields';
import { DataTools } from './import/Export';

export function ListPage({ entity: e }: { entity: Entity }) {
  const st = useMemo(() => parseListState(url.value.search, e), [url.value.search, e]);
  const [page, setPage] = useState<Page | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [showFilters, setShowFilters] = useState(false);
  const [showColumns, setShowColumns] = useState(false);
  const [bulk, setBulk] = useState<null | 'edit' | 'assign'>(null);
  const [bulkBusy, setBulkBusy] = useState(false);
  const [failures, setFailures] = useState<{ rec: Rec; why: string }[]>([]);
  const [reload, setReload] = useState(0);
  const [qText, setQText] = useState(st.q ?? '');
  const me = user.value!.id as number;
  // Keyset paging: the cursors of the pages seen so far, for this query only.
  const queryKey = apiQuery(st, e, me).toString();
  const [nav, setNav] = useState<{ key: string; cursors: (string | null)[] }>({ key: queryKey, cursors: [null] });
  const cursors = nav.key === queryKey ? nav.cursors : [null];
  const setCursors = (c: (string | null)[]) => setNav({ key: queryKey, cursors: c });
  const pageIndex = cursors.length - 1;
  const limit = st.limit ?? 50;

  const columns = (prefs.value.columns?.[e.name] ?? defaultColumns(e)).map((n) => field(e, n)).filter(
    (f): f is Field => !!f && isVisible(f),
  );

  function update(patch: Partial<ListState>) {
    navigate(`/${e.name}${serializeListState({ ...st, ...patch })}`, true);
  }

  // A new filter or sort starts again at the first page, with a new total.
  useEffect(() => {
    setSelected(new Set());
    setTotal(null);
    const c = new AbortController();
    const q = apiQuery(st, e, me);
    q.set('limit', '1');
    q.set('count', '1');
    api.get<Page>(`/${e.name}`, q, c.signal).then((p) => setTotal(p.total ?? null), () => {});
    return () => c.abort();
  }, [queryKey, reload]);

  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    const c = new AbortController();
    setLoading(true);
    setError(null);
    const q = apiQuery(st, e, me);
    if (cursor) q.set('cursor', cursor);
    api
      .get<Page>(`/${e.name}`, q, c.signal)
      .then((p) => {
        setPage(p);
        setLoading(false);
      })
      .catch((err) => {
        if ((err as Error).name === 'AbortError') return;
        setError(err);
        setLoading(false);
      });
    return () => c.abort();
  }, [queryKey, cursor, reload]);

  useEffect(() => {
    if (showFilters || st.owner) loadUsers().catch(() => {});
  }, [showFilters]);

  // The title filter follows typing, a moment after the last key.
  const typing = useRef<ReturnType<typeof setTimeout>>();
  function onQ(v: string) {
    setQText(v);
    clearTimeout(typing.current);
    typing.current = setTimeout(() => update({ q: v || undefined }), 250);
  }

  const rows = page?.data ?? [];
  const from = rows.length ? pageIndex * limit + 1 : 0;
  const to = pageIndex * limit + rows.length;
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const filterCount =
    Object.keys(st.filters).length + (st.owner ? 1 : 0) + (st.from || st.to ? 1 : 0) + (st.archived ? 1 : 0);

  function toggle(id: number) {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setSelected(s);
  }

  // One request and one transaction for the whole selection (POST /{entity}/bulk/...): the server
  // checks every record as a PATCH or DELETE would and says which were not changed, and why.
  async function runBulk(label: string, op: 'update' | 'archive', set?: Record<string, unknown>) {
    const targets = rows.filter((r) => selected.has(r.id));
    const body: Record<string, unknown> = { ids: targets.map((r) => r.id) };
    if (set) Object.assign(body, { set, versions: targets.map((r) => r.version) });
    setBulkBusy(true);
    setFailures([]);
    toast(t('bulk_working', { n: targets.length }), 'ok', 1500);
    try {
      const res = await api.post<BulkAnswer>(`/${e.name}/bulk/${op}`, body);
      toast(`${label}: ${t('bulk_done', { ok: res.changed, failed: res.failed })}`, res.failed ? 'warn' : 'ok', 6000);
      setFailures(res.data.filter((x) => !x.ok).map((x) => ({ rec: targets.find((r) => r.id === x.id)!, why: bulkReason(e, x) })));
    } catch (err) {
      toast(errorText(err, e), 'error', 8000);
    }
    setBulkBusy(false);
    setSelected(new Set());
    setReload((n) => n + 1);
  }

  async function bulkArchive() {
    if (!confirm(t('bulk_confirm_archive', { n: selected.size }))) return;
    await runBulk(t('bulk_archive'), 'archive');
  }

  // What the role allows (GET /auth/me); what is not allowed is not offered. Bulk changes of records
  // beyond an "own" or "team" scope are refused by the server record by record, and listed.
  const canCreate = may(e, 'create');
  const canBulkEdit = may(e, 'edit');
  const canBulkAssign = !!field(e, 'owner_id') && canAssign(permissions.value, e, user.value?.role);
  const canBulkArchive = may(e, 'delete');
  const canSelect = canBulkEdit || canBulkAssign || canBulkArchive;

  return (
    <section class="page list-page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">
          {entityLabel(e)}
          {total !== null && <span class="count" aria-label={`${total}`}>{formatNumber(total, locale.value)}</span>}
        </h1>
        {canCreate && (
          <Link class="btn btn-primary" href={`/${e.name}/new`}>
            + {t('new_record', { entity: singularLabel(e) })}
          </Link>
        )}
      </div>

      <div class="toolbar">
        <label class="sr-only" for="list-q">{t('list_search', { field: fieldLabel(field(e, e.title_field)!) })}</label>
        <input id="list-q" class="toolbar-search" type="search" value={qText}
          placeholder={t('list_search', { field: fieldLabel(field(e, e.title_field)!) })}
          onInput={(ev) => onQ((ev.target as HTMLInputElement).value)} />
        {field(e, 'owner_id') && (
          <label class="check">
            <input type="checkbox" checked={!!st.mine} onChange={(ev) => update({ mine: (ev.target as HTMLInputElement).checked || undefined, owner: undefined })} />
            {t('list_mine')}
          </label>
        )}
        <button class={`btn ${filterCount ? 'btn-active' : ''}`} aria-expanded={showFilters} aria-controls="filters" onClick={() => setShowFilters(!showFilters)}>
          {t('list_filters')}{filterCount ? ` (${filterCount})` : ''}
        </button>
        <button class="btn" aria-expanded={showColumns} aria-controls="columns" onClick={() => setShowColumns(!showColumns)}>
          {t('list_columns')}
        </button>
        <DataTools e={e} query={apiQuery(st, e, me)} columns={columns.map((c) => c.name)} total={total}
          canExport={may(e, 'export')} canImport={may(e, 'import')} canMerge={may(e, 'edit') && may(e, 'delete')} />
      </div>

      {showFilters && <Filters e={e} st={st} update={update} />}
      {showColumns && <ColumnChooser e={e} columns={columns.map((c) => c.name)} />}

      {canSelect && selected.size > 0 && (
        <div class="bulkbar" role="region" aria-label={t('bulk_selected', { n: selected.size })}>
          <strong>{t('bulk_selected', { n: selected.size })}</strong>
          {canBulkEdit && <button class="btn" disabled={bulkBusy} onClick={() => setBulk('edit')}>{t('bulk_edit')}</button>}
          {canBulkAssign && <button class="btn" disabled={bulkBusy} onClick={() => setBulk('assign')}>{t('bulk_assign')}…</button>}
          {canBulkArchive && <button class="btn btn-danger" disabled={bulkBusy} onClick={bulkArchive}>{t('bulk_archive')}</button>}
          <button class="btn btn-ghost" onClick={() => setSelected(new Set())}>{t('bulk_clear')}</button>
        </div>
      )}
      {bulk && (
        <BulkDialog e={e} mode={bulk} n={selected.size} onClose={() => setBulk(null)}
          onApply={(patch) => {
            setBulk(null);
            runBulk(bulk === 'assign' ? t('bulk_assign') : t('bulk_edit'), 'update', patch);
          }} />
      )}

      {failures.length > 0 && (
        <div class="bulk-failures alert alert-warn" role="region" aria-label={t('bulk_failures', { n: failures.length })} data-region="bulk-failures">
          <strong>{t('bulk_failures', { n: failures.length })}</strong>
          <ul>
            {failures.map((f) => (
              <li key={f.rec.id} data-id={f.rec.id}>
                <Link href={`/${e.name}/${f.rec.id}`}>{titleOf(e, f.rec)}</Link>: {f.why}
              </li>
            ))}
          </ul>
          <button class="btn btn-ghost" onClick={() => setFailures([])}>{t('close')}</button>
        </div>
      )}

      {error ? <ErrorBox error={error} /> : null}

      <div class={`table-wrap ${loading ? 'is-loading' : ''}`} aria-busy={loading}>
        <table class="table">
          <thead>
            <tr>
              {canSelect && (
                <th class="col-check">
                  <input type="checkbox" aria-label={t('select_all')} checked={allSelected}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))} />
                </th>
              )}
              {columns.map((c) => {
                const dir = sortDirection(st.sort, c.name, e.default_sort);
                return (
                  <th key={c.name} aria-sort={dir} class={`col-${c.type}`}>
                    {c.sortable ? (
                      <button class="sort-btn" title={t('list_sort_by', { field: fieldLabel(c) })}
                        onClick={() => update({ sort: toggleSort(st.sort, c.name, e.default_sort) })}>
                        {fieldLabel(c)}
                        <span class="sort-ind" aria-hidden="true">{dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : ''}</span>
                      </button>
                    ) : (
                      fieldLabel(c)
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} class={selected.has(r.id) ? 'selected' : ''}>
                {canSelect && (
                  <td class="col-check">
                    <input type="checkbox" aria-label={t('select_row', { title: titleOf(e, r) })} checked={selected.has(r.id)} onChange={() => toggle(r.id)} />
                  </td>
                )}
                {columns.map((c) => (
                  <td key={c.name} data-label={fieldLabel(c)} class={`col-${c.type}`}>
                    {c.name === e.title_field ? (
                      <Link href={`/${e.name}/${r.id}`} class="row-title">{titleOf(e, r)}</Link>
                    ) : (
                      <FieldValue entity={e.name} f={c} r={r} />
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {page && rows.length === 0 && !loading && <p class="empty">{t('list_empty')}</p>}
      </div>

      <nav class="pager" aria-label={t('list_page_size')}>
        <span class="pager-range" aria-live="polite">
          {rows.length > 0 &&
            (total !== null
              ? t('list_range', { from: formatNumber(from, locale.value), to: formatNumber(to, locale.value), total: formatNumber(total, locale.value) })
              : t('list_range_open', { from: formatNumber(from, locale.value), to: formatNumber(to, locale.value) }))}
        </span>
        <label class="pager-size">
          {t('list_page_size')}
          <select value={limit} onChange={(ev) => update({ limit: Number((ev.target as HTMLSelectElement).value) })}>
            {PAGE_SIZES.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        <button class="btn" disabled={pageIndex === 0 || loading} onClick={() => { setSelected(new Set()); setCursors(cursors.slice(0, -1)); }}>
          ‹ {t('list_prev')}
        </button>
        <button class="btn" disabled={!page?.next_cursor || loading} onClick={() => { setSelected(new Set()); setCursors([...cursors, page!.next_cursor]); }}>
          {t('list_next')} ›
        </button>
      </nav>
    </section>
  );
}

interface BulkAnswer {
  changed: number;
  failed: number;
  data: { id: number; ok: boolean; status?: number; error?: { code?: string; message: string; fields?: Record<string, string> } }[];
}

/** Why one record of a bulk change was refused, in the UI's language. */
function bulkReason(e: Entity, x: BulkAnswer['data'][number]): string {
  const fields = Object.entries(x.error?.fields ?? {});
  if (fields.length) return fields.map(([n, m]) => `${field(e, n) ? fieldLabel(field(e, n)!) : n}: ${serverMessage(m)}`).join('; ');
  if (x.status === 403 || x.status === 404 || x.status === 409) return t(`bulk_err_${x.status}` as 'bulk_err_403');
  // Any other refusal: by its code, in the UI's language.
  return errorMessageIn(locale.value, { status: x.status ?? 500, code: x.error?.code ?? '', message: x.error?.message ?? String(x.status), fields: {} }, meta.value, e);
}

function Filters({ e, st, update }: { e: Entity; st: ListState; update: (p: Partial<ListState>) => void }) {
  const dfs = dateFields(e);
  const dateField = st.dateField ?? (dfs.find((f) => f.name !== 'created_at' && f.name !== 'updated_at') ?? dfs[0])?.name;
  const owners = users.value ? sortByName(users.value, (u) => u.display_name ?? u.username) : [];
  const setFilter = (name: string, v: string) => {
    const filters = { ...st.filters };
    if (v) filters[name] = v;
    else delete filters[name];
    update({ filters });
  };
  return (
    <div class="filters" id="filters" role="group" aria-label={t('list_filters')}>
      {filterFields(e).map((f) => (
        <label class="filter" key={f.name}>
          <span>{fieldLabel(f)}</span>
          <select value={st.filters[f.name] ?? ''} onChange={(ev) => setFilter(f.name, (ev.target as HTMLSelectElement).value)}>
            <option value="">{t('any')}</option>
            {f.type === 'boolean' ? (
              <>
                <option value="true">{t('yes')}</option>
                <option value="false">{t('no')}</option>
              </>
            ) : (
              (f.values ?? []).map((v) => <option key={v} value={v}>{enumLabel(e.name, f.name, v)}</option>)
            )}
          </select>
        </label>
      ))}
      {field(e, 'owner_id') && (
        <label class="filter">
          <span>{t('list_owner')}</span>
          <select value={st.mine ? 'me' : String(st.owner ?? '')}
            onChange={(ev) => {
              const v = (ev.target as HTMLSelectElement).value;
              update(v === 'me' ? { mine: true, owner: undefined } : { mine: undefined, owner: v ? Number(v) : undefined });
            }}>
            <option value="">{t('any')}</option>
            <option value="me">{t('list_mine')}</option>
            {owners.map((u) => <option key={u.id} value={u.id}>{u.display_name ?? u.username}</option>)}
          </select>
        </label>
      )}
      {dfs.length > 0 && (
        <fieldset class="filter filter-dates">
          <legend>{t('list_date_range')}</legend>
          <select aria-label={t('list_date_range')} value={dateField} onChange={(ev) => update({ dateField: (ev.target as HTMLSelectElement).value })}>
            {dfs.map((f) => <option key={f.name} value={f.name}>{fieldLabel(f)}</option>)}
          </select>
          <label>
            <span class="sr-only">{t('list_from')}</span>
            <input type="date" aria-label={t('list_from')} value={st.from ?? ''} onChange={(ev) => update({ dateField, from: (ev.target as HTMLInputElement).value || undefined })} />
          </label>
          <span aria-hidden="true">–</span>
          <label>
            <span class="sr-only">{t('list_to')}</span>
            <input type="date" aria-label={t('list_to')} value={st.to ?? ''} onChange={(ev) => update({ dateField, to: (ev.target as HTMLInputElement).value || undefined })} />
          </label>
        </fieldset>
      )}
      <label class="filter">
        <span>{t('list_archived')}</span>
        <select value={st.archived ? '1' : ''} onChange={(ev) => update({ archived: (ev.target as HTMLSelectElement).value === '1' || undefined })}>
          <option value="">{t('list_active_only')}</option>
          <option value="1">{t('list_archived_only')}</option>
        </select>
      </label>
      <button class="btn btn-ghost" onClick={() => update({ filters: {}, owner: undefined, mine: undefined, from: undefined, to: undefined, dateField: undefined, archived: undefined, q: undefined })}>
        {t('list_clear_filters')}
      </button>
    </div>
  );
}

function ColumnChooser({ e, columns }: { e: Entity; columns: string[] }) {
  const all = e.fields.filter(isVisible);
  function set(cols: string[] | undefined) {
    const next = { ...(prefs.value.columns ?? {}) };
    if (cols) next[e.name] = cols;
    else delete next[e.name];
    savePrefs({ columns: next });
  }
  return (
    <fieldset class="columns" id="columns">
      <legend>{t('list_choose_columns')}</legend>
      <div class="columns-grid">
        {all.map((f) => (
          <label class="check" key={f.name}>
            <input type="checkbox" checked={columns.includes(f.name)} disabled={f.name === e.title_field}
              onChange={(ev) => {
                const on = (ev.target as HTMLInputElement).checked;
                // Keep the metadata's order, so columns do not jump around.
                const next = all.map((x) => x.name).filter((n) => (n === f.name ? on : columns.includes(n)));
                set(next);
              }} />
            {fieldLabel(f)}
          </label>
        ))}
      </div>
      <button class="btn btn-ghost" onClick={() => set(undefined)}>{t('list_reset_columns')}</button>
    </fieldset>
  );
}

function BulkDialog(props: { e: Entity; mode: 'edit' | 'assign'; n: number; onClose: () => void; onApply: (patch: Record<string, unknown>) => void }) {
  const { e } = props;
  const editable = e.fields.filter((f) => isEditable(f) && !f.unique && f.name !== e.title_field && f.type !== 'password');
  const [fname, setFname] = useState(props.mode === 'assign' ? 'owner_id' : editable[0]?.name ?? '');
  const [value, setValue] = useState('');
  const [err, setErr] = useState('');
  const f = field(e, fname);
  function apply(ev: Event) {
    ev.preventDefault();
    if (!f) return;
    const c = coerce(f, value);
    if ('error' in c) {
      setErr(t(`err_${c.error}` as any));
      return;
    }
    props.onApply({ [f.name]: c.value });
  }
  return (
    <Dialog open title={props.mode === 'assign' ? t('bulk_assign') : t('bulk_edit')} onClose={props.onClose}>
      <form onSubmit={apply} class="form" noValidate>
        {props.mode === 'edit' && (
          <div class="field">
            <label for="bulk-field">{t('bulk_field')}</label>
            <select id="bulk-field" value={fname} onChange={(ev) => { setFname((ev.target as HTMLSelectElement).value); setValue(''); setErr(''); }}>
              {editable.map((x) => <option key={x.name} value={x.name}>{fieldLabel(x)}</option>)}
            </select>
          </div>
        )}
        {f && (
          <div class="field">
            <label for="bulk-value">{props.mode === 'assign' ? t('list_owner') : t('bulk_value')}</label>
            {f.type === 'reference' ? (
              <RefPicker entity={e.name} f={f} id="bulk-value" value={value} onInput={setValue} error={err} />
            ) : (
              <FieldInput entity={e.name} f={f} id="bulk-value" value={value} onInput={setValue} error={err} />
            )}
          </div>
        )}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">{t('bulk_apply', { n: props.n })}</button>
          <button type="button" class="btn" onClick={props.onClose}>{t('cancel')}</button>
        </div>
      </form>
    </Dialog>
  );
}
