/* Tests of RFM scoring and segments (src/analytics/rfm.h) and of the ABC /
 * Pareto classification (src/analytics/abc.h) on hand-checked examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analytics/abc.h"
#include "analytics/rfm.h"
#include "analytics/sort.h"
#include "analytics_testutil.h"

static void quintiles_distinct_and_tied(void **state)
{
	(void)state;
	uint8_t keep[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, sc[10];
	double v[10] = {100, 10, 90, 20, 80, 30, 70, 40, 60, 50};
	const uint8_t want[10] = {5, 1, 5, 1, 4, 2, 4, 2, 3, 3};
	assert_int_equal(kh_quintile_scores(v, keep, 10, 1, sc), KH_OK);
	assert_memory_equal(sc, want, 10);
	/* Lower is better (recency): the order reverses. */
	assert_int_equal(kh_quintile_scores(v, keep, 10, 0, sc), KH_OK);
	for (int i = 0; i < 10; i++)
		assert_int_equal(sc[i], 6 - want[i]);
	/* Six tied at 1: all score 1 (none is worse), then 2 -> 1 + 5*6/10 = 4,
	 * 3 -> 1 + 5*7/10 = 4, 4 -> 5, 5 -> 5. The excluded row scores 0 and
	 * does not count. */
	double t[11] = {1, 5, 1, 1, 4, 1, 3, 1, 2, 1, 99};
	uint8_t k2[11] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, s2[11];
	const uint8_t w2[11] = {1, 5, 1, 1, 5, 1, 4, 1, 4, 1, 0};
	assert_int_equal(kh_quintile_scores(t, k2, 11, 1, s2), KH_OK);
	assert_memory_equal(s2, w2, 11);
}

static void quintiles_large_balanced(void **state)
{
	(void)state;
	enum { N = 100000 };
	static double v[N];
	static uint8_t keep[N], sc[N];
	struct at_rng g;
	at_rng_seed(&g, 3);
	for (size_t i = 0; i < N; i++) {
		v[i] = at_normal(&g) * 1e3; /* negative and positive values */
		keep[i] = 1;
	}
	assert_int_equal(kh_quintile_scores(v, keep, N, 1, sc), KH_OK);
	size_t cnt[6] = {0};
	for (size_t i = 0; i < N; i++)
		cnt[sc[i]]++;
	for (int s = 1; s <= 5; s++)
		assert_int_equal(cnt[s], N / 5);
	/* Monotone: a larger value never has a smaller score. */
	static uint32_t idx[N];
	assert_int_equal(kh_sort_index(v, N, 0, idx), KH_OK);
	for (size_t k = 1; k < N; k++) {
		assert_true(v[idx[k - 1]] <= v[idx[k]]);
		assert_true(sc[idx[k - 1]] <= sc[idx[k]]);
	}
}

static void segment_grid(void **state)
{
	(void)state;
	assert_int_equal(kh_rfm_segment_of(5, 5, 5), KH_RFM_CHAMPIONS);
	assert_int_equal(kh_rfm_segment_of(5, 4, 3), KH_RFM_CHAMPIONS); /* FM = 4 */
	assert_int_equal(kh_rfm_segment_of(3, 4, 5), KH_RFM_LOYAL);
	assert_int_equal(kh_rfm_segment_of(4, 3, 2), KH_RFM_POTENTIAL_LOYALISTS);
	assert_int_equal(kh_rfm_segment_of(5, 1, 1), KH_RFM_NEW);
	assert_int_equal(kh_rfm_segment_of(4, 1, 1), KH_RFM_PROMISING);
	assert_int_equal(kh_rfm_segment_of(3, 3, 3), KH_RFM_NEED_ATTENTION);
	assert_int_equal(kh_rfm_segment_of(3, 1, 2), KH_RFM_ABOUT_TO_SLEEP);
	assert_int_equal(kh_rfm_segment_of(2, 3, 4), KH_RFM_AT_RISK);
	assert_int_equal(kh_rfm_segment_of(1, 5, 5), KH_RFM_CANT_LOSE);
	assert_int_equal(kh_rfm_segment_of(2, 1, 2), KH_RFM_HIBERNATING);
	assert_int_equal(kh_rfm_segment_of(1, 1, 1), KH_RFM_LOST);
	assert_int_equal(kh_rfm_segment_of(0, 1, 1), KH_RFM_NONE);
	assert_string_equal(kh_rfm_segment_name(KH_RFM_CANT_LOSE), "Can't Lose");
	assert_string_equal(kh_rfm_segment_name(99), "None");
	/* Every cell of the grid is one of the 11 segments, and all 11 occur. */
	int seen[KH_RFM_NSEG] = {0};
	for (int r = 1; r <= 5; r++)
		for (int f = 1; f <= 5; f++)
			for (int m = 1; m <= 5; m++)
				seen[kh_rfm_segment_of(r, f, m)] = 1;
	assert_int_equal(seen[KH_RFM_NONE], 0);
	for (int s = 1; s < KH_RFM_NSEG; s++)
		assert_true(seen[s]);
}

