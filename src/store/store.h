/* The store: the one interface between Kehu and a database engine.
 *
 * A driver (sqlite.c today; pg.c for PostgreSQL) fills a struct kh_store_ops, the
 * way a VFS or an SQLite module does. Everything above this file speaks only
 * through it, with SQL that both engines accept:
 *   - parameters are written $1, $2, ... and bound by number (the SQLite
 *     driver rewrites them to its ?N form), in any order, reused at will;
 *   - identifiers come only from entity metadata, values are always bound;
 *   - what cannot be written portably (column types, the primary key, full-text
 *     search, locking a write transaction) is a driver function here.
 *
 * A struct kh_db is one connection, used by one thread at a time. Each HTTP worker
 * thread owns one, so prepared statements are cached per connection. */
#ifndef KH_STORE_H
#define KH_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

enum kh_vtype { KH_V_NULL = 0, KH_V_INT, KH_V_REAL, KH_V_TEXT };

/* A value going into or coming out of the database. For KH_V_TEXT, s points at
 * n bytes (NUL-terminated when read from a row) owned by whoever made the value:
 * a row's text is valid until the row cursor moves. */
struct kh_val {
	enum kh_vtype t;
	int64_t i;
	double d;
	const char *s;
	size_t n;
};

#define KH_VNULL ((struct kh_val){.t = KH_V_NULL})
#define KH_VINT(x) ((struct kh_val){.t = KH_V_INT, .i = (x)})
#define KH_VTEXT(str) ((struct kh_val){.t = KH_V_TEXT, .s = (str), .n = strlen(str)})
#define KH_VTEXTN(str, len) ((struct kh_val){.t = KH_V_TEXT, .s = (str), .n = (len)})

struct kh_db;
struct kh_rows;

enum kh_tx { KH_TX_READ, KH_TX_WRITE };

/* Told how far a long copy has come: done of total units (pages). */
typedef void (*kh_progress_fn)(void *cls, int64_t done, int64_t total);

/* Column kinds the schema asks a driver to name in its own dialect. */
enum kh_coltype { KH_COL_INT, KH_COL_TEXT, KH_COL_REAL };

/* The phases of a bulk load (kh_store_ops.bulk). */
enum kh_bulk {
	/* Back to normal; completes deferred work such as search indexing: call
	 * it before the load's last commit. */
	KH_BULK_END,
	KH_BULK_LOAD,    /* tuned for loading millions of rows */
	KH_BULK_INDEXES, /* the rows are in: tuned for building their indexes */
	/* As KH_BULK_END, but the deferred work may commit the transaction
	 * between its steps: for a caller whose load is committed already. */
	KH_BULK_END_STEPWISE,
};

struct kh_store_ops {
	const char *name;
	/* 1 if this driver handles the location (a path, or a postgresql:// URI). */
	int (*accepts)(const char *location);
	enum kh_err (*open)(const char *location, int create, struct kh_db **out, char *msg, size_t msglen);
	void (*close)(struct kh_db *db);

	/* Runs sql with params; the caller reads rows with next/col and must call end.
	 * The parameters' text must stay valid until end: it is not copied. */
	enum kh_err (*query)(struct kh_db *db, const char *sql, const struct kh_val *params, int n,
			     struct kh_rows **rows);
	/* 1 when a row is ready, 0 at the end, or -(enum kh_err) on failure. */
	int (*next)(struct kh_rows *rows);
	int (*ncols)(struct kh_rows *rows);
	struct kh_val (*col)(struct kh_rows *rows, int i);
	void (*end)(struct kh_rows *rows);
	/* Number of rows the last statement changed. */
	int64_t (*changes)(struct kh_db *db);

	enum kh_err (*begin)(struct kh_db *db, enum kh_tx mode);
	enum kh_err (*commit)(struct kh_db *db);
	enum kh_err (*rollback)(struct kh_db *db);
	/* The engine's message for the last error on db (for logs, never for clients). */
	const char *(*errmsg)(struct kh_db *db);
	/* 1 if the last error was a unique-constraint violation. */
	int (*last_was_unique_violation)(struct kh_db *db);

