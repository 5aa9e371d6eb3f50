/* A per-request arena: many small allocations, one free at the end.
 *
 * As in h2o's mem pools and nginx's ngx_pool_t, everything a request parses or
 * builds on the way (path segments, filters, generated SQL pieces, error details)
 * comes from the request's arena and is released at once when the response has
 * been sent, so handlers do not free piecemeal and cannot leak. The first block
 * lives inside the struct, so a small request allocates nothing from malloc. */
#ifndef KH_ARENA_H
#define KH_ARENA_H

#include <stddef.h>

struct kh_arena_block;

struct kh_arena {
	struct kh_arena_block *head; /* malloc'ed blocks, newest first */
	char *ptr, *end;             /* free space in the current block */
	_Alignas(16) char first[4096];
};

void kh_arena_init(struct kh_arena *a);
/* Frees every allocation made from a. a can be used again afterwards. */
void kh_arena_release(struct kh_arena *a);
/* Returns 16-byte aligned memory, or NULL when out of memory. */
void *kh_arena_alloc(struct kh_arena *a, size_t n);
void *kh_arena_calloc(struct kh_arena *a, size_t n, size_t size);
char *kh_arena_strndup(struct kh_arena *a, const char *s, size_t n);
char *kh_arena_strdup(struct kh_arena *a, const char *s);
char *kh_arena_printf(struct kh_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
