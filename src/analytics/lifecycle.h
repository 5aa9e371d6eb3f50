/* Customer lifecycle stages at an as-of date, and the flows between stages
 * month by month.
 *
 * From a customer's purchase days up to and including the as-of date, with
 * gap = as_of - last purchase day:
 *
 *   prospect   no purchase yet;
 *   churned    gap > churn_days;
 *   at risk    active_days < gap <= churn_days;
 *   new        gap <= active_days and the first purchase was less than
 *              new_days ago;
 *   won back   gap <= active_days and the customer came back less than
 *              new_days ago after a silence of more than churn_days
 *              (two consecutive purchase days more than churn_days apart);
 *   active     gap <= active_days otherwise.
 *
 * The rules are checked in that order, so every customer has one stage. The
 * defaults (KH_LIFECYCLE_DEFAULTS) are 90 days for new and active and 180
 * days for churned; a business with slower cycles passes its own. */
#ifndef KH_ANALYTICS_LIFECYCLE_H
#define KH_ANALYTICS_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/summary.h"
#include "util/err.h"

enum kh_stage {
	KH_STAGE_PROSPECT = 0,
	KH_STAGE_NEW,
	KH_STAGE_ACTIVE,
	KH_STAGE_AT_RISK,
	KH_STAGE_CHURNED,
	KH_STAGE_WON_BACK,
	KH_STAGE_COUNT
};

struct kh_lifecycle_opts {
	int32_t new_days, active_days, churn_days;
};

#define KH_LIFECYCLE_DEFAULTS {90, 90, 180}

/* "prospect", "new", "active", "at_risk", "churned", "won_back"; "" if out of range. */
const char *kh_stage_name(int stage);

/* The stage at as_of of one customer whose purchase days are days[0..m-1],
 * ascending (repeats allowed; days after as_of are ignored). */
enum kh_stage kh_lifecycle_stage(const int32_t *days, size_t m, int32_t as_of,
				 const struct kh_lifecycle_opts *o);

/* Stages of n_customers customers at each of the n_dates ascending dates
 * as_of[], from their transaction lines (amounts and orders unused). Each
 * output may be NULL:
 *   stage[c * n_dates + d]   the stage of customer c at date d;
 *   counts[d * KH_STAGE_COUNT + s]  customers in stage s at date d;
 *   flows[((d - 1) * KH_STAGE_COUNT + from) * KH_STAGE_COUNT + to]
 *        customers in stage `from` at date d - 1 and `to` at date d, d >= 1.
 * One pass over each customer's history: O(lines + customers * dates).
 * KH_EINVAL for dates not ascending or bad options, KH_ENOMEM. */
enum kh_err kh_lifecycle(const struct kh_txns *t, size_t n_customers, const int32_t *as_of,
			 size_t n_dates, const struct kh_lifecycle_opts *o, uint8_t *stage,
			 size_t *counts, size_t *flows);

/* The last day of each month from the month of `from` to the month of `to`
 * (days since 1970-01-01) into out (at most max); returns how many there are
 * (which may exceed max: then only max were written). */
size_t kh_month_ends(int32_t from, int32_t to, int32_t *out, size_t max);

#endif
