/* The BG/NBD model (Fader, Hardie & Lee 2005); see clv.h.
 *
 * For one customer with x repeat purchases, recency t and age T,
 *
 *   L = B(a, b+x)/B(a, b) * G(r+x) a^r / G(r) * [ (alpha+T)^-(r+x)
 *       + [x > 0] a/(b+x-1) * (alpha+t)^-(r+x) ],
 *
 * (G the gamma function, "alpha" the scale). The factors that depend on x
 * alone are tabulated once per evaluation for x = 0..xmax with the recurrences
 * G(r+x+1) = (r+x) G(r+x) and B(a, b+x+1) = B(a, b+x) (b+x)/(a+b+x), so each
 * row costs two logarithms and one exponential. */
#include "analytics/clv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/optim.h"
#include "analytics/par.h"
#include "analytics/rf.h"
#include "analytics/special.h"

struct bg_ctx {
	const struct kh_rf *d;
	double r, alpha, a, b;
	double *lc;   /* ln(a / (b + x - 1)) for x >= 1 */
	double *lv;   /* ln(alpha + v) for each distinct t or T value v */
	double *iv;   /* 1 / (alpha + v) */
	int grad;
};

/* Per-row sums: acc[0] the log of the bracket above; acc[1..4] the parts of
 * the gradient with respect to r, alpha, a and b that vary by row. */
static void bg_rows(void *p, size_t lo, size_t hi, double *acc)
{
	const struct bg_ctx *c = p;
	const struct kh_rf *d = c->d;
	double r = c->r, b = c->b;
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
	for (size_t j = lo; j < hi; j++) {
		uint32_t x = d->x[j], Ti = d->Ti[j];
		double w = d->w[j], rx = r + x;
		double u = c->lv[Ti];
		double e1 = -rx * u;
		if (x == 0) {
			s0 += w * e1;
			if (c->grad) {
				s1 -= w * u;
				s2 += w * rx * c->iv[Ti];
			}
			continue;
		}
		uint32_t ti = d->ti[j];
		double v = c->lv[ti];
		double e2 = c->lc[x] - rx * v;
		/* ln(e^e1 + e^e2) with one exponential, shared with om: the share
		 * of the "dropped out after the last purchase" term. */
		double ex = exp(-fabs(e1 - e2));
		s0 += w * ((e1 > e2 ? e1 : e2) + log1p(ex));
		if (c->grad) {
			double om = e2 >= e1 ? 1 / (1 + ex) : ex / (1 + ex);
			s1 -= w * ((1 - om) * u + om * v);
			s2 += w * rx * ((1 - om) * c->iv[Ti] + om * c->iv[ti]);
			s3 += w * om;
			s4 += w * om / (b + x - 1);
		}
	}
	acc[0] += s0;
	acc[1] += s1;
	acc[2] += s2;
	acc[3] += s3;
	acc[4] += s4;
}

/* The log-likelihood and, if g is not NULL, its gradient in (r, alpha, a, b). */
static double bg_loglik(struct bg_ctx *c, double *g)
{
	const struct kh_rf *d = c->d;
	double r = c->r, alpha = c->alpha, a = c->a, b = c->b, N = d->wsum;
	/* Running values of the x-only factors and their derivatives:
	 * lg = ln G(r+x) - ln G(r), lb = ln B(a, b+x) - ln B(a, b),
	 * dr = psi(r+x) - psi(r), dab = psi(a+b+x) - psi(a+b), db = psi(b+x) - psi(b). */
	double lg = 0, lb = 0, dr = 0, dab = 0, db = 0;
	double ll = 0, gr = 0, ga = 0, gb = 0;
	for (uint32_t x = 0; x <= d->xmax; x++) {
		if (x > 0) {
			lg += log(r + x - 1);
			lb += log((b + x - 1) / (a + b + x - 1));
			dr += 1 / (r + x - 1);
			dab += 1 / (a + b + x - 1);
			db += 1 / (b + x - 1);
			c->lc[x] = log(a / (b + x - 1));
		}
		double n = d->xcount[x];
		if (n == 0)
			continue;
		ll += n * (lg + lb);
		gr += n * dr;
		ga -= n * dab;
		gb += n * (db - dab);
	}
	double acc[5];
	for (size_t k = 0; k < d->nval; k++) {
		c->lv[k] = log(alpha + d->val[k]);
		c->iv[k] = 1 / (alpha + d->val[k]);
	}
	c->grad = g != NULL;
	kh_par_sum(bg_rows, c, d->n, acc, 5);
	ll += N * r * log(alpha) + acc[0];
	if (g) {
		g[0] = gr + N * log(alpha) + acc[1];
		g[1] = N * r / alpha - acc[2];
		g[2] = ga + acc[3] / a;
		g[3] = gb - acc[4];
	}
	return ll;
}

