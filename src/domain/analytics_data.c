/* The analytics dataset: growable line arrays and the tables that number
 * customers, products and orders as the loaders meet them (analytics.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/analytics.h"

/* An open-addressing map from a key (text, or an integer id) to an index
 * 0..n-1. Text keys are copied into one growing pool. A slot holds the hash,
 * the index and the first eight bytes of the key, so that a lookup of a short
 * key (customer numbers, SKUs) touches one cache line and never the pool:
 * with ten million lookups, the misses were most of a CSV load. */
struct slot {
	uint64_t hash;
	uint64_t head; /* the key's first 8 bytes (text), or the id */
	uint32_t idx;  /* index + 1; 0 is empty */
	uint32_t len;  /* text: the key's length */
};

struct map {
	struct slot *slot;
	size_t cap, n;
	/* Keys by index: an offset into pool (text) or the id itself. */
	int64_t *key;
	size_t keycap;
	char *pool;
	size_t plen, pcap;
};

struct priv {
	struct map cust, product, order;
	/* The last customer key and its index: a transaction log lists an
	 * order's lines together, so most lookups repeat the one before. */
	char last[64];
	size_t last_len;
	int64_t last_idx;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a, then a final mix */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

static uint64_t hash_int(int64_t v)
{
	uint64_t h = (uint64_t)v * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 31);
}

static uint64_t head_of(const char *s, size_t n)
{
	uint64_t h = 0;
	memcpy(&h, s, n < 8 ? n : 8);
	return h;
}

static void map_free(struct map *m)
{
	free(m->slot);
	free(m->key);
	free(m->pool);
	memset(m, 0, sizeof(*m));
}

static int map_grow(struct map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 4096;
	struct slot *slot = calloc(cap, sizeof(struct slot));
	if (!slot)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slot[i].idx)
			continue;
		size_t h = m->slot[i].hash & (cap - 1);
		while (slot[h].idx)
			h = (h + 1) & (cap - 1);
		slot[h] = m->slot[i];
	}
	free(m->slot);
	m->slot = slot;
	m->cap = cap;
	return 0;
}

static const char *map_text(const struct map *m, uint32_t idx)
{
	return m->pool + m->key[idx];
}

/* Finds or adds a key: text (s, n) when s is not NULL, else the integer id.
 * add = 0 only looks. Returns the index, -1 if absent (look) or out of memory. */
static int64_t map_get(struct map *m, const char *s, size_t n, int64_t id, int add)
{
	if (add && (m->n + 1) * 2 > m->cap && map_grow(m))
		return -1;
	if (!m->cap || (s && n > UINT32_MAX))
		return -1;
	uint64_t h = s ? hash_bytes(s, n) : hash_int(id), head = s ? head_of(s, n) : (uint64_t)id;
	size_t i = h & (m->cap - 1);
	while (m->slot[i].idx) {
		const struct slot *e = &m->slot[i];
		if (e->hash == h && e->head == head &&
		    (!s || (e->len == n && (n <= 8 || !memcmp(map_text(m, e->idx - 1), s, n)))))
			return e->idx - 1;
		i = (i + 1) & (m->cap - 1);
	}
	if (!add || m->n >= UINT32_MAX - 1)
		return -1;
	if (m->n == m->keycap) {
		size_t kc = m->keycap ? m->keycap * 2 : 4096;
		int64_t *k = realloc(m->key, kc * sizeof(int64_t));
		if (!k)
			return -1;
		m->key = k;
		m->keycap = kc;
	}
	if (s) {
		if (m->plen + n + 1 > m->pcap) {
			size_t pc = m->pcap ? m->pcap * 2 : 65536;
			while (pc < m->plen + n + 1)
				pc *= 2;
			char *p = realloc(m->pool, pc);
			if (!p)
				return -1;
			m->pool = p;
			m->pcap = pc;
		}
		memcpy(m->pool + m->plen, s, n);
		m->pool[m->plen + n] = '\0';
		m->key[m->n] = (int64_t)m->plen;
		m->plen += n + 1;
	} else {
		m->key[m->n] = id;
	}
	m->slot[i] = (struct slot){h, head, (uint32_t)(++m->n), (uint32_t)n};
	return (int64_t)(m->n - 1);
}

