/* Lifecycle stages and flows; see lifecycle.h. */
#include "analytics/lifecycle.h"

#include <stdlib.h>
#include <string.h>

static const char *const stage_names[KH_STAGE_COUNT] = {
	"prospect", "new", "active", "at_risk", "churned", "won_back",
};

const char *kh_stage_name(int stage)
{
	return stage >= 0 && stage < KH_STAGE_COUNT ? stage_names[stage] : "";
}

/* What the stage needs to know about the history up to a date. */
struct history {
	int32_t first, last, back; /* back: the last return after a silence; INT32_MIN if none */
	int any;
};

static void history_add(struct history *h, int32_t day, const struct kh_lifecycle_opts *o)
{
	if (!h->any) {
		h->first = h->last = day;
		h->back = INT32_MIN;
		h->any = 1;
		return;
	}
	if (day == h->last)
		return;
	if ((int64_t)day - h->last > o->churn_days)
		h->back = day;
	h->last = day;
}

static enum kh_stage stage_of(const struct history *h, int32_t as_of,
			      const struct kh_lifecycle_opts *o)
{
	if (!h->any)
		return KH_STAGE_PROSPECT;
	int64_t gap = (int64_t)as_of - h->last;
	if (gap > o->churn_days)
		return KH_STAGE_CHURNED;
	if (gap > o->active_days)
		return KH_STAGE_AT_RISK;
	if ((int64_t)as_of - h->first < o->new_days)
		return KH_STAGE_NEW;
	if (h->back != INT32_MIN && (int64_t)as_of - h->back < o->new_days)
		return KH_STAGE_WON_BACK;
	return KH_STAGE_ACTIVE;
}

enum kh_stage kh_lifecycle_stage(const int32_t *days, size_t m, int32_t as_of,
				 const struct kh_lifecycle_opts *o)
{
	struct history h = {0};
	for (size_t k = 0; k < m && days[k] <= as_of; k++)
		history_add(&h, days[k], o);
	return stage_of(&h, as_of, o);
}

enum kh_err kh_lifecycle(const struct kh_txns *t, size_t n_customers, const int32_t *as_of,
			 size_t n_dates, const struct kh_lifecycle_opts *o, uint8_t *stage,
			 size_t *counts, size_t *flows)
{
	if (o->new_days < 0 || o->active_days < 0 || o->churn_days < o->active_days)
		return KH_EINVAL;
	for (size_t d = 1; d < n_dates; d++)
		if (as_of[d] <= as_of[d - 1])
			return KH_EINVAL;
	size_t *start;
	uint32_t *idx;
	enum kh_err err = kh_txns_group(t, n_customers, &start, &idx);
	if (err)
		return err;
	const size_t S = KH_STAGE_COUNT;
	if (counts)
		memset(counts, 0, n_dates * S * sizeof(size_t));
	if (flows && n_dates > 1)
		memset(flows, 0, (n_dates - 1) * S * S * sizeof(size_t));
	for (size_t c = 0; c < n_customers; c++) {
		struct history h = {0};
		size_t k = start[c], end = start[c + 1];
		int prev = -1;
		for (size_t d = 0; d < n_dates; d++) {
			/* Advance through the purchases up to this date. */
			for (; k < end && t->day[idx[k]] <= as_of[d]; k++)
				history_add(&h, t->day[idx[k]], o);
			int s = stage_of(&h, as_of[d], o);
			if (stage)
				stage[c * n_dates + d] = (uint8_t)s;
			if (counts)
				counts[d * S + s]++;
			if (flows && d > 0)
				flows[((d - 1) * S + prev) * S + s]++;
			prev = s;
		}
	}
	free(start);
	free(idx);
	return KH_OK;
}

/* Civil date <-> days since 1970-01-01 (Howard Hinnant's algorithms). */
static void civil(int32_t z, int *y, int *m)
{
	z += 719468;
	int32_t era = (z >= 0 ? z : z - 146096) / 146097;
	int32_t doe = z - era * 146097;
	int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int32_t mp = (5 * doy + 2) / 153;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int32_t days_of(int y, int m, int d)
{
	y -= m <= 2;
	int32_t era = (y >= 0 ? y : y - 399) / 400;
	int32_t yoe = y - era * 400;
	int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

size_t kh_month_ends(int32_t from, int32_t to, int32_t *out, size_t max)
{
	int y, m, ty, tm;
	size_t n = 0;
	civil(from, &y, &m);
	civil(to, &ty, &tm);
	while (y < ty || (y == ty && m <= tm)) {
		int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
		if (n < max)
			out[n] = days_of(ny, nm, 1) - 1;
		n++;
		y = ny;
		m = nm;
	}
	return n;
}
