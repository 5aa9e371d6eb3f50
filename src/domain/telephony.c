#include "domain/telephony.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/callcenter.h"
#include "domain/events.h"
#include "domain/service.h"
#include "domain/service_internal.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- phone numbers ---- */

static int is_mobile(const char *national)
{
	return strlen(national) == 11 && national[0] == '1';
}

int kh_phone_keys_match(const char *a, const char *b)
{
	if (!*a || !*b)
		return 0;
	if (!strcmp(a, b))
		return 1;
	int ca = !strncmp(a, "+86", 3), cb = !strncmp(b, "+86", 3);
	if ((a[0] == '+' && !ca) || (b[0] == '+' && !cb))
		return 0; /* another country: only the same number */
	/* One written with its area code, the other as a local number: the local
	 * one is the last 7 or 8 digits of the other, after a 2- or 3-digit area
	 * code. Mobiles have no area code. */
	const char *na = ca ? a + 3 : a, *nb = cb ? b + 3 : b;
	const char *lng = strlen(na) >= strlen(nb) ? na : nb, *shrt = lng == na ? nb : na;
	size_t ll = strlen(lng), sl = strlen(shrt);
	if (is_mobile(lng) || is_mobile(shrt) || sl < 7 || sl > 8 || ll - sl < 2 || ll - sl > 3)
		return 0;
	if ((shrt == na ? ca : cb))
		return 0; /* the short one said +86 yet had no area code: not a local number */
	return !strcmp(lng + (ll - sl), shrt);
}

/* The digits to look the number up by in the search index, which holds every
 * phone also as bare digits: a mobile or foreign number whole, a landline by
 * its last seven digits (found whether stored with or without area code). */
static void search_digits(const char *key, char *out, size_t n)
{
	int cn = !strncmp(key, "+86", 3);
	const char *d = cn ? key + 3 : key[0] == '+' ? key + 1 : key;
	size_t len = strlen(d);
	if ((cn || key[0] != '+') && !is_mobile(d) && len > 7)
		d += len - 7;
	snprintf(out, n, "%s", d);
}

static int record_has(struct kh_db *db, const char *sql, int64_t id, int ncols, const char *key, int64_t *account)
{
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	int hit = 0;
	if (kh_db_query(db, sql, &p, 1, &rows))
		return 0;
	if (kh_rows_next(db, rows) > 0) {
		for (int c = 0; c < ncols && !hit; c++) {
			struct kh_val v = kh_rows_col(db, rows, c);
			char k[KH_PHONE_KEY_MAX];
			hit = v.t == KH_V_TEXT && kh_phone_key(v.s, v.n, k) && kh_phone_keys_match(k, key);
		}
		struct kh_val a = kh_rows_col(db, rows, ncols);
		*account = a.t == KH_V_INT ? a.i : 0;
	}
	kh_rows_end(db, rows);
	return hit;
}

