// The funnel and win/loss against a hand-computed fixture: five deals of one
// pipeline moved through its stages on a clock set to days 0, 10, 30 and 36
// (one server per day on the same database), so that reached counts,
// conversion to the next stage, days in each stage and cycle times are known
// exactly.
//
//   D1 referral  s1 (0-10)  s2 (10-30)  s3 (30-36)  won on day 36
//   D2 web       s1 (0-10)  s2 (10-30)  lost on day 30 (price)
//   D3 web       s1 (open)
//   D4 web       s1 (0-10)  s2 (open)
//   D5 referral  created in s3 (open): counted as having passed s1 and s2
//
// reached s1 5, s2 4, s3 2, won 1, lost 1; conversion s1 4/5, s2 2/4, s3 1/2;
// days in stage s1 (10+10+10)/3, s2 (20+20)/2, s3 6; cycle won 36, lost 30.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

let srv;
const [S1, S2, S3] = ['qualification', 'proposal', 'negotiation']; // s1, s2, s3 above
const day = (n) => new Date(Date.UTC(2026, 2, 1 + n, 10)).toISOString().replace('.000', '');

/** Runs fn(call) against a server whose clock says day n, on the test's database. */
async function on(n, fn) {
  const s = n === 0 ? srv : await startServer({ db: srv.db, env: { KEHU_NOW: day(n) } });
  try {
    const token = await s.login();
    const call = async (m, p, json) => {
      const r = await s.call(m, p, { token, json });
      assert.ok(r.status < 300, `${m} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    return await fn(call);
  } finally {
    if (n !== 0) await s.stop();
  }
}

before(async () => { srv = await startServer({ env: { KEHU_NOW: day(0) } }); });
after(async () => { await srv.stop(); });

test('funnel and win/loss: the hand-computed figures', async () => {
  const d = {};
  let pl;
  await on(0, async (call) => {
    pl = await call('POST', '/api/v1/pipelines', {
      name: 'Funnel',
      config: { stages: [{ key: 'qualification', probability: 10 }, { key: 'proposal', probability: 40 }, { key: 'negotiation', probability: 70 },
        { key: 'closed_won', probability: 100 }, { key: 'closed_lost', probability: 0 }] },
    });
    const acc = await call('POST', '/api/v1/accounts', { name: 'Funnel Co' });
    for (const [k, stage, source] of [['D1', S1, 'referral'], ['D2', S1, 'web'], ['D3', S1, 'web'], ['D4', S1, 'web'], ['D5', S3, 'referral']])
      d[k] = (await call('POST', '/api/v1/opportunities', { name: k, account_id: acc.id, pipeline_id: pl.id, stage, source, amount: 100000 })).id;
  });
  const move = (call, k, stage, extra = {}) => call('PATCH', `/api/v1/opportunities/${d[k]}`, { stage, ...extra });
  await on(10, async (call) => { for (const k of ['D1', 'D2', 'D4']) await move(call, k, S2); });
  await on(30, async (call) => { await move(call, 'D1', S3); await move(call, 'D2', 'closed_lost', { lost_reason: 'price' }); });
  await on(36, async (call) => { await move(call, 'D1', 'closed_won', { won_reason: 'relationship' }); });

  await on(40, async (call) => {
    const f = await call('GET', `/api/v1/sales/funnel?pipeline_id=${pl.id}`);
    assert.deepEqual(
      { deals: f.deals, open: f.open, won: f.won, lost: f.lost, win_rate: f.win_rate, won_days: f.avg_cycle_days_won, lost_days: f.avg_cycle_days_lost },
      { deals: 5, open: 3, won: 1, lost: 1, win_rate: 0.5, won_days: 36, lost_days: 30 },
    );
    assert.deepEqual(f.stages.map((s) => [s.stage, s.probability, s.reached, s.conversion_to_next, s.avg_days_in_stage]), [
      ['qualification', 10, 5, 0.8, 10],
      ['proposal', 40, 4, 0.5, 20],
      ['negotiation', 70, 2, 0.5, 6],
      ['closed_won', 100, 1, null, null],
      ['closed_lost', 0, 1, null, null],
    ]);
    // Deals created after the range are left out.
    const none = await call('GET', `/api/v1/sales/funnel?pipeline_id=${pl.id}&from=2026-03-02`);
    assert.deepEqual([none.deals, none.win_rate], [0, null]);
    const hist = await call('GET', `/api/v1/opportunities/${d.D1}/stages`);
    assert.deepEqual(hist.data.map((h) => [h.stage, h.days]), [['qualification', 10], ['proposal', 20], ['negotiation', 6], ['closed_won', 4]]);

    const bySource = await call('GET', '/api/v1/sales/win-loss?by=source');
    const g = Object.fromEntries(bySource.groups.map((x) => [x.key, x]));
    assert.deepEqual([g.referral.won, g.referral.won_amount, g.referral.lost, g.referral.win_rate], [1, 100000, 0, 1]);
    assert.deepEqual([g.web.won, g.web.lost, g.web.lost_amount, g.web.win_rate], [0, 1, 100000, 0]);
    const byReason = await call('GET', '/api/v1/sales/win-loss?by=reason');
    const r = Object.fromEntries(byReason.groups.map((x) => [x.key, x]));
    assert.deepEqual([r.relationship.won, r.price.lost], [1, 1]);
    assert.deepEqual([byReason.won, byReason.lost, byReason.win_rate], [1, 1, 0.5]);
  });
  const bad = await srv.call('GET', `/api/v1/sales/funnel?pipeline_id=999999`, { token: await srv.login() });
  assert.equal(bad.status, 404);
});
