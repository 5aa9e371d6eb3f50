#include "store/store.h"

#include <stdatomic.h>
#include <stdio.h>

#include "util/log.h"

static atomic_uint_fast64_t security_generation; /* kh_db_security_generation() */

static const struct kh_store_ops *const drivers[] = {
	&kh_pg_ops,
	&kh_sqlite_ops,
};

void kh_store_global_init(void)
{
	for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
		if (drivers[i]->global_init)
			drivers[i]->global_init();
}

enum kh_err kh_db_open(const char *location, int create, struct kh_db **out, char *msg, size_t msglen)
{
	for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
		if (drivers[i]->accepts(location))
			return drivers[i]->open(location, create, out, msg, msglen);
	snprintf(msg, msglen, "no database driver accepts '%s'", location);
	return KH_EINVAL;
}

void kh_db_close(struct kh_db *db)
{
	if (db)
		db->ops->close(db);
}

enum kh_err kh_db_exec(struct kh_db *db, const char *sql, const struct kh_val *p, int n)
{
	struct kh_rows *rows;
	enum kh_err e = kh_db_query(db, sql, p, n, &rows);
	if (e)
		return e;
	int rc;
	while ((rc = kh_rows_next(db, rows)) > 0)
		;
	kh_rows_end(db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

enum kh_err kh_db_int(struct kh_db *db, const char *sql, const struct kh_val *p, int n, int64_t *out)
{
	struct kh_rows *rows;
	enum kh_err e = kh_db_query(db, sql, p, n, &rows);
	if (e)
		return e;
	int rc = kh_rows_next(db, rows);
	if (rc > 0) {
		struct kh_val v = kh_rows_col(db, rows, 0);
		*out = v.t == KH_V_INT ? v.i : v.t == KH_V_REAL ? (int64_t)v.d : 0;
		/* Drain so that an INSERT ... RETURNING finishes its statement. */
		while ((rc = kh_rows_next(db, rows)) > 0)
			;
		e = rc < 0 ? (enum kh_err)-rc : KH_OK;
	} else {
		e = rc < 0 ? (enum kh_err)-rc : KH_ENOTFOUND;
	}
	kh_rows_end(db, rows);
	return e;
}

enum kh_err kh_db_begin(struct kh_db *db, enum kh_tx mode)
{
	enum kh_err e;
	if (!db->group)
		e = db->ops->begin(db, mode);
	else if (db->in_tx) /* as the engines answer a BEGIN inside a transaction */
		e = KH_EDB, kh_warn("a transaction cannot begin inside another");
	else
		e = kh_db_exec(db, "SAVEPOINT kh_tx", NULL, 0);
	if (!e)
		db->in_tx = 1;
	return e;
}

enum kh_err kh_db_group_begin(struct kh_db *db)
{
	if (db->in_tx || db->group)
		return KH_EINTERNAL;
	enum kh_err e = db->ops->begin(db, KH_TX_WRITE);
	if (!e)
		db->group = 1, db->group_security_changed = 0;
	return e;
}

enum kh_err kh_db_group_commit(struct kh_db *db)
{
	if (!db->group)
		return KH_EINTERNAL;
	kh_db_rollback(db); /* a member left open: it did not finish */
	db->group = 0;
	enum kh_err e = db->ops->commit(db);
	if (e) {
		kh_warn("group commit failed: %s", db->ops->errmsg(db));
		db->ops->rollback(db);
	} else if (db->group_security_changed) {
		atomic_fetch_add_explicit(&security_generation, 1, memory_order_release);
	}
	db->group_security_changed = 0;
	return e;
}

uint64_t kh_db_security_generation(void)
{
	return atomic_load_explicit(&security_generation, memory_order_acquire);
}

void kh_db_security_changed(struct kh_db *db)
{
	if (db->in_tx)
		db->security_changed = 1;
	else if (db->group) /* a statement of its own in a group: the group's commit tells */
		db->group_security_changed = 1;
	else
		atomic_fetch_add_explicit(&security_generation, 1, memory_order_release);
}

enum kh_err kh_db_commit(struct kh_db *db)
{
	if (db->group) { /* the savepoint joins the group, which commits later */
		enum kh_err e = kh_db_exec(db, "RELEASE kh_tx", NULL, 0);
		if (e) {
			kh_db_rollback(db);
			return e;
		}
		db->in_tx = 0;
		db->group_security_changed |= db->security_changed;
		db->security_changed = 0;
		return KH_OK;
	}
	enum kh_err e = db->ops->commit(db);
	if (e) {
		kh_warn("commit failed: %s", db->ops->errmsg(db));
		kh_db_rollback(db);
		return e;
	}
	db->in_tx = 0;
	/* After the commit: a cache that looked in between saw the old rows and
	 * is told to look again. */
	if (db->security_changed) {
		db->security_changed = 0;
		atomic_fetch_add_explicit(&security_generation, 1, memory_order_release);
	}
	return KH_OK;
}

void kh_db_rollback(struct kh_db *db)
{
	db->security_changed = 0;
	if (!db->in_tx)
		return;
	if (db->group) {
		kh_db_exec(db, "ROLLBACK TO kh_tx", NULL, 0);
		kh_db_exec(db, "RELEASE kh_tx", NULL, 0);
	} else {
		db->ops->rollback(db);
	}
	db->in_tx = 0;
}
