#include "domain/dedupe.h"

#include <stdlib.h>
#include <string.h>

#include "domain/read.h"
#include "model/permission.h"
#include "util/phone.h"
#include "util/textnorm.h"
#include "util/utf8.h"

#define W_NAME 4.0
#define W_EMAIL 4.0
#define W_PHONE 4.0
#define W_ORG 2.0
#define W_CITY 1.0

/* One record, its keys as offsets into the pool (0 = none). */
struct rec {
	int64_t id;
	uint32_t name, email, org, city; /* offsets of NUL-terminated keys in pool */
	uint64_t phone[2];               /* hashes of the phone keys */
	uint64_t pinyin;                 /* hash of the name's pinyin */
	int64_t account;                 /* account_id, when the entity has one */
};

struct pair {
	uint32_t a, b;
	float score;
	unsigned char reasons; /* bits: name, email, phone, org, city, pinyin */
};

struct kh_dedupe {
	const struct kh_entity *e;
	struct rec *recs;
	size_t nrecs;
	struct kh_buf pool;
	struct pair *pairs;
	size_t npairs, cappairs;
	int64_t compared;
	/* Clusters: members sorted by cluster, best first. */
	uint32_t *members;
	size_t nmembers;
	struct {
		size_t first, n;
		float score;
	} *clusters;
	size_t nclusters;
	struct kh_dedupe_opts o;
};

/* ---- similarity ---- */

static size_t cps(const char *s, size_t n, uint32_t *out, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < max;) {
		int len = kh_utf8_decode(s + i, n - i, &out[k]);
		i += len > 0 ? (size_t)len : 1;
		k++;
	}
	return k;
}

double kh_jaro_winkler(const char *a, size_t an, const char *b, size_t bn)
{
	uint32_t x[64], y[64];
	size_t n = cps(a, an, x, 64), m = cps(b, bn, y, 64);
	if (!n && !m)
		return 1.0;
	if (!n || !m)
		return 0.0;
	size_t range = (n > m ? n : m) / 2;
	range = range ? range - 1 : 0;
	unsigned char xm[64] = {0}, ym[64] = {0};
	size_t matches = 0;
	for (size_t i = 0; i < n; i++) {
		size_t lo = i > range ? i - range : 0, hi = i + range + 1 < m ? i + range + 1 : m;
		for (size_t j = lo; j < hi; j++)
			if (!ym[j] && x[i] == y[j]) {
				xm[i] = ym[j] = 1;
				matches++;
				break;
			}
	}
	if (!matches)
		return 0.0;
	size_t t = 0, k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!xm[i])
			continue;
		while (!ym[k])
			k++;
		t += x[i] != y[k];
		k++;
	}
	double mm = (double)matches;
	double jaro = (mm / (double)n + mm / (double)m + (mm - (double)t / 2.0) / mm) / 3.0;
	size_t prefix = 0;
	while (prefix < 4 && prefix < n && prefix < m && x[prefix] == y[prefix])
		prefix++;
	return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

static uint64_t hash(const char *tag, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *tag; tag++)
		h = (h ^ (unsigned char)*tag) * 1099511628211ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	h ^= h >> 31;
	return h ? h : 1;
}

/* ---- loading ---- */

static uint32_t pool_add(struct kh_dedupe *d, const char *s, size_t n)
{
	if (!n)
		return 0;
	uint32_t off = (uint32_t)d->pool.len;
	kh_buf_add(&d->pool, s, n);
	kh_buf_addc(&d->pool, '\0');
	return off;
}

#define S(d, off) ((d)->pool.data + (off))

enum { R_NAME = 1, R_EMAIL = 2, R_PHONE = 4, R_ORG = 8, R_CITY = 16, R_PINYIN = 32 };

