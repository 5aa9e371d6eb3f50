#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "domain/auth.h"
#include "model/permission.h"
#include "http/dbpool.h"
#include "http/metrics.h"
#include "http/replicas.h"
#include "http/request.h"
#include "http/router.h"
#include "http/sse.h"
#include "domain/scheduler.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/words.h"

struct kh_server {
	const struct kh_config *cfg;
	struct MHD_Daemon *d;
	struct kh_sse_hub *sse;
	struct kh_scheduler *scheduler;
	pthread_key_t db_key;
	/* PostgreSQL: requests run on a pool of database workers (http/dbpool.h),
	 * and reads may go to replicas (http/replicas.h), one connection to each
	 * per worker. */
	struct kh_dbpool *pool;
	/* SQLite: the short writes (KH_R_WRITER routes) run one after another on
	 * one writer thread with its own connection. Taking turns on a lock, the
	 * two HTTP threads each waited to be woken and scheduled before the next
	 * write could start, and idled the one writer SQLite allows: creates at a
	 * million contacts ran at 3,700/s on two threads, fewer than on one. */
	struct kh_dbpool *writer;
	pthread_key_t read_key;
	char *read_dbs[KH_MAX_READ_DBS];
	int nread_dbs;
	atomic_int inflight;
	int port;
};

/* ---- per-thread database connections ---- */

static void close_thread_db(void *db)
{
	kh_db_close(db);
}

static struct kh_db *thread_db(struct kh_server *s, struct kh_errinfo *ei)
{
	struct kh_db *db = pthread_getspecific(s->db_key);
	if (db)
		return db;
	char msg[512];
	if (kh_db_open(s->cfg->db, 0, &db, msg, sizeof msg)) {
		kh_error("cannot open the database: %s", msg);
		kh_errinfo_set(ei, KH_EBUSY, "the database is not available");
		return NULL;
	}
	if (db->ops->defer_checkpoints)
		db->ops->defer_checkpoints(db);
	pthread_setspecific(s->db_key, db);
	return db;
}

/* A thread's connections to the read replicas, opened when first needed. */
struct read_conns {
	struct kh_db *db[KH_MAX_READ_DBS];
	int64_t down_until[KH_MAX_READ_DBS]; /* kh_monotonic_us() before which a failed replica is not tried */
	unsigned next;                       /* round robin over the replicas */
};

static void close_read_conns(void *p)
{
	struct read_conns *rc = p;
	for (int i = 0; i < KH_MAX_READ_DBS; i++)
		kh_db_close(rc->db[i]);
	free(rc);
}

/* A replica for this thread's next read, or NULL (then the primary serves it):
 * a replica that cannot be reached is skipped, and tried again later. */
static struct kh_db *thread_read_db(struct kh_server *s)
{
	struct read_conns *rc = pthread_getspecific(s->read_key);
	if (!rc) {
		rc = calloc(1, sizeof *rc);
		if (!rc)
			return NULL;
		pthread_setspecific(s->read_key, rc);
	}
	for (int tries = 0; tries < s->nread_dbs; tries++) {
		int i = (int)(rc->next++ % (unsigned)s->nread_dbs);
		if (rc->down_until[i] > kh_monotonic_us())
			continue;
		if (!rc->db[i]) {
			char msg[512];
			if (kh_db_open(s->read_dbs[i], 0, &rc->db[i], msg, sizeof msg)) {
				kh_warn("read replica %d: %s", i + 1, msg);
				rc->db[i] = NULL;
				rc->down_until[i] = kh_monotonic_us() + 5 * 1000000;
				continue;
			}
		}
		return rc->db[i];
	}
	return NULL;
}

/* A replica that failed a read is closed and left alone for 5 s. */
static void replica_failed(struct kh_server *s, struct kh_db *db)
{
	struct read_conns *rc = pthread_getspecific(s->read_key);
	for (int i = 0; rc && i < s->nread_dbs; i++)
		if (rc->db[i] == db) {
			kh_warn("read replica %d failed (%s); reading from the primary for 5 s", i + 1, db->ops->errmsg(db));
			kh_db_close(db);
			rc->db[i] = NULL;
			rc->down_until[i] = kh_monotonic_us() + 5 * 1000000;
		}
}

