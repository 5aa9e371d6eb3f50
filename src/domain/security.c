#include "domain/security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/audit.h"
#include "domain/sales.h"
#include "domain/search.h"
#include "model/permission.h"
#include "model/record_json.h"
#include "util/clock.h"
#include "util/log.h"

static int is_text(const struct kh_val *v, const char *s)
{
	return v->t == KH_V_TEXT && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

/* ---- roles ---- */

enum kh_err kh_role_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	const struct kh_val *key = kh_write_get(w, "key");
	int builtin = w->old.v && kh_write_get(w, "builtin")->i;
	if (w->op == KH_OP_ARCHIVE) {
		if (builtin)
			return kh_errinfo_set(ctx->ei, KH_ECONFLICT, "built-in roles cannot be archived");
		int64_t users = 0;
		kh_db_int(ctx->db, "SELECT count(*) FROM users WHERE role = $1 AND archived_at IS NULL", key, 1, &users);
		if (users > 0)
			return kh_errinfo_set(ctx->ei, KH_ECONFLICT, "%lld users have this role; give them another first",
					      (long long)users);
		return KH_OK;
	}
	if (w->op == KH_OP_UPDATE && kh_write_changes(w, "key")) {
		kh_errinfo_field(ctx->ei, "key", "cannot change: users and keys refer to it");
		return KH_EVALIDATION;
	}
	if (key->t == KH_V_TEXT) {
		int ok = key->n >= 2 && key->s[0] >= 'a' && key->s[0] <= 'z';
		for (size_t i = 0; ok && i < key->n; i++)
			ok = (key->s[i] >= 'a' && key->s[i] <= 'z') || (key->s[i] >= '0' && key->s[i] <= '9') ||
			     key->s[i] == '_';
		if (!ok) {
			kh_errinfo_field(ctx->ei, "key", "lower-case letters, digits and _, starting with a letter");
			return KH_EVALIDATION;
		}
	}
	const struct kh_val *perms = kh_write_get(w, "permissions");
	if (perms->t == KH_V_TEXT) {
		struct kh_role r;
		const char *why = "is not valid JSON";
		json_t *j = json_loadb(perms->s, perms->n, 0, NULL);
		int bad = !j || kh_role_parse(&r, j, &why);
		json_decref(j);
		if (bad) {
			kh_errinfo_field(ctx->ei, "permissions", "%s", why);
			return KH_EVALIDATION;
		}
	}
	return KH_OK;
}

/* The built-in roles. Each names what it grants; "*" is the default for the
 * entities it does not name. They can be changed through the API (all but
 * their keys) and serve as the starting point for a company's own roles. */
static const char *const crm_entities[] = {"accounts", "contacts", "leads", "opportunities", "activities",
					   "orders", "order_lines", "cases", "contracts", NULL};

static json_t *actions(const char *read, const char *create, const char *edit, const char *del, const char *exp,
		       const char *imp)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "read", read, "create", create, "edit", edit, "delete",
			 del, "export", exp, "import", imp);
}