static void score(struct kh_dedupe *d, uint32_t i, uint32_t j)
{
	const struct rec *a = &d->recs[i], *b = &d->recs[j];
	double sum = 0, weight = 0, name = 0;
	unsigned char why = 0;
	if (a->name && b->name) {
		const char *x = S(d, a->name), *y = S(d, b->name);
		name = kh_jaro_winkler(x, strlen(x), y, strlen(y));
		if (name < 0.9 && a->pinyin && a->pinyin == b->pinyin) {
			name = 0.9;
			why |= R_PINYIN;
		}
		if (name >= 0.85)
			why |= R_NAME;
		sum += W_NAME * name, weight += W_NAME;
	}
	if (a->email && b->email) {
		int eq = !strcmp(S(d, a->email), S(d, b->email));
		sum += W_EMAIL * eq, weight += W_EMAIL;
		why |= eq ? R_EMAIL : 0;
	}
	if ((a->phone[0] || a->phone[1]) && (b->phone[0] || b->phone[1])) {
		int eq = 0;
		for (int p = 0; p < 2; p++)
			for (int q = 0; q < 2; q++)
				eq |= a->phone[p] && a->phone[p] == b->phone[q];
		sum += W_PHONE * eq, weight += W_PHONE;
		why |= eq ? R_PHONE : 0;
	}
	if (a->account && b->account) {
		int eq = a->account == b->account;
		sum += W_ORG * eq, weight += W_ORG;
		why |= eq ? R_ORG : 0;
	} else if (a->org && b->org) {
		const char *x = S(d, a->org), *y = S(d, b->org);
		double s = kh_jaro_winkler(x, strlen(x), y, strlen(y));
		sum += W_ORG * s, weight += W_ORG;
		why |= s >= 0.9 ? R_ORG : 0;
	}
	if (a->city && b->city) {
		int eq = !strcmp(S(d, a->city), S(d, b->city));
		sum += W_CITY * eq, weight += W_CITY;
		why |= eq ? R_CITY : 0;
	}
	d->compared++;
	if (weight == 0)
		return;
	double s = sum / weight;
	if (!(why & (R_EMAIL | R_PHONE)) && s > 0.7)
		s = 0.7; /* a name (and a company, a city) is not enough on its own */
	if (s < d->o.threshold)
		return;
	if (d->npairs == d->cappairs) {
		size_t cap = d->cappairs ? d->cappairs * 2 : 1024;
		struct pair *p = realloc(d->pairs, cap * sizeof *p);
		if (!p)
			return;
		d->pairs = p;
		d->cappairs = cap;
	}
	d->pairs[d->npairs++] = (struct pair){i, j, (float)s, why};
}

struct bkey {
	uint64_t key;
	uint32_t rec;
};

static int cmp_bkey(const void *p, const void *q)
{
	const struct bkey *a = p, *b = q;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return (a->rec > b->rec) - (a->rec < b->rec);
}

static int cmp_pair(const void *p, const void *q)
{
	const struct pair *a = p, *b = q;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

static uint32_t find(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x)
		x = parent[x] = parent[parent[x]];
	return x;
}

void kh_dedupe_free(struct kh_dedupe *d)
{
	if (!d)
		return;
	free(d->recs);
	free(d->pairs);
	free(d->members);
	free(d->clusters);
	kh_buf_release(&d->pool);
	free(d);
}

int64_t kh_dedupe_scanned(const struct kh_dedupe *d)
{
	return (int64_t)d->nrecs;
}

int64_t kh_dedupe_nclusters(const struct kh_dedupe *d)
{
	return (int64_t)d->nclusters;
}

static const char *col_name(const struct kh_entity *e, const char *a, const char *b)
{
	if (kh_field_find(e, a))
		return a;
	if (b && kh_field_find(e, b))
		return b;
	return "NULL";
}

