// Showing and editing one field of a record, by its type in the metadata.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Field } from '../lib/meta';
import type { Rec } from '../lib/api';
import { api } from '../lib/api';
import { enumLabel, fieldLabel, locale, serverMessage, t } from '../lib/i18n';
import { formatDate, formatDateTime, formatMoney, formatNumber } from '../lib/format';
import { refTitle, rememberTitle, titleOf, users, loadUsers } from '../lib/refs';
import { entities, permissions } from '../lib/session';
import { isMasked } from '../lib/permissions';
import { escapeLike } from '../lib/query';
import { sortByName } from '../lib/collate';
import { Link } from './ui';

export function RefLink({ entity, id }: { entity: string; id: number | null | undefined }) {
  if (id === null || id === undefined) return <span class="muted">{t('empty_value')}</span>;
  const title = refTitle(entity, id);
  return <Link href={`/${entity}/${id}`}>{title ?? '…'}</Link>;
}

export function FieldValue({ entity, f, r }: { entity: string; f: Field; r: Rec }) {
  const v = r[f.name];
  const l = locale.value;
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0))
    return <span class="muted">{t('empty_value')}</span>;
  switch (f.type) {
    case 'enum':
      return <span class={`badge badge-${String(v).replace(/[^a-z_]/gi, '')}`}>{enumLabel(entity, f.name, v)}</span>;
    case 'reference':
      return <RefLink entity={f.ref!} id={v} />;
    case 'money':
      return <span class="num">{formatMoney(v, r.currency ?? 'CNY', l)}</span>;
    case 'percent':
      return <span class="num">{formatNumber(v, l)}%</span>;
    case 'integer':
      return <span class="num">{f.name === 'id' || f.name === 'version' ? v : formatNumber(v, l)}</span>;
    case 'id':
      return <span class="num">{v}</span>;
    case 'boolean':
      return <span>{v ? t('yes') : t('no')}</span>;
    case 'date':
      return <time dateTime={v}>{formatDate(v, l)}</time>;
    case 'datetime':
      return <time dateTime={v}>{formatDateTime(v, l)}</time>;
    case 'tags':
      return (
        <span class="tags">
          {(v as string[]).map((x) => (
            <span class="tag" key={x}>{x}</span>
          ))}
        </span>
      );
    case 'email':
      // A masked value (j***@example.com) is no address to write to: plain text.
      return isMasked(permissions.value, v, f) ? <span class="masked">{v}</span> : <a href={`mailto:${v}`}>{v}</a>;
    case 'phone':
      return isMasked(permissions.value, v, f) ? <span class="masked">{v}</span> : <a href={`tel:${String(v).replace(/[^\d+]/g, '')}`}>{v}</a>;
    case 'url':
      return /^https?:\/\//i.test(v) ? (
        <a href={v} target="_blank" rel="noopener noreferrer">{v}</a>
      ) : (
        <span>{v}</span>
      );
    case 'text':
      return <span class="pre">{v}</span>;
    default:
      return <span>{String(v)}</span>;
  }
}

export interface InputProps {
  entity: string;
  f: Field;
  id: string;
  value: string;
  onInput: (v: string) => void;
  error?: string;
  autoFocus?: boolean;
  onKeyDown?: (e: KeyboardEvent) => void;
  currency?: string;
}

/** The input for a field; `value` is always text (coerce() turns it into the API's type). */
export function FieldInput(p: InputProps) {
  const { f, id } = p;
  const ref = useRef<HTMLInputElement & HTMLSelectElement & HTMLTextAreaElement>(null);
  useEffect(() => {
    if (p.autoFocus) ref.current?.focus();
  }, []);
  const common = {
    id,
    name: f.name,
    'aria-invalid': p.error ? ('true' as const) : undefined,
    'aria-describedby': p.error ? `${id}-error` : undefined,
    'aria-required': f.required ? ('true' as const) : undefined,
    onKeyDown: p.onKeyDown,
    ref,
  };
  const onInput = (e: Event) => p.onInput((e.target as HTMLInputElement).value);
  let input;
  switch (f.type) {
    case 'enum':
      input = (
        <select {...common} value={p.value} onChange={onInput}>
          <option value="">{t('choose')}</option>
          {(f.values ?? []).map((v) => (
            <option value={v} key={v}>{enumLabel(p.entity, f.name, v)}</option>
          ))}
        </select>
      );
      break;
    case 'boolean':
      input = (
        <select {...common} value={p.value} onChange={onInput}>
          <option value="">{t('empty_value')}</option>
          <option value="true">{t('yes')}</option>
          <option value="false">{t('no')}</option>
        </select>
      );
      break;
    case 'reference':
      return (
        <RefPicker {...p} />
      );
    case 'text':
      input = <textarea {...common} rows={4} value={p.value} onInput={onInput} maxLength={f.max_length} />;
      break;
    default: {
      const type =
        f.type === 'date' ? 'date'
        : f.type === 'datetime' ? 'datetime-local'
        : f.type === 'email' ? 'email'
        : f.type === 'phone' ? 'tel'
        : f.type === 'url' ? 'url'
        : f.type === 'password' ? 'password'
        : f.type === 'integer' || f.type === 'percent' ? 'number'
        : 'text';
      input = (
        <input
          {...common}
          type={type}
          value={p.value}
          onInput={onInput}
          maxLength={f.max_length}
          min={f.min}
          max={f.max && f.type !== 'money' ? f.max : undefined}
          inputMode={f.type === 'money' ? 'decimal' : undefined}
          autoComplete={f.type === 'password' ? 'new-password' : 'off'}
        />
      );
      if (f.type === 'money')
        input = (
          <span class="money-input">
            <span class="money-cur" aria-hidden="true">{p.currency ?? 'CNY'}</span>
            {input}
          </span>
        );
    }
  }
  return (
    <>
      {input}
      {p.error && (
        <p class="field-error" id={`${id}-error`} role="alert">
          {serverMessage(p.error)}
        </p>
      )}
    </>
  );
}

