/* Helpers shared by the service module's files (not an API for others). */
#ifndef KH_SERVICE_INTERNAL_H
#define KH_SERVICE_INTERNAL_H

#include "domain/write.h"

/* A field and its value, for building records in code. */
struct kh_fv {
	const char *field;
	struct kh_val v;
};

/* A copy of ctx acting as the system (user 0, all permissions), for work the
 * module does on its own authority: bookkeeping, tasks it creates. */
void kh_service_system_ctx(const struct kh_ctx *ctx, struct kh_ctx *sys);

/* Creates a record of `entity` from field/value pairs through the write path. */
enum kh_err kh_service_insert(struct kh_ctx *ctx, const char *entity, const struct kh_fv *fv, int n, int64_t *id);
/* Changes fields of a record through the write path. */
enum kh_err kh_service_update(struct kh_ctx *ctx, const char *entity, int64_t id, const struct kh_fv *fv, int n);
/* Changes one field of a record through the write path. */
enum kh_err kh_service_set(struct kh_ctx *ctx, const char *entity, int64_t id, const char *field, struct kh_val v);

/* Reads record id of e (within the principal's read scope) into vals, every
 * field, text in the arena. KH_ENOTFOUND with the error set otherwise. */
enum kh_err kh_service_load(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_values *vals);

/* A note (an activity) on a case, with the case's contact and account. */
enum kh_err kh_service_note(struct kh_ctx *ctx, int64_t case_id, const char *subject, const char *text);

/* What resolving a case sets off: the CSAT survey and, for complaints and
 * high-value cases, the follow-up visit. Runs in the case's transaction. */
enum kh_err kh_service_on_resolved(struct kh_write *w);

/* Text of a value as a NUL-terminated arena string, or NULL. */
char *kh_service_text(struct kh_arena *a, const struct kh_val *v);

/* The module's own small state (kh_service_kv): mailbox positions, the day
 * the care rules last ran, the settings. KH_ENOTFOUND when a key is unset. */
enum kh_err kh_service_kv_get(struct kh_db *db, const char *key, char *out, size_t n);
enum kh_err kh_service_kv_put(struct kh_db *db, const char *key, const char *value);

/* Queues the periodic tick (migration 200 queues the first). */
enum kh_err kh_service_schedule(struct kh_db *db);
/* Brings the next tick to now if the pending one is far in the future. */
enum kh_err kh_service_ensure_tick(struct kh_db *db);

#endif
