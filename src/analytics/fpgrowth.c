/* FP-growth, association rules and "also bought"; see baskets.h. */
#include "analytics/baskets.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

/* A node of an FP-tree. Items are ranks: 0 is the most frequent item. */
struct node {
	uint32_t rank, count, parent, child, sibling, link;
};

struct tree {
	struct node *nodes;
	size_t n, cap;
	uint32_t *head;  /* per rank: first node of that rank (linked by .link) */
	uint32_t *total; /* per rank: support in this tree */
};

/* The state of one mining run. */
struct miner {
	uint32_t nf;        /* frequent items */
	uint32_t *item_of;  /* rank -> item id */
	uint32_t minsup;
	int max_len;
	uint32_t *suffix;   /* the itemset being extended (ranks) */
	struct kh_itemsets *out;
	size_t out_cap, items_cap;
	enum kh_err err;
};

static enum kh_err tree_init(struct tree *t, uint32_t nf)
{
	memset(t, 0, sizeof(*t));
	t->head = malloc((nf ? nf : 1) * sizeof(uint32_t));
	t->total = calloc(nf ? nf : 1, sizeof(uint32_t));
	t->cap = 64;
	t->nodes = malloc(t->cap * sizeof(struct node));
	if (!t->head || !t->total || !t->nodes)
		return KH_ENOMEM;
	memset(t->head, 0xff, (nf ? nf : 1) * sizeof(uint32_t));
	/* Node 0 is the root. */
	t->nodes[0] = (struct node){NIL, 0, NIL, NIL, NIL, NIL};
	t->n = 1;
	return KH_OK;
}

static void tree_release(struct tree *t)
{
	free(t->nodes);
	free(t->head);
	free(t->total);
}

