#include "domain/service.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/cases.h"
#include "domain/events.h"
#include "domain/read.h"
#include "domain/jobs.h"
#include "domain/service_internal.h"
#include "domain/sla.h"
#include "domain/telephony.h"
#include "domain/imap.h"
#include "model/permission.h"
#include "model/validate.h"
#include "util/clock.h"
#include "util/log.h"

static const struct kh_principal system_principal = {.user_id = 0, .username = "system", .role = "admin",
						      .is_admin = 1};

static int is(const struct kh_val *v, const char *s)
{
	return v->t == KH_V_TEXT && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

/* ---- helpers (service_internal.h) ---- */

void kh_service_system_ctx(const struct kh_ctx *ctx, struct kh_ctx *sys)
{
	*sys = *ctx;
	sys->who = &system_principal;
	sys->bulk = 0;
}

char *kh_service_text(struct kh_arena *a, const struct kh_val *v)
{
	return v->t == KH_V_TEXT ? kh_arena_strndup(a, v->s, v->n) : NULL;
}

static enum kh_err fill(struct kh_ctx *ctx, const char *entity, const struct kh_fv *fv, int n, struct kh_values *v)
{
	const struct kh_entity *e = kh_entity_find(entity);
	if (!e || kh_values_init(v, e, ctx->arena))
		return kh_errinfo_set(ctx->ei, e ? KH_ENOMEM : KH_EINTERNAL, "cannot prepare a %s", entity);
	for (int i = 0; i < n; i++) {
		int f = kh_field_index(e, fv[i].field);
		if (f < 0)
			return kh_errinfo_set(ctx->ei, KH_EINTERNAL, "%s has no field %s", entity, fv[i].field);
		v->v[f] = fv[i].v;
		v->set[f] = 1;
	}
	return KH_OK;
}

enum kh_err kh_service_insert(struct kh_ctx *ctx, const char *entity, const struct kh_fv *fv, int n, int64_t *id)
{
	struct kh_values v;
	enum kh_err err = fill(ctx, entity, fv, n, &v);
	return err ? err : kh_record_insert(ctx, &v, id);
}

enum kh_err kh_service_update(struct kh_ctx *ctx, const char *entity, int64_t id, const struct kh_fv *fv, int n)
{
	struct kh_values v;
	enum kh_err err = fill(ctx, entity, fv, n, &v);
	return err ? err : kh_record_patch(ctx, &v, id, -1);
}

enum kh_err kh_service_set(struct kh_ctx *ctx, const char *entity, int64_t id, const char *field, struct kh_val v)
{
	struct kh_fv fv = {field, v};
	return kh_service_update(ctx, entity, id, &fv, 1);
}

enum kh_err kh_service_load(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_values *vals)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8] = {KH_VINT(id)};
	int n = 1;
	kh_buf_addf(&sql, "%s WHERE id = $1", e->select_sql);
	kh_scope_sql(ctx->who, e, KH_ACT_READ, &sql, p, &n, 8);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read %s %lld", e->singular, (long long)id);
	if (kh_values_init(vals, e, ctx->arena)) {
		kh_rows_end(ctx->db, rows);
		return KH_ENOMEM;
	}
	int rc = kh_rows_next(ctx->db, rows);
	for (int c = 0; rc > 0 && c < e->nselect; c++) {
		struct kh_val v = kh_rows_col(ctx->db, rows, c);
		if (v.t == KH_V_TEXT)
			v.s = kh_arena_strndup(ctx->arena, v.s, v.n);
		vals->v[e->select_field[c]] = v;
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err) - rc, "cannot read %s", e->singular);
	if (rc == 0)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "%s %lld not found", e->singular, (long long)id);
	return KH_OK;
}

enum kh_err kh_service_note(struct kh_ctx *ctx, int64_t case_id, const char *subject, const char *text)
{
	struct kh_val p = KH_VINT(case_id);
	struct kh_rows *rows;
	struct kh_val contact = KH_VNULL, account = KH_VNULL;
	enum kh_err err = kh_db_query(ctx->db, "SELECT contact_id, account_id FROM cases WHERE id = $1", &p, 1, &rows);
	if (err)
		return err;
	if (kh_rows_next(ctx->db, rows) > 0) {
		contact = kh_rows_col(ctx->db, rows, 0);
		account = kh_rows_col(ctx->db, rows, 1);
	}
	kh_rows_end(ctx->db, rows);
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_fv fv[] = {
		{"type", KH_VTEXT("note")},
		{"subject", KH_VTEXT(kh_arena_strndup(ctx->arena, subject, strnlen(subject, 200)))},
		{"status", KH_VTEXT("completed")},
		{"completed_at", KH_VTEXT(kh_arena_strdup(ctx->arena, now))},
		{"description", KH_VTEXT(text)},
		{"case_id", p},
		{"contact_id", contact},
		{"account_id", account},
	};
	int64_t id;
	return kh_service_insert(ctx, "activities", fv, (int)(sizeof fv / sizeof fv[0]), &id);
}

/* ---- key-value state and settings (kh_service_kv) ---- */

static enum kh_err kv_get(struct kh_db *db, const char *key, char *out, size_t n)
{
	struct kh_val p = KH_VTEXT(key);
	struct kh_rows *rows;
	out[0] = '\0';
	enum kh_err err = kh_db_query(db, "SELECT value FROM kh_service_kv WHERE key = $1", &p, 1, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows);
	if (rc > 0) {
		struct kh_val v = kh_rows_col(db, rows, 0);
		snprintf(out, n, "%s", v.t == KH_V_TEXT ? v.s : "");
	}
	kh_rows_end(db, rows);
	return rc < 0 ? (enum kh_err) - rc : rc == 0 ? KH_ENOTFOUND : KH_OK;
}

static enum kh_err kv_put(struct kh_db *db, const char *key, const char *value)
{
	struct kh_val p[2] = {KH_VTEXT(key), KH_VTEXT(value)};
	enum kh_err err = kh_db_exec(db, "UPDATE kh_service_kv SET value = $2 WHERE key = $1", p, 2);
	if (!err && db->ops->changes(db) == 0)
		err = kh_db_exec(db, "INSERT INTO kh_service_kv (key, value) VALUES ($1, $2)", p, 2);
	return err;
}

enum kh_err kh_service_kv_get(struct kh_db *db, const char *key, char *out, size_t n)
{
	return kv_get(db, key, out, n);
}

enum kh_err kh_service_kv_put(struct kh_db *db, const char *key, const char *value)
{
	return kv_put(db, key, value);
}

static const struct {
	const char *key;
	int lo, hi, def;
	size_t off;
} int_settings[] = {
	{"followup_days", 0, 365, 3, offsetof(struct kh_service_settings, followup_days)},
	{"callback_minutes", 1, 10080, 60, offsetof(struct kh_service_settings, callback_minutes)},
	{"utc_offset_minutes", -720, 840, 480, offsetof(struct kh_service_settings, utc_offset_minutes)},
	{"csat_days", 1, 365, 14, offsetof(struct kh_service_settings, csat_days)},
	{"imap_interval_seconds", 1, 86400, 60, offsetof(struct kh_service_settings, imap_interval_seconds)},
	{"tick_seconds", 1, 3600, 30, offsetof(struct kh_service_settings, tick_seconds)},
};

