/* Cohorts: retention and repurchase of the customers acquired in each month.
 *
 * A customer's cohort is the month of their first purchase. For every cohort
 * and every month since (period 0 is the acquisition month itself, so its
 * retention is 1), the table counts the cohort's customers who bought in that
 * month; retention is that count over the cohort's size. The retention curve
 * averages the cohorts that have lived through each period, weighted by their
 * size (so a period's point is "of all customers who were acquired at least k
 * months ago, the share who bought in their k-th month"). A customer
 * repurchases when they buy on a second, later day at any time up to the
 * as-of date.
 *
 * Months are calendar months of the proleptic Gregorian calendar, numbered
 * y * 12 + (m - 1). Only purchases on or before as_of count. */
#ifndef KH_ANALYTICS_COHORT_H
#define KH_ANALYTICS_COHORT_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/summary.h"
#include "util/err.h"

/* The month number y * 12 + (m - 1) of a day (days since 1970-01-01). */
int32_t kh_month_of_day(int32_t day);
/* The first day of month number `month`. */
int32_t kh_month_first_day(int32_t month);

struct kh_cohorts {
	int32_t first_month;     /* month number of cohort 0 */
	size_t n_cohorts;        /* months from the first cohort to as_of's month */
	size_t n_periods;        /* = n_cohorts: period k of cohort c is month c + k */
	size_t *size;            /* n_cohorts: customers acquired in each month */
	size_t *repeat;          /* n_cohorts: of them, customers who repurchased */
	size_t *active;          /* n_cohorts x n_periods, row-major; 0 past as_of */
	double *revenue;         /* n_cohorts x n_periods: the cohort's revenue in the month */
	double *curve;           /* n_periods: the size-weighted retention curve (NaN where no
	                          * cohort has reached the period) */
};

/* Builds the cohort table of the lines (amount may be NULL). KH_EINVAL for a
 * customer index out of range, KH_ENOMEM. With no purchase up to as_of the
 * table is empty (n_cohorts = 0). */
enum kh_err kh_cohorts_build(const struct kh_txns *t, size_t n_customers, int32_t as_of,
			     struct kh_cohorts *c);
void kh_cohorts_release(struct kh_cohorts *c);

#endif
