#include "http/dbpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "util/log.h"

struct job {
	void *job;
	struct job *next;
};

struct kh_dbpool {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	pthread_cond_t released; /* a held key was released */
	atomic_int nheld;
	const void **held;       /* one slot per worker: the keys being held */
	struct job *head, *tail;
	int stopping;
	int n;
	void (*run)(void *job, void *cls);
	void (*run_batch)(void **jobs, int count, void *cls);
	int batch_max;
	void *cls;
	pthread_t threads[];
};

/* Gives jobs to the pool's runner: all at once to a batch runner, else one by one. */
static void run_jobs(struct kh_dbpool *p, void **jobs, int count)
{
	if (p->run_batch)
		p->run_batch(jobs, count, p->cls);
	else
		for (int i = 0; i < count; i++)
			p->run(jobs[i], p->cls);
}

/* Takes the queued jobs, up to batch_max at a time (1 without a batch runner),
 * until the pool stops. */
static void *worker(void *arg)
{
	struct kh_dbpool *p = arg;
	void *one[1];
	void **jobs = p->batch_max > 1 ? malloc((size_t)p->batch_max * sizeof *jobs) : NULL;
	int max = jobs ? p->batch_max : 1; /* out of memory: one at a time */
	if (!jobs)
		jobs = one;
	for (;;) {
		int count = 0;
		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->ready, &p->lock);
		while (p->head && count < max) {
			struct job *j = p->head;
			p->head = j->next;
			if (!p->head)
				p->tail = NULL;
			jobs[count++] = j->job;
			free(j);
		}
		pthread_mutex_unlock(&p->lock);
		if (!count)
			break; /* stopping, and nothing left to do */
		run_jobs(p, jobs, count);
	}
	if (jobs != one)
		free(jobs);
	return NULL;
}

static struct kh_dbpool *start(int n, void (*run)(void *job, void *cls),
				void (*run_batch)(void **jobs, int count, void *cls), int max, void *cls)
{
	struct kh_dbpool *p = calloc(1, sizeof *p + (size_t)n * sizeof(pthread_t));
	if (!p)
		return NULL;
	p->held = calloc((size_t)n, sizeof *p->held);
	if (!p->held) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->ready, NULL);
	pthread_cond_init(&p->released, NULL);
	p->run = run;
	p->run_batch = run_batch;
	p->batch_max = max;
	p->cls = cls;
	for (; p->n < n; p->n++)
		if (pthread_create(&p->threads[p->n], NULL, worker, p)) {
			kh_error("cannot start database worker %d of %d", p->n + 1, n);
			kh_dbpool_stop(p);
			return NULL;
		}
	return p;
}

struct kh_dbpool *kh_dbpool_start(int n, void (*run)(void *job, void *cls), void *cls)
{
	return start(n, run, NULL, 1, cls);
}

struct kh_dbpool *kh_dbpool_start_batches(int n, int max, void (*run_batch)(void **jobs, int count, void *cls),
					  void *cls)
{
	return start(n, NULL, run_batch, max > 0 ? max : 1, cls);
}

void kh_dbpool_submit(struct kh_dbpool *p, void *job)
{
	struct job *j = malloc(sizeof *j);
	if (!j) {
		/* Out of memory: run it here rather than lose the request. */
		run_jobs(p, &job, 1);
		return;
	}
	*j = (struct job){.job = job};
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->ready);
	pthread_mutex_unlock(&p->lock);
}

void kh_dbpool_stop(struct kh_dbpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->ready);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->ready);
	pthread_cond_destroy(&p->released);
	free(p->held);
	free(p);
}

void kh_dbpool_hold(struct kh_dbpool *p, const void *key, void (*then)(void *), void *arg)
{
	pthread_mutex_lock(&p->lock);
	int slot = -1;
	for (int i = 0; i < p->n && slot < 0; i++)
		if (!p->held[i])
			slot = i;
	/* A worker holds at most one key, so there is always a free slot. */
	p->held[slot] = key;
	atomic_fetch_add(&p->nheld, 1);
	pthread_mutex_unlock(&p->lock);
	then(arg);
	pthread_mutex_lock(&p->lock);
	while (p->held[slot] == key)
		pthread_cond_wait(&p->released, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void kh_dbpool_release(struct kh_dbpool *p, const void *key)
{
	if (atomic_load(&p->nheld) == 0)
		return;
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->n; i++)
		if (p->held[i] == key) {
			p->held[i] = NULL;
			atomic_fetch_sub(&p->nheld, 1);
			pthread_cond_broadcast(&p->released);
		}
	pthread_mutex_unlock(&p->lock);
}


