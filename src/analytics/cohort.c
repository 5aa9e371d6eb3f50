/* Cohort retention and repurchase; see cohort.h. */
#include "analytics/cohort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Howard Hinnant's civil_from_days, reduced to the month. */
int32_t kh_month_of_day(int32_t day)
{
	int64_t z = (int64_t)day + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	return (int32_t)(y * 12 + m - 1);
}

/* days_from_civil for the first of the month. */
int32_t kh_month_first_day(int32_t month)
{
	int64_t y = month >= 0 ? month / 12 : (month - 11) / 12;
	int64_t m = month - y * 12 + 1;
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void kh_cohorts_release(struct kh_cohorts *c)
{
	free(c->size);
	free(c->repeat);
	free(c->active);
	free(c->revenue);
	free(c->curve);
	memset(c, 0, sizeof(*c));
}

enum kh_err kh_cohorts_build(const struct kh_txns *t, size_t n_customers, int32_t as_of,
			     struct kh_cohorts *c)
{
	memset(c, 0, sizeof(*c));
	size_t *start;
	uint32_t *idx;
	enum kh_err err = kh_txns_group(t, n_customers, &start, &idx);
	if (err)
		return err;
	/* The first cohort is the earliest first purchase. */
	int32_t first = INT32_MAX;
	for (size_t i = 0; i < t->n; i++)
		if (t->day[i] <= as_of && t->day[i] < first)
			first = t->day[i];
	if (first == INT32_MAX) {
		free(start);
		free(idx);
		return KH_OK;
	}
	int32_t m0 = kh_month_of_day(first), mlast = kh_month_of_day(as_of);
	size_t nc = (size_t)(mlast - m0 + 1);
	c->first_month = m0;
	c->n_cohorts = c->n_periods = nc;
	c->size = calloc(nc, sizeof(size_t));
	c->repeat = calloc(nc, sizeof(size_t));
	c->active = calloc(nc * nc, sizeof(size_t));
	c->revenue = calloc(nc * nc, sizeof(double));
	c->curve = calloc(nc, sizeof(double));
	if (!c->size || !c->repeat || !c->active || !c->revenue || !c->curve) {
		kh_cohorts_release(c);
		free(start);
		free(idx);
		return KH_ENOMEM;
	}
	for (size_t cu = 0; cu < n_customers; cu++) {
		int32_t coh = -1, last_month = INT32_MIN, first_day = 0;
		int repeated = 0;
		/* Lines are sorted by day within a customer (kh_txns_group). */
		for (size_t k = start[cu]; k < start[cu + 1]; k++) {
			uint32_t i = idx[k];
			int32_t d = t->day[i];
			if (d > as_of)
				break;
			int32_t mo = kh_month_of_day(d);
			if (coh < 0) {
				coh = mo - m0;
				first_day = d;
				c->size[coh]++;
			} else if (d != first_day) {
				repeated = 1;
			}
			size_t cell = (size_t)coh * nc + (size_t)(mo - m0 - coh);
			if (mo != last_month)
				c->active[cell]++;
			last_month = mo;
			if (t->amount)
				c->revenue[cell] += t->amount[i];
		}
		if (coh >= 0 && repeated)
			c->repeat[coh]++;
	}
	/* Cohort k months before as_of's month has lived through periods 0..k. */
	for (size_t p = 0; p < nc; p++) {
		double act = 0, size = 0;
		for (size_t co = 0; co + p < nc; co++) {
			act += (double)c->active[co * nc + p];
			size += (double)c->size[co];
		}
		c->curve[p] = size > 0 ? act / size : NAN;
	}
	free(start);
	free(idx);
	return KH_OK;
}
