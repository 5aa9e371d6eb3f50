/* Stored analytics: the per-customer scores that `kehu analyze --all` and the
 * nightly job refresh (RFM, ABC class, CLV, P(alive), churn risk with its
 * reasons, segment, lifecycle stage, profit), the cache of on-demand results
 * per as-of date, and the background work that keeps both fresh.
 *
 * Tables (migration 500, not entities: they are derived data, rebuilt at
 * will, and never edited through the write path):
 *   kh_customer_scores  (entity, record_id) -> the scores as of a day
 *   kh_analytics_runs   one row per refresh: when, how many, what failed
 *   kh_analytics_cache  (key) -> a computed answer and the data version it
 *                       was computed from */
#ifndef KH_ANALYTICS_SCORES_H
#define KH_ANALYTICS_SCORES_H

#include "domain/analytics.h"
#include "domain/jobs.h"

/* Migration 500: the tables above. */
enum kh_err kh_an_migrate(struct kh_db *db);

struct kh_an_refresh {
	size_t customers;
	char skipped[256]; /* analyses that could not run and why, "" if all ran */
};

/* Loads every customer (by contact or account) as the system sees them, runs
 * the analyses and replaces the stored scores of that kind in one
 * transaction. stage(cls, name, step, steps) and progress (loading) may be
 * NULL. An analysis the data cannot support (no history for churn) is left
 * out and named in res->skipped; the others are stored. */
enum kh_err kh_an_refresh_scores(struct kh_ctx *ctx, enum kh_an_by by, int32_t as_of,
				 void (*stage)(void *cls, const char *name, int step, int steps),
				 void (*progress)(void *cls, size_t done, size_t total), void *cls,
				 struct kh_an_refresh *res);

/* Writes the stored scores of customer id of e (contacts or accounts) as a
 * JSON object, {"scored": false} when there are none. KH_ENOTFOUND if the
 * principal may not read the customer. */
enum kh_err kh_an_scores_write(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_jw *w);

/* The version of the data analyses read: changes whenever orders, lines,
 * cases or products are added or any record changes through the write path. */
enum kh_err kh_an_data_version(struct kh_db *db, char out[96]);

/* The cache: *hit = 1 and body filled when key has an answer computed from
 * data of this version within the last `max_age` seconds. */
enum kh_err kh_an_cache_get(struct kh_db *db, const char *key, const char *version, int max_age,
			    struct kh_buf *body, int *hit);
enum kh_err kh_an_cache_put(struct kh_db *db, const char *key, const char *version, const char *body,
			    size_t len);

/* The last refresh of each kind, as JSON: [{"entity", "as_of", "finished_at",
 * "customers", "skipped"}]. */
enum kh_err kh_an_runs_write(struct kh_db *db, struct kh_jw *w);

/* Queues a refresh now (the API's "refresh scores" button). */
enum kh_err kh_an_refresh_enqueue(struct kh_db *db, const char *key);

extern const struct kh_job_kind *const kh_analytics_jobs[];
extern const struct kh_outbox_consumer *const kh_analytics_consumers[];

#endif
