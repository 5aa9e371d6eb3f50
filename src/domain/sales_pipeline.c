/* Pipelines and the opportunity rules that follow from them: the stage must be
 * one of the pipeline's, a stage change takes the stage's probability and
 * forecast category unless the change names them, each stage's required
 * fields must be filled, closing may need a reason from the pipeline's list,
 * and every stage change is kept with its time (kh_stage_history). */
#include "domain/sales_pipeline.h"

#include <stdio.h>
#include <string.h>

#include "domain/hooks.h"
#include "domain/sales.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json_out.h"
#include "model/permission.h"

static int in_enum(const struct kh_field *f, const char *s)
{
	for (int i = 0; f && f->enum_values && f->enum_values[i]; i++)
		if (!strcmp(f->enum_values[i], s))
			return 1;
	return 0;
}

enum kh_err kh_pipeline_parse(struct kh_pipeline *p, json_t *config, struct kh_arena *a, const char **why)
{
	const struct kh_entity *opp = kh_entity_find("opportunities");
	const struct kh_field *stage_f = kh_field_find(opp, "stage"), *fc_f = kh_field_find(opp, "forecast_category");
	memset(p, 0, sizeof *p);
	json_t *stages = json_object_get(config, "stages");
	if (!json_is_array(stages) || json_array_size(stages) < 2 || json_array_size(stages) > KH_PIPE_MAX_STAGES) {
		*why = "needs \"stages\": a list of 2 to 16 stages";
		return KH_EVALIDATION;
	}
	const char *key;
	json_t *v;
	json_object_foreach(config, key, v) {
		if (strcmp(key, "stages") && strcmp(key, "won_reasons") && strcmp(key, "lost_reasons") &&
		    strcmp(key, "require_reasons")) {
			*why = kh_arena_printf(a, "unknown member \"%s\" (stages, won_reasons, lost_reasons, "
						  "require_reasons)", key);
			return KH_EVALIDATION;
		}
	}
	size_t i;
	json_t *s;
	int won = 0, lost = 0;
	json_array_foreach(stages, i, s) {
		struct kh_pipe_stage *st = &p->stages[p->nstages];
		const char *k = json_string_value(json_object_get(s, "key"));
		if (!json_is_object(s) || !k || !in_enum(stage_f, k)) {
			*why = kh_arena_printf(a, "stage %zu: \"key\" must be a stage of opportunities (see /api/v1/meta)",
					       i + 1);
			return KH_EVALIDATION;
		}
		if (kh_pipeline_stage(p, k) >= 0) {
			*why = kh_arena_printf(a, "stage %s is listed twice", k);
			return KH_EVALIDATION;
		}
		json_object_foreach(s, key, v) {
			static const char *const known[] = {"key", "probability", "forecast_category", "required",
							    "max_days", "label_en", "label_zh", NULL};
			int ok = 0;
			for (int n = 0; known[n] && !ok; n++)
				ok = !strcmp(known[n], key);
			if (!ok) {
				*why = kh_arena_printf(a, "stage %s: unknown member \"%s\"", k, key);
				return KH_EVALIDATION;
			}
		}
		json_t *prob = json_object_get(s, "probability"), *req = json_object_get(s, "required"),
		       *days = json_object_get(s, "max_days");
		const char *fc = json_string_value(json_object_get(s, "forecast_category"));
		if (!json_is_integer(prob) || json_integer_value(prob) < 0 || json_integer_value(prob) > 100) {
			*why = kh_arena_printf(a, "stage %s: \"probability\" must be a whole number 0-100", k);
			return KH_EVALIDATION;
		}
		if (json_object_get(s, "forecast_category") && (!fc || !in_enum(fc_f, fc) || !strcmp(fc, "closed"))) {
			*why = kh_arena_printf(a, "stage %s: \"forecast_category\" must be pipeline, best_case, commit or "
						  "omitted",
					       k);
			return KH_EVALIDATION;
		}
		if (days && (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 3650)) {
			*why = kh_arena_printf(a, "stage %s: \"max_days\" must be a whole number 1-3650", k);
			return KH_EVALIDATION;
		}
		if (req && (!json_is_array(req) || json_array_size(req) > KH_PIPE_MAX_REQUIRED)) {
			*why = kh_arena_printf(a, "stage %s: \"required\" must be a list of up to 8 fields", k);
			return KH_EVALIDATION;
		}
		size_t j;
		json_t *r;
		json_array_foreach(req, j, r) {
			const struct kh_field *f = json_is_string(r) ? kh_field_find(opp, json_string_value(r)) : NULL;
			if (!f || (f->flags & (KH_F_SYSTEM | KH_F_READONLY))) {
				*why = kh_arena_printf(a, "stage %s: required field %s is not a field of opportunities "
							  "that people fill in",
						       k, json_is_string(r) ? json_string_value(r) : "?");
				return KH_EVALIDATION;
			}
			st->required[st->nrequired++] = f->name;
		}
		st->key = k;
		st->probability = (int)json_integer_value(prob);
		st->forecast_category = fc;
		st->max_days = days ? (int)json_integer_value(days) : 0;
		won |= !strcmp(k, "closed_won");
		lost |= !strcmp(k, "closed_lost");
		p->nstages++;
	}
	if (!won || !lost) {
		*why = "the stages must include closed_won and closed_lost";
		return KH_EVALIDATION;
	}
	static const char *const lists[] = {"won_reasons", "lost_reasons"};
	for (int n = 0; n < 2; n++) {
		json_t *l = json_object_get(config, lists[n]);
		json_t *r;
		if (l && !json_is_array(l)) {
			*why = kh_arena_printf(a, "\"%s\" must be a list of short texts", lists[n]);
			return KH_EVALIDATION;
		}
		json_array_foreach(l, i, r) {
			if (!json_is_string(r) || !*json_string_value(r) || strlen(json_string_value(r)) > 200) {
				*why = kh_arena_printf(a, "\"%s\" must be a list of short texts", lists[n]);
				return KH_EVALIDATION;
			}
		}
	}
	json_t *rr = json_object_get(config, "require_reasons");
	if (rr && !json_is_boolean(rr)) {
		*why = "\"require_reasons\" must be true or false";
		return KH_EVALIDATION;
	}
	p->won_reasons = json_object_get(config, "won_reasons");
	p->lost_reasons = json_object_get(config, "lost_reasons");
	p->require_reasons = json_is_true(rr);
	p->config = config;
	return KH_OK;
}

