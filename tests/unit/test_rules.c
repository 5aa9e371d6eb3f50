/* Unit tests of the rule conditions (src/domain/rules.c): compiling against the
 * metadata with clear reasons, and each operator's meaning on records,
 * including empty values, changes and dates relative to today. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "domain/rules.h"
#include "model/entity.h"
#include "util/arena.h"

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

struct fixture {
	struct kh_arena a;
	const struct kh_entity *e;
	struct kh_val cur[64], old[64];
	unsigned char changed[64];
};

static void fx_init(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	kh_arena_init(&f->a);
	f->e = kh_entity_find("opportunities");
}

static void set(struct fixture *f, const char *field, struct kh_val v)
{
	int i = kh_field_index(f->e, field);
	assert_true(i >= 0);
	f->cur[i] = v;
}

/* Compiles conditions; returns 1 if they hold for the fixture's record. */
static int holds(struct fixture *f, const char *conditions, int with_old)
{
	struct kh_rule r = {0};
	json_t *j = json_loads(conditions, 0, NULL);
	assert_non_null(j);
	const char *why = NULL;
	enum kh_err err = kh_rule_compile(&r, f->e, j, &f->a, &why);
	json_decref(j);
	if (err)
		fail_msg("%s: %s", conditions, why);
	struct kh_rule_rec rec = {f->cur, with_old ? f->old : NULL, f->changed, 2, "2026-03-15"};
	return kh_rule_match(&r, &rec);
}

static const char *why_not(struct fixture *f, const char *conditions)
{
	struct kh_rule r = {0};
	json_t *j = json_loads(conditions, 0, NULL);
	const char *why = NULL;
	enum kh_err err = kh_rule_compile(&r, f->e, j, &f->a, &why);
	json_decref(j);
	return err ? why : NULL;
}

static void compile_errors_name_the_fault(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	assert_non_null(strstr(why_not(&f, "{\"all\":[{\"field\":\"colour\",\"op\":\"eq\",\"value\":1}]}"), "no field colour"));
	assert_non_null(strstr(why_not(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"like\",\"value\":\"x\"}]}"), "unknown op"));
	assert_non_null(strstr(why_not(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"eq\",\"value\":\"won_it\"}]}"), "won_it"));
	assert_non_null(strstr(why_not(&f, "{\"all\":[{\"field\":\"amount\",\"op\":\"gt\",\"value\":\"lots\"}]}"), "integer"));
	assert_non_null(strstr(why_not(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"in\",\"value\":\"proposal\"}]}"), "list"));
	assert_non_null(strstr(why_not(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"empty\",\"value\":1}]}"), "no value"));
	assert_non_null(strstr(why_not(&f, "{\"both\":[]}"), "all"));
	assert_non_null(strstr(why_not(&f, "{\"all\":[{\"field\":\"amount\",\"op\":\"contains\",\"value\":\"1\"}]}"), "text"));
	assert_non_null(strstr(why_not(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"eq\",\"value\":\"x\",\"extra\":1}]}"), "extra"));
	assert_null(why_not(&f, "{}"));
	kh_arena_release(&f.a);
}

