/* The background worker of `kehu serve`: one thread with its own database
 * connection that, while this server holds the "scheduler" lease, runs due
 * jobs and feeds the outbox to its consumers, and prunes old live events.
 * With several servers on one database exactly one of them does this work:
 * on PostgreSQL the one whose worker holds an advisory lock for the life of
 * its connection, so that when it dies another takes over at its next tick
 * (250 ms); elsewhere the holder of a lease row, which a dead server's runs
 * out in 30 s. */
#ifndef KH_SCHEDULER_H
#define KH_SCHEDULER_H

#include <stddef.h>

struct kh_scheduler;

struct kh_scheduler *kh_scheduler_start(const char *db_location, char *msg, size_t msglen);
/* Finishes the job in hand, releases the lease and stops. */
void kh_scheduler_stop(struct kh_scheduler *s);
/* 1 while this server is the one running background work (for metrics). */
int kh_scheduler_leading(struct kh_scheduler *s);
/* Wakes the worker now (after a change that has work waiting). */
void kh_scheduler_poke(struct kh_scheduler *s);

#endif
