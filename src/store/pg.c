/* The PostgreSQL driver: the store over libpq, for companies that outgrow one
 * machine (several `kehu serve` processes on one database).
 *
 * One connection per thread, as with SQLite. SQL above the store is the same
 * for both engines; what differs is here:
 *   - column types: BIGINT, DOUBLE PRECISION, and TEXT COLLATE "C", so that text
 *     sorts by bytes as in SQLite (keyset cursors and sort orders agree, and
 *     LIKE 'abc%' can use a plain index);
 *   - values: every parameter is sent as text with no declared type, so the
 *     server infers it from the column it meets ($1 = id is a bigint, $1 = name
 *     a text), which is what SQLite's dynamic typing gives; results are turned
 *     into integers, reals and text from their column types;
 *   - transactions: a write transaction takes one transaction-scoped advisory
 *     lock, so writers queue one at a time as with SQLite's BEGIN IMMEDIATE.
 *     The write path reads, checks (unique values, If-Match versions) and then
 *     writes; under READ COMMITTED two servers could both pass the check. The
 *     lock keeps SQLite's guarantees on any number of servers, and it ends with
 *     the transaction, so it is safe behind pgbouncer in transaction mode;
 *   - prepared statements: cached per connection by SQL text and named
 *     "kh<N>"; with `kehu_pgbouncer=1` in the URI (pgbouncer in transaction
 *     mode, where a named statement may be on another server connection) every
 *     statement is sent unnamed (Parse/Bind/Execute in one round trip);
 *   - errors: SQLSTATE classes become enum kh_err (23505 a unique violation).
 *
 * Request connections never set session state (no SET, no temporary tables,
 * no session locks): what a transaction needs it sets with SET LOCAL. Only the
 * two connections of a server that must talk to PostgreSQL directly keep any:
 * the background worker's lock and the live events' LISTEN (pg_session.c). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

#define STMT_CACHE_SIZE 128
#define MAX_PARAMS 1024
/* The lock every write transaction takes: "KEHU" and 1. Other advisory locks of
 * Kehu (one scheduler per cluster, later) use the same high half. */
#define WRITE_LOCK_KEY 0x4b45485500000001LL

/* PostgreSQL's type oids (server/catalog/pg_type_d.h, stable since 7.x). */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26, OID_FLOAT4 = 700,
       OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

struct kh_rows {
	struct pg_db *db;
	PGresult *res;
	int row, nrows, ncols;
};

struct stmt_slot {
	char *sql;
	uint64_t hash;
	uint64_t last_used;
	unsigned id;
};

struct pg_db {
	struct kh_db base;
	PGconn *c;
	int unnamed;          /* pgbouncer: no named prepared statements */
	int bulk;             /* bulk load: search documents buffered, commit async */
	char sqlstate[6];     /* of the last error */
	char msg[512];        /* the engine's message for the last error */
	int64_t changes;
	uint64_t tick;
	unsigned next_id;
	struct stmt_slot cache[STMT_CACHE_SIZE];
	struct kh_buf params; /* the text of the current statement's parameters */
	struct kh_buf search; /* bulk: buffered search documents, COPY text format */
	struct kh_pg_session sess; /* session lock and LISTEN (pg_session.c) */
};

static int pg_accepts(const char *location)
{
	return !strncmp(location, "postgres://", 11) || !strncmp(location, "postgresql://", 13);
}

static uint64_t hash_sql(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Records the error of res (or of the connection) and maps its SQLSTATE. */
static enum kh_err fail_res(struct pg_db *db, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(db->c);
	snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "08000");
	snprintf(db->msg, sizeof db->msg, "%s", m && *m ? m : "no answer from the server");
	size_t n = strlen(db->msg);
	while (n && (db->msg[n - 1] == '\n' || db->msg[n - 1] == ' '))
		db->msg[--n] = '\0';
	const char *s = db->sqlstate;
	if (!strncmp(s, "23", 2))
		return KH_ECONFLICT; /* integrity: unique, foreign key, not null, check */
	if (!strcmp(s, "40001") || !strcmp(s, "40P01") || !strcmp(s, "55P03") || !strcmp(s, "57014") ||
	    !strncmp(s, "08", 2) || !strcmp(s, "57P01") || !strcmp(s, "53300"))
		return KH_EBUSY; /* serialization, deadlock, lock or statement timeout, connection */
	if (!strcmp(s, "54000"))
		return KH_ETOOBIG;
	if (!strcmp(s, "53200"))
		return KH_ENOMEM;
	/* A missing table is how a database that has never been migrated shows
	 * itself (kh_schema_is_initialised asks); other errors are worth a warning. */
	if (!strcmp(s, "42P01"))
		kh_debug("postgresql: %s: %s [%s]", what, db->msg, s);
	else
		kh_warn("postgresql: %s: %s [%s]", what, db->msg, s);
	return KH_EDB;
}

