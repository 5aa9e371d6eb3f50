#include "domain/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/permission.h"
#include "util/clock.h"

enum kh_err kh_audit_append(struct kh_db *db, int64_t user_id, const char *entity, int64_t record_id,
			    const char *action, const char *details)
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[6] = {
		KH_VTEXT(now), user_id ? KH_VINT(user_id) : KH_VNULL, KH_VTEXT(entity), KH_VINT(record_id),
		KH_VTEXT(action), KH_VTEXT(details ? details : "{}"),
	};
	return kh_db_exec(db,
			  "INSERT INTO kh_audit (at, user_id, entity, record_id, action, changes) VALUES "
			  "($1, $2, $3, $4, $5, $6)",
			  p, 6);
}

/* Rewrites a changes object {"field": [old, new]} with personal fields masked. */
static void write_changes(struct kh_jw *w, const char *entity, const char *text, size_t n, int personal)
{
	const struct kh_entity *e = kh_entity_find(entity);
	json_t *j = personal || !e ? NULL : json_loadb(text, n, 0, NULL);
	if (!j) {
		kh_jw_raw(w, text, n);
		return;
	}
	const char *key;
	json_t *v;
	kh_jw_obj(w);
	json_object_foreach(j, key, v) {
		const struct kh_field *f = kh_field_find(e, key);
		kh_jw_key(w, key);
		if (f && (f->flags & KH_F_PERSONAL) && json_is_array(v)) {
			kh_jw_arr(w);
			for (size_t i = 0; i < json_array_size(v); i++) {
				json_t *x = json_array_get(v, i);
				if (json_is_string(x)) {
					char masked[64];
					kh_mask(f, json_string_value(x), json_string_length(x), masked, sizeof masked);
					kh_jw_str(w, masked);
				} else {
					kh_jw_null(w);
				}
			}
			kh_jw_arr_end(w);
		} else {
			char *raw = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			kh_jw_raw(w, raw ? raw : "null", raw ? strlen(raw) : 4);
			free(raw);
		}
	}
	kh_jw_obj_end(w);
	json_decref(j);
}

enum kh_err kh_audit_list(struct kh_ctx *ctx, const struct kh_audit_query *q, struct kh_jw *w)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_adds(&sql, "SELECT a.id, a.at, a.user_id, u.username, a.entity, a.record_id, a.action, a.changes "
			  "FROM kh_audit a LEFT JOIN users u ON u.id = a.user_id WHERE 1 = 1");
	if (q->entity) {
		p[n++] = KH_VTEXT(q->entity);
		kh_buf_addf(&sql, " AND a.entity = $%d", n);
	}
	if (q->record_id) {
		p[n++] = KH_VINT(q->record_id);
		kh_buf_addf(&sql, " AND a.record_id = $%d", n);
	}
	if (q->user_id) {
		p[n++] = KH_VINT(q->user_id);
		kh_buf_addf(&sql, " AND a.user_id = $%d", n);
	}
	if (q->action) {
		p[n++] = KH_VTEXT(q->action);
		kh_buf_addf(&sql, " AND a.action = $%d", n);
	}
	if (q->from) {
		p[n++] = KH_VTEXT(q->from);
		kh_buf_addf(&sql, " AND a.at >= $%d", n);
	}
	if (q->to) {
		p[n++] = KH_VTEXT(q->to);
		kh_buf_addf(&sql, " AND a.at < $%d", n);
	}
	if (q->before_id) {
		p[n++] = KH_VINT(q->before_id);
		kh_buf_addf(&sql, " AND a.id < $%d", n);
	}
	kh_buf_addf(&sql, " ORDER BY a.id DESC LIMIT %d", q->limit + 1);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the audit log");
	int personal = kh_sees_personal(ctx->who), count = 0, rc;
	int64_t last = 0;
	kh_jw_obj(w);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	while ((rc = kh_rows_next(ctx->db, rows)) > 0 && count < q->limit) {
		struct kh_val v[8];
		for (int i = 0; i < 8; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		static const char *const keys[] = {"id", "at", "user_id", "username", "entity", "record_id", "action"};
		kh_jw_obj(w);
		for (int i = 0; i < 7; i++) {
			kh_jw_key(w, keys[i]);
			if (v[i].t == KH_V_INT)
				kh_jw_int(w, v[i].i);
			else if (v[i].t == KH_V_TEXT)
				kh_jw_strn(w, v[i].s, v[i].n);
			else
				kh_jw_null(w);
		}
		kh_jw_key(w, "changes");
		write_changes(w, v[4].s ? v[4].s : "", v[7].s ? v[7].s : "{}", v[7].t == KH_V_TEXT ? v[7].n : 2,
			      personal);
		kh_jw_obj_end(w);
		last = v[0].i;
		count++;
	}
	kh_rows_end(ctx->db, rows);
	kh_jw_arr_end(w);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read the audit log");
	kh_jw_key(w, "next_cursor");
	if (rc > 0) {
		char cur[32];
		snprintf(cur, sizeof cur, "%lld", (long long)last);
		kh_jw_str(w, cur);
	} else {
		kh_jw_null(w);
	}
	kh_jw_obj_end(w);
	return KH_OK;
}
