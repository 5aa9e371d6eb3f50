/* Leads: the leads hook (duplicates, scoring, assignment), conversion, the
 * learned score, assignment, and public web forms. */
#include "domain/leads.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/churn.h"
#include "domain/jobs.h"
#include "domain/rules.h"
#include "domain/sales.h"
#include "model/permission.h"
#include "model/record_json.h"
#include "model/validate.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/phone.h"

static const struct kh_principal system_principal = {.user_id = 0, .username = "system", .role = "admin",
						      .is_admin = 1};

/* ---- duplicates ---- */

struct dup {
	const char *entity; /* "leads" or "contacts" */
	int64_t id;
	const char *why; /* "email", "phone", "name_company" */
};

#define MAX_DUPS 20

static int dup_add(struct dup *d, int n, const char *entity, int64_t id, const char *why)
{
	for (int i = 0; i < n; i++)
		if (d[i].id == id && !strcmp(d[i].entity, entity))
			return n;
	if (n == MAX_DUPS)
		return n;
	d[n] = (struct dup){entity, id, why};
	return n + 1;
}

static int text_of(const struct kh_val *v, char *out, size_t n)
{
	if (v->t != KH_V_TEXT || v->n == 0) {
		out[0] = '\0';
		return 0;
	}
	snprintf(out, n, "%.*s", (int)v->n, v->s);
	return 1;
}

/* Every lead and contact that shares an e-mail, a phone (compared as phone
 * keys, so that +86 138-1234-5678 is 13812345678) or a name at the same
 * company with the values given, other than lead `self`. */
static int find_dups(struct kh_db *db, int64_t self, const struct kh_val *email, const struct kh_val *phones[2],
		     const struct kh_val *name, const struct kh_val *company, struct dup *d)
{
	int n = 0;
	struct kh_rows *rows;
	char buf[256];
	if (text_of(email, buf, sizeof buf)) {
		static const char *const sql[] = {
			"SELECT id FROM leads WHERE email = $1 AND id <> $2 AND archived_at IS NULL ORDER BY id LIMIT 10",
			"SELECT id FROM contacts WHERE email = $1 AND archived_at IS NULL AND $2 = $2 ORDER BY id LIMIT 10"};
		for (int k = 0; k < 2; k++) {
			struct kh_val p[2] = {KH_VTEXT(buf), KH_VINT(self)};
			if (kh_db_query(db, sql[k], p, 2, &rows))
				continue;
			while (kh_rows_next(db, rows) > 0)
				n = dup_add(d, n, k ? "contacts" : "leads", kh_rows_col(db, rows, 0).i, "email");
			kh_rows_end(db, rows);
		}
	}
	for (int ph = 0; ph < 2; ph++) {
		char key[KH_PHONE_KEY_MAX], other[KH_PHONE_KEY_MAX];
		if (phones[ph]->t != KH_V_TEXT || !kh_phone_key(phones[ph]->s, phones[ph]->n, key))
			continue;
		/* Phones are stored as people write them: the last four digits find
		 * the candidates, the phone keys decide. */
		size_t kl = strlen(key);
		char like[8];
		snprintf(like, sizeof like, "%%%s", key + (kl > 4 ? kl - 4 : 0));
		static const char *const sql[] = {
			"SELECT id, phone, mobile FROM leads WHERE (phone LIKE $1 OR mobile LIKE $1) AND id <> $2 AND "
			"archived_at IS NULL ORDER BY id LIMIT 200",
			"SELECT id, phone, mobile FROM contacts WHERE (phone LIKE $1 OR mobile LIKE $1) AND archived_at IS NULL "
			"AND $2 = $2 ORDER BY id LIMIT 200"};
		for (int k = 0; k < 2; k++) {
			struct kh_val p[2] = {KH_VTEXT(like), KH_VINT(self)};
			if (kh_db_query(db, sql[k], p, 2, &rows))
				continue;
			while (kh_rows_next(db, rows) > 0)
				for (int c = 1; c < 3; c++) {
					struct kh_val v = kh_rows_col(db, rows, c);
					if (v.t == KH_V_TEXT && kh_phone_key(v.s, v.n, other) && !strcmp(other, key))
						n = dup_add(d, n, k ? "contacts" : "leads", kh_rows_col(db, rows, 0).i, "phone");
				}
			kh_rows_end(db, rows);
		}
	}
	char nm[256], co[256];
	if (text_of(name, nm, sizeof nm) && text_of(company, co, sizeof co)) {
		struct kh_val p[3] = {KH_VTEXT(nm), KH_VTEXT(co), KH_VINT(self)};
		if (!kh_db_query(db,
				 "SELECT id FROM leads WHERE name = $1 AND lower(company) = lower($2) AND id <> $3 AND "
				 "archived_at IS NULL ORDER BY id LIMIT 10",
				 p, 3, &rows)) {
			while (kh_rows_next(db, rows) > 0)
				n = dup_add(d, n, "leads", kh_rows_col(db, rows, 0).i, "name_company");
			kh_rows_end(db, rows);
		}
		if (!kh_db_query(db,
				 "SELECT c.id FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE c.name = $1 AND "
				 "lower(a.name) = lower($2) AND c.archived_at IS NULL ORDER BY c.id LIMIT 10",
				 p, 2, &rows)) {
			while (kh_rows_next(db, rows) > 0)
				n = dup_add(d, n, "contacts", kh_rows_col(db, rows, 0).i, "name_company");
			kh_rows_end(db, rows);
		}
	}
	return n;
}

/* ---- scoring ---- */

#define NFEAT 12
static const char *const feature_names[NFEAT] = {"source_web", "source_referral", "source_partner",
	"source_trade_show", "source_advertising", "source_cold_call", "log_employees", "has_email", "has_phone",
	"decision_maker", "log_activities", "rating_hot"};

static int decision_maker(const struct kh_val *title)
{
	static const char *const words[] = {"总", "经理", "director", "head", "chief", "vp", "president", "owner",
					    "founder", "主任", "负责人", NULL};
	if (title->t != KH_V_TEXT)
		return 0;
	for (int i = 0; words[i]; i++) {
		struct kh_val w = KH_VTEXT(words[i]);
		for (size_t k = 0; k + w.n <= title->n; k++) {
			size_t j = 0;
			while (j < w.n) {
				char c = title->s[k + j];
				if (c >= 'A' && c <= 'Z')
					c = (char)(c - 'A' + 'a');
				if (c != w.s[j])
					break;
				j++;
			}
			if (j == w.n)
				return 1;
		}
	}
	return 0;
}

/* The learned score's features of a lead (values by field index of leads). */
static void lead_features(const struct kh_entity *e, const struct kh_val *v, int64_t activities, double *x)
{
	static const char *const src[] = {"web", "referral", "partner", "trade_show", "advertising", "cold_call"};
	const struct kh_val *source = &v[kh_field_index(e, "source")];
	for (int i = 0; i < 6; i++)
		x[i] = kh_sales_is(source, src[i]);
	const struct kh_val *emp = &v[kh_field_index(e, "employees")];
	x[6] = emp->t == KH_V_INT ? log1p((double)emp->i) : 0;
	x[7] = v[kh_field_index(e, "email")].t == KH_V_TEXT;
	x[8] = v[kh_field_index(e, "mobile")].t == KH_V_TEXT || v[kh_field_index(e, "phone")].t == KH_V_TEXT;
	x[9] = decision_maker(&v[kh_field_index(e, "title")]);
	x[10] = log1p((double)(activities > 0 ? activities : 0));
	x[11] = kh_sales_is(&v[kh_field_index(e, "rating")], "hot");
}

struct model {
	int ok;
	double intercept, coef[NFEAT], mean[NFEAT];
	int64_t trained_on;
	double auc;
	char trained_at[KH_TIME_LEN];
};

