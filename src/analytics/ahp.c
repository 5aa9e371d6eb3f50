/* The analytic hierarchy process; see ahp.h. */
#include "analytics/ahp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RECIPROCAL_TOL 1e-3
#define POWER_TOL 1e-13
#define POWER_MAX_ITER 100000

double kh_ahp_random_index(size_t n)
{
	/* Saaty (1980), from the mean consistency index of random reciprocal
	 * matrices with judgements drawn from the 1-9 scale. */
	static const double ri[KH_AHP_MAX_N + 1] = {
		0, 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
	};

	return n <= KH_AHP_MAX_N ? ri[n] : NAN;
}

static enum kh_err check_matrix(const double *a, size_t n)
{
	if (!a || !n || n > KH_AHP_MAX_N)
		return KH_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (a[i * n + i] != 1)
			return KH_EINVAL;
		for (size_t j = 0; j < n; j++) {
			double x = a[i * n + j];

			if (!(x > 0) || !isfinite(x) || fabs(x * a[j * n + i] - 1) > RECIPROCAL_TOL)
				return KH_EINVAL;
		}
	}
	return KH_OK;
}

enum kh_err kh_ahp_weights(const double *a, size_t n, double *w, struct kh_ahp_consistency *c)
{
	double next[KH_AHP_MAX_N], lambda = 0;
	int converged = 0;

	if (check_matrix(a, n) || !w)
		return KH_EINVAL;
	for (size_t i = 0; i < n; i++)
		w[i] = 1.0 / n;
	/* Power iteration: a positive matrix has a simple largest eigenvalue with
	 * a positive eigenvector (Perron), to which the normalized products A^t w
	 * converge. */
	for (int it = 0; it < POWER_MAX_ITER && !converged; it++) {
		double sum = 0, delta = 0;

		for (size_t i = 0; i < n; i++) {
			next[i] = 0;
			for (size_t j = 0; j < n; j++)
				next[i] += a[i * n + j] * w[j];
			sum += next[i];
		}
		for (size_t i = 0; i < n; i++) {
			next[i] /= sum;
			delta = fmax(delta, fabs(next[i] - w[i]));
			w[i] = next[i];
		}
		/* With w summing to 1, the sum of A w is the eigenvalue. */
		lambda = sum;
		converged = delta < POWER_TOL;
	}
	if (!converged)
		return KH_EINTERNAL;
	if (!c)
		return KH_OK;
	memset(c, 0, sizeof(*c));
	/* lambda_max is n for a consistent matrix and never less; a rounding
	 * error below n is not reported as negative inconsistency. */
	c->lambda_max = lambda;
	c->ci = n > 1 ? fmax(0, (lambda - n) / (n - 1)) : 0;
	c->ri = kh_ahp_random_index(n);
	c->cr = c->ri > 0 ? c->ci / c->ri : 0;
	c->acceptable = c->cr <= 0.10;
	c->worst_ratio = 1;
	c->worst_i = 0;
	c->worst_j = n > 1 ? 1 : 0;
	c->suggested = n > 1 ? w[0] / w[1] : 1;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			double r = a[i * n + j] * w[j] / w[i];

			if (fmax(r, 1 / r) > fmax(c->worst_ratio, 1 / c->worst_ratio)) {
				c->worst_ratio = r;
				c->worst_i = i;
				c->worst_j = j;
				c->suggested = w[i] / w[j];
			}
		}
	return KH_OK;
}

enum kh_err kh_ahp_aggregate(const double *mats, size_t k, size_t n, const double *weight,
			     double *out)
{
	double total = 0;

	if (!mats || !k || !out)
		return KH_EINVAL;
	for (size_t m = 0; m < k; m++) {
		double wm = weight ? weight[m] : 1;

		if (check_matrix(mats + m * n * n, n) || !(wm >= 0) || !isfinite(wm))
			return KH_EINVAL;
		total += wm;
	}
	if (!(total > 0))
		return KH_EINVAL;
	/* The weighted geometric mean, as the exponential of the weighted mean
	 * of logarithms; log(1/x) = -log(x) makes the result reciprocal. */
	for (size_t t = 0; t < n * n; t++) {
		double s = 0;

		for (size_t m = 0; m < k; m++)
			s += (weight ? weight[m] : 1) / total * log(mats[m * n * n + t]);
		out[t] = exp(s);
	}
	/* Set the diagonal exactly (exp(0) is 1 anyway, but say so). */
	for (size_t i = 0; i < n; i++)
		out[i * n + i] = 1;
	return KH_OK;
}

static enum kh_err check_tree(const size_t *parent, const double *local, size_t n)
{
	if (!parent || !local || !n)
		return KH_EINVAL;
	for (size_t i = 1; i < n; i++)
		if (parent[i] >= i || !(local[i] >= 0) || !isfinite(local[i]))
			return KH_EINVAL;
	return KH_OK;
}

enum kh_err kh_ahp_global_weights(const size_t *parent, const double *local, size_t n,
				  double *global)
{
	if (check_tree(parent, local, n) || !global)
		return KH_EINVAL;
	global[0] = 1;
	for (size_t i = 1; i < n; i++)
		global[i] = global[parent[i]] * local[i];
	return KH_OK;
}

enum kh_err kh_ahp_rollup(const size_t *parent, const double *local, size_t n, double *score)
{
	unsigned char *inner;

	if (check_tree(parent, local, n) || !score)
		return KH_EINVAL;
	inner = calloc(n, 1);
	if (!inner)
		return KH_ENOMEM;
	for (size_t i = 1; i < n; i++)
		inner[parent[i]] = 1;
	for (size_t i = 0; i < n; i++) {
		if (!inner[i] && !isfinite(score[i])) {
			free(inner);
			return KH_EINVAL;
		}
		if (inner[i])
			score[i] = 0;
	}
	/* Children come after their parents, so walking backwards finishes
	 * every node before it is added to its parent. */
	for (size_t i = n; i-- > 1;)
		score[parent[i]] += local[i] * score[i];
	free(inner);
	return KH_OK;
}

enum kh_err kh_ahp_synthesize(const double *weight, size_t n_leaf, const double *prio,
			      size_t n_alt, double *score)
{
	if (!weight || !prio || !score || !n_leaf || !n_alt)
		return KH_EINVAL;
	for (size_t a = 0; a < n_alt; a++) {
		score[a] = 0;
		for (size_t l = 0; l < n_leaf; l++)
			score[a] += weight[l] * prio[l * n_alt + a];
	}
	return KH_OK;
}
