/* Routes of the security module: API keys, roles by key, the audit log, record
 * history and privacy requests. */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "domain/audit.h"
#include "domain/auth.h"
#include "domain/read.h"
#include "domain/security.h"
#include "model/permission.h"
#include "util/clock.h"

/* ---- API keys ---- */

enum kh_err kh_api_keys_list(struct kh_req *r)
{
	struct kh_list_query *q = kh_arena_alloc(&r->arena, sizeof *q);
	const struct kh_entity *e = kh_entity_find("api_keys");
	if (!q)
		return KH_ENOMEM;
	kh_list_init(q, e);
	q->limit = KH_LIST_MAX;
	if (!r->who.is_admin)
		kh_list_filter_eq(q, kh_field_find(e, "user_id"), KH_VINT(r->who.user_id), &r->arena);
	enum kh_err err = kh_list_finish(q, &r->who, &r->arena, &r->ei);
	return err ? err : kh_record_list(&r->ctx, q, &r->jw);
}

enum kh_err kh_api_keys_create(struct kh_req *r)
{
	const char *key;
	json_t *v;
	json_object_foreach(r->json, key, v) {
		if (strcmp(key, "name") && strcmp(key, "role") && strcmp(key, "expires_at"))
			kh_errinfo_field(&r->ei, key, "unknown field");
		else if (!json_is_string(v))
			kh_errinfo_field(&r->ei, key, "must be a string");
	}
	const char *name = json_string_value(json_object_get(r->json, "name"));
	if (!name && !kh_errinfo_field_msg(&r->ei, "name"))
		kh_errinfo_field(&r->ei, "name", "is required");
	if (r->ei.code)
		return r->ei.code;
	if (r->who.api_key_id)
		return kh_req_fail(r, KH_EFORBIDDEN, "API keys cannot make more API keys; log in");
	char secret[KH_TOKEN_LEN];
	int64_t id;
	enum kh_err err = kh_api_key_create(&r->ctx, name, json_string_value(json_object_get(r->json, "role")),
					    json_string_value(json_object_get(r->json, "expires_at")), secret, &id);
	if (err)
		return err;
	r->status = 201;
	r->location = kh_arena_printf(&r->arena, "/api/v1/api_keys/%lld", (long long)id);
	/* The key itself, this once, beside the stored record. */
	struct kh_jw *w = &r->jw;
	kh_jw_obj(w);
	kh_jw_key(w, "key");
	kh_jw_str(w, secret);
	kh_jw_key(w, "api_key");
	err = kh_record_get(&r->ctx, kh_entity_find("api_keys"), id, w, NULL);
	kh_jw_obj_end(w);
	return err;
}

enum kh_err kh_api_keys_revoke(struct kh_req *r)
{
	enum kh_err err = kh_api_key_revoke(&r->ctx, r->id);
	if (!err)
		r->status = 204;
	return err;
}

/* ---- roles by key ---- */

static enum kh_err role_id(struct kh_req *r, int64_t *id)
{
	struct kh_val p = KH_VTEXT(r->key);
	enum kh_err err = kh_db_int(r->ctx.db, "SELECT id FROM roles WHERE key = $1", &p, 1, id);
	if (err == KH_ENOTFOUND)
		return kh_req_fail(r, KH_ENOTFOUND, "no role with key %s", r->key);
	return err ? kh_req_fail(r, err, "cannot read roles") : KH_OK;
}

enum kh_err kh_api_role_get(struct kh_req *r)
{
	int64_t id;
	enum kh_err err = role_id(r, &id);
	return err ? err : kh_record_get(&r->ctx, kh_entity_find("roles"), id, &r->jw, NULL);
}

enum kh_err kh_api_role_update(struct kh_req *r)
{
	int64_t id;
	enum kh_err err = role_id(r, &id);
	if (!err)
		err = kh_record_update(&r->ctx, kh_entity_find("roles"), id, r->json, -1);
	return err ? err : kh_record_get(&r->ctx, kh_entity_find("roles"), id, &r->jw, NULL);
}

/* ---- audit ---- */

static int64_t arg_int(struct kh_req *r, const char *key, int *bad)
{
	const char *v = kh_req_arg(r, key);
	if (!v)
		return 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!*v || *end || n < 1) {
		kh_errinfo_field(&r->ei, key, "must be a positive integer");
		*bad = 1;
	}
	return n;
}

static const char *arg_time(struct kh_req *r, const char *key, int *bad)
{
	const char *v = kh_req_arg(r, key);
	int64_t us;
	if (!v)
		return NULL;
	if (kh_time_parse(v, strlen(v), &us)) {
		kh_errinfo_field(&r->ei, key, "must be an ISO 8601 date or date-time");
		*bad = 1;
		return NULL;
	}
	char *out = kh_arena_alloc(&r->arena, KH_TIME_LEN);
	if (out)
		kh_time_format(us, out);
	return out;
}

static enum kh_err audit_page(struct kh_req *r, struct kh_audit_query *q)
{
	int bad = 0;
	q->limit = 100;
	const char *lim = kh_req_arg(r, "limit");
	if (lim) {
		q->limit = (int)arg_int(r, "limit", &bad);
		if (!bad && q->limit > 1000) {
			kh_errinfo_field(&r->ei, "limit", "must be at most 1000");
			bad = 1;
		}
	}
	q->before_id = arg_int(r, "cursor", &bad);
	if (bad)
		return kh_req_fail(r, KH_EINVAL, "invalid query parameter");
	return kh_audit_list(&r->ctx, q, &r->jw);
}

enum kh_err kh_api_audit(struct kh_req *r)
{
	static const char *const known[] = {"entity", "record_id", "user_id", "action", "from", "to", "limit", "cursor",
					    NULL};
	int bad = 0;
	struct kh_audit_query q = {0};
	q.entity = kh_req_arg(r, "entity");
	q.action = kh_req_arg(r, "action");
	q.record_id = arg_int(r, "record_id", &bad);
	q.user_id = arg_int(r, "user_id", &bad);
	q.from = arg_time(r, "from", &bad);
	q.to = arg_time(r, "to", &bad);
	(void)known;
	if (bad)
		return kh_req_fail(r, KH_EINVAL, "invalid query parameter");
	return audit_page(r, &q);
}

enum kh_err kh_api_history(struct kh_req *r)
{
	/* Whoever may read the record may read its history; others get 404. */
	enum kh_err err = kh_record_exists(&r->ctx, r->entity, r->id, 0);
	if (err)
		return err;
	struct kh_audit_query q = {.entity = r->entity->name, .record_id = r->id};
	return audit_page(r, &q);
}

/* ---- privacy ---- */

enum kh_err kh_api_privacy_export(struct kh_req *r)
{
	return kh_privacy_export(&r->ctx, r->id, &r->jw);
}

enum kh_err kh_api_privacy_erase(struct kh_req *r)
{
	enum kh_err err = kh_privacy_erase(&r->ctx, r->id);
	if (!err)
		r->status = 204;
	return err;
}
