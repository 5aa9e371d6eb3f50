/* Unit tests of the PostgreSQL driver: its search tokens (always), and, when a
 * server is there (KEHU_TEST_PG_URI, or the cluster that ctest started, named
 * by KEHU_TEST_PG_STATE), the driver itself on a fresh database: schema,
 * values and their types, errors, transactions, the statement cache, unnamed
 * statements for pgbouncer, reconnection and search. Without a server the
 * server tests say "skipped" and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/auth.h"
#include "domain/write.h"
#include "model/entity.h"
#include "model/schema.h"
#include "store/pg.h"
#include "store/store.h"

static char admin_uri[512]; /* the cluster's maintenance database */
static char test_uri[600];  /* the database these tests own */
static char dbname[64];
static int have_server;

static int admin_exec(const char *sql)
{
	PGconn *c = PQconnectdb(admin_uri);
	int ok = PQstatus(c) == CONNECTION_OK;
	if (ok) {
		PGresult *r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "test_pg: %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return ok ? 0 : -1;
}

/* Finds the server and makes a database for this run, or says why not. */
static void find_server(void)
{
	const char *uri = getenv("KEHU_TEST_PG_URI"), *state = getenv("KEHU_TEST_PG_STATE");
	if (uri && *uri) {
		snprintf(admin_uri, sizeof admin_uri, "%s", uri);
	} else if (state && *state) {
		char path[512];
		snprintf(path, sizeof path, "%s/uri", state);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(admin_uri, sizeof admin_uri, f))
				admin_uri[strcspn(admin_uri, "\n")] = '\0';
			fclose(f);
		}
	}
	if (!admin_uri[0]) {
		printf("skipped: no PostgreSQL server (set KEHU_TEST_PG_URI, or run through ctest, which starts one)\n");
		return;
	}
	snprintf(dbname, sizeof dbname, "kehu_unit_%d", (int)getpid());
	char sql[128];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
	if (admin_exec(sql)) {
		printf("skipped: the PostgreSQL server at %s does not answer\n", admin_uri);
		return;
	}
	/* Same server, our database: replace the path of the URI. */
	const char *slash = strstr(admin_uri, "://");
	slash = slash ? strchr(slash + 3, '/') : NULL;
	int host_len = slash ? (int)(slash - admin_uri) : (int)strlen(admin_uri);
	snprintf(test_uri, sizeof test_uri, "%.*s/%s", host_len, admin_uri, dbname);
	have_server = 1;
}

static void drop_database(void)
{
	if (!have_server)
		return;
	char sql[128];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	admin_exec(sql);
}

/* ---- tokens: no server needed ---- */

static int has_token(const char *array, const char *tok)
{
	char quoted[64];
	snprintf(quoted, sizeof quoted, "\"%s\"", tok);
	return strstr(array, quoted) != NULL;
}

static void test_document_tokens(void **state)
{
	(void)state;
	struct kh_buf b = KH_BUF_INIT;
	kh_pg_short_tokens("张三丰\tZhang Sanfeng\tsanfeng@wudang.cn\t13900001234", &b);
	const char *want[] = {"张", "张三", "三", "三丰", "丰", "z", "zh", "s", "sa", "w", "wu", "c", "cn", "1", "13"};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		assert_true(has_token(b.data, want[i]));
	assert_false(has_token(b.data, "张三丰")); /* three characters: the trigram index's job */
	assert_false(has_token(b.data, "Zh"));      /* lower-cased */
	assert_false(has_token(b.data, "丰Z"));
	/* "s" and "sa" come from both Sanfeng and sanfeng: each once. */
	assert_non_null(strstr(b.data, "\"sa\""));
	assert_null(strstr(strstr(b.data, "\"sa\"") + 1, "\"sa\""));
	assert_int_equal(b.data[0], '{');
	assert_int_equal(b.data[b.len - 1], '}');
	kh_buf_release(&b);

	kh_pg_short_tokens("", &b);
	assert_string_equal(b.data, "{}");
	kh_buf_release(&b);
}

