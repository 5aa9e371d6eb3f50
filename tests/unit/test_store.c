/* Unit tests of the SQLite store, the migrations and the write path: what is in
 * the database after each use case, including the audit log and the outbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/auth.h"
#include "domain/read.h"
#include "domain/write.h"
#include "model/entity.h"
#include "model/schema.h"
#include "store/sqlite_search.h"
#include "store/store.h"

struct fixture {
	char path[64];
	struct kh_db *db;
	struct kh_arena arena;
	struct kh_errinfo ei;
	struct kh_principal who;
	struct kh_ctx ctx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char msg[256];
	int applied;
	if (kh_model_init() || kh_auth_init())
		return -1;
	snprintf(f->path, sizeof f->path, "/tmp/kehu-unit-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(f->path);
	close(fd);
	unlink(f->path);
	if (kh_db_open(f->path, 1, &f->db, msg, sizeof msg) || kh_migrate(f->db, &applied, msg, sizeof msg)) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	kh_arena_init(&f->arena);
	kh_errinfo_init(&f->ei, &f->arena);
	f->who = (struct kh_principal){.user_id = 0, .username = "test", .role = "admin", .is_admin = 1};
	f->ctx = (struct kh_ctx){.db = f->db, .who = &f->who, .arena = &f->arena, .ei = &f->ei};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kh_db_close(f->db);
	kh_arena_release(&f->arena);
	char side[80];
	unlink(f->path);
	snprintf(side, sizeof side, "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", f->path);
	unlink(side);
	free(f);
	kh_model_free();
	return 0;
}

static int64_t count(struct fixture *f, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(kh_db_int(f->db, sql, NULL, 0, &n), KH_OK);
	return n;
}

static enum kh_err create(struct fixture *f, const char *entity, const char *json, int64_t *id)
{
	json_t *j = json_loads(json, 0, NULL);
	kh_errinfo_init(&f->ei, &f->arena);
	enum kh_err err = kh_record_create(&f->ctx, kh_entity_find(entity), j, id);
	json_decref(j);
	return err;
}

static void migrations_are_recorded_and_idempotent(void **state)
{
	struct fixture *f = *state;
	char msg[256];
	int applied = -1;
	assert_int_equal(count(f, "SELECT max(version) FROM kh_migrations"), kh_schema_version());
	assert_int_equal(kh_migrate(f->db, &applied, msg, sizeof msg), KH_OK);
	assert_int_equal(applied, 0);
	assert_true(kh_schema_is_initialised(f->db));
	/* Every field of every entity is a column. */
	int64_t fields = 0;
	for (int i = 0; i < kh_nentities; i++)
		fields += kh_entities[i]->nfields;
	assert_int_equal(count(f, "SELECT count(*) FROM kh_columns"), fields);
}