	/* Dialect. */
	const char *(*coltype)(enum kh_coltype t);
	const char *pk_decl; /* the declaration of an integer primary key that numbers itself */
	/* Adds the foreign key table.column -> ref(id) if it is not there yet. NULL
	 * for an engine that takes REFERENCES to tables not yet created (SQLite):
	 * the schema then declares them with the column. */
	enum kh_err (*add_reference)(struct kh_db *db, const char *table, const char *column, const char *ref);

	/* Full-text search over records' names, e-mails and phones. doc is the key
	 * (entity code and id, see kh_search_doc); text the words to find it by;
	 * replace is 0 for a new document, which saves looking for an old one. */
	enum kh_err (*search_put)(struct kh_db *db, int64_t doc, const char *text, int replace);
	enum kh_err (*search_del)(struct kh_db *db, int64_t doc);
	/* Rows of one column, the doc keys matching q (any script; CJK substrings
	 * of one or more characters), newest first, at most limit. */
	enum kh_err (*search)(struct kh_db *db, const char *q, int limit, struct kh_rows **rows);
	/* Applies search changes that are waiting (drivers that index later; NULL
	 * for those that index in the writing transaction). */
	enum kh_err (*search_flush)(struct kh_db *db);
	/* Called once after the schema is created or migrated (search tables etc.). */
	enum kh_err (*prepare_schema)(struct kh_db *db);
	/* Tunes the connection for a bulk load, phase by phase (enum kh_bulk). */
	enum kh_err (*bulk)(struct kh_db *db, enum kh_bulk phase);
	/* Erasure mode (on = 1): deleted and overwritten content is zeroed, and on
	 * the way back (0) the write-ahead log is emptied, so erased personal data
	 * does not linger in free pages or old log frames. */
	enum kh_err (*scrub)(struct kh_db *db, int on);
	/* Backup: copies one consistent snapshot of db, taken while others keep
	 * writing, into the database file at path (created, or replaced in one
	 * transaction if it is an earlier backup). Restore: replaces db's contents
	 * with those of the backup at path in one transaction, after checking that
	 * it is a Kehu database that passes an integrity check, and refuses while
	 * another process has db open. progress (may be NULL) hears the pages
	 * done of the total as the copy goes. Both NULL for an engine with its own
	 * tools (PostgreSQL: pg_dump and pg_restore). */
	enum kh_err (*backup)(struct kh_db *db, const char *path, kh_progress_fn progress, void *cls, char *msg,
			      size_t msglen);
	enum kh_err (*restore)(struct kh_db *db, const char *path, kh_progress_fn progress, void *cls, char *msg,
			       size_t msglen);
	/* Servers keep checkpoints off the request path: request connections call
	 * defer_checkpoints once, and a background thread calls checkpoint about
	 * once a second (SQLite: a passive WAL checkpoint; other engines: nothing). */
	void (*defer_checkpoints)(struct kh_db *db);
	void (*checkpoint)(struct kh_db *db);
	/* Tries to take the lock named key, shared by every server on the
	 * database, until the current transaction ends: *got is 1 if this
	 * transaction has it, 0 if another holds it. For work that one server of
	 * many must do at a time; safe behind pgbouncer, since it ends with the
	 * transaction. NULL where one process owns the database (SQLite). */
	enum kh_err (*try_lock)(struct kh_db *db, int64_t key, int *got);
	/* Takes, or checks that this connection still holds, the lock named key
	 * for as long as the connection lives: *held is 1 while it does. It is
	 * how one server of many is chosen to run background work: when that
	 * server dies, its connection and the lock go with it and another takes
	 * it. A connection that loses the lock (the server or the network dropped
	 * it) fails every call until hold_lock is called again, so work begun
	 * under the lock cannot go on without it; that call answers *held = 0
	 * without trying to take it back, and the next one tries. KH_EINVAL where a session lock
	 * cannot be kept (behind pgbouncer in transaction mode); NULL where one
	 * process owns the database (SQLite). */
	enum kh_err (*hold_lock)(struct kh_db *db, int64_t key, int *held);
	/* Notifications between the servers of one database. notify tells every
	 * connection waiting on channel, when the current transaction commits (at
	 * once outside one). wait_notify waits at most timeout_ms for one on this
	 * connection (listening from its first call): 1 when one came, 0 at the
	 * timeout, -1 when it cannot wait (behind pgbouncer in transaction mode,
	 * the connection lost): the caller then polls. Both NULL on SQLite. */
	enum kh_err (*notify)(struct kh_db *db, const char *channel);
	int (*wait_notify)(struct kh_db *db, const char *channel, int timeout_ms);
	/* Process-wide set-up, before any connection is opened. */
	void (*global_init)(void);
};