/** A combobox that finds a record to refer to (by the API's search or by name). */
export function RefPicker(p: InputProps) {
  const target = entities.value.get(p.f.ref!)!;
  const id = p.value ? Number(p.value) : null;
  const current = id ? refTitle(p.f.ref!, id) : '';
  const [text, setText] = useState<string | null>(null);
  const [options, setOptions] = useState<Rec[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const seq = useRef(0);
  const blurTimer = useRef<ReturnType<typeof setTimeout>>();
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (p.autoFocus) inputRef.current?.focus();
  }, []);

  async function find(q: string) {
    const n = ++seq.current;
    let found: Rec[] = [];
    try {
      if (target.name === 'users') {
        const all = await loadUsers();
        const ql = q.toLowerCase();
        found = sortByName(
          all.filter((u) => !q || `${u.username} ${u.display_name ?? ''}`.toLowerCase().includes(ql)),
          (u) => u.display_name ?? u.username,
        ).slice(0, 20);
      } else if (q && target.searchable) {
        const r = await api.get<{ data: { entity: string; record: Rec }[] }>('/search', { q, limit: 50 });
        found = r.data.filter((x) => x.entity === target.name).map((x) => x.record).slice(0, 15);
      } else {
        const query: Record<string, string | number> = { limit: 15 };
        if (q) query[`${target.title_field}[like]`] = `%${escapeLike(q)}%`;
        found = (await api.get<{ data: Rec[] }>(`/${target.name}`, query)).data;
      }
    } catch {
      found = [];
    }
    if (n !== seq.current) return;
    for (const r of found) rememberTitle(target.name, r);
    setOptions(found);
    setActive(0);
    setOpen(true);
  }

  function choose(r: Rec | null) {
    p.onInput(r ? String(r.id) : '');
    setText(null);
    setOpen(false);
  }

  const listId = `${p.id}-list`;
  return (
    <>
      <div class="combo">
        <input
          ref={inputRef}
          id={p.id}
          name={p.f.name}
          role="combobox"
          aria-expanded={open}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open && options[active] ? `${listId}-${active}` : undefined}
          aria-invalid={p.error ? 'true' : undefined}
          aria-describedby={p.error ? `${p.id}-error` : undefined}
          autoComplete="off"
          value={text ?? current ?? ''}
          placeholder={users.value && target.name === 'users' ? '' : '…'}
          onFocus={() => {
            clearTimeout(blurTimer.current);
            if (text === null) find('');
          }}
          onInput={(e) => {
            const v = (e.target as HTMLInputElement).value;
            setText(v);
            if (!v) p.onInput('');
            find(v.trim());
          }}
          onBlur={() => (blurTimer.current = setTimeout(() => { setOpen(false); setText(null); }, 150))}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') { e.preventDefault(); setOpen(true); setActive((a) => Math.min(a + 1, options.length - 1)); }
            else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((a) => Math.max(a - 1, 0)); }
            else if (e.key === 'Enter' && open && options[active]) { e.preventDefault(); choose(options[active]); }
            else if (e.key === 'Escape' && open) { e.stopPropagation(); setOpen(false); setText(null); }
            else p.onKeyDown?.(e);
          }}
        />
        {open && (
          <ul class="combo-list" role="listbox" id={listId}>
            {options.length === 0 && <li class="muted combo-empty">{t('search_none', { q: text ?? '' })}</li>}
            {options.map((r, i) => (
              <li
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                class={i === active ? 'active' : ''}
                key={r.id}
                onMouseDown={(e) => { e.preventDefault(); choose(r); }}
              >
                {titleOf(target, r)}
                {target.name === 'users' && <span class="muted"> · {r.username}</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
      {p.error && (
        <p class="field-error" id={`${p.id}-error`} role="alert">
          {serverMessage(p.error)}
        </p>
      )}
    </>
  );
}

export function FieldLabel({ f, htmlFor }: { f: Field; htmlFor: string }) {
  return (
    <label for={htmlFor}>
      {fieldLabel(f)}
      {f.required && <span class="req" title={t('required_mark')} aria-hidden="true"> *</span>}
    </label>
  );
}