enum kh_err kh_phone_match(struct kh_db *db, const char *number, struct kh_phone_match *m)
{
	memset(m, 0, sizeof *m);
	if (!number || !kh_phone_key(number, strlen(number), m->key))
		return KH_EINVAL;
	char q[KH_PHONE_KEY_MAX];
	search_digits(m->key, q, sizeof q);
	/* The index is filled in batches: apply what is queued, so that a contact
	 * saved a moment ago is found when they call. */
	enum kh_err err = db->ops->search_flush ? db->ops->search_flush(db) : KH_OK;
	if (err)
		return err;
	struct kh_rows *rows;
	err = db->ops->search(db, q, 50, &rows);
	if (err)
		return err == KH_EINVAL ? KH_OK : err;
	int64_t docs[50];
	int n = 0;
	while (n < 50 && kh_rows_next(db, rows) > 0)
		docs[n++] = kh_rows_col(db, rows, 0).i;
	kh_rows_end(db, rows);
	const struct kh_entity *contacts = kh_entity_find("contacts"), *accounts = kh_entity_find("accounts");
	int64_t first_account = 0;
	/* Hits come newest first: the most recently created record wins a tie. */
	for (int i = 0; i < n; i++) {
		int code = (int)(docs[i] & ((1 << KH_SEARCH_ENTITY_BITS) - 1));
		int64_t id = docs[i] >> KH_SEARCH_ENTITY_BITS, account = 0;
		if (code == contacts->code &&
		    record_has(db, "SELECT phone, mobile, account_id FROM contacts WHERE id = $1 AND archived_at IS NULL", id, 2,
			       m->key, &account)) {
			m->candidates++;
			if (!m->contact_id) {
				m->contact_id = id;
				m->account_id = account;
			}
		} else if (code == accounts->code &&
			   record_has(db, "SELECT phone, id FROM accounts WHERE id = $1 AND archived_at IS NULL", id, 1, m->key,
				      &account)) {
			if (!first_account)
				first_account = id;
			if (!m->contact_id)
				m->candidates++;
		}
	}
	if (!m->contact_id)
		m->account_id = first_account;
	return KH_OK;
}

/* ---- events ---- */

struct event {
	const char *event, *call_id, *from, *to, *agent, *queue, *digits;
	int outbound;
	int64_t at;
	char at_text[KH_TIME_LEN];
};

struct call {
	int64_t id, agent_user, queue_id, contact_id, account_id, case_id;
	char state[16];
	int64_t started, answered;
	char number[48];
};

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

static enum kh_err parse_event(struct kh_ctx *ctx, json_t *body, struct event *e)
{
	static const char *const known[] = {"event", "call_id", "from", "to", "direction", "agent", "queue", "digits",
					    "at", NULL};
	const char *key;
	json_t *v;
	memset(e, 0, sizeof *e);
	json_object_foreach(body, key, v) {
		int ok = 0;
		for (int i = 0; known[i]; i++)
			ok |= !strcmp(key, known[i]);
		if (!ok)
			kh_errinfo_field(ctx->ei, key, "unknown field");
		else if (!json_is_string(v) && !json_is_null(v))
			kh_errinfo_field(ctx->ei, key, "must be text");
		else if (json_is_string(v) && json_string_length(v) > 100)
			kh_errinfo_field(ctx->ei, key, "must be at most 100 characters");
	}
	e->event = jstr(body, "event");
	e->call_id = jstr(body, "call_id");
	e->from = jstr(body, "from");
	e->to = jstr(body, "to");
	e->agent = jstr(body, "agent");
	e->queue = jstr(body, "queue");
	e->digits = jstr(body, "digits");
	const char *dir = jstr(body, "direction"), *at = jstr(body, "at");
	if (!e->event || (strcmp(e->event, "ringing") && strcmp(e->event, "answered") && strcmp(e->event, "hangup")))
		kh_errinfo_field(ctx->ei, "event", "must be ringing, answered or hangup");
	if (!e->call_id)
		kh_errinfo_field(ctx->ei, "call_id", "is required");
	if (dir && strcmp(dir, "inbound") && strcmp(dir, "outbound"))
		kh_errinfo_field(ctx->ei, "direction", "must be inbound or outbound");
	e->outbound = dir && !strcmp(dir, "outbound");
	const char *number = e->outbound ? e->to : e->from;
	char k[KH_PHONE_KEY_MAX];
	if (number && !kh_phone_key(number, strlen(number), k))
		kh_errinfo_field(ctx->ei, e->outbound ? "to" : "from", "is not a phone number");
	if (e->digits)
		for (const char *p = e->digits; *p; p++)
			if ((*p < '0' || *p > '9') && *p != '*' && *p != '#') {
				kh_errinfo_field(ctx->ei, "digits", "must be keys of a phone pad (0-9, * and #)");
				break;
			}
	e->at = kh_now();
	if (at && kh_time_parse(at, strlen(at), &e->at))
		kh_errinfo_field(ctx->ei, "at", "must be an ISO 8601 date-time with a zone");
	kh_time_format(e->at, e->at_text);
	return ctx->ei->code;
}

