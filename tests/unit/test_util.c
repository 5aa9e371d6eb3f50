/* Unit tests of src/util: buffers, arenas, the JSON writer, UTF-8, the clock, word lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json_out.h"
#include "util/utf8.h"
#include "util/words.h"

static void buf_grows_and_stays_terminated(void **state)
{
	(void)state;
	struct kh_buf b = KH_BUF_INIT;
	assert_string_equal(b.data, "");
	for (int i = 0; i < 1000; i++)
		kh_buf_adds(&b, "ab");
	assert_int_equal(b.len, 2000);
	assert_int_equal(b.data[2000], '\0');
	kh_buf_addf(&b, "%d-%s", 42, "x");
	assert_string_equal(b.data + 2000, "42-x");
	kh_buf_truncate(&b, 3);
	assert_string_equal(b.data, "aba");
	kh_buf_release(&b);
	assert_int_equal(b.len, 0);
}

static void buf_max_is_a_sticky_error(void **state)
{
	(void)state;
	struct kh_buf b;
	kh_buf_init(&b, 10);
	assert_int_equal(kh_buf_adds(&b, "12345"), KH_OK);
	assert_int_equal(kh_buf_adds(&b, "123456"), KH_ETOOBIG);
	assert_int_equal(b.len, 5);
	assert_int_equal(kh_buf_adds(&b, "1"), KH_ETOOBIG); /* sticky: later appends are refused too */
	assert_int_equal(b.err, KH_ETOOBIG);
	assert_string_equal(b.data, "12345");
	kh_buf_release(&b);
}

static void buf_integers(void **state)
{
	(void)state;
	struct kh_buf b = KH_BUF_INIT;
	kh_buf_add_int(&b, 0);
	kh_buf_addc(&b, ' ');
	kh_buf_add_int(&b, -42);
	kh_buf_addc(&b, ' ');
	kh_buf_add_int(&b, INT64_MIN);
	kh_buf_addc(&b, ' ');
	kh_buf_add_int(&b, INT64_MAX);
	assert_string_equal(b.data, "0 -42 -9223372036854775808 9223372036854775807");
	kh_buf_release(&b);
}

static void arena_alignment_and_large_blocks(void **state)
{
	(void)state;
	struct kh_arena a;
	kh_arena_init(&a);
	for (int i = 1; i < 300; i++) {
		char *p = kh_arena_alloc(&a, (size_t)i * 7);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xab, (size_t)i * 7); /* ASan catches an overlap or overrun */
	}
	char *big = kh_arena_alloc(&a, 1 << 20);
	assert_non_null(big);
	memset(big, 1, 1 << 20);
	assert_string_equal(kh_arena_printf(&a, "%s-%d", "x", 7), "x-7");
	int *z = kh_arena_calloc(&a, 100, sizeof *z);
	for (int i = 0; i < 100; i++)
		assert_int_equal(z[i], 0);
	assert_null(kh_arena_calloc(&a, SIZE_MAX / 2, 4));
	kh_arena_release(&a); /* LeakSanitizer checks every block went */
}

static void json_writer_shapes_and_escapes(void **state)
{
	(void)state;
	struct kh_buf b = KH_BUF_INIT;
	struct kh_jw w;
	kh_jw_init(&w, &b);
	kh_jw_obj(&w);
	kh_jw_key(&w, "s");
	kh_jw_str(&w, "q\"b\\n\n\t\x01张");
	kh_jw_key(&w, "a");
	kh_jw_arr(&w);
	kh_jw_int(&w, -1);
	kh_jw_bool(&w, 1);
	kh_jw_null(&w);
	kh_jw_obj(&w);
	kh_jw_obj_end(&w);
	kh_jw_arr(&w);
	kh_jw_arr_end(&w);
	kh_jw_double(&w, 0.1);
	kh_jw_double(&w, 1.0 / 0.0);
	kh_jw_arr_end(&w);
	kh_jw_key(&w, "raw");
	kh_jw_raw(&w, "[1,2]", 5);
	kh_jw_obj_end(&w);
	assert_int_equal(b.err, KH_OK);
	assert_string_equal(b.data, "{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001张\",\"a\":[-1,true,null,{},[],0.1,null],\"raw\":[1,2]}");
	kh_jw_obj_end(&w); /* one close too many */
	assert_int_equal(b.err, KH_EINTERNAL);
	kh_buf_release(&b);
}

