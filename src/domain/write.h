/* The one write path. Every create, update, archive and restore of every entity
 * goes through these functions, which in one transaction:
 *   1. validate the input against the metadata (model/validate.c),
 *   2. run the entity's domain rules (before_write hooks),
 *   3. check references and unique fields,
 *   4. write the row, bumping version and updated_at,
 *   5. append the change (field, old, new) to the audit log and an event to the
 *      outbox, and update the search index,
 *   6. run after_write hooks (totals of parent records),
 * and commit. A failure anywhere rolls everything back: nothing is written. */
#ifndef KH_WRITE_H
#define KH_WRITE_H

#include <jansson.h>

#include "model/principal.h"
#include "model/validate.h"

/* What a request carries down to the domain: the connection, who is acting,
 * its arena and where errors go. */
struct kh_ctx {
	struct kh_db *db;
	const struct kh_principal *who;
	struct kh_arena *arena;
	struct kh_errinfo *ei;
	/* Bulk loading (demo data, imports): records go in without a per-record
	 * audit entry or outbox event, references and unique values are left to
	 * the database's constraints, given created_at values are kept, and
	 * after_write hooks wait for kh_bulk_finish(). */
	int bulk;
	/* A bulk load that still records each new record's change, in the audit
	 * log and the outbox, as if it had been created by hand, so automation
	 * rules and the outbox's other consumers see it (kehu import --run-rules). */
	int bulk_changes;
};

enum kh_op { KH_OP_CREATE, KH_OP_UPDATE, KH_OP_ARCHIVE, KH_OP_RESTORE };

/* The state a hook sees: the values about to be written and, on update, the
 * values stored now. */
struct kh_write {
	struct kh_ctx *ctx;
	const struct kh_entity *e;
	enum kh_op op;
	int64_t id;                /* 0 on create until the row is inserted */
	struct kh_values new;      /* set[i] marks values that this write changes */
	struct kh_values old;      /* on update: the stored row (all fields) */
	int64_t now;
	char now_text[32];
};

/* The value a field will have after the write: the new one if set, else the old. */
const struct kh_val *kh_write_get(const struct kh_write *w, const char *field);
/* Sets a field as part of the write (hooks use this). */
void kh_write_set(struct kh_write *w, const char *field, struct kh_val v);
/* 1 if the write changes field. */
int kh_write_changes(const struct kh_write *w, const char *field);

/* The use cases. *id receives the new record's id. `expect_version` is the
 * If-Match version, or -1. */
enum kh_err kh_record_create(struct kh_ctx *ctx, const struct kh_entity *e, json_t *body, int64_t *id);
enum kh_err kh_record_update(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, json_t *body,
			     int64_t expect_version);
enum kh_err kh_record_archive(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id);
enum kh_err kh_record_restore(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id);

/* An update from values already validated or set by domain code (which may set
 * read-only fields): kh_record_update is this after parsing its JSON. */
enum kh_err kh_record_patch(struct kh_ctx *ctx, struct kh_values *vals, int64_t id, int64_t expect_version);

/* The same create from values already validated (demo data, import). Runs in
 * the caller's transaction when one is open, else in its own. */
enum kh_err kh_record_insert(struct kh_ctx *ctx, struct kh_values *vals, int64_t *id);

/* Ends a bulk load of entity e: runs its after_bulk rule (order totals). */
enum kh_err kh_bulk_finish(struct kh_ctx *ctx, const struct kh_entity *e);

/* The next number of a named counter (case and order numbers), in the caller's
 * transaction. */
enum kh_err kh_counter_next(struct kh_db *db, const char *name, int64_t *out);

#endif
