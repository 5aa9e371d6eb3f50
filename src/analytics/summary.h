/* Per-customer purchase summaries: the input of RFM, ABC and the CLV models.
 *
 * A transaction line is (customer index, day, amount, optional order id). Days
 * are whole days since 1970-01-01 (kh_date_days() in util/clock.h makes them),
 * customer indices run from 0 to n_customers - 1 (the caller maps its ids to
 * indices). Following Fader, Hardie & Lee (2005) and the lifetimes package, a
 * "purchase" is a customer's purchase day: all lines of one customer on one day
 * are merged into one purchase whose value is their sum. So
 *
 *   frequency x  = purchase days in the calibration period minus one (repeat purchases),
 *   recency  t_x = (last purchase day - first purchase day) / unit,
 *   age      T   = (calibration_end - first purchase day) / unit,
 *
 * where the calibration period is every day up to and including
 * calibration_end and unit is the length of the time unit in days (1, 7 or
 * KH_DAYS_PER_MONTH). The holdout period is (calibration_end, holdout_end]. */
#ifndef KH_ANALYTICS_SUMMARY_H
#define KH_ANALYTICS_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define KH_DAYS_PER_DAY 1.0
#define KH_DAYS_PER_WEEK 7.0
/* A month is a twelfth of the mean Gregorian year, so that 12 months are a year. */
#define KH_DAYS_PER_MONTH (365.25 / 12)

/* Transaction lines as parallel arrays of length n (struct of arrays, as a
 * store query returns columns). amount and order may be NULL. Lines may come
 * in any order; lines sorted by (customer, day) skip the internal sort. */
struct kh_txns {
	size_t n;
	const uint32_t *customer; /* 0 <= customer[i] < n_customers */
	const int32_t *day;       /* days since 1970-01-01 */
	const double *amount;     /* line value (revenue); NULL counts as 0 */
	const int64_t *order;     /* order id, only used to count orders; may be NULL */
};

/* One entry per customer index, all arrays of length n, owned by the summary
 * (kh_summary_release frees them). A customer without a purchase in the
 * calibration period has purchases = 0, frequency = 0 and recency = T = -1;
 * the models skip rows with T < 0. */
struct kh_summary {
	size_t n;
	double unit;            /* days per time unit */
	int32_t calibration_end, holdout_end;
	uint32_t *purchases;    /* purchase days in the calibration period (x + 1) */
	uint32_t *frequency;    /* x: repeat purchase days */
	uint32_t *orders;       /* distinct order ids in the calibration period (purchases if no ids) */
	double *recency;        /* t_x in units */
	double *T;              /* age in units */
	double *total;          /* sum of amounts in the calibration period */
	double *avg_value;      /* total / purchases: mean value of a purchase day */
	double *monetary;       /* mean value of the repeat purchase days (0 if x = 0), the
				 * Gamma-Gamma convention of Fader & Hardie's note */
	int32_t *first_day;     /* first and last calibration purchase day; INT32_MIN if none */
	int32_t *last_day;
	uint32_t *holdout_purchases; /* purchase days in (calibration_end, holdout_end] */
	double *holdout_value;  /* sum of amounts in the holdout period */
};

/* Builds the summary of n_customers customers from the lines, counting lines on
 * days up to calibration_end into the calibration period and lines in
 * (calibration_end, holdout_end] into the holdout period (pass holdout_end <=
 * calibration_end for none); later lines are ignored. unit is days per time
 * unit (> 0). Unless the lines are sorted by (customer, day) already, a
 * counting sort groups them by customer in O(n + n_customers) and each
 * customer's lines are then sorted by day; the per-customer work runs on two
 * threads. KH_EINVAL for a customer index out of range or a bad unit,
 * KH_ENOMEM. */
enum kh_err kh_summary_build(struct kh_summary *s, const struct kh_txns *t, size_t n_customers,
			     int32_t calibration_end, int32_t holdout_end, double unit);
void kh_summary_release(struct kh_summary *s);

/* Groups the lines by customer for kernels that walk each customer's history:
 * on success *start (n_customers + 1 entries) and *idx (t->n entries) are
 * malloc'ed for the caller to free, and customer c's lines are
 * idx[start[c] .. start[c+1]-1], sorted by (day, order id). O(n + n_customers)
 * plus the sort of each customer's lines. KH_EINVAL for a customer index out
 * of range, KH_ENOMEM. */
enum kh_err kh_txns_group(const struct kh_txns *t, size_t n_customers, size_t **start,
			  uint32_t **idx);

#endif
