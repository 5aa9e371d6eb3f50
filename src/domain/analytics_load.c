/* Loading the analytics dataset from the database, within the principal's
 * scope (analytics.h): the products, the orders that count as purchases, their
 * lines, and the service cases of the customers found.
 *
 * Lines are read through their orders: a line counts when the principal may
 * read its order. Orders and lines are read in two sequential scans and joined in memory
 * through an array indexed by order id (ids are dense: they come from the
 * database's own counter), which reads ten million lines in a few seconds
 * where a join in SQL looks up every order by key. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/analytics.h"
#include "model/permission.h"
#include "util/buf.h"
#include "util/clock.h"

/* What a line needs from its order: the customer's index and the day. */
struct order_ref {
	uint32_t cust; /* UINT32_MAX: not an order we count */
	int32_t day;
};

struct loader {
	struct kh_ctx *ctx;
	struct kh_an_data *d;
	/* Products by id: dense from min_product. */
	int64_t min_product, nprod_slots;
	uint32_t *prod_index; /* UINT32_MAX: unknown */
	double *prod_cost;    /* yuan per unit */
	/* Orders by id: dense from min_order. */
	int64_t min_order, norder_slots;
	struct order_ref *orders;
};

static enum kh_err scoped_query(struct kh_ctx *ctx, const char *entity, const char *sql_head, const char *where,
				struct kh_rows **rows)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_addf(&sql, "%s WHERE %s", sql_head, where);
	kh_scope_sql(ctx->who, kh_entity_find(entity), KH_ACT_READ, &sql, p, &n, 8);
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, rows);
	kh_buf_release(&sql);
	return err;
}

static enum kh_err id_span(struct kh_ctx *ctx, const char *table, int64_t *min, int64_t *slots)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT COALESCE(MIN(id), 1), COALESCE(MAX(id), 0) FROM %s", table);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db, sql, NULL, 0, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0) {
		*min = kh_rows_col(ctx->db, rows, 0).i;
		*slots = kh_rows_col(ctx->db, rows, 1).i - *min + 1;
		if (*slots < 0)
			*slots = 0;
	}
	kh_rows_end(ctx->db, rows);
	return rc < 0 ? (enum kh_err)-rc : rc == 0 ? KH_EDB : KH_OK;
}

static char *dup_text(struct kh_val v)
{
	if (v.t != KH_V_TEXT)
		return NULL;
	char *s = malloc(v.n + 1);
	if (s) {
		memcpy(s, v.s, v.n);
		s[v.n] = '\0';
	}
	return s;
}

static enum kh_err load_products(struct loader *L)
{
	struct kh_an_data *d = L->d;
	enum kh_err err = id_span(L->ctx, "products", &L->min_product, &L->nprod_slots);
	if (err)
		return err;
	size_t slots = (size_t)L->nprod_slots;
	L->prod_index = malloc((slots ? slots : 1) * sizeof(uint32_t));
	L->prod_cost = calloc(slots ? slots : 1, sizeof(double));
	d->product_id = malloc((slots ? slots : 1) * sizeof(int64_t));
	d->product_name = calloc(slots ? slots : 1, sizeof(char *));
	d->product_cat = calloc(slots ? slots : 1, sizeof(uint32_t));
	if (!L->prod_index || !L->prod_cost || !d->product_id || !d->product_name || !d->product_cat)
		return KH_ENOMEM;
	for (size_t i = 0; i < slots; i++)
		L->prod_index[i] = UINT32_MAX;
	/* Categories are numbered in order of first appearance; "" is a
	 * category of its own (products without one). */
	size_t ncat = 0, capcat = 16;
	d->category_name = calloc(capcat, sizeof(char *));
	if (!d->category_name)
		return KH_ENOMEM;
	struct kh_rows *rows;
	/* Archived products stay: past orders still name them. */
	if ((err = scoped_query(L->ctx, "products", "SELECT id, name, category, cost FROM products", "1 = 1", &rows)))
		return err;
	int rc;
	while ((rc = kh_rows_next(L->ctx->db, rows)) > 0) {
		int64_t id = kh_rows_col(L->ctx->db, rows, 0).i;
		struct kh_val name = kh_rows_col(L->ctx->db, rows, 1), cat = kh_rows_col(L->ctx->db, rows, 2),
			      cost = kh_rows_col(L->ctx->db, rows, 3);
		if (id < L->min_product || id - L->min_product >= L->nprod_slots)
			continue;
		uint32_t k = d->n_products++;
		L->prod_index[id - L->min_product] = k;
		L->prod_cost[id - L->min_product] = cost.t == KH_V_INT ? (double)cost.i / 100 : 0;
		d->product_id[k] = id;
		d->product_name[k] = dup_text(name);
		const char *cs = cat.t == KH_V_TEXT ? cat.s : "";
		size_t c;
		for (c = 0; c < ncat && strcmp(d->category_name[c], cs); c++)
			;
		if (c == ncat) {
			if (ncat == capcat) {
				char **nn = realloc(d->category_name, 2 * capcat * sizeof(char *));
				if (!nn) {
					err = KH_ENOMEM;
					break;
				}
				d->category_name = nn;
				capcat *= 2;
			}
			d->category_name[ncat] = strdup(cs);
			if (!d->category_name[ncat]) {
				err = KH_ENOMEM;
				break;
			}
			d->n_categories = (uint32_t)++ncat;
		}
		d->product_cat[k] = (uint32_t)c;
	}
	kh_rows_end(L->ctx->db, rows);
	return err ? err : rc < 0 ? (enum kh_err)-rc : KH_OK;
}

