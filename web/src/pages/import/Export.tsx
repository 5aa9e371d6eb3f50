// The list toolbar's data tools: export the list as it is filtered and sorted
// (CSV, Excel, vCard for contacts), and the way to its import and duplicates.
import { useState } from 'preact/hooks';
import type { Entity } from '../../lib/meta';
import { entityLabel, locale, t } from '../../lib/i18n';
import { formatNumber } from '../../lib/format';
import { download, exportFormats, exportPath, dedupeEntities, type ExportFormat, type HeaderLabels } from '../../lib/import';
import { it } from '../../lib/import-i18n';
import { Dialog, Link, errorText, toast } from '../../components/ui';
import './import.css';

/** Each tool is offered only if the user's role allows it (export; import; a merge edits and archives). */
export function DataTools({ e, query, columns, total, canExport = true, canImport = true, canMerge = true }: {
  e: Entity; query: URLSearchParams; columns: string[]; total: number | null; canExport?: boolean; canImport?: boolean; canMerge?: boolean;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      {canExport && <button id="ex-open" class="btn" onClick={() => setOpen(true)}>⬇ {it('ex_button')}</button>}
      {canMerge && dedupeEntities([e]).length > 0 && <Link id="dd-open" class="btn" href={`/data/duplicates?entity=${e.name}`}>{it('dd_button')}</Link>}
      {canImport && <Link class="btn" href={`/data/import?entity=${e.name}`}>⇪ {it('im_nav_import')}</Link>}
      {open && <ExportDialog e={e} query={query} columns={columns} total={total} onClose={() => setOpen(false)} />}
    </>
  );
}

function ExportDialog(p: { e: Entity; query: URLSearchParams; columns: string[]; total: number | null; onClose: () => void }) {
  const formats = exportFormats(p.e);
  const [format, setFormat] = useState<ExportFormat>('xlsx');
  const [labels, setLabels] = useState<HeaderLabels>(locale.value === 'zh-CN' ? 'zh' : 'en');
  const [shown, setShown] = useState(false);
  const [bom, setBom] = useState(true);
  const [busy, setBusy] = useState(false);
  const names: Record<ExportFormat, 'ex_csv' | 'ex_xlsx' | 'ex_vcf'> = { csv: 'ex_csv', xlsx: 'ex_xlsx', vcf: 'ex_vcf' };

  async function go() {
    setBusy(true);
    try {
      await download(exportPath(p.e, p.query, { format, labels, bom, fields: shown ? p.columns : undefined }), `${p.e.name}.${format}`);
      toast(it('ex_done'));
      p.onClose();
    } catch (err) {
      toast(errorText(err), 'error', 8000);
    }
    setBusy(false);
  }

  return (
    <Dialog open title={it('ex_title', { entity: entityLabel(p.e) })} onClose={p.onClose}>
      <form class="ex-form" method="dialog" onSubmit={(ev) => { ev.preventDefault(); go(); }}>
        <p class="muted">{p.total !== null ? it('ex_scope', { n: formatNumber(p.total, locale.value) }) : it('ex_scope_open')}</p>
        <fieldset class="ex-choice">
          <legend>{it('ex_format')}</legend>
          {formats.map((f) => (
            <label class={`ex-format ${format === f ? 'on' : ''}`} key={f}>
              <input type="radio" name="ex-format" value={f} checked={format === f} onChange={() => setFormat(f)} />
              <span class="ex-icon" aria-hidden="true">{f === 'vcf' ? '☎' : f === 'xlsx' ? '▦' : '≡'}</span>
              {it(names[f])}
            </label>
          ))}
        </fieldset>
        {format !== 'vcf' && (
          <>
            <label class="field">
              <span>{it('ex_headers')}</span>
              <select id="ex-labels" value={labels} onChange={(ev) => setLabels((ev.target as HTMLSelectElement).value as HeaderLabels)}>
                <option value="zh">{it('ex_labels_zh')}</option>
                <option value="en">{it('ex_labels_en')}</option>
                <option value="names">{it('ex_labels_names')}</option>
              </select>
            </label>
            <fieldset class="ex-choice">
              <legend>{it('ex_columns')}</legend>
              <label class="check"><input type="radio" name="ex-cols" checked={!shown} onChange={() => setShown(false)} />{it('ex_columns_all')}</label>
              <label class="check"><input type="radio" name="ex-cols" checked={shown} onChange={() => setShown(true)} />{it('ex_columns_shown')}</label>
            </fieldset>
          </>
        )}
        {format === 'csv' && (
          <label class="check"><input id="ex-bom" type="checkbox" checked={bom} onChange={(ev) => setBom((ev.target as HTMLInputElement).checked)} />{it('ex_bom')}</label>
        )}
        <div class="form-actions">
          <button id="ex-go" class="btn btn-primary" disabled={busy}>{busy ? it('ex_downloading') : `⬇ ${it('ex_download')}`}</button>
          <button type="button" class="btn" onClick={p.onClose}>{t('cancel')}</button>
        </div>
      </form>
    </Dialog>
  );
}
