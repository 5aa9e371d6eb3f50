// Crash: six clients create and update contacts while the server is killed
// with SIGKILL at random moments (3 times here, 25 in `make soak`). After each
// kill the database passes PRAGMA integrity_check and foreign_key_check, and
// after each restart every write that was answered 2xx is there with the
// content and version it was acknowledged with, and no record is half-written.
// (tests/api/ops.test.mjs checks the simplest case, creates and one kill.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startServer } from '../api/lib/server.mjs';
import { LONG, ensureTmp, newLedger, startWriters, verify, integrity, sleep } from './lib.mjs';

const KILLS = LONG ? 25 : 3;

test(`every acknowledged write survives ${KILLS} kill -9s under concurrent creates and updates`, async (t) => {
  await ensureTmp();
  const ledger = newLedger();
  const first = await startServer();
  const token = await first.login();
  let srv = first, inflightCommitted = 0;
  try {
    for (let k = 1; k <= KILLS; k++) {
      const writers = startWriters(srv, token, ledger, { count: 6 });
      await sleep(200 + Math.random() * (LONG ? 2500 : 800)); // a random moment in the middle of writes
      srv.proc.kill('SIGKILL');
      await writers.done; // each writer stops when its connection dies
      await srv.exited;
      if (srv !== first) await rm(srv.dir, { recursive: true, force: true });
      assert.equal(await integrity(first.db), 'ok', `integrity_check and foreign_key_check after kill ${k}`);

      srv = await startServer({ db: first.db });
      const before = ledger.unackedApplied;
      const v = await verify(srv, token, ledger); // the session survived too, or this throws
      inflightCommitted += ledger.unackedApplied - before;
      assert.deepEqual(ledger.failures, [], 'every answer was 2xx until the kill');
      assert.deepEqual(v.lost, [], `after kill ${k}: no acknowledged write is missing or older`);
      assert.deepEqual(v.halfWritten, [], `after kill ${k}: no record shows parts of two writes`);
      assert.deepEqual(v.unknown, [], `after kill ${k}: no record appeared that nobody wrote`);
      assert.equal(v.found, v.records);
    }
    const acked = ledger.acked.creates + ledger.acked.updates;
    assert.ok(ledger.acked.creates >= KILLS && ledger.acked.updates >= KILLS, 'the writers did write');
    t.diagnostic(`crash: ${KILLS} kills; writes acknowledged ${acked} (${ledger.acked.creates} creates, ` +
      `${ledger.acked.updates} updates); records ${ledger.records.size}, found ${ledger.records.size} ` +
      `with their acknowledged content and version; lost 0; half-written 0; ` +
      `unacknowledged writes in flight at a kill that were committed: ${inflightCommitted}`);
  } finally {
    if (srv.proc.exitCode === null && srv.proc.signalCode === null) await srv.stop(); // clean exit, no sanitizer report
    await rm(first.dir, { recursive: true, force: true });
  }
});
