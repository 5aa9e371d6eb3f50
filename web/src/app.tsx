import { useEffect, useRef, useState } from 'preact/hooks';
import { lazy, Suspense } from 'preact/compat';
import { entities, expired, login, logout, may, meta, setLanguage, user } from './lib/session';
import { LOCALES, entityLabel, locale, singularLabel, t } from './lib/i18n';
import { matchRoute, navigate, url } from './lib/router';
import { dataLinks, navGroups } from './lib/nav';
import { Dialog, Link, Loading, Toasts } from './components/ui';
import { GlobalSearch } from './components/Search';
import { LoginPage, LoginForm } from './pages/Login';
import { ListPage } from './pages/List';
import { RecordPage } from './pages/Record';
import { NewPage } from './pages/New';
import { PipelinePage } from './pages/Pipeline';
import { PhoneBar } from './pages/service/PhoneBar';
import { PublicPage } from './pages/service/Public';
import { SERVICE_LINKS, isServicePath, publicRoute } from './lib/service';
import { ts } from './lib/service-i18n';
import { st } from './lib/sales-i18n';
import { it } from './lib/import-i18n';

// ECharts is big: the dashboard and its charts load only when opened.
const DashboardPage = lazy(() => import('./pages/Dashboard').then((m) => ({ default: m.DashboardPage })));
// The sales module's screens (/sales/...) and the public web form (/f/{key}), loaded when opened.
const SalesPage = lazy(() => import('./pages/sales').then((m) => ({ default: m.SalesPage })));
const PublicFormPage = lazy(() => import('./pages/sales').then((m) => ({ default: m.PublicFormPage })));
// The service module's screens (console, analysis, wallboard, Erlang C) load when opened.
const ServicePages = lazy(() => import('./pages/service').then((m) => ({ default: m.ServicePages })));
// The analytics section (/analytics/...) and the public survey page (/s/{token}), loaded when opened.
const AnalyticsPage = lazy(() => import('./pages/analytics/Analytics').then((m) => ({ default: m.AnalyticsPage })));
const SurveyAnswerPage = lazy(() => import('./pages/analytics/SurveyAnswer').then((m) => ({ default: m.SurveyAnswerPage })));
// Import wizard and duplicate finder (/data/...), loaded when opened.
const DataPages = lazy(() => import('./pages/import').then((m) => ({ default: m.DataPages })));

function LanguageSwitch({ id }: { id?: string }) {
  return (
    <label class="lang">
      <span class="sr-only">{t('language')}</span>
      <select id={id} aria-label={t('language')} value={locale.value} onChange={(e) => setLanguage((e.target as HTMLSelectElement).value as any)}>
        {LOCALES.map((l) => (
          <option value={l.code} key={l.code} lang={l.code}>{l.name}</option>
        ))}
      </select>
    </label>
  );
}

function Nav({ current, onGo }: { current: string; onGo: () => void }) {
  // Only what the user's role may read (GET /auth/me's permissions).
  const groups = navGroups((meta.value?.entities ?? []).filter((e) => may(e, 'read')));
  const data = dataLinks(meta.value?.entities ?? [], may);
  const item = (href: string, label: string) => (
    <li key={href}>
      <Link href={href} aria-current={current === href ? 'page' : undefined} onClickCapture={onGo}>
        {label}
      </Link>
    </li>
  );
  return (
    <nav class="nav" aria-label={t('nav_main')}>
      <ul>
        {item('/', t('nav_home'))}
        {item('/pipeline', t('nav_pipeline'))}
        {item('/analytics', t('nav_analytics'))}
        {SERVICE_LINKS.map(([href, key]) => item(href, ts(key)))}
      </ul>
      <div class="nav-group">
        <h2 class="nav-title">{st('s_sales_nav')}</h2>
        <ul>
          {item('/sales/forecast', st('s_forecast'))}
          {item('/sales/leads', st('s_lead_desk'))}
          {item('/sales/campaigns', st('s_campaign_results'))}
          {item('/sales/quotes', st('s_quote_desk'))}
          {item('/sales/rules', st('s_rules'))}
          {item('/sales/forms', st('s_forms'))}
        </ul>
      </div>
      {groups.map((g) => (
        <div class="nav-group" key={g.key}>
          <h2 class="nav-title">{t(g.key)}</h2>
          <ul>{g.entities.map((e) => item(`/${e.name}`, entityLabel(e)))}</ul>
        </div>
      ))}
      {data.length > 0 && (
        <div class="nav-group">
          <h2 class="nav-title">{it('im_nav')}</h2>
          <ul>{data.map(([href, key]) => item(href, it(key)))}</ul>
        </div>
      )}
      <div class="nav-foot mobile-only">
        <LanguageSwitch id="lang-menu" />
        <button class="btn btn-ghost" onClick={logout}>{t('sign_out')}</button>
      </div>
    </nav>
  );
}

function ExpiredDialog() {
  return (
    <Dialog open={expired.value} title={t('session_expired_title')}>
      <p>{t('session_expired_text')}</p>
      <LoginForm username={user.value?.username} onDone={() => {}} doLogin={login} />
    </Dialog>
  );
}

