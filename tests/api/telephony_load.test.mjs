// A bounded load test of the call center: 200 telephony events a second for
// three seconds (200 calls of ringing, answered, hung up) spread over 50 agents,
// each with a browser connected over Server-Sent Events. Every screen pop must
// reach its agent: deliveries are counted, not timed (the timings are printed,
// and measured properly by bench/callcenter on a release build).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { setupAgents, runLoad } from '../../bench/callcenter/load.mjs';

let srv, setup;
before(async () => {
  srv = await startServer({ args: ['--threads', '4'] });
  setup = await setupAgents(srv, 50);
});
after(async () => {
  for (const a of setup?.agents ?? []) a.stream.close();
  await srv.stop();
});

test('200 events a second to 50 agents\' browsers: every screen pop delivered, once', async () => {
  const r = await runLoad(srv, setup, { rate: 200, seconds: 3 });
  console.log(`# ${JSON.stringify(r)}`);
  assert.equal(r.errors, 0, JSON.stringify(r.statuses));
  assert.equal(r.events, 600);
  assert.equal(r.pops_received, r.pops_expected, 'no screen pop lost');
  assert.equal(r.clients_short, 0, 'each agent got exactly their own pops');
  // Every call is on record, with its activity.
  const admin = await srv.login();
  const calls = await srv.call('GET', '/api/v1/calls?state=ended&count=1&limit=1', { token: admin });
  assert.equal(calls.body.total, 200);
});