static const struct {
	const char *key, *def;
	size_t off, size;
	int secret;
} str_settings[] = {
	{"followup_tiers", "A", offsetof(struct kh_service_settings, followup_tiers), 64, 0},
	{"followup_priorities", "urgent", offsetof(struct kh_service_settings, followup_priorities), 64, 0},
	{"public_url", "", offsetof(struct kh_service_settings, public_url), 256, 0},
	{"imap_url", "", offsetof(struct kh_service_settings, imap_url), 512, 0},
	{"imap_username", "", offsetof(struct kh_service_settings, imap_username), 128, 0},
	{"imap_password", "", offsetof(struct kh_service_settings, imap_password), 128, 1},
};
#define NINT (sizeof int_settings / sizeof int_settings[0])
#define NSTR (sizeof str_settings / sizeof str_settings[0])

static void settings_from(struct kh_service_settings *s, json_t *j)
{
	for (size_t i = 0; i < NINT; i++) {
		json_t *v = json_object_get(j, int_settings[i].key);
		*(int *)((char *)s + int_settings[i].off) =
			json_is_integer(v) ? (int)json_integer_value(v) : int_settings[i].def;
	}
	for (size_t i = 0; i < NSTR; i++) {
		json_t *v = json_object_get(j, str_settings[i].key);
		snprintf((char *)s + str_settings[i].off, str_settings[i].size, "%s",
			 json_is_string(v) ? json_string_value(v) : str_settings[i].def);
	}
}

void kh_service_settings_load(struct kh_db *db, struct kh_service_settings *s)
{
	char text[4096];
	json_t *j = NULL;
	if (kv_get(db, "settings", text, sizeof text) == KH_OK)
		j = json_loads(text, 0, NULL);
	settings_from(s, j);
	json_decref(j);
}

void kh_service_settings_write(const struct kh_service_settings *s, struct kh_jw *w)
{
	kh_jw_obj(w);
	for (size_t i = 0; i < NINT; i++) {
		kh_jw_key(w, int_settings[i].key);
		kh_jw_int(w, *(const int *)((const char *)s + int_settings[i].off));
	}
	for (size_t i = 0; i < NSTR; i++) {
		const char *v = (const char *)s + str_settings[i].off;
		if (str_settings[i].secret) {
			kh_jw_key(w, "imap_password_set");
			kh_jw_bool(w, v[0] != '\0');
		} else {
			kh_jw_key(w, str_settings[i].key);
			kh_jw_str(w, v);
		}
	}
	kh_jw_obj_end(w);
}

enum kh_err kh_service_settings_update(struct kh_ctx *ctx, json_t *obj)
{
	char text[4096];
	json_t *cur = kv_get(ctx->db, "settings", text, sizeof text) == KH_OK ? json_loads(text, 0, NULL) : NULL;
	if (!json_is_object(cur)) {
		json_decref(cur);
		cur = json_object();
	}
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		int known = 0;
		for (size_t i = 0; i < NINT; i++)
			if (!strcmp(key, int_settings[i].key)) {
				known = 1;
				if (!json_is_integer(v) || json_integer_value(v) < int_settings[i].lo ||
				    json_integer_value(v) > int_settings[i].hi)
					kh_errinfo_field(ctx->ei, key, "must be a whole number from %d to %d", int_settings[i].lo,
							 int_settings[i].hi);
			}
		for (size_t i = 0; i < NSTR; i++)
			if (!strcmp(key, str_settings[i].key)) {
				known = 1;
				if (!json_is_string(v) || json_string_length(v) >= str_settings[i].size)
					kh_errinfo_field(ctx->ei, key, "must be text of at most %zu characters",
							 str_settings[i].size - 1);
			}
		if (!known)
			kh_errinfo_field(ctx->ei, key, "unknown setting");
		else
			json_object_set(cur, key, v);
	}
	json_t *url = json_object_get(cur, "imap_url");
	if (json_is_string(url) && json_string_length(url) && strncmp(json_string_value(url), "imap://", 7) &&
	    strncmp(json_string_value(url), "imaps://", 8))
		kh_errinfo_field(ctx->ei, "imap_url", "must start with imap:// or imaps://");
	enum kh_err err = ctx->ei->code;
	char *out = err ? NULL : json_dumps(cur, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(cur);
	if (err)
		return err;
	if (!out || strlen(out) >= sizeof text) {
		free(out);
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "the settings are too long");
	}
	err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kv_put(ctx->db, "settings", out);
	if (!err) /* a new tick interval applies from now, not after the old one */
		err = kh_service_ensure_tick(ctx->db);
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err)
		kh_db_rollback(ctx->db);
	free(out);
	return err;
}

/* "A,B" holds "B"? */
static int in_list(const char *list, const struct kh_val *v)
{
	if (v->t != KH_V_TEXT || !v->n)
		return 0;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == v->n && !memcmp(p, v->s, n))
			return 1;
		p += n + (e != NULL);
	}
	return 0;
}

/* ---- CSAT ---- */

