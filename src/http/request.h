/* One HTTP request on its way through Kehu, and what handlers may do with it.
 *
 * The server (server.c) parses and authenticates, the router (router.c) picks
 * the route and fills entity/id/related; a handler in src/api/ then reads its
 * inputs from here and writes its answer into `out`, or returns an error and
 * leaves the error body to the server. Everything allocated for the request
 * comes from `arena` and is freed when the response has been sent. */
#ifndef KH_REQUEST_H
#define KH_REQUEST_H

#include <jansson.h>
#include <stdint.h>

#include "domain/write.h"
#include "model/entity.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/errinfo.h"
#include "util/json_out.h"

struct MHD_Connection;
struct kh_server;

enum kh_method { KH_GET, KH_POST, KH_PATCH, KH_DELETE, KH_PUT, KH_HEAD, KH_OPTIONS, KH_METHOD_OTHER };

enum kh_route_flag {
	KH_R_PUBLIC = 1 << 0, /* no token needed */
	KH_R_BODY = 1 << 1,   /* takes a JSON object body */
	KH_R_ADMIN = 1 << 2,  /* administrators only */
	/* The action the route performs on {entity} (and {related}), checked
	 * against the principal's role before the handler runs. */
	KH_R_READ = 1 << 3,
	KH_R_CREATE = 1 << 4,
	KH_R_EDIT = 1 << 5,
	KH_R_DELETE = 1 << 6,
	KH_R_EXPORT = 1 << 7,
	KH_R_IMPORT = 1 << 8,
	KH_R_BIGBODY = 1 << 9, /* takes bodies up to the import limit (files) */
	KH_R_WRITER = 1 << 10, /* a short write: on SQLite it runs on the server's writer thread */
};

/* The import limit: the largest body a KH_R_BIGBODY route takes (an uploaded
 * CSV or Excel file; the upload is kept in memory until it is stored). */
#define KH_MAX_UPLOAD (256L << 20)

struct kh_req;
typedef enum kh_err (*kh_handler)(struct kh_req *r);

struct kh_route {
	enum kh_method method;
	const char *pattern;
	kh_handler handler;
	unsigned flags;
	const char *summary;
	const char *name; /* "GET /api/v1/{entity}": the metrics label */
	/* The query parameters the route takes, separated by spaces, a ! after a
	 * required one ("q! limit"); "" for none; KH_ARGS_OWN when the handler
	 * checks its own (lists, whose parameters are the entity's fields). The
	 * server refuses any other before the handler runs. */
	const char *args;
};
#define KH_ARGS_OWN NULL

extern const struct kh_route kh_routes[];
extern const int kh_nroutes;

struct kh_req {
	struct kh_server *srv;
	struct MHD_Connection *conn;
	enum kh_method method;
	const char *url;
	int route; /* index in kh_routes, or -1 */
	const struct kh_entity *entity, *related;
	int64_t id;
	const char *key; /* the {key} segment of the path, when the route has one */
	const char *address; /* the client's IP address */
	struct kh_buf body;
	json_t *json; /* the parsed body of KH_R_BODY routes */
	struct kh_principal who;
	const char *token; /* the bearer token, for logout */
	struct kh_ctx ctx; /* db, who, arena, errors: what the domain layer needs */
	struct kh_errinfo ei;
	int64_t started;
	int called; /* the access handler has been called before */
	int too_big;
	/* An upload's token, checked by a database worker before the first byte
	 * is kept (PostgreSQL pool): 1 being checked, 2 good, 3 wrong. */
	int token_check;

	/* The answer. */
	int status;
	struct kh_buf out;
	struct kh_jw jw; /* writes into out */
	const char *content_type;
	const char *location;
	char etag[32];
	const char *allow; /* for 405 */
	int64_t retry_after; /* for 429 and 503: seconds */
	void *custom;      /* a struct MHD_Response the handler built itself (streams) */
	int file_fd;       /* >= 0: answer with this file (static files) instead of out */
	uint64_t file_size;
	int is_file; /* the answer is a file of the web UI (headers differ) */
	int cache_forever;
	const char *content_encoding; /* "br", "gzip": the file is sent compressed */
	int vary_encoding;            /* the answer depends on Accept-Encoding */

	/* Last, so that a new request zeroes everything before it and not the
	 * arena's 4 KB first block (memset was 4% of a point read). */
	struct kh_arena arena;
};

/* A query-string parameter, or NULL. */
const char *kh_req_arg(struct kh_req *r, const char *key);
/* A request header, or NULL. */
const char *kh_req_header(struct kh_req *r, const char *name);
/* Calls fn for each query-string parameter, in order. */
void kh_req_args(struct kh_req *r, void (*fn)(void *cls, const char *key, const char *value), void *cls);

/* Fails the request with err; the message is formatted. Returns err. */
enum kh_err kh_req_fail(struct kh_req *r, enum kh_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The {key} of a public answer link (surveys, satisfaction): 1 to 64
 * characters of base64url; anything else is a 404, as an unknown link is. */
enum kh_err kh_req_link_key(struct kh_req *r);
/* Writes the documented error body for r->ei into r->out and sets the status. */
void kh_req_write_error(struct kh_req *r);

#endif
