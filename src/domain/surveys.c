/* Surveys: the entity rules, sending invitations, the public answer page and
 * the invitations that events trigger (surveys.h). */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/pls.h"
#include "domain/read.h"
#include "domain/analytics_ahp.h"
#include "domain/surveys.h"
#include "domain/surveys_internal.h"
#include "model/permission.h"
#include "model/validate.h"
#include "util/clock.h"
#include "util/log.h"

#define MAX_SEND 100000
#define MAX_TEXT 2000

static int is(const struct kh_val *v, const char *s)
{
	return v->t == KH_V_TEXT && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

static void setv(struct kh_values *v, const char *field, struct kh_val x)
{
	int i = kh_field_index(v->e, field);
	v->v[i] = x;
	v->set[i] = 1;
}

static int64_t ival(const struct kh_val *v, int64_t def)
{
	return v->t == KH_V_INT ? v->i : def;
}

/* ---- entity rules ---- */

enum kh_err kh_survey_before_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	struct kh_errinfo *ei = w->ctx->ei;
	if (ival(kh_write_get(w, "scale_min"), 1) >= ival(kh_write_get(w, "scale_max"), 10))
		kh_errinfo_field(ei, "scale_max", "must be above the scale's lower end");
	const struct kh_val *model = kh_write_get(w, "model");
	if (kh_write_changes(w, "model") && model->t == KH_V_TEXT && model->n) {
		struct kh_pls_model m;
		char why[256];
		if (kh_pls_model_parse(model->s, model->n, &m, why, sizeof why) == KH_OK)
			kh_pls_model_release(&m);
		else
			kh_errinfo_field(ei, "model", "%s", why);
	}
	if (kh_write_changes(w, "status") && is(kh_write_get(w, "status"), "active")) {
		int64_t n = 0;
		struct kh_val p = KH_VINT(w->id);
		if (w->id)
			kh_db_int(w->ctx->db,
				  "SELECT count(*) FROM survey_questions WHERE survey_id = $1 AND archived_at IS NULL", &p, 1,
				  &n);
		if (n == 0)
			kh_errinfo_field(ei, "status", "add questions before making the survey active");
	}
	return ei->nfields ? KH_EVALIDATION : KH_OK;
}

/* Codes name items in path models: letters, digits, '_' and '.', not
 * starting with a digit (analytics/pls.h). */