static void model_load(struct kh_db *db, struct model *m)
{
	memset(m, 0, sizeof *m);
	struct kh_rows *rows;
	if (kh_db_query(db, "SELECT model, trained_at FROM kh_sales_models WHERE name = 'lead_score'", NULL, 0, &rows))
		return;
	json_t *j = NULL;
	if (kh_rows_next(db, rows) > 0) {
		struct kh_val v = kh_rows_col(db, rows, 0);
		j = json_loadb(v.s, v.n, 0, NULL);
		snprintf(m->trained_at, sizeof m->trained_at, "%s", kh_rows_col(db, rows, 1).s);
	}
	kh_rows_end(db, rows);
	json_t *coef = json_object_get(j, "coef"), *mean = json_object_get(j, "mean");
	if (json_array_size(coef) == NFEAT && json_array_size(mean) == NFEAT) {
		m->ok = 1;
		m->intercept = json_number_value(json_object_get(j, "intercept"));
		m->trained_on = json_integer_value(json_object_get(j, "trained_on"));
		m->auc = json_number_value(json_object_get(j, "auc"));
		for (int i = 0; i < NFEAT; i++) {
			m->coef[i] = json_number_value(json_array_get(coef, (size_t)i));
			m->mean[i] = json_number_value(json_array_get(mean, (size_t)i));
		}
	}
	json_decref(j);
}

static double model_predict(const struct model *m, const double *x)
{
	double eta = m->intercept;
	for (int i = 0; i < NFEAT; i++)
		eta += m->coef[i] * x[i];
	return 1.0 / (1.0 + exp(-eta));
}

struct score {
	int rule_score;   /* 0..100 */
	int learned;      /* 0..100, or -1 without a model */
	int score;
};

static int64_t lead_activities(struct kh_db *db, int64_t id)
{
	int64_t n = 0;
	struct kh_val p = KH_VINT(id);
	if (id)
		kh_db_int(db, "SELECT count(*) FROM activities WHERE lead_id = $1 AND archived_at IS NULL", &p, 1, &n);
	return n;
}

/* Scores the lead values v. With explain, writes each rule's points and the
 * model's contributions. */
static enum kh_err score_lead(struct kh_db *db, const struct kh_entity *e, const struct kh_val *v, int64_t id,
			      struct score *s, struct kh_jw *explain)
{
	struct kh_ruleset rs;
	enum kh_err err = kh_ruleset_load(db, KH_RULE_SCORING, "leads", &rs);
	if (err)
		return err;
	char today[11];
	kh_sales_today(today);
	int64_t acts = lead_activities(db, id);
	struct kh_rule_rec rec = {v, NULL, NULL, acts, today};
	int points = 0;
	if (explain) {
		kh_jw_key(explain, "rules");
		kh_jw_arr(explain);
	}
	for (int i = 0; i < rs.n; i++) {
		if (!kh_rule_match(&rs.rules[i], &rec))
			continue;
		points += rs.rules[i].points;
		if (explain) {
			kh_jw_obj(explain);
			kh_jw_key(explain, "rule_id");
			kh_jw_int(explain, rs.rules[i].id);
			kh_jw_key(explain, "name");
			kh_jw_str(explain, rs.rules[i].name);
			kh_jw_key(explain, "points");
			kh_jw_int(explain, rs.rules[i].points);
			kh_jw_obj_end(explain);
		}
	}
	if (explain)
		kh_jw_arr_end(explain);
	kh_ruleset_release(&rs);
	s->rule_score = points < 0 ? 0 : points > 100 ? 100 : points;
	struct model m;
	model_load(db, &m);
	double x[NFEAT];
	lead_features(e, v, acts, x);
	s->learned = m.ok ? (int)lround(100 * model_predict(&m, x)) : -1;
	/* Rules say what the company believes, the model what its history shows:
	 * the score is their mean once there is a model. */
	s->score = s->learned < 0 ? s->rule_score : (s->rule_score + s->learned + 1) / 2;
	if (explain) {
		kh_jw_key(explain, "learned");
		if (!m.ok) {
			kh_jw_null(explain);
			return KH_OK;
		}
		kh_jw_obj(explain);
		kh_jw_key(explain, "probability");
		kh_jw_double(explain, model_predict(&m, x));
		kh_jw_key(explain, "trained_at");
		kh_jw_str(explain, m.trained_at);
		kh_jw_key(explain, "trained_on");
		kh_jw_int(explain, m.trained_on);
		kh_jw_key(explain, "auc");
		kh_jw_double(explain, m.auc);
		/* Each feature's push on the log-odds against an average lead. */
		kh_jw_key(explain, "factors");
		kh_jw_arr(explain);
		int order[NFEAT];
		double c[NFEAT];
		for (int i = 0; i < NFEAT; i++) {
			order[i] = i;
			c[i] = m.coef[i] * (x[i] - m.mean[i]);
		}
		for (int i = 1; i < NFEAT; i++)
			for (int k = i; k > 0 && fabs(c[order[k]]) > fabs(c[order[k - 1]]); k--) {
				int t = order[k];
				order[k] = order[k - 1];
				order[k - 1] = t;
			}
		for (int i = 0; i < NFEAT; i++) {
			if (fabs(c[order[i]]) < 0.01)
				continue;
			kh_jw_obj(explain);
			kh_jw_key(explain, "feature");
			kh_jw_str(explain, feature_names[order[i]]);
			kh_jw_key(explain, "value");
			kh_jw_double(explain, x[order[i]]);
			kh_jw_key(explain, "effect");
			kh_jw_double(explain, c[order[i]]);
			kh_jw_obj_end(explain);
		}
		kh_jw_arr_end(explain);
		kh_jw_obj_end(explain);
	}
	return KH_OK;
}

/* ---- assignment ---- */

enum kh_err kh_assign_pick(struct kh_ctx *ctx, const struct kh_entity *e, int64_t rule_id, json_t *assign,
			   int64_t exclude, int64_t *user)
{
	struct kh_db *db = ctx->db;
	json_t *uid = json_object_get(assign, "user_id"), *team = json_object_get(assign, "team_id"),
	       *list = json_object_get(assign, "user_ids");
	const char *method = json_string_value(json_object_get(assign, "method"));
	int64_t cand[256];
	int n = 0;
	struct kh_rows *rows;
	if (json_is_integer(uid)) {
		struct kh_val p = KH_VINT(json_integer_value(uid));
		int64_t found;
		if (kh_db_int(db, "SELECT id FROM users WHERE id = $1 AND active = 1 AND archived_at IS NULL", &p, 1, &found))
			return KH_ENOTFOUND;
		*user = found;
		return KH_OK;
	}
	if (json_is_integer(team)) {
		struct kh_val p = KH_VINT(json_integer_value(team));
		if (kh_db_query(db, "SELECT id FROM users WHERE team_id = $1 AND active = 1 AND archived_at IS NULL ORDER BY id",
				&p, 1, &rows))
			return KH_EDB;
		while (n < 256 && kh_rows_next(db, rows) > 0)
			cand[n++] = kh_rows_col(db, rows, 0).i;
		kh_rows_end(db, rows);
	} else {
		size_t i;
		json_t *u;
		json_array_foreach(list, i, u) {
			struct kh_val p = KH_VINT(json_integer_value(u));
			int64_t found;
			if (n < 256 && json_is_integer(u) &&
			    !kh_db_int(db, "SELECT id FROM users WHERE id = $1 AND active = 1 AND archived_at IS NULL", &p, 1,
				       &found))
				cand[n++] = found;
		}
	}
	if (n > 1 && exclude) {
		int k = 0;
		for (int i = 0; i < n; i++)
			if (cand[i] != exclude)
				cand[k++] = cand[i];
		n = k;
	}
	if (n == 0)
		return KH_ENOTFOUND;
	if (method && !strcmp(method, "load")) {
		/* The fewest open records of this kind wins; ties go to the first. */
		const char *open = !strcmp(e->name, "leads")	       ? " AND status IN ('new', 'contacted', 'qualified')"
				   : !strcmp(e->name, "opportunities") ? " AND status = 'open'"
								       : "";
		char sql[200];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE owner_id = $1 AND archived_at IS NULL%s", e->name,
			 open);
		int64_t best = -1, best_load = INT64_MAX;
		for (int i = 0; i < n; i++) {
			struct kh_val p = KH_VINT(cand[i]);
			int64_t load = 0;
			kh_db_int(db, sql, &p, 1, &load);
			if (load < best_load)
				best = cand[i], best_load = load;
		}
		*user = best;
		return KH_OK;
	}
	char counter[40];
	snprintf(counter, sizeof counter, "rr:%lld", (long long)rule_id);
	int64_t turn;
	enum kh_err err = kh_counter_next(db, counter, &turn);
	if (err)
		return err;
	*user = cand[(turn - 1) % n];
	return KH_OK;
}