int kh_pipeline_stage(const struct kh_pipeline *p, const char *key)
{
	for (int i = 0; i < p->nstages; i++)
		if (!strcmp(p->stages[i].key, key))
			return i;
	return -1;
}

enum kh_err kh_pipeline_load(struct kh_db *db, int64_t id, struct kh_pipeline *p)
{
	struct kh_val pid = KH_VINT(id);
	struct kh_rows *rows;
	memset(p, 0, sizeof *p);
	enum kh_err err = id ? kh_db_query(db, "SELECT id, config FROM pipelines WHERE id = $1", &pid, 1, &rows)
			     : kh_db_query(db,
					   "SELECT id, config FROM pipelines WHERE is_default = 1 AND archived_at IS NULL "
					   "ORDER BY id LIMIT 1",
					   NULL, 0, &rows);
	if (err)
		return err;
	json_t *config = NULL;
	int64_t found = 0;
	int rc = kh_rows_next(db, rows);
	if (rc > 0) {
		found = kh_rows_col(db, rows, 0).i;
		struct kh_val c = kh_rows_col(db, rows, 1);
		config = c.t == KH_V_TEXT ? json_loadb(c.s, c.n, 0, NULL) : NULL;
	}
	kh_rows_end(db, rows);
	if (rc < 0)
		return (enum kh_err)-rc;
	if (!found)
		return KH_ENOTFOUND;
	struct kh_arena a;
	kh_arena_init(&a);
	const char *why;
	err = config ? kh_pipeline_parse(p, config, &a, &why) : KH_EVALIDATION;
	kh_arena_release(&a);
	if (err) {
		json_decref(config);
		memset(p, 0, sizeof *p);
		return KH_EINTERNAL; /* a stored config was checked on the way in */
	}
	p->id = found;
	return KH_OK;
}

