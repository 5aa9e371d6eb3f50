// CRM capability evaluation by AHP: pairwise comparisons for each group of
// criteria with their consistency checked as they are entered, the company's
// scores on the capabilities, and the capability index over time.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { user } from '../../lib/session';
import { toast, errorText } from '../../components/ui';
import { ta } from '../../lib/analytics-i18n';
import { SAATY, judge, nearestSaaty, saatyLabel } from '../../lib/analytics';
import { AChart } from './AChart';
import { Card, Figure, Loaded, num, useApi } from './common';

interface Node { id: string; parent: string | null; label_en: string | null; label_zh: string | null; local: number | null; global: number | null; score: number | null }
interface Eval { id: number | null; name?: string; nodes: Node[]; index: number | null; trend: { assessed_on: string; index: number | null }[]; matrices: any[] }
interface Live { weights: number[]; cr: number; acceptable: boolean; worst: { i: number; j: number; value: number; suggested: number } }

export function CapabilityPage() {
  const [version, setVersion] = useState(0);
  const e = useApi<Eval>('/analytics/capability', undefined, version);
  locale.value;
  return <Loaded s={e}>{(d) => <Editor d={d} onSaved={() => setVersion(version + 1)} />}</Loaded>;
}

function nodeLabel(n: Node) {
  return (locale.value === 'zh-CN' ? n.label_zh : n.label_en) ?? n.id;
}

function Editor({ d, onSaved }: { d: Eval; onSaved: () => void }) {
  const groups = d.nodes.filter((p) => d.nodes.filter((c) => c.parent === p.id).length >= 2);
  const leaves = d.nodes.filter((n) => !d.nodes.some((c) => c.parent === n.id));
  const [matrices, setMatrices] = useState<Record<string, number[][]>>(() => {
    const m: Record<string, number[][]> = {};
    for (const g of groups) {
      const prev = d.matrices.find((x) => x.parent === g.id && x.matrix);
      const n = d.nodes.filter((c) => c.parent === g.id).length;
      m[g.id] = prev ? prev.matrix.map((r: number[]) => r.map(nearestSaaty)) : Array.from({ length: n }, () => Array(n).fill(1));
    }
    return m;
  });
  const [scores, setScores] = useState<Record<string, number>>(() => Object.fromEntries(leaves.map((l) => [l.id, l.score ?? 60])));
  const [name, setName] = useState(() => `${new Date().toISOString().slice(0, 10)}`);
  async function save() {
    try {
      await api.post('/capability_assessments', {
        name, assessed_on: new Date().toISOString().slice(0, 10),
        judgements: { assessors: [{ name: user.value?.display_name ?? user.value?.username ?? 'me', matrices }] },
        scores,
      });
      toast(ta('an_saved'));
      onSaved();
    } catch (x) {
      toast(errorText(x), 'error');
    }
  }
  return (
    <div class="an-grid">
      <Card title={ta('an_capability_index')} name="index">
        <div class="figures"><Figure label={ta('an_capability_index')} value={num(d.index, 1)} sub={d.name ?? ''} /></div>
        {d.trend.length > 0 && (
          <AChart name="capability-trend" height={200} description={d.trend.map((t) => `${t.assessed_on} ${num(t.index, 1)}`).join(', ')}
            option={{ tooltip: { trigger: 'axis' }, grid: { left: 40, right: 16, top: 16, bottom: 24 }, xAxis: { type: 'category', data: d.trend.map((t) => t.assessed_on) }, yAxis: { type: 'value', min: 0, max: 100 }, series: [{ type: 'line', data: d.trend.map((t) => t.index) }] }} />
        )}
        {d.id !== null && (
          <AChart name="global-weights" height={220} description={leaves.map((l) => `${nodeLabel(l)} ${num((l.global ?? 0) * 100, 1)}%`).join(', ')}
            option={{ tooltip: { trigger: 'axis' }, grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true }, xAxis: { type: 'value' }, yAxis: { type: 'category', inverse: true, data: leaves.map(nodeLabel) }, series: [{ type: 'bar', data: leaves.map((l) => Math.round((l.global ?? 0) * 1000) / 10) }] }} />
        )}
      </Card>
      {groups.map((g) => (
        <Matrix key={g.id} group={g} items={d.nodes.filter((c) => c.parent === g.id)} m={matrices[g.id]}
          onChange={(m) => setMatrices({ ...matrices, [g.id]: m })} />
      ))}
      <Card title={ta('an_score')} name="scores">
        <div class="an-form">
          {leaves.map((l) => (
            <label key={l.id}>{nodeLabel(l)}
              <input type="number" min={0} max={100} name={`score-${l.id}`} value={scores[l.id]} onInput={(e) => setScores({ ...scores, [l.id]: Number((e.target as HTMLInputElement).value) })} />
            </label>
          ))}
        </div>
        <p class="an-form">
          <label>{ta('an_assessment_name')}<input name="assessment-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
          <button class="btn btn-primary" onClick={save}>{ta('an_save_assessment')}</button>
        </p>
      </Card>
    </div>
  );
}

function Matrix({ group, items, m, onChange }: { group: Node; items: Node[]; m: number[][]; onChange: (m: number[][]) => void }) {
  const [live, setLive] = useState<Live | null>(null);
  const key = JSON.stringify(m);
  useEffect(() => {
    let gone = false;
    api.post<Live>('/analytics/ahp', { matrix: m }).then((r) => !gone && setLive(r), () => !gone && setLive(null));
    return () => {
      gone = true;
    };
  }, [key]);
  return (
    <Card title={`${ta('an_ahp')} · ${nodeLabel(group)}`} name={`matrix-${group.id}`}>
      <p class="an-note">{ta('an_ahp_desc')}</p>
      <table class="an-matrix" data-matrix={group.id}>
        <thead><tr><th />{items.map((c) => <th key={c.id} scope="col">{nodeLabel(c)}</th>)}<th>{ta('an_weights')}</th></tr></thead>
        <tbody>
          {items.map((r, i) => (
            <tr key={r.id}>
              <th scope="row">{nodeLabel(r)}</th>
              {items.map((c, j) => (
                <td key={c.id} class={`${i === j ? 'diag' : ''} ${live && !live.acceptable && ((live.worst.i === i && live.worst.j === j) || (live.worst.i === j && live.worst.j === i)) ? 'worst' : ''}`}>
                  {i === j ? '1' : i < j ? (
                    <select aria-label={`${nodeLabel(r)} / ${nodeLabel(c)}`} data-cell={`${i}-${j}`} value={String(m[i][j])}
                      onChange={(e) => onChange(judge(m, i, j, Number((e.target as HTMLSelectElement).value)))}>
                      {SAATY.map((v) => <option key={v} value={String(v)}>{saatyLabel(v)}</option>)}
                    </select>
                  ) : saatyLabel(m[i][j])}
                </td>
              ))}
              <td>{live ? `${num(live.weights[i] * 100, 1)}%` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {live && (
        <p class={live.acceptable ? 'an-good' : 'an-bad'} data-consistency={live.acceptable ? 'ok' : 'bad'} role="status">
          {ta('an_consistency', { cr: num(live.cr, 3) })} ·{' '}
          {live.acceptable ? ta('an_consistent') : ta('an_inconsistent', { row: nodeLabel(items[live.worst.i]), col: nodeLabel(items[live.worst.j]), value: saatyLabel(nearestSaaty(live.worst.suggested)) })}
        </p>
      )}
    </Card>
  );
}
