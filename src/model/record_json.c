#include "model/record_json.h"

#include "model/permission.h"

#include <string.h>

/* The value's JSON, straight into the buffer: the one place that knows how each
 * kind of stored value looks in the API. */
static void value_json(struct kh_buf *b, const struct kh_field *f, const struct kh_val *v)
{
	switch (v->t) {
	case KH_V_NULL:
		kh_buf_add(b, "null", 4);
		return;
	case KH_V_INT:
		if (f->type == KH_T_BOOL)
			kh_buf_add(b, v->i ? "true" : "false", v->i ? 4 : 5);
		else
			kh_buf_add_int(b, v->i);
		return;
	case KH_V_REAL:
		kh_json_double(b, v->d);
		return;
	case KH_V_TEXT:
		if (f->type == KH_T_TAGS || f->type == KH_T_JSON)
			kh_buf_add(b, v->s, v->n); /* stored as validated JSON */
		else
			kh_json_quote(b, v->s, v->n);
		return;
	}
}

void kh_val_write_json(struct kh_jw *w, const struct kh_field *f, const struct kh_val *v)
{
	kh_jw_sep(w);
	value_json(w->b, f, v);
}

void kh_row_write_json(struct kh_jw *w, const struct kh_entity *e, struct kh_db *db, struct kh_rows *rows,
		       const struct kh_principal *who)
{
	/* Personal-data masking happens here, the one place every record passes on
	 * its way out: lists, records, related lists, search, exports. */
	int mask = !kh_sees_personal(who);
	struct kh_buf *b = w->b;
	/* Every page writes thousands of these members, so they go straight into
	 * the buffer with keys prepared by the metadata, not token by token. */
	kh_jw_obj(w);
	for (int c = 0; c < e->nselect; c++) {
		const struct kh_field *f = &e->fields[e->select_field[c]];
		struct kh_val v = kh_rows_col(db, rows, c);
		if (c)
			kh_buf_addc(b, ',');
		kh_buf_add(b, f->json_key, f->json_key_len);
		if (mask && (f->flags & KH_F_PERSONAL) && v.t == KH_V_TEXT) {
			char masked[64];
			kh_mask(f, v.s, v.n, masked, sizeof masked);
			kh_json_quote(b, masked, strlen(masked));
		} else {
			value_json(b, f, &v);
		}
	}
	kh_jw_obj_end(w);
}
