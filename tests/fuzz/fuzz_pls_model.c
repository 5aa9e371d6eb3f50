/* libFuzzer target: the parser of user-defined PLS path models in lavaan
 * syntax (analytics/pls_model.c), which analysts type into a form. A model it
 * accepts must pass the model check and name each item's column. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "analytics/pls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kh_pls_model m;
	char err[256];
	enum kh_err e = kh_pls_model_parse((const char *)data, size, &m, err, sizeof err);
	if (e == KH_OK) {
		if (kh_pls_model_check(&m) != KH_OK)
			abort();
		size_t *col = calloc(m.n_mv, sizeof *col);
		if (col && kh_pls_model_columns(&m, m.mv_name, m.n_mv, col) != KH_OK)
			abort(); /* every item finds itself */
		for (size_t k = 0; col && k < m.n_mv; k++)
			if (col[k] != k)
				abort(); /* item names are unique */
		free(col);
		kh_pls_model_release(&m);
	} else if (e == KH_EINVAL && !err[0]) {
		abort(); /* a refusal names the line at fault */
	}
	return 0;
}
