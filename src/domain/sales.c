/* The sales module's tables, seeds, grants, settings and quotas, and the
 * helpers its files share. */
#include "domain/sales.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/permission.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- helpers ---- */

int kh_sales_is(const struct kh_val *v, const char *s)
{
	return v->t == KH_V_TEXT && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

void kh_sales_today(char out[11])
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	memcpy(out, now, 10);
	out[10] = '\0';
}

int64_t kh_sales_decimal_micros(const char *s, size_t n)
{
	int64_t whole = 0, frac = 0;
	size_t i = 0;
	int digits = 0, places = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (whole > 1000000000LL)
			return -1;
		whole = whole * 10 + (s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, places++) {
			if (places == 6)
				return -1;
			frac = frac * 10 + (s[i] - '0');
			digits++;
		}
	}
	if (i != n || digits == 0)
		return -1;
	for (; places < 6; places++)
		frac *= 10;
	int64_t v = whole * 1000000 + frac;
	return v > 0 ? v : -1;
}

enum kh_err kh_sales_load(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_values *vals)
{
	if (kh_values_init(vals, e, ctx->arena))
		return KH_ENOMEM;
	char *sql = kh_arena_printf(ctx->arena, "%s WHERE id = $1", e->select_sql);
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	enum kh_err err = sql ? kh_db_query(ctx->db, sql, &p, 1, &rows) : KH_ENOMEM;
	if (err)
		return err;
	int rc = kh_rows_next(ctx->db, rows);
	for (int c = 0; rc > 0 && c < e->nselect; c++) {
		struct kh_val v = kh_rows_col(ctx->db, rows, c);
		if (v.t == KH_V_TEXT && !(v.s = kh_arena_strndup(ctx->arena, v.s, v.n)))
			rc = -KH_ENOMEM;
		vals->v[e->select_field[c]] = v;
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return (enum kh_err)-rc;
	return rc == 0 ? KH_ENOTFOUND : KH_OK;
}

enum kh_err kh_sales_access(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, int action)
{
	/* Visible at all (else 404), then allowed to act (else 403). */
	for (int i = 0; i < 2; i++) {
		enum kh_action a = i ? (enum kh_action)action : KH_ACT_READ;
		if (i && (a == KH_ACT_READ || kh_scope_of(ctx->who, e, a) == KH_SCOPE_ALL))
			break;
		struct kh_buf sql = KH_BUF_INIT;
		struct kh_val p[8] = {KH_VINT(id)};
		int n = 1;
		int64_t found;
		kh_buf_addf(&sql, "SELECT id FROM %s WHERE id = $1", e->name);
		kh_scope_sql(ctx->who, e, a, &sql, p, &n, 8);
		enum kh_err err = sql.err ? sql.err : kh_db_int(ctx->db, sql.data, p, n, &found);
		kh_buf_release(&sql);
		if (err == KH_ENOTFOUND && !i)
			return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "%s %lld not found", e->singular, (long long)id);
		if (err == KH_ENOTFOUND)
			return kh_errinfo_set(ctx->ei, KH_EFORBIDDEN, "you may not %s this %s", kh_action_name(a),
					      e->singular);
		if (err)
			return kh_errinfo_set(ctx->ei, err, "cannot read %s %lld", e->singular, (long long)id);
	}
	return KH_OK;
}

enum kh_err kh_sales_create_json(struct kh_ctx *ctx, const char *entity, json_t *obj, int64_t *id)
{
	const struct kh_entity *e = kh_entity_find(entity);
	if (!e)
		return kh_errinfo_set(ctx->ei, KH_EINTERNAL, "no entity %s", entity);
	return kh_record_create(ctx, e, obj, id);
}

enum kh_err kh_sales_patch_json(struct kh_ctx *ctx, const char *entity, int64_t id, json_t *obj)
{
	const struct kh_entity *e = kh_entity_find(entity);
	if (!e)
		return kh_errinfo_set(ctx->ei, KH_EINTERNAL, "no entity %s", entity);
	return kh_record_update(ctx, e, id, obj, -1);
}

/* ---- migration 100: the module's own tables ---- */

