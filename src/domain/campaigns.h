/* Campaigns: target lists frozen as members, cost lines in any currency (with
 * a rate to the campaign's), results with attributed revenue and ROI, and
 * telemarketing call lists with scripts and outcome codes. The campaign itself
 * is the core campaigns entity; e-mail sending is in email.h. */
#ifndef KH_CAMPAIGNS_H
#define KH_CAMPAIGNS_H

#include <jansson.h>

#include "domain/write.h"
#include "util/json_out.h"

/* POST /api/v1/campaigns/{id}/members: freezes a target list as members.
 *   {"entity": "contacts" | "leads" | "accounts", "filter": "city=上海&status=active"}
 *       a saved list filter (the query string of the list, as the UI keeps it)
 *   {"segment": "At Risk", "by": "accounts" | "contacts"}
 *       an RFM segment of the customers' orders as of today
 *   {"entity": ..., "ids": [1, 2, 3]}
 * Records already in the campaign are left as they are. Writes {"added",
 * "already", "matched"}. */
enum kh_err kh_campaign_members_add(struct kh_ctx *ctx, int64_t campaign_id, json_t *body, struct kh_jw *w);

/* GET /api/v1/campaigns/{id}/results?window=90: members by status, reach,
 * response and conversion rates, leads and customers won, cost (cost lines in
 * the campaign's currency, or its actual_cost), cost per lead and per
 * customer, revenue and margin of the orders members placed within `window`
 * days after they were contacted, and ROI = (margin - cost) / cost. */
enum kh_err kh_campaign_results(struct kh_ctx *ctx, int64_t campaign_id, int window_days, struct kh_jw *w);

/* GET /api/v1/campaigns/{id}/call-list?limit=50: the members to call next,
 * with their phones and the campaign's call script. */
enum kh_err kh_campaign_call_list(struct kh_ctx *ctx, int64_t campaign_id, int limit, struct kh_jw *w);
/* POST /api/v1/campaign_members/{id}/call {"outcome", "notes", "duration_minutes",
 * "callback_at"}: logs the call as an activity and updates the member. */
enum kh_err kh_campaign_member_call(struct kh_ctx *ctx, int64_t member_id, json_t *body, struct kh_jw *w);

#endif