static int64_t tparse(struct kh_val v)
{
	int64_t us;
	return v.t == KH_V_TEXT && !kh_time_parse(v.s, v.n, &us) ? us : 0;
}

static enum kh_err load_call(struct kh_db *db, const char *call_id, struct call *c)
{
	memset(c, 0, sizeof *c);
	struct kh_val p = KH_VTEXT(call_id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT id, agent_id, queue_id, contact_id, account_id, case_id, state, started_at, "
				      "answered_at, caller, called, direction FROM calls WHERE call_id = $1",
				      &p, 1, &rows);
	if (err)
		return err;
	if (kh_rows_next(db, rows) > 0) {
		struct kh_val v[12];
		for (int i = 0; i < 12; i++)
			v[i] = kh_rows_col(db, rows, i);
		c->id = v[0].i;
		c->agent_user = v[1].t == KH_V_INT ? v[1].i : 0;
		c->queue_id = v[2].t == KH_V_INT ? v[2].i : 0;
		c->contact_id = v[3].t == KH_V_INT ? v[3].i : 0;
		c->account_id = v[4].t == KH_V_INT ? v[4].i : 0;
		c->case_id = v[5].t == KH_V_INT ? v[5].i : 0;
		snprintf(c->state, sizeof c->state, "%s", v[6].t == KH_V_TEXT ? v[6].s : "");
		c->started = tparse(v[7]);
		c->answered = tparse(v[8]);
		int out = v[11].t == KH_V_TEXT && !strcmp(v[11].s, "outbound");
		struct kh_val num = out ? v[10] : v[9];
		snprintf(c->number, sizeof c->number, "%s", num.t == KH_V_TEXT ? num.s : "");
	}
	kh_rows_end(db, rows);
	return KH_OK;
}

static struct kh_val text_or_null(struct kh_ctx *ctx, const char *s)
{
	return s ? KH_VTEXT(kh_arena_strdup(ctx->arena, s)) : KH_VNULL;
}

static struct kh_val id_or_null(int64_t id)
{
	return id ? KH_VINT(id) : KH_VNULL;
}

