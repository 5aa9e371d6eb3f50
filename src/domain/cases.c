#include "domain/cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/events.h"
#include "domain/read.h"
#include "domain/service.h"
#include "domain/service_internal.h"
#include "domain/sla.h"
#include "model/permission.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- the state machine ---- */

static const struct {
	const char *from;
	const char *const to[6];
} machine[] = {
	{"new", {"assigned", "in_progress", "resolved", "closed", NULL}},
	{"assigned", {"new", "in_progress", "waiting", "resolved", NULL}},
	{"in_progress", {"assigned", "waiting", "resolved", NULL}},
	{"waiting", {"in_progress", "resolved", "closed", NULL}},
	{"resolved", {"closed", "in_progress", NULL}},
	{"closed", {"in_progress", NULL}},
};

const char *const *kh_case_allowed(const char *from)
{
	for (size_t i = 0; i < sizeof machine / sizeof machine[0]; i++)
		if (!strcmp(machine[i].from, from))
			return machine[i].to;
	return NULL;
}

static int allowed(const char *from, const char *to)
{
	const char *const *a = kh_case_allowed(from);
	for (int i = 0; a && a[i]; i++)
		if (!strcmp(a[i], to))
			return 1;
	return 0;
}

static int is(const struct kh_val *v, const char *s)
{
	return v->t == KH_V_TEXT && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

static int terminal(const struct kh_val *s)
{
	return is(s, "resolved") || is(s, "closed");
}

static char *vtext(struct kh_arena *a, const struct kh_val *v)
{
	return v->t == KH_V_TEXT ? kh_arena_strndup(a, v->s, v->n) : NULL;
}

/* "assigned, in_progress, resolved" into out. */
static void list_allowed(const char *const *a, char *out, size_t n)
{
	out[0] = '\0';
	for (int i = 0; a && a[i]; i++) {
		size_t len = strlen(out);
		snprintf(out + len, n - len, "%s%s", i ? ", " : "", a[i]);
	}
}

/* ---- assignment ---- */

struct queue {
	int64_t id, max_open;
	int least_loaded;
	json_t *skills;
};

/* 1 if the JSON array text `tags` holds every string of `need`. */
static int has_all(struct kh_val tags, json_t *need)
{
	if (!json_array_size(need))
		return 1;
	json_t *have = tags.t == KH_V_TEXT ? json_loadb(tags.s, tags.n, 0, NULL) : NULL;
	size_t i, k;
	json_t *n, *h;
	int ok = 1;
	json_array_foreach(need, i, n) {
		int found = 0;
		json_array_foreach(have, k, h) if (json_equal(h, n)) found = 1;
		if (!found)
			ok = 0;
	}
	json_decref(have);
	return ok;
}

static int tags_have(struct kh_val tags, const struct kh_val *want)
{
	if (want->t != KH_V_TEXT || tags.t != KH_V_TEXT)
		return 0;
	json_t *have = json_loadb(tags.s, tags.n, 0, NULL), *h;
	size_t i;
	int found = 0;
	json_array_foreach(have, i, h) if (json_is_string(h) && json_string_length(h) == want->n &&
					   !memcmp(json_string_value(h), want->s, want->n)) found = 1;
	json_decref(have);
	return found;
}

/* The queue of the case: its own, or the first active one whose categories
 * name the case's category or type. q->id is 0 when none fits. */
static enum kh_err find_queue(struct kh_write *w, struct queue *q)
{
	struct kh_db *db = w->ctx->db;
	memset(q, 0, sizeof *q);
	const struct kh_val *own = kh_write_get(w, "queue_id"), *cat = kh_write_get(w, "category"),
			    *type = kh_write_get(w, "type");
	struct kh_val p = own->t == KH_V_INT ? *own : KH_VINT(0);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      own->t == KH_V_INT
					      ? "SELECT id, categories, required_skills, strategy, max_open_per_agent FROM "
						"service_queues WHERE id = $1 AND archived_at IS NULL AND active = 1"
					      : "SELECT id, categories, required_skills, strategy, max_open_per_agent FROM "
						"service_queues WHERE archived_at IS NULL AND active = 1 AND id > $1 ORDER BY id",
				      &p, 1, &rows);
	if (err)
		return err;
	int rc;
	while ((rc = kh_rows_next(db, rows)) > 0) {
		struct kh_val cats = kh_rows_col(db, rows, 1);
		if (own->t != KH_V_INT && !tags_have(cats, cat) && !tags_have(cats, type))
			continue;
		struct kh_val skills = kh_rows_col(db, rows, 2), strategy = kh_rows_col(db, rows, 3);
		q->id = kh_rows_col(db, rows, 0).i;
		q->skills = skills.t == KH_V_TEXT ? json_loadb(skills.s, skills.n, 0, NULL) : NULL;
		q->least_loaded = is(&strategy, "least_loaded");
		q->max_open = kh_rows_col(db, rows, 4).i;
		break;
	}
	kh_rows_end(db, rows);
	return rc < 0 ? (enum kh_err) - rc : KH_OK;
}