static json_t *builtin_permissions(const char *key)
{
	json_t *p = json_object();
	if (!strcmp(key, "admin")) {
		json_object_set_new(p, "*", actions("all", "all", "all", "all", "all", "all"));
		return p;
	}
	json_object_set_new(p, "*", actions("all", "none", "none", "none", "none", "none"));
	json_object_set_new(p, "api_keys", actions("own", "none", "none", "none", "none", "none"));
	json_object_set_new(p, "shares", actions("own", "all", "own", "own", "none", "none"));
	if (!strcmp(key, "analyst")) {
		json_object_set_new(p, "*", actions("all", "none", "none", "none", "all", "none"));
		json_object_set_new(p, "api_keys", actions("own", "none", "none", "none", "none", "none"));
		json_object_set_new(p, "shares", actions("own", "none", "none", "none", "none", "none"));
		return p;
	}
	if (!strcmp(key, "read_only")) {
		json_object_set_new(p, "shares", actions("own", "none", "none", "none", "none", "none"));
		return p;
	}
	for (int i = 0; crm_entities[i]; i++) {
		const char *e = crm_entities[i];
		json_t *a = NULL;
		if (!strcmp(key, "sales_manager"))
			a = actions("team", "all", "team", "team", "team", "all");
		else if (!strcmp(key, "sales_rep"))
			a = actions("own", "all", "own", "own", "none", "none");
		else if (!strcmp(key, "service_agent"))
			a = !strcmp(e, "cases") ? actions("all", "all", "all", "none", "none", "none")
			    : !strcmp(e, "leads") || !strcmp(e, "opportunities")
				    ? actions("none", "none", "none", "none", "none", "none")
			    : !strcmp(e, "orders") || !strcmp(e, "order_lines") || !strcmp(e, "contracts")
				    ? actions("all", "none", "none", "none", "none", "none")
				    : actions("all", "all", "own", "own", "none", "none");
		else if (!strcmp(key, "marketing"))
			a = !strcmp(e, "leads") ? actions("all", "all", "all", "own", "all", "all")
			    : !strcmp(e, "contacts") || !strcmp(e, "accounts")
				    ? actions("all", "all", "own", "none", "all", "all")
				    : actions("all", "none", "none", "none", "none", "none");
		if (a)
			json_object_set_new(p, e, a);
	}
	json_object_set_new(p, "consents", actions("all", "all", "all", "none", "none", "none"));
	if (!strcmp(key, "marketing"))
		json_object_set_new(p, "campaigns", actions("all", "all", "all", "all", "all", "all"));
	kh_sales_grants(p, key); /* quotes, price lists, campaign members and costs, templates, forms */
	/* Service and call center: agents work cases, calls, follow-ups and the
	 * knowledge base; managers too; agents change their own agent record. */
	if (!strcmp(key, "service_agent") || !strcmp(key, "sales_manager")) {
		json_object_set_new(p, "calls", actions("all", "all", "all", "none", "none", "none"));
		json_object_set_new(p, "service_followups", actions("all", "all", "all", "own", "none", "none"));
		json_object_set_new(p, "kb_articles", actions("all", "all", "all", "own", "none", "none"));
		json_object_set_new(p, "agents", actions("all", "none", "own", "none", "none", "none"));
	}
	/* The analytics module: marketing and service run surveys; managers
	 * assess CRM capability. */
	if (!strcmp(key, "marketing") || !strcmp(key, "service_agent")) {
		json_object_set_new(p, "surveys", actions("all", "all", "all", "all", "all", "none"));
		json_object_set_new(p, "survey_questions", actions("all", "all", "all", "all", "none", "none"));
		json_object_set_new(p, "survey_invitations", actions("all", "all", "own", "own", "all", "none"));
	}
	if (!strcmp(key, "sales_manager"))
		json_object_set_new(p, "capability_assessments", actions("all", "all", "own", "own", "none", "none"));
	return p;
}

/* A database made before an entity existed (contracts, the sales module's)
 * has built-in roles that do not name it: each gets what a new database's
 * role of the same key grants, for the entities it does not name yet. What
 * an administrator changed stays. */
enum kh_err kh_roles_upgrade(struct kh_db *db)
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db, "SELECT key, permissions FROM roles WHERE builtin = 1 ORDER BY id", NULL, 0, &rows);
	if (err)
		return err;
	json_t *updates = json_object(); /* key -> the permissions to store */
	int rc;
	while ((rc = kh_rows_next(db, rows)) > 0) {
		struct kh_val key = kh_rows_col(db, rows, 0), v = kh_rows_col(db, rows, 1);
		json_t *stored = v.t == KH_V_TEXT ? json_loadb(v.s, v.n, 0, NULL) : NULL;
		json_t *wanted = key.t == KH_V_TEXT ? builtin_permissions(key.s) : NULL;
		int added = 0;
		const char *entity;
		json_t *g;
		if (json_is_object(stored) && wanted) {
			json_object_foreach(wanted, entity, g) {
				if (!json_object_get(stored, entity)) {
					json_object_set(stored, entity, g);
					added++;
				}
			}
		}
		if (added)
			json_object_set(updates, key.s, stored);
		json_decref(stored);
		json_decref(wanted);
	}
	kh_rows_end(db, rows);
	if (rc < 0)
		err = (enum kh_err)-rc;
	const char *key;
	json_t *perms;
	json_object_foreach(updates, key, perms) {
		if (err)
			break;
		char *text = json_dumps(perms, JSON_COMPACT | JSON_SORT_KEYS);
		struct kh_val p[3] = {KH_VTEXT(text ? text : ""), KH_VTEXT(now), KH_VTEXT(key)};
		err = text ? kh_db_exec(db, "UPDATE roles SET permissions = $1, updated_at = $2, version = version + 1 "
					   "WHERE key = $3 AND builtin = 1", p, 3)
			   : KH_ENOMEM;
		if (!err)
			kh_db_security_changed(db);
		free(text);
	}
	json_decref(updates);
	return err;
}

