/* The acting principal: who is asking. Every read and write carries one, from
 * the HTTP layer's authentication down to the query builder, which is the one
 * place where record scope and personal-data masking are applied. */
#ifndef KH_PRINCIPAL_H
#define KH_PRINCIPAL_H

#include <stdint.h>

struct kh_principal {
	int64_t user_id; /* 0 for the system itself (demo generator, migrations) */
	const char *username;
	const char *role; /* one of the users.role values */
	int is_admin;
};

#endif