static enum kh_err csat_send(struct kh_write *w, const struct kh_service_settings *s)
{
	struct kh_ctx *ctx = w->ctx;
	unsigned char raw[18];
	char token[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, sizeof token, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char expires[KH_TIME_LEN];
	kh_time_format(w->now + (int64_t)s->csat_days * 86400 * 1000000, expires);
	struct kh_val p[4] = {KH_VTEXT(token), KH_VINT(w->id), KH_VTEXT(w->now_text), KH_VTEXT(expires)};
	enum kh_err err = kh_db_exec(ctx->db,
				     "INSERT INTO kh_csat (token, case_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
				     p, 4);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot create the satisfaction survey");
	/* The customer's message, with the link, kept on the case as an e-mail
	 * activity: the mail transport (or the agent) sends it from there. */
	char *text = kh_arena_printf(ctx->arena,
				     "您好，您的服务工单 %s 已解决。请为本次服务打分（1-5 分）：%s/csat/%s\n"
				     "Your case %s is resolved. Please rate our service (1-5): %s/csat/%s\n",
				     kh_service_text(ctx->arena, kh_write_get(w, "case_number")), s->public_url, token,
				     kh_service_text(ctx->arena, kh_write_get(w, "case_number")), s->public_url, token);
	struct kh_fv fv[] = {
		{"type", KH_VTEXT("email")},
		{"subject", KH_VTEXT("满意度调查 / Satisfaction survey")},
		{"status", KH_VTEXT("completed")},
		{"completed_at", KH_VTEXT(w->now_text)},
		{"description", text ? KH_VTEXT(text) : KH_VNULL},
		{"case_id", KH_VINT(w->id)},
		{"contact_id", *kh_write_get(w, "contact_id")},
		{"account_id", *kh_write_get(w, "account_id")},
	};
	int64_t id;
	struct kh_ctx sys;
	kh_service_system_ctx(ctx, &sys);
	return kh_service_insert(&sys, "activities", fv, (int)(sizeof fv / sizeof fv[0]), &id);
}

/* Complaints and high-value cases get a follow-up visit some days later. */
static enum kh_err followup_plan(struct kh_write *w, const struct kh_service_settings *s)
{
	struct kh_ctx *ctx = w->ctx;
	const struct kh_val *type = kh_write_get(w, "type"), *prio = kh_write_get(w, "priority");
	int want = is(type, "complaint") || in_list(s->followup_priorities, prio);
	if (!want) {
		struct kh_val acc = *kh_write_get(w, "account_id");
		struct kh_rows *rows;
		if (acc.t == KH_V_INT && kh_db_query(ctx->db, "SELECT tier FROM accounts WHERE id = $1", &acc, 1, &rows) ==
						 KH_OK) {
			if (kh_rows_next(ctx->db, rows) > 0) {
				struct kh_val t = kh_rows_col(ctx->db, rows, 0);
				want = in_list(s->followup_tiers, &t);
			}
			kh_rows_end(ctx->db, rows);
		}
	}
	if (!want)
		return KH_OK;
	char due[KH_TIME_LEN];
	kh_time_format(w->now + (int64_t)s->followup_days * 86400 * 1000000, due);
	char *subject = kh_arena_printf(ctx->arena, "回访 Follow-up: %s %.120s",
					kh_service_text(ctx->arena, kh_write_get(w, "case_number")),
					kh_service_text(ctx->arena, kh_write_get(w, "subject")));
	struct kh_fv fv[] = {
		{"case_id", KH_VINT(w->id)},
		{"subject", subject ? KH_VTEXT(subject) : KH_VNULL},
		{"contact_id", *kh_write_get(w, "contact_id")},
		{"due_at", KH_VTEXT(kh_arena_strdup(ctx->arena, due))},
		{"owner_id", *kh_write_get(w, "owner_id")},
	};
	int64_t id;
	struct kh_ctx sys;
	kh_service_system_ctx(ctx, &sys);
	return kh_service_insert(&sys, "service_followups", fv, (int)(sizeof fv / sizeof fv[0]), &id);
}

enum kh_err kh_service_on_resolved(struct kh_write *w)
{
	struct kh_service_settings s;
	kh_service_settings_load(w->ctx->db, &s);
	enum kh_err err = csat_send(w, &s);
	return err ? err : followup_plan(w, &s);
}

/* The live survey row of a token: case id and whether it was answered. */
static enum kh_err csat_find(struct kh_ctx *ctx, const char *token, int64_t *case_id, int *answered, int *score)
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[2] = {KH_VTEXT(token), KH_VTEXT(now)};
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT case_id, answered_at, score FROM kh_csat WHERE token = $1 AND expires_at > $2", p,
				      2, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0) {
		*case_id = kh_rows_col(ctx->db, rows, 0).i;
		*answered = kh_rows_col(ctx->db, rows, 1).t != KH_V_NULL;
		struct kh_val sc = kh_rows_col(ctx->db, rows, 2);
		*score = sc.t == KH_V_INT ? (int)sc.i : 0;
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return (enum kh_err) - rc;
	return rc ? KH_OK : kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "this survey link is unknown or has expired");
}

enum kh_err kh_csat_get(struct kh_ctx *ctx, const char *token, struct kh_jw *w)
{
	int64_t case_id;
	int answered, score;
	enum kh_err err = csat_find(ctx, token, &case_id, &answered, &score);
	if (err)
		return err;
	struct kh_val p = KH_VINT(case_id);
	struct kh_rows *rows;
	if ((err = kh_db_query(ctx->db, "SELECT case_number, subject FROM cases WHERE id = $1", &p, 1, &rows)))
		return err;
	kh_jw_obj(w);
	if (kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val n = kh_rows_col(ctx->db, rows, 0), s = kh_rows_col(ctx->db, rows, 1);
		kh_jw_key(w, "case_number");
		kh_jw_strn(w, n.t == KH_V_TEXT ? n.s : "", n.t == KH_V_TEXT ? n.n : 0);
		kh_jw_key(w, "subject");
		kh_jw_strn(w, s.t == KH_V_TEXT ? s.s : "", s.t == KH_V_TEXT ? s.n : 0);
	}
	kh_rows_end(ctx->db, rows);
	kh_jw_key(w, "answered");
	kh_jw_bool(w, answered);
	kh_jw_key(w, "score");
	if (answered)
		kh_jw_int(w, score);
	else
		kh_jw_null(w);
	kh_jw_obj_end(w);
	return KH_OK;
}

enum kh_err kh_csat_answer(struct kh_ctx *ctx, const char *token, json_t *body)
{
	json_t *score = json_object_get(body, "score"), *comment = json_object_get(body, "comment");
	kh_json_members_only(body, "score comment", ctx->ei);
	if (!json_is_integer(score) || json_integer_value(score) < 1 || json_integer_value(score) > 5)
		kh_errinfo_field(ctx->ei, "score", "must be a whole number from 1 to 5");
	if (comment && !json_is_null(comment) && (!json_is_string(comment) || json_string_length(comment) > 2000))
		kh_errinfo_field(ctx->ei, "comment", "must be text of at most 2000 bytes");
	if (ctx->ei->code)
		return ctx->ei->code;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "the database is busy");
	int64_t case_id;
	int answered, old;
	err = csat_find(ctx, token, &case_id, &answered, &old);
	if (!err && answered)
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "this survey has been answered already; thank you");
	const char *text = json_is_string(comment) ? json_string_value(comment) : NULL;
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	if (!err) {
		struct kh_val p[4] = {KH_VTEXT(token), KH_VTEXT(now), KH_VINT(json_integer_value(score)),
				      text ? KH_VTEXT(text) : KH_VNULL};
		err = kh_db_exec(ctx->db, "UPDATE kh_csat SET answered_at = $2, score = $3, comment = $4 WHERE token = $1",
				 p, 4);
	}
	if (!err) {
		struct kh_fv fv[] = {
			{"satisfaction", KH_VINT(json_integer_value(score))},
			{"satisfaction_comment", text && *text ? KH_VTEXT(text) : KH_VNULL},
		};
		struct kh_ctx sys;
		kh_service_system_ctx(ctx, &sys);
		err = kh_service_update(&sys, "cases", case_id, fv, 2);
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "the answer could not be saved");
	}
	return err;
}

enum kh_err kh_csat_of_case(struct kh_ctx *ctx, int64_t case_id, struct kh_jw *w)
{
	enum kh_err err = kh_record_exists(ctx, kh_entity_find("cases"), case_id, 0);
	if (err)
		return err;
	struct kh_val p = KH_VINT(case_id);
	struct kh_rows *rows;
	if ((err = kh_db_query(ctx->db,
			       "SELECT token, created_at, answered_at, score, comment FROM kh_csat WHERE case_id = $1 "
			       "ORDER BY created_at DESC LIMIT 1",
			       &p, 1, &rows)))
		return kh_errinfo_set(ctx->ei, err, "cannot read the survey");
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0) {
		struct kh_service_settings s;
		struct kh_val v[5];
		for (int i = 0; i < 5; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		static const char *const keys[] = {NULL, "sent_at", "answered_at", "score", "comment"};
		kh_jw_obj(w);
		kh_jw_key(w, "token");
		kh_jw_str(w, v[0].s);
		for (int i = 1; i < 5; i++) {
			kh_jw_key(w, keys[i]);
			if (v[i].t == KH_V_INT)
				kh_jw_int(w, v[i].i);
			else if (v[i].t == KH_V_TEXT)
				kh_jw_strn(w, v[i].s, v[i].n);
			else
				kh_jw_null(w);
		}
		char *token = kh_service_text(ctx->arena, &v[0]);
		kh_rows_end(ctx->db, rows);
		kh_service_settings_load(ctx->db, &s);
		kh_jw_key(w, "link");
		char *link = kh_arena_printf(ctx->arena, "%s/csat/%s", s.public_url, token ? token : "");
		kh_jw_str(w, link ? link : "");
		kh_jw_obj_end(w);
		return KH_OK;
	}
	kh_rows_end(ctx->db, rows);
	return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "no survey has been sent for this case");
}

