/* The SQLite driver: the default store, embedded in the kehu binary's process.
 *
 * One connection per thread (opened with SQLITE_OPEN_NOMUTEX, since Debian's
 * library is built serialized and each thread owns its connection), WAL mode so
 * that readers never wait for the writer, synchronous=NORMAL (a committed write
 * survives a crash or kill -9 of the process; `--sync full` would also survive
 * power loss at the cost of an fsync per commit), foreign keys on, and a cache of
 * prepared statements keyed by their SQL text. */
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "store/sqlite_search.h"
#include "store/store.h"
#include "util/log.h"

#define STMT_CACHE_SIZE 128
/* Each connection keeps 8 MB of pages - the inner pages of a million-record
 * table and its indexes fit with room to spare, and 16 MB read no faster - and
 * the kernel's page cache holds the rest of the file. No mmap: mapped pages
 * would count as the server's resident memory, and a server with a connection
 * per thread (HTTP threads, the writer, background work) must stay small. */
#define CACHE_KB -8192

struct kh_rows {
	struct sq_db *db;
	sqlite3_stmt *stmt;
	int cached;  /* the statement belongs to the cache; reset, do not finalize */
	int in_use;
	int ncols;
};

struct stmt_slot {
	char *sql;
	uint64_t last_used;
	struct kh_rows rows;
};

struct sq_db {
	struct kh_db base;
	sqlite3 *h;
	pthread_mutex_t *writer; /* shared by every connection of this process to the file */
	atomic_int *bulk_loads;  /* bulk loads of this process into the file, running now */
	int holds_writer;
	int last_rc;
	int bulk; /* new records' search documents are staged in kh_search_bulk until the load ends */
	uint64_t tick;
	/* The cache is looked up for every statement: the hashes sit apart from
	 * the slots, so a lookup reads 1 KB of them instead of 128 slots. */
	uint64_t hashes[STMT_CACHE_SIZE];
	struct stmt_slot cache[STMT_CACHE_SIZE];
};

/* One mutex per database file for the writers of this process. SQLite lets one
 * writer in at a time and makes the others wait in its busy handler, which
 * sleeps 1, 2, 5 ... 100 ms between tries: under many small write transactions
 * the waiters wake late and throughput collapsed (a create load fell to a few
 * dozen a second). Queuing on a mutex first hands the lock over at once; the
 * busy handler is left for writers in other processes. */
#define MAX_FILES 16
static struct {
	char path[512];
	pthread_mutex_t lock;
	atomic_int bulk_loads;
} writer_locks[MAX_FILES];
static int nwriter_locks;
static pthread_mutex_t writer_locks_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t *writer_lock_for(const char *path, atomic_int **bulk_loads)
{
	char real[512];
	if (!realpath(path, real))
		snprintf(real, sizeof real, "%s", path);
	pthread_mutex_lock(&writer_locks_lock);
	pthread_mutex_t *found = NULL;
	*bulk_loads = NULL;
	for (int i = 0; i < nwriter_locks && !found; i++)
		if (!strcmp(writer_locks[i].path, real))
			found = &writer_locks[i].lock, *bulk_loads = &writer_locks[i].bulk_loads;
	if (!found && nwriter_locks < MAX_FILES) {
		snprintf(writer_locks[nwriter_locks].path, sizeof writer_locks[0].path, "%s", real);
		pthread_mutex_init(&writer_locks[nwriter_locks].lock, NULL);
		atomic_init(&writer_locks[nwriter_locks].bulk_loads, 0);
		*bulk_loads = &writer_locks[nwriter_locks].bulk_loads;
		found = &writer_locks[nwriter_locks++].lock;
	}
	pthread_mutex_unlock(&writer_locks_lock);
	return found;
}

static void release_writer(struct sq_db *db);

static int sq_accepts(const char *location)
{
	return strncmp(location, "postgres://", 11) != 0 && strncmp(location, "postgresql://", 13) != 0;
}

/* XXH3 (libxxhash): statements run by the million in a bulk load, and a
 * byte-at-a-time hash of a 500-byte INSERT cost 5% of the load. */
static uint64_t hash_sql(const char *s)
{
	return XXH3_64bits(s, strlen(s));
}

static enum kh_err map_rc(struct sq_db *db, int rc)
{
	db->last_rc = rc;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return KH_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return KH_EBUSY;
	case SQLITE_NOMEM:
		return KH_ENOMEM;
	case SQLITE_CONSTRAINT:
		return KH_ECONFLICT;
	case SQLITE_TOOBIG:
		return KH_ETOOBIG;
	case SQLITE_FULL: /* the transaction was rolled back: nothing was written */
		return KH_ENOSPC;
	case SQLITE_IOERR:
		return KH_EIO;
	default:
		return KH_EDB;
	}
}