static void test_query_tokens(void **state)
{
	(void)state;
	struct kh_buf b = KH_BUF_INIT;
	assert_int_equal(kh_pg_query_tokens("三丰", strlen("三丰"), &b), 0);
	assert_string_equal(b.data, "{\"三丰\"}");
	kh_buf_release(&b);
	assert_int_equal(kh_pg_query_tokens("丰", strlen("丰"), &b), 0);
	assert_string_equal(b.data, "{\"丰\"}");
	kh_buf_release(&b);
	assert_int_equal(kh_pg_query_tokens("Zh", 2, &b), 0);
	assert_string_equal(b.data, "{\"zh\"}");
	kh_buf_release(&b);
	assert_int_equal(kh_pg_query_tokens("-.", 2, &b), -1); /* nothing to look for */
	kh_buf_release(&b);
	assert_int_equal(kh_pg_query_tokens("\xff", 1, &b), -1); /* not UTF-8 */
	kh_buf_release(&b);
}

/* ---- the driver on a server ---- */

struct fixture {
	struct kh_db *db;
	struct kh_arena arena;
	struct kh_errinfo ei;
	struct kh_principal who;
	struct kh_ctx ctx;
};

static int setup(void **state)
{
	if (!have_server) {
		*state = NULL;
		return 0;
	}
	struct fixture *f = calloc(1, sizeof *f);
	char msg[256];
	int applied;
	if (!f || kh_db_open(test_uri, 1, &f->db, msg, sizeof msg) || kh_migrate(f->db, &applied, msg, sizeof msg)) {
		fprintf(stderr, "test_pg: %s\n", msg);
		free(f);
		return -1;
	}
	kh_arena_init(&f->arena);
	kh_errinfo_init(&f->ei, &f->arena);
	f->who = (struct kh_principal){.user_id = 0, .username = "test", .role = "admin", .is_admin = 1};
	f->ctx = (struct kh_ctx){.db = f->db, .who = &f->who, .arena = &f->arena, .ei = &f->ei};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (!f)
		return 0;
	kh_db_close(f->db);
	kh_arena_release(&f->arena);
	free(f);
	return 0;
}

#define NEED_SERVER(f)                                                                                                 \
	do {                                                                                                           \
		if (!(f)) {                                                                                            \
			printf("skipped: no PostgreSQL server\n");                                                     \
			skip();                                                                                        \
		}                                                                                                      \
	} while (0)

static int64_t count(struct fixture *f, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(kh_db_int(f->db, sql, NULL, 0, &n), KH_OK);
	return n;
}

static enum kh_err create(struct fixture *f, const char *entity, const char *json, int64_t *id)
{
	json_t *j = json_loads(json, 0, NULL);
	kh_errinfo_init(&f->ei, &f->arena);
	enum kh_err err = kh_record_create(&f->ctx, kh_entity_find(entity), j, id);
	json_decref(j);
	return err;
}

static void test_values_and_types(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	struct kh_rows *rows;
	struct kh_val p[4] = {KH_VINT(-42), KH_VTEXTN("héllo, 世界", strlen("héllo, 世界")), KH_VNULL,
			      {.t = KH_V_REAL, .d = 2.5}};
	/* Text given with a length and no NUL of its own must arrive whole. */
	p[1].n = strlen("héllo");
	assert_int_equal(kh_db_query(f->db,
				     "SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS TEXT), "
				     "CAST($4 AS DOUBLE PRECISION), 1 = 1, sum(x), avg(x) "
				     "FROM (VALUES (CAST(1 AS BIGINT)), (2)) AS t(x)",
				     p, 4, &rows),
			 KH_OK);
	assert_int_equal(kh_rows_next(f->db, rows), 1);
	struct kh_val v = kh_rows_col(f->db, rows, 0);
	assert_int_equal(v.t, KH_V_INT);
	assert_int_equal(v.i, -42);
	v = kh_rows_col(f->db, rows, 1);
	assert_int_equal(v.t, KH_V_TEXT);
	assert_string_equal(v.s, "héllo");
	assert_int_equal(v.n, strlen("héllo"));
	assert_int_equal(kh_rows_col(f->db, rows, 2).t, KH_V_NULL);
	v = kh_rows_col(f->db, rows, 3);
	assert_int_equal(v.t, KH_V_REAL);
	assert_true(v.d == 2.5);
	v = kh_rows_col(f->db, rows, 4); /* a boolean is 1 or 0, as in SQLite */
	assert_int_equal(v.t, KH_V_INT);
	assert_int_equal(v.i, 1);
	v = kh_rows_col(f->db, rows, 5); /* sum of bigints is a numeric: an integer here */
	assert_int_equal(v.t, KH_V_INT);
	assert_int_equal(v.i, 3);
	v = kh_rows_col(f->db, rows, 6); /* avg is a numeric with a point: a real */
	assert_int_equal(v.t, KH_V_REAL);
	assert_true(v.d == 1.5);
	assert_int_equal(kh_rows_next(f->db, rows), 0);
	kh_rows_end(f->db, rows);
}

