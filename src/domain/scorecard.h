/* The balanced scorecard of CRM performance: four perspectives (customer
 * knowledge, customer interaction, value for the customer, value for the
 * company), KPIs computed live from Kehu's data with targets and thresholds,
 * the cause-and-effect links of the strategy map, and monthly trends.
 *
 * KPIs (window of the current value; every one but the snapshot ones has a
 * month-by-month trend):
 *   knowledge    data_completeness (% of contacts with a phone or e-mail and a
 *                city), scored_share (% of buying customers with stored scores)
 *   interaction  first_response_hours and resolution_hours (median, cases of
 *                the last 90 days), activities_per_customer (completed in 90
 *                days per customer who bought in the last year)
 *   customer     csat (% of rated cases 4-5, 90 days), nps (survey answers,
 *                90 days), acsi (the satisfaction index of the latest ACSI or
 *                ECSI survey with 30 answers or more)
 *   company      retention (% of last year's customers who bought again within
 *                the year), revenue_per_customer and profit_per_customer (yuan,
 *                12 months), clv_mean (stored scores), campaign_roi (% return
 *                of campaign costs in won deals)
 * Every figure counts only what the principal may read. */
#ifndef KH_SCORECARD_H
#define KH_SCORECARD_H

#include <jansson.h>

#include "domain/write.h"
#include "util/json_out.h"

/* Migration 501: the targets table. */
enum kh_err kh_scorecard_migrate(struct kh_db *db);

/* GET /api/v1/analytics/scorecard?months=N (1-36, 12 by default). */
enum kh_err kh_scorecard(struct kh_ctx *ctx, int months, struct kh_jw *w);

/* PUT /api/v1/analytics/scorecard/targets: {"nps": {"target": 40,
 * "threshold": 10}, ...}; unknown KPIs and thresholds on the wrong side of
 * their target are field errors and nothing is stored. */
enum kh_err kh_scorecard_set_targets(struct kh_ctx *ctx, json_t *body);

#endif