static int code_valid(const struct kh_val *v)
{
	if (v->t != KH_V_TEXT || !v->n || (v->s[0] >= '0' && v->s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < v->n; i++) {
		char c = v->s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static int64_t survey_responses(struct kh_db *db, int64_t survey)
{
	int64_t n = 0;
	struct kh_val p = KH_VINT(survey);
	kh_db_int(db, "SELECT count(*) FROM survey_responses WHERE survey_id = $1 AND archived_at IS NULL", &p, 1, &n);
	return n;
}

enum kh_err kh_question_before_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	struct kh_ctx *ctx = w->ctx;
	struct kh_errinfo *ei = ctx->ei;
	const struct kh_val *type = kh_write_get(w, "type"), *code = kh_write_get(w, "code");
	if (!code_valid(code))
		kh_errinfo_field(ei, "code", "letters, digits, _ and ., not starting with a digit (it names the item)");
	if (is(type, "nps")) {
		kh_write_set(w, "scale_min", KH_VINT(0));
		kh_write_set(w, "scale_max", KH_VINT(10));
	} else if (is(type, "scale")) {
		int64_t lo = ival(kh_write_get(w, "scale_min"), 1), hi = ival(kh_write_get(w, "scale_max"), 5);
		if (lo >= hi || hi - lo > 10)
			kh_errinfo_field(ei, "scale_max", "a scale has 2 to 11 points");
	} else if (is(type, "single") || is(type, "multiple")) {
		const struct kh_val *opt = kh_write_get(w, "options");
		if (opt->t != KH_V_TEXT || opt->n <= 2)
			kh_errinfo_field(ei, "options", "a choice question needs its choices");
	}
	int64_t survey = ival(kh_write_get(w, "survey_id"), 0);
	if (!ei->nfields && code->t == KH_V_TEXT) {
		struct kh_val p[3] = {KH_VINT(survey), *code, KH_VINT(w->id)};
		int64_t n = 0;
		kh_db_int(ctx->db,
			  "SELECT count(*) FROM survey_questions WHERE survey_id = $1 AND code = $2 AND id <> $3 AND "
			  "archived_at IS NULL",
			  p, 3, &n);
		if (n)
			kh_errinfo_field(ei, "code", "another question of this survey has this code");
	}
	if (ei->nfields)
		return KH_EVALIDATION;
	/* Answers already given must keep their meaning. */
	if (w->op == KH_OP_UPDATE &&
	    (kh_write_changes(w, "code") || kh_write_changes(w, "type") || kh_write_changes(w, "scale_min") ||
	     kh_write_changes(w, "scale_max") || kh_write_changes(w, "survey_id")) &&
	    survey_responses(ctx->db, ival(&w->old.v[kh_field_index(w->e, "survey_id")], 0)))
		return kh_errinfo_set(ei, KH_ECONFLICT,
				      "the survey has answers: a question's code, type and scale can no longer change; add "
				      "a new question instead");
	return KH_OK;
}

/* 128 random bits, URL-safe. */
static const char *new_token(struct kh_write *w)
{
	unsigned char raw[16];
	char *out = kh_arena_alloc(w->ctx->arena, 32);
	if (!out)
		return NULL;
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, 32, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

enum kh_err kh_invitation_before_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE)
		return KH_OK;
	struct kh_ctx *ctx = w->ctx;
	struct kh_val p = KH_VINT(ival(kh_write_get(w, "survey_id"), 0));
	int64_t active = 0;
	kh_db_int(ctx->db, "SELECT count(*) FROM surveys WHERE id = $1 AND status = 'active' AND archived_at IS NULL", &p,
		  1, &active);
	if (!active) {
		kh_errinfo_field(ctx->ei, "survey_id", "the survey is not active");
		return KH_EVALIDATION;
	}
	const char *token = new_token(w);
	if (!token)
		return KH_ENOMEM;
	kh_write_set(w, "token", KH_VTEXT(token));
	/* A link is out as soon as it exists; e-mail, SMS and WeChat wait for
	 * their channel to deliver them. */
	const struct kh_val *ch = kh_write_get(w, "channel");
	int immediate = ch->t != KH_V_TEXT || is(ch, "link") || is(ch, "portal");
	kh_write_set(w, "status", KH_VTEXT(immediate ? "sent" : "pending"));
	if (immediate)
		kh_write_set(w, "sent_at", KH_VTEXT(w->now_text));
	/* E-mail goes out from a job, after this transaction commits. */
	if (is(ch, "email")) {
		enum kh_err err = kh_surveys_mail_queue(ctx->db, 0);
		if (err)
			return err;
	}
	if (kh_write_get(w, "expires_at")->t == KH_V_NULL) {
		char *t = kh_arena_alloc(ctx->arena, KH_TIME_LEN);
		if (!t)
			return KH_ENOMEM;
		kh_time_format(w->now + 30LL * 86400 * 1000000, t);
		kh_write_set(w, "expires_at", KH_VTEXT(t));
	}
	/* The contact's account, so that results can be read by account too. */
	const struct kh_val *contact = kh_write_get(w, "contact_id");
	if (contact->t == KH_V_INT && kh_write_get(w, "account_id")->t == KH_V_NULL) {
		int64_t acc;
		if (kh_db_int(ctx->db, "SELECT account_id FROM contacts WHERE id = $1 AND account_id IS NOT NULL", contact, 1,
			      &acc) == KH_OK)
			kh_write_set(w, "account_id", KH_VINT(acc));
	}
	return KH_OK;
}

enum kh_err kh_assessment_before_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	static const struct {
		const char *field, *member, *why;
	} shapes[] = {
		{"hierarchy", "nodes", "must be {\"nodes\": [{\"id\", \"parent\", \"label_en\", \"label_zh\"}]}"},
		{"judgements", "assessors", "must be {\"assessors\": [{\"name\", \"matrices\": {...}}]}"},
	};
	int changed = 0;
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		const struct kh_val *v = kh_write_get(w, shapes[i].field);
		if (v->t != KH_V_TEXT || !kh_write_changes(w, shapes[i].field))
			continue;
		changed = 1;
		json_t *j = json_loadb(v->s, v->n, 0, NULL);
		if (!json_is_array(json_object_get(j, shapes[i].member)))
			kh_errinfo_field(w->ctx->ei, shapes[i].field, "%s", shapes[i].why);
		json_decref(j);
	}
	if (w->ctx->ei->nfields)
		return KH_EVALIDATION;
	if (!changed && !kh_write_changes(w, "scores"))
		return KH_OK;
	/* The whole assessment must evaluate, so that a saved one always can. */
	json_t *parts[3] = {NULL, NULL, NULL};
	static const char *const names[3] = {"hierarchy", "judgements", "scores"};
	for (int i = 0; i < 3; i++) {
		const struct kh_val *v = kh_write_get(w, names[i]);
		if (v->t == KH_V_TEXT)
			parts[i] = json_loadb(v->s, v->n, 0, NULL);
	}
	enum kh_err err = kh_capability_check(w->ctx, parts[0], parts[1], parts[2]);
	for (int i = 0; i < 3; i++)
		json_decref(parts[i]);
	return err;
}

