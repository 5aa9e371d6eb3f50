/* ABC (Pareto, 80/20) classification of customers by value.
 *
 * Customers are ranked by value, largest first (equal values keep input
 * order, so the result is deterministic). Shares are of the total positive
 * value. A customer is class A if the customers ranked before it hold less
 * than a_cut of the total (so the one that crosses a_cut is still A), class B
 * likewise up to b_cut, class C otherwise; customers with value <= 0 (possible
 * for profit) are always C. With a_cut = 0.8 and b_cut = 0.95, A is the
 * smallest set of top customers that makes 80% of the value. */
#ifndef KH_ANALYTICS_ABC_H
#define KH_ANALYTICS_ABC_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum kh_abc_class { KH_ABC_A = 0, KH_ABC_B, KH_ABC_C };

struct kh_abc {
	size_t count[3];      /* customers per class */
	double value[3];      /* value per class */
	double total;         /* total positive value */
	double top20_share;   /* share of the value held by the top 20% of customers */
	double customers_for_80; /* share of customers (from the top) holding 80% of the value */
};

/* Classifies n customers by value into cls[i] (enum kh_abc_class) and fills
 * the summary. If curve is not NULL it receives npoints >= 2 points of the
 * Pareto (Lorenz-from-the-top) curve: curve[k] is the share of the value held
 * by the top k/(npoints-1) of the customers (interpolated linearly between
 * customers), so curve[0] = 0 and curve[npoints-1] = 1.
 * KH_EINVAL for NaN values or cuts outside 0 < a_cut <= b_cut <= 1. */
enum kh_err kh_abc_classify(const double *value, size_t n, double a_cut, double b_cut,
			    uint8_t *cls, struct kh_abc *sum, double *curve, size_t npoints);

#endif