/* ---- request helpers (request.h) ---- */

const char *kh_req_arg(struct kh_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *kh_req_header(struct kh_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct args_cls {
	void (*fn)(void *, const char *, const char *);
	void *cls;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct args_cls *a = cls;
	a->fn(a->cls, key, value);
	return MHD_YES;
}

void kh_req_args(struct kh_req *r, void (*fn)(void *, const char *, const char *), void *cls)
{
	struct args_cls a = {fn, cls};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, each_arg, &a);
}

struct arg_check {
	const char *list; /* the route's parameters, or KH_ARGS_OWN */
	const char *not_utf8, *undeclared;
};

static void check_arg(void *cls, const char *key, const char *value)
{
	struct arg_check *c = cls;
	if (!kh_utf8_valid_str(key) || (value && !kh_utf8_valid_str(value))) {
		if (!c->not_utf8) /* its name is echoed only if it is UTF-8 itself */
			c->not_utf8 = kh_utf8_valid_str(key) ? key : "query";
	} else if (!c->undeclared && c->list != KH_ARGS_OWN && !kh_words_has(c->list, key)) {
		c->undeclared = key;
	}
}

/* Every route's query parameters must be UTF-8 (the error body never carries
 * bytes that are not); and a route that declares its parameters refuses any
 * other, so that a misspelt ?thresold=0.5 is an error and not a silent
 * default. Routes whose handler checks its own (lists: any field of the
 * entity) declare KH_ARGS_OWN. */
static enum kh_err check_args(struct kh_req *r, const struct kh_route *rt)
{
	struct arg_check c = {rt->args, NULL, NULL};
	kh_req_args(r, check_arg, &c);
	if (c.not_utf8) {
		kh_errinfo_set(&r->ei, KH_EINVAL, "a query parameter is not valid");
		kh_errinfo_field(&r->ei, c.not_utf8, "is not valid UTF-8");
		return KH_EINVAL;
	}
	if (!c.undeclared)
		return KH_OK;
	kh_errinfo_set(&r->ei, KH_EINVAL, "unknown query parameter %s", c.undeclared);
	struct kh_buf names = KH_BUF_INIT;
	kh_words_join(rt->args, " ", &names);
	kh_errinfo_field(&r->ei, c.undeclared, "unknown parameter; this route takes %s",
			 names.len ? names.data : "none");
	kh_buf_release(&names);
	return KH_EINVAL;
}

enum kh_err kh_req_link_key(struct kh_req *r)
{
	size_t n = r->key ? strlen(r->key) : 0;
	for (size_t i = 0; i < n; i++) {
		char c = r->key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			n = 0;
	}
	return n && n <= 64 ? KH_OK : kh_req_fail(r, KH_ENOTFOUND, "this survey link is unknown or has expired");
}

enum kh_err kh_req_fail(struct kh_req *r, enum kh_err err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return kh_errinfo_set(&r->ei, err, "%s", msg);
}

void kh_req_write_error(struct kh_req *r)
{
	enum kh_err err = r->ei.code ? r->ei.code : KH_EINTERNAL;
	r->status = kh_err_http_status(err);
	kh_buf_reset(&r->out);
	kh_jw_init(&r->jw, &r->out);
	struct kh_jw *w = &r->jw;
	kh_jw_obj(w);
	kh_jw_key(w, "error");
	kh_jw_obj(w);
	kh_jw_key(w, "code");
	kh_jw_str(w, kh_err_code(err));
	kh_jw_key(w, "message");
	/* Internal details stay in the log; clients get the kind of failure. */
	kh_jw_str(w, r->status >= 500 || !r->ei.msg ? kh_strerror(err) : r->ei.msg);
	if (r->ei.nfields) {
		kh_jw_key(w, "fields");
		kh_jw_obj(w);
		for (int i = 0; i < r->ei.nfields; i++) {
			kh_jw_key(w, r->ei.fields[i].field);
			kh_jw_str(w, r->ei.fields[i].msg);
		}
		kh_jw_obj_end(w);
	}
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
	if (r->status >= 500) {
		kh_metrics_db_error();
		kh_error("%s %s: %s: %s", kh_method_name(r->method), r->url, kh_err_code(err),
			 r->ei.msg ? r->ei.msg : "");
	}
}

/* ---- the request pipeline ---- */

static int is_json_type(const char *ct)
{
	if (!ct)
		return 0;
	size_t n = strlen("application/json");
	return !strncasecmp(ct, "application/json", n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum kh_err authenticate(struct kh_server *s, struct kh_req *r)
{
	const char *h = kh_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7))
		return kh_req_fail(r, KH_EAUTH, "this route needs an Authorization: Bearer <token> header");
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	struct kh_auth_policy policy = {.idle_seconds = s->cfg->session_idle};
	enum kh_err err = kh_session_lookup(r->ctx.db, tok, strlen(tok), &policy, &r->arena, &r->who);
	if (err == KH_EAUTH)
		return kh_req_fail(r, KH_EAUTH, "the token is unknown, expired or revoked; log in again");
	if (err)
		return kh_req_fail(r, err, "cannot check the token");
	r->token = tok;
	return KH_OK;
}

static const struct {
	unsigned flag;
	enum kh_action action;
} route_actions[] = {
	{KH_R_READ, KH_ACT_READ}, {KH_R_CREATE, KH_ACT_CREATE}, {KH_R_EDIT, KH_ACT_EDIT},
	{KH_R_DELETE, KH_ACT_DELETE}, {KH_R_EXPORT, KH_ACT_EXPORT}, {KH_R_IMPORT, KH_ACT_IMPORT},
};

/* The one place that decides whether the principal may use a route at all;
 * which records they reach is decided by the store's scope predicates. */
static enum kh_err authorize(struct kh_req *r, const struct kh_route *rt)
{
	if ((rt->flags & KH_R_ADMIN) && !r->who.is_admin)
		return kh_req_fail(r, KH_EFORBIDDEN, "only administrators may do this");
	if (!r->entity)
		return KH_OK;
	for (size_t i = 0; i < sizeof route_actions / sizeof route_actions[0]; i++) {
		if (!(rt->flags & route_actions[i].flag))
			continue;
		enum kh_action a = route_actions[i].action;
		switch (kh_route_refusal(&r->who, r->entity, a)) {
		case KH_ROUTE_OWN_ROUTES:
			return kh_req_fail(r, KH_EMETHOD, "%s are changed through their own routes", r->entity->name);
		case KH_ROUTE_ADMIN_ONLY:
			return kh_req_fail(r, KH_EFORBIDDEN, "only administrators change %s", r->entity->name);
		case KH_ROUTE_ROLE:
			return kh_req_fail(r, KH_EFORBIDDEN, "your role may not %s %s", kh_action_name(a),
					   r->entity->name);
		case KH_ROUTE_ALLOWED:
			break;
		}
		if (r->related && kh_scope_of(&r->who, r->related, a) == KH_SCOPE_NONE)
			return kh_req_fail(r, KH_EFORBIDDEN, "your role may not %s %s", kh_action_name(a),
					   r->related->name);
	}
	return KH_OK;
}

/* 1 if the bearer token of r is not a valid session or key, looked up on this
 * thread's connection. */
static int token_is_wrong(struct kh_server *s, struct kh_req *r)
{
	const char *h = kh_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	r->ctx.db = thread_db(s, &r->ei);
	if (!h || !r->ctx.db)
		return 1;
	struct kh_principal who;
	struct kh_auth_policy policy = {.idle_seconds = s->cfg->session_idle};
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	return kh_session_lookup(r->ctx.db, tok, strlen(tok), &policy, &r->arena, &who) != KH_OK;
}

/* 1 if r is an upload (a KH_R_BIGBODY route) whose bearer token does not check
 * out. With SQLite the token is looked up here, before the first byte is kept;
 * with the PostgreSQL pool (no database calls on these threads) only its shape
 * is checked here, and a database worker looks it up (on_request). */
static int upload_needs_token(struct kh_server *s, struct kh_req *r)
{
	if (r->route < 0 || !(kh_routes[r->route].flags & KH_R_BIGBODY))
		return 0;
	const char *h = kh_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7) || strlen(h + 7) < 20)
		return 1;
	if (s->pool)
		return 0;
	return token_is_wrong(s, r);
}

