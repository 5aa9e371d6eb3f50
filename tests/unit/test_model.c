/* Unit tests of src/model: metadata, validation, and the list query builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "model/entity.h"
#include "model/enum_labels.h"
#include "model/permission.h"
#include "model/query.h"
#include "model/validate.h"

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

static void metadata_is_complete(void **state)
{
	(void)state;
	const struct kh_entity *c = kh_entity_find("contacts");
	assert_non_null(c);
	assert_string_equal(c->fields[0].name, "id");
	assert_non_null(kh_field_find(c, "owner_id"));
	assert_non_null(kh_field_find(c, "version"));
	assert_string_equal(c->title->name, "name");
	assert_true(c->searchable);
	assert_null(strstr(kh_entity_find("users")->select_sql, "password")); /* write-only never selected */
	assert_ptr_equal(kh_related_field(kh_entity_find("accounts"), c), kh_field_find(c, "account_id"));
	assert_ptr_equal(kh_related_field(kh_entity_find("users"), c), kh_field_find(c, "owner_id"));
	assert_null(kh_related_field(kh_entity_find("products"), c));
	/* Entity codes are unique: they are part of search keys. */
	for (int i = 0; i < kh_nentities; i++)
		for (int j = i + 1; j < kh_nentities; j++)
			assert_int_not_equal(kh_entities[i]->code, kh_entities[j]->code);
	assert_true(kh_model_fingerprint() == kh_model_fingerprint());
}

/* Every enum value of every entity has a Chinese name (the UI shows these in
 * lists, filters, badges and charts), and the vocabulary's narrower keys win. */
static void enum_values_are_named(void **state)
{
	(void)state;
	char missing[2048] = "";
	size_t o = 0;
	for (int i = 0; i < kh_nentities; i++) {
		const struct kh_entity *e = kh_entities[i];
		for (int j = 0; j < e->nfields; j++)
			for (int k = 0; e->fields[j].enum_values && e->fields[j].enum_values[k]; k++)
				if (!kh_enum_label(e, &e->fields[j], e->fields[j].enum_values[k], KH_LANG_ZH) &&
				    o < sizeof missing - 200)
					o += (size_t)snprintf(missing + o, sizeof missing - o, " %s.%s.%s", e->name,
							      e->fields[j].name, e->fields[j].enum_values[k]);
	}
	assert_string_equal(missing, "");
	const struct kh_entity *opp = kh_entity_find("opportunities"), *camp = kh_entity_find("campaigns"),
			       *con = kh_entity_find("contacts");
	assert_string_equal(kh_enum_label(opp, kh_field_find(opp, "stage"), "closed_won", KH_LANG_ZH), "赢单");
	assert_string_equal(kh_enum_label(opp, kh_field_find(opp, "stage"), "closed_won", KH_LANG_EN), "Closed won");
	assert_string_equal(kh_enum_label(con, kh_field_find(con, "status"), "active", KH_LANG_ZH), "活跃");
	assert_string_equal(kh_enum_label(camp, kh_field_find(camp, "status"), "active", KH_LANG_ZH), "进行中");
	/* No English name listed: the UI is told the value made readable. */
	assert_null(kh_enum_label(con, kh_field_find(con, "status"), "active", KH_LANG_EN));
	char readable[32];
	kh_enum_label_default("needs_analysis", readable, sizeof readable);
	assert_string_equal(readable, "Needs analysis");
	kh_enum_label_default("needs_analysis", readable, 6);
	assert_string_equal(readable, "Needs");
}

static void formats(void **state)
{
	(void)state;
	const char *good_mail[] = {"a@b.cn", "first.last+tag@mail.example.com", "张@例子.中国"};
	const char *bad_mail[] = {"", "a", "a@", "@b.cn", "a@b", "a@@b.cn", "a..b@c.cn", "a b@c.cn", "a@-b.cn", "a@b-.cn"};
	for (size_t i = 0; i < sizeof good_mail / sizeof *good_mail; i++)
		assert_true(kh_email_valid(good_mail[i], strlen(good_mail[i])));
	for (size_t i = 0; i < sizeof bad_mail / sizeof *bad_mail; i++)
		assert_false(kh_email_valid(bad_mail[i], strlen(bad_mail[i])));
	const char *good_phone[] = {"13812345678", "+86 138 1234 5678", "010-12345678", "(021) 6234-5678", "95588"};
	const char *bad_phone[] = {"1234", "phone", "138x1234", "+", "1+3812345678", "123456789012345678901"};
	for (size_t i = 0; i < sizeof good_phone / sizeof *good_phone; i++)
		assert_true(kh_phone_valid(good_phone[i], strlen(good_phone[i])));
	for (size_t i = 0; i < sizeof bad_phone / sizeof *bad_phone; i++)
		assert_false(kh_phone_valid(bad_phone[i], strlen(bad_phone[i])));
	assert_true(kh_url_valid("https://kehu.cn/a?b=c", 21));
	assert_false(kh_url_valid("javascript:alert(1)", 19));
	assert_false(kh_url_valid("https://", 8));
}

