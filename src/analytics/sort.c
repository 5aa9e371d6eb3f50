/* Radix sort of indices by double keys; see sort.h. */
#include "analytics/sort.h"

#include <stdlib.h>
#include <string.h>

/* Maps a double to a uint64 with the same order: flip all bits of negatives,
 * set the sign bit of positives. -0.0 is made +0.0 first so the two tie. */
static uint64_t ordered_bits(double v, int desc)
{
	uint64_t u;
	v += 0.0;
	memcpy(&u, &v, sizeof(u));
	u = (u >> 63) ? ~u : u | (1ULL << 63);
	return desc ? ~u : u;
}

enum kh_err kh_sort_index(const double *key, size_t n, int desc, uint32_t *idx)
{
	enum { BITS = 11, BUCKETS = 1 << BITS, PASSES = (64 + BITS - 1) / BITS };
	if (n > UINT32_MAX)
		return KH_EINVAL;
	size_t na = n ? n : 1;
	uint64_t *k = malloc(na * sizeof(uint64_t)), *k2 = malloc(na * sizeof(uint64_t));
	uint32_t *i2 = malloc(na * sizeof(uint32_t));
	size_t (*count)[BUCKETS] = calloc(PASSES, sizeof(*count));
	if (!k || !k2 || !i2 || !count) {
		free(k);
		free(k2);
		free(i2);
		free(count);
		return KH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		k[i] = ordered_bits(key[i], desc);
		idx[i] = (uint32_t)i;
		for (int p = 0; p < PASSES; p++)
			count[p][(k[i] >> (p * BITS)) & (BUCKETS - 1)]++;
	}
	uint64_t *src_k = k, *dst_k = k2;
	uint32_t *src_i = idx, *dst_i = i2;
	for (int p = 0; p < PASSES; p++) {
		size_t *c = count[p];
		/* All keys share this digit: the pass would not move anything. */
		if (n == 0 || c[(src_k[0] >> (p * BITS)) & (BUCKETS - 1)] == n)
			continue;
		size_t sum = 0;
		for (int b = 0; b < BUCKETS; b++) {
			size_t t = c[b];
			c[b] = sum;
			sum += t;
		}
		for (size_t i = 0; i < n; i++) {
			size_t d = c[(src_k[i] >> (p * BITS)) & (BUCKETS - 1)]++;
			dst_k[d] = src_k[i];
			dst_i[d] = src_i[i];
		}
		uint64_t *tk = src_k;
		src_k = dst_k;
		dst_k = tk;
		uint32_t *ti = src_i;
		src_i = dst_i;
		dst_i = ti;
	}
	if (src_i != idx)
		memcpy(idx, src_i, n * sizeof(uint32_t));
	free(k);
	free(k2);
	free(i2);
	free(count);
	return KH_OK;
}
