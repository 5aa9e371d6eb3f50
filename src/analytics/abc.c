/* ABC classification; see abc.h. */
#include "analytics/abc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/sort.h"

enum kh_err kh_abc_classify(const double *value, size_t n, double a_cut, double b_cut,
			    uint8_t *cls, struct kh_abc *sum, double *curve, size_t npoints)
{
	if (!(a_cut > 0 && a_cut <= b_cut && b_cut <= 1) || (curve && npoints < 2))
		return KH_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (isnan(value[i]))
			return KH_EINVAL;
	uint32_t *idx = malloc((n ? n : 1) * sizeof(uint32_t));
	if (!idx)
		return KH_ENOMEM;
	enum kh_err err = kh_sort_index(value, n, 1, idx);
	if (err) {
		free(idx);
		return err;
	}
	memset(sum, 0, sizeof(*sum));
	double total = 0;
	for (size_t i = 0; i < n; i++)
		if (value[i] > 0)
			total += value[i];
	sum->total = total;
	/* One pass from the top: the class depends on the value before. */
	double before = 0, top20 = 0;
	size_t n20 = n / 5, k80 = 0;
	int found80 = 0;
	for (size_t k = 0; k < n; k++) {
		uint32_t i = idx[k];
		double v = value[i] > 0 ? value[i] : 0;
		uint8_t c = v <= 0 ? KH_ABC_C
			    : before < a_cut * total ? KH_ABC_A
			    : before < b_cut * total ? KH_ABC_B
			    : KH_ABC_C;
		cls[i] = c;
		sum->count[c]++;
		sum->value[c] += value[i];
		if (k < n20)
			top20 += v;
		before += v;
		if (!found80 && before >= 0.8 * total) {
			k80 = k + 1;
			found80 = 1;
		}
	}
	sum->top20_share = total > 0 ? top20 / total : 0;
	sum->customers_for_80 = n ? (double)k80 / n : 0;
	if (curve) {
		/* The cumulative share at a fractional customer count, linear
		 * between whole customers. */
		size_t k = 0;
		double cum = 0;
		for (size_t p = 0; p < npoints; p++) {
			double at = (double)n * p / (npoints - 1);
			while (k < n && k + 1 <= at) {
				double v = value[idx[k]];
				cum += v > 0 ? v : 0;
				k++;
			}
			double part = 0;
			if (k < n && at > k) {
				double v = value[idx[k]];
				part = (at - k) * (v > 0 ? v : 0);
			}
			curve[p] = total > 0 ? (cum + part) / total : 0;
		}
		curve[npoints - 1] = total > 0 ? 1 : 0;
	}
	free(idx);
	return KH_OK;
}
