// A full disk: the database lives on a 64 MB tmpfs that a ballast file fills
// while four clients write. Writes then get 507 insufficient_storage with a
// clear error body, reads go on, no acknowledged write is lost, and when the
// ballast is removed writes succeed again; the database passes
// integrity_check. Needs root (to mount the tmpfs); skipped otherwise.
// 64 MB, not less: the writers' records are about 3 KB, and each write adds
// some 30 KB of WAL and database (record, audit, outbox) until the server's
// once-a-second checkpoint; on a fast machine the hundred writes after the
// ballast goes could fill a small disk again, and then the 507 is right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, kehu, ADMIN_PASSWORD } from '../api/lib/server.mjs';
import { ensureTmp, newLedger, startWriters, verify, integrity, until } from './lib.mjs';

const execFileP = promisify(execFile);

/** Writes zeros to path until the file system says it is full. */
async function fill(path) {
  const f = await open(path, 'w');
  const chunk = Buffer.alloc(64 << 10);
  let bytes = 0;
  try {
    for (;;) bytes += (await f.write(chunk)).bytesWritten;
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  } finally {
    await f.close();
  }
  return bytes;
}


test('a full disk: 507 with a clear body, reads go on, nothing lost, writes resume when space returns', async (t) => {
  if (process.getuid() !== 0) return t.skip('needs root to mount a tmpfs');
  const mnt = await mkdtemp(join(await ensureTmp(), 'kehu-full-'));
  try {
    await execFileP('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', mnt]);
  } catch (e) {
    await rm(mnt, { recursive: true, force: true });
    return t.skip(`cannot mount a tmpfs here: ${e.message.split('\n')[0]}`);
  }
  let srv;
  try {
    const db = join(mnt, 'kehu.db'), ballast = join(mnt, 'ballast');
    const init = await kehu(['init', '--db', db], { KEHU_ADMIN_PASSWORD: ADMIN_PASSWORD });
    assert.equal(init.code, 0, init.stderr);
    srv = await startServer({ db });
    const token = await srv.login();
    const ledger = newLedger();

    let writers = startWriters(srv, token, ledger, { count: 4, accept: (status) => status === 507 });
    await until(() => ledger.acked.creates >= 20, 'the first writes');
    const filled = await fill(ballast);
    await until(() => writers.refused.count >= 50 || ledger.failures.length > 0, 'writes refused for lack of space');

    // While the disk is full: every refusal is a 507 that says why, and reads still work.
    const [first] = writers.refused.bodies;
    assert.equal(first.status, 507);
    assert.equal(first.body.error.code, 'insufficient_storage');
    assert.match(first.body.error.message, /disk is full; nothing was written/);
    const some = [...ledger.records.keys()][0];
    assert.equal((await srv.call('GET', `/api/v1/contacts/${some}`, { token })).status, 200);
    assert.equal((await srv.call('GET', '/api/v1/contacts?limit=50', { token })).status, 200);
    assert.equal((await srv.call('GET', '/api/v1/search?q=n0', { token })).status, 200);
    assert.equal((await srv.call('GET', '/healthz')).status, 200);
    await writers.stop();
    assert.deepEqual(ledger.failures, [], 'no answer other than 2xx and 507');
    const refused = writers.refused.count;
    const ackedFull = ledger.acked.creates + ledger.acked.updates;

    // Space returns: the same server takes writes again.
    await rm(ballast);
    writers = startWriters(srv, token, ledger, { count: 4 });
    const target = ackedFull + 100;
    await until(() => ledger.acked.creates + ledger.acked.updates >= target, 'writes after space returned');
    await writers.stop();
    assert.deepEqual(ledger.failures, [], 'every write succeeds once there is space');

    const v = await verify(srv, token, ledger);
    assert.deepEqual(v.lost, [], 'every acknowledged write is there');
    assert.deepEqual(v.halfWritten, []);
    assert.deepEqual(v.unknown, [], 'no refused write left anything behind');
    await srv.stop(); // a clean exit, and no sanitizer report
    srv = null;
    assert.equal(await integrity(db), 'ok');
    t.diagnostic(`disk full: ballast ${(filled / 1048576).toFixed(1)} MB filled the 64 MB tmpfs; ` +
      `${refused} writes refused with 507, ${ackedFull} acknowledged before and while full, ` +
      `${ledger.acked.creates + ledger.acked.updates - ackedFull} after space returned; ` +
      `records ${v.records}, found ${v.found}, lost 0; integrity_check ok`);
  } finally {
    if (srv && srv.proc.exitCode === null && srv.proc.signalCode === null) await srv.stop();
    await execFileP('umount', [mnt]).catch(() => execFileP('umount', ['-l', mnt]));
    await rm(mnt, { recursive: true, force: true });
  }
});
