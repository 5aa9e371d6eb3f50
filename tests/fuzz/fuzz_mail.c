/* libFuzzer target: the e-mail parser of the service module's mailbox intake
 * (domain/imap.c, kh_mail_parse): RFC 5322 headers, RFC 2047 encoded words,
 * nested MIME multiparts, base64 and quoted-printable, any charset iconv knows.
 * What it returns must be valid UTF-8, as it promises, for it goes into cases. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/imap.h"
#include "util/arena.h"
#include "util/utf8.h"

static void check(const char *s)
{
	if (s && !kh_utf8_valid_str(s))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = malloc(size ? size : 1); /* exactly its size: no NUL after it */
	if (!raw)
		return 0;
	memcpy(raw, data, size);
	struct kh_arena a;
	kh_arena_init(&a);
	struct kh_mail m;
	if (kh_mail_parse(raw, size, &a, &m) == 0) {
		if (!m.from_addr || !m.body)
			abort();
		check(m.message_id), check(m.in_reply_to), check(m.references), check(m.from_addr), check(m.from_name);
		check(m.subject), check(m.body);
	}
	kh_arena_release(&a);
	free(raw);
	return 0;
}
