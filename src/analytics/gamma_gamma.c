/* The Gamma-Gamma spend model (Fader & Hardie 2013); see clv.h.
 *
 * For a customer with x > 0 repeat transactions of mean value m, the density
 * of m is
 *
 *   f(m | p, q, g, x) = G(px+q) / (G(px) G(q)) * g^q m^(px-1) x^(px) / (g + m x)^(px+q)
 *
 * (G the gamma function, g the scale "gamma"). Summed over customers, the
 * terms in m alone are constants that are added up once (sum x ln m and
 * sum ln m), the terms in x alone are computed once per distinct x, and each
 * row costs one logarithm: ln(g + m x). */
#include "analytics/clv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/optim.h"
#include "analytics/par.h"
#include "analytics/rf.h"
#include "analytics/special.h"

struct gg_ctx {
	size_t n;       /* rows used */
	uint32_t *x;
	double *mx;     /* m x: total value of the repeat transactions */
	uint32_t xmax;
	double *xcount; /* customers per x */
	double slnm, sxlnm; /* sum ln m, sum x ln m */
	double p, q, g;
	int grad;
};

static void gg_rows(void *ctx, size_t lo, size_t hi, double *acc)
{
	const struct gg_ctx *c = ctx;
	double p = c->p, q = c->q, g = c->g;
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	for (size_t i = lo; i < hi; i++) {
		double x = c->x[i], l = log(g + c->mx[i]);
		s0 += (p * x + q) * l;
		if (c->grad) {
			s1 += x * l;
			s2 += l;
			s3 += (p * x + q) / (g + c->mx[i]);
		}
	}
	acc[0] += s0;
	acc[1] += s1;
	acc[2] += s2;
	acc[3] += s3;
}

static double gg_loglik(struct gg_ctx *c, double *grad)
{
	double p = c->p, q = c->q, g = c->g, N = (double)c->n;
	double ll = 0, gp = 0, gq = 0, acc[4];
	for (uint32_t x = 1; x <= c->xmax; x++) {
		double k = c->xcount[x];
		if (k == 0)
			continue;
		ll += k * (kh_lgamma(p * x + q) - kh_lgamma(p * x) + p * x * log((double)x));
		if (grad) {
			double dpq = kh_digamma(p * x + q);
			gp += k * x * (dpq - kh_digamma(p * x) + log((double)x));
			gq += k * dpq;
		}
	}
	c->grad = grad != NULL;
	kh_par_sum(gg_rows, c, c->n, acc, 4);
	ll += N * (q * log(g) - kh_lgamma(q)) + p * c->sxlnm - c->slnm - acc[0];
	if (grad) {
		grad[0] = gp + c->sxlnm - acc[1];
		grad[1] = gq - N * kh_digamma(q) + N * log(g) - acc[2];
		grad[2] = N * q / g - acc[3];
	}
	return ll;
}

static double gg_objective(const double *th, double *g, void *ctx)
{
	struct gg_ctx *c = ctx;
	for (int k = 0; k < 3; k++)
		if (!(fabs(th[k]) < 30))
			return INFINITY;
	c->p = exp(th[0]);
	c->q = exp(th[1]);
	c->g = exp(th[2]);
	double gp[3], N = (double)c->n;
	double ll = gg_loglik(c, g ? gp : NULL);
	if (g) {
		g[0] = -c->p * gp[0] / N;
		g[1] = -c->q * gp[1] / N;
		g[2] = -c->g * gp[2] / N;
	}
	return -ll / N;
}

static void gg_release(struct gg_ctx *c)
{
	free(c->x);
	free(c->mx);
	free(c->xcount);
}

