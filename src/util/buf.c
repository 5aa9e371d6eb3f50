#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char kh_buf_empty[1];

void kh_buf_init(struct kh_buf *b, size_t max)
{
	b->data = kh_buf_empty;
	b->len = b->cap = 0;
	b->max = max;
	b->err = KH_OK;
}

void kh_buf_release(struct kh_buf *b)
{
	if (b->cap)
		free(b->data);
	kh_buf_init(b, b->max);
}

char *kh_buf_detach(struct kh_buf *b, size_t *len)
{
	char *p = b->cap ? b->data : calloc(1, 1);
	if (len)
		*len = b->len;
	kh_buf_init(b, b->max);
	return p;
}

void kh_buf_reset(struct kh_buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
	b->err = KH_OK;
}

enum kh_err kh_buf_grow(struct kh_buf *b, size_t n)
{
	if (b->err)
		return b->err;
	if (n > SIZE_MAX / 2 - b->len || (b->max && b->len + n > b->max)) {
		b->err = KH_ETOOBIG;
		return b->err;
	}
	if (b->len + n + 1 <= b->cap)
		return KH_OK;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = b->cap ? realloc(b->data, cap) : malloc(cap);
	if (!p) {
		b->err = KH_ENOMEM;
		return b->err;
	}
	if (!b->cap)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return KH_OK;
}

enum kh_err kh_buf_add_slow(struct kh_buf *b, const void *p, size_t n)
{
	if (kh_buf_grow(b, n))
		return b->err;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return KH_OK;
}

enum kh_err kh_buf_adds(struct kh_buf *b, const char *s)
{
	return kh_buf_add(b, s, strlen(s));
}

enum kh_err kh_buf_vaddf(struct kh_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	if (b->err)
		return b->err;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return b->err = KH_EINTERNAL;
	if (kh_buf_grow(b, (size_t)n))
		return b->err;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return KH_OK;
}

enum kh_err kh_buf_addf(struct kh_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum kh_err e = kh_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return e;
}

enum kh_err kh_buf_add_int(struct kh_buf *b, int64_t v)
{
	/* Hand-rolled because it runs for every number of every JSON answer. */
	char tmp[24];
	char *p = tmp + sizeof tmp;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return kh_buf_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

void kh_buf_truncate(struct kh_buf *b, size_t n)
{
	if (n < b->len) {
		b->len = n;
		b->data[n] = '\0';
	}
}