static void create_writes_row_audit_and_outbox_together(void **state)
{
	struct fixture *f = *state;
	int64_t id;
	assert_int_equal(create(f, "contacts", "{\"name\":\"张三丰\",\"mobile\":\"138-1234-5678\"}", &id), KH_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM contacts"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_audit WHERE entity = 'contacts' AND action = 'create'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_outbox WHERE processed_at IS NULL"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_audit WHERE changes LIKE '%\"name\":[null,\"张三丰\"]%'"), 1);

	/* A failed create leaves no trace anywhere. */
	assert_int_equal(create(f, "contacts", "{\"name\":\"x\",\"account_id\":77}", &id), KH_EVALIDATION);
	assert_non_null(kh_errinfo_field_msg(&f->ei, "account_id"));
	assert_int_equal(count(f, "SELECT count(*) FROM contacts"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_audit"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_outbox"), 1);
	assert_false(f->db->in_tx);
}

static void update_audits_old_and_new_values(void **state)
{
	struct fixture *f = *state;
	int64_t id;
	assert_int_equal(create(f, "accounts", "{\"name\":\"Old Name\",\"city\":\"上海\"}", &id), KH_OK);
	json_t *j = json_loads("{\"name\":\"New Name\",\"city\":\"上海\"}", 0, NULL);
	kh_errinfo_init(&f->ei, &f->arena);
	assert_int_equal(kh_record_update(&f->ctx, kh_entity_find("accounts"), id, j, 1), KH_OK);
	json_decref(j);
	assert_int_equal(count(f, "SELECT version FROM accounts WHERE name = 'New Name'"), 2);
	/* Only the field that really changed is in the audit entry. */
	assert_int_equal(count(f, "SELECT count(*) FROM kh_audit WHERE action = 'update' AND "
				  "changes = '{\"name\":[\"Old Name\",\"New Name\"]}'"), 1);
	/* A stale version is a conflict and changes nothing. */
	j = json_loads("{\"name\":\"Stale\"}", 0, NULL);
	kh_errinfo_init(&f->ei, &f->arena);
	assert_int_equal(kh_record_update(&f->ctx, kh_entity_find("accounts"), id, j, 1), KH_ECONFLICT);
	json_decref(j);
	assert_int_equal(count(f, "SELECT count(*) FROM accounts WHERE name = 'Stale'"), 0);
	/* Archive and restore are audited changes too. */
	kh_errinfo_init(&f->ei, &f->arena);
	assert_int_equal(kh_record_archive(&f->ctx, kh_entity_find("accounts"), id), KH_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_audit WHERE action = 'archive'"), 1);
	assert_int_equal(kh_record_restore(&f->ctx, kh_entity_find("accounts"), id), KH_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM accounts WHERE archived_at IS NULL AND version = 4"), 1);
}

static void unique_values_are_conflicts(void **state)
{
	struct fixture *f = *state;
	int64_t id;
	assert_int_equal(create(f, "products", "{\"name\":\"A\",\"sku\":\"SKU-1\"}", &id), KH_OK);
	assert_int_equal(create(f, "products", "{\"name\":\"B\",\"sku\":\"SKU-1\"}", &id), KH_ECONFLICT);
	assert_non_null(kh_errinfo_field_msg(&f->ei, "sku"));
	/* And the database's own index stands behind the check. */
	struct kh_val p = KH_VTEXT("SKU-1");
	assert_int_equal(kh_db_exec(f->db, "INSERT INTO products (name, sku, created_at, updated_at, version) "
					   "VALUES ('C', $1, 'x', 'x', 1)", &p, 1), KH_ECONFLICT);
	assert_true(f->db->ops->last_was_unique_violation(f->db));
}

static void passwords_are_hashed(void **state)
{
	struct fixture *f = *state;
	int64_t id;
	assert_int_equal(create(f, "users", "{\"username\":\"u1\",\"role\":\"sales_rep\",\"password\":\"pw-123456\"}", &id), KH_OK);
	struct kh_rows *rows;
	struct kh_val p = KH_VINT(id);
	assert_int_equal(kh_db_query(f->db, "SELECT password FROM users WHERE id = $1", &p, 1, &rows), KH_OK);
	assert_int_equal(kh_rows_next(f->db, rows), 1);
	struct kh_val h = kh_rows_col(f->db, rows, 0);
	assert_non_null(strstr(h.s, "$argon2id$"));
	assert_true(kh_password_verify(h.s, "pw-123456", 9));
	assert_false(kh_password_verify(h.s, "pw-1234567", 10));
	kh_rows_end(f->db, rows);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_audit WHERE changes LIKE '%pw-123456%'"), 0);
	assert_int_equal(create(f, "users", "{\"username\":\"u2\",\"role\":\"sales_rep\",\"password\":\"short\"}", &id),
			 KH_EVALIDATION);
}

static void search_finds_cjk_of_any_length(void **state)
{
	struct fixture *f = *state;
	int64_t id;
	assert_int_equal(create(f, "contacts", "{\"name\":\"诸葛孔明\",\"email\":\"kongming@shu.cn\"}", &id), KH_OK);
	/* Indexing is queued by the write; a flush (what every search does first) applies it. */
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_queue"), 1);
	assert_int_equal(f->db->ops->search_flush(f->db), KH_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_queue"), 0);
	const char *queries[] = {"诸葛孔明", "孔明", "明", "葛孔", "kong", "KONGMING", "shu.cn"};
	for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
		struct kh_rows *rows;
		assert_int_equal(f->db->ops->search(f->db, queries[i], 10, &rows), KH_OK);
		int found = 0, rc;
		while ((rc = kh_rows_next(f->db, rows)) > 0)
			found |= kh_rows_col(f->db, rows, 0).i == kh_search_doc(kh_entity_find("contacts")->code, id);
		kh_rows_end(f->db, rows);
		assert_int_equal(rc, 0);
		if (!found)
			fail_msg("'%s' did not find 诸葛孔明", queries[i]);
	}
	char match[64];
	int short_q;
	assert_int_equal(kh_sqlite_search_match("  ", match, sizeof match, &short_q), -1);
	assert_int_equal(kh_sqlite_search_match("a\"b", match, sizeof match, &short_q), 0);
	assert_string_equal(match, "\"a\"\"b\""); /* quotes are data, not FTS5 syntax */
}

static void nested_queries_with_the_same_sql(void **state)
{
	struct fixture *f = *state;
	struct kh_rows *outer, *inner;
	const char *sql = "SELECT value FROM (SELECT 1 AS value UNION ALL SELECT 2) ORDER BY value";
	assert_int_equal(kh_db_query(f->db, sql, NULL, 0, &outer), KH_OK);
	int64_t sum = 0;
	while (kh_rows_next(f->db, outer) > 0) {
		/* The same statement text while the first is still stepping gets its own copy. */
		assert_int_equal(kh_db_query(f->db, sql, NULL, 0, &inner), KH_OK);
		while (kh_rows_next(f->db, inner) > 0)
			sum += kh_rows_col(f->db, outer, 0).i * kh_rows_col(f->db, inner, 0).i;
		kh_rows_end(f->db, inner);
	}
	kh_rows_end(f->db, outer);
	assert_int_equal(sum, 1 * 1 + 1 * 2 + 2 * 1 + 2 * 2);
}

static int found_by(struct kh_db *db, const char *q, int64_t doc)
{
	struct kh_rows *rows;
	assert_int_equal(db->ops->search_flush(db), KH_OK);
	assert_int_equal(db->ops->search(db, q, 10, &rows), KH_OK);
	int found = 0, rc;
	while ((rc = kh_rows_next(db, rows)) > 0)
		found |= kh_rows_col(db, rows, 0).i == doc;
	kh_rows_end(db, rows);
	assert_int_equal(rc, 0);
	return found;
}

/* A bulk load stages its new records' search documents in a table committed
 * with each batch and indexes them when it ends; a search by another
 * connection of the process leaves them staged meanwhile, and indexes what a
 * load that failed (or crashed) left behind. */
static void bulk_loads_stage_search_documents(void **state)
{
	struct fixture *f = *state;
	const struct kh_entity *contacts = kh_entity_find("contacts");
	struct kh_db *other;
	char msg[256];
	assert_int_equal(kh_db_open(f->path, 0, &other, msg, sizeof msg), KH_OK);
	int64_t a, b, c;
	assert_int_equal(f->db->ops->bulk(f->db, KH_BULK_LOAD), KH_OK);
	f->ctx.bulk = 1;
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_OK);
	assert_int_equal(create(f, "contacts", "{\"name\":\"欧阳修\"}", &a), KH_OK);
	assert_int_equal(kh_db_commit(f->db), KH_OK); /* one batch */
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_bulk"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_queue"), 0);
	assert_false(found_by(other, "欧阳", kh_search_doc(contacts->code, a)));
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_bulk"), 1);
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_OK);
	assert_int_equal(create(f, "contacts", "{\"name\":\"司马光\"}", &b), KH_OK);
	assert_int_equal(f->db->ops->bulk(f->db, KH_BULK_END), KH_OK); /* the load ends before its last commit */
	assert_int_equal(kh_db_commit(f->db), KH_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_bulk"), 0);
	assert_true(found_by(other, "欧阳", kh_search_doc(contacts->code, a)));
	assert_true(found_by(other, "司马光", kh_search_doc(contacts->code, b)));

	/* A load that fails after a committed batch: the batch's documents stay
	 * staged until the next search indexes them. */
	assert_int_equal(f->db->ops->bulk(f->db, KH_BULK_LOAD), KH_OK);
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_OK);
	assert_int_equal(create(f, "contacts", "{\"name\":\"苏东坡\"}", &c), KH_OK);
	assert_int_equal(kh_db_commit(f->db), KH_OK);
	assert_int_equal(f->db->ops->bulk(f->db, KH_BULK_END), KH_OK); /* outside a transaction: settings only */
	f->ctx.bulk = 0;
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_bulk"), 1);
	/* A later change of a staged record wins over its staged document. */
	json_t *j = json_loads("{\"name\":\"苏轼\"}", 0, NULL);
	assert_int_equal(kh_record_update(&f->ctx, contacts, c, j, -1), KH_OK);
	json_decref(j);
	assert_true(found_by(other, "苏轼", kh_search_doc(contacts->code, c)));
	assert_false(found_by(other, "东坡", kh_search_doc(contacts->code, c)));
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_bulk"), 0);

	/* A big load's documents go in with merging deferred to one final merge;
	 * the merge settings are FTS5's defaults again afterwards. */
	assert_int_equal(f->db->ops->bulk(f->db, KH_BULK_LOAD), KH_OK);
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_OK);
	assert_int_equal(kh_db_exec(f->db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) "
				       "INSERT INTO kh_search_bulk (doc, body) SELECT 1000000 + i, 'bulk' || i || ' 大批' FROM n",
			 NULL, 0), KH_OK);
	assert_int_equal(f->db->ops->bulk(f->db, KH_BULK_END), KH_OK);
	assert_int_equal(kh_db_commit(f->db), KH_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_bulk"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_content WHERE id > 1000000"), 12000);
	assert_int_equal(count(f, "SELECT count(*) FROM kh_search_short_content WHERE id > 1000000"), 12000);
	assert_true(found_by(other, "bulk11999", 1000000 + 11999));
	assert_true(found_by(other, "大批", 1000000 + 12000));
	assert_int_equal(count(f, "SELECT v FROM kh_search_config WHERE k = 'automerge'"), 4);
	assert_int_equal(count(f, "SELECT v FROM kh_search_short_config WHERE k = 'crisismerge'"), 16);
	kh_db_close(other);
}