enum kh_err kh_sales_migrate(struct kh_db *db)
{
	const char *pk = db->ops->pk_decl;
	char history[400], runs[600], quotas[400], assignments[300];
	snprintf(history, sizeof history,
		 "CREATE TABLE kh_stage_history (id %s, opportunity_id INTEGER NOT NULL, pipeline_id INTEGER, "
		 "stage TEXT NOT NULL, entered_at TEXT NOT NULL, left_at TEXT, user_id INTEGER)",
		 pk);
	/* trigger_key makes each firing of a rule happen once: the change it saw,
	 * or the date, idle period or score that fired it. */
	snprintf(runs, sizeof runs,
		 "CREATE TABLE kh_rule_runs (id %s, rule_id INTEGER NOT NULL, entity TEXT NOT NULL, "
		 "record_id INTEGER NOT NULL, trigger_key TEXT NOT NULL UNIQUE, outbox_id INTEGER, "
		 "depth INTEGER NOT NULL, status TEXT NOT NULL, actions TEXT NOT NULL, attempts INTEGER NOT NULL, "
		 "error TEXT, created_at TEXT NOT NULL, finished_at TEXT)",
		 pk);
	snprintf(quotas, sizeof quotas,
		 "CREATE TABLE kh_sales_quotas (id %s, subject TEXT NOT NULL, user_id INTEGER, team_id INTEGER, "
		 "period TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL, updated_at TEXT NOT NULL, "
		 "updated_by INTEGER, UNIQUE (subject, period))",
		 pk);
	snprintf(assignments, sizeof assignments,
		 "CREATE TABLE kh_lead_assignments (id %s, lead_id INTEGER NOT NULL, rule_id INTEGER, "
		 "user_id INTEGER, assigned_at TEXT NOT NULL, reason TEXT NOT NULL)",
		 pk);
	const char *const stmts[] = {
		history,
		"CREATE INDEX ix_kh_stage_history_opp ON kh_stage_history (opportunity_id, id)",
		"CREATE INDEX ix_kh_stage_history_stage ON kh_stage_history (stage, entered_at)",
		runs,
		"CREATE INDEX ix_kh_rule_runs_rule ON kh_rule_runs (rule_id, id)",
		"CREATE INDEX ix_kh_rule_runs_status ON kh_rule_runs (status, id)",
		"CREATE TABLE kh_rule_steps (run_id INTEGER NOT NULL, step TEXT NOT NULL, status TEXT NOT NULL, "
		"detail TEXT, at TEXT NOT NULL, PRIMARY KEY (run_id, step))",
		"CREATE TABLE kh_rule_effects (outbox_id INTEGER PRIMARY KEY, rule_id INTEGER NOT NULL, "
		"depth INTEGER NOT NULL)",
		quotas,
		"CREATE TABLE kh_scores (entity TEXT NOT NULL, record_id INTEGER NOT NULL, name TEXT NOT NULL, "
		"value REAL NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (entity, record_id, name))",
		"CREATE TABLE kh_sales_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)",
		"CREATE TABLE kh_form_throttle (key TEXT PRIMARY KEY, window_start TEXT NOT NULL, hits INTEGER NOT NULL)",
		assignments,
		"CREATE INDEX ix_kh_lead_assignments_lead ON kh_lead_assignments (lead_id, id)",
		"CREATE TABLE kh_sales_models (name TEXT PRIMARY KEY, model TEXT NOT NULL, trained_at TEXT NOT NULL)",
		NULL,
	};
	enum kh_err err = KH_OK;
	for (int i = 0; !err && stmts[i]; i++)
		err = kh_db_exec(db, stmts[i], NULL, 0);
	return err;
}

/* ---- migration 101: seeds ---- */

