#include "domain/merge.h"

#include <stdlib.h>
#include <string.h>

#include "domain/audit.h"
#include "model/record_json.h"
#include "util/buf.h"
#include "util/clock.h"

/* Reads record id of e (live or not) into vals (all fields). */
static enum kh_err load(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_values *vals,
			int *archived)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "%s WHERE id = $1", e->select_sql);
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db, sql, &p, 1, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read %s %lld", e->singular, (long long)id);
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0 && kh_values_init(vals, e, ctx->arena) == 0) {
		for (int c = 0; c < e->nselect; c++) {
			struct kh_val v = kh_rows_col(ctx->db, rows, c);
			if (v.t == KH_V_TEXT)
				v.s = kh_arena_strndup(ctx->arena, v.s, v.n);
			vals->v[e->select_field[c]] = v;
		}
		*archived = vals->v[kh_field_index(e, "archived_at")].t != KH_V_NULL;
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read %s %lld", e->singular, (long long)id);
	if (rc == 0)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "%s %lld not found", e->singular, (long long)id);
	return KH_OK;
}

/* Fields a merge may carry over: the record's own, writable ones. */
static int mergeable(const struct kh_field *f)
{
	return !(f->flags & (KH_F_SYSTEM | KH_F_READONLY | KH_F_WRITEONLY | KH_F_UNIQUE)) || !strcmp(f->name, "owner_id");
}

static void val_json(struct kh_jw *w, const struct kh_field *f, const struct kh_val *v)
{
	if (v->t == KH_V_TEXT)
		kh_jw_strn(w, v->s, v->n);
	else if (v->t == KH_V_INT)
		kh_jw_int(w, v->i);
	else
		kh_jw_null(w);
	(void)f;
}