/* ---- sending ---- */

struct idset {
	int64_t *v;
	size_t n, cap;
};

static int idset_add(struct idset *s, int64_t id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		int64_t *v = realloc(s->v, cap * sizeof(int64_t));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = id;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int idset_has(const struct idset *s, int64_t id)
{
	return s->n && bsearch(&id, s->v, s->n, sizeof(int64_t), cmp_id) != NULL;
}

/* Runs sql (which selects one id column) into s, with the principal's
 * contact scope appended when scoped. */
static enum kh_err collect(struct kh_ctx *ctx, const char *sql_head, struct kh_val *params, int n, int scoped,
			   struct idset *s)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[12];
	memcpy(p, params, (size_t)n * sizeof *p);
	kh_buf_adds(&sql, sql_head);
	if (scoped) {
		kh_buf_adds(&sql, " AND record_id IN (SELECT id FROM contacts WHERE archived_at IS NULL");
		kh_scope_sql(ctx->who, kh_entity_find("contacts"), KH_ACT_READ, &sql, p, &n, 12);
		kh_buf_adds(&sql, ")");
	}
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return err;
	int rc;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0 && !err) {
		struct kh_val v = kh_rows_col(ctx->db, rows, 0);
		if (v.t == KH_V_INT && idset_add(s, v.i))
			err = KH_ENOMEM;
	}
	kh_rows_end(ctx->db, rows);
	return err ? err : rc < 0 ? (enum kh_err)-rc : KH_OK;
}

