/* The OLAP cube over orders (their lines) and opportunities: facts loaded
 * within the principal's scope, dimensions encoded as codes, and the kernel of
 * analytics/cube.h to aggregate them (analytics_cube.h).
 *
 * Dimensions and their hierarchies (drilling down goes one level deeper):
 *   time      year > quarter > month   (order date; an opportunity's close
 *                                       date, or expected close date while open)
 *   geography region > city            (the customer's province and city)
 *   product   category > product       (orders only)
 *   segment                             (the customer's stored RFM segment)
 *   owner                               (who owns the order or opportunity)
 *   stage                               (opportunities only) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/cube.h"
#include "domain/analytics_cube.h"
#include "model/permission.h"
#include "util/clock.h"

enum dim { D_YEAR, D_QUARTER, D_MONTH, D_REGION, D_CITY, D_CATEGORY, D_PRODUCT, D_SEGMENT, D_OWNER, D_STAGE, D_COUNT };

static const char *const dim_names[D_COUNT] = {"year", "quarter", "month", "region", "city", "category",
	"product", "segment", "owner", "stage"};
/* The level below each, for drill-down; NULL at the bottom. */
static const char *const drill[D_COUNT] = {"quarter", "month", NULL, "city", NULL, "product", NULL, NULL, NULL, NULL};

static const char *const order_measures[] = {"revenue", "quantity", "cost", "margin", NULL};
static const char *const opp_measures[] = {"amount", "weighted", "won", NULL};

/* ---- a dictionary of member labels ---- */

struct dict {
	char **label;
	size_t n, cap;
	uint32_t *slot; /* index + 1 */
	size_t scap;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static int dict_grow(struct dict *d)
{
	size_t cap = d->scap ? d->scap * 2 : 64;
	uint32_t *slot = calloc(cap, sizeof(uint32_t));
	if (!slot)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		size_t h = hash(d->label[i]) & (cap - 1);
		while (slot[h])
			h = (h + 1) & (cap - 1);
		slot[h] = (uint32_t)i + 1;
	}
	free(d->slot);
	d->slot = slot;
	d->scap = cap;
	return 0;
}

/* The code of a label, added if new; UINT32_MAX when out of memory. */
static uint32_t dict_code(struct dict *d, const char *s)
{
	if ((d->n + 1) * 2 > d->scap && dict_grow(d))
		return UINT32_MAX;
	size_t h = hash(s) & (d->scap - 1);
	while (d->slot[h]) {
		if (!strcmp(d->label[d->slot[h] - 1], s))
			return d->slot[h] - 1;
		h = (h + 1) & (d->scap - 1);
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		char **l = realloc(d->label, cap * sizeof(char *));
		if (!l)
			return UINT32_MAX;
		d->label = l;
		d->cap = cap;
	}
	char *copy = strdup(s);
	if (!copy)
		return UINT32_MAX;
	d->label[d->n] = copy;
	d->slot[h] = (uint32_t)++d->n;
	return (uint32_t)(d->n - 1);
}

/* The code of a label if it is a member, else UINT32_MAX. */
static uint32_t dict_find(const struct dict *d, const char *s)
{
	if (!d->scap)
		return UINT32_MAX;
	size_t h = hash(s) & (d->scap - 1);
	while (d->slot[h]) {
		if (!strcmp(d->label[d->slot[h] - 1], s))
			return d->slot[h] - 1;
		h = (h + 1) & (d->scap - 1);
	}
	return UINT32_MAX;
}

static void dict_free(struct dict *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->label[i]);
	free(d->label);
	free(d->slot);
	memset(d, 0, sizeof(*d));
}

/* ---- lookups by id: dense arrays of codes ---- */

struct idmap {
	int64_t min, n;
	uint32_t *code[2]; /* two dimensions per entity at most (region, city) */
};

static void idmap_free(struct idmap *m)
{
	free(m->code[0]);
	free(m->code[1]);
	memset(m, 0, sizeof(*m));
}

static uint32_t idmap_get(const struct idmap *m, int k, int64_t id, uint32_t none)
{
	return m->code[k] && id >= m->min && id - m->min < m->n ? m->code[k][id - m->min] : none;
}