static void operators(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	set(&f, "stage", KH_VTEXT("proposal"));
	set(&f, "amount", KH_VINT(500000));
	set(&f, "name", KH_VTEXT("Big Deal for ACME"));
	set(&f, "expected_close_date", KH_VTEXT("2026-03-20"));
	assert_true(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"eq\",\"value\":\"proposal\"}]}", 0));
	assert_true(holds(&f, "{\"all\":[{\"field\":\"amount\",\"op\":\"gte\",\"value\":500000},{\"field\":\"amount\",\"op\":\"lt\",\"value\":500001}]}", 0));
	assert_false(holds(&f, "{\"all\":[{\"field\":\"amount\",\"op\":\"gt\",\"value\":500000}]}", 0));
	assert_true(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"in\",\"value\":[\"negotiation\",\"proposal\"]}]}", 0));
	assert_true(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"not_in\",\"value\":[\"closed_won\"]}]}", 0));
	assert_true(holds(&f, "{\"all\":[{\"field\":\"name\",\"op\":\"contains\",\"value\":\"acme\"}]}", 0));
	assert_true(holds(&f, "{\"any\":[{\"field\":\"amount\",\"op\":\"lt\",\"value\":1},{\"field\":\"stage\",\"op\":\"ne\",\"value\":\"closed_won\"}]}", 0));
	assert_false(holds(&f, "{\"any\":[{\"field\":\"amount\",\"op\":\"lt\",\"value\":1}]}", 0));
	/* An empty field: ne is true, comparisons false, empty true. */
	assert_true(holds(&f, "{\"all\":[{\"field\":\"source\",\"op\":\"ne\",\"value\":\"web\"}]}", 0));
	assert_false(holds(&f, "{\"all\":[{\"field\":\"probability\",\"op\":\"lt\",\"value\":50}]}", 0));
	assert_true(holds(&f, "{\"all\":[{\"field\":\"source\",\"op\":\"empty\"}]}", 0));
	assert_false(holds(&f, "{\"all\":[{\"field\":\"name\",\"op\":\"empty\"}]}", 0));
	/* Dates against today (2026-03-15). */
	assert_true(holds(&f, "{\"all\":[{\"field\":\"expected_close_date\",\"op\":\"lte\",\"value\":\"today+5\"}]}", 0));
	assert_false(holds(&f, "{\"all\":[{\"field\":\"expected_close_date\",\"op\":\"lte\",\"value\":\"today+4\"}]}", 0));
	assert_true(holds(&f, "{\"all\":[{\"field\":\"expected_close_date\",\"op\":\"gt\",\"value\":\"today\"}]}", 0));
	/* The virtual field: activities linked to the record (2 in the fixture). */
	f.e = kh_entity_find("leads");
	assert_true(holds(&f, "{\"all\":[{\"field\":\"activities\",\"op\":\"gte\",\"value\":2}]}", 0));
	kh_arena_release(&f.a);
}

static void changes(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	int stage = kh_field_index(f.e, "stage");
	set(&f, "stage", KH_VTEXT("closed_won"));
	memcpy(f.old, f.cur, sizeof f.old);
	f.old[stage] = KH_VTEXT("negotiation");
	f.changed[stage] = 1;
	assert_true(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"changed\"}]}", 1));
	assert_true(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"changed_to\",\"value\":\"closed_won\"}]}", 1));
	assert_true(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"changed_from\",\"value\":\"negotiation\"}]}", 1));
	assert_false(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"changed_from\",\"value\":\"proposal\"}]}", 1));
	assert_false(holds(&f, "{\"all\":[{\"field\":\"amount\",\"op\":\"changed\"}]}", 1));
	/* The same value without a change: not changed_to. */
	f.changed[stage] = 0;
	assert_false(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"changed_to\",\"value\":\"closed_won\"}]}", 1));
	/* A create has no old values: what it sets counts as changed to. */
	assert_true(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"changed_to\",\"value\":\"closed_won\"}]}", 0));
	assert_false(holds(&f, "{\"all\":[{\"field\":\"stage\",\"op\":\"changed_from\",\"value\":\"negotiation\"}]}", 0));
	kh_arena_release(&f.a);
}

static void expand(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	set(&f, "name", KH_VTEXT("岸桥改造"));
	set(&f, "amount", KH_VINT(1234567));
	assert_string_equal(kh_rule_expand("Onboarding: {{name}} ({{ amount }}) {{nothing}}!", f.e, f.cur, &f.a),
			    "Onboarding: 岸桥改造 (12345.67) !");
	assert_string_equal(kh_rule_expand("no braces {{", f.e, f.cur, &f.a), "no braces {{");
	kh_arena_release(&f.a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compile_errors_name_the_fault),
		cmocka_unit_test(operators),
		cmocka_unit_test(changes),
		cmocka_unit_test(expand),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
