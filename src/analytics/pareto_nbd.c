/* The Pareto/NBD model; see clv.h.
 *
 * For one customer with x repeat purchases, recency t and age T (Fader,
 * Hardie & Lee 2005, "A Note on Deriving the Pareto/NBD Model", eq. 22),
 *
 *   L = G(r+x) alpha^r beta^s / G(r) * [ 1 / ((alpha+T)^(r+x) (beta+T)^s)
 *       + s / (r+s+x) * A0 ],
 *
 * where, with rho = r + s + x and F(b, z) = 2F1(rho, b; rho + 1; z),
 *
 *   alpha >= beta: A0 = F(s+1, (alpha-beta)/(alpha+t)) / (alpha+t)^rho
 *                     - F(s+1, (alpha-beta)/(alpha+T)) / (alpha+T)^rho,
 *   alpha <  beta: A0 = F(r+x, (beta-alpha)/(beta+t)) / (beta+t)^rho
 *                     - F(r+x, (beta-alpha)/(beta+T)) / (beta+T)^rho.
 *
 * Both forms are the same function; choosing by the sign of alpha - beta keeps
 * z in [0, 1), where every term of the series is positive. A0 is a difference
 * of two positive numbers and is computed as e^la (1 - e^(lb - la)) in logs;
 * when t = T it is 0. Everything is summed in logarithms, so customers with
 * hundreds of purchases do not overflow. */
#include "analytics/clv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/optim.h"
#include "analytics/par.h"
#include "analytics/rf.h"
#include "analytics/special.h"

struct pn_params {
	double r, alpha, s, beta;
};

/* ln of the bracket's two terms for one customer: *l1 = ln of the "still
 * alive at T" term, *l2 = ln(s / rho * A0) (-inf if A0 = 0). */
static void pn_terms(const struct pn_params *p, uint32_t x, double t, double T, double *l1,
		     double *l2)
{
	double r = p->r, alpha = p->alpha, s = p->s, beta = p->beta;
	double rho = r + s + x;
	*l1 = -(r + x) * log(alpha + T) - s * log(beta + T);
	double hi, lo, b;
	if (alpha >= beta) {
		hi = alpha;
		lo = beta;
		b = s + 1;
	} else {
		hi = beta;
		lo = alpha;
		b = r + x;
	}
	double la = kh_log_hyp2f1(rho, b, rho + 1, (hi - lo) / (hi + t)) - rho * log(hi + t);
	double lb = kh_log_hyp2f1(rho, b, rho + 1, (hi - lo) / (hi + T)) - rho * log(hi + T);
	double la0 = lb < la ? la + log1p(-exp(lb - la)) : -INFINITY;
	*l2 = log(s / rho) + la0;
}

struct pn_ctx {
	const struct kh_rf *d;
	struct pn_params p;
	double *la, *lb; /* ln(alpha + v), ln(beta + v) per distinct value */
	double *lf;      /* per (x, v) pair: ln 2F1(...) - rho ln(max(alpha, beta) + v) */
};

/* The hypergeometric term of each distinct (x, value) pair. */
static void pn_pairs(void *ctx, size_t lo, size_t hi, double *acc)
{
	const struct pn_ctx *c = ctx;
	const struct kh_rf *d = c->d;
	double r = c->p.r, alpha = c->p.alpha, s = c->p.s, beta = c->p.beta;
	double top = alpha >= beta ? alpha : beta, diff = fabs(alpha - beta);
	(void)acc;
	for (size_t k = lo; k < hi; k++) {
		uint32_t x = d->pair_x[k];
		double v = d->val[d->pair_v[k]], rho = r + s + x;
		double b = alpha >= beta ? s + 1 : r + x;
		c->lf[k] = kh_log_hyp2f1(rho, b, rho + 1, diff / (top + v)) - rho * log(top + v);
	}
}

static void pn_rows(void *ctx, size_t lo, size_t hi, double *acc)
{
	const struct pn_ctx *c = ctx;
	const struct kh_rf *d = c->d;
	double r = c->p.r, s = c->p.s, sum = 0;
	for (size_t j = lo; j < hi; j++) {
		uint32_t x = d->x[j], Ti = d->Ti[j];
		double l1 = -(r + x) * c->la[Ti] - s * c->lb[Ti];
		/* A0 = e^la - e^lb; it is 0 when t = T. */
		double la = c->lf[d->pti[j]], lb = c->lf[d->pTi[j]];
		double l2 = lb < la ? log(s / (r + s + x)) + la + log1p(-exp(lb - la)) : -INFINITY;
		sum += d->w[j] * kh_logaddexp(l1, l2);
	}
	acc[0] += sum;
}

static double pn_loglik(const struct pn_ctx *c)
{
	const struct kh_rf *d = c->d;
	const struct pn_params *p = &c->p;
	double ll = 0, lg = 0, acc[1];
	/* ln G(r+x) - ln G(r) for x = 0..xmax by the recurrence. */
	for (uint32_t x = 0; x <= d->xmax; x++) {
		if (x > 0)
			lg += log(p->r + x - 1);
		ll += d->xcount[x] * lg;
	}
	for (size_t k = 0; k < d->nval; k++) {
		c->la[k] = log(p->alpha + d->val[k]);
		c->lb[k] = log(p->beta + d->val[k]);
	}
	kh_par_for(pn_pairs, (void *)c, d->npair);
	kh_par_sum(pn_rows, (void *)c, d->n, acc, 1);
	return ll + d->wsum * (p->r * log(p->alpha) + p->s * log(p->beta)) + acc[0];
}