enum kh_err kh_survey_send(struct kh_ctx *ctx, int64_t survey_id, json_t *body, struct kh_jw *w)
{
	const struct kh_entity *inv = kh_entity_find("survey_invitations");
	struct kh_errinfo *ei = ctx->ei;
	json_t *ids = json_object_get(body, "contact_ids"), *seg = json_object_get(body, "segment"),
	       *ch = json_object_get(body, "channel"), *days = json_object_get(body, "expires_days");
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v)
		if (strcmp(key, "contact_ids") && strcmp(key, "segment") && strcmp(key, "channel") &&
		    strcmp(key, "expires_days"))
			kh_errinfo_field(ei, key, "unknown field; send contact_ids or segment, channel, expires_days");
	if (!!ids == !!seg)
		kh_errinfo_field(ei, "segment", "give either contact_ids or segment");
	if (ids && (!json_is_array(ids) || json_array_size(ids) > MAX_SEND))
		kh_errinfo_field(ei, "contact_ids", "must be an array of up to %d contact ids", MAX_SEND);
	if (seg && !json_is_string(seg))
		kh_errinfo_field(ei, "segment", "must be rfm:<segment>, stage:<stage> or all");
	const char *channel = json_is_string(ch) ? json_string_value(ch) : "link";
	const struct kh_field *chf = kh_field_find(inv, "channel");
	int ok = 0;
	for (int i = 0; chf->enum_values[i]; i++)
		ok |= !strcmp(chf->enum_values[i], channel);
	if (!ok)
		kh_errinfo_field(ei, "channel", "must be email, sms, wechat, portal or link");
	json_int_t nd = json_is_integer(days) ? json_integer_value(days) : 30;
	if (days && (!json_is_integer(days) || nd < 1 || nd > 3650))
		kh_errinfo_field(ei, "expires_days", "must be 1 to 3650");
	if (ei->nfields)
		return KH_EVALIDATION;

	struct idset want = {0}, done = {0};
	enum kh_err err = KH_OK;
	struct kh_val sp = KH_VINT(survey_id);
	if (ids) {
		size_t i;
		json_array_foreach(ids, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 1) {
				kh_errinfo_field(ei, "contact_ids", "must hold contact ids");
				err = KH_EVALIDATION;
				break;
			}
			if ((err = kh_record_exists(ctx, kh_entity_find("contacts"), json_integer_value(v), 1)))
				break;
			if (idset_add(&want, json_integer_value(v))) {
				err = KH_ENOMEM;
				break;
			}
		}
	} else {
		const char *s = json_string_value(seg);
		if (!strncmp(s, "rfm:", 4) || !strncmp(s, "stage:", 6)) {
			int rfm = s[0] == 'r';
			struct kh_val p = KH_VTEXT(s + (rfm ? 4 : 6));
			err = collect(ctx,
				      rfm ? "SELECT record_id FROM kh_customer_scores WHERE entity = 'contacts' AND rfm_segment = $1"
					  : "SELECT record_id FROM kh_customer_scores WHERE entity = 'contacts' AND "
					    "lifecycle_stage = $1",
				      &p, 1, 1, &want);
		} else if (!strcmp(s, "all")) {
			struct kh_buf sql = KH_BUF_INIT;
			struct kh_val p[8];
			int n = 0;
			kh_buf_adds(&sql, "SELECT id FROM contacts WHERE archived_at IS NULL");
			kh_scope_sql(ctx->who, kh_entity_find("contacts"), KH_ACT_READ, &sql, p, &n, 8);
			err = sql.err ? sql.err : collect(ctx, sql.data, p, n, 0, &want);
			kh_buf_release(&sql);
		} else {
			kh_errinfo_field(ei, "segment", "must be rfm:<segment>, stage:<stage> or all");
			err = KH_EVALIDATION;
		}
	}
	if (!err && want.n > MAX_SEND)
		err = kh_errinfo_set(ei, KH_EINVAL, "at most %d invitations at once; narrow the segment", MAX_SEND);
	if (!err)
		err = collect(ctx,
			      "SELECT contact_id FROM survey_invitations WHERE survey_id = $1 AND archived_at IS NULL AND "
			      "contact_id IS NOT NULL",
			      &sp, 1, 0, &done);
	if (err)
		goto out;
	if (done.n)
		qsort(done.v, done.n, sizeof(int64_t), cmp_id);
	char expires[KH_TIME_LEN];
	kh_time_format(kh_now() + (int64_t)nd * 86400 * 1000000, expires);
	const char *segment = seg ? json_string_value(seg) : NULL;
	size_t created = 0, skipped = 0;
	if ((err = kh_db_begin(ctx->db, KH_TX_WRITE)))
		goto out;
	kh_jw_obj(w);
	kh_jw_key(w, "invitations");
	kh_jw_arr(w);
	for (size_t i = 0; i < want.n && !err; i++) {
		int64_t c = want.v[i];
		if (idset_has(&done, c)) {
			skipped++;
			continue;
		}
		struct kh_values vals;
		if (kh_values_init(&vals, inv, ctx->arena)) {
			err = KH_ENOMEM;
			break;
		}
		setv(&vals, "survey_id", KH_VINT(survey_id));
		setv(&vals, "contact_id", KH_VINT(c));
		setv(&vals, "channel", KH_VTEXT(channel));
		setv(&vals, "expires_at", KH_VTEXT(expires));
		if (segment)
			setv(&vals, "segment", KH_VTEXT(segment));
		int64_t id;
		if ((err = kh_record_insert(ctx, &vals, &id)))
			break;
		/* The same contact listed twice is invited once. */
		if (idset_add(&done, c)) {
			err = KH_ENOMEM;
			break;
		}
		qsort(done.v, done.n, sizeof(int64_t), cmp_id);
		if (created++ < 200) {
			const struct kh_val *tok = &vals.v[kh_field_index(inv, "token")];
			char token[64];
			struct kh_val t;
			struct kh_val p = KH_VINT(id);
			struct kh_rows *rows;
			/* The token was made by the rule; read it back. */
			snprintf(token, sizeof token, "%.*s", tok->t == KH_V_TEXT ? (int)tok->n : 0, tok->s ? tok->s : "");
			if (!token[0] && kh_db_query(ctx->db, "SELECT token FROM survey_invitations WHERE id = $1", &p, 1,
						     &rows) == KH_OK) {
				if (kh_rows_next(ctx->db, rows) > 0 && (t = kh_rows_col(ctx->db, rows, 0)).t == KH_V_TEXT)
					snprintf(token, sizeof token, "%s", t.s);
				kh_rows_end(ctx->db, rows);
			}
			kh_jw_obj(w);
			kh_jw_key(w, "id");
			kh_jw_int(w, id);
			kh_jw_key(w, "contact_id");
			kh_jw_int(w, c);
			kh_jw_key(w, "token");
			kh_jw_str(w, token);
			kh_jw_key(w, "link");
			char link[96];
			snprintf(link, sizeof link, "/s/%s", token);
			kh_jw_str(w, link);
			kh_jw_obj_end(w);
		}
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "created");
	kh_jw_int(w, (int64_t)created);
	kh_jw_key(w, "skipped");
	kh_jw_int(w, (int64_t)skipped);
	kh_jw_obj_end(w);
	err = err ? err : kh_db_commit(ctx->db);
	if (err)
		kh_db_rollback(ctx->db);