/* Statement names live on the server connection: when it is reset they are
 * gone, so the cache forgets them too. */
static void forget_statements(struct pg_db *db)
{
	for (int i = 0; i < STMT_CACHE_SIZE; i++) {
		free(db->cache[i].sql);
		db->cache[i] = (struct stmt_slot){0};
	}
}

/* A connection lost between transactions (the server restarted, a proxy
 * dropped it) is opened again; inside a transaction the error goes up, since
 * what the transaction did is gone with it. */
static int connection_ok(struct pg_db *db)
{
	if (db->sess.lock_lost)
		return 0;
	if (PQstatus(db->c) == CONNECTION_OK)
		return 1;
	if (db->base.in_tx)
		return 0;
	if (db->sess.lock_held) {
		/* The session lock went with the connection, and another server may
		 * hold it by now: what was begun under it must not go on over a new
		 * connection. hold_lock() clears this. */
		kh_warn("postgresql: the connection that held the background-work lock was lost");
		db->sess.lock_held = 0;
		db->sess.lock_lost = 1;
		return 0;
	}
	kh_warn("postgresql: the connection was lost; reconnecting");
	PQreset(db->c);
	forget_statements(db);
	if (PQstatus(db->c) != CONNECTION_OK)
		return 0;
	/* A LISTEN is part of the session: a new one listens again (events that
	 * came in between are read from the table by the listener anyway). */
	if (db->sess.channel[0]) {
		char sql[sizeof db->sess.channel + 16];
		snprintf(sql, sizeof sql, "LISTEN %s", db->sess.channel);
		PGresult *res = PQexec(db->c, sql);
		PQclear(res);
	}
	return 1;
}

/* Runs a statement that needs no parameters and returns no rows. */
static enum kh_err exec_plain(struct pg_db *db, const char *sql)
{
	if (!connection_ok(db))
		return fail_res(db, NULL, sql);
	PGresult *res = PQexec(db->c, sql);
	ExecStatusType st = PQresultStatus(res);
	enum kh_err err = KH_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		err = fail_res(db, res, sql);
	PQclear(res);
	return err;
}

/* Takes our own options out of the URI's query string (libpq rejects names it
 * does not know) and returns the rest in out. */
static int strip_option(const char *uri, const char *name, char *out, size_t outlen, int *value)
{
	*value = 0;
	if (snprintf(out, outlen, "%s", uri) >= (int)outlen)
		return -1;
	char *q = strchr(out, '?');
	size_t nl = strlen(name);
	for (char *p = q; p && *p;) {
		char *start = p + 1, *end = strchr(start, '&');
		if (!end)
			end = start + strlen(start);
		if (!strncmp(start, name, nl) && start[nl] == '=') {
			*value = start[nl + 1] == '1' || !strncmp(start + nl + 1, "true", 4) ||
				 !strncmp(start + nl + 1, "on", 2);
			/* Remove "?name=v" or "&name=v", keeping the separator for what follows. */
			if (*end)
				memmove(start, end + 1, strlen(end + 1) + 1);
			else
				*p = '\0';
			continue;
		}
		p = *end ? end : NULL;
	}
	return 0;
}