/* Five customers with distinct values get one score each; the segment
 * table adds up to all customers and all revenue; input order does not
 * matter. */
static void rfm_small_example(void **state)
{
	(void)state;
	double rec[6] = {3, 200, 40, 10, 90, 0}, fr[6] = {12, 1, 3, 6, 2, 0};
	double mon[6] = {900, 15, 120, 400, 60, 0};
	uint8_t r[6], f[6], m[6], seg[6];
	struct kh_rfm_stat st[KH_RFM_NSEG];
	assert_int_equal(kh_rfm_score(rec, fr, mon, 6, r, f, m, seg, st), KH_OK);
	const uint8_t wr[6] = {5, 1, 3, 4, 2, 0}, wf[6] = {5, 1, 3, 4, 2, 0};
	assert_memory_equal(r, wr, 6);
	assert_memory_equal(f, wf, 6);
	assert_memory_equal(m, wf, 6);
	assert_int_equal(seg[0], KH_RFM_CHAMPIONS);
	assert_int_equal(seg[1], KH_RFM_LOST);
	assert_int_equal(seg[2], KH_RFM_NEED_ATTENTION);
	assert_int_equal(seg[3], KH_RFM_LOYAL);
	assert_int_equal(seg[4], KH_RFM_HIBERNATING);
	assert_int_equal(seg[5], KH_RFM_NONE);
	size_t cust = 0;
	double rev = 0;
	for (int s = 0; s < KH_RFM_NSEG; s++) {
		cust += st[s].customers;
		rev += st[s].revenue;
	}
	assert_int_equal(cust, 6);
	assert_near(rev, 1495, 1e-9);
	assert_int_equal(st[KH_RFM_CHAMPIONS].customers, 1);
	assert_near(st[KH_RFM_CHAMPIONS].revenue, 900, 0);
	/* Reversed input, same scores per customer. */
	double rec2[6], fr2[6], mon2[6];
	uint8_t r2[6], f2[6], m2[6], seg2[6];
	for (int i = 0; i < 6; i++) {
		rec2[i] = rec[5 - i];
		fr2[i] = fr[5 - i];
		mon2[i] = mon[5 - i];
	}
	assert_int_equal(kh_rfm_score(rec2, fr2, mon2, 6, r2, f2, m2, seg2, NULL), KH_OK);
	for (int i = 0; i < 6; i++)
		assert_int_equal(seg2[i], seg[5 - i]);
	double bad[1] = {NAN}, one[1] = {1};
	assert_int_equal(kh_rfm_score(bad, one, one, 1, r, f, m, seg, NULL), KH_EINVAL);
}

static void abc_small_example(void **state)
{
	(void)state;
	double v[6] = {3, 50, 10, 2, 30, 5};
	uint8_t c[6];
	struct kh_abc s;
	double curve[7];
	assert_int_equal(kh_abc_classify(v, 6, 0.8, 0.95, c, &s, curve, 7), KH_OK);
	/* Ranked 50, 30 | 10, 5 | 3, 2: the value before 10 is 80, not below 80%. */
	const uint8_t want[6] = {KH_ABC_C, KH_ABC_A, KH_ABC_B, KH_ABC_C, KH_ABC_A, KH_ABC_B};
	assert_memory_equal(c, want, 6);
	assert_int_equal(s.count[KH_ABC_A], 2);
	assert_near(s.value[KH_ABC_A], 80, 0);
	assert_near(s.total, 100, 0);
	assert_near(s.top20_share, 0.5, 1e-12);          /* top 1 of 6 */
	assert_near(s.customers_for_80, 2.0 / 6, 1e-12);
	const double wc[7] = {0, .5, .8, .9, .95, .98, 1};
	for (int k = 0; k < 7; k++)
		assert_near(curve[k], wc[k], 1e-12);
	/* Between customers the curve is linear: at 1/4 of 6 customers = 1.5,
	 * 50 + 0.5 * 30 = 65%. */
	double c5[5];
	assert_int_equal(kh_abc_classify(v, 6, 0.8, 0.95, c, &s, c5, 5), KH_OK);
	assert_near(c5[1], 0.65, 1e-12);
	/* Profit can be negative: such customers are C and do not count. */
	double p[3] = {-5, 10, 0};
	assert_int_equal(kh_abc_classify(p, 3, 0.8, 0.95, c, &s, NULL, 0), KH_OK);
	assert_int_equal(c[0], KH_ABC_C);
	assert_int_equal(c[1], KH_ABC_A);
	assert_int_equal(c[2], KH_ABC_C);
	assert_near(s.total, 10, 0);
	assert_int_equal(kh_abc_classify(p, 3, 0.9, 0.8, c, &s, NULL, 0), KH_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quintiles_distinct_and_tied),
		cmocka_unit_test(quintiles_large_balanced),
		cmocka_unit_test(segment_grid),
		cmocka_unit_test(rfm_small_example),
		cmocka_unit_test(abc_small_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
