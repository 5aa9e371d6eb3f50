/* Background work: a queue of jobs in the database, consumers of the outbox, and
 * a lease that makes exactly one server run them.
 *
 * Jobs (kh_jobs) are things to do at a time: send an e-mail, run a scheduled
 * analysis, check SLA timers. A job is claimed, run and marked done; a failure
 * is retried with backoff up to its kind's limit, then marked failed with the
 * reason. A job that was running when a server died is retried if its kind
 * says it is safe to repeat, else marked failed ("interrupted") so that an
 * e-mail is never sent twice.
 *
 * Outbox consumers (automation rules, webhooks) see every change the write
 * path recorded, in order, each exactly once: a consumer's effects on the
 * database and its progress (kh_consumer_offsets) commit in one transaction.
 *
 * Modules register job kinds and consumers in tables (jobs_registry.c), like
 * entities and routes. */
#ifndef KH_JOBS_H
#define KH_JOBS_H

#include <jansson.h>

#include "domain/write.h"

struct kh_job_kind {
	const char *name;
	enum kh_err (*run)(struct kh_ctx *ctx, json_t *payload);
	int max_attempts;
	int repeatable; /* safe to run again after a crash mid-run */
};

/* One recorded change, as a consumer sees it. */
struct kh_change {
	int64_t id;
	const char *at;
	int64_t user_id;
	const char *entity;
	int64_t record_id;
	const char *action;
	json_t *changes; /* {"field": [old, new]} */
};

struct kh_outbox_consumer {
	const char *name;
	/* Runs inside a write transaction; may write records (through the write
	 * path) and enqueue jobs. An error rolls back and is retried later. */
	enum kh_err (*handle)(struct kh_ctx *ctx, const struct kh_change *c);
};

/* Registries: NULL-terminated lists of NULL-terminated tables. */
extern const struct kh_job_kind *const *const kh_job_modules[];
extern const struct kh_outbox_consumer *const *const kh_consumer_modules[];

/* Adds a job. run_at NULL means now. A dedupe key (or NULL) makes the call
 * idempotent: a second job with the same key is not added. In the caller's
 * transaction if one is open. */
enum kh_err kh_job_enqueue(struct kh_db *db, const char *kind, const char *run_at, json_t *payload,
			   const char *dedupe_key);

/* Takes or renews the named lease for `holder` for `seconds`; 1 if this
 * holder has it now. One server at a time runs background work. */
int kh_lease_take(struct kh_db *db, const char *name, const char *holder, int seconds);
/* The same, also taking it from a holder whose name starts with dead: holders
 * known to be gone (those of a lock that the caller now holds itself). */
int kh_lease_take_over(struct kh_db *db, const char *name, const char *holder, int seconds, const char *dead);

/* Jobs left "running" by a server that no longer runs background work are
 * retried if their kind may repeat, else failed. Call when this server has
 * just become the one that runs it (nothing of its own is running then). */
void kh_jobs_recover(struct kh_db *db);
/* Runs due jobs (up to max); returns how many ran. */
int kh_jobs_run_due(struct kh_db *db, const char *holder, int max);
/* Feeds new outbox entries to every consumer (up to max each); returns how many. */
int kh_consumers_run(struct kh_db *db, int max);

#endif