out:
	free(want.v);
	free(done.v);
	return err && !ei->code ? kh_errinfo_set(ei, err, "cannot send the survey") : err;
}

/* ---- the public answer page ---- */

struct invitation {
	int64_t id, survey, contact, account, owner;
	char status[16], channel[16], survey_status[16];
	int expired;
};

static enum kh_err find_invitation(struct kh_ctx *ctx, const char *token, struct invitation *in)
{
	memset(in, 0, sizeof(*in));
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[2] = {KH_VTEXT(token), KH_VTEXT(now)};
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT i.id, i.survey_id, i.contact_id, i.account_id, i.owner_id, i.status, i.channel, "
				      "s.status, (i.expires_at IS NOT NULL AND i.expires_at < $2) FROM survey_invitations i "
				      "JOIN surveys s ON s.id = i.survey_id WHERE i.token = $1 AND i.archived_at IS NULL AND "
				      "s.archived_at IS NULL",
				      p, 2, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0) {
		struct kh_val v[9];
		for (int i = 0; i < 9; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		in->id = v[0].i;
		in->survey = v[1].i;
		in->contact = ival(&v[2], 0);
		in->account = ival(&v[3], 0);
		in->owner = ival(&v[4], 0);
		snprintf(in->status, sizeof in->status, "%s", v[5].t == KH_V_TEXT ? v[5].s : "");
		snprintf(in->channel, sizeof in->channel, "%s", v[6].t == KH_V_TEXT ? v[6].s : "link");
		snprintf(in->survey_status, sizeof in->survey_status, "%s", v[7].t == KH_V_TEXT ? v[7].s : "");
		in->expired = ival(&v[8], 0) != 0;
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return (enum kh_err)-rc;
	if (rc == 0 || in->expired || strcmp(in->survey_status, "active"))
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "this survey link is unknown or has expired");
	return KH_OK;
}