/* The screen pop: the customer's card for the agent's browser. */
static enum kh_err screen_pop(struct kh_ctx *ctx, const struct event *e, int64_t call, int64_t agent_user,
			      const struct kh_phone_match *m, const char *queue_name)
{
	struct kh_db *db = ctx->db;
	json_t *d = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s?}", "call_id", e->call_id, "call", (json_int_t)call,
			      "number", (e->outbound ? e->to : e->from) ? (e->outbound ? e->to : e->from) : "", "direction",
			      e->outbound ? "outbound" : "inbound", "at", e->at_text, "queue", queue_name);
	if (!d)
		return KH_ENOMEM;
	struct kh_rows *rows;
	struct kh_val p = KH_VINT(m->contact_id);
	if (m->contact_id && kh_db_query(db, "SELECT name, title, account_id FROM contacts WHERE id = $1", &p, 1, &rows) ==
				     KH_OK) {
		if (kh_rows_next(db, rows) > 0) {
			struct kh_val n = kh_rows_col(db, rows, 0), t = kh_rows_col(db, rows, 1);
			json_object_set_new(d, "contact",
					    json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)m->contact_id, "name",
						      n.t == KH_V_TEXT ? n.s : "", "title", t.t == KH_V_TEXT ? t.s : NULL));
		}
		kh_rows_end(db, rows);
	}
	p = KH_VINT(m->account_id);
	if (m->account_id && kh_db_query(db, "SELECT name, tier FROM accounts WHERE id = $1", &p, 1, &rows) == KH_OK) {
		if (kh_rows_next(db, rows) > 0) {
			struct kh_val n = kh_rows_col(db, rows, 0), t = kh_rows_col(db, rows, 1);
			json_object_set_new(d, "account",
					    json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)m->account_id, "name",
						      n.t == KH_V_TEXT ? n.s : "", "tier", t.t == KH_V_TEXT ? t.s : NULL));
		}
		kh_rows_end(db, rows);
	}
	if (m->contact_id || m->account_id) {
		struct kh_val q[2] = {id_or_null(m->contact_id), id_or_null(m->account_id)};
		json_t *cases = json_array();
		if (kh_db_query(db,
				"SELECT id, case_number, subject, status, priority FROM cases WHERE archived_at IS NULL AND "
				"status NOT IN ('resolved', 'closed') AND (contact_id = $1 OR account_id = $2) ORDER BY id "
				"DESC LIMIT 5",
				q, 2, &rows) == KH_OK) {
			while (kh_rows_next(db, rows) > 0) {
				struct kh_val v[5];
				for (int i = 0; i < 5; i++)
					v[i] = kh_rows_col(db, rows, i);
				json_array_append_new(cases, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)v[0].i,
								       "case_number", v[1].t == KH_V_TEXT ? v[1].s : "",
								       "subject", v[2].t == KH_V_TEXT ? v[2].s : "", "status",
								       v[3].t == KH_V_TEXT ? v[3].s : "", "priority",
								       v[4].t == KH_V_TEXT ? v[4].s : ""));
			}
			kh_rows_end(db, rows);
		}
		json_object_set_new(d, "open_cases", cases);
	} else {
		/* Unknown: the values for a new contact form. */
		json_object_set_new(d, "new_contact",
				    json_pack("{s:s}", "mobile", (e->outbound ? e->to : e->from) ? (e->outbound ? e->to : e->from) : ""));
	}
	char *text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	enum kh_err err = text ? kh_event_emit(db, agent_user, "screen_pop", text) : KH_ENOMEM;
	free(text);
	return err;
}

/* The wallboard's figures for every browser, at most once a second per
 * server: 200 call events a second need not become 200 redraws. */
static _Atomic int64_t last_wallboard;

static enum kh_err wallboard_event(struct kh_ctx *ctx)
{
	int64_t now = kh_now(), last = atomic_load(&last_wallboard);
	if (now - last < 1000000 && now >= last)
		return KH_OK;
	if (!atomic_compare_exchange_strong(&last_wallboard, &last, now))
		return KH_OK;
	struct kh_buf b = KH_BUF_INIT;
	struct kh_jw w;
	kh_jw_init(&w, &b);
	enum kh_err err = kh_wallboard(ctx, 0, &w);
	if (!err && !b.err)
		err = kh_event_emit(ctx->db, 0, "wallboard", b.data);
	kh_buf_release(&b);
	return err;
}

static enum kh_err call_activity(struct kh_ctx *ctx, const struct event *e, const struct call *c, const char *state,
				 int64_t talk_s, int64_t *activity)
{
	const char *label = !strcmp(state, "ended") ? (e->outbound ? "去电 Outbound call" : "来电 Inbound call")
			    : e->outbound		? "未接通去电 Unanswered outbound call"
							: "未接来电 Missed call";
	char *subject = kh_arena_printf(ctx->arena, "%s: %s", label, c->number[0] ? c->number : "?");
	char *desc = kh_arena_printf(ctx->arena, "direction: %s; outcome: %s; wait: %lld s; talk: %lld s; call: %s",
				     e->outbound ? "outbound" : "inbound", state,
				     (long long)((c->answered ? c->answered : e->at) - c->started) / 1000000,
				     (long long)talk_s, e->call_id);
	struct kh_fv fv[] = {
		{"type", KH_VTEXT("call")},
		{"subject", subject ? KH_VTEXT(subject) : KH_VTEXT("call")},
		{"status", KH_VTEXT("completed")},
		{"completed_at", KH_VTEXT(e->at_text)},
		{"duration_minutes", KH_VINT((talk_s + 59) / 60)},
		{"description", desc ? KH_VTEXT(desc) : KH_VNULL},
		{"contact_id", id_or_null(c->contact_id)},
		{"account_id", id_or_null(c->account_id)},
		{"case_id", id_or_null(c->case_id)},
		{"owner_id", id_or_null(c->agent_user)},
	};
	return kh_service_insert(ctx, "activities", fv, (int)(sizeof fv / sizeof fv[0]), activity);
}

