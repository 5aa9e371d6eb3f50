/* RFM scoring; see rfm.h. */
#include "analytics/rfm.h"

#include <math.h>
#include <stdlib.h>

#include "analytics/sort.h"

static const char *const names[KH_RFM_NSEG] = {
	"None", "Champions", "Loyal", "Potential Loyalists", "New", "Promising",
	"Need Attention", "About to Sleep", "At Risk", "Can't Lose", "Hibernating", "Lost",
};

/* grid[R-1][FM-1], as drawn in rfm.h (there R = 5 is the top row). */
static const uint8_t grid[5][5] = {
	{KH_RFM_LOST, KH_RFM_HIBERNATING, KH_RFM_AT_RISK, KH_RFM_AT_RISK, KH_RFM_CANT_LOSE},
	{KH_RFM_HIBERNATING, KH_RFM_HIBERNATING, KH_RFM_AT_RISK, KH_RFM_AT_RISK, KH_RFM_CANT_LOSE},
	{KH_RFM_ABOUT_TO_SLEEP, KH_RFM_ABOUT_TO_SLEEP, KH_RFM_NEED_ATTENTION, KH_RFM_LOYAL, KH_RFM_LOYAL},
	{KH_RFM_PROMISING, KH_RFM_POTENTIAL_LOYALISTS, KH_RFM_POTENTIAL_LOYALISTS, KH_RFM_LOYAL, KH_RFM_LOYAL},
	{KH_RFM_NEW, KH_RFM_POTENTIAL_LOYALISTS, KH_RFM_POTENTIAL_LOYALISTS, KH_RFM_CHAMPIONS, KH_RFM_CHAMPIONS},
};

const char *kh_rfm_segment_name(int seg)
{
	return seg >= 0 && seg < KH_RFM_NSEG ? names[seg] : names[0];
}

enum kh_rfm_segment kh_rfm_segment_of(int r, int f, int m)
{
	if (r < 1 || r > 5 || f < 1 || f > 5 || m < 1 || m > 5)
		return KH_RFM_NONE;
	return grid[r - 1][(f + m + 1) / 2 - 1];
}

enum kh_err kh_quintile_scores(const double *v, const uint8_t *keep, size_t n, int higher_better,
			       uint8_t *score)
{
	uint32_t *idx = malloc((n ? n : 1) * sizeof(uint32_t));
	if (!idx)
		return KH_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (keep[i] && isnan(v[i])) {
			free(idx);
			return KH_EINVAL;
		}
	}
	/* Sort from worst to best; the excluded rows are skipped in the scan. */
	enum kh_err err = kh_sort_index(v, n, !higher_better, idx);
	if (err) {
		free(idx);
		return err;
	}
	size_t scored = 0;
	for (size_t i = 0; i < n; i++)
		scored += keep[i] != 0;
	size_t worse = 0, rank = 0;
	double prev = 0;
	for (size_t k = 0; k < n; k++) {
		uint32_t i = idx[k];
		if (!keep[i]) {
			score[i] = 0;
			continue;
		}
		if (rank == 0 || v[i] != prev)
			worse = rank; /* a new value: everyone ranked before is worse */
		prev = v[i];
		score[i] = (uint8_t)(1 + 5 * worse / scored);
		rank++;
	}
	free(idx);
	return KH_OK;
}

enum kh_err kh_rfm_score(const double *recency, const double *frequency, const double *monetary,
			 size_t n, uint8_t *r, uint8_t *f, uint8_t *m, uint8_t *segment,
			 struct kh_rfm_stat *stats)
{
	uint8_t *keep = malloc(n ? n : 1);
	if (!keep)
		return KH_ENOMEM;
	for (size_t i = 0; i < n; i++)
		keep[i] = frequency[i] > 0;
	enum kh_err err = kh_quintile_scores(recency, keep, n, 0, r);
	if (!err)
		err = kh_quintile_scores(frequency, keep, n, 1, f);
	if (!err)
		err = kh_quintile_scores(monetary, keep, n, 1, m);
	free(keep);
	if (err)
		return err;
	if (stats)
		for (int s = 0; s < KH_RFM_NSEG; s++)
			stats[s] = (struct kh_rfm_stat){0, 0};
	for (size_t i = 0; i < n; i++) {
		segment[i] = (uint8_t)kh_rfm_segment_of(r[i], f[i], m[i]);
		if (stats) {
			stats[segment[i]].customers++;
			stats[segment[i]].revenue += monetary[i];
		}
	}
	return KH_OK;
}