static void test_records_errors_and_transactions(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	int64_t id, id2;
	assert_int_equal(create(f, "products", "{\"name\":\"Tea\",\"sku\":\"T-1\",\"unit_price\":1200}", &id), KH_OK);
	assert_true(id > 0);
	/* The unique index behind validation: a duplicate sku straight into SQL is
	 * a conflict, recognised as a unique violation (SQLSTATE 23505). */
	struct kh_val p[3] = {KH_VTEXT("Tea 2"), KH_VTEXT("T-1"), KH_VTEXT("2026-01-01T00:00:00Z")};
	enum kh_err err = kh_db_exec(f->db,
				     "INSERT INTO products (name, sku, created_at, updated_at, version) "
				     "VALUES ($1, $2, $3, $3, 1)",
				     p, 3);
	assert_int_equal(err, KH_ECONFLICT);
	assert_true(f->db->ops->last_was_unique_violation(f->db));
	/* A reference to nothing is a conflict too, but not a unique violation. */
	struct kh_val q[2] = {KH_VINT(999999), KH_VTEXT("2026-01-01T00:00:00Z")};
	err = kh_db_exec(f->db,
			 "INSERT INTO contacts (name, account_id, created_at, updated_at, version) VALUES ('x', $1, $2, $2, 1)",
			 q, 2);
	assert_int_equal(err, KH_ECONFLICT);
	assert_false(f->db->ops->last_was_unique_violation(f->db));
	assert_non_null(strstr(f->db->ops->errmsg(f->db), "foreign key"));

	/* A failed statement inside a transaction: the whole transaction goes, and
	 * a commit of it is refused rather than passed off as done. */
	int64_t before = count(f, "SELECT count(*) FROM products");
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_OK);
	assert_int_equal(create(f, "products", "{\"name\":\"Coffee\",\"sku\":\"C-1\",\"unit_price\":900}", &id2), KH_OK);
	assert_int_equal(kh_db_exec(f->db, "SELECT no_such_column FROM products", NULL, 0), KH_EDB);
	assert_int_not_equal(kh_db_commit(f->db), KH_OK);
	assert_int_equal(f->db->in_tx, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM products"), before);

	/* A rolled-back write leaves nothing, a committed one stays. */
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_OK);
	assert_int_equal(create(f, "products", "{\"name\":\"Milk\",\"sku\":\"M-1\",\"unit_price\":500}", &id2), KH_OK);
	kh_db_rollback(f->db);
	assert_int_equal(count(f, "SELECT count(*) FROM products"), before);
	assert_int_equal(create(f, "products", "{\"name\":\"Milk\",\"sku\":\"M-1\",\"unit_price\":500}", &id2), KH_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM products"), before + 1);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_audit WHERE entity = 'products'"), 2);
}

static void test_statement_cache(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	/* More distinct statements than the cache holds, then the first again:
	 * evicted statements are deallocated on the server and prepared anew. */
	char sql[64];
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 300; i++) {
			snprintf(sql, sizeof sql, "SELECT %d + CAST($1 AS BIGINT)", i);
			struct kh_val p = KH_VINT(round);
			int64_t v;
			assert_int_equal(kh_db_int(f->db, sql, &p, 1, &v), KH_OK);
			assert_int_equal(v, i + round);
		}
	/* The server holds at most the cache's worth of them. */
	int64_t prepared = count(f, "SELECT count(*) FROM pg_prepared_statements");
	assert_true(prepared > 0 && prepared <= 128);
}