static enum kh_err span(struct kh_db *db, const char *table, struct idmap *m)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT COALESCE(MIN(id), 1), COALESCE(MAX(id), 0) FROM %s", table);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db, sql, NULL, 0, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows);
	if (rc > 0) {
		m->min = kh_rows_col(db, rows, 0).i;
		m->n = kh_rows_col(db, rows, 1).i - m->min + 1;
	}
	kh_rows_end(db, rows);
	if (rc <= 0)
		return rc < 0 ? (enum kh_err)-rc : KH_EDB;
	if (m->n < 0)
		m->n = 0;
	if (m->n > (int64_t)1 << 31)
		return KH_EINVAL;
	return KH_OK;
}

static enum kh_err idmap_alloc(struct idmap *m, int k, uint32_t none)
{
	m->code[k] = malloc((size_t)(m->n ? m->n : 1) * sizeof(uint32_t));
	if (!m->code[k])
		return KH_ENOMEM;
	for (int64_t i = 0; i < m->n; i++)
		m->code[k][i] = none;
	return KH_OK;
}

/* ---- the query ---- */

struct cube {
	struct kh_ctx *ctx;
	int orders; /* the fact table: 1 orders, 0 opportunities */
	int want[D_COUNT]; /* dimension used by the query (group or filter) */
	struct dict dict[D_COUNT];
	uint32_t none[D_COUNT]; /* the "(none)" member's code */
	/* facts */
	size_t n, cap;
	uint32_t *code[D_COUNT];
	double *measure[4];
};

static enum kh_err fact_add(struct cube *c, const uint32_t *codes, const double *m, int nm)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		for (int d = 0; d < D_COUNT; d++) {
			if (!c->want[d])
				continue;
			uint32_t *p = realloc(c->code[d], cap * sizeof(uint32_t));
			if (!p)
				return KH_ENOMEM;
			c->code[d] = p;
		}
		for (int k = 0; k < nm; k++) {
			double *p = realloc(c->measure[k], cap * sizeof(double));
			if (!p)
				return KH_ENOMEM;
			c->measure[k] = p;
		}
		c->cap = cap;
	}
	for (int d = 0; d < D_COUNT; d++)
		if (c->want[d])
			c->code[d][c->n] = codes[d];
	for (int k = 0; k < nm; k++)
		c->measure[k][c->n] = m[k];
	c->n++;
	return KH_OK;
}

static enum kh_err scoped(struct kh_ctx *ctx, const char *entity, const char *head, const char *where,
			  struct kh_rows **rows)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_addf(&sql, "%s WHERE %s", head, where);
	kh_scope_sql(ctx->who, kh_entity_find(entity), KH_ACT_READ, &sql, p, &n, 8);
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, rows);
	kh_buf_release(&sql);
	return err;
}

static const char *text(struct kh_val v, const char *none)
{
	return v.t == KH_V_TEXT && v.n ? v.s : none;
}

/* The time codes of a date "YYYY-MM-DD...". */
static enum kh_err time_codes(struct cube *c, const char *date, uint32_t *codes)
{
	char y[8], q[16], m[16];
	if (strlen(date) < 7) {
		codes[D_YEAR] = c->none[D_YEAR];
		codes[D_QUARTER] = c->none[D_QUARTER];
		codes[D_MONTH] = c->none[D_MONTH];
		return KH_OK;
	}
	int month = (date[5] - '0') * 10 + (date[6] - '0');
	if (month < 1 || month > 12)
		month = 1;
	snprintf(y, sizeof y, "%.4s", date);
	snprintf(q, sizeof q, "%.4s-Q%d", date, (month - 1) / 3 + 1);
	snprintf(m, sizeof m, "%.7s", date);
	if (c->want[D_YEAR] && (codes[D_YEAR] = dict_code(&c->dict[D_YEAR], y)) == UINT32_MAX)
		return KH_ENOMEM;
	if (c->want[D_QUARTER] && (codes[D_QUARTER] = dict_code(&c->dict[D_QUARTER], q)) == UINT32_MAX)
		return KH_ENOMEM;
	if (c->want[D_MONTH] && (codes[D_MONTH] = dict_code(&c->dict[D_MONTH], m)) == UINT32_MAX)
		return KH_ENOMEM;
	return KH_OK;
}

