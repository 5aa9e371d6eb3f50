#include "model/schema.h"

#include <stdio.h>
#include <string.h>

#include "model/entity.h"
#include "domain/analytics_scores.h"
#include "domain/scorecard.h"
#include "domain/sales.h"
#include "domain/security.h"
#include "domain/service.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/textnorm.h"

/* ---- entity tables from metadata ---- */

static void column_decl(struct kh_db *db, struct kh_buf *sql, const struct kh_field *f)
{
	if (f->type == KH_T_ID) {
		kh_buf_addf(sql, "id %s", db->ops->pk_decl);
		return;
	}
	kh_buf_addf(sql, "%s %s", f->name, db->ops->coltype(kh_field_coltype(f)));
	if (!strcmp(f->name, "created_at") || !strcmp(f->name, "updated_at") || !strcmp(f->name, "version"))
		kh_buf_adds(sql, " NOT NULL");
	if (f->type == KH_T_REF && !db->ops->add_reference)
		kh_buf_addf(sql, " REFERENCES %s(id)", f->ref);
}

static enum kh_err column_known(struct kh_db *db, const char *table, const char *column, int *known)
{
	struct kh_val p[2] = {KH_VTEXT(table), KH_VTEXT(column)};
	int64_t one;
	enum kh_err err = kh_db_int(db, "SELECT 1 FROM kh_columns WHERE table_name = $1 AND column_name = $2", p, 2,
				    &one);
	*known = err == KH_OK;
	return err == KH_ENOTFOUND ? KH_OK : err;
}

static enum kh_err remember_column(struct kh_db *db, const char *table, const char *column)
{
	struct kh_val p[2] = {KH_VTEXT(table), KH_VTEXT(column)};
	return kh_db_exec(db, "INSERT INTO kh_columns (table_name, column_name) VALUES ($1, $2)", p, 2);
}

/* Creates the entity's table, or adds the columns it lacks, and its indexes.
 * kh_columns records what exists, so this works the same on every engine. */
static enum kh_err sync_entity(struct kh_db *db, const struct kh_entity *e)
{
	struct kh_buf sql = KH_BUF_INIT;
	enum kh_err err;
	int have_table;
	if ((err = column_known(db, e->name, "id", &have_table)))
		return err;
	if (!have_table) {
		kh_buf_addf(&sql, "CREATE TABLE %s (", e->name);
		for (int i = 0; i < e->nfields; i++) {
			if (i)
				kh_buf_adds(&sql, ", ");
			column_decl(db, &sql, &e->fields[i]);
		}
		kh_buf_adds(&sql, ")");
		err = sql.err ? sql.err : kh_db_exec(db, sql.data, NULL, 0);
		for (int i = 0; !err && i < e->nfields; i++)
			err = remember_column(db, e->name, e->fields[i].name);
	} else {
		for (int i = 0; !err && i < e->nfields; i++) {
			int known;
			if ((err = column_known(db, e->name, e->fields[i].name, &known)) || known)
				continue;
			kh_buf_reset(&sql);
			kh_buf_addf(&sql, "ALTER TABLE %s ADD COLUMN ", e->name);
			column_decl(db, &sql, &e->fields[i]);
			err = sql.err ? sql.err : kh_db_exec(db, sql.data, NULL, 0);
			if (!err)
				err = remember_column(db, e->name, e->fields[i].name);
			if (!err)
				kh_info("schema: added column %s.%s", e->name, e->fields[i].name);
		}
	}
	if (!err)
		err = kh_schema_indexes(db, e, 1);
	kh_buf_release(&sql);
	return err;
}

static int partial_ref(const struct kh_field *f)
{
	return f->type == KH_T_REF && !(f->flags & KH_F_REQUIRED) && !(f->flags & KH_F_SYSTEM);
}

