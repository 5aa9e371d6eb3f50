#include "domain/read.h"

#include <stdio.h>

#include "model/record_json.h"
#include "model/permission.h"
#include "model/query.h"

enum kh_err kh_record_get(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_jw *w,
			  int64_t *version)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8] = {KH_VINT(id)};
	int n = 1;
	kh_buf_addf(&sql, "%s WHERE id = $1", e->select_sql);
	/* A record the principal may not read does not exist for them (404). */
	kh_scope_sql(ctx->who, e, KH_ACT_READ, &sql, p, &n, 8);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read %s", e->singular);
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0) {
		int vcol = -1, vfield = kh_field_index(e, "version");
		for (int c = 0; c < e->nselect; c++)
			if (e->select_field[c] == vfield)
				vcol = c;
		if (version && vcol >= 0)
			*version = kh_rows_col(ctx->db, rows, vcol).i;
		kh_row_write_json(w, e, ctx->db, rows, ctx->who);
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read %s", e->singular);
	if (rc == 0)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "%s %lld not found", e->singular, (long long)id);
	return KH_OK;
}

enum kh_err kh_record_exists(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, int live_only)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8] = {KH_VINT(id)};
	int n = 1;
	kh_buf_addf(&sql, "SELECT id FROM %s WHERE id = $1%s", e->name, live_only ? " AND archived_at IS NULL" : "");
	kh_scope_sql(ctx->who, e, KH_ACT_READ, &sql, p, &n, 8);
	int64_t found;
	enum kh_err err = sql.err ? sql.err : kh_db_int(ctx->db, sql.data, p, n, &found);
	kh_buf_release(&sql);
	if (err == KH_ENOTFOUND)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "%s %lld not found", e->singular, (long long)id);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read %s", e->singular);
	return KH_OK;
}

/* Enough parameters for the query's filters and its keyset predicate. */
static int max_params(const struct kh_list_query *q)
{
	int n = KH_MAX_SORTS * KH_MAX_SORTS + 2;
	for (int i = 0; i < q->nfilters; i++)
		n += q->filters[i].nvals;
	return n;
}

static enum kh_err count_all(struct kh_ctx *ctx, const struct kh_list_query *q, int64_t *total)
{
	struct kh_buf sql = KH_BUF_INIT;
	int max = max_params(q), n = 0;
	struct kh_val *p = kh_arena_alloc(ctx->arena, (size_t)max * sizeof *p);
	enum kh_err err = p ? kh_list_count_sql(q, ctx->who, ctx->arena, &sql, p, &n, max) : KH_ENOMEM;
	if (!err)
		err = kh_db_int(ctx->db, sql.data, p, n, total);
	kh_buf_release(&sql);
	return err;
}

enum kh_err kh_record_list(struct kh_ctx *ctx, const struct kh_list_query *q, struct kh_jw *w)
{
	struct kh_buf sql = KH_BUF_INIT, cursor = KH_BUF_INIT;
	int max = max_params(q), n = 0;
	struct kh_val *p = kh_arena_alloc(ctx->arena, (size_t)max * sizeof *p);
	enum kh_err err = p ? kh_list_sql(q, ctx->who, ctx->arena, &sql, p, &n, max) : KH_ENOMEM;
	struct kh_rows *rows = NULL;
	if (!err)
		err = kh_db_query(ctx->db, sql.data, p, n, &rows);
	if (err) {
		kh_buf_release(&sql);
		return kh_errinfo_set(ctx->ei, err, "cannot list %s", q->e->name);
	}
	int rc, count = 0;
	kh_buf_grow(w->b, (size_t)q->limit * 1024); /* one allocation for a typical page */
	kh_jw_obj(w);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		if (count == q->limit) { /* the extra row: there is a next page */
			break;
		}
		kh_row_write_json(w, q->e, ctx->db, rows, ctx->who);
		if (++count == q->limit) {
			kh_buf_reset(&cursor);
			kh_list_cursor(q, ctx->db, rows, &cursor);
		}
	}
	int more = rc > 0;
	kh_rows_end(ctx->db, rows);
	kh_buf_release(&sql);
	kh_jw_arr_end(w);
	if (rc < 0) {
		kh_buf_release(&cursor);
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot list %s", q->e->name);
	}
	kh_jw_key(w, "next_cursor");
	if (more)
		kh_jw_strn(w, cursor.data, cursor.len);
	else
		kh_jw_null(w);
	kh_buf_release(&cursor);
	if (q->count) {
		int64_t total = 0;
		err = count_all(ctx, q, &total);
		if (err)
			return kh_errinfo_set(ctx->ei, err, "cannot count %s", q->e->name);
		kh_jw_key(w, "total");
		kh_jw_int(w, total);
	}
	kh_jw_obj_end(w);
	return KH_OK;
}

enum kh_err kh_record_aggregate(struct kh_ctx *ctx, const struct kh_agg *g, struct kh_jw *w)
{
	struct kh_buf sql = KH_BUF_INIT;
	int max = max_params(&g->q), n = 0;
	struct kh_val *p = kh_arena_alloc(ctx->arena, (size_t)max * sizeof *p);
	enum kh_err err = p ? kh_agg_sql(g, ctx->who, ctx->arena, &sql, p, &n, max) : KH_ENOMEM;
	struct kh_rows *rows = NULL;
	if (!err)
		err = kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot aggregate %s", g->q.e->name);
	int rc, count = 0;
	kh_jw_obj(w);
	kh_jw_key(w, "groups");
	kh_jw_arr(w);
	while ((rc = kh_rows_next(ctx->db, rows)) > 0 && count++ < g->limit) {
		kh_jw_obj(w);
		kh_jw_key(w, "key");
		kh_jw_obj(w);
		for (int i = 0; i < g->ngroups; i++) {
			struct kh_val v = kh_rows_col(ctx->db, rows, i);
			kh_jw_key(w, g->group[i].f->name);
			kh_val_write_json(w, g->group[i].f, &v);
		}
		kh_jw_obj_end(w);
		for (int i = 0; i < g->nmeasures; i++) {
			struct kh_val v = kh_rows_col(ctx->db, rows, g->ngroups + i);
			kh_jw_key(w, g->measure[i].name);
			if (g->measure[i].fn == KH_M_COUNT || g->measure[i].fn == KH_M_AVG)
				kh_val_write_json(w, &(struct kh_field){.type = KH_T_INT}, &v);
			else
				kh_val_write_json(w, g->measure[i].f, &v);
		}
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	kh_jw_arr_end(w);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot aggregate %s", g->q.e->name);
	kh_jw_key(w, "truncated");
	kh_jw_bool(w, rc > 0);
	kh_jw_obj_end(w);
	return KH_OK;
}
