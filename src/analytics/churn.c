/* Logistic regression, AUC and calibration; see churn.h. */
#include "analytics/churn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/optim.h"
#include "analytics/par.h"
#include "analytics/sort.h"

/* Above this many rows the fit starts on a systematic sample. */
#define KH_LOGREG_SAMPLE_ABOVE 200000

struct lr_ctx {
	const double *X;      /* features in original units, n x p, row-major */
	const uint8_t *y;
	int p;
	const double *mean;   /* the standardisation, applied row by row */
	const double *inv_sd;
	const double *beta;   /* standardised scale, intercept first */
};

/* The row pass works on blocks of LR_BLOCK rows, transposed to columns so
 * that the sums of the gradient and the Hessian run LR_LANES rows at a time
 * in vector registers (GCC vector extensions: SSE2 pairs on the baseline
 * x86-64, wider where the target has them). The lanes' partial sums are
 * added in a fixed order at the end, so the result does not depend on
 * timing, only on the row ranges. */
#define LR_LANES 4
#define LR_BLOCK 32
#define LR_NV (LR_BLOCK / LR_LANES)
typedef double lr_vec __attribute__((vector_size(LR_LANES * sizeof(double))));

/* acc[0] = the sum of the losses, acc[1..q] the gradient, then the upper
 * triangle of the Hessian, row by row (q = p + 1 parameters). Inlined with q
 * a constant for the usual sizes, so that the loops unroll. The features are
 * standardised here, as each block is read, rather than into a copy of X:
 * a copy as large as X costs more to write (and to fault in) than the
 * subtraction and multiplication in every pass. */
static inline __attribute__((always_inline)) void lr_rows_q(const struct lr_ctx *c, size_t lo, size_t hi,
							     double *acc, const int q)
{
	const int p = q - 1, m = q + q * (q + 1) / 2;
	const double *X = c->X;
	const uint8_t *y = c->y;
	double b[KH_LOGREG_MAXP + 1], mu[KH_LOGREG_MAXP], is[KH_LOGREG_MAXP];
	for (int j = 0; j < q; j++)
		b[j] = c->beta[j];
	for (int j = 0; j < p; j++) {
		mu[j] = c->mean[j];
		is[j] = c->inv_sd[j];
	}
	/* z[j] holds feature j of the block's rows; wz[j] the same times the
	 * row weights; sums[] the vector partial sums of the gradient, then the
	 * Hessian's upper triangle. */
	lr_vec z[KH_LOGREG_MAXP][LR_NV], wz[KH_LOGREG_MAXP][LR_NV], eta[LR_NV], r[LR_NV], w[LR_NV];
	lr_vec sums[(KH_LOGREG_MAXP + 1) * (KH_LOGREG_MAXP + 4) / 2];
	for (int k = 0; k < m; k++)
		sums[k] = (lr_vec){0};
	/* The loss of a row is max(eta, 0) + log(1 + e) - y eta with
	 * e = exp(-|eta|). Its logarithms are summed as the logarithm of a
	 * product over runs of about 256 rows: each factor is in (1, 2], so
	 * the product stays far from overflow, the rounding is that of the
	 * multiplications (about 3e-14 relative, i.e. 1e-16 a row, as log1p per
	 * row), and the fit needs one logarithm per 256 rows instead of one per
	 * row (log1p was a third of its time). */
	double loss = 0, prod = 1, logs = 0;
	int in_prod = 0;
	for (size_t i0 = lo; i0 < hi; i0 += LR_BLOCK) {
		int nb = hi - i0 < LR_BLOCK ? (int)(hi - i0) : LR_BLOCK;
		double *zs = (double *)z, *es = (double *)eta, *rs = (double *)r, *ws = (double *)w;
		const double *xr = X + i0 * p;
		for (int i = 0; i < nb; i++)
#pragma GCC unroll 8
			for (int j = 0; j < p; j++)
				zs[j * LR_BLOCK + i] = (xr[i * p + j] - mu[j]) * is[j];
		/* The rows past the end of a short last block count with weight
		 * and residual 0, i.e. not at all. */
		for (int i = nb; i < LR_BLOCK; i++)
			for (int j = 0; j < p; j++)
				zs[j * LR_BLOCK + i] = 0;
		for (int v = 0; v < LR_NV; v++) {
			lr_vec e = (lr_vec){0} + b[0];
#pragma GCC unroll 8
			for (int j = 0; j < p; j++)
				e += b[j + 1] * z[j][v];
			eta[v] = e;
		}
		for (int i = 0; i < nb; i++) {
			/* One exponential gives the loss, the probability and the weight. */
			double et = es[i], e = exp(-fabs(et)), ope = 1 + e, pr = (et >= 0 ? 1 : e) / ope;
			uint8_t yi = y[i0 + i] != 0;
			loss += (et > 0 ? et : 0) - yi * et;
			prod *= ope;
			rs[i] = pr - yi;
			ws[i] = pr * (1 - pr);
		}
		for (int i = nb; i < LR_BLOCK; i++)
			rs[i] = ws[i] = 0;
		if ((in_prod += nb) >= 256) {
			logs += log(prod);
			prod = 1;
			in_prod = 0;
		}
		/* The gradient, then the Hessian: row 0 (the intercept's, whose
		 * feature is 1) sums the weights and weighted features. */
		lr_vec *s = sums, t0 = s[0], t1 = s[q];
		for (int v = 0; v < LR_NV; v++) {
			t0 += r[v];
			t1 += w[v];
		}
		s[0] = t0;
		s[q] = t1;
#pragma GCC unroll 8
		for (int j = 0; j < p; j++) {
			lr_vec tg = s[j + 1], th = s[q + j + 1];
			for (int v = 0; v < LR_NV; v++) {
				tg += r[v] * z[j][v];
				wz[j][v] = w[v] * z[j][v];
				th += wz[j][v];
			}
			s[j + 1] = tg;
			s[q + j + 1] = th;
		}
		s += 2 * q;
#pragma GCC unroll 8
		for (int j = 0; j < p; j++) {
#pragma GCC unroll 8
			for (int k = j; k < p; k++) {
				lr_vec t = s[k - j];
				for (int v = 0; v < LR_NV; v++)
					t += wz[j][v] * z[k][v];
				s[k - j] = t;
			}
			s += p - j;
		}
	}
	acc[0] += loss + logs + log(prod);
	for (int k = 0; k < m; k++) {
		double t = 0;
		for (int l = 0; l < LR_LANES; l++)
			t += sums[k][l];
		acc[1 + k] += t;
	}
}

