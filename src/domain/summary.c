#include "domain/summary.h"

#include <stdio.h>

#include "domain/read.h"
#include "model/permission.h"

/* Runs one aggregate query over the records of `child` that refer to the
 * customer, and writes its columns under the given keys. The reference field
 * comes from the metadata (orders.contact_id for a contact). */
static enum kh_err figures(struct kh_ctx *ctx, const struct kh_entity *customer, int64_t id, const char *child,
			   const char *select, const char *where, const char *const *keys, struct kh_jw *w)
{
	const struct kh_field *ref = kh_related_field(customer, kh_entity_find(child));
	if (!ref)
		return KH_ENOTFOUND;
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8] = {KH_VINT(id)};
	int n = 1;
	kh_buf_addf(&sql, "SELECT %s FROM %s WHERE %s = $1 AND archived_at IS NULL%s%s", select, child, ref->name,
		    where ? " AND " : "", where ? where : "");
	/* The figures count only the records the principal may read. */
	kh_scope_sql(ctx->who, kh_entity_find(child), KH_ACT_READ, &sql, p, &n, 8);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return err;
	int rc = kh_rows_next(ctx->db, rows);
	for (int i = 0; rc > 0 && keys[i]; i++) {
		struct kh_val v = kh_rows_col(ctx->db, rows, i);
		kh_jw_key(w, keys[i]);
		if (v.t == KH_V_INT)
			kh_jw_int(w, v.i);
		else if (v.t == KH_V_TEXT)
			kh_jw_strn(w, v.s, v.n);
		else
			kh_jw_null(w);
	}
	kh_rows_end(ctx->db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

enum kh_err kh_customer_summary(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_jw *w)
{
	if (!kh_related_field(e, kh_entity_find("orders")))
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "%s have no customer summary", e->name);
	enum kh_err err = kh_record_exists(ctx, e, id, 1);
	if (err)
		return err;
	static const char *const order_keys[] = {"orders", "revenue", "first_order_date", "last_order_date", NULL};
	static const char *const opp_keys[] = {"open_opportunities", "open_pipeline", NULL};
	static const char *const case_keys[] = {"open_cases", NULL};
	static const char *const activity_keys[] = {"last_activity_at", NULL};
	kh_jw_obj(w);
	/* Revenue counts every order that was not cancelled, in minor units of the
	 * base currency; orders in other currencies count as orders only, since
	 * Kehu does not convert currencies. */
	err = figures(ctx, e, id, "orders",
		      "count(*), COALESCE(SUM(CASE WHEN currency = 'CNY' THEN total_amount END), 0), MIN(order_date), "
		      "MAX(order_date)",
		      "status <> 'cancelled'", order_keys, w);
	if (!err)
		err = figures(ctx, e, id, "opportunities", "count(*), COALESCE(SUM(amount), 0)", "status = 'open'",
			      opp_keys, w);
	if (!err)
		err = figures(ctx, e, id, "cases", "count(*)", "status NOT IN ('resolved', 'closed')", case_keys, w);
	if (!err)
		err = figures(ctx, e, id, "activities", "MAX(COALESCE(completed_at, due_at, created_at))", NULL,
			      activity_keys, w);
	kh_jw_key(w, "currency");
	kh_jw_str(w, "CNY");
	kh_jw_obj_end(w);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot summarise %s %lld", e->singular, (long long)id);
	return KH_OK;
}
