/* Unit tests of import's column suggestions (src/domain/import.c): headers in
 * Chinese and English, labels, synonyms, and the entity's own name words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "domain/import.h"

static const char *suggest(const char *entity, const char *header)
{
	const struct kh_field *f = kh_import_suggest(kh_entity_find(entity), header, strlen(header));
	return f ? f->name : "-";
}

static void headers_in_chinese_and_english(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
		{"contacts", "姓名", "name"},         {"contacts", "客户姓名", "name"},
		{"contacts", "手机号码", "mobile"},   {"contacts", "Mobile Phone", "mobile"},
		{"contacts", " 手机 ", "mobile"},     {"contacts", "*邮箱", "email"},
		{"contacts", "E-Mail Address", "email"}, {"contacts", "电子邮件", "email"},
		{"contacts", "公司", "account_id"},   {"contacts", "Account", "account_id"},
		{"contacts", "account_id", "account_id"}, {"contacts", "所属客户", "account_id"},
		{"contacts", "生日", "birthday"},     {"contacts", "备注", "description"},
		{"contacts", "ｅｍａｉｌ", "email"},  {"contacts", "external id", "external_id"},
		{"contacts", "favourite colour", "-"}, {"contacts", "", "-"},
		/* On accounts the name words mean the account's own name. */
		{"accounts", "客户名称", "name"},     {"accounts", "公司名称", "name"},
		{"accounts", "上级客户", "parent_id"}, {"leads", "公司", "company"},
		{"products", "产品编码", "sku"},      {"products", "SKU", "sku"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = suggest(cases[i][0], cases[i][1]);
		if (strcmp(got, cases[i][2]))
			fail_msg("%s '%s': %s, expected %s", cases[i][0], cases[i][1], got, cases[i][2]);
	}
}

static void words_of_the_command_line(void **state)
{
	(void)state;
	enum kh_import_key k;
	enum kh_on_dup d;
	assert_int_equal(kh_import_key_parse("name+account", &k), 0);
	assert_int_equal(k, KH_KEY_NAME_ACCOUNT);
	assert_int_equal(kh_import_key_parse("nickname", &k), -1);
	assert_int_equal(kh_on_dup_parse("update", &d), 0);
	assert_int_equal(d, KH_DUP_UPDATE);
	assert_string_equal(kh_import_key_name(KH_KEY_EXTERNAL_ID), "external_id");
}

static int setup(void **state)
{
	(void)state;
	return kh_model_init();
}

static int teardown(void **state)
{
	(void)state;
	kh_model_free();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(headers_in_chinese_and_english),
		cmocka_unit_test(words_of_the_command_line),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
