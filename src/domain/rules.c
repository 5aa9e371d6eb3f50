/* Rules: conditions compiled once into field indices and typed values, so that
 * evaluating a rule against a record is a few comparisons (bench/rules/ runs
 * every rule against 100,000 changed records); loading rule sets; checking a
 * rule when it is saved; {{field}} expansion. The background side (the outbox
 * consumer, runs and their actions, the minute tick) is in rules_run.c. */
#include "domain/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/sales.h"
#include "model/record_json.h"
#include "util/clock.h"
#include "util/log.h"

static const char *const op_names[] = {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "empty",
				       "not_empty", "changed", "changed_to", "changed_from", NULL};
static const char *const kind_names[] = {"automation", "assignment", "scoring", NULL};
static const char *const trigger_names[] = {"created", "updated", "saved", "date_reached", "no_activity",
					    "score_crossed", NULL};

static int name_index(const char *const *names, const char *s)
{
	for (int i = 0; s && names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* "today", "today+7", "today-30": days from today; KH_COND_NOT_RELATIVE if not. */
static int relative_days(const char *s)
{
	if (strncmp(s, "today", 5))
		return KH_COND_NOT_RELATIVE;
	if (!s[5])
		return 0;
	if ((s[5] != '+' && s[5] != '-') || !s[6] || strlen(s + 6) > 4)
		return KH_COND_NOT_RELATIVE;
	int n = 0;
	for (const char *p = s + 6; *p; p++) {
		if (*p < '0' || *p > '9')
			return KH_COND_NOT_RELATIVE;
		n = n * 10 + (*p - '0');
	}
	return s[5] == '-' ? -n : n;
}

/* One JSON value as the field's typed value, checked by the field's rules. */
static const char *typed_value(const struct kh_field *f, json_t *j, struct kh_val *out, struct kh_arena *a)
{
	char num[32];
	const char *text;
	if (json_is_string(j))
		text = json_string_value(j);
	else if (json_is_integer(j))
		text = (snprintf(num, sizeof num, "%lld", (long long)json_integer_value(j)), num);
	else if (json_is_boolean(j))
		text = json_is_true(j) ? "true" : "false";
	else
		return "must be a string, a whole number or true/false";
	if (f->type == KH_T_TAGS || f->type == KH_T_TEXT || f->type == KH_T_JSON) {
		char *copy = kh_arena_strdup(a, text);
		if (!copy)
			return "out of memory";
		*out = KH_VTEXT(copy);
		return NULL;
	}
	const char *why;
	if (kh_validate_text(f, text, out, a, &why))
		return why ? why : "is not valid";
	return NULL;
}

static enum kh_err compile_cond(struct kh_rule_cond *c, const struct kh_entity *e, json_t *j, struct kh_arena *a,
				const char **why)
{
	const char *fname = json_string_value(json_object_get(j, "field"));
	const char *opname = json_string_value(json_object_get(j, "op"));
	json_t *value = json_object_get(j, "value");
	if (!json_is_object(j) || !fname || !opname) {
		*why = "each condition needs \"field\" and \"op\"";
		return KH_EVALIDATION;
	}
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		if (strcmp(key, "field") && strcmp(key, "op") && strcmp(key, "value")) {
			*why = kh_arena_printf(a, "condition on %s: unknown member \"%s\"", fname, key);
			return KH_EVALIDATION;
		}
	}
	int op = name_index(op_names, opname);
	if (op < 0) {
		*why = kh_arena_printf(a, "condition on %s: unknown op \"%s\" (eq, ne, gt, gte, lt, lte, in, not_in, "
					  "contains, empty, not_empty, changed, changed_to, changed_from)",
				       fname, opname);
		return KH_EVALIDATION;
	}
	static const struct kh_field activities = {.name = "activities", .type = KH_T_INT};
	const struct kh_field *f;
	if (!strcmp(fname, "activities")) {
		c->field = KH_COND_ACTIVITIES;
		f = &activities;
	} else {
		c->field = kh_field_index(e, fname);
		f = c->field >= 0 ? &e->fields[c->field] : NULL;
		if (!f || (f->flags & KH_F_WRITEONLY)) {
			*why = kh_arena_printf(a, "%s has no field %s", e->name, fname);
			return KH_EVALIDATION;
		}
	}
	c->op = (enum kh_cond_op)op;
	c->rel_days = KH_COND_NOT_RELATIVE;
	int needs_value = op != KH_OP_EMPTY && op != KH_OP_NOT_EMPTY && op != KH_OP_CHANGED;
	if (!needs_value) {
		if (value) {
			*why = kh_arena_printf(a, "condition on %s: %s takes no value", fname, opname);
			return KH_EVALIDATION;
		}
		return KH_OK;
	}
	int list = op == KH_OP_IN || op == KH_OP_NOT_IN;
	if (list ? !json_is_array(value) || json_array_size(value) == 0 || json_array_size(value) > 100
		 : !value || json_is_array(value) || json_is_object(value) || json_is_null(value)) {
		*why = kh_arena_printf(a, "condition on %s: %s needs %s", fname, opname,
				       list ? "a list of 1 to 100 values" : "one value");
		return KH_EVALIDATION;
	}
	c->nvals = list ? (int)json_array_size(value) : 1;
	c->vals = kh_arena_calloc(a, (size_t)c->nvals, sizeof *c->vals);
	if (!c->vals) {
		*why = "out of memory";
		return KH_ENOMEM;
	}
	if (!list && json_is_string(value) && (f->type == KH_T_DATE || f->type == KH_T_DATETIME) &&
	    (c->rel_days = relative_days(json_string_value(value))) != KH_COND_NOT_RELATIVE)
		return KH_OK;
	if (op == KH_OP_CONTAINS && f->type != KH_T_TAGS && kh_field_coltype(f) != KH_COL_TEXT) {
		*why = kh_arena_printf(a, "condition on %s: contains is for text and tags", fname);
		return KH_EVALIDATION;
	}
	for (int i = 0; i < c->nvals; i++) {
		json_t *item = list ? json_array_get(value, (size_t)i) : value;
		const char *bad = op == KH_OP_CONTAINS ? (json_is_string(item) ? NULL : "must be text")
						       : typed_value(f, item, &c->vals[i], a);
		if (op == KH_OP_CONTAINS && !bad) {
			/* Folded once here, so matching folds only the record's side. */
			char *s = kh_arena_strdup(a, json_string_value(item));
			for (char *p = s; p && *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			c->vals[i] = s ? KH_VTEXT(s) : KH_VNULL;
		}
		if (bad) {
			*why = kh_arena_printf(a, "condition on %s: %s %s", fname, json_is_string(item) ? json_string_value(item) : "value", bad);
			return KH_EVALIDATION;
		}
	}
	return KH_OK;
}

enum kh_err kh_rule_compile(struct kh_rule *r, const struct kh_entity *e, json_t *conditions, struct kh_arena *a,
			    const char **why)
{
	r->e = e;
	r->nconds = 0;
	r->any = 0;
	r->uses_activities = 0;
	if (!conditions || json_object_size(conditions) == 0)
		return KH_OK;
	json_t *all = json_object_get(conditions, "all"), *any = json_object_get(conditions, "any");
	json_t *list = all ? all : any;
	if (json_object_size(conditions) != 1 || !json_is_array(list) || json_array_size(list) > 50) {
		*why = "must be {\"all\": [conditions]} or {\"any\": [conditions]} with at most 50 conditions";
		return KH_EVALIDATION;
	}
	r->any = any != NULL;
	r->conds = kh_arena_calloc(a, json_array_size(list) + 1, sizeof *r->conds);
	if (!r->conds)
		return KH_ENOMEM;
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c) {
		enum kh_err err = compile_cond(&r->conds[r->nconds], e, c, a, why);
		if (err)
			return err;
		r->uses_activities |= r->conds[r->nconds].field == KH_COND_ACTIVITIES;
		r->nconds++;
	}
	return KH_OK;
}

/* ---- matching ---- */

static int val_cmp(const struct kh_val *a, const struct kh_val *b, int *ok)
{
	*ok = 1;
	if (a->t == KH_V_INT && b->t == KH_V_INT)
		return (a->i > b->i) - (a->i < b->i);
	if (a->t == KH_V_TEXT && b->t == KH_V_TEXT) {
		size_t n = a->n < b->n ? a->n : b->n;
		int c = memcmp(a->s, b->s, n);
		return c ? c : (a->n > b->n) - (a->n < b->n);
	}
	*ok = 0;
	return 0;
}

static int val_eq(const struct kh_val *a, const struct kh_val *b)
{
	int ok, c = val_cmp(a, b, &ok);
	return ok && c == 0;
}

static int empty(const struct kh_val *v)
{
	return v->t == KH_V_NULL || (v->t == KH_V_TEXT && (v->n == 0 || (v->n == 2 && !memcmp(v->s, "[]", 2))));
}

/* ASCII-case-insensitive substring; needle is already lower-case. */
static int contains(const struct kh_val *hay, const struct kh_val *needle)
{
	if (hay->t != KH_V_TEXT || needle->n > hay->n)
		return 0;
	for (size_t i = 0; i + needle->n <= hay->n; i++) {
		size_t k = 0;
		while (k < needle->n) {
			char c = hay->s[i + k];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != needle->s[k])
				break;
			k++;
		}
		if (k == needle->n)
			return 1;
	}
	return 0;
}