enum kh_err kh_merge(struct kh_ctx *ctx, const struct kh_entity *e, int64_t winner, const int64_t *losers, int n,
		     json_t *fields, int64_t *merge_id)
{
	if (n < 1 || n > KH_MERGE_MAX_LOSERS)
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "a merge takes 1 to %d records besides the one kept",
				      KH_MERGE_MAX_LOSERS);
	for (int i = 0; i < n; i++) {
		if (losers[i] == winner)
			return kh_errinfo_set(ctx->ei, KH_EINVAL, "%s %lld cannot be merged into itself", e->singular,
					      (long long)winner);
		for (int k = 0; k < i; k++)
			if (losers[k] == losers[i])
				return kh_errinfo_set(ctx->ei, KH_EINVAL, "%s %lld is named twice", e->singular,
						      (long long)losers[i]);
	}
	struct kh_values win, *lose = kh_arena_calloc(ctx->arena, (size_t)n, sizeof *lose);
	if (!lose)
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	struct kh_buf undo = KH_BUF_INIT;
	struct kh_jw uw;
	kh_jw_init(&uw, &undo);
	int archived = 0, own_tx = !ctx->db->in_tx;
	enum kh_err err = own_tx ? kh_db_begin(ctx->db, KH_TX_WRITE) : KH_OK;
	if (!err)
		err = load(ctx, e, winner, &win, &archived);
	if (!err && archived)
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "%s %lld is archived", e->singular, (long long)winner);
	for (int i = 0; !err && i < n; i++) {
		err = load(ctx, e, losers[i], &lose[i], &archived);
		if (!err && archived)
			err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "%s %lld is archived (merged already?)", e->singular,
					     (long long)losers[i]);
	}
	/* 1. The winner's values: those chosen, then its gaps filled. */
	struct kh_values patch;
	if (!err && kh_values_init(&patch, e, ctx->arena))
		err = KH_ENOMEM;
	const char *key;
	json_t *src;
	if (!err)
		json_object_foreach(fields, key, src) {
			int fi = kh_field_index(e, key);
			int64_t from = json_is_integer(src) ? (int64_t)json_integer_value(src) : 0;
			int which = -1;
			for (int i = 0; i < n; i++)
				if (losers[i] == from)
					which = i;
			if (fi < 0 || !mergeable(&e->fields[fi]))
				kh_errinfo_field(ctx->ei, key, "is not a field a merge can choose");
			else if (from != winner && which < 0)
				kh_errinfo_field(ctx->ei, key, "must name one of the merged records");
			else if (which >= 0) {
				patch.v[fi] = lose[which].v[fi];
				patch.set[fi] = 1;
			}
		}
	if (!err && ctx->ei->code)
		err = ctx->ei->code;
	for (int fi = 0; !err && fi < e->nfields; fi++) {
		if (patch.set[fi] || !mergeable(&e->fields[fi]) || win.v[fi].t != KH_V_NULL ||
		    json_object_get(fields, e->fields[fi].name))
			continue;
		for (int i = 0; i < n && !patch.set[fi]; i++)
			if (lose[i].v[fi].t != KH_V_NULL) {
				patch.v[fi] = lose[i].v[fi];
				patch.set[fi] = 1;
			}
	}
	kh_jw_obj(&uw);
	kh_jw_key(&uw, "winner");
	kh_jw_obj(&uw); /* the winner's values before, for undo */
	for (int fi = 0; !err && fi < e->nfields; fi++)
		if (patch.set[fi]) {
			kh_jw_key(&uw, e->fields[fi].name);
			val_json(&uw, &e->fields[fi], &win.v[fi]);
		}
	kh_jw_obj_end(&uw);
	if (!err)
		err = kh_record_patch(ctx, &patch, winner, -1);

	/* 2. Records that refer to a loser move to the winner. */
	kh_jw_key(&uw, "moved");
	kh_jw_arr(&uw);
	int64_t moved = 0;
	for (int ei = 0; !err && ei < kh_nentities; ei++) {
		const struct kh_entity *re = kh_entities[ei];
		for (int fi = 0; !err && fi < re->nfields; fi++) {
			const struct kh_field *f = &re->fields[fi];
			if (f->type != KH_T_REF || strcmp(f->ref, e->name) || (f->flags & (KH_F_READONLY | KH_F_SYSTEM)))
				continue;
			for (int i = 0; !err && i < n; i++) {
				char sql[256];
				snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = $1 AND archived_at IS NULL ORDER BY id",
					 re->name, f->name);
				struct kh_val p = KH_VINT(losers[i]);
				struct kh_rows *rows;
				int64_t *ids = NULL;
				size_t nids = 0, cap = 0;
				if ((err = kh_db_query(ctx->db, sql, &p, 1, &rows)))
					break;
				int rc;
				while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
					if (nids == cap) {
						cap = cap ? cap * 2 : 16;
						int64_t *ni = realloc(ids, cap * sizeof *ni);
						if (!ni) {
							rc = -KH_ENOMEM;
							break;
						}
						ids = ni;
					}
					ids[nids++] = kh_rows_col(ctx->db, rows, 0).i;
				}
				kh_rows_end(ctx->db, rows);
				if (rc < 0)
					err = (enum kh_err)-rc;
				for (size_t k = 0; !err && k < nids; k++) {
					struct kh_values mv;
					if (kh_values_init(&mv, re, ctx->arena)) {
						err = KH_ENOMEM;
						break;
					}
					mv.v[fi] = KH_VINT(winner);
					mv.set[fi] = 1;
					err = kh_record_patch(ctx, &mv, ids[k], -1);
					kh_jw_arr(&uw);
					kh_jw_str(&uw, re->name);
					kh_jw_int(&uw, ids[k]);
					kh_jw_str(&uw, f->name);
					kh_jw_int(&uw, losers[i]);
					kh_jw_arr_end(&uw);
					moved++;
				}
				free(ids);
			}
		}
	}
	kh_jw_arr_end(&uw);
	kh_jw_key(&uw, "moved_count");
	kh_jw_int(&uw, moved);
	kh_jw_obj_end(&uw);

	/* 3. The losers are archived, each pointing at the winner. */
	for (int i = 0; !err && i < n; i++)
		err = kh_record_archive(ctx, e, losers[i]);
	struct kh_buf ids = KH_BUF_INIT;
	kh_buf_addc(&ids, '[');
	for (int i = 0; i < n; i++)
		kh_buf_addf(&ids, "%s%lld", i ? "," : "", (long long)losers[i]);
	kh_buf_addc(&ids, ']');
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	if (!err && (undo.err || ids.err))
		err = KH_ENOMEM;
	if (!err) {
		struct kh_val p[6] = {KH_VTEXT(e->name), KH_VINT(winner), KH_VTEXTN(ids.data, ids.len),
				      KH_VTEXTN(undo.data, undo.len),
				      ctx->who->user_id ? KH_VINT(ctx->who->user_id) : KH_VNULL, KH_VTEXT(now)};
		err = kh_db_int(ctx->db,
				"INSERT INTO kh_merges (entity, winner_id, losers, undo, created_by, created_at) "
				"VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
				p, 6, merge_id);
	}
	for (int i = 0; !err && i < n; i++) {
		struct kh_val p[4] = {KH_VTEXT(e->name), KH_VINT(losers[i]), KH_VINT(*merge_id), KH_VINT(winner)};
		err = kh_db_exec(ctx->db,
				 "INSERT INTO kh_merged (entity, record_id, merge_id, winner_id) VALUES ($1, $2, $3, $4)", p, 4);
	}
	if (!err) {
		char details[256];
		snprintf(details, sizeof details, "{\"merge_id\":%lld,\"merged\":%s,\"moved\":%lld}", (long long)*merge_id,
			 ids.data, (long long)moved);
		err = kh_audit_append(ctx->db, ctx->who->user_id, e->name, winner, "merge", details);
	}
	kh_buf_release(&ids);
	kh_buf_release(&undo);
	if (err) {
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "the merge failed: %s", kh_strerror(err));
		if (own_tx)
			kh_db_rollback(ctx->db);
		return ctx->ei->code ? ctx->ei->code : err;
	}
	if (own_tx && (err = kh_db_commit(ctx->db)))
		return kh_errinfo_set(ctx->ei, err, "the merge could not be committed");
	return KH_OK;
}

