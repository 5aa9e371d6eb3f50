/* libFuzzer target: the normalisers that turn imported cells into keys for
 * upserts and duplicate detection: phone numbers (util/phone.c) and text
 * (util/textnorm.c: width folding, trimming, name, e-mail and pinyin keys).
 * Keys must stay in their bounds, and valid UTF-8 in gives valid UTF-8 out. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/phone.h"
#include "util/textnorm.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The cell in a buffer of its own size, so that reading past it is caught. */
	char *s = malloc(size ? size : 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	int valid = kh_utf8_valid(s, size);

	char key[KH_PHONE_KEY_MAX];
	memset(key, 'x', sizeof key);
	size_t n = kh_phone_key(s, size, key);
	if (n >= KH_PHONE_KEY_MAX || (n && (key[n] != '\0' || strlen(key) != n)))
		abort();

	const char *t = s;
	size_t tn = kh_trim(&t, size);
	if (t < s || t + tn > s + size)
		abort();

	struct kh_buf b = KH_BUF_INIT;
	kh_fold_width(&b, s, size);
	if (valid && !kh_utf8_valid(b.data, b.len))
		abort();
	void (*const keys[])(struct kh_buf *, const char *, size_t) = {kh_name_key, kh_email_key, kh_pinyin_key};
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		kh_buf_reset(&b);
		keys[k](&b, s, size);
		if (!b.err && !kh_utf8_valid(b.data, b.len))
			abort(); /* keys are valid UTF-8 whatever came in */
	}
	kh_buf_release(&b);
	free(s);
	return 0;
}
