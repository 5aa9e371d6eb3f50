/* k-means segments; see kmeans.h. */
#include "analytics/kmeans.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/par.h"

/* splitmix64: a small, well-mixed generator for seeding and sampling. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_unif(uint64_t *s)
{
	return (rng_next(s) >> 11) * 0x1.0p-53;
}

static double dist2(const double *a, const double *b, int p)
{
	double d = 0;
	for (int j = 0; j < p; j++) {
		double t = a[j] - b[j];
		d += t * t;
	}
	return d;
}

struct assign_ctx {
	const double *Z, *c;
	size_t n;
	int p, k;
	uint32_t *assign;
	double *d2; /* squared distance to the assigned centre */
};

/* The assignment step for rows [lo, hi); acc[0] counts the rows that moved,
 * acc[1] sums their squared distances. */
static void assign_rows(void *pc, size_t lo, size_t hi, double *acc)
{
	struct assign_ctx *a = pc;
	double moved = 0, sse = 0;
	for (size_t i = lo; i < hi; i++) {
		const double *z = a->Z + i * a->p;
		double best = DBL_MAX;
		uint32_t bk = 0;
		for (int c = 0; c < a->k; c++) {
			double d = dist2(z, a->c + (size_t)c * a->p, a->p);
			if (d < best) {
				best = d;
				bk = (uint32_t)c;
			}
		}
		moved += a->assign[i] != bk;
		a->assign[i] = bk;
		a->d2[i] = best;
		sse += best;
	}
	acc[0] += moved;
	acc[1] += sse;
}

/* k-means++ seeding into c (k x p). */
static void seed_plusplus(const double *Z, size_t n, int p, int k, double *c, double *d2,
			  uint64_t *rng)
{
	size_t first = rng_next(rng) % n;
	memcpy(c, Z + first * p, sizeof(double) * p);
	double total = 0;
	for (size_t i = 0; i < n; i++) {
		d2[i] = dist2(Z + i * p, c, p);
		total += d2[i];
	}
	for (int j = 1; j < k; j++) {
		size_t pick = rng_next(rng) % n;
		if (total > 0) {
			double u = rng_unif(rng) * total, s = 0;
			for (size_t i = 0; i < n; i++) {
				s += d2[i];
				if (s > u) {
					pick = i;
					break;
				}
			}
		}
		memcpy(c + (size_t)j * p, Z + pick * p, sizeof(double) * p);
		total = 0;
		for (size_t i = 0; i < n; i++) {
			double d = dist2(Z + i * p, c + (size_t)j * p, p);
			if (d < d2[i])
				d2[i] = d;
			total += d2[i];
		}
	}
}

/* One restart of Lloyd's algorithm; returns the within-cluster SSE. */
static double lloyd(const double *Z, size_t n, int p, int k, int max_iter, double *c,
		    uint32_t *assign, double *d2, size_t *cnt, int *iters)
{
	struct assign_ctx a = {Z, c, n, p, k, assign, d2};
	double acc[2] = {0, 0};
	for (size_t i = 0; i < n; i++)
		assign[i] = UINT32_MAX;
	int it;
	for (it = 0; it < max_iter; it++) {
		kh_par_sum(assign_rows, &a, n, acc, 2);
		if (acc[0] == 0)
			break;
		memset(c, 0, sizeof(double) * k * p);
		memset(cnt, 0, sizeof(size_t) * k);
		for (size_t i = 0; i < n; i++) {
			double *ci = c + (size_t)assign[i] * p;
			const double *z = Z + i * p;
			for (int j = 0; j < p; j++)
				ci[j] += z[j];
			cnt[assign[i]]++;
		}
		for (int q = 0; q < k; q++) {
			if (cnt[q] == 0) {
				/* Re-seed an empty cluster at the worst-fitted point. */
				size_t far = 0;
				for (size_t i = 1; i < n; i++)
					if (d2[i] > d2[far])
						far = i;
				memcpy(c + (size_t)q * p, Z + far * p, sizeof(double) * p);
				d2[far] = 0;
				continue;
			}
			for (int j = 0; j < p; j++)
				c[(size_t)q * p + j] /= cnt[q];
		}
	}
	*iters = it;
	return acc[1];
}

