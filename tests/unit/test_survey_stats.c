/* Survey statistics (src/analytics/survey_stats.h) against values worked out
 * by hand in the comments, and the standardized alpha against the PLS kernel
 * on the ECSI data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/survey_stats.h"

static void test_cronbach_alpha(void **state)
{
	/* Item variances 2.5, 1.8 and 0.7; the totals 6, 8, 10, 13, 15 have
	 * variance 13.3; alpha = 3/2 * (1 - 5/13.3) = 249/266. */
	static const double x[] = {
		1, 2, 3,
		2, 3, 3,
		3, 3, 4,
		4, 5, 4,
		5, 5, 5,
	};
	/* Two items that are the same up to scale and shift: alpha is 1 in the
	 * standardized form, and 2 * cov / (var1 + var2 + 2 cov) = 2 * 2 / (1 + 4
	 * + 4) * 2 = 8/9 in the raw form (item 2 = 2 * item 1 + 1). */
	static const double y[] = {1, 3, 2, 5, 3, 7, 4, 9};
	double a;

	(void)state;
	assert_int_equal(kh_cronbach_alpha(x, 5, 3, &a), KH_OK);
	assert_true(fabs(a - 249.0 / 266.0) < 1e-12);
	assert_int_equal(kh_cronbach_alpha(y, 4, 2, &a), KH_OK);
	assert_true(fabs(a - 8.0 / 9.0) < 1e-12);
	assert_int_equal(kh_cronbach_alpha_std(y, 4, 2, &a), KH_OK);
	assert_true(fabs(a - 1) < 1e-12);

	assert_int_equal(kh_cronbach_alpha(x, 5, 1, &a), KH_EINVAL);
	assert_int_equal(kh_cronbach_alpha(x, 1, 3, &a), KH_EINVAL);
	{
		double c[] = {1, 1, 1, 1, 1, 1};
		double nan[] = {1, 2, NAN, 4};

		assert_int_equal(kh_cronbach_alpha(c, 3, 2, &a), KH_EINVAL);
		assert_int_equal(kh_cronbach_alpha_std(c, 3, 2, &a), KH_EINVAL);
		assert_int_equal(kh_cronbach_alpha(nan, 2, 2, &a), KH_EINVAL);
	}
}

/* The standardized alpha of the Image block of the ECSI data is what PLS
 * reports for it: 0.7228345954 (tests/unit/pls_reference.py); the raw alpha
 * is from numpy on the same columns. */
static void test_alpha_on_mobi(void **state)
{
	const char *dir = getenv("KEHU_SHARED_DATA");
	char path[4096], line[1024];
	double *x = NULL, a;
	size_t n = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/ecsi_mobi.csv", dir ? dir : "");
	f = dir ? fopen(path, "r") : NULL;
	if (!f) {
		printf("skipped: no reference data\n");
		skip();
		return;
	}
	/* Columns 11-15 of the file are IMAG1-5. */
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "\"IMAG1\",\"IMAG2\",\"IMAG3\",\"IMAG4\",\"IMAG5\""));
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		x = realloc(x, (n + 1) * 5 * sizeof(double));
		assert_non_null(x);
		for (int c = 0; c < 15; c++) {
			double v = strtod(p, &end);

			assert_true(end != p);
			if (c >= 10)
				x[n * 5 + c - 10] = v;
			p = end + 1;
		}
		n++;
	}
	fclose(f);
	assert_int_equal(n, 250);
	assert_int_equal(kh_cronbach_alpha_std(x, n, 5, &a), KH_OK);
	assert_true(fabs(a - 0.7228345954) < 1e-9);
	/* The raw alpha differs a little, as the items' variances differ; the
	 * value is numpy's: k/(k-1) * (1 - trace(cov) / sum(cov)). */
	assert_int_equal(kh_cronbach_alpha(x, n, 5, &a), KH_OK);
	assert_true(fabs(a - 0.7144468020) < 1e-9);
	free(x);
}

static void test_nps(void **state)
{
	/* Promoters 10, 9, 9, 10, 9; passives 8, 7; detractors 6, 0, 3:
	 * 50% - 30% = 20; se = 100 * sqrt((0.5 + 0.3 - 0.2^2) / 10). */
	static const int a[] = {10, 9, 9, 8, 7, 6, 0, 10, 3, 9};
	static const int bad[] = {5, 11};
	struct kh_nps o;

	(void)state;
	assert_int_equal(kh_nps(a, 10, &o), KH_OK);
	assert_int_equal(o.n, 10);
	assert_int_equal(o.promoters, 5);
	assert_int_equal(o.passives, 2);
	assert_int_equal(o.detractors, 3);
	assert_true(fabs(o.score - 20) < 1e-12);
	assert_true(fabs(o.se - 100 * sqrt(0.076)) < 1e-12);
	assert_int_equal(kh_nps(bad, 2, &o), KH_EINVAL);
	assert_int_equal(kh_nps(NULL, 0, &o), KH_OK);
	assert_true(isnan(o.score));
	{
		/* All promoters: 100, and no spread. */
		int p[] = {9, 10, 10};

		assert_int_equal(kh_nps(p, 3, &o), KH_OK);
		assert_true(o.score == 100 && o.se == 0);
	}
}

