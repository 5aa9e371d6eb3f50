/* Login, logout and "who am I". */
#include <string.h>

#include "api/handlers.h"
#include "domain/audit.h"
#include "domain/auth.h"
#include "domain/read.h"
#include "http/server.h"
#include "model/permission.h"
#include "model/validate.h"
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

/* Reads the user's own record as they see it: personal fields masked as their
 * role masks them, but never hidden - a role need not read the users entity
 * for its holder to see who they are (login and /auth/me would be 404). */
static enum kh_err own_record(struct kh_req *r, int64_t user_id, struct kh_jw *w)
{
	const struct kh_entity *users = kh_entity_find("users");
	struct kh_role self_role;
	struct kh_principal self = r->who;
	struct kh_ctx ctx = r->ctx;
	if (!self.is_admin) {
		if (self.perms)
			self_role = *self.perms;
		else
			memset(&self_role, 0, sizeof self_role);
		self_role.scope[users->code][KH_ACT_READ] = KH_SCOPE_ALL;
		self.perms = &self_role;
	}
	ctx.who = &self;
	return kh_record_get(&ctx, users, user_id, w, NULL);
}

enum kh_err kh_api_login(struct kh_req *r)
{
	kh_json_members_only(r->json, "username password", &r->ei);
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
	err = own_record(r, in.user_id, w);
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

/* The scope the generic record routes grant the principal for an action on
 * an entity: the role's, unless the routes refuse it outright
 * (kh_route_refusal, the rule http/server.c's authorize() applies). */
static enum kh_scope route_scope(const struct kh_principal *who, const struct kh_entity *e, enum kh_action a)
{
	return kh_route_refusal(who, e, a) == KH_ROUTE_ALLOWED ? kh_scope_of(who, e, a) : KH_SCOPE_NONE;
}

/* What the principal may do, so that a client can leave out what would be
 * refused: {"role", "is_admin", "personal_data", "entities": {name: {action:
 * scope}}}. Which records an own or team scope reaches is still the server's
 * decision, record by record. */
static void write_permissions(struct kh_jw *w, const struct kh_principal *who)
{
	kh_jw_obj(w);
	kh_jw_key(w, "role");
	if (who->role)
		kh_jw_str(w, who->role);
	else
		kh_jw_null(w);
	kh_jw_key(w, "is_admin");
	kh_jw_bool(w, who->is_admin);
	kh_jw_key(w, "personal_data");
	kh_jw_bool(w, kh_sees_personal(who));
	kh_jw_key(w, "entities");
	kh_jw_obj(w);
	for (int i = 0; i < kh_nentities; i++) {
		const struct kh_entity *e = kh_entities[i];
		kh_jw_key(w, e->name);
		kh_jw_obj(w);
		for (int a = 0; a < KH_NACTIONS; a++) {
			kh_jw_key(w, kh_action_name((enum kh_action)a));
			kh_jw_str(w, kh_scope_name(route_scope(who, e, (enum kh_action)a)));
		}
		kh_jw_obj_end(w);
	}
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
}

/* The user's record as GET /users/{id} shows it, with one more member,
 * "permissions" (older clients ignore it). */
enum kh_err kh_api_me(struct kh_req *r)
{
	struct kh_buf rec = KH_BUF_INIT;
	struct kh_jw rw;
	kh_jw_init(&rw, &rec);
	enum kh_err err = own_record(r, r->who.user_id, &rw);
	if (!err && rec.err)
		err = kh_req_fail(r, rec.err, "cannot write the user record");
	if (!err && (rec.len < 2 || rec.data[0] != '{' || rec.data[rec.len - 1] != '}'))
		err = kh_req_fail(r, KH_EINTERNAL, "the user record is not an object");
	if (!err) {
		/* The record's members, then ours, in one object. */
		struct kh_jw *w = &r->jw;
		kh_jw_obj(w);
		if (rec.len > 2) {
			kh_jw_sep(w);
			kh_buf_add(w->b, rec.data + 1, rec.len - 2);
		}
		kh_jw_key(w, "permissions");
		write_permissions(w, &r->who);
		kh_jw_obj_end(w);
	}
	kh_buf_release(&rec);
	return err;
}