/* The assignment rules' choice for a lead's values, or 0. */
static enum kh_err assign_by_rules(struct kh_ctx *ctx, const struct kh_entity *e, const struct kh_val *v,
				   int64_t exclude, int64_t *user, int64_t *rule)
{
	struct kh_ruleset rs;
	*user = 0;
	*rule = 0;
	enum kh_err err = kh_ruleset_load(ctx->db, KH_RULE_ASSIGNMENT, "leads", &rs);
	if (err)
		return err;
	char today[11];
	kh_sales_today(today);
	struct kh_rule_rec rec = {v, NULL, NULL, 0, today};
	for (int i = 0; i < rs.n && !*user; i++) {
		if (!kh_rule_match(&rs.rules[i], &rec))
			continue;
		json_t *acts = json_loads(rs.rules[i].actions ? rs.rules[i].actions : "{}", 0, NULL);
		int64_t u;
		err = kh_assign_pick(ctx, e, rs.rules[i].id, json_object_get(acts, "assign"), exclude, &u);
		json_decref(acts);
		if (err == KH_ENOTFOUND) { /* nobody in this rule's pool: the next rule */
			err = KH_OK;
			continue;
		}
		if (err)
			break;
		*user = u;
		*rule = rs.rules[i].id;
	}
	kh_ruleset_release(&rs);
	return err;
}

/* ---- the hook ---- */

/* What before_write decided for after_write (same thread, same write). */
static __thread struct {
	int64_t rule, user;
} pending_assignment;

static const struct kh_val *changed_or_null(struct kh_write *w, const char *f, int create)
{
	static const struct kh_val null_val = {.t = KH_V_NULL};
	return create || kh_write_changes(w, f) ? kh_write_get(w, f) : &null_val;
}

enum kh_err kh_lead_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	const struct kh_entity *e = w->e;
	pending_assignment.rule = pending_assignment.user = 0;
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	int create = w->op == KH_OP_CREATE;
	if (kh_write_changes(w, "status") && kh_sales_is(kh_write_get(w, "status"), "converted") &&
	    !kh_write_changes(w, "converted_at")) {
		kh_errinfo_field(ctx->ei, "status", "a lead becomes converted through POST /api/v1/leads/{id}/convert");
		return KH_EVALIDATION;
	}
	if (!create && w->old.v[kh_field_index(e, "converted_at")].t != KH_V_NULL &&
	    kh_write_changes(w, "status") && !kh_sales_is(kh_write_get(w, "status"), "converted")) {
		kh_errinfo_field(ctx->ei, "status", "this lead was converted; its status stays converted");
		return KH_EVALIDATION;
	}
	if (ctx->bulk)
		return KH_OK; /* imports and demo data: scored by the next training or change */
	/* Duplicates, when what identifies the lead is new or changes. */
	static const char *const idf[] = {"email", "phone", "mobile", "name", "company"};
	int ident = create;
	for (int i = 0; i < 5 && !ident; i++)
		ident = kh_write_changes(w, idf[i]);
	if (ident) {
		struct dup d[MAX_DUPS];
		const struct kh_val *phones[2] = {changed_or_null(w, "phone", create), changed_or_null(w, "mobile", create)};
		int n = find_dups(ctx->db, w->id, changed_or_null(w, "email", create), phones, kh_write_get(w, "name"),
				  kh_write_get(w, "company"), d);
		int64_t lead = 0, contact = 0;
		for (int i = 0; i < n; i++) {
			if (!lead && !strcmp(d[i].entity, "leads"))
				lead = d[i].id;
			if (!contact && !strcmp(d[i].entity, "contacts"))
				contact = d[i].id;
		}
		if (create || lead || contact) {
			kh_write_set(w, "duplicate_of_lead_id", lead ? KH_VINT(lead) : KH_VNULL);
			kh_write_set(w, "duplicate_of_contact_id", contact ? KH_VINT(contact) : KH_VNULL);
		}
	}
	/* Assignment: a lead that arrives without an owner (a web form, an
	 * import without one, or a client that sends "owner_id": null). */
	if (create && kh_write_get(w, "owner_id")->t == KH_V_NULL) {
		struct kh_val *cur = kh_arena_calloc(ctx->arena, (size_t)e->nfields, sizeof *cur);
		if (!cur)
			return KH_ENOMEM;
		for (int i = 0; i < e->nfields; i++)
			cur[i] = *kh_write_get(w, e->fields[i].name);
		int64_t user, rule;
		enum kh_err err = assign_by_rules(ctx, e, cur, 0, &user, &rule);
		if (err)
			return kh_errinfo_set(ctx->ei, err, "cannot run the assignment rules");
		if (user) {
			kh_write_set(w, "owner_id", KH_VINT(user));
			kh_write_set(w, "assigned_at", KH_VTEXT(w->now_text));
			pending_assignment.rule = rule;
			pending_assignment.user = user;
		}
	} else if (!create && kh_write_changes(w, "owner_id")) {
		kh_write_set(w, "assigned_at", KH_VTEXT(w->now_text));
	}
	/* The score, from the values after this write. */
	struct kh_val *cur = kh_arena_calloc(ctx->arena, (size_t)e->nfields, sizeof *cur);
	if (!cur)
		return KH_ENOMEM;
	for (int i = 0; i < e->nfields; i++)
		cur[i] = *kh_write_get(w, e->fields[i].name);
	struct score s;
	enum kh_err err = score_lead(ctx->db, e, cur, w->id, &s, NULL);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot score the lead");
	kh_write_set(w, "rule_score", KH_VINT(s.rule_score));
	kh_write_set(w, "learned_score", s.learned < 0 ? KH_VNULL : KH_VINT(s.learned));
	kh_write_set(w, "score", KH_VINT(s.score));
	return KH_OK;
}

/* Keeps the assignment made by the rules in the lead's assignment history. */
enum kh_err kh_lead_after_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE || !pending_assignment.user)
		return KH_OK;
	struct kh_val p[4] = {KH_VINT(w->id), KH_VINT(pending_assignment.rule), KH_VINT(pending_assignment.user),
			      KH_VTEXT(w->now_text)};
	pending_assignment.rule = pending_assignment.user = 0;
	return kh_db_exec(w->ctx->db,
			  "INSERT INTO kh_lead_assignments (lead_id, rule_id, user_id, assigned_at, reason) VALUES ($1, $2, "
			  "$3, $4, 'rule')",
			  p, 4);
}

/* ---- leads that arrived in bulk ---- */

/* An import loads leads in bulk, past the hook above (a million rows would
 * otherwise each search for duplicates inside the load). They still arrive
 * as leads, so a job does for them afterwards what the hook does for one
 * lead: duplicates and the score, through the write path (audited, seen by
 * the rules). An import always gives its leads an owner (the file's, else the
 * importing user), so the assignment rules, which route leads that arrive
 * without one, have nothing to do here. Their score is what tells these
 * leads apart: it is read-only, so an import leaves it empty, while the hook
 * always sets it and the demo writes its own. */