static int cond_match(const struct kh_rule_cond *c, const struct kh_rule_rec *rec)
{
	struct kh_val act, rel;
	const struct kh_val *v, *want = c->vals;
	if (c->field == KH_COND_ACTIVITIES) {
		act = KH_VINT(rec->activities < 0 ? 0 : rec->activities);
		v = &act;
	} else {
		v = &rec->cur[c->field];
	}
	char day[11];
	if (c->rel_days != KH_COND_NOT_RELATIVE) {
		kh_date_format(kh_date_days(rec->today) + c->rel_days, day);
		rel = KH_VTEXTN(day, 10);
		want = &rel;
		if (v->t == KH_V_TEXT && v->n > 10) { /* a date-time against a day: compare the day */
			act = KH_VTEXTN(v->s, 10);
			v = &act;
		}
	}
	int changed = c->field >= 0 && rec->changed && rec->changed[c->field];
	int ok, cmp;
	switch (c->op) {
	case KH_OP_EQ: return val_eq(v, want);
	case KH_OP_NE: return !val_eq(v, want);
	case KH_OP_GT: cmp = val_cmp(v, want, &ok); return ok && cmp > 0;
	case KH_OP_GTE: cmp = val_cmp(v, want, &ok); return ok && cmp >= 0;
	case KH_OP_LT: cmp = val_cmp(v, want, &ok); return ok && cmp < 0;
	case KH_OP_LTE: cmp = val_cmp(v, want, &ok); return ok && cmp <= 0;
	case KH_OP_IN:
	case KH_OP_NOT_IN:
		for (int i = 0; i < c->nvals; i++)
			if (val_eq(v, &c->vals[i]))
				return c->op == KH_OP_IN;
		return c->op == KH_OP_NOT_IN;
	case KH_OP_CONTAINS:
		if (c->field >= 0 && rec->cur && v->t == KH_V_TEXT && v->n && v->s[0] == '[') {
			/* tags: a JSON array of strings; look for the quoted tag */
			char q[256];
			int n = snprintf(q, sizeof q, "\"%.*s\"", (int)want->n, want->s);
			struct kh_val needle = KH_VTEXTN(q, n < (int)sizeof q ? (size_t)n : sizeof q - 1);
			return contains(v, &needle);
		}
		return contains(v, want);
	case KH_OP_EMPTY: return empty(v);
	case KH_OP_NOT_EMPTY: return !empty(v);
	case KH_OP_CHANGED: return rec->old ? changed : !empty(v);
	case KH_OP_CHANGED_TO: return (rec->old ? changed : 1) && val_eq(v, want);
	case KH_OP_CHANGED_FROM: return rec->old && changed && val_eq(&rec->old[c->field], want);
	}
	return 0;
}

