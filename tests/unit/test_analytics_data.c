/* Tests of the analytics dataset (src/domain/analytics.h): reading a
 * transaction CSV (dates in three forms, amounts as a product of two columns,
 * rows that cannot be read skipped and counted, keys numbered as met), and the
 * analyses' JSON on a hand-checked example. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "domain/analytics.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/errinfo.h"

static FILE *mem(const char *text)
{
	return fmemopen((void *)text, strlen(text), "r");
}

static void parse_day_forms(void **state)
{
	(void)state;
	int32_t d, want = (int32_t)kh_date_days("2011-12-09");
	assert_int_equal(kh_an_parse_day("2011-12-09", 10, &d), 0);
	assert_int_equal(d, want);
	assert_int_equal(kh_an_parse_day("2011/12/09 08:26", 16, &d), 0);
	assert_int_equal(d, want);
	assert_int_equal(kh_an_parse_day("20111209", 8, &d), 0);
	assert_int_equal(d, want);
	assert_int_equal(kh_an_parse_day("2011-12-09T08:26:00Z", 20, &d), 0);
	assert_int_equal(kh_an_parse_day("2011-02-30", 10, &d), -1);
	assert_int_equal(kh_an_parse_day("9/12/2011", 9, &d), -1);
	assert_int_equal(kh_an_parse_day("", 0, &d), -1);
}

/* Quantity times price, a cancelled invoice's text order id, a row without a
 * customer and one with a bad date; the UCI file's layout. */
static const char *retail =
	"InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
	"536365,85123A,6,2010-12-01 08:26:00,2.55,17850\n"
	"536365,71053,6,2010-12-01 08:26:00,3.39,17850\n"
	"C536379,D,-1,2010-12-01 09:41:00,27.50,14527\n"
	"536380,22961,24,2010-12-01 09:41:00,0.85,\n"
	"536381,22139,1,not a date,4.95,15311\n"
	"536382,22139,2,2010-12-02 10:00:00,4.95,14527\n";

static void csv_columns_and_skips(void **state)
{
	(void)state;
	FILE *f = mem(retail);
	struct kh_an_csv_cols cols = {"CustomerID", "InvoiceDate", "Quantity*UnitPrice", "InvoiceNo", "StockCode", NULL, 0, 0,
				      0};
	struct kh_an_data d;
	char msg[256] = "";
	assert_int_equal(kh_an_load_csv(f, &cols, &d, NULL, NULL, 0, msg, sizeof msg), KH_OK);
	fclose(f);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.skipped, 2);
	assert_int_equal(d.n_cust, 2);
	assert_int_equal(d.n_products, 4);
	assert_true(d.has_order && d.has_product && !d.has_cogs);
	assert_true(d.keys_numeric);
	assert_true(d.amount[0] > 15.29 && d.amount[0] < 15.31);
	assert_true(d.amount[2] > -27.51 && d.amount[2] < -27.49);
	/* A numeric invoice is its own id; a text one is numbered below zero. */
	assert_int_equal(d.order[0], 536365);
	assert_true(d.order[2] < 0);
	assert_int_equal(d.cust[2], d.cust[3]);
	assert_int_equal(d.first_day, (int32_t)kh_date_days("2010-12-01"));
	assert_int_equal(d.last_day, (int32_t)kh_date_days("2010-12-02"));
	kh_an_data_release(&d);
	/* A missing column is named. */
	f = mem(retail);
	cols.amount = "Price*Quantity";
	assert_int_equal(kh_an_load_csv(f, &cols, &d, NULL, NULL, 0, msg, sizeof msg), KH_EINVAL);
	fclose(f);
	assert_non_null(strstr(msg, "Price"));
	/* Optional order and product columns that are not there are not used. */
	f = mem("customer_id,date,amount\nA7,2024-01-02,10\nA7,2024-02-03,5.5\n");
	struct kh_an_csv_cols defaults = {"customer_id", "date", "amount", "order_id", "product_id", NULL, 0, 1, 1};
	assert_int_equal(kh_an_load_csv(f, &defaults, &d, NULL, NULL, 0, msg, sizeof msg), KH_OK);
	fclose(f);
	assert_false(d.has_order || d.has_product);
	assert_false(d.keys_numeric);
	kh_an_data_release(&d);
	/* Nothing readable at all is an error with a reason. */
	f = mem("customer_id,date,amount\n,2024-01-02,10\nB,yesterday,1\n");
	assert_int_equal(kh_an_load_csv(f, &defaults, &d, NULL, NULL, 0, msg, sizeof msg), KH_EINVAL);
	fclose(f);
	assert_non_null(strstr(msg, "no row"));
}

/* Three customers as of 2024-03-31: RFM in the CLI's JSON shape, with the
 * figures checked by hand, and keys printed as numbers or as text. */
static void rfm_json_shape(void **state)
{
	(void)state;
	FILE *f = mem("customer_id,date,amount,order_id\n"
		      "7,2024-03-30,100,1\n7,2024-03-30,50,1\n7,2024-01-10,20,2\n"
		      "0012,2024-02-01,10,3\n"
		      "9,2023-12-31,500,4\n");
	struct kh_an_csv_cols cols = {"customer_id", "date", "amount", "order_id", "product_id", NULL, 0, 0, 1};
	struct kh_an_data d;
	char msg[256];
	assert_int_equal(kh_an_load_csv(f, &cols, &d, NULL, NULL, 0, msg, sizeof msg), KH_OK);
	fclose(f);
	assert_false(d.keys_numeric); /* "0012" is a code, not a number */
	struct kh_an_opts o;
	kh_an_opts_init(&o);
	kh_an_parse_day("2024-03-31", 10, &o.as_of);
	struct kh_buf b = KH_BUF_INIT;
	struct kh_jw w;
	kh_jw_init(&w, &b);
	struct kh_an_out out = {&w, NULL};
	struct kh_arena a;
	struct kh_errinfo ei;
	kh_arena_init(&a);
	kh_errinfo_init(&ei, &a);
	assert_int_equal(kh_an_rfm(&d, &o, &out, NULL, &ei), KH_OK);
	json_t *j = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "as_of")), "2024-03-31");
	json_t *cs = json_object_get(j, "customers");
	assert_int_equal(json_array_size(cs), 3);
	json_t *c7 = json_array_get(cs, 0);
	assert_string_equal(json_string_value(json_object_get(c7, "customer_id")), "7");
	assert_int_equal(json_number_value(json_object_get(c7, "recency")), 1);
	assert_int_equal(json_number_value(json_object_get(c7, "frequency")), 2);
	assert_int_equal(json_number_value(json_object_get(c7, "monetary")), 170);
	for (const char *k = "rfm"; *k; k++) {
		char key[2] = {*k, 0};
		assert_true(json_is_integer(json_object_get(c7, key)));
	}
	assert_true(json_is_string(json_object_get(c7, "segment")));
	size_t total = 0, i;
	json_t *s;
	json_array_foreach(json_object_get(j, "segments"), i, s) total += (size_t)json_integer_value(json_object_get(s, "customers"));
	assert_int_equal(total, 3);
	json_decref(j);
	kh_buf_release(&b);
	kh_arena_release(&a);
	kh_an_data_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_day_forms),
		cmocka_unit_test(csv_columns_and_skips),
		cmocka_unit_test(rfm_json_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