static void val_json(struct kh_jw *w, struct kh_val v)
{
	if (v.t == KH_V_INT)
		kh_jw_int(w, v.i);
	else if (v.t == KH_V_REAL)
		kh_jw_double(w, v.d);
	else if (v.t == KH_V_TEXT)
		kh_jw_strn(w, v.s, v.n);
	else
		kh_jw_null(w);
}

/* Appends " AND at >= $n AND at < $m" for an optional range. */
static void range(struct kh_buf *sql, const char *col, const char *from, const char *to, struct kh_val *p, int *n)
{
	if (from) {
		p[(*n)++] = KH_VTEXT(from);
		kh_buf_addf(sql, " AND %s >= $%d", col, *n);
	}
	if (to) {
		p[(*n)++] = KH_VTEXT(to);
		kh_buf_addf(sql, " AND %s < $%d", col, *n);
	}
}

enum kh_err kh_csat_rollup(struct kh_ctx *ctx, const char *group, const char *from, const char *to, struct kh_jw *w)
{
	const char *expr = !group || !strcmp(group, "owner") ? "c.owner_id"
			   : !strcmp(group, "team")	       ? "u.team_id"
			   : !strcmp(group, "category")	       ? "c.category"
			   : !strcmp(group, "queue")	       ? "c.queue_id"
							       : NULL;
	if (!expr)
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "group must be owner, team, category or queue");
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_addf(&sql,
		    "SELECT %s, count(*), SUM(k.score), SUM(CASE WHEN k.score >= 4 THEN 1 ELSE 0 END) FROM kh_csat k "
		    "JOIN (SELECT id, owner_id, category, queue_id FROM cases WHERE archived_at IS NULL",
		    expr);
	kh_scope_sql(ctx->who, kh_entity_find("cases"), KH_ACT_READ, &sql, p, &n, 6);
	kh_buf_adds(&sql, ") c ON c.id = k.case_id LEFT JOIN users u ON u.id = c.owner_id WHERE k.answered_at IS NOT NULL");
	range(&sql, "k.answered_at", from, to, p, &n);
	kh_buf_addf(&sql, " GROUP BY %s ORDER BY %s", expr, expr);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot roll up the surveys");
	kh_jw_obj(w);
	kh_jw_key(w, "group");
	kh_jw_str(w, group ? group : "owner");
	kh_jw_key(w, "groups");
	kh_jw_arr(w);
	int rc;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		int64_t responses = kh_rows_col(ctx->db, rows, 1).i, good = kh_rows_col(ctx->db, rows, 3).i;
		int64_t sum = kh_rows_col(ctx->db, rows, 2).i;
		kh_jw_obj(w);
		kh_jw_key(w, "key");
		val_json(w, kh_rows_col(ctx->db, rows, 0));
		kh_jw_key(w, "responses");
		kh_jw_int(w, responses);
		kh_jw_key(w, "average");
		kh_jw_double(w, responses ? (double)sum / (double)responses : 0);
		kh_jw_key(w, "csat");
		kh_jw_double(w, responses ? (double)good / (double)responses : 0);
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return rc < 0 ? kh_errinfo_set(ctx->ei, (enum kh_err) - rc, "cannot roll up the surveys") : KH_OK;
}

/* ---- follow-up visits ---- */

enum kh_err kh_followup_before_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	const struct kh_val *status = kh_write_get(w, "status");
	if (kh_write_changes(w, "status") && is(status, "done")) {
		if (kh_write_get(w, "outcome")->t == KH_V_NULL) {
			kh_errinfo_field(w->ctx->ei, "outcome", "record the outcome of the visit");
			return KH_EVALIDATION;
		}
		if (kh_write_get(w, "completed_at")->t == KH_V_NULL)
			kh_write_set(w, "completed_at", KH_VTEXT(w->now_text));
	}
	if (w->op == KH_OP_CREATE && kh_write_get(w, "contact_id")->t == KH_V_NULL) {
		struct kh_val c = *kh_write_get(w, "case_id");
		int64_t contact;
		if (c.t == KH_V_INT &&
		    kh_db_int(w->ctx->db, "SELECT contact_id FROM cases WHERE id = $1 AND contact_id IS NOT NULL", &c, 1,
			      &contact) == KH_OK)
			kh_write_set(w, "contact_id", KH_VINT(contact));
	}
	return KH_OK;
}

/* A visit done with the case to be reopened (the customer is not satisfied)
 * puts the case back in progress, with the visit's notes on it. */
enum kh_err kh_followup_after_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	if (!(kh_write_changes(w, "status") || kh_write_changes(w, "reopen_case")) ||
	    !is(kh_write_get(w, "status"), "done") || !kh_write_get(w, "reopen_case")->i)
		return KH_OK;
	int64_t case_id = kh_write_get(w, "case_id")->i;
	struct kh_val p = KH_VINT(case_id);
	struct kh_rows *rows;
	int reopen = 0;
	enum kh_err err = kh_db_query(ctx->db, "SELECT status FROM cases WHERE id = $1", &p, 1, &rows);
	if (err)
		return err;
	if (kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val s = kh_rows_col(ctx->db, rows, 0);
		reopen = is(&s, "resolved") || is(&s, "closed");
	}
	kh_rows_end(ctx->db, rows);
	if (!reopen)
		return KH_OK;
	struct kh_ctx sys;
	kh_service_system_ctx(ctx, &sys);
	err = kh_service_set(&sys, "cases", case_id, "status", KH_VTEXT("in_progress"));
	if (!err) {
		const struct kh_val *notes = kh_write_get(w, "notes"), *outcome = kh_write_get(w, "outcome");
		char *text = kh_arena_printf(ctx->arena, "%s%s%s", kh_service_text(ctx->arena, outcome) ? kh_service_text(ctx->arena, outcome) : "",
					     notes->t == KH_V_TEXT ? ": " : "",
					     notes->t == KH_V_TEXT ? kh_service_text(ctx->arena, notes) : "");
		err = kh_service_note(&sys, case_id, "回访后重开 Reopened after follow-up", text ? text : "");
	}
	return err;
}

/* ---- customer care ---- */

struct care_rule {
	int64_t id;
	char kind[40], subject[210], tier[4];
	int days_before;
};