static enum kh_err identify(struct pg_db *db, int create, char *msg, size_t msglen)
{
	/* Named by database and host, never by the URI, which may hold a password. */
	char where[300];
	snprintf(where, sizeof where, "database %s on %s", PQdb(db->c), PQhost(db->c));
	/* A Kehu database has kh_meta saying so; a database with other tables and
	 * no kh_meta belongs to another application and is left alone. */
	PGresult *res = PQexec(db->c,
			       "SELECT (SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()), "
			       "to_regclass('kh_meta') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		snprintf(msg, msglen, "%s: %s", where, PQresultErrorMessage(res));
		PQclear(res);
		return KH_EIO;
	}
	long tables = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	int ours = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	if (!ours && tables > 0) {
		snprintf(msg, msglen, "the PostgreSQL %s has tables of another application; Kehu will not touch it", where);
		return KH_EINVAL;
	}
	if (!ours && !create) {
		snprintf(msg, msglen, "the PostgreSQL %s is empty, not a Kehu database (create it with `kehu init`)", where);
		return KH_EINVAL;
	}
	return KH_OK;
}

/* Notices ("relation already exists, skipping") are for people at a psql
 * prompt; Kehu's log gets them only at debug level. */
static void on_notice(void *arg, const char *message)
{
	(void)arg;
	kh_debug("postgresql: %s", message);
}

static enum kh_err pg_open(const char *location, int create, struct kh_db **out, char *msg, size_t msglen)
{
	char uri[2048];
	int unnamed;
	if (strip_option(location, "kehu_pgbouncer", uri, sizeof uri, &unnamed)) {
		snprintf(msg, msglen, "the database URI is too long");
		return KH_EINVAL;
	}
	struct pg_db *db = calloc(1, sizeof *db);
	if (!db) {
		snprintf(msg, msglen, "out of memory");
		return KH_ENOMEM;
	}
	db->base.ops = &kh_pg_ops;
	db->unnamed = unnamed;
	kh_buf_init(&db->params, 0);
	kh_buf_init(&db->search, 0);
	/* Text in and out is UTF-8 whatever the server's default; the URI's own
	 * settings win over the fallbacks. */
	const char *keys[] = {"dbname", "client_encoding", "fallback_application_name", "connect_timeout", NULL};
	const char *vals[] = {uri, "UTF8", "kehu", "10", NULL};
	db->c = PQconnectdbParams(keys, vals, 1);
	if (!db->c || PQstatus(db->c) != CONNECTION_OK) {
		char err[400];
		snprintf(err, sizeof err, "%s", db->c ? PQerrorMessage(db->c) : "out of memory");
		size_t n = strlen(err);
		while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
		snprintf(msg, msglen, "cannot connect to PostgreSQL: %s", err);
		PQfinish(db->c);
		free(db);
		return KH_EIO;
	}
	PQsetNoticeProcessor(db->c, on_notice, NULL);
	enum kh_err err = identify(db, create, msg, msglen);
	if (err) {
		PQfinish(db->c);
		free(db);
		return err;
	}
	*out = &db->base;
	return KH_OK;
}

static void pg_close(struct kh_db *base)
{
	struct pg_db *db = (struct pg_db *)base;
	if (!db)
		return;
	forget_statements(db);
	PQfinish(db->c);
	kh_buf_release(&db->params);
	kh_buf_release(&db->search);
	free(db);
}

/* The statement's name if it is (or now is) prepared on this connection; NULL
 * to send it unnamed. */
static const char *statement_name(struct pg_db *db, const char *sql, int n, char *name, size_t namelen,
				  enum kh_err *err)
{
	*err = KH_OK;
	if (db->unnamed)
		return NULL;
	uint64_t h = hash_sql(sql);
	struct stmt_slot *victim = &db->cache[0];
	for (int i = 0; i < STMT_CACHE_SIZE; i++) {
		struct stmt_slot *s = &db->cache[i];
		if (s->sql && s->hash == h && !strcmp(s->sql, sql)) {
			s->last_used = ++db->tick;
			snprintf(name, namelen, "kh%u", s->id);
			return name;
		}
		if (!s->sql || (victim->sql && s->last_used < victim->last_used))
			victim = s;
	}
	if (victim->sql) {
		char dealloc[32];
		snprintf(dealloc, sizeof dealloc, "DEALLOCATE kh%u", victim->id);
		if ((*err = exec_plain(db, dealloc)))
			return NULL;
		free(victim->sql);
		victim->sql = NULL;
	}
	unsigned id = ++db->next_id;
	snprintf(name, namelen, "kh%u", id);
	PGresult *res = PQprepare(db->c, name, sql, n, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*err = fail_res(db, res, "prepare");
		if (strcmp(db->sqlstate, "42P01"))
			kh_error("postgresql: prepare: %s in: %.300s", db->msg, sql);
		PQclear(res);
		return NULL;
	}
	PQclear(res);
	victim->sql = strdup(sql);
	if (!victim->sql) {
		*err = KH_ENOMEM;
		return NULL;
	}
	victim->hash = h;
	victim->id = id;
	victim->last_used = ++db->tick;
	return name;
}