/* Region and city of every customer record of `entity`, and the stored
 * segment of each; users' names for owners. */
static enum kh_err load_people(struct cube *c, const char *entity, struct idmap *geo, struct idmap *seg,
			       struct idmap *owner)
{
	struct kh_db *db = c->ctx->db;
	enum kh_err err = KH_OK;
	struct kh_rows *rows;
	int rc = 1;
	if (c->want[D_REGION] || c->want[D_CITY]) {
		if ((err = span(db, entity, geo)) || (err = idmap_alloc(geo, 0, c->none[D_REGION])) ||
		    (err = idmap_alloc(geo, 1, c->none[D_CITY])))
			return err;
		char head[96];
		snprintf(head, sizeof head, "SELECT id, province, city FROM %s", entity);
		if ((err = scoped(c->ctx, entity, head, "1 = 1", &rows)))
			return err;
		while (!err && (rc = kh_rows_next(db, rows)) > 0) {
			int64_t id = kh_rows_col(db, rows, 0).i;
			if (id < geo->min || id - geo->min >= geo->n)
				continue;
			const char *p = text(kh_rows_col(db, rows, 1), "(none)"), *ci = text(kh_rows_col(db, rows, 2), "(none)");
			if (c->want[D_REGION] && (geo->code[0][id - geo->min] = dict_code(&c->dict[D_REGION], p)) == UINT32_MAX)
				err = KH_ENOMEM;
			if (c->want[D_CITY] && (geo->code[1][id - geo->min] = dict_code(&c->dict[D_CITY], ci)) == UINT32_MAX)
				err = KH_ENOMEM;
		}
		kh_rows_end(db, rows);
		if (err || rc < 0)
			return err ? err : (enum kh_err)-rc;
	}
	if (c->want[D_SEGMENT]) {
		if ((err = span(db, entity, seg)) || (err = idmap_alloc(seg, 0, c->none[D_SEGMENT])))
			return err;
		struct kh_val p = KH_VTEXT(entity);
		if ((err = kh_db_query(db, "SELECT record_id, rfm_segment FROM kh_customer_scores WHERE entity = $1", &p, 1,
				       &rows)))
			return err;
		while (!err && (rc = kh_rows_next(db, rows)) > 0) {
			int64_t id = kh_rows_col(db, rows, 0).i;
			struct kh_val s = kh_rows_col(db, rows, 1);
			if (id < seg->min || id - seg->min >= seg->n || s.t != KH_V_TEXT)
				continue;
			if ((seg->code[0][id - seg->min] = dict_code(&c->dict[D_SEGMENT], s.s)) == UINT32_MAX)
				err = KH_ENOMEM;
		}
		kh_rows_end(db, rows);
		if (err || rc < 0)
			return err ? err : (enum kh_err)-rc;
	}
	if (c->want[D_OWNER]) {
		if ((err = span(db, "users", owner)) || (err = idmap_alloc(owner, 0, c->none[D_OWNER])))
			return err;
		if ((err = kh_db_query(db, "SELECT id, username, display_name FROM users", NULL, 0, &rows)))
			return err;
		while (!err && (rc = kh_rows_next(db, rows)) > 0) {
			int64_t id = kh_rows_col(db, rows, 0).i;
			if (id < owner->min || id - owner->min >= owner->n)
				continue;
			const char *name = text(kh_rows_col(db, rows, 2), text(kh_rows_col(db, rows, 1), "(none)"));
			if ((owner->code[0][id - owner->min] = dict_code(&c->dict[D_OWNER], name)) == UINT32_MAX)
				err = KH_ENOMEM;
		}
		kh_rows_end(db, rows);
		if (err || rc < 0)
			return err ? err : (enum kh_err)-rc;
	}
	return KH_OK;
}

