#include "domain/callcenter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/read.h"
#include "domain/service.h"
#include "domain/service_internal.h"
#include "util/clock.h"

static int is(const struct kh_val *v, const char *s)
{
	return v->t == KH_V_TEXT && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

/* ---- the agents entity's rule ---- */

enum kh_err kh_agent_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	const struct kh_val *user = kh_write_get(w, "user_id");
	if (kh_write_changes(w, "user_id") && user->t == KH_V_INT) {
		/* The agent owns their own record, so that "own" scopes let them
		 * change their state and skills; the name comes from the user. */
		kh_write_set(w, "owner_id", *user);
		if (kh_write_get(w, "name")->t == KH_V_NULL) {
			struct kh_rows *rows;
			if (kh_db_query(ctx->db, "SELECT COALESCE(display_name, username) FROM users WHERE id = $1", user, 1,
					&rows) == KH_OK) {
				if (kh_rows_next(ctx->db, rows) > 0) {
					struct kh_val n = kh_rows_col(ctx->db, rows, 0);
					if (n.t == KH_V_TEXT)
						kh_write_set(w, "name", KH_VTEXT(kh_arena_strndup(ctx->arena, n.s, n.n)));
				}
				kh_rows_end(ctx->db, rows);
			}
		}
	}
	if (w->op == KH_OP_CREATE || kh_write_changes(w, "state")) {
		const struct kh_val *old = w->old.v ? &w->old.v[kh_field_index(w->e, "state")] : NULL;
		int same = old && old->t == KH_V_TEXT && kh_write_get(w, "state")->t == KH_V_TEXT &&
		       old->n == kh_write_get(w, "state")->n && !memcmp(old->s, kh_write_get(w, "state")->s, old->n);
		if (!same) {
			kh_write_set(w, "state_since", KH_VTEXT(w->now_text));
			if (is(kh_write_get(w, "state"), "available"))
				kh_write_set(w, "idle_since", KH_VTEXT(w->now_text));
		}
	}
	return KH_OK;
}

/* ---- lookups ---- */

static void fill_ref(struct kh_db *db, struct kh_rows *rows, struct kh_agent_ref *out)
{
	struct kh_val ext = kh_rows_col(db, rows, 2), name = kh_rows_col(db, rows, 3);
	out->agent_id = kh_rows_col(db, rows, 0).i;
	out->user_id = kh_rows_col(db, rows, 1).i;
	snprintf(out->extension, sizeof out->extension, "%s", ext.t == KH_V_TEXT ? ext.s : "");
	snprintf(out->name, sizeof out->name, "%s", name.t == KH_V_TEXT ? name.s : "");
}

enum kh_err kh_agent_find(struct kh_ctx *ctx, const char *who, struct kh_agent_ref *out)
{
	memset(out, 0, sizeof *out);
	struct kh_val p = KH_VTEXT(who);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT a.id, a.user_id, a.extension, a.name FROM agents a JOIN users u ON u.id = a.user_id "
				      "WHERE a.archived_at IS NULL AND (a.extension = $1 OR u.username = $1) ORDER BY a.id LIMIT 1",
				      &p, 1, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0)
		fill_ref(ctx->db, rows, out);
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return (enum kh_err) - rc;
	if (!rc) {
		kh_errinfo_field(ctx->ei, "agent", "no agent has this extension or username");
		return KH_EVALIDATION;
	}
	return KH_OK;
}

enum kh_err kh_queue_find(struct kh_ctx *ctx, const char *name, int64_t *id, char *qname, size_t n)
{
	struct kh_val p = KH_VTEXT(name);
	enum kh_err err = kh_db_int(ctx->db, "SELECT id FROM service_queues WHERE name = $1 AND archived_at IS NULL", &p,
				    1, id);
	if (err == KH_ENOTFOUND) {
		kh_errinfo_field(ctx->ei, "queue", "no queue has this name");
		return KH_EVALIDATION;
	}
	snprintf(qname, n, "%s", name);
	return err;
}