/* Parameters as text: integers and reals printed, text copied so that it ends
 * in a NUL (kh_val text need not). */
static enum kh_err params_text(struct pg_db *db, const struct kh_val *p, int n, const char **values)
{
	size_t offs[MAX_PARAMS];
	kh_buf_reset(&db->params);
	for (int i = 0; i < n; i++) {
		offs[i] = db->params.len;
		switch (p[i].t) {
		case KH_V_NULL: break;
		case KH_V_INT: kh_buf_add_int(&db->params, p[i].i); break;
		case KH_V_REAL: kh_buf_addf(&db->params, "%.17g", p[i].d); break;
		case KH_V_TEXT: kh_buf_add(&db->params, p[i].s, p[i].n); break;
		}
		kh_buf_addc(&db->params, '\0');
	}
	if (db->params.err)
		return db->params.err;
	for (int i = 0; i < n; i++)
		values[i] = p[i].t == KH_V_NULL ? NULL : db->params.data + offs[i];
	return KH_OK;
}

static enum kh_err pg_query(struct kh_db *base, const char *sql, const struct kh_val *p, int n,
			    struct kh_rows **out)
{
	struct pg_db *db = (struct pg_db *)base;
	const char *values[MAX_PARAMS];
	if (n > MAX_PARAMS)
		return KH_EINVAL;
	if (!connection_ok(db))
		return fail_res(db, NULL, "connect");
	enum kh_err err = params_text(db, p, n, values);
	if (err)
		return err;
	char name[32];
	const char *stmt = statement_name(db, sql, n, name, sizeof name, &err);
	if (err)
		return err;
	PGresult *res = stmt ? PQexecPrepared(db->c, stmt, n, values, NULL, NULL, 0)
			     : PQexecParams(db->c, sql, n, NULL, values, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		err = fail_res(db, res, "query");
		if (err == KH_EDB && strcmp(db->sqlstate, "42P01"))
			kh_warn("postgresql: in: %.300s", sql);
		/* A statement the server no longer knows (DISCARD ALL by a pooler):
		 * forget them all, so the next call prepares again. */
		if (!strcmp(db->sqlstate, "26000"))
			forget_statements(db);
		PQclear(res);
		return err;
	}
	const char *changed = PQcmdTuples(res);
	db->changes = *changed ? strtoll(changed, NULL, 10) : 0;
	struct kh_rows *rows = malloc(sizeof *rows);
	if (!rows) {
		PQclear(res);
		return KH_ENOMEM;
	}
	*rows = (struct kh_rows){.db = db, .res = res, .row = -1, .nrows = PQntuples(res), .ncols = PQnfields(res)};
	*out = rows;
	return KH_OK;
}

static int pg_next(struct kh_rows *rows)
{
	if (rows->row + 1 >= rows->nrows) {
		rows->row = rows->nrows;
		return 0;
	}
	rows->row++;
	return 1;
}

static int pg_ncols(struct kh_rows *rows)
{
	return rows->ncols;
}

static struct kh_val pg_col(struct kh_rows *rows, int i)
{
	struct kh_val v = {.t = KH_V_NULL};
	if (i < 0 || i >= rows->ncols || rows->row < 0 || rows->row >= rows->nrows ||
	    PQgetisnull(rows->res, rows->row, i))
		return v;
	const char *s = PQgetvalue(rows->res, rows->row, i);
	switch (PQftype(rows->res, i)) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		v.t = KH_V_INT;
		v.i = strtoll(s, NULL, 10);
		break;
	case OID_BOOL:
		v.t = KH_V_INT;
		v.i = s[0] == 't';
		break;
	case OID_NUMERIC:
		/* sum() of bigints is a numeric: an integer unless it has a point. */
		if (!strpbrk(s, ".eEN")) {
			v.t = KH_V_INT;
			v.i = strtoll(s, NULL, 10);
			break;
		}
		/* fall through */
	case OID_FLOAT4:
	case OID_FLOAT8:
		v.t = KH_V_REAL;
		v.d = strtod(s, NULL);
		break;
	default:
		v.t = KH_V_TEXT;
		v.s = s;
		v.n = (size_t)PQgetlength(rows->res, rows->row, i);
		break;
	}
	return v;
}