static enum kh_err load(struct kh_ctx *ctx, struct kh_dedupe *d, kh_dedupe_progress progress, void *cls)
{
	const struct kh_entity *e = d->e;
	struct kh_buf sql = KH_BUF_INIT;
	const char *org = kh_field_find(e, "account_id") ? "account_id" : col_name(e, "company", NULL);
	kh_buf_addf(&sql, "SELECT id, %s, %s, %s, %s, %s, %s FROM %s WHERE archived_at IS NULL", e->title->name,
		    col_name(e, "email", NULL), col_name(e, "mobile", NULL), col_name(e, "phone", NULL), org,
		    col_name(e, "city", NULL), e->name);
	struct kh_val p[8];
	int n = 0;
	kh_scope_sql(ctx->who, e, KH_ACT_READ, &sql, p, &n, 8);
	/* Clusters list their records in the order they were read: by id on every
	 * engine (SQLite reads a table in id order anyway; PostgreSQL in the order
	 * rows sit in the heap, which updates change). */
	kh_buf_adds(&sql, " ORDER BY id");
	int64_t total = 0;
	if (progress) {
		char count[128];
		snprintf(count, sizeof count, "SELECT count(*) FROM %s WHERE archived_at IS NULL", e->name);
		kh_db_int(ctx->db, count, NULL, 0, &total);
	}
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read %s", e->name);
	size_t cap = total > 0 ? (size_t)total + 16 : 1024;
	d->recs = malloc(cap * sizeof *d->recs);
	struct kh_buf key = KH_BUF_INIT;
	int rc = 0;
	pool_add(d, "", 1); /* offset 0 means "none" */
	while (d->recs && (rc = kh_rows_next(ctx->db, rows)) > 0) {
		if (d->nrecs == cap) {
			struct rec *nr = realloc(d->recs, cap * 2 * sizeof *nr);
			if (!nr)
				break;
			d->recs = nr;
			cap *= 2;
		}
		struct rec *r = &d->recs[d->nrecs];
		memset(r, 0, sizeof *r);
		r->id = kh_rows_col(ctx->db, rows, 0).i;
		struct kh_val v = kh_rows_col(ctx->db, rows, 1);
		if (v.t == KH_V_TEXT) {
			kh_buf_reset(&key);
			kh_name_key(&key, v.s, v.n);
			r->name = pool_add(d, key.data, key.len);
			kh_buf_reset(&key);
			kh_pinyin_key(&key, v.s, v.n);
			r->pinyin = key.len ? hash("y", key.data, key.len) : 0;
		}
		if ((v = kh_rows_col(ctx->db, rows, 2)).t == KH_V_TEXT) {
			kh_buf_reset(&key);
			kh_email_key(&key, v.s, v.n);
			r->email = pool_add(d, key.data, key.len);
		}
		for (int k = 0; k < 2; k++) {
			char pk[KH_PHONE_KEY_MAX];
			size_t pn;
			if ((v = kh_rows_col(ctx->db, rows, 3 + k)).t == KH_V_TEXT && (pn = kh_phone_key(v.s, v.n, pk)))
				r->phone[k] = hash("p", pk, pn);
		}
		if (r->phone[1] == r->phone[0])
			r->phone[1] = 0;
		v = kh_rows_col(ctx->db, rows, 5);
		if (v.t == KH_V_INT) {
			r->account = v.i;
		} else if (v.t == KH_V_TEXT) {
			kh_buf_reset(&key);
			kh_name_key(&key, v.s, v.n);
			r->org = pool_add(d, key.data, key.len);
		}
		if ((v = kh_rows_col(ctx->db, rows, 6)).t == KH_V_TEXT) {
			kh_buf_reset(&key);
			kh_name_key(&key, v.s, v.n);
			r->city = pool_add(d, key.data, key.len);
		}
		d->nrecs++;
		if (progress && (d->nrecs & 0xffff) == 0)
			progress(cls, "reading", (int64_t)d->nrecs, total);
	}
	kh_rows_end(ctx->db, rows);
	kh_buf_release(&key);
	if (!d->recs || d->pool.err || d->pool.len > UINT32_MAX || rc < 0)
		return kh_errinfo_set(ctx->ei, rc < 0 ? (enum kh_err)-rc : KH_ENOMEM, "cannot read %s", e->name);
	return KH_OK;
}

