// Getting data in and out (/data/...): the import wizard and the duplicate
// finder, loaded when opened (app.tsx routes here). The list's export lives in
// Export.tsx, beside the list.
import { useEffect } from 'preact/hooks';
import { t } from '../../lib/i18n';
import { it } from '../../lib/import-i18n';
import { ImportWizard } from './Wizard';
import { DuplicatesPage, mergeableEntities } from './Duplicates';
import { importableEntities } from '../../lib/import';
import { may, meta } from '../../lib/session';
import './import.css';

export function DataPages({ path }: { path: string }) {
  const page = path.replace(/\/+$/, '');
  useEffect(() => {
    const title = page === '/data/import' ? it('im_title') : page === '/data/duplicates' ? it('dd_title') : '';
    if (title) document.title = `${title} · Kehu`;
  });
  // A role that may import nothing (or merge nothing) gets the reason, not a wizard that would be refused.
  const refused = <section class="page"><div class="alert alert-error" role="alert">{t('forbidden')}</div></section>;
  if (page === '/data/import')
    return importableEntities(meta.value?.entities ?? []).some((e) => may(e, 'import')) ? <ImportWizard /> : refused;
  if (page === '/data/duplicates') return mergeableEntities().length ? <DuplicatesPage /> : refused;
  return <p class="pad">{t('not_found')}</p>;
}