enum kh_err kh_schema_indexes(struct kh_db *db, const struct kh_entity *e, int create)
{
	struct kh_buf sql = KH_BUF_INIT;
	enum kh_err err = KH_OK;
	/* An index on (field, id) serves both the filter and keyset paging in the
	 * same order; unique fields get a unique index as the last line of defence
	 * behind validation. Unique indexes are never dropped: they guard data. */
	for (int i = 1; !err && i < e->nfields; i++) {
		const struct kh_field *f = &e->fields[i];
		if (!(f->flags & (KH_F_INDEXED | KH_F_UNIQUE)))
			continue;
		kh_buf_reset(&sql);
		if (f->flags & KH_F_UNIQUE) {
			if (!create)
				continue;
			kh_buf_addf(&sql, "CREATE UNIQUE INDEX IF NOT EXISTS ux_%s_%s ON %s (%s)", e->name, f->name,
				    e->name, f->name);
		} else if (partial_ref(f)) {
			/* Optional references are mostly empty (a deal's contact, an
			 * activity's case): the index leaves the NULLs out, which makes it
			 * smaller and, above all, keeps the planner's statistics honest (a
			 * column of NULLs otherwise looks unselective, and a 360 view took
			 * 0.34 s at 1M contacts by another index). "f = ?" implies NOT NULL,
			 * so both engines use it for lookups. */
			kh_buf_addf(&sql, "DROP INDEX IF EXISTS ix_%s_%s", e->name, f->name);
			err = sql.err ? sql.err : kh_db_exec(db, sql.data, NULL, 0);
			kh_buf_reset(&sql);
			if (create)
				kh_buf_addf(&sql, "CREATE INDEX IF NOT EXISTS rx_%s_%s ON %s (%s, id) WHERE %s IS NOT NULL",
					    e->name, f->name, e->name, f->name, f->name);
			else
				kh_buf_addf(&sql, "DROP INDEX IF EXISTS rx_%s_%s", e->name, f->name);
		} else if (create) {
			kh_buf_addf(&sql, "CREATE INDEX IF NOT EXISTS ix_%s_%s ON %s (%s, id)", e->name, f->name,
				    e->name, f->name);
		} else {
			kh_buf_addf(&sql, "DROP INDEX IF EXISTS ix_%s_%s", e->name, f->name);
		}
		if (!err)
			err = sql.err ? sql.err : kh_db_exec(db, sql.data, NULL, 0);
	}
	kh_buf_release(&sql);
	return err;
}

static enum kh_err sync_entities(struct kh_db *db)
{
	enum kh_err err = KH_OK;
	for (int i = 0; !err && i < kh_nentities; i++)
		err = sync_entity(db, kh_entities[i]);
	/* Entities refer to each other in cycles (users and teams): an engine that
	 * checks REFERENCES when a table is created gets its foreign keys once
	 * every table exists. */
	for (int i = 0; !err && db->ops->add_reference && i < kh_nentities; i++)
		for (int k = 0; !err && k < kh_entities[i]->nfields; k++)
			if (kh_entities[i]->fields[k].type == KH_T_REF)
				err = db->ops->add_reference(db, kh_entities[i]->name, kh_entities[i]->fields[k].name,
							     kh_entities[i]->fields[k].ref);
	return err;
}

/* ---- numbered migrations ---- */

static enum kh_err exec_all(struct kh_db *db, const char *const *stmts)
{
	enum kh_err err = KH_OK;
	for (int i = 0; !err && stmts[i]; i++)
		err = kh_db_exec(db, stmts[i], NULL, 0);
	return err;
}

static enum kh_err m1_core(struct kh_db *db)
{
	char audit[512], outbox[512];
	/* The audit log keeps user ids without a foreign key: it must outlive any
	 * change to the users table, and nothing may cascade into it. */
	snprintf(audit, sizeof audit,
		 "CREATE TABLE kh_audit (id %s, at TEXT NOT NULL, user_id INTEGER, entity TEXT NOT NULL, "
		 "record_id INTEGER NOT NULL, action TEXT NOT NULL, changes TEXT NOT NULL)",
		 db->ops->pk_decl);
	snprintf(outbox, sizeof outbox,
		 "CREATE TABLE kh_outbox (id %s, at TEXT NOT NULL, user_id INTEGER, entity TEXT NOT NULL, "
		 "record_id INTEGER NOT NULL, action TEXT NOT NULL, payload TEXT NOT NULL, processed_at TEXT)",
		 db->ops->pk_decl);
	const char *const stmts[] = {
		"CREATE TABLE kh_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
		"CREATE TABLE kh_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
		"PRIMARY KEY (table_name, column_name))",
		"CREATE TABLE kh_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
		audit,
		"CREATE INDEX ix_kh_audit_record ON kh_audit (entity, record_id, id)",
		outbox,
		"INSERT INTO kh_meta (key, value) VALUES ('application', 'kehu')",
		NULL,
	};
	return exec_all(db, stmts);
}