/* A care task for one customer, once per rule, record and year. */
static enum kh_err care_task(struct kh_ctx *ctx, const struct care_rule *r, const char *year, const char *due,
			     const char *entity, int64_t id, const char *name, int64_t owner, int64_t account,
			     int *made)
{
	char key[96];
	snprintf(key, sizeof key, "care:%lld:%s:%lld:%s", (long long)r->id, entity, (long long)id, year);
	struct kh_val k = KH_VTEXT(key);
	int64_t found;
	enum kh_err err = kh_db_int(ctx->db, "SELECT 1 FROM kh_service_kv WHERE key = $1", &k, 1, &found);
	if (err != KH_ENOTFOUND)
		return err;
	/* The subject with {name} filled in. */
	char subject[400];
	const char *at = strstr(r->subject, "{name}");
	if (at)
		snprintf(subject, sizeof subject, "%.*s%s%s", (int)(at - r->subject), r->subject, name, at + 6);
	else
		snprintf(subject, sizeof subject, "%s", r->subject);
	struct kh_fv fv[] = {
		{"type", KH_VTEXT("task")},
		{"subject", KH_VTEXT(kh_arena_strndup(ctx->arena, subject, strnlen(subject, 200)))},
		{"due_at", KH_VTEXT(due)},
		{!strcmp(entity, "contacts") ? "contact_id" : "account_id", KH_VINT(id)},
		{"owner_id", owner ? KH_VINT(owner) : KH_VNULL},
		{"account_id", account ? KH_VINT(account) : KH_VNULL},
	};
	int nfv = !strcmp(entity, "contacts") && account ? 6 : 5;
	int64_t task;
	err = kh_service_insert(ctx, "activities", fv, nfv, &task);
	if (!err)
		err = kv_put(ctx->db, key, due);
	if (!err)
		(*made)++;
	return err;
}

enum kh_err kh_care_run(struct kh_ctx *ctx, const char *day, int *made)
{
	struct kh_db *db = ctx->db;
	*made = 0;
	if (!kh_date_valid(day, strlen(day)))
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "day must be a date YYYY-MM-DD");
	struct care_rule rules[64];
	int nr = 0;
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT id, kind, subject, days_before, tier FROM care_rules WHERE archived_at IS NULL "
				      "AND active = 1 ORDER BY id",
				      NULL, 0, &rows);
	if (err)
		return err;
	while (nr < 64 && kh_rows_next(db, rows) > 0) {
		struct kh_val v[5];
		for (int i = 0; i < 5; i++)
			v[i] = kh_rows_col(db, rows, i);
		rules[nr].id = v[0].i;
		snprintf(rules[nr].kind, sizeof rules[nr].kind, "%s", v[1].t == KH_V_TEXT ? v[1].s : "");
		snprintf(rules[nr].subject, sizeof rules[nr].subject, "%s", v[2].t == KH_V_TEXT ? v[2].s : "");
		rules[nr].days_before = (int)v[3].i;
		snprintf(rules[nr].tier, sizeof rules[nr].tier, "%s", v[4].t == KH_V_TEXT ? v[4].s : "");
		nr++;
	}
	kh_rows_end(db, rows);
	for (int i = 0; i < nr; i++) {
		const struct care_rule *r = &rules[i];
		char target[11], md[6], year[5], due[KH_TIME_LEN];
		kh_date_format(kh_date_days(day) + r->days_before, target);
		memcpy(md, target + 5, 5), md[5] = '\0';
		memcpy(year, target, 4), year[4] = '\0';
		/* Due at 09:00 China time on the day itself. */
		kh_time_format((kh_date_days(day) * 86400 + 3600) * 1000000LL, due);
		struct kh_val tier = r->tier[0] ? KH_VTEXT(r->tier) : KH_VNULL;
		struct kh_val p[3];
		int np;
		const char *sql;
		const char *entity = "contacts";
		if (!strcmp(r->kind, "birthday")) {
			sql = "SELECT c.id, c.name, c.owner_id, c.account_id FROM contacts c LEFT JOIN accounts a ON "
			      "a.id = c.account_id WHERE c.archived_at IS NULL AND substr(c.birthday, 6, 5) = $1 AND "
			      "(CAST($2 AS TEXT) IS NULL OR a.tier = $2) ORDER BY c.id LIMIT 5000";
			p[0] = KH_VTEXT(md), p[1] = tier, np = 2;
		} else if (!strcmp(r->kind, "first_purchase_anniversary")) {
			/* The day of the account's first order that was not cancelled, in an earlier year. */
			sql = "SELECT a.id, a.name, a.owner_id, 0 FROM accounts a JOIN (SELECT account_id, MIN(order_date) "
			      "AS first FROM orders WHERE archived_at IS NULL AND status <> 'cancelled' GROUP BY account_id) "
			      "o ON o.account_id = a.id WHERE a.archived_at IS NULL AND substr(o.first, 6, 5) = $1 AND "
			      "o.first < $2 AND (CAST($3 AS TEXT) IS NULL OR a.tier = $3) ORDER BY a.id LIMIT 5000";
			p[0] = KH_VTEXT(md), p[1] = KH_VTEXT(target), p[2] = tier, np = 3;
			entity = "accounts";
		} else if (!strcmp(r->kind, "contract_renewal")) {
			/* Contracts belong to the sales module; without them there is nothing to renew. */
			const struct kh_entity *contracts = kh_entity_find("contracts");
			if (!contracts || !kh_field_find(contracts, "end_date") || !kh_field_find(contracts, "account_id"))
				continue;
			sql = "SELECT a.id, a.name, a.owner_id, 0 FROM contracts k JOIN accounts a ON a.id = k.account_id "
			      "WHERE k.archived_at IS NULL AND a.archived_at IS NULL AND k.end_date = $1 AND "
			      "(CAST($2 AS TEXT) IS NULL OR a.tier = $2) ORDER BY a.id LIMIT 5000";
			p[0] = KH_VTEXT(target), p[1] = tier, np = 2;
			entity = "accounts";
		} else {
			continue;
		}
		struct hit {
			int64_t id, owner, account;
			char name[208];
		} *hits = kh_arena_calloc(ctx->arena, 5000, sizeof *hits);
		if (!hits)
			return KH_ENOMEM;
		int nh = 0;
		if ((err = kh_db_query(db, sql, p, np, &rows)))
			return err;
		while (nh < 5000 && kh_rows_next(db, rows) > 0) {
			struct kh_val n = kh_rows_col(db, rows, 1), o = kh_rows_col(db, rows, 2),
				      a = kh_rows_col(db, rows, 3);
			hits[nh].id = kh_rows_col(db, rows, 0).i;
			hits[nh].owner = o.t == KH_V_INT ? o.i : 0;
			hits[nh].account = a.t == KH_V_INT ? a.i : 0;
			snprintf(hits[nh].name, sizeof hits[nh].name, "%s", n.t == KH_V_TEXT ? n.s : "");
			nh++;
		}
		kh_rows_end(db, rows);
		for (int h = 0; h < nh; h++) {
			if ((err = kh_db_begin(db, KH_TX_WRITE)))
				return err;
			err = care_task(ctx, r, year, due, entity, hits[h].id, hits[h].name, hits[h].owner, hits[h].account,
					made);
			if (!err)
				err = kh_db_commit(db);
			if (err) {
				kh_db_rollback(db);
				return err;
			}
		}
	}
	return KH_OK;
}

