// The service module's screens under /service, loaded with their charts only
// when opened (app.tsx imports this lazily).
import { serviceRoute } from '../../lib/service';
import { t } from '../../lib/i18n';
import { ConsolePage } from './Console';
import { ComplaintsPage } from './Analysis';
import { KbPage } from './Kb';
import { WallboardPage } from './Wallboard';
import { ErlangPage } from './Erlang';
import './service.css';

export function ServicePages({ path }: { path: string }) {
  const r = serviceRoute(path);
  switch (r.name) {
    case 'console':
      return <ConsolePage />;
    case 'complaints':
      return <ComplaintsPage />;
    case 'kb':
      return <KbPage key={r.id ?? 0} id={r.id} />;
    case 'wallboard':
      return <WallboardPage />;
    case 'erlang':
      return <ErlangPage />;
    default:
      return <p class="pad">{t('not_found')}</p>;
  }
}
