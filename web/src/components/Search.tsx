// The global search box: results grouped by type as you type (GET /search).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { entities, meta } from '../lib/session';
import { entityLabel, t } from '../lib/i18n';
import { navigate } from '../lib/router';
import { groupHits, type Hit } from '../lib/search';

function subtitle(h: Hit): string {
  const r = h.record;
  return [r.company, r.title, r.city, r.email ?? r.mobile ?? r.phone, r.sku, r.case_number].filter(Boolean).slice(0, 2).join(' · ');
}

export function GlobalSearch() {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const ctrl = useRef<AbortController | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const blurTimer = useRef<ReturnType<typeof setTimeout>>();

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const tag = (e.target as HTMLElement)?.tagName;
      if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(tag) && !(e.target as HTMLElement)?.isContentEditable) {
        e.preventDefault();
        input.current?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  function run(text: string) {
    clearTimeout(blurTimer.current);
    setQ(text);
    clearTimeout(timer.current);
    ctrl.current?.abort();
    const query = text.trim();
    if (!query) {
      setHits(null);
      setOpen(false);
      return;
    }
    setOpen(true);
    timer.current = setTimeout(async () => {
      const c = new AbortController();
      ctrl.current = c;
      setBusy(true);
      try {
        const r = await api.get<{ data: Hit[] }>('/search', { q: query, limit: 30 }, c.signal);
        setHits(r.data);
        setActive(0);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setHits([]);
      } finally {
        if (ctrl.current === c) setBusy(false);
      }
    }, 120);
  }

  const order = meta.value?.entities.map((e) => e.name) ?? [];
  const groups = hits ? groupHits(hits, order) : [];
  const flat = groups.flatMap((g) => g.hits);

  function go(h: Hit) {
    setOpen(false);
    setQ('');
    setHits(null);
    input.current?.blur();
    navigate(`/${h.entity}/${h.id}`);
  }

  let idx = -1;
  return (
    <div class="search" role="search">
      <label class="sr-only" for="global-search">{t('search_label')}</label>
      <input
        ref={input}
        id="global-search"
        type="search"
        role="combobox"
        aria-expanded={open}
        aria-controls="search-results"
        aria-autocomplete="list"
        aria-activedescendant={open && flat[active] ? `sr-${active}` : undefined}
        autoComplete="off"
        placeholder={t('search_placeholder')}
        value={q}
        onInput={(e) => run((e.target as HTMLInputElement).value)}
        onFocus={() => {
          clearTimeout(blurTimer.current);
          if (hits && q) setOpen(true);
        }}
        onBlur={() => (blurTimer.current = setTimeout(() => setOpen(false), 150))}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') { e.preventDefault(); setActive((a) => Math.min(a + 1, flat.length - 1)); }
          else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((a) => Math.max(a - 1, 0)); }
          else if (e.key === 'Enter' && flat[active]) { e.preventDefault(); go(flat[active]); }
          else if (e.key === 'Escape') { setOpen(false); }
        }}
      />
      {open && (
        <div class="search-results" id="search-results" role="listbox" aria-label={t('search_label')}>
          {busy && !hits && <div class="muted pad">{t('search_searching')}</div>}
          {hits && hits.length === 0 && !busy && <div class="muted pad">{t('search_none', { q: q.trim() })}</div>}
          {groups.map((g) => {
            const e = entities.value.get(g.entity);
            return (
              <div role="group" aria-label={e ? entityLabel(e) : g.entity} class="search-group" key={g.entity}>
                <div class="search-group-title" aria-hidden="true">{e ? entityLabel(e) : g.entity}</div>
                {g.hits.map((h) => {
                  idx++;
                  const i = idx;
                  return (
                    <div
                      role="option"
                      id={`sr-${i}`}
                      aria-selected={i === active}
                      class={`search-hit ${i === active ? 'active' : ''}`}
                      key={`${h.entity}-${h.id}`}
                      onMouseDown={(ev) => { ev.preventDefault(); go(h); }}
                      onMouseEnter={() => setActive(i)}
                    >
                      <span class="search-hit-title">{h.title}</span>
                      <span class="muted search-hit-sub">{subtitle(h)}</span>
                    </div>
                  );
                })}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