static enum kh_err callback_task(struct kh_ctx *ctx, const struct event *e, const struct call *c)
{
	struct kh_service_settings s;
	kh_service_settings_load(ctx->db, &s);
	char due[KH_TIME_LEN];
	kh_time_format(e->at + (int64_t)s.callback_minutes * 60 * 1000000, due);
	int64_t owner = c->agent_user;
	if (!owner && c->queue_id) { /* nobody was rung: the queue's team manager sees to it */
		struct kh_val p = KH_VINT(c->queue_id);
		int64_t m;
		if (kh_db_int(ctx->db,
			      "SELECT t.manager_id FROM service_queues q JOIN teams t ON t.id = q.team_id WHERE q.id = $1 "
			      "AND t.manager_id IS NOT NULL",
			      &p, 1, &m) == KH_OK)
			owner = m;
	}
	char *subject = kh_arena_printf(ctx->arena, "回电 Call back: %s", c->number[0] ? c->number : "?");
	struct kh_fv fv[] = {
		{"type", KH_VTEXT("task")},
		{"subject", subject ? KH_VTEXT(subject) : KH_VTEXT("call back")},
		{"priority", KH_VTEXT("high")},
		{"due_at", KH_VTEXT(kh_arena_strdup(ctx->arena, due))},
		{"description", KH_VTEXT(kh_arena_printf(ctx->arena, "call: %s", e->call_id))},
		{"contact_id", id_or_null(c->contact_id)},
		{"account_id", id_or_null(c->account_id)},
		{"owner_id", id_or_null(owner)},
	};
	int64_t id;
	return kh_service_insert(ctx, "activities", fv, (int)(sizeof fv / sizeof fv[0]), &id);
}

static void write_answer(struct kh_jw *w, int64_t call, const char *state, const struct kh_agent_ref *route,
			 const struct kh_phone_match *m, int ignored)
{
	kh_jw_obj(w);
	kh_jw_key(w, "call");
	kh_jw_obj(w);
	kh_jw_key(w, "id");
	kh_jw_int(w, call);
	kh_jw_key(w, "state");
	kh_jw_str(w, state);
	kh_jw_obj_end(w);
	kh_jw_key(w, "route_to");
	if (route && route->user_id) {
		kh_jw_obj(w);
		kh_jw_key(w, "user_id");
		kh_jw_int(w, route->user_id);
		kh_jw_key(w, "agent_id");
		kh_jw_int(w, route->agent_id);
		kh_jw_key(w, "extension");
		kh_jw_str(w, route->extension);
		kh_jw_key(w, "name");
		kh_jw_str(w, route->name);
		kh_jw_obj_end(w);
	} else {
		kh_jw_null(w);
	}
	kh_jw_key(w, "contact_id");
	m && m->contact_id ? kh_jw_int(w, m->contact_id) : kh_jw_null(w);
	kh_jw_key(w, "account_id");
	m && m->account_id ? kh_jw_int(w, m->account_id) : kh_jw_null(w);
	kh_jw_key(w, "ignored");
	kh_jw_bool(w, ignored);
	kh_jw_obj_end(w);
}

static int state_is(const struct call *c, const char *s)
{
	return !strcmp(c->state, s);
}