static void utf8_validation(void **state)
{
	(void)state;
	assert_true(kh_utf8_valid("", 0));
	assert_true(kh_utf8_valid("abc 张三丰 😀", strlen("abc 张三丰 😀")));
	assert_false(kh_utf8_valid("\xc3\x28", 2));         /* bad continuation */
	assert_false(kh_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(kh_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(kh_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
	assert_false(kh_utf8_valid("\xe5\xbc", 2));         /* truncated */
	assert_false(kh_utf8_valid("\xff", 1));
	assert_int_equal(kh_utf8_count("张三丰abc", strlen("张三丰abc")), 6);
	uint32_t cp;
	assert_int_equal(kh_utf8_decode("张", 3, &cp), 3);
	assert_int_equal(cp, 0x5F20);
	assert_true(kh_is_cjk(cp));
	assert_false(kh_is_cjk('a'));
}

static void clock_parse_and_format(void **state)
{
	(void)state;
	int64_t us;
	char out[KH_TIME_LEN];
	assert_int_equal(kh_time_parse("2026-01-31T08:00:00Z", 20, &us), 0);
	kh_time_format(us, out);
	assert_string_equal(out, "2026-01-31T08:00:00.000Z");
	assert_int_equal(kh_time_parse("2026-01-31T16:00:00.25+08:00", 28, &us), 0);
	kh_time_format(us, out);
	assert_string_equal(out, "2026-01-31T08:00:00.250Z");
	assert_int_equal(kh_time_parse("2024-02-29", 10, &us), 0); /* leap day, a bare date is midnight UTC */
	kh_time_format(us, out);
	assert_string_equal(out, "2024-02-29T00:00:00.000Z");
	kh_time_format(-1, out); /* just before the epoch */
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
	const char *bad[] = {"2023-02-29", "2026-13-01", "2026-01-01T25:00:00Z", "2026-01-01T08:00:00",
			     "2026-01-01T08:00Z", "2026/01/01", "20260101", "2026-01-01T08:00:00+8"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(kh_time_parse(bad[i], strlen(bad[i]), &us), 0);
	assert_true(kh_date_valid("2000-02-29", 10));
	assert_false(kh_date_valid("1900-02-29", 10));
	assert_int_equal(kh_date_days("1970-01-02"), 1);
	char d[11];
	kh_date_format(kh_date_days("2026-11-23"), d);
	assert_string_equal(d, "2026-11-23");
}

static void clock_can_be_frozen(void **state)
{
	(void)state;
	kh_clock_set(1234567);
	assert_int_equal(kh_now(), 1234567);
	kh_clock_set(0);
	assert_true(kh_now() > 1700000000LL * 1000000);
}

static void word_lists(void **state)
{
	(void)state;
	assert_true(kh_words_has("q! limit", "q"));
	assert_true(kh_words_has("q! limit", "limit"));
	assert_false(kh_words_has("q! limit", "q!"));
	assert_false(kh_words_has("q! limit", "lim"));
	assert_false(kh_words_has("q! limit", "limits"));
	assert_false(kh_words_has("", "q"));
	assert_false(kh_words_has("winner losers", ""));
	const char *p = "q! limit", *word;
	int marked;
	size_t len = kh_word_next(&p, &word, &marked);
	assert_int_equal(len, 1);
	assert_memory_equal(word, "q", 1);
	assert_true(marked);
	len = kh_word_next(&p, &word, &marked);
	assert_int_equal(len, 5);
	assert_memory_equal(word, "limit", 5);
	assert_false(marked);
	assert_int_equal(kh_word_next(&p, &word, &marked), 0);
	assert_int_equal(*p, '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_grows_and_stays_terminated),
		cmocka_unit_test(buf_max_is_a_sticky_error),
		cmocka_unit_test(buf_integers),
		cmocka_unit_test(arena_alignment_and_large_blocks),
		cmocka_unit_test(json_writer_shapes_and_escapes),
		cmocka_unit_test(utf8_validation),
		cmocka_unit_test(clock_parse_and_format),
		cmocka_unit_test(clock_can_be_frozen),
		cmocka_unit_test(word_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
