// The customer 360 view's badges: the stored RFM segment, CLV and churn risk
// (with its reasons) and lifecycle stage of an account or a contact.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { locale } from '../../lib/i18n';
import { formatMoney } from '../../lib/format';
import { Link } from '../../components/ui';
import { code, ta } from '../../lib/analytics-i18n';
import './analytics.css';

interface Scores {
  scored: boolean;
  rfm_segment?: string | null;
  clv?: number | null;
  churn_probability?: number | null;
  churn_risk?: string | null;
  churn_reasons?: string[];
  lifecycle_stage?: string | null;
  abc_class?: string | null;
}

export function ScoreBadges({ entity, id }: { entity: string; id: number }) {
  const [s, setS] = useState<Scores | null>(null);
  useEffect(() => {
    api.get<Scores>(`/${entity}/${id}/scores`).then(setS, () => setS(null));
  }, [entity, id]);
  const l = locale.value;
  if (!s?.scored) return null;
  const riskKey = s.churn_risk === 'high' ? 'an_risk_high' : s.churn_risk === 'medium' ? 'an_risk_medium' : 'an_risk_low';
  return (
    <div class="an-badges" aria-label={ta('an_title')}>
      {s.rfm_segment && (
        <Link href="/analytics/value" class="an-badge" data-badge="rfm"><span>{ta('an_badge_rfm')}</span><b>{code(s.rfm_segment)}</b>{s.abc_class ? <span class="muted">· {s.abc_class}</span> : null}</Link>
      )}
      {s.clv !== null && s.clv !== undefined && (
        <span class="an-badge" data-badge="clv"><span>{ta('an_badge_clv')}</span><b>{formatMoney(Math.round(s.clv * 100), 'CNY', l)}</b></span>
      )}
      {s.churn_risk && (
        <span class={`an-badge an-badge-${s.churn_risk}`} data-badge="churn" title={(s.churn_reasons ?? []).map(code).join(', ')}>
          <span>{ta('an_badge_churn')}</span><b>{ta(riskKey)}</b>
          {s.churn_probability !== null && s.churn_probability !== undefined ? <span>{Math.round(s.churn_probability * 100)}%</span> : null}
        </span>
      )}
      {s.lifecycle_stage && (
        <span class="an-badge" data-badge="stage"><span>{ta('an_badge_stage')}</span><b>{code(s.lifecycle_stage)}</b></span>
      )}
    </div>
  );
}

export default ScoreBadges;
