/* Tests of the lifecycle stages and month-by-month flows
 * (src/analytics/lifecycle.h) on hand-checked histories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analytics/lifecycle.h"
#include "analytics_testutil.h"

static const struct kh_lifecycle_opts opts = KH_LIFECYCLE_DEFAULTS; /* 90, 90, 180 */

static void stages_of_one_history(void **state)
{
	(void)state;
	/* Purchases on days 100, 150, 160, then silence, a return on 500. */
	const int32_t d[] = {100, 150, 150, 160, 500};
	assert_int_equal(kh_lifecycle_stage(d, 5, 99, &opts), KH_STAGE_PROSPECT);
	assert_int_equal(kh_lifecycle_stage(d, 5, 100, &opts), KH_STAGE_NEW);
	assert_int_equal(kh_lifecycle_stage(d, 5, 189, &opts), KH_STAGE_NEW);    /* 89 days */
	assert_int_equal(kh_lifecycle_stage(d, 5, 190, &opts), KH_STAGE_ACTIVE); /* 90 days */
	assert_int_equal(kh_lifecycle_stage(d, 5, 250, &opts), KH_STAGE_ACTIVE); /* gap 90 */
	assert_int_equal(kh_lifecycle_stage(d, 5, 251, &opts), KH_STAGE_AT_RISK);
	assert_int_equal(kh_lifecycle_stage(d, 5, 340, &opts), KH_STAGE_AT_RISK); /* gap 180 */
	assert_int_equal(kh_lifecycle_stage(d, 5, 341, &opts), KH_STAGE_CHURNED);
	assert_int_equal(kh_lifecycle_stage(d, 5, 499, &opts), KH_STAGE_CHURNED);
	assert_int_equal(kh_lifecycle_stage(d, 5, 500, &opts), KH_STAGE_WON_BACK); /* 340-day silence */
	assert_int_equal(kh_lifecycle_stage(d, 5, 589, &opts), KH_STAGE_WON_BACK);
	assert_int_equal(kh_lifecycle_stage(d, 5, 590, &opts), KH_STAGE_ACTIVE); /* back 90 days ago */
	assert_int_equal(kh_lifecycle_stage(d, 5, 591, &opts), KH_STAGE_AT_RISK);
	assert_string_equal(kh_stage_name(KH_STAGE_WON_BACK), "won_back");
	/* A silence of exactly churn_days is not a churn. */
	const int32_t e[] = {0, 100, 280};
	assert_int_equal(kh_lifecycle_stage(e, 3, 300, &opts), KH_STAGE_ACTIVE);
}

static void flows_month_by_month(void **state)
{
	(void)state;
	int32_t ends[16];
	int32_t jan1 = at_days(2024, 1, 1);
	size_t n = kh_month_ends(jan1, at_days(2024, 12, 15), ends, 16);
	assert_int_equal(n, 12);
	assert_int_equal(ends[0], at_days(2024, 1, 31));
	assert_int_equal(ends[1], at_days(2024, 2, 29)); /* a leap year */
	assert_int_equal(ends[11], at_days(2024, 12, 31));
	/* Customer 0 buys in January and then never; customer 1 buys every
	 * month; customer 2 first buys in March; customer 3 never buys. */
	uint32_t cust[32];
	int32_t day[32];
	size_t k = 0;
	cust[k] = 0;
	day[k++] = at_days(2024, 1, 10);
	for (int m = 1; m <= 12; m++) {
		cust[k] = 1;
		day[k++] = at_days(2024, m, 5);
	}
	cust[k] = 2;
	day[k++] = at_days(2024, 3, 20);
	struct kh_txns t = {k, cust, day, NULL, NULL};
	uint8_t st[4 * 12];
	size_t counts[12 * KH_STAGE_COUNT], flows[11 * KH_STAGE_COUNT * KH_STAGE_COUNT];
	assert_int_equal(kh_lifecycle(&t, 4, ends, 12, &opts, st, counts, flows), KH_OK);
	/* Customer 0: new for Jan-Mar (Mar 31 is 81 days after Jan 10), at
	 * risk from Apr 30 (111 days) to Jun 30 (172), churned from Jul 31 (203).
	 * Customer 2 (Mar 20): new to May 31 (72 days), at risk from Jun 30 (102)
	 * to Aug 31 (164), churned from Sep 30 (194). */
	const uint8_t c0[12] = {1, 1, 1, 3, 3, 3, 4, 4, 4, 4, 4, 4};
	const uint8_t c2[12] = {0, 0, 1, 1, 1, 3, 3, 3, 4, 4, 4, 4};
	for (int d = 0; d < 12; d++) {
		assert_int_equal(st[0 * 12 + d], c0[d]);
		assert_int_equal(st[1 * 12 + d], d < 3 ? KH_STAGE_NEW : KH_STAGE_ACTIVE);
		assert_int_equal(st[2 * 12 + d], c2[d]);
		assert_int_equal(st[3 * 12 + d], KH_STAGE_PROSPECT);
	}
	/* The flows add up to the counts on both sides. */
	const size_t S = KH_STAGE_COUNT;
	for (size_t d = 1; d < 12; d++)
		for (size_t s = 0; s < S; s++) {
			size_t out = 0, in = 0;
			for (size_t u = 0; u < S; u++) {
				out += flows[((d - 1) * S + s) * S + u];
				in += flows[((d - 1) * S + u) * S + s];
			}
			assert_int_equal(out, counts[(d - 1) * S + s]);
			assert_int_equal(in, counts[d * S + s]);
		}
	/* March -> April: customer 0 new -> at risk, 2 stays new. */
	assert_int_equal(flows[(2 * S + KH_STAGE_NEW) * S + KH_STAGE_AT_RISK], 1);
	assert_int_equal(flows[(2 * S + KH_STAGE_NEW) * S + KH_STAGE_ACTIVE], 1);
	assert_int_equal(flows[(2 * S + KH_STAGE_NEW) * S + KH_STAGE_NEW], 1);
	int32_t bad[2] = {5, 5};
	assert_int_equal(kh_lifecycle(&t, 4, bad, 2, &opts, NULL, NULL, NULL), KH_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stages_of_one_history),
		cmocka_unit_test(flows_month_by_month),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