static enum kh_err ringing(struct kh_ctx *ctx, const struct event *e, struct call *c, struct kh_jw *w)
{
	struct kh_agent_ref agent = {0}, route = {0};
	int64_t queue = 0;
	char queue_name[104] = "";
	enum kh_err err = KH_OK;
	if (e->agent && (err = kh_agent_find(ctx, e->agent, &agent)))
		return err;
	if (e->queue)
		err = kh_queue_find(ctx, e->queue, &queue, queue_name, sizeof queue_name);
	else if (e->digits)
		err = kh_ivr_resolve(ctx, "main", e->digits, &queue, queue_name, sizeof queue_name);
	if (err)
		return err;
	if (c->id && !state_is(c, "ringing") && !state_is(c, "queued")) {
		write_answer(w, c->id, c->state, NULL, NULL, 1);
		return KH_OK; /* late or repeated */
	}
	if (!agent.user_id && queue && (err = kh_route_call(ctx, queue, &route)))
		return err;
	const struct kh_agent_ref *to = agent.user_id ? &agent : route.user_id ? &route : NULL;
	const char *number = e->outbound ? e->to : e->from;
	struct kh_phone_match m = {0};
	if (c->id) {
		/* Rung again, now at a (different) agent: the PBX moved it on. */
		if (!to || to->user_id == c->agent_user) {
			write_answer(w, c->id, c->state, to, NULL, 1);
			return KH_OK;
		}
		m.contact_id = c->contact_id, m.account_id = c->account_id;
		struct kh_fv fv[] = {{"agent_id", KH_VINT(to->user_id)}, {"state", KH_VTEXT("ringing")}};
		err = kh_service_update(ctx, "calls", c->id, fv, 2);
	} else {
		if (number && (err = kh_phone_match(ctx->db, number, &m)) && err != KH_EINVAL)
			return err;
		err = KH_OK;
		struct kh_fv fv[] = {
			{"call_id", KH_VTEXT(e->call_id)},
			{"direction", KH_VTEXT(e->outbound ? "outbound" : "inbound")},
			{"caller", text_or_null(ctx, e->from)},
			{"called", text_or_null(ctx, e->to)},
			{"phone_key", m.key[0] ? KH_VTEXT(kh_arena_strdup(ctx->arena, m.key)) : KH_VNULL},
			{"contact_id", id_or_null(m.contact_id)},
			{"account_id", id_or_null(m.account_id)},
			{"agent_id", to ? KH_VINT(to->user_id) : KH_VNULL},
			{"queue_id", id_or_null(queue)},
			{"state", KH_VTEXT(to ? "ringing" : "queued")},
			{"ivr_digits", text_or_null(ctx, e->digits)},
			{"started_at", KH_VTEXT(e->at_text)},
		};
		err = kh_service_insert(ctx, "calls", fv, (int)(sizeof fv / sizeof fv[0]), &c->id);
	}
	if (!err && to)
		err = screen_pop(ctx, e, c->id, to->user_id, &m, queue_name[0] ? queue_name : NULL);
	if (!err)
		write_answer(w, c->id, to ? "ringing" : "queued", to, &m, 0);
	return err;
}