enum kh_err kh_ivr_resolve(struct kh_ctx *ctx, const char *menu, const char *digits, int64_t *queue, char *qname,
			   size_t n)
{
	char cur[48];
	snprintf(cur, sizeof cur, "%s", menu);
	*queue = 0;
	qname[0] = '\0';
	/* One key at a time, as a caller goes down the menus (bounded: menus may loop). */
	for (const char *d = digits; *d && d - digits < 20; d++) {
		char key[2] = {*d, 0};
		struct kh_val p[2] = {KH_VTEXT(cur), KH_VTEXT(key)};
		struct kh_rows *rows;
		enum kh_err err = kh_db_query(ctx->db,
					      "SELECT o.queue_id, o.next_menu, q.name FROM ivr_options o LEFT JOIN service_queues q "
					      "ON q.id = o.queue_id WHERE o.menu = $1 AND o.digit = $2 AND o.archived_at IS NULL "
					      "ORDER BY o.id LIMIT 1",
					      p, 2, &rows);
		if (err)
			return err;
		int found = kh_rows_next(ctx->db, rows) > 0;
		int64_t q = 0;
		char next[48] = "";
		if (found) {
			struct kh_val qv = kh_rows_col(ctx->db, rows, 0), nx = kh_rows_col(ctx->db, rows, 1),
				      nm = kh_rows_col(ctx->db, rows, 2);
			q = qv.t == KH_V_INT ? qv.i : 0;
			snprintf(next, sizeof next, "%s", nx.t == KH_V_TEXT ? nx.s : "");
			if (q)
				snprintf(qname, n, "%s", nm.t == KH_V_TEXT ? nm.s : "");
		}
		kh_rows_end(ctx->db, rows);
		if (!found)
			return KH_OK; /* an unknown key: the call is not in any queue */
		if (q) {
			*queue = q;
			return KH_OK;
		}
		if (!next[0])
			return KH_OK;
		snprintf(cur, sizeof cur, "%s", next);
	}
	return KH_OK;
}

static int has_all(struct kh_val tags, json_t *need)
{
	if (!json_array_size(need))
		return 1;
	json_t *have = tags.t == KH_V_TEXT ? json_loadb(tags.s, tags.n, 0, NULL) : NULL;
	size_t i, k;
	json_t *a, *b;
	int ok = 1;
	json_array_foreach(need, i, a) {
		int found = 0;
		json_array_foreach(have, k, b) {
			if (json_equal(a, b))
				found = 1;
		}
		ok &= found;
	}
	json_decref(have);
	return ok;
}

enum kh_err kh_route_call(struct kh_ctx *ctx, int64_t queue, struct kh_agent_ref *out)
{
	memset(out, 0, sizeof *out);
	struct kh_val p = KH_VINT(queue);
	struct kh_rows *rows;
	json_t *need = NULL;
	enum kh_err err = kh_db_query(ctx->db, "SELECT required_skills FROM service_queues WHERE id = $1", &p, 1, &rows);
	if (err)
		return err;
	if (kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val s = kh_rows_col(ctx->db, rows, 0);
		need = s.t == KH_V_TEXT ? json_loadb(s.s, s.n, 0, NULL) : NULL;
	}
	kh_rows_end(ctx->db, rows);
	/* Idle longest first; agents being rung for another call wait their turn. */
	err = kh_db_query(ctx->db,
			  "SELECT a.id, a.user_id, a.extension, a.name, a.skills FROM agents a JOIN users u ON u.id = a.user_id "
			  "WHERE a.archived_at IS NULL AND u.active = 1 AND a.state = 'available' AND NOT EXISTS "
			  "(SELECT 1 FROM calls c WHERE c.agent_id = a.user_id AND c.state = 'ringing') "
			  "ORDER BY COALESCE(a.idle_since, a.state_since, a.created_at), a.id",
			  NULL, 0, &rows);
	if (err) {
		json_decref(need);
		return err;
	}
	int rc;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0)
		if (has_all(kh_rows_col(ctx->db, rows, 4), need)) {
			fill_ref(ctx->db, rows, out);
			break;
		}
	kh_rows_end(ctx->db, rows);
	json_decref(need);
	return rc < 0 ? (enum kh_err) - rc : KH_OK;
}

enum kh_err kh_agent_set_state_of_user(struct kh_ctx *ctx, int64_t user_id, const char *state)
{
	struct kh_val p = KH_VINT(user_id);
	int64_t agent;
	enum kh_err err = kh_db_int(ctx->db, "SELECT id FROM agents WHERE user_id = $1 AND archived_at IS NULL", &p, 1,
				    &agent);
	if (err == KH_ENOTFOUND)
		return KH_OK;
	if (err)
		return err;
	struct kh_ctx sys;
	kh_service_system_ctx(ctx, &sys);
	return kh_service_set(&sys, "agents", agent, "state", KH_VTEXT(state));
}

/* ---- the wallboard ---- */

static void today_start(struct kh_ctx *ctx, char out[KH_TIME_LEN])
{
	struct kh_service_settings s;
	kh_service_settings_load(ctx->db, &s);
	int64_t off = (int64_t)s.utc_offset_minutes * 60;
	int64_t now = kh_now() / 1000000;
	int64_t day = (now + off) / 86400;
	kh_time_format((day * 86400 - off) * 1000000, out);
}