static const char default_pipeline[] =
	"{\"stages\":["
	"{\"key\":\"prospecting\",\"probability\":10,\"forecast_category\":\"pipeline\",\"max_days\":30},"
	"{\"key\":\"qualification\",\"probability\":20,\"forecast_category\":\"pipeline\",\"max_days\":30},"
	"{\"key\":\"needs_analysis\",\"probability\":40,\"forecast_category\":\"pipeline\",\"max_days\":30},"
	"{\"key\":\"proposal\",\"probability\":60,\"forecast_category\":\"best_case\",\"max_days\":21},"
	"{\"key\":\"negotiation\",\"probability\":80,\"forecast_category\":\"commit\",\"max_days\":21},"
	"{\"key\":\"closed_won\",\"probability\":100},"
	"{\"key\":\"closed_lost\",\"probability\":0}],"
	"\"won_reasons\":[\"price\",\"product_fit\",\"relationship\",\"service\",\"timing\"],"
	"\"lost_reasons\":[\"price\",\"competitor\",\"no_budget\",\"no_decision\",\"product_fit\",\"timing\"]}";

/* Lead scoring rules: points for what predicts a sale in most B2B funnels.
 * They are rows of the rules table, to be tuned by each company. */
static const struct {
	const char *name, *conditions;
	int points;
} scoring_seed[] = {
	{"Referral or partner source", "{\"all\":[{\"field\":\"source\",\"op\":\"in\",\"value\":[\"referral\",\"partner\"]}]}", 20},
	{"Web or trade-show source", "{\"all\":[{\"field\":\"source\",\"op\":\"in\",\"value\":[\"web\",\"trade_show\"]}]}", 10},
	{"Decision maker's title",
	 "{\"any\":[{\"field\":\"title\",\"op\":\"contains\",\"value\":\"总\"},{\"field\":\"title\",\"op\":\"contains\",\"value\":\"经理\"},"
	 "{\"field\":\"title\",\"op\":\"contains\",\"value\":\"director\"},{\"field\":\"title\",\"op\":\"contains\",\"value\":\"head\"},"
	 "{\"field\":\"title\",\"op\":\"contains\",\"value\":\"chief\"},{\"field\":\"title\",\"op\":\"contains\",\"value\":\"vp\"}]}", 15},
	{"Company of 100+ employees", "{\"all\":[{\"field\":\"employees\",\"op\":\"gte\",\"value\":100}]}", 10},
	{"Company of 1,000+ employees", "{\"all\":[{\"field\":\"employees\",\"op\":\"gte\",\"value\":1000}]}", 10},
	{"Reachable by e-mail", "{\"all\":[{\"field\":\"email\",\"op\":\"not_empty\"}]}", 5},
	{"Reachable by phone", "{\"any\":[{\"field\":\"mobile\",\"op\":\"not_empty\"},{\"field\":\"phone\",\"op\":\"not_empty\"}]}", 5},
	{"Engaged: an activity logged", "{\"all\":[{\"field\":\"activities\",\"op\":\"gte\",\"value\":1}]}", 10},
	{"Engaged: three activities", "{\"all\":[{\"field\":\"activities\",\"op\":\"gte\",\"value\":3}]}", 10},
};

static enum kh_err seed_rule(struct kh_db *db, const char *now, const char *name, const char *kind,
			     const char *entity, const char *trigger, const char *params, const char *conditions,
			     const char *actions, int points, int position)
{
	struct kh_val k = KH_VTEXT(name);
	int64_t found;
	enum kh_err err = kh_db_int(db, "SELECT id FROM rules WHERE name = $1", &k, 1, &found);
	if (err != KH_ENOTFOUND)
		return err;
	struct kh_val p[10] = {k, KH_VTEXT(kind), KH_VTEXT(entity), KH_VTEXT(trigger),
		params ? KH_VTEXT(params) : KH_VNULL, conditions ? KH_VTEXT(conditions) : KH_VNULL,
		actions ? KH_VTEXT(actions) : KH_VNULL, KH_VINT(points), KH_VINT(position), KH_VTEXT(now)};
	return kh_db_exec(db,
			  "INSERT INTO rules (name, active, kind, entity, trigger, params, conditions, actions, points, "
			  "position, runs, failures, created_at, updated_at, version) "
			  "VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, $10, $10, 1)",
			  p, 10);
}

