/* Permissions: what a role may do to each entity, and on which records.
 *
 * A role (a row of the roles table, editable through the API) grants each
 * action on each entity at a scope:
 *   none  - not at all (403)
 *   own   - records the user owns (owner_id), and records shared with them
 *   team  - records owned by anyone in the user's team or a team they manage
 *   all   - every record
 * plus two flags: personal_data (see personal fields unmasked) and is_admin
 * (everything, including users, roles and the audit log).
 *
 * Its JSON form, as the API shows and takes it:
 *   {"*": {"read": "all"}, "contacts": {"read": "team", "create": "all", "edit": "own",
 *    "delete": "own", "export": "none", "import": "none"}}
 * "*" gives the defaults for entities not named and for the actions a named entity
 * leaves out; without "*", what is not named is none.
 *
 * The scope becomes a WHERE predicate in one place (kh_scope_sql), which every
 * list, count, aggregate, search hit, related list, record read and write goes
 * through, so no handler can forget it. */
#ifndef KH_PERMISSION_H
#define KH_PERMISSION_H

#include <jansson.h>

#include "model/entity.h"
#include "model/principal.h"
#include "util/buf.h"
#include "util/json_out.h"

enum kh_action { KH_ACT_READ, KH_ACT_CREATE, KH_ACT_EDIT, KH_ACT_DELETE, KH_ACT_EXPORT, KH_ACT_IMPORT, KH_NACTIONS };
enum kh_scope { KH_SCOPE_NONE, KH_SCOPE_OWN, KH_SCOPE_TEAM, KH_SCOPE_ALL };

#define KH_MAX_ENTITY_CODES 64

struct kh_role {
	char key[64];
	char version[32]; /* the role row's updated_at: a cache key */
	int is_admin;
	int personal_data;
	unsigned char scope[KH_MAX_ENTITY_CODES][KH_NACTIONS]; /* by entity code */
};

const char *kh_action_name(enum kh_action a);
const char *kh_scope_name(enum kh_scope s);

/* Parses a role's permissions JSON into r (key and flags are set by the caller).
 * Unknown entities, actions or scopes are errors, with the reason in why. */
int kh_role_parse(struct kh_role *r, json_t *perms, const char **why);
/* Writes r's permissions as JSON (every entity, every action). */
void kh_role_write_json(const struct kh_role *r, struct kh_jw *w);
/* 1 if every grant of narrow is within wide's (API keys may not exceed their creator). */
int kh_role_within(const struct kh_role *narrow, const struct kh_role *wide);

/* The scope the principal has for an action on an entity. */
enum kh_scope kh_scope_of(const struct kh_principal *who, const struct kh_entity *e, enum kh_action a);

/* Why the record routes (/api/v1/{entity}...) refuse action a on e to who:
 * entities written through routes of their own, entities only administrators
 * change, or the role's scope "none". KH_ROUTE_ALLOWED otherwise. One rule for
 * the check itself (http/server.c) and for what /auth/me says is allowed. */
enum kh_route_refusal { KH_ROUTE_ALLOWED, KH_ROUTE_OWN_ROUTES, KH_ROUTE_ADMIN_ONLY, KH_ROUTE_ROLE };
enum kh_route_refusal kh_route_refusal(const struct kh_principal *who, const struct kh_entity *e, enum kh_action a);
/* 1 if personal fields are shown to the principal unmasked. */
int kh_sees_personal(const struct kh_principal *who);

/* Appends " AND (<predicate>)" limiting rows of e to those the principal may act
 * on, binding its values as $n+1... into params (n counts them). Appends
 * nothing for scope all, and a predicate that is always false for none. */
void kh_scope_sql(const struct kh_principal *who, const struct kh_entity *e, enum kh_action a, struct kh_buf *sql,
		  struct kh_val *params, int *n, int max);

/* Masks a personal value for display: 13812345678 -> 138****5678,
 * zhang@example.com -> z***@example.com, anything else -> its first character
 * and ***. Writes into out (outlen bytes). */
void kh_mask(const struct kh_field *f, const char *s, size_t n, char *out, size_t outlen);

#endif
