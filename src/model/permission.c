#include "model/permission.h"

#include <stdio.h>
#include <string.h>

#include "util/json_out.h"
#include "util/utf8.h"

static const char *const action_names[KH_NACTIONS] = {"read", "create", "edit", "delete", "export", "import"};
static const char *const scope_names[] = {"none", "own", "team", "all"};

const char *kh_action_name(enum kh_action a)
{
	return action_names[a];
}

const char *kh_scope_name(enum kh_scope s)
{
	return scope_names[s];
}

static int parse_scope(json_t *v)
{
	if (!json_is_string(v))
		return -1;
	for (int s = 0; s < 4; s++)
		if (!strcmp(json_string_value(v), scope_names[s]))
			return s;
	return -1;
}

static int parse_actions(unsigned char out[KH_NACTIONS], json_t *obj, const char **why)
{
	const char *key;
	json_t *v;
	if (!json_is_object(obj)) {
		*why = "each entity maps to an object of action: scope";
		return -1;
	}
	json_object_foreach(obj, key, v) {
		int a = -1;
		for (int i = 0; i < KH_NACTIONS; i++)
			if (!strcmp(key, action_names[i]))
				a = i;
		int s = parse_scope(v);
		if (a < 0) {
			*why = "actions are read, create, edit, delete, export and import";
			return -1;
		}
		if (s < 0) {
			*why = "scopes are none, own, team and all";
			return -1;
		}
		out[a] = (unsigned char)s;
	}
	return 0;
}

int kh_role_parse(struct kh_role *r, json_t *perms, const char **why)
{
	memset(r->scope, 0, sizeof r->scope);
	*why = NULL;
	if (!json_is_object(perms)) {
		*why = "permissions must be an object of entity: {action: scope}";
		return -1;
	}
	json_t *all = json_object_get(perms, "*");
	if (all) {
		unsigned char def[KH_NACTIONS] = {0};
		if (parse_actions(def, all, why))
			return -1;
		for (int c = 0; c < KH_MAX_ENTITY_CODES; c++)
			memcpy(r->scope[c], def, KH_NACTIONS);
	}
	const char *key;
	json_t *v;
	json_object_foreach(perms, key, v) {
		if (!strcmp(key, "*"))
			continue;
		const struct kh_entity *e = kh_entity_find(key);
		if (!e) {
			*why = "names an entity that does not exist";
			return -1;
		}
		if (parse_actions(r->scope[e->code], v, why))
			return -1;
	}
	return 0;
}

void kh_role_write_json(const struct kh_role *r, struct kh_jw *w)
{
	kh_jw_obj(w);
	for (int i = 0; i < kh_nentities; i++) {
		const struct kh_entity *e = kh_entities[i];
		kh_jw_key(w, e->name);
		kh_jw_obj(w);
		for (int a = 0; a < KH_NACTIONS; a++) {
			kh_jw_key(w, action_names[a]);
			kh_jw_str(w, scope_names[r->scope[e->code][a]]);
		}
		kh_jw_obj_end(w);
	}
	kh_jw_obj_end(w);
}

int kh_role_within(const struct kh_role *narrow, const struct kh_role *wide)
{
	if (wide->is_admin)
		return 1;
	if (narrow->is_admin || (narrow->personal_data && !wide->personal_data))
		return 0;
	for (int c = 0; c < KH_MAX_ENTITY_CODES; c++)
		for (int a = 0; a < KH_NACTIONS; a++)
			if (narrow->scope[c][a] > wide->scope[c][a])
				return 0;
	return 1;
}

enum kh_scope kh_scope_of(const struct kh_principal *who, const struct kh_entity *e, enum kh_action a)
{
	if (who->is_admin)
		return KH_SCOPE_ALL;
	if (!who->perms || e->code < 0 || e->code >= KH_MAX_ENTITY_CODES)
		return KH_SCOPE_NONE;
	return (enum kh_scope)who->perms->scope[e->code][a];
}