static enum kh_err load_orders(struct loader *L, int32_t until)
{
	struct kh_an_data *d = L->d;
	enum kh_err err = id_span(L->ctx, "orders", &L->min_order, &L->norder_slots);
	if (err)
		return err;
	/* Ids of a live database are dense; a span far beyond any plausible
	 * number of orders means something else wrote them. */
	if (L->norder_slots > (int64_t)1 << 31)
		return kh_errinfo_set(L->ctx->ei, KH_EINVAL, "order ids span more than 2^31 values");
	size_t slots = (size_t)L->norder_slots;
	L->orders = malloc((slots ? slots : 1) * sizeof(struct order_ref));
	if (!L->orders)
		return KH_ENOMEM;
	for (size_t i = 0; i < slots; i++)
		L->orders[i].cust = UINT32_MAX;
	const char *col = d->by == KH_AN_ACCOUNT ? "account_id" : "contact_id";
	char head[128];
	snprintf(head, sizeof head, "SELECT id, %s, order_date FROM orders", col);
	struct kh_rows *rows;
	/* A purchase is an order that is neither a draft nor cancelled, in the
	 * base currency (Kehu does not convert currencies). */
	if ((err = scoped_query(L->ctx, "orders", head,
				"archived_at IS NULL AND status NOT IN ('draft', 'cancelled') AND currency = 'CNY'", &rows)))
		return err;
	int rc;
	while ((rc = kh_rows_next(L->ctx->db, rows)) > 0) {
		int64_t id = kh_rows_col(L->ctx->db, rows, 0).i;
		struct kh_val cust = kh_rows_col(L->ctx->db, rows, 1), date = kh_rows_col(L->ctx->db, rows, 2);
		if (cust.t != KH_V_INT || date.t != KH_V_TEXT || id < L->min_order || id - L->min_order >= L->norder_slots)
			continue;
		int32_t day = (int32_t)kh_date_days(date.s);
		if (day > until)
			continue;
		int64_t c = kh_an_customer_id(d, cust.i);
		if (c < 0) {
			err = KH_ENOMEM;
			break;
		}
		L->orders[id - L->min_order] = (struct order_ref){(uint32_t)c, day};
	}
	kh_rows_end(L->ctx->db, rows);
	return err ? err : rc < 0 ? (enum kh_err)-rc : KH_OK;
}

static enum kh_err load_lines(struct loader *L, void (*progress)(void *, size_t, size_t), void *cls)
{
	struct kh_an_data *d = L->d;
	int64_t min_line = 0, nlines = 0;
	enum kh_err err = id_span(L->ctx, "order_lines", &min_line, &nlines);
	if (err)
		return err;
	/* A line is read through its order: it counts when the order does
	 * (parts of an order carry no owner of their own; the demo's and the
	 * UI's lines are the order's). A role that may not read lines at all
	 * gets none. */
	if (kh_scope_of(L->ctx->who, kh_entity_find("order_lines"), KH_ACT_READ) == KH_SCOPE_NONE)
		return kh_errinfo_set(L->ctx->ei, KH_EFORBIDDEN, "your role may not read order lines");
	struct kh_rows *rows;
	if ((err = kh_db_query(L->ctx->db,
			       "SELECT order_id, product_id, quantity, amount FROM order_lines WHERE archived_at IS NULL", NULL,
			       0, &rows)))
		return err;
	int rc;
	size_t seen = 0;
	d->has_order = d->has_product = d->has_cogs = 1;
	while ((rc = kh_rows_next(L->ctx->db, rows)) > 0) {
		if (progress && ++seen % 200000 == 0)
			progress(cls, seen, (size_t)nlines);
		int64_t oid = kh_rows_col(L->ctx->db, rows, 0).i;
		if (oid < L->min_order || oid - L->min_order >= L->norder_slots)
			continue;
		struct order_ref o = L->orders[oid - L->min_order];
		if (o.cust == UINT32_MAX)
			continue;
		int64_t pid = kh_rows_col(L->ctx->db, rows, 1).i, qty = kh_rows_col(L->ctx->db, rows, 2).i;
		struct kh_val amt = kh_rows_col(L->ctx->db, rows, 3);
		int64_t slot = pid - L->min_product;
		uint32_t k = slot >= 0 && slot < L->nprod_slots ? L->prod_index[slot] : UINT32_MAX;
		if (k == UINT32_MAX)
			continue; /* a product outside the principal's scope */
		double amount = amt.t == KH_V_INT ? (double)amt.i / 100 : 0;
		if ((err = kh_an_add_line(d, o.cust, o.day, amount, oid, k, (double)qty * L->prod_cost[slot])))
			break;
	}
	kh_rows_end(L->ctx->db, rows);
	if (progress)
		progress(cls, seen, seen);
	return err ? err : rc < 0 ? (enum kh_err)-rc : KH_OK;
}