static enum kh_err load_orders(struct cube *c, enum kh_an_by by)
{
	struct kh_db *db = c->ctx->db;
	const char *entity = by == KH_AN_ACCOUNT ? "accounts" : "contacts";
	struct idmap geo = {0}, seg = {0}, owner = {0}, prod = {0}, ord = {0};
	enum kh_err err = load_people(c, entity, &geo, &seg, &owner);
	struct kh_rows *rows;
	int rc = 1;
	double *cost = NULL;
	/* Products: category and product codes, and unit cost. */
	if (!err)
		err = span(db, "products", &prod);
	if (!err && !(err = idmap_alloc(&prod, 0, c->none[D_CATEGORY])))
		err = idmap_alloc(&prod, 1, c->none[D_PRODUCT]);
	if (!err && !(cost = calloc((size_t)(prod.n ? prod.n : 1), sizeof(double))))
		err = KH_ENOMEM;
	if (!err && !(err = scoped(c->ctx, "products", "SELECT id, category, name, cost FROM products", "1 = 1", &rows))) {
		while (!err && (rc = kh_rows_next(db, rows)) > 0) {
			int64_t id = kh_rows_col(db, rows, 0).i;
			if (id < prod.min || id - prod.min >= prod.n)
				continue;
			struct kh_val cv = kh_rows_col(db, rows, 3);
			cost[id - prod.min] = cv.t == KH_V_INT ? (double)cv.i / 100 : 0;
			if (c->want[D_CATEGORY] &&
			    (prod.code[0][id - prod.min] = dict_code(&c->dict[D_CATEGORY], text(kh_rows_col(db, rows, 1), "(none)"))) ==
				    UINT32_MAX)
				err = KH_ENOMEM;
			if (c->want[D_PRODUCT] &&
			    (prod.code[1][id - prod.min] = dict_code(&c->dict[D_PRODUCT], text(kh_rows_col(db, rows, 2), "(none)"))) ==
				    UINT32_MAX)
				err = KH_ENOMEM;
		}
		kh_rows_end(db, rows);
		if (!err && rc < 0)
			err = (enum kh_err)-rc;
	}
	/* Orders: every per-order code, in a row of D_COUNT codes per order. */
	uint32_t *oc = NULL;
	if (!err)
		err = span(db, "orders", &ord);
	if (!err && !(oc = malloc((size_t)(ord.n ? ord.n : 1) * D_COUNT * sizeof(uint32_t))))
		err = KH_ENOMEM;
	uint8_t *live = !err ? calloc((size_t)(ord.n ? ord.n : 1), 1) : NULL;
	if (!err && !live)
		err = KH_ENOMEM;
	char head[160];
	snprintf(head, sizeof head, "SELECT id, %s, order_date, owner_id FROM orders",
		 by == KH_AN_ACCOUNT ? "account_id" : "contact_id");
	if (!err && !(err = scoped(c->ctx, "orders", head,
				   "archived_at IS NULL AND status NOT IN ('draft', 'cancelled') AND currency = 'CNY'", &rows))) {
		while (!err && (rc = kh_rows_next(db, rows)) > 0) {
			int64_t id = kh_rows_col(db, rows, 0).i;
			if (id < ord.min || id - ord.min >= ord.n)
				continue;
			struct kh_val cu = kh_rows_col(db, rows, 1), ow = kh_rows_col(db, rows, 3);
			int64_t cid = cu.t == KH_V_INT ? cu.i : 0;
			uint32_t *row = oc + (id - ord.min) * D_COUNT;
			err = time_codes(c, text(kh_rows_col(db, rows, 2), ""), row);
			row[D_REGION] = idmap_get(&geo, 0, cid, c->none[D_REGION]);
			row[D_CITY] = idmap_get(&geo, 1, cid, c->none[D_CITY]);
			row[D_SEGMENT] = idmap_get(&seg, 0, cid, c->none[D_SEGMENT]);
			row[D_OWNER] = idmap_get(&owner, 0, ow.t == KH_V_INT ? ow.i : 0, c->none[D_OWNER]);
			row[D_STAGE] = c->none[D_STAGE];
			live[id - ord.min] = 1;
		}
		kh_rows_end(db, rows);
		if (!err && rc < 0)
			err = (enum kh_err)-rc;
	}
	/* Lines, through their orders (as the other analyses read them). */
	if (!err && kh_scope_of(c->ctx->who, kh_entity_find("order_lines"), KH_ACT_READ) == KH_SCOPE_NONE)
		err = kh_errinfo_set(c->ctx->ei, KH_EFORBIDDEN, "your role may not read order lines");
	if (!err && !(err = kh_db_query(db,
					"SELECT order_id, product_id, quantity, amount FROM order_lines WHERE archived_at IS NULL",
					NULL, 0, &rows))) {
		while (!err && (rc = kh_rows_next(db, rows)) > 0) {
			int64_t oid = kh_rows_col(db, rows, 0).i, pid = kh_rows_col(db, rows, 1).i;
			if (oid < ord.min || oid - ord.min >= ord.n || !live[oid - ord.min])
				continue;
			uint32_t codes[D_COUNT];
			memcpy(codes, oc + (oid - ord.min) * D_COUNT, sizeof codes);
			codes[D_CATEGORY] = idmap_get(&prod, 0, pid, c->none[D_CATEGORY]);
			codes[D_PRODUCT] = idmap_get(&prod, 1, pid, c->none[D_PRODUCT]);
			struct kh_val a = kh_rows_col(db, rows, 3);
			double qty = (double)kh_rows_col(db, rows, 2).i, rev = a.t == KH_V_INT ? (double)a.i / 100 : 0;
			double cg = pid >= prod.min && pid - prod.min < prod.n ? qty * cost[pid - prod.min] : 0;
			double m[4] = {rev, qty, cg, rev - cg};
			err = fact_add(c, codes, m, 4);
		}
		kh_rows_end(db, rows);
		if (!err && rc < 0)
			err = (enum kh_err)-rc;
	}
	free(oc);
	free(live);
	free(cost);
	idmap_free(&geo);
	idmap_free(&seg);
	idmap_free(&owner);
	idmap_free(&prod);
	idmap_free(&ord);
	return err;
}

