/* The service and call-center routes: each maps HTTP to a use case in
 * domain/cases.c, sla.c, kb.c, telephony.c, callcenter.c, imap.c or service.c. */
#include "api/service.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/erlang.h"
#include "domain/callcenter.h"
#include "domain/cases.h"
#include "domain/imap.h"
#include "domain/kb.h"
#include "domain/read.h"
#include "domain/service.h"
#include "domain/service_internal.h"
#include "domain/sla.h"
#include "domain/telephony.h"
#include "http/request.h"
#include "model/permission.h"
#include "model/validate.h"
#include "util/clock.h"

/* The role must grant the action on the entity at some scope; which records
 * is the use case's business, through the usual scope predicates. */
static enum kh_err need(struct kh_req *r, const char *entity, enum kh_action a)
{
	if (kh_scope_of(&r->who, kh_entity_find(entity), a) == KH_SCOPE_NONE)
		return kh_req_fail(r, KH_EFORBIDDEN, "your role may not %s %s", kh_action_name(a), entity);
	return KH_OK;
}

static struct kh_ctx system_ctx(struct kh_req *r)
{
	struct kh_ctx sys;
	kh_service_system_ctx(&r->ctx, &sys);
	return sys;
}

/* An optional ISO date or date-time query parameter, normalised to the stored
 * form so that text comparison is time comparison. */
static enum kh_err time_arg(struct kh_req *r, const char *name, const char **out)
{
	const char *v = kh_req_arg(r, name);
	*out = NULL;
	if (!v || !*v)
		return KH_OK;
	int64_t us;
	if (kh_time_parse(v, strlen(v), &us))
		return kh_req_fail(r, KH_EINVAL, "%s must be a date (2026-01-31) or an ISO 8601 date-time", name);
	char *s = kh_arena_alloc(&r->arena, KH_TIME_LEN);
	if (!s)
		return KH_ENOMEM;
	kh_time_format(us, s);
	*out = s;
	return KH_OK;
}

static enum kh_err int_arg(struct kh_req *r, const char *name, long lo, long hi, long def, long *out)
{
	const char *v = kh_req_arg(r, name);
	*out = def;
	if (!v)
		return KH_OK;
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < lo || n > hi)
		return kh_req_fail(r, KH_EINVAL, "%s must be a whole number from %ld to %ld", name, lo, hi);
	*out = n;
	return KH_OK;
}

static enum kh_err answer_case(struct kh_req *r, int64_t id)
{
	int64_t version = 0;
	enum kh_err err = kh_record_get(&r->ctx, kh_entity_find("cases"), id, &r->jw, &version);
	if (!err)
		snprintf(r->etag, sizeof r->etag, "\"%lld\"", (long long)version);
	return err;
}

/* ---- cases ---- */

enum kh_err kh_api_case_transitions(struct kh_req *r)
{
	const struct kh_entity *cases = kh_entity_find("cases");
	struct kh_values v;
	enum kh_err err = need(r, "cases", KH_ACT_READ);
	if (!err)
		err = kh_service_load(&r->ctx, cases, r->id, &v);
	if (err)
		return err;
	char *status = kh_service_text(&r->arena, &v.v[kh_field_index(cases, "status")]);
	const char *const *allowed = status ? kh_case_allowed(status) : NULL;
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "status");
	kh_jw_str(&r->jw, status ? status : "");
	kh_jw_key(&r->jw, "allowed");
	kh_jw_arr(&r->jw);
	for (int i = 0; allowed && allowed[i]; i++)
		kh_jw_str(&r->jw, allowed[i]);
	kh_jw_arr_end(&r->jw);
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

/* The documented error body, with the legal targets as "allowed". */
static void illegal_transition(struct kh_req *r, const struct kh_transition *t)
{
	struct kh_jw *w = &r->jw;
	kh_buf_reset(&r->out);
	kh_jw_init(w, &r->out);
	r->status = 422;
	kh_jw_obj(w);
	kh_jw_key(w, "error");
	kh_jw_obj(w);
	kh_jw_key(w, "code");
	kh_jw_str(w, "validation_failed");
	kh_jw_key(w, "message");
	kh_jw_str(w, r->ei.msg ? r->ei.msg : "this change of status is not allowed");
	kh_jw_key(w, "fields");
	kh_jw_obj(w);
	for (int i = 0; i < r->ei.nfields; i++) {
		kh_jw_key(w, r->ei.fields[i].field);
		kh_jw_str(w, r->ei.fields[i].msg);
	}
	kh_jw_obj_end(w);
	kh_jw_key(w, "from");
	kh_jw_str(w, t->from);
	kh_jw_key(w, "allowed");
	kh_jw_arr(w);
	for (int i = 0; t->allowed[i]; i++)
		kh_jw_str(w, t->allowed[i]);
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
}

