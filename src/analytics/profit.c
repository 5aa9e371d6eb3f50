/* Customer profitability and relationship breadth, length and depth; see profit.h. */
#include "analytics/profit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void kh_profit_release(struct kh_profit *p)
{
	free(p->revenue);
	free(p->cogs);
	free(p->service);
	free(p->profit);
	free(p->products);
	free(p->categories);
	free(p->tenure_days);
	free(p->purchase_days);
	free(p->per_year);
	free(p->per_purchase);
	memset(p, 0, sizeof(*p));
}

enum kh_err kh_profit_compute(const struct kh_profit_in *in, size_t nc, struct kh_profit *p)
{
	const struct kh_txns *t = in->t;
	memset(p, 0, sizeof(*p));
	if (in->product)
		for (size_t i = 0; i < t->n; i++)
			if (in->product[i] >= in->n_products)
				return KH_EINVAL;
	if (in->product && in->category)
		for (uint32_t k = 0; k < in->n_products; k++)
			if (in->category[k] >= in->n_categories)
				return KH_EINVAL;
	size_t *start;
	uint32_t *idx;
	enum kh_err err = kh_txns_group(t, nc, &start, &idx);
	if (err)
		return err;
	p->n = nc;
	p->revenue = calloc(nc, sizeof(double));
	p->cogs = calloc(nc, sizeof(double));
	p->service = calloc(nc, sizeof(double));
	p->profit = calloc(nc, sizeof(double));
	p->products = calloc(nc, sizeof(uint32_t));
	p->categories = calloc(nc, sizeof(uint32_t));
	p->tenure_days = calloc(nc, sizeof(int32_t));
	p->purchase_days = calloc(nc, sizeof(uint32_t));
	p->per_year = calloc(nc, sizeof(double));
	p->per_purchase = calloc(nc, sizeof(double));
	/* Stamps: the last customer (plus one) that bought each product and
	 * category, so distinct counts cost one pass and no per-customer set. */
	uint32_t *pstamp = in->product ? calloc(in->n_products ? in->n_products : 1, sizeof(uint32_t)) : NULL;
	uint32_t *cstamp = in->product && in->category
				   ? calloc(in->n_categories ? in->n_categories : 1, sizeof(uint32_t))
				   : NULL;
	if (!p->revenue || !p->cogs || !p->service || !p->profit || !p->products || !p->categories ||
	    !p->tenure_days || !p->purchase_days || !p->per_year || !p->per_purchase ||
	    (in->product && !pstamp) || (in->product && in->category && !cstamp)) {
		kh_profit_release(p);
		free(pstamp);
		free(cstamp);
		free(start);
		free(idx);
		return KH_ENOMEM;
	}
	for (size_t c = 0; c < nc; c++) {
		uint32_t stamp = (uint32_t)c + 1;
		int32_t first = INT32_MIN, prev = INT32_MIN;
		for (size_t k = start[c]; k < start[c + 1]; k++) {
			uint32_t i = idx[k];
			int32_t d = t->day[i];
			if (d > in->as_of)
				break;
			if (first == INT32_MIN)
				first = d;
			if (d != prev)
				p->purchase_days[c]++;
			prev = d;
			p->revenue[c] += t->amount ? t->amount[i] : 0;
			if (in->cogs)
				p->cogs[c] += in->cogs[i];
			if (pstamp) {
				uint32_t pr = in->product[i];
				if (pstamp[pr] != stamp) {
					pstamp[pr] = stamp;
					p->products[c]++;
				}
				if (cstamp && cstamp[in->category[pr]] != stamp) {
					cstamp[in->category[pr]] = stamp;
					p->categories[c]++;
				}
			}
		}
		p->service[c] = in->service_cost ? in->service_cost[c] : 0;
		p->profit[c] = p->revenue[c] - p->cogs[c] - p->service[c];
		if (first == INT32_MIN) {
			p->tenure_days[c] = -1;
			p->per_year[c] = p->per_purchase[c] = NAN;
			p->total_service += p->service[c];
			p->total_profit += p->profit[c];
			continue;
		}
		int32_t tenure = in->as_of - first;
		p->tenure_days[c] = tenure;
		p->per_year[c] = p->purchase_days[c] * 365.25 / (tenure > 30 ? tenure : 30);
		p->per_purchase[c] = p->revenue[c] / p->purchase_days[c];
		p->customers++;
		p->unprofitable += p->profit[c] < 0;
		p->total_revenue += p->revenue[c];
		p->total_cogs += p->cogs[c];
		p->total_service += p->service[c];
		p->total_profit += p->profit[c];
	}
	free(pstamp);
	free(cstamp);
	free(start);
	free(idx);
	return KH_OK;
}