#define ARRIVAL_BATCH 500

enum kh_err kh_leads_after_bulk(struct kh_db *db)
{
	int64_t any = 0;
	enum kh_err err = kh_db_int(db,
				    "SELECT count(*) FROM (SELECT 1 FROM leads WHERE score IS NULL AND archived_at IS NULL "
				    "LIMIT 1) t",
				    NULL, 0, &any);
	return err || !any ? err : kh_job_enqueue(db, "sales.leads_arrived", NULL, NULL, NULL);
}

/* One lead of a bulk load: what the hook would have decided when it arrived. */
static enum kh_err arrive(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id)
{
	struct kh_values cur, upd;
	enum kh_err err = kh_sales_load(ctx, e, id, &cur);
	if (err)
		return err == KH_ENOTFOUND ? KH_OK : err;
	if (kh_values_init(&upd, e, ctx->arena))
		return KH_ENOMEM;
#define V(f) (&cur.v[kh_field_index(e, f)])
#define SET(f, x) (upd.v[kh_field_index(e, f)] = (x), upd.set[kh_field_index(e, f)] = 1)
	struct dup d[MAX_DUPS];
	const struct kh_val *phones[2] = {V("phone"), V("mobile")};
	int n = find_dups(ctx->db, id, V("email"), phones, V("name"), V("company"), d);
	int64_t lead = 0, contact = 0;
	for (int i = 0; i < n; i++) {
		if (!lead && !strcmp(d[i].entity, "leads") && d[i].id < id)
			lead = d[i].id; /* the one that came first is the original */
		if (!contact && !strcmp(d[i].entity, "contacts"))
			contact = d[i].id;
	}
	SET("duplicate_of_lead_id", lead ? KH_VINT(lead) : KH_VNULL);
	SET("duplicate_of_contact_id", contact ? KH_VINT(contact) : KH_VNULL);
	SET("score", KH_VINT(0)); /* the hook scores it from the values after the patch */
#undef V
#undef SET
	return kh_record_patch(ctx, &upd, id, -1);
}

/* A batch of leads that arrived in bulk, in one transaction; the job queues
 * its successor while any are left, so that a big import does not hold the
 * database for long at a time. */
enum kh_err kh_leads_arrived_job(struct kh_ctx *ctx, json_t *payload)
{
	(void)payload;
	const struct kh_entity *e = kh_entity_find("leads");
	int64_t ids[ARRIVAL_BATCH];
	int n = 0;
	struct kh_rows *rows;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_db_query(ctx->db,
				  "SELECT id FROM leads WHERE score IS NULL AND archived_at IS NULL ORDER BY id LIMIT 500",
				  NULL, 0, &rows);
	if (!err) {
		int rc = 0;
		while (n < ARRIVAL_BATCH && (rc = kh_rows_next(ctx->db, rows)) > 0)
			ids[n++] = kh_rows_col(ctx->db, rows, 0).i;
		kh_rows_end(ctx->db, rows);
		if (rc < 0)
			err = (enum kh_err)-rc;
	}
	for (int i = 0; !err && i < n; i++)
		err = arrive(ctx, e, ids[i]);
	if (!err && n == ARRIVAL_BATCH)
		err = kh_job_enqueue(ctx->db, "sales.leads_arrived", NULL, NULL, NULL);
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "cannot process the leads that arrived in bulk");
	}
	return err;
}

/* ---- conversion ---- */

static void copy_field(json_t *to, const char *key, const struct kh_entity *e, const struct kh_values *v,
		       const char *from)
{
	int i = kh_field_index(e, from);
	if (i < 0)
		return;
	const struct kh_val *x = &v->v[i];
	if (x->t == KH_V_TEXT)
		json_object_set_new(to, key, json_stringn(x->s, x->n));
	else if (x->t == KH_V_INT)
		json_object_set_new(to, key, json_integer(x->i));
}

static enum kh_err check_ref(struct kh_ctx *ctx, const char *entity, json_t *id, const char *field)
{
	if (!json_is_integer(id) || json_integer_value(id) < 1) {
		kh_errinfo_field(ctx->ei, field, "must be the id of a %s", kh_entity_find(entity)->singular);
		return KH_EVALIDATION;
	}
	enum kh_err err = kh_sales_access(ctx, kh_entity_find(entity), json_integer_value(id), KH_ACT_READ);
	if (err) {
		kh_errinfo_init(ctx->ei, ctx->arena);
		kh_errinfo_field(ctx->ei, field, "no %s you may see has this id", kh_entity_find(entity)->singular);
		return KH_EVALIDATION;
	}
	return KH_OK;
}

