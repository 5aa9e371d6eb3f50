/* GET /api/v1/search?q=...&limit=20 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "domain/search.h"
#include "util/utf8.h"

enum kh_err kh_api_search(struct kh_req *r)
{
	const char *q = kh_req_arg(r, "q"), *lim = kh_req_arg(r, "limit");
	long limit = 20;
	if (lim) {
		char *end;
		limit = strtol(lim, &end, 10);
		if (!*lim || *end || limit < 1 || limit > 100) {
			kh_errinfo_field(&r->ei, "limit", "must be an integer from 1 to 100");
			return kh_req_fail(r, KH_EINVAL, "limit must be an integer from 1 to 100");
		}
	}
	if (!q || !kh_utf8_valid_str(q) || strlen(q) > 200) {
		kh_errinfo_field(&r->ei, "q", "is required: 1 to 200 bytes of UTF-8 text");
		return kh_req_fail(r, KH_EINVAL, "q is required: 1 to 200 bytes of UTF-8 text");
	}
	return kh_search_run(&r->ctx, q, (int)limit, &r->jw);
}