enum kh_err kh_survey_questions(struct kh_ctx *ctx, int64_t survey, struct kh_jw *w, struct question **out,
				  size_t *nq)
{
	struct kh_val p = KH_VINT(survey);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT code, type, text, text_en, scale_min, scale_max, options, required FROM "
				      "survey_questions WHERE survey_id = $1 AND archived_at IS NULL ORDER BY position, id",
				      &p, 1, &rows);
	if (err)
		return err;
	size_t n = 0, cap = 0;
	struct question *q = NULL;
	int rc;
	if (w) {
		kh_jw_key(w, "questions");
		kh_jw_arr(w);
	}
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		struct kh_val v[8];
		for (int i = 0; i < 8; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		if (out) {
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				struct question *nqs = realloc(q, cap * sizeof *q);
				if (!nqs) {
					err = KH_ENOMEM;
					break;
				}
				q = nqs;
			}
			struct question *x = &q[n];
			memset(x, 0, sizeof *x);
			snprintf(x->code, sizeof x->code, "%s", v[0].t == KH_V_TEXT ? v[0].s : "");
			snprintf(x->type, sizeof x->type, "%s", v[1].t == KH_V_TEXT ? v[1].s : "");
			x->lo = ival(&v[4], 1);
			x->hi = ival(&v[5], 5);
			x->options = v[6].t == KH_V_TEXT ? json_loadb(v[6].s, v[6].n, 0, NULL) : NULL;
			x->required = ival(&v[7], 1) != 0;
		}
		n++;
		if (!w)
			continue;
		kh_jw_obj(w);
		static const char *const keys[] = {"code", "type", "text", "text_en", "scale_min", "scale_max", "options",
			"required"};
		for (int i = 0; i < 8; i++) {
			kh_jw_key(w, keys[i]);
			if (i == 6)
				v[6].t == KH_V_TEXT ? kh_jw_raw(w, v[6].s, v[6].n) : kh_jw_raw(w, "[]", 2);
			else if (i == 7)
				kh_jw_bool(w, ival(&v[7], 1) != 0);
			else if (v[i].t == KH_V_INT)
				kh_jw_int(w, v[i].i);
			else if (v[i].t == KH_V_TEXT)
				kh_jw_strn(w, v[i].s, v[i].n);
			else
				kh_jw_null(w);
		}
		kh_jw_obj_end(w);
	}
	if (w)
		kh_jw_arr_end(w);
	kh_rows_end(ctx->db, rows);
	if (out)
		*out = q;
	else
		free(q);
	*nq = n;
	return err ? err : rc < 0 ? (enum kh_err)-rc : KH_OK;
}

void kh_survey_questions_free(struct question *q, size_t n)
{
	for (size_t i = 0; q && i < n; i++)
		json_decref(q[i].options);
	free(q);
}