/* Inserts a path of ranks in ascending order with a count. */
static enum kh_err tree_insert(struct tree *t, const uint32_t *path, size_t len, uint32_t count)
{
	uint32_t cur = 0;
	for (size_t k = 0; k < len; k++) {
		uint32_t r = path[k], c = t->nodes[cur].child;
		while (c != NIL && t->nodes[c].rank != r)
			c = t->nodes[c].sibling;
		if (c == NIL) {
			if (t->n == t->cap) {
				size_t cap = t->cap * 2;
				if (cap > NIL)
					return KH_ENOMEM;
				struct node *nn = realloc(t->nodes, cap * sizeof(struct node));
				if (!nn)
					return KH_ENOMEM;
				t->nodes = nn;
				t->cap = cap;
			}
			c = (uint32_t)t->n++;
			t->nodes[c] = (struct node){r, 0, cur, NIL, t->nodes[cur].child, t->head[r]};
			t->nodes[cur].child = c;
			t->head[r] = c;
		}
		t->nodes[c].count += count;
		t->total[r] += count;
		cur = c;
	}
	return KH_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Appends suffix (len ranks) as an itemset with its support. */
static void emit(struct miner *m, size_t len, uint32_t support)
{
	struct kh_itemsets *o = m->out;
	if (o->n + 1 >= m->out_cap) {
		size_t cap = m->out_cap * 2;
		size_t *ns = realloc(o->start, (cap + 1) * sizeof(size_t));
		if (ns)
			o->start = ns;
		uint32_t *nsup = realloc(o->support, cap * sizeof(uint32_t));
		if (nsup)
			o->support = nsup;
		if (!ns || !nsup) {
			m->err = KH_ENOMEM;
			return;
		}
		m->out_cap = cap;
	}
	size_t at = o->start[o->n];
	if (at + len > m->items_cap) {
		size_t cap = (m->items_cap + len) * 2;
		uint32_t *ni = realloc(o->items, cap * sizeof(uint32_t));
		if (!ni) {
			m->err = KH_ENOMEM;
			return;
		}
		o->items = ni;
		m->items_cap = cap;
	}
	for (size_t k = 0; k < len; k++)
		o->items[at + k] = m->item_of[m->suffix[k]];
	qsort(o->items + at, len, sizeof(uint32_t), cmp_u32);
	o->support[o->n] = support;
	o->n++;
	o->start[o->n] = at + len;
}

static void mine(struct miner *m, struct tree *t, size_t depth)
{
	uint32_t *path = NULL;
	/* Least frequent first, as in the paper; any order gives the same sets. */
	for (uint32_t r = m->nf; r-- > 0 && !m->err;) {
		if (t->head[r] == NIL || t->total[r] < m->minsup)
			continue;
		m->suffix[depth] = r;
		emit(m, depth + 1, t->total[r]);
		if (m->err || (m->max_len && (int)depth + 1 >= m->max_len))
			continue;
		/* The conditional pattern base of r: the prefix paths of its nodes.
		 * Count the items on them first, to keep only the frequent ones. */
		struct tree ct;
		if ((m->err = tree_init(&ct, m->nf)))
			break;
		uint32_t *cnt = ct.total; /* borrowed for the counting pass, then reset */
		int any = 0;
		for (uint32_t nd = t->head[r]; nd != NIL; nd = t->nodes[nd].link)
			for (uint32_t p = t->nodes[nd].parent; p != 0; p = t->nodes[p].parent) {
				cnt[t->nodes[p].rank] += t->nodes[nd].count;
				any = 1;
			}
		uint8_t *keep = NULL;
		if (any) {
			keep = malloc(m->nf);
			path = path ? path : malloc((m->nf ? m->nf : 1) * sizeof(uint32_t));
			if (!keep || !path)
				m->err = KH_ENOMEM;
		}
		if (any && !m->err) {
			int anykept = 0;
			for (uint32_t q = 0; q < m->nf; q++) {
				keep[q] = cnt[q] >= m->minsup;
				anykept |= keep[q];
			}
			memset(cnt, 0, m->nf * sizeof(uint32_t));
			for (uint32_t nd = t->head[r]; anykept && nd != NIL && !m->err;
			     nd = t->nodes[nd].link) {
				/* Walk up (descending ranks), then insert in ascending order. */
				size_t len = 0;
				for (uint32_t p = t->nodes[nd].parent; p != 0; p = t->nodes[p].parent)
					if (keep[t->nodes[p].rank])
						path[len++] = t->nodes[p].rank;
				for (size_t a = 0, b = len; a + 1 < b; a++, b--) {
					uint32_t tmp = path[a];
					path[a] = path[b - 1];
					path[b - 1] = tmp;
				}
				if (len)
					m->err = tree_insert(&ct, path, len, t->nodes[nd].count);
			}
			if (anykept && !m->err)
				mine(m, &ct, depth + 1);
		}
		free(keep);
		tree_release(&ct);
	}
	free(path);
}

void kh_itemsets_release(struct kh_itemsets *s)
{
	free(s->items);
	free(s->start);
	free(s->support);
	memset(s, 0, sizeof(*s));
}

struct rank_sort {
	uint32_t count, item;
};

static int cmp_rank(const void *a, const void *b)
{
	const struct rank_sort *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

enum kh_err kh_fpgrowth(const size_t *start, const uint32_t *item, size_t n_baskets,
			uint32_t n_items, double min_support, int max_len, struct kh_itemsets *s)
{
	enum kh_err err = KH_OK;
	uint32_t *count = NULL, *rank = NULL, *path = NULL, *seen = NULL;
	struct rank_sort *rs = NULL;
	struct tree t = {0};
	struct miner m = {0};

	memset(s, 0, sizeof(*s));
	if (!(min_support > 0 && min_support <= 1) || n_baskets >= NIL)
		return KH_EINVAL;
	s->baskets = n_baskets;
	count = calloc(n_items ? n_items : 1, sizeof(uint32_t));
	seen = malloc((n_items ? n_items : 1) * sizeof(uint32_t));
	rank = malloc((n_items ? n_items : 1) * sizeof(uint32_t));
	if (!count || !seen || !rank) {
		err = KH_ENOMEM;
		goto out;
	}
	/* Item supports; seen[i] = the last basket that counted item i. */
	memset(seen, 0xff, (n_items ? n_items : 1) * sizeof(uint32_t));
	size_t maxlen = 0;
	for (size_t b = 0; b < n_baskets; b++) {
		if (start[b + 1] - start[b] > maxlen)
			maxlen = start[b + 1] - start[b];
		for (size_t k = start[b]; k < start[b + 1]; k++) {
			uint32_t i = item[k];
			if (i >= n_items) {
				err = KH_EINVAL;
				goto out;
			}
			if (seen[i] != b) {
				seen[i] = (uint32_t)b;
				count[i]++;
			}
		}
	}
	double need = ceil(min_support * (double)n_baskets - 1e-9);
	m.minsup = need < 1 ? 1 : (uint32_t)need;
	/* Ranks: frequent items by descending support (ties by item id). */
	rs = malloc((n_items ? n_items : 1) * sizeof(*rs));
	if (!rs) {
		err = KH_ENOMEM;
		goto out;
	}
	uint32_t nf = 0;
	for (uint32_t i = 0; i < n_items; i++)
		if (count[i] >= m.minsup)
			rs[nf++] = (struct rank_sort){count[i], i};
	qsort(rs, nf, sizeof(*rs), cmp_rank);
	memset(rank, 0xff, (n_items ? n_items : 1) * sizeof(uint32_t));
	m.item_of = malloc((nf ? nf : 1) * sizeof(uint32_t));
	m.suffix = malloc((nf ? nf : 1) * sizeof(uint32_t));
	path = malloc((maxlen ? maxlen : 1) * sizeof(uint32_t));
	m.out_cap = 64;
	m.items_cap = 256;
	s->start = calloc(m.out_cap + 1, sizeof(size_t));
	s->support = malloc(m.out_cap * sizeof(uint32_t));
	s->items = malloc(m.items_cap * sizeof(uint32_t));
	if (!m.item_of || !m.suffix || !path || !s->start || !s->support || !s->items) {
		err = KH_ENOMEM;
		goto out;
	}
	for (uint32_t r = 0; r < nf; r++) {
		rank[rs[r].item] = r;
		m.item_of[r] = rs[r].item;
	}
	m.nf = nf;
	m.max_len = max_len;
	m.out = s;
	if ((err = tree_init(&t, nf)))
		goto out;
	memset(seen, 0xff, (n_items ? n_items : 1) * sizeof(uint32_t));
	for (size_t b = 0; b < n_baskets && !err; b++) {
		size_t len = 0;
		for (size_t k = start[b]; k < start[b + 1]; k++) {
			uint32_t i = item[k];
			if (rank[i] != NIL && seen[i] != b) {
				seen[i] = (uint32_t)b;
				path[len++] = rank[i];
			}
		}
		qsort(path, len, sizeof(uint32_t), cmp_u32);
		if (len)
			err = tree_insert(&t, path, len, 1);
	}
	if (!err) {
		mine(&m, &t, 0);
		err = m.err;
	}
out:
	tree_release(&t);
	free(count);
	free(rank);
	free(path);
	free(seen);
	free(rs);
	free(m.item_of);
	free(m.suffix);
	if (err)
		kh_itemsets_release(s);
	return err;
}

/* A hash index of the itemsets (by their sorted item lists) for the rules. */
static uint64_t hash_items(const uint32_t *it, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
	for (size_t k = 0; k < len; k++) {
		h ^= it[k];
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	return h;
}

static size_t find_set(const struct kh_itemsets *s, const size_t *slot, size_t cap,
		       const uint32_t *it, size_t len)
{
	for (size_t k = hash_items(it, len) & (cap - 1);; k = (k + 1) & (cap - 1)) {
		size_t j = slot[k];
		if (j == SIZE_MAX)
			return SIZE_MAX;
		if (s->start[j + 1] - s->start[j] == len &&
		    !memcmp(s->items + s->start[j], it, len * sizeof(uint32_t)))
			return j;
	}
}

static int cmp_rule(const void *a, const void *b)
{
	const struct kh_rule *x = a, *y = b;
	if (x->lift != y->lift)
		return x->lift > y->lift ? -1 : 1;
	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	if (x->support != y->support)
		return x->support > y->support ? -1 : 1;
	if (x->itemset != y->itemset)
		return x->itemset < y->itemset ? -1 : 1;
	return x->consequent < y->consequent ? -1 : x->consequent > y->consequent;
}

enum kh_err kh_assoc_rules(const struct kh_itemsets *s, double min_confidence,
			   struct kh_rule **rules, size_t *n_rules)
{
	size_t cap = 16;
	*rules = NULL;
	*n_rules = 0;
	while (cap < 2 * s->n)
		cap *= 2;
	size_t *slot = malloc(cap * sizeof(size_t));
	uint32_t *sub = NULL;
	size_t maxlen = 0, nr = 0, rcap = 0;
	if (!slot)
		return KH_ENOMEM;
	memset(slot, 0xff, cap * sizeof(size_t));
	for (size_t j = 0; j < s->n; j++) {
		size_t len = s->start[j + 1] - s->start[j];
		if (len > maxlen)
			maxlen = len;
		size_t k = hash_items(s->items + s->start[j], len) & (cap - 1);
		while (slot[k] != SIZE_MAX)
			k = (k + 1) & (cap - 1);
		slot[k] = j;
	}
	sub = malloc((maxlen ? maxlen : 1) * sizeof(uint32_t));
	if (!sub) {
		free(slot);
		return KH_ENOMEM;
	}
	double N = (double)s->baskets;
	for (size_t j = 0; j < s->n; j++) {
		const uint32_t *it = s->items + s->start[j];
		size_t len = s->start[j + 1] - s->start[j];
		if (len < 2)
			continue;
		for (size_t c = 0; c < len; c++) {
			/* A = the itemset without its c-th item (still sorted). */
			size_t l = 0;
			for (size_t k = 0; k < len; k++)
				if (k != c)
					sub[l++] = it[k];
			size_t a = find_set(s, slot, cap, sub, l);
			size_t ci = find_set(s, slot, cap, it + c, 1);
			/* Every subset of a frequent itemset is frequent, so both
			 * exist unless the input was not an FP-growth result. */
			if (a == SIZE_MAX || ci == SIZE_MAX)
				continue;
			double conf = (double)s->support[j] / s->support[a];
			if (conf < min_confidence)
				continue;
			if (nr == rcap) {
				rcap = rcap ? rcap * 2 : 64;
				struct kh_rule *nrl = realloc(*rules, rcap * sizeof(struct kh_rule));
				if (!nrl) {
					free(*rules);
					*rules = NULL;
					free(slot);
					free(sub);
					return KH_ENOMEM;
				}
				*rules = nrl;
			}
			(*rules)[nr++] = (struct kh_rule){a, j, it[c], s->support[j] / N, conf,
							  conf / (s->support[ci] / N)};
		}
	}
	if (nr)
		qsort(*rules, nr, sizeof(struct kh_rule), cmp_rule);
	*n_rules = nr;
	free(slot);
	free(sub);
	return KH_OK;
}

static int cmp_also(const void *a, const void *b)
{
	const struct kh_also *x = a, *y = b;
	if (x->together != y->together)
		return x->together > y->together ? -1 : 1;
	if (x->lift != y->lift)
		return x->lift > y->lift ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

enum kh_err kh_also_bought(const size_t *start, const uint32_t *item, size_t n_baskets,
			   uint32_t n_items, uint32_t product, uint32_t min_together,
			   struct kh_also *out, size_t max_out, size_t *n_out)
{
	*n_out = 0;
	if (product >= n_items || n_baskets >= NIL)
		return KH_EINVAL;
	uint32_t *supp = calloc(n_items, sizeof(uint32_t)), *tog = calloc(n_items, sizeof(uint32_t));
	uint32_t *seen = malloc(n_items * sizeof(uint32_t));
	if (!supp || !tog || !seen) {
		free(supp);
		free(tog);
		free(seen);
		return KH_ENOMEM;
	}
	memset(seen, 0xff, n_items * sizeof(uint32_t));
	for (size_t b = 0; b < n_baskets; b++) {
		int has = 0;
		for (size_t k = start[b]; k < start[b + 1]; k++) {
			if (item[k] >= n_items) {
				free(supp);
				free(tog);
				free(seen);
				return KH_EINVAL;
			}
			has |= item[k] == product;
		}
		for (size_t k = start[b]; k < start[b + 1]; k++) {
			uint32_t i = item[k];
			if (seen[i] == b)
				continue;
			seen[i] = (uint32_t)b;
			supp[i]++;
			tog[i] += has;
		}
	}
	size_t n = 0;
	for (uint32_t i = 0; i < n_items; i++)
		n += i != product && tog[i] >= min_together && tog[i] > 0;
	struct kh_also *all = malloc((n ? n : 1) * sizeof(*all));
	if (!all) {
		free(supp);
		free(tog);
		free(seen);
		return KH_ENOMEM;
	}
	n = 0;
	for (uint32_t i = 0; i < n_items; i++) {
		if (i == product || tog[i] < min_together || tog[i] == 0)
			continue;
		double conf = (double)tog[i] / supp[product];
		all[n++] = (struct kh_also){i, tog[i], conf, conf / ((double)supp[i] / n_baskets)};
	}
	qsort(all, n, sizeof(*all), cmp_also);
	*n_out = n < max_out ? n : max_out;
	memcpy(out, all, *n_out * sizeof(*all));
	free(all);
	free(supp);
	free(tog);
	free(seen);
	return KH_OK;
}
