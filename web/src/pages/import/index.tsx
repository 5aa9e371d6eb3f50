// Getting data in and out (/data/...): the import wizard and the duplicate
// finder, loaded when opened (app.tsx routes here). The list's export lives in
// Export.tsx, beside the list.
import { useEffect } from 'preact/hooks';
import { t } from '../../lib/i18n';
import { it } from '../../lib/import-i18n';
import { ImportWizard } from './Wizard';
import { DuplicatesPage } from './Duplicates';
import './import.css';

export function DataPages({ path }: { path: string }) {
  const page = path.replace(/\/+$/, '');
  useEffect(() => {
    const title = page === '/data/import' ? it('im_title') : page === '/data/duplicates' ? it('dd_title') : '';
    if (title) document.title = `${title} · Kehu`;
  });
  if (page === '/data/import') return <ImportWizard />;
  if (page === '/data/duplicates') return <DuplicatesPage />;
  return <p class="pad">{t('not_found')}</p>;
}
