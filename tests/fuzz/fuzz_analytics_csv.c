/* libFuzzer target: the transaction CSV of `kehu analyze --csv` (domain/
 * analytics_csv.c) - column lookup by header, the date forms, amounts that
 * are one column or the product of two, text customer, order and product
 * keys - and then the analyses that take any loaded data set (RFM, ABC,
 * baskets with a customer's cross-sell, lifecycle, cohorts, profitability).
 * The first byte chooses the amount form and whether order and product are
 * optional; what loads must analyse or fail with a reason, never crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "domain/analytics.h"
#include "util/buf.h"
#include "util/errinfo.h"
#include "util/json_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t opt = data[0];
	FILE *f = fmemopen((void *)(data + 1), size - 1, "rb");
	if (!f)
		return 0;
	struct kh_an_csv_cols cols = {"customer_id", "date", opt & 1 ? "qty*price" : "amount", "order_id", "product_id",
				      opt & 2 ? "cost" : NULL, opt & 4 ? ';' : 0, 1, 1};
	struct kh_an_data d;
	char msg[256];
	if (kh_an_load_csv(f, &cols, &d, NULL, NULL, size - 1, msg, sizeof msg) == KH_OK) {
		struct kh_an_opts o;
		kh_an_opts_init(&o);
		o.min_support = 0.2;
		o.customer_key = "1";
		o.product_key = "1";
		for (int i = 0; i < 5; i++) {
			struct kh_buf b = KH_BUF_INIT;
			struct kh_jw w;
			struct kh_arena a;
			struct kh_errinfo ei;
			kh_arena_init(&a);
			kh_errinfo_init(&ei, &a);
			kh_jw_init(&w, &b);
			struct kh_an_out out = {&w, NULL};
			switch (i) {
			case 0: kh_an_rfm(&d, &o, &out, NULL, &ei); break;
			case 1: kh_an_abc(&d, &o, &out, NULL, &ei); break;
			case 2: kh_an_baskets(&d, &o, &out, &ei); break;
			case 3: kh_an_lifecycle(&d, &o, &out, NULL, &ei); break;
			default: kh_an_profitability(&d, &o, &out, NULL, &ei); break;
			}
			kh_buf_release(&b);
			kh_arena_release(&a);
		}
		kh_an_data_release(&d);
	}
	fclose(f);
	return 0;
}
