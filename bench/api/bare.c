/* The bare server: a second reference for bench/api, the floor Kehu's API is
 * built on. libmicrohttpd with the same thread pool and epoll set-up as
 * `kehu serve`, one SQLite connection per thread with the same page cache
 * (8 MB), answering the two reads the issue sets targets for with the same
 * queries and the same JSON members, and nothing else: no authentication, no
 * permissions or masking, no metrics, no logging, no request arena, no
 * validation of the parameters beyond what keeps it safe.
 *
 *   GET /contacts/{id}             one contact
 *   GET /contacts?city=X[&below=N] 50 contacts of a city, newest first, below id N
 *
 * Its figures say how much of the distance to nginx is Kehu's and how much is
 * SQLite reading rows and the HTTP exchange itself. Built (target bench_bare)
 * and run by bench/api/run.sh; not part of the product.
 *
 *   bench_bare DB PORT THREADS        serve
 *   bench_bare DB --floor N MODE      run the list query N times, no HTTP, and
 *                                     print the CPU time a page; MODE: read
 *                                     (every column, as served), mmap (the same
 *                                     with the file memory-mapped), step (rows
 *                                     stepped, columns not read), ids (only
 *                                     the id selected) */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct out {
	char *p;
	size_t len, cap;
};

static void grow(struct out *o, size_t n)
{
	if (o->len + n <= o->cap)
		return;
	while (o->len + n > o->cap)
		o->cap = o->cap ? o->cap * 2 : 4096;
	o->p = realloc(o->p, o->cap);
	if (!o->p)
		abort();
}

static void add(struct out *o, const char *s, size_t n)
{
	grow(o, n);
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void quote(struct out *o, const unsigned char *s, size_t n)
{
	grow(o, 2 * n + 2);
	o->p[o->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			o->p[o->len++] = '\\';
			o->p[o->len++] = (char)c;
		} else if (c < 0x20) {
			o->len += (size_t)sprintf(o->p + o->len, "\\u%04x", c);
		} else {
			o->p[o->len++] = (char)c;
		}
	}
	o->p[o->len++] = '"';
}

/* A row as a JSON object, every column by its type. */
static void row_json(struct out *o, sqlite3_stmt *st)
{
	add(o, "{", 1);
	int n = sqlite3_column_count(st);
	for (int c = 0; c < n; c++) {
		if (c)
			add(o, ",", 1);
		const char *name = sqlite3_column_name(st, c);
		quote(o, (const unsigned char *)name, strlen(name));
		add(o, ":", 1);
		switch (sqlite3_column_type(st, c)) {
		case SQLITE_NULL: add(o, "null", 4); break;
		case SQLITE_INTEGER: {
			char num[24];
			add(o, num, (size_t)snprintf(num, sizeof num, "%lld", sqlite3_column_int64(st, c)));
			break;
		}
		case SQLITE_FLOAT: {
			char num[32];
			add(o, num, (size_t)snprintf(num, sizeof num, "%.17g", sqlite3_column_double(st, c)));
			break;
		}
		default: {
			const unsigned char *s = sqlite3_column_text(st, c);
			quote(o, s, (size_t)sqlite3_column_bytes(st, c));
		}
		}
	}
	add(o, "}", 1);
}

struct conn {
	sqlite3 *db;
	sqlite3_stmt *get, *list;
};

static const char *db_path;
static char columns[4096];
static pthread_key_t conn_key;

