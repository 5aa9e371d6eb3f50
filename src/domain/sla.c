#include "domain/sla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/calendar.h"
#include "domain/events.h"
#include "model/permission.h"
#include "util/clock.h"
#include "util/log.h"

enum { RUNNING, PAUSED, STOPPED };
static const char *const state_names[] = {"running", "paused", "stopped"};

struct clock {
	int exists, stored;
	const char *metric;
	int64_t policy_id, target_s, warn_before_s, used_s;
	int state;
	int64_t since, due, warn; /* microseconds; 0 = none */
	int64_t warned, breached, stopped;
};

struct policy {
	int64_t id, calendar_id, first_s, resolution_s, warn_s;
};

static int is(const struct kh_val *v, const char *s)
{
	return v->t == KH_V_TEXT && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

static int64_t tparse(struct kh_val v)
{
	int64_t us;
	return v.t == KH_V_TEXT && !kh_time_parse(v.s, v.n, &us) ? us : 0;
}

/* A time as a value whose text lives in the arena (or NULL for 0). */
static struct kh_val tval(struct kh_arena *a, int64_t us)
{
	if (!us || us == INT64_MAX)
		return KH_VNULL;
	char *s = kh_arena_alloc(a, KH_TIME_LEN);
	if (!s)
		return KH_VNULL;
	kh_time_format(us, s);
	return KH_VTEXT(s);
}

static enum kh_err load_clocks(struct kh_db *db, int64_t case_id, struct clock c[2])
{
	struct kh_val p = KH_VINT(case_id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT metric, policy_id, target_s, warn_before_s, used_s, state, running_since, "
				      "due_at, warn_at, warned_at, breached_at, stopped_at FROM kh_sla_clocks "
				      "WHERE case_id = $1",
				      &p, 1, &rows);
	if (err)
		return err;
	int rc;
	while ((rc = kh_rows_next(db, rows)) > 0) {
		struct kh_val m = kh_rows_col(db, rows, 0), st = kh_rows_col(db, rows, 5);
		struct clock *k = is(&m, "first_response") ? &c[0] : is(&m, "resolution") ? &c[1] : NULL;
		if (!k)
			continue;
		k->exists = k->stored = 1;
		k->policy_id = kh_rows_col(db, rows, 1).i;
		k->target_s = kh_rows_col(db, rows, 2).i;
		k->warn_before_s = kh_rows_col(db, rows, 3).i;
		k->used_s = kh_rows_col(db, rows, 4).i;
		k->state = is(&st, "paused") ? PAUSED : is(&st, "stopped") ? STOPPED : RUNNING;
		k->since = tparse(kh_rows_col(db, rows, 6));
		k->due = tparse(kh_rows_col(db, rows, 7));
		k->warn = tparse(kh_rows_col(db, rows, 8));
		k->warned = tparse(kh_rows_col(db, rows, 9));
		k->breached = tparse(kh_rows_col(db, rows, 10));
		k->stopped = tparse(kh_rows_col(db, rows, 11));
	}
	kh_rows_end(db, rows);
	return rc < 0 ? (enum kh_err) - rc : KH_OK;
}

static enum kh_err save_clock(struct kh_ctx *ctx, int64_t case_id, const struct clock *k)
{
	struct kh_arena *a = ctx->arena;
	struct kh_val p[12] = {
		KH_VINT(case_id),
		KH_VTEXT(k->metric),
		k->policy_id ? KH_VINT(k->policy_id) : KH_VNULL,
		KH_VINT(k->target_s),
		KH_VINT(k->warn_before_s),
		KH_VINT(k->used_s),
		KH_VTEXT(state_names[k->state]),
		tval(a, k->state == RUNNING ? k->since : 0),
		tval(a, k->due),
		tval(a, k->state == RUNNING ? k->warn : 0),
		tval(a, k->warned),
		tval(a, k->breached),
	};
	struct kh_val stopped = tval(a, k->stopped);
	if (k->stored) {
		struct kh_val q[13];
		memcpy(q, p, sizeof p);
		q[12] = stopped;
		return kh_db_exec(ctx->db,
				  "UPDATE kh_sla_clocks SET policy_id = $3, target_s = $4, warn_before_s = $5, used_s = $6, "
				  "state = $7, running_since = $8, due_at = $9, warn_at = $10, warned_at = $11, "
				  "breached_at = $12, stopped_at = $13 WHERE case_id = $1 AND metric = $2",
				  q, 13);
	}
	struct kh_val q[13];
	memcpy(q, p, sizeof p);
	q[12] = stopped;
	return kh_db_exec(ctx->db,
			  "INSERT INTO kh_sla_clocks (case_id, metric, policy_id, target_s, warn_before_s, used_s, state, "
			  "running_since, due_at, warn_at, warned_at, breached_at, stopped_at) "
			  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
			  q, 13);
}

/* The customer tier of the case: its account's, or its contact's account's. */
static struct kh_val case_tier(struct kh_write *w)
{
	struct kh_db *db = w->ctx->db;
	struct kh_val acc = *kh_write_get(w, "account_id"), con = *kh_write_get(w, "contact_id");
	int64_t id;
	if (acc.t != KH_V_INT && con.t == KH_V_INT &&
	    kh_db_int(db, "SELECT account_id FROM contacts WHERE id = $1 AND account_id IS NOT NULL", &con, 1, &id) ==
		    KH_OK)
		acc = KH_VINT(id);
	if (acc.t != KH_V_INT)
		return KH_VNULL;
	struct kh_rows *rows;
	struct kh_val tier = KH_VNULL;
	if (kh_db_query(db, "SELECT tier FROM accounts WHERE id = $1", &acc, 1, &rows) == KH_OK) {
		if (kh_rows_next(db, rows) > 0) {
			struct kh_val t = kh_rows_col(db, rows, 0);
			if (t.t == KH_V_TEXT)
				tier = KH_VTEXT(kh_arena_strndup(w->ctx->arena, t.s, t.n));
		}
		kh_rows_end(db, rows);
	}
	return tier;
}

/* The most specific active policy for the case: a policy that names the tier
 * beats one that names the priority, which beats one that names the type;
 * empty fields match anything. */
static enum kh_err find_policy(struct kh_write *w, struct policy *out)
{
	memset(out, 0, sizeof *out);
	struct kh_val p[3] = {*kh_write_get(w, "priority"), case_tier(w), *kh_write_get(w, "type")};
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(
		w->ctx->db,
		"SELECT id, first_response_minutes, resolution_minutes, warn_before_minutes, calendar_id FROM sla_policies "
		"WHERE archived_at IS NULL AND active = 1 AND (priority IS NULL OR priority = $1) "
		"AND (tier IS NULL OR tier = $2) AND (case_type IS NULL OR case_type = $3) "
		"ORDER BY (CASE WHEN tier IS NULL THEN 0 ELSE 4 END) + (CASE WHEN priority IS NULL THEN 0 ELSE 2 END) + "
		"(CASE WHEN case_type IS NULL THEN 0 ELSE 1 END) DESC, id LIMIT 1",
		p, 3, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(w->ctx->db, rows);
	if (rc > 0) {
		out->id = kh_rows_col(w->ctx->db, rows, 0).i;
		out->first_s = kh_rows_col(w->ctx->db, rows, 1).i * 60;
		out->resolution_s = kh_rows_col(w->ctx->db, rows, 2).i * 60;
		out->warn_s = kh_rows_col(w->ctx->db, rows, 3).i * 60;
		struct kh_val cal = kh_rows_col(w->ctx->db, rows, 4);
		out->calendar_id = cal.t == KH_V_INT ? cal.i : 0;
	}
	kh_rows_end(w->ctx->db, rows);
	return rc < 0 ? (enum kh_err) - rc : KH_OK;
}

static void stop(const struct kh_bcal *cal, struct clock *k, int64_t now)
{
	if (k->state == RUNNING) {
		k->used_s += kh_bcal_between(cal, k->since, now);
		if (k->due && now > k->due && !k->breached)
			k->breached = k->due;
	}
	k->state = STOPPED;
	k->stopped = now;
}

static void pause_clock(const struct kh_bcal *cal, struct clock *k, int64_t now)
{
	if (k->state != RUNNING)
		return;
	if (k->due && now > k->due && !k->breached)
		k->breached = k->due;
	k->used_s += kh_bcal_between(cal, k->since, now);
	k->state = PAUSED;
	k->since = k->warn = 0;
}

static void resume(struct clock *k, int64_t now)
{
	if (k->state == RUNNING)
		return;
	k->state = RUNNING;
	k->since = now;
	k->stopped = 0;
}

/* Due and warning instants of a running clock from what it has used. */
static void plan(const struct kh_bcal *cal, struct clock *k, int64_t now)
{
	if (k->state != RUNNING)
		return;
	int64_t left = k->target_s - k->used_s, warn_left = left - k->warn_before_s;
	k->due = kh_bcal_add(cal, k->since, left > 0 ? left : 0);
	k->warn = kh_bcal_add(cal, k->since, warn_left > 0 ? warn_left : 0);
	if (k->due == INT64_MAX)
		k->due = k->warn = 0; /* a calendar without working time: no deadline */
	if (k->warned && k->warn > now)
		k->warned = 0; /* more time than when it was warned: warn again later */
}

static const char *status_of(const struct clock c[2])
{
	if (!c[0].exists && !c[1].exists)
		return NULL;
	if (c[0].breached || c[1].breached)
		return "breached";
	for (int i = 0; i < 2; i++)
		if (c[i].exists && c[i].state == RUNNING && c[i].warned)
			return "warning";
	if (c[1].exists && c[1].state == PAUSED)
		return "paused";
	if ((!c[0].exists || c[0].state == STOPPED) && (!c[1].exists || c[1].state == STOPPED))
		return "met";
	return "on_track";
}

static int terminal(const struct kh_val *s)
{
	return is(s, "resolved") || is(s, "closed");
}

enum kh_err kh_sla_apply(struct kh_write *w, int insert)
{
	struct kh_ctx *ctx = w->ctx;
	int create = w->op == KH_OP_CREATE;
	if (ctx->bulk || (!create && w->op != KH_OP_UPDATE))
		return KH_OK;
	if (!create && !kh_write_changes(w, "status") && !kh_write_changes(w, "priority") &&
	    !kh_write_changes(w, "type") && !kh_write_changes(w, "account_id") && !kh_write_changes(w, "contact_id") &&
	    !kh_write_changes(w, "first_response_at"))
		return KH_OK;
	struct clock c[2] = {{.metric = "first_response"}, {.metric = "resolution"}};
	enum kh_err err = create ? KH_OK : load_clocks(ctx->db, w->id, c);
	struct policy pol;
	if (!err)
		err = find_policy(w, &pol);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the SLA of the case");
	const struct kh_val *status = kh_write_get(w, "status");
	if (!pol.id && !c[0].exists && !c[1].exists)
		return KH_OK; /* no SLA applies */
	if (create && terminal(status))
		return KH_OK; /* a closed case brought in from elsewhere has no clock to run */
	int64_t cal_id = pol.calendar_id;
	if (!pol.id) { /* the policy went away: keep counting by the one the clocks have */
		struct kh_val pid = KH_VINT(c[1].exists ? c[1].policy_id : c[0].policy_id);
		int64_t found;
		cal_id = kh_db_int(ctx->db, "SELECT calendar_id FROM sla_policies WHERE id = $1", &pid, 1, &found) == KH_OK
				 ? found
				 : 0;
	}
	struct kh_bcal cal;
	err = kh_bcal_load(ctx->db, cal_id, ctx->arena, &cal);
	if (err == KH_ENOTFOUND)
		err = kh_bcal_load(ctx->db, 0, ctx->arena, &cal);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the business calendar");
	int64_t now = w->now;
	for (int i = 0; i < 2; i++) {
		struct clock *k = &c[i];
		if (!k->exists) {
			if (!pol.id || !create)
				continue; /* clocks start with the case */
			k->exists = 1;
			k->state = RUNNING;
			k->since = now;
		}
		if (pol.id) {
			k->policy_id = pol.id;
			k->target_s = i == 0 ? pol.first_s : pol.resolution_s;
			k->warn_before_s = pol.warn_s;
		}
	}
	/* First response: stops when the case has one. */
	if (c[0].exists && c[0].state != STOPPED && kh_write_get(w, "first_response_at")->t != KH_V_NULL)
		stop(&cal, &c[0], now);
	/* Resolution: stops when resolved, pauses while waiting, runs otherwise. */
	if (c[1].exists) {
		if (terminal(status))
			stop(&cal, &c[1], now);
		else if (is(status, "waiting"))
			pause_clock(&cal, &c[1], now);
		else
			resume(&c[1], now);
	}
	for (int i = 0; i < 2; i++)
		plan(&cal, &c[i], now);
	if (!create || insert)
		for (int i = 0; !err && i < 2; i++)
			if (c[i].exists)
				err = save_clock(ctx, w->id, &c[i]);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot save the SLA clocks");
	if (!insert) {
		kh_write_set(w, "first_response_due_at", c[0].exists ? tval(ctx->arena, c[0].due) : KH_VNULL);
		kh_write_set(w, "resolution_due_at",
			     c[1].exists && c[1].state != PAUSED ? tval(ctx->arena, c[1].due) : KH_VNULL);
		const char *st = status_of(c);
		kh_write_set(w, "sla_status", st ? KH_VTEXT(st) : KH_VNULL);
	}
	return KH_OK;
}

/* ---- warnings, breaches and escalation ----
 * A clock is breached once the time is past its due instant: an answer at the
 * very instant is in time, as stop() counts it. */

struct due_row {
	int64_t case_id;
	char metric[20];
	int breach;
};

static enum kh_err emit_json(struct kh_db *db, int64_t user, const char *type, json_t *d)
{
	char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	enum kh_err err = text ? kh_event_emit(db, user, type, text) : KH_ENOMEM;
	free(text);
	return err;
}

/* The escalation task for the owner's team manager, in the manager's language. */
static enum kh_err escalate(struct kh_ctx *ctx, int64_t case_id, const char *metric, json_t *info)
{
	struct kh_db *db = ctx->db;
	struct kh_val p = KH_VINT(case_id);
	struct kh_rows *rows;
	int64_t manager = 0, contact = 0, account = 0;
	char locale[8] = "zh-CN", number[32] = "", subject[120] = "";
	enum kh_err err = kh_db_query(db,
				      "SELECT t.manager_id, m.locale, c.case_number, c.subject, c.contact_id, c.account_id "
				      "FROM cases c JOIN users u ON u.id = c.owner_id JOIN teams t ON t.id = u.team_id "
				      "JOIN users m ON m.id = t.manager_id WHERE c.id = $1 AND m.active = 1",
				      &p, 1, &rows);
	if (err)
		return err;
	if (kh_rows_next(db, rows) > 0) {
		struct kh_val v[6];
		for (int i = 0; i < 6; i++)
			v[i] = kh_rows_col(db, rows, i);
		manager = v[0].i;
		snprintf(locale, sizeof locale, "%s", v[1].t == KH_V_TEXT ? v[1].s : "zh-CN");
		snprintf(number, sizeof number, "%s", v[2].t == KH_V_TEXT ? v[2].s : "");
		snprintf(subject, sizeof subject, "%s", v[3].t == KH_V_TEXT ? v[3].s : "");
		contact = v[4].t == KH_V_INT ? v[4].i : 0;
		account = v[5].t == KH_V_INT ? v[5].i : 0;
	}
	kh_rows_end(db, rows);
	if (!manager)
		return KH_OK;
	int zh = !strcmp(locale, "zh-CN");
	int first = !strcmp(metric, "first_response");
	char title[200];
	snprintf(title, sizeof title, zh ? "SLA 超时升级：%s %s（%s）" : "SLA breach escalated: %s %s (%s)", number,
		 subject, zh ? (first ? "首次响应" : "解决") : (first ? "first response" : "resolution"));
	const struct kh_entity *act = kh_entity_find("activities");
	struct kh_values v;
	if (kh_values_init(&v, act, ctx->arena))
		return KH_ENOMEM;
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	char *due = kh_arena_strdup(ctx->arena, now);
	struct {
		const char *f;
		struct kh_val v;
	} set[] = {
		{"type", KH_VTEXT("task")},
		{"subject", KH_VTEXT(kh_arena_strdup(ctx->arena, title))},
		{"priority", KH_VTEXT("high")},
		{"due_at", KH_VTEXT(due)},
		{"case_id", KH_VINT(case_id)},
		{"owner_id", KH_VINT(manager)},
		{"contact_id", contact ? KH_VINT(contact) : KH_VNULL},
		{"account_id", account ? KH_VINT(account) : KH_VNULL},
	};
	for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
		int f = kh_field_index(act, set[i].f);
		v.v[f] = set[i].v;
		v.set[f] = 1;
	}
	int64_t task;
	err = kh_record_insert(ctx, &v, &task);
	if (!err) {
		json_object_set_new(info, "task_id", json_integer(task));
		err = emit_json(db, manager, "sla_breach", info);
	}
	return err;
}

/* Marks one due clock, tells the owner, escalates a breach and brings the
 * case's sla_status up to date, all in one transaction. */
static enum kh_err mark(struct kh_ctx *ctx, const struct due_row *d, int64_t now_us)
{
	struct kh_db *db = ctx->db;
	char now[KH_TIME_LEN];
	kh_time_format(now_us, now);
	struct kh_val p[3] = {KH_VINT(d->case_id), KH_VTEXT(d->metric), KH_VTEXT(now)};
	enum kh_err err = kh_db_begin(db, KH_TX_WRITE);
	if (err)
		return err;
	err = kh_db_exec(db,
			 d->breach ? "UPDATE kh_sla_clocks SET breached_at = due_at, warned_at = COALESCE(warned_at, $3) "
				     "WHERE case_id = $1 AND metric = $2 AND breached_at IS NULL AND state = 'running'"
				   : "UPDATE kh_sla_clocks SET warned_at = $3 WHERE case_id = $1 AND metric = $2 "
				     "AND warned_at IS NULL AND state = 'running'",
			 p, 3);
	int changed = !err && db->ops->changes(db) == 1;
	int64_t owner = 0;
	json_t *info = NULL;
	if (changed) {
		struct kh_rows *rows;
		err = kh_db_query(db, "SELECT owner_id, case_number, subject FROM cases WHERE id = $1", p, 1, &rows);
		if (!err) {
			if (kh_rows_next(db, rows) > 0) {
				struct kh_val o = kh_rows_col(db, rows, 0), n = kh_rows_col(db, rows, 1),
					      s = kh_rows_col(db, rows, 2);
				owner = o.t == KH_V_INT ? o.i : 0;
				info = json_pack("{s:I, s:s, s:s, s:s, s:s}", "case_id", (json_int_t)d->case_id,
						 "case_number", n.t == KH_V_TEXT ? n.s : "", "subject",
						 s.t == KH_V_TEXT ? s.s : "", "metric", d->metric, "at", now);
			}
			kh_rows_end(db, rows);
		}
	}
	if (!err && changed && info) {
		/* The case shows it: the status from its clocks, and when it was escalated. */
		struct clock c[2] = {{.metric = "first_response"}, {.metric = "resolution"}};
		const struct kh_entity *cases = kh_entity_find("cases");
		struct kh_values v;
		err = load_clocks(db, d->case_id, c);
		if (!err && kh_values_init(&v, cases, ctx->arena))
			err = KH_ENOMEM;
		if (!err) {
			const char *st = status_of(c);
			int f = kh_field_index(cases, "sla_status");
			v.v[f] = st ? KH_VTEXT(st) : KH_VNULL;
			v.set[f] = 1;
			if (d->breach) {
				f = kh_field_index(cases, "escalated_at");
				v.v[f] = KH_VTEXT(kh_arena_strdup(ctx->arena, now));
				v.set[f] = 1;
			}
			err = kh_record_patch(ctx, &v, d->case_id, -1);
		}
		if (!err && owner)
			err = emit_json(db, owner, d->breach ? "sla_breach" : "sla_warning", info);
		if (!err && d->breach)
			err = escalate(ctx, d->case_id, d->metric, info);
	}
	json_decref(info);
	if (!err)
		err = kh_db_commit(db);
	if (err)
		kh_db_rollback(db);
	return err;
}

enum kh_err kh_sla_check(struct kh_ctx *ctx, int *warnings, int *breaches)
{
	struct kh_db *db = ctx->db;
	int64_t now_us = kh_now();
	char now[KH_TIME_LEN];
	kh_time_format(now_us, now);
	*warnings = *breaches = 0;
	for (int round = 0; round < 50; round++) {
		struct kh_val p = KH_VTEXT(now);
		struct kh_rows *rows;
		struct due_row due[100];
		int n = 0;
		enum kh_err err = kh_db_query(db,
					      "SELECT case_id, metric, CASE WHEN due_at < $1 THEN 1 ELSE 0 END FROM "
					      "kh_sla_clocks WHERE state = 'running' AND breached_at IS NULL AND "
					      "(due_at < $1 OR (warned_at IS NULL AND warn_at <= $1)) ORDER BY case_id LIMIT 100",
					      &p, 1, &rows);
		if (err)
			return err;
		while (n < 100 && kh_rows_next(db, rows) > 0) {
			struct kh_val m = kh_rows_col(db, rows, 1);
			due[n].case_id = kh_rows_col(db, rows, 0).i;
			snprintf(due[n].metric, sizeof due[n].metric, "%s", m.t == KH_V_TEXT ? m.s : "");
			due[n].breach = (int)kh_rows_col(db, rows, 2).i;
			n++;
		}
		kh_rows_end(db, rows);
		for (int i = 0; i < n; i++) {
			err = mark(ctx, &due[i], now_us);
			if (err) {
				kh_warn("SLA check of case %lld failed: %s", (long long)due[i].case_id,
					ctx->ei->msg ? ctx->ei->msg : kh_strerror(err));
				return err;
			}
			if (due[i].breach)
				(*breaches)++;
			else
				(*warnings)++;
		}
		if (n < 100)
			break;
	}
	return KH_OK;
}

/* ---- reports ---- */

static void write_col(struct kh_jw *w, struct kh_val v)
{
	if (v.t == KH_V_INT)
		kh_jw_int(w, v.i);
	else if (v.t == KH_V_TEXT)
		kh_jw_strn(w, v.s, v.n);
	else
		kh_jw_null(w);
}

/* "FROM ... JOIN (cases the principal may read, created in range) c" with its
 * parameters; p must have room for 8. */
static void scoped_cases(struct kh_ctx *ctx, const char *from, const char *to, struct kh_buf *sql, struct kh_val *p,
			 int *n)
{
	kh_buf_adds(sql, "(SELECT id, priority, queue_id, owner_id, case_number, subject, category, type FROM cases "
			 "WHERE archived_at IS NULL");
	if (from) {
		p[(*n)++] = KH_VTEXT(from);
		kh_buf_addf(sql, " AND created_at >= $%d", *n);
	}
	if (to) {
		p[(*n)++] = KH_VTEXT(to);
		kh_buf_addf(sql, " AND created_at < $%d", *n);
	}
	kh_scope_sql(ctx->who, kh_entity_find("cases"), KH_ACT_READ, sql, p, n, 8);
	kh_buf_adds(sql, ") c");
}

enum kh_err kh_sla_report(struct kh_ctx *ctx, const char *group, const char *from, const char *to,
			  struct kh_jw *w)
{
	static const struct {
		const char *name, *expr;
	} groups[] = {
		{"priority", "c.priority"}, {"queue", "c.queue_id"}, {"owner", "c.owner_id"},
		{"team", "u.team_id"},      {"metric", "k.metric"},
	};
	const char *expr = NULL;
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (!strcmp(group ? group : "priority", groups[i].name))
			expr = groups[i].expr;
	if (!expr)
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "group must be priority, queue, owner, team or metric");
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_addf(&sql,
		    "SELECT %s, count(*), SUM(CASE WHEN k.state = 'stopped' AND k.breached_at IS NULL THEN 1 ELSE 0 END), "
		    "SUM(CASE WHEN k.breached_at IS NOT NULL THEN 1 ELSE 0 END), "
		    "SUM(CASE WHEN k.state <> 'stopped' AND k.breached_at IS NULL THEN 1 ELSE 0 END) "
		    "FROM kh_sla_clocks k JOIN ",
		    expr);
	scoped_cases(ctx, from, to, &sql, p, &n);
	kh_buf_addf(&sql, " ON c.id = k.case_id LEFT JOIN users u ON u.id = c.owner_id GROUP BY %s ORDER BY %s", expr,
		    expr);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot build the SLA report");
	kh_jw_obj(w);
	kh_jw_key(w, "group");
	kh_jw_str(w, group ? group : "priority");
	kh_jw_key(w, "groups");
	kh_jw_arr(w);
	int rc;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		int64_t total = kh_rows_col(ctx->db, rows, 1).i, met = kh_rows_col(ctx->db, rows, 2).i,
			breached = kh_rows_col(ctx->db, rows, 3).i, running = kh_rows_col(ctx->db, rows, 4).i;
		kh_jw_obj(w);
		kh_jw_key(w, "key");
		write_col(w, kh_rows_col(ctx->db, rows, 0));
		kh_jw_key(w, "clocks");
		kh_jw_int(w, total);
		kh_jw_key(w, "met");
		kh_jw_int(w, met);
		kh_jw_key(w, "breached");
		kh_jw_int(w, breached);
		kh_jw_key(w, "running");
		kh_jw_int(w, running);
		kh_jw_key(w, "compliance");
		if (met + breached)
			kh_jw_double(w, (double)met / (double)(met + breached));
		else
			kh_jw_null(w);
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	kh_jw_arr_end(w);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err) - rc, "cannot build the SLA report");
	/* The latest breaches, with what a supervisor needs to act on them. */
	n = 0;
	kh_buf_adds(&sql, "SELECT k.case_id, c.case_number, c.subject, c.priority, c.owner_id, k.metric, k.due_at, "
			  "k.breached_at, k.state FROM kh_sla_clocks k JOIN ");
	scoped_cases(ctx, from, to, &sql, p, &n);
	kh_buf_adds(&sql, " ON c.id = k.case_id WHERE k.breached_at IS NOT NULL ORDER BY k.breached_at DESC, k.case_id "
			  "LIMIT 100");
	err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot list the breaches");
	static const char *const keys[] = {"case_id", "case_number", "subject", "priority", "owner_id",
					   "metric",  "due_at",      "breached_at", "state"};
	kh_jw_key(w, "breaches");
	kh_jw_arr(w);
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		kh_jw_obj(w);
		for (int i = 0; i < 9; i++) {
			kh_jw_key(w, keys[i]);
			write_col(w, kh_rows_col(ctx->db, rows, i));
		}
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return rc < 0 ? kh_errinfo_set(ctx->ei, (enum kh_err) - rc, "cannot list the breaches") : KH_OK;
}

