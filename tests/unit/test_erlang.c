/* Erlang C (src/analytics/erlang.c) against the published worked example
 * (Call Centre Helper's "Erlang C formula made simple", reproduced by the
 * pyworkforce and CRAN ErlangC packages): 100 calls in 30 minutes, 180 s
 * handle time, 80% answered in 20 s, 30% shrinkage -> traffic 10 Erlangs,
 * with 11 agents P(wait) 68.21% and service level 38.96%; 14 agents needed
 * (P(wait) 17.41%, service level 88.84%, ASA 7.84 s, occupancy 71.43%), 20
 * rostered with shrinkage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "analytics/erlang.h"

static void published_example(void **state)
{
	(void)state;
	struct kh_erlang_in in = {100, 1800, 180, 20, 0.8, 0.3};
	struct kh_erlang_out out;
	assert_int_equal(kh_erlang_staff(&in, &out), 0);
	assert_float_equal(out.traffic, 10.0, 1e-12);
	assert_float_equal(kh_erlang_c(11, 10), 0.6821182, 1e-7);
	assert_float_equal(kh_erlang_service_level(11, 10, 20, 180), 0.3896138, 1e-7);
	assert_int_equal(out.agents, 14);
	assert_int_equal(out.agents_with_shrinkage, 20);
	assert_float_equal(out.p_wait, 0.1741319, 1e-7);
	assert_float_equal(out.service_level, 0.8883500, 1e-7);
	assert_float_equal(out.asa_s, 7.835937, 1e-6);
	assert_float_equal(out.occupancy, 10.0 / 14.0, 1e-12);
	/* One agent fewer misses the target: 14 is the fewest. */
	assert_true(kh_erlang_service_level(13, 10, 20, 180) < 0.8);
}

static void edges(void **state)
{
	(void)state;
	struct kh_erlang_out out;
	/* No calls: nobody needed. */
	struct kh_erlang_in none = {0, 1800, 180, 20, 0.8, 0.3};
	assert_int_equal(kh_erlang_staff(&none, &out), 0);
	assert_int_equal(out.agents, 0);
	assert_int_equal(out.agents_with_shrinkage, 0);
	/* Fewer agents than the traffic: everyone waits forever. */
	assert_float_equal(kh_erlang_c(5, 10), 1.0, 0);
	assert_float_equal(kh_erlang_service_level(10, 10, 20, 180), 0.0, 0);
	/* A large centre: 2,000 calls an hour of 5 minutes (166.7 Erlangs) stays finite and above the traffic. */
	struct kh_erlang_in big = {2000, 3600, 300, 30, 0.9, 0};
	assert_int_equal(kh_erlang_staff(&big, &out), 0);
	assert_true(out.agents > 167 && out.agents < 200);
	assert_true(out.service_level >= 0.9 && isfinite(out.p_wait));
	/* Shrinkage rounds up: 14 / 0.75 = 18.67 -> 19. */
	struct kh_erlang_in s25 = {100, 1800, 180, 20, 0.8, 0.25};
	assert_int_equal(kh_erlang_staff(&s25, &out), 0);
	assert_int_equal(out.agents_with_shrinkage, 19);
}

static void bad_input_is_named(void **state)
{
	(void)state;
	const char *why;
	struct kh_erlang_in in = {100, 1800, 180, 20, 1.2, 0.3};
	assert_string_equal(kh_erlang_check(&in, &why), "target_sl");
	in.target_sl = 0.8, in.shrinkage = 1;
	assert_string_equal(kh_erlang_check(&in, &why), "shrinkage");
	in.shrinkage = 0.3, in.aht_s = 0;
	assert_string_equal(kh_erlang_check(&in, &why), "aht_s");
	in.aht_s = NAN;
	assert_string_equal(kh_erlang_check(&in, &why), "aht_s");
	in.aht_s = 180, in.calls = -1;
	assert_string_equal(kh_erlang_check(&in, &why), "calls");
	struct kh_erlang_out out;
	assert_int_equal(kh_erlang_staff(&in, &out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(published_example),
		cmocka_unit_test(edges),
		cmocka_unit_test(bad_input_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
