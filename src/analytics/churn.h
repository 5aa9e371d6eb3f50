/* Churn risk: L2-regularised logistic regression, AUC and a calibration table.
 *
 * Features are standardised inside the fit (each column to mean 0 and
 * standard deviation 1 over the training rows; a constant column is left
 * centred with scale 1), so the penalty treats every feature alike and the
 * problem is well conditioned. The fit minimises
 *
 *   sum_i [ log(1 + exp(eta_i)) - y_i eta_i ] + lambda / 2 * sum_{j>=1} beta_j^2,
 *
 * eta_i = beta_0 + sum_j beta_j z_ij, over the standardised z; the intercept is
 * not penalised. lambda = 1/C in scikit-learn's terms. The minimiser is found
 * by Newton's method (IRLS) with a step-halving line search: the objective is
 * convex, so it converges in a few iterations; each costs O(n p^2) and runs on
 * two threads for large n. Above 200,000 rows Newton starts on a systematic
 * sample of about 50,000, whose optimum leaves the full problem two or three
 * passes over the rows. X is standardised as it is read, not copied: the fit
 * allocates only the sample. The coefficients are reported both on the
 * standardised scale and converted back to the original units. */
#ifndef KH_ANALYTICS_CHURN_H
#define KH_ANALYTICS_CHURN_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/summary.h"
#include "util/err.h"

#define KH_LOGREG_MAXP 31

struct kh_logreg {
	int p;                           /* features */
	double lambda;
	double beta[KH_LOGREG_MAXP + 1]; /* standardised scale, intercept first */
	double coef[KH_LOGREG_MAXP + 1]; /* original units, intercept first */
	double se[KH_LOGREG_MAXP + 1];   /* standard errors of beta (from the penalised Hessian) */
	double mean[KH_LOGREG_MAXP], sd[KH_LOGREG_MAXP];
	double loglik;                   /* unpenalised log-likelihood at the optimum */
	int iterations, converged;
};

/* Fits on n rows of p features (X row-major, n x p) with labels y (0/1).
 * KH_EINVAL for p outside 1..KH_LOGREG_MAXP, lambda < 0, non-finite X, or
 * labels all equal with lambda = 0 (no finite optimum). */
enum kh_err kh_logreg_fit(struct kh_logreg *m, const double *X, const uint8_t *y, size_t n, int p,
			  double lambda);
/* P(y = 1 | x) for one row of p features in original units. */
double kh_logreg_predict(const struct kh_logreg *m, const double *x);
/* The same for n rows into prob. */
void kh_logreg_predict_all(const struct kh_logreg *m, const double *X, size_t n, double *prob);

/* Area under the ROC curve of score for labels y: the probability that a
 * random positive scores above a random negative, ties counting one half
 * (the Mann-Whitney statistic with mid-ranks). NaN if a class is empty. */
double kh_auc(const double *score, const uint8_t *y, size_t n);

struct kh_calib_bin {
	size_t count;
	double lo, hi;     /* range of predicted probabilities in the bin */
	double predicted;  /* mean predicted probability */
	double observed;   /* observed rate of y = 1 */
};

/* Calibration table: rows ordered by prob are cut into nbins bins of equal
 * count (bin b holds ranks [b n / nbins, (b+1) n / nbins)); deciles for
 * nbins = 10. */
enum kh_err kh_calibration(const double *prob, const uint8_t *y, size_t n, int nbins,
			   struct kh_calib_bin *bins);

/* Behavioural features at a cutoff day, for a time-based split: train on
 * features at cutoff = as_of - horizon with labels from (cutoff, as_of], then
 * score every customer on features at cutoff = as_of.
 *
 * Columns of X (row-major, n_customers x (KH_CHURN_NFEAT + n_extra)):
 *   0 recency: days from the last purchase to the cutoff
 *   1 frequency: purchase days up to the cutoff
 *   2 tenure: days from the first purchase to the cutoff
 *   3 average value of a purchase day
 *   4 monetary trend: ln((1 + value in the last 90 days) /
 *                        (1 + value in the 90 days before)), > 0 when growing
 *   5.. the caller's extra columns (service cases, complaints, ...), copied
 *       from extra (n_customers x n_extra, row-major) when n_extra > 0.
 * label[c] = 1 if customer c makes no purchase in (cutoff, cutoff + horizon]
 * (churned), and eligible[c] = 1 if c had bought by the cutoff: only those
 * rows carry meaningful features. Any output may be NULL. */
#define KH_CHURN_NFEAT 5
enum kh_err kh_churn_features(const struct kh_txns *t, size_t n_customers, int32_t cutoff,
			      int32_t horizon, const double *extra, int n_extra, double *X,
			      uint8_t *label, uint8_t *eligible);

/* Why a customer's risk is what it is: contrib[j] = beta_j * z_j, feature j's
 * share of the log-odds of x (p features in original units) against the
 * average customer of the training rows (z_j the standardised feature). A
 * positive contribution raises the risk. Summed with the intercept it gives
 * the log-odds, so the contributions explain the prediction exactly. */
void kh_logreg_contrib(const struct kh_logreg *m, const double *x, double *contrib);

#endif
