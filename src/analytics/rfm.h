/* RFM scoring and the standard RFM segments.
 *
 * Input per customer: recency (days since the last purchase at the as-of
 * date; smaller is better), frequency (purchases or orders; larger is better)
 * and monetary value (revenue; larger is better). Customers with frequency
 * <= 0 have not bought and are not scored.
 *
 * Binning: each score is a quintile of the scored customers by rank:
 *
 *   score = 1 + floor(5 * worse / n),
 *
 * where n is the number of scored customers and `worse` the number of them
 * with a strictly worse value (a larger recency; a smaller frequency or
 * monetary value). So 5 is the best fifth, 1 the worst, and the scores of a
 * customer do not depend on the order of the input.
 *
 * Ties: customers with equal values always get the same score (a tie is never
 * split between quintiles, unlike binning on row numbers); the whole tied
 * group takes the score of its lowest rank. With heavy ties (most customers
 * buying once) some scores are then not used: if 60% have frequency 1, they
 * all get F = 1 and the next value starts at F = 4.
 *
 * Segments: from R and FM = floor((F + M + 1) / 2) (the mean of F and M,
 * halves rounded up), by this grid (rows R, columns FM):
 *
 *        FM=1             2                    3                    4           5
 *   R=5  New              Potential Loyalists  Potential Loyalists  Champions   Champions
 *   R=4  Promising        Potential Loyalists  Potential Loyalists  Loyal       Loyal
 *   R=3  About to Sleep   About to Sleep       Need Attention       Loyal       Loyal
 *   R=2  Hibernating      Hibernating          At Risk              At Risk     Can't Lose
 *   R=1  Lost             Hibernating          At Risk              At Risk     Can't Lose
 *
 * which is the widely used R x F segment map with its R = 1, F = 1 corner
 * named Lost. */
#ifndef KH_ANALYTICS_RFM_H
#define KH_ANALYTICS_RFM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum kh_rfm_segment {
	KH_RFM_NONE = 0, /* not scored: no purchase */
	KH_RFM_CHAMPIONS,
	KH_RFM_LOYAL,
	KH_RFM_POTENTIAL_LOYALISTS,
	KH_RFM_NEW,
	KH_RFM_PROMISING,
	KH_RFM_NEED_ATTENTION,
	KH_RFM_ABOUT_TO_SLEEP,
	KH_RFM_AT_RISK,
	KH_RFM_CANT_LOSE,
	KH_RFM_HIBERNATING,
	KH_RFM_LOST,
	KH_RFM_NSEG
};

/* "Champions", "Can't Lose", ...; "None" for KH_RFM_NONE. Never NULL. */
const char *kh_rfm_segment_name(int seg);
/* The segment of a score pair (1..5 each). */
enum kh_rfm_segment kh_rfm_segment_of(int r, int f, int m);

struct kh_rfm_stat {
	size_t customers;
	double revenue; /* sum of monetary */
};

/* Scores n customers into r, f, m (1..5, 0 if not scored) and segment (an
 * enum kh_rfm_segment), and if stats is not NULL fills stats[0..KH_RFM_NSEG-1]
 * with the customers and revenue per segment. O(n) time (radix sorts).
 * KH_EINVAL for NaN input, KH_ENOMEM. */
enum kh_err kh_rfm_score(const double *recency, const double *frequency, const double *monetary,
			 size_t n, uint8_t *r, uint8_t *f, uint8_t *m, uint8_t *segment,
			 struct kh_rfm_stat *stats);

/* The quintile scores of one column alone, by the rule above: keep[i] = 0
 * excludes row i (score 0); higher_better chooses the direction. */
enum kh_err kh_quintile_scores(const double *v, const uint8_t *keep, size_t n, int higher_better,
			       uint8_t *score);

#endif
