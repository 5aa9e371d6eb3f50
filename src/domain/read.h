/* The read use cases: one record, and lists (plain and related). Both write the
 * API's JSON straight into the response buffer. */
#ifndef KH_READ_H
#define KH_READ_H

#include "domain/write.h"
#include "model/query.h"
#include "util/json_out.h"

/* Writes record id of e as a JSON object; *version receives its version (for
 * the ETag). KH_ENOTFOUND if there is no such record. Archived records are
 * returned too, with archived_at set. */
enum kh_err kh_record_get(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_jw *w,
			  int64_t *version);

/* Writes {"data": [...], "next_cursor": "..." | null[, "total": n]}. */
enum kh_err kh_record_list(struct kh_ctx *ctx, const struct kh_list_query *q, struct kh_jw *w);

/* Writes {"groups": [{"key": {"stage": "proposal"}, "count": 12, "sum_amount": 1234}],
 * "truncated": false}: one entry per group, in key order. */
enum kh_err kh_record_aggregate(struct kh_ctx *ctx, const struct kh_agg *g, struct kh_jw *w);

/* KH_OK if record id of e exists and the principal may read it (and, with
 * live_only, it is not archived), else KH_ENOTFOUND with the error set. */
enum kh_err kh_record_exists(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, int live_only);

#endif