enum kh_err kh_sales_seed(struct kh_db *db)
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	int64_t found;
	struct kh_val p[3] = {KH_VTEXT("Standard"), KH_VTEXT(default_pipeline), KH_VTEXT(now)};
	enum kh_err err = kh_db_int(db, "SELECT id FROM pipelines WHERE is_default = 1", NULL, 0, &found);
	if (err == KH_ENOTFOUND)
		err = kh_db_exec(db,
				 "INSERT INTO pipelines (name, is_default, active, config, description, created_at, "
				 "updated_at, version) VALUES ($1, 1, 1, $2, 'The stages every opportunity starts in.', "
				 "$3, $3, 1)",
				 p, 3);
	for (size_t i = 0; !err && i < sizeof scoring_seed / sizeof scoring_seed[0]; i++)
		err = seed_rule(db, now, scoring_seed[i].name, "scoring", "leads", "saved", NULL, scoring_seed[i].conditions,
				NULL, scoring_seed[i].points, (int)(10 * (i + 1)));

	/* The win-back campaign, which the churn example feeds. */
	int64_t winback = 0;
	struct kh_val wname = KH_VTEXT("Win-back");
	if (!err && (err = kh_db_int(db, "SELECT id FROM campaigns WHERE name = $1", &wname, 1, &winback)) == KH_ENOTFOUND) {
		struct kh_val c[2] = {wname, KH_VTEXT(now)};
		err = kh_db_int(db,
				"INSERT INTO campaigns (name, type, status, currency, description, created_at, updated_at, "
				"version) VALUES ($1, 'email', 'active', 'CNY', 'Customers at risk of leaving, added by the "
				"churn-risk rule.', $2, $2, 1) RETURNING id",
				c, 2, &winback);
	}
	if (!err)
		err = seed_rule(db, now, "Won deal: onboarding task", "automation", "opportunities", "updated", NULL,
				"{\"all\":[{\"field\":\"status\",\"op\":\"changed_to\",\"value\":\"won\"}]}",
				"{\"create_task\":{\"assign_to\":\"owner\",\"due_days\":3,\"priority\":\"high\","
				"\"subject\":\"Onboarding: {{name}}\"}}",
				0, 10);
	if (!err) {
		char actions[256];
		snprintf(actions, sizeof actions,
			 "{\"add_to_campaign\":{\"campaign_id\":%lld},\"create_task\":{\"assign_to\":\"owner\","
			 "\"due_days\":2,\"subject\":\"Win back {{name}}\"}}",
			 (long long)winback);
		err = seed_rule(db, now, "Churn risk above 0.7: win-back", "automation", "accounts", "score_crossed",
				"{\"above\":0.7,\"score\":\"churn_risk\"}", NULL, actions, 0, 20);
	}
	/* The scheduler's first tick of time-based rules; each tick queues the next. */
	struct kh_val t = KH_VTEXT(now);
	if (!err)
		err = kh_db_exec(db,
				 "INSERT INTO kh_jobs (kind, status, run_at, payload, attempts, dedupe_key, created_at) "
				 "SELECT 'sales.tick', 'pending', $1, '{}', 0, 'sales.tick:seed', $1 WHERE NOT EXISTS "
				 "(SELECT 1 FROM kh_jobs WHERE dedupe_key = 'sales.tick:seed')",
				 &t, 1);
	return err;
}

/* ---- grants ---- */

static json_t *grant(const char *read, const char *create, const char *edit, const char *del, const char *exp,
		     const char *imp)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "read", read, "create", create, "edit", edit, "delete",
			 del, "export", exp, "import", imp);
}

/* Sellers own their quotes like their deals; marketing owns campaigns'
 * members, costs, templates and forms; configuration (pipelines, rules) is
 * for administrators (KH_E_ADMIN_WRITE) and price lists for managers. Members
 * can be changed by sellers too, because they log telemarketing calls. */