enum kh_err kh_api_case_transition(struct kh_req *r)
{
	enum kh_err err = need(r, "cases", KH_ACT_EDIT);
	if (err)
		return err;
	json_t *to = json_object_get(r->json, "to"), *note = json_object_get(r->json, "note"),
	       *version = json_object_get(r->json, "version");
	if (!json_is_string(to))
		kh_errinfo_field(&r->ei, "to", "is required: the new status");
	if (note && !json_is_null(note) && (!json_is_string(note) || json_string_length(note) > 20000))
		kh_errinfo_field(&r->ei, "note", "must be text of at most 20000 bytes");
	if (version && !json_is_integer(version))
		kh_errinfo_field(&r->ei, "version", "must be the version you read");
	if (r->ei.code)
		return r->ei.code;
	struct kh_transition t = {.to = json_string_value(to), .note = json_is_string(note) ? json_string_value(note) : NULL,
				  .version = version ? json_integer_value(version) : -1};
	const char *im = kh_req_header(r, "If-Match");
	if (im && strcmp(im, "*")) {
		const char *p = im + (!strncmp(im, "W/", 2) ? 2 : 0);
		char *end;
		long long v = strtoll(p + (*p == '"'), &end, 10);
		if (v < 1)
			return kh_req_fail(r, KH_EINVAL, "If-Match must be the record's ETag, such as \"3\"");
		t.version = v;
	}
	/* Anything else in the body is a field to set with the move (owner_id, resolution, ...). */
	t.fields = json_deep_copy(r->json);
	json_object_del(t.fields, "to");
	json_object_del(t.fields, "note");
	json_object_del(t.fields, "version");
	err = kh_case_transition(&r->ctx, r->id, &t);
	json_decref(t.fields);
	if (err == KH_EVALIDATION && t.allowed) {
		illegal_transition(r, &t);
		return KH_OK;
	}
	return err ? err : answer_case(r, r->id);
}

enum kh_err kh_api_case_assign(struct kh_req *r)
{
	enum kh_err err = need(r, "cases", KH_ACT_EDIT);
	int64_t user;
	if (!err)
		err = kh_case_assign(&r->ctx, r->id, &user);
	return err ? err : answer_case(r, r->id);
}

enum kh_err kh_api_case_sla(struct kh_req *r)
{
	enum kh_err err = need(r, "cases", KH_ACT_READ);
	if (!err)
		err = kh_record_exists(&r->ctx, kh_entity_find("cases"), r->id, 0);
	if (err)
		return err;
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "clocks");
	err = kh_sla_case_clocks(&r->ctx, r->id, &r->jw);
	kh_jw_obj_end(&r->jw);
	return err;
}

enum kh_err kh_api_case_kb(struct kh_req *r)
{
	long limit;
	enum kh_err err = need(r, "kb_articles", KH_ACT_READ);
	if (!err)
		err = int_arg(r, "limit", 1, 50, 5, &limit);
	return err ? err : kh_kb_suggest(&r->ctx, r->id, (int)limit, &r->jw);
}

enum kh_err kh_api_case_csat(struct kh_req *r)
{
	enum kh_err err = need(r, "cases", KH_ACT_READ);
	return err ? err : kh_csat_of_case(&r->ctx, r->id, &r->jw);
}

/* ---- service ---- */

enum kh_err kh_api_service_settings_get(struct kh_req *r)
{
	struct kh_service_settings s;
	kh_service_settings_load(r->ctx.db, &s);
	kh_service_settings_write(&s, &r->jw);
	return KH_OK;
}

enum kh_err kh_api_service_settings_put(struct kh_req *r)
{
	enum kh_err err = kh_service_settings_update(&r->ctx, r->json);
	return err ? err : kh_api_service_settings_get(r);
}

enum kh_err kh_api_sla_report(struct kh_req *r)
{
	const char *from, *to;
	enum kh_err err = need(r, "cases", KH_ACT_READ);
	if (!err)
		err = time_arg(r, "from", &from);
	if (!err)
		err = time_arg(r, "to", &to);
	return err ? err : kh_sla_report(&r->ctx, kh_req_arg(r, "group"), from, to, &r->jw);
}