/* The agent for a case of queue q (see cases.h), or 0. */
static enum kh_err pick_agent(struct kh_db *db, const struct queue *q, int64_t *user, int64_t *agent)
{
	*user = *agent = 0;
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(
		db,
		"SELECT a.id, a.user_id, a.skills, a.last_assigned_at, (SELECT count(*) FROM cases c WHERE "
		"c.owner_id = a.user_id AND c.status NOT IN ('resolved', 'closed') AND c.archived_at IS NULL) "
		"FROM agents a JOIN users u ON u.id = a.user_id WHERE a.archived_at IS NULL AND u.active = 1 "
		"AND a.state IN ('available', 'on_call', 'wrap_up') ORDER BY a.id",
		NULL, 0, &rows);
	if (err)
		return err;
	int64_t best_open = 0;
	char best_at[KH_TIME_LEN + 1] = "";
	int rc;
	while ((rc = kh_rows_next(db, rows)) > 0) {
		struct kh_val at = kh_rows_col(db, rows, 3);
		int64_t open = kh_rows_col(db, rows, 4).i;
		if (!has_all(kh_rows_col(db, rows, 2), q->skills) || (q->max_open > 0 && open >= q->max_open))
			continue;
		const char *when = at.t == KH_V_TEXT ? at.s : ""; /* never assigned: first in line */
		int better = !*agent || (q->least_loaded && open < best_open) ||
			     ((!q->least_loaded || open == best_open) && strcmp(when, best_at) < 0);
		if (better) {
			*agent = kh_rows_col(db, rows, 0).i;
			*user = kh_rows_col(db, rows, 1).i;
			best_open = open;
			snprintf(best_at, sizeof best_at, "%s", when);
		}
	}
	kh_rows_end(db, rows);
	return rc < 0 ? (enum kh_err) - rc : KH_OK;
}

/* Puts a new case in its queue and, when someone is there, with an agent. */
static enum kh_err route_case(struct kh_write *w)
{
	struct queue q;
	enum kh_err err = find_queue(w, &q);
	if (err || !q.id)
		return err;
	int64_t user, agent;
	kh_write_set(w, "queue_id", KH_VINT(q.id));
	err = pick_agent(w->ctx->db, &q, &user, &agent);
	json_decref(q.skills);
	if (err || !user)
		return err;
	kh_write_set(w, "owner_id", KH_VINT(user));
	kh_write_set(w, "status", KH_VTEXT("assigned"));
	/* The agent's place in the round robin: bookkeeping by the system, which
	 * the person who filed the case need not be allowed to change. */
	struct kh_ctx sys;
	kh_service_system_ctx(w->ctx, &sys);
	return kh_service_set(&sys, "agents", agent, "last_assigned_at", KH_VTEXT(w->now_text));
}

