#include "domain/scheduler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain/jobs.h"
#include "util/clock.h"
#include "util/log.h"

#define LEASE_SECONDS 30
#define TICK_MS 250
/* Kehu's advisory lock 2 ("KEHU" 2; 1 is the write lock): the background worker. */
#define WORKER_LOCK 2
/* Lease holders that hold the worker's lock are named so: a server that has the
 * lock knows every other such holder is gone (the lock would be theirs). */
#define LOCK_HOLDER "lock:"
/* A server that has just lost the lock (its connection broke) lets the others
 * take it first: theirs are likely the healthier connections. */
#define LOST_WAIT_US 2000000

struct kh_scheduler {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	struct kh_db *db;
	char holder[128];
	int use_lock;        /* PostgreSQL, direct: leadership is the session lock */
	int64_t wait_until;  /* monotonic us: no try for the lock before */
	_Atomic int leading; /* this server runs the background work now */
};

/* Whether this server is the one to run background work now. Where the
 * database keeps a lock for the life of a connection (PostgreSQL), whoever
 * holds it leads, and loses it the moment its process or connection dies, so
 * another server takes over within a tick; the lease row then only says who
 * leads. Otherwise (SQLite, or PostgreSQL behind pgbouncer in transaction
 * mode) the lease alone decides, and a dead holder's runs out in 30 s. */
static int64_t monotonic_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int lead(struct kh_scheduler *s)
{
	if (s->use_lock) {
		if (monotonic_us() < s->wait_until)
			return 0;
		int held = 0;
		enum kh_err err = s->db->ops->hold_lock(s->db, WORKER_LOCK, &held);
		if (err == KH_EINVAL) {
			s->use_lock = 0; /* no session lock here: the lease decides */
			memmove(s->holder, s->holder + strlen(LOCK_HOLDER), strlen(s->holder) - strlen(LOCK_HOLDER) + 1);
		} else if (err || !held) {
			if (s->leading)
				s->wait_until = monotonic_us() + LOST_WAIT_US;
			return 0;
		} else {
			/* A server on a pooled connection may hold the lease: then it
			 * leads, and this one waits. */
			return kh_lease_take_over(s->db, "scheduler", s->holder, LEASE_SECONDS, LOCK_HOLDER);
		}
	}
	return kh_lease_take(s->db, "scheduler", s->holder, LEASE_SECONDS);
}

static void *loop(void *arg)
{
	struct kh_scheduler *s = arg;
	int64_t last_prune = 0;
	pthread_mutex_lock(&s->lock);
	int64_t last_checkpoint = 0;
	while (!s->stop) {
		pthread_mutex_unlock(&s->lock);
		/* The request threads leave WAL checkpoints to this thread. */
		if (s->db->ops->checkpoint && kh_now() - last_checkpoint > 1000000) {
			s->db->ops->checkpoint(s->db);
			last_checkpoint = kh_now();
		}
		int leading = lead(s);
		/* Taking over (again: another server may have led and died since
		 * this one last did), so what was running is an orphan. */
		if (leading && !s->leading)
			kh_jobs_recover(s->db);
		s->leading = leading;
		if (leading) {
			if (s->db->ops->search_flush)
				s->db->ops->search_flush(s->db);
			kh_jobs_run_due(s->db, s->holder, 50);
			kh_consumers_run(s->db, 500);
			int64_t now = kh_now();
			if (now - last_prune > 60 * 1000000LL) {
				/* Daily housekeeping, queued once a day whichever server runs it. */
				char day[KH_TIME_LEN], key[40];
				kh_time_format(now, day);
				snprintf(key, sizeof key, "core.prune:%.10s", day);
				kh_job_enqueue(s->db, "core.prune", NULL, NULL, key);
				char cut[KH_TIME_LEN];
				kh_time_format(now - 3600 * 1000000LL, cut);
				struct kh_val p = KH_VTEXT(cut);
				kh_db_exec(s->db, "DELETE FROM kh_events WHERE at < $1", &p, 1);
				last_prune = now;
			}
		}
		pthread_mutex_lock(&s->lock);
		if (s->stop)
			break;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->wake, &s->lock, &until);
	}
	pthread_mutex_unlock(&s->lock);
	/* Hand the lease on at once rather than after it runs out. */
	struct kh_val p = KH_VTEXT(s->holder);
	kh_db_exec(s->db, "UPDATE kh_leases SET until = '1970-01-01T00:00:00.000Z' WHERE holder = $1", &p, 1);
	return NULL;
}

struct kh_scheduler *kh_scheduler_start(const char *db_location, char *msg, size_t msglen)
{
	struct kh_scheduler *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	if (kh_db_open(db_location, 0, &s->db, msg, msglen)) {
		free(s);
		return NULL;
	}
	char host[64] = "host";
	gethostname(host, sizeof host - 1);
	s->use_lock = s->db->ops->hold_lock != NULL;
	snprintf(s->holder, sizeof s->holder, "%s%s:%d:%lld", s->use_lock ? LOCK_HOLDER : "", host, (int)getpid(),
		 (long long)(kh_now() % 1000000007));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, loop, s)) {
		snprintf(msg, msglen, "cannot start the scheduler thread");
		kh_db_close(s->db);
		free(s);
		return NULL;
	}
	return s;
}

int kh_scheduler_leading(struct kh_scheduler *s)
{
	return s && s->leading;
}

void kh_scheduler_poke(struct kh_scheduler *s)
{
	pthread_mutex_lock(&s->lock);
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void kh_scheduler_stop(struct kh_scheduler *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	kh_db_close(s->db);
	free(s);
}