static enum kh_err m3_sessions(struct kh_db *db)
{
	const char *const stmts[] = {
		"CREATE TABLE kh_sessions (token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), "
		"created_at TEXT NOT NULL, expires_at TEXT NOT NULL)",
		"CREATE INDEX ix_kh_sessions_user ON kh_sessions (user_id, expires_at)",
		NULL,
	};
	return exec_all(db, stmts);
}

static enum kh_err m4_search(struct kh_db *db)
{
	return db->ops->prepare_schema(db);
}

static enum kh_err m5_preferences(struct kh_db *db)
{
	return kh_db_exec(db,
			  "CREATE TABLE kh_preferences (user_id INTEGER PRIMARY KEY REFERENCES users(id), "
			  "prefs TEXT NOT NULL, updated_at TEXT NOT NULL)",
			  NULL, 0);
}

/* Import and export (src/domain/import.c, merge.c): import jobs with their
 * error rows and uploaded files, the source systems' ids of imported records,
 * and merges of duplicates with what undoing each needs. */
static enum kh_err m300_import(struct kh_db *db)
{
	char imports[1024], errors[512], merges[512];
	snprintf(imports, sizeof imports,
		 "CREATE TABLE kh_imports (id %s, entity TEXT NOT NULL, status TEXT NOT NULL, source TEXT, "
		 "format TEXT, fingerprint TEXT, options TEXT NOT NULL, columns TEXT, message TEXT, "
		 "created_by INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, heartbeat_at TEXT, "
		 "finished_at TEXT, last_row INTEGER NOT NULL DEFAULT 0, rows_done INTEGER NOT NULL DEFAULT 0, "
		 "created INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, "
		 "skipped INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, "
		 "bytes_done INTEGER NOT NULL DEFAULT 0, bytes_total INTEGER NOT NULL DEFAULT 0, "
		 "indexes_dropped INTEGER NOT NULL DEFAULT 0)",
		 db->ops->pk_decl);
	snprintf(errors, sizeof errors,
		 "CREATE TABLE kh_import_errors (id %s, import_id INTEGER NOT NULL REFERENCES kh_imports(id), "
		 "row_number INTEGER NOT NULL, column_name TEXT, field TEXT, value TEXT, reason TEXT NOT NULL)",
		 db->ops->pk_decl);
	snprintf(merges, sizeof merges,
		 "CREATE TABLE kh_merges (id %s, entity TEXT NOT NULL, winner_id INTEGER NOT NULL, "
		 "losers TEXT NOT NULL, undo TEXT NOT NULL, created_by INTEGER, created_at TEXT NOT NULL, "
		 "undone_by INTEGER, undone_at TEXT)",
		 db->ops->pk_decl);
	const char *const stmts[] = {
		imports,
		"CREATE INDEX ix_kh_imports_fingerprint ON kh_imports (fingerprint, status)",
		errors,
		"CREATE INDEX ix_kh_import_errors_job ON kh_import_errors (import_id, id)",
		"CREATE TABLE kh_import_files (import_id INTEGER NOT NULL REFERENCES kh_imports(id), "
		"seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (import_id, seq))",
		"CREATE TABLE kh_external_ids (entity TEXT NOT NULL, external_id TEXT NOT NULL, "
		"record_id INTEGER NOT NULL, PRIMARY KEY (entity, external_id))",
		merges,
		"CREATE TABLE kh_merged (entity TEXT NOT NULL, record_id INTEGER NOT NULL, merge_id INTEGER NOT NULL "
		"REFERENCES kh_merges(id), winner_id INTEGER NOT NULL, PRIMARY KEY (entity, record_id, merge_id))",
		NULL,
	};
	return exec_all(db, stmts);
}

