// Live events (GET /api/v1/events) in the browser. EventSource cannot send the
// Authorization header, so the stream is read with fetch; it reconnects with
// Last-Event-ID after a drop, so nothing in between is missed.
import { getToken } from './api';

export interface LiveEvent {
  id: string;
  event: string;
  data: any;
}

type Listener = (e: LiveEvent) => void;
const listeners = new Set<Listener>();
let running: AbortController | null = null;
let lastId = '';

async function run(ctrl: AbortController) {
  let delay = 1000;
  while (!ctrl.signal.aborted) {
    const token = getToken();
    if (!token) return;
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
      if (lastId) headers['last-event-id'] = lastId;
      const res = await fetch('/api/v1/events', { headers, signal: ctrl.signal });
      if (res.status === 401) return; // signed out: the app restarts the stream after login
      if (!res.ok || !res.body) throw new Error(String(res.status));
      delay = 1000;
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev: Partial<LiveEvent> & { raw?: string } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) ev.id = line.slice(4);
            else if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('data: ')) ev.raw = line.slice(6);
          }
          if (ev.id) lastId = ev.id;
          if (!ev.event || ev.raw === undefined) continue;
          let data: unknown;
          try {
            data = JSON.parse(ev.raw);
          } catch {
            continue;
          }
          for (const l of listeners) l({ id: ev.id ?? '', event: ev.event, data });
        }
      }
    } catch {
      if (ctrl.signal.aborted) return;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

/** Calls fn for every live event until the returned function is called. */
export function onLiveEvent(fn: Listener): () => void {
  listeners.add(fn);
  if (!running) {
    running = new AbortController();
    const mine = running;
    run(mine).finally(() => {
      if (running === mine) running = null;
    });
  }
  return () => {
    listeners.delete(fn);
    if (!listeners.size && running) {
      running.abort();
      running = null;
    }
  };
}
