/* Unit tests of duplicate scoring (src/domain/dedupe.c): Jaro-Winkler by code
 * point, against the published examples and on Chinese names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "domain/dedupe.h"

static double jw(const char *a, const char *b)
{
	return kh_jaro_winkler(a, strlen(a), b, strlen(b));
}

static void jaro_winkler_known_values(void **state)
{
	(void)state;
	/* Winkler (1990) and the usual textbook pairs. */
	assert_true(jw("MARTHA", "MARHTA") > 0.9610 && jw("MARTHA", "MARHTA") < 0.9612);
	assert_true(jw("DWAYNE", "DUANE") > 0.8399 && jw("DWAYNE", "DUANE") < 0.8401);
	assert_true(jw("DIXON", "DICKSONX") > 0.8132 && jw("DIXON", "DICKSONX") < 0.8134);
	assert_true(jw("abc", "abc") == 1.0);
	assert_true(jw("abc", "xyz") == 0.0);
	assert_true(jw("", "") == 1.0);
	assert_true(jw("a", "") == 0.0);
}

static void chinese_names_by_character(void **state)
{
	(void)state;
	/* One character of three differs: close, but not the same. */
	double d = jw("张伟明", "张伟民");
	assert_true(d > 0.82 && d < 0.83); /* as "abc" and "abd" */
	/* Two-character names that share only the surname are far apart. */
	assert_true(jw("张伟", "张强") < 0.8);
	/* Bytes are not characters: one differing character is one, not three. */
	assert_true(jw("欧阳锋", "欧阳峰") > jw("abc", "abd") - 0.01);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jaro_winkler_known_values),
		cmocka_unit_test(chinese_names_by_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