/* The objective of the optimisers: minus the mean log-likelihood, over the
 * logarithms of the parameters. */
static double bg_objective(const double *th, double *g, void *p)
{
	struct bg_ctx *c = p;
	for (int k = 0; k < 4; k++)
		if (!(fabs(th[k]) < 30))
			return INFINITY;
	c->r = exp(th[0]);
	c->alpha = exp(th[1]);
	c->a = exp(th[2]);
	c->b = exp(th[3]);
	double gp[4];
	double ll = bg_loglik(c, g ? gp : NULL);
	double N = c->d->wsum;
	if (g) {
		g[0] = -c->r * gp[0] / N;
		g[1] = -c->alpha * gp[1] / N;
		g[2] = -c->a * gp[2] / N;
		g[3] = -c->b * gp[3] / N;
	}
	return -ll / N;
}

enum kh_err kh_bgnbd_fit(struct kh_bgnbd *m, const uint32_t *x, const double *t_x,
			 const double *T, size_t n)
{
	struct kh_rf d;
	struct kh_optim_result nm, bf;
	memset(m, 0, sizeof(*m));
	enum kh_err err = kh_rf_build(&d, x, t_x, T, n);
	if (err)
		return err;
	struct bg_ctx c = {.d = &d};
	c.lc = malloc(((size_t)d.xmax + 1) * sizeof(double));
	/* Room for the value tables of the data and of its sample. */
	c.lv = malloc(2 * d.n * sizeof(double));
	c.iv = malloc(2 * d.n * sizeof(double));
	if (!c.lc || !c.lv || !c.iv) {
		free(c.lc);
		free(c.lv);
		free(c.iv);
		kh_rf_release(&d);
		return KH_ENOMEM;
	}
	/* Start from r = a = b = 1 and alpha = mean age over mean purchases, so
	 * that r / alpha is about the observed purchase rate. */
	double sT = 0, sx = 0;
	for (size_t j = 0; j < d.n; j++) {
		sT += d.w[j] * d.T[j];
		sx += d.w[j] * (d.x[j] + 1.0);
	}
	double th[4] = {0, log(fmax(sT / sx, 1e-3)), 0, 0};
	/* On large data the simplex search runs on a sample of the rows and
	 * BFGS finishes on all of them from there. */
	struct kh_rf sample = {0};
	if (d.n > KH_RF_SAMPLE_ABOVE && kh_rf_sample(&d, KH_RF_SAMPLE_ABOVE / 2, &sample) == KH_OK)
		c.d = &sample;
	err = kh_optim_nelder_mead(bg_objective, &c, th, 4, 1.0, 1e-7, 1e-3, 1000, &nm);
	c.d = &d;
	kh_rf_release(&sample);
	if (!err)
		err = kh_optim_bfgs(bg_objective, &c, th, 4, 1e-9, 500, &bf);
	if (!err) {
		m->r = exp(th[0]);
		m->alpha = exp(th[1]);
		m->a = exp(th[2]);
		m->b = exp(th[3]);
		m->info.n = (size_t)d.wsum;
		m->info.iterations = nm.iterations + bf.iterations;
		m->info.converged = bf.converged;
		m->info.loglik = -bg_objective(th, NULL, &c) * d.wsum;
		kh_fit_std_errors(bg_objective, &c, th, 4, 1, d.wsum, m->se);
	}
	free(c.lc);
	free(c.lv);
	free(c.iv);
	kh_rf_release(&d);
	return err;
}

double kh_bgnbd_loglik(const struct kh_bgnbd *m, const uint32_t *x, const double *t_x,
		       const double *T, size_t n)
{
	struct kh_rf d;
	if (kh_rf_build(&d, x, t_x, T, n))
		return NAN;
	struct bg_ctx c = {.d = &d, .r = m->r, .alpha = m->alpha, .a = m->a, .b = m->b};
	c.lc = malloc(((size_t)d.xmax + 1) * sizeof(double));
	c.lv = malloc(d.nval * sizeof(double));
	c.iv = malloc(d.nval * sizeof(double));
	double ll = c.lc && c.lv && c.iv ? bg_loglik(&c, NULL) : NAN;
	free(c.lc);
	free(c.lv);
	free(c.iv);
	kh_rf_release(&d);
	return ll;
}

