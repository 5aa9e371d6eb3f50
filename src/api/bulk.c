/* POST /api/v1/{entity}/bulk/{update,archive,restore}: the list view's bulk
 * edit, assign and archive in one request and one transaction
 * (domain/bulk.h).
 *
 *   {"ids": [3, 5, 8], "set": {"owner_id": 7}, "versions": [2, 1, 4], "atomic": false}
 *
 * `set` only for update; `versions` (If-Match per record) and `atomic` are
 * optional. The answer lists each record's outcome:
 *
 *   {"changed": 2, "failed": 1, "data": [{"id": 3, "ok": true, "version": 3},
 *     {"id": 5, "ok": false, "status": 403, "error": {"code": ..., "message": ..., "fields": {...}}}, ...]}
 *
 * A malformed body is a 400 and `set` is validated once for all (422), before
 * anything is tried. With "atomic": true a failed record makes the answer that
 * record's error status, with the error body and the same "data", and nothing
 * is written. */
#include <string.h>

#include "api/handlers.h"
#include "domain/bulk.h"

static void bad(struct kh_req *r, const char *member, const char *why)
{
	if (!r->ei.code)
		kh_errinfo_set(&r->ei, KH_EINVAL, "invalid bulk request: %s %s", member, why);
	kh_errinfo_field(&r->ei, member, "%s", why);
	r->ei.code = KH_EINVAL;
}

/* Reads an array of n positive integers (1..KH_BULK_MAX of them). */
static int64_t *int_array(struct kh_req *r, json_t *a, const char *member, int *n)
{
	size_t len = json_array_size(a);
	if (!json_is_array(a) || len < 1 || len > KH_BULK_MAX) {
		bad(r, member, "must be an array of 1 to 500 positive integers");
		return NULL;
	}
	int64_t *out = kh_arena_calloc(&r->arena, len, sizeof *out);
	if (!out) {
		kh_errinfo_set(&r->ei, KH_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		json_t *x = json_array_get(a, i);
		if (!json_is_integer(x) || json_integer_value(x) < 1) {
			bad(r, member, "must be an array of 1 to 500 positive integers");
			return NULL;
		}
		out[i] = (int64_t)json_integer_value(x);
	}
	*n = (int)len;
	return out;
}

static void write_result(struct kh_jw *w, const struct kh_bulk_result *res)
{
	kh_jw_obj(w);
	kh_jw_key(w, "id");
	kh_jw_int(w, res->id);
	kh_jw_key(w, "ok");
	kh_jw_bool(w, !res->err);
	if (!res->err) {
		kh_jw_key(w, "version");
		kh_jw_int(w, res->version);
	} else {
		int status = kh_err_http_status(res->err);
		kh_jw_key(w, "status");
		kh_jw_int(w, status);
		kh_jw_key(w, "error");
		kh_jw_obj(w);
		kh_jw_key(w, "code");
		kh_jw_str(w, kh_err_code(res->err));
		kh_jw_key(w, "message");
		/* As in every error body: internal details stay in the log. */
		kh_jw_str(w, status >= 500 || !res->ei.msg ? kh_strerror(res->err) : res->ei.msg);
		if (res->ei.nfields) {
			kh_jw_key(w, "fields");
			kh_jw_obj(w);
			for (int i = 0; i < res->ei.nfields; i++) {
				kh_jw_key(w, res->ei.fields[i].field);
				kh_jw_str(w, res->ei.fields[i].msg);
			}
			kh_jw_obj_end(w);
		}
		kh_jw_obj_end(w);
	}
	kh_jw_obj_end(w);
}

static enum kh_err bulk(struct kh_req *r, enum kh_bulk_op op)
{
	const char *key;
	json_t *v;
	json_object_foreach(r->json, key, v)
		if (strcmp(key, "ids") && strcmp(key, "versions") && strcmp(key, "atomic") &&
		    (op != KH_BULK_UPDATE || strcmp(key, "set")))
			bad(r, key, op == KH_BULK_UPDATE ? "is not a member (ids, set, versions, atomic)"
							 : "is not a member (ids, versions, atomic)");
	int n = 0, nv = 0;
	int64_t *ids = int_array(r, json_object_get(r->json, "ids"), "ids", &n);
	int64_t *versions = NULL;
	json_t *jv = json_object_get(r->json, "versions"), *atomic = json_object_get(r->json, "atomic");
	if (jv && (versions = int_array(r, jv, "versions", &nv)) && nv != n)
		bad(r, "versions", "must have one version per id");
	if (atomic && !json_is_boolean(atomic))
		bad(r, "atomic", "must be true or false");
	for (int i = 0; ids && i < n; i++)
		for (int j = 0; j < i; j++)
			if (ids[i] == ids[j]) {
				bad(r, "ids", "must not repeat an id");
				i = n;
				break;
			}
	json_t *set = json_object_get(r->json, "set");
	if (op == KH_BULK_UPDATE && (!json_is_object(set) || json_object_size(set) == 0))
		bad(r, "set", "must be an object with the fields to change");
	if (r->ei.code)
		return r->ei.code;
	struct kh_values vals;
	if (op == KH_BULK_UPDATE) {
		if (kh_values_init(&vals, r->entity, &r->arena))
			return kh_req_fail(r, KH_ENOMEM, "out of memory");
		/* The same validation as PATCH, once for every record; a "version"
		 * member would mean one version for all, so it is refused here. */
		if (json_object_get(set, "version")) {
			bad(r, "set", "must not hold a version: give one per record in \"versions\"");
			return r->ei.code;
		}
		enum kh_err err = kh_validate_json(set, KH_VALIDATE_UPDATE, &vals, NULL, &r->arena, &r->ei);
		if (err)
			return err;
	}
	struct kh_bulk_result *res = kh_arena_calloc(&r->arena, (size_t)n, sizeof *res);
	if (!res)
		return kh_req_fail(r, KH_ENOMEM, "out of memory");
	int nfailed = 0;
	enum kh_err err = kh_records_bulk(&r->ctx, r->entity, op, ids, versions, n, op == KH_BULK_UPDATE ? &vals : NULL,
					  json_is_true(atomic), res, &nfailed);
	if (err && !(json_is_true(atomic) && nfailed))
		return err; /* the transaction itself failed: nothing was written */
	struct kh_jw *w = &r->jw;
	kh_jw_obj(w);
	if (err) {
		/* Atomic and a record failed: the first failure's status and the
		 * documented error body, beside every record's outcome. */
		r->status = kh_err_http_status(err);
		kh_jw_key(w, "error");
		kh_jw_obj(w);
		kh_jw_key(w, "code");
		kh_jw_str(w, kh_err_code(err));
		kh_jw_key(w, "message");
		kh_jw_str(w, kh_arena_printf(&r->arena, "%d of %d records could not be changed; nothing was written",
					     nfailed, n));
		kh_jw_obj_end(w);
	}
	kh_jw_key(w, "changed");
	kh_jw_int(w, err ? 0 : n - nfailed);
	kh_jw_key(w, "failed");
	kh_jw_int(w, nfailed);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	for (int i = 0; i < n; i++)
		write_result(w, &res[i]);
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return KH_OK;
}

enum kh_err kh_api_bulk_update(struct kh_req *r)
{
	return bulk(r, KH_BULK_UPDATE);
}

enum kh_err kh_api_bulk_archive(struct kh_req *r)
{
	return bulk(r, KH_BULK_ARCHIVE);
}

enum kh_err kh_api_bulk_restore(struct kh_req *r)
{
	return bulk(r, KH_BULK_RESTORE);
}