/* Numbered migrations, applied once each in this order. Entity tables need none
 * (the schema sync follows the metadata); these are for Kehu's own tables and
 * for data changes. Numbers: core 1-99, sales and marketing 100-199, service
 * 200-299, import and export 300-399, security 400-499, analytics 500-599. */
static enum kh_err m6_session_hardening(struct kh_db *db)
{
	const char *const stmts[] = {
		"ALTER TABLE kh_sessions ADD COLUMN last_seen_at TEXT",
		"CREATE TABLE kh_throttle (key TEXT PRIMARY KEY, window_start TEXT NOT NULL, failures INTEGER NOT NULL)",
		NULL,
	};
	return exec_all(db, stmts);
}

static enum kh_err m7_background(struct kh_db *db)
{
	char jobs[512], events[256];
	snprintf(jobs, sizeof jobs,
		 "CREATE TABLE kh_jobs (id %s, kind TEXT NOT NULL, status TEXT NOT NULL, run_at TEXT NOT NULL, "
		 "payload TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT, dedupe_key TEXT UNIQUE, "
		 "holder TEXT, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT)",
		 db->ops->pk_decl);
	snprintf(events, sizeof events,
		 "CREATE TABLE kh_events (id %s, at TEXT NOT NULL, user_id INTEGER NOT NULL, type TEXT NOT NULL, "
		 "data TEXT NOT NULL)",
		 db->ops->pk_decl);
	const char *const stmts[] = {
		jobs,
		"CREATE INDEX ix_kh_jobs_due ON kh_jobs (status, run_at, id)",
		events,
		"CREATE INDEX ix_kh_events_at ON kh_events (at)",
		"CREATE TABLE kh_consumer_offsets (name TEXT PRIMARY KEY, last_id INTEGER NOT NULL)",
		"CREATE TABLE kh_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until TEXT NOT NULL)",
		NULL,
	};
	return exec_all(db, stmts);
}

/* The sales module's seeds need its entity tables (and the new fields of
 * leads and opportunities) first; the sync is idempotent. */
static enum kh_err m101_sales_seed(struct kh_db *db)
{
	enum kh_err err = sync_entities(db);
	return err ? err : kh_sales_seed(db);
}

/* Partial indexes for optional references (kh_schema_indexes says why), and no
 * index on the outbox's processed_at: nothing reads by it, and after an ANALYZE
 * of a near-empty outbox the planner preferred it to the primary key, scanning
 * and sorting the whole outbox for every change a consumer took. */
static enum kh_err m9_indexes(struct kh_db *db)
{
	/* The columns first: a database from before a module's migration (100:
	 * sales) lacks columns whose indexes this makes. */
	enum kh_err err = sync_entities(db);
	if (!err)
		err = kh_db_exec(db, "DROP INDEX IF EXISTS ix_kh_outbox_pending", NULL, 0);
	for (int i = 0; !err && i < kh_nentities; i++)
		err = kh_schema_indexes(db, kh_entities[i], 1);
	return err;
}

/* Names sort by pinyin (model.c's sort_key): the column and its index, then a
 * key for every name already there, a thousand rows at a time. */
