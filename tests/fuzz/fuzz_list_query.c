/* libFuzzer target: the list query parser (filters, operators, sort, limit,
 * cursor) and the SQL it builds, from a query string as it arrives. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model/entity.h"
#include "model/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready)
		ready = kh_model_init() == 0;
	if (size < 1 || size > 4096)
		return 0;
	const struct kh_entity *e = kh_entities[data[0] % kh_nentities];
	struct kh_principal who = {.user_id = 1, .username = "fuzz", .role = "admin", .is_admin = data[0] & 1};
	struct kh_arena a;
	struct kh_errinfo ei;
	kh_arena_init(&a);
	kh_errinfo_init(&ei, &a);
	/* "k1=v1&k2=v2..." as NUL-terminated pieces in the arena. */
	char *qs = kh_arena_strndup(&a, (const char *)data + 1, size - 1);
	struct kh_list_query q;
	kh_list_init(&q, e);
	for (char *save = NULL, *kv = strtok_r(qs, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		kh_list_param(&q, kv, eq ? eq + 1 : NULL, &a, &ei);
	}
	if (kh_list_finish(&q, &who, &a, &ei) == KH_OK) {
		struct kh_buf sql = KH_BUF_INIT;
		struct kh_val params[4096];
		int n;
		kh_list_sql(&q, &who, &a, &sql, params, &n, 4096);
		kh_buf_release(&sql);
	}
	kh_arena_release(&a);
	return 0;
}