void kh_sales_grants(json_t *p, const char *key)
{
	static const char *const selling[] = {"quotes", "quote_lines", NULL};
	static const char *const marketing[] = {"campaign_members", "campaign_costs", "templates", "web_forms", NULL};
	int manager = !strcmp(key, "sales_manager"), rep = !strcmp(key, "sales_rep"),
	    mkt = !strcmp(key, "marketing"), agent = !strcmp(key, "service_agent");
	for (int i = 0; selling[i]; i++) {
		json_t *a = manager ? grant("team", "all", "team", "team", "team", "all")
			    : rep   ? grant("own", "all", "own", "own", "none", "none")
			    : agent ? grant("none", "none", "none", "none", "none", "none")
				    : grant("all", "none", "none", "none", "none", "none");
		json_object_set_new(p, selling[i], a);
	}
	for (int i = 0; marketing[i]; i++) {
		json_t *a = mkt			? grant("all", "all", "all", "all", "all", "all")
			    : manager && !strcmp(marketing[i], "templates") ? grant("all", "all", "all", "own", "none", "none")
			    : (manager || rep) && !strcmp(marketing[i], "campaign_members")
				    ? grant("all", "none", "all", "none", "none", "none")
				    : grant("all", "none", "none", "none", "none", "none");
		json_object_set_new(p, marketing[i], a);
	}
	json_object_set_new(p, "price_lists",
			    manager ? grant("all", "all", "all", "all", "all", "all")
				    : grant("all", "none", "none", "none", "none", "none"));
	json_object_set_new(p, "price_list_items",
			    manager ? grant("all", "all", "all", "all", "all", "all")
				    : grant("all", "none", "none", "none", "none", "none"));
}

/* Migration 102: built-in roles made before this module (their grants are
 * seeded with them) get its grants for the entities they do not name yet;
 * what an administrator already set stays. */