/* Group commit (the server's writer): each member is a savepoint, a failed one
 * is undone alone, nothing is visible to another connection before the
 * group's commit, and a security change is announced only by that commit. */
static void group_commit_members_are_savepoints(void **state)
{
	struct fixture *f = *state;
	char msg[256];
	struct kh_db *other;
	assert_int_equal(kh_db_open(f->path, 0, &other, msg, sizeof msg), KH_OK);
	int64_t a, b, c, n = -1;
	int64_t before = count(f, "SELECT count(*) FROM contacts");
	assert_int_equal(kh_db_group_begin(f->db), KH_OK);
	assert_int_equal(kh_db_group_begin(f->db), KH_EINTERNAL); /* no group in a group */
	assert_int_equal(create(f, "contacts", "{\"name\":\"甲\"}", &a), KH_OK);
	/* A member that fails after writing: its own transaction rolls back alone. */
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_OK);
	assert_int_equal(create(f, "contacts", "{\"name\":\"乙\"}", &b), KH_OK);
	kh_db_rollback(f->db);
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_OK);
	assert_int_equal(kh_db_begin(f->db, KH_TX_WRITE), KH_EDB); /* as a BEGIN inside a transaction */
	kh_db_rollback(f->db);
	uint64_t gen = kh_db_security_generation();
	assert_int_equal(create(f, "teams", "{\"name\":\"丙\"}", &c), KH_OK);
	assert_int_equal(kh_db_security_generation(), gen); /* not before the group commits */
	/* The group is one open write transaction: another connection sees none of it. */
	assert_int_equal(kh_db_int(other, "SELECT count(*) FROM contacts", NULL, 0, &n), KH_OK);
	assert_int_equal(n, before);
	assert_int_equal(kh_db_group_commit(f->db), KH_OK);
	assert_int_equal(kh_db_group_commit(f->db), KH_EINTERNAL);
	assert_true(kh_db_security_generation() > gen);
	assert_int_equal(kh_db_int(other, "SELECT count(*) FROM contacts", NULL, 0, &n), KH_OK);
	assert_int_equal(n, before + 1);
	struct kh_val pa = KH_VINT(a), pb = KH_VINT(b), pc = KH_VINT(c);
	assert_int_equal(kh_db_int(other, "SELECT id FROM contacts WHERE id = $1", &pa, 1, &n), KH_OK);
	assert_int_equal(kh_db_int(other, "SELECT id FROM contacts WHERE id = $1", &pb, 1, &n), KH_ENOTFOUND);
	assert_int_equal(kh_db_int(other, "SELECT id FROM teams WHERE id = $1", &pc, 1, &n), KH_OK);
	/* Each member's audit entry went in with it, and only the survivors'. */
	assert_int_equal(kh_db_int(other, "SELECT count(*) FROM kh_audit WHERE entity = 'contacts' AND record_id = $1",
				   &pb, 1, &n), KH_OK);
	assert_int_equal(n, 0);
	kh_db_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(migrations_are_recorded_and_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(create_writes_row_audit_and_outbox_together, setup, teardown),
		cmocka_unit_test_setup_teardown(update_audits_old_and_new_values, setup, teardown),
		cmocka_unit_test_setup_teardown(unique_values_are_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(passwords_are_hashed, setup, teardown),
		cmocka_unit_test_setup_teardown(search_finds_cjk_of_any_length, setup, teardown),
		cmocka_unit_test_setup_teardown(nested_queries_with_the_same_sql, setup, teardown),
		cmocka_unit_test_setup_teardown(bulk_loads_stage_search_documents, setup, teardown),
		cmocka_unit_test_setup_teardown(group_commit_members_are_savepoints, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