static void pg_end(struct kh_rows *rows)
{
	if (!rows)
		return;
	PQclear(rows->res);
	free(rows);
}

static int64_t pg_changes(struct kh_db *base)
{
	return ((struct pg_db *)base)->changes;
}

static enum kh_err pg_begin(struct kh_db *base, enum kh_tx mode)
{
	struct pg_db *db = (struct pg_db *)base;
	char sql[256];
	/* One round trip: the transaction, its settings and, for writers, the lock
	 * that queues them (waiting at most 5 s, as SQLite's busy timeout). A read
	 * transaction sees one snapshot throughout, as in SQLite (analytics read
	 * several tables that must agree); writers, serialized by the lock, see
	 * every commit before theirs. */
	snprintf(sql, sizeof sql, "%s; SET LOCAL lock_timeout = '5s';%s%s",
		 mode == KH_TX_READ ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN",
		 db->bulk ? " SET LOCAL synchronous_commit = off; SET LOCAL maintenance_work_mem = '256MB';" : "",
		 mode == KH_TX_WRITE ? " SELECT pg_advisory_xact_lock(" : "");
	if (mode == KH_TX_WRITE) {
		size_t n = strlen(sql);
		snprintf(sql + n, sizeof sql - n, "%lld)", (long long)WRITE_LOCK_KEY);
	}
	enum kh_err err = exec_plain(db, sql);
	if (err && PQtransactionStatus(db->c) != PQTRANS_IDLE)
		exec_plain(db, "ROLLBACK");
	return err;
}

static enum kh_err pg_commit(struct kh_db *base)
{
	struct pg_db *db = (struct pg_db *)base;
	enum kh_err err = kh_pg_search_flush(base);
	if (err)
		return err;
	/* COMMIT of a failed transaction answers "ROLLBACK" without an error:
	 * that must not pass for a commit. */
	if (PQtransactionStatus(db->c) == PQTRANS_INERROR) {
		snprintf(db->msg, sizeof db->msg, "the transaction had failed and was rolled back");
		exec_plain(db, "ROLLBACK");
		return KH_EDB;
	}
	return exec_plain(db, "COMMIT");
}

static enum kh_err pg_rollback(struct kh_db *base)
{
	struct pg_db *db = (struct pg_db *)base;
	kh_buf_reset(&db->search);
	if (PQstatus(db->c) != CONNECTION_OK)
		return KH_OK; /* the server rolled it back when the connection died */
	return exec_plain(db, "ROLLBACK");
}

static const char *pg_errmsg(struct kh_db *base)
{
	struct pg_db *db = (struct pg_db *)base;
	return db->msg[0] ? db->msg : "no error";
}

static int pg_unique(struct kh_db *base)
{
	return !strcmp(((struct pg_db *)base)->sqlstate, "23505");
}

static const char *pg_coltype(enum kh_coltype t)
{
	switch (t) {
	case KH_COL_INT: return "BIGINT";
	case KH_COL_REAL: return "DOUBLE PRECISION";
	case KH_COL_TEXT: break;
	}
	return "TEXT COLLATE \"C\"";
}

/* PostgreSQL checks that a referenced table exists when the reference is
 * declared, and entities refer to each other in cycles: the schema adds foreign
 * keys here once all tables exist, each under a name that says it is there. */
static enum kh_err pg_add_reference(struct kh_db *db, const char *table, const char *column, const char *ref)
{
	char name[160], sql[512];
	snprintf(name, sizeof name, "fk_%s_%s", table, column);
	struct kh_val p[2] = {KH_VTEXT(name), KH_VTEXT(table)};
	int64_t have = 0;
	enum kh_err err = kh_db_int(db,
				    "SELECT count(*) FROM pg_catalog.pg_constraint WHERE conname = $1 "
				    "AND conrelid = to_regclass($2)",
				    p, 2, &have);
	if (err || have)
		return err;
	if (snprintf(sql, sizeof sql, "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s(id)", table, name,
		     column, ref) >= (int)sizeof sql)
		return KH_EINVAL;
	return kh_db_exec(db, sql, NULL, 0);
}

