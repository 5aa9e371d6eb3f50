/* Special functions that the analytics models need and libm lacks.
 *
 * Everything here is pure and thread-safe (lgamma() from libm is not: it sets
 * the global signgam, so the models call kh_lgamma() instead, which uses the
 * reentrant lgamma_r()). */
#ifndef KH_ANALYTICS_SPECIAL_H
#define KH_ANALYTICS_SPECIAL_H

/* ln Gamma(x) for x > 0, thread-safe. */
double kh_lgamma(double x);
/* ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b), for a, b > 0. */
double kh_lbeta(double a, double b);
/* The digamma function psi(x) = d/dx ln Gamma(x) for x > 0, to about 1e-13
 * relative: the recurrence psi(x) = psi(x + 1) - 1/x lifts x above 6, where the
 * asymptotic series is summed to the x^-12 term. */
double kh_digamma(double x);

/* ln 2F1(a, b; c; z), the Gauss hypergeometric function, for a, b, c > 0 and
 * 0 <= z < 1, by its power series sum_k (a)_k (b)_k / ((c)_k k!) z^k.
 *
 * With positive a, b, c and z every term is positive, so the sum has no
 * cancellation and is accurate to a few ulps per term; the terms fall by a
 * factor of about z each, so about 37 / (1 - z) terms are needed, and z close
 * to 1 is slow rather than inaccurate. The sum is kept rescaled so that values
 * beyond the double range still give a finite logarithm. Returns NaN if the
 * arguments are outside that domain or the series did not converge in
 * 1,000,000 terms (1 - z below about 4e-5). The models below use it only where
 * z stays away from 1 for realistic parameters, and say where. */
double kh_log_hyp2f1(double a, double b, double c, double z);

/* 2F1(a, b; c; z) by the same series for any real a, b and c that is not 0 or
 * a negative integer, and |z| < 1. Terms may change sign while c + k < 0 or
 * a + k < 0, so this is for the moderate arguments of the prediction formulas
 * (they use it with z = h / (alpha + T + h)); NaN outside the domain or
 * without convergence in 1,000,000 terms. */
double kh_hyp2f1(double a, double b, double c, double z);

/* ln(exp(a) + exp(b)) without overflow. */
double kh_logaddexp(double a, double b);

#endif