static struct conn *thread_conn(void)
{
	struct conn *k = pthread_getspecific(conn_key);
	if (k)
		return k;
	k = calloc(1, sizeof *k);
	char sql[8192];
	if (!k || sqlite3_open_v2(db_path, &k->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) ||
	    sqlite3_exec(k->db, "PRAGMA cache_size=-8192", NULL, NULL, NULL))
		abort();
	snprintf(sql, sizeof sql, "SELECT %s FROM contacts WHERE id = ?1", columns);
	if (sqlite3_prepare_v3(k->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &k->get, NULL))
		abort();
	snprintf(sql, sizeof sql,
		 "SELECT %s FROM contacts WHERE archived_at IS NULL AND city = ?1 AND id < ?2 ORDER BY id DESC LIMIT 51",
		 columns);
	if (sqlite3_prepare_v3(k->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &k->list, NULL))
		abort();
	pthread_setspecific(conn_key, k);
	return k;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, struct out *o)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(o->len, o->p, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **state)
{
	(void)cls, (void)version, (void)data, (void)size;
	if (!*state) { /* the headers: answer once they are all in */
		*state = c;
		return MHD_YES;
	}
	struct out o = {0};
	struct conn *k = thread_conn();
	unsigned status = 200;
	if (strcmp(method, "GET") != 0) {
		status = 405;
	} else if (strncmp(url, "/contacts/", 10) == 0) {
		sqlite3_bind_int64(k->get, 1, strtoll(url + 10, NULL, 10));
		if (sqlite3_step(k->get) == SQLITE_ROW)
			row_json(&o, k->get);
		else
			status = 404;
		sqlite3_reset(k->get);
	} else if (strcmp(url, "/contacts") == 0) {
		const char *city = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "city");
		const char *below = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "below");
		sqlite3_bind_text(k->list, 1, city ? city : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(k->list, 2, below ? strtoll(below, NULL, 10) : INT64_MAX);
		add(&o, "{\"data\":[", 9);
		int n = 0;
		long long last = 0;
		while (n < 51 && sqlite3_step(k->list) == SQLITE_ROW) {
			if (n == 50)
				break;
			if (n++)
				add(&o, ",", 1);
			row_json(&o, k->list);
			last = sqlite3_column_int64(k->list, 0);
		}
		char tail[64];
		add(&o, tail, (size_t)snprintf(tail, sizeof tail, "],\"next_cursor\":\"%lld\"}", last));
		sqlite3_reset(k->list);
	} else {
		status = 404;
	}
	if (!o.p)
		add(&o, "{}", 2);
	return answer(c, status, &o);
}

/* SQLite's own share of a list page, on one thread. */
static int floor_run(long n, const char *mode)
{
	static const char *const cities[] = {"上海", "北京", "深圳", "广州", "杭州", "成都", "南京", "苏州"};
	int ids = strcmp(mode, "ids") == 0, step_only = strcmp(mode, "step") == 0;
	if (ids)
		snprintf(columns, sizeof columns, "id");
	struct conn *k = thread_conn();
	if (strcmp(mode, "mmap") == 0)
		sqlite3_exec(k->db, "PRAGMA mmap_size=100000000000", NULL, NULL, NULL);
	srand(1);
	long long bytes = 0;
	clock_t c0 = clock();
	for (long i = 0; i < n; i++) {
		sqlite3_bind_text(k->list, 1, cities[rand() % 8], -1, SQLITE_STATIC);
		sqlite3_bind_int64(k->list, 2, 1 + rand() % 1000000);
		while (sqlite3_step(k->list) == SQLITE_ROW) {
			int nc = step_only ? 0 : sqlite3_column_count(k->list);
			for (int c = 0; c < nc; c++)
				if (sqlite3_column_type(k->list, c) != SQLITE_NULL) {
					sqlite3_column_text(k->list, c);
					bytes += sqlite3_column_bytes(k->list, c);
				}
		}
		sqlite3_reset(k->list);
	}
	double us = (double)(clock() - c0) / CLOCKS_PER_SEC * 1e6 / (double)n;
	printf("%s: %.1f us of CPU a page of 51 rows (%ld pages, %lld bytes of columns)\n", mode, us, n, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4 && !(argc == 5 && strcmp(argv[2], "--floor") == 0)) {
		fprintf(stderr, "usage: bench_bare DB PORT THREADS | bench_bare DB --floor N read|mmap|step|ids\n");
		return 2;
	}
	db_path = argv[1];
	sqlite3 *db;
	sqlite3_stmt *st;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT group_concat(name, ',') FROM pragma_table_info('contacts')", -1, &st, NULL) ||
	    sqlite3_step(st) != SQLITE_ROW) {
		fprintf(stderr, "bare: cannot read %s: %s\n", db_path, sqlite3_errmsg(db));
		return 1;
	}
	snprintf(columns, sizeof columns, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	pthread_key_create(&conn_key, NULL);
	if (argc == 5)
		return floor_run(atol(argv[3]), argv[4]);
	/* Blocked before the pool starts, so that only main's sigwait takes them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
						on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
						MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[3]),
						MHD_OPTION_CONNECTION_LIMIT, (unsigned)10000,
						MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "bare: cannot listen on port %s\n", argv[2]);
		return 1;
	}
	printf("serving on 127.0.0.1:%s\n", argv[2]);
	fflush(stdout);
	int sig;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