enum kh_err kh_lead_convert(struct kh_ctx *ctx, int64_t lead_id, json_t *body, struct kh_jw *w)
{
	const struct kh_entity *leads = kh_entity_find("leads");
	kh_json_members_only(body, "account_id contact_id opportunity", ctx->ei);
	json_t *opp = json_object_get(body, "opportunity");
	if (opp && !json_is_object(opp) && !json_is_false(opp))
		kh_errinfo_field(ctx->ei, "opportunity", "must be an object of fields, or false for none");
	if (ctx->ei->code)
		return ctx->ei->code;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "the database is busy");
	struct kh_values lead = {0};
	err = kh_sales_access(ctx, leads, lead_id, KH_ACT_EDIT);
	if (!err && (err = kh_sales_load(ctx, leads, lead_id, &lead)))
		kh_errinfo_set(ctx->ei, err, "cannot read lead %lld", (long long)lead_id);
	if (!err && lead.v[kh_field_index(leads, "converted_at")].t != KH_V_NULL)
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "lead %lld was converted at %s; it cannot be converted twice",
				     (long long)lead_id, lead.v[kh_field_index(leads, "converted_at")].s);
	if (!err && lead.v[kh_field_index(leads, "archived_at")].t != KH_V_NULL)
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "lead %lld is archived; restore it first", (long long)lead_id);
	json_t *acc_id = json_object_get(body, "account_id"), *con_id = json_object_get(body, "contact_id");
	if (!err && acc_id)
		err = check_ref(ctx, "accounts", acc_id, "account_id");
	if (!err && con_id)
		err = check_ref(ctx, "contacts", con_id, "contact_id");
	int64_t owner = lead.v ? (lead.v[kh_field_index(leads, "owner_id")].t == KH_V_INT
				   ? lead.v[kh_field_index(leads, "owner_id")].i : ctx->who->user_id) : 0;
	int64_t account = json_integer_value(acc_id), contact = json_integer_value(con_id), opportunity = 0;
	if (!err && !account) {
		json_t *a = json_object();
		copy_field(a, "name", leads, &lead, lead.v[kh_field_index(leads, "company")].t == KH_V_TEXT ? "company" : "name");
		copy_field(a, "industry", leads, &lead, "industry");
		copy_field(a, "employees", leads, &lead, "employees");
		copy_field(a, "source", leads, &lead, "source");
		copy_field(a, "city", leads, &lead, "city");
		copy_field(a, "province", leads, &lead, "province");
		copy_field(a, "phone", leads, &lead, "phone");
		if (owner)
			json_object_set_new(a, "owner_id", json_integer(owner));
		err = kh_sales_create_json(ctx, "accounts", a, &account);
		json_decref(a);
	}
	if (!err && !contact) {
		json_t *c = json_pack("{s:I}", "account_id", (json_int_t)account);
		static const char *const same[] = {"name", "title", "email", "phone", "mobile", "wechat", "source", "city",
						   "province", NULL};
		for (int i = 0; same[i]; i++)
			copy_field(c, same[i], leads, &lead, same[i]);
		if (owner)
			json_object_set_new(c, "owner_id", json_integer(owner));
		err = kh_sales_create_json(ctx, "contacts", c, &contact);
		json_decref(c);
	}
	if (!err && !json_is_false(opp)) {
		json_t *o = json_is_object(opp) ? json_deep_copy(opp) : json_object();
		if (!json_object_get(o, "name")) {
			const struct kh_val *co = &lead.v[kh_field_index(leads, "company")], *nm = &lead.v[kh_field_index(leads, "name")];
			char *name = kh_arena_printf(ctx->arena, "%.*s", (int)(co->t == KH_V_TEXT ? co->n : nm->n),
						     co->t == KH_V_TEXT ? co->s : nm->s);
			json_object_set_new(o, "name", json_string(name ? name : "Opportunity"));
		}
		json_object_set_new(o, "account_id", json_integer(account));
		json_object_set_new(o, "contact_id", json_integer(contact));
		if (!json_object_get(o, "source"))
			copy_field(o, "source", leads, &lead, "source");
		if (!json_object_get(o, "campaign_id"))
			copy_field(o, "campaign_id", leads, &lead, "campaign_id");
		if (owner && !json_object_get(o, "owner_id"))
			json_object_set_new(o, "owner_id", json_integer(owner));
		err = kh_sales_create_json(ctx, "opportunities", o, &opportunity);
		json_decref(o);
	}
	/* The lead's activities now belong to the customer (and the deal). */
	if (!err) {
		struct kh_val p = KH_VINT(lead_id);
		struct kh_rows *rows;
		int64_t ids[1000];
		int n = 0;
		if (!(err = kh_db_query(ctx->db, "SELECT id FROM activities WHERE lead_id = $1 ORDER BY id", &p, 1, &rows))) {
			while (n < 1000 && kh_rows_next(ctx->db, rows) > 0)
				ids[n++] = kh_rows_col(ctx->db, rows, 0).i;
			kh_rows_end(ctx->db, rows);
		}
		const struct kh_entity *acts = kh_entity_find("activities");
		for (int i = 0; !err && i < n; i++) {
			struct kh_values a;
			if (kh_values_init(&a, acts, ctx->arena))
				err = KH_ENOMEM;
			struct kh_values cur;
			if (!err)
				err = kh_sales_load(ctx, acts, ids[i], &cur);
			static const char *const links[] = {"account_id", "contact_id", "opportunity_id"};
			int64_t to[3] = {account, contact, opportunity};
			for (int k = 0; !err && k < 3; k++) {
				int f = kh_field_index(acts, links[k]);
				if (to[k] && cur.v[f].t == KH_V_NULL) {
					a.v[f] = KH_VINT(to[k]);
					a.set[f] = 1;
				}
			}
			if (!err)
				err = kh_record_patch(ctx, &a, ids[i], -1);
		}
		/* Campaign members that were this lead are now converted customers. */
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_val q[4] = {KH_VINT(lead_id), KH_VINT(contact), KH_VINT(account), KH_VTEXT(now)};
		if (!err)
			err = kh_db_exec(ctx->db,
					 "UPDATE campaign_members SET status = 'converted', converted_at = $4, contact_id = "
					 "COALESCE(contact_id, $2), account_id = COALESCE(account_id, $3), updated_at = $4, "
					 "version = version + 1 WHERE lead_id = $1 AND archived_at IS NULL",
					 q, 4);
	}
	if (!err) {
		struct kh_values l;
		if (kh_values_init(&l, leads, ctx->arena))
			err = KH_ENOMEM;
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct {
			const char *f;
			struct kh_val v;
		} set[] = {{"status", KH_VTEXT("converted")}, {"converted_account_id", KH_VINT(account)},
			   {"converted_contact_id", KH_VINT(contact)},
			   {"converted_opportunity_id", opportunity ? KH_VINT(opportunity) : KH_VNULL},
			   {"converted_at", KH_VTEXT(now)}};
		for (size_t i = 0; !err && i < sizeof set / sizeof set[0]; i++) {
			int f = kh_field_index(leads, set[i].f);
			l.v[f] = set[i].v;
			l.set[f] = 1;
		}
		if (!err)
			err = kh_record_patch(ctx, &l, lead_id, -1);
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "cannot convert lead %lld", (long long)lead_id);
		return ctx->ei->code;
	}
	kh_jw_obj(w);
	kh_jw_key(w, "account_id");
	kh_jw_int(w, account);
	kh_jw_key(w, "contact_id");
	kh_jw_int(w, contact);
	kh_jw_key(w, "opportunity_id");
	if (opportunity)
		kh_jw_int(w, opportunity);
	else
		kh_jw_null(w);
	kh_jw_obj_end(w);
	return KH_OK;
}

/* ---- explanations ---- */

enum kh_err kh_lead_score_explain(struct kh_ctx *ctx, int64_t lead_id, struct kh_jw *w)
{
	const struct kh_entity *e = kh_entity_find("leads");
	struct kh_values v;
	enum kh_err err = kh_sales_access(ctx, e, lead_id, KH_ACT_READ);
	if (!err && (err = kh_sales_load(ctx, e, lead_id, &v)))
		return kh_errinfo_set(ctx->ei, err, "cannot read lead %lld", (long long)lead_id);
	if (err)
		return err;
	struct score s;
	kh_jw_obj(w);
	err = score_lead(ctx->db, e, v.v, lead_id, &s, w);
	kh_jw_key(w, "rule_score");
	kh_jw_int(w, s.rule_score);
	kh_jw_key(w, "learned_score");
	if (s.learned < 0)
		kh_jw_null(w);
	else
		kh_jw_int(w, s.learned);
	kh_jw_key(w, "score");
	kh_jw_int(w, s.score);
	kh_jw_key(w, "how");
	kh_jw_str(w, s.learned < 0 ? "the rule points, capped at 100 (no learned model yet)"
				   : "the mean of the rule points (capped at 100) and the learned score");
	kh_jw_obj_end(w);
	return err ? kh_errinfo_set(ctx->ei, err, "cannot score the lead") : KH_OK;
}

