/* Rules in the background.
 *
 * Firing: the outbox consumer sees every change once, in order, in a
 * transaction that also moves its offset; for each automation rule that the
 * change makes fire it inserts a run (kh_rule_runs, unique by trigger_key)
 * and queues a job, in that same transaction. So no change is missed after a
 * restart and none fires a rule twice. The minute tick fires date and idle
 * rules the same way, keyed by the date or the idle period.
 *
 * Running: the job does the run's actions one step at a time. A step that
 * only writes to the database commits together with its "done" mark
 * (kh_rule_steps), so it happens exactly once. A step that talks to the
 * outside (e-mail, webhook) is marked "started" and committed before it is
 * tried: if the server dies during it, the step is found "started" and
 * reported as failed, never repeated. A step that failed without reaching
 * anyone (the server could not be reached, or said "try later") is retried
 * with the job's backoff; the run shows each attempt's error.
 *
 * Loops: changes made by a run's steps are remembered (kh_rule_effects) with
 * their depth; a rule never fires on its own effects, and nothing fires on an
 * effect three levels deep. */
#include "domain/rules.h"

#include <curl/curl.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/email.h"
#include "domain/jobs.h"
#include "domain/leads.h"
#include "domain/sales.h"
#include "domain/security.h"
#include "model/record_json.h"
#include "util/clock.h"
#include "util/log.h"

#define MAX_DEPTH 3
#define MAX_ATTEMPTS 5

/* ---- firing ---- */

static enum kh_err fire(struct kh_ctx *ctx, const struct kh_rule *r, int64_t record_id, const char *key,
			int64_t outbox_id, int depth)
{
	int64_t found;
	struct kh_val k = KH_VTEXT(key);
	if (kh_db_int(ctx->db, "SELECT id FROM kh_rule_runs WHERE trigger_key = $1", &k, 1, &found) == KH_OK)
		return KH_OK; /* fired before for this very cause */
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[8] = {KH_VINT(r->id), KH_VTEXT(r->e->name), KH_VINT(record_id), k,
			      outbox_id ? KH_VINT(outbox_id) : KH_VNULL, KH_VINT(depth),
			      KH_VTEXT(r->actions ? r->actions : "{}"), KH_VTEXT(now)};
	int64_t run;
	enum kh_err err = kh_db_int(ctx->db,
				    "INSERT INTO kh_rule_runs (rule_id, entity, record_id, trigger_key, outbox_id, depth, "
				    "status, actions, attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, "
				    "0, $8) RETURNING id",
				    p, 8, &run);
	if (err)
		return err;
	json_t *payload = json_pack("{s:I}", "run_id", (json_int_t)run);
	char dedupe[48];
	snprintf(dedupe, sizeof dedupe, "rule_run:%lld", (long long)run);
	err = payload ? kh_job_enqueue(ctx->db, "sales.rule_run", NULL, payload, dedupe) : KH_ENOMEM;
	json_decref(payload);
	return err;
}

/* A value from a change's JSON (the "old" side) as the store would hold it. */
static struct kh_val json_to_val(json_t *j, struct kh_arena *a)
{
	if (json_is_string(j)) {
		char *s = kh_arena_strdup(a, json_string_value(j));
		return s ? KH_VTEXT(s) : KH_VNULL;
	}
	if (json_is_integer(j))
		return KH_VINT(json_integer_value(j));
	if (json_is_boolean(j))
		return KH_VINT(json_is_true(j));
	if (json_is_array(j) || json_is_object(j)) {
		char *t = json_dumps(j, JSON_COMPACT);
		char *s = t ? kh_arena_strdup(a, t) : NULL;
		free(t);
		return s ? KH_VTEXT(s) : KH_VNULL;
	}
	return KH_VNULL;
}

static int64_t count_activities(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id)
{
	const struct kh_entity *act = kh_entity_find("activities");
	const struct kh_field *link = act ? kh_related_field(e, act) : NULL;
	if (!link)
		return 0;
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM activities WHERE %s = $1 AND archived_at IS NULL", link->name);
	struct kh_val p = KH_VINT(id);
	int64_t n = 0;
	kh_db_int(ctx->db, sql, &p, 1, &n);
	return n;
}

/* A score_crossed rule's score name (into name) and threshold. */
static double score_param(const struct kh_rule *r, char name[64])
{
	json_t *p = r->params ? json_loads(r->params, 0, NULL) : NULL;
	double above = json_number_value(json_object_get(p, "above"));
	const char *s = json_string_value(json_object_get(p, "score"));
	snprintf(name, 64, "%s", s ? s : "");
	json_decref(p);
	return above;
}