enum kh_err kh_dedupe_scan(struct kh_ctx *ctx, const struct kh_entity *e, const struct kh_dedupe_opts *o,
			   kh_dedupe_progress progress, void *cls, struct kh_dedupe **out)
{
	*out = NULL;
	if (!e->title || e->title->type != KH_T_STRING || (!kh_field_find(e, "email") && !kh_field_find(e, "phone")))
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "%s have no names, e-mails or phones to compare", e->name);
	struct kh_dedupe *d = calloc(1, sizeof *d);
	if (!d)
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	d->e = e;
	d->o = *o;
	if (d->o.threshold <= 0 || d->o.threshold > 1)
		d->o.threshold = 0.8;
	if (d->o.limit <= 0)
		d->o.limit = 100;
	if (d->o.max_block < 2)
		d->o.max_block = 50;
	kh_buf_init(&d->pool, 0);
	enum kh_err err = load(ctx, d, progress, cls);
	if (err) {
		kh_dedupe_free(d);
		return err;
	}
	/* Blocking keys: e-mail, phones, name+city, pinyin+city. */
	size_t nk = 0;
	struct bkey *keys = malloc((d->nrecs * 5 + 1) * sizeof *keys);
	struct kh_buf k = KH_BUF_INIT;
	for (size_t i = 0; keys && i < d->nrecs; i++) {
		struct rec *r = &d->recs[i];
		const char *city = r->city ? S(d, r->city) : "";
		if (r->email)
			keys[nk++] = (struct bkey){hash("e", S(d, r->email), strlen(S(d, r->email))), (uint32_t)i};
		for (int p = 0; p < 2; p++)
			if (r->phone[p])
				keys[nk++] = (struct bkey){r->phone[p], (uint32_t)i};
		if (r->name) {
			kh_buf_reset(&k);
			kh_buf_addf(&k, "%s\x1f%s", S(d, r->name), city);
			keys[nk++] = (struct bkey){hash("n", k.data, k.len), (uint32_t)i};
		}
		if (r->pinyin) {
			kh_buf_reset(&k);
			kh_buf_addf(&k, "%llx\x1f%s", (unsigned long long)r->pinyin, city);
			keys[nk++] = (struct bkey){hash("y", k.data, k.len), (uint32_t)i};
		}
	}
	kh_buf_release(&k);
	if (!keys) {
		kh_dedupe_free(d);
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	}
	if (progress)
		progress(cls, "blocking", 0, (int64_t)nk);
	if (nk > 1)
		qsort(keys, nk, sizeof *keys, cmp_bkey);
	for (size_t i = 0; i < nk;) {
		size_t j = i + 1;
		while (j < nk && keys[j].key == keys[i].key)
			j++;
		if (j - i >= 2 && j - i <= (size_t)d->o.max_block)
			for (size_t a = i; a < j; a++)
				for (size_t b = a + 1; b < j; b++)
					if (keys[a].rec != keys[b].rec)
						score(d, keys[a].rec, keys[b].rec);
		i = j;
		if (progress && (i & 0xfffff) < (j - i + 1))
			progress(cls, "comparing", (int64_t)i, (int64_t)nk);
	}
	free(keys);
	/* The same pair found through several keys counts once. */
	if (d->npairs > 1)
		qsort(d->pairs, d->npairs, sizeof *d->pairs, cmp_pair);
	size_t w = 0;
	for (size_t i = 0; i < d->npairs; i++)
		if (!w || d->pairs[i].a != d->pairs[w - 1].a || d->pairs[i].b != d->pairs[w - 1].b)
			d->pairs[w++] = d->pairs[i];
	d->npairs = w;
	/* Clusters by union-find over the pairs. */
	uint32_t *parent = malloc(d->nrecs * sizeof *parent);
	if (!parent) {
		kh_dedupe_free(d);
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < d->nrecs; i++)
		parent[i] = (uint32_t)i;
	for (size_t i = 0; i < d->npairs; i++) {
		uint32_t a = find(parent, d->pairs[i].a), b = find(parent, d->pairs[i].b);
		if (a != b)
			parent[a > b ? a : b] = a < b ? a : b;
	}
	/* Members of each cluster: records whose root has a pair, grouped by root. */
	d->members = malloc((d->npairs * 2 + 1) * sizeof *d->members);
	size_t nm = 0;
	for (size_t i = 0; d->members && i < d->npairs; i++) {
		d->members[nm++] = d->pairs[i].a;
		d->members[nm++] = d->pairs[i].b;
	}
	/* Sort members by (root, record) and drop repeats. */
	struct bkey *mk = malloc((nm + 1) * sizeof *mk);
	for (size_t i = 0; mk && i < nm; i++)
		mk[i] = (struct bkey){find(parent, d->members[i]), d->members[i]};
	if (mk && nm > 1)
		qsort(mk, nm, sizeof *mk, cmp_bkey);
	size_t u = 0;
	for (size_t i = 0; mk && i < nm; i++)
		if (!u || mk[i].key != mk[u - 1].key || mk[i].rec != mk[u - 1].rec)
			mk[u++] = mk[i];
	d->clusters = calloc(u + 1, sizeof *d->clusters);
	for (size_t i = 0; mk && d->clusters && i < u; i++) {
		d->members[i] = mk[i].rec;
		if (!i || mk[i].key != mk[i - 1].key)
			d->clusters[d->nclusters++].first = i;
		d->clusters[d->nclusters - 1].n++;
	}
	d->nmembers = u;
	/* A cluster's score is its best pair's. */
	for (size_t i = 0; d->clusters && i < d->npairs; i++) {
		uint32_t root = find(parent, d->pairs[i].a);
		/* clusters are in root order: binary search */
		size_t lo = 0, hi = d->nclusters;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			uint32_t r = find(parent, d->members[d->clusters[mid].first]);
			if (r < root)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < d->nclusters && d->pairs[i].score > d->clusters[lo].score)
			d->clusters[lo].score = d->pairs[i].score;
	}
	free(mk);
	free(parent);
	if (!d->members || !d->clusters) {
		kh_dedupe_free(d);
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	}
	*out = d;
	return KH_OK;
}