void kh_kmeans_release(struct kh_kmeans *m)
{
	free(m->center);
	free(m->size);
	memset(m, 0, sizeof(*m));
}

static void defaults(struct kh_kmeans_opts *o, const struct kh_kmeans_opts *in)
{
	*o = in ? *in : (struct kh_kmeans_opts){0};
	if (o->restarts <= 0)
		o->restarts = 10;
	if (o->max_iter <= 0)
		o->max_iter = 300;
	if (!o->seed)
		o->seed = 1;
	if (!o->silhouette_sample)
		o->silhouette_sample = 3000;
}

/* Standardises X into a new matrix Z. */
static double *standardise(const double *X, size_t n, int p)
{
	double *Z = malloc(n * p * sizeof(double));
	if (!Z)
		return NULL;
	for (int j = 0; j < p; j++) {
		double mean = 0, var = 0;
		for (size_t i = 0; i < n; i++)
			mean += X[i * p + j];
		mean /= n;
		for (size_t i = 0; i < n; i++)
			var += (X[i * p + j] - mean) * (X[i * p + j] - mean);
		double sd = sqrt(var / n);
		for (size_t i = 0; i < n; i++)
			Z[i * p + j] = sd > 0 ? (X[i * p + j] - mean) / sd : 0;
	}
	return Z;
}

static enum kh_err fit_z(struct kh_kmeans *m, const double *X, const double *Z, size_t n, int p,
			 int k, const struct kh_kmeans_opts *o, uint32_t *assign)
{
	enum kh_err err = KH_ENOMEM;
	double *c = malloc(sizeof(double) * k * p), *d2 = malloc(n * sizeof(double));
	uint32_t *as = malloc(n * sizeof(uint32_t));
	size_t *cnt = malloc(sizeof(size_t) * k);
	memset(m, 0, sizeof(*m));
	m->center = calloc((size_t)k * p, sizeof(double));
	m->size = calloc(k, sizeof(size_t));
	if (!c || !d2 || !as || !cnt || !m->center || !m->size)
		goto out;
	uint64_t rng = o->seed;
	double best = INFINITY;
	for (int r = 0; r < o->restarts; r++) {
		int iters;
		seed_plusplus(Z, n, p, k, c, d2, &rng);
		double sse = lloyd(Z, n, p, k, o->max_iter, c, as, d2, cnt, &iters);
		if (sse < best) {
			best = sse;
			memcpy(assign, as, n * sizeof(uint32_t));
			m->iterations = iters;
		}
	}
	m->k = k;
	m->p = p;
	m->inertia = best;
	/* The profile: member means in the original units. */
	for (size_t i = 0; i < n; i++) {
		m->size[assign[i]]++;
		for (int j = 0; j < p; j++)
			m->center[(size_t)assign[i] * p + j] += X[i * p + j];
	}
	for (int q = 0; q < k; q++)
		for (int j = 0; j < p; j++)
			if (m->size[q])
				m->center[(size_t)q * p + j] /= m->size[q];
	m->silhouette = kh_silhouette(Z, n, p, assign, k, o->silhouette_sample, o->seed);
	err = KH_OK;
out:
	free(c);
	free(d2);
	free(as);
	free(cnt);
	if (err)
		kh_kmeans_release(m);
	return err;
}

static enum kh_err check(const double *X, size_t n, int p, int k)
{
	if (p < 1 || k < 1 || k > KH_KMEANS_MAXK || (size_t)k > n)
		return KH_EINVAL;
	for (size_t i = 0; i < n * p; i++)
		if (!isfinite(X[i]))
			return KH_EINVAL;
	return KH_OK;
}

