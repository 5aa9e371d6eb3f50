/* Login, logout and "who am I". */
#include <string.h>

#include "api/handlers.h"
#include "domain/audit.h"
#include "domain/auth.h"
#include "domain/read.h"
#include "http/server.h"
#include "util/utf8.h"

/* The login body is {"username": "...", "password": "..."} and nothing else. */
static const char *string_member(struct kh_req *r, const char *key)
{
	json_t *v = json_object_get(r->json, key);
	if (!v) {
		kh_errinfo_field(&r->ei, key, "is required");
		return NULL;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 256) {
		kh_errinfo_field(&r->ei, key, "must be a non-empty string of at most 256 bytes");
		return NULL;
	}
	return json_string_value(v);
}

enum kh_err kh_api_login(struct kh_req *r)
{
	const char *key;
	json_t *v;
	json_object_foreach(r->json, key, v) {
		if (strcmp(key, "username") && strcmp(key, "password"))
			kh_errinfo_field(&r->ei, key, "unknown field");
	}
	const char *user = string_member(r, "username"), *pw = string_member(r, "password");
	if (r->ei.code)
		return kh_errinfo_set(&r->ei, KH_EVALIDATION, "username and password are required");
	struct kh_login in = {.username = user, .password = pw, .address = r->address,
			      .ttl_seconds = r->srv ? kh_server_session_ttl(r->srv) : 3600};
	enum kh_err err = kh_session_login(&r->ctx, &in);
	if (err == KH_ERATE)
		r->retry_after = in.retry_after;
	if (err)
		return err;
	/* The new session's principal, so that the user record below is read as them. */
	struct kh_auth_policy policy = {.idle_seconds = 3600};
	kh_session_lookup(r->ctx.db, in.token, strlen(in.token), &policy, &r->arena, &r->who);
	struct kh_jw *w = &r->jw;
	kh_jw_obj(w);
	kh_jw_key(w, "token");
	kh_jw_str(w, in.token);
	kh_jw_key(w, "token_type");
	kh_jw_str(w, "Bearer");
	kh_jw_key(w, "expires_at");
	kh_jw_str(w, in.expires);
	kh_jw_key(w, "user");
	err = kh_record_get(&r->ctx, kh_entity_find("users"), in.user_id, w, NULL);
	kh_jw_obj_end(w);
	return err;
}

enum kh_err kh_api_logout(struct kh_req *r)
{
	if (r->who.api_key_id)
		return kh_req_fail(r, KH_EINVAL, "an API key is revoked, not logged out (DELETE /api/v1/api-keys/{id})");
	enum kh_err err = kh_session_logout(r->ctx.db, r->token, strlen(r->token));
	if (!err)
		err = kh_audit_append(r->ctx.db, r->who.user_id, "users", r->who.user_id, "logout", NULL);
	if (err)
		return kh_req_fail(r, err, "cannot end the session");
	r->status = 204;
	return KH_OK;
}

static enum kh_err logout_all(struct kh_req *r, int64_t user_id)
{
	enum kh_err err = kh_session_logout_all(r->ctx.db, user_id);
	if (!err)
		err = kh_audit_append(r->ctx.db, r->who.user_id, "users", user_id, "logout_all", NULL);
	if (err)
		return kh_req_fail(r, err, "cannot end the sessions");
	r->status = 204;
	return KH_OK;
}

enum kh_err kh_api_logout_all(struct kh_req *r)
{
	return logout_all(r, r->who.user_id);
}

enum kh_err kh_api_user_logout_all(struct kh_req *r)
{
	return logout_all(r, r->id);
}

enum kh_err kh_api_me(struct kh_req *r)
{
	return kh_record_get(&r->ctx, kh_entity_find("users"), r->who.user_id, &r->jw, NULL);
}
