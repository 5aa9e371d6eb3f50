/* The background worker of `kehu serve`: one thread with its own database
 * connection that, while this server holds the "scheduler" lease, runs due
 * jobs and feeds the outbox to its consumers, and prunes old live events.
 * With several servers on one database exactly one of them does this work;
 * when it dies, its lease runs out and another takes over. */
#ifndef KH_SCHEDULER_H
#define KH_SCHEDULER_H

#include <stddef.h>

struct kh_scheduler;

struct kh_scheduler *kh_scheduler_start(const char *db_location, char *msg, size_t msglen);
/* Finishes the job in hand, releases the lease and stops. */
void kh_scheduler_stop(struct kh_scheduler *s);
/* Wakes the worker now (after a change that has work waiting). */
void kh_scheduler_poke(struct kh_scheduler *s);

#endif