static enum kh_err survey_texts(struct kh_ctx *ctx, int64_t survey, struct kh_jw *w)
{
	struct kh_val p = KH_VINT(survey);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db, "SELECT name, kind, intro, thanks FROM surveys WHERE id = $1", &p, 1, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(ctx->db, rows);
	static const char *const keys[] = {"name", "kind", "intro", "thanks"};
	kh_jw_key(w, "survey");
	kh_jw_obj(w);
	for (int i = 0; rc > 0 && i < 4; i++) {
		struct kh_val v = kh_rows_col(ctx->db, rows, i);
		kh_jw_key(w, keys[i]);
		if (v.t == KH_V_TEXT)
			kh_jw_strn(w, v.s, v.n);
		else
			kh_jw_null(w);
	}
	kh_jw_obj_end(w);
	kh_rows_end(ctx->db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

static enum kh_err patch_invitation(struct kh_ctx *ctx, int64_t id, const char *status, const char *stamp)
{
	struct kh_values vals;
	if (kh_values_init(&vals, kh_entity_find("survey_invitations"), ctx->arena))
		return KH_ENOMEM;
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	char *at = kh_arena_strdup(ctx->arena, now);
	if (!at)
		return KH_ENOMEM;
	setv(&vals, "status", KH_VTEXT(status));
	setv(&vals, stamp, KH_VTEXT(at));
	return kh_record_patch(ctx, &vals, id, -1);
}

enum kh_err kh_survey_public_get(struct kh_ctx *ctx, const char *token, struct kh_jw *w)
{
	struct invitation in;
	enum kh_err err = find_invitation(ctx, token, &in);
	if (err)
		return err;
	int answered = !strcmp(in.status, "answered");
	/* Opening the page is worth knowing (the response rate's funnel). */
	if (!answered && strcmp(in.status, "opened") && (err = patch_invitation(ctx, in.id, "opened", "opened_at")))
		return err;
	kh_jw_obj(w);
	if ((err = survey_texts(ctx, in.survey, w)))
		return err;
	kh_jw_key(w, "answered");
	kh_jw_bool(w, answered);
	size_t nq;
	if (!answered && (err = kh_survey_questions(ctx, in.survey, w, NULL, &nq)))
		return err;
	kh_jw_obj_end(w);
	return KH_OK;
}

/* Checks one answer against its question; NULL if it is fine. */
static const char *check_answer(const struct question *q, json_t *a)
{
	if (!strcmp(q->type, "scale") || !strcmp(q->type, "nps")) {
		if (!json_is_integer(a) || json_integer_value(a) < q->lo || json_integer_value(a) > q->hi)
			return "must be a whole number on the question's scale";
	} else if (!strcmp(q->type, "single")) {
		if (!json_is_string(a))
			return "must be one of the choices";
		size_t i;
		json_t *o;
		json_array_foreach(q->options, i, o)
			if (json_equal(o, a))
				return NULL;
		return "must be one of the choices";
	} else if (!strcmp(q->type, "multiple")) {
		if (!json_is_array(a))
			return "must be a list of the choices";
		size_t i, j;
		json_t *x, *o;
		json_array_foreach(a, i, x) {
			int found = 0;
			json_array_foreach(q->options, j, o)
				found |= json_equal(o, x);
			if (!found)
				return "must be a list of the choices";
		}
	} else if (!json_is_string(a) || strlen(json_string_value(a)) > MAX_TEXT) {
		return "must be text of at most 2000 bytes";
	}
	return NULL;
}

enum kh_err kh_survey_public_answer(struct kh_ctx *ctx, const char *token, json_t *body, struct kh_jw *w)
{
	struct kh_errinfo *ei = ctx->ei;
	struct invitation in;
	enum kh_err err = find_invitation(ctx, token, &in);
	if (err)
		return err;
	if (!strcmp(in.status, "answered"))
		return kh_errinfo_set(ei, KH_ECONFLICT, "this survey has been answered already; thank you");
	json_t *answers = json_object_get(body, "answers"), *comment = json_object_get(body, "comment");
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v)
		if (strcmp(key, "answers") && strcmp(key, "comment"))
			kh_errinfo_field(ei, key, "unknown field; send answers and comment");
	if (!json_is_object(answers))
		kh_errinfo_field(ei, "answers", "must be an object of question code: answer");
	if (comment && !json_is_null(comment) && (!json_is_string(comment) || strlen(json_string_value(comment)) > MAX_TEXT))
		kh_errinfo_field(ei, "comment", "must be text of at most 2000 bytes");
	if (ei->nfields)
		return KH_EVALIDATION;
	struct question *q = NULL;
	size_t nq = 0;
	if ((err = kh_survey_questions(ctx, in.survey, NULL, &q, &nq)))
		return err;
	json_t *clean = json_object();
	int nps = -1;
	for (size_t i = 0; i < nq; i++) {
		json_t *a = json_object_get(answers, q[i].code);
		if (!a || json_is_null(a) || (json_is_string(a) && !*json_string_value(a))) {
			if (q[i].required)
				kh_errinfo_field(ei, kh_arena_printf(ctx->arena, "answers.%s", q[i].code), "is required");
			continue;
		}
		const char *why = check_answer(&q[i], a);
		if (why) {
			kh_errinfo_field(ei, kh_arena_printf(ctx->arena, "answers.%s", q[i].code), "%s", why);
			continue;
		}
		json_object_set(clean, q[i].code, a);
		if (!strcmp(q[i].type, "nps") && nps < 0)
			nps = (int)json_integer_value(a);
	}
	json_object_foreach(answers, key, v) {
		int known = 0;
		for (size_t i = 0; i < nq && !known; i++)
			known = !strcmp(q[i].code, key);
		if (!known)
			kh_errinfo_field(ei, kh_arena_printf(ctx->arena, "answers.%s", key), "is not a question of this survey");
	}
	kh_survey_questions_free(q, nq);
	if (ei->nfields) {
		json_decref(clean);
		return KH_EVALIDATION;
	}
	char *text = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(clean);
	char *stored = text ? kh_arena_strdup(ctx->arena, text) : NULL;
	free(text);
	if (!stored)
		return KH_ENOMEM;
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	char *at = kh_arena_strdup(ctx->arena, now), *cm = json_is_string(comment) && *json_string_value(comment)
								     ? kh_arena_strdup(ctx->arena, json_string_value(comment))
								     : NULL;
	struct kh_values vals;
	if (!at || kh_values_init(&vals, kh_entity_find("survey_responses"), ctx->arena))
		return KH_ENOMEM;
	setv(&vals, "survey_id", KH_VINT(in.survey));
	setv(&vals, "invitation_id", KH_VINT(in.id));
	if (in.contact)
		setv(&vals, "contact_id", KH_VINT(in.contact));
	if (in.account)
		setv(&vals, "account_id", KH_VINT(in.account));
	setv(&vals, "submitted_at", KH_VTEXT(at));
	setv(&vals, "answers", KH_VTEXT(stored));
	if (nps >= 0)
		setv(&vals, "nps", KH_VINT(nps));
	if (cm)
		setv(&vals, "comment", KH_VTEXT(cm));
	setv(&vals, "channel", KH_VTEXT(kh_arena_strdup(ctx->arena, in.channel)));
	/* The response belongs to whoever sent the invitation, so their team
	 * reads it within their scope. */
	if (in.owner)
		setv(&vals, "owner_id", KH_VINT(in.owner));
	if ((err = kh_db_begin(ctx->db, KH_TX_WRITE)))
		return err;
	/* Inside the transaction: a second answer that raced this one sees the
	 * first one's row (or hits the unique invitation_id). */
	int64_t answered = 0, id;
	struct kh_val p = KH_VINT(in.id);
	kh_db_int(ctx->db, "SELECT count(*) FROM survey_responses WHERE invitation_id = $1", &p, 1, &answered);
	if (answered)
		err = kh_errinfo_set(ei, KH_ECONFLICT, "this survey has been answered already; thank you");
	if (!err)
		err = kh_record_insert(ctx, &vals, &id);
	if (!err)
		err = patch_invitation(ctx, in.id, "answered", "answered_at");
	err = err ? err : kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		if (err == KH_ECONFLICT)
			ei->msg = "this survey has been answered already; thank you";
		return err;
	}
	kh_jw_obj(w);
	kh_jw_key(w, "answered");
	kh_jw_bool(w, 1);
	if ((err = survey_texts(ctx, in.survey, w)))
		return err;
	kh_jw_obj_end(w);
	return KH_OK;
}

