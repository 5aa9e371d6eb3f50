// The duplicate finder: a scan of the whole entity (POST /dedupe/{entity}),
// each cluster side by side with the record to keep and, per field, the value
// to keep; the merge, and its undo.
import { useState } from 'preact/hooks';
import type { Entity } from '../../lib/meta';
import { api, type Rec } from '../../lib/api';
import { entityLabel, fieldLabel, locale } from '../../lib/i18n';
import { formatNumber } from '../../lib/format';
import { may, meta } from '../../lib/session';
import { url } from '../../lib/router';
import { titleOf } from '../../lib/refs';
import {
  clusterReasons, dedupeEntities, defaultChoices, defaultWinner, differingFields, mergeBody, mergeableFields,
  type Cluster, type DedupeResult, type Merge,
} from '../../lib/import';
import { it, list, type ImportKey } from '../../lib/import-i18n';
import { ErrorBox, Link } from '../../components/ui';
import { FieldValue } from '../../components/fields';

/** The entities whose duplicates the user may merge (a merge edits the one kept and archives the others). */
export function mergeableEntities(): Entity[] {
  return dedupeEntities(meta.value?.entities ?? []).filter((x) => may(x, 'edit') && may(x, 'delete'));
}

export function DuplicatesPage() {
  const all = mergeableEntities();
  const wanted = new URLSearchParams(url.value.search).get('entity');
  const [name, setName] = useState(all.some((e) => e.name === wanted) ? wanted! : all.some((e) => e.name === 'contacts') ? 'contacts' : all[0]?.name);
  const e = all.find((x) => x.name === name)!;
  const [threshold, setThreshold] = useState(0.8);
  const [result, setResult] = useState<DedupeResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function scan() {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.post<DedupeResult>(`/dedupe/${e.name}?threshold=${threshold}&limit=100`));
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  }

  return (
    <section class="page dedupe-page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{it('dd_title')}</h1>
      </div>
      <p class="muted">{it('dd_help')}</p>
      <form class="toolbar dd-form" onSubmit={(ev) => { ev.preventDefault(); scan(); }}>
        <label class="filter">
          {it('dd_entity')}
          <select id="dd-entity" value={name} onChange={(ev) => { setName((ev.target as HTMLSelectElement).value); setResult(null); }}>
            {all.map((x) => <option key={x.name} value={x.name}>{entityLabel(x)}</option>)}
          </select>
        </label>
        <label class="filter">
          {it('dd_threshold')}: <strong>{Math.round(threshold * 100)}%</strong>
          <input id="dd-threshold" type="range" min={0.5} max={1} step={0.05} value={threshold}
            onInput={(ev) => setThreshold(Number((ev.target as HTMLInputElement).value))} />
        </label>
        <button id="dd-scan" class="btn btn-primary" disabled={busy}>{busy ? it('dd_scanning') : it('dd_scan')}</button>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      {result && (
        <p class="dd-summary" role="status">
          {result.clusters ? it('dd_summary', { scanned: formatNumber(result.scanned, locale.value), clusters: formatNumber(result.clusters, locale.value) }) : it('dd_none')}
        </p>
      )}
      {result?.data.map((c, i) => <ClusterCard key={`${e.name}-${c.ids.join('-')}`} e={e} c={c} n={i + 1} />)}
    </section>
  );
}

function ClusterCard({ e, c, n }: { e: Entity; c: Cluster; n: number }) {
  const records = c.records;
  const [winner, setWinnerState] = useState(() => defaultWinner(e, records));
  const [choices, setChoices] = useState(() => defaultChoices(e, records, winner));
  const [merged, setMerged] = useState<Merge | null>(null);
  const [undone, setUndone] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fields = differingFields(e, records);
  const diff = new Set(fields.map((f) => f.name));
  const same = mergeableFields(e).filter((f) => !diff.has(f.name) && records[0][f.name] !== null && records[0][f.name] !== undefined && records[0][f.name] !== '');
  const ordered = [...records].sort((a, b) => (a.id === winner ? -1 : b.id === winner ? 1 : a.id - b.id));

  function setWinner(id: number) {
    setWinnerState(id);
    setChoices(defaultChoices(e, records, id));
  }

  async function act(fn: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  }
  const merge = () => act(async () => {
    setMerged(await api.post<Merge>(`/dedupe/${e.name}/merge`, mergeBody(records, winner, choices)));
    setUndone(false);
  });
  const undo = () => act(async () => {
    await api.post<Merge>(`/merges/${merged!.id}/undo`);
    setMerged(null);
    setUndone(true);
  });

  const title = (r: Rec) => titleOf(e, r);
  return (
    <article class={`card dd-cluster ${merged ? 'is-merged' : ''}`} aria-labelledby={`dd-c${n}`} data-ids={c.ids.join(',')}>
      <h2 class="card-title" id={`dd-c${n}`}>
        {it('dd_group', { n })}
        <span class="badge dd-score">{it('dd_score', { pct: Math.round(c.score * 100) })}</span>
        {clusterReasons(c).map((r) => <span class="tag" key={r}>{it(`dd_reason_${r}` as ImportKey)}</span>)}
      </h2>
      {error ? <ErrorBox error={error} /> : null}
      {merged ? (
        <div class="alert alert-ok dd-done" role="status">
          <span>✓ {it('dd_merged', { id: merged.winner, moved: merged.moved, n: merged.losers.length })}</span>
          <button class="btn dd-undo" disabled={busy} onClick={undo}>↶ {it('dd_undo')}</button>
        </div>
      ) : (
        <>
          {undone && <div class="alert alert-warn" role="status">{it('dd_undone')}</div>}
          <div class="table-wrap">
            <table class="table dd-table">
              <thead>
                <tr>
                  <th>{it('dd_field')}</th>
                  {ordered.map((r) => (
                    <th key={r.id} class={r.id === winner ? 'dd-keep' : ''}>
                      <div><Link href={`/${e.name}/${r.id}`}>{title(r)}</Link> <span class="muted">#{r.id}</span></div>
                      <label class="check dd-keep-choice">
                        <input type="radio" name={`dd-keep-${n}`} checked={r.id === winner} onChange={() => setWinner(r.id)} />
                        {r.id === winner ? it('dd_kept') : it('dd_keep')}
                      </label>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {fields.map((f) => (
                  <tr key={f.name} data-field={f.name}>
                    <th scope="row">{fieldLabel(f)}</th>
                    {ordered.map((r) => (
                      <td key={r.id} class={choices[f.name] === r.id ? 'dd-chosen' : ''}>
                        <label class="dd-choice">
                          <input type="radio" name={`dd-${n}-${f.name}`} checked={choices[f.name] === r.id}
                            aria-label={it('dd_choose', { field: fieldLabel(f), id: r.id })}
                            onChange={() => setChoices({ ...choices, [f.name]: r.id })} />
                          <FieldValue entity={e.name} f={f} r={r} />
                        </label>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {same.length > 0 && <p class="muted dd-same">{it('dd_same', { fields: list(same.map(fieldLabel)) })}</p>}
          <div class="form-actions">
            <button class="btn btn-primary dd-merge" disabled={busy} onClick={merge}>{it('dd_merge', { id: winner })}</button>
          </div>
        </>
      )}
    </article>
  );
}