/* ---- complaint analysis ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Runs a grouped query over the complaints in range that the principal may
 * read and writes its rows as objects with the given keys. */
static enum kh_err complaint_groups(struct kh_ctx *ctx, const char *select, const char *rest, const char *from,
				    const char *to, const char *const *keys, int nkeys, struct kh_jw *w)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_addf(&sql, "SELECT %s FROM cases WHERE type = 'complaint' AND archived_at IS NULL", select);
	range(&sql, "created_at", from, to, p, &n);
	kh_scope_sql(ctx->who, kh_entity_find("cases"), KH_ACT_READ, &sql, p, &n, 8);
	kh_buf_addf(&sql, " %s", rest);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return err;
	kh_jw_arr(w);
	int rc;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		kh_jw_obj(w);
		for (int i = 0; i < nkeys; i++) {
			kh_jw_key(w, keys[i]);
			val_json(w, kh_rows_col(ctx->db, rows, i));
		}
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	kh_jw_arr_end(w);
	return rc < 0 ? (enum kh_err) - rc : KH_OK;
}

enum kh_err kh_complaint_analysis(struct kh_ctx *ctx, const char *from, const char *to, struct kh_jw *w)
{
	static const char *const month_keys[] = {"month", "cause", "count"};
	static const char *const cause_keys[] = {"cause", "count", "compensation"};
	static const char *const sev_keys[] = {"severity", "count"};
	static const char *const rep_keys[] = {"contact_id", "complaints", "last_at"};
	kh_jw_obj(w);
	kh_jw_key(w, "by_month");
	enum kh_err err = complaint_groups(ctx, "substr(created_at, 1, 7), complaint_cause, count(*)",
					   "GROUP BY substr(created_at, 1, 7), complaint_cause ORDER BY 1, 2", from, to,
					   month_keys, 3, w);
	if (!err) {
		kh_jw_key(w, "top_causes");
		err = complaint_groups(ctx, "complaint_cause, count(*), COALESCE(SUM(compensation), 0)",
				       "GROUP BY complaint_cause ORDER BY 2 DESC, 1", from, to, cause_keys, 3, w);
	}
	if (!err) {
		kh_jw_key(w, "by_severity");
		err = complaint_groups(ctx, "severity, count(*)", "GROUP BY severity ORDER BY 1", from, to, sev_keys, 2, w);
	}
	if (!err) {
		kh_jw_key(w, "repeat_complainers");
		err = complaint_groups(ctx, "contact_id, count(*), MAX(created_at)",
				       "AND contact_id IS NOT NULL GROUP BY contact_id HAVING count(*) > 1 ORDER BY 2 DESC, 1 "
				       "LIMIT 20",
				       from, to, rep_keys, 3, w);
	}
	/* Time to resolve, in hours, computed here: date arithmetic differs between engines. */
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_adds(&sql, "SELECT created_at, resolved_at, severity FROM cases WHERE type = 'complaint' AND "
			  "archived_at IS NULL AND resolved_at IS NOT NULL");
	range(&sql, "created_at", from, to, p, &n);
	kh_scope_sql(ctx->who, kh_entity_find("cases"), KH_ACT_READ, &sql, p, &n, 8);
	kh_buf_adds(&sql, " ORDER BY id LIMIT 100000");
	struct kh_rows *rows;
	static const char *const sevs[] = {"minor", "major", "critical", "(none)"};
	double sum[4] = {0}, total = 0;
	int64_t cnt[4] = {0};
	size_t nh = 0, cap = 1024;
	double *hours = malloc(cap * sizeof *hours);
	if (!err)
		err = !hours ? KH_ENOMEM : sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (!err) {
		while (kh_rows_next(ctx->db, rows) > 0) {
			struct kh_val a = kh_rows_col(ctx->db, rows, 0), b = kh_rows_col(ctx->db, rows, 1),
				      s = kh_rows_col(ctx->db, rows, 2);
			int64_t ta, tb;
			if (a.t != KH_V_TEXT || b.t != KH_V_TEXT || kh_time_parse(a.s, a.n, &ta) ||
			    kh_time_parse(b.s, b.n, &tb) || tb < ta)
				continue;
			double h = (double)(tb - ta) / 3.6e9;
			if (nh == cap) {
				double *more = realloc(hours, 2 * cap * sizeof *hours);
				if (!more)
					break;
				hours = more, cap *= 2;
			}
			hours[nh++] = h;
			total += h;
			int k = is(&s, "minor") ? 0 : is(&s, "major") ? 1 : is(&s, "critical") ? 2 : 3;
			sum[k] += h;
			cnt[k]++;
		}
		kh_rows_end(ctx->db, rows);
		qsort(hours, nh, sizeof *hours, cmp_double);
		kh_jw_key(w, "time_to_resolve");
		kh_jw_obj(w);
		kh_jw_key(w, "resolved");
		kh_jw_int(w, (int64_t)nh);
		kh_jw_key(w, "average_hours");
		nh ? kh_jw_double(w, total / (double)nh) : kh_jw_null(w);
		kh_jw_key(w, "median_hours");
		nh ? kh_jw_double(w, nh % 2 ? hours[nh / 2] : (hours[nh / 2 - 1] + hours[nh / 2]) / 2) : kh_jw_null(w);
		kh_jw_key(w, "by_severity");
		kh_jw_arr(w);
		for (int k = 0; k < 4; k++) {
			if (!cnt[k])
				continue;
			kh_jw_obj(w);
			kh_jw_key(w, "severity");
			k == 3 ? kh_jw_null(w) : kh_jw_str(w, sevs[k]);
			kh_jw_key(w, "resolved");
			kh_jw_int(w, cnt[k]);
			kh_jw_key(w, "average_hours");
			kh_jw_double(w, sum[k] / (double)cnt[k]);
			kh_jw_obj_end(w);
		}
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
	}
	free(hours);
	kh_jw_obj_end(w);
	return err ? kh_errinfo_set(ctx->ei, err, "cannot analyse the complaints") : KH_OK;
}

/* ---- the public case form ---- */

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

/* At most 10 forms from one address in 10 minutes (kh_throttle, as logins). */
static enum kh_err form_throttle(struct kh_ctx *ctx, const char *address)
{
	char key[80], now[KH_TIME_LEN], cut[KH_TIME_LEN];
	int64_t t = kh_now();
	snprintf(key, sizeof key, "case_form:%s", address ? address : "");
	kh_time_format(t, now);
	kh_time_format(t - 600 * 1000000LL, cut);
	struct kh_val p[2] = {KH_VTEXT(key), KH_VTEXT(cut)};
	enum kh_err err = kh_db_exec(ctx->db, "DELETE FROM kh_throttle WHERE key = $1 AND window_start < $2", p, 2);
	int64_t count = 0;
	if (!err)
		err = kh_db_int(ctx->db, "SELECT failures FROM kh_throttle WHERE key = $1", p, 1, &count);
	if (err == KH_ENOTFOUND) {
		p[1] = KH_VTEXT(now);
		return kh_db_exec(ctx->db, "INSERT INTO kh_throttle (key, window_start, failures) VALUES ($1, $2, 1)", p, 2);
	}
	if (err)
		return err;
	if (count >= 10)
		return kh_errinfo_set(ctx->ei, KH_ERATE, "too many requests from this address; try again in a few minutes");
	return kh_db_exec(ctx->db, "UPDATE kh_throttle SET failures = failures + 1 WHERE key = $1", p, 1);
}

