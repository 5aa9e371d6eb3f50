/* Discounted CLV with Pareto/NBD as the purchase model; see clv.h. */
#include <math.h>

#include "analytics/clv.h"
#include "analytics/par.h"
#include "analytics/summary.h"

struct pn_ctx {
	const struct kh_pnbd *pn;
	const struct kh_gamma_gamma *gg;
	const struct kh_clv_opts *o;
	const uint32_t *x;
	const double *t_x, *T, *m_x;
	double *clv, *p_alive, *expected, *spend;
};

static void rows(void *p, size_t lo, size_t hi, double *acc)
{
	const struct pn_ctx *c = p;
	const struct kh_clv_opts *o = c->o;
	double month = KH_DAYS_PER_MONTH / o->unit_days;
	(void)acc;
	for (size_t i = lo; i < hi; i++) {
		double v = NAN, pa = NAN, e = NAN, sp = NAN;
		if (c->T[i] >= 0) {
			uint32_t x = c->x[i];
			sp = kh_gg_expected_spend(c->gg, x, c->m_x ? c->m_x[i] : 0);
			pa = kh_pnbd_p_alive(c->pn, x, c->t_x[i], c->T[i]);
			/* E[Y(t)] = P(alive) * the expectation of an alive customer;
			 * P(alive) is the same factor for every month, so the
			 * expectation is formed once per month without it. */
			double prev = 0, disc = 1, sum = 0;
			for (int k = 1; k <= o->months; k++) {
				double ek = kh_pnbd_expected(c->pn, k * month, x, c->t_x[i], c->T[i]);
				disc /= 1 + o->monthly_discount;
				sum += (ek - prev) * disc;
				prev = ek;
			}
			e = prev;
			v = o->margin * sp * sum;
		}
		c->clv[i] = v;
		if (c->p_alive)
			c->p_alive[i] = pa;
		if (c->expected)
			c->expected[i] = e;
		if (c->spend)
			c->spend[i] = sp;
	}
}

enum kh_err kh_clv_compute_pnbd(const struct kh_pnbd *pn, const struct kh_gamma_gamma *gg,
				const struct kh_clv_opts *o, const uint32_t *x, const double *t_x,
				const double *T, const double *m_x, size_t n, double *clv,
				double *p_alive, double *expected, double *spend)
{
	if (!(o->unit_days > 0) || o->months < 0 || !(o->monthly_discount > -1) ||
	    !isfinite(o->margin) || pn->s == 1)
		return KH_EINVAL;
	struct pn_ctx c = {pn, gg, o, x, t_x, T, m_x, clv, p_alive, expected, spend};
	kh_par_for(rows, &c, n);
	return KH_OK;
}