enum kh_err kh_sales_grants_upgrade(struct kh_db *db)
{
	static const char *const keys[] = {"sales_manager", "sales_rep", "service_agent", "marketing", NULL};
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	enum kh_err err = KH_OK;
	for (int i = 0; !err && keys[i]; i++) {
		struct kh_val k = KH_VTEXT(keys[i]);
		struct kh_rows *rows;
		json_t *perms = NULL;
		if ((err = kh_db_query(db, "SELECT permissions FROM roles WHERE key = $1 AND builtin = 1", &k, 1, &rows)))
			break;
		if (kh_rows_next(db, rows) > 0) {
			struct kh_val v = kh_rows_col(db, rows, 0);
			perms = v.t == KH_V_TEXT ? json_loadb(v.s, v.n, 0, NULL) : NULL;
		}
		kh_rows_end(db, rows);
		if (!json_is_object(perms)) {
			json_decref(perms);
			continue;
		}
		json_t *mine = json_object();
		kh_sales_grants(mine, keys[i]);
		const char *entity;
		json_t *g;
		int added = 0;
		json_object_foreach(mine, entity, g) {
			if (!json_object_get(perms, entity)) {
				json_object_set(perms, entity, g);
				added++;
			}
		}
		char *text = added ? json_dumps(perms, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		struct kh_val p[3] = {KH_VTEXT(text ? text : "{}"), KH_VTEXT(now), k};
		if (added)
			err = text ? kh_db_exec(db,
						"UPDATE roles SET permissions = $1, updated_at = $2, version = version + 1 "
						"WHERE key = $3 AND builtin = 1",
						p, 3)
				   : KH_ENOMEM;
		if (added && !err)
			kh_db_security_changed(db);
		free(text);
		json_decref(mine);
		json_decref(perms);
	}
	return err;
}

/* ---- settings ---- */

json_t *kh_sales_settings_get(struct kh_db *db)
{
	struct kh_rows *rows;
	json_t *s = NULL;
	if (kh_db_query(db, "SELECT value FROM kh_sales_settings WHERE key = 'settings'", NULL, 0, &rows) == KH_OK) {
		if (kh_rows_next(db, rows) > 0) {
			struct kh_val v = kh_rows_col(db, rows, 0);
			s = json_loadb(v.s, v.n, 0, NULL);
		}
		kh_rows_end(db, rows);
	}
	if (!json_is_object(s)) {
		json_decref(s);
		s = json_object();
	}
	return s;
}

static const struct {
	const char *name;
	int type; /* 's' string, 'i' integer, 'b' boolean */
	int secret;
} setting_keys[] = {
	{"smtp_url", 's', 0},        /* smtp://host:25, smtps://host:465 */
	{"smtp_tls", 's', 0},        /* none | starttls | required */
	{"smtp_username", 's', 0},
	{"smtp_password", 's', 1},
	{"smtp_insecure", 'b', 0},   /* accept a self-signed certificate (tests, private relays) */
	{"from_address", 's', 0},
	{"from_name", 's', 0},
	{"public_url", 's', 0},      /* where recipients reach this server: links in mails */
	{"send_rate_per_minute", 'i', 0},
	{"pdf_browser", 's', 0},     /* a Chromium binary for quote PDFs */
	{"company_name", 's', 0},    /* printed on quotes */
	{"company_address", 's', 0},
};

enum kh_err kh_sales_settings_put(struct kh_ctx *ctx, json_t *obj)
{
	json_t *old = kh_sales_settings_get(ctx->db);
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		size_t i = 0;
		while (i < sizeof setting_keys / sizeof setting_keys[0] && strcmp(setting_keys[i].name, key))
			i++;
		if (i == sizeof setting_keys / sizeof setting_keys[0]) {
			kh_errinfo_field(ctx->ei, key, "unknown setting");
			continue;
		}
		int ok = json_is_null(v) || (setting_keys[i].type == 's' && json_is_string(v)) ||
			 (setting_keys[i].type == 'i' && json_is_integer(v) && json_integer_value(v) >= 0) ||
			 (setting_keys[i].type == 'b' && json_is_boolean(v));
		if (!ok)
			kh_errinfo_field(ctx->ei, key, "must be %s",
					 setting_keys[i].type == 's'   ? "a string"
					 : setting_keys[i].type == 'i' ? "a whole number >= 0"
								       : "true or false");
	}
	const char *url = json_string_value(json_object_get(obj, "smtp_url"));
	if (url && *url && strncmp(url, "smtp://", 7) && strncmp(url, "smtps://", 8))
		kh_errinfo_field(ctx->ei, "smtp_url", "must start with smtp:// or smtps://");
	const char *tls = json_string_value(json_object_get(obj, "smtp_tls"));
	if (tls && strcmp(tls, "none") && strcmp(tls, "starttls") && strcmp(tls, "required"))
		kh_errinfo_field(ctx->ei, "smtp_tls", "must be none, starttls or required");
	const char *pub = json_string_value(json_object_get(obj, "public_url"));
	if (pub && *pub && strncmp(pub, "http://", 7) && strncmp(pub, "https://", 8))
		kh_errinfo_field(ctx->ei, "public_url", "must start with http:// or https://");
	if (ctx->ei->code) {
		json_decref(old);
		return ctx->ei->code;
	}
	/* A secret left out keeps its value; the UI never sees it to send back. */
	json_t *merged = json_deep_copy(obj);
	for (size_t i = 0; merged && i < sizeof setting_keys / sizeof setting_keys[0]; i++)
		if (setting_keys[i].secret && !json_object_get(merged, setting_keys[i].name) &&
		    json_object_get(old, setting_keys[i].name))
			json_object_set(merged, setting_keys[i].name, json_object_get(old, setting_keys[i].name));
	json_decref(old);
	char *text = merged ? json_dumps(merged, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(merged);
	if (!text)
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[2] = {KH_VTEXT(text), KH_VTEXT(now)};
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_db_exec(ctx->db, "DELETE FROM kh_sales_settings WHERE key = 'settings'", NULL, 0);
	if (!err)
		err = kh_db_exec(ctx->db, "INSERT INTO kh_sales_settings (key, value, updated_at) VALUES ('settings', $1, $2)",
				 p, 2);
	if (!err)
		err = kh_db_commit(ctx->db);
	else
		kh_db_rollback(ctx->db);
	free(text);
	return err ? kh_errinfo_set(ctx->ei, err, "cannot save the settings") : KH_OK;
}

enum kh_err kh_sales_settings_write(struct kh_ctx *ctx, struct kh_jw *w)
{
	json_t *s = kh_sales_settings_get(ctx->db);
	kh_jw_obj(w);
	for (size_t i = 0; i < sizeof setting_keys / sizeof setting_keys[0]; i++) {
		json_t *v = json_object_get(s, setting_keys[i].name);
		kh_jw_key(w, setting_keys[i].name);
		if (setting_keys[i].secret)
			kh_jw_str(w, json_is_string(v) && *json_string_value(v) ? "********" : NULL);
		else if (json_is_string(v))
			kh_jw_str(w, json_string_value(v));
		else if (json_is_integer(v))
			kh_jw_int(w, json_integer_value(v));
		else if (json_is_boolean(v))
			kh_jw_bool(w, json_is_true(v));
		else
			kh_jw_null(w);
	}
	kh_jw_obj_end(w);
	json_decref(s);
	return KH_OK;
}

/* ---- quotas ---- */

/* A currency code: three capital letters (ISO 4217's form, as the entities check it). */
static int currency_valid(const char *s)
{
	return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z';
}

/* A period is a month "2026-01" or a quarter "2026-Q1". */
static int period_valid(const char *s)
{
	size_t n = strlen(s);
	if (n != 7 || s[4] != '-')
		return 0;
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (s[5] == 'Q')
		return s[6] >= '1' && s[6] <= '4';
	return s[5] >= '0' && s[5] <= '1' && s[6] >= '0' && s[6] <= '9' && (s[5] - '0') * 10 + (s[6] - '0') >= 1 &&
	       (s[5] - '0') * 10 + (s[6] - '0') <= 12;
}

enum kh_err kh_quotas_write(struct kh_ctx *ctx, const char *from, const char *to, struct kh_jw *w)
{
	struct kh_val p[2] = {KH_VTEXT(from ? from : "0000"), KH_VTEXT(to ? to : "9999")};
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT user_id, team_id, period, amount, currency FROM kh_sales_quotas "
				      "WHERE period >= $1 AND period <= $2 ORDER BY period, subject",
				      p, 2, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read quotas");
	kh_jw_obj(w);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	int rc;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		kh_jw_obj(w);
		struct kh_val u = kh_rows_col(ctx->db, rows, 0), t = kh_rows_col(ctx->db, rows, 1);
		kh_jw_key(w, u.t == KH_V_INT ? "user_id" : "team_id");
		kh_jw_int(w, u.t == KH_V_INT ? u.i : t.i);
		kh_jw_key(w, "period");
		kh_jw_str(w, kh_rows_col(ctx->db, rows, 2).s);
		kh_jw_key(w, "amount");
		kh_jw_int(w, kh_rows_col(ctx->db, rows, 3).i);
		kh_jw_key(w, "currency");
		kh_jw_str(w, kh_rows_col(ctx->db, rows, 4).s);
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return rc < 0 ? kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read quotas") : KH_OK;
}

enum kh_err kh_quotas_put(struct kh_ctx *ctx, json_t *body)
{
	const struct kh_entity *opps = kh_entity_find("opportunities");
	if (!ctx->who->is_admin && kh_scope_of(ctx->who, opps, KH_ACT_EDIT) < KH_SCOPE_TEAM)
		return kh_errinfo_set(ctx->ei, KH_EFORBIDDEN, "only sales managers and administrators set quotas");
	json_t *list = json_object_get(body, "quotas");
	if (!json_is_array(list) || json_object_size(body) != 1)
		return kh_errinfo_set(ctx->ei, KH_EVALIDATION, "send {\"quotas\": [{\"user_id\" or \"team_id\", "
							      "\"period\", \"amount\"}]}");
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	size_t i;
	json_t *q;
	json_array_foreach(list, i, q) {
		if (err)
			break;
		char fname[32];
		snprintf(fname, sizeof fname, "quotas[%zu]", i);
		json_t *u = json_object_get(q, "user_id"), *t = json_object_get(q, "team_id"),
		       *per = json_object_get(q, "period"), *amt = json_object_get(q, "amount");
		json_t *jcur = json_object_get(q, "currency");
		const char *cur = json_string_value(jcur), *key;
		json_t *unused;
		int unknown = 0;
		json_object_foreach(q, key, unused)
			unknown |= strcmp(key, "user_id") && strcmp(key, "team_id") && strcmp(key, "period") &&
				   strcmp(key, "amount") && strcmp(key, "currency");
		if (!json_is_object(q) || unknown || (!!json_is_integer(u) == !!json_is_integer(t)) ||
		    !json_is_string(per) || !period_valid(json_string_value(per)) || !json_is_integer(amt) ||
		    json_integer_value(amt) < 0 || (jcur && (!cur || !currency_valid(cur)))) {
			kh_errinfo_field(ctx->ei, fname,
					 "needs user_id or team_id, a period (2026-01 or 2026-Q1), an amount >= 0 "
					 "in minor units and at most a currency code, nothing else");
			continue;
		}
		const char *table = json_is_integer(u) ? "users" : "teams";
		int64_t id = json_integer_value(json_is_integer(u) ? u : t), found;
		char sql[80];
		snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE id = $1", table);
		struct kh_val pid = KH_VINT(id);
		if (kh_db_int(ctx->db, sql, &pid, 1, &found)) {
			kh_errinfo_field(ctx->ei, fname, "no such %s %lld", json_is_integer(u) ? "user" : "team",
					 (long long)id);
			continue;
		}
		char subject[32];
		snprintf(subject, sizeof subject, "%c:%lld", json_is_integer(u) ? 'u' : 't', (long long)id);
		struct kh_val p[8] = {KH_VTEXT(subject), KH_VTEXT(json_string_value(per))};
		err = kh_db_exec(ctx->db, "DELETE FROM kh_sales_quotas WHERE subject = $1 AND period = $2", p, 2);
		if (err || json_integer_value(amt) == 0)
			continue;
		p[2] = json_is_integer(u) ? KH_VINT(id) : KH_VNULL;
		p[3] = json_is_integer(t) ? KH_VINT(id) : KH_VNULL;
		p[4] = KH_VINT(json_integer_value(amt));
		p[5] = KH_VTEXT(cur ? cur : "CNY");
		p[6] = KH_VTEXT(now);
		p[7] = ctx->who->user_id ? KH_VINT(ctx->who->user_id) : KH_VNULL;
		err = kh_db_exec(ctx->db,
				 "INSERT INTO kh_sales_quotas (subject, period, user_id, team_id, amount, currency, "
				 "updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
				 p, 8);
	}
	if (!err && ctx->ei->code)
		err = ctx->ei->code;
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		if (!ctx->ei->code)
			kh_errinfo_set(ctx->ei, err, "cannot save the quotas");
	}
	return err;
}

