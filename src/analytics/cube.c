/* The OLAP cube; see cube.h. */
#include "analytics/cube.h"

#include <stdlib.h>
#include <string.h>

/* Groups live in a growable array; an open-addressing table maps each packed
 * key to its index. The packed key is a mixed-radix number with base
 * card + 1 per grouped dimension, the extra digit standing for "all", so
 * sorting packed keys sorts members before their subtotal. */
struct table {
	uint64_t *keys;
	uint32_t *slot; /* index + 1 into cells; 0 is empty */
	size_t cap;     /* power of two */
	struct kh_cube_cell *cells;
	uint64_t *packed;
	size_t n, ncap;
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static int table_grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	uint64_t *keys = malloc(cap * sizeof(uint64_t));
	uint32_t *slot = calloc(cap, sizeof(uint32_t));
	if (!keys || !slot) {
		free(keys);
		free(slot);
		return -1;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slot[i])
			continue;
		size_t h = mix(t->keys[i]) & (cap - 1);
		while (slot[h])
			h = (h + 1) & (cap - 1);
		slot[h] = t->slot[i];
		keys[h] = t->keys[i];
	}
	free(t->keys);
	free(t->slot);
	t->keys = keys;
	t->slot = slot;
	t->cap = cap;
	return 0;
}

/* The cell of a packed key, created on first sight; NULL when out of memory. */
static struct kh_cube_cell *cell_of(struct table *t, uint64_t key)
{
	if ((t->n + 1) * 2 > t->cap && table_grow(t))
		return NULL;
	size_t h = mix(key) & (t->cap - 1);
	while (t->slot[h]) {
		if (t->keys[h] == key)
			return &t->cells[t->slot[h] - 1];
		h = (h + 1) & (t->cap - 1);
	}
	if (t->n == t->ncap) {
		size_t nc = t->ncap ? t->ncap * 2 : 256;
		struct kh_cube_cell *cells = realloc(t->cells, nc * sizeof(*cells));
		if (!cells)
			return NULL;
		t->cells = cells;
		uint64_t *packed = realloc(t->packed, nc * sizeof(uint64_t));
		if (!packed)
			return NULL;
		t->packed = packed;
		t->ncap = nc;
	}
	t->slot[h] = (uint32_t)(++t->n);
	t->keys[h] = key;
	struct kh_cube_cell *c = &t->cells[t->n - 1];
	memset(c, 0, sizeof(*c));
	t->packed[t->n - 1] = key;
	return c;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void kh_cube_release(struct kh_cube *c)
{
	free(c->cell);
	memset(c, 0, sizeof(*c));
}

enum kh_err kh_cube_query(const struct kh_cube_facts *f, const struct kh_cube_query *q, struct kh_cube *out)
{
	memset(out, 0, sizeof(*out));
	int g = q->n_group;
	if (g < 0 || g > KH_CUBE_MAX_GROUP || f->n_dims < 0 || f->n_dims > KH_CUBE_MAX_DIMS ||
	    f->n_measures < 0 || f->n_measures > KH_CUBE_MAX_MEASURES)
		return KH_EINVAL;
	uint64_t base[KH_CUBE_MAX_GROUP], weight[KH_CUBE_MAX_GROUP];
	uint64_t space = 1;
	for (int k = g - 1; k >= 0; k--) {
		if (q->group[k] < 0 || q->group[k] >= f->n_dims)
			return KH_EINVAL;
		base[k] = (uint64_t)f->card[q->group[k]] + 1;
		weight[k] = space;
		if (space > (UINT64_MAX >> 1) / base[k])
			return KH_EINVAL;
		space *= base[k];
	}
	for (int d = 0; d < f->n_dims; d++)
		for (size_t i = 0; i < f->n; i++)
			if (f->dim[d][i] >= f->card[d])
				return KH_EINVAL;
	struct table t = {0};
	int levels = q->rollup ? g + 1 : 1;
	enum kh_err err = KH_OK;
	for (size_t i = 0; i < f->n && !err; i++) {
		int keep = 1;
		for (int d = 0; d < f->n_dims && keep; d++)
			if (q->keep[d] && !q->keep[d][f->dim[d][i]])
				keep = 0;
		if (!keep)
			continue;
		out->facts++;
		uint64_t full = 0;
		for (int k = 0; k < g; k++)
			full += (uint64_t)f->dim[q->group[k]][i] * weight[k];
		/* Level 0 is the full key; level L rolls up the last L dimensions. */
		uint64_t key = full;
		for (int l = 0; l < levels; l++) {
			if (l > 0) {
				int k = g - l;
				key -= (uint64_t)f->dim[q->group[k]][i] * weight[k];
				key += (base[k] - 1) * weight[k];
			}
			struct kh_cube_cell *c = cell_of(&t, key);
			if (!c) {
				err = KH_ENOMEM;
				break;
			}
			c->count++;
			for (int m = 0; m < f->n_measures; m++)
				c->sum[m] += f->measure[m] ? f->measure[m][i] : 0;
		}
	}
	if (!err && f->n == 0 && q->rollup && !cell_of(&t, space - 1))
		err = KH_ENOMEM; /* the grand total of nothing is a row of zeros */
	free(t.keys);
	free(t.slot);
	if (err) {
		free(t.cells);
		free(t.packed);
		return err;
	}
	/* Sort the cells by packed key: pair each key with its index. */
	uint64_t *order = malloc((t.n ? t.n : 1) * 2 * sizeof(uint64_t));
	struct kh_cube_cell *cells = malloc((t.n ? t.n : 1) * sizeof(*cells));
	if (!order || !cells) {
		free(order);
		free(cells);
		free(t.cells);
		free(t.packed);
		return KH_ENOMEM;
	}
	for (size_t i = 0; i < t.n; i++) {
		order[2 * i] = t.packed[i];
		order[2 * i + 1] = i;
	}
	qsort(order, t.n, 2 * sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < t.n; i++) {
		struct kh_cube_cell *c = &cells[i];
		*c = t.cells[order[2 * i + 1]];
		uint64_t key = order[2 * i];
		for (int k = 0; k < g; k++) {
			uint64_t digit = key / weight[k] % base[k];
			c->key[k] = digit == base[k] - 1 ? KH_CUBE_ALL : (uint32_t)digit;
		}
		for (int k = g; k < KH_CUBE_MAX_GROUP; k++)
			c->key[k] = KH_CUBE_ALL;
	}
	free(order);
	free(t.cells);
	free(t.packed);
	out->n_group = g;
	out->n_measures = f->n_measures;
	out->n = t.n;
	out->cell = cells;
	return KH_OK;
}
