/* Discounted customer lifetime value from BG/NBD and Gamma-Gamma; see clv.h. */
#include "analytics/clv.h"

#include <math.h>

#include "analytics/par.h"
#include "analytics/summary.h"

struct clv_ctx {
	const struct kh_bgnbd *bg;
	const struct kh_gamma_gamma *gg;
	const struct kh_clv_opts *o;
	const uint32_t *x;
	const double *t_x, *T, *m_x;
	double *clv, *p_alive, *expected, *spend;
};

static void clv_rows(void *p, size_t lo, size_t hi, double *acc)
{
	const struct clv_ctx *c = p;
	const struct kh_clv_opts *o = c->o;
	double month = KH_DAYS_PER_MONTH / o->unit_days;
	(void)acc;
	double hk[1200], ek[1200];
	int months = o->months < 1200 ? o->months : 1200;
	for (int k = 0; k < months; k++)
		hk[k] = (k + 1) * month;
	for (size_t i = lo; i < hi; i++) {
		double v = NAN, pa = NAN, e = NAN, sp = NAN;
		if (c->T[i] >= 0) {
			uint32_t x = c->x[i];
			sp = kh_gg_expected_spend(c->gg, x, c->m_x ? c->m_x[i] : 0);
			pa = kh_bgnbd_p_alive(c->bg, x, c->t_x[i], c->T[i]);
			/* Purchases expected in month k are E[Y(t_k)] - E[Y(t_(k-1))],
			 * each discounted to today at the monthly rate. */
			kh_bgnbd_expected_many(c->bg, hk, months, x, c->t_x[i], c->T[i], ek);
			double prev = 0, disc = 1, sum = 0;
			for (int k = 0; k < months; k++) {
				disc /= 1 + o->monthly_discount;
				sum += (ek[k] - prev) * disc;
				prev = ek[k];
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

enum kh_err kh_clv_compute(const struct kh_bgnbd *bg, const struct kh_gamma_gamma *gg,
			   const struct kh_clv_opts *o, const uint32_t *x, const double *t_x,
			   const double *T, const double *m_x, size_t n, double *clv,
			   double *p_alive, double *expected, double *spend)
{
	if (!(o->unit_days > 0) || o->months < 0 || o->months > 1200 || !(o->monthly_discount > -1) ||
	    !isfinite(o->margin))
		return KH_EINVAL;
	struct clv_ctx c = {bg, gg, o, x, t_x, T, m_x, clv, p_alive, expected, spend};
	kh_par_for(clv_rows, &c, n);
	return KH_OK;
}