enum kh_err kh_rules_on_change(struct kh_ctx *ctx, const struct kh_change *c)
{
	int created = !strcmp(c->action, "create"), updated = !strcmp(c->action, "update");
	const struct kh_entity *e = kh_entity_find(c->entity);
	if ((!created && !updated) || !e)
		return KH_OK;
	struct kh_ruleset rs;
	enum kh_err err = kh_ruleset_load(ctx->db, KH_RULE_AUTOMATION, e->name, &rs);
	if (err || rs.n == 0) {
		kh_ruleset_release(&rs);
		return err;
	}
	int64_t cause_rule = 0, depth = 0;
	struct kh_rows *rows;
	struct kh_val oid = KH_VINT(c->id);
	if (kh_db_query(ctx->db, "SELECT rule_id, depth FROM kh_rule_effects WHERE outbox_id = $1", &oid, 1, &rows) ==
	    KH_OK) {
		if (kh_rows_next(ctx->db, rows) > 0) {
			cause_rule = kh_rows_col(ctx->db, rows, 0).i;
			depth = kh_rows_col(ctx->db, rows, 1).i;
		}
		kh_rows_end(ctx->db, rows);
	}
	if (depth >= MAX_DEPTH) {
		kh_warn("rules: change %lld is %lld rule steps deep; no rule fires on it", (long long)c->id, (long long)depth);
		kh_ruleset_release(&rs);
		return KH_OK;
	}
	struct kh_values cur;
	err = kh_sales_load(ctx, e, c->record_id, &cur);
	if (err == KH_ENOTFOUND) {
		kh_ruleset_release(&rs);
		return KH_OK;
	}
	struct kh_val *old = NULL;
	unsigned char *changed = kh_arena_calloc(ctx->arena, (size_t)e->nfields, 1);
	if (!err && updated) {
		old = kh_arena_calloc(ctx->arena, (size_t)e->nfields, sizeof *old);
		if (!old || !changed)
			err = KH_ENOMEM;
		for (int i = 0; !err && i < e->nfields; i++)
			old[i] = cur.v[i];
	}
	const char *key;
	json_t *pair;
	json_object_foreach(c->changes, key, pair) {
		int i = kh_field_index(e, key);
		if (err || i < 0 || !changed)
			continue;
		changed[i] = 1;
		if (old && json_is_array(pair))
			old[i] = json_to_val(json_array_get(pair, 0), ctx->arena);
	}
	char today[11];
	kh_sales_today(today);
	struct kh_rule_rec rec = {cur.v, old, changed, -1, today};
	for (int i = 0; !err && i < rs.n; i++) {
		const struct kh_rule *r = &rs.rules[i];
		if (r->id == cause_rule)
			continue;
		int on = r->trigger == KH_TRIG_SAVED || (created && r->trigger == KH_TRIG_CREATED) ||
			 (updated && r->trigger == KH_TRIG_UPDATED);
		if (r->trigger == KH_TRIG_SCORE && updated) {
			/* A numeric field crossing the threshold from below. */
			char name[64];
			double above = score_param(r, name);
			int f = kh_field_index(e, name);
			on = f >= 0 && changed[f] && cur.v[f].t == KH_V_INT && (double)cur.v[f].i > above &&
			     (old[f].t != KH_V_INT || (double)old[f].i <= above);
		}
		if (!on)
			continue;
		if (r->uses_activities && rec.activities < 0)
			rec.activities = count_activities(ctx, e, c->record_id);
		if (!kh_rule_match(r, &rec))
			continue;
		char tkey[64];
		snprintf(tkey, sizeof tkey, "c:%lld:%lld", (long long)r->id, (long long)c->id);
		err = fire(ctx, r, c->record_id, tkey, c->id, (int)depth);
	}
	kh_ruleset_release(&rs);
	return err;
}

/* ---- scores from outside (analytics) ---- */

enum kh_err kh_sales_score_record(struct kh_ctx *ctx, const char *entity, int64_t id, const char *name, double value)
{
	const struct kh_entity *e = kh_entity_find(entity);
	if (!e || !isfinite(value))
		return kh_errinfo_set(ctx->ei, KH_EVALIDATION, "a score needs an entity and a finite value");
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[5] = {KH_VTEXT(entity), KH_VINT(id), KH_VTEXT(name), {.t = KH_V_REAL, .d = value},
			      KH_VTEXT(now)};
	double before = NAN;
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT value FROM kh_scores WHERE entity = $1 AND record_id = $2 AND name = $3", p,
				      3, &rows);
	if (err)
		return err;
	if (kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val v = kh_rows_col(ctx->db, rows, 0);
		before = v.t == KH_V_REAL ? v.d : (double)v.i;
	}
	kh_rows_end(ctx->db, rows);
	err = kh_db_exec(ctx->db, "DELETE FROM kh_scores WHERE entity = $1 AND record_id = $2 AND name = $3", p, 3);
	if (!err)
		err = kh_db_exec(ctx->db,
				 "INSERT INTO kh_scores (entity, record_id, name, value, updated_at) VALUES ($1, $2, $3, "
				 "$4, $5)",
				 p, 5);
	if (err)
		return err;
	struct kh_ruleset rs;
	if ((err = kh_ruleset_load(ctx->db, KH_RULE_AUTOMATION, e->name, &rs)))
		return err;
	struct kh_values cur = {0};
	char today[11];
	kh_sales_today(today);
	for (int i = 0; !err && i < rs.n; i++) {
		const struct kh_rule *r = &rs.rules[i];
		char sname[64] = "";
		double above = r->trigger == KH_TRIG_SCORE ? score_param(r, sname) : 0;
		if (r->trigger != KH_TRIG_SCORE || strcmp(sname, name) || !(value > above) ||
		    (!isnan(before) && before > above))
			continue;
		if (!cur.v && (err = kh_sales_load(ctx, e, id, &cur)))
			break;
		struct kh_rule_rec rec = {cur.v, NULL, NULL, r->uses_activities ? count_activities(ctx, e, id) : -1, today};
		if (!kh_rule_match(r, &rec))
			continue;
		/* Each crossing is its own firing, even within one clock tick. */
		int64_t nth;
		if ((err = kh_counter_next(ctx->db, "score_crossings", &nth)))
			break;
		char key[96];
		snprintf(key, sizeof key, "s:%lld:%lld:%lld", (long long)r->id, (long long)id, (long long)nth);
		err = fire(ctx, r, id, key, 0, 0);
	}
	kh_ruleset_release(&rs);
	if (err == KH_ENOTFOUND)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "%s %lld not found", e->singular, (long long)id);
	return err;
}

/* ---- the minute tick ---- */

enum kh_err kh_rules_ensure_tick(struct kh_db *db, int now)
{
	if (now) /* a time-based rule was saved: look at once */
		return kh_job_enqueue(db, "sales.tick", NULL, NULL, NULL);
	/* A tick due within two minutes will do; one queued for later (by a
	 * clock that has since been set back) will not. */
	char soon[KH_TIME_LEN];
	kh_time_format(kh_now() + 120 * 1000000LL, soon);
	struct kh_val p = KH_VTEXT(soon);
	int64_t n = 0;
	enum kh_err err = kh_db_int(db,
				    "SELECT count(*) FROM kh_jobs WHERE kind = 'sales.tick' AND status IN ('pending', "
				    "'running') AND run_at <= $1",
				    &p, 1, &n);
	if (err || n > 0)
		return err;
	return kh_job_enqueue(db, "sales.tick", NULL, NULL, NULL);
}

static enum kh_err queue_next_tick(struct kh_db *db)
{
	char at[KH_TIME_LEN], key[40];
	kh_time_format(kh_now() + 60 * 1000000LL, at);
	snprintf(key, sizeof key, "sales.tick:%.16s", at); /* one per minute, whichever server */
	enum kh_err err = kh_db_begin(db, KH_TX_WRITE);
	if (!err)
		err = kh_job_enqueue(db, "sales.tick", at, NULL, key);
	if (!err)
		err = kh_db_commit(db);
	else
		kh_db_rollback(db);
	return err;
}

/* Fires date rules: a record's date (plus the offset) reached today, and not
 * before the rule existed (a new rule does not fire for all of history). */
