/* Merging duplicates: one transaction that
 *   1. gives the winner the chosen values (fields: {"email": <id of the record
 *      to take it from>}) and fills the winner's empty fields from the losers,
 *   2. moves every live record that refers to a loser (activities,
 *      opportunities, orders, cases, contacts of an account...) to the winner,
 *   3. archives the losers, each with a pointer to the winner (kh_merged),
 * all through the write path (so each change is audited and sent to the
 * outbox), and records what undoing it needs in kh_merges. kh_merge_undo puts
 * it all back in one transaction: losers restored, moved records returned,
 * the winner's fields as they were. */
#ifndef KH_MERGE_H
#define KH_MERGE_H

#include <jansson.h>

#include "domain/write.h"
#include "util/json_out.h"

#define KH_MERGE_MAX_LOSERS 50

enum kh_err kh_merge(struct kh_ctx *ctx, const struct kh_entity *e, int64_t winner, const int64_t *losers, int n,
		     json_t *fields, int64_t *merge_id);
enum kh_err kh_merge_undo(struct kh_ctx *ctx, int64_t merge_id);
/* {"id", "entity", "winner", "losers", "moved": n, "created_at", "undone_at"} */
enum kh_err kh_merge_json(struct kh_ctx *ctx, int64_t merge_id, struct kh_jw *w);

#endif