void kh_pipeline_release(struct kh_pipeline *p)
{
	json_decref(p->config);
	memset(p, 0, sizeof *p);
}

/* ---- the pipelines entity ---- */

enum kh_err kh_pipeline_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	int is_default = kh_write_get(w, "is_default")->i;
	if (w->op == KH_OP_ARCHIVE) {
		if (is_default)
			return kh_errinfo_set(ctx->ei, KH_ECONFLICT, "the default pipeline cannot be archived; make "
								    "another one the default first");
		int64_t n = 0;
		struct kh_val id = KH_VINT(w->id);
		kh_db_int(ctx->db,
			  "SELECT count(*) FROM opportunities WHERE pipeline_id = $1 AND status = 'open' AND "
			  "archived_at IS NULL",
			  &id, 1, &n);
		if (n > 0)
			return kh_errinfo_set(ctx->ei, KH_ECONFLICT, "%lld open opportunities are in this pipeline",
					      (long long)n);
		return KH_OK;
	}
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	if (kh_write_changes(w, "config")) {
		const struct kh_val *c = kh_write_get(w, "config");
		json_t *j = c->t == KH_V_TEXT ? json_loadb(c->s, c->n, 0, NULL) : NULL;
		struct kh_pipeline p;
		const char *why = "is required";
		enum kh_err err = j ? kh_pipeline_parse(&p, j, ctx->arena, &why) : KH_EVALIDATION;
		json_decref(j);
		if (err) {
			kh_errinfo_field(ctx->ei, "config", "%s", why);
			return KH_EVALIDATION;
		}
	}
	if (w->op == KH_OP_UPDATE && kh_write_changes(w, "is_default") && !is_default) {
		kh_errinfo_field(ctx->ei, "is_default", "make another pipeline the default instead");
		return KH_EVALIDATION;
	}
	if (kh_write_changes(w, "is_default") && is_default) {
		/* One default: the others stop being it, in this transaction. */
		struct kh_val p[2] = {KH_VINT(w->id), KH_VTEXT(w->now_text)};
		return kh_db_exec(ctx->db,
				  "UPDATE pipelines SET is_default = 0, updated_at = $2, version = version + 1 "
				  "WHERE is_default = 1 AND id <> $1",
				  p, 2);
	}
	return KH_OK;
}

/* ---- opportunities ---- */

static int is_empty(const struct kh_val *v)
{
	return v->t == KH_V_NULL || (v->t == KH_V_TEXT && v->n == 0);
}

static int in_list(json_t *list, const struct kh_val *v)
{
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		if (kh_sales_is(v, json_string_value(s)))
			return 1;
	}
	return 0;
}

/* Closing needs a reason from the list when the pipeline says so. */
static void check_reason(struct kh_write *w, struct kh_pipeline *p, const char *field, json_t *list)
{
	const struct kh_val *r = kh_write_get(w, field);
	if (is_empty(r)) {
		if (p->require_reasons)
			kh_errinfo_field(w->ctx->ei, field, "is required to close a deal in this pipeline");
		return;
	}
	if (p->require_reasons && json_array_size(list) && !in_list(list, r)) {
		struct kh_buf names = KH_BUF_INIT;
		size_t i;
		json_t *s;
		json_array_foreach(list, i, s) {
			kh_buf_addf(&names, "%s%s", i ? ", " : "", json_string_value(s));
		}
		kh_errinfo_field(w->ctx->ei, field, "must be one of the pipeline's reasons: %s", names.data);
		kh_buf_release(&names);
	}
}