static void test_unnamed_statements(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	/* pgbouncer in transaction mode: no named statement may be left behind. */
	char uri[700], msg[256];
	snprintf(uri, sizeof uri, "%s?kehu_pgbouncer=1&application_name=kehu-unit", test_uri);
	struct kh_db *db;
	assert_int_equal(kh_db_open(uri, 0, &db, msg, sizeof msg), KH_OK);
	int64_t n = -1;
	assert_int_equal(kh_db_int(db, "SELECT count(*) FROM users", NULL, 0, &n), KH_OK);
	assert_int_equal(kh_db_int(db, "SELECT count(*) FROM pg_prepared_statements", NULL, 0, &n), KH_OK);
	assert_int_equal(n, 0);
	struct kh_rows *rows;
	assert_int_equal(kh_db_query(db, "SELECT current_setting('application_name')", NULL, 0, &rows), KH_OK);
	assert_int_equal(kh_rows_next(db, rows), 1);
	assert_string_equal(kh_rows_col(db, rows, 0).s, "kehu-unit"); /* the rest of the URI still counts */
	kh_rows_end(db, rows);
	kh_db_close(db);
}

static void test_reconnects_between_transactions(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	int64_t pid = 0, pid2 = 0, one;
	assert_int_equal(kh_db_int(f->db, "SELECT pg_backend_pid()", NULL, 0, &pid), KH_OK);
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
	PGconn *c = PQconnectdb(test_uri);
	PQclear(PQexec(c, sql));
	PQfinish(c);
	usleep(100 * 1000);
	/* The first statement finds the connection dead and fails (or succeeds if
	 * libpq already noticed); the next one is on a new connection. */
	(void)kh_db_int(f->db, "SELECT 1", NULL, 0, &one);
	assert_int_equal(kh_db_int(f->db, "SELECT pg_backend_pid()", NULL, 0, &pid2), KH_OK);
	assert_true(pid2 != pid);
	assert_int_equal(count(f, "SELECT count(*) FROM users"), count(f, "SELECT count(*) FROM users"));
}

static void test_try_lock(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	char msg[256];
	struct kh_db *other;
	assert_int_equal(kh_db_open(test_uri, 0, &other, msg, sizeof msg), KH_OK);
	int got = -1;
	assert_int_equal(kh_db_begin(f->db, KH_TX_READ), KH_OK);
	assert_int_equal(f->db->ops->try_lock(f->db, 7, &got), KH_OK);
	assert_int_equal(got, 1);
	/* Another connection (another server) does not get it meanwhile... */
	assert_int_equal(kh_db_begin(other, KH_TX_READ), KH_OK);
	assert_int_equal(other->ops->try_lock(other, 7, &got), KH_OK);
	assert_int_equal(got, 0);
	assert_int_equal(other->ops->try_lock(other, 8, &got), KH_OK); /* another name is free */
	assert_int_equal(got, 1);
	kh_db_rollback(other);
	/* ...and does once the holder's transaction has ended. */
	assert_int_equal(kh_db_commit(f->db), KH_OK);
	assert_int_equal(kh_db_begin(other, KH_TX_READ), KH_OK);
	assert_int_equal(other->ops->try_lock(other, 7, &got), KH_OK);
	assert_int_equal(got, 1);
	kh_db_rollback(other);
	kh_db_close(other);
}

static void terminate(struct kh_db *db)
{
	int64_t pid = 0;
	assert_int_equal(kh_db_int(db, "SELECT pg_backend_pid()", NULL, 0, &pid), KH_OK);
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld, 5000)", (long long)pid);
	PGconn *c = PQconnectdb(test_uri);
	PQclear(PQexec(c, sql));
	PQfinish(c);
}

