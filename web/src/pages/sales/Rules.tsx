// Automation rules: the list, an editor (when, conditions as rows, actions and
// trigger settings as JSON, checked by the server field by field) and each
// rule's runs with their steps and errors.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ListPage, type Rec } from '../../lib/api';
import { entityLabel, fieldLabel, locale } from '../../lib/i18n';
import { formatDateTime } from '../../lib/format';
import { entities } from '../../lib/session';
import { navigate } from '../../lib/router';
import { ACTION_SKELETONS, addActionSkeleton, conditionsToRows, OPS, paramsHint, rowsToConditions, type CondRow } from '../../lib/sales';
import { senum, st } from '../../lib/sales-i18n';
import { ErrorBox, Link, Loading, errorText, toast } from '../../components/ui';

const TRIGGERS = ['created', 'updated', 'saved', 'date_reached', 'no_activity', 'score_crossed'];
const KINDS = ['automation', 'assignment', 'scoring'];
const RECORDS = ['leads', 'opportunities', 'accounts', 'contacts', 'cases', 'orders', 'activities', 'quotes', 'campaign_members'];

export function RulesPage() {
  const [rules, setRules] = useState<Rec[] | null>(null);
  const l = locale.value;
  useEffect(() => {
    document.title = `${st('s_rules')} · Kehu`;
    api.get<ListPage>('/rules', { limit: 200 }).then((p) => setRules(p.data), (e) => toast(errorText(e), 'error'));
  }, []);
  if (!rules) return <Loading />;
  return (
    <section class="page sales-rules" aria-labelledby="page-title">
      <div class="page-head"><h1 id="page-title">{st('s_rules')}</h1><Link class="btn btn-primary" href="/sales/rules/new">{st('s_new_rule')}</Link></div>
      <p class="muted help">{st('s_rules_help')}</p>
      <div class="table-wrap card">
        <table class="table rules-table">
          <thead><tr><th>{st('s_rule')}</th><th>{st('s_kind')} · {st('s_when')}</th><th>{st('s_entity')}</th><th class="num">{st('s_runs')}</th><th>{st('s_active')}</th></tr></thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id}>
                <td><Link href={`/sales/rules/${r.id}`}>{r.name}</Link></td>
                <td>{senum(r.kind)} · {senum(r.trigger)}</td><td>{r.entity}</td>
                <td class="num">{r.runs}{r.failures ? ` (${r.failures} ✗)` : ''}</td>
                <td>{r.active ? '✓' : '—'}{r.last_run_at ? ` ${formatDateTime(r.last_run_at, l)}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function RulePage({ id }: { id: number | null }) {
  const [r, setR] = useState<Rec | null>(null);
  const [runs, setRuns] = useState<any[] | null>(null);
  const [rows, setRows] = useState<CondRow[]>([]);
  const [any, setAny] = useState(false);
  const [actions, setActions] = useState('{\n  "create_task": {"subject": "Follow up {{name}}", "due_days": 2, "assign_to": "owner"}\n}');
  const [params, setParams] = useState('');
  const [actionKind, setActionKind] = useState('create_task');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const l = locale.value;
  const blank: Rec = { id: 0, version: 0, name: '', kind: 'automation', entity: 'opportunities', trigger: 'updated', active: true, points: null };
  async function load() {
    if (!id) {
      setR(blank);
      return;
    }
    try {
      const rule = await api.get<Rec>(`/rules/${id}`);
      setR(rule);
      const c = conditionsToRows(rule.conditions);
      setRows(c.rows);
      setAny(c.any);
      setActions(rule.actions ? JSON.stringify(rule.actions, null, 2) : '');
      setParams(rule.params ? JSON.stringify(rule.params) : '');
      setRuns((await api.get<any>(`/rules/${id}/runs`, { limit: 50 })).data);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { load(); }, [id]);
  if (error) return <section class="page"><ErrorBox error={error} /></section>;
  if (!r) return <Loading />;
  const ent = entities.value.get(r.entity);
  const fields = ent ? ent.fields.filter((f) => f.type !== 'password' && !f.writeonly) : [];
  const numeric = (name: string) => ['integer', 'money', 'percent'].includes(ent?.fields.find((f) => f.name === name)?.type ?? '');
  const set = (k: string, v: any) => setR({ ...r, [k]: v });
  async function save(e: Event) {
    e.preventDefault();
    const body: any = { name: r!.name, kind: r!.kind, entity: r!.entity, trigger: r!.trigger, active: !!r!.active };
    const bad: Record<string, string> = {};
    for (const [k, text] of [['actions', actions], ['params', params]] as const) {
      if (!text.trim()) { body[k] = null; continue; }
      try { body[k] = JSON.parse(text); } catch { bad[k] = st('s_bad_json', { what: k }); }
    }
    body.conditions = rowsToConditions(any, rows, numeric);
    if (r!.kind === 'scoring') body.points = Number(r!.points ?? 0);
    if (Object.keys(bad).length) { setErrors(bad); return; }
    try {
      const saved = id ? await api.patch<Rec>(`/rules/${id}`, body, r!.version) : await api.post<Rec>('/rules', body);
      setErrors({});
      toast(st('s_saved'));
      if (!id) navigate(`/sales/rules/${saved.id}`);
      else load();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setErrors(err.fields);
      toast(errorText(err), 'error', 8000);
    }
  }
  const err = (k: string) => errors[k] && <span class="field-error" role="alert" id={`err-${k}`}>{errors[k]}</span>;
  return (
    <section class="page sales-rule" aria-labelledby="page-title">
      <nav class="crumbs"><Link href="/sales/rules">{st('s_rules')}</Link></nav>
      <h1 id="page-title">{id ? r.name : st('s_new_rule')}</h1>
      <form class="card form rule-form" onSubmit={save}>
        <label class="field">{st('s_rule')}<input id="rule-name" required value={r.name} onInput={(e) => set('name', (e.target as HTMLInputElement).value)} />{err('name')}</label>
        <div class="form-grid">
          <label class="field">{st('s_kind')}
            <select id="rule-kind" value={r.kind} onChange={(e) => set('kind', (e.target as HTMLSelectElement).value)}>
              {KINDS.map((k) => <option key={k} value={k}>{senum(k)}</option>)}
            </select>
          </label>
          <label class="field">{st('s_entity')}
            <select id="rule-entity" value={r.entity} onChange={(e) => set('entity', (e.target as HTMLSelectElement).value)}>
              {RECORDS.filter((n) => entities.value.get(n)).map((n) => <option key={n} value={n}>{entityLabel(entities.value.get(n)!)}</option>)}
            </select>
            {err('entity')}
          </label>
          <label class="field">{st('s_when')}
            <select id="rule-trigger" value={r.trigger} onChange={(e) => set('trigger', (e.target as HTMLSelectElement).value)}>
              {TRIGGERS.map((k) => <option key={k} value={k}>{senum(k)}</option>)}
            </select>
          </label>
          <label class="check"><input type="checkbox" checked={!!r.active} onChange={(e) => set('active', (e.target as HTMLInputElement).checked)} /> {st('s_active')}</label>
          {r.kind === 'scoring' && <label class="field">{st('s_score')}<input id="rule-points" type="number" value={r.points ?? 0} onInput={(e) => set('points', (e.target as HTMLInputElement).value)} />{err('points')}</label>}
        </div>
        <fieldset class="conditions">
          <legend>{st('s_conditions')}{' '}
            <select id="rule-any" aria-label={st('s_conditions')} value={any ? 'any' : 'all'} onChange={(e) => setAny((e.target as HTMLSelectElement).value === 'any')}>
              <option value="all">{st('s_match_all')}</option><option value="any">{st('s_match_any')}</option>
            </select>
          </legend>
          {rows.map((row, i) => (
            <div class="field-row cond-row" key={i}>
              <select aria-label={st('s_field')} value={row.field} onChange={(e) => setRows(rows.map((x, k) => (k === i ? { ...x, field: (e.target as HTMLSelectElement).value } : x)))}>
                <option value="">—</option>
                {fields.map((f) => <option key={f.name} value={f.name}>{fieldLabel(f)}</option>)}
                {r.entity === 'leads' && <option value="activities">activities</option>}
              </select>
              <select aria-label={st('s_op')} value={row.op} onChange={(e) => setRows(rows.map((x, k) => (k === i ? { ...x, op: (e.target as HTMLSelectElement).value } : x)))}>
                {OPS.map((o) => <option key={o} value={o}>{o}</option>)}
              </select>
              <input aria-label={st('s_value')} value={row.value} onInput={(e) => setRows(rows.map((x, k) => (k === i ? { ...x, value: (e.target as HTMLInputElement).value } : x)))} />
              <button type="button" class="btn btn-sm btn-ghost" onClick={() => setRows(rows.filter((_, k) => k !== i))}>{st('s_remove')}</button>
            </div>
          ))}
          <button type="button" class="btn btn-sm" id="rule-add-cond" onClick={() => setRows([...rows, { field: '', op: 'eq', value: '' }])}>{st('s_add_condition')}</button>
          {err('conditions')}
        </fieldset>
        <label class="field">{st('s_params')}<input id="rule-params" value={params} placeholder={paramsHint(r.trigger, r.kind)} onInput={(e) => setParams((e.target as HTMLInputElement).value)} />{err('params')}</label>
        {r.kind !== 'scoring' && <label class="field">{st('s_actions')}<textarea id="rule-actions" rows={6} value={actions} onInput={(e) => setActions((e.target as HTMLTextAreaElement).value)} />{err('actions')}</label>}
        {r.kind !== 'scoring' && (
          <div class="inline-actions rule-add-action">
            <select id="rule-action-kind" aria-label={st('s_add_action')} value={actionKind} onChange={(e) => setActionKind((e.target as HTMLSelectElement).value)}>
              {Object.keys(ACTION_SKELETONS).map((k) => <option key={k} value={k}>{senum(k)}</option>)}
            </select>
            <button type="button" class="btn btn-sm" id="rule-add-action" onClick={() => {
              try {
                setActions(addActionSkeleton(actions, actionKind));
                setErrors({ ...errors, actions: '' });
              } catch {
                setErrors({ ...errors, actions: st('s_bad_json', { what: 'actions' }) });
              }
            }}>{st('s_add_action')}</button>
          </div>
        )}
        <button class="btn btn-primary" id="rule-save">{st('s_save')}</button>
      </form>
      {id && (
        <section class="card rule-runs" aria-labelledby="runs-title">
          <h2 class="card-title" id="runs-title">{st('s_runs')}</h2>
          {!runs?.length ? <p class="muted">{st('s_runs_none')}</p> : (
            <table class="table table-compact">
              <thead><tr><th>#</th><th>{st('s_entity')}</th><th>{st('s_cause')}</th><th>{st('s_status')}</th><th>{st('s_steps')}</th><th>{st('s_error')}</th></tr></thead>
              <tbody>
                {runs.map((x) => (
                  <tr key={x.id} class={`run-${x.status}`}>
                    <td>{formatDateTime(x.created_at, l)}</td>
                    <td><Link href={`/${x.entity}/${x.record_id}`}>{x.entity} #{x.record_id}</Link></td>
                    <td>{senum(x.cause)}</td><td><span class="badge">{senum(x.status)}</span>{x.attempts > 1 ? ` ×${x.attempts}` : ''}</td>
                    <td>{x.steps.map((s: any) => `${s.step}: ${senum(s.status)}`).join(', ')}</td><td>{x.error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </section>
  );
}
