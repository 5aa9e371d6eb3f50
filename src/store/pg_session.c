/* What PostgreSQL offers several servers on one database beyond SQL: a lock
 * that lasts as long as a connection (who runs the background work) and
 * notifications between connections (live events for browsers on any server).
 *
 * Both are session state, so they live on two connections of each server that
 * go to PostgreSQL directly: the background worker's and the live events'
 * tail. Behind pgbouncer in transaction mode (kehu_pgbouncer=1) a session is a
 * pooled server connection shared with others, so neither is used: the worker
 * falls back to the lease in kh_leases and the tail to polling kh_events. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "store/pg.h"
#include "util/log.h"

/* A lost server or network must free the lock in seconds, not in the two
 * hours of Linux's default keepalive: PostgreSQL ends the session of a client
 * that stops answering probes (idle 10 s, then 3 probes 5 s apart). */
#define KEEPALIVES "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3"

static enum kh_err try_take(struct kh_db *db, int64_t k, int *held)
{
	struct kh_val p = KH_VINT(k);
	int64_t got = 0;
	enum kh_err err =
		kh_db_int(db, "SELECT CAST(pg_try_advisory_lock(CAST($1 AS BIGINT)) AS INTEGER)", &p, 1, &got);
	if (err || !got)
		return err;
	PGresult *res = PQexec(kh_pg_conn(db), KEEPALIVES);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		kh_warn("postgresql: keepalives for the background-work lock: %s", PQresultErrorMessage(res));
	PQclear(res);
	kh_pg_session(db)->lock_held = 1;
	*held = 1;
	return KH_OK;
}

enum kh_err kh_pg_hold_lock(struct kh_db *db, int64_t key, int *held)
{
	struct kh_pg_session *s = kh_pg_session(db);
	*held = 0;
	if (kh_pg_pooled(db))
		return KH_EINVAL;
	int64_t k = kh_pg_lock_key(key);
	if (s->lock_lost) {
		/* A query found the connection dead while it held the lock: say so
		 * once; the next call reconnects and tries again. */
		s->lock_lost = 0;
		return KH_OK;
	}
	if (s->lock_held) {
		/* Still ours? The server may have ended the session (a restart,
		 * pg_terminate_backend) without libpq having noticed yet. A session
		 * lock on a bigint key shows in pg_locks as its two halves. */
		struct kh_val p = KH_VINT(k);
		int64_t n = 0;
		enum kh_err err = kh_db_int(db,
					    "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "
					    "AND pid = pg_backend_pid() AND granted AND objsubid = 1 "
					    "AND classid::bigint = (CAST($1 AS BIGINT) >> 32) "
					    "AND objid::bigint = (CAST($1 AS BIGINT) & 4294967295)",
					    &p, 1, &n);
		if (!err && n == 1) {
			*held = 1;
			return KH_OK;
		}
		kh_warn("postgresql: this server no longer holds the background-work lock");
		s->lock_held = 0;
		s->lock_lost = 0; /* said now, once */
		return KH_OK; /* lost: the caller decides when to ask again */
	}
	if (!kh_pg_connection_ok(db))
		return kh_pg_fail(db, NULL, "connect");
	return try_take(db, k, held);
}

enum kh_err kh_pg_notify(struct kh_db *db, const char *channel)
{
	struct kh_val p = KH_VTEXT(channel);
	return kh_db_exec(db, "SELECT pg_notify($1, '')", &p, 1);
}

/* Reads what has arrived and empties libpq's queue of notifications: the
 * caller wants to know that something came, not what (the events are rows). */
static int drain(PGconn *c)
{
	int n = 0;
	PGnotify *note;
	while ((note = PQnotifies(c))) {
		PQfreemem(note);
		n++;
	}
	return n;
}

/* Channel names are Kehu's own constants; they go into LISTEN as they are. */
static int plain_name(const char *s)
{
	if (!*s || strlen(s) >= sizeof((struct kh_pg_session *)0)->channel)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_' || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

int kh_pg_wait_notify(struct kh_db *db, const char *channel, int timeout_ms)
{
	struct kh_pg_session *s = kh_pg_session(db);
	if (kh_pg_pooled(db) || !plain_name(channel))
		return -1;
	PGconn *c = kh_pg_conn(db);
	if (strcmp(s->channel, channel)) {
		if (!kh_pg_connection_ok(db))
			return -1;
		char sql[sizeof s->channel + 16];
		snprintf(sql, sizeof sql, "LISTEN %s", channel);
		PGresult *res = PQexec(c, sql);
		int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			kh_pg_fail(db, res, "listen");
		PQclear(res);
		if (!ok)
			return -1;
		/* connection_ok() listens again after a reconnect. */
		snprintf(s->channel, sizeof s->channel, "%s", channel);
	}
	if (PQstatus(c) != CONNECTION_OK)
		return -1; /* the next query reconnects and listens again */
	if (!PQconsumeInput(c))
		return -1;
	if (drain(c))
		return 1;
	struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
	int r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (r == 0)
		return 0;
	if (!PQconsumeInput(c))
		return -1;
	return drain(c) > 0;
}