/* ---- background work (registered in domain/jobs_registry.c) ---- */

#include "domain/campaigns.h"
#include "domain/email.h"
#include "domain/jobs.h"
#include "domain/leads.h"
#include "domain/rules.h"

/* Rule runs and campaign batches keep their own per-step state, so running
 * one again after a crash repeats nothing that was done: repeatable. */
static const struct kh_job_kind rule_run = {"sales.rule_run", kh_rules_run_job, 6, 1};
static const struct kh_job_kind tick = {"sales.tick", kh_rules_tick_job, 3, 1};
static const struct kh_job_kind campaign_send = {"sales.campaign_send", kh_campaign_send_job, 8, 1};
static const struct kh_job_kind lead_model = {"sales.lead_model", kh_lead_model_job, 3, 1};
/* Each batch commits its leads together; a rerun takes the ones still unscored. */
static const struct kh_job_kind leads_arrived = {"sales.leads_arrived", kh_leads_arrived_job, 5, 1};
static const struct kh_outbox_consumer rules_consumer = {"sales.rules", kh_rules_on_change};
static const struct kh_outbox_consumer leads_consumer = {"sales.leads", kh_leads_on_change};

const struct kh_job_kind *const kh_sales_jobs[] = {&rule_run, &tick, &campaign_send, &lead_model, &leads_arrived,
						   NULL};
const struct kh_outbox_consumer *const kh_sales_consumers[] = {&rules_consumer, &leads_consumer, NULL};
