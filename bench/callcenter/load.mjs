// The call-center load: PBX events at a fixed rate for calls spread over N
// agents, each agent's browser connected over SSE, and every screen pop
// counted and timed (event sent -> pop received). Used by the bounded test
// (tests/api/telephony_load.test.mjs) and the benchmark (run.mjs).
import { openStream } from '../../tests/api/telephony_sse.mjs';

const PASSWORD = 'Load-pass-42';

/** Users, agents and logged-in SSE streams for n agents; the PBX's API key. */
export async function setupAgents(srv, n, { concurrency = 4 } = {}) {
  const admin = await srv.login();
  const call = (m, p, json, token = admin) => srv.call(m, p, { token, json });
  const key = (await call('POST', '/api/v1/api-keys', { name: 'load PBX', role: 'service_agent' })).body.key;
  const agents = new Array(n);
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      const username = `load${i}`;
      const u = await call('POST', '/api/v1/users', { username, role: 'service_agent', password: PASSWORD });
      if (u.status !== 201) throw new Error(`user ${i}: ${JSON.stringify(u.body)}`);
      const a = await call('POST', '/api/v1/agents', { user_id: u.body.id, extension: String(9000 + i), state: 'available' });
      if (a.status !== 201) throw new Error(`agent ${i}: ${JSON.stringify(a.body)}`);
      agents[i] = { id: u.body.id, extension: String(9000 + i), token: await srv.login(username, PASSWORD) };
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  for (const a of agents) a.stream = openStream(srv.url, a.token);
  await Promise.all(agents.map((a) => a.stream.ready));
  return { admin, key, agents };
}

const sleepUntil = (t) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Sends `rate` events a second for `seconds`: calls of three events each
 * (ringing, answered, hung up), call j for agent j mod n. Waits (up to
 * `drainMs`) for every screen pop, then reports.
 */
export async function runLoad(srv, { key, agents }, { rate = 200, seconds = 3, drainMs = 30000, prefix = 'load' } = {}) {
  const calls = Math.floor((rate * seconds) / 3);
  const sentAt = new Map();
  const expected = new Map(agents.map((a) => [a.id, 0]));
  const latencies = [];
  const popsBy = new Map(agents.map((a) => [a.id, 0]));
  for (const a of agents) {
    a.stream.onEvent = (ev) => {
      if (ev.event !== 'screen_pop' || !ev.data.call_id?.startsWith(prefix)) return;
      popsBy.set(a.id, popsBy.get(a.id) + 1);
      const t = sentAt.get(ev.data.call_id);
      if (t !== undefined) latencies.push(ev.received - t);
    };
  }
  let errors = 0, events = 0;
  const statuses = {};
  const send = async (json) => {
    const r = await srv.call('POST', '/api/v1/telephony/events', { token: key, json });
    events++;
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status !== 200) errors++;
  };
  const t0 = Date.now() + 50;
  const tasks = [];
  for (let j = 0; j < calls; j++) {
    const a = agents[j % agents.length];
    expected.set(a.id, expected.get(a.id) + 1);
    const id = `${prefix}-${j}`;
    const from = `+86 138 ${String(1000 + (j % 9000)).padStart(4, '0')} ${String(j % 10000).padStart(4, '0')}`;
    tasks.push((async () => {
      await sleepUntil(t0 + ((3 * j) / rate) * 1000);
      sentAt.set(id, Date.now());
      await send({ event: 'ringing', call_id: id, from, agent: a.extension });
      await sleepUntil(t0 + ((3 * j + 1) / rate) * 1000);
      await send({ event: 'answered', call_id: id, agent: a.extension });
      await sleepUntil(t0 + ((3 * j + 2) / rate) * 1000);
      await send({ event: 'hangup', call_id: id });
    })());
  }
  await Promise.all(tasks);
  const sendSeconds = (Date.now() - t0) / 1000;
  const total = () => [...popsBy.values()].reduce((s, x) => s + x, 0);
  const end = Date.now() + drainMs;
  while (total() < calls && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  latencies.sort((x, y) => x - y);
  const short = agents.filter((a) => popsBy.get(a.id) !== expected.get(a.id)).length;
  return {
    agents: agents.length, calls, events, errors, statuses,
    send_seconds: Math.round(sendSeconds * 100) / 100,
    events_per_second: Math.round((events / sendSeconds) * 10) / 10,
    pops_expected: calls, pops_received: total(), clients_short: short,
    latency_ms: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: latencies.at(-1) ?? null },
  };
}