static enum kh_err tick_date(struct kh_ctx *ctx, const struct kh_rule *r, const char *today)
{
	json_t *p = json_loads(r->params ? r->params : "{}", 0, NULL);
	const char *field = json_string_value(json_object_get(p, "field"));
	int64_t off = json_integer_value(json_object_get(p, "offset_days"));
	const struct kh_field *f = field ? kh_field_find(r->e, field) : NULL;
	if (!f) {
		json_decref(p);
		return KH_OK;
	}
	char upto[11], since[11];
	kh_date_format(kh_date_days(today) - off, upto);
	kh_date_format(kh_date_days(r->created_at ? r->created_at : today) - off, since);
	char *sql = kh_arena_printf(ctx->arena,
				    "SELECT id, %s FROM %s WHERE archived_at IS NULL AND %s IS NOT NULL AND %s < $1 AND "
				    "%s >= $2 ORDER BY id LIMIT 5000",
				    f->name, r->e->name, f->name, f->name, f->name);
	char upto_next[11];
	kh_date_format(kh_date_days(upto) + 1, upto_next);
	struct kh_val q[2] = {KH_VTEXT(upto_next), KH_VTEXT(since)};
	json_decref(p);
	int64_t ids[5000];
	char (*vals)[11] = kh_arena_alloc(ctx->arena, 5000 * 11);
	int n = 0, rc;
	struct kh_rows *rows;
	enum kh_err err = sql && vals ? kh_db_query(ctx->db, sql, q, 2, &rows) : KH_ENOMEM;
	if (err)
		return err;
	while (n < 5000 && (rc = kh_rows_next(ctx->db, rows)) > 0) {
		ids[n] = kh_rows_col(ctx->db, rows, 0).i;
		snprintf(vals[n++], 11, "%.10s", kh_rows_col(ctx->db, rows, 1).s);
	}
	kh_rows_end(ctx->db, rows);
	for (int i = 0; !err && i < n; i++) {
		char key[96];
		snprintf(key, sizeof key, "d:%lld:%lld:%s", (long long)r->id, (long long)ids[i], vals[i]);
		struct kh_val k = KH_VTEXT(key);
		int64_t found;
		if (kh_db_int(ctx->db, "SELECT id FROM kh_rule_runs WHERE trigger_key = $1", &k, 1, &found) == KH_OK)
			continue;
		struct kh_values cur;
		if (kh_sales_load(ctx, r->e, ids[i], &cur))
			continue;
		struct kh_rule_rec rec = {cur.v, NULL, NULL,
					  r->uses_activities ? count_activities(ctx, r->e, ids[i]) : -1, today};
		if (kh_rule_match(r, &rec))
			err = fire(ctx, r, ids[i], key, 0, 0);
	}
	return err;
}

/* Fires idle rules: no activity linked to the record (nor the record itself
 * changed) for the rule's days; once per quiet spell. */
static enum kh_err tick_idle(struct kh_ctx *ctx, const struct kh_rule *r, const char *today)
{
	json_t *p = json_loads(r->params ? r->params : "{}", 0, NULL);
	int64_t days = json_integer_value(json_object_get(p, "days"));
	json_decref(p);
	const struct kh_entity *act = kh_entity_find("activities");
	const struct kh_field *link = kh_related_field(r->e, act);
	char cut[KH_TIME_LEN];
	kh_time_format(kh_now() - days * 86400LL * 1000000, cut);
	char *sql = link ? kh_arena_printf(ctx->arena,
					   "SELECT e.id, COALESCE(MAX(a.created_at), e.updated_at) FROM %s e LEFT JOIN "
					   "activities a ON a.%s = e.id AND a.archived_at IS NULL WHERE e.archived_at IS "
					   "NULL AND e.updated_at < $1 GROUP BY e.id, e.updated_at HAVING "
					   "COALESCE(MAX(a.created_at), e.updated_at) < $1 ORDER BY e.id LIMIT 2000",
					   r->e->name, link->name)
			 : kh_arena_printf(ctx->arena,
					   "SELECT id, updated_at FROM %s WHERE archived_at IS NULL AND updated_at < $1 "
					   "ORDER BY id LIMIT 2000",
					   r->e->name);
	struct kh_val q = KH_VTEXT(cut);
	struct kh_rows *rows;
	enum kh_err err = sql ? kh_db_query(ctx->db, sql, &q, 1, &rows) : KH_ENOMEM;
	if (err)
		return err;
	int64_t *ids = kh_arena_alloc(ctx->arena, 2000 * sizeof *ids);
	char (*last)[KH_TIME_LEN] = kh_arena_alloc(ctx->arena, 2000 * KH_TIME_LEN);
	int n = 0, rc;
	while (ids && last && n < 2000 && (rc = kh_rows_next(ctx->db, rows)) > 0) {
		ids[n] = kh_rows_col(ctx->db, rows, 0).i;
		snprintf(last[n++], KH_TIME_LEN, "%s", kh_rows_col(ctx->db, rows, 1).s);
	}
	kh_rows_end(ctx->db, rows);
	for (int i = 0; !err && i < n; i++) {
		char key[96];
		snprintf(key, sizeof key, "i:%lld:%lld:%s", (long long)r->id, (long long)ids[i], last[i]);
		struct kh_val k = KH_VTEXT(key);
		int64_t found;
		if (kh_db_int(ctx->db, "SELECT id FROM kh_rule_runs WHERE trigger_key = $1", &k, 1, &found) == KH_OK)
			continue;
		struct kh_values cur;
		if (kh_sales_load(ctx, r->e, ids[i], &cur))
			continue;
		struct kh_rule_rec rec = {cur.v, NULL, NULL, 0, today};
		if (kh_rule_match(r, &rec))
			err = fire(ctx, r, ids[i], key, 0, 0);
	}
	return err;
}

/* Leads that sat untouched since an assignment rule gave them to someone move
 * on to the next person, at most once per member of the rule's pool. */