static enum kh_err load_opportunities(struct cube *c)
{
	struct kh_db *db = c->ctx->db;
	struct idmap geo = {0}, seg = {0}, owner = {0};
	enum kh_err err = load_people(c, "accounts", &geo, &seg, &owner);
	struct kh_rows *rows;
	int rc = 1;
	if (!err && !(err = scoped(c->ctx, "opportunities",
				   "SELECT account_id, amount, probability, stage, status, expected_close_date, closed_at, "
				   "owner_id FROM opportunities",
				   "archived_at IS NULL AND currency = 'CNY'", &rows))) {
		while (!err && (rc = kh_rows_next(db, rows)) > 0) {
			struct kh_val acc = kh_rows_col(db, rows, 0), amt = kh_rows_col(db, rows, 1),
				      pr = kh_rows_col(db, rows, 2), ow = kh_rows_col(db, rows, 7);
			const char *status = text(kh_rows_col(db, rows, 4), "open");
			/* Closed deals belong to the day they closed, open ones to the
			 * day they are expected to. */
			const char *when = strcmp(status, "open") ? text(kh_rows_col(db, rows, 6), "")
								  : text(kh_rows_col(db, rows, 5), "");
			uint32_t codes[D_COUNT];
			int64_t aid = acc.t == KH_V_INT ? acc.i : 0;
			err = time_codes(c, when, codes);
			codes[D_REGION] = idmap_get(&geo, 0, aid, c->none[D_REGION]);
			codes[D_CITY] = idmap_get(&geo, 1, aid, c->none[D_CITY]);
			codes[D_SEGMENT] = idmap_get(&seg, 0, aid, c->none[D_SEGMENT]);
			codes[D_OWNER] = idmap_get(&owner, 0, ow.t == KH_V_INT ? ow.i : 0, c->none[D_OWNER]);
			codes[D_CATEGORY] = c->none[D_CATEGORY];
			codes[D_PRODUCT] = c->none[D_PRODUCT];
			if (c->want[D_STAGE] &&
			    (codes[D_STAGE] = dict_code(&c->dict[D_STAGE], text(kh_rows_col(db, rows, 3), "(none)"))) ==
				    UINT32_MAX)
				err = KH_ENOMEM;
			double a = amt.t == KH_V_INT ? (double)amt.i / 100 : 0, p = pr.t == KH_V_INT ? (double)pr.i : 0;
			double m[3] = {a, a * p / 100, !strcmp(status, "won") ? a : 0};
			if (!err)
				err = fact_add(c, codes, m, 3);
		}
		kh_rows_end(db, rows);
		if (!err && rc < 0)
			err = (enum kh_err)-rc;
	}
	idmap_free(&geo);
	idmap_free(&seg);
	idmap_free(&owner);
	return err;
}