int kh_pg_in_bulk(struct kh_db *db)
{
	return ((struct pg_db *)db)->bulk;
}

struct kh_buf *kh_pg_search_buffer(struct kh_db *db)
{
	return &((struct pg_db *)db)->search;
}

PGconn *kh_pg_conn(struct kh_db *db)
{
	return ((struct pg_db *)db)->c;
}

struct kh_pg_session *kh_pg_session(struct kh_db *db)
{
	return &((struct pg_db *)db)->sess;
}

int kh_pg_pooled(struct kh_db *db)
{
	return ((struct pg_db *)db)->unnamed;
}

int kh_pg_connection_ok(struct kh_db *db)
{
	return connection_ok((struct pg_db *)db);
}

enum kh_err kh_pg_fail(struct kh_db *db, const PGresult *res, const char *what)
{
	return fail_res((struct pg_db *)db, res, what);
}

/* Bulk loads: search documents are buffered and sent with COPY at each commit
 * (one round trip instead of one per record), and commits do not wait for the
 * WAL to reach the disk (a crash loses the last load, not the database). */
static enum kh_err pg_bulk(struct kh_db *base, enum kh_bulk phase)
{
	struct pg_db *db = (struct pg_db *)base;
	int ending = phase == KH_BULK_END || phase == KH_BULK_END_STEPWISE;
	enum kh_err err = ending ? kh_pg_search_flush(base) : KH_OK;
	db->bulk = !ending;
	return err;
}

/* Erasure (privacy requests): SQLite overwrites freed pages on request; in
 * PostgreSQL an overwritten row's old version stays in its page until VACUUM
 * reclaims it (autovacuum, soon after), and in the write-ahead log until that
 * is recycled. There is no per-transaction switch for either, so this does
 * nothing; docs/OPERATIONS.md tells operators what erasure means there. */
static enum kh_err pg_scrub(struct kh_db *db, int on)
{
	(void)db, (void)on;
	return KH_OK;
}

/* Kehu's own advisory locks: the write lock and these share the high half
 * "KEHU", so they cannot meet another application's locks on the database. */
int64_t kh_pg_lock_key(int64_t key)
{
	return (int64_t)((uint64_t)WRITE_LOCK_KEY & 0xffffffff00000000ULL) | (key & 0xffffffff);
}

static enum kh_err pg_try_lock(struct kh_db *db, int64_t key, int *got)
{
	struct kh_val p = KH_VINT(kh_pg_lock_key(key));
	int64_t v = 0;
	enum kh_err err = kh_db_int(db, "SELECT CAST(pg_try_advisory_xact_lock(CAST($1 AS BIGINT)) AS INTEGER)", &p, 1, &v);
	*got = !err && v;
	return err;
}

static void pg_global_init(void)
{
	/* libpq needs no process-wide set-up; it is thread-safe when each thread
	 * uses its own connection (PQisthreadsafe() on Debian's build). */
}

const struct kh_store_ops kh_pg_ops = {
	.name = "postgresql",
	.accepts = pg_accepts,
	.open = pg_open,
	.close = pg_close,
	.query = pg_query,
	.next = pg_next,
	.ncols = pg_ncols,
	.col = pg_col,
	.end = pg_end,
	.changes = pg_changes,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.errmsg = pg_errmsg,
	.last_was_unique_violation = pg_unique,
	.coltype = pg_coltype,
	.pk_decl = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
	.add_reference = pg_add_reference,
	.search_put = kh_pg_search_put,
	.search_del = kh_pg_search_del,
	.search = kh_pg_search,
	.prepare_schema = kh_pg_prepare_schema,
	.bulk = pg_bulk,
	.scrub = pg_scrub,
	.try_lock = pg_try_lock,
	.hold_lock = kh_pg_hold_lock,
	.notify = kh_pg_notify,
	.wait_notify = kh_pg_wait_notify,
	.global_init = pg_global_init,
};
