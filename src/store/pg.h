/* Internals of the PostgreSQL driver (pg.c, pg_search.c), shared by its files
 * and its unit tests. Everything else uses the driver through store.h. */
#ifndef KH_PG_H
#define KH_PG_H

#include <libpq-fe.h>
#include <stddef.h>

#include "store/store.h"
#include "util/buf.h"

/* Appends the short-query tokens of text to out as the body of a PostgreSQL
 * array literal ({"a","b"}): every CJK character, every pair of adjacent CJK
 * characters, and the first one and two characters of every word, lower-cased
 * (ASCII). They answer the one- and two-character queries that trigrams cannot
 * (see pg_search.c); the same tokens as the SQLite driver's kehu_short tokenizer,
 * with prefixes stored instead of looked up. Duplicates are left out. */
void kh_pg_short_tokens(const char *text, struct kh_buf *out);

/* The tokens a short query (under three characters) must all have, as an array
 * literal: a CJK pair is a bigram, a lone CJK character a unigram, a word its
 * lower-cased self. Returns -1 for an empty or invalid query. */
int kh_pg_query_tokens(const char *q, size_t n, struct kh_buf *out);

/* The search ops of the driver (pg_search.c). */
enum kh_err kh_pg_search_put(struct kh_db *db, int64_t doc, const char *text, int replace);
enum kh_err kh_pg_search_del(struct kh_db *db, int64_t doc);
enum kh_err kh_pg_search(struct kh_db *db, const char *q, int limit, struct kh_rows **rows);
enum kh_err kh_pg_prepare_schema(struct kh_db *db);

/* 1 while the connection is loading in bulk (search documents are buffered). */
int kh_pg_in_bulk(struct kh_db *db);

/* The connection's libpq handle, its buffer of bulk search documents, and its
 * error recorder (which keeps the SQLSTATE and message for errmsg()). */
PGconn *kh_pg_conn(struct kh_db *db);
struct kh_buf *kh_pg_search_buffer(struct kh_db *db);
enum kh_err kh_pg_fail(struct kh_db *db, const PGresult *res, const char *what);

/* What a connection keeps in its session (pg_session.c): the background
 * worker's lock and the channel it listens on, if any. */
struct kh_pg_session {
	int lock_held; /* a session advisory lock is held */
	int lock_lost; /* ... and was lost with the connection: calls fail until hold_lock */
	char channel[64];
};
struct kh_pg_session *kh_pg_session(struct kh_db *db);
/* 1 behind pgbouncer in transaction mode (kehu_pgbouncer=1): no session state. */
int kh_pg_pooled(struct kh_db *db);
/* 1 if the connection is usable, reconnecting it between transactions. */
int kh_pg_connection_ok(struct kh_db *db);
/* Key in Kehu's own space of advisory locks (the high half is "KEHU"). */
int64_t kh_pg_lock_key(int64_t key);

/* The session ops of the driver (pg_session.c). */
enum kh_err kh_pg_hold_lock(struct kh_db *db, int64_t key, int *held);
enum kh_err kh_pg_notify(struct kh_db *db, const char *channel);
int kh_pg_wait_notify(struct kh_db *db, const char *channel, int timeout_ms);

/* Appends s[0..n) to a line of COPY's text format: backslash, tab, newline
 * and carriage return are escaped. */
void kh_pg_copy_field(struct kh_buf *b, const char *s, size_t n);

/* Sends every buffered search document (bulk loads) in one COPY. */
enum kh_err kh_pg_search_flush(struct kh_db *db);

#endif
