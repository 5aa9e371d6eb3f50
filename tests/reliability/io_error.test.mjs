// A failing disk: the server runs with tests/reliability/faultio.c preloaded,
// which makes every write and sync of the database's files fail with EIO while
// a trigger file exists. Writes then get an error with a clear body, reads go
// on, no acknowledged write is lost, and when the disk heals the same server
// takes writes again; the database passes integrity_check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer, kehu, ADMIN_PASSWORD } from '../api/lib/server.mjs';
import { ensureTmp, newLedger, startWriters, verify, integrity, until } from './lib.mjs';

const FAULTIO = process.env.KEHU_FAULTIO; // the built faultio.so (CMake target kh_faultio)


test('I/O errors: 503 io_error with a clear body, reads go on, nothing lost, writes resume when the disk heals', async (t) => {
  if (!FAULTIO) return t.skip('KEHU_FAULTIO is not set (ctest sets it)');
  const dir = await mkdtemp(join(await ensureTmp(), 'kehu-eio-'));
  const db = join(dir, 'kehu.db'), trigger = join(dir, 'failing');
  let srv;
  try {
    const init = await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD });
    assert.equal(init.code, 0, init.stderr);
    srv = await startServer({
      db,
      env: {
        LD_PRELOAD: FAULTIO,
        KEHU_FAULT_DIR: dir,
        KEHU_FAULT_TRIGGER: trigger,
        // The sanitizers' runtime wants to be first; the preloaded library only wraps three calls.
        ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0'].filter(Boolean).join(':'),
      },
    });
    const token = await srv.login();
    const ledger = newLedger();

    let writers = startWriters(srv, token, ledger, { count: 4, accept: (status) => status === 503 });
    await until(() => ledger.acked.creates >= 20, 'the first writes');
    await writeFile(trigger, '');
    const ackedBefore = ledger.acked.creates + ledger.acked.updates;
    await until(() => writers.refused.count >= 50 || ledger.failures.length > 0, 'writes refused by the failing disk');

    const [first] = writers.refused.bodies;
    assert.equal(first.status, 503);
    assert.equal(first.body.error.code, 'io_error');
    assert.match(first.body.error.message, /storage|input\/output/);
    const some = [...ledger.records.keys()][0];
    assert.equal((await srv.call('GET', `/api/v1/contacts/${some}`, { token })).status, 200, 'reads go on');
    assert.equal((await srv.call('GET', '/api/v1/contacts?limit=50', { token })).status, 200);
    await writers.stop();
    assert.deepEqual(ledger.failures, [], 'no answer other than 2xx and the I/O error');
    const refused = writers.refused.count;
    const ackedSick = ledger.acked.creates + ledger.acked.updates - ackedBefore;

    await rm(trigger);
    writers = startWriters(srv, token, ledger, { count: 4 });
    const target = ledger.acked.creates + ledger.acked.updates + 100;
    await until(() => ledger.acked.creates + ledger.acked.updates >= target, 'writes after the disk healed');
    await writers.stop();
    assert.deepEqual(ledger.failures, [], 'every write succeeds once the disk works');

    const v = await verify(srv, token, ledger);
    assert.deepEqual(v.lost, [], 'every acknowledged write is there');
    assert.deepEqual(v.halfWritten, []);
    assert.deepEqual(v.unknown, [], 'no refused write left anything behind');
    await srv.stop();
    srv = null;
    assert.equal(await integrity(db), 'ok');
    t.diagnostic(`I/O errors: ${refused} writes refused with 503 while writes and syncs failed with EIO ` +
      `(${ackedSick} acknowledged in that time, before the failures reached them); records ${v.records}, ` +
      `found ${v.found}, lost 0; integrity_check ok`);
  } finally {
    if (srv && srv.proc.exitCode === null && srv.proc.signalCode === null) await srv.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
