// Bad input to the analytics routes: query parameters that are unknown, not
// UTF-8, repeated or out of their vocabulary; bodies of the AHP check, the
// scorecard's targets, capability assessments and the public survey page that
// are malformed, not UTF-8, too large, of the wrong type or off Saaty's scale.
// Each gets the documented error body naming the fault, the body is valid
// JSON (a bad name is never echoed), and nothing is written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/server.mjs';

let srv, token;
const sql = (q) => execFileSync('sqlite3', [srv.db, q]).toString().trim();
/** A raw request: the body as given (string or Buffer), the answer parsed strictly. */
async function raw(method, path, body, { auth = true, type = 'application/json' } = {}) {
  const headers = { 'content-type': type };
  if (auth) headers.authorization = `Bearer ${token}`;
  const res = await fetch(srv.url + path, { method, headers, body });
  const buf = Buffer.from(await res.arrayBuffer());
  // Strict UTF-8: an error body must never carry the bytes it refused.
  const text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const get = (path) => raw('GET', path);
const send = (method, path, json) => raw(method, path, typeof json === 'string' || Buffer.isBuffer(json) ? json : JSON.stringify(json));

before(async () => {
  srv = await startServer({ customers: 120 });
  token = await srv.login();
});
after(async () => { await srv.stop(); });

test('query parameters: unknown, not UTF-8, repeated or outside their vocabulary are 400 naming them', async () => {
  const cases = [
    ['/api/v1/analytics/rfm?%FF=1', 'query'],
    ['/api/v1/analytics/rfm?segment=%FF%FE', 'segment'],
    ['/api/v1/analytics/rfm?sort=name', 'sort'],
    ['/api/v1/analytics/profitability?sort=-revenue', 'sort'],
    ['/api/v1/analytics/cube?dims=year,year', 'dims'],
    ['/api/v1/analytics/cube?dims=region&region=%C3%28', 'region'],
    ['/api/v1/analytics/cube?%C3%28=x', 'query'],
    ['/api/v1/analytics/cube?rollup=maybe', 'rollup'],
    ["/api/v1/analytics/cube?dims=year'%20OR%201=1", 'dims'],
    ['/api/v1/analytics/scorecard?colour=red', 'colour'],
    ['/api/v1/analytics/scorecard?months=%FF', 'months'],
    ['/api/v1/analytics/capability?x=1', 'x'],
    ['/api/v1/analytics/capability?assessment=1%20OR%201', 'assessment'],
    ['/api/v1/analytics/report?segment=Champions', 'segment'],
    ['/api/v1/analytics/status?%FF', 'query'],
    ['/api/v1/analytics/satisfaction?survey=1&%FF=2', 'query'],
    ['/api/v1/analytics/loyalty?attitude=%E4%B8', 'attitude'],
  ];
  for (const [path, field] of cases) {
    const r = await get(path);
    assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'bad_request', path);
    assert.ok(r.body.error.fields?.[field], `${path} names ${field}: ${JSON.stringify(r.body)}`);
  }
  // The same analyses with good parameters answer.
  assert.equal((await get('/api/v1/analytics/profitability?sort=-profit&limit=3')).status, 200);
  assert.equal((await get('/api/v1/analytics/cube?dims=year,region&rollup=0')).status, 200);
  assert.equal((await get('/api/v1/analytics/rfm?sort=rank&limit=1')).status, 200);
});