/* Search documents are keyed by entity and id in one integer. */
#define KH_SEARCH_ENTITY_BITS 6
static inline int64_t kh_search_doc(int entity_index, int64_t id)
{
	return (id << KH_SEARCH_ENTITY_BITS) | entity_index;
}

/* Every driver's connection starts with this header. */
struct kh_db {
	const struct kh_store_ops *ops;
	int in_tx;
	int security_changed; /* this transaction changed who may do what */
	/* Inside a group transaction (kh_db_group_begin) transactions are savepoints. */
	int group;
	int group_security_changed;
};

/* Sets up every driver; call once at start, before any other store call. */
void kh_store_global_init(void);

/* Finds the driver for a location and opens it. */
enum kh_err kh_db_open(const char *location, int create, struct kh_db **out, char *msg, size_t msglen);
void kh_db_close(struct kh_db *db);

static inline enum kh_err kh_db_query(struct kh_db *db, const char *sql, const struct kh_val *p, int n,
				      struct kh_rows **rows)
{
	return db->ops->query(db, sql, p, n, rows);
}
static inline int kh_rows_next(struct kh_db *db, struct kh_rows *r) { return db->ops->next(r); }
static inline struct kh_val kh_rows_col(struct kh_db *db, struct kh_rows *r, int i) { return db->ops->col(r, i); }
static inline void kh_rows_end(struct kh_db *db, struct kh_rows *r) { db->ops->end(r); }

/* Runs a statement that returns no rows (or whose rows are ignored). */
enum kh_err kh_db_exec(struct kh_db *db, const char *sql, const struct kh_val *p, int n);
/* Runs a query expected to return one integer (COUNT, RETURNING id, ...).
 * KH_ENOTFOUND when there is no row. */
enum kh_err kh_db_int(struct kh_db *db, const char *sql, const struct kh_val *p, int n, int64_t *out);
enum kh_err kh_db_begin(struct kh_db *db, enum kh_tx mode);
enum kh_err kh_db_commit(struct kh_db *db);
/* Says that the current transaction (or, outside one, the last statement)
 * changed who may do what: users, roles, teams, API keys, sessions. When it
 * commits, kh_db_security_generation() moves on, which tells this process's
 * caches of sessions to look again. Other processes' caches expire by age. */
void kh_db_security_changed(struct kh_db *db);
/* Group commit: one write transaction holds the transactions begun until
 * kh_db_group_commit, each of which becomes a savepoint (its rollback undoes
 * only itself), so that many small writes share one commit. Nothing in the
 * group is durable, nor visible to other connections, before the group's
 * commit; if that fails, all of it is undone. */
enum kh_err kh_db_group_begin(struct kh_db *db);
enum kh_err kh_db_group_commit(struct kh_db *db);
uint64_t kh_db_security_generation(void);
/* Safe to call when no transaction is open. */
void kh_db_rollback(struct kh_db *db);

extern const struct kh_store_ops kh_sqlite_ops;
extern const struct kh_store_ops kh_pg_ops;

#endif
