/* Small statistics of survey answers: Cronbach's alpha, the Net Promoter
 * Score, the distribution and CSAT of a rating question, and the attitudinal
 * and behavioural loyalty segments of Dick and Basu.
 *
 * Pure functions: arrays in, results out, no I/O, thread-safe. */
#ifndef KH_ANALYTICS_SURVEY_STATS_H
#define KH_ANALYTICS_SURVEY_STATS_H

#include <stddef.h>

#include "util/err.h"

/* Cronbach's alpha of k items answered by n respondents (x row-major, n x k,
 * complete): alpha = k / (k - 1) * (1 - sum_i var(x_i) / var(sum_i x_i)), on
 * the raw answers (Cronbach 1951). KH_EINVAL if k < 2, n < 2, a value is not
 * finite or the total score does not vary. */
enum kh_err kh_cronbach_alpha(const double *x, size_t n, size_t k, double *alpha);

/* The standardized alpha, k r / (1 + (k - 1) r) with r the mean inter-item
 * correlation: the alpha of the standardized items, which PLS reports (see
 * pls.h). Same errors, and an item that does not vary. */
enum kh_err kh_cronbach_alpha_std(const double *x, size_t n, size_t k, double *alpha);

/* Net Promoter Score of answers to "How likely are you to recommend...?" on
 * 0-10 (Reichheld 2003): promoters answer 9-10, passives 7-8, detractors
 * 0-6; the score is the percentage of promoters minus that of detractors,
 * from -100 to 100. se is its standard error, 100 * sqrt((P + D - (P - D)^2)
 * / n) with P, D the shares, as for the mean of a variable that is +1 for a
 * promoter, -1 for a detractor and 0 otherwise; it tells whether a change
 * between two periods is more than noise. */
struct kh_nps {
	size_t n, promoters, passives, detractors;
	double score;
	double se;
};

/* KH_EINVAL if an answer is outside 0-10. With no answers, n is 0 and score
 * and se are NaN: there is no NPS to report. */
enum kh_err kh_nps(const int *answers, size_t n, struct kh_nps *out);

/* The NPS of each period (a month, a quarter) for a trend: answer t falls in
 * period[t], which must be below n_periods; out has n_periods entries. */
enum kh_err kh_nps_by_period(const int *answers, const size_t *period, size_t n,
			     size_t n_periods, struct kh_nps *out);

/* The distribution of answers to a rating question on the scale lo..hi
 * (1-5, 1-7, 1-10, 0-10: at most KH_DIST_LEVELS levels). */
#define KH_DIST_LEVELS 11

struct kh_dist {
	int lo, hi;
	size_t n;
	size_t count[KH_DIST_LEVELS]; /* count[v - lo] answers of value v */
	double mean, sd;              /* sd with n - 1; NaN below two answers */
	double median;                /* the mean of the two middle answers if n is even */
	double csat;                  /* % of answers >= satisfied_from (top box) */
};

/* Fills out from the answers. satisfied_from is the lowest satisfied answer:
 * CSAT is conventionally the share of 4 and 5 on a 1-5 scale, so 4 there.
 * KH_EINVAL if the scale is empty or too long, satisfied_from is off it, or an
 * answer is off it. With no answers, mean, sd, median and csat are NaN. */
enum kh_err kh_csat(const int *answers, size_t n, int lo, int hi, int satisfied_from,
		    struct kh_dist *out);

/* Loyalty segments of Dick and Basu ("Customer loyalty: toward an integrated
 * conceptual framework", JAMS 22 (1994) 99-113), from relative attitude (a
 * survey score: satisfaction, likelihood to recommend) and repeat patronage
 * (behaviour: repurchase rate, purchases per year), each high when at or
 * above its cut. */
enum kh_loyalty {
	KH_LOYALTY_NONE = 0, /* low attitude, low patronage */
	KH_LOYALTY_SPURIOUS, /* low attitude, high patronage: inertia, no choice */
	KH_LOYALTY_LATENT,   /* high attitude, low patronage: something stops them */
	KH_LOYALTY_TRUE,     /* high attitude, high patronage */
	KH_LOYALTY_COUNT
};

enum kh_loyalty kh_loyalty_segment(double attitude, double patronage, double attitude_cut,
				   double patronage_cut);
/* Segments n customers into seg (may be NULL) and counts them into
 * count[KH_LOYALTY_COUNT]. KH_EINVAL if a value or a cut is not finite. */
enum kh_err kh_loyalty_segments(const double *attitude, const double *patronage, size_t n,
				double attitude_cut, double patronage_cut, enum kh_loyalty *seg,
				size_t count[KH_LOYALTY_COUNT]);
/* The stable name of a segment ("true", "latent", "spurious", "none"). */
const char *kh_loyalty_name(enum kh_loyalty s);

#endif