enum kh_err kh_lead_duplicates(struct kh_ctx *ctx, int64_t lead_id, struct kh_jw *w)
{
	const struct kh_entity *e = kh_entity_find("leads");
	struct kh_values v;
	enum kh_err err = kh_sales_access(ctx, e, lead_id, KH_ACT_READ);
	if (!err && (err = kh_sales_load(ctx, e, lead_id, &v)))
		return kh_errinfo_set(ctx->ei, err, "cannot read lead %lld", (long long)lead_id);
	if (err)
		return err;
	struct dup d[MAX_DUPS];
	const struct kh_val *phones[2] = {&v.v[kh_field_index(e, "phone")], &v.v[kh_field_index(e, "mobile")]};
	int n = find_dups(ctx->db, lead_id, &v.v[kh_field_index(e, "email")], phones, &v.v[kh_field_index(e, "name")],
			  &v.v[kh_field_index(e, "company")], d);
	kh_jw_obj(w);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	for (int i = 0; i < n; i++) {
		const struct kh_entity *de = kh_entity_find(d[i].entity);
		/* Only what the principal may see. */
		struct kh_errinfo quiet;
		kh_errinfo_init(&quiet, ctx->arena);
		struct kh_ctx c2 = *ctx;
		c2.ei = &quiet;
		if (kh_sales_access(&c2, de, d[i].id, KH_ACT_READ))
			continue;
		kh_jw_obj(w);
		kh_jw_key(w, "entity");
		kh_jw_str(w, d[i].entity);
		kh_jw_key(w, "id");
		kh_jw_int(w, d[i].id);
		kh_jw_key(w, "reason");
		kh_jw_str(w, d[i].why);
		struct kh_values dv;
		if (!kh_sales_load(ctx, de, d[i].id, &dv)) {
			kh_jw_key(w, "title");
			const struct kh_val *t = &dv.v[kh_field_index(de, de->title->name)];
			if (t->t == KH_V_TEXT)
				kh_jw_strn(w, t->s, t->n);
			else
				kh_jw_null(w);
		}
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return KH_OK;
}

enum kh_err kh_lead_assign(struct kh_ctx *ctx, int64_t lead_id, struct kh_jw *w)
{
	const struct kh_entity *e = kh_entity_find("leads");
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	struct kh_values v;
	if (!err)
		err = kh_sales_access(ctx, e, lead_id, KH_ACT_EDIT);
	if (!err && (err = kh_sales_load(ctx, e, lead_id, &v)))
		kh_errinfo_set(ctx->ei, err, "cannot read lead %lld", (long long)lead_id);
	int64_t user = 0, rule = 0;
	if (!err)
		err = assign_by_rules(ctx, e, v.v, 0, &user, &rule);
	if (!err && !user)
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "no assignment rule matches this lead");
	if (!err) {
		struct kh_values p;
		if (kh_values_init(&p, e, ctx->arena))
			err = KH_ENOMEM;
		if (!err) {
			p.v[kh_field_index(e, "owner_id")] = KH_VINT(user);
			p.set[kh_field_index(e, "owner_id")] = 1;
			/* The rule decides: whoever runs it may hand the lead on. */
			struct kh_ctx sys = *ctx;
			sys.who = &system_principal;
			err = kh_record_patch(&sys, &p, lead_id, -1);
		}
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_val a[4] = {KH_VINT(lead_id), KH_VINT(rule), KH_VINT(user), KH_VTEXT(now)};
		if (!err)
			err = kh_db_exec(ctx->db,
					 "INSERT INTO kh_lead_assignments (lead_id, rule_id, user_id, assigned_at, reason) "
					 "VALUES ($1, $2, $3, $4, 'manual')",
					 a, 4);
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		return ctx->ei->code ? ctx->ei->code : kh_errinfo_set(ctx->ei, err, "cannot assign the lead");
	}
	kh_jw_obj(w);
	kh_jw_key(w, "owner_id");
	kh_jw_int(w, user);
	kh_jw_key(w, "rule_id");
	kh_jw_int(w, rule);
	kh_jw_obj_end(w);
	return KH_OK;
}

/* ---- the learned score ---- */

enum kh_err kh_lead_model_train(struct kh_ctx *ctx, struct kh_jw *w)
{
	const struct kh_entity *e = kh_entity_find("leads");
	struct kh_db *db = ctx->db;
	struct kh_rows *rows;
	char *sql = kh_arena_printf(ctx->arena,
				    "%s WHERE status IN ('converted', 'unqualified') AND archived_at IS NULL ORDER BY id",
				    e->select_sql);
	enum kh_err err = sql ? kh_db_query(db, sql, NULL, 0, &rows) : KH_ENOMEM;
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the leads");
	size_t n = 0, cap = 0;
	double *X = NULL;
	uint8_t *y = NULL;
	int64_t *ids = NULL;
	int rc;
	struct kh_val *v = kh_arena_calloc(ctx->arena, (size_t)e->nfields, sizeof *v);
	while (v && (rc = kh_rows_next(db, rows)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			double *nx = realloc(X, cap * NFEAT * sizeof *X);
			uint8_t *ny = realloc(y, cap);
			int64_t *ni = realloc(ids, cap * sizeof *ids);
			if (nx)
				X = nx;
			if (ny)
				y = ny;
			if (ni)
				ids = ni;
			if (!nx || !ny || !ni) {
				rc = -KH_ENOMEM;
				break;
			}
		}
		for (int c = 0; c < e->nselect; c++)
			v[e->select_field[c]] = kh_rows_col(db, rows, c);
		ids[n] = v[0].i;
		y[n] = kh_sales_is(&v[kh_field_index(e, "status")], "converted");
		lead_features(e, v, 0, X + n * NFEAT);
		n++;
	}
	kh_rows_end(db, rows);
	/* Activities are counted after the scan: the same connection. */
	for (size_t i = 0; i < n; i++)
		X[i * NFEAT + 10] = log1p((double)lead_activities(db, ids[i]));
	size_t pos = 0;
	for (size_t i = 0; i < n; i++)
		pos += y[i];
	if (n < 20 || pos < 5 || n - pos < 5) {
		free(X), free(y), free(ids);
		return kh_errinfo_set(ctx->ei, KH_ECONFLICT,
				      "not enough history to learn from: %zu closed leads (%zu converted); need 20 with 5 "
				      "of each outcome",
				      n, pos);
	}
	struct kh_logreg m;
	err = kh_logreg_fit(&m, X, y, n, NFEAT, 1.0);
	double *prob = err ? NULL : malloc(n * sizeof *prob);
	double auc = NAN;
	if (prob) {
		kh_logreg_predict_all(&m, X, n, prob);
		auc = kh_auc(prob, y, n);
	}
	json_t *coef = json_array(), *mean = json_array();
	for (int j = 0; !err && j < NFEAT; j++) {
		json_array_append_new(coef, json_real(m.coef[j + 1]));
		json_array_append_new(mean, json_real(m.mean[j]));
	}
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	json_t *doc = json_pack("{s:o, s:o, s:f, s:I, s:f}", "coef", coef, "mean", mean, "intercept", err ? 0 : m.coef[0],
				"trained_on", (json_int_t)n, "auc", isnan(auc) ? 0.0 : auc);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	free(prob);
	free(X), free(y), free(ids);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "the model could not be fitted");
	struct kh_val p[2] = {KH_VTEXT(text ? text : "{}"), KH_VTEXT(now)};
	err = kh_db_begin(db, KH_TX_WRITE);
	if (!err)
		err = kh_db_exec(db, "DELETE FROM kh_sales_models WHERE name = 'lead_score'", NULL, 0);
	if (!err)
		err = kh_db_exec(db, "INSERT INTO kh_sales_models (name, model, trained_at) VALUES ('lead_score', $1, $2)", p,
				 2);
	if (!err)
		err = kh_db_commit(db);
	else
		kh_db_rollback(db);
	free(text);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot store the model");
	/* Rescore open leads through the write path, so rules see the change. */
	int64_t open_ids[5000];
	int no = 0;
	if (!kh_db_query(db, "SELECT id FROM leads WHERE status IN ('new', 'contacted', 'qualified') AND archived_at IS NULL "
			     "ORDER BY id LIMIT 5000",
			 NULL, 0, &rows)) {
		while (no < 5000 && kh_rows_next(db, rows) > 0)
			open_ids[no++] = kh_rows_col(db, rows, 0).i;
		kh_rows_end(db, rows);
	}
	struct kh_ctx sys = *ctx;
	sys.who = &system_principal;
	int rescored = 0;
	for (int i = 0; i < no; i += 200) {
		if (kh_db_begin(db, KH_TX_WRITE))
			break;
		for (int k = i; k < no && k < i + 200; k++) {
			struct kh_values cur, upd;
			struct score s;
			if (kh_sales_load(&sys, e, open_ids[k], &cur) || score_lead(db, e, cur.v, open_ids[k], &s, NULL) ||
			    kh_values_init(&upd, e, ctx->arena))
				continue;
			upd.v[kh_field_index(e, "learned_score")] = KH_VINT(s.learned);
			upd.set[kh_field_index(e, "learned_score")] = 1;
			if (!kh_record_patch(&sys, &upd, open_ids[k], -1))
				rescored++;
		}
		if (kh_db_commit(db))
			kh_db_rollback(db);
	}
	kh_jw_obj(w);
	kh_jw_key(w, "trained_on");
	kh_jw_int(w, (int64_t)n);
	kh_jw_key(w, "converted");
	kh_jw_int(w, (int64_t)pos);
	kh_jw_key(w, "auc");
	if (isnan(auc))
		kh_jw_null(w);
	else
		kh_jw_double(w, auc);
	kh_jw_key(w, "rescored");
	kh_jw_int(w, rescored);
	kh_jw_key(w, "features");
	kh_jw_arr(w);
	for (int j = 0; j < NFEAT; j++) {
		kh_jw_obj(w);
		kh_jw_key(w, "name");
		kh_jw_str(w, feature_names[j]);
		kh_jw_key(w, "coefficient");
		kh_jw_double(w, m.coef[j + 1]);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return KH_OK;
}