static enum kh_err tick_reassign(struct kh_ctx *ctx, const struct kh_rule *r)
{
	json_t *p = json_loads(r->params ? r->params : "{}", 0, NULL);
	int64_t days = json_integer_value(json_object_get(p, "reassign_after_days"));
	json_decref(p);
	if (days < 1)
		return KH_OK;
	char cut[KH_TIME_LEN];
	kh_time_format(kh_now() - days * 86400LL * 1000000, cut);
	struct kh_val q[2] = {KH_VINT(r->id), KH_VTEXT(cut)};
	struct kh_rows *rows;
	/* The latest assignment of each lead, by this rule, long enough ago, with
	 * no activity since and the lead still new. */
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT l.id, l.owner_id, a.assigned_at FROM leads l JOIN kh_lead_assignments a ON "
				      "a.lead_id = l.id WHERE a.id = (SELECT MAX(id) FROM kh_lead_assignments WHERE lead_id "
				      "= l.id) AND a.rule_id = $1 AND a.assigned_at < $2 AND l.status = 'new' AND "
				      "l.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM activities x WHERE x.lead_id = "
				      "l.id AND x.created_at >= a.assigned_at) ORDER BY l.id LIMIT 500",
				      q, 2, &rows);
	if (err)
		return err;
	int64_t ids[500], owners[500];
	int n = 0;
	while (n < 500 && kh_rows_next(ctx->db, rows) > 0) {
		ids[n] = kh_rows_col(ctx->db, rows, 0).i;
		owners[n++] = kh_rows_col(ctx->db, rows, 1).i;
	}
	kh_rows_end(ctx->db, rows);
	json_t *acts = json_loads(r->actions ? r->actions : "{}", 0, NULL);
	json_t *assign = json_object_get(acts, "assign");
	const struct kh_entity *leads = kh_entity_find("leads");
	for (int i = 0; !err && i < n; i++) {
		int64_t times = 0, pool = 0, user;
		struct kh_val lid = KH_VINT(ids[i]);
		kh_db_int(ctx->db, "SELECT count(*) FROM kh_lead_assignments WHERE lead_id = $1", &lid, 1, &times);
		json_t *users = json_object_get(assign, "user_ids");
		if (json_is_array(users))
			pool = (int64_t)json_array_size(users);
		else if (json_is_integer(json_object_get(assign, "team_id"))) {
			struct kh_val t = KH_VINT(json_integer_value(json_object_get(assign, "team_id")));
			kh_db_int(ctx->db, "SELECT count(*) FROM users WHERE team_id = $1 AND active = 1 AND archived_at IS NULL",
				  &t, 1, &pool);
		}
		if (times >= pool || kh_assign_pick(ctx, leads, r->id, assign, owners[i], &user) || user == owners[i])
			continue;
		struct kh_values v;
		if (kh_values_init(&v, leads, ctx->arena))
			return KH_ENOMEM;
		v.v[kh_field_index(leads, "owner_id")] = KH_VINT(user);
		v.set[kh_field_index(leads, "owner_id")] = 1;
		err = kh_record_patch(ctx, &v, ids[i], -1);
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_val a[4] = {lid, KH_VINT(r->id), KH_VINT(user), KH_VTEXT(now)};
		if (!err)
			err = kh_db_exec(ctx->db,
					 "INSERT INTO kh_lead_assignments (lead_id, rule_id, user_id, assigned_at, reason) "
					 "VALUES ($1, $2, $3, $4, 'idle')",
					 a, 4);
	}
	json_decref(acts);
	return err;
}

enum kh_err kh_rules_tick_job(struct kh_ctx *ctx, json_t *payload)
{
	(void)payload;
	enum kh_err err = queue_next_tick(ctx->db);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot queue the next tick");
	char today[11];
	kh_sales_today(today);
	/* The learned lead score is retrained weekly, whichever server ticks. */
	char week[40];
	snprintf(week, sizeof week, "sales.lead_model:%lld", (long long)(kh_date_days(today) / 7));
	if (kh_db_begin(ctx->db, KH_TX_WRITE) == KH_OK) {
		if (kh_job_enqueue(ctx->db, "sales.lead_model", NULL, NULL, week) || kh_db_commit(ctx->db))
			kh_db_rollback(ctx->db);
	}
	static const enum kh_rule_kind kinds[] = {KH_RULE_AUTOMATION, KH_RULE_ASSIGNMENT};
	for (int k = 0; k < 2 && !err; k++) {
		struct kh_ruleset rs;
		if ((err = kh_ruleset_load(ctx->db, kinds[k], NULL, &rs)))
			break;
		/* Each rule in a transaction of its own: one rule's trouble does not
		 * hold back the others. */
		for (int i = 0; i < rs.n; i++) {
			const struct kh_rule *r = &rs.rules[i];
			int timed = r->trigger == KH_TRIG_DATE || r->trigger == KH_TRIG_IDLE;
			if (kinds[k] == KH_RULE_AUTOMATION && !timed)
				continue;
			enum kh_err e2 = kh_db_begin(ctx->db, KH_TX_WRITE);
			if (!e2)
				e2 = kinds[k] == KH_RULE_ASSIGNMENT ? tick_reassign(ctx, r)
				     : r->trigger == KH_TRIG_DATE   ? tick_date(ctx, r, today)
								    : tick_idle(ctx, r, today);
			if (!e2)
				e2 = kh_db_commit(ctx->db);
			if (e2) {
				kh_db_rollback(ctx->db);
				kh_warn("rules: the tick of rule %lld failed: %s", (long long)r->id, kh_strerror(e2));
				kh_errinfo_init(ctx->ei, ctx->arena);
			}
		}
		kh_ruleset_release(&rs);
	}
	return err;
}

/* ---- running a run ---- */

struct run {
	int64_t id, rule_id, record_id;
	int depth, attempts;
	const struct kh_entity *e;
	json_t *actions;
	char rule_name[201];
	int failed;
	char error[600];
};

enum step_kind { STEP_DB, STEP_OUTSIDE };

static enum kh_err step_status(struct kh_ctx *ctx, const struct run *run, const char *step, char *status, size_t n)
{
	struct kh_val p[2] = {KH_VINT(run->id), KH_VTEXT(step)};
	struct kh_rows *rows;
	status[0] = '\0';
	enum kh_err err = kh_db_query(ctx->db, "SELECT status FROM kh_rule_steps WHERE run_id = $1 AND step = $2", p, 2,
				      &rows);
	if (err)
		return err;
	if (kh_rows_next(ctx->db, rows) > 0)
		snprintf(status, n, "%s", kh_rows_col(ctx->db, rows, 0).s);
	kh_rows_end(ctx->db, rows);
	return KH_OK;
}

static enum kh_err step_mark(struct kh_ctx *ctx, const struct run *run, const char *step, const char *status,
			     const char *detail)
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[5] = {KH_VINT(run->id), KH_VTEXT(step), KH_VTEXT(status), detail ? KH_VTEXT(detail) : KH_VNULL,
			      KH_VTEXT(now)};
	enum kh_err err = kh_db_exec(ctx->db, "DELETE FROM kh_rule_steps WHERE run_id = $1 AND step = $2", p, 2);
	if (!err)
		err = kh_db_exec(ctx->db,
				 "INSERT INTO kh_rule_steps (run_id, step, status, detail, at) VALUES ($1, $2, $3, $4, $5)",
				 p, 5);
	return err;
}

