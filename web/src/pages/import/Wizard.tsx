// The import wizard: a file (chosen or dropped), its columns mapped with the
// server's suggestions, the matching of existing records, a dry run that checks
// every row, the run with its progress, and the report.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Entity } from '../../lib/meta';
import { entityLabel, fieldLabel, locale } from '../../lib/i18n';
import { formatNumber } from '../../lib/format';
import { may, meta } from '../../lib/session';
import { url } from '../../lib/router';
import { readHead, type FileHead } from '../../lib/import-file';
import {
  EXTERNAL_ID, download, duplicateTargets, errorsByRow, fetchErrors, importTargets, importableEntities, keyMapped,
  keyOptions, missingRequired, startImport, suggestedMapping, waitForImport,
  type ImportError, type ImportJob, type ImportOptions, type MatchKey, type OnDuplicate,
} from '../../lib/import';
import { importMessage, it, list, type ImportKey } from '../../lib/import-i18n';
import { ErrorBox, Link, errorText, toast } from '../../components/ui';

type Step = 'upload' | 'map' | 'preview' | 'run' | 'report';
const STEPS: [Step, ImportKey][] = [
  ['upload', 'im_step_upload'], ['map', 'im_step_map'], ['preview', 'im_step_preview'], ['run', 'im_step_run'], ['report', 'im_step_report'],
];
const MAX_UPLOAD = 256 * 1024 * 1024;

/** A finished job and its problems. */
interface Checked {
  job: ImportJob;
  errors: ImportError[];
  signature: string;
}

