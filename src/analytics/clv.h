/* Customer lifetime value: purchase-count models, a spend model and discounted CLV.
 *
 * Input per customer is the summary of summary.h: x repeat purchases, recency
 * t_x and age T, in one time unit (days, weeks or months) that the fitted
 * parameters then carry: a model fitted in weeks predicts in weeks, so a
 * horizon must be given in the same unit. Rows with T < 0 (no purchase yet)
 * are skipped by every fit and get NaN from every prediction.
 *
 * The fits maximise the log-likelihood over the logarithms of the parameters
 * (which keeps them positive): a Nelder-Mead search from a neutral start
 * (on a systematic sample of 30,000 rows when there are more than 60,000
 * distinct ones), then BFGS on all rows with the analytic gradient until the
 * gradient of the mean log-likelihood is below 1e-9 (Pareto/NBD: central-
 * difference gradient, 1e-7). Standard errors come from the inverse of the
 * observed information (the Hessian of the negative log-likelihood, by
 * central differences of the gradient, or of the likelihood for Pareto/NBD)
 * at the optimum. Rows are first merged into distinct (x, t_x, T) with
 * counts, and likelihood sums over more than KH_PAR_MIN_ROWS distinct rows run
 * on two threads.
 *
 * References:
 *   BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way:
 *     An Alternative to the Pareto/NBD Model", Marketing Science 24(2).
 *   Pareto/NBD: Schmittlein, Morrison & Colombo (1987); the likelihood as in
 *     Fader, Hardie & Lee (2005), "A Note on Deriving the Pareto/NBD Model and
 *     Related Expressions".
 *   Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value". */
#ifndef KH_ANALYTICS_CLV_H
#define KH_ANALYTICS_CLV_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* How a fit went; common to the three models. */
struct kh_fit_info {
	double loglik;   /* the maximised log-likelihood (sum over customers) */
	size_t n;        /* customers used */
	int iterations;  /* Nelder-Mead plus BFGS iterations */
	int converged;   /* 1 if the gradient test was met */
};

/* BG/NBD: purchases follow a Poisson process with rate lambda ~ Gamma(r, alpha)
 * while alive; after each repeat purchase the customer drops out with
 * probability p ~ Beta(a, b). */
struct kh_bgnbd {
	double r, alpha, a, b;
	double se[4]; /* standard errors of r, alpha, a, b */
	struct kh_fit_info info;
};

enum kh_err kh_bgnbd_fit(struct kh_bgnbd *m, const uint32_t *x, const double *t_x,
			 const double *T, size_t n);
/* The log-likelihood of the rows under m's parameters. */
double kh_bgnbd_loglik(const struct kh_bgnbd *m, const uint32_t *x, const double *t_x,
		       const double *T, size_t n);
/* P(alive at T | x, t_x, T). */
double kh_bgnbd_p_alive(const struct kh_bgnbd *m, uint32_t x, double t_x, double T);
/* E[purchases in (T, T + h] | x, t_x, T] (FHL 2005 eq. 10). Uses 2F1 with
 * z = h / (alpha + T + h), which nears 1 only for horizons far longer than
 * the customer's age plus alpha. */
double kh_bgnbd_expected(const struct kh_bgnbd *m, double h, uint32_t x, double t_x, double T);
/* The same at nh horizons h[0..nh-1] into out, in one pass of the series
 * (the CLV's twelve months cost little more than one). */
void kh_bgnbd_expected_many(const struct kh_bgnbd *m, const double *h, int nh, uint32_t x, double t_x, double T,
			    double *out);
/* E[purchases in (0, t]] for a customer who has just made a first purchase (FHL eq. 9). */
double kh_bgnbd_expected_new(const struct kh_bgnbd *m, double t);

/* Pareto/NBD: Poisson purchases with lambda ~ Gamma(r, alpha) over an
 * exponential lifetime with rate mu ~ Gamma(s, beta). */
