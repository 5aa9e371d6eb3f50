/* The database schema, generated from entity metadata, and the migrations that
 * bring a database to it. */
#ifndef KH_SCHEMA_H
#define KH_SCHEMA_H

#include <stddef.h>

#include "store/store.h"

/* Brings db to the current schema: applies each pending numbered migration in
 * its own transaction (recorded in kh_migrations), then adds whatever tables,
 * columns and indexes the metadata has and the database lacks. Stops at the
 * first failure, with the reason in msg. *applied counts what was done. */
enum kh_err kh_migrate(struct kh_db *db, int *applied, char *msg, size_t msglen);

/* 1 if db has been through kh_migrate (it has a kh_migrations table with rows). */
int kh_schema_is_initialised(struct kh_db *db);

/* Creates (create = 1) or drops (0) the secondary indexes of e. Bulk loads into
 * an empty table drop them first and build them once at the end, which is
 * several times faster than keeping a dozen B-trees up to date row by row. */
struct kh_entity;
enum kh_err kh_schema_indexes(struct kh_db *db, const struct kh_entity *e, int create);

/* The highest numbered migration this build knows. */
int kh_schema_version(void);

#endif
