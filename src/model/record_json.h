/* Records out as JSON: one function writes a stored row the way the API shows it
 * (booleans as true/false, tags as arrays, money as integer minor units), used by
 * get, list, related lists, search and the audit trail alike. */
#ifndef KH_RECORD_JSON_H
#define KH_RECORD_JSON_H

#include "model/entity.h"
#include "model/principal.h"
#include "util/json_out.h"

/* Writes the value of field f. */
void kh_val_write_json(struct kh_jw *w, const struct kh_field *f, const struct kh_val *v);
/* Writes the current row of rows, which must come from e->select_sql (columns
 * in e->select_field order), as one JSON object. */
void kh_row_write_json(struct kh_jw *w, const struct kh_entity *e, struct kh_db *db, struct kh_rows *rows,
		       const struct kh_principal *who);

#endif
