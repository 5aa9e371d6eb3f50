/* Unit tests of src/http/static.c: reading Accept-Encoding (RFC 9110 12.5.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/static.h"

static void codings_are_named_or_starred(void **state)
{
	(void)state;
	assert_true(kh_accepts_encoding("gzip, deflate, br", "br"));
	assert_true(kh_accepts_encoding("gzip, deflate, br", "gzip"));
	assert_false(kh_accepts_encoding("gzip, deflate", "br"));
	assert_true(kh_accepts_encoding("*", "br"));
	assert_true(kh_accepts_encoding("Br", "br"));
	assert_false(kh_accepts_encoding(NULL, "gzip"));
	assert_false(kh_accepts_encoding("", "gzip"));
	assert_false(kh_accepts_encoding("identity", "gzip"));
	/* A name that merely starts like another is another coding. */
	assert_false(kh_accepts_encoding("gzipx, brotli", "gzip"));
	assert_false(kh_accepts_encoding("gzipx, brotli", "br"));
}

static void q_zero_refuses(void **state)
{
	(void)state;
	assert_false(kh_accepts_encoding("br;q=0", "br"));
	assert_false(kh_accepts_encoding("br; q=0.000, gzip", "br"));
	assert_true(kh_accepts_encoding("br; q=0.000, gzip", "gzip"));
	assert_true(kh_accepts_encoding("br;q=0.1", "br"));
	assert_true(kh_accepts_encoding("br;Q=1", "br"));
	/* A named coding wins over the star, either way round. */
	assert_false(kh_accepts_encoding("*, br;q=0", "br"));
	assert_true(kh_accepts_encoding("*;q=0, br", "br"));
	assert_false(kh_accepts_encoding("*;q=0, br", "gzip"));
	/* Unknown parameters and stray spaces are skipped. */
	assert_true(kh_accepts_encoding("  gzip ; level=9 ;q=0.5 ,br", "gzip"));
	assert_false(kh_accepts_encoding("gzip;q=", "gzip"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(codings_are_named_or_starred),
		cmocka_unit_test(q_zero_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
