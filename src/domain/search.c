#include "domain/search.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model/permission.h"
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

/* For principals who may not see personal data: 1 if q occurs (ignoring ASCII
 * case) in one of the hit's non-personal searchable fields, so that a search by
 * phone number or e-mail cannot tell them whose it is. */
static int matches_public(const struct kh_entity *e, struct kh_db *db, struct kh_rows *rows, const char *q)
{
	size_t qn = strlen(q);
	for (int c = 0; c < e->nselect; c++) {
		const struct kh_field *f = &e->fields[e->select_field[c]];
		if (!(f->flags & KH_F_SEARCH) || (f->flags & KH_F_PERSONAL))
			continue;
		struct kh_val v = kh_rows_col(db, rows, c);
		for (size_t i = 0; v.t == KH_V_TEXT && i + qn <= v.n; i++)
			if (!strncasecmp(v.s + i, q, qn))
				return 1;
	}
	return 0;
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
	/* Changes still waiting for the index are applied first: a search sees
	 * everything committed before it. */
	if (db->ops->search_flush && db->ops->search_flush(db))
		kh_db_rollback(db);
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

	int personal = kh_sees_personal(ctx->who);
	while (*q == ' ' || *q == '\t')
		q++;
	kh_jw_obj(w);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	for (int i = 0; i < n; i++) {
		const struct kh_entity *e = entity_by_code((int)(docs[i] & ((1 << KH_SEARCH_ENTITY_BITS) - 1)));
		if (!e)
			continue;
		if (kh_scope_of(ctx->who, e, KH_ACT_READ) == KH_SCOPE_NONE)
			continue;
		/* Each hit is read through the principal's scope, like any record. */
		struct kh_buf sql = KH_BUF_INIT;
		struct kh_val p[8] = {KH_VINT(docs[i] >> KH_SEARCH_ENTITY_BITS)};
		int np = 1;
		kh_buf_addf(&sql, "%s WHERE id = $1 AND archived_at IS NULL", e->select_sql);
		kh_scope_sql(ctx->who, e, KH_ACT_READ, &sql, p, &np, 8);
		struct kh_rows *rows;
		enum kh_err qerr = sql.err ? sql.err : kh_db_query(db, sql.data, p, np, &rows);
		kh_buf_release(&sql);
		if (qerr)
			continue;
		if (kh_rows_next(db, rows) > 0 && (personal || matches_public(e, db, rows, q))) {
			kh_jw_obj(w);
			kh_jw_key(w, "entity");
			kh_jw_str(w, e->name);
			kh_jw_key(w, "id");
			kh_jw_int(w, p[0].i);
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