struct kh_pnbd {
	double r, alpha, s, beta;
	double se[4];
	struct kh_fit_info info;
};

/* The likelihood needs 2F1(r+s+x, s+1 or r+x; r+s+x+1; z) with
 * z = |alpha - beta| / (max(alpha, beta) + t), always in [0, 1); the power
 * series (special.h) is used in whichever of the two equivalent forms keeps z
 * non-negative, and is slow (not wrong) only when min(alpha, beta) + t is
 * tiny beside max(alpha, beta). */
enum kh_err kh_pnbd_fit(struct kh_pnbd *m, const uint32_t *x, const double *t_x,
			const double *T, size_t n);
double kh_pnbd_loglik(const struct kh_pnbd *m, const uint32_t *x, const double *t_x,
		      const double *T, size_t n);
double kh_pnbd_p_alive(const struct kh_pnbd *m, uint32_t x, double t_x, double T);
/* E[purchases in (T, T + h] | x, t_x, T]; requires s != 1. */
double kh_pnbd_expected(const struct kh_pnbd *m, double h, uint32_t x, double t_x, double T);

/* Gamma-Gamma: a customer's transaction values are Gamma(p, nu) with
 * nu ~ Gamma(q, gamma); fitted on customers with x > 0 repeat purchases and
 * their mean repeat-purchase value m_x > 0 (other rows are skipped). */
struct kh_gamma_gamma {
	double p, q, gamma;
	double se[3];
	struct kh_fit_info info;
};

enum kh_err kh_gg_fit(struct kh_gamma_gamma *m, const uint32_t *x, const double *m_x, size_t n);
double kh_gg_loglik(const struct kh_gamma_gamma *m, const uint32_t *x, const double *m_x,
		    size_t n);
/* E[M | x, m_x] = p (gamma + x m_x) / (p x + q - 1): the customer's expected
 * mean transaction value; the population mean p gamma / (q - 1) when x = 0.
 * Needs q > 1 (else the mean spend is infinite and NaN is returned). */
double kh_gg_expected_spend(const struct kh_gamma_gamma *m, uint32_t x, double m_x);

/* Discounted CLV over the next `months` months:
 *   CLV = sum_{k=1..months} margin * spend * (E[Y(t_k)] - E[Y(t_{k-1})]) / (1 + d)^k,
 * with t_k = k months in the model's unit (unit_days days per unit, a month
 * being KH_DAYS_PER_MONTH days), E[Y] from BG/NBD, spend from Gamma-Gamma
 * and d the monthly discount rate. */
struct kh_clv_opts {
	double unit_days;        /* days per time unit of the fitted models */
	int months;              /* horizon, at most 1200 */
	double monthly_discount; /* e.g. 0.01 */
	double margin;           /* profit share of revenue, 1 for revenue */
};

/* Fills, for each of the n customers, clv[i] and (where the pointers are not
 * NULL) p_alive[i], expected[i] = E[purchases over the horizon] and spend[i]
 * = expected mean transaction value. Rows with T < 0 get NaN. Runs on two
 * threads for large n. KH_EINVAL for bad options. */
enum kh_err kh_clv_compute(const struct kh_bgnbd *bg, const struct kh_gamma_gamma *gg,
			   const struct kh_clv_opts *o, const uint32_t *x, const double *t_x,
			   const double *T, const double *m_x, size_t n, double *clv,
			   double *p_alive, double *expected, double *spend);

/* The same from Pareto/NBD as the purchase model (its P(alive) and
 * conditional expectation), for comparing the two models customer by customer.
 * Needs s != 1 (kh_pnbd_expected); KH_EINVAL otherwise or for bad options. */
enum kh_err kh_clv_compute_pnbd(const struct kh_pnbd *pn, const struct kh_gamma_gamma *gg,
				const struct kh_clv_opts *o, const uint32_t *x, const double *t_x,
				const double *T, const double *m_x, size_t n, double *clv,
				double *p_alive, double *expected, double *spend);

#endif
