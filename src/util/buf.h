/* A growable byte buffer that carries its length, capacity and a maximum size.
 *
 * Modelled on git's strbuf, curl's dynbuf and SQLite's sqlite3_str:
 * - data is never NULL and always NUL-terminated, so it can be used as a string;
 * - `max` caps the size (request bodies, generated SQL), 0 meaning no cap;
 * - errors are sticky: after a failed append (out of memory or over `max`) every
 *   further append is a no-op and `err` keeps the first error, so a run of appends
 *   is checked once at the end. */
#ifndef KH_BUF_H
#define KH_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kh_buf {
	char *data;
	size_t len, cap, max;
	enum kh_err err;
};

extern char kh_buf_empty[];
#define KH_BUF_INIT {kh_buf_empty, 0, 0, 0, KH_OK}

void kh_buf_init(struct kh_buf *b, size_t max);
/* Frees the memory and leaves b as after kh_buf_init (same max). */
void kh_buf_release(struct kh_buf *b);
/* Hands the malloc'ed data to the caller (who frees it) and reinitialises b. */
char *kh_buf_detach(struct kh_buf *b, size_t *len);
void kh_buf_reset(struct kh_buf *b);
/* Makes room for n more bytes. */
enum kh_err kh_buf_grow(struct kh_buf *b, size_t n);

enum kh_err kh_buf_add_slow(struct kh_buf *b, const void *p, size_t n);

/* Appends n bytes. Inline, because JSON output calls it for every token: when
 * the bytes fit, it is a copy and no call. */
static inline enum kh_err kh_buf_add(struct kh_buf *b, const void *p, size_t n)
{
	if (b->len + n < b->cap && !b->err && (!b->max || b->len + n <= b->max)) {
		__builtin_memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return KH_OK;
	}
	return kh_buf_add_slow(b, p, n);
}

static inline enum kh_err kh_buf_addc(struct kh_buf *b, char c)
{
	if (b->len + 1 < b->cap && !b->err && (!b->max || b->len < b->max)) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return KH_OK;
	}
	return kh_buf_add_slow(b, &c, 1);
}

enum kh_err kh_buf_adds(struct kh_buf *b, const char *s);
enum kh_err kh_buf_addf(struct kh_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum kh_err kh_buf_vaddf(struct kh_buf *b, const char *fmt, va_list ap);
enum kh_err kh_buf_add_int(struct kh_buf *b, int64_t v);
/* Cuts the buffer back to n bytes (n <= len). */
void kh_buf_truncate(struct kh_buf *b, size_t n);

#endif