enum kh_err kh_roles_seed(struct kh_db *db)
{
	static const struct {
		const char *key, *name, *name_zh, *description;
		int personal, admin;
	} builtin[] = {
		{"admin", "Administrator", "系统管理员", "Everything, including users, roles and the audit log.", 1, 1},
		{"sales_manager", "Sales manager", "销售经理", "The team's records; reports; imports and exports.", 1, 0},
		{"sales_rep", "Sales representative", "销售代表", "Their own and shared records.", 1, 0},
		{"service_agent", "Service agent", "客服专员", "All cases; customers; no pipeline.", 1, 0},
		{"marketing", "Marketing", "市场专员", "Campaigns and leads; exports of customers.", 1, 0},
		{"analyst", "Analyst", "数据分析师", "Reads and exports everything, personal data masked.", 0, 0},
		{"read_only", "Read only", "只读用户", "Reads everything, personal data masked.", 0, 0},
	};
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	enum kh_err err = KH_OK;
	for (size_t i = 0; !err && i < sizeof builtin / sizeof builtin[0]; i++) {
		struct kh_val k = KH_VTEXT(builtin[i].key);
		int64_t found;
		err = kh_db_int(db, "SELECT id FROM roles WHERE key = $1", &k, 1, &found);
		if (err != KH_ENOTFOUND)
			continue;
		json_t *perms = builtin_permissions(builtin[i].key);
		char *text = json_dumps(perms, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(perms);
		if (!text)
			return KH_ENOMEM;
		struct kh_val p[8] = {k, KH_VTEXT(builtin[i].name), KH_VTEXT(builtin[i].name_zh),
			KH_VTEXT(builtin[i].description), KH_VTEXT(text), KH_VINT(builtin[i].personal),
			KH_VINT(builtin[i].admin), KH_VTEXT(now)};
		err = kh_db_exec(db,
				 "INSERT INTO roles (key, name, name_zh, description, permissions, personal_data, is_admin, "
				 "builtin, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8, 1)",
				 p, 8);
		free(text);
	}
	return err;
}

/* ---- shares ---- */

/* A share gives a user or a team access to one record. Only someone who may
 * edit the record may share it, and a share names exactly one recipient. */
enum kh_err kh_share_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	if (w->op == KH_OP_UPDATE && (kh_write_changes(w, "entity") || kh_write_changes(w, "record_id"))) {
		kh_errinfo_field(ctx->ei, "entity", "a share cannot move to another record; make a new one");
		return KH_EVALIDATION;
	}
	const struct kh_val *ename = kh_write_get(w, "entity"), *rid = kh_write_get(w, "record_id");
	int to_user = kh_write_get(w, "user_id")->t == KH_V_INT, to_team = kh_write_get(w, "team_id")->t == KH_V_INT;
	if (to_user == to_team) {
		kh_errinfo_field(ctx->ei, "user_id", "give either user_id or team_id");
		return KH_EVALIDATION;
	}
	const struct kh_entity *e = ename->t == KH_V_TEXT ? kh_entity_findn(ename->s, ename->n) : NULL;
	if (!e || e->flags & KH_E_ADMIN_WRITE || !strcmp(e->name, "shares")) {
		kh_errinfo_field(ctx->ei, "entity", "is not an entity whose records can be shared");
		return KH_EVALIDATION;
	}
	kh_write_set(w, "entity_code", KH_VINT(e->code));
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8] = {*rid};
	int n = 1;
	int64_t found;
	kh_buf_addf(&sql, "SELECT id FROM %s WHERE id = $1 AND archived_at IS NULL", e->name);
	kh_scope_sql(ctx->who, e, KH_ACT_EDIT, &sql, p, &n, 8);
	enum kh_err err = sql.err ? sql.err : kh_db_int(ctx->db, sql.data, p, n, &found);
	kh_buf_release(&sql);
	if (err == KH_ENOTFOUND) {
		kh_errinfo_field(ctx->ei, "record_id", "no %s you may edit has this id", e->singular);
		return KH_EVALIDATION;
	}
	return err;
}

/* ---- consent ---- */

enum kh_err kh_consent_before_write(struct kh_write *w)
{
	if (w->op == KH_OP_CREATE && kh_write_get(w, "recorded_at")->t == KH_V_NULL)
		kh_write_set(w, "recorded_at", KH_VTEXT(w->now_text));
	return KH_OK;
}