/* The row pass is most of the fit's time. On x86-64 it is compiled twice,
 * for the baseline and for x86-64-v3 (AVX2 and FMA: four lanes to a register
 * and a fused multiply-add, a third less time on the benchmark), and the
 * loader picks the one the CPU runs. FMA rounds once where the baseline
 * rounds twice, so the two differ in the last bits only. */
#if defined(__x86_64__) && defined(__GNUC__)
#define LR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LR_CLONES
#endif
LR_CLONES static void lr_rows(void *pc, size_t lo, size_t hi, double *acc)
{
	const struct lr_ctx *c = pc;
	switch (c->p + 1) {
	case 2: lr_rows_q(c, lo, hi, acc, 2); break;
	case 3: lr_rows_q(c, lo, hi, acc, 3); break;
	case 4: lr_rows_q(c, lo, hi, acc, 4); break;
	case 5: lr_rows_q(c, lo, hi, acc, 5); break;
	case 6: lr_rows_q(c, lo, hi, acc, 6); break;
	case 7: lr_rows_q(c, lo, hi, acc, 7); break;
	case 8: lr_rows_q(c, lo, hi, acc, 8); break;
	default: lr_rows_q(c, lo, hi, acc, c->p + 1); break;
	}
}

/* The penalised objective, gradient and Hessian (q x q) at beta, in one pass. */
static double lr_eval(struct lr_ctx *c, size_t n, double lambda, const double *beta,
		      double *acc, double *g, double *h)
{
	int q = c->p + 1;
	c->beta = beta;
	kh_par_sum(lr_rows, c, n, acc, 1 + q + q * (q + 1) / 2);
	double pen = 0;
	for (int j = 1; j < q; j++)
		pen += beta[j] * beta[j];
	const double *hu = acc + 1 + q;
	for (int j = 0; j < q; j++) {
		g[j] = acc[1 + j] + (j ? lambda * beta[j] : 0);
		for (int k = j; k < q; k++)
			h[j * q + k] = h[k * q + j] = *hu++;
		if (j)
			h[j * q + j] += lambda;
	}
	return acc[0] + 0.5 * lambda * pen;
}