enum kh_err kh_dedupe_json(struct kh_ctx *ctx, const struct kh_dedupe *d, struct kh_jw *w, int with_records)
{
	/* Best clusters first: an index sorted by score, ties by first record id. */
	size_t *order = malloc((d->nclusters + 1) * sizeof *order);
	if (!order)
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	for (size_t i = 0; i < d->nclusters; i++)
		order[i] = i;
	/* The best `limit` by selection: limit is small, the clusters may be many. */
	size_t limit = (size_t)d->o.limit < d->nclusters ? (size_t)d->o.limit : d->nclusters;
	for (size_t i = 0; i < limit; i++) {
		size_t best = i;
		for (size_t j = i + 1; j < d->nclusters; j++)
			if (d->clusters[order[j]].score > d->clusters[order[best]].score)
				best = j;
		size_t t = order[i];
		order[i] = order[best];
		order[best] = t;
	}
	static const char *const reason_names[] = {"name", "email", "phone", "company", "city", "pinyin"};
	kh_jw_obj(w);
	kh_jw_key(w, "entity");
	kh_jw_str(w, d->e->name);
	kh_jw_key(w, "scanned");
	kh_jw_int(w, (int64_t)d->nrecs);
	kh_jw_key(w, "compared");
	kh_jw_int(w, d->compared);
	kh_jw_key(w, "threshold");
	kh_jw_double(w, d->o.threshold);
	kh_jw_key(w, "clusters");
	kh_jw_int(w, (int64_t)d->nclusters);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	enum kh_err err = KH_OK;
	for (size_t c = 0; c < limit && !err; c++) {
		const __typeof__(d->clusters[0]) *cl = &d->clusters[order[c]];
		kh_jw_obj(w);
		kh_jw_key(w, "score");
		kh_jw_double(w, (double)(int)(cl->score * 1000 + 0.5) / 1000);
		kh_jw_key(w, "ids");
		kh_jw_arr(w);
		for (size_t m = 0; m < cl->n; m++)
			kh_jw_int(w, d->recs[d->members[cl->first + m]].id);
		kh_jw_arr_end(w);
		kh_jw_key(w, "pairs");
		kh_jw_arr(w);
		for (size_t m = 0; m < cl->n; m++) {
			uint32_t a = d->members[cl->first + m];
			/* pairs are sorted by (a, b): the pairs that start at a */
			size_t lo = 0, hi = d->npairs;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (d->pairs[mid].a < a)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (size_t p = lo; p < d->npairs && d->pairs[p].a == a; p++) {
				kh_jw_obj(w);
				kh_jw_key(w, "a");
				kh_jw_int(w, d->recs[d->pairs[p].a].id);
				kh_jw_key(w, "b");
				kh_jw_int(w, d->recs[d->pairs[p].b].id);
				kh_jw_key(w, "score");
				kh_jw_double(w, (double)(int)(d->pairs[p].score * 1000 + 0.5) / 1000);
				kh_jw_key(w, "reasons");
				kh_jw_arr(w);
				for (int r = 0; r < 6; r++)
					if (d->pairs[p].reasons & (1 << r))
						kh_jw_str(w, reason_names[r]);
				kh_jw_arr_end(w);
				kh_jw_obj_end(w);
			}
		}
		kh_jw_arr_end(w);
		if (with_records) {
			kh_jw_key(w, "records");
			kh_jw_arr(w);
			for (size_t m = 0; m < cl->n && !err; m++)
				err = kh_record_get(ctx, d->e, d->recs[d->members[cl->first + m]].id, w, NULL);
			kh_jw_arr_end(w);
		}
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	free(order);
	return err;
}