enum kh_err kh_lead_model_job(struct kh_ctx *ctx, json_t *payload)
{
	(void)payload;
	struct kh_buf b = KH_BUF_INIT;
	struct kh_jw w;
	kh_jw_init(&w, &b);
	enum kh_err err = kh_lead_model_train(ctx, &w);
	kh_buf_release(&b);
	if (err == KH_ECONFLICT) /* not enough history yet: not a failure */
		return KH_OK;
	return err;
}

/* An activity logged on a lead (or moved off one) changes its engagement. */
enum kh_err kh_leads_on_change(struct kh_ctx *ctx, const struct kh_change *c)
{
	if (strcmp(c->entity, "activities"))
		return KH_OK;
	json_t *pair = json_object_get(c->changes, "lead_id");
	int64_t ids[2] = {0, 0};
	if (json_is_array(pair)) {
		ids[0] = json_integer_value(json_array_get(pair, 0));
		ids[1] = json_integer_value(json_array_get(pair, 1));
	} else if (!strcmp(c->action, "archive") || !strcmp(c->action, "restore")) {
		struct kh_val p = KH_VINT(c->record_id);
		kh_db_int(ctx->db, "SELECT lead_id FROM activities WHERE id = $1", &p, 1, &ids[0]);
	}
	const struct kh_entity *e = kh_entity_find("leads");
	for (int i = 0; i < 2; i++) {
		if (!ids[i] || (i && ids[1] == ids[0]))
			continue;
		struct kh_values cur, upd;
		struct score s;
		if (kh_sales_load(ctx, e, ids[i], &cur) || cur.v[kh_field_index(e, "archived_at")].t != KH_V_NULL)
			continue;
		enum kh_err err = score_lead(ctx->db, e, cur.v, ids[i], &s, NULL);
		if (err)
			return err;
		if (cur.v[kh_field_index(e, "score")].t == KH_V_INT && cur.v[kh_field_index(e, "score")].i == s.score &&
		    cur.v[kh_field_index(e, "rule_score")].t == KH_V_INT &&
		    cur.v[kh_field_index(e, "rule_score")].i == s.rule_score)
			continue;
		if (kh_values_init(&upd, e, ctx->arena))
			return KH_ENOMEM;
		upd.v[kh_field_index(e, "rule_score")] = KH_VINT(s.rule_score);
		upd.set[kh_field_index(e, "rule_score")] = 1;
		if ((err = kh_record_patch(ctx, &upd, ids[i], -1)))
			return err;
	}
	return KH_OK;
}

/* ---- public web forms ---- */

static const char *const default_form_fields[] = {"name", "company", "title", "email", "phone", "mobile", "wechat",
						  "city", "province", "industry", "employees", "description", NULL};

struct form {
	int64_t id, owner, campaign;
	int active, rate;
	char name[201], source[32], honeypot[41], redirect[2001], message[301];
	json_t *fields, *required;
};

static enum kh_err form_load(struct kh_ctx *ctx, const char *key, struct form *f)
{
	memset(f, 0, sizeof *f);
	struct kh_val p = KH_VTEXT(key);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT id, owner_id, campaign_id, active, rate_limit, name, lead_source, "
				      "honeypot_field, redirect_url, success_message, fields, required_fields FROM web_forms "
				      "WHERE form_key = $1 AND archived_at IS NULL",
				      &p, 1, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the form");
	if (kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val v[12];
		for (int i = 0; i < 12; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		f->id = v[0].i;
		f->owner = v[1].t == KH_V_INT ? v[1].i : 0;
		f->campaign = v[2].t == KH_V_INT ? v[2].i : 0;
		f->active = (int)v[3].i;
		f->rate = v[4].t == KH_V_INT ? (int)v[4].i : 20;
		snprintf(f->name, sizeof f->name, "%s", v[5].t == KH_V_TEXT ? v[5].s : "");
		snprintf(f->source, sizeof f->source, "%s", v[6].t == KH_V_TEXT ? v[6].s : "web");
		snprintf(f->honeypot, sizeof f->honeypot, "%s", v[7].t == KH_V_TEXT ? v[7].s : "website");
		snprintf(f->redirect, sizeof f->redirect, "%s", v[8].t == KH_V_TEXT ? v[8].s : "");
		snprintf(f->message, sizeof f->message, "%s", v[9].t == KH_V_TEXT ? v[9].s : "");
		f->fields = v[10].t == KH_V_TEXT ? json_loadb(v[10].s, v[10].n, 0, NULL) : NULL;
		f->required = v[11].t == KH_V_TEXT ? json_loadb(v[11].s, v[11].n, 0, NULL) : NULL;
	}
	kh_rows_end(ctx->db, rows);
	if (!f->id || !f->active) {
		json_decref(f->fields);
		json_decref(f->required);
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "no such form, or it is switched off");
	}
	if (!json_array_size(f->fields)) {
		json_decref(f->fields);
		f->fields = json_array();
		for (int i = 0; default_form_fields[i]; i++)
			json_array_append_new(f->fields, json_string(default_form_fields[i]));
	}
	return KH_OK;
}

static void form_release(struct form *f)
{
	json_decref(f->fields);
	json_decref(f->required);
}

static int in_array(json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return 1;
	}
	return 0;
}

/* The web_forms entity: a key is made for a new form; its fields must be
 * fields of leads that people may fill in. */
enum kh_err kh_web_form_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	if (w->op == KH_OP_CREATE) {
		unsigned char raw[15];
		char key[24];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2base64(key, sizeof key, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		char *k = kh_arena_strdup(ctx->arena, key);
		if (!k)
			return KH_ENOMEM;
		kh_write_set(w, "form_key", KH_VTEXT(k));
		if (kh_write_get(w, "honeypot_field")->t == KH_V_NULL)
			kh_write_set(w, "honeypot_field", KH_VTEXT("website"));
	}
	const struct kh_entity *leads = kh_entity_find("leads");
	static const char *const lists[] = {"fields", "required_fields"};
	json_t *fields = NULL;
	for (int l = 0; l < 2; l++) {
		const struct kh_val *v = kh_write_get(w, lists[l]);
		json_t *a = v->t == KH_V_TEXT ? json_loadb(v->s, v->n, 0, NULL) : NULL;
		size_t i;
		json_t *x;
		json_array_foreach(a, i, x) {
			const struct kh_field *f = kh_field_find(leads, json_string_value(x));
			if (!f || (f->flags & (KH_F_SYSTEM | KH_F_READONLY)) || f->type == KH_T_REF ||
			    !strcmp(f->name, "status") || !strcmp(f->name, "score") || !strcmp(f->name, "source"))
				kh_errinfo_field(ctx->ei, lists[l], "%s is not a lead field a visitor may fill in",
						 json_string_value(x));
			else if (l == 1 && json_array_size(fields) && !in_array(fields, json_string_value(x)))
				kh_errinfo_field(ctx->ei, lists[l], "%s is required but not among the form's fields",
						 json_string_value(x));
		}
		if (l == 0)
			fields = a;
		else
			json_decref(a);
	}
	json_decref(fields);
	const struct kh_val *hp = kh_write_get(w, "honeypot_field");
	if (hp->t == KH_V_TEXT && kh_field_find(leads, hp->s))
		kh_errinfo_field(ctx->ei, "honeypot_field", "must not be the name of a real lead field");
	return ctx->ei->code;
}