enum kh_err kh_kmeans_fit(struct kh_kmeans *m, const double *X, size_t n, int p, int k,
			  const struct kh_kmeans_opts *opts, uint32_t *assign)
{
	struct kh_kmeans_opts o;
	memset(m, 0, sizeof(*m));
	enum kh_err err = check(X, n, p, k);
	if (err)
		return err;
	defaults(&o, opts);
	double *Z = standardise(X, n, p);
	if (!Z)
		return KH_ENOMEM;
	err = fit_z(m, X, Z, n, p, k, &o, assign);
	free(Z);
	return err;
}

enum kh_err kh_kmeans_choose_k(struct kh_kmeans *m, const double *X, size_t n, int p, int kmin,
			       int kmax, const struct kh_kmeans_opts *opts, uint32_t *assign,
			       double *sil)
{
	struct kh_kmeans_opts o;
	memset(m, 0, sizeof(*m));
	if (kmin < 2 || kmax < kmin)
		return KH_EINVAL;
	enum kh_err err = check(X, n, p, kmax);
	if (err)
		return err;
	defaults(&o, opts);
	double *Z = standardise(X, n, p);
	uint32_t *as = malloc(n * sizeof(uint32_t));
	if (!Z || !as) {
		free(Z);
		free(as);
		return KH_ENOMEM;
	}
	for (int k = kmin; k <= kmax && !err; k++) {
		struct kh_kmeans cand;
		err = fit_z(&cand, X, Z, n, p, k, &o, as);
		if (err)
			break;
		if (sil)
			sil[k - kmin] = cand.silhouette;
		if (m->k == 0 || cand.silhouette > m->silhouette) {
			kh_kmeans_release(m);
			*m = cand;
			memcpy(assign, as, n * sizeof(uint32_t));
		} else {
			kh_kmeans_release(&cand);
		}
	}
	free(Z);
	free(as);
	if (err)
		kh_kmeans_release(m);
	return err;
}

double kh_silhouette(const double *Z, size_t n, int p, const uint32_t *assign, int k,
		     size_t sample, uint64_t seed)
{
	if (k < 2 || k > KH_KMEANS_MAXK || n < 2)
		return NAN;
	size_t s = sample && sample < n ? sample : n;
	size_t *pick = malloc(n * sizeof(size_t));
	if (!pick)
		return NAN;
	for (size_t i = 0; i < n; i++)
		pick[i] = i;
	if (s < n) {
		/* The first s steps of a Fisher-Yates shuffle: a uniform sample. */
		uint64_t rng = seed ^ 0x5151;
		for (size_t i = 0; i < s; i++) {
			size_t j = i + rng_next(&rng) % (n - i);
			size_t t = pick[i];
			pick[i] = pick[j];
			pick[j] = t;
		}
	}
	size_t cnt[KH_KMEANS_MAXK] = {0};
	for (size_t a = 0; a < s; a++)
		cnt[assign[pick[a]]]++;
	double total = 0;
	for (size_t a = 0; a < s; a++) {
		double sum[KH_KMEANS_MAXK] = {0};
		const double *za = Z + pick[a] * p;
		for (size_t b = 0; b < s; b++)
			if (b != a)
				sum[assign[pick[b]]] += sqrt(dist2(za, Z + pick[b] * p, p));
		uint32_t own = assign[pick[a]];
		if (cnt[own] < 2)
			continue; /* a singleton's silhouette is 0 */
		double ai = sum[own] / (cnt[own] - 1), bi = INFINITY;
		for (int c = 0; c < k; c++)
			if (c != (int)own && cnt[c] > 0 && sum[c] / cnt[c] < bi)
				bi = sum[c] / cnt[c];
		if (isfinite(bi) && fmax(ai, bi) > 0)
			total += (bi - ai) / fmax(ai, bi);
	}
	free(pick);
	return total / s;
}