enum kh_err kh_api_service_tick(struct kh_req *r)
{
	struct kh_ctx sys = system_ctx(r);
	struct kh_service_tick t;
	enum kh_err err = kh_service_tick_run(&sys, &t);
	if (err)
		return err;
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "warnings");
	kh_jw_int(&r->jw, t.warnings);
	kh_jw_key(&r->jw, "breaches");
	kh_jw_int(&r->jw, t.breaches);
	kh_jw_key(&r->jw, "wrapups");
	kh_jw_int(&r->jw, t.wrapups);
	kh_jw_key(&r->jw, "care_tasks");
	kh_jw_int(&r->jw, t.care_tasks);
	kh_jw_key(&r->jw, "mail_polls");
	kh_jw_int(&r->jw, t.mail_polls);
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

enum kh_err kh_api_csat_rollup(struct kh_req *r)
{
	const char *from, *to;
	enum kh_err err = need(r, "cases", KH_ACT_READ);
	if (!err)
		err = time_arg(r, "from", &from);
	if (!err)
		err = time_arg(r, "to", &to);
	return err ? err : kh_csat_rollup(&r->ctx, kh_req_arg(r, "group"), from, to, &r->jw);
}

enum kh_err kh_api_complaints(struct kh_req *r)
{
	const char *from, *to;
	enum kh_err err = need(r, "cases", KH_ACT_READ);
	if (!err)
		err = time_arg(r, "from", &from);
	if (!err)
		err = time_arg(r, "to", &to);
	return err ? err : kh_complaint_analysis(&r->ctx, from, to, &r->jw);
}

enum kh_err kh_api_mail_poll(struct kh_req *r)
{
	struct kh_ctx sys = system_ctx(r);
	struct kh_imap_result res;
	enum kh_err err = kh_imap_poll(&sys, &res);
	if (err)
		return err;
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "fetched");
	kh_jw_int(&r->jw, res.fetched);
	kh_jw_key(&r->jw, "created");
	kh_jw_int(&r->jw, res.created);
	kh_jw_key(&r->jw, "replied");
	kh_jw_int(&r->jw, res.replied);
	kh_jw_key(&r->jw, "skipped");
	kh_jw_int(&r->jw, res.skipped);
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

enum kh_err kh_api_care_run(struct kh_req *r)
{
	json_t *day = json_object_get(r->json, "day");
	if (kh_json_members_only(r->json, "day", &r->ei))
		return KH_EVALIDATION;
	char today[11];
	kh_date_format(kh_now() / 86400000000LL, today);
	if (day && !json_is_string(day))
		return kh_req_fail(r, KH_EINVAL, "day must be a date YYYY-MM-DD");
	struct kh_ctx sys = system_ctx(r);
	int made;
	enum kh_err err = kh_care_run(&sys, day ? json_string_value(day) : today, &made);
	if (err)
		return err;
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "tasks");
	kh_jw_int(&r->jw, made);
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

/* The seam for tests of SLA clocks across nights, weekends and holidays: a
 * clock that moves when the test says so. Off unless the server was started
 * with KEHU_TEST_CLOCK=1, and administrators only even then. */
enum kh_err kh_api_test_clock(struct kh_req *r)
{
	const char *on = getenv("KEHU_TEST_CLOCK");
	if (!on || strcmp(on, "1"))
		return kh_req_fail(r, KH_ENOTFOUND, "the test clock is off (start the server with KEHU_TEST_CLOCK=1)");
	json_t *now = json_object_get(r->json, "now");
	int64_t us;
	if (kh_json_members_only(r->json, "now", &r->ei))
		return KH_EVALIDATION;
	if (!json_is_string(now) || kh_time_parse(json_string_value(now), json_string_length(now), &us)) {
		kh_errinfo_field(&r->ei, "now", "must be an ISO 8601 date-time with a zone");
		return KH_EVALIDATION;
	}
	kh_clock_set(us);
	/* The background tick was queued by the old time: bring it to the new one. */
	enum kh_err err = kh_service_ensure_tick(r->ctx.db);
	if (err)
		return kh_req_fail(r, err, "cannot reschedule the periodic work");
	char text[KH_TIME_LEN];
	kh_time_format(kh_now(), text);
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "now");
	kh_jw_str(&r->jw, text);
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

/* ---- knowledge base ---- */