int kh_consent_allows(struct kh_db *db, int64_t contact_id, const char *channel)
{
	struct kh_val p[2] = {KH_VINT(contact_id), KH_VTEXT(channel)};
	struct kh_rows *rows;
	if (kh_db_query(db,
			"SELECT status FROM consents WHERE contact_id = $1 AND channel = $2 AND archived_at IS NULL "
			"ORDER BY recorded_at DESC, id DESC LIMIT 1",
			p, 2, &rows))
		return 0;
	int allowed = 0;
	if (kh_rows_next(db, rows) > 0) {
		struct kh_val v = kh_rows_col(db, rows, 0);
		allowed = is_text(&v, "granted");
	}
	kh_rows_end(db, rows);
	return allowed;
}

/* ---- privacy requests ---- */

/* Writes the rows of `entity` where `field` = id as an array. */
static enum kh_err rows_of(struct kh_ctx *ctx, const char *entity, const char *field, int64_t id, struct kh_jw *w)
{
	const struct kh_entity *e = kh_entity_find(entity);
	char sql[1024];
	snprintf(sql, sizeof sql, "%s WHERE %s = $1 ORDER BY id", e->select_sql, field);
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db, sql, &p, 1, &rows);
	if (err)
		return err;
	int rc;
	kh_jw_arr(w);
	while ((rc = kh_rows_next(ctx->db, rows)) > 0)
		kh_row_write_json(w, e, ctx->db, rows, ctx->who);
	kh_jw_arr_end(w);
	kh_rows_end(ctx->db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

enum kh_err kh_privacy_export(struct kh_ctx *ctx, int64_t contact_id, struct kh_jw *w)
{
	static const struct {
		const char *key, *entity, *field;
	} parts[] = {
		{"activities", "activities", "contact_id"}, {"cases", "cases", "contact_id"},
		{"orders", "orders", "contact_id"}, {"opportunities", "opportunities", "contact_id"},
		{"consents", "consents", "contact_id"}, {"leads", "leads", "converted_contact_id"},
	};
	const struct kh_entity *contacts = kh_entity_find("contacts");
	struct kh_val p = KH_VINT(contact_id);
	int64_t found;
	enum kh_err err = kh_db_int(ctx->db, "SELECT id FROM contacts WHERE id = $1", &p, 1, &found);
	if (err == KH_ENOTFOUND)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "contact %lld not found", (long long)contact_id);
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	kh_jw_obj(w);
	kh_jw_key(w, "exported_at");
	kh_jw_str(w, now);
	kh_jw_key(w, "contact");
	if (!err)
		err = rows_of(ctx, contacts->name, "id", contact_id, w);
	for (size_t i = 0; !err && i < sizeof parts / sizeof parts[0]; i++) {
		kh_jw_key(w, parts[i].key);
		err = rows_of(ctx, parts[i].entity, parts[i].field, contact_id, w);
	}
	if (!err) {
		kh_jw_key(w, "order_lines");
		const struct kh_entity *lines = kh_entity_find("order_lines");
		char sql[1024];
		snprintf(sql, sizeof sql, "%s WHERE order_id IN (SELECT id FROM orders WHERE contact_id = $1) ORDER BY id",
			 lines->select_sql);
		struct kh_rows *rows;
		err = kh_db_query(ctx->db, sql, &p, 1, &rows);
		if (!err) {
			kh_jw_arr(w);
			int rc;
			while ((rc = kh_rows_next(ctx->db, rows)) > 0)
				kh_row_write_json(w, lines, ctx->db, rows, ctx->who);
			kh_jw_arr_end(w);
			kh_rows_end(ctx->db, rows);
			if (rc < 0)
				err = (enum kh_err)-rc;
		}
	}
	if (!err) {
		kh_jw_key(w, "audit");
		struct kh_audit_query q = {.entity = "contacts", .record_id = contact_id, .limit = 10000};
		err = kh_audit_list(ctx, &q, w);
	}
	kh_jw_obj_end(w);
	if (!err)
		err = kh_audit_append(ctx->db, ctx->who->user_id, "contacts", contact_id, "privacy_export", NULL);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot export contact %lld", (long long)contact_id);
	return KH_OK;
}

/* The contact fields an erasure blanks: the personal ones, and free text and
 * names that identify a person. City and province stay for statistics. */
static int erased_field(const struct kh_field *f)
{
	static const char *const also[] = {"name_en", "address", "postal_code", "description", "tags", "title", "sort_key", NULL};
	if (f->flags & KH_F_PERSONAL)
		return 1;
	for (int i = 0; also[i]; i++)
		if (!strcmp(f->name, also[i]))
			return 1;
	return 0;
}

