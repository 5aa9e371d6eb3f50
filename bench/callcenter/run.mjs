// The call-center benchmark. Against a release build of kehu on loopback:
//  1. the target load: 200 telephony events a second for 10 s over 50 agents,
//     each with an SSE connection; screen pops counted and timed;
//  2. the ceiling: call events (ringing, answered, hung up) as fast as 8
//     connections send them, for 5 s;
//  3. the reference, in the same run: plain record creates through the same
//     write path (POST /api/v1/activities) as fast as 8 connections send them.
// Usage: KEHU_BIN=build/release/kehu node bench/callcenter/run.mjs
import { startServer } from '../../tests/api/lib/server.mjs';
import { setupAgents, runLoad } from './load.mjs';

async function flood(srv, seconds, conns, body) {
  const end = Date.now() + seconds * 1000;
  let n = 0, errors = 0;
  await Promise.all(Array.from({ length: conns }, async (_, c) => {
    for (let i = 0; Date.now() < end; i++) {
      for (const r of await body(c, i)) {
        n++;
        if (r.status >= 300) errors++;
      }
    }
  }));
  return { requests: n, errors, per_second: Math.round(n / seconds) };
}

const srv = await startServer({ args: ['--threads', '4'] });
try {
  const setup = await setupAgents(srv, 50);
  const target = await runLoad(srv, setup, { rate: 200, seconds: 10, prefix: 'target' });
  console.log('target load', JSON.stringify(target));
  const ev = (json) => srv.call('POST', '/api/v1/telephony/events', { token: setup.key, json });
  const ceiling = await flood(srv, 5, 8, async (c, i) => {
    const id = `max-${c}-${i}`, agent = setup.agents[(c * 7 + i) % 50].extension;
    return [await ev({ event: 'ringing', call_id: id, from: '13812345678', agent }),
      await ev({ event: 'answered', call_id: id, agent }), await ev({ event: 'hangup', call_id: id })];
  });
  console.log('call events, 8 connections', JSON.stringify(ceiling));
  const reference = await flood(srv, 5, 8, async (c, i) => [await srv.call('POST', '/api/v1/activities', {
    token: setup.admin, json: { type: 'call', subject: `reference ${c}-${i}`, status: 'completed' } })]);
  console.log('reference: record creates, 8 connections', JSON.stringify(reference));
  for (const a of setup.agents) a.stream.close();
} finally {
  await srv.stop();
}