enum kh_err kh_case_from_form(struct kh_ctx *ctx, json_t *body, const char *address, int64_t *id)
{
	static const char *const known[] = {"name", "email", "phone", "subject", "description", "category", "type", NULL};
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) {
		int ok = 0;
		for (int i = 0; known[i]; i++)
			ok |= !strcmp(key, known[i]);
		if (!ok)
			kh_errinfo_field(ctx->ei, key, "unknown field");
		else if (!json_is_string(v) && !json_is_null(v))
			kh_errinfo_field(ctx->ei, key, "must be text");
	}
	const char *name = jstr(body, "name"), *email = jstr(body, "email"), *phone = jstr(body, "phone"),
		   *subject = jstr(body, "subject"), *desc = jstr(body, "description");
	if (!subject)
		kh_errinfo_field(ctx->ei, "subject", "is required");
	if (!email && !phone)
		kh_errinfo_field(ctx->ei, "email", "give an e-mail address or a phone number so that we can answer");
	if (email && !kh_email_valid(email, strlen(email)))
		kh_errinfo_field(ctx->ei, "email", "is not a valid e-mail address");
	if (phone && !kh_phone_valid(phone, strlen(phone)))
		kh_errinfo_field(ctx->ei, "phone", "is not a valid phone number");
	if (name && strlen(name) > 300)
		kh_errinfo_field(ctx->ei, "name", "must be at most 100 characters");
	if (desc && strlen(desc) > 20000)
		kh_errinfo_field(ctx->ei, "description", "must be at most 20000 bytes");
	if (ctx->ei->code)
		return ctx->ei->code;
	struct kh_ctx sys;
	kh_service_system_ctx(ctx, &sys);
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "the database is busy");
	err = form_throttle(ctx, address);
	int64_t contact = 0, account = 0;
	if (!err && email) {
		struct kh_val p = KH_VTEXT(email);
		struct kh_rows *rows;
		err = kh_db_query(ctx->db,
				  "SELECT id, account_id FROM contacts WHERE lower(email) = lower($1) AND archived_at IS NULL "
				  "ORDER BY id LIMIT 1",
				  &p, 1, &rows);
		if (!err) {
			if (kh_rows_next(ctx->db, rows) > 0) {
				struct kh_val a = kh_rows_col(ctx->db, rows, 1);
				contact = kh_rows_col(ctx->db, rows, 0).i;
				account = a.t == KH_V_INT ? a.i : 0;
			}
			kh_rows_end(ctx->db, rows);
		}
	}
	if (!err && !contact && phone) {
		struct kh_phone_match m;
		if (kh_phone_match(ctx->db, phone, &m) == KH_OK && m.contact_id) {
			contact = m.contact_id;
			account = m.account_id;
		}
	}
	/* Whoever wrote keeps their own words: the details go into the description. */
	char *text = kh_arena_printf(ctx->arena, "%s%s%s%s%s%s%s%s", name ? "From: " : "", name ? name : "",
				     email ? " <" : "", email ? email : "", email ? ">" : "", phone ? " " : "",
				     phone ? phone : "", desc ? "\n\n" : "");
	if (text && desc)
		text = kh_arena_printf(ctx->arena, "%s%s", text, desc);
	const char *type = jstr(body, "type");
	struct kh_fv fv[] = {
		{"subject", KH_VTEXT(subject)},
		{"channel", KH_VTEXT("web")},
		{"description", text ? KH_VTEXT(text) : KH_VNULL},
		{"category", jstr(body, "category") ? KH_VTEXT(jstr(body, "category")) : KH_VNULL},
		{"type", type ? KH_VTEXT(type) : KH_VTEXT("question")},
		{"contact_id", contact ? KH_VINT(contact) : KH_VNULL},
		{"account_id", account ? KH_VINT(account) : KH_VNULL},
	};
	if (!err) {
		/* The form's text goes through the same validation as any client's. */
		json_t *j = json_object();
		json_object_set_new(j, "subject", json_string(subject));
		json_object_set_new(j, "type", json_string(type ? type : "question"));
		if (jstr(body, "category"))
			json_object_set_new(j, "category", json_string(jstr(body, "category")));
		struct kh_values vals;
		if (kh_values_init(&vals, kh_entity_find("cases"), ctx->arena))
			err = KH_ENOMEM;
		else
			err = kh_validate_json(j, KH_VALIDATE_CREATE, &vals, NULL, ctx->arena, ctx->ei);
		json_decref(j);
	}
	if (!err)
		err = kh_service_insert(&sys, "cases", fv, (int)(sizeof fv / sizeof fv[0]), id);
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "the case could not be created");
	}
	return err;
}

/* ---- the periodic tick and the job kinds ---- */

/* Agents whose wrap-up time after a call is over are available again. */
static enum kh_err wrapups(struct kh_ctx *ctx, int *n)
{
	struct kh_db *db = ctx->db;
	*n = 0;
	struct kh_rows *rows;
	int64_t ids[200];
	int k = 0;
	enum kh_err err = kh_db_query(
		db,
		"SELECT a.id, a.state_since, COALESCE((SELECT q.wrap_up_seconds FROM calls c JOIN service_queues q ON "
		"q.id = c.queue_id WHERE c.agent_id = a.user_id ORDER BY c.id DESC LIMIT 1), 30) FROM agents a "
		"WHERE a.state = 'wrap_up' AND a.archived_at IS NULL ORDER BY a.id LIMIT 200",
		NULL, 0, &rows);
	if (err)
		return err;
	int64_t now = kh_now();
	while (k < 200 && kh_rows_next(db, rows) > 0) {
		struct kh_val since = kh_rows_col(db, rows, 1);
		int64_t t;
		if (since.t == KH_V_TEXT && !kh_time_parse(since.s, since.n, &t) &&
		    t + kh_rows_col(db, rows, 2).i * 1000000 <= now)
			ids[k++] = kh_rows_col(db, rows, 0).i;
	}
	kh_rows_end(db, rows);
	for (int i = 0; i < k; i++) {
		if ((err = kh_db_begin(db, KH_TX_WRITE)))
			return err;
		/* Only if still in wrap-up: the agent may have changed it meanwhile. */
		struct kh_val p = KH_VINT(ids[i]);
		int64_t still;
		err = kh_db_int(db, "SELECT id FROM agents WHERE id = $1 AND state = 'wrap_up'", &p, 1, &still);
		if (err == KH_ENOTFOUND) {
			kh_db_rollback(db);
			continue;
		}
		if (!err)
			err = kh_service_set(ctx, "agents", ids[i], "state", KH_VTEXT("available"));
		if (!err)
			err = kh_db_commit(db);
		if (err) {
			kh_db_rollback(db);
			return err;
		}
		(*n)++;
	}
	return KH_OK;
}

