#include "util/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kh_arena_block {
	struct kh_arena_block *next;
	size_t size;
	_Alignas(16) char data[];
};

void kh_arena_init(struct kh_arena *a)
{
	a->head = NULL;
	a->ptr = a->first;
	a->end = a->first + sizeof a->first;
}

void kh_arena_release(struct kh_arena *a)
{
	struct kh_arena_block *b = a->head;
	while (b) {
		struct kh_arena_block *next = b->next;
		free(b);
		b = next;
	}
	kh_arena_init(a);
}

void *kh_arena_alloc(struct kh_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if ((size_t)(a->end - a->ptr) >= n) {
		void *p = a->ptr;
		a->ptr += n;
		return p;
	}
	if (n > SIZE_MAX / 2)
		return NULL;
	/* Large requests get a block of their own so the current block keeps its
	 * free space for the small ones that usually follow. */
	size_t size = n > 8192 ? n : 16384;
	struct kh_arena_block *b = malloc(sizeof *b + size);
	if (!b)
		return NULL;
	b->next = a->head;
	b->size = size;
	a->head = b;
	if (size > n) {
		a->ptr = b->data + n;
		a->end = b->data + size;
	}
	return b->data;
}

void *kh_arena_calloc(struct kh_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = kh_arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *kh_arena_strndup(struct kh_arena *a, const char *s, size_t n)
{
	char *p = kh_arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *kh_arena_strdup(struct kh_arena *a, const char *s)
{
	return kh_arena_strndup(a, s, strlen(s));
}

char *kh_arena_printf(struct kh_arena *a, const char *fmt, ...)
{
	va_list ap, cp;
	va_start(ap, fmt);
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	char *p = n < 0 ? NULL : kh_arena_alloc(a, (size_t)n + 1);
	if (p)
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