/* Scratch for n distinct rows (and so at most 2 n values and pairs). */
static enum kh_err pn_alloc(struct pn_ctx *c, size_t n)
{
	c->la = malloc(2 * n * sizeof(double));
	c->lb = malloc(2 * n * sizeof(double));
	c->lf = malloc(2 * n * sizeof(double));
	return c->la && c->lb && c->lf ? KH_OK : KH_ENOMEM;
}

static void pn_free(struct pn_ctx *c)
{
	free(c->la);
	free(c->lb);
	free(c->lf);
}

static double pn_objective(const double *th, double *g, void *ctx)
{
	struct pn_ctx *c = ctx;
	for (int k = 0; k < 4; k++)
		if (!(fabs(th[k]) < 30))
			return INFINITY;
	c->p.r = exp(th[0]);
	c->p.alpha = exp(th[1]);
	c->p.s = exp(th[2]);
	c->p.beta = exp(th[3]);
	double f = -pn_loglik(c) / c->d->wsum;
	if (g) {
		/* No analytic gradient: central differences (8 more likelihoods,
		 * which overwrite the scratch parameters in c). */
		kh_optim_numgrad(pn_objective, c, th, 4, 1e-6, g);
	}
	return isfinite(f) ? f : INFINITY;
}

enum kh_err kh_pnbd_fit(struct kh_pnbd *m, const uint32_t *x, const double *t_x,
			const double *T, size_t n)
{
	struct kh_rf d;
	struct kh_optim_result nm, bf;
	memset(m, 0, sizeof(*m));
	enum kh_err err = kh_rf_build(&d, x, t_x, T, n);
	if (err)
		return err;
	struct pn_ctx c = {.d = &d};
	if (pn_alloc(&c, d.n)) {
		pn_free(&c);
		kh_rf_release(&d);
		return KH_ENOMEM;
	}
	double sT = 0, sx = 0;
	for (size_t j = 0; j < d.n; j++) {
		sT += d.w[j] * d.T[j];
		sx += d.w[j] * (d.x[j] + 1.0);
	}
	/* The same neutral start as BG/NBD: unit shapes, scales at the mean age
	 * over the mean number of purchases. */
	double sc = log(fmax(sT / sx, 1e-3));
	double th[4] = {0, sc, 0, sc};
	struct kh_rf sample = {0};
	if (d.n > KH_RF_SAMPLE_ABOVE && kh_rf_sample(&d, KH_RF_SAMPLE_ABOVE / 2, &sample) == KH_OK)
		c.d = &sample;
	err = kh_optim_nelder_mead(pn_objective, &c, th, 4, 1.0, 1e-8, 1e-4, 2000, &nm);
	c.d = &d;
	kh_rf_release(&sample);
	if (!err)
		err = kh_optim_bfgs(pn_objective, &c, th, 4, 1e-7, 200, &bf);
	if (!err) {
		m->r = exp(th[0]);
		m->alpha = exp(th[1]);
		m->s = exp(th[2]);
		m->beta = exp(th[3]);
		m->info.n = (size_t)d.wsum;
		m->info.iterations = nm.iterations + bf.iterations;
		m->info.converged = bf.converged;
		m->info.loglik = -pn_objective(th, NULL, &c) * d.wsum;
		kh_fit_std_errors(pn_objective, &c, th, 4, 0, d.wsum, m->se);
	}
	pn_free(&c);
	kh_rf_release(&d);
	return err;
}

double kh_pnbd_loglik(const struct kh_pnbd *m, const uint32_t *x, const double *t_x,
		      const double *T, size_t n)
{
	struct kh_rf d;
	if (kh_rf_build(&d, x, t_x, T, n))
		return NAN;
	struct pn_ctx c = {.d = &d, .p = {m->r, m->alpha, m->s, m->beta}};
	double ll = pn_alloc(&c, d.n) == KH_OK ? pn_loglik(&c) : NAN;
	pn_free(&c);
	kh_rf_release(&d);
	return ll;
}

double kh_pnbd_p_alive(const struct kh_pnbd *m, uint32_t x, double t_x, double T)
{
	if (!(T >= 0))
		return NAN;
	struct pn_params p = {m->r, m->alpha, m->s, m->beta};
	double l1, l2;
	pn_terms(&p, x, x ? t_x : 0, T, &l1, &l2);
	return 1 / (1 + exp(l2 - l1));
}

double kh_pnbd_expected(const struct kh_pnbd *m, double h, uint32_t x, double t_x, double T)
{
	if (!(T >= 0) || !(h >= 0))
		return NAN;
	double r = m->r, alpha = m->alpha, s = m->s, beta = m->beta;
	double e = (r + x) * (beta + T) / ((alpha + T) * (s - 1)) *
		   (1 - exp((s - 1) * log((beta + T) / (beta + T + h))));
	return e * kh_pnbd_p_alive(m, x, t_x, T);
}