test('the AHP check: malformed, not UTF-8, too large, unknown fields, wrong types and judgements off Saaty\'s scale', async () => {
  const ok = { matrix: [[1, 3], [1 / 3, 1]] };
  assert.equal((await send('POST', '/api/v1/analytics/ahp', ok)).status, 200);
  const bodies = [
    ['{"matrix": [[1, 3], [0.33', 400, 'invalid_json'],
    [Buffer.concat([Buffer.from('{"matrix": [[1, 3], [0.5, 1]], "note": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), 400, 'invalid_json'],
    ['[[1, 3], [0.5, 1]]', 400, 'invalid_json'],
    [{ ...ok, note: 'x' }, 422, 'validation_failed', 'note'],
    [{ matrix: [['1', 3], [1 / 3, 1]] }, 422, 'validation_failed', 'matrix'],
    [{ matrix: [[1, 10], [0.1, 1]] }, 422, 'validation_failed', 'matrix'],
    [{ matrix: [[1, 1e308], [1e-308, 1]] }, 422, 'validation_failed', 'matrix'],
    [{ matrix: [[1, 0], [0, 1]] }, 422, 'validation_failed', 'matrix'],
    [{ matrices: [ok.matrix, ok.matrix], weights: [1, -1] }, 422, 'validation_failed', 'weights'],
    [{ matrices: [ok.matrix], weights: ['1'] }, 422, 'validation_failed', 'weights'],
    [{ matrix: Array.from({ length: 16 }, () => Array(16).fill(1)) }, 422, 'validation_failed', 'matrix'],
  ];
  for (const [body, status, code, field] of bodies) {
    const r = await send('POST', '/api/v1/analytics/ahp', body);
    assert.equal(r.status, status, `${String(body).slice(0, 60)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, code);
    if (field) assert.ok(r.body.error.fields[field], `names ${field}: ${JSON.stringify(r.body)}`);
  }
  const big = await send('POST', '/api/v1/analytics/ahp', JSON.stringify({ matrix: ok.matrix, pad: 'x'.repeat(12 << 20) }));
  assert.equal(big.status, 413);
  assert.equal(big.body.error.code, 'payload_too_large');
});

test('scorecard targets: a fault anywhere refuses the whole body and writes nothing', async () => {
  const before = sql('SELECT count(*) FROM kh_scorecard_targets');
  for (const body of [
    { csat: { target: 90, threshold: 80, colour: 'red' } },
    { csat: { target: 90, threshold: 80 }, nps: 50 },
    { csat: { target: '90', threshold: 80 } },
    { csat: { target: 80, threshold: 90 } },
    { no_such_kpi: { target: 1, threshold: 0 } },
  ]) {
    const r = await send('PUT', '/api/v1/analytics/scorecard/targets', body);
    assert.equal(r.status, 422, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'validation_failed');
  }
  assert.equal((await send('PUT', '/api/v1/analytics/scorecard/targets', '{"csat": ')).status, 400);
  assert.equal(sql('SELECT count(*) FROM kh_scorecard_targets'), before);
  const good = await send('PUT', '/api/v1/analytics/scorecard/targets', { csat: { target: 90, threshold: 80 } });
  assert.equal(good.status, 200, JSON.stringify(good.body));
});

test('capability assessments are checked when saved: a saved one can always be evaluated', async () => {
  const m2 = (x) => [[1, x], [1 / x, 1]];
  const three = [[1, 2, 3], [1 / 2, 1, 2], [1 / 3, 1 / 2, 1]];
  const bad = [
    [{ judgements: { assessors: [{ name: 'A', matrices: { crm: m2(12) } }] } }, 'judgements', /Saaty/],
    [{ judgements: { assessors: [{ name: 'A', matrices: { crm: [[1, 2], [2, 1]] } }] } }, 'judgements', /reciprocal/],
    [{ judgements: { assessors: [{ name: 'A', matrices: { basic: m2(2) } }] } }, 'judgements', /not 3 x 3/],
    [{ hierarchy: { nodes: [{ id: 'goal' }, { id: 'a', parent: 'nowhere' }] } }, 'hierarchy', /parent/],
    [{ scores: { insight: 150 } }, 'scores', /0 to 100/],
    [{ scores: { basic: 50 } }, 'scores', /sub-criteria/],
    [{ scores: { nobody: 50 } }, 'scores', /sub-criteria/],
    [{ scores: [70, 80] }, 'scores', /object|criterion id/],
  ];
  const count = () => sql('SELECT count(*) FROM capability_assessments');
  const before = count();
  for (const [extra, field, why] of bad) {
    const r = await send('POST', '/api/v1/capability_assessments', { name: '坏的评估', assessed_on: '2026-01-31', ...extra });
    assert.equal(r.status, 422, `${JSON.stringify(extra)}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error.fields[field] ?? '', why, JSON.stringify(r.body));
  }
  assert.equal(count(), before);
  const a = await send('POST', '/api/v1/capability_assessments', {
    name: '好的评估', assessed_on: '2026-01-31',
    judgements: { assessors: [{ name: 'A', matrices: { crm: m2(2), basic: three } }] }, scores: { insight: 70 },
  });
  assert.equal(a.status, 201, JSON.stringify(a.body));
  // An update is checked against the whole record as it will be.
  const p = await raw('PATCH', `/api/v1/capability_assessments/${a.body.id}`, JSON.stringify({ scores: { insight: -1 } }));
  assert.equal(p.status, 422, JSON.stringify(p.body));
  assert.equal((await get(`/api/v1/analytics/capability?assessment=${a.body.id}`)).status, 200);
});

test('the public answer page: malformed and non-UTF-8 bodies are refused and nothing is stored', async () => {
  const s = await send('POST', '/api/v1/surveys', { name: 'NPS 调查', kind: 'nps' });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const q = await send('POST', '/api/v1/survey_questions', { survey_id: s.body.id, position: 0, code: 'NPS', type: 'nps', text: '推荐的可能性?' });
  assert.equal(q.status, 201, JSON.stringify(q.body));
  assert.equal((await send('PATCH', `/api/v1/surveys/${s.body.id}`, { status: 'active' })).status, 200);
  const contact = sql('SELECT id FROM contacts ORDER BY id LIMIT 1');
  const inv = await send('POST', `/api/v1/surveys/${s.body.id}/send`, { contact_ids: [Number(contact)] });
  assert.equal(inv.status, 201, JSON.stringify(inv.body));
  const key = inv.body.invitations[0].token;
  const path = `/api/v1/public/surveys/${key}`;
  for (const body of ['{"answers": {"NPS": 9', '"answers"',
    Buffer.concat([Buffer.from('{"answers": {"NPS": 9}, "comment": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])]) {
    const r = await raw('POST', path, body, { auth: false });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'invalid_json');
  }
  for (const answers of [{ NPS: '9' }, { NPS: 9.5 }, { NPS: -1 }, { NPS: 9, EXTRA: 1 }, {}]) {
    const r = await raw('POST', path, JSON.stringify({ answers }), { auth: false });
    assert.equal(r.status, 422, `${JSON.stringify(answers)}: ${JSON.stringify(r.body)}`);
  }
  const extra = await raw('POST', path, JSON.stringify({ answers: { NPS: 9 }, rating: 5 }), { auth: false });
  assert.equal(extra.status, 422, JSON.stringify(extra.body));
  assert.equal(sql(`SELECT count(*) FROM survey_responses WHERE survey_id = ${s.body.id}`), '0');
  const good = await raw('POST', path, JSON.stringify({ answers: { NPS: 9 }, comment: '很好' }), { auth: false });
  assert.equal(good.status, 201, JSON.stringify(good.body));
});
