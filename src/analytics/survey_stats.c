/* Survey statistics; see survey_stats.h. */
#include "analytics/survey_stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Item means into mean[k]; KH_EINVAL on a value that is not finite. */
static enum kh_err item_means(const double *x, size_t n, size_t k, double *mean)
{
	for (size_t j = 0; j < k; j++)
		mean[j] = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < k; j++) {
			if (!isfinite(x[i * k + j]))
				return KH_EINVAL;
			mean[j] += x[i * k + j];
		}
	for (size_t j = 0; j < k; j++)
		mean[j] /= n;
	return KH_OK;
}

/* The k x k covariance matrix (divisor n - 1) into cov, by centred sums. */
static enum kh_err covariance(const double *x, size_t n, size_t k, double *cov)
{
	double *mean = malloc(k * sizeof(double));
	enum kh_err e;

	if (!mean)
		return KH_ENOMEM;
	e = item_means(x, n, k, mean);
	if (!e) {
		memset(cov, 0, k * k * sizeof(double));
		for (size_t i = 0; i < n; i++)
			for (size_t a = 0; a < k; a++)
				for (size_t b = 0; b <= a; b++)
					cov[a * k + b] += (x[i * k + a] - mean[a]) * (x[i * k + b] - mean[b]);
		for (size_t a = 0; a < k; a++)
			for (size_t b = 0; b <= a; b++) {
				cov[a * k + b] /= n - 1;
				cov[b * k + a] = cov[a * k + b];
			}
	}
	free(mean);
	return e;
}

static enum kh_err alpha_of(const double *x, size_t n, size_t k, int standardized, double *alpha)
{
	double *cov, items = 0, total = 0;
	enum kh_err e;

	if (!x || !alpha || k < 2 || n < 2 || k > SIZE_MAX / sizeof(double) / k)
		return KH_EINVAL;
	cov = malloc(k * k * sizeof(double));
	if (!cov)
		return KH_ENOMEM;
	e = covariance(x, n, k, cov);
	if (e)
		goto out;
	if (standardized) {
		for (size_t a = 0; a < k; a++)
			if (!(cov[a * k + a] > 0)) {
				e = KH_EINVAL;
				goto out;
			}
		for (size_t a = 0; a < k; a++)
			for (size_t b = 0; b < k; b++)
				total += cov[a * k + b] / sqrt(cov[a * k + a] * cov[b * k + b]);
		items = (double)k; /* the correlation matrix has ones on its diagonal */
	} else {
		for (size_t a = 0; a < k; a++) {
			items += cov[a * k + a];
			for (size_t b = 0; b < k; b++)
				total += cov[a * k + b];
		}
	}
	/* The variance of the sum is the sum of the whole (co)variance matrix. */
	if (!(total > 0)) {
		e = KH_EINVAL;
		goto out;
	}
	*alpha = k / (k - 1.0) * (1 - items / total);
out:
	free(cov);
	return e;
}

enum kh_err kh_cronbach_alpha(const double *x, size_t n, size_t k, double *alpha)
{
	return alpha_of(x, n, k, 0, alpha);
}

enum kh_err kh_cronbach_alpha_std(const double *x, size_t n, size_t k, double *alpha)
{
	return alpha_of(x, n, k, 1, alpha);
}

static void nps_finish(struct kh_nps *o)
{
	double p, d;

	if (!o->n) {
		o->score = NAN;
		o->se = NAN;
		return;
	}
	p = (double)o->promoters / o->n;
	d = (double)o->detractors / o->n;
	o->score = 100 * (p - d);
	/* The variance of a +1/0/-1 score: E[s^2] - E[s]^2 = P + D - (P - D)^2. */
	o->se = 100 * sqrt(fmax(0, p + d - (p - d) * (p - d)) / o->n);
}

static enum kh_err nps_add(struct kh_nps *o, int a)
{
	if (a < 0 || a > 10)
		return KH_EINVAL;
	o->n++;
	if (a >= 9)
		o->promoters++;
	else if (a >= 7)
		o->passives++;
	else
		o->detractors++;
	return KH_OK;
}

