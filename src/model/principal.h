/* The acting principal: who is asking. Every read and write carries one, from
 * the HTTP layer's authentication down to the query builder, which is the one
 * place where record scope and personal-data masking are applied. */
#ifndef KH_PRINCIPAL_H
#define KH_PRINCIPAL_H

#include <stdint.h>

struct kh_role;

struct kh_principal {
	int64_t user_id; /* 0 for the system itself (demo generator, migrations) */
	int64_t team_id; /* 0 when the user is in no team */
	const char *username;
	const char *role; /* the role's key */
	int is_admin;     /* everything, everywhere (the system is admin too) */
	const struct kh_role *perms; /* NULL: the role grants nothing (or is_admin) */
	int64_t api_key_id;          /* when authenticated by an API key */
};

#endif
