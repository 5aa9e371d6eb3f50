/* Kaplan-Meier; see survival.h. */
#include "analytics/survival.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/sort.h"

enum kh_err kh_kaplan_meier(const double *t, const uint8_t *event, size_t n, struct kh_km *km)
{
	memset(km, 0, sizeof(*km));
	km->median = NAN;
	for (size_t i = 0; i < n; i++)
		if (!(t[i] >= 0) || !isfinite(t[i]))
			return KH_EINVAL;
	if (n == 0)
		return KH_OK;
	uint32_t *idx = malloc(n * sizeof(uint32_t));
	struct kh_km_point *pt = malloc(n * sizeof(*pt));
	if (!idx || !pt) {
		free(idx);
		free(pt);
		return KH_ENOMEM;
	}
	enum kh_err err = kh_sort_index(t, n, 0, idx);
	if (err) {
		free(idx);
		free(pt);
		return err;
	}
	size_t at_risk = n, np = 0;
	double s = 1, green = 0;
	for (size_t k = 0; k < n;) {
		double time = t[idx[k]];
		size_t d = 0, c = 0;
		for (; k < n && t[idx[k]] == time; k++) {
			if (event[idx[k]])
				d++;
			else
				c++;
		}
		if (d) {
			s *= 1 - (double)d / (double)at_risk;
			/* At the last subject (d == n_i) the variance term is
			 * undefined; S is 0 there and so is its error. */
			if (at_risk > d)
				green += (double)d / ((double)at_risk * (double)(at_risk - d));
			km->events += d;
		}
		pt[np++] = (struct kh_km_point){time, at_risk, d, c, s, s > 0 ? s * sqrt(green) : 0};
		if (isnan(km->median) && s <= 0.5)
			km->median = time;
		at_risk -= d + c;
	}
	free(idx);
	km->n = n;
	km->npoints = np;
	km->point = pt;
	return KH_OK;
}

void kh_km_release(struct kh_km *km)
{
	free(km->point);
	memset(km, 0, sizeof(*km));
}

double kh_km_at(const struct kh_km *km, double time)
{
	double s = 1;
	for (size_t i = 0; i < km->npoints && km->point[i].time <= time; i++)
		s = km->point[i].survival;
	return s;
}