enum kh_err kh_nps(const int *answers, size_t n, struct kh_nps *out)
{
	if (!out || (n && !answers))
		return KH_EINVAL;
	memset(out, 0, sizeof(*out));
	for (size_t t = 0; t < n; t++)
		if (nps_add(out, answers[t])) {
			memset(out, 0, sizeof(*out));
			return KH_EINVAL;
		}
	nps_finish(out);
	return KH_OK;
}

enum kh_err kh_nps_by_period(const int *answers, const size_t *period, size_t n,
			     size_t n_periods, struct kh_nps *out)
{
	if (!out || (n && (!answers || !period)))
		return KH_EINVAL;
	memset(out, 0, n_periods * sizeof(*out));
	for (size_t t = 0; t < n; t++)
		if (period[t] >= n_periods || nps_add(&out[period[t]], answers[t])) {
			memset(out, 0, n_periods * sizeof(*out));
			return KH_EINVAL;
		}
	for (size_t i = 0; i < n_periods; i++)
		nps_finish(&out[i]);
	return KH_OK;
}

/* The answer at 0-based rank r in the sorted answers, from the counts. */
static int nth(const struct kh_dist *d, size_t r)
{
	size_t seen = 0;

	for (int v = d->lo; v <= d->hi; v++) {
		seen += d->count[v - d->lo];
		if (r < seen)
			return v;
	}
	return d->hi;
}

enum kh_err kh_csat(const int *answers, size_t n, int lo, int hi, int satisfied_from,
		    struct kh_dist *out)
{
	double sum = 0, ss = 0;
	size_t sat = 0;

	if (!out || (n && !answers) || hi < lo || (long)hi - lo >= KH_DIST_LEVELS ||
	    satisfied_from < lo || satisfied_from > hi)
		return KH_EINVAL;
	memset(out, 0, sizeof(*out));
	out->lo = lo;
	out->hi = hi;
	for (size_t t = 0; t < n; t++) {
		if (answers[t] < lo || answers[t] > hi) {
			memset(out, 0, sizeof(*out));
			return KH_EINVAL;
		}
		out->count[answers[t] - lo]++;
		sum += answers[t];
		sat += answers[t] >= satisfied_from;
	}
	out->n = n;
	out->mean = n ? sum / n : NAN;
	/* The levels are few: the variance from the counts, about the mean. */
	for (int v = lo; v <= hi; v++)
		ss += out->count[v - lo] * (v - out->mean) * (v - out->mean);
	out->sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
	out->median = n ? (nth(out, (n - 1) / 2) + nth(out, n / 2)) / 2.0 : NAN;
	out->csat = n ? 100.0 * sat / n : NAN;
	return KH_OK;
}

enum kh_loyalty kh_loyalty_segment(double attitude, double patronage, double attitude_cut,
				   double patronage_cut)
{
	int a = attitude >= attitude_cut, p = patronage >= patronage_cut;

	if (a)
		return p ? KH_LOYALTY_TRUE : KH_LOYALTY_LATENT;
	return p ? KH_LOYALTY_SPURIOUS : KH_LOYALTY_NONE;
}

enum kh_err kh_loyalty_segments(const double *attitude, const double *patronage, size_t n,
				double attitude_cut, double patronage_cut, enum kh_loyalty *seg,
				size_t count[KH_LOYALTY_COUNT])
{
	if (!count || (n && (!attitude || !patronage)) || !isfinite(attitude_cut) ||
	    !isfinite(patronage_cut))
		return KH_EINVAL;
	for (size_t t = 0; t < n; t++)
		if (!isfinite(attitude[t]) || !isfinite(patronage[t]))
			return KH_EINVAL;
	memset(count, 0, KH_LOYALTY_COUNT * sizeof(size_t));
	for (size_t t = 0; t < n; t++) {
		enum kh_loyalty s = kh_loyalty_segment(attitude[t], patronage[t], attitude_cut,
						       patronage_cut);

		if (seg)
			seg[t] = s;
		count[s]++;
	}
	return KH_OK;
}

const char *kh_loyalty_name(enum kh_loyalty s)
{
	static const char *const names[KH_LOYALTY_COUNT] = {"none", "spurious", "latent", "true"};

	return (unsigned)s < KH_LOYALTY_COUNT ? names[s] : "unknown";
}