static enum kh_err sq_exec_plain(struct sq_db *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		kh_warn("sqlite: %s: %s", sql, err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
	}
	return map_rc(db, rc);
}

/* Kehu's own databases say so in their header (PRAGMA application_id), which is
 * how `kehu init` refuses to touch a file that is not one of ours. */
#define KEHU_APPLICATION_ID 1262831701 /* 0x4b454855, "KEHU" */
#define STR_(x) #x
#define KH_STRINGIFY(x) STR_(x)

static enum kh_err sq_open(const char *location, int create, struct kh_db **out, char *msg, size_t msglen)
{
	struct stat st;
	int exists = stat(location, &st) == 0;
	if (!create && !exists) {
		snprintf(msg, msglen, "%s: no such database (create it with `kehu init --db %s`)", location, location);
		return KH_ENOTFOUND;
	}
	struct sq_db *db = calloc(1, sizeof *db);
	if (!db) {
		snprintf(msg, msglen, "out of memory");
		return KH_ENOMEM;
	}
	db->base.ops = &kh_sqlite_ops;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(location, &db->h, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, msglen, "%s: %s", location, db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		sqlite3_close(db->h);
		free(db);
		return KH_EIO;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, 5000);

	/* Identify the file before changing anything in it. */
	sqlite3_stmt *st_app = NULL;
	int app_id = 0, ntables = 0;
	rc = sqlite3_prepare_v2(db->h, "PRAGMA application_id", -1, &st_app, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st_app) == SQLITE_ROW)
		app_id = sqlite3_column_int(st_app, 0);
	rc = sqlite3_finalize(st_app);
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(db->h, "SELECT count(*) FROM sqlite_schema", -1, &st_app, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st_app) == SQLITE_ROW)
			ntables = sqlite3_column_int(st_app, 0);
		rc = sqlite3_finalize(st_app);
	}
	if (rc != SQLITE_OK) {
		snprintf(msg, msglen, "%s is not a Kehu database: %s", location, sqlite3_errmsg(db->h));
		goto fail;
	}
	if (app_id != KEHU_APPLICATION_ID && ntables > 0) {
		snprintf(msg, msglen, "%s is an SQLite database of another application; Kehu will not touch it",
			 location);
		rc = SQLITE_NOTADB;
		goto fail;
	}
	if (app_id != KEHU_APPLICATION_ID && !create) {
		snprintf(msg, msglen, "%s is empty, not a Kehu database (create it with `kehu init`)", location);
		rc = SQLITE_NOTADB;
		goto fail;
	}

	if (sq_exec_plain(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
			      "PRAGMA temp_store=MEMORY; PRAGMA cache_size=" KH_STRINGIFY(CACHE_KB) ";") ||
	    (app_id != KEHU_APPLICATION_ID &&
	     sq_exec_plain(db, "PRAGMA application_id=" KH_STRINGIFY(KEHU_APPLICATION_ID)))) {
		snprintf(msg, msglen, "%s: %s", location, sqlite3_errmsg(db->h));
		rc = SQLITE_ERROR;
		goto fail;
	}
	db->writer = writer_lock_for(location, &db->bulk_loads);
	if (kh_sqlite_search_register(db->h) != SQLITE_OK) {
		snprintf(msg, msglen, "%s: cannot register the search tokenizer", location);
		rc = SQLITE_ERROR;
		goto fail;
	}
	*out = &db->base;
	return KH_OK;
fail:
	sqlite3_close(db->h);
	free(db);
	return rc == SQLITE_NOTADB ? KH_EINVAL : KH_EIO;
}

static void sq_close(struct kh_db *base)
{
	struct sq_db *db = (struct sq_db *)base;
	if (!db)
		return;
	release_writer(db);
	for (int i = 0; i < STMT_CACHE_SIZE; i++) {
		sqlite3_finalize(db->cache[i].rows.stmt);
		free(db->cache[i].sql);
	}
	/* Leave the WAL checkpointed and the database in one file on a clean exit. */
	sqlite3_exec(db->h, "PRAGMA optimize", NULL, NULL, NULL);
	if (sqlite3_close(db->h) != SQLITE_OK)
		kh_warn("sqlite: close: %s", sqlite3_errmsg(db->h));
	free(db);
}

static int bind_all(sqlite3_stmt *st, const struct kh_val *p, int n, sqlite3_destructor_type text_mode)
{
	int rc = SQLITE_OK;
	for (int i = 0; i < n && rc == SQLITE_OK; i++) {
		switch (p[i].t) {
		case KH_V_NULL: rc = sqlite3_bind_null(st, i + 1); break;
		case KH_V_INT: rc = sqlite3_bind_int64(st, i + 1, p[i].i); break;
		case KH_V_REAL: rc = sqlite3_bind_double(st, i + 1, p[i].d); break;
		case KH_V_TEXT: rc = sqlite3_bind_text(st, i + 1, p[i].s, (int)p[i].n, text_mode); break;
		}
	}
	return rc;
}

