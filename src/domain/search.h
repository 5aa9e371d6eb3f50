/* Global search over every entity with searchable fields (names, e-mails,
 * phones, numbers). The index itself belongs to the store driver; this file
 * decides what text a record is found by, and shapes the answer. */
#ifndef KH_SEARCH_H
#define KH_SEARCH_H

#include "domain/write.h"
#include "util/json_out.h"

/* Appends a field's value to a record's search text. Phone numbers are added
 * twice, as written and as bare digits, so 13812345678 finds 138-1234-5678. */
void kh_search_text_add(struct kh_buf *text, const struct kh_field *f, const struct kh_val *v);

/* Writes {"data": [{"entity": ..., "id": ..., "title": ..., "record": {...}}]}
 * for query q, newest first. KH_EINVAL for an empty query. */
enum kh_err kh_search_run(struct kh_ctx *ctx, const char *q, int limit, struct kh_jw *w);

#endif
