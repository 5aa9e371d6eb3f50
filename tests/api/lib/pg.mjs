// PostgreSQL for the black-box tests: with KEHU_TEST_PG=1 every server that
// tests/api/lib/server.mjs starts gets a fresh database of its own on a private
// cluster, so the same suite runs on both drivers.
//
// The cluster is the one named by KEHU_TEST_PG_URI, or the one whose state
// directory KEHU_TEST_PG_STATE names (ctest starts one for the whole run with
// tests/pg/cluster.sh), or else one that this process starts on first use in a
// temporary directory and stops when it exits.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const PGBIN = process.env.KEHU_PGBIN ?? '/usr/lib/postgresql/15/bin';

export const usePg = ['1', 'true', 'yes'].includes(process.env.KEHU_TEST_PG ?? '');

// Tests that cross-check the API against the database run `sqlite3 DB SQL`; in
// PostgreSQL mode tests/pg/bin/sqlite3 sends a postgresql:// DB to psql with
// sqlite3's output format, so those tests run unchanged.
if (usePg) process.env.PATH = `${join(root, 'tests/pg/bin')}:${process.env.PATH}`;

function stateUri() {
  const state = process.env.KEHU_TEST_PG_STATE;
  if (!state) return null;
  try { return readFileSync(join(state, 'uri'), 'utf8').trim() || null; } catch { return null; }
}

let clusterUri = process.env.KEHU_TEST_PG_URI || stateUri();
let clusterState = process.env.KEHU_TEST_PG_STATE || null;

function cluster() {
  if (clusterUri) return clusterUri;
  const state = mkdtempSync(join(tmpdir(), 'kehu-pg-state-'));
  clusterState = state;
  clusterUri = execFileSync(join(root, 'tests/pg/cluster.sh'), ['start', state]).toString().trim();
  process.on('exit', () => {
    try { execFileSync(join(root, 'tests/pg/cluster.sh'), ['stop', state]); } catch { /* already gone */ }
    rmSync(state, { recursive: true, force: true });
  });
  return clusterUri;
}

const psql = (uri, sql) =>
  execFileSync(join(PGBIN, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', uri, '-c', sql]);

/** Creates an empty database and returns its postgresql:// URI. */
export function createDatabase() {
  const admin = cluster();
  const name = `kehu_test_${randomBytes(6).toString('hex')}`;
  psql(admin, `CREATE DATABASE ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops a database made by createDatabase (servers on it must have stopped). */
export function dropDatabase(uri) {
  const name = new URL(uri).pathname.slice(1);
  psql(cluster(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** Starts a streaming replica of the cluster (tests/pg/cluster.sh replica) and
 *  returns the URI of its maintenance database. Only for a cluster whose state
 *  directory is known (not one named by KEHU_TEST_PG_URI alone). */
export function startReplica() {
  cluster();
  if (!clusterState) throw new Error('a replica needs KEHU_TEST_PG_STATE or a cluster started by this process');
  return execFileSync(join(root, 'tests/pg/cluster.sh'), ['replica', clusterState]).toString().trim();
}

export function stopReplica() {
  if (clusterState) execFileSync(join(root, 'tests/pg/cluster.sh'), ['stop-replica', clusterState]);
}

/** The same database on another server of the cluster (a replica). */
export function onServer(dbUri, serverUri) {
  const u = new URL(serverUri);
  u.pathname = new URL(dbUri).pathname;
  return u.toString();
}