/* Kehu's SQL writes parameters as $1, $2 like PostgreSQL, which binds them by
 * number. SQLite reads "$1" as a *named* parameter and numbers names by first
 * appearance, so "SET a = $2 WHERE b = $1" would bind backwards; its "?NNN"
 * form binds by number. Rewrite $N to ?N outside quotes before preparing. */
static char *number_params(const char *sql)
{
	size_t n = strlen(sql);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	char quote = 0;
	for (size_t i = 0; i <= n; i++) {
		char c = sql[i];
		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
			c = '?';
		}
		out[i] = c;
	}
	return out;
}

/* Finds or prepares the statement for sql. A statement already being stepped
 * (a nested query with the same text) gets a fresh, uncached copy. */
static enum kh_err query(struct kh_db *base, const char *sql, const struct kh_val *p, int n, struct kh_rows **out,
			 sqlite3_destructor_type text_mode)
{
	struct sq_db *db = (struct sq_db *)base;
	uint64_t h = hash_sql(sql);
	struct stmt_slot *slot = NULL, *victim = NULL;
	struct kh_rows *rows = NULL;
	int at = -1;
	for (int i = 0; i < STMT_CACHE_SIZE; i++)
		if (db->hashes[i] == h && db->cache[i].sql && !strcmp(db->cache[i].sql, sql)) {
			slot = &db->cache[i];
			break;
		}
	if (!slot) /* a miss: the least recently used free slot makes room */
		for (int i = 0; i < STMT_CACHE_SIZE; i++) {
			struct stmt_slot *s = &db->cache[i];
			if (!s->rows.in_use && (!victim || s->last_used < victim->last_used))
				victim = s, at = i;
		}
	if (slot && !slot->rows.in_use) {
		rows = &slot->rows;
	} else {
		sqlite3_stmt *st;
		char *numbered = number_params(sql);
		int rc = numbered ? sqlite3_prepare_v3(db->h, numbered, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL)
				  : SQLITE_NOMEM;
		free(numbered);
		if (rc != SQLITE_OK) {
			kh_error("sqlite: prepare: %s in: %.300s", sqlite3_errmsg(db->h), sql);
			return map_rc(db, rc);
		}
		if (!slot && victim) {
			sqlite3_finalize(victim->rows.stmt);
			free(victim->sql);
			victim->sql = strdup(sql);
			db->hashes[at] = h;
			victim->rows = (struct kh_rows){.db = db, .stmt = st, .cached = 1};
			victim->rows.ncols = sqlite3_column_count(st);
			slot = victim;
			rows = &slot->rows;
			if (!victim->sql) {
				sqlite3_finalize(st);
				victim->rows.stmt = NULL;
				return KH_ENOMEM;
			}
		} else {
			rows = calloc(1, sizeof *rows);
			if (!rows) {
				sqlite3_finalize(st);
				return KH_ENOMEM;
			}
			*rows = (struct kh_rows){.db = db, .stmt = st, .cached = 0, .ncols = sqlite3_column_count(st)};
			slot = NULL;
		}
	}
	if (slot)
		slot->last_used = ++db->tick;
	int rc = bind_all(rows->stmt, p, n, text_mode);
	if (rc != SQLITE_OK) {
		kh_error("sqlite: bind: %s", sqlite3_errmsg(db->h));
		sqlite3_clear_bindings(rows->stmt);
		if (!rows->cached) {
			sqlite3_finalize(rows->stmt);
			free(rows);
		}
		return map_rc(db, rc);
	}
	rows->in_use = 1;
	*out = rows;
	return KH_OK;
}

/* Parameters are bound without a copy (SQLITE_STATIC): store.h asks callers to
 * keep them until the rows end, and copying every text value cost 10% of a bulk
 * load. */
static enum kh_err sq_query(struct kh_db *base, const char *sql, const struct kh_val *p, int n,
			    struct kh_rows **out)
{
	return query(base, sql, p, n, out, SQLITE_STATIC);
}

