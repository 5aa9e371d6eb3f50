// The sales pipeline as a kanban board: one column per stage with its count and
// amount; dragging a card (or choosing a stage on it) changes the stage through
// the API, with the card's version, so a conflicting change is caught and said.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ListPage as Page, type Rec } from '../lib/api';
import { field } from '../lib/meta';
import { enumLabel, locale, t } from '../lib/i18n';
import { formatDate, formatMoney, formatMoneyCompact, formatNumber } from '../lib/format';
import { entities, mayOn, user } from '../lib/session';
import { ErrorBox, Link, errorText, toast } from '../components/ui';
import { RefLink } from '../components/fields';
import { moveCard, totalsByStage, type Column } from '../lib/pipeline';

const PER_COLUMN = 20;

export function PipelinePage() {
  const opp = entities.value.get('opportunities')!;
  const stages = field(opp, 'stage')?.values ?? [];
  const [mine, setMine] = useState(false);
  const [cols, setCols] = useState<Column[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [conflict, setConflict] = useState('');
  const [dragging, setDragging] = useState<number | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const me = user.value!.id as number;
  const l = locale.value;

  async function load() {
    const owner = mine ? { owner_id: me } : {};
    try {
      const pages = await Promise.all(
        stages.map((s) => api.get<Page>('/opportunities', { stage: s, sort: '-amount', limit: PER_COLUMN, count: 1, ...owner })),
      );
      let totals: Record<string, { count: number; sum: number }> | null = null;
      try {
        const agg = await api.get<{ groups: any[] }>('/opportunities/aggregate', { group: 'stage', measures: 'count,sum:amount', ...owner });
        totals = totalsByStage(agg.groups);
      } catch {
        totals = null; // no aggregate API: the columns sum the cards they show
      }
      setCols(
        stages.map((s, i) => ({
          stage: s,
          cards: pages[i].data,
          total: totals ? (totals[s]?.count ?? 0) : (pages[i].total ?? null),
          sum: totals ? (totals[s]?.sum ?? 0) : pages[i].data.reduce((a, r) => a + (r.amount ?? 0), 0),
          sumIsShown: !totals,
        })),
      );
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    load();
  }, [mine]);

  async function move(id: number, to: string) {
    if (!cols) return;
    const card = cols.flatMap((c) => c.cards).find((c) => c.id === id);
    if (!card || card.stage === to) return;
    const before = cols;
    setCols(moveCard(cols, id, to));
    setConflict('');
    try {
      const r = await api.patch<Rec>(`/opportunities/${id}`, { stage: to }, card.version);
      setCols((c) => (c ? c.map((col) => ({ ...col, cards: col.cards.map((x) => (x.id === id ? r : x)) })) : c));
      toast(t('pipeline_moved', { name: card.name, stage: enumLabel('opportunities', 'stage', to) }));
    } catch (err) {
      setCols(before);
      if (err instanceof ApiError && err.status === 409) {
        let now = '';
        try {
          now = enumLabel('opportunities', 'stage', (await api.get<Rec>(`/opportunities/${id}`)).stage);
        } catch {
          /* gone */
        }
        setConflict(t('pipeline_conflict', { name: card.name, stage: now || '?' }));
        load();
      } else {
        toast(errorText(err), 'error', 8000);
      }
    }
  }

  return (
    <section class="page pipeline-page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{t('pipeline_title')}</h1>
        <label class="check">
          <input type="checkbox" checked={mine} onChange={(e) => setMine((e.target as HTMLInputElement).checked)} />
          {t('pipeline_mine')}
        </label>
      </div>
      <p class="muted help">{t('pipeline_help')}</p>
      {conflict && (
        <div class="alert alert-warn conflict" role="alert">
          {conflict}
          <button class="icon-btn" aria-label={t('close')} onClick={() => setConflict('')}>×</button>
        </div>
      )}
      {error ? <ErrorBox error={error} /> : null}
      <div class="board">
        {(cols ?? stages.map((s) => ({ stage: s, cards: [], total: null, sum: null, sumIsShown: false }))).map((c) => (
          <section
            key={c.stage}
            class={`column column-${c.stage} ${over === c.stage ? 'drop-over' : ''}`}
            aria-labelledby={`col-${c.stage}`}
            data-stage={c.stage}
            onDragOver={(e) => {
              if (dragging === null) return;
              e.preventDefault();
              e.dataTransfer!.dropEffect = 'move';
              if (over !== c.stage) setOver(c.stage);
            }}
            onDragLeave={(e) => {
              if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node)) setOver(null);
            }}
            onDrop={(e) => {
              e.preventDefault();
              const id = Number(e.dataTransfer!.getData('text/plain'));
              setOver(null);
              setDragging(null);
              if (id) move(id, c.stage);
            }}
          >
            <header class="column-head">
              <h2 id={`col-${c.stage}`}>{enumLabel('opportunities', 'stage', c.stage)}</h2>
              <div class="column-figures">
                <span class="column-sum" title={c.sum !== null ? formatMoney(c.sum, 'CNY', l) : ''}>
                  {c.sum !== null ? formatMoneyCompact(c.sum, 'CNY', l) : '…'}
                  {c.sumIsShown && <span class="muted"> ({t('pipeline_total_shown')})</span>}
                </span>
                <span class="muted">{c.total !== null ? t('pipeline_count', { n: formatNumber(c.total, l) }) : ''}</span>
              </div>
            </header>
            <ul class="cards">
              {c.cards.map((r) => {
                // A card moves only if the role may edit it (scope "own": the user's own deals).
                const movable = mayOn(opp, 'edit', r);
                return (
                <li
                  key={r.id}
                  class={`kcard ${dragging === r.id ? 'dragging' : ''} ${movable ? '' : 'kcard-fixed'}`}
                  draggable={movable}
                  data-id={r.id}
                  onDragStart={(e) => {
                    e.dataTransfer!.setData('text/plain', String(r.id));
                    e.dataTransfer!.effectAllowed = 'move';
                    setDragging(r.id);
                  }}
                  onDragEnd={() => { setDragging(null); setOver(null); }}
                >
                  <Link href={`/opportunities/${r.id}`} class="kcard-title">{r.name}</Link>
                  <div class="kcard-account"><RefLink entity="accounts" id={r.account_id} /></div>
                  <div class="kcard-row">
                    <strong class="num">{formatMoney(r.amount, r.currency ?? 'CNY', l)}</strong>
                    {r.expected_close_date && <time class="muted" dateTime={r.expected_close_date}>{formatDate(r.expected_close_date, l)}</time>}
                  </div>
                  {movable && (
                    <label class="kcard-move">
                      <span class="sr-only">{t('pipeline_move_to')}: {r.name}</span>
                      <select aria-label={`${t('pipeline_move_to')}: ${r.name}`} value={r.stage} onChange={(e) => move(r.id, (e.target as HTMLSelectElement).value)}>
                        {stages.map((s) => <option key={s} value={s}>{enumLabel('opportunities', 'stage', s)}</option>)}
                      </select>
                    </label>
                  )}
                </li>
                );
              })}
            </ul>
            {c.total !== null && c.total > c.cards.length && (
              <Link class="column-more" href={`/opportunities?f.stage=${c.stage}&sort=-amount${mine ? '&mine=1' : ''}`}>
                {t('pipeline_more', { n: formatNumber(c.total - c.cards.length, l) })}
              </Link>
            )}
          </section>
        ))}
      </div>
    </section>
  );
}
