/* Parallel sums over rows; see par.h. */
#include "analytics/par.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int nthreads = 2;

void kh_par_set_threads(int n)
{
	nthreads = n <= 0 ? 2 : n > KH_PAR_MAX_THREADS ? KH_PAR_MAX_THREADS : n;
}

int kh_par_threads(void)
{
	return nthreads;
}

struct chunk {
	kh_par_fn fn;
	void *ctx;
	size_t lo, hi;
	double *acc; /* this chunk's partial sums, or NULL */
};

static void *run(void *p)
{
	struct chunk *c = p;
	c->fn(c->ctx, c->lo, c->hi, c->acc);
	return NULL;
}

static void split(kh_par_fn fn, void *ctx, size_t n, double *acc, int m)
{
	struct chunk ch[KH_PAR_MAX_THREADS];
	pthread_t tid[KH_PAR_MAX_THREADS];
	int started[KH_PAR_MAX_THREADS] = {0};
	int t = n < KH_PAR_MIN_ROWS || nthreads < 2 ? 1
		: nthreads > KH_PAR_MAX_THREADS ? KH_PAR_MAX_THREADS : nthreads;
	double *part = NULL;
	if (acc)
		memset(acc, 0, sizeof(double) * m);
	if (t > 1 && acc) {
		/* Chunk 0 sums into acc itself, the others into scratch. */
		part = calloc((size_t)(t - 1) * m, sizeof(double));
		if (!part)
			t = 1;
	}
	for (int i = 0; i < t; i++) {
		ch[i].fn = fn;
		ch[i].ctx = ctx;
		ch[i].lo = n / t * i;
		ch[i].hi = i == t - 1 ? n : n / t * (i + 1);
		ch[i].acc = !acc ? NULL : i == 0 ? acc : part + (size_t)(i - 1) * m;
	}
	/* Chunk 0 runs on the calling thread, the others on new threads; a
	 * chunk whose thread could not start runs here too. */
	for (int i = 1; i < t; i++)
		started[i] = pthread_create(&tid[i], NULL, run, &ch[i]) == 0;
	run(&ch[0]);
	for (int i = 1; i < t; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			run(&ch[i]);
	}
	/* Add the partial sums in chunk order, so the result does not depend
	 * on which thread finished first. */
	for (int i = 1; i < t && acc; i++)
		for (int k = 0; k < m; k++)
			acc[k] += ch[i].acc[k];
	free(part);
}

void kh_par_sum(kh_par_fn fn, void *ctx, size_t n, double *acc, int m)
{
	split(fn, ctx, n, acc, m);
}

void kh_par_for(kh_par_fn fn, void *ctx, size_t n)
{
	split(fn, ctx, n, NULL, 0);
}