/* The changes a step made are the run's effects, one level deeper. */
static enum kh_err mark_effects(struct kh_ctx *ctx, const struct run *run, int64_t before)
{
	struct kh_val p[3] = {KH_VINT(before), KH_VINT(run->rule_id), KH_VINT(run->depth + 1)};
	return kh_db_exec(ctx->db,
			  "INSERT INTO kh_rule_effects (outbox_id, rule_id, depth) SELECT id, $2, $3 FROM kh_outbox "
			  "WHERE id > $1 AND user_id IS NULL",
			  p, 3);
}

static const struct kh_field *activity_link(const struct kh_entity *e)
{
	return kh_related_field(e, kh_entity_find("activities"));
}

static int64_t val_int(const struct kh_entity *e, const struct kh_values *v, const char *field)
{
	int i = kh_field_index(e, field);
	return i >= 0 && v->v[i].t == KH_V_INT ? v->v[i].i : 0;
}

static enum kh_err do_set(struct kh_ctx *ctx, struct run *run, json_t *a, const struct kh_values *rec)
{
	(void)rec;
	return kh_record_update(ctx, run->e, run->record_id, a, -1);
}

static enum kh_err do_assign(struct kh_ctx *ctx, struct run *run, json_t *a, const struct kh_values *rec)
{
	int64_t user, owner = val_int(run->e, rec, "owner_id");
	enum kh_err err = kh_assign_pick(ctx, run->e, run->rule_id, a, owner, &user);
	if (err == KH_ENOTFOUND)
		return kh_errinfo_set(ctx->ei, KH_EVALIDATION, "nobody is available to assign to");
	if (err || user == owner)
		return err;
	struct kh_values v;
	if (kh_values_init(&v, run->e, ctx->arena))
		return KH_ENOMEM;
	v.v[kh_field_index(run->e, "owner_id")] = KH_VINT(user);
	v.set[kh_field_index(run->e, "owner_id")] = 1;
	return kh_record_patch(ctx, &v, run->record_id, -1);
}

static enum kh_err do_add_to_campaign(struct kh_ctx *ctx, struct run *run, json_t *a, const struct kh_values *rec)
{
	int64_t campaign = json_integer_value(json_object_get(a, "campaign_id"));
	int64_t contact = 0, lead = 0, account = 0;
	const char *en = run->e->name;
	if (!strcmp(en, "contacts"))
		contact = run->record_id, account = val_int(run->e, rec, "account_id");
	else if (!strcmp(en, "leads"))
		lead = run->record_id;
	else if (!strcmp(en, "accounts"))
		account = run->record_id;
	else
		contact = val_int(run->e, rec, "contact_id"), account = val_int(run->e, rec, "account_id");
	if (!contact && !lead && !account)
		return kh_errinfo_set(ctx->ei, KH_EVALIDATION, "this %s has no contact or account to add",
				      run->e->singular);
	/* Already a member: nothing to do. */
	struct kh_val p[4] = {KH_VINT(campaign), KH_VINT(contact), KH_VINT(lead), KH_VINT(account)};
	int64_t found;
	if (kh_db_int(ctx->db,
		      "SELECT id FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL AND "
		      "(($2 <> 0 AND contact_id = $2) OR ($3 <> 0 AND lead_id = $3) OR ($2 = 0 AND $3 = 0 AND "
		      "account_id = $4 AND contact_id IS NULL AND lead_id IS NULL))",
		      p, 4, &found) == KH_OK)
		return KH_OK;
	json_t *m = json_pack("{s:I, s:s}", "campaign_id", (json_int_t)campaign, "source", "rule");
	if (contact)
		json_object_set_new(m, "contact_id", json_integer(contact));
	if (lead)
		json_object_set_new(m, "lead_id", json_integer(lead));
	if (account)
		json_object_set_new(m, "account_id", json_integer(account));
	int64_t id;
	enum kh_err err = kh_sales_create_json(ctx, "campaign_members", m, &id);
	json_decref(m);
	return err;
}

static enum kh_err do_create_task(struct kh_ctx *ctx, struct run *run, json_t *a, const struct kh_values *rec)
{
	const char *subject = kh_rule_expand(json_string_value(json_object_get(a, "subject")), run->e, rec->v,
					     ctx->arena);
	json_t *to = json_object_get(a, "assign_to");
	int64_t owner = json_is_integer(to) ? json_integer_value(to) : val_int(run->e, rec, "owner_id");
	int64_t due_days = json_integer_value(json_object_get(a, "due_days"));
	char due[KH_TIME_LEN];
	kh_time_format(kh_now() + due_days * 86400LL * 1000000, due);
	json_t *t = json_pack("{s:s, s:s, s:s, s:s}", "type", "task", "subject", subject ? subject : "Task",
			      "due_at", due, "description", run->rule_name);
	const char *prio = json_string_value(json_object_get(a, "priority"));
	if (prio)
		json_object_set_new(t, "priority", json_string(prio));
	if (owner)
		json_object_set_new(t, "owner_id", json_integer(owner));
	const struct kh_field *link = activity_link(run->e);
	if (link)
		json_object_set_new(t, link->name, json_integer(run->record_id));
	/* A task about a deal or a contact also shows on its account. */
	int64_t account = val_int(run->e, rec, "account_id");
	if (account && strcmp(run->e->name, "accounts"))
		json_object_set_new(t, "account_id", json_integer(account));
	int64_t id;
	enum kh_err err = kh_sales_create_json(ctx, "activities", t, &id);
	json_decref(t);
	return err;
}

/* ---- steps that reach outside ---- */

static size_t discard(char *p, size_t size, size_t n, void *cls)
{
	(void)p, (void)cls;
	return size * n;
}