/* qsort has no context argument in C11: the dictionary being sorted is
 * this thread's. */
static _Thread_local const struct dict *sort_dict;

static int cmp_code(const void *a, const void *b)
{
	return strcmp(sort_dict->label[*(const uint32_t *)a], sort_dict->label[*(const uint32_t *)b]);
}

/* Renumbers the members of dimension d in label order, in the dictionary and
 * in every fact. */
static enum kh_err sort_members(struct cube *c, int d)
{
	struct dict *di = &c->dict[d];
	size_t n = di->n;
	uint32_t *order = malloc((n ? n : 1) * sizeof(uint32_t)), *rank = malloc((n ? n : 1) * sizeof(uint32_t));
	char **label = malloc((n ? n : 1) * sizeof(char *));
	if (!order || !rank || !label) {
		free(order);
		free(rank);
		free(label);
		return KH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_dict = di;
	qsort(order, n, sizeof(uint32_t), cmp_code);
	for (size_t i = 0; i < n; i++) {
		rank[order[i]] = (uint32_t)i;
		label[i] = di->label[order[i]];
	}
	memcpy(di->label, label, n * sizeof(char *));
	for (size_t i = 0; i < c->n; i++)
		c->code[d][i] = rank[c->code[d][i]];
	c->none[d] = rank[c->none[d]];
	/* The hash slots still point at old codes: rebuild them. */
	free(di->slot);
	di->slot = NULL;
	di->scap = 0;
	enum kh_err err = n && dict_grow(di) ? KH_ENOMEM : KH_OK;
	free(order);
	free(rank);
	free(label);
	return err;
}

static int dim_index(const char *s, size_t n)
{
	for (int d = 0; d < D_COUNT; d++)
		if (strlen(dim_names[d]) == n && !strncmp(dim_names[d], s, n))
			return d;
	return -1;
}

int kh_cube_dim_known(const char *name)
{
	return dim_index(name, strlen(name)) >= 0;
}

enum kh_err kh_an_cube(struct kh_ctx *ctx, const struct kh_cube_req *q, struct kh_jw *w)
{
	struct cube c = {.ctx = ctx, .orders = strcmp(q->fact, "opportunities") != 0};
	int group[KH_CUBE_MAX_GROUP], ng = 0;
	enum kh_err err = KH_OK;
	for (int i = 0; i < q->n_dims; i++) {
		int d = dim_index(q->dims[i], strlen(q->dims[i]));
		if (d < 0 || ng == KH_CUBE_MAX_GROUP)
			return kh_errinfo_set(ctx->ei, KH_EINVAL, "bad dimension");
		if ((c.orders && d == D_STAGE) || (!c.orders && (d == D_CATEGORY || d == D_PRODUCT))) {
			kh_errinfo_set(ctx->ei, KH_EINVAL, "a query parameter is not valid");
			kh_errinfo_field(ctx->ei, "dims", "%s is not a dimension of %s", dim_names[d], q->fact);
			return KH_EINVAL;
		}
		group[ng++] = d;
		c.want[d] = 1;
	}
	for (int i = 0; i < q->n_filters; i++) {
		int d = dim_index(q->filter_dim[i], strlen(q->filter_dim[i]));
		if (d < 0)
			return kh_errinfo_set(ctx->ei, KH_EINVAL, "bad filter");
		c.want[d] = 1;
	}
	for (int d = 0; d < D_COUNT && !err; d++)
		if (c.want[d] && (c.none[d] = dict_code(&c.dict[d], "(none)")) == UINT32_MAX)
			err = KH_ENOMEM;
	int own_tx = !ctx->db->in_tx;
	if (!err && own_tx)
		err = kh_db_begin(ctx->db, KH_TX_READ);
	if (!err)
		err = c.orders ? load_orders(&c, q->by) : load_opportunities(&c);
	if (own_tx)
		kh_db_rollback(ctx->db);
	/* Members in label order (years and months in time order), so the
	 * cells come out sorted as a reader expects. */
	for (int d = 0; d < D_COUNT && !err; d++)
		if (c.want[d])
			err = sort_members(&c, d);
	/* The query: grouped dimensions in order, filters as keep-masks. */
	struct kh_cube_facts f = {.n = c.n, .n_measures = c.orders ? 4 : 3};
	struct kh_cube_query cq = {.n_group = ng, .rollup = q->rollup};
	int fdim[D_COUNT];
	uint8_t *keep[D_COUNT] = {0};
	for (int d = 0; d < D_COUNT; d++) {
		fdim[d] = -1;
		if (!c.want[d] || err)
			continue;
		fdim[d] = f.n_dims;
		f.dim[f.n_dims] = c.code[d];
		f.card[f.n_dims++] = (uint32_t)c.dict[d].n;
	}
	for (int k = 0; k < f.n_measures; k++)
		f.measure[k] = c.measure[k];
	for (int k = 0; k < ng; k++)
		cq.group[k] = fdim[group[k]];
	for (int i = 0; i < q->n_filters && !err; i++) {
		int d = dim_index(q->filter_dim[i], strlen(q->filter_dim[i]));
		if (!keep[d] && !(keep[d] = calloc(c.dict[d].n ? c.dict[d].n : 1, 1))) {
			err = KH_ENOMEM;
			break;
		}
		uint32_t code = dict_find(&c.dict[d], q->filter_value[i]);
		if (code != UINT32_MAX)
			keep[d][code] = 1;
		cq.keep[fdim[d]] = keep[d];
	}
	struct kh_cube out = {0};
	if (!err)
		err = kh_cube_query(&f, &cq, &out);
	if (!err) {
		const char *const *mn = c.orders ? order_measures : opp_measures;
		kh_jw_obj(w);
		kh_jw_key(w, "fact");
		kh_jw_str(w, c.orders ? "orders" : "opportunities");
		kh_jw_key(w, "dims");
		kh_jw_arr(w);
		for (int k = 0; k < ng; k++)
			kh_jw_str(w, dim_names[group[k]]);
		kh_jw_arr_end(w);
		kh_jw_key(w, "measures");
		kh_jw_arr(w);
		kh_jw_str(w, "count");
		for (int k = 0; mn[k]; k++)
			kh_jw_str(w, mn[k]);
		kh_jw_arr_end(w);
		kh_jw_key(w, "facts");
		kh_jw_int(w, (int64_t)out.facts);
		/* Drill-down: the level below each grouped dimension. */
		kh_jw_key(w, "drill");
		kh_jw_obj(w);
		for (int k = 0; k < ng; k++) {
			kh_jw_key(w, dim_names[group[k]]);
			if (drill[group[k]])
				kh_jw_str(w, drill[group[k]]);
			else
				kh_jw_null(w);
		}
		kh_jw_obj_end(w);
		kh_jw_key(w, "cells");
		kh_jw_arr(w);
		for (size_t i = 0; i < out.n; i++) {
			const struct kh_cube_cell *cell = &out.cell[i];
			kh_jw_obj(w);
			for (int k = 0; k < ng; k++) {
				kh_jw_key(w, dim_names[group[k]]);
				if (cell->key[k] == KH_CUBE_ALL)
					kh_jw_null(w); /* a subtotal over this dimension */
				else
					kh_jw_str(w, c.dict[group[k]].label[cell->key[k]]);
			}
			kh_jw_key(w, "count");
			kh_jw_int(w, (int64_t)cell->count);
			for (int k = 0; mn[k]; k++) {
				kh_jw_key(w, mn[k]);
				char tmp[32];
				int len = snprintf(tmp, sizeof tmp, "%.12g", cell->sum[k]);
				kh_jw_raw(w, tmp, (size_t)len);
			}
			kh_jw_obj_end(w);
		}
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
	}
	kh_cube_release(&out);
	for (int d = 0; d < D_COUNT; d++) {
		free(keep[d]);
		free(c.code[d]);
		dict_free(&c.dict[d]);
	}
	for (int k = 0; k < 4; k++)
		free(c.measure[k]);
	return err && !ctx->ei->code ? kh_errinfo_set(ctx->ei, err, "the cube query failed") : err;
}