enum kh_err kh_web_form_describe(struct kh_ctx *ctx, const char *key, struct kh_jw *w)
{
	struct form f;
	enum kh_err err = form_load(ctx, key, &f);
	if (err)
		return err;
	const struct kh_entity *leads = kh_entity_find("leads");
	kh_jw_obj(w);
	kh_jw_key(w, "name");
	kh_jw_str(w, f.name);
	kh_jw_key(w, "honeypot_field");
	kh_jw_str(w, f.honeypot);
	kh_jw_key(w, "success_message");
	kh_jw_str(w, f.message[0] ? f.message : NULL);
	kh_jw_key(w, "redirect_url");
	kh_jw_str(w, f.redirect[0] ? f.redirect : NULL);
	kh_jw_key(w, "fields");
	kh_jw_arr(w);
	size_t i;
	json_t *x;
	json_array_foreach(f.fields, i, x) {
		const struct kh_field *fl = kh_field_find(leads, json_string_value(x));
		if (!fl)
			continue;
		kh_jw_obj(w);
		kh_jw_key(w, "name");
		kh_jw_str(w, fl->name);
		kh_jw_key(w, "type");
		kh_jw_str(w, kh_ftype_name(fl->type));
		kh_jw_key(w, "label_en");
		kh_jw_str(w, fl->label_en);
		kh_jw_key(w, "label_zh");
		kh_jw_str(w, fl->label_zh);
		kh_jw_key(w, "required");
		kh_jw_bool(w, !strcmp(fl->name, "name") || in_array(f.required, fl->name));
		if (fl->enum_values) {
			kh_jw_key(w, "values");
			kh_jw_arr(w);
			for (int k = 0; fl->enum_values[k]; k++)
				kh_jw_str(w, fl->enum_values[k]);
			kh_jw_arr_end(w);
		}
		if (kh_field_max_len(fl)) {
			kh_jw_key(w, "max_length");
			kh_jw_int(w, kh_field_max_len(fl));
		}
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	form_release(&f);
	return KH_OK;
}

/* Counts a submission from address against the form's hourly limit, in a
 * transaction of its own (refused submissions count too). */
static enum kh_err throttle(struct kh_ctx *ctx, const struct form *f, const char *address, int64_t *retry_after)
{
	char key[128], now[KH_TIME_LEN];
	snprintf(key, sizeof key, "f:%lld:%s", (long long)f->id, address ? address : "");
	int64_t t = kh_now();
	kh_time_format(t, now);
	struct kh_val p[2] = {KH_VTEXT(key), KH_VTEXT(now)};
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "the database is busy");
	struct kh_rows *rows;
	int64_t hits = -1, start = t;
	if (!(err = kh_db_query(ctx->db, "SELECT window_start, hits FROM kh_form_throttle WHERE key = $1", p, 1, &rows))) {
		if (kh_rows_next(ctx->db, rows) > 0) {
			struct kh_val ws = kh_rows_col(ctx->db, rows, 0);
			kh_time_parse(ws.s, ws.n, &start);
			hits = kh_rows_col(ctx->db, rows, 1).i;
		}
		kh_rows_end(ctx->db, rows);
	}
	int limited = 0;
	if (!err && (hits < 0 || t - start >= 3600 * 1000000LL)) {
		err = kh_db_exec(ctx->db, "DELETE FROM kh_form_throttle WHERE key = $1", p, 1);
		if (!err)
			err = kh_db_exec(ctx->db, "INSERT INTO kh_form_throttle (key, window_start, hits) VALUES ($1, $2, 1)",
					 p, 2);
	} else if (!err && hits >= f->rate) {
		limited = 1;
		*retry_after = (start + 3600 * 1000000LL - t + 999999) / 1000000;
	} else if (!err) {
		err = kh_db_exec(ctx->db, "UPDATE kh_form_throttle SET hits = hits + 1 WHERE key = $1", p, 1);
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	else
		kh_db_rollback(ctx->db);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot count the submission");
	if (limited)
		return kh_errinfo_set(ctx->ei, KH_ERATE, "too many submissions from your address; try again in %lld s",
				      (long long)*retry_after);
	return KH_OK;
}

static void answer(struct kh_jw *w, const struct form *f)
{
	kh_jw_obj(w);
	kh_jw_key(w, "status");
	kh_jw_str(w, "received");
	kh_jw_key(w, "message");
	kh_jw_str(w, f->message[0] ? f->message : "Thank you! We will be in touch soon.");
	kh_jw_key(w, "redirect_url");
	kh_jw_str(w, f->redirect[0] ? f->redirect : NULL);
	kh_jw_obj_end(w);
}

enum kh_err kh_web_form_submit(struct kh_ctx *ctx, const char *key, const char *address, json_t *body,
			       int64_t *retry_after, struct kh_jw *w)
{
	struct form f;
	enum kh_err err = form_load(ctx, key, &f);
	if (err)
		return err;
	if ((err = throttle(ctx, &f, address, retry_after))) {
		form_release(&f);
		return err;
	}
	struct kh_val fid = KH_VINT(f.id);
	/* A filled honeypot is a robot: it hears "thank you", nothing is kept. */
	json_t *hp = json_object_get(body, f.honeypot);
	if (hp && !(json_is_string(hp) && !*json_string_value(hp)) && !json_is_null(hp)) {
		kh_db_exec(ctx->db, "UPDATE web_forms SET spam_blocked = spam_blocked + 1 WHERE id = $1", &fid, 1);
		answer(w, &f);
		form_release(&f);
		return KH_OK;
	}
	json_t *lead = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		if (!strcmp(k, f.honeypot))
			continue;
		if (!in_array(f.fields, k)) {
			kh_errinfo_field(ctx->ei, k, "is not a field of this form");
			continue;
		}
		json_object_set(lead, k, v);
	}
	size_t i;
	json_t *r;
	json_array_foreach(f.required, i, r) {
		json_t *x = json_object_get(body, json_string_value(r));
		if (!x || json_is_null(x) || (json_is_string(x) && !*json_string_value(x)))
			kh_errinfo_field(ctx->ei, json_string_value(r), "is required");
	}
	if (ctx->ei->code) {
		json_decref(lead);
		form_release(&f);
		return ctx->ei->code;
	}
	json_object_set_new(lead, "source", json_string(f.source));
	if (f.campaign)
		json_object_set_new(lead, "campaign_id", json_integer(f.campaign));
	json_object_set_new(lead, "owner_id", json_null()); /* the assignment rules decide */
	struct kh_ctx sys = *ctx;
	sys.who = &system_principal;
	int64_t id = 0;
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_record_create(&sys, kh_entity_find("leads"), lead, &id);
	if (!err && f.owner) {
		/* Nobody by the rules: the form's owner. */
		struct kh_val p[2] = {KH_VINT(id), KH_VINT(f.owner)};
		int64_t owner = 0;
		kh_db_int(ctx->db, "SELECT COALESCE(owner_id, 0) FROM leads WHERE id = $1", p, 1, &owner);
		if (!owner) {
			const struct kh_entity *le = kh_entity_find("leads");
			struct kh_values u;
			if (kh_values_init(&u, le, ctx->arena))
				err = KH_ENOMEM;
			else {
				u.v[kh_field_index(le, "owner_id")] = KH_VINT(f.owner);
				u.set[kh_field_index(le, "owner_id")] = 1;
				err = kh_record_patch(&sys, &u, id, -1);
			}
		}
	}
	struct kh_val q[2] = {fid, KH_VTEXT(now)};
	if (!err)
		err = kh_db_exec(ctx->db,
				 "UPDATE web_forms SET submissions = submissions + 1, last_submission_at = $2 WHERE id = $1",
				 q, 2);
	if (!err)
		err = kh_db_commit(ctx->db);
	json_decref(lead);
	if (err) {
		kh_db_rollback(ctx->db);
		form_release(&f);
		return ctx->ei->code ? ctx->ei->code : kh_errinfo_set(ctx->ei, err, "cannot keep the submission");
	}
	answer(w, &f);
	form_release(&f);
	return KH_OK;
}