static enum kh_err do_webhook(struct kh_ctx *ctx, struct run *run, json_t *a, const struct kh_values *rec,
			      int *retryable, char *why, size_t whylen)
{
	const char *url = json_string_value(json_object_get(a, "url")), *secret = json_string_value(json_object_get(a, "secret"));
	struct kh_buf body = KH_BUF_INIT;
	struct kh_jw w;
	kh_jw_init(&w, &body);
	kh_jw_obj(&w);
	kh_jw_key(&w, "event");
	kh_jw_str(&w, "rule_fired");
	kh_jw_key(&w, "delivery");
	kh_jw_int(&w, run->id);
	kh_jw_key(&w, "rule");
	kh_jw_obj(&w);
	kh_jw_key(&w, "id");
	kh_jw_int(&w, run->rule_id);
	kh_jw_key(&w, "name");
	kh_jw_str(&w, run->rule_name);
	kh_jw_obj_end(&w);
	kh_jw_key(&w, "entity");
	kh_jw_str(&w, run->e->name);
	kh_jw_key(&w, "record");
	kh_jw_obj(&w);
	for (int i = 0; i < run->e->nfields; i++) {
		const struct kh_field *f = &run->e->fields[i];
		if (f->flags & (KH_F_WRITEONLY | KH_F_PERSONAL))
			continue; /* personal data does not leave by webhook */
		kh_jw_key(&w, f->name);
		kh_val_write_json(&w, f, &rec->v[i]);
	}
	kh_jw_obj_end(&w);
	kh_jw_obj_end(&w);
	if (body.err) {
		kh_buf_release(&body);
		return KH_ENOMEM;
	}
	char sig[96] = "", delivery[64];
	if (secret && *secret) {
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)body.data, body.len);
		crypto_auth_hmacsha256_final(&st, mac);
		memcpy(sig, "X-Kehu-Signature: sha256=", 25);
		sodium_bin2hex(sig + 25, sizeof sig - 25, mac, sizeof mac);
	}
	snprintf(delivery, sizeof delivery, "X-Kehu-Delivery: %lld", (long long)run->id);
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, delivery);
	if (sig[0])
		h = curl_slist_append(h, sig);
	enum kh_err err = KH_OK;
	if (!c || !h) {
		err = KH_ENOMEM;
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Kehu-Webhook/1");
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		/* Only failures before anything was sent may be tried again. */
		*retryable = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
			     rc == CURLE_COULDNT_RESOLVE_PROXY;
		snprintf(why, whylen, "webhook: %s", curl_easy_strerror(rc));
		err = KH_EIO;
	} else if (status < 200 || status > 299) {
		*retryable = status == 429 || status == 503;
		snprintf(why, whylen, "webhook: the receiver answered HTTP %ld", status);
		err = KH_EIO;
	}
out:
	(void)ctx;
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	kh_buf_release(&body);
	return err;
}

static enum kh_err do_send_email(struct kh_ctx *ctx, struct run *run, json_t *a, const struct kh_values *rec,
				 int *retryable, char *why, size_t whylen)
{
	const char *to_kind = json_string_value(json_object_get(a, "to"));
	char to[256] = "";
	if (to_kind && !strcmp(to_kind, "owner")) {
		struct kh_val u = KH_VINT(val_int(run->e, rec, "owner_id"));
		struct kh_rows *rows;
		if (kh_db_query(ctx->db, "SELECT email FROM users WHERE id = $1", &u, 1, &rows) == KH_OK) {
			if (kh_rows_next(ctx->db, rows) > 0 && kh_rows_col(ctx->db, rows, 0).t == KH_V_TEXT)
				snprintf(to, sizeof to, "%s", kh_rows_col(ctx->db, rows, 0).s);
			kh_rows_end(ctx->db, rows);
		}
	} else {
		int i = kh_field_index(run->e, "email");
		if (i >= 0 && rec->v[i].t == KH_V_TEXT)
			snprintf(to, sizeof to, "%s", rec->v[i].s);
		/* Marketing to a contact needs their consent. */
		if (!strcmp(run->e->name, "contacts") && to[0] && !kh_consent_allows(ctx->db, run->record_id, "email")) {
			snprintf(why, whylen, "the contact has not consented to e-mail");
			*retryable = 0;
			return KH_EFORBIDDEN;
		}
	}
	if (!to[0]) {
		snprintf(why, whylen, "no e-mail address to send to");
		*retryable = 0;
		return KH_EVALIDATION;
	}
	const char *subject, *html, *text;
	enum kh_err err = kh_template_render(ctx, json_integer_value(json_object_get(a, "template_id")), run->e, rec->v,
					     NULL, &subject, &html, &text);
	if (err) {
		snprintf(why, whylen, "the template cannot be used: %s", ctx->ei->msg ? ctx->ei->msg : kh_strerror(err));
		*retryable = 0;
		return err;
	}
	json_t *settings = kh_sales_settings_get(ctx->db);
	char msgid[96];
	snprintf(msgid, sizeof msgid, "<rule-run-%lld@kehu>", (long long)run->id);
	struct kh_mail m = {.to = to, .subject = subject, .html = html, .text = text, .message_id = msgid};
	err = kh_mail_send(settings, &m, retryable, why, whylen);
	json_decref(settings);
	return err;
}

/* The steps in the order they run. */
static const struct {
	const char *name;
	enum step_kind kind;
	enum kh_err (*db)(struct kh_ctx *, struct run *, json_t *, const struct kh_values *);
	enum kh_err (*outside)(struct kh_ctx *, struct run *, json_t *, const struct kh_values *, int *, char *, size_t);
} steps[] = {
	{"set", STEP_DB, do_set, NULL},
	{"assign", STEP_DB, do_assign, NULL},
	{"add_to_campaign", STEP_DB, do_add_to_campaign, NULL},
	{"create_task", STEP_DB, do_create_task, NULL},
	{"send_email", STEP_OUTSIDE, NULL, do_send_email},
	{"webhook", STEP_OUTSIDE, NULL, do_webhook},
};

static void reset_errors(struct kh_ctx *ctx)
{
	kh_errinfo_init(ctx->ei, ctx->arena);
}

static const char *err_text(struct kh_ctx *ctx, enum kh_err err)
{
	if (ctx->ei->nfields)
		return kh_arena_printf(ctx->arena, "%s: %s %s", ctx->ei->msg ? ctx->ei->msg : kh_strerror(err),
				       ctx->ei->fields[0].field, ctx->ei->fields[0].msg);
	return ctx->ei->msg ? ctx->ei->msg : kh_strerror(err);
}

/* Permanent failures are the rule's or the data's: trying again gives the same. */
static int permanent(enum kh_err err)
{
	return err == KH_EVALIDATION || err == KH_ENOTFOUND || err == KH_EFORBIDDEN || err == KH_ECONFLICT ||
	       err == KH_EINVAL;
}

