/* libFuzzer target: the JSON body reader and the validation of a record from
 * it, the path every POST and PATCH takes with bytes from outside. */
#include <stddef.h>
#include <stdint.h>

#include "model/entity.h"
#include "model/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready)
		ready = kh_model_init() == 0;
	if (size < 1)
		return 0;
	/* The first byte picks the entity and the mode; the rest is the body. */
	const struct kh_entity *e = kh_entities[data[0] % kh_nentities];
	enum kh_validate_mode mode = data[0] & 0x80 ? KH_VALIDATE_UPDATE : KH_VALIDATE_CREATE;
	struct kh_arena a;
	struct kh_errinfo ei;
	kh_arena_init(&a);
	kh_errinfo_init(&ei, &a);
	json_t *j = NULL;
	if (kh_json_parse_object((const char *)data + 1, size - 1, &j, &ei) == KH_OK) {
		struct kh_values v;
		int64_t version;
		if (kh_values_init(&v, e, &a) == 0)
			kh_validate_json(j, mode, &v, &version, &a, &ei);
	}
	json_decref(j);
	kh_arena_release(&a);
	return 0;
}