int kh_rule_match(const struct kh_rule *r, const struct kh_rule_rec *rec)
{
	if (r->nconds == 0)
		return 1;
	for (int i = 0; i < r->nconds; i++) {
		int m = cond_match(&r->conds[i], rec);
		if (r->any && m)
			return 1;
		if (!r->any && !m)
			return 0;
	}
	return !r->any;
}

/* ---- rule sets ---- */

void kh_ruleset_release(struct kh_ruleset *rs)
{
	if (rs->arena) {
		kh_arena_release(rs->arena);
		free(rs->arena);
	}
	memset(rs, 0, sizeof *rs);
}

static char *dup_text(struct kh_arena *a, struct kh_val v)
{
	return v.t == KH_V_TEXT ? kh_arena_strndup(a, v.s, v.n) : NULL;
}

enum kh_err kh_ruleset_load(struct kh_db *db, enum kh_rule_kind kind, const char *entity, struct kh_ruleset *rs)
{
	memset(rs, 0, sizeof *rs);
	rs->arena = malloc(sizeof *rs->arena);
	if (!rs->arena)
		return KH_ENOMEM;
	kh_arena_init(rs->arena);
	struct kh_val p[2] = {KH_VTEXT(kind_names[kind]), KH_VTEXT(entity ? entity : "")};
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      entity ? "SELECT id, name, entity, trigger, params, conditions, actions, points, "
					       "position, created_at FROM rules WHERE kind = $1 AND entity = $2 AND "
					       "active = 1 AND archived_at IS NULL ORDER BY position, id"
					     : "SELECT id, name, entity, trigger, params, conditions, actions, points, "
					       "position, created_at FROM rules WHERE kind = $1 AND active = 1 AND "
					       "archived_at IS NULL ORDER BY position, id",
				      p, entity ? 2 : 1, &rows);
	if (err) {
		kh_ruleset_release(rs);
		return err;
	}
	int cap = 0, rc;
	while ((rc = kh_rows_next(db, rows)) > 0) {
		if (rs->n == cap) {
			int ncap = cap ? cap * 2 : 16;
			struct kh_rule *nr = kh_arena_calloc(rs->arena, (size_t)ncap, sizeof *nr);
			if (!nr) {
				rc = -KH_ENOMEM;
				break;
			}
			if (rs->n)
				memcpy(nr, rs->rules, (size_t)rs->n * sizeof *nr);
			rs->rules = nr;
			cap = ncap;
		}
		struct kh_rule *r = &rs->rules[rs->n];
		memset(r, 0, sizeof *r);
		struct kh_val ent = kh_rows_col(db, rows, 2), cond = kh_rows_col(db, rows, 5);
		const struct kh_entity *e = ent.t == KH_V_TEXT ? kh_entity_findn(ent.s, ent.n) : NULL;
		r->id = kh_rows_col(db, rows, 0).i;
		r->name = dup_text(rs->arena, kh_rows_col(db, rows, 1));
		r->kind = kind;
		struct kh_val trig = kh_rows_col(db, rows, 3);
		int t = trig.t == KH_V_TEXT ? name_index(trigger_names, trig.s) : KH_TRIG_SAVED;
		r->trigger = t < 0 ? KH_TRIG_SAVED : (enum kh_rule_trigger)t;
		r->params = dup_text(rs->arena, kh_rows_col(db, rows, 4));
		r->actions = dup_text(rs->arena, kh_rows_col(db, rows, 6));
		r->points = (int)kh_rows_col(db, rows, 7).i;
		r->position = (int)kh_rows_col(db, rows, 8).i;
		r->created_at = dup_text(rs->arena, kh_rows_col(db, rows, 9));
		json_t *cj = cond.t == KH_V_TEXT ? json_loadb(cond.s, cond.n, 0, NULL) : NULL;
		const char *why = "its entity is gone";
		if (!e || kh_rule_compile(r, e, cj, rs->arena, &why))
			kh_warn("rule %lld (%s) is left out: %s", (long long)r->id, r->name ? r->name : "", why);
		else
			rs->n++;
		json_decref(cj);
	}
	kh_rows_end(db, rows);
	if (rc < 0) {
		kh_ruleset_release(rs);
		return (enum kh_err)-rc;
	}
	return KH_OK;
}