enum kh_err kh_case_assign(struct kh_ctx *ctx, int64_t id, int64_t *assigned)
{
	*assigned = 0;
	const struct kh_entity *cases = kh_entity_find("cases");
	enum kh_err err = kh_record_exists(ctx, cases, id, 1);
	if (err)
		return err;
	int own_tx = !ctx->db->in_tx;
	if (own_tx && (err = kh_db_begin(ctx->db, KH_TX_WRITE)))
		return kh_errinfo_set(ctx->ei, err, "the database is busy");
	/* Read the case as the write path would see it, then route it. */
	struct kh_write w;
	memset(&w, 0, sizeof w);
	w.ctx = ctx;
	w.e = cases;
	w.op = KH_OP_UPDATE;
	w.id = id;
	w.now = kh_now();
	kh_time_format(w.now, w.now_text);
	err = kh_values_init(&w.new, cases, ctx->arena) ? KH_ENOMEM : kh_service_load(ctx, cases, id, &w.old);
	if (!err && !is(kh_write_get(&w, "status"), "new"))
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "only a new case waiting in its queue is assigned by the rules");
	if (!err)
		err = route_case(&w);
	if (!err && kh_write_changes(&w, "owner_id")) {
		*assigned = kh_write_get(&w, "owner_id")->i;
		err = kh_record_patch(ctx, &w.new, id, -1);
	}
	if (own_tx) {
		if (!err)
			err = kh_db_commit(ctx->db);
		if (err)
			kh_db_rollback(ctx->db);
	}
	return err;
}

/* ---- the case rules ---- */

static int responded(const struct kh_val *s)
{
	return is(s, "in_progress") || is(s, "waiting") || is(s, "resolved") || is(s, "closed");
}

enum kh_err kh_case_service_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	const struct kh_val *status = kh_write_get(w, "status");
	if (w->op == KH_OP_CREATE) {
		if (!ctx->bulk && is(status, "new")) {
			enum kh_err err = route_case(w);
			if (err)
				return kh_errinfo_set(ctx->ei, err, "cannot assign the case");
		}
		if (!ctx->bulk && responded(status) && kh_write_get(w, "first_response_at")->t == KH_V_NULL)
			kh_write_set(w, "first_response_at", KH_VTEXT(w->now_text));
		return kh_sla_apply(w, 0);
	}
	if (w->op != KH_OP_UPDATE)
		return KH_OK;
	if (kh_write_changes(w, "status")) {
		struct kh_val from = w->old.v[kh_field_index(w->e, "status")];
		char *f = vtext(ctx->arena, &from), *t = vtext(ctx->arena, status);
		if (f && t && strcmp(f, t) && !allowed(f, t)) {
			char list[160];
			list_allowed(kh_case_allowed(f), list, sizeof list);
			kh_errinfo_field(ctx->ei, "status", "cannot change from %s to %s; allowed: %s", f, t,
					 list[0] ? list : "none");
			return KH_EVALIDATION;
		}
		if (t && !strcmp(t, "assigned") && kh_write_get(w, "owner_id")->t == KH_V_NULL) {
			kh_errinfo_field(ctx->ei, "owner_id", "an assigned case needs an owner");
			return KH_EVALIDATION;
		}
		if (f && t && strcmp(f, t)) {
			if (responded(status) && kh_write_get(w, "first_response_at")->t == KH_V_NULL)
				kh_write_set(w, "first_response_at", KH_VTEXT(w->now_text));
			if (terminal(&from) && !terminal(status)) {
				const struct kh_val *n = kh_write_get(w, "reopen_count");
				kh_write_set(w, "reopen_count", KH_VINT(n->t == KH_V_INT ? n->i + 1 : 1));
			}
		}
	}
	return kh_sla_apply(w, 0);
}

static enum kh_err emit_assigned(struct kh_write *w)
{
	const struct kh_val *owner = kh_write_get(w, "owner_id"), *num = kh_write_get(w, "case_number"),
			    *subj = kh_write_get(w, "subject");
	if (owner->t != KH_V_INT || owner->i == w->ctx->who->user_id)
		return KH_OK;
	json_t *d = json_pack("{s:I, s:s%, s:s%, s:s}", "case_id", (json_int_t)w->id, "case_number",
			      num->t == KH_V_TEXT ? num->s : "", num->t == KH_V_TEXT ? num->n : 0, "subject",
			      subj->t == KH_V_TEXT ? subj->s : "", subj->t == KH_V_TEXT ? subj->n : 0, "status",
			      is(kh_write_get(w, "status"), "assigned") ? "assigned" : "changed");
	char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	enum kh_err err = text ? kh_event_emit(w->ctx->db, owner->i, "case_assigned", text) : KH_ENOMEM;
	free(text);
	json_decref(d);
	return err;
}