const num = (n: number) => formatNumber(n, locale.value);
const fileSize = (n: number) => (n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

export function ImportWizard() {
  const all = importableEntities(meta.value?.entities ?? []).filter((x) => may(x, 'import'));
  const wanted = new URLSearchParams(url.value.search).get('entity');
  const [entityName, setEntityName] = useState(all.some((e) => e.name === wanted) ? wanted! : all.some((e) => e.name === 'contacts') ? 'contacts' : all[0]?.name);
  const e = all.find((x) => x.name === entityName)!;
  const [step, setStep] = useState<Step>('upload');
  const [file, setFile] = useState<File | null>(null);
  const [head, setHead] = useState<FileHead | null>(null);
  const [mapping, setMapping] = useState<(string | null)[]>([]);
  const [suggested, setSuggested] = useState<(string | null)[]>([]);
  const [key, setKey] = useState<MatchKey>('');
  const [onDup, setOnDup] = useState<OnDuplicate>('skip');
  const [createRefs, setCreateRefs] = useState(false);
  const [runRules, setRunRules] = useState(false);
  const [serverNote, setServerNote] = useState<string | null>(null);
  const [busy, setBusy] = useState<ImportJob | 'start' | null>(null); // a job being waited for
  const [checked, setChecked] = useState<Checked | null>(null);
  const [result, setResult] = useState<Checked | null>(null);
  const [error, setError] = useState<unknown>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const options = (dryRun: boolean): ImportOptions => ({ entity: e.name, mapping, key, onDuplicate: onDup, createRefs, runRules, dryRun });
  const signature = JSON.stringify([e.name, mapping, key, key ? onDup : '', createRefs]);

  /** Uploads the file with these options and waits for the job, showing its progress. */
  async function runJob(o: ImportOptions, sig: string): Promise<Checked> {
    abort.current?.abort();
    const c = (abort.current = new AbortController());
    setBusy('start');
    setError(null);
    try {
      const first = await startImport(file!, file!.name, o);
      setBusy(first);
      const job = await waitForImport(first.id, setBusy, c.signal);
      const errors = job.status === 'done' ? await fetchErrors(job, c.signal) : [];
      return { job, errors, signature: sig };
    } finally {
      if (!c.signal.aborted) setBusy(null);
    }
  }

  async function chooseFile(f: File) {
    setError(null);
    setServerNote(null);
    if (f.size > MAX_UPLOAD) return setError(new Error(it('im_too_big')));
    setFile(f);
    setHead(null);
    setChecked(null);
    let h: FileHead;
    try {
      h = await readHead(f);
    } catch (err) {
      return setError(new Error(it('im_not_table', { msg: (err as Error).message })));
    }
    setHead(h);
  }

  // Once the file is read, the server suggests the columns by checking it as it is.
  useEffect(() => {
    if (!file || !head || step !== 'upload') return;
    const blank = head.headers.map(() => null);
    runJob({ entity: e.name, dryRun: true }, '').then((c) => {
      const m = c.job.columns ? suggestedMapping(head.headers, c.job.columns) : blank;
      setSuggested(m);
      setMapping(m);
      setKey('');
      setCreateRefs(false);
      if (c.job.status === 'failed') setServerNote(c.job.message);
      else setChecked({ ...c, signature: JSON.stringify([e.name, m, '', '', false]) });
      setStep('map');
    }, (err) => (err as Error).name !== 'AbortError' && setError(err));
  }, [file, head]);

  async function check() {
    if (checked?.signature === signature) return setStep('preview');
    setChecked(null);
    setStep('preview');
    try {
      setChecked(await runJob(options(true), signature));
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError(err);
    }
  }

  async function run() {
    setStep('run');
    try {
      const r = await runJob(options(false), signature);
      setResult(r);
      setStep('report');
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError(err);
    }
  }

  function restart() {
    abort.current?.abort();
    setFile(null);
    setHead(null);
    setChecked(null);
    setResult(null);
    setError(null);
    setServerNote(null);
    setStep('upload');
  }

  return (
    <section class="page import-page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{it('im_title')}</h1>
      </div>
      <Stepper step={step} />
      {error ? <ErrorBox error={error} /> : null}
      {step === 'upload' && (
        <Upload all={all} e={e} file={file} busy={!!busy} onEntity={(n) => { setEntityName(n); restart(); }} onFile={chooseFile} />
      )}
      {step === 'map' && head && (
        <MapColumns e={e} head={head} mapping={mapping} suggested={suggested} setMapping={setMapping}
          keyName={key} setKey={setKey} onDup={onDup} setOnDup={setOnDup} createRefs={createRefs} setCreateRefs={setCreateRefs}
          runRules={runRules} setRunRules={setRunRules}
          serverNote={serverNote} onBack={restart} onNext={check} />
      )}
      {step === 'preview' && head && (
        <Preview e={e} head={head} mapping={mapping} checked={checked} busy={busy} onBack={() => setStep('map')} onRun={run} />
      )}
      {step === 'run' && <Progress job={busy} title={it('im_running')} />}
      {step === 'report' && result && <Report e={e} r={result} onAgain={restart} />}
    </section>
  );
}

function Stepper({ step }: { step: Step }) {
  const at = STEPS.findIndex(([s]) => s === step);
  return (
    <ol class="im-steps" aria-label={it('im_steps')}>
      {STEPS.map(([s, label], i) => (
        <li key={s} class={i < at ? 'done' : i === at ? 'current' : ''} aria-current={i === at ? 'step' : undefined}>
          <span class="im-step-n" aria-hidden="true">{i < at ? '✓' : i + 1}</span>
          {it(label)}
        </li>
      ))}
    </ol>
  );
}

function Upload(p: { all: Entity[]; e: Entity; file: File | null; busy: boolean; onEntity: (n: string) => void; onFile: (f: File) => void }) {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <div class="card">
      <label class="field im-entity">
        <span>{it('im_entity')}</span>
        <select id="im-entity" value={p.e.name} disabled={p.busy} onChange={(ev) => p.onEntity((ev.target as HTMLSelectElement).value)}>
          {p.all.map((x) => <option key={x.name} value={x.name}>{entityLabel(x)}</option>)}
        </select>
      </label>
      <div id="im-drop" class={`im-drop ${over ? 'over' : ''}`}
        onDragOver={(ev) => { ev.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={(ev) => {
          ev.preventDefault();
          setOver(false);
          const f = ev.dataTransfer?.files?.[0];
          if (f && !p.busy) p.onFile(f);
        }}>
        <span class="im-drop-icon" aria-hidden="true">⇪</span>
        <strong>{it('im_drop')}</strong>
        <span class="muted">{it('im_drop_or')}</span>
        <button type="button" class="btn btn-primary" disabled={p.busy} onClick={() => input.current!.click()}>{it('im_choose')}</button>
        <input ref={input} id="im-file" type="file" class="sr-only" tabIndex={-1} aria-label={it('im_choose')}
          accept=".csv,.tsv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          onChange={(ev) => {
            const f = (ev.target as HTMLInputElement).files?.[0];
            (ev.target as HTMLInputElement).value = '';
            if (f) p.onFile(f);
          }} />
        <p class="muted im-drop-help">{it('im_drop_help')}</p>
      </div>
      {p.file && <p class="im-file">▤ {it('im_file_info', { name: p.file.name, size: fileSize(p.file.size) })}</p>}
      {p.busy && (
        <div class="loading" role="status"><span class="spinner" aria-hidden="true" />{it('im_reading')}</div>
      )}
    </div>
  );
}

