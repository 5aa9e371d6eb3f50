import { signal } from '@preact/signals';
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { linkClick } from '../lib/router';
import { ApiError } from '../lib/api';
import { locale, t } from '../lib/i18n';
import { errorMessageIn } from '../lib/errors';
import { meta } from '../lib/session';
import type { Entity } from '../lib/meta';

export function Link(props: JSX.HTMLAttributes<HTMLAnchorElement> & { href: string }) {
  return <a {...props} onClick={linkClick as any} />;
}

interface Toast {
  id: number;
  text: string;
  kind: 'ok' | 'error' | 'warn';
}
export const toasts = signal<Toast[]>([]);
let toastId = 0;
export function toast(text: string, kind: Toast['kind'] = 'ok', ms = 4000) {
  const id = ++toastId;
  toasts.value = [...toasts.value, { id, text, kind }];
  if (ms > 0) setTimeout(() => (toasts.value = toasts.value.filter((x) => x.id !== id)), ms);
}

export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.value.map((x) => (
        <div key={x.id} class={`toast toast-${x.kind}`}>
          {x.text}
          <button class="icon-btn" aria-label={t('close')} onClick={() => (toasts.value = toasts.value.filter((y) => y.id !== x.id))}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

/** A readable sentence for an error from the API, in the UI's language (by the error's code, lib/errors.ts);
 *  `entity` names the fields of the form that was sent. */
export function errorText(e: unknown, entity?: Entity): string {
  if (e instanceof ApiError) return errorMessageIn(locale.value, e, meta.value, entity);
  return t('error_generic', { msg: String((e as Error)?.message ?? e) });
}

export function ErrorBox({ error }: { error: unknown }) {
  return (
    <div class="alert alert-error" role="alert">
      {errorText(error)}
    </div>
  );
}

export function Loading() {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {t('loading')}
    </div>
  );
}

/** A modal dialog on the native <dialog> (focus stays inside; Escape closes). */
export function Dialog(props: { open: boolean; onClose?: () => void; title: string; children: ComponentChildren; class?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      class={`dialog ${props.class ?? ''}`}
      aria-label={props.title}
      onCancel={(e) => {
        if (!props.onClose) e.preventDefault();
        else props.onClose();
      }}
    >
      {props.open && (
        <>
          <h2 class="dialog-title">{props.title}</h2>
          {props.children}
        </>
      )}
    </dialog>
  );
}
