/* Per-customer purchase summaries; see summary.h. */
#include "analytics/summary.h"

#include <stdlib.h>
#include <string.h>

#include "analytics/par.h"

void kh_summary_release(struct kh_summary *s)
{
	free(s->purchases);
	free(s->frequency);
	free(s->orders);
	free(s->recency);
	free(s->T);
	free(s->total);
	free(s->avg_value);
	free(s->monetary);
	free(s->first_day);
	free(s->last_day);
	free(s->holdout_purchases);
	free(s->holdout_value);
	memset(s, 0, sizeof(*s));
}

/* The order of lines within a customer: by day, then by order id. */
struct line_key {
	int32_t day;
	int64_t order;
	uint32_t idx;
};

static int key_cmp(const void *pa, const void *pb)
{
	const struct line_key *a = pa, *b = pb;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int line_before(const struct kh_txns *t, uint32_t i, uint32_t j)
{
	if (t->day[i] != t->day[j])
		return t->day[i] < t->day[j];
	return t->order && t->order[i] < t->order[j];
}

/* Sorts one customer's line indices by (day, order): insertion sort for the
 * usual handful of lines, qsort on copied keys for the rare long history. */
static enum kh_err sort_group(const struct kh_txns *t, uint32_t *idx, size_t m)
{
	if (m <= 32) {
		for (size_t i = 1; i < m; i++) {
			uint32_t v = idx[i];
			size_t j = i;
			for (; j > 0 && line_before(t, v, idx[j - 1]); j--)
				idx[j] = idx[j - 1];
			idx[j] = v;
		}
		return KH_OK;
	}
	struct line_key *k = malloc(m * sizeof(*k));
	if (!k)
		return KH_ENOMEM;
	for (size_t i = 0; i < m; i++) {
		k[i].day = t->day[idx[i]];
		k[i].order = t->order ? t->order[idx[i]] : 0;
		k[i].idx = idx[i];
	}
	qsort(k, m, sizeof(*k), key_cmp);
	for (size_t i = 0; i < m; i++)
		idx[i] = k[i].idx;
	free(k);
	return KH_OK;
}

/* Summarises one customer from its lines idx[0..m-1], sorted by (day, order). */
static void summarise(struct kh_summary *s, const struct kh_txns *t, size_t c,
		      const uint32_t *idx, size_t m)
{
	uint32_t purchases = 0, orders = 0, hold = 0;
	double total = 0, first_value = 0, hvalue = 0;
	int32_t first = INT32_MIN, last = INT32_MIN;
	for (size_t k = 0; k < m; k++) {
		uint32_t i = idx ? idx[k] : (uint32_t)k;
		int32_t d = t->day[i];
		double a = t->amount ? t->amount[i] : 0;
		int new_day = k == 0 || d != t->day[idx ? idx[k - 1] : k - 1];
		int new_order = new_day || (t->order && t->order[i] != t->order[idx ? idx[k - 1] : k - 1]);
		if (d <= s->calibration_end) {
			if (new_day) {
				purchases++;
				if (first == INT32_MIN)
					first = d;
				last = d;
			}
			orders += new_order;
			total += a;
			if (d == first)
				first_value += a;
		} else if (d <= s->holdout_end) {
			hold += new_day;
			hvalue += a;
		}
	}
	s->purchases[c] = purchases;
	s->orders[c] = orders;
	s->frequency[c] = purchases ? purchases - 1 : 0;
	s->first_day[c] = first;
	s->last_day[c] = last;
	s->total[c] = total;
	s->holdout_purchases[c] = hold;
	s->holdout_value[c] = hvalue;
	if (purchases) {
		s->recency[c] = (last - first) / s->unit;
		s->T[c] = (s->calibration_end - first) / s->unit;
		s->avg_value[c] = total / purchases;
		s->monetary[c] = purchases > 1 ? (total - first_value) / (purchases - 1) : 0;
	} else {
		s->recency[c] = -1;
		s->T[c] = -1;
		s->avg_value[c] = 0;
		s->monetary[c] = 0;
	}
}

/* Counts lines per customer into start[1..nc] and returns whether the lines
 * are sorted by (customer, day, order) already; -1 for a bad customer index. */
static int count_lines(const struct kh_txns *t, size_t nc, size_t *start)
{
	int sorted = 1;
	for (size_t i = 0; i < t->n; i++) {
		if (t->customer[i] >= nc)
			return -1;
		start[t->customer[i] + 1]++;
		if (i && (t->customer[i] < t->customer[i - 1] ||
			  (t->customer[i] == t->customer[i - 1] && line_before(t, (uint32_t)i, (uint32_t)i - 1))))
			sorted = 0;
	}
	for (size_t c = 0; c < nc; c++)
		start[c + 1] += start[c];
	return sorted;
}

struct group_ctx {
	const struct kh_txns *t;
	const size_t *start;
	uint32_t *idx;       /* NULL when the lines are sorted already */
	struct kh_summary *s; /* NULL when only grouping */
};

/* Sorts (if needed) and summarises customers [lo, hi); acc[0] counts the
 * customers whose sort ran out of memory. */
static void group_rows(void *p, size_t lo, size_t hi, double *acc)
{
	const struct group_ctx *g = p;
	for (size_t c = lo; c < hi; c++) {
		size_t first = g->start[c], m = g->start[c + 1] - first;
		if (g->idx && sort_group(g->t, g->idx + first, m) != KH_OK) {
			acc[0] += 1;
			continue;
		}
		if (!g->s)
			continue;
		if (g->idx || m == 0) {
			summarise(g->s, g->t, c, g->idx ? g->idx + first : NULL, m);
		} else {
			/* Sorted input: the customer's lines are the range
			 * [first, first + m), read through a shifted view. */
			const struct kh_txns *t = g->t;
			struct kh_txns v = {m, t->customer + first, t->day + first,
					    t->amount ? t->amount + first : NULL,
					    t->order ? t->order + first : NULL};
			summarise(g->s, &v, c, NULL, m);
		}
	}
}

/* Counting sort of the line indices by customer into idx (NULL: the lines
 * are sorted already), then, on two threads, each customer's lines by (day,
 * order) and its summary if s is not NULL. */
static enum kh_err group_lines(const struct kh_txns *t, size_t nc, const size_t *start,
			       uint32_t *idx, struct kh_summary *s)
{
	if (idx) {
		size_t *next = malloc((nc ? nc : 1) * sizeof(size_t));
		if (!next)
			return KH_ENOMEM;
		memcpy(next, start, nc * sizeof(size_t));
		for (size_t i = 0; i < t->n; i++)
			idx[next[t->customer[i]]++] = (uint32_t)i;
		free(next);
	}
	struct group_ctx g = {t, start, idx, s};
	double failed;
	kh_par_sum(group_rows, &g, nc, &failed, 1);
	return failed > 0 ? KH_ENOMEM : KH_OK;
}

enum kh_err kh_txns_group(const struct kh_txns *t, size_t n_customers, size_t **start,
			  uint32_t **idx)
{
	enum kh_err err = KH_OK;
	*start = NULL;
	*idx = NULL;
	if (t->n > UINT32_MAX || (t->n && (!t->customer || !t->day)))
		return KH_EINVAL;
	size_t *st = calloc(n_customers + 1, sizeof(size_t));
	uint32_t *ix = malloc((t->n ? t->n : 1) * sizeof(uint32_t));
	if (!st || !ix) {
		err = KH_ENOMEM;
		goto out;
	}
	int sorted = count_lines(t, n_customers, st);
	if (sorted < 0) {
		err = KH_EINVAL;
		goto out;
	}
	if (sorted) {
		for (size_t i = 0; i < t->n; i++)
			ix[i] = (uint32_t)i;
	} else {
		err = group_lines(t, n_customers, st, ix, NULL);
	}
out:
	if (err) {
		free(st);
		free(ix);
		return err;
	}
	*start = st;
	*idx = ix;
	return KH_OK;
}

enum kh_err kh_summary_build(struct kh_summary *s, const struct kh_txns *t, size_t n_customers,
			     int32_t calibration_end, int32_t holdout_end, double unit)
{
	enum kh_err err = KH_OK;
	size_t *start = NULL;
	uint32_t *idx = NULL;
	size_t nc = n_customers, n = t->n;

	memset(s, 0, sizeof(*s));
	if (!(unit > 0) || n > UINT32_MAX || (n && (!t->customer || !t->day)))
		return KH_EINVAL;
	s->n = nc;
	s->unit = unit;
	s->calibration_end = calibration_end;
	s->holdout_end = holdout_end > calibration_end ? holdout_end : calibration_end;
	/* calloc(0) may return NULL; allocate at least one entry. */
	size_t na = nc ? nc : 1;
	s->purchases = calloc(na, sizeof(uint32_t));
	s->frequency = calloc(na, sizeof(uint32_t));
	s->orders = calloc(na, sizeof(uint32_t));
	s->recency = calloc(na, sizeof(double));
	s->T = calloc(na, sizeof(double));
	s->total = calloc(na, sizeof(double));
	s->avg_value = calloc(na, sizeof(double));
	s->monetary = calloc(na, sizeof(double));
	s->first_day = calloc(na, sizeof(int32_t));
	s->last_day = calloc(na, sizeof(int32_t));
	s->holdout_purchases = calloc(na, sizeof(uint32_t));
	s->holdout_value = calloc(na, sizeof(double));
	start = calloc(nc + 1, sizeof(size_t));
	if (!s->purchases || !s->frequency || !s->orders || !s->recency || !s->T || !s->total ||
	    !s->avg_value || !s->monetary || !s->first_day || !s->last_day ||
	    !s->holdout_purchases || !s->holdout_value || !start) {
		err = KH_ENOMEM;
		goto out;
	}

	/* Sorted input is read in place; otherwise the lines are grouped. */
	int sorted = count_lines(t, nc, start);
	if (sorted < 0) {
		err = KH_EINVAL;
		goto out;
	}
	if (!sorted) {
		idx = malloc((n ? n : 1) * sizeof(uint32_t));
		if (!idx) {
			err = KH_ENOMEM;
			goto out;
		}
	}
	err = group_lines(t, nc, start, idx, s);
out:
	free(idx);
	free(start);
	if (err)
		kh_summary_release(s);
	return err;
}
