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
	const double *Z;    /* standardised features, n x p */
	const uint8_t *y;
	int p;
	const double *beta; /* intercept first */
};

/* acc[0] = the sum of the losses, acc[1..q] the gradient, then the upper
 * triangle of the Hessian, row by row (q = p + 1 parameters). Inlined with q
 * a constant for the usual sizes, so that the loops unroll and the sums stay
 * in registers; accumulated in a local array rather than through acc, which
 * the compiler must assume may alias the data. */
static inline __attribute__((always_inline)) void lr_rows_q(const struct lr_ctx *c, size_t lo, size_t hi,
							     double *acc, const int q)
{
	const int p = q - 1, m = 1 + q + q * (q + 1) / 2;
	const double *Z = c->Z;
	const uint8_t *y = c->y;
	double z[KH_LOGREG_MAXP + 1], b[KH_LOGREG_MAXP + 1], a[1 + (KH_LOGREG_MAXP + 1) * (KH_LOGREG_MAXP + 4) / 2];
	for (int j = 0; j < q; j++)
		b[j] = c->beta[j];
	for (int j = 0; j < m; j++)
		a[j] = 0;
	z[0] = 1;
	/* The loss of a row is max(eta, 0) + log(1 + e) - y eta with
	 * e = exp(-|eta|). Its logarithms are summed as the logarithm of a
	 * product over blocks of rows: each factor is in (1, 2], so 256 of them
	 * stay far from overflow, the rounding is that of 256 multiplications
	 * (about 3e-14 relative, i.e. 1e-16 a row, as log1p per row), and the
	 * fit needs one logarithm per 256 rows instead of one per row (log1p
	 * was a third of its time). */
	double prod = 1, logs = 0;
	int in_block = 0;
	for (size_t i = lo; i < hi; i++) {
		double eta = b[0];
#pragma GCC unroll 8
		for (int j = 0; j < p; j++) {
			z[j + 1] = Z[i * p + j];
			eta += b[j + 1] * z[j + 1];
		}
		/* One exponential gives the loss, the probability and the weight. */
		double e = exp(-fabs(eta)), ope = 1 + e, pr = (eta >= 0 ? 1 : e) / ope;
		a[0] += (eta > 0 ? eta : 0) - y[i] * eta;
		prod *= ope;
		if (++in_block == 256) {
			logs += log(prod);
			prod = 1;
			in_block = 0;
		}
		double r = pr - y[i], w = pr * (1 - pr);
		double *g = a + 1, *h = a + 1 + q;
#pragma GCC unroll 8
		for (int j = 0; j < q; j++) {
			g[j] += r * z[j];
			double wz = w * z[j];
#pragma GCC unroll 8
			for (int k = j; k < q; k++)
				*h++ += wz * z[k];
		}
	}
	a[0] += logs + log(prod);
	for (int j = 0; j < m; j++)
		acc[j] += a[j];
}

static void lr_rows(void *pc, size_t lo, size_t hi, double *acc)
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

/* Newton's method with step halving from beta (updated in place) on n rows
 * of standardised features Z. Leaves the penalised Hessian at the optimum
 * in h and the unpenalised loss in *loss; returns the iterations. */
static int newton(const double *Z, const uint8_t *y, size_t n, int p, double lambda, double tol,
		  double *beta, double *h, double *loss, int *converged)
{
	int q = p + 1, it;
	struct lr_ctx c = {Z, y, p, beta};
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

struct std_ctx {
	const double *X;
	double *Z;
	const double *mean;
	double inv_sd[KH_LOGREG_MAXP];
	int p;
};

static void standardise(void *pc, size_t lo, size_t hi, double *unused)
{
	(void)unused;
	const struct std_ctx *c = pc;
	int p = c->p;
	for (size_t i = lo; i < hi; i++)
		for (int j = 0; j < p; j++)
			c->Z[i * p + j] = (c->X[i * p + j] - c->mean[j]) * c->inv_sd[j];
}

static void col_sums(void *pc, size_t lo, size_t hi, double *acc)
{
	const struct std_ctx *c = pc;
	int p = c->p;
	for (size_t i = lo; i < hi; i++)
		for (int j = 0; j < p; j++)
			acc[j] += c->X[i * p + j];
}

static void col_squares(void *pc, size_t lo, size_t hi, double *acc)
{
	const struct std_ctx *c = pc;
	int p = c->p;
	for (size_t i = lo; i < hi; i++)
		for (int j = 0; j < p; j++) {
			double d = c->X[i * p + j] - c->mean[j];
			acc[j] += d * d;
		}
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
	size_t pos = 0;
	for (size_t i = 0; i < n; i++)
		pos += y[i] != 0;
	if (lambda == 0 && (pos == 0 || pos == n))
		return KH_EINVAL;
	/* Column means and standard deviations (two passes, for accuracy; each
	 * on both threads). A value that is not finite makes a sum not finite. */
	struct std_ctx sc = {X, NULL, m->mean, {0}, p};
	double sums[KH_LOGREG_MAXP];
	kh_par_sum(col_sums, &sc, n, sums, p);
	for (int j = 0; j < p; j++) {
		if (!isfinite(sums[j]))
			return KH_EINVAL;
		m->mean[j] = sums[j] / n;
	}
	kh_par_sum(col_squares, &sc, n, m->sd, p);
	for (int j = 0; j < p; j++) {
		m->sd[j] = sqrt(m->sd[j] / n);
		if (!(m->sd[j] > 0))
			m->sd[j] = 1;
	}
	/* Standardise once rather than in every pass, on both threads. */
	double *Z = malloc(n * p * sizeof(double));
	if (!Z)
		return KH_ENOMEM;
	sc.Z = Z;
	for (int j = 0; j < p; j++)
		sc.inv_sd[j] = 1 / m->sd[j];
	kh_par_for(standardise, &sc, n);
	/* Start at the intercept of the base rate, all slopes 0. */
	double beta[KH_LOGREG_MAXP + 1] = {0};
	double h[KH_OPTIM_MAXN * KH_OPTIM_MAXN], loss;
	double base = (pos + 0.5) / (n + 1.0);
	beta[0] = log(base / (1 - base));
	int it = 0;
	if (n > KH_LOGREG_SAMPLE_ABOVE) {
		/* Many rows: Newton on every k-th row first; from its optimum the
		 * full problem needs only a step or two (Newton converges
		 * quadratically near the optimum). */
		size_t k = n / (KH_LOGREG_SAMPLE_ABOVE / 4), ns = (n + k - 1) / k;
		double *Zs = malloc(ns * p * sizeof(double));
		uint8_t *ys = malloc(ns);
		if (Zs && ys) {
			for (size_t i = 0, j = 0; i < n; i += k, j++) {
				for (int c = 0; c < p; c++)
					Zs[j * p + c] = Z[i * p + c];
				ys[j] = y[i];
			}
			int conv;
			/* The sample's optimum is within about 1/sqrt(ns) of the
			 * full one, so it need not be found to the last digit. */
			it += newton(Zs, ys, ns, p, lambda * ns / n, 1e-6, beta, h, &loss, &conv);
		}
		free(Zs);
		free(ys);
	}
	it += newton(Z, y, n, p, lambda, 1e-10, beta, h, &loss, &m->converged);
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
	free(Z);
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