function MapColumns(p: {
  e: Entity; head: FileHead; mapping: (string | null)[]; suggested: (string | null)[]; setMapping: (m: (string | null)[]) => void;
  keyName: MatchKey; setKey: (k: MatchKey) => void; onDup: OnDuplicate; setOnDup: (d: OnDuplicate) => void;
  createRefs: boolean; setCreateRefs: (b: boolean) => void; runRules: boolean; setRunRules: (b: boolean) => void;
  serverNote: string | null; onBack: () => void; onNext: () => void;
}) {
  const { e, head, mapping } = p;
  const targets = importTargets(e, p.keyName);
  const missing = missingRequired(e, mapping, p.keyName, p.onDup);
  const keyOk = keyMapped(e, mapping, p.keyName);
  const twice = duplicateTargets(mapping);
  const label = (name: string) => (name === EXTERNAL_ID ? it('im_external_id') : fieldLabel(e.fields.find((f) => f.name === name)!));
  const keyLabels: Record<MatchKey, ImportKey> = {
    '': 'im_key_none', email: 'im_key_email', phone: 'im_key_phone', 'name+account': 'im_key_name_account', external_id: 'im_key_external_id', id: 'im_key_id',
  };
  const hasRefs = e.fields.some((f) => f.name === 'account_id' && mapping.includes(f.name));
  return (
    <div class="card">
      <h2 class="card-title">{it('im_map_title')}</h2>
      <p class="muted">{it('im_map_help')}</p>
      {p.serverNote && <div class="alert alert-warn" role="status">{it('im_server_columns', { msg: importMessage(p.serverNote) })}</div>}
      <div class="table-wrap">
        <table class="table im-map">
          <thead>
            <tr><th>{it('im_col_file')}</th><th>{it('im_col_examples')}</th><th aria-hidden="true" /><th>{it('im_col_field')}</th></tr>
          </thead>
          <tbody>
            {head.headers.map((h, i) => {
              const examples = head.rows.map((r) => r.cells[i] ?? '').filter((v) => v.trim()).slice(0, 3);
              const f = mapping[i];
              return (
                <tr key={i} class={f ? 'mapped' : 'left-out'} data-col={i + 1}>
                  <th scope="row" class="im-header">{h || <span class="muted">#{i + 1}</span>}</th>
                  <td class="im-examples">{examples.map((v) => <span class="im-example" key={v}>{v}</span>)}</td>
                  <td class="im-arrow" aria-hidden="true">→</td>
                  <td>
                    <select id={`im-map-${i + 1}`} aria-label={`${h || `#${i + 1}`} → ${it('im_col_field')}`} value={f ?? ''}
                      class={f && twice.has(f) ? 'invalid' : ''}
                      onChange={(ev) => {
                        const m = [...mapping];
                        m[i] = (ev.target as HTMLSelectElement).value || null;
                        p.setMapping(m);
                      }}>
                      <option value="">{it('im_leave_out')}</option>
                      {targets.map((t) => <option key={t.name} value={t.name}>{fieldLabel(t)}{t.required ? ' *' : ''}</option>)}
                      <option value={EXTERNAL_ID}>{it('im_external_id')}</option>
                    </select>
                    {f && f === p.suggested[i] && <span class="badge badge-active im-suggested">{it('im_suggested')}</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <fieldset class="im-matching">
        <legend>{it('im_matching')}</legend>
        <label class="field">
          <span>{it('im_key')}</span>
          <select id="im-key" value={p.keyName} onChange={(ev) => p.setKey((ev.target as HTMLSelectElement).value as MatchKey)}>
            {keyOptions(e).map((k) => <option key={k} value={k}>{it(keyLabels[k])}</option>)}
          </select>
        </label>
        {p.keyName && (
          <div class="im-dup" role="radiogroup" aria-label={it('im_on_dup')}>
            <span>{it('im_on_dup')}</span>
            {(['skip', 'update', 'error'] as OnDuplicate[]).map((d) => (
              <label class="check" key={d}>
                <input type="radio" name="im-dup" value={d} checked={p.onDup === d} onChange={() => p.setOnDup(d)} />
                {it(d === 'skip' ? 'im_dup_skip' : d === 'update' ? 'im_dup_update' : 'im_dup_error')}
              </label>
            ))}
          </div>
        )}
        {hasRefs && (
          <label class="check">
            <input id="im-create-refs" type="checkbox" checked={p.createRefs} onChange={(ev) => p.setCreateRefs((ev.target as HTMLInputElement).checked)} />
            {it('im_create_refs')}
          </label>
        )}
        <label class="check">
          <input id="im-run-rules" type="checkbox" checked={p.runRules} onChange={(ev) => p.setRunRules((ev.target as HTMLInputElement).checked)} />
          {it('im_run_rules')}
        </label>
      </fieldset>

      {missing.length > 0 && <div class="alert alert-error" role="alert">{it('im_missing_required', { fields: list(missing.map(fieldLabel)) })}</div>}
      {!keyOk && <div class="alert alert-error" role="alert">{it('im_key_unmapped')}</div>}
      {twice.size > 0 && <div class="alert alert-warn">{it('im_twice', { fields: list([...twice].map(label)) })}</div>}
      <div class="form-actions">
        <button class="btn" onClick={p.onBack}>‹ {it('im_back')}</button>
        <button id="im-check" class="btn btn-primary" disabled={missing.length > 0 || !keyOk} onClick={p.onNext}>{it('im_check')} ›</button>
      </div>
    </div>
  );
}

function Progress({ job, title }: { job: ImportJob | 'start' | null; title: string }) {
  const j = job && job !== 'start' ? job : null;
  const pct = Math.round((j?.progress ?? 0) * 100);
  return (
    <div class="card im-progress" aria-busy="true">
      <h2 class="card-title">{j?.status === 'queued' || !j ? it('im_queued') : title}</h2>
      <progress id="im-progress" max={1} value={j?.progress ?? 0} aria-label={title} />
      <p class="muted" aria-live="polite">{it('im_progress', { pct, rows: num(j?.rows ?? 0) })}</p>
    </div>
  );
}

function Figures({ job, dry }: { job: ImportJob; dry: boolean }) {
  const items: [ImportKey, number, string][] = [
    [dry ? 'im_would_create' : 'im_created', job.created, 'ok'],
    [dry ? 'im_would_update' : 'im_updated', job.updated, 'ok'],
    ['im_skipped', job.skipped, ''],
    [dry ? 'im_problems' : 'im_failed_rows', job.failed, job.failed ? 'bad' : ''],
  ];
  return (
    <div class="figures im-figures">
      {items.map(([k, n, cls]) => (
        <div class={`figure im-fig-${cls}`} key={k} data-figure={k}>
          <div class="figure-value">{num(n)}</div>
          <div class="figure-label">{it(k)}</div>
        </div>
      ))}
    </div>
  );
}

function Problems({ job, errors }: { job: ImportJob; errors: ImportError[] }) {
  const shown = errors.slice(0, 100);
  return (
    <div class="im-problems">
      <h3 class="card-title">{it('im_all_problems')}</h3>
      <div class="table-wrap">
        <table class="table">
          <thead><tr><th>{it('im_row')}</th><th>{it('im_column')}</th><th>{it('im_value')}</th><th>{it('im_reason')}</th></tr></thead>
          <tbody>
            {shown.map((x, i) => (
              <tr key={i}>
                <td class="num">{x.row}</td><td>{x.column}</td><td class="im-bad-value">{x.value}</td><td class="im-reason">{importMessage(x.reason)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {errors.length > shown.length && <p class="muted">{it('im_more_problems', { n: num(errors.length - shown.length) })}</p>}
      <button id="im-errors-csv" class="btn" onClick={() => download(job.errors_url.replace(/^\/api\/v1/, ''), `import-${job.id}-errors.csv`).catch((err) => toast(errorText(err), 'error'))}>
        ⬇ {it('im_download_errors')}
      </button>
    </div>
  );
}

function Preview(p: { e: Entity; head: FileHead; mapping: (string | null)[]; checked: Checked | null; busy: ImportJob | 'start' | null; onBack: () => void; onRun: () => void }) {
  const { e, head, mapping, checked } = p;
  const byRow = useMemo(() => errorsByRow(checked?.errors ?? []), [checked]);
  if (!checked) return <Progress job={p.busy} title={it('im_checking')} />;
  const { job } = checked;
  if (job.status === 'failed')
    return (
      <div class="card">
        <div class="alert alert-error" role="alert">{it('im_check_failed', { msg: importMessage(job.message) })}</div>
        <div class="form-actions"><button class="btn" onClick={p.onBack}>‹ {it('im_back')}</button></div>
      </div>
    );
  const cols = mapping.map((f, i) => ({ f, i })).filter((c) => c.f);
  const label = (name: string) => (name === EXTERNAL_ID ? it('im_external_id') : fieldLabel(e.fields.find((f) => f.name === name)!));
  const good = job.created + job.updated;
  return (
    <div class="card">
      <Figures job={job} dry />
      <p class="muted">{it('im_dry_note')}</p>
      <h3 class="card-title">{it('im_preview_title')}</h3>
      <div class="table-wrap">
        <table class="table im-preview">
          <thead>
            <tr><th>{it('im_row')}</th>{cols.map((c) => <th key={c.i}>{label(c.f!)}</th>)}</tr>
          </thead>
          <tbody>
            {head.rows.map((r) => {
              const errs = byRow.get(r.num) ?? [];
              return (
                <tr key={r.num} class={errs.length ? 'im-row-bad' : 'im-row-ok'} data-row={r.num}>
                  <th scope="row">
                    <span class="im-status" aria-label={it(errs.length ? 'im_row_bad' : 'im_row_ok')}>{errs.length ? '✗' : '✓'}</span> {r.num}
                  </th>
                  {cols.map((c) => {
                    const bad = errs.filter((x) => x.field === c.f);
                    return (
                      <td key={c.i} class={bad.length ? 'im-cell-bad' : ''} title={bad.map((x) => importMessage(x.reason)).join('; ') || undefined}>
                        {r.cells[c.i] ?? ''}
                        {bad.map((x, k) => <span class="im-cell-why" key={k}>{importMessage(x.reason)}</span>)}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {checked.errors.length > 0 && <Problems job={job} errors={checked.errors} />}
      {good === 0 && <div class="alert alert-warn">{it('im_run_none')}</div>}
      <div class="form-actions">
        <button class="btn" onClick={p.onBack}>‹ {it('im_back')}</button>
        <button id="im-run" class="btn btn-primary" disabled={good === 0} onClick={p.onRun}>{it('im_run', { n: num(good) })}</button>
      </div>
    </div>
  );
}

function Report({ e, r, onAgain }: { e: Entity; r: Checked; onAgain: () => void }) {
  const { job } = r;
  return (
    <div class="card im-report">
      {job.status === 'done'
        ? <h2 class="card-title">✓ {it('im_done')}</h2>
        : <div class="alert alert-error" role="alert">{it('im_failed', { msg: importMessage(job.message) })}</div>}
      <Figures job={job} dry={false} />
      {r.errors.length > 0 && <Problems job={job} errors={r.errors} />}
      <div class="form-actions">
        <Link class="btn btn-primary" href={`/${e.name}`}>{it('im_open_list', { entity: entityLabel(e) })}</Link>
        <button class="btn" onClick={onAgain}>{it('im_again')}</button>
      </div>
    </div>
  );
}