/* Sets field f of record id to the JSON value v, through the write path. */
static enum kh_err set_json(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, int fi, json_t *v)
{
	struct kh_values vals;
	if (kh_values_init(&vals, e, ctx->arena))
		return KH_ENOMEM;
	if (json_is_string(v))
		vals.v[fi] = KH_VTEXTN(kh_arena_strndup(ctx->arena, json_string_value(v), json_string_length(v)),
				       json_string_length(v));
	else if (json_is_integer(v))
		vals.v[fi] = KH_VINT((int64_t)json_integer_value(v));
	else
		vals.v[fi] = KH_VNULL;
	vals.set[fi] = 1;
	return kh_record_patch(ctx, &vals, id, -1);
}

enum kh_err kh_merge_undo(struct kh_ctx *ctx, int64_t merge_id)
{
	struct kh_val p = KH_VINT(merge_id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "the database is busy");
	json_t *undo = NULL, *losers = NULL;
	const struct kh_entity *e = NULL;
	int64_t winner = 0;
	int undone = 0;
	if (!(err = kh_db_query(ctx->db, "SELECT entity, winner_id, losers, undo, undone_at FROM kh_merges WHERE id = $1",
				&p, 1, &rows))) {
		int rc = kh_rows_next(ctx->db, rows);
		if (rc > 0) {
			e = kh_entity_find(kh_rows_col(ctx->db, rows, 0).s);
			winner = kh_rows_col(ctx->db, rows, 1).i;
			losers = json_loads(kh_rows_col(ctx->db, rows, 2).s, 0, NULL);
			undo = json_loads(kh_rows_col(ctx->db, rows, 3).s, 0, NULL);
			undone = kh_rows_col(ctx->db, rows, 4).t != KH_V_NULL;
		}
		kh_rows_end(ctx->db, rows);
		if (rc < 0)
			err = (enum kh_err)-rc;
		else if (rc == 0 || !e)
			err = kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "merge %lld not found", (long long)merge_id);
		else if (undone)
			err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "merge %lld was undone already", (long long)merge_id);
		else if (!undo || !losers)
			err = KH_EINTERNAL;
	}
	/* Losers first, so that records can move back to them. */
	size_t i;
	json_t *v;
	json_array_foreach(losers, i, v) {
		if (err)
			break;
		err = kh_record_restore(ctx, e, (int64_t)json_integer_value(v));
	}
	json_array_foreach(json_object_get(undo, "moved"), i, v) {
		if (err)
			break;
		const struct kh_entity *re = kh_entity_find(json_string_value(json_array_get(v, 0)));
		int64_t id = (int64_t)json_integer_value(json_array_get(v, 1));
		int fi = re ? kh_field_index(re, json_string_value(json_array_get(v, 2))) : -1;
		if (fi < 0) {
			err = KH_EINTERNAL;
			break;
		}
		/* Only what still points at the winner goes back; a record moved on
		 * by someone since stays where they put it. */
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE id = $1 AND %s = $2 AND archived_at IS NULL", re->name,
			 re->fields[fi].name);
		struct kh_val q[2] = {KH_VINT(id), KH_VINT(winner)};
		int64_t still;
		enum kh_err found = kh_db_int(ctx->db, sql, q, 2, &still);
		if (found == KH_OK)
			err = set_json(ctx, re, id, fi, json_array_get(v, 3));
		else if (found != KH_ENOTFOUND)
			err = found;
	}
	const char *key;
	json_object_foreach(json_object_get(undo, "winner"), key, v) {
		if (err)
			break;
		int fi = kh_field_index(e, key);
		if (fi >= 0)
			err = set_json(ctx, e, winner, fi, v);
	}
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	if (!err) {
		struct kh_val q[3] = {KH_VTEXT(now), ctx->who->user_id ? KH_VINT(ctx->who->user_id) : KH_VNULL,
				      KH_VINT(merge_id)};
		err = kh_db_exec(ctx->db, "UPDATE kh_merges SET undone_at = $1, undone_by = $2 WHERE id = $3", q, 3);
	}
	if (!err)
		err = kh_db_exec(ctx->db, "DELETE FROM kh_merged WHERE merge_id = $1", &p, 1);
	if (!err) {
		char details[64];
		snprintf(details, sizeof details, "{\"merge_id\":%lld}", (long long)merge_id);
		err = kh_audit_append(ctx->db, ctx->who->user_id, e->name, winner, "unmerge", details);
	}
	json_decref(undo);
	json_decref(losers);
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "the undo failed: %s", kh_strerror(err));
		return ctx->ei->code;
	}
	return KH_OK;
}

