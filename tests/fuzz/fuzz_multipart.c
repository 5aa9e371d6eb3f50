/* libFuzzer target: the multipart/form-data parser of uploads
 * (http/multipart.c). The input's first line is the Content-Type header, the
 * rest the body, as POST /api/v1/imports receives them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl = memchr(s, '\n', size);
	if (!nl || nl - s > 512)
		return 0;
	char ctype[513];
	memcpy(ctype, s, (size_t)(nl - s));
	ctype[nl - s] = '\0';
	/* The body in a buffer of its own size, so that reading past it is caught. */
	size_t len = size - (size_t)(nl - s) - 1;
	char *body = malloc(len ? len : 1);
	if (!body)
		return 0;
	memcpy(body, nl + 1, len);
	struct kh_part parts[16];
	const char *why = NULL;
	int n = kh_multipart_parse(ctype, body, len, parts, 16, &why);
	if (n < 0 && !why)
		abort(); /* a refusal always says why */
	unsigned sum = 0;
	for (int i = 0; i < n; i++) {
		const struct kh_part *p = &parts[i];
		if (!p->name[0] || p->data < body || p->data + p->len > body + len || memchr(p->name, 0, sizeof p->name) == NULL ||
		    memchr(p->filename, 0, sizeof p->filename) == NULL)
			abort(); /* named parts inside the body, names terminated */
		for (size_t k = 0; k < p->len; k++)
			sum += (unsigned char)p->data[k];
	}
	free(body);
	return (int)(sum & 0);
}