/* Validates a JSON text against an entity; returns the error code. */
static enum kh_err check(const char *entity, const char *json, enum kh_validate_mode mode, struct kh_values *v,
			 struct kh_errinfo *ei, struct kh_arena *a)
{
	json_t *j = json_loads(json, 0, NULL);
	assert_non_null(j);
	kh_values_init(v, kh_entity_find(entity), a);
	kh_errinfo_init(ei, a);
	enum kh_err err = kh_validate_json(j, mode, v, NULL, a, ei);
	json_decref(j);
	return err;
}

static void validation(void **state)
{
	(void)state;
	struct kh_arena a;
	struct kh_values v;
	struct kh_errinfo ei;
	kh_arena_init(&a);

	assert_int_equal(check("contacts", "{\"name\":\"  张三丰 \",\"email\":\"A@B.CN\",\"tags\":[\"x\",\"x\"]}",
			       KH_VALIDATE_CREATE, &v, &ei, &a), KH_OK);
	int i = kh_field_index(v.e, "name");
	assert_string_equal(v.v[i].s, "张三丰"); /* trimmed */
	assert_string_equal(v.v[kh_field_index(v.e, "email")].s, "a@b.cn");
	assert_string_equal(v.v[kh_field_index(v.e, "tags")].s, "[\"x\"]");
	assert_string_equal(v.v[kh_field_index(v.e, "status")].s, "active"); /* default */
	assert_false(v.set[kh_field_index(v.e, "title")]);

	assert_int_equal(check("contacts", "{\"title\":\"x\",\"nope\":1,\"id\":3,\"gender\":\"x\"}", KH_VALIDATE_CREATE, &v,
			       &ei, &a), KH_EVALIDATION);
	assert_non_null(kh_errinfo_field_msg(&ei, "name"));
	assert_string_equal(kh_errinfo_field_msg(&ei, "nope"), "unknown field");
	assert_string_equal(kh_errinfo_field_msg(&ei, "id"), "is read-only");
	assert_non_null(strstr(kh_errinfo_field_msg(&ei, "gender"), "male, female"));

	/* Update mode: required fields may be absent but not null. */
	assert_int_equal(check("contacts", "{\"title\":\"CEO\"}", KH_VALIDATE_UPDATE, &v, &ei, &a), KH_OK);
	assert_int_equal(check("contacts", "{\"name\":null}", KH_VALIDATE_UPDATE, &v, &ei, &a), KH_EVALIDATION);
	assert_int_equal(check("contacts", "{\"name\":\"\"}", KH_VALIDATE_UPDATE, &v, &ei, &a), KH_EVALIDATION);

	/* Lengths count characters, not bytes. */
	char json[1024] = "{\"name\":\"";
	for (int k = 0; k < 100; k++)
		strncat(json, "长", sizeof json - strlen(json) - 1);
	strncat(json, "\"}", sizeof json - strlen(json) - 1);
	assert_int_equal(check("contacts", json, KH_VALIDATE_CREATE, &v, &ei, &a), KH_OK);

	assert_int_equal(check("opportunities", "{\"name\":\"x\",\"account_id\":1,\"amount\":1.5}", KH_VALIDATE_CREATE,
			       &v, &ei, &a), KH_EVALIDATION);
	assert_int_equal(check("opportunities", "{\"name\":\"x\",\"account_id\":1,\"probability\":101}",
			       KH_VALIDATE_CREATE, &v, &ei, &a), KH_EVALIDATION);
	assert_int_equal(check("activities", "{\"type\":\"call\",\"subject\":\"x\",\"due_at\":\"2026-01-01T10:00:00+08:00\"}",
			       KH_VALIDATE_CREATE, &v, &ei, &a), KH_OK);
	assert_string_equal(v.v[kh_field_index(v.e, "due_at")].s, "2026-01-01T02:00:00.000Z"); /* stored in UTC */
	kh_arena_release(&a);
}

static void json_parse_errors(void **state)
{
	(void)state;
	struct kh_arena a;
	struct kh_errinfo ei;
	json_t *j;
	kh_arena_init(&a);
	const char *bad[] = {"", "{", "[]", "1", "{\"a\":1,\"a\":2}", "\xff{}", "{\"a\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		kh_errinfo_init(&ei, &a);
		assert_int_equal(kh_json_parse_object(bad[i], strlen(bad[i]), &j, &ei), KH_EJSON);
		assert_null(j);
		assert_non_null(ei.msg);
	}
	kh_errinfo_init(&ei, &a);
	assert_int_equal(kh_json_parse_object("{\"a\":\"[{\"}", 10, &j, &ei), KH_OK); /* brackets in strings do not count */
	json_decref(j);
	kh_arena_release(&a);
}