void kh_an_data_init(struct kh_an_data *d)
{
	memset(d, 0, sizeof(*d));
	d->first_day = INT32_MAX;
	d->last_day = INT32_MIN;
	d->priv = calloc(1, sizeof(struct priv));
}

static void free_strings(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void kh_an_data_release(struct kh_an_data *d)
{
	free(d->cust);
	free(d->day);
	free(d->amount);
	free(d->order);
	free(d->product);
	free(d->cogs);
	free(d->cust_id);
	free(d->product_id);
	free_strings(d->product_name, d->n_products);
	free(d->product_cat);
	free_strings(d->category_name, d->n_categories);
	free(d->case_cust);
	free(d->case_day);
	free(d->case_complaint);
	free(d->case_satisfaction);
	struct priv *p = d->priv;
	if (p) {
		map_free(&p->cust);
		map_free(&p->product);
		map_free(&p->order);
		free(p);
	}
	memset(d, 0, sizeof(*d));
}

/* Customer keys are pointers into the map's pool, which moves as it grows:
 * they are fixed up once the data is complete (kh_an_customer_key keeps the
 * offsets and resolves lazily through the map). */
int64_t kh_an_customer_key(struct kh_an_data *d, const char *key, size_t n)
{
	struct priv *p = d->priv;
	if (!p)
		return -1;
	if (p->last_len && n == p->last_len && !memcmp(p->last, key, n))
		return p->last_idx;
	int64_t c = map_get(&p->cust, key, n, 0, 1);
	if (c >= 0 && n <= sizeof p->last) {
		memcpy(p->last, key, n);
		p->last_len = n;
		p->last_idx = c;
	}
	if (c >= 0 && (size_t)c == d->n_cust) {
		d->n_cust++;
		/* A key is numeric if it is an optional minus and 1-18 digits
		 * without a leading zero ("0017" is a code, and not JSON). */
		size_t i = n && key[0] == '-', digits = n - i;
		int numeric = digits >= 1 && digits <= 18 && (digits == 1 || key[i] != '0');
		for (; numeric && i < n; i++)
			numeric = key[i] >= '0' && key[i] <= '9';
		d->keys_numeric = (d->n_cust == 1 || d->keys_numeric) && numeric;
	}
	return c;
}

int64_t kh_an_customer_id(struct kh_an_data *d, int64_t id)
{
	struct priv *p = d->priv;
	if (!p)
		return -1;
	int64_t c = map_get(&p->cust, NULL, 0, id, 1);
	if (c >= 0 && (size_t)c == d->n_cust)
		d->n_cust++;
	return c;
}

int64_t kh_an_find_customer(const struct kh_an_data *d, int64_t id)
{
	struct priv *p = d->priv;
	return p ? map_get(&p->cust, NULL, 0, id, 0) : -1;
}

int64_t kh_an_find_customer_key(const struct kh_an_data *d, const char *key, size_t n)
{
	struct priv *p = d->priv;
	return p && p->cust.pool ? map_get(&p->cust, key, n, 0, 0) : -1;
}

int64_t kh_an_product_key(struct kh_an_data *d, const char *key, size_t n)
{
	struct priv *p = d->priv;
	if (!p)
		return -1;
	int64_t k = map_get(&p->product, key, n, 0, 1);
	if (k >= 0 && (uint32_t)k == d->n_products)
		d->n_products++;
	return k;
}

int64_t kh_an_order_key(struct kh_an_data *d, const char *key, size_t n)
{
	/* Orders only need to be told apart: a plain number is its own id, and
	 * anything else ("C536379") is numbered below zero, so the two never
	 * meet and the common case costs no lookup. */
	if (n >= 1 && n <= 18) {
		int64_t v = 0;
		size_t i;
		for (i = 0; i < n && key[i] >= '0' && key[i] <= '9'; i++)
			v = v * 10 + (key[i] - '0');
		if (i == n)
			return v;
	}
	struct priv *p = d->priv;
	int64_t k = p ? map_get(&p->order, key, n, 0, 1) : -1;
	return k < 0 ? INT64_MIN : -(k + 1);
}

/* The text of a customer key (CSV). */
static const char *cust_text(const struct kh_an_data *d, size_t c)
{
	const struct priv *p = d->priv;
	return map_text(&p->cust, (uint32_t)c);
}

const char *kh_an_product_label(const struct kh_an_data *d, uint32_t k)
{
	if (d->product_name)
		return k < d->n_products && d->product_name[k] ? d->product_name[k] : "";
	const struct priv *p = d->priv;
	return k < p->product.n && p->product.pool ? map_text(&p->product, k) : "";
}

enum kh_err kh_an_data_finish(struct kh_an_data *d)
{
	struct priv *p = d->priv;
	if (!p || p->cust.pool || d->cust_id)
		return KH_OK; /* text keys: nothing to do */
	d->cust_id = malloc((d->n_cust ? d->n_cust : 1) * sizeof(int64_t));
	if (!d->cust_id)
		return KH_ENOMEM;
	if (d->n_cust)
		memcpy(d->cust_id, p->cust.key, d->n_cust * sizeof(int64_t));
	return KH_OK;
}

enum kh_err kh_an_add_line(struct kh_an_data *d, uint32_t cust, int32_t day, double amount, int64_t order,
			   int64_t product, double cogs)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 65536;
		uint32_t *c = realloc(d->cust, cap * sizeof(uint32_t));
		if (c)
			d->cust = c;
		int32_t *dy = realloc(d->day, cap * sizeof(int32_t));
		if (dy)
			d->day = dy;
		double *a = realloc(d->amount, cap * sizeof(double));
		if (a)
			d->amount = a;
		int64_t *o = realloc(d->order, cap * sizeof(int64_t));
		if (o)
			d->order = o;
		uint32_t *p = realloc(d->product, cap * sizeof(uint32_t));
		if (p)
			d->product = p;
		double *g = realloc(d->cogs, cap * sizeof(double));
		if (g)
			d->cogs = g;
		if (!c || !dy || !a || !o || !p || !g)
			return KH_ENOMEM;
		d->cap = cap;
	}
	size_t i = d->n++;
	d->cust[i] = cust;
	d->day[i] = day;
	d->amount[i] = amount;
	d->order[i] = order;
	d->product[i] = product >= 0 ? (uint32_t)product : 0;
	d->cogs[i] = cogs;
	if (day < d->first_day)
		d->first_day = day;
	if (day > d->last_day)
		d->last_day = day;
	return KH_OK;
}

