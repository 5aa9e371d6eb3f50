/* Special functions for the analytics models; see special.h. */
#include "analytics/special.h"

#include <math.h>

double kh_lgamma(double x)
{
	int sign;
	return lgamma_r(x, &sign);
}

double kh_lbeta(double a, double b)
{
	return kh_lgamma(a) + kh_lgamma(b) - kh_lgamma(a + b);
}

double kh_digamma(double x)
{
	double r = 0;
	if (!(x > 0))
		return NAN;
	while (x < 6) {
		r -= 1 / x;
		x += 1;
	}
	/* psi(x) ~ ln x - 1/(2x) - sum B_2k / (2k x^2k). */
	double f = 1 / (x * x);
	double t = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 +
		f * (-1.0 / 132 + f * (691.0 / 32760))))));
	return r + log(x) - 0.5 / x + t;
}

double kh_log_hyp2f1(double a, double b, double c, double z)
{
	if (!(a > 0 && b > 0 && c > 0 && z >= 0 && z < 1))
		return NAN;
	double sum = 1, term = 1, lscale = 0;
	for (long k = 0; k < 1000000; k++) {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		sum += term;
		/* Once the terms shrink, the rest of the series is below
		 * term * ratio / (1 - ratio) for the current term ratio, which tends
		 * to z from above; stop when that tail is negligible. */
		if (term < sum * 1e-17) {
			double ratio = (a + k + 1) * (b + k + 1) / ((c + k + 1) * (k + 2)) * z;
			if (ratio < 1 && term * ratio / (1 - ratio) < sum * 1e-17)
				return lscale + log(sum);
		}
		if (sum > 1e280) {
			sum *= 1e-280;
			term *= 1e-280;
			lscale += 280 * M_LN10;
		}
	}
	return NAN;
}

double kh_hyp2f1(double a, double b, double c, double z)
{
	if (!(fabs(z) < 1) || (c <= 0 && c == floor(c)))
		return NAN;
	double sum = 1, term = 1;
	for (long k = 0; k < 1000000; k++) {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		sum += term;
		if (term == 0)
			return sum;
		/* Past the point where |term ratio| falls below 1 for good (all of
		 * a + k, b + k, c + k positive), the tail is bounded as in
		 * kh_log_hyp2f1. */
		if (a + k > 0 && b + k > 0 && c + k > 0 && fabs(term) < fabs(sum) * 1e-17) {
			double ratio = fabs((a + k + 1) * (b + k + 1) / ((c + k + 1) * (k + 2)) * z);
			if (ratio < 1 && fabs(term) * ratio / (1 - ratio) < fabs(sum) * 1e-17)
				return sum;
		}
	}
	return NAN;
}

double kh_logaddexp(double a, double b)
{
	if (a < b) {
		double t = a;
		a = b;
		b = t;
	}
	if (b == -INFINITY)
		return a;
	return a + log1p(exp(b - a));
}