/* Forgets the answer written so far, to write another. */
static void reset_answer(struct kh_req *r)
{
	kh_buf_reset(&r->out);
	kh_errinfo_init(&r->ei, &r->arena);
	r->status = 200;
	r->etag[0] = '\0';
	r->content_type = NULL;
	r->location = NULL;
	kh_jw_init(&r->jw, &r->out);
}

static enum kh_err run(struct kh_server *s, struct kh_req *r)
{
	if (r->route < 0)
		return KH_OK; /* the error was set when matching */
	const struct kh_route *rt = &kh_routes[r->route];
	r->ctx.db = thread_db(s, &r->ei);
	if (!r->ctx.db)
		return KH_EBUSY;
	enum kh_err err;
	if (!(rt->flags & KH_R_PUBLIC) && ((err = authenticate(s, r)) || (err = authorize(r, rt))))
		return err;
	if ((err = check_args(r, rt)))
		return err;
	/* Tokens are checked on the primary (a new login may not have reached a
	 * replica yet); then reads go to a replica unless this user has just
	 * written. */
	struct kh_db *primary = r->ctx.db, *replica = NULL;
	if (s->nread_dbs && r->method == KH_GET && !(rt->flags & KH_R_PUBLIC) && !kh_ryow_recent(r->who.user_id) &&
	    (replica = thread_read_db(s)))
		r->ctx.db = replica;
	if (rt->flags & KH_R_BODY) {
		if (r->too_big)
			return kh_req_fail(r, KH_ETOOBIG, "the body is larger than %ld bytes", s->cfg->max_body);
		if (!is_json_type(kh_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
			return kh_req_fail(r, KH_EMEDIA, "send the body as Content-Type: application/json");
		if ((err = kh_json_parse_object(r->body.data, r->body.len, &r->json, &r->ei)))
			return err;
	} else if (rt->flags & KH_R_BIGBODY) {
		if (r->too_big) /* the handler reads the raw body (multipart/form-data) */
			return kh_req_fail(r, KH_ETOOBIG, "the body is larger than %ld bytes", KH_MAX_UPLOAD);
	} else if (r->body.len || r->too_big) {
		return kh_req_fail(r, KH_EINVAL, "this route takes no request body");
	}
	kh_jw_init(&r->jw, &r->out);
	err = rt->handler(r);
	if (replica && (err == KH_EBUSY || err == KH_EIO) && !r->custom) {
		/* The replica went away mid-read: a GET changes nothing, so it is
		 * answered again, from the primary. */
		replica_failed(s, replica);
		r->ctx.db = primary;
		reset_answer(r);
		err = rt->handler(r);
	}
	return err;
}

static void add_headers(struct MHD_Response *resp, struct kh_req *r)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->content_type ? r->content_type : "application/json; charset=utf-8");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control",
				r->cache_forever ? "public, max-age=31536000, immutable"
				: r->is_file	 ? "no-cache"
						 : "no-store");
	if (r->content_encoding)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, r->content_encoding);
	if (r->vary_encoding)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	/* The UI loads only its own files; the API's answers are data, never pages. */
	MHD_add_response_header(resp, "Content-Security-Policy",
				r->is_file ? "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
						  "connect-src 'self'; object-src 'none'; base-uri 'none'; "
						  "form-action 'self'; frame-ancestors 'none'"
						: "default-src 'none'; frame-ancestors 'none'");
	if (r->retry_after > 0) {
		char ra[24];
		snprintf(ra, sizeof ra, "%lld", (long long)r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (r->etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	if (r->location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
}

static enum MHD_Result respond(struct kh_req *r)
{
	size_t len;
	if (r->out.err) { /* the answer itself could not be built */
		kh_errinfo_init(&r->ei, &r->arena);
		kh_errinfo_set(&r->ei, r->out.err, "cannot build the response");
		kh_buf_release(&r->out);
		kh_req_write_error(r);
	}
	if (r->status == 204)
		kh_buf_reset(&r->out);
	struct MHD_Response *resp;
	if (r->custom && !r->ei.code) {
		resp = r->custom;
		r->custom = NULL;
		MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* proxies must not hold events back */
	} else if (r->file_fd >= 0) {
		r->is_file = 1;
		resp = MHD_create_response_from_fd64(r->file_size, r->file_fd); /* takes the fd */
		r->file_fd = -1;
	} else {
		char *data = kh_buf_detach(&r->out, &len);
		resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(data);
	}
	if (!resp)
		return MHD_NO;
	add_headers(resp, r);
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static struct kh_req *req_new(struct kh_server *s, struct MHD_Connection *c, const char *url, const char *method)
{
	struct kh_req *r = malloc(sizeof *r);
	if (!r)
		return NULL;
	memset(r, 0, offsetof(struct kh_req, arena));
	kh_arena_init(&r->arena);
	r->file_fd = -1;
	r->srv = s;
	r->conn = c;
	r->url = url;
	r->method = kh_method_parse(method);
	r->status = 200;
	r->route = -1;
	r->started = kh_now();
	kh_buf_init(&r->body, (size_t)s->cfg->max_body);
	kh_buf_init(&r->out, 0);
	kh_errinfo_init(&r->ei, &r->arena);
	r->ctx.who = &r->who;
	r->ctx.arena = &r->arena;
	r->ctx.ei = &r->ei;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "";
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof addr);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof addr);
	}
	r->address = kh_arena_strdup(&r->arena, addr);
	int mismatch;
	r->route = kh_route_match(r, url, &mismatch);
	if (r->route >= 0 && (kh_routes[r->route].flags & KH_R_BIGBODY))
		r->body.max = KH_MAX_UPLOAD;
	if (r->route < 0) {
		if (mismatch)
			kh_req_fail(r, KH_EMETHOD, "%s is not allowed on %s", method, url);
		else
			kh_req_fail(r, KH_ENOTFOUND, "no route for %s %s", method, url);
	}
	return r;
}

/* Runs the request's handler, or writes its error. */
static void execute(struct kh_server *s, struct kh_req *r)
{
	enum kh_err err = r->route < 0 ? r->ei.code : run(s, r);
	if (err) {
		if (!r->ei.code)
			kh_errinfo_set(&r->ei, err, "%s", kh_strerror(err));
		kh_req_write_error(r);
	}
	/* A login writes only its session, which is always read from the primary:
	 * what counts is an authenticated change. */
	if (s->nread_dbs && r->method != KH_GET && r->status < 400 && r->who.user_id && r->route >= 0 &&
	    !(kh_routes[r->route].flags & KH_R_PUBLIC))
		kh_ryow_note_write(r->who.user_id);
}

static void resume(void *conn)
{
	MHD_resume_connection(conn);
}

/* A database worker's part of a request (see http/dbpool.h): run it, give the
 * connection back to its event loop, which sends the answer. */
static void pool_job(void *job, void *cls)
{
	struct kh_server *s = cls;
	struct kh_req *r = job;
	if (r->token_check == 1) {
		/* Only the token of an upload, before its body is read. */
		r->token_check = token_is_wrong(s, r) ? 3 : 2;
		if (r->ctx.db)
			kh_db_rollback(r->ctx.db);
		r->ctx.db = NULL; /* this worker's: the request may run on another */
		MHD_resume_connection(r->conn);
		return;
	}
	execute(s, r);
	/* A streamed answer (an export) reads the database while it is sent, from
	 * the event loop's thread: this worker and its connection wait for it, idle.
	 * Event streams read no database after their handler. */
	int streams_db = r->custom && r->ctx.db &&
			 !(r->content_type && !strncmp(r->content_type, "text/event-stream", 17));
	if (!streams_db && r->ctx.db) {
		kh_db_rollback(r->ctx.db); /* a handler that failed mid-transaction */
		r->ctx.db = NULL;
	}
	r->called = 2;
	if (streams_db)
		kh_dbpool_hold(s->pool, r, resume, r->conn);
	else
		MHD_resume_connection(r->conn);
}

/* The writer thread's part of KH_R_WRITER requests: those queued while it
 * was busy run together, each in a savepoint of one transaction (group
 * commit), so that the pages every write touches - the table's last leaf, the
 * audit log's, the outbox's - go to the WAL once per group instead of once
 * per request. No answer leaves before the group's commit; a request that
 * fails is undone alone; if the commit fails, every request of the group
 * answers with its error. */
#define WRITER_GROUP_MAX 64
static void writer_batch(void **jobs, int n, void *cls)
{
	struct kh_server *s = cls;
	struct kh_req *first = jobs[0];
	struct kh_db *db = n > 1 ? thread_db(s, &first->ei) : NULL;
	int grouped = db && kh_db_group_begin(db) == KH_OK;
	for (int i = 0; i < n; i++) {
		struct kh_req *r = jobs[i];
		int saved = grouped && kh_db_exec(db, "SAVEPOINT kh_request", NULL, 0) == KH_OK;
		if (grouped && !saved) {
			kh_errinfo_set(&r->ei, KH_EDB, "the change could not be started");
			kh_req_write_error(r);
		} else {
			execute(s, r);
		}
		if (r->ctx.db)
			kh_db_rollback(r->ctx.db); /* a handler that failed mid-transaction */
		r->ctx.db = NULL;
		if (saved && r->status >= 400)
			kh_db_exec(db, "ROLLBACK TO kh_request", NULL, 0);
		if (saved)
			kh_db_exec(db, "RELEASE kh_request", NULL, 0);
	}
	enum kh_err err = grouped ? kh_db_group_commit(db) : KH_OK;
	for (int i = 0; i < n; i++) {
		struct kh_req *r = jobs[i];
		if (err && r->status < 400) {
			reset_answer(r);
			kh_errinfo_set(&r->ei, err, "the change could not be committed");
			kh_req_write_error(r);
		}
		r->called = 2;
		MHD_resume_connection(r->conn);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	struct kh_server *s = cls;
	struct kh_req *r = *con_cls;
	if (!r) {
		/* Answer on a later call, not this first one: libmicrohttpd 0.9.75 closes
		 * the connection when a response is queued on the first call, which
		 * kills keep-alive (DESIGN.md: 79k -> 11k requests/s). */
		r = req_new(s, c, url, method);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		atomic_fetch_add(&s->inflight, 1);
		return MHD_YES;
	}
	if (*upload_size) {
		if (s->pool && !r->token_check && !r->body.len && !r->too_big && r->route >= 0 &&
		    (kh_routes[r->route].flags & KH_R_BIGBODY) && !upload_needs_token(s, r)) {
			/* A database worker looks the token up first; the connection waits
			 * unread meanwhile, and this data is handed in again on resume. */
			r->token_check = 1;
			MHD_suspend_connection(c);
			kh_dbpool_submit(s->pool, r);
			return MHD_YES;
		}
		if (r->token_check == 3 && !r->too_big) {
			r->too_big = 1;
			kh_buf_release(&r->body);
		}
		if (!r->body.len && !r->too_big && upload_needs_token(s, r)) {
			/* Large uploads are for logged-in users: a file is not buffered for a
			 * request whose token is wrong (it is read and dropped, and the
			 * request answers 401 like any other). */
			r->too_big = 1;
			kh_buf_release(&r->body);
		}
		if (!r->too_big && kh_buf_add(&r->body, upload, *upload_size)) {
			r->too_big = 1;
			kh_buf_release(&r->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->called == 2) { /* a database worker has answered it */
		r->called = 3;
		return respond(r);
	}
	if (r->called)
		return MHD_YES;
	r->called = 1;
	if (s->pool && r->route >= 0) {
		MHD_suspend_connection(c);
		kh_dbpool_submit(s->pool, r);
		return MHD_YES;
	}
	if (s->writer && r->route >= 0 && (kh_routes[r->route].flags & KH_R_WRITER)) {
		MHD_suspend_connection(c);
		kh_dbpool_submit(s->writer, r);
		return MHD_YES;
	}
	execute(s, r);
	return respond(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)c, (void)toe;
	struct kh_server *s = cls;
	struct kh_req *r = *con_cls;
	if (!r)
		return;
	kh_metrics_record(r->route, r->status, kh_now() - r->started);
	if (r->ctx.db)
		kh_db_rollback(r->ctx.db); /* a handler that failed mid-transaction */
	if (s->pool)
		kh_dbpool_release(s->pool, r); /* the worker of a streamed answer */
	json_decref(r->json);
	if (r->custom)
		MHD_destroy_response(r->custom);
	if (r->file_fd >= 0)
		close(r->file_fd);
	kh_buf_release(&r->body);
	kh_buf_release(&r->out);
	kh_arena_release(&r->arena);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen || strlen(colon + 1) == 0)
		return -1;
	size_t hlen = (size_t)(colon - listen);
	if (hlen >= sizeof host)
		return -1;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(host, colon + 1, &hints, &res))
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*v6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return 0;
}

struct kh_server *kh_server_start(const struct kh_config *cfg, char *msg, size_t msglen)
{
	struct sockaddr_storage addr;
	int v6;
	if (parse_listen(cfg->listen, &addr, &v6)) {
		snprintf(msg, msglen, "--listen %s: expected host:port with a numeric address, e.g. 127.0.0.1:8080",
			 cfg->listen);
		return NULL;
	}
	struct kh_server *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	pthread_key_create(&s->db_key, close_thread_db);
	pthread_key_create(&s->read_key, close_read_conns);
	if (cfg->read_db && (s->nread_dbs = kh_read_dbs_parse(cfg->read_db, s->read_dbs)) < 0) {
		snprintf(msg, msglen, "--read-db: expected postgresql:// URIs separated by commas");
		s->nread_dbs = 0;
		goto fail;
	}
	/* PostgreSQL calls block on the network: they run on database workers, by
	 * default as many as there are threads, each with its own connection
	 * (http/dbpool.h). --db-workers 0 runs them on the HTTP threads instead. */
	long workers = cfg->db_workers < 0 ? cfg->threads : cfg->db_workers;
	if (kh_pg_ops.accepts(cfg->db) && workers > 0 && !(s->pool = kh_dbpool_start((int)workers, pool_job, s))) {
		snprintf(msg, msglen, "cannot start the database workers");
		goto fail;
	}
	if (!s->pool && !kh_pg_ops.accepts(cfg->db) &&
	    !(s->writer = kh_dbpool_start_batches(1, WRITER_GROUP_MAX, writer_batch, s))) {
		snprintf(msg, msglen, "cannot start the writer thread");
		goto fail;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME |
			 (v6 ? MHD_USE_IPv6 : 0);
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)10000,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
				MHD_OPTION_END);
	if (!s->d) {
		snprintf(msg, msglen, "cannot listen on %s (in use, or not an address of this machine)", cfg->listen);
		goto fail;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	/* Live events and background work: each with a connection of its own. */
	s->sse = kh_sse_start(cfg->db, msg, msglen);
	s->scheduler = s->sse ? kh_scheduler_start(cfg->db, msg, msglen) : NULL;
	if (!s->sse || !s->scheduler) {
		kh_server_stop(s);
		return NULL;
	}
	return s;
fail:
	kh_dbpool_stop(s->pool);
	kh_dbpool_stop(s->writer);
	for (int i = 0; i < s->nread_dbs; i++)
		free(s->read_dbs[i]);
	pthread_key_delete(s->read_key);
	pthread_key_delete(s->db_key);
	free(s);
	return NULL;
}

const char *kh_server_web_root(const struct kh_server *s)
{
	return s->cfg->web_root;
}

long kh_server_session_ttl(const struct kh_server *s)
{
	return s->cfg->session_ttl;
}

int kh_server_port(const struct kh_server *s)
{
	return s->port;
}

struct kh_sse_hub *kh_server_sse(const struct kh_server *s)
{
	return s->sse;
}

struct kh_scheduler *kh_server_scheduler(const struct kh_server *s)
{
	return s->scheduler;
}

void kh_server_stop(struct kh_server *s)
{
	if (!s)
		return;
	/* Event streams never finish by themselves: end them first. */
	kh_sse_stop(s->sse);
	s->sse = NULL;
	MHD_quiesce_daemon(s->d);
	/* Let requests in flight finish: up to 10 s, checked every 10 ms. */
	for (int i = 0; i < 1000 && atomic_load(&s->inflight) > 0; i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	MHD_stop_daemon(s->d); /* joins the event loops; their connections close */
	kh_dbpool_stop(s->pool); /* joins the database workers; theirs close */
	kh_dbpool_stop(s->writer);
	for (int i = 0; i < s->nread_dbs; i++)
		free(s->read_dbs[i]);
	pthread_key_delete(s->read_key);
	kh_scheduler_stop(s->scheduler);
	pthread_key_delete(s->db_key);
	free(s);
}