static void test_nps_by_period(void **state)
{
	static const int a[] = {10, 0, 9, 8, 3, 10};
	static const size_t period[] = {0, 0, 2, 2, 2, 0};
	static const size_t bad_period[] = {0, 0, 3, 2, 2, 0};
	struct kh_nps o[3];

	(void)state;
	assert_int_equal(kh_nps_by_period(a, period, 6, 3, o), KH_OK);
	/* Period 0: 10, 0, 10 -> (2 - 1) / 3; period 1 empty; period 2: 9, 8, 3 -> 0. */
	assert_int_equal(o[0].n, 3);
	assert_true(fabs(o[0].score - 100.0 / 3) < 1e-12);
	assert_int_equal(o[1].n, 0);
	assert_true(isnan(o[1].score));
	assert_true(fabs(o[2].score) < 1e-12);
	assert_int_equal(kh_nps_by_period(a, bad_period, 6, 3, o), KH_EINVAL);
}

static void test_csat(void **state)
{
	/* On 1-5: counts 1, 1, 1, 3, 2; mean 3.5; the squared deviations sum to
	 * 14, so sd = sqrt(2); sorted 1 2 3 4 4 4 5 5, median 4; 5 of 8 answers
	 * are 4 or 5: CSAT 62.5%. */
	static const int a[] = {5, 4, 4, 3, 5, 2, 1, 4};
	struct kh_dist d;

	(void)state;
	assert_int_equal(kh_csat(a, 8, 1, 5, 4, &d), KH_OK);
	assert_int_equal(d.n, 8);
	assert_int_equal(d.count[0], 1);
	assert_int_equal(d.count[3], 3);
	assert_int_equal(d.count[4], 2);
	assert_true(fabs(d.mean - 3.5) < 1e-12);
	assert_true(fabs(d.sd - sqrt(2)) < 1e-12);
	assert_true(d.median == 4);
	assert_true(fabs(d.csat - 62.5) < 1e-12);
	/* Odd count: the middle answer. */
	assert_int_equal(kh_csat(a, 7, 1, 5, 4, &d), KH_OK);
	assert_true(d.median == 4);
	assert_int_equal(kh_csat(a + 4, 3, 1, 5, 4, &d), KH_OK); /* 5, 2, 1 */
	assert_true(d.median == 2);
	/* The 0-10 scale fits; 0-11 does not; answers and cut off the scale. */
	assert_int_equal(kh_csat(a, 8, 0, 10, 9, &d), KH_OK);
	assert_int_equal(kh_csat(a, 8, 0, 11, 9, &d), KH_EINVAL);
	assert_int_equal(kh_csat(a, 8, 1, 4, 4, &d), KH_EINVAL);
	assert_int_equal(kh_csat(a, 8, 1, 5, 6, &d), KH_EINVAL);
	assert_int_equal(kh_csat(NULL, 0, 1, 5, 4, &d), KH_OK);
	assert_true(isnan(d.mean) && isnan(d.csat));
}

static void test_loyalty_segments(void **state)
{
	/* Attitude on 0-10 (cut 7), repurchases per year (cut 2). */
	static const double att[] = {9, 9, 3, 3, 7, 6.9};
	static const double pat[] = {4, 1, 5, 0, 2, 2};
	static const enum kh_loyalty want[] = {KH_LOYALTY_TRUE, KH_LOYALTY_LATENT,
					       KH_LOYALTY_SPURIOUS, KH_LOYALTY_NONE,
					       KH_LOYALTY_TRUE, KH_LOYALTY_SPURIOUS};
	enum kh_loyalty seg[6];
	size_t count[KH_LOYALTY_COUNT];

	(void)state;
	assert_int_equal(kh_loyalty_segments(att, pat, 6, 7, 2, seg, count), KH_OK);
	for (size_t t = 0; t < 6; t++)
		assert_int_equal(seg[t], want[t]);
	assert_int_equal(count[KH_LOYALTY_TRUE], 2);
	assert_int_equal(count[KH_LOYALTY_LATENT], 1);
	assert_int_equal(count[KH_LOYALTY_SPURIOUS], 2);
	assert_int_equal(count[KH_LOYALTY_NONE], 1);
	assert_string_equal(kh_loyalty_name(KH_LOYALTY_LATENT), "latent");
	assert_string_equal(kh_loyalty_name((enum kh_loyalty)9), "unknown");
	assert_int_equal(kh_loyalty_segments(att, pat, 6, NAN, 2, NULL, count), KH_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cronbach_alpha),
		cmocka_unit_test(test_alpha_on_mobi),
		cmocka_unit_test(test_nps),
		cmocka_unit_test(test_nps_by_period),
		cmocka_unit_test(test_csat),
		cmocka_unit_test(test_loyalty_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
