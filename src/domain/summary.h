/* The value figures of one customer (an account or a contact) for the 360
 * view: what they bought, what is open with them, when we last spoke. */
#ifndef KH_SUMMARY_H
#define KH_SUMMARY_H

#include "domain/write.h"
#include "util/json_out.h"

/* Writes {"revenue", "currency", "orders", "first_order_date", "last_order_date",
 * "open_opportunities", "open_pipeline", "open_cases", "last_activity_at"}.
 * KH_ENOTFOUND if e has no orders, opportunities or cases of its own (only
 * customers do) or the record does not exist. */
enum kh_err kh_customer_summary(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_jw *w);

#endif