/* ---- checking a rule when it is saved ---- */

static const char *check_params(enum kh_rule_trigger t, const struct kh_entity *e, json_t *p, struct kh_arena *a)
{
	if (t == KH_TRIG_DATE) {
		const char *f = json_string_value(json_object_get(p, "field"));
		const struct kh_field *fld = f ? kh_field_find(e, f) : NULL;
		json_t *off = json_object_get(p, "offset_days");
		if (!fld || (fld->type != KH_T_DATE && fld->type != KH_T_DATETIME))
			return kh_arena_printf(a, "date_reached needs {\"field\": a date field of %s, \"offset_days\": n}",
					       e->name);
		if (off && (!json_is_integer(off) || json_integer_value(off) < -3650 || json_integer_value(off) > 3650))
			return "offset_days must be a whole number from -3650 to 3650";
		return NULL;
	}
	if (t == KH_TRIG_IDLE) {
		json_t *d = json_object_get(p, "days");
		if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 3650)
			return "no_activity needs {\"days\": 1 to 3650}";
		return NULL;
	}
	if (t == KH_TRIG_SCORE) {
		const char *s = json_string_value(json_object_get(p, "score"));
		json_t *above = json_object_get(p, "above");
		if (!s || !*s || strlen(s) > 60 || !json_is_number(above))
			return "score_crossed needs {\"score\": a numeric field or score name, \"above\": a number}";
		const struct kh_field *f = kh_field_find(e, s);
		if (f && kh_field_coltype(f) != KH_COL_INT)
			return kh_arena_printf(a, "%s is not a numeric field", s);
		return NULL;
	}
	if (p && json_object_size(p))
		return "this trigger takes no settings";
	return NULL;
}