/* ---- invitations after events ---- */

/* Consumer: an order delivered or a case resolved invites its contact to
 * every active survey sent at that moment, once per survey and record. */
static enum kh_err trigger(struct kh_ctx *ctx, const struct kh_change *c)
{
	const char *want = !strcmp(c->entity, "orders") ? "delivered" : !strcmp(c->entity, "cases") ? "resolved" : NULL;
	if (!want || !c->changes)
		return KH_OK;
	json_t *st = json_object_get(c->changes, "status");
	json_t *now = json_is_array(st) ? json_array_get(st, 1) : NULL;
	if (!json_is_string(now) || strcmp(json_string_value(now), want))
		return KH_OK;
	const char *kind = c->entity[0] == 'o' ? "order_delivered" : "case_resolved";
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT contact_id FROM %s WHERE id = $1 AND contact_id IS NOT NULL", c->entity);
	struct kh_val rid = KH_VINT(c->record_id);
	int64_t contact;
	if (kh_db_int(ctx->db, sql, &rid, 1, &contact) != KH_OK)
		return KH_OK; /* no contact to ask */
	struct kh_val k = KH_VTEXT(kind);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT id FROM surveys WHERE trigger = $1 AND status = 'active' AND archived_at IS NULL",
				      &k, 1, &rows);
	if (err)
		return err;
	int64_t surveys[64];
	int n = 0, rc;
	while (n < 64 && (rc = kh_rows_next(ctx->db, rows)) > 0)
		surveys[n++] = kh_rows_col(ctx->db, rows, 0).i;
	kh_rows_end(ctx->db, rows);
	for (int i = 0; i < n && !err; i++) {
		struct kh_val p[3] = {KH_VINT(surveys[i]), KH_VTEXT(c->entity), rid};
		int64_t dup = 0;
		kh_db_int(ctx->db,
			  "SELECT count(*) FROM survey_invitations WHERE survey_id = $1 AND trigger_entity = $2 AND "
			  "trigger_id = $3",
			  p, 3, &dup);
		if (dup)
			continue;
		struct kh_values vals;
		if (kh_values_init(&vals, kh_entity_find("survey_invitations"), ctx->arena))
			return KH_ENOMEM;
		setv(&vals, "survey_id", KH_VINT(surveys[i]));
		setv(&vals, "contact_id", KH_VINT(contact));
		setv(&vals, "channel", KH_VTEXT("email"));
		setv(&vals, "trigger_entity", KH_VTEXT(c->entity));
		setv(&vals, "trigger_id", rid);
		int64_t id;
		err = kh_record_insert(ctx, &vals, &id);
	}
	return err;
}

const struct kh_outbox_consumer kh_survey_trigger = {"surveys.trigger", trigger};