enum kh_err kh_sales_opportunity_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return kh_opportunity_before_write(w);
	/* On a create the category holds its default unless the client chose another. */
	int given_prob = kh_write_changes(w, "probability"),
	    given_fc = kh_write_changes(w, "forecast_category") &&
		       !(w->op == KH_OP_CREATE && kh_sales_is(kh_write_get(w, "forecast_category"), "pipeline"));
	int stage_changes = kh_write_changes(w, "stage") || w->op == KH_OP_CREATE;
	enum kh_err err = kh_opportunity_before_write(w);
	if (err)
		return err;
	if (stage_changes)
		kh_write_set(w, "stage_changed_at",
			     ctx->bulk && kh_write_changes(w, "created_at") ? *kh_write_get(w, "created_at")
									    : KH_VTEXT(w->now_text));
	const struct kh_val *pid = kh_write_get(w, "pipeline_id");
	int pipeline_changes = kh_write_changes(w, "pipeline_id");
	/* Demo data and imports name stages from the vocabulary; the pipeline's
	 * finer rules are for people changing deals one at a time. */
	if (ctx->bulk || (!stage_changes && !pipeline_changes && w->op == KH_OP_UPDATE && !w->ctx->ei->code)) {
		int required_cleared = 0;
		for (int i = 0; i < w->e->nfields && !ctx->bulk; i++)
			required_cleared |= w->new.set[i] && is_empty(&w->new.v[i]);
		if (!required_cleared)
			return KH_OK;
	}
	struct kh_pipeline p;
	err = kh_pipeline_load(ctx->db, pid->t == KH_V_INT ? pid->i : 0, &p);
	if (err == KH_ENOTFOUND) {
		if (pid->t == KH_V_INT) {
			kh_errinfo_field(ctx->ei, "pipeline_id", "no such pipeline");
			return KH_EVALIDATION;
		}
		return KH_OK; /* no pipeline at all: the vocabulary is the rule */
	}
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the pipeline");
	if (pid->t != KH_V_INT)
		kh_write_set(w, "pipeline_id", KH_VINT(p.id));
	const struct kh_val *stage = kh_write_get(w, "stage");
	int at = stage->t == KH_V_TEXT ? kh_pipeline_stage(&p, stage->s) : -1;
	if (at < 0) {
		struct kh_buf names = KH_BUF_INIT;
		for (int i = 0; i < p.nstages; i++)
			kh_buf_addf(&names, "%s%s", i ? ", " : "", p.stages[i].key);
		kh_errinfo_field(ctx->ei, "stage", "is not a stage of this pipeline (%s)", names.data);
		kh_buf_release(&names);
		kh_pipeline_release(&p);
		return KH_EVALIDATION;
	}
	const struct kh_pipe_stage *st = &p.stages[at];
	if (stage_changes || pipeline_changes) {
		if (!given_prob)
			kh_write_set(w, "probability", KH_VINT(st->probability));
		/* Copied: the pipeline's config is released before the row is written. */
		char *fc = st->forecast_category ? kh_arena_strdup(ctx->arena, st->forecast_category) : NULL;
		if (!given_fc && fc && kh_sales_is(kh_write_get(w, "status"), "open"))
			kh_write_set(w, "forecast_category", KH_VTEXT(fc));
	}
	for (int i = 0; i < st->nrequired; i++)
		if (is_empty(kh_write_get(w, st->required[i])))
			kh_errinfo_field(ctx->ei, st->required[i], "is required in stage %s", st->key);
	if (stage_changes && kh_sales_is(kh_write_get(w, "status"), "lost"))
		check_reason(w, &p, "lost_reason", p.lost_reasons);
	if (stage_changes && kh_sales_is(kh_write_get(w, "status"), "won"))
		check_reason(w, &p, "won_reason", p.won_reasons);
	kh_pipeline_release(&p);
	return ctx->ei->code;
}