static void test_hold_lock(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	char msg[256];
	struct kh_db *other;
	assert_int_equal(kh_db_open(test_uri, 0, &other, msg, sizeof msg), KH_OK);
	int held = -1;
	assert_int_equal(f->db->ops->hold_lock(f->db, 9, &held), KH_OK);
	assert_int_equal(held, 1);
	/* Kept across transactions and asked again: still ours, and only ours. */
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_OK);
	assert_int_equal(kh_db_commit(f->db), KH_OK);
	assert_int_equal(f->db->ops->hold_lock(f->db, 9, &held), KH_OK);
	assert_int_equal(held, 1);
	assert_int_equal(other->ops->hold_lock(other, 9, &held), KH_OK);
	assert_int_equal(held, 0);
	/* The holder's session ends (its server died): the lock is free for the
	 * other at once, and the old holder's connection refuses work until it
	 * asks for the lock again, which it then does not get. */
	terminate(f->db);
	assert_int_equal(other->ops->hold_lock(other, 9, &held), KH_OK);
	assert_int_equal(held, 1);
	int64_t one = 0;
	(void)kh_db_int(f->db, "SELECT 1", NULL, 0, &one); /* finds the connection dead */
	assert_int_not_equal(kh_db_int(f->db, "SELECT 1", NULL, 0, &one), KH_OK);
	assert_int_equal(f->db->ops->hold_lock(f->db, 9, &held), KH_OK);
	assert_int_equal(held, 0);
	assert_int_equal(kh_db_int(f->db, "SELECT 1", NULL, 0, &one), KH_OK); /* a new connection */
	kh_db_close(other);
	/* Closed with its holder: the lock is free again (once the server has
	 * ended that session, which it does after the client has gone). */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(f->db->ops->hold_lock(f->db, 9, &held), KH_OK);
		if (held)
			break;
		usleep(25 * 1000);
	}
	assert_int_equal(held, 1);
	/* Behind pgbouncer there is no session to keep it in. */
	char uri[700];
	snprintf(uri, sizeof uri, "%s?kehu_pgbouncer=1", test_uri);
	assert_int_equal(kh_db_open(uri, 0, &other, msg, sizeof msg), KH_OK);
	assert_int_equal(other->ops->hold_lock(other, 9, &held), KH_EINVAL);
	assert_int_equal(held, 0);
	assert_int_equal(other->ops->wait_notify(other, "kehu_events", 0), -1);
	kh_db_close(other);
}

static void test_notifications(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	char msg[256];
	struct kh_db *other;
	assert_int_equal(kh_db_open(test_uri, 0, &other, msg, sizeof msg), KH_OK);
	assert_int_equal(f->db->ops->wait_notify(f->db, "kh_test", 0), 0); /* listens, nothing yet */
	assert_int_equal(f->db->ops->wait_notify(f->db, "Bad Name;", 0), -1);
	/* Sent when the transaction commits, not before, and not at all if it rolls back. */
	assert_int_equal(kh_db_begin(other, KH_TX_WRITE), KH_OK);
	assert_int_equal(other->ops->notify(other, "kh_test"), KH_OK);
	assert_int_equal(f->db->ops->wait_notify(f->db, "kh_test", 200), 0);
	kh_db_rollback(other);
	assert_int_equal(f->db->ops->wait_notify(f->db, "kh_test", 200), 0);
	assert_int_equal(kh_db_begin(other, KH_TX_WRITE), KH_OK);
	assert_int_equal(other->ops->notify(other, "kh_test"), KH_OK);
	assert_int_equal(kh_db_commit(other), KH_OK);
	assert_int_equal(f->db->ops->wait_notify(f->db, "kh_test", 5000), 1);
	assert_int_equal(f->db->ops->wait_notify(f->db, "kh_test", 0), 0); /* each one once */
	/* Queries between waits keep what arrives meanwhile. */
	assert_int_equal(other->ops->notify(other, "kh_test"), KH_OK);
	int64_t one;
	assert_int_equal(kh_db_int(f->db, "SELECT pg_sleep(0.1), 1", NULL, 0, &one), KH_OK);
	assert_int_equal(f->db->ops->wait_notify(f->db, "kh_test", 5000), 1);
	/* A reconnected listener listens again. */
	terminate(f->db);
	(void)kh_db_int(f->db, "SELECT 1", NULL, 0, &one);
	assert_int_equal(kh_db_int(f->db, "SELECT 1", NULL, 0, &one), KH_OK);
	assert_int_equal(other->ops->notify(other, "kh_test"), KH_OK);
	assert_int_equal(f->db->ops->wait_notify(f->db, "kh_test", 5000), 1);
	kh_db_close(other);
}