enum kh_err kh_api_kb_search(struct kh_req *r)
{
	long limit, any;
	enum kh_err err = need(r, "kb_articles", KH_ACT_READ);
	if (!err)
		err = int_arg(r, "limit", 1, 50, 10, &limit);
	if (!err)
		err = int_arg(r, "any", 0, 1, 0, &any);
	if (err)
		return err;
	const char *cat = kh_req_arg(r, "category");
	return kh_kb_search(&r->ctx, kh_req_arg(r, "q"), cat && *cat ? cat : NULL, (int)limit, (int)any, &r->jw);
}

enum kh_err kh_api_kb_open(struct kh_req *r)
{
	enum kh_err err = need(r, "kb_articles", KH_ACT_READ);
	return err ? err : kh_kb_open(&r->ctx, r->id, &r->jw);
}

/* ---- public ---- */

enum kh_err kh_api_public_case(struct kh_req *r)
{
	int64_t id;
	enum kh_err err = kh_case_from_form(&r->ctx, r->json, r->address, &id);
	if (err == KH_ERATE)
		r->retry_after = 600;
	if (err)
		return err;
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	char number[32] = "";
	if (kh_db_query(r->ctx.db, "SELECT case_number FROM cases WHERE id = $1", &p, 1, &rows) == KH_OK) {
		if (kh_rows_next(r->ctx.db, rows) > 0)
			snprintf(number, sizeof number, "%s", kh_rows_col(r->ctx.db, rows, 0).s);
		kh_rows_end(r->ctx.db, rows);
	}
	/* The visitor learns the number to quote, not the record. */
	r->status = 201;
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "case_number");
	kh_jw_str(&r->jw, number);
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

enum kh_err kh_api_public_csat_get(struct kh_req *r)
{
	enum kh_err err = kh_req_link_key(r);
	return err ? err : kh_csat_get(&r->ctx, r->key, &r->jw);
}

enum kh_err kh_api_public_csat_post(struct kh_req *r)
{
	enum kh_err err = kh_req_link_key(r);
	if (!err)
		err = kh_csat_answer(&r->ctx, r->key, r->json);
	return err ? err : kh_csat_get(&r->ctx, r->key, &r->jw);
}

/* ---- call center ---- */

enum kh_err kh_api_telephony_event(struct kh_req *r)
{
	if (!r->who.api_key_id)
		return kh_req_fail(r, KH_EFORBIDDEN,
				   "call events come from a PBX connector with an API key (POST /api/v1/api-keys), "
				   "not from a login");
	enum kh_err err = need(r, "calls", KH_ACT_CREATE);
	if (err)
		return err;
	/* The connector acts for the whole call center (it moves every agent's
	 * state and writes every call); the audit log names the key's user. */
	struct kh_principal pbx = r->who;
	pbx.is_admin = 1;
	struct kh_ctx ctx = r->ctx;
	ctx.who = &pbx;
	return kh_telephony_event(&ctx, r->json, &r->jw);
}

enum kh_err kh_api_wallboard(struct kh_req *r)
{
	long queue;
	enum kh_err err = need(r, "calls", KH_ACT_READ);
	if (!err)
		err = int_arg(r, "queue_id", 0, INT32_MAX, 0, &queue);
	return err ? err : kh_wallboard(&r->ctx, queue, &r->jw);
}

static enum kh_err num_arg(struct kh_req *r, const char *name, double def, int required, double *out)
{
	const char *v = kh_req_arg(r, name);
	*out = def;
	if (!v || !*v) {
		if (required)
			return kh_req_fail(r, KH_EINVAL, "%s is required", name);
		return KH_OK;
	}
	char *end;
	double d = strtod(v, &end);
	if (*end || !isfinite(d))
		return kh_req_fail(r, KH_EINVAL, "%s must be a number", name);
	*out = d;
	return KH_OK;
}

static void staffing_row(struct kh_jw *w, int n, double a, const struct kh_erlang_in *in)
{
	double c = kh_erlang_c(n, a);
	kh_jw_obj(w);
	kh_jw_key(w, "agents");
	kh_jw_int(w, n);
	kh_jw_key(w, "p_wait");
	kh_jw_double(w, c);
	kh_jw_key(w, "service_level");
	kh_jw_double(w, kh_erlang_service_level(n, a, in->target_s, in->aht_s));
	kh_jw_key(w, "asa_s");
	n > a ? kh_jw_double(w, c * in->aht_s / (n - a)) : kh_jw_null(w);
	kh_jw_key(w, "occupancy");
	kh_jw_double(w, n ? (a / n > 1 ? 1 : a / n) : 0);
	kh_jw_obj_end(w);
}