int kh_sees_personal(const struct kh_principal *who)
{
	return who->is_admin || (who->perms && who->perms->personal_data);
}

static int add(struct kh_val *params, int *n, int max, struct kh_val v)
{
	if (*n >= max)
		return -1;
	params[(*n)++] = v;
	return *n;
}

void kh_scope_sql(const struct kh_principal *who, const struct kh_entity *e, enum kh_action a, struct kh_buf *sql,
		  struct kh_val *params, int *n, int max)
{
	enum kh_scope s = kh_scope_of(who, e, a);
	if (s == KH_SCOPE_ALL)
		return;
	if (s == KH_SCOPE_NONE) {
		kh_buf_adds(sql, " AND 1 = 0");
		return;
	}
	int me = add(params, n, max, KH_VINT(who->user_id));
	int code = add(params, n, max, KH_VINT(e->code));
	int team = add(params, n, max, KH_VINT(who->team_id));
	if (me < 0 || code < 0 || team < 0) {
		sql->err = KH_EINVAL;
		return;
	}
	kh_buf_addf(sql, " AND (owner_id = $%d", me);
	if (s == KH_SCOPE_TEAM)
		/* Owned by a member of my team, or of a team I manage. */
		kh_buf_addf(sql,
			    " OR owner_id IN (SELECT id FROM users WHERE team_id IN "
			    "(SELECT id FROM teams WHERE id = $%d OR manager_id = $%d))",
			    team, me);
	/* Shared with me or my team; an edit needs an edit share. */
	kh_buf_addf(sql,
		    " OR id IN (SELECT record_id FROM shares WHERE entity_code = $%d AND archived_at IS NULL "
		    "AND (user_id = $%d OR team_id = $%d)%s))",
		    code, me, team, a == KH_ACT_READ ? "" : " AND access = 'edit'");
}

void kh_mask(const struct kh_field *f, const char *s, size_t n, char *out, size_t outlen)
{
	if (outlen < 16) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	if (f->type == KH_T_PHONE) {
		/* Keep the first three and last four digits: 138****5678. */
		char d[40];
		size_t nd = 0;
		for (size_t i = 0; i < n && nd < sizeof d - 1; i++)
			if (s[i] >= '0' && s[i] <= '9')
				d[nd++] = s[i];
		if (nd >= 8)
			snprintf(out, outlen, "%.3s****%.4s", d, d + nd - 4);
		else
			snprintf(out, outlen, "****");
		return;
	}
	if (f->type == KH_T_EMAIL) {
		const char *at = memchr(s, '@', n);
		if (at && at > s) {
			snprintf(out, outlen, "%c***%.*s", s[0], (int)(n - (size_t)(at - s)), at);
			return;
		}
	}
	if (f->type == KH_T_DATE && n >= 4) { /* a birthday keeps nothing */
		snprintf(out, outlen, "****-**-**");
		return;
	}
	/* Anything else: its first character (whole, even if it is Chinese) and ***. */
	uint32_t cp;
	int len = n ? kh_utf8_decode(s, n, &cp) : 0;
	snprintf(out, outlen, "%.*s***", len > 0 ? len : 0, s);
}

enum kh_route_refusal kh_route_refusal(const struct kh_principal *who, const struct kh_entity *e, enum kh_action a)
{
	int writes = a == KH_ACT_CREATE || a == KH_ACT_EDIT || a == KH_ACT_DELETE;
	if (writes && (e->flags & KH_E_OWN_ROUTES))
		return KH_ROUTE_OWN_ROUTES;
	if (writes && (e->flags & KH_E_ADMIN_WRITE) && !who->is_admin)
		return KH_ROUTE_ADMIN_ONLY;
	return kh_scope_of(who, e, a) == KH_SCOPE_NONE ? KH_ROUTE_ROLE : KH_ROUTE_ALLOWED;
}