/* Keeps the rows with x > 0 and m > 0. */
static enum kh_err gg_prepare(struct gg_ctx *c, const uint32_t *x, const double *m_x, size_t n)
{
	memset(c, 0, sizeof(*c));
	c->x = malloc((n ? n : 1) * sizeof(uint32_t));
	c->mx = malloc((n ? n : 1) * sizeof(double));
	if (!c->x || !c->mx)
		return KH_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (x[i] == 0 || !(m_x[i] > 0))
			continue;
		if (!isfinite(m_x[i]))
			return KH_EINVAL;
		double l = log(m_x[i]);
		c->x[c->n] = x[i];
		c->mx[c->n] = m_x[i] * x[i];
		c->slnm += l;
		c->sxlnm += x[i] * l;
		if (x[i] > c->xmax)
			c->xmax = x[i];
		c->n++;
	}
	if (c->n < 2)
		return KH_EINVAL;
	c->xcount = calloc((size_t)c->xmax + 1, sizeof(double));
	if (!c->xcount)
		return KH_ENOMEM;
	for (size_t i = 0; i < c->n; i++)
		c->xcount[c->x[i]] += 1;
	return KH_OK;
}

enum kh_err kh_gg_fit(struct kh_gamma_gamma *m, const uint32_t *x, const double *m_x, size_t n)
{
	struct gg_ctx c;
	struct kh_optim_result nm, bf;
	memset(m, 0, sizeof(*m));
	enum kh_err err = gg_prepare(&c, x, m_x, n);
	if (err)
		goto out;
	/* Start at p = q = 1 and gamma = the mean spend, the scale of the data. */
	double mean = 0;
	for (size_t i = 0; i < c.n; i++)
		mean += c.mx[i] / c.x[i];
	mean /= c.n;
	double th[3] = {0, 0, log(mean)};
	/* On many customers the simplex search runs on a systematic sample
	 * (every k-th row), and BFGS finishes on all rows. */
	if (c.n > KH_RF_SAMPLE_ABOVE) {
		struct gg_ctx sc = c;
		size_t k = c.n / (KH_RF_SAMPLE_ABOVE / 2), used = 0;
		sc.x = malloc((c.n / k + 1) * sizeof(uint32_t));
		sc.mx = malloc((c.n / k + 1) * sizeof(double));
		sc.xcount = calloc((size_t)c.xmax + 1, sizeof(double));
		if (sc.x && sc.mx && sc.xcount) {
			sc.slnm = sc.sxlnm = 0;
			for (size_t i = 0; i < c.n; i += k, used++) {
				double l = log(c.mx[i] / c.x[i]);
				sc.x[used] = c.x[i];
				sc.mx[used] = c.mx[i];
				sc.slnm += l;
				sc.sxlnm += c.x[i] * l;
				sc.xcount[c.x[i]] += 1;
			}
			sc.n = used;
			kh_optim_nelder_mead(gg_objective, &sc, th, 3, 1.0, 1e-8, 1e-3, 1000, &nm);
		}
		gg_release(&sc);
	}
	err = kh_optim_nelder_mead(gg_objective, &c, th, 3, 1.0, 1e-8, 1e-3, 1000, &nm);
	if (!err)
		err = kh_optim_bfgs(gg_objective, &c, th, 3, 1e-9, 500, &bf);
	if (!err) {
		m->p = exp(th[0]);
		m->q = exp(th[1]);
		m->gamma = exp(th[2]);
		m->info.n = c.n;
		m->info.iterations = nm.iterations + bf.iterations;
		m->info.converged = bf.converged;
		m->info.loglik = -gg_objective(th, NULL, &c) * c.n;
		kh_fit_std_errors(gg_objective, &c, th, 3, 1, (double)c.n, m->se);
	}
out:
	gg_release(&c);
	return err;
}

double kh_gg_loglik(const struct kh_gamma_gamma *m, const uint32_t *x, const double *m_x,
		    size_t n)
{
	struct gg_ctx c;
	double ll = NAN;
	if (gg_prepare(&c, x, m_x, n) == KH_OK) {
		c.p = m->p;
		c.q = m->q;
		c.g = m->gamma;
		ll = gg_loglik(&c, NULL);
	}
	gg_release(&c);
	return ll;
}

double kh_gg_expected_spend(const struct kh_gamma_gamma *m, uint32_t x, double m_x)
{
	if (!(m->q > 1))
		return NAN;
	if (x == 0)
		return m->p * m->gamma / (m->q - 1);
	return m->p * (m->gamma + x * m_x) / (m->p * x + m->q - 1);
}