static enum kh_err m10_sort_keys(struct kh_db *db)
{
	enum kh_err err = sync_entities(db);
	struct kh_buf sql = KH_BUF_INIT, names = KH_BUF_INIT, key = KH_BUF_INIT;
	int64_t ids[1000];
	size_t ends[1000];
	for (int i = 0; !err && i < kh_nentities; i++) {
		const struct kh_entity *e = kh_entities[i];
		if (!e->sort_key)
			continue;
		for (int64_t after = 0; !err;) {
			kh_buf_reset(&sql);
			kh_buf_addf(&sql, "SELECT id, %s FROM %s WHERE id > $1 AND %s IS NULL AND %s IS NOT NULL ORDER BY id LIMIT 1000",
				    e->title->name, e->name, e->sort_key->name, e->title->name);
			struct kh_val p = KH_VINT(after);
			struct kh_rows *rows;
			if ((err = sql.err ? sql.err : kh_db_query(db, sql.data, &p, 1, &rows)))
				break;
			int n = 0, rc;
			kh_buf_reset(&names);
			while ((rc = kh_rows_next(db, rows)) > 0) {
				struct kh_val id = kh_rows_col(db, rows, 0), name = kh_rows_col(db, rows, 1);
				ids[n] = id.i;
				kh_buf_add(&names, name.s, name.n);
				ends[n++] = names.len;
			}
			kh_rows_end(db, rows);
			if (rc < 0 || names.err) {
				err = rc < 0 ? (enum kh_err) - rc : KH_ENOMEM;
				break;
			}
			if (!n)
				break;
			kh_buf_reset(&sql);
			kh_buf_addf(&sql, "UPDATE %s SET %s = $1 WHERE id = $2", e->name, e->sort_key->name);
			for (int k = 0; !err && k < n; k++) {
				size_t start = k ? ends[k - 1] : 0;
				kh_buf_reset(&key);
				kh_pinyin_sort_key(&key, names.data + start, ends[k] - start);
				struct kh_val u[2] = {KH_VTEXTN(key.data, key.len), KH_VINT(ids[k])};
				err = key.err || sql.err ? KH_ENOMEM : kh_db_exec(db, sql.data, u, 2);
			}
			after = ids[n - 1];
		}
	}
	kh_buf_release(&sql);
	kh_buf_release(&names);
	kh_buf_release(&key);
	return err;
}

static enum kh_err m11_contracts(struct kh_db *db)
{
	enum kh_err err = sync_entities(db);
	int64_t any;
	/* Roles are seeded by migration 400, after this one in a new database. */
	if (!err && (err = kh_db_int(db, "SELECT count(*) FROM roles", NULL, 0, &any)) == KH_OK && any)
		err = kh_roles_upgrade(db);
	return err;
}

/* Roles became data: the tables first (the sync is idempotent), then the
 * built-in roles, whose keys are the values users.role already holds. */
static enum kh_err m400_roles(struct kh_db *db)
{
	enum kh_err err = sync_entities(db);
	return err ? err : kh_roles_seed(db);
}

