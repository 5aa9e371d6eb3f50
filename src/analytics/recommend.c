/* Cross-sell for one customer from association rules; see baskets.h. */
#include <stdlib.h>

#include "analytics/baskets.h"

static int better(const struct kh_reco *a, const struct kh_reco *b)
{
	if (a->confidence != b->confidence)
		return a->confidence > b->confidence;
	if (a->lift != b->lift)
		return a->lift > b->lift;
	return a->rule < b->rule;
}

static int cmp_reco(const void *x, const void *y)
{
	const struct kh_reco *a = x, *b = y;
	if (better(a, b))
		return -1;
	if (better(b, a))
		return 1;
	return a->item < b->item ? -1 : a->item > b->item;
}

enum kh_err kh_recommend(const struct kh_itemsets *s, const struct kh_rule *rules, size_t n_rules,
			 const uint8_t *owned, uint32_t n_items, struct kh_reco *out, size_t max_out, size_t *n_out)
{
	*n_out = 0;
	/* best[i]: the best rule so far for item i (rule == SIZE_MAX: none). */
	struct kh_reco *best = malloc((n_items ? n_items : 1) * sizeof *best);
	if (!best)
		return KH_ENOMEM;
	for (uint32_t i = 0; i < n_items; i++)
		best[i] = (struct kh_reco){i, SIZE_MAX, 0, 0};
	for (size_t r = 0; r < n_rules; r++) {
		const struct kh_rule *ru = &rules[r];
		if (ru->consequent >= n_items || ru->antecedent >= s->n) {
			free(best);
			return KH_EINVAL;
		}
		if (owned[ru->consequent])
			continue;
		int all = 1;
		for (size_t k = s->start[ru->antecedent]; all && k < s->start[ru->antecedent + 1]; k++)
			all = s->items[k] < n_items && owned[s->items[k]];
		if (!all)
			continue;
		struct kh_reco c = {ru->consequent, r, ru->confidence, ru->lift};
		if (best[c.item].rule == SIZE_MAX || better(&c, &best[c.item]))
			best[c.item] = c;
	}
	size_t n = 0;
	for (uint32_t i = 0; i < n_items; i++)
		if (best[i].rule != SIZE_MAX)
			best[n++] = best[i];
	qsort(best, n, sizeof *best, cmp_reco);
	for (size_t k = 0; k < n && k < max_out; k++)
		out[k] = best[k];
	*n_out = n < max_out ? n : max_out;
	free(best);
	return KH_OK;
}