/* Runs one step; returns an error only when the job should try again later. */
static enum kh_err run_step(struct kh_ctx *ctx, struct run *run, int s)
{
	json_t *a = json_object_get(run->actions, steps[s].name);
	char status[16], why[400] = "";
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = step_status(ctx, run, steps[s].name, status, sizeof status);
	if (err) {
		kh_db_rollback(ctx->db);
		return err;
	}
	if (!strcmp(status, "done") || !strcmp(status, "failed") || !strcmp(status, "skipped")) {
		kh_db_rollback(ctx->db);
		if (!strcmp(status, "failed"))
			run->failed = 1;
		return KH_OK;
	}
	struct kh_values rec;
	err = kh_sales_load(ctx, run->e, run->record_id, &rec);
	if (err == KH_ENOTFOUND || (!err && rec.v[kh_field_index(run->e, "archived_at")].t != KH_V_NULL)) {
		err = step_mark(ctx, run, steps[s].name, "skipped", "the record is gone or archived");
		return err ? (kh_db_rollback(ctx->db), err) : kh_db_commit(ctx->db);
	}
	if (err) {
		kh_db_rollback(ctx->db);
		return err;
	}
	if (steps[s].kind == STEP_DB) {
		int64_t before = 0;
		kh_db_int(ctx->db, "SELECT COALESCE(MAX(id), 0) FROM kh_outbox", NULL, 0, &before);
		reset_errors(ctx);
		err = steps[s].db(ctx, run, a, &rec);
		if (!err)
			err = mark_effects(ctx, run, before);
		if (!err)
			err = step_mark(ctx, run, steps[s].name, "done", NULL);
		if (!err)
			return kh_db_commit(ctx->db);
		const char *text = err_text(ctx, err);
		kh_db_rollback(ctx->db);
		if (!permanent(err) && run->attempts < MAX_ATTEMPTS) {
			snprintf(run->error, sizeof run->error, "%s: %s", steps[s].name, text);
			return err;
		}
		run->failed = 1;
		snprintf(run->error, sizeof run->error, "%s: %s", steps[s].name, text);
		err = kh_db_begin(ctx->db, KH_TX_WRITE);
		if (!err)
			err = step_mark(ctx, run, steps[s].name, "failed", text);
		return err ? (kh_db_rollback(ctx->db), err) : kh_db_commit(ctx->db);
	}
	/* Outside: at most once. */
	if (!strcmp(status, "started")) {
		run->failed = 1;
		snprintf(run->error, sizeof run->error, "%s: interrupted by a server stop; not repeated", steps[s].name);
		err = step_mark(ctx, run, steps[s].name, "failed", "interrupted by a server stop; not repeated");
		return err ? (kh_db_rollback(ctx->db), err) : kh_db_commit(ctx->db);
	}
	err = step_mark(ctx, run, steps[s].name, "started", NULL);
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		return err;
	}
	int retryable = 0;
	reset_errors(ctx);
	enum kh_err out = steps[s].outside(ctx, run, a, &rec, &retryable, why, sizeof why);
	err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (err)
		return err;
	if (!out) {
		err = step_mark(ctx, run, steps[s].name, "done", NULL);
	} else if (retryable && run->attempts < MAX_ATTEMPTS) {
		/* Nothing reached anyone: the step may run again. */
		struct kh_val p[2] = {KH_VINT(run->id), KH_VTEXT(steps[s].name)};
		err = kh_db_exec(ctx->db, "DELETE FROM kh_rule_steps WHERE run_id = $1 AND step = $2", p, 2);
		snprintf(run->error, sizeof run->error, "%s: %s", steps[s].name, why);
		if (!err)
			err = kh_db_commit(ctx->db);
		return err ? (kh_db_rollback(ctx->db), err) : KH_EIO;
	} else {
		run->failed = 1;
		snprintf(run->error, sizeof run->error, "%s: %s", steps[s].name, why);
		err = step_mark(ctx, run, steps[s].name, "failed", why);
	}
	return err ? (kh_db_rollback(ctx->db), err) : kh_db_commit(ctx->db);
}

static enum kh_err finish_run(struct kh_ctx *ctx, struct run *run, const char *status)
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[4] = {KH_VINT(run->id), KH_VTEXT(status), run->error[0] ? KH_VTEXT(run->error) : KH_VNULL,
			      KH_VTEXT(now)};
	struct kh_val q[3] = {KH_VINT(run->rule_id), KH_VINT(!strcmp(status, "failed")), KH_VTEXT(now)};
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_db_exec(ctx->db,
				 "UPDATE kh_rule_runs SET status = $2, error = $3, finished_at = $4 WHERE id = $1", p, 4);
	/* The rule's counters: statistics, not a change of the rule (no audit). */
	if (!err && strcmp(status, "retrying"))
		err = kh_db_exec(ctx->db,
				 "UPDATE rules SET runs = runs + 1, failures = failures + $2, last_run_at = $3 WHERE id = $1",
				 q, 3);
	if (!err)
		err = kh_db_commit(ctx->db);
	else
		kh_db_rollback(ctx->db);
	return err;
}

