/* A fixed pool of worker threads that run requests off libmicrohttpd's event
 * loops: for databases whose calls block on the network (PostgreSQL), and, as
 * one thread taking queued requests in batches, for SQLite's record writes
 * (group commit: http/server.c, writer_batch).
 *
 * With SQLite a handler takes microseconds and runs on the event-loop thread
 * that read the request. A PostgreSQL round trip blocks that thread, and with
 * it every other connection the thread serves: measured, p99 latency of point
 * reads grew from 34 ms with 2 threads to 489 ms with 8 (docs/BENCHMARKS.md).
 * Instead the event loop suspends the connection and queues the request; the
 * next free worker, which owns one database connection, runs it and resumes the
 * connection, and the event loop sends the answer. The queue is first come,
 * first served across all connections, so one slow request delays only those
 * behind it in the queue, not the ones that happen to share its thread. */
#ifndef KH_DBPOOL_H
#define KH_DBPOOL_H

struct kh_dbpool;

/* Starts n workers; each job submitted is given to run(job, cls) on one of
 * them. Returns NULL when the threads cannot be made. */
struct kh_dbpool *kh_dbpool_start(int n, void (*run)(void *job, void *cls), void *cls);
/* Starts n workers that each take up to max queued jobs at a time and give
 * them to run_batch(jobs, count, cls) (a writer that commits them together). */
struct kh_dbpool *kh_dbpool_start_batches(int n, int max, void (*run_batch)(void **jobs, int count, void *cls),
					  void *cls);
/* Queues a job (first in, first out). Never blocks on the workers. */
void kh_dbpool_submit(struct kh_dbpool *p, void *job);
/* Runs what is queued, then ends and joins the workers. */
void kh_dbpool_stop(struct kh_dbpool *p);

/* A request whose answer is streamed from the database after its handler
 * returns (an export) keeps its worker, and so the worker's connection, until
 * the stream has been sent: the worker calls kh_dbpool_hold(p, key, then, arg),
 * which runs then(arg) (resuming the connection) and waits until the end of the
 * request calls kh_dbpool_release(p, key). Releasing a key that is not held
 * does nothing, cheaply. */
void kh_dbpool_hold(struct kh_dbpool *p, const void *key, void (*then)(void *), void *arg);
void kh_dbpool_release(struct kh_dbpool *p, const void *key);

#endif