/* Newton's method with step halving from beta (updated in place) on the n
 * rows of rows (its X, y and standardisation). Leaves the penalised Hessian
 * at the optimum in h and the unpenalised loss in *loss; returns the
 * iterations. */
static int newton(const struct lr_ctx *rows, size_t n, double lambda, double tol, double *beta,
		  double *h, double *loss, int *converged)
{
	int p = rows->p, q = p + 1, it;
	struct lr_ctx c = *rows;
	double acc[1 + (KH_LOGREG_MAXP + 1) * (KH_LOGREG_MAXP + 4) / 2];
	double g[KH_OPTIM_MAXN], cand[KH_OPTIM_MAXN];
	double gn[KH_OPTIM_MAXN], hn[KH_OPTIM_MAXN * KH_OPTIM_MAXN], step[KH_OPTIM_MAXN];
	double f = lr_eval(&c, n, lambda, beta, acc, g, h);
	*loss = acc[0];
	*converged = 0;
	double gprev = 0;
	int full_step = 0; /* the last step was Newton's own, not shortened */
	for (it = 0; it < 100; it++) {
		double gmax = 0;
		for (int j = 0; j < q; j++)
			gmax = fmax(gmax, fabs(g[j]));
		/* Converged when the gradient is negligible per row. */
		if (gmax < tol * (double)n) {
			*converged = 1;
			break;
		}
		/* Newton's gradient shrinks quadratically near the optimum: g' =
		 * C g^2. With C measured on the last two steps, a step whose
		 * result is predicted a thousand times inside the tolerance is
		 * taken without a pass to confirm it (a quarter of the fit on a
		 * million rows). The Hessian and loss kept are those of the point
		 * before the step, a relative 1e-9 or so away. */
		double gn_pred = gprev > 0 ? gmax / (gprev * gprev) * gmax * gmax : INFINITY;
		int last = it >= 2 && full_step && gn_pred < 1e-3 * tol * (double)n;
		gprev = gmax;
		memcpy(step, g, sizeof(double) * q);
		memcpy(hn, h, sizeof(double) * q * q);
		if (kh_chol(hn, q) != KH_OK) {
			/* Separable data without a penalty can make the Hessian
			 * singular; a small ridge keeps the step defined. */
			for (int j = 0; j < q * q; j++)
				hn[j] = 0;
			for (int j = 0; j < q; j++)
				hn[j * q + j] = 1e-8 * n + lambda;
			kh_chol(hn, q);
		}
		kh_chol_solve(hn, q, step);
		if (last) {
			for (int j = 0; j < q; j++)
				beta[j] -= step[j];
			*converged = 1;
			it++;
			break;
		}
		/* The Newton decrement g' H^-1 g is twice the decrease that the
		 * quadratic model promises; when even that is below the rounding
		 * of f, nothing is left to gain (Boyd & Vandenberghe 9.5.1). */
		double dec = 0;
		for (int j = 0; j < q; j++)
			dec += step[j] * g[j];
		if (dec < 1e-15 * fabs(f)) {
			*converged = 1;
			break;
		}
		/* Newton step, halved until the objective decreases; each trial
		 * pass also yields the gradient and Hessian for the next step.
		 * Near the optimum the change of f is lost in its rounding, so
		 * a full step that does not raise f beyond that is taken. */
		double t = 1, fn = INFINITY, noise = 1e-14 * fabs(f);
		for (int ls = 0; ls < 40; ls++) {
			for (int j = 0; j < q; j++)
				cand[j] = beta[j] - t * step[j];
			fn = lr_eval(&c, n, lambda, cand, acc, gn, hn);
			if (fn <= f || (t == 1 && fn <= f + noise))
				break;
			t *= 0.5;
		}
		if (!(fn <= f + noise))
			break; /* no decrease even for tiny steps: at the optimum */
		memcpy(beta, cand, sizeof(double) * q);
		memcpy(g, gn, sizeof(double) * q);
		memcpy(h, hn, sizeof(double) * q * q);
		f = fn;
		*loss = acc[0];
		full_step = t == 1;
	}
	return it;
}