static const char *const action_names[] = {"set", "assign", "add_to_campaign", "create_task", "send_email",
					   "webhook", NULL};

static const char *check_actions(struct kh_ctx *ctx, const struct kh_entity *e, json_t *acts)
{
	struct kh_arena *a = ctx->arena;
	if (!acts || json_object_size(acts) == 0)
		return "an automation rule needs at least one action";
	const char *key;
	json_t *v;
	json_object_foreach(acts, key, v) {
		if (name_index(action_names, key) < 0)
			return kh_arena_printf(a, "unknown action \"%s\" (set, assign, add_to_campaign, create_task, "
						  "send_email, webhook)",
					       key);
		if (!json_is_object(v))
			return kh_arena_printf(a, "%s needs an object of settings", key);
	}
	json_t *set = json_object_get(acts, "set");
	if (set) {
		/* Checked as a PATCH of the entity would be. */
		struct kh_values vals;
		struct kh_errinfo ei;
		kh_errinfo_init(&ei, a);
		if (kh_values_init(&vals, e, a) ||
		    kh_validate_json(set, KH_VALIDATE_UPDATE, &vals, NULL, a, &ei) || json_object_size(set) == 0)
			return ei.nfields ? kh_arena_printf(a, "set: %s %s", ei.fields[0].field, ei.fields[0].msg)
					  : "set needs fields to change";
		if (json_object_get(set, "version"))
			return "set: version cannot be set";
	}
	json_t *as = json_object_get(acts, "assign");
	if (as) {
		json_t *uid = json_object_get(as, "user_id"), *team = json_object_get(as, "team_id"),
		       *users = json_object_get(as, "user_ids");
		const char *m = json_string_value(json_object_get(as, "method"));
		if (!!json_is_integer(uid) + !!json_is_integer(team) + !!json_is_array(users) != 1)
			return "assign needs one of user_id, team_id or user_ids";
		if (m && strcmp(m, "round_robin") && strcmp(m, "load"))
			return "assign: method must be round_robin or load";
	}
	json_t *camp = json_object_get(acts, "add_to_campaign");
	if (camp) {
		int64_t found;
		struct kh_val id = KH_VINT(json_integer_value(json_object_get(camp, "campaign_id")));
		if (!json_is_integer(json_object_get(camp, "campaign_id")) ||
		    kh_db_int(ctx->db, "SELECT id FROM campaigns WHERE id = $1 AND archived_at IS NULL", &id, 1, &found))
			return "add_to_campaign needs the campaign_id of a live campaign";
	}
	json_t *task = json_object_get(acts, "create_task");
	if (task) {
		const char *subj = json_string_value(json_object_get(task, "subject"));
		json_t *due = json_object_get(task, "due_days"), *to = json_object_get(task, "assign_to");
		if (!subj || !*subj || strlen(subj) > 200)
			return "create_task needs a subject (up to 200 characters)";
		if (due && (!json_is_integer(due) || json_integer_value(due) < 0 || json_integer_value(due) > 3650))
			return "create_task: due_days must be 0 to 3650";
		if (to && !json_is_integer(to) && !(json_is_string(to) && !strcmp(json_string_value(to), "owner")))
			return "create_task: assign_to must be \"owner\" or a user id";
	}
	json_t *mail = json_object_get(acts, "send_email");
	if (mail) {
		int64_t found;
		struct kh_val id = KH_VINT(json_integer_value(json_object_get(mail, "template_id")));
		const char *to = json_string_value(json_object_get(mail, "to"));
		if (!json_is_integer(json_object_get(mail, "template_id")) ||
		    kh_db_int(ctx->db, "SELECT id FROM templates WHERE id = $1 AND kind = 'email' AND archived_at IS NULL",
			      &id, 1, &found))
			return "send_email needs the template_id of an e-mail template";
		if (to && strcmp(to, "record") && strcmp(to, "owner"))
			return "send_email: to must be record or owner";
	}
	json_t *hook = json_object_get(acts, "webhook");
	if (hook) {
		const char *url = json_string_value(json_object_get(hook, "url"));
		if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strlen(url) > 2000)
			return "webhook needs an http:// or https:// url";
	}
	return NULL;
}