void kh_an_write_customer(const struct kh_an_data *d, size_t c, struct kh_jw *w)
{
	if (d->cust_id) {
		kh_jw_int(w, d->cust_id[c]);
		return;
	}
	const char *s = cust_text(d, c);
	if (d->keys_numeric) {
		kh_jw_raw(w, s, strlen(s));
		return;
	}
	kh_jw_str(w, s);
}

int32_t kh_an_as_of(const struct kh_an_data *d, const struct kh_an_opts *o)
{
	return o->as_of != INT32_MIN ? o->as_of : d->last_day;
}

void kh_an_opts_init(struct kh_an_opts *o)
{
	*o = (struct kh_an_opts){
		.as_of = INT32_MIN,
		.calibration_end = INT32_MIN,
		.unit = 7,
		.months = 12,
		.discount = 0.01,
		.margin = 1,
		.churn_days = 90,
		.lambda = 1,
		.kmin = 2,
		.kmax = 8,
		.min_support = 0.005,
		.min_confidence = 0.1,
		.max_len = 3,
		.product = -1,
		.customer = -1,
		.life = KH_LIFECYCLE_DEFAULTS,
		.flow_months = 12,
		.case_cost = 50,
		.limit = SIZE_MAX,
	};
}

void kh_an_flush(struct kh_an_out *o, int force)
{
	struct kh_buf *b = o->w->b;
	if (!o->f || (!force && b->len < (256u << 10)))
		return;
	fwrite(b->data, 1, b->len, o->f);
	kh_buf_reset(b);
}

void kh_an_scores_release(struct kh_an_scores *s)
{
	free(s->r);
	free(s->f);
	free(s->m);
	free(s->rfm_segment);
	free(s->abc);
	free(s->stage);
	free(s->segment);
	free(s->recency);
	free(s->frequency);
	free(s->monetary);
	free(s->clv);
	free(s->p_alive);
	free(s->expected);
	free(s->churn);
	free(s->profit);
	free(s->reasons);
	memset(s, 0, sizeof(*s));
}