static void test_read_snapshot(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	/* A read transaction sees one snapshot, as in SQLite: what another
	 * connection commits meanwhile appears only after it ends. */
	char msg[256];
	struct kh_db *other;
	assert_int_equal(kh_db_open(test_uri, 0, &other, msg, sizeof msg), KH_OK);
	assert_int_equal(kh_db_begin(f->db, KH_TX_READ), KH_OK);
	int64_t before = count(f, "SELECT count(*) FROM kh_counters");
	struct kh_val p = KH_VTEXT("snapshot-test");
	assert_int_equal(kh_db_exec(other, "INSERT INTO kh_counters (name, value) VALUES ($1, 1)", &p, 1), KH_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_counters"), before);
	assert_int_equal(kh_db_commit(f->db), KH_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_counters"), before + 1);
	kh_db_close(other);
}

static void test_search(void **state)
{
	struct fixture *f = *state;
	NEED_SERVER(f);
	int64_t a, b, c;
	assert_int_equal(create(f, "contacts", "{\"name\":\"张三丰\",\"email\":\"sanfeng@wudang.cn\"}", &a), KH_OK);
	assert_int_equal(create(f, "contacts", "{\"name\":\"Zhang Wuji\",\"mobile\":\"139-0000-1234\"}", &b), KH_OK);
	assert_int_equal(create(f, "accounts", "{\"name\":\"100%_真\"}", &c), KH_OK);
	struct {
		const char *q;
		int64_t want, not;
	} cases[] = {
		{"张三丰", a, b}, {"张三", a, b}, {"三丰", a, b}, {"丰", a, b},  {"wudang", a, b},
		{"Zh", b, a},     {"wuji", b, a}, {"0000-12", b, a}, {"00001234", b, a}, {"%_真", c, a},
		{"100", c, a},    {"真", c, a},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct kh_rows *rows;
		assert_int_equal(f->db->ops->search(f->db, cases[i].q, 10, &rows), KH_OK);
		int found = 0, wrong = 0, rc;
		while ((rc = kh_rows_next(f->db, rows)) > 0) {
			int64_t id = kh_rows_col(f->db, rows, 0).i >> KH_SEARCH_ENTITY_BITS;
			found |= id == cases[i].want;
			wrong |= id == cases[i].not;
		}
		kh_rows_end(f->db, rows);
		if (!found || wrong)
			fail_msg("'%s': found %d, wrong %d", cases[i].q, found, wrong);
	}
	/* "%" alone is no wildcard: it finds only text with a % in it. */
	struct kh_rows *rows;
	assert_int_equal(f->db->ops->search(f->db, "%%%", 10, &rows), KH_OK);
	assert_int_equal(kh_rows_next(f->db, rows), 0);
	kh_rows_end(f->db, rows);
	assert_int_equal(f->db->ops->search(f->db, "  ", 10, &rows), KH_EINVAL);
}

static void test_refuses_foreign_databases(void **state)
{
	(void)state;
	if (!have_server) {
		printf("skipped: no PostgreSQL server\n");
		skip();
	}
	char sql[160], uri[700], msg[300];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s_other", dbname);
	assert_int_equal(admin_exec(sql), 0);
	snprintf(uri, sizeof uri, "%s_other", test_uri);
	struct kh_db *db = NULL;
	/* Empty: not a Kehu database unless asked to create one. */
	assert_int_equal(kh_db_open(uri, 0, &db, msg, sizeof msg), KH_EINVAL);
	assert_non_null(strstr(msg, "kehu init"));
	/* Another application's tables: never touched. */
	PGconn *c = PQconnectdb(uri);
	PQclear(PQexec(c, "CREATE TABLE mine (x int)"));
	PQfinish(c);
	assert_int_equal(kh_db_open(uri, 1, &db, msg, sizeof msg), KH_EINVAL);
	assert_non_null(strstr(msg, "another application"));
	/* A server that is not there: a clear message, not a crash. */
	assert_int_equal(kh_db_open("postgresql://kehu@127.0.0.1:1/none?connect_timeout=2", 0, &db, msg, sizeof msg),
			 KH_EIO);
	assert_non_null(strstr(msg, "cannot connect to PostgreSQL"));
	snprintf(sql, sizeof sql, "DROP DATABASE %s_other WITH (FORCE)", dbname);
	assert_int_equal(admin_exec(sql), 0);
}

int main(void)
{
	if (kh_model_init() || kh_auth_init())
		return 1;
	kh_store_global_init();
	find_server();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document_tokens),
		cmocka_unit_test(test_query_tokens),
		cmocka_unit_test_setup_teardown(test_values_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_errors_and_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnects_between_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_try_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search, setup, teardown),
		cmocka_unit_test(test_refuses_foreign_databases),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	drop_database();
	kh_model_free();
	return rc;
}