/* Replaces the values of erased fields inside a changes/payload JSON text. */
static char *scrub_changes(const struct kh_entity *e, const char *text, size_t n)
{
	json_t *j = json_loadb(text, n, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	const char *key;
	json_t *v;
	int changed = 0;
	json_object_foreach(j, key, v) {
		const struct kh_field *f = kh_field_find(e, key);
		if (f && (erased_field(f) || !strcmp(key, "name")) && json_is_array(v)) {
			for (size_t i = 0; i < json_array_size(v); i++)
				if (!json_is_null(json_array_get(v, i)))
					json_array_set_new(v, i, json_string("[erased]"));
			changed = 1;
		}
	}
	char *out = changed ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return out;
}

static enum kh_err scrub_log(struct kh_db *db, const struct kh_entity *e, int64_t id, const char *table,
			     const char *column)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT id, %s FROM %s WHERE entity = $1 AND record_id = $2", column, table);
	struct kh_val p[2] = {KH_VTEXT(e->name), KH_VINT(id)};
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db, sql, p, 2, &rows);
	if (err)
		return err;
	/* Collect first: the updates below use the same connection. */
	int64_t ids[4096];
	char *texts[4096];
	int n = 0, rc;
	while (n < 4096 && (rc = kh_rows_next(db, rows)) > 0) {
		struct kh_val t = kh_rows_col(db, rows, 1);
		char *scrubbed = t.t == KH_V_TEXT ? scrub_changes(e, t.s, t.n) : NULL;
		if (scrubbed) {
			ids[n] = kh_rows_col(db, rows, 0).i;
			texts[n++] = scrubbed;
		}
	}
	kh_rows_end(db, rows);
	snprintf(sql, sizeof sql, "UPDATE %s SET %s = $1 WHERE id = $2", table, column);
	for (int i = 0; i < n; i++) {
		struct kh_val up[2] = {KH_VTEXT(texts[i]), KH_VINT(ids[i])};
		if (!err)
			err = kh_db_exec(db, sql, up, 2);
		free(texts[i]);
	}
	return err;
}

enum kh_err kh_privacy_erase(struct kh_ctx *ctx, int64_t id)
{
	const struct kh_entity *e = kh_entity_find("contacts");
	struct kh_db *db = ctx->db;
	struct kh_buf sql = KH_BUF_INIT, text = KH_BUF_INIT;
	char name[64], now[KH_TIME_LEN];
	snprintf(name, sizeof name, "Erased contact #%lld", (long long)id);
	kh_time_format(kh_now(), now);
	struct kh_val p[4] = {KH_VTEXT(name), KH_VTEXT(now), KH_VINT(id)};
	kh_buf_addf(&sql, "UPDATE contacts SET name = $1, updated_at = $2, version = version + 1");
	for (int i = 0; i < e->nfields; i++)
		if (erased_field(&e->fields[i]))
			kh_buf_addf(&sql, ", %s = NULL", e->fields[i].name);
	kh_buf_adds(&sql, " WHERE id = $3");
	/* Overwrite freed space too, so the old values do not linger in free pages. */
	db->ops->scrub(db, 1);
	enum kh_err err = kh_db_begin(db, KH_TX_WRITE);
	int64_t found;
	if (!err && (err = kh_db_int(db, "SELECT id FROM contacts WHERE id = $1", &p[2], 1, &found)) == KH_ENOTFOUND)
		kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "contact %lld not found", (long long)id);
	if (!err)
		err = sql.err ? sql.err : kh_db_exec(db, sql.data, p, 3);
	if (!err) { /* the search index now holds only the placeholder name */
		struct kh_val n = KH_VTEXT(name);
		kh_search_text_add(&text, &e->fields[kh_field_index(e, "name")], &n);
		err = db->ops->search_put(db, kh_search_doc(e->code, id), text.data, 1);
	}
	if (!err)
		err = scrub_log(db, e, id, "kh_audit", "changes");
	if (!err)
		err = scrub_log(db, e, id, "kh_outbox", "payload");
	if (!err)
		err = kh_audit_append(db, ctx->who->user_id, "contacts", id, "erase", NULL);
	if (!err)
		err = kh_db_commit(db);
	else
		kh_db_rollback(db);
	db->ops->scrub(db, 0);
	kh_buf_release(&sql);
	kh_buf_release(&text);
	if (err && !ctx->ei->code)
		kh_errinfo_set(ctx->ei, err, "cannot erase contact %lld", (long long)id);
	return err;
}
