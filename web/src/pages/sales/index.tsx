// The sales module's screens under /sales/..., loaded with ECharts on first
// use (app.tsx routes here). /f/{key} (the hosted web form) is public.
import { t } from '../../lib/i18n';
import { ForecastPage } from './Forecast';
import { CampaignPage } from './Campaign';
import { PriceListPage, QuotePage, QuotesPage } from './Quotes';
import { RulePage, RulesPage } from './Rules';
import { FormsPage, PublicFormPage } from './Forms';
import { LeadsDesk } from './Leads';
import { CampaignsIndex } from './Campaigns';

export { PublicFormPage };

/** Which sales screen a path names, or null. */
export function salesRoute(path: string): { page: string; id?: number } | null {
  const m = /^\/sales\/([a-z-]+)(?:\/(new|[1-9]\d{0,15}))?\/?$/.exec(path);
  if (!m) return null;
  const id = m[2] && m[2] !== 'new' ? Number(m[2]) : undefined;
  return { page: m[1], id };
}

export function SalesPage({ path }: { path: string }) {
  const r = salesRoute(path);
  switch (r?.page) {
    case 'forecast': return <ForecastPage />;
    case 'campaigns': return r.id ? <CampaignPage key={r.id} id={r.id} /> : <CampaignsIndex />;
    case 'leads': return <LeadsDesk />;
    case 'quotes': return r.id ? <QuotePage key={r.id} id={r.id} /> : <QuotesPage />;
    case 'price-lists': return r.id ? <PriceListPage key={r.id} id={r.id} /> : null;
    case 'rules': return path.endsWith('/new') ? <RulePage key="new" id={null} /> : r.id ? <RulePage key={r.id} id={r.id} /> : <RulesPage />;
    case 'forms': return <FormsPage />;
  }
  return <p class="pad">{t('not_found')}</p>;
}