enum kh_err kh_service_tick_run(struct kh_ctx *ctx, struct kh_service_tick *out)
{
	struct kh_service_tick t = {0};
	struct kh_service_settings s;
	kh_service_settings_load(ctx->db, &s);
	enum kh_err err = kh_sla_check(ctx, &t.warnings, &t.breaches);
	if (!err)
		err = wrapups(ctx, &t.wrapups);
	/* The day's care tasks, once a day (China time by default). */
	char today[11], done[16];
	kh_date_format((kh_now() / 1000000 + (int64_t)s.utc_offset_minutes * 60) / 86400, today);
	if (!err && (kv_get(ctx->db, "care_day", done, sizeof done) != KH_OK || strcmp(done, today))) {
		err = kh_care_run(ctx, today, &t.care_tasks);
		if (!err && !(err = kh_db_begin(ctx->db, KH_TX_WRITE))) {
			err = kv_put(ctx->db, "care_day", today);
			err = err ? err : kh_db_commit(ctx->db);
			if (err)
				kh_db_rollback(ctx->db);
		}
	}
	/* The mailbox, when one is set up and its interval has passed. */
	if (!err && s.imap_url[0]) {
		char last[KH_TIME_LEN + 1];
		int64_t at = 0, now = kh_now();
		if (kv_get(ctx->db, "imap_last_poll", last, sizeof last) == KH_OK)
			kh_time_parse(last, strlen(last), &at);
		if (now - at >= (int64_t)s.imap_interval_seconds * 1000000) {
			char key[64], stamp[KH_TIME_LEN];
			kh_time_format(now, stamp);
			snprintf(key, sizeof key, "service.imap_poll:%s", stamp);
			if (!(err = kh_db_begin(ctx->db, KH_TX_WRITE))) {
				err = kv_put(ctx->db, "imap_last_poll", stamp);
				err = err ? err : kh_job_enqueue(ctx->db, "service.imap_poll", NULL, NULL, key);
				err = err ? err : kh_db_commit(ctx->db);
				if (err)
					kh_db_rollback(ctx->db);
				else
					t.mail_polls++;
			}
		}
	}
	if (out)
		*out = t;
	return err;
}

static enum kh_err enqueue_tick(struct kh_db *db)
{
	struct kh_service_settings s;
	kh_service_settings_load(db, &s);
	char at[KH_TIME_LEN], key[64];
	kh_time_format(kh_now() + s.tick_seconds * 1000000LL, at);
	snprintf(key, sizeof key, "service.tick:%s", at);
	return kh_job_enqueue(db, "service.tick", at, NULL, key);
}

enum kh_err kh_service_schedule(struct kh_db *db)
{
	return enqueue_tick(db);
}

/* Job: the tick. The next one is queued first, so that a failure below never
 * ends the chain. */
static enum kh_err tick_job(struct kh_ctx *ctx, json_t *payload)
{
	(void)payload;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = enqueue_tick(ctx->db);
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		return err;
	}
	return kh_service_tick_run(ctx, NULL);
}

static enum kh_err imap_job(struct kh_ctx *ctx, json_t *payload)
{
	(void)payload;
	struct kh_imap_result r;
	return kh_imap_poll(ctx, &r);
}

/* The tick's chain has one weak point: a pending tick queued for a time the
 * clock will not reach soon (the clock was set back: a restored database, a
 * test's fake clock). This puts the next tick at now when that happens. */
enum kh_err kh_service_ensure_tick(struct kh_db *db)
{
	struct kh_service_settings s;
	kh_service_settings_load(db, &s);
	char now[KH_TIME_LEN], late[KH_TIME_LEN];
	int64_t t = kh_now();
	kh_time_format(t, now);
	kh_time_format(t + 2LL * s.tick_seconds * 1000000, late);
	struct kh_val p[2] = {KH_VTEXT(now), KH_VTEXT(late)};
	int64_t id;
	enum kh_err err = kh_db_int(db,
				    "SELECT id FROM kh_jobs WHERE kind = 'service.tick' AND status IN ('pending', 'running') "
				    "AND run_at <= $1 LIMIT 1",
				    &p[1], 1, &id);
	if (err != KH_ENOTFOUND)
		return err;
	err = kh_db_exec(db, "UPDATE kh_jobs SET run_at = $1 WHERE kind = 'service.tick' AND status = 'pending'", p, 1);
	if (!err && db->ops->changes(db) == 0)
		err = enqueue_tick(db);
	return err;
}

/* Consumer: keeps the tick's chain alive (see above), looking at most every
 * ten seconds of the clock, whatever the rate of changes. */
static enum kh_err watch(struct kh_ctx *ctx, const struct kh_change *c)
{
	(void)c;
	static _Atomic int64_t last;
	int64_t now = kh_now(), prev = atomic_load(&last);
	if (now >= prev && now - prev < 10 * 1000000LL)
		return KH_OK;
	atomic_store(&last, now);
	return kh_service_ensure_tick(ctx->db);
}

static const struct kh_outbox_consumer watch_consumer = {"service.watch", watch};
const struct kh_outbox_consumer *const kh_service_consumers[] = {&watch_consumer, NULL};

static const struct kh_job_kind tick_kind = {"service.tick", tick_job, 1000, 1};
static const struct kh_job_kind imap_kind = {"service.imap_poll", imap_job, 3, 1};
const struct kh_job_kind *const kh_service_jobs[] = {&tick_kind, &imap_kind, NULL};

/* Migration 200: the module's own tables (its entities come from metadata). */
enum kh_err kh_service_migrate(struct kh_db *db)
{
	const char *const stmts[] = {
		"CREATE TABLE kh_sla_clocks (case_id INTEGER NOT NULL, metric TEXT NOT NULL, policy_id INTEGER, "
		"target_s INTEGER NOT NULL, warn_before_s INTEGER NOT NULL, used_s INTEGER NOT NULL, state TEXT NOT NULL, "
		"running_since TEXT, due_at TEXT, warn_at TEXT, warned_at TEXT, breached_at TEXT, stopped_at TEXT, "
		"PRIMARY KEY (case_id, metric))",
		"CREATE INDEX ix_kh_sla_clocks_due ON kh_sla_clocks (state, due_at)",
		"CREATE INDEX ix_kh_sla_clocks_warn ON kh_sla_clocks (state, warn_at)",
		"CREATE TABLE kh_kb_terms (term TEXT NOT NULL, article_id INTEGER NOT NULL, tf INTEGER NOT NULL, "
		"PRIMARY KEY (term, article_id))",
		"CREATE INDEX ix_kh_kb_terms_article ON kh_kb_terms (article_id)",
		"CREATE TABLE kh_csat (token TEXT PRIMARY KEY, case_id INTEGER NOT NULL, created_at TEXT NOT NULL, "
		"expires_at TEXT NOT NULL, answered_at TEXT, score INTEGER, comment TEXT)",
		"CREATE INDEX ix_kh_csat_case ON kh_csat (case_id, created_at)",
		"CREATE TABLE kh_service_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
		"CREATE TABLE kh_service_mail (message_id TEXT PRIMARY KEY, case_id INTEGER, received_at TEXT NOT NULL)",
		NULL,
	};
	enum kh_err err = KH_OK;
	for (int i = 0; !err && stmts[i]; i++)
		err = kh_db_exec(db, stmts[i], NULL, 0);
	return err ? err : enqueue_tick(db);
}