enum kh_err kh_case_service_after_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (ctx->bulk || (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE))
		return KH_OK;
	enum kh_err err = KH_OK;
	if (w->op == KH_OP_CREATE)
		err = kh_sla_apply(w, 1);
	if (!err && kh_write_changes(w, "owner_id"))
		err = emit_assigned(w);
	const struct kh_val *status = kh_write_get(w, "status");
	if (!err && w->op == KH_OP_UPDATE && kh_write_changes(w, "status") && is(status, "resolved"))
		err = kh_service_on_resolved(w);
	const struct kh_val *kb = kh_write_get(w, "kb_article_id");
	if (!err && kh_write_changes(w, "kb_article_id") && kb->t == KH_V_INT) {
		/* A counter, not a change anyone makes to the article: no audit entry. */
		err = kh_db_exec(ctx->db, "UPDATE kb_articles SET used_count = COALESCE(used_count, 0) + 1 WHERE id = $1",
				 kb, 1);
	}
	return err;
}

/* ---- the transition use case ---- */

enum kh_err kh_case_transition(struct kh_ctx *ctx, int64_t id, struct kh_transition *t)
{
	const struct kh_entity *cases = kh_entity_find("cases");
	const struct kh_field *sf = kh_field_find(cases, "status");
	int known = 0;
	for (int i = 0; t->to && sf->enum_values[i]; i++)
		known |= !strcmp(sf->enum_values[i], t->to);
	if (!known) {
		kh_errinfo_field(ctx->ei, "to", "must be one of new, assigned, in_progress, waiting, resolved, closed");
		return KH_EVALIDATION;
	}
	struct kh_values vals;
	if (kh_values_init(&vals, cases, ctx->arena))
		return KH_ENOMEM;
	enum kh_err err = KH_OK;
	if (t->fields && json_object_size(t->fields))
		err = kh_validate_json(t->fields, KH_VALIDATE_UPDATE, &vals, NULL, ctx->arena, ctx->ei);
	if (err)
		return err;
	int sfi = kh_field_index(cases, "status");
	if (vals.set[sfi]) {
		kh_errinfo_field(ctx->ei, "status", "give the new status as \"to\"");
		return KH_EVALIDATION;
	}
	vals.v[sfi] = KH_VTEXT(t->to);
	vals.set[sfi] = 1;
	if ((err = kh_db_begin(ctx->db, KH_TX_WRITE)))
		return kh_errinfo_set(ctx->ei, err, "the database is busy");
	struct kh_values cur;
	err = kh_service_load(ctx, cases, id, &cur);
	if (!err) {
		struct kh_val from = cur.v[sfi];
		t->from = vtext(ctx->arena, &from);
		if (t->from && !allowed(t->from, t->to)) {
			t->allowed = kh_case_allowed(t->from);
			char list[160];
			list_allowed(t->allowed, list, sizeof list);
			kh_errinfo_set(ctx->ei, KH_EVALIDATION, "a case that is %s cannot become %s; allowed: %s", t->from,
				       t->to, list[0] ? list : "none");
			kh_errinfo_field(ctx->ei, "to", "cannot change from %s to %s", t->from, t->to);
			err = KH_EVALIDATION;
		}
	}
	if (!err)
		err = kh_record_patch(ctx, &vals, id, t->version);
	if (!err && t->note && *t->note) {
		char subject[120];
		snprintf(subject, sizeof subject, "%s → %s", t->from ? t->from : "?", t->to);
		err = kh_service_note(ctx, id, subject, t->note);
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "the case could not be changed");
	}
	return err;
}