static json_t *json_field(struct kh_write *w, const char *name)
{
	const struct kh_val *v = kh_write_get(w, name);
	return v->t == KH_V_TEXT ? json_loadb(v->s, v->n, 0, NULL) : NULL;
}

enum kh_err kh_rule_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	const struct kh_val *ent = kh_write_get(w, "entity"), *kind = kh_write_get(w, "kind"),
			    *trig = kh_write_get(w, "trigger");
	const struct kh_entity *e = ent->t == KH_V_TEXT ? kh_entity_findn(ent->s, ent->n) : NULL;
	if (!e || (e->flags & (KH_E_ADMIN_WRITE | KH_E_OWN_ROUTES))) {
		kh_errinfo_field(ctx->ei, "entity", "must name an entity of records (leads, opportunities, ...)");
		return KH_EVALIDATION;
	}
	int k = kind->t == KH_V_TEXT ? name_index(kind_names, kind->s) : 0;
	int t = trig->t == KH_V_TEXT ? name_index(trigger_names, trig->s) : KH_TRIG_SAVED;
	if ((k == KH_RULE_ASSIGNMENT || k == KH_RULE_SCORING) && strcmp(e->name, "leads"))
		kh_errinfo_field(ctx->ei, "entity", "assignment and scoring rules are for leads");
	json_t *params = json_field(w, "params"), *conds = json_field(w, "conditions"), *acts = json_field(w, "actions");
	struct kh_rule r = {0};
	const char *why = NULL;
	if (k == KH_RULE_AUTOMATION && (why = check_params((enum kh_rule_trigger)t, e, params, ctx->arena)))
		kh_errinfo_field(ctx->ei, "params", "%s", why);
	why = NULL;
	if (kh_rule_compile(&r, e, conds, ctx->arena, &why))
		kh_errinfo_field(ctx->ei, "conditions", "%s", why ? why : "are not valid");
	if (k == KH_RULE_AUTOMATION && (why = check_actions(ctx, e, acts)))
		kh_errinfo_field(ctx->ei, "actions", "%s", why);
	if (k == KH_RULE_ASSIGNMENT) {
		json_t *as = json_object_get(acts, "assign");
		if (!as || json_object_size(acts) != 1 || (why = check_actions(ctx, e, acts)))
			kh_errinfo_field(ctx->ei, "actions", "%s",
					 why ? why : "an assignment rule has one action: {\"assign\": {...}}");
		json_t *idle = json_object_get(params, "reassign_after_days");
		if (params && (json_object_size(params) != 1 || !json_is_integer(idle) || json_integer_value(idle) < 1))
			kh_errinfo_field(ctx->ei, "params", "an assignment rule takes {\"reassign_after_days\": n}");
	}
	if (k == KH_RULE_SCORING && json_object_size(acts))
		kh_errinfo_field(ctx->ei, "actions", "scoring rules give points, not actions");
	if (k == KH_RULE_SCORING && kh_write_get(w, "points")->t != KH_V_INT)
		kh_errinfo_field(ctx->ei, "points", "is required for a scoring rule");
	json_decref(conds);
	json_decref(acts);
	if (ctx->ei->code) {
		json_decref(params);
		return ctx->ei->code;
	}
	/* Time-based rules need the minute tick running; a new or changed one is
	 * looked at right away. */
	int timed = (k == KH_RULE_AUTOMATION && (t == KH_TRIG_DATE || t == KH_TRIG_IDLE)) ||
		    (k == KH_RULE_ASSIGNMENT && json_object_get(params, "reassign_after_days"));
	json_decref(params);
	return kh_rules_ensure_tick(ctx->db, timed);
}