double kh_bgnbd_p_alive(const struct kh_bgnbd *m, uint32_t x, double t_x, double T)
{
	if (!(T >= 0))
		return NAN;
	if (x == 0)
		return 1;
	double rx = m->r + x;
	double l = log(m->a / (m->b + x - 1)) + rx * (log(m->alpha + T) - log(m->alpha + t_x));
	return 1 / (1 + exp(l));
}

double kh_bgnbd_expected(const struct kh_bgnbd *m, double h, uint32_t x, double t_x, double T)
{
	if (!(T >= 0) || !(h >= 0))
		return NAN;
	double r = m->r, alpha = m->alpha, a = m->a, b = m->b, rx = r + x;
	double z = h / (alpha + T + h);
	double f = kh_hyp2f1(rx, b + x, a + b + x - 1, z);
	double num = (a + b + x - 1) / (a - 1) *
		     (1 - exp(rx * log((alpha + T) / (alpha + T + h))) * f);
	return num * kh_bgnbd_p_alive(m, x, t_x, T);
}

/* E[Y(h_j)] for several horizons at once. The 2F1 series of every horizon has
 * the same term ratio but for the power of z, so one pass over the terms
 * computes that ratio (and its division) once for all of them; CLV asks for
 * twelve horizons per customer, and the divisions of twelve separate series
 * were most of its time. */
#define MANY 64
void kh_bgnbd_expected_many(const struct kh_bgnbd *m, const double *h, int nh, uint32_t x, double t_x, double T,
			    double *out)
{
	double r = m->r, alpha = m->alpha, a = m->a, b = m->b, rx = r + x;
	double A = rx, B = b + x, C = a + b + x - 1;
	if (!(T >= 0) || !(C > 0)) {
		/* A negative c makes terms change sign: the general series. */
		for (int j = 0; j < nh; j++)
			out[j] = kh_bgnbd_expected(m, h[j], x, t_x, T);
		return;
	}
	double pa = kh_bgnbd_p_alive(m, x, t_x, T);
	for (int j0 = 0; j0 < nh; j0 += MANY) {
		int n = nh - j0 < MANY ? nh - j0 : MANY;
		double z[MANY], term[MANY], sum[MANY], zmax = 0;
		for (int j = 0; j < n; j++) {
			z[j] = h[j0 + j] / (alpha + T + h[j0 + j]);
			term[j] = sum[j] = 1;
			if (z[j] > zmax)
				zmax = z[j];
		}
		if (zmax < 1) {
			double ratio = A * B / C;
			for (long k = 0; k < 1000000; k++) {
				for (int j = 0; j < n; j++) {
					term[j] *= ratio * z[j];
					sum[j] += term[j];
				}
				/* Every later term ratio is below next * zmax once it is
				 * below 1 (a, b, c > 0), so each tail is bounded by a
				 * geometric series: stop when every tail is below 1e-16 of
				 * its sum (checked without a division per horizon). */
				ratio = (A + k + 1) * (B + k + 1) / ((C + k + 1) * (k + 2));
				double next = ratio * zmax;
				if (next >= 1)
					continue;
				double tail = 1e16 * (next > 0.5 ? next / (1 - next) : 1);
				int done = 1;
				for (int j = 0; j < n && done; j++)
					done = term[j] * tail < sum[j];
				if (done)
					break;
			}
		}
		for (int j = 0; j < n; j++) {
			double hj = h[j0 + j];
			out[j0 + j] = !(hj >= 0) || !(zmax < 1)
					      ? NAN
					      : (a + b + x - 1) / (a - 1) *
							(1 - exp(rx * log((alpha + T) / (alpha + T + hj))) * sum[j]) * pa;
		}
	}
}

double kh_bgnbd_expected_new(const struct kh_bgnbd *m, double t)
{
	double r = m->r, alpha = m->alpha, a = m->a, b = m->b;
	double f = kh_hyp2f1(r, b, a + b - 1, t / (alpha + t));
	return (a + b - 1) / (a - 1) * (1 - exp(r * log(alpha / (alpha + t))) * f);
}