/* Column statistics in one pass: sums of d = x - shift and of d^2, and how
 * many values differ from the first row's. With the shift near the mean
 * (the mean of a sample of rows) the variance from these sums,
 * S2/n - (S1/n)^2, loses nothing to cancellation; the count tells a constant
 * column exactly. The last sum counts the positive labels. */
struct stat_ctx {
	const double *X;
	const uint8_t *y;
	const double *shift;
	int p;
	/* When Xs is set, every k-th row is copied into Xs and ys on the way
	 * (a strided gather on its own is a cache miss a row). */
	size_t k;
	double *Xs;
	uint8_t *ys;
};

static inline __attribute__((always_inline)) void col_stats_p(const struct stat_ctx *c, size_t lo, size_t hi,
							       double *acc, const int p)
{
	const double *X = c->X;
	double s1[KH_LOGREG_MAXP] = {0}, s2[KH_LOGREG_MAXP] = {0}, sh[KH_LOGREG_MAXP], x0[KH_LOGREG_MAXP];
	size_t ndiff[KH_LOGREG_MAXP] = {0}, pos = 0;
	for (int j = 0; j < p; j++) {
		sh[j] = c->shift[j];
		x0[j] = X[j];
	}
	size_t next = c->Xs ? (lo + c->k - 1) / c->k * c->k : SIZE_MAX;
	for (size_t i = lo; i < hi; i++) {
		if (i == next) {
			memcpy(c->Xs + i / c->k * p, X + i * p, p * sizeof(double));
			c->ys[i / c->k] = c->y[i];
			next += c->k;
		}
#pragma GCC unroll 8
		for (int j = 0; j < p; j++) {
			double x = X[i * p + j], d = x - sh[j];
			s1[j] += d;
			s2[j] += d * d;
			ndiff[j] += x != x0[j];
		}
		pos += c->y[i] != 0;
	}
	for (int j = 0; j < p; j++) {
		acc[j] += s1[j];
		acc[p + j] += s2[j];
		acc[2 * p + j] += (double)ndiff[j];
	}
	acc[3 * p] += (double)pos;
}

static void col_stats(void *pc, size_t lo, size_t hi, double *acc)
{
	const struct stat_ctx *c = pc;
	switch (c->p) {
	case 1: col_stats_p(c, lo, hi, acc, 1); break;
	case 2: col_stats_p(c, lo, hi, acc, 2); break;
	case 3: col_stats_p(c, lo, hi, acc, 3); break;
	case 4: col_stats_p(c, lo, hi, acc, 4); break;
	case 5: col_stats_p(c, lo, hi, acc, 5); break;
	case 6: col_stats_p(c, lo, hi, acc, 6); break;
	case 7: col_stats_p(c, lo, hi, acc, 7); break;
	default: col_stats_p(c, lo, hi, acc, c->p); break;
	}
}

/* Fills m->mean and m->sd (a constant column gets its value and 1) and
 * *pos, the number of positive labels, and copies every k-th row into Xs
 * and ys if Xs is not NULL; KH_EINVAL when a value, or a column's sum of
 * squares, is not finite. */
static enum kh_err standardisation(struct kh_logreg *m, const double *X, const uint8_t *y, size_t n,
				   int p, size_t *pos, size_t k, double *Xs, uint8_t *ys)
{
	double shift[KH_LOGREG_MAXP] = {0}, acc[3 * KH_LOGREG_MAXP + 1];
	size_t step = n > 1024 ? n / 1024 : 1, taken = 0;
	for (size_t i = 0; i < n; i += step, taken++)
		for (int j = 0; j < p; j++)
			shift[j] += X[i * p + j];
	for (int j = 0; j < p; j++)
		shift[j] = isfinite(shift[j]) ? shift[j] / taken : 0;
	struct stat_ctx sc = {X, y, shift, p, k, Xs, ys};
	kh_par_sum(col_stats, &sc, n, acc, 3 * p + 1);
	*pos = (size_t)acc[3 * p];
	for (int j = 0; j < p; j++) {
		if (!isfinite(acc[j]) || !isfinite(acc[p + j]))
			return KH_EINVAL;
		double d = acc[j] / n, var = acc[p + j] / n - d * d;
		m->mean[j] = acc[2 * p + j] == 0 ? X[j] : shift[j] + d;
		m->sd[j] = acc[2 * p + j] > 0 && var > 0 ? sqrt(var) : 1;
	}
	return KH_OK;
}

