#include "domain/bulk.h"

#include <stdio.h>
#include <string.h>

/* A fresh copy of the values for each record: the write path marks values
 * that equal the stored ones as unchanged in place. */
static int copy_values(struct kh_values *dst, const struct kh_values *src, struct kh_arena *a)
{
	if (kh_values_init(dst, src->e, a))
		return -1;
	memcpy(dst->v, src->v, (size_t)src->e->nfields * sizeof *dst->v);
	memcpy(dst->set, src->set, (size_t)src->e->nfields);
	return 0;
}

static enum kh_err one(struct kh_ctx *ctx, const struct kh_entity *e, enum kh_bulk_op op, int64_t id,
		       int64_t version, const struct kh_values *set)
{
	struct kh_values vals;
	switch (op) {
	case KH_BULK_UPDATE:
		if (copy_values(&vals, set, ctx->arena))
			return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
		return kh_record_patch(ctx, &vals, id, version);
	case KH_BULK_ARCHIVE:
		return kh_record_archive(ctx, e, id);
	case KH_BULK_RESTORE:
		return kh_record_restore(ctx, e, id);
	}
	return KH_EINTERNAL;
}

enum kh_err kh_records_bulk(struct kh_ctx *ctx, const struct kh_entity *e, enum kh_bulk_op op, const int64_t *ids,
			    const int64_t *versions, int n, const struct kh_values *set, int atomic,
			    struct kh_bulk_result *out, int *nfailed)
{
	*nfailed = 0;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "the database is busy");
	enum kh_err first = KH_OK;
	for (int i = 0; !err && i < n; i++) {
		struct kh_bulk_result *res = &out[i];
		memset(res, 0, sizeof *res);
		res->id = ids[i];
		kh_errinfo_init(&res->ei, ctx->arena);
		struct kh_ctx one_ctx = *ctx;
		one_ctx.ei = &res->ei;
		/* Both engines roll a savepoint back without touching the rest of the
		 * transaction; PostgreSQL also needs it to carry on after an error. */
		err = kh_db_exec(ctx->db, "SAVEPOINT kh_bulk", NULL, 0);
		if (err)
			break;
		res->err = one(&one_ctx, e, op, ids[i], versions ? versions[i] : -1, set);
		if (res->err) {
			(*nfailed)++;
			if (!first)
				first = res->err;
			err = kh_db_exec(ctx->db, "ROLLBACK TO SAVEPOINT kh_bulk", NULL, 0);
		} else {
			struct kh_val p = KH_VINT(ids[i]);
			char sql[160];
			snprintf(sql, sizeof sql, "SELECT version FROM %s WHERE id = $1", e->name);
			err = kh_db_int(ctx->db, sql, &p, 1, &res->version);
		}
		if (!err)
			err = kh_db_exec(ctx->db, "RELEASE SAVEPOINT kh_bulk", NULL, 0);
		/* Atomic or not, every record is tried, so that all faults are
		 * reported at once. */
	}
	if (err) {
		kh_db_rollback(ctx->db);
		return kh_errinfo_set(ctx->ei, err, "the changes could not be made");
	}
	if (atomic && first) {
		kh_db_rollback(ctx->db);
		return first;
	}
	err = kh_db_commit(ctx->db);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "the changes could not be committed");
	return KH_OK;
}