enum kh_err kh_rules_run_job(struct kh_ctx *ctx, json_t *payload)
{
	struct run run = {.id = json_integer_value(json_object_get(payload, "run_id"))};
	struct kh_val id = KH_VINT(run.id);
	struct kh_rows *rows;
	char status[16] = "", entity[64] = "", *actions = NULL;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_db_query(ctx->db,
				  "SELECT r.rule_id, r.entity, r.record_id, r.depth, r.status, r.actions, r.attempts, u.name "
				  "FROM kh_rule_runs r LEFT JOIN rules u ON u.id = r.rule_id WHERE r.id = $1",
				  &id, 1, &rows);
	if (err) {
		kh_db_rollback(ctx->db);
		return kh_errinfo_set(ctx->ei, err, "cannot read rule run %lld", (long long)run.id);
	}
	if (kh_rows_next(ctx->db, rows) > 0) {
		run.rule_id = kh_rows_col(ctx->db, rows, 0).i;
		snprintf(entity, sizeof entity, "%s", kh_rows_col(ctx->db, rows, 1).s);
		run.record_id = kh_rows_col(ctx->db, rows, 2).i;
		run.depth = (int)kh_rows_col(ctx->db, rows, 3).i;
		snprintf(status, sizeof status, "%s", kh_rows_col(ctx->db, rows, 4).s);
		actions = kh_arena_strdup(ctx->arena, kh_rows_col(ctx->db, rows, 5).s);
		run.attempts = (int)kh_rows_col(ctx->db, rows, 6).i + 1;
		struct kh_val n = kh_rows_col(ctx->db, rows, 7);
		snprintf(run.rule_name, sizeof run.rule_name, "%s", n.t == KH_V_TEXT ? n.s : "");
	}
	kh_rows_end(ctx->db, rows);
	if (!status[0] || !strcmp(status, "done") || !strcmp(status, "failed")) {
		kh_db_rollback(ctx->db);
		return KH_OK;
	}
	err = kh_db_exec(ctx->db, "UPDATE kh_rule_runs SET attempts = attempts + 1, status = 'running' WHERE id = $1", &id,
			 1);
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		return kh_errinfo_set(ctx->ei, err, "cannot start rule run %lld", (long long)run.id);
	}
	run.e = kh_entity_find(entity);
	run.actions = actions ? json_loads(actions, 0, NULL) : NULL;
	if (!run.e || !json_is_object(run.actions)) {
		snprintf(run.error, sizeof run.error, "the run's entity or actions are not valid");
		json_decref(run.actions);
		finish_run(ctx, &run, "failed");
		return KH_OK;
	}
	for (size_t s = 0; !err && s < sizeof steps / sizeof steps[0]; s++)
		if (json_object_get(run.actions, steps[s].name))
			err = run_step(ctx, &run, (int)s);
	json_decref(run.actions);
	if (err) {
		/* Retried by the job's backoff; the run says what happened meanwhile. */
		finish_run(ctx, &run, "retrying");
		return kh_errinfo_set(ctx->ei, err, "%s", run.error[0] ? run.error : kh_strerror(err));
	}
	return finish_run(ctx, &run, run.failed ? "failed" : "done");
}

/* ---- the history ---- */

static void write_steps(struct kh_ctx *ctx, int64_t run, struct kh_jw *w)
{
	struct kh_val p = KH_VINT(run);
	struct kh_rows *rows;
	kh_jw_key(w, "steps");
	kh_jw_arr(w);
	if (kh_db_query(ctx->db, "SELECT step, status, detail, at FROM kh_rule_steps WHERE run_id = $1 ORDER BY at, step",
			&p, 1, &rows) == KH_OK) {
		while (kh_rows_next(ctx->db, rows) > 0) {
			struct kh_val d = kh_rows_col(ctx->db, rows, 2);
			kh_jw_obj(w);
			kh_jw_key(w, "step");
			kh_jw_str(w, kh_rows_col(ctx->db, rows, 0).s);
			kh_jw_key(w, "status");
			kh_jw_str(w, kh_rows_col(ctx->db, rows, 1).s);
			kh_jw_key(w, "detail");
			kh_jw_str(w, d.t == KH_V_TEXT ? d.s : NULL);
			kh_jw_key(w, "at");
			kh_jw_str(w, kh_rows_col(ctx->db, rows, 3).s);
			kh_jw_obj_end(w);
		}
		kh_rows_end(ctx->db, rows);
	}
	kh_jw_arr_end(w);
}

enum kh_err kh_rule_runs_write(struct kh_ctx *ctx, int64_t rule_id, int64_t before, int limit, struct kh_jw *w)
{
	int64_t found;
	struct kh_val rid = KH_VINT(rule_id);
	if (kh_db_int(ctx->db, "SELECT id FROM rules WHERE id = $1", &rid, 1, &found))
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "rule %lld not found", (long long)rule_id);
	struct kh_val p[3] = {rid, KH_VINT(before > 0 ? before : INT64_MAX), KH_VINT(limit + 1)};
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT id, entity, record_id, trigger_key, status, attempts, error, created_at, "
				      "finished_at, depth FROM kh_rule_runs WHERE rule_id = $1 AND id < $2 ORDER BY id DESC "
				      "LIMIT $3",
				      p, 3, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the runs");
	/* Read the page first: the steps come from the same connection. */
	struct item {
		int64_t id, record_id, attempts, depth;
		char *entity, *key, *status, *error, *created_at, *finished_at;
	} *items = kh_arena_calloc(ctx->arena, (size_t)limit + 1, sizeof *items);
	int n = 0, rc = 0;
	while (items && n <= limit && (rc = kh_rows_next(ctx->db, rows)) > 0) {
		struct item *it = &items[n++];
		struct kh_val v[10];
		for (int i = 0; i < 10; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		it->id = v[0].i, it->record_id = v[2].i, it->attempts = v[5].i, it->depth = v[9].i;
		it->entity = kh_arena_strdup(ctx->arena, v[1].s);
		it->key = kh_arena_strdup(ctx->arena, v[3].s);
		it->status = kh_arena_strdup(ctx->arena, v[4].s);
		it->error = v[6].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[6].s) : NULL;
		it->created_at = kh_arena_strdup(ctx->arena, v[7].s);
		it->finished_at = v[8].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[8].s) : NULL;
	}
	kh_rows_end(ctx->db, rows);
	if (!items || rc < 0)
		return kh_errinfo_set(ctx->ei, items ? (enum kh_err)-rc : KH_ENOMEM, "cannot read the runs");
	int more = n > limit;
	if (more)
		n = limit;
	kh_jw_obj(w);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	for (int i = 0; i < n; i++) {
		const struct item *it = &items[i];
		char c = it->key ? it->key[0] : 'c';
		kh_jw_obj(w);
		kh_jw_key(w, "id");
		kh_jw_int(w, it->id);
		kh_jw_key(w, "entity");
		kh_jw_str(w, it->entity);
		kh_jw_key(w, "record_id");
		kh_jw_int(w, it->record_id);
		kh_jw_key(w, "cause");
		kh_jw_str(w, c == 'c' ? "change" : c == 'd' ? "date" : c == 'i' ? "no_activity" : "score");
		kh_jw_key(w, "status");
		kh_jw_str(w, it->status);
		kh_jw_key(w, "attempts");
		kh_jw_int(w, it->attempts);
		kh_jw_key(w, "error");
		kh_jw_str(w, it->error);
		kh_jw_key(w, "depth");
		kh_jw_int(w, it->depth);
		kh_jw_key(w, "created_at");
		kh_jw_str(w, it->created_at);
		kh_jw_key(w, "finished_at");
		kh_jw_str(w, it->finished_at);
		write_steps(ctx, it->id, w);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "next_before");
	if (more)
		kh_jw_int(w, items[n - 1].id);
	else
		kh_jw_null(w);
	kh_jw_obj_end(w);
	return KH_OK;
}