enum kh_err kh_logreg_fit(struct kh_logreg *m, const double *X, const uint8_t *y, size_t n, int p,
			  double lambda)
{
	memset(m, 0, sizeof(*m));
	if (p < 1 || p > KH_LOGREG_MAXP || !(lambda >= 0) || n < 2)
		return KH_EINVAL;
	int q = p + 1;
	m->p = p;
	m->lambda = lambda;
	/* Many rows: Newton on every k-th row first; from its optimum the full
	 * problem needs only a step or two (Newton converges quadratically near
	 * the optimum). The sample is taken in the pass of the statistics. */
	size_t k = n / (KH_LOGREG_SAMPLE_ABOVE / 4), ns = n > KH_LOGREG_SAMPLE_ABOVE ? (n + k - 1) / k : 0;
	double *Xs = ns ? malloc(ns * p * sizeof(double)) : NULL;
	uint8_t *ys = ns ? malloc(ns) : NULL;
	if (!ys) {
		free(Xs);
		Xs = NULL;
	}
	size_t pos;
	enum kh_err err = standardisation(m, X, y, n, p, &pos, k, Xs, ys);
	if (!err && lambda == 0 && (pos == 0 || pos == n))
		err = KH_EINVAL;
	if (err) {
		free(Xs);
		free(ys);
		return err;
	}
	double inv_sd[KH_LOGREG_MAXP];
	for (int j = 0; j < p; j++)
		inv_sd[j] = 1 / m->sd[j];
	/* Start at the intercept of the base rate, all slopes 0. */
	double beta[KH_LOGREG_MAXP + 1] = {0};
	double h[KH_OPTIM_MAXN * KH_OPTIM_MAXN], loss;
	double base = (pos + 0.5) / (n + 1.0);
	beta[0] = log(base / (1 - base));
	int it = 0;
	if (Xs) {
		int conv;
		struct lr_ctx sample = {Xs, ys, p, m->mean, inv_sd, NULL};
		/* The sample's optimum is within about 1/sqrt(ns) of the full
		 * one, so it need not be found to the last digit. */
		it += newton(&sample, ns, lambda * ns / n, 1e-6, beta, h, &loss, &conv);
	}
	free(Xs);
	free(ys);
	struct lr_ctx all = {X, y, p, m->mean, inv_sd, NULL};
	it += newton(&all, n, lambda, 1e-10, beta, h, &loss, &m->converged);
	m->iterations = it;
	m->loglik = -loss;
	/* Standard errors from the inverse of the penalised Hessian. */
	if (kh_spd_inverse(h, q) == KH_OK)
		for (int j = 0; j < q; j++)
			m->se[j] = sqrt(h[j * q + j]);
	else
		for (int j = 0; j < q; j++)
			m->se[j] = NAN;
	memcpy(m->beta, beta, sizeof(double) * q);
	m->coef[0] = beta[0];
	for (int j = 0; j < p; j++) {
		m->coef[j + 1] = beta[j + 1] / m->sd[j];
		m->coef[0] -= beta[j + 1] * m->mean[j] / m->sd[j];
	}
	return KH_OK;
}

double kh_logreg_predict(const struct kh_logreg *m, const double *x)
{
	double eta = m->beta[0];
	for (int j = 0; j < m->p; j++)
		eta += m->beta[j + 1] * (x[j] - m->mean[j]) / m->sd[j];
	return 1 / (1 + exp(-eta));
}

void kh_logreg_contrib(const struct kh_logreg *m, const double *x, double *contrib)
{
	for (int j = 0; j < m->p; j++)
		contrib[j] = m->beta[j + 1] * (x[j] - m->mean[j]) / m->sd[j];
}

void kh_logreg_predict_all(const struct kh_logreg *m, const double *X, size_t n, double *prob)
{
	for (size_t i = 0; i < n; i++)
		prob[i] = kh_logreg_predict(m, X + i * m->p);
}