/* Stage history: the row of the stage left gets its end, a new row starts. */
enum kh_err kh_sales_opportunity_after_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE && !(w->op == KH_OP_UPDATE && kh_write_changes(w, "stage")))
		return KH_OK;
	struct kh_db *db = w->ctx->db;
	struct kh_val p[5] = {KH_VINT(w->id), KH_VTEXT(w->now_text)};
	enum kh_err err = kh_db_exec(db,
				     "UPDATE kh_stage_history SET left_at = $2 WHERE opportunity_id = $1 AND left_at IS NULL",
				     p, 2);
	p[2] = *kh_write_get(w, "pipeline_id");
	p[3] = *kh_write_get(w, "stage");
	p[4] = w->ctx->who->user_id ? KH_VINT(w->ctx->who->user_id) : KH_VNULL;
	if (!err)
		err = kh_db_exec(db,
				 "INSERT INTO kh_stage_history (opportunity_id, entered_at, pipeline_id, stage, user_id) "
				 "VALUES ($1, $2, $3, $4, $5)",
				 p, 5);
	return err;
}

/* After a bulk load: each deal's history starts in its current stage when it
 * was created (closed ones left it when they closed), and deals without a
 * pipeline join the default one. */
enum kh_err kh_sales_opportunity_after_bulk(struct kh_db *db)
{
	enum kh_err err = kh_db_exec(db,
				     "UPDATE opportunities SET pipeline_id = (SELECT id FROM pipelines WHERE is_default = 1 "
				     "ORDER BY id LIMIT 1) WHERE pipeline_id IS NULL",
				     NULL, 0);
	if (!err)
		err = kh_db_exec(db,
				 "INSERT INTO kh_stage_history (opportunity_id, pipeline_id, stage, entered_at) "
				 "SELECT id, pipeline_id, stage, COALESCE(stage_changed_at, created_at) FROM opportunities o "
				 "WHERE NOT EXISTS (SELECT 1 FROM kh_stage_history h WHERE h.opportunity_id = o.id)",
				 NULL, 0);
	return err;
}

enum kh_err kh_stage_history_write(struct kh_ctx *ctx, int64_t id, struct kh_jw *w)
{
	enum kh_err err = kh_sales_access(ctx, kh_entity_find("opportunities"), id, KH_ACT_READ);
	if (err)
		return err;
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	err = kh_db_query(ctx->db,
			  "SELECT stage, entered_at, left_at, user_id FROM kh_stage_history WHERE opportunity_id = $1 ORDER BY id",
			  &p, 1, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the stage history");
	int64_t now = kh_now();
	kh_jw_obj(w);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	int rc;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		struct kh_val st = kh_rows_col(ctx->db, rows, 0), in = kh_rows_col(ctx->db, rows, 1),
			      out = kh_rows_col(ctx->db, rows, 2), u = kh_rows_col(ctx->db, rows, 3);
		int64_t a = 0, b = now;
		kh_time_parse(in.s, in.n, &a);
		if (out.t == KH_V_TEXT)
			kh_time_parse(out.s, out.n, &b);
		kh_jw_obj(w);
		kh_jw_key(w, "stage");
		kh_jw_str(w, st.s);
		kh_jw_key(w, "entered_at");
		kh_jw_str(w, in.s);
		kh_jw_key(w, "left_at");
		kh_jw_str(w, out.t == KH_V_TEXT ? out.s : NULL);
		kh_jw_key(w, "days");
		kh_jw_double(w, (double)((b - a) / 864000000) / 100.0);
		kh_jw_key(w, "user_id");
		if (u.t == KH_V_INT)
			kh_jw_int(w, u.i);
		else
			kh_jw_null(w);
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return rc < 0 ? kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read the stage history") : KH_OK;
}