export function App({ ready }: { ready: boolean }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const path = url.value.path;
  const loggedIn = !!user.value && !!meta.value;
  useEffect(() => {
    if (ready && !loggedIn && path !== '/login' && !publicRoute(path) && !path.startsWith('/f/') && !path.startsWith('/s/')) navigate(`/login?next=${encodeURIComponent(path + url.value.search)}`, true);
  }, [ready, loggedIn, path]);
  useEffect(() => {
    if (loggedIn && path === '/login') {
      const next = new URLSearchParams(url.value.search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/', true);
    }
  }, [loggedIn, path]);
  // A new page: its title in the tab, and focus on the main region (screen readers start there).
  const first = useRef(true);
  useEffect(() => {
    if (!loggedIn) return;
    const r = matchRoute(path, new Set(entities.value.keys()));
    const e = 'entity' in r ? entities.value.get(r.entity) : undefined;
    const name =
      r.name === 'dashboard' ? t('dash_title')
      : r.name === 'pipeline' ? t('pipeline_title')
      : r.name === 'new' && e ? t('new_record', { entity: singularLabel(e) })
      : r.name === 'list' && e ? entityLabel(e)
      : '';
    if (r.name !== 'record' && !isServicePath(path) && !path.startsWith('/analytics') && !path.startsWith('/data/')) document.title = name ? `${name} · Kehu` : t('app_name');
  }, [path, loggedIn, locale.value]);
  useEffect(() => {
    if (!loggedIn) return;
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [path, loggedIn]);

  const pub = publicRoute(path); // customers' pages: no login, no shell
  if (pub) return (<><PublicPage route={pub} /><Toasts /></>);
  if (path.startsWith('/f/')) // a web form of the sales module: no login, no shell
    return (<><Suspense fallback={<Loading />}><PublicFormPage formKey={decodeURIComponent(path.slice(3))} /></Suspense><Toasts /></>);
  if (path.startsWith('/s/')) // a survey invitation's answer page: no login, no shell
    return (<><Suspense fallback={<Loading />}><SurveyAnswerPage token={decodeURIComponent(path.slice(3))} /></Suspense><Toasts /></>);
  if (!ready) return <Loading />;
  if (!loggedIn) return (<><LoginPage /><Toasts /></>);
  const route = matchRoute(path, new Set(entities.value.keys()));
  if (route.name === 'login') return <Loading />;
  const current = path.startsWith('/data/') ? path : path.startsWith('/analytics') ? '/analytics' : path.startsWith('/sales/') ? `/sales/${path.split('/')[2]}` : route.name === 'dashboard' ? '/' : route.name === 'pipeline' ? '/pipeline' : 'entity' in route ? `/${route.entity}` : isServicePath(path) ? path : '';
  let page;
  if (path.startsWith('/analytics'))
    page = (
      <Suspense fallback={<Loading />}>
        <AnalyticsPage />
      </Suspense>
    );
  else if (path.startsWith('/data/'))
    page = (
      <Suspense fallback={<Loading />}>
        <DataPages path={path} />
      </Suspense>
    );
  else if (path.startsWith('/sales/'))
    page = (
      <Suspense fallback={<Loading />}>
        <SalesPage path={path} />
      </Suspense>
    );
  else if (isServicePath(path))
    page = (
      <Suspense fallback={<Loading />}>
        <ServicePages path={path} />
      </Suspense>
    );
  else switch (route.name) {
    case 'dashboard':
      page = (
        <Suspense fallback={<Loading />}>
          <DashboardPage />
        </Suspense>
      );
      break;
    case 'pipeline':
      page = <PipelinePage />;
      break;
    case 'list':
      page = <ListPage key={route.entity} entity={entities.value.get(route.entity)!} />;
      break;
    case 'new':
      page = <NewPage key={route.entity} entity={entities.value.get(route.entity)!} />;
      break;
    case 'record':
      page = <RecordPage key={`${route.entity}/${route.id}`} entity={entities.value.get(route.entity)!} id={route.id} />;
      break;
    default:
      page = <p class="pad">{t('not_found')}</p>;
  }
  const u = user.value!;
  return (
    <div class={`shell ${menuOpen ? 'menu-open' : ''}`}>
      <a class="skip" href="#main">{t('skip_to_main')}</a>
      <header class="topbar">
        <button class="icon-btn menu-btn" aria-label={t('menu')} aria-expanded={menuOpen} aria-controls="sidebar" onClick={() => setMenuOpen(!menuOpen)}>
          ☰
        </button>
        <Link href="/" class="brand">
          <span class="brand-mark" aria-hidden="true">客</span>
          <span class="brand-name">Kehu</span>
        </Link>
        <GlobalSearch />
        <PhoneBar />
        <div class="topbar-right desktop-only">
          <LanguageSwitch />
          <span class="whoami" title={u.username}>{u.display_name ?? u.username}</span>
          <button class="btn btn-ghost" onClick={logout}>{t('sign_out')}</button>
        </div>
      </header>
      <aside class="sidebar" id="sidebar">
        <Nav current={current} onGo={() => setMenuOpen(false)} />
      </aside>
      <main id="main" class="main" tabIndex={-1}>
        {page}
      </main>
      <ExpiredDialog />
      <Toasts />
    </div>
  );
}
