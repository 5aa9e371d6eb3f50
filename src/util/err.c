#include "util/err.h"

static const struct {
	const char *code;
	const char *text;
	int status;
} kh_err_table[KH_ERR_COUNT] = {
	[KH_OK] = {"ok", "success", 200},
	[KH_EINVAL] = {"bad_request", "the request is not valid", 400},
	[KH_EJSON] = {"invalid_json", "the body is not a valid JSON object", 400},
	[KH_EVALIDATION] = {"validation_failed", "one or more fields are not valid", 422},
	[KH_EAUTH] = {"unauthorized", "a valid bearer token is required", 401},
	[KH_EFORBIDDEN] = {"forbidden", "not allowed for this user", 403},
	[KH_ENOTFOUND] = {"not_found", "not found", 404},
	[KH_EMETHOD] = {"method_not_allowed", "method not allowed here", 405},
	[KH_ECONFLICT] = {"conflict", "the record changed or a unique value is taken", 409},
	[KH_ETOOBIG] = {"payload_too_large", "the request body is too large", 413},
	[KH_EMEDIA] = {"unsupported_media_type", "the body must be application/json", 415},
	[KH_ERATE] = {"rate_limited", "too many requests", 429},
	[KH_ENOMEM] = {"out_of_memory", "out of memory", 500},
	[KH_EDB] = {"database_error", "database error", 500},
	[KH_EIO] = {"io_error", "the server's storage failed (input/output error); try again later", 503},
	[KH_ENOSPC] = {"insufficient_storage", "the server's disk is full; nothing was written, try again later", 507},
	[KH_EBUSY] = {"unavailable", "the server is busy; try again", 503},
	[KH_EINTERNAL] = {"internal_error", "internal error", 500},
};

static int valid(enum kh_err e)
{
	return (int)e >= 0 && e < KH_ERR_COUNT;
}

const char *kh_strerror(enum kh_err e)
{
	return valid(e) ? kh_err_table[e].text : "unknown error";
}

const char *kh_err_code(enum kh_err e)
{
	return valid(e) ? kh_err_table[e].code : "internal_error";
}

int kh_err_http_status(enum kh_err e)
{
	return valid(e) ? kh_err_table[e].status : 500;
}