enum kh_err kh_sla_case_clocks(struct kh_ctx *ctx, int64_t case_id, struct kh_jw *w)
{
	struct clock c[2] = {{.metric = "first_response"}, {.metric = "resolution"}};
	enum kh_err err = load_clocks(ctx->db, case_id, c);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the SLA clocks");
	kh_jw_arr(w);
	for (int i = 0; i < 2; i++) {
		if (!c[i].exists)
			continue;
		struct {
			const char *key;
			int64_t us;
		} times[] = {{"due_at", c[i].due},
			     {"warn_at", c[i].state == RUNNING ? c[i].warn : 0},
			     {"warned_at", c[i].warned},
			     {"breached_at", c[i].breached},
			     {"stopped_at", c[i].stopped}};
		kh_jw_obj(w);
		kh_jw_key(w, "metric");
		kh_jw_str(w, c[i].metric);
		kh_jw_key(w, "state");
		kh_jw_str(w, state_names[c[i].state]);
		kh_jw_key(w, "target_minutes");
		kh_jw_int(w, c[i].target_s / 60);
		kh_jw_key(w, "used_minutes");
		kh_jw_int(w, c[i].used_s / 60);
		for (size_t t = 0; t < sizeof times / sizeof times[0]; t++) {
			kh_jw_key(w, times[t].key);
			struct kh_val v = tval(ctx->arena, times[t].us);
			write_col(w, v);
		}
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	return KH_OK;
}
