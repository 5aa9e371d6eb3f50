/* Unit tests of the keys records are matched by (src/util/textnorm.c,
 * src/util/phone.c): phone numbers, full-width text, traditional Chinese,
 * pinyin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "util/phone.h"
#include "util/textnorm.h"

static const char *phone(const char *s)
{
	static char out[KH_PHONE_KEY_MAX];
	size_t n = kh_phone_key(s, strlen(s), out);
	return n ? out : "";
}

static void phones_written_many_ways_are_one(void **state)
{
	(void)state;
	const char *same[] = {"+86 138 1234 5678", "138-1234-5678", "13812345678", "0086 138 1234 5678",
		"+86-138-1234-5678", "(+86) 13812345678", "8613812345678", "１３８１２３４５６７８", "＋８６ 138.1234.5678",
		"138 1234 5678 转 801"};
	for (size_t i = 0; i < sizeof same / sizeof *same; i++)
		assert_string_equal(phone(same[i]), "+8613812345678");
	/* Landlines lose the trunk 0; other countries keep their code. */
	assert_string_equal(phone("010-8888 6666"), "+861088886666");
	assert_string_equal(phone("+86 (0)10 8888 6666"), "+861088886666");
	assert_string_equal(phone("0755-2688 1234"), "+8675526881234");
	assert_string_equal(phone("+1 (415) 555-0100"), "+14155550100");
	assert_string_equal(phone("+852 2123 4567"), "+85221234567");
	assert_string_equal(phone("95588"), "95588");
	/* Too short or too long is no key at all. */
	assert_string_equal(phone("1234"), "");
	assert_string_equal(phone(""), "");
	assert_string_equal(phone("123456789012345678901"), "");
}

static const char *key(void (*fn)(struct kh_buf *, const char *, size_t), const char *s)
{
	static struct kh_buf b = KH_BUF_INIT;
	kh_buf_reset(&b);
	fn(&b, s, strlen(s));
	return b.data;
}

static void widths_spaces_and_case_fold(void **state)
{
	(void)state;
	struct kh_buf b = KH_BUF_INIT;
	const char *s = "ＡＢＣ公司　Ｔｅｌ：１２３";
	kh_fold_width(&b, s, strlen(s));
	assert_string_equal(b.data, "ABC公司 Tel:123");
	kh_buf_release(&b);
	const char *t = "\xe3\x80\x80 张三 \t";
	size_t n = kh_trim(&t, strlen(t));
	assert_int_equal(n, strlen("张三"));
	assert_memory_equal(t, "张三", n);
	assert_string_equal(key(kh_email_key, "  Zhang.San@Example.COM "), "zhang.san@example.com");
	assert_string_equal(key(kh_email_key, "ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｎ"), "zhang@example.cn");
}

static void traditional_and_simplified_names_match(void **state)
{
	(void)state;
	assert_int_equal(kh_textnorm_init(), 0);
	assert_string_equal(key(kh_name_key, "張偉"), "张伟");
	assert_string_equal(key(kh_name_key, "张 伟"), key(kh_name_key, "張偉"));
	assert_string_equal(key(kh_name_key, "歐陽·鋒"), "欧阳锋");
	assert_string_equal(key(kh_name_key, "Zhang  Wei"), "zhangwei");
	assert_string_equal(key(kh_name_key, "北京華為技術有限公司"), "北京华为技术有限公司");
	assert_int_equal(kh_t2s(0x5f35), 0x5f20); /* 張 -> 张 */
	assert_int_equal(kh_t2s('a'), 'a');
}

static void pinyin_keys_join_homophones(void **state)
{
	(void)state;
	assert_string_equal(key(kh_pinyin_key, "张伟"), "zhangwei");
	assert_string_equal(key(kh_pinyin_key, "章伟"), "zhangwei");
	assert_string_equal(key(kh_pinyin_key, "張偉"), "zhangwei");
	assert_string_equal(key(kh_pinyin_key, "Zhang Wei"), "zhangwei");
	assert_string_equal(key(kh_pinyin_key, "李4"), "li4");
}

static void pinyin_sort_keys_order_names_as_an_address_book(void **state)
{
	(void)state;
	assert_string_equal(key(kh_pinyin_sort_key, "张伟"), "zhang wei|张伟");
	assert_string_equal(key(kh_pinyin_sort_key, " 張偉 "), "zhang wei|張偉");
	assert_string_equal(key(kh_pinyin_sort_key, "Alice Wang"), "alice wang|Alice Wang");
	assert_string_equal(key(kh_pinyin_sort_key, "王Alice"), "wang alice|王Alice");
	assert_string_equal(key(kh_pinyin_sort_key, "ＩＢＭ中国"), "ibm zhong guo|ＩＢＭ中国");
	/* Syllable by syllable, as a dictionary: 西安 (xi an) before 先 (xian);
	 * Latin and Chinese names interleave from A to Z. */
	const char *const names[] = {"阿里", "Alice", "北京", "西安", "先锋", "张伟", "章伟", "Zoe"};
	for (size_t i = 1; i < sizeof names / sizeof names[0]; i++) {
		char a[128], b[128];
		snprintf(a, sizeof a, "%s", key(kh_pinyin_sort_key, names[i - 1]));
		snprintf(b, sizeof b, "%s", key(kh_pinyin_sort_key, names[i]));
		if (strcmp(a, b) >= 0)
			fail_msg("%s (%s) should sort before %s (%s)", names[i - 1], a, names[i], b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(phones_written_many_ways_are_one),
		cmocka_unit_test(widths_spaces_and_case_fold),
		cmocka_unit_test(traditional_and_simplified_names_match),
		cmocka_unit_test(pinyin_keys_join_homophones),
		cmocka_unit_test(pinyin_sort_keys_order_names_as_an_address_book),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	return rc;
}