double kh_auc(const double *score, const uint8_t *y, size_t n)
{
	uint32_t *idx = malloc((n ? n : 1) * sizeof(uint32_t));
	if (!idx || kh_sort_index(score, n, 0, idx) != KH_OK) {
		free(idx);
		return NAN;
	}
	/* Sum of the mid-ranks (1-based) of the positives. */
	double rank_sum = 0;
	size_t npos = 0;
	for (size_t k = 0; k < n;) {
		size_t e = k;
		while (e + 1 < n && score[idx[e + 1]] == score[idx[k]])
			e++;
		double mid = (k + e) / 2.0 + 1;
		for (size_t j = k; j <= e; j++)
			if (y[idx[j]]) {
				rank_sum += mid;
				npos++;
			}
		k = e + 1;
	}
	free(idx);
	size_t nneg = n - npos;
	if (npos == 0 || nneg == 0)
		return NAN;
	return (rank_sum - npos * (npos + 1) / 2.0) / ((double)npos * nneg);
}

enum kh_err kh_calibration(const double *prob, const uint8_t *y, size_t n, int nbins,
			   struct kh_calib_bin *bins)
{
	if (nbins < 1 || (size_t)nbins > n)
		return KH_EINVAL;
	uint32_t *idx = malloc(n * sizeof(uint32_t));
	if (!idx)
		return KH_ENOMEM;
	enum kh_err err = kh_sort_index(prob, n, 0, idx);
	if (err) {
		free(idx);
		return err;
	}
	for (int b = 0; b < nbins; b++) {
		size_t lo = n * b / nbins, hi = n * (b + 1) / nbins;
		struct kh_calib_bin *o = &bins[b];
		memset(o, 0, sizeof(*o));
		o->count = hi - lo;
		o->lo = prob[idx[lo]];
		o->hi = prob[idx[hi - 1]];
		for (size_t k = lo; k < hi; k++) {
			o->predicted += prob[idx[k]];
			o->observed += y[idx[k]] != 0;
		}
		o->predicted /= o->count;
		o->observed /= o->count;
	}
	free(idx);
	return KH_OK;
}

enum kh_err kh_churn_features(const struct kh_txns *t, size_t n_customers, int32_t cutoff,
			      int32_t horizon, const double *extra, int n_extra, double *X,
			      uint8_t *label, uint8_t *eligible)
{
	if (horizon < 1 || n_extra < 0 || (n_extra && !extra))
		return KH_EINVAL;
	size_t *start;
	uint32_t *idx;
	enum kh_err err = kh_txns_group(t, n_customers, &start, &idx);
	if (err)
		return err;
	int w = KH_CHURN_NFEAT + n_extra;
	for (size_t c = 0; c < n_customers; c++) {
		int32_t first = 0, last = 0, prev = INT32_MIN;
		double days = 0, total = 0, recent = 0, before = 0;
		int future = 0;
		for (size_t k = start[c]; k < start[c + 1]; k++) {
			uint32_t i = idx[k];
			int32_t d = t->day[i];
			double a = t->amount ? t->amount[i] : 0;
			if (d > cutoff) {
				future |= d <= (int64_t)cutoff + horizon;
				continue;
			}
			if (d != prev) {
				if (prev == INT32_MIN)
					first = d;
				days++;
				last = d;
				prev = d;
			}
			total += a;
			if (d > cutoff - 90)
				recent += a;
			else if (d > cutoff - 180)
				before += a;
		}
		int bought = days > 0;
		if (eligible)
			eligible[c] = (uint8_t)bought;
		if (label)
			label[c] = (uint8_t)!future;
		if (!X)
			continue;
		double *row = X + c * w;
		row[0] = bought ? cutoff - last : 0;
		row[1] = days;
		row[2] = bought ? cutoff - first : 0;
		row[3] = bought ? total / days : 0;
		/* Negative values (returns) must not reach the logarithm. */
		row[4] = log((1 + fmax(recent, 0)) / (1 + fmax(before, 0)));
		for (int j = 0; j < n_extra; j++)
			row[KH_CHURN_NFEAT + j] = extra[c * n_extra + j];
	}
	free(start);
	free(idx);
	return KH_OK;
}
