// The knowledge base: search (Chinese by any word, one character too), a
// category filter, and reading an article.
import { useEffect, useState } from 'preact/hooks';
import { api, type Rec } from '../../lib/api';
import { navigate, url } from '../../lib/router';
import { ts } from '../../lib/service-i18n';
import { ErrorBox, Link, Loading } from '../../components/ui';

export function KbPage({ id }: { id?: number }) {
  return id ? <Article id={id} /> : <Search />;
}

function Search() {
  const params = new URLSearchParams(url.value.search);
  const [q, setQ] = useState(params.get('q') ?? '');
  const [cat, setCat] = useState(params.get('category') ?? '');
  const [cats, setCats] = useState<string[]>([]);
  const [hits, setHits] = useState<Rec[] | null>(null);
  const [latest, setLatest] = useState<Rec[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    document.title = `${ts('svc_kb')} · Kehu`;
    api.get<{ groups: Rec[] }>('/kb_articles/aggregate', { group: 'category', measures: 'count', status: 'published' })
      .then((r) => setCats(r.groups.map((g) => g.key.category).filter(Boolean)), () => {});
    api.get<{ data: Rec[] }>('/kb_articles', { status: 'published', sort: '-used_count,-id', limit: 20 }).then((r) => setLatest(r.data), setError);
  }, []);
  const current = new URLSearchParams(url.value.search);
  const searched = current.get('q') ?? '';
  const searchedCat = current.get('category') ?? '';
  useEffect(() => {
    if (!searched) {
      setHits(null);
      return;
    }
    api.get<{ data: Rec[] }>('/kb/search', { q: searched, category: searchedCat || undefined, limit: 30 }).then((r) => setHits(r.data), setError);
  }, [searched, searchedCat]);
  function submit(e: Event) {
    e.preventDefault();
    const p = new URLSearchParams();
    if (q.trim()) p.set('q', q.trim());
    if (cat) p.set('category', cat);
    navigate(`/service/kb${p.toString() ? `?${p}` : ''}`);
  }
  const list = searched ? hits : latest;
  return (
    <section class="page service-kb">
      <div class="page-head">
        <h1>{ts('svc_kb')}</h1>
        <Link class="btn" href="/kb_articles/new">{ts('svc_kb_new')}</Link>
      </div>
      <form class="kb-search" role="search" onSubmit={submit}>
        <label class="sr-only" for="kb-q">{ts('svc_kb_search')}</label>
        <input id="kb-q" type="search" value={q} placeholder={ts('svc_kb_placeholder')} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        <label class="sr-only" for="kb-cat">{ts('svc_kb_category')}</label>
        <select id="kb-cat" value={cat} onChange={(e) => setCat((e.target as HTMLSelectElement).value)}>
          <option value="">{ts('svc_kb_all_categories')}</option>
          {cats.map((c) => <option key={c} value={c}>{c}</option>)}
        </select>
        <button class="btn btn-primary" type="submit">{ts('svc_kb_search')}</button>
      </form>
      {error ? <ErrorBox error={error} /> : !list ? <Loading /> : list.length === 0 ? (
        <p class="muted">{ts('svc_kb_none', { q: searched })}</p>
      ) : (
        <ul class="kb-results">
          {list.map((a) => (
            <li key={a.id} class="card kb-hit">
              <h2 class="card-title"><Link href={`/service/kb/${a.id}`}>{a.title}</Link></h2>
              <p class="muted">{a.category ?? ''}{a.used_count ? ` · ${ts('svc_kb_used', { n: a.used_count })}` : ''}</p>
              <p>{a.snippet ?? (a.body ?? '').slice(0, 160)}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Article({ id }: { id: number }) {
  const [a, setA] = useState<Rec | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Rec>(`/kb/articles/${id}`).then((r) => {
      setA(r);
      document.title = `${r.title} · Kehu`;
    }, setError);
  }, [id]);
  if (error) return <section class="page"><ErrorBox error={error} /></section>;
  if (!a) return <Loading />;
  return (
    <section class="page kb-article">
      <p><Link href="/service/kb">← {ts('svc_kb_back')}</Link></p>
      <article class="card">
        <h1>{a.title}</h1>
        <p class="muted">{a.category ?? ''} · {ts('svc_kb_used', { n: a.used_count ?? 0 })}</p>
        <div class="pre kb-body">{a.body}</div>
      </article>
      <p><Link href={`/kb_articles/${a.id}`}>{ts('svc_open_record')} →</Link></p>
    </section>
  );
}