static const struct migration {
	int version;
	const char *name;
	enum kh_err (*run)(struct kh_db *db);
} migrations[] = {
	{1, "core tables: meta, columns, counters, audit log, outbox", m1_core},
	{2, "entity tables from metadata", sync_entities},
	{3, "sessions", m3_sessions},
	{4, "search index", m4_search},
	{5, "user preferences", m5_preferences},
	{6, "session idle time and login throttling", m6_session_hardening},
	{7, "background jobs, outbox consumers, live events, leases", m7_background},
	{8, "a queue in front of the search index", m4_search},
	{9, "partial indexes for optional references; none on the outbox's processed_at", m9_indexes},
	{10, "names sort by pinyin: a sort key beside each name", m10_sort_keys},
	{11, "contracts, and the built-in roles' grants for them", m11_contracts},
	{400, "built-in roles", m400_roles},
	{300, "import jobs, external ids, merges", m300_import},
	{301, "a table for the search documents of bulk loads, indexed when the load ends", m4_search},
	{200, "service: SLA clocks, knowledge-base index, surveys, mail, state", kh_service_migrate},
	{500, "analytics: customer scores, refresh runs, results cache", kh_an_migrate},
	{501, "analytics: scorecard targets", kh_scorecard_migrate},
	{100, "sales: stage history, rule runs, quotas, scores, settings, throttles", kh_sales_migrate},
	{101, "sales: default pipeline, lead scoring rules, win-back campaign, example rules", m101_sales_seed},
	{102, "sales: its grants for built-in roles made before the module", kh_sales_grants_upgrade},
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int kh_schema_version(void)
{
	int max = 0;
	for (int i = 0; i < NMIGRATIONS; i++)
		if (migrations[i].version > max)
			max = migrations[i].version;
	return max;
}

int kh_schema_is_initialised(struct kh_db *db)
{
	int64_t n;
	return kh_db_int(db, "SELECT count(*) FROM kh_migrations", NULL, 0, &n) == KH_OK && n > 0;
}

static enum kh_err in_tx(struct kh_db *db, enum kh_err (*fn)(struct kh_db *), const char *what, char *msg,
			 size_t msglen)
{
	enum kh_err err = kh_db_begin(db, KH_TX_WRITE);
	if (!err)
		err = fn(db);
	if (!err)
		return kh_db_commit(db);
	snprintf(msg, msglen, "%s failed: %s", what, db->ops->errmsg(db));
	kh_db_rollback(db);
	return err;
}

static enum kh_err fingerprint_sync(struct kh_db *db)
{
	char want[32];
	snprintf(want, sizeof want, "%016llx", (unsigned long long)kh_model_fingerprint());
	enum kh_err err = sync_entities(db);
	struct kh_val p = KH_VTEXT(want);
	if (!err)
		err = kh_db_exec(db, "DELETE FROM kh_meta WHERE key = 'schema_fingerprint'", NULL, 0);
	if (!err)
		err = kh_db_exec(db, "INSERT INTO kh_meta (key, value) VALUES ('schema_fingerprint', $1)", &p, 1);
	return err;
}

enum kh_err kh_migrate(struct kh_db *db, int *applied, char *msg, size_t msglen)
{
	*applied = 0;
	enum kh_err err = kh_db_exec(db,
				     "CREATE TABLE IF NOT EXISTS kh_migrations (version INTEGER PRIMARY KEY, "
				     "name TEXT NOT NULL, applied_at TEXT NOT NULL)",
				     NULL, 0);
	/* Migrations are applied by set difference, not by "higher than the last":
	 * modules number theirs in ranges of their own, so a new core migration may
	 * have a lower number than one already applied. */
	struct kh_rows *rows;
	int done[NMIGRATIONS] = {0};
	err = kh_db_query(db, "SELECT version FROM kh_migrations ORDER BY version", NULL, 0, &rows);
	if (err) {
		snprintf(msg, msglen, "cannot read the migration table: %s", db->ops->errmsg(db));
		return err;
	}
	int rc;
	while ((rc = kh_rows_next(db, rows)) > 0) {
		int64_t v = kh_rows_col(db, rows, 0).i;
		int known = 0;
		for (int i = 0; i < NMIGRATIONS; i++)
			if (migrations[i].version == v)
				done[i] = known = 1;
		if (!known) {
			snprintf(msg, msglen, "the database has migration %lld, which this kehu does not know: upgrade kehu",
				 (long long)v);
			kh_rows_end(db, rows);
			return KH_ECONFLICT;
		}
	}
	kh_rows_end(db, rows);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot read the migration table: %s", db->ops->errmsg(db));
		return (enum kh_err)-rc;
	}
	for (int i = 0; i < NMIGRATIONS; i++) {
		const struct migration *m = &migrations[i];
		if (done[i])
			continue;
		char what[160], now[KH_TIME_LEN];
		snprintf(what, sizeof what, "migration %d (%s)", m->version, m->name);
		err = kh_db_begin(db, KH_TX_WRITE);
		if (!err)
			err = m->run(db);
		if (!err) {
			kh_time_format(kh_now(), now);
			struct kh_val p[3] = {KH_VINT(m->version), KH_VTEXT(m->name), KH_VTEXT(now)};
			err = kh_db_exec(db, "INSERT INTO kh_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
					 p, 3);
		}
		if (!err)
			err = kh_db_commit(db);
		if (err) {
			snprintf(msg, msglen, "%s failed: %s", what, db->ops->errmsg(db));
			kh_db_rollback(db);
			return err;
		}
		kh_debug("applied %s", what);
		(*applied)++;
	}
	/* Fields added to the metadata since the last start become columns here. */
	char want[32];
	snprintf(want, sizeof want, "%016llx", (unsigned long long)kh_model_fingerprint());
	int same = 0;
	if (kh_db_query(db, "SELECT value FROM kh_meta WHERE key = 'schema_fingerprint'", NULL, 0, &rows) == KH_OK) {
		if (kh_rows_next(db, rows) > 0)
			same = !strcmp(kh_rows_col(db, rows, 0).s, want);
		kh_rows_end(db, rows);
	}
	if (!same) {
		err = in_tx(db, fingerprint_sync, "schema update from metadata", msg, msglen);
		if (err)
			return err;
		(*applied)++;
	}
	return KH_OK;
}