enum kh_err kh_api_erlang_c(struct kh_req *r)
{
	struct kh_erlang_in in;
	enum kh_err err = num_arg(r, "calls", 0, 1, &in.calls);
	if (!err)
		err = num_arg(r, "interval_s", 1800, 0, &in.interval_s);
	if (!err)
		err = num_arg(r, "aht_s", 0, 1, &in.aht_s);
	if (!err)
		err = num_arg(r, "target_s", 20, 0, &in.target_s);
	if (!err)
		err = num_arg(r, "target_sl", 0.8, 0, &in.target_sl);
	if (!err)
		err = num_arg(r, "shrinkage", 0, 0, &in.shrinkage);
	if (err)
		return err;
	const char *why, *bad = kh_erlang_check(&in, &why);
	if (bad)
		return kh_req_fail(r, KH_EINVAL, "%s %s", bad, why);
	struct kh_erlang_out out;
	kh_erlang_staff(&in, &out);
	struct kh_jw *w = &r->jw;
	kh_jw_obj(w);
	kh_jw_key(w, "agents");
	kh_jw_int(w, out.agents);
	kh_jw_key(w, "agents_with_shrinkage");
	kh_jw_int(w, out.agents_with_shrinkage);
	kh_jw_key(w, "p_wait");
	kh_jw_double(w, out.p_wait);
	kh_jw_key(w, "service_level");
	kh_jw_double(w, out.service_level);
	kh_jw_key(w, "asa_s");
	kh_jw_double(w, out.asa_s);
	kh_jw_key(w, "occupancy");
	kh_jw_double(w, out.occupancy);
	kh_jw_key(w, "traffic_erlangs");
	kh_jw_double(w, out.traffic);
	/* The neighbourhood of the answer, for a chart of what each agent buys. */
	kh_jw_key(w, "table");
	kh_jw_arr(w);
	int first = (int)floor(out.traffic) + 1;
	if (first < out.agents - 6)
		first = out.agents - 6;
	for (int n = first > 0 ? first : 1; n <= out.agents + 4; n++)
		staffing_row(w, n, out.traffic, &in);
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return KH_OK;
}

enum kh_err kh_api_ivr(struct kh_req *r)
{
	enum kh_err err = need(r, "ivr_options", KH_ACT_READ);
	return err ? err : kh_ivr_tree(&r->ctx, &r->jw);
}

enum kh_err kh_api_phone_lookup(struct kh_req *r)
{
	enum kh_err err = need(r, "contacts", KH_ACT_READ);
	if (err)
		return err;
	const char *phone = kh_req_arg(r, "phone");
	struct kh_phone_match m;
	err = kh_phone_match(r->ctx.db, phone, &m);
	if (err == KH_EINVAL)
		return kh_req_fail(r, KH_EINVAL, "phone must be a phone number");
	if (err)
		return kh_req_fail(r, err, "cannot look the number up");
	struct kh_jw *w = &r->jw;
	kh_jw_obj(w);
	kh_jw_key(w, "key");
	kh_jw_str(w, m.key);
	kh_jw_key(w, "candidates");
	kh_jw_int(w, m.candidates);
	int64_t version;
	kh_jw_key(w, "contact");
	if (!m.contact_id || kh_record_get(&r->ctx, kh_entity_find("contacts"), m.contact_id, w, &version))
		kh_jw_null(w);
	kh_jw_key(w, "account");
	if (!m.account_id || kh_record_get(&r->ctx, kh_entity_find("accounts"), m.account_id, w, &version))
		kh_jw_null(w);
	kh_jw_obj_end(w);
	kh_errinfo_init(&r->ei, &r->arena); /* a record outside the scope is simply not shown */
	return KH_OK;
}

enum kh_err kh_api_agent_me(struct kh_req *r)
{
	return kh_agent_me(&r->ctx, &r->jw);
}

enum kh_err kh_api_agent_state(struct kh_req *r)
{
	json_t *state = json_object_get(r->json, "state");
	if (kh_json_members_only(r->json, "state", &r->ei))
		return KH_EVALIDATION;
	enum kh_err err = kh_agent_me_state(&r->ctx, json_is_string(state) ? json_string_value(state) : NULL);
	return err ? err : kh_agent_me(&r->ctx, &r->jw);
}
