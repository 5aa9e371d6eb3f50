/* Bulk edit, assign, archive and restore: one use case over many records of
 * one entity, in one transaction.
 *
 * Each record goes through the one write path (domain/write.c) with all its
 * checks - the principal's scope for that record, validation and the entity's
 * rules, If-Match versions, archived records - inside a savepoint of its own,
 * so that a record that fails leaves no trace while the others are kept.
 * With `atomic`, any failure rolls the whole transaction back instead. The
 * outcome of every record is reported, in the order the ids were given. */
#ifndef KH_BULK_H
#define KH_BULK_H

#include "domain/write.h"

#define KH_BULK_MAX 500

enum kh_bulk_op { KH_BULK_UPDATE, KH_BULK_ARCHIVE, KH_BULK_RESTORE };

struct kh_bulk_result {
	int64_t id;
	enum kh_err err;       /* KH_OK: changed (or already so) */
	struct kh_errinfo ei;  /* why not, when err */
	int64_t version;       /* the record's version after the change */
};

/* Runs op over ids[0..n). `set` (KH_BULK_UPDATE only) holds the validated
 * values to give every record; versions, when not NULL, the If-Match version
 * of each record (or -1). Fills out[0..n) and *nfailed. Returns an error only
 * when the transaction itself fails (busy, commit) or, with atomic, when a
 * record failed (the first failure's code; nothing is written then). */
enum kh_err kh_records_bulk(struct kh_ctx *ctx, const struct kh_entity *e, enum kh_bulk_op op, const int64_t *ids,
			    const int64_t *versions, int n, const struct kh_values *set, int atomic,
			    struct kh_bulk_result *out, int *nfailed);

#endif
