/* Internal to the CLV models: the (x, t_x, T) rows of a fit, deduplicated.
 *
 * The likelihoods of BG/NBD and Pareto/NBD depend on a customer only through
 * (x, t_x, T), and with day-level dates many customers share the same triple;
 * a fit evaluates the likelihood dozens of times, so the rows are merged once
 * into distinct triples with a count (weight). */
#ifndef KH_ANALYTICS_RF_H
#define KH_ANALYTICS_RF_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/optim.h"
#include "util/err.h"

struct kh_rf {
	size_t n;        /* distinct rows */
	uint32_t *x;
	double *t, *T, *w;
	uint32_t xmax;
	double wsum;     /* customers in the fit */
	double *xcount;  /* xmax + 1 entries: customers with each x */
	/* The distinct values among all t and T, and each row's index into
	 * them: with dates in whole days there are only as many as days in the
	 * history, so a model tabulates ln(alpha + value) once per evaluation
	 * instead of twice per row. */
	size_t nval;
	double *val;
	uint32_t *ti, *Ti;
	/* The distinct (x, value) pairs among (x, t) and (x, T), and each row's
	 * two pair indices: Pareto/NBD's hypergeometric terms depend on a row
	 * only through them, so they are computed once per pair. */
	size_t npair;
	uint32_t *pair_x, *pair_v;
	uint32_t *pti, *pTi;
};

/* Deduplicates the rows with T >= 0 (the others are not customers yet).
 * KH_EINVAL if a row has t_x < 0, t_x > T or non-finite values, or if no row
 * is left; KH_ENOMEM. */
enum kh_err kh_rf_build(struct kh_rf *d, const uint32_t *x, const double *t_x, const double *T,
			size_t n);
void kh_rf_release(struct kh_rf *d);

/* Rows for a quick first search on large data: every k-th distinct row of d
 * (with its count), k chosen to keep about `target` rows; the first rows
 * appeared in input order, so this is a systematic sample of the customers.
 * KH_ENOMEM. */
enum kh_err kh_rf_sample(const struct kh_rf *d, size_t target, struct kh_rf *s);

/* The distinct-row count above which the fits search on a sample first. */
#define KH_RF_SAMPLE_ABOVE 60000

/* Standard errors of parameters p = exp(th) fitted by minimising f, the mean
 * negative log-likelihood of N customers over th: with the observed
 * information H (the Hessian of N f at the optimum), cov(p) = diag(p) H^-1
 * diag(p) (the delta method). NaN where H is not positive definite. */
void kh_fit_std_errors(kh_objective f, void *ctx, const double *th, int n, int has_grad,
		       double N, double *se);

#endif
