// A Server-Sent Events client for tests: opens GET /api/v1/events with a
// token, parses events as they arrive, and waits for the one a test wants.
//
//   const s = openStream(srv.url, token);
//   await s.ready;
//   const pop = await s.next((e) => e.event === 'screen_pop');
//   s.close();
export function openStream(base, token, { lastEventId } = {}) {
  const ctrl = new AbortController();
  const events = [];
  const waiters = [];
  const headers = { authorization: `Bearer ${token}` };
  if (lastEventId) headers['last-event-id'] = String(lastEventId);
  const s = {
    events,
    latencies: [],
    /** Called with each event as it arrives (before it is stored). */
    onEvent: null,
    ready: null,
    async next(pred, ms = 8000) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`no such event within ${ms} ms (have ${events.length})`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, 200); });
      }
    },
    close() { ctrl.abort(); },
  };
  s.ready = fetch(base + '/api/v1/events', { headers, signal: ctrl.signal }).then((res) => {
    if (res.status !== 200) throw new Error(`event stream: HTTP ${res.status}`);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev = {};
            for (const line of block.split('\n')) {
              const m = line.match(/^(id|event|data): (.*)$/);
              if (m) ev[m[1]] = m[2];
            }
            if (ev.event) {
              ev.data = JSON.parse(ev.data);
              ev.received = Date.now();
              if (s.onEvent) s.onEvent(ev);
              events.push(ev);
              waiters.splice(0).forEach((w) => w());
            }
          }
        }
      } catch { /* aborted */ }
    })();
  });
  return s;
}
