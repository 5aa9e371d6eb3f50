// The Analytics section: a menu of analyses, each its own page under
// /analytics/<section>, in Chinese and English, drawn with ECharts.
import { useEffect } from 'preact/hooks';
import { url } from '../../lib/router';
import { locale } from '../../lib/i18n';
import { Link } from '../../components/ui';
import { ta, type AKey } from '../../lib/analytics-i18n';
import { ValuePage } from './Value';
import { ChurnPage } from './Churn';
import { SegmentsPage } from './Segments';
import { LifecyclePage } from './Lifecycle';
import { LoyaltyPage } from './Loyalty';
import { BasketsPage } from './Baskets';
import { CubePage } from './Cube';
import { SurveysPage } from './Surveys';
import { SatisfactionPage } from './Satisfaction';
import { ScorecardPage } from './Scorecard';
import { CapabilityPage } from './Capability';
import { ReportPage } from './Report';
import './analytics.css';

const SECTIONS: { id: string; key: AKey }[] = [
  { id: 'value', key: 'an_value' },
  { id: 'churn', key: 'an_churn' },
  { id: 'segments', key: 'an_segments' },
  { id: 'lifecycle', key: 'an_lifecycle' },
  { id: 'loyalty', key: 'an_loyalty' },
  { id: 'baskets', key: 'an_baskets' },
  { id: 'cube', key: 'an_cube' },
  { id: 'surveys', key: 'an_surveys' },
  { id: 'satisfaction', key: 'an_satisfaction' },
  { id: 'scorecard', key: 'an_scorecard' },
  { id: 'capability', key: 'an_capability' },
  { id: 'report', key: 'an_report' },
];

export function AnalyticsPage() {
  const parts = url.value.path.split('/').filter(Boolean);
  const section = SECTIONS.find((s) => s.id === parts[1]) ?? SECTIONS[0];
  const sub = parts[2];
  locale.value; // re-render on a language switch
  useEffect(() => {
    document.title = `${ta(section.key)} · ${ta('an_title')} · Kehu`;
  }, [section.id, locale.value]);
  let page;
  switch (section.id) {
    case 'churn': page = <ChurnPage />; break;
    case 'segments': page = <SegmentsPage />; break;
    case 'lifecycle': page = <LifecyclePage />; break;
    case 'loyalty': page = <LoyaltyPage />; break;
    case 'baskets': page = <BasketsPage />; break;
    case 'cube': page = <CubePage />; break;
    case 'surveys': page = <SurveysPage id={sub ? Number(sub) : null} />; break;
    case 'satisfaction': page = <SatisfactionPage />; break;
    case 'scorecard': page = <ScorecardPage />; break;
    case 'capability': page = <CapabilityPage />; break;
    case 'report': page = <ReportPage />; break;
    default: page = <ValuePage />;
  }
  return (
    <article class="page an-page" aria-labelledby="an-title">
      <div class="page-head">
        <h1 id="an-title">{ta(section.key)}</h1>
      </div>
      <nav class="an-tabs" aria-label={ta('an_sections')}>
        {SECTIONS.map((s) => (
          <Link key={s.id} href={`/analytics/${s.id}`} class={`an-tab ${s.id === section.id ? 'active' : ''}`}
            aria-current={s.id === section.id ? 'page' : undefined}>
            {ta(s.key)}
          </Link>
        ))}
      </nav>
      {page}
    </article>
  );
}
