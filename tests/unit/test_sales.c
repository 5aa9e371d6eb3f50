/* Unit tests of the sales module's pure parts: decimal exchange rates, forecast
 * periods, and pipeline configs checked with clear reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "domain/forecast.h"
#include "domain/sales.h"
#include "domain/sales_pipeline.h"
#include "model/entity.h"

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

static void decimals(void **state)
{
	(void)state;
	assert_int_equal(kh_sales_decimal_micros("7.1", 3), 7100000);
	assert_int_equal(kh_sales_decimal_micros("0.138512", 8), 138512);
	assert_int_equal(kh_sales_decimal_micros("1", 1), 1000000);
	assert_int_equal(kh_sales_decimal_micros(".5", 2), 500000);
	assert_int_equal(kh_sales_decimal_micros("0.1234567", 9), -1); /* seven places */
	assert_int_equal(kh_sales_decimal_micros("0", 1), -1);         /* not positive */
	assert_int_equal(kh_sales_decimal_micros("1e3", 3), -1);
	assert_int_equal(kh_sales_decimal_micros("-2", 2), -1);
	assert_int_equal(kh_sales_decimal_micros("", 0), -1);
	assert_int_equal(kh_sales_decimal_micros(".", 1), -1);
}

static void periods(void **state)
{
	(void)state;
	char p[8];
	kh_period_of("2026-03-31", 0, p);
	assert_string_equal(p, "2026-03");
	kh_period_of("2026-03-31", 1, p);
	assert_string_equal(p, "2026-Q1");
	kh_period_of("2026-04-01T00:00:00.000Z", 1, p);
	assert_string_equal(p, "2026-Q2");
	kh_period_of("2026-12-31", 1, p);
	assert_string_equal(p, "2026-Q4");
}

static const char *pipeline_why(const char *config)
{
	static char out[256];
	struct kh_arena a;
	kh_arena_init(&a);
	struct kh_pipeline p;
	const char *why = NULL;
	json_t *j = json_loads(config, 0, NULL);
	enum kh_err err = kh_pipeline_parse(&p, j, &a, &why);
	snprintf(out, sizeof out, "%s", err ? why : "ok");
	json_decref(j);
	kh_arena_release(&a);
	return out;
}

static void pipelines(void **state)
{
	(void)state;
	const char *ok = "{\"stages\":[{\"key\":\"qualification\",\"probability\":20,\"required\":[\"amount\"],\"max_days\":14},"
			 "{\"key\":\"closed_won\",\"probability\":100},{\"key\":\"closed_lost\",\"probability\":0}],"
			 "\"lost_reasons\":[\"price\"],\"require_reasons\":true}";
	assert_string_equal(pipeline_why(ok), "ok");
	assert_non_null(strstr(pipeline_why("{\"stages\":[]}"), "2 to 16"));
	assert_non_null(strstr(pipeline_why("{\"stages\":[{\"key\":\"demo\",\"probability\":1},{\"key\":\"closed_won\",\"probability\":1}]}"),
			       "stage of opportunities"));
	assert_non_null(strstr(pipeline_why("{\"stages\":[{\"key\":\"proposal\",\"probability\":1},{\"key\":\"closed_won\",\"probability\":1}]}"),
			       "closed_won and closed_lost"));
	assert_non_null(strstr(pipeline_why("{\"stages\":[{\"key\":\"proposal\",\"probability\":101},{\"key\":\"closed_won\",\"probability\":1},"
					    "{\"key\":\"closed_lost\",\"probability\":0}]}"),
			       "0-100"));
	assert_non_null(strstr(pipeline_why("{\"stages\":[{\"key\":\"proposal\",\"probability\":1,\"required\":[\"stage_changed_at\"]},"
					    "{\"key\":\"closed_won\",\"probability\":1},{\"key\":\"closed_lost\",\"probability\":0}]}"),
			       "required field stage_changed_at"));
	assert_non_null(strstr(pipeline_why("{\"stages\":[{\"key\":\"proposal\",\"probability\":1},{\"key\":\"proposal\",\"probability\":1},"
					    "{\"key\":\"closed_won\",\"probability\":1},{\"key\":\"closed_lost\",\"probability\":0}]}"),
			       "twice"));
	assert_non_null(strstr(pipeline_why("{\"stages\":[{\"key\":\"proposal\",\"probability\":1,\"forecast_category\":\"closed\"},"
					    "{\"key\":\"closed_won\",\"probability\":1},{\"key\":\"closed_lost\",\"probability\":0}]}"),
			       "forecast_category"));
	assert_non_null(strstr(pipeline_why("{\"stages\":[{\"key\":\"proposal\",\"probability\":1},{\"key\":\"closed_won\",\"probability\":1},"
					    "{\"key\":\"closed_lost\",\"probability\":0}],\"colours\":1}"),
			       "unknown member"));
	struct kh_arena a;
	kh_arena_init(&a);
	struct kh_pipeline p;
	const char *why;
	json_t *j = json_loads(ok, 0, NULL);
	assert_int_equal(kh_pipeline_parse(&p, j, &a, &why), KH_OK);
	assert_int_equal(p.nstages, 3);
	assert_int_equal(kh_pipeline_stage(&p, "closed_lost"), 2);
	assert_int_equal(kh_pipeline_stage(&p, "proposal"), -1);
	assert_int_equal(p.stages[0].max_days, 14);
	assert_string_equal(p.stages[0].required[0], "amount");
	assert_true(p.require_reasons);
	json_decref(j);
	kh_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decimals),
		cmocka_unit_test(periods),
		cmocka_unit_test(pipelines),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