/* Builds the SQL for a query string given as key/value pairs. */
static enum kh_err build(const char *entity, const char *const *kv, struct kh_buf *sql, struct kh_val *p, int *n,
			 struct kh_arena *a, struct kh_errinfo *ei)
{
	struct kh_list_query q;
	struct kh_principal who = {.user_id = 1, .username = "admin", .role = "admin", .is_admin = 1};
	kh_list_init(&q, kh_entity_find(entity));
	kh_errinfo_init(ei, a);
	for (int i = 0; kv[i]; i += 2)
		kh_list_param(&q, kv[i], kv[i + 1], a, ei);
	enum kh_err err = kh_list_finish(&q, &who, a, ei);
	if (err)
		return err;
	return kh_list_sql(&q, &who, a, sql, p, n, 64);
}

static void query_builder(void **state)
{
	(void)state;
	struct kh_arena a;
	struct kh_errinfo ei;
	struct kh_val p[64];
	int n;
	kh_arena_init(&a);
	struct kh_buf sql = KH_BUF_INIT;

	const char *q1[] = {"city", "上海", "created_at[gte]", "2026-01-01", "source[in]", "web,wechat", "limit", "10", NULL};
	assert_int_equal(build("contacts", q1, &sql, p, &n, &a, &ei), KH_OK);
	assert_non_null(strstr(sql.data, " WHERE archived_at IS NULL AND (city = $1) AND (created_at >= $2) AND "
					  "(source IN ($3,$4)) ORDER BY id DESC LIMIT 11"));
	assert_int_equal(n, 4);
	assert_string_equal(p[0].s, "上海");
	assert_string_equal(p[3].s, "wechat");

	/* Values never reach the SQL text, whatever they contain. */
	kh_buf_reset(&sql);
	const char *q2[] = {"name", "x' OR 1=1 --", "title[like]", "%'--", NULL};
	assert_int_equal(build("contacts", q2, &sql, p, &n, &a, &ei), KH_OK);
	assert_null(strstr(sql.data, "OR 1=1"));
	assert_null(strstr(sql.data, "'--"));

	/* Sort adds id as the tie-breaker; NULLs go first ascending, last descending;
	 * a name sorts by its pinyin sort key. */
	kh_buf_reset(&sql);
	const char *q3[] = {"sort", "-amount,name", NULL};
	assert_int_equal(build("opportunities", q3, &sql, p, &n, &a, &ei), KH_OK);
	assert_non_null(strstr(sql.data, "ORDER BY amount DESC NULLS LAST, sort_key ASC NULLS FIRST, id ASC LIMIT 51"));

	const char *const bad[][3] = {
		{"nope", "1", "nope"}, {"name[gtx]", "1", "name[gtx]"}, {"limit", "0", "limit"},
		{"sort", "description", "sort"}, {"id", "abc", "id"}, {"cursor", "@@@", "cursor"},
		{"gender", "robot", "gender"}, {"tags[gt]", "x", "tags[gt]"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *kv[] = {bad[i][0], bad[i][1], NULL};
		kh_buf_reset(&sql);
		assert_int_equal(build("contacts", kv, &sql, p, &n, &a, &ei), KH_EINVAL);
		assert_non_null(kh_errinfo_field_msg(&ei, bad[i][2]));
	}
	kh_buf_release(&sql);
	kh_arena_release(&a);
}

/* A role's permissions: "*" gives the defaults, for entities not named and
 * for the actions a named entity leaves out; without "*" they are none. */
static void role_permissions(void **state)
{
	(void)state;
	const struct kh_entity *contacts = kh_entity_find("contacts"), *leads = kh_entity_find("leads");
	struct kh_role r;
	const char *why;
	json_t *j = json_loads("{\"*\": {\"read\": \"all\"}, \"contacts\": {\"create\": \"own\"}}", 0, NULL);
	assert_int_equal(kh_role_parse(&r, j, &why), 0);
	assert_int_equal(r.scope[leads->code][KH_ACT_READ], KH_SCOPE_ALL);
	assert_int_equal(r.scope[leads->code][KH_ACT_CREATE], KH_SCOPE_NONE);
	assert_int_equal(r.scope[contacts->code][KH_ACT_READ], KH_SCOPE_ALL); /* from "*" */
	assert_int_equal(r.scope[contacts->code][KH_ACT_CREATE], KH_SCOPE_OWN);
	json_decref(j);
	j = json_loads("{\"contacts\": {\"create\": \"team\"}}", 0, NULL);
	assert_int_equal(kh_role_parse(&r, j, &why), 0);
	assert_int_equal(r.scope[contacts->code][KH_ACT_READ], KH_SCOPE_NONE);
	assert_int_equal(r.scope[contacts->code][KH_ACT_CREATE], KH_SCOPE_TEAM);
	assert_int_equal(r.scope[leads->code][KH_ACT_READ], KH_SCOPE_NONE);
	json_decref(j);
	j = json_loads("{\"nosuch\": {\"read\": \"all\"}}", 0, NULL);
	assert_int_equal(kh_role_parse(&r, j, &why), -1);
	assert_non_null(why);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metadata_is_complete),
		cmocka_unit_test(enum_values_are_named),
		cmocka_unit_test(formats),
		cmocka_unit_test(validation),
		cmocka_unit_test(json_parse_errors),
		cmocka_unit_test(query_builder),
		cmocka_unit_test(role_permissions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