/* ---- {{field}} ---- */

char *kh_rule_expand(const char *text, const struct kh_entity *e, const struct kh_val *vals, struct kh_arena *a)
{
	struct kh_buf out = KH_BUF_INIT;
	const char *p = text;
	while (*p) {
		const char *open = strstr(p, "{{"), *close = open ? strstr(open + 2, "}}") : NULL;
		if (!open || !close) {
			kh_buf_adds(&out, p);
			break;
		}
		kh_buf_add(&out, p, (size_t)(open - p));
		const char *name = open + 2;
		while (*name == ' ')
			name++;
		size_t n = (size_t)(close - name);
		while (n && name[n - 1] == ' ')
			n--;
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)(n < 63 ? n : 63), name);
		int i = kh_field_index(e, key);
		const struct kh_field *f = i >= 0 ? &e->fields[i] : NULL;
		if (f && !(f->flags & KH_F_WRITEONLY) && vals) {
			const struct kh_val *v = &vals[i];
			if (v->t == KH_V_TEXT)
				kh_buf_add(&out, v->s, v->n);
			else if (v->t == KH_V_INT && f->type == KH_T_MONEY)
				kh_buf_addf(&out, "%lld.%02lld", (long long)(v->i / 100), (long long)(v->i % 100));
			else if (v->t == KH_V_INT)
				kh_buf_add_int(&out, v->i);
		}
		p = close + 2;
	}
	char *s = out.err ? NULL : kh_arena_strndup(a, out.data, out.len);
	kh_buf_release(&out);
	return s ? s : kh_arena_strdup(a, text);
}
