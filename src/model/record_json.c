#include "model/record_json.h"

#include "model/permission.h"

void kh_val_write_json(struct kh_jw *w, const struct kh_field *f, const struct kh_val *v)
{
	switch (v->t) {
	case KH_V_NULL:
		kh_jw_null(w);
		return;
	case KH_V_INT:
		if (f->type == KH_T_BOOL)
			kh_jw_bool(w, v->i != 0);
		else
			kh_jw_int(w, v->i);
		return;
	case KH_V_REAL:
		kh_jw_double(w, v->d);
		return;
	case KH_V_TEXT:
		if (f->type == KH_T_TAGS || f->type == KH_T_JSON)
			kh_jw_raw(w, v->s, v->n); /* stored as validated JSON */
		else
			kh_jw_strn(w, v->s, v->n);
		return;
	}
}

void kh_row_write_json(struct kh_jw *w, const struct kh_entity *e, struct kh_db *db, struct kh_rows *rows,
		       const struct kh_principal *who)
{
	/* Personal-data masking happens here, the one place every record passes on
	 * its way out: lists, records, related lists, search, exports. */
	int mask = !kh_sees_personal(who);
	kh_jw_obj(w);
	for (int c = 0; c < e->nselect; c++) {
		const struct kh_field *f = &e->fields[e->select_field[c]];
		struct kh_val v = kh_rows_col(db, rows, c);
		kh_jw_key(w, f->name);
		if (mask && (f->flags & KH_F_PERSONAL) && v.t == KH_V_TEXT) {
			char masked[64];
			kh_mask(f, v.s, v.n, masked, sizeof masked);
			kh_jw_str(w, masked);
		} else {
			kh_val_write_json(w, f, &v);
		}
	}
	kh_jw_obj_end(w);
}