enum kh_err kh_wallboard(struct kh_ctx *ctx, int64_t queue, struct kh_jw *w)
{
	struct kh_db *db = ctx->db;
	char since[KH_TIME_LEN], now_text[KH_TIME_LEN];
	today_start(ctx, since);
	int64_t now = kh_now();
	kh_time_format(now, now_text);
	struct kh_val p[2] = {KH_VTEXT(since), KH_VINT(queue)};
	struct kh_rows *rows;
	/* One pass over today's inbound calls, per queue. */
	enum kh_err err = kh_db_query(
		db,
		"SELECT c.queue_id, q.name, "
		"SUM(CASE WHEN c.state IN ('queued', 'ringing') THEN 1 ELSE 0 END), "
		"MIN(CASE WHEN c.state IN ('queued', 'ringing') THEN c.started_at END), "
		"SUM(CASE WHEN c.state IN ('answered', 'ended', 'missed', 'abandoned') THEN 1 ELSE 0 END), "
		"SUM(CASE WHEN c.answered_at IS NOT NULL THEN 1 ELSE 0 END), "
		"SUM(CASE WHEN c.state = 'abandoned' THEN 1 ELSE 0 END), "
		"SUM(CASE WHEN c.state = 'missed' THEN 1 ELSE 0 END), "
		"SUM(CASE WHEN c.answered_at IS NOT NULL AND c.wait_seconds <= COALESCE(q.target_answer_seconds, 20) "
		"THEN 1 ELSE 0 END), "
		"SUM(CASE WHEN c.answered_at IS NOT NULL THEN c.wait_seconds ELSE 0 END) "
		"FROM calls c LEFT JOIN service_queues q ON q.id = c.queue_id "
		"WHERE c.direction = 'inbound' AND c.started_at >= $1 AND c.archived_at IS NULL "
		"AND ($2 = 0 OR c.queue_id = $2) GROUP BY c.queue_id, q.name ORDER BY q.name",
		p, 2, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read today's calls");
	int64_t waiting = 0, offered = 0, answered = 0, abandoned = 0, missed = 0, in_target = 0, wait_sum = 0;
	char oldest[KH_TIME_LEN + 1] = "";
	struct kh_buf qb = KH_BUF_INIT;
	struct kh_jw qw;
	kh_jw_init(&qw, &qb);
	kh_jw_arr(&qw);
	int rc;
	while ((rc = kh_rows_next(db, rows)) > 0) {
		struct kh_val v[10];
		for (int i = 0; i < 10; i++)
			v[i] = kh_rows_col(db, rows, i);
		int64_t n[10];
		for (int i = 2; i < 10; i++)
			n[i] = v[i].t == KH_V_INT ? v[i].i : 0;
		waiting += n[2], offered += n[4], answered += n[5], abandoned += n[6], missed += n[7];
		in_target += n[8], wait_sum += n[9];
		if (v[3].t == KH_V_TEXT && (!oldest[0] || strcmp(v[3].s, oldest) < 0))
			snprintf(oldest, sizeof oldest, "%s", v[3].s);
		kh_jw_obj(&qw);
		kh_jw_key(&qw, "queue_id");
		v[0].t == KH_V_INT ? kh_jw_int(&qw, v[0].i) : kh_jw_null(&qw);
		kh_jw_key(&qw, "name");
		v[1].t == KH_V_TEXT ? kh_jw_str(&qw, v[1].s) : kh_jw_null(&qw);
		kh_jw_key(&qw, "calls_waiting");
		kh_jw_int(&qw, n[2]);
		kh_jw_key(&qw, "offered");
		kh_jw_int(&qw, n[4]);
		kh_jw_key(&qw, "answered");
		kh_jw_int(&qw, n[5]);
		kh_jw_key(&qw, "service_level");
		int64_t done = n[5] + n[6] + n[7];
		done ? kh_jw_double(&qw, (double)n[8] / (double)done) : kh_jw_null(&qw);
		kh_jw_obj_end(&qw);
	}
	kh_rows_end(db, rows);
	kh_jw_arr_end(&qw);
	if (rc < 0 || qb.err) {
		kh_buf_release(&qb);
		return kh_errinfo_set(ctx->ei, rc < 0 ? (enum kh_err) - rc : KH_ENOMEM, "cannot read today's calls");
	}
	int64_t longest = 0, t;
	if (oldest[0] && !kh_time_parse(oldest, strlen(oldest), &t) && now > t)
		longest = (now - t) / 1000000;
	int64_t done = answered + abandoned + missed;
	kh_jw_obj(w);
	kh_jw_key(w, "at");
	kh_jw_str(w, now_text);
	kh_jw_key(w, "since");
	kh_jw_str(w, since);
	kh_jw_key(w, "calls_waiting");
	kh_jw_int(w, waiting);
	kh_jw_key(w, "longest_wait_seconds");
	kh_jw_int(w, longest);
	kh_jw_key(w, "offered");
	kh_jw_int(w, offered);
	kh_jw_key(w, "answered");
	kh_jw_int(w, answered);
	kh_jw_key(w, "abandoned");
	kh_jw_int(w, abandoned);
	kh_jw_key(w, "missed");
	kh_jw_int(w, missed);
	kh_jw_key(w, "service_level");
	done ? kh_jw_double(w, (double)in_target / (double)done) : kh_jw_null(w);
	kh_jw_key(w, "asa_seconds");
	answered ? kh_jw_double(w, (double)wait_sum / (double)answered) : kh_jw_null(w);
	kh_jw_key(w, "abandonment_rate");
	done ? kh_jw_double(w, (double)(abandoned + missed) / (double)done) : kh_jw_null(w);
	kh_jw_key(w, "queues");
	kh_jw_raw(w, qb.data, qb.len);
	kh_buf_release(&qb);
	/* Agents by state. */
	kh_jw_key(w, "agents");
	kh_jw_obj(w);
	static const char *const states[] = {"offline", "available", "on_call", "wrap_up", "break"};
	int64_t counts[5] = {0};
	err = kh_db_query(db, "SELECT state, count(*) FROM agents WHERE archived_at IS NULL GROUP BY state", NULL, 0,
			  &rows);
	if (!err) {
		while (kh_rows_next(db, rows) > 0) {
			struct kh_val s = kh_rows_col(db, rows, 0);
			for (int i = 0; i < 5; i++)
				if (is(&s, states[i]))
					counts[i] = kh_rows_col(db, rows, 1).i;
		}
		kh_rows_end(db, rows);
	}
	for (int i = 0; i < 5; i++) {
		kh_jw_key(w, states[i]);
		kh_jw_int(w, counts[i]);
	}
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
	return err ? kh_errinfo_set(ctx->ei, err, "cannot count the agents") : KH_OK;
}

enum kh_err kh_ivr_tree(struct kh_ctx *ctx, struct kh_jw *w)
{
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT o.menu, o.digit, o.label, o.queue_id, q.name, o.next_menu FROM ivr_options o "
				      "LEFT JOIN service_queues q ON q.id = o.queue_id WHERE o.archived_at IS NULL "
				      "ORDER BY o.menu, o.digit, o.id",
				      NULL, 0, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the IVR menu");
	static const char *const keys[] = {"digit", "label", "queue_id", "queue", "next_menu"};
	char menu[48] = "";
	int open = 0;
	kh_jw_obj(w);
	kh_jw_key(w, "menus");
	kh_jw_obj(w);
	while (kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val m = kh_rows_col(ctx->db, rows, 0);
		if (m.t != KH_V_TEXT)
			continue;
		if (!open || strcmp(menu, m.s)) {
			if (open)
				kh_jw_arr_end(w);
			snprintf(menu, sizeof menu, "%s", m.s);
			kh_jw_key(w, menu);
			kh_jw_arr(w);
			open = 1;
		}
		kh_jw_obj(w);
		for (int i = 0; i < 5; i++) {
			struct kh_val v = kh_rows_col(ctx->db, rows, i + 1);
			kh_jw_key(w, keys[i]);
			if (v.t == KH_V_INT)
				kh_jw_int(w, v.i);
			else if (v.t == KH_V_TEXT)
				kh_jw_strn(w, v.s, v.n);
			else
				kh_jw_null(w);
		}
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	if (open)
		kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
	return KH_OK;
}

static enum kh_err my_agent(struct kh_ctx *ctx, int64_t *id)
{
	struct kh_val p = KH_VINT(ctx->who->user_id);
	enum kh_err err = kh_db_int(ctx->db, "SELECT id FROM agents WHERE user_id = $1 AND archived_at IS NULL", &p, 1, id);
	if (err == KH_ENOTFOUND)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "you are not set up as an agent (ask an administrator)");
	return err;
}

enum kh_err kh_agent_me(struct kh_ctx *ctx, struct kh_jw *w)
{
	int64_t id, version;
	enum kh_err err = my_agent(ctx, &id);
	if (err)
		return err;
	struct kh_ctx sys;
	kh_service_system_ctx(ctx, &sys);
	return kh_record_get(&sys, kh_entity_find("agents"), id, w, &version);
}

enum kh_err kh_agent_me_state(struct kh_ctx *ctx, const char *state)
{
	if (!state || (strcmp(state, "available") && strcmp(state, "break") && strcmp(state, "offline"))) {
		kh_errinfo_field(ctx->ei, "state", "must be available, break or offline (calls set the others)");
		return KH_EVALIDATION;
	}
	int64_t id;
	enum kh_err err = my_agent(ctx, &id);
	if (err)
		return err;
	struct kh_ctx sys;
	kh_service_system_ctx(ctx, &sys);
	/* The agent acts, so the audit log names them; the system's authority
	 * lets every agent change their own state whatever their role. */
	struct kh_principal me = *ctx->who;
	me.is_admin = 1;
	sys.who = &me;
	return kh_service_set(&sys, "agents", id, "state", KH_VTEXT(state));
}