static int sq_next(struct kh_rows *rows)
{
	int rc = sqlite3_step(rows->stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	enum kh_err e = map_rc(rows->db, rc);
	if ((rc & 0xff) != SQLITE_CONSTRAINT)
		kh_warn("sqlite: step: %s", sqlite3_errmsg(rows->db->h));
	return -(int)e;
}

static int sq_ncols(struct kh_rows *rows)
{
	return rows->ncols;
}

static struct kh_val sq_col(struct kh_rows *rows, int i)
{
	struct kh_val v = {.t = KH_V_NULL};
	switch (sqlite3_column_type(rows->stmt, i)) {
	case SQLITE_INTEGER:
		v.t = KH_V_INT;
		v.i = sqlite3_column_int64(rows->stmt, i);
		break;
	case SQLITE_FLOAT:
		v.t = KH_V_REAL;
		v.d = sqlite3_column_double(rows->stmt, i);
		break;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		v.t = KH_V_TEXT;
		v.s = (const char *)sqlite3_column_text(rows->stmt, i);
		v.n = (size_t)sqlite3_column_bytes(rows->stmt, i);
		if (!v.s)
			v.s = "";
		break;
	}
	return v;
}

static void sq_end(struct kh_rows *rows)
{
	if (!rows)
		return;
	sqlite3_reset(rows->stmt);
	if (rows->cached) {
		rows->in_use = 0;
	} else {
		sqlite3_finalize(rows->stmt);
		free(rows);
	}
}

static int64_t sq_changes(struct kh_db *base)
{
	return sqlite3_changes64(((struct sq_db *)base)->h);
}

static void release_writer(struct sq_db *db)
{
	if (db->holds_writer) {
		db->holds_writer = 0;
		pthread_mutex_unlock(db->writer);
	}
}

static enum kh_err sq_begin(struct kh_db *base, enum kh_tx mode)
{
	struct sq_db *db = (struct sq_db *)base;
	if (mode != KH_TX_WRITE)
		return sq_exec_plain(db, "BEGIN");
	if (db->writer) {
		pthread_mutex_lock(db->writer);
		db->holds_writer = 1;
	}
	/* IMMEDIATE takes the write lock at once, so two writers queue instead of
	 * deadlocking when both try to upgrade a read lock. */
	enum kh_err err = sq_exec_plain(db, "BEGIN IMMEDIATE");
	if (err)
		release_writer(db);
	return err;
}

static enum kh_err sq_commit(struct kh_db *base)
{
	struct sq_db *db = (struct sq_db *)base;
	enum kh_err err = sq_exec_plain(db, "COMMIT");
	if (!err) /* a failed COMMIT leaves the transaction open: the rollback releases */
		release_writer(db);
	return err;
}

static enum kh_err sq_rollback(struct kh_db *base)
{
	struct sq_db *db = (struct sq_db *)base;
	enum kh_err err = sq_exec_plain(db, "ROLLBACK");
	release_writer(db);
	return err;
}

static const char *sq_errmsg(struct kh_db *base)
{
	return sqlite3_errmsg(((struct sq_db *)base)->h);
}

static int sq_unique(struct kh_db *base)
{
	int rc = ((struct sq_db *)base)->last_rc;
	return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

static const char *sq_coltype(enum kh_coltype t)
{
	switch (t) {
	case KH_COL_INT: return "INTEGER";
	case KH_COL_REAL: return "REAL";
	case KH_COL_TEXT: break;
	}
	return "TEXT";
}

/* Search documents are queued, and the queue is applied to the FTS5 tables in
 * batches: by the server's background thread, and by any search first (so a
 * search sees every committed change). An FTS5 commit costs the same for one
 * document as for hundreds (about 20 ms here: its segments are written and
 * merged), which made each create wait 20 ms and capped creates at a few dozen
 * a second; a queued document costs one small row. */
static enum kh_err sq_search_put(struct kh_db *db, int64_t doc, const char *text, int replace)
{
	struct kh_val p[2] = {KH_VINT(doc), KH_VTEXT(text)};
	if (((struct sq_db *)db)->bulk && !replace)
		return kh_db_exec(db, "INSERT INTO kh_search_bulk (doc, body) VALUES ($1, $2)", p, 2);
	return kh_db_exec(db, "INSERT INTO kh_search_queue (doc, body) VALUES ($1, $2)", p, 2);
}

static enum kh_err sq_search_del(struct kh_db *db, int64_t doc)
{
	struct kh_val p = KH_VINT(doc);
	return kh_db_exec(db, "INSERT INTO kh_search_queue (doc, body) VALUES ($1, NULL)", &p, 1);
}

/* Staged documents of new records (a bulk load's) go into both FTS5 tables in
 * one statement each. A big load's go in with automatic merging off, and the
 * many segments they make are then merged once into one ('optimize'): merging
 * as it goes rewrote the index several times over and cost a third more
 * (9.7 s instead of 14.8 s of CPU for a million contacts' trigram index). A
 * load left as many segments would make every later small commit pay for
 * merging them. The merge settings are restored (to FTS5's defaults, 4 and
 * 16) in the same transaction, so a crash cannot leave them off. At most
 * `limit` documents, or all for 0. */
static enum kh_err index_staged(struct sq_db *db, int64_t limit, int merge_once)
{
	int64_t n = 0, last = 0;
	struct kh_val lim = KH_VINT(limit > 0 ? limit : INT64_MAX);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(&db->base, "SELECT count(*), max(doc) FROM (SELECT doc FROM kh_search_bulk "
						 "ORDER BY doc LIMIT $1)", &lim, 1, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(&db->base, rows);
	if (rc > 0)
		n = kh_rows_col(&db->base, rows, 0).i, last = kh_rows_col(&db->base, rows, 1).i;
	kh_rows_end(&db->base, rows);
	if (rc < 0)
		return (enum kh_err)-rc;
	if (n == 0)
		return KH_OK;
	int big = merge_once && n >= 10000;
	struct kh_val p = KH_VINT(last);
	if (big)
		err = sq_exec_plain(db, "INSERT INTO kh_search (kh_search, rank) VALUES ('automerge', 0);"
					"INSERT INTO kh_search (kh_search, rank) VALUES ('crisismerge', 1999);"
					"INSERT INTO kh_search_short (kh_search_short, rank) VALUES ('automerge', 0);"
					"INSERT INTO kh_search_short (kh_search_short, rank) VALUES ('crisismerge', 1999)");
	if (!err)
		err = kh_db_exec(&db->base, "INSERT INTO kh_search (rowid, body) SELECT doc, body FROM kh_search_bulk "
					    "WHERE doc <= $1 ORDER BY doc", &p, 1);
	if (!err)
		err = kh_db_exec(&db->base, "INSERT INTO kh_search_short (rowid, body) SELECT doc, body FROM kh_search_bulk "
					    "WHERE doc <= $1 ORDER BY doc", &p, 1);
	if (!err && big)
		err = sq_exec_plain(db, "INSERT INTO kh_search (kh_search) VALUES ('optimize');"
					"INSERT INTO kh_search_short (kh_search_short) VALUES ('optimize');"
					"INSERT INTO kh_search (kh_search, rank) VALUES ('automerge', 4);"
					"INSERT INTO kh_search (kh_search, rank) VALUES ('crisismerge', 16);"
					"INSERT INTO kh_search_short (kh_search_short, rank) VALUES ('automerge', 4);"
					"INSERT INTO kh_search_short (kh_search_short, rank) VALUES ('crisismerge', 16)");
	if (!err)
		err = kh_db_exec(&db->base, "DELETE FROM kh_search_bulk WHERE doc <= $1", &p, 1);
	return err;
}

static enum kh_err sq_search_flush(struct kh_db *db)
{
	struct sq_db *sq = (struct sq_db *)db;
	int64_t any;
	/* A bulk load of this process indexes what it staged when it ends; staged
	 * documents found otherwise are another process's load between its
	 * batches, or what a load that crashed left, and go in now (before the
	 * queue, whose changes are later than any staged document). */
	int staged = !(sq->bulk_loads && atomic_load_explicit(sq->bulk_loads, memory_order_relaxed) > 0) &&
		     kh_db_int(db, "SELECT doc FROM kh_search_bulk LIMIT 1", NULL, 0, &any) != KH_ENOTFOUND;
	if (!staged && kh_db_int(db, "SELECT seq FROM kh_search_queue LIMIT 1", NULL, 0, &any) == KH_ENOTFOUND)
		return KH_OK;
	int own = !db->in_tx;
	enum kh_err err = own ? kh_db_begin(db, KH_TX_WRITE) : KH_OK;
	struct kh_rows *rows;
	int64_t last = 0;
	if (!err && staged)
		err = index_staged(sq, 50000, 1);
	if (!err)
		err = kh_db_query(db, "SELECT seq, doc, body FROM kh_search_queue ORDER BY seq LIMIT 5000", NULL, 0, &rows);
	if (!err) {
		/* Applied in order: a later change of the same record wins. The rows are
		 * read while others are written: the statements differ. */
		int rc;
		while (!err && (rc = kh_rows_next(db, rows)) > 0) {
			struct kh_val seq = kh_rows_col(db, rows, 0), doc = kh_rows_col(db, rows, 1),
				      body = kh_rows_col(db, rows, 2);
			struct kh_val p[2] = {doc, body};
			err = kh_db_exec(db, "DELETE FROM kh_search WHERE rowid = $1", p, 1);
			if (!err)
				err = kh_db_exec(db, "DELETE FROM kh_search_short WHERE rowid = $1", p, 1);
			/* A document still staged by a bulk load is older than this change. */
			if (!err)
				err = kh_db_exec(db, "DELETE FROM kh_search_bulk WHERE doc = $1", p, 1);
			if (!err && body.t == KH_V_TEXT)
				err = kh_db_exec(db, "INSERT INTO kh_search (rowid, body) VALUES ($1, $2)", p, 2);
			if (!err && body.t == KH_V_TEXT)
				err = kh_db_exec(db, "INSERT INTO kh_search_short (rowid, body) VALUES ($1, $2)", p, 2);
			last = seq.i;
		}
		kh_rows_end(db, rows);
		if (!err && rc < 0)
			err = (enum kh_err)-rc;
	}
	struct kh_val lp = KH_VINT(last);
	if (!err && last)
		err = kh_db_exec(db, "DELETE FROM kh_search_queue WHERE seq <= $1", &lp, 1);
	if (own) {
		if (!err)
			err = kh_db_commit(db);
		else
			kh_db_rollback(db);
	}
	return err;
}

static enum kh_err sq_search(struct kh_db *db, const char *q, int limit, struct kh_rows **rows)
{
	char match[1024];
	int short_query;
	if (kh_sqlite_search_match(q, match, sizeof match, &short_query))
		return KH_EINVAL;
	struct kh_val p[2] = {KH_VTEXT(match), KH_VINT(limit)};
	/* The trigram index finds any substring of three or more characters; it
	 * cannot find shorter ones, which is most Chinese given names, so those go
	 * to the index of CJK unigrams and bigrams and word prefixes. The match text
	 * lives on this stack frame, so it is bound as a copy. */
	return query(db,
			   short_query ? "SELECT rowid FROM kh_search_short WHERE kh_search_short MATCH $1 "
					 "ORDER BY rowid DESC LIMIT $2"
				       : "SELECT rowid FROM kh_search WHERE kh_search MATCH $1 "
					 "ORDER BY rowid DESC LIMIT $2",
			   p, 2, rows, SQLITE_TRANSIENT);
}

static enum kh_err sq_prepare_schema(struct kh_db *db)
{
	enum kh_err e = kh_db_exec(db, "CREATE VIRTUAL TABLE IF NOT EXISTS kh_search USING fts5(body, tokenize='trigram')",
				   NULL, 0);
	if (!e)
		e = kh_db_exec(db,
			       "CREATE TABLE IF NOT EXISTS kh_search_queue (seq INTEGER PRIMARY KEY, doc INTEGER NOT NULL, "
			       "body TEXT)",
			       NULL, 0);
	if (!e)
		e = kh_db_exec(db,
			       "CREATE VIRTUAL TABLE IF NOT EXISTS kh_search_short USING fts5(body, tokenize='kehu_short')",
			       NULL, 0);
	if (!e)
		e = kh_db_exec(db, "CREATE TABLE IF NOT EXISTS kh_search_bulk (doc INTEGER PRIMARY KEY, body TEXT)", NULL, 0);
	return e;
}

/* Ten million records' search documents cannot be indexed in one transaction:
 * the write-ahead log holds every page the FTS5 build and its final merge
 * write until the commit, and that filled 37 GB of disk. A load whose caller
 * allows it (KH_BULK_END_STEPWISE) indexes them a million at a time, each step
 * committed, with FTS5's own incremental merging on: a third more CPU than
 * one merge at the end, but each step's log stays the size of that step's
 * work. Up to two million go in at once, as before. */
#define SEARCH_ONE_SHOT_DOCS 2000000
#define SEARCH_STEP_DOCS 1000000

static enum kh_err index_staged_in_steps(struct sq_db *db)
{
	/* Tests set a small step to take the stepwise path on a small load. */
	const char *env = getenv("KEHU_SEARCH_STEP_DOCS");
	int64_t step = env ? atoll(env) : 0;
	int64_t one_shot = step > 0 ? step : SEARCH_ONE_SHOT_DOCS;
	if (step <= 0)
		step = SEARCH_STEP_DOCS;
	int64_t staged = 0;
	enum kh_err err = kh_db_int(&db->base, "SELECT count(*) FROM kh_search_bulk", NULL, 0, &staged);
	if (err || staged <= one_shot)
		return err ? err : index_staged(db, 0, 1);
	for (int64_t left = staged; !err; left -= step) {
		err = index_staged(db, step, 0);
		if (err || left <= step)
			break;
		err = kh_db_commit(&db->base);
		if (!err)
			err = kh_db_begin(&db->base, KH_TX_WRITE);
	}
	return err;
}

/* A bulk load touches every page of a dozen indexes: it gets 1 GB of page cache
 * instead of 64 MB. And the search documents of its new records are staged in
 * a plain table, to go into the FTS5 tables in one statement each when the
 * load ends: once an FTS5 table is part of a transaction, every later statement
 * that checks foreign keys opens a savepoint, and FTS5 flushes its pending
 * terms at each one, which made loading contacts five times slower; and
 * indexing a load's documents batch by batch, each batch merged into one
 * segment, rewrote the whole index at every batch. The staging table is an
 * ordinary one, committed with each batch: after a crash its documents are
 * indexed by the next search (sq_search_flush) or when the load is resumed.
 * Until the load ends, searches by this process do not see its new records.
 * Ending outside a transaction (after a failure) only restores the settings;
 * what was staged stays for the next flush. */
static enum kh_err sq_bulk(struct kh_db *base, enum kh_bulk phase)
{
	struct sq_db *db = (struct sq_db *)base;
	enum kh_err err;
	if (phase == KH_BULK_INDEXES) /* SQLite sorts in runs the size of the cache */
		return db->bulk ? sq_exec_plain(db, "PRAGMA cache_size=-8192") : KH_OK;
	if (phase == KH_BULK_LOAD) {
		if (db->bulk)
			return KH_OK;
		err = sq_exec_plain(db, "PRAGMA cache_size=-1048576; PRAGMA wal_autocheckpoint=100000; PRAGMA threads=2");
		db->bulk = !err;
		if (db->bulk && db->bulk_loads)
			atomic_fetch_add_explicit(db->bulk_loads, 1, memory_order_relaxed);
		return err;
	}
	if (db->bulk && db->bulk_loads)
		atomic_fetch_sub_explicit(db->bulk_loads, 1, memory_order_relaxed);
	db->bulk = 0;
	/* The staged documents are indexed in the usual page cache: in the 1 GB
	 * one (which the FTS5 build fills) they took as much CPU. */
	err = sq_exec_plain(db, "PRAGMA cache_size=" KH_STRINGIFY(CACHE_KB) "; PRAGMA wal_autocheckpoint=1000");
	enum kh_err e2 = KH_OK;
	if (base->in_tx)
		e2 = phase == KH_BULK_END_STEPWISE ? index_staged_in_steps(db) : index_staged(db, 0, 1);
	enum kh_err e3 = sq_exec_plain(db, "PRAGMA threads=0");
	return err ? err : e2 ? e2 : e3;
}

static enum kh_err sq_scrub(struct kh_db *base, int on)
{
	return sq_exec_plain((struct sq_db *)base, on ? "PRAGMA secure_delete=ON"
						      : "PRAGMA secure_delete=OFF; PRAGMA wal_checkpoint(TRUNCATE)");
}

/* ---- backup and restore ---- */

#define COPY_STEP_PAGES 1024 /* 4 MB of 4 KB pages between progress reports */

static int read_int(sqlite3 *h, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	int frc = sqlite3_finalize(st);
	return rc ? rc : frc;
}

/* Opens the file on the other side of a backup or restore: a Kehu database,
 * or (if empty is allowed: a backup's new destination) an empty one, never
 * another application's. */
static int open_other(const char *path, int flags, int empty_ok, sqlite3 **out, char *msg, size_t msglen)
{
	int app_id = 0, ntables = 0;
	int rc = sqlite3_open_v2(path, out, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(*out, 1);
		sqlite3_busy_timeout(*out, 5000);
		rc = read_int(*out, "PRAGMA application_id", &app_id);
	}
	if (rc == SQLITE_OK)
		rc = read_int(*out, "SELECT count(*) FROM sqlite_schema", &ntables);
	if (rc != SQLITE_OK)
		snprintf(msg, msglen, "%s: %s", path, *out ? sqlite3_errmsg(*out) : sqlite3_errstr(rc));
	else if (app_id != KEHU_APPLICATION_ID && (ntables > 0 || !empty_ok))
		snprintf(msg, msglen, "%s is not a Kehu database; Kehu will not touch it", path), rc = SQLITE_NOTADB;
	return rc;
}

/* Takes a connection out of WAL mode, which SQLite allows only when no other
 * connection has the database open: that is how a copy refuses to overwrite a
 * database a running server is using. Out of WAL mode the copy replaces the
 * contents in one rollback-journal transaction, so a crash half-way through
 * leaves them as they were. */
static int claim(sqlite3 *h, const char *path, char *msg, size_t msglen)
{
	int rc = sqlite3_exec(h, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if ((rc & 0xff) == SQLITE_BUSY)
		snprintf(msg, msglen, "%s is in use (by a running kehu serve?); it must not be open while it is replaced", path);
	else if (rc != SQLITE_OK)
		snprintf(msg, msglen, "%s: %s", path, sqlite3_errmsg(h));
	return rc;
}

static int copy_pages(sqlite3 *to, sqlite3 *from, kh_progress_fn progress, void *cls)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	if (!b)
		return sqlite3_errcode(to);
	int rc;
	do {
		/* A busy destination has had its busy timeout already. */
		rc = sqlite3_backup_step(b, COPY_STEP_PAGES);
		if (progress && (rc == SQLITE_OK || rc == SQLITE_DONE))
			progress(cls, sqlite3_backup_pagecount(b) - sqlite3_backup_remaining(b), sqlite3_backup_pagecount(b));
	} while (rc == SQLITE_OK);
	int frc = sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? frc : rc;
}

static enum kh_err sq_backup(struct kh_db *base, const char *path, kh_progress_fn progress, void *cls, char *msg,
			     size_t msglen)
{
	struct sq_db *db = (struct sq_db *)base;
	sqlite3 *to = NULL;
	int rc = open_other(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1, &to, msg, msglen);
	if (rc == SQLITE_OK)
		rc = claim(to, path, msg, msglen);
	if (rc != SQLITE_OK)
		goto out;
	/* One read transaction for the whole copy: every step reads the same
	 * snapshot while writers carry on (WAL). Without it, a write between two
	 * steps restarts the copy, which under steady writes might never end. */
	rc = sqlite3_exec(db->h, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = copy_pages(to, db->h, progress, cls);
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL); /* it only read */
	/* The copied header says WAL, as the source's does; a backup is better one
	 * self-contained file. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		snprintf(msg, msglen, "%s: %s", path, sqlite3_errmsg(to));
out:
	sqlite3_close(to);
	return rc == SQLITE_NOTADB ? KH_EINVAL : map_rc(db, rc);
}

static enum kh_err sq_restore(struct kh_db *base, const char *path, kh_progress_fn progress, void *cls, char *msg,
			      size_t msglen)
{
	struct sq_db *db = (struct sq_db *)base;
	sqlite3 *from = NULL;
	sqlite3_stmt *st = NULL;
	int rc = open_other(path, SQLITE_OPEN_READONLY, 0, &from, msg, msglen);
	if (rc != SQLITE_OK)
		goto out;
	/* A damaged backup must not replace a database that may be fine. */
	rc = sqlite3_prepare_v2(from, "PRAGMA integrity_check(1)", -1, &st, NULL);
	const char *verdict = rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0)
										 : NULL;
	if (verdict && strcmp(verdict, "ok")) {
		snprintf(msg, msglen, "%s fails its integrity check (%s); nothing was restored", path, verdict);
		rc = SQLITE_CORRUPT;
		goto out;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_OK) {
		snprintf(msg, msglen, "%s: %s", path, sqlite3_errmsg(from));
		goto out;
	}
	if ((rc = claim(db->h, sqlite3_db_filename(db->h, "main"), msg, msglen)) != SQLITE_OK)
		goto out;
	rc = copy_pages(db->h, from, progress, cls);
	if (rc != SQLITE_OK)
		snprintf(msg, msglen, "cannot restore %s: %s; the database is as it was", path, sqlite3_errmsg(db->h));
	if (sqlite3_exec(db->h, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK && rc == SQLITE_OK) {
		snprintf(msg, msglen, "restored, but cannot return to WAL mode: %s", sqlite3_errmsg(db->h));
		rc = SQLITE_ERROR;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(from);
	return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? KH_EINVAL : map_rc(db, rc);
}

/* A commit that fills the WAL past wal_autocheckpoint copies it back into the
 * database and syncs, inside that request: 1-2 ms of I/O every few dozen
 * creates, and p99 spikes. Request connections checkpoint only as a safety net
 * (80 MB of WAL); the server's background thread checkpoints passively. */
static void sq_defer_checkpoints(struct kh_db *base)
{
	sq_exec_plain((struct sq_db *)base, "PRAGMA wal_autocheckpoint=20000");
}

static void sq_checkpoint(struct kh_db *base)
{
	struct sq_db *db = (struct sq_db *)base;
	sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

static void sq_global_init(void)
{
	/* Memory statistics take a global mutex on every allocation; Kehu never
	 * reads them. Connections are per thread, so multi-thread mode suffices. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_initialize();
}

const struct kh_store_ops kh_sqlite_ops = {
	.name = "sqlite",
	.accepts = sq_accepts,
	.open = sq_open,
	.close = sq_close,
	.query = sq_query,
	.next = sq_next,
	.ncols = sq_ncols,
	.col = sq_col,
	.end = sq_end,
	.changes = sq_changes,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.errmsg = sq_errmsg,
	.last_was_unique_violation = sq_unique,
	.coltype = sq_coltype,
	.pk_decl = "INTEGER PRIMARY KEY",
	.search_put = sq_search_put,
	.search_del = sq_search_del,
	.search = sq_search,
	.search_flush = sq_search_flush,
	.prepare_schema = sq_prepare_schema,
	.bulk = sq_bulk,
	.scrub = sq_scrub,
	.defer_checkpoints = sq_defer_checkpoints,
	.checkpoint = sq_checkpoint,
	.backup = sq_backup,
	.restore = sq_restore,
	.global_init = sq_global_init,
};