enum kh_err kh_merge_json(struct kh_ctx *ctx, int64_t merge_id, struct kh_jw *w)
{
	struct kh_val p = KH_VINT(merge_id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT id, entity, winner_id, losers, undo, created_by, created_at, undone_by, undone_at "
				      "FROM kh_merges WHERE id = $1",
				      &p, 1, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read merge %lld", (long long)merge_id);
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0) {
		struct kh_db *db = ctx->db;
		kh_jw_obj(w);
		kh_jw_key(w, "id");
		kh_jw_int(w, kh_rows_col(db, rows, 0).i);
		kh_jw_key(w, "entity");
		kh_jw_str(w, kh_rows_col(db, rows, 1).s);
		kh_jw_key(w, "winner");
		kh_jw_int(w, kh_rows_col(db, rows, 2).i);
		kh_jw_key(w, "losers");
		struct kh_val l = kh_rows_col(db, rows, 3);
		kh_jw_raw(w, l.s, l.n);
		json_t *undo = json_loadb(kh_rows_col(db, rows, 4).s, kh_rows_col(db, rows, 4).n, 0, NULL);
		kh_jw_key(w, "moved");
		kh_jw_int(w, (int64_t)json_integer_value(json_object_get(undo, "moved_count")));
		kh_jw_key(w, "fields");
		kh_jw_arr(w);
		const char *key;
		json_t *v;
		json_object_foreach(json_object_get(undo, "winner"), key, v)
			kh_jw_str(w, key);
		kh_jw_arr_end(w);
		json_decref(undo);
		static const char *const rest[] = {"created_by", "created_at", "undone_by", "undone_at"};
		for (int i = 0; i < 4; i++) {
			struct kh_val x = kh_rows_col(db, rows, 5 + i);
			kh_jw_key(w, rest[i]);
			if (x.t == KH_V_INT)
				kh_jw_int(w, x.i);
			else if (x.t == KH_V_TEXT)
				kh_jw_strn(w, x.s, x.n);
			else
				kh_jw_null(w);
		}
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read merge %lld", (long long)merge_id);
	if (rc == 0)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "merge %lld not found", (long long)merge_id);
	return KH_OK;
}
