/* Duplicates (routes_import.def):
 *   POST /api/v1/dedupe/{entity}?threshold=0.8&limit=100  scan: clusters with scores
 *   POST /api/v1/dedupe/{entity}/merge  {"winner": 1, "losers": [2, 3], "fields": {"email": 3}}
 *   GET  /api/v1/merges/{id}             a merge
 *   POST /api/v1/merges/{id}/undo        undo it */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "domain/dedupe.h"
#include "domain/merge.h"
#include "model/permission.h"
#include "model/validate.h"

enum kh_err kh_api_dedupe_scan(struct kh_req *r)
{
	struct kh_dedupe_opts o = {0.8, 100, 50};
	const char *t = kh_req_arg(r, "threshold"), *l = kh_req_arg(r, "limit");
	char *end;
	if (t) {
		o.threshold = strtod(t, &end);
		if (*end || !(o.threshold > 0 && o.threshold <= 1))
			kh_errinfo_field(&r->ei, "threshold", "must be a number above 0, at most 1");
	}
	if (l) {
		long v = strtol(l, &end, 10);
		if (*end || v < 1 || v > 1000)
			kh_errinfo_field(&r->ei, "limit", "must be an integer from 1 to 1000");
		o.limit = (int)v;
	}
	if (r->ei.code)
		return kh_req_fail(r, KH_EINVAL, "invalid query parameter %s: %s", r->ei.fields[0].field,
				   r->ei.fields[0].msg);
	struct kh_dedupe *d;
	enum kh_err err = kh_dedupe_scan(&r->ctx, r->entity, &o, NULL, NULL, &d);
	if (err)
		return err;
	err = kh_dedupe_json(&r->ctx, d, &r->jw, 1);
	kh_dedupe_free(d);
	return err;
}

enum kh_err kh_api_merge_create(struct kh_req *r)
{
	json_t *winner = json_object_get(r->json, "winner"), *losers = json_object_get(r->json, "losers"),
	       *fields = json_object_get(r->json, "fields");
	kh_json_members_only(r->json, "winner losers fields", &r->ei);
	if (!json_is_integer(winner) || json_integer_value(winner) < 1)
		kh_errinfo_field(&r->ei, "winner", "must be the id of the record to keep");
	size_t n = json_array_size(losers);
	if (!json_is_array(losers) || n < 1 || n > KH_MERGE_MAX_LOSERS)
		kh_errinfo_field(&r->ei, "losers", "must be an array of 1 to 50 record ids");
	if (fields && !json_is_object(fields))
		kh_errinfo_field(&r->ei, "fields", "must be an object: {\"field\": id of the record to take it from}");
	int64_t ids[KH_MERGE_MAX_LOSERS];
	for (size_t i = 0; json_is_array(losers) && i < n && i < KH_MERGE_MAX_LOSERS; i++) {
		json_t *x = json_array_get(losers, i);
		if (!json_is_integer(x) || json_integer_value(x) < 1) {
			kh_errinfo_field(&r->ei, "losers", "must be an array of 1 to 50 record ids");
			break;
		}
		ids[i] = (int64_t)json_integer_value(x);
	}
	if (r->ei.code) {
		r->ei.msg = kh_arena_printf(&r->arena, "%s %s", r->ei.fields[0].field, r->ei.fields[0].msg);
		return r->ei.code;
	}
	int64_t id;
	json_t *empty = json_object();
	enum kh_err err = kh_merge(&r->ctx, r->entity, (int64_t)json_integer_value(winner), ids, (int)n,
				   fields ? fields : empty, &id);
	json_decref(empty);
	if (err)
		return err;
	r->status = 201;
	r->location = kh_arena_printf(&r->arena, "/api/v1/merges/%lld", (long long)id);
	return kh_merge_json(&r->ctx, id, &r->jw);
}

/* A merge is visible to those who may read its entity. */
static enum kh_err merge_allowed(struct kh_req *r, enum kh_action a)
{
	struct kh_val p = KH_VINT(r->id);
	struct kh_rows *rows;
	const struct kh_entity *e = NULL;
	enum kh_err err = kh_db_query(r->ctx.db, "SELECT entity FROM kh_merges WHERE id = $1", &p, 1, &rows);
	if (err)
		return kh_req_fail(r, err, "cannot read merge %lld", (long long)r->id);
	if (kh_rows_next(r->ctx.db, rows) > 0)
		e = kh_entity_find(kh_rows_col(r->ctx.db, rows, 0).s);
	kh_rows_end(r->ctx.db, rows);
	if (!e)
		return kh_req_fail(r, KH_ENOTFOUND, "merge %lld not found", (long long)r->id);
	if (kh_scope_of(&r->who, e, a) == KH_SCOPE_NONE)
		return kh_req_fail(r, KH_EFORBIDDEN, "your role may not %s %s", kh_action_name(a), e->name);
	return KH_OK;
}

enum kh_err kh_api_merge_get(struct kh_req *r)
{
	enum kh_err err = merge_allowed(r, KH_ACT_READ);
	return err ? err : kh_merge_json(&r->ctx, r->id, &r->jw);
}

enum kh_err kh_api_merge_undo(struct kh_req *r)
{
	enum kh_err err = merge_allowed(r, KH_ACT_EDIT);
	if (!err)
		err = kh_merge_undo(&r->ctx, r->id);
	return err ? err : kh_merge_json(&r->ctx, r->id, &r->jw);
}