static enum kh_err load_cases(struct loader *L, int32_t until)
{
	struct kh_an_data *d = L->d;
	const char *col = d->by == KH_AN_ACCOUNT ? "account_id" : "contact_id";
	char head[128];
	snprintf(head, sizeof head, "SELECT %s, created_at, type, satisfaction FROM cases", col);
	struct kh_rows *rows;
	enum kh_err err = scoped_query(L->ctx, "cases", head, "archived_at IS NULL", &rows);
	if (err)
		return err;
	size_t cap = 0;
	int rc;
	while ((rc = kh_rows_next(L->ctx->db, rows)) > 0) {
		struct kh_val cust = kh_rows_col(L->ctx->db, rows, 0), at = kh_rows_col(L->ctx->db, rows, 1),
			      type = kh_rows_col(L->ctx->db, rows, 2), sat = kh_rows_col(L->ctx->db, rows, 3);
		if (cust.t != KH_V_INT || at.t != KH_V_TEXT || at.n < 10)
			continue;
		int64_t c = kh_an_find_customer(d, cust.i);
		int32_t day = (int32_t)kh_date_days(at.s);
		if (c < 0 || day > until)
			continue;
		if (d->n_cases == cap) {
			cap = cap ? 2 * cap : 4096;
			uint32_t *cc = realloc(d->case_cust, cap * sizeof(uint32_t));
			if (cc)
				d->case_cust = cc;
			int32_t *cd = realloc(d->case_day, cap * sizeof(int32_t));
			if (cd)
				d->case_day = cd;
			uint8_t *cp = realloc(d->case_complaint, cap);
			if (cp)
				d->case_complaint = cp;
			double *cs = realloc(d->case_satisfaction, cap * sizeof(double));
			if (cs)
				d->case_satisfaction = cs;
			if (!cc || !cd || !cp || !cs) {
				err = KH_ENOMEM;
				break;
			}
		}
		size_t i = d->n_cases++;
		d->case_cust[i] = (uint32_t)c;
		d->case_day[i] = day;
		d->case_complaint[i] = type.t == KH_V_TEXT && !strcmp(type.s, "complaint");
		d->case_satisfaction[i] = sat.t == KH_V_INT ? (double)sat.i : NAN;
	}
	kh_rows_end(L->ctx->db, rows);
	return err ? err : rc < 0 ? (enum kh_err)-rc : KH_OK;
}

enum kh_err kh_an_load_db(struct kh_ctx *ctx, enum kh_an_by by, int32_t until, struct kh_an_data *d,
			  void (*progress)(void *cls, size_t done, size_t total), void *cls)
{
	kh_an_data_init(d);
	d->by = by;
	struct loader L = {.ctx = ctx, .d = d};
	enum kh_err err = d->priv ? KH_OK : KH_ENOMEM;
	/* One read transaction: the orders and their lines are of one moment. */
	int own_tx = !ctx->db->in_tx;
	if (!err && own_tx)
		err = kh_db_begin(ctx->db, KH_TX_READ);
	if (!err)
		err = load_products(&L);
	if (!err)
		err = load_orders(&L, until);
	if (!err)
		err = load_lines(&L, progress, cls);
	if (!err)
		err = load_cases(&L, until);
	if (!err)
		err = kh_an_data_finish(d);
	if (own_tx)
		kh_db_rollback(ctx->db);
	free(L.prod_index);
	free(L.prod_cost);
	free(L.orders);
	if (err) {
		kh_an_data_release(d);
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "cannot load the transactions");
	}
	return err;
}
