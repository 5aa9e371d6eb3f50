/* The one error type of Kehu.
 *
 * Every function that can fail returns an enum kh_err (KH_OK is 0), in the way
 * curl returns CURLcode. Each code has exactly one HTTP status and one stable
 * machine-readable name for API clients; both come from the table in err.c, so
 * a handler never chooses a status by hand. */
#ifndef KH_ERR_H
#define KH_ERR_H

enum kh_err {
	KH_OK = 0,
	KH_EINVAL,      /* 400 bad_request: a query parameter, cursor or filter is wrong */
	KH_EJSON,       /* 400 invalid_json: malformed, not an object, bad UTF-8, too deep */
	KH_EVALIDATION, /* 422 validation_failed: a field value breaks a rule */
	KH_EAUTH,       /* 401 unauthorized: no valid token */
	KH_EFORBIDDEN,  /* 403 forbidden: authenticated but not allowed */
	KH_ENOTFOUND,   /* 404 not_found */
	KH_EMETHOD,     /* 405 method_not_allowed */
	KH_ECONFLICT,   /* 409 conflict: stale version, duplicate unique value */
	KH_ETOOBIG,     /* 413 payload_too_large */
	KH_EMEDIA,      /* 415 unsupported_media_type */
	KH_ERATE,       /* 429 rate_limited */
	KH_ENOMEM,      /* 500 out_of_memory */
	KH_EDB,         /* 500 database_error */
	KH_EIO,         /* 503 io_error: files, sockets, the database's disk (a server fault that may pass) */
	KH_ENOSPC,      /* 507 insufficient_storage: the disk is full; nothing was written */
	KH_EBUSY,       /* 503 unavailable: database locked past the timeout, shutting down */
	KH_EINTERNAL,   /* 500 internal_error: a bug; logged */
	KH_ERR_COUNT
};

/* A sentence for humans ("record not found"). Never NULL. */
const char *kh_strerror(enum kh_err e);
/* The stable name API clients switch on ("not_found"). Never NULL. */
const char *kh_err_code(enum kh_err e);
/* The HTTP status that the API answers with for this error. */
int kh_err_http_status(enum kh_err e);

#endif
