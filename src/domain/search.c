#include "domain/search.h"

#include <stdio.h>

#include "model/record_json.h"
#include "util/utf8.h"

void kh_search_text_add(struct kh_buf *text, const struct kh_field *f, const struct kh_val *v)
{
	if (v->t != KH_V_TEXT || v->n == 0)
		return;
	if (text->len)
		kh_buf_addc(text, '\t');
	kh_buf_add(text, v->s, v->n);
	if (f->type != KH_T_PHONE)
		return;
	size_t digits = 0;
	for (size_t i = 0; i < v->n; i++)
		digits += v->s[i] >= '0' && v->s[i] <= '9';
	if (digits == v->n)
		return; /* already bare digits */
	kh_buf_addc(text, '\t');
	for (size_t i = 0; i < v->n; i++)
		if (v->s[i] >= '0' && v->s[i] <= '9')
			kh_buf_addc(text, v->s[i]);
}

static const struct kh_entity *entity_by_code(int code)
{
	for (int i = 0; i < kh_nentities; i++)
		if (kh_entities[i]->code == code)
			return kh_entities[i];
	return NULL;
}

enum kh_err kh_search_run(struct kh_ctx *ctx, const char *q, int limit, struct kh_jw *w)
{
	struct kh_db *db = ctx->db;
	struct kh_rows *hits;
	enum kh_err err = db->ops->search(db, q, limit, &hits);
	if (err == KH_EINVAL)
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "q must be a non-empty search text");
	if (err)
		return kh_errinfo_set(ctx->ei, err, "search failed");
	/* Collect the hits first: the record reads below use the same connection. */
	int64_t *docs = kh_arena_calloc(ctx->arena, (size_t)limit, sizeof *docs);
	int n = 0, rc = 0;
	while (docs && n < limit && (rc = kh_rows_next(db, hits)) > 0)
		docs[n++] = kh_rows_col(db, hits, 0).i;
	kh_rows_end(db, hits);
	if (!docs)
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "search failed");

	kh_jw_obj(w);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	for (int i = 0; i < n; i++) {
		const struct kh_entity *e = entity_by_code((int)(docs[i] & ((1 << KH_SEARCH_ENTITY_BITS) - 1)));
		if (!e)
			continue;
		char sql[1024];
		snprintf(sql, sizeof sql, "%s WHERE id = $1 AND archived_at IS NULL", e->select_sql);
		struct kh_val p = KH_VINT(docs[i] >> KH_SEARCH_ENTITY_BITS);
		struct kh_rows *rows;
		if (kh_db_query(db, sql, &p, 1, &rows))
			continue;
		if (kh_rows_next(db, rows) > 0) {
			kh_jw_obj(w);
			kh_jw_key(w, "entity");
			kh_jw_str(w, e->name);
			kh_jw_key(w, "id");
			kh_jw_int(w, p.i);
			for (int c = 0; c < e->nselect; c++)
				if (&e->fields[e->select_field[c]] == e->title) {
					struct kh_val t = kh_rows_col(db, rows, c);
					kh_jw_key(w, "title");
					kh_val_write_json(w, e->title, &t);
				}
			kh_jw_key(w, "record");
			kh_row_write_json(w, e, db, rows, ctx->who);
			kh_jw_obj_end(w);
		}
		kh_rows_end(db, rows);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return KH_OK;
}