static enum kh_err answered(struct kh_ctx *ctx, const struct event *e, struct call *c, struct kh_jw *w)
{
	struct kh_agent_ref agent = {0};
	enum kh_err err = e->agent ? kh_agent_find(ctx, e->agent, &agent) : KH_OK;
	if (err)
		return err;
	if (c->id && !state_is(c, "ringing") && !state_is(c, "queued")) {
		write_answer(w, c->id, c->state, NULL, NULL, 1);
		return KH_OK;
	}
	if (agent.user_id)
		c->agent_user = agent.user_id;
	if (!c->id) { /* the ringing event was lost: start the record here */
		struct kh_jw ignore;
		struct kh_buf b = KH_BUF_INIT;
		kh_jw_init(&ignore, &b);
		err = ringing(ctx, e, c, &ignore);
		kh_buf_release(&b);
		if (!err)
			err = load_call(ctx->db, e->call_id, c);
		if (err)
			return err;
	}
	int64_t wait = (e->at - (c->started ? c->started : e->at)) / 1000000;
	struct kh_fv fv[] = {
		{"state", KH_VTEXT("answered")},
		{"answered_at", KH_VTEXT(e->at_text)},
		{"wait_seconds", KH_VINT(wait > 0 ? wait : 0)},
		{"agent_id", id_or_null(c->agent_user)},
	};
	err = kh_service_update(ctx, "calls", c->id, fv, 4);
	if (!err && c->agent_user)
		err = kh_agent_set_state_of_user(ctx, c->agent_user, "on_call");
	if (!err)
		write_answer(w, c->id, "answered", NULL, NULL, 0);
	return err;
}

static enum kh_err hangup(struct kh_ctx *ctx, const struct event *e, struct call *c, struct kh_jw *w)
{
	enum kh_err err = KH_OK;
	if (!c->id) {
		struct kh_jw ignore;
		struct kh_buf b = KH_BUF_INIT;
		kh_jw_init(&ignore, &b);
		err = ringing(ctx, e, c, &ignore);
		kh_buf_release(&b);
		if (!err)
			err = load_call(ctx->db, e->call_id, c);
		if (err)
			return err;
	}
	if (!state_is(c, "ringing") && !state_is(c, "queued") && !state_is(c, "answered")) {
		write_answer(w, c->id, c->state, NULL, NULL, 1);
		return KH_OK;
	}
	int was_answered = state_is(c, "answered");
	const char *state = was_answered ? "ended" : c->agent_user ? "missed" : "abandoned";
	int64_t talk = was_answered && c->answered ? (e->at - c->answered) / 1000000 : 0;
	int64_t wait = ((c->answered ? c->answered : e->at) - (c->started ? c->started : e->at)) / 1000000;
	int64_t activity = 0;
	err = call_activity(ctx, e, c, state, talk > 0 ? talk : 0, &activity);
	if (!err) {
		struct kh_fv fv[] = {
			{"state", KH_VTEXT(state)},
			{"ended_at", KH_VTEXT(e->at_text)},
			{"talk_seconds", KH_VINT(talk > 0 ? talk : 0)},
			{"wait_seconds", KH_VINT(wait > 0 ? wait : 0)},
			{"activity_id", KH_VINT(activity)},
		};
		err = kh_service_update(ctx, "calls", c->id, fv, 5);
	}
	if (!err && was_answered && c->agent_user)
		err = kh_agent_set_state_of_user(ctx, c->agent_user, "wrap_up");
	if (!err && !was_answered && !e->outbound)
		err = callback_task(ctx, e, c);
	if (!err)
		write_answer(w, c->id, state, NULL, NULL, 0);
	return err;
}

enum kh_err kh_telephony_event(struct kh_ctx *ctx, json_t *body, struct kh_jw *w)
{
	struct event e;
	enum kh_err err = parse_event(ctx, body, &e);
	if (err)
		return err;
	if ((err = kh_db_begin(ctx->db, KH_TX_WRITE)))
		return kh_errinfo_set(ctx->ei, err, "the database is busy");
	struct call c;
	err = load_call(ctx->db, e.call_id, &c);
	if (!err) {
		if (!c.number[0])
			snprintf(c.number, sizeof c.number, "%s", (e.outbound ? e.to : e.from) ? (e.outbound ? e.to : e.from) : "");
		if (!strcmp(e.event, "ringing"))
			err = ringing(ctx, &e, &c, w);
		else if (!strcmp(e.event, "answered"))
			err = answered(ctx, &e, &c, w);
		else
			err = hangup(ctx, &e, &c, w);
	}
	if (!err)
		err = wallboard_event(ctx);
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "the call event could not be recorded");
	}
	return err;
}
