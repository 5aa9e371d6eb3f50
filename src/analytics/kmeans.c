/* k-means segments; see kmeans.h. */
#include "analytics/kmeans.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/par.h"

#define KH_KMEANS_TOL 1e-4
/* Above this many rows the restarts run on a sample of KH_KMEANS_SAMPLE. */
#define KH_KMEANS_SAMPLE_ABOVE 300000
#define KH_KMEANS_SAMPLE 100000

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

/* One Lloyd iteration over rows [lo, hi) with Hamerly's (2010) bounds: u[i]
 * bounds the distance from row i to its centre from above and l[i] the
 * distance to every other centre from below, so a row whose u[i] is below
 * max(l[i], half the distance from its centre to the nearest other centre)
 * cannot change cluster and costs no distance computation. After the first
 * few iterations that skips most rows. */
struct ham_ctx {
	const double *Z, *c;
	int p, k;
	const double *half;  /* half the distance from centre j to its nearest other centre */
	const double *moved; /* how far each centre moved in the last update */
	double mmax, m2nd;   /* the largest and second largest moves */
	int jmax;            /* the centre that moved most */
	int full;            /* 1: no valid bounds or assignment yet */
	uint32_t *a;
	double *u, *l;
};

/* acc[0] rows that changed cluster; acc[1 .. k p] the change of the
 * per-cluster sums of the rows; acc[1 + k p .. k p + k] the change of the
 * per-cluster counts. */
static void ham_rows(void *pc, size_t lo, size_t hi, double *acc)
{
	const struct ham_ctx *h = pc;
	/* Locals, so that the stores to u, l and a do not force the compiler to
	 * reload the context in the inner loops. */
	const int p = h->p, k = h->k, full = h->full, jmax = h->jmax;
	const double *restrict Z = h->Z, *restrict cen = h->c;
	const double *restrict half = h->half, *restrict moved = h->moved;
	const double mmax = h->mmax, m2nd = h->m2nd;
	double *restrict u = h->u, *restrict l = h->l;
	uint32_t *restrict as = h->a;
	double *sum = acc + 1, *cnt = acc + 1 + (size_t)k * p, changed = 0;
	for (size_t i = lo; i < hi; i++) {
		const double *z = Z + i * p;
		uint32_t a = as[i];
		if (!full) {
			double ui = u[i] + moved[a];
			double li = l[i] - ((int)a == jmax ? m2nd : mmax);
			double m = half[a] > li ? half[a] : li;
			l[i] = li;
			if (ui <= m) {
				u[i] = ui;
				continue;
			}
			ui = sqrt(dist2(z, cen + (size_t)a * p, p));
			u[i] = ui;
			if (ui <= m)
				continue;
		}
		double d1 = INFINITY, d2 = INFINITY;
		uint32_t best = 0;
		for (int c = 0; c < k; c++) {
			double d = dist2(z, cen + (size_t)c * p, p);
			if (d < d1) {
				d2 = d1;
				d1 = d;
				best = (uint32_t)c;
			} else if (d < d2) {
				d2 = d;
			}
		}
		u[i] = sqrt(d1);
		l[i] = sqrt(d2);
		if (!full && best == a)
			continue;
		if (!full) {
			for (int j = 0; j < p; j++)
				sum[(size_t)a * p + j] -= z[j];
			cnt[a] -= 1;
		}
		for (int j = 0; j < p; j++)
			sum[(size_t)best * p + j] += z[j];
		cnt[best] += 1;
		as[i] = best;
		changed += 1;
	}
	acc[0] += changed;
}

struct sse_ctx {
	const double *Z, *c;
	int p;
	const uint32_t *a;
};

static void sse_rows(void *pc, size_t lo, size_t hi, double *acc)
{
	const struct sse_ctx *s = pc;
	for (size_t i = lo; i < hi; i++)
		acc[0] += dist2(s->Z + i * s->p, s->c + (size_t)s->a[i] * s->p, s->p);
}

/* acc[0] = the sum over rows of the squared distance to the nearest centre. */
static void nearest_rows(void *pc, size_t lo, size_t hi, double *acc)
{
	const struct ham_ctx *h = pc;
	double s = 0;
	for (size_t i = lo; i < hi; i++) {
		double best = INFINITY;
		for (int c = 0; c < h->k; c++) {
			double d = dist2(h->Z + i * h->p, h->c + (size_t)c * h->p, h->p);
			best = d < best ? d : best;
		}
		s += best;
	}
	acc[0] += s;
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

/* One restart of Lloyd's algorithm from the centres c (k x p); leaves the
 * final centres in c and returns the within-cluster SSE. work holds
 * 2 n + 3 k p + 4 k + 1 doubles of scratch. */
static double lloyd(const double *Z, size_t n, int p, int k, int max_iter, double *c,
		    uint32_t *assign, double *work, int *iters)
{
	size_t kp = (size_t)k * p;
	double *u = work, *l = u + n, *sum = l + n, *old = sum + kp, *half = old + kp;
	double *moved = half + k, *cnt = moved + k, *acc = cnt + k;
	struct ham_ctx h = {Z, c, p, k, half, moved, 0, 0, 0, 1, assign, u, l};
	int it;
	memset(sum, 0, kp * sizeof(double));
	memset(cnt, 0, k * sizeof(double));
	memset(moved, 0, k * sizeof(double));
	for (it = 0; it < max_iter; it++) {
		for (int a = 0; a < k; a++) {
			double m = INFINITY;
			for (int b = 0; b < k; b++)
				if (b != a)
					m = fmin(m, dist2(c + (size_t)a * p, c + (size_t)b * p, p));
			half[a] = k > 1 ? 0.5 * sqrt(m) : INFINITY;
		}
		kh_par_sum(ham_rows, &h, n, acc, (int)(1 + kp + k));
		for (size_t j = 0; j < kp; j++)
			sum[j] += acc[1 + j];
		for (int q = 0; q < k; q++)
			cnt[q] += acc[1 + kp + q];
		int was_full = h.full;
		h.full = 0;
		if (acc[0] == 0 && !was_full)
			break;
		/* New centres: the means. An empty cluster takes the row that is
		 * farthest from its centre, and all bounds start over. */
		memcpy(old, c, kp * sizeof(double));
		for (int q = 0; q < k; q++) {
			if (cnt[q] > 0.5) {
				for (int j = 0; j < p; j++)
					c[(size_t)q * p + j] = sum[(size_t)q * p + j] / cnt[q];
				continue;
			}
			size_t far = 0;
			for (size_t i = 1; i < n; i++)
				if (u[i] > u[far])
					far = i;
			memcpy(c + (size_t)q * p, Z + far * p, p * sizeof(double));
			u[far] = 0;
			h.full = 1;
		}
		if (h.full) {
			memset(sum, 0, kp * sizeof(double));
			memset(cnt, 0, k * sizeof(double));
			continue;
		}
		double shift = 0;
		h.mmax = h.m2nd = 0;
		h.jmax = 0;
		for (int q = 0; q < k; q++) {
			double d2 = dist2(c + (size_t)q * p, old + (size_t)q * p, p);
			shift += d2;
			moved[q] = sqrt(d2);
			if (moved[q] > h.mmax) {
				h.m2nd = h.mmax;
				h.mmax = moved[q];
				h.jmax = q;
			} else if (moved[q] > h.m2nd) {
				h.m2nd = moved[q];
			}
		}
		/* Stop when the centres move less than KH_KMEANS_TOL in total
		 * squared distance (standardised units, where every feature has
		 * variance 1): scikit-learn's tol = 1e-4 criterion. */
		if (shift < KH_KMEANS_TOL) {
			it++;
			break;
		}
	}
	*iters = it;
	/* The rows may have been assigned against centres that moved a little
	 * since: the SSE is measured against the final centres. */
	struct sse_ctx s = {Z, c, p, assign};
	double sse;
	kh_par_sum(sse_rows, &s, n, &sse, 1);
	return sse;
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
	size_t kp = (size_t)k * p;
	double *c = malloc(sizeof(double) * kp);
	double *work = malloc(sizeof(double) * (2 * n + 3 * kp + 4 * (size_t)k + 1));
	uint32_t *as = malloc(n * sizeof(uint32_t));
	memset(m, 0, sizeof(*m));
	m->center = calloc((size_t)k * p, sizeof(double));
	m->size = calloc(k, sizeof(size_t));
	if (!c || !work || !as || !m->center || !m->size)
		goto out;
	uint64_t rng = o->seed;
	double best = INFINITY;
	if (n > KH_KMEANS_SAMPLE_ABOVE && o->restarts > 1) {
		/* Many rows: the restarts run on a uniform sample, each result is
		 * scored by its SSE on all rows, and only the best is refined on
		 * all rows. */
		size_t ns = KH_KMEANS_SAMPLE;
		double *Zs = malloc(ns * p * sizeof(double)), *cbest = malloc(2 * kp * sizeof(double));
		size_t *pick = malloc(n * sizeof(size_t));
		if (!Zs || !cbest || !pick) {
			free(Zs);
			free(cbest);
			free(pick);
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			pick[i] = i;
		for (size_t i = 0; i < ns; i++) {
			size_t j = i + rng_next(&rng) % (n - i), t = pick[i];
			pick[i] = pick[j];
			pick[j] = t;
			memcpy(Zs + i * p, Z + pick[i] * p, p * sizeof(double));
		}
		free(pick);
		/* Keep the two best centre sets and refine both on all rows:
		 * nearly equal sample scores can lead to different basins. */
		double score[2] = {INFINITY, INFINITY};
		for (int r = 0; r < o->restarts; r++) {
			int iters;
			seed_plusplus(Zs, ns, p, k, c, work, &rng);
			lloyd(Zs, ns, p, k, o->max_iter, c, as, work, &iters);
			struct ham_ctx h = {.Z = Z, .c = c, .p = p, .k = k};
			double sse;
			kh_par_sum(nearest_rows, &h, n, &sse, 1);
			if (sse < score[0]) {
				score[1] = score[0];
				memcpy(cbest + kp, cbest, kp * sizeof(double));
				score[0] = sse;
				memcpy(cbest, c, kp * sizeof(double));
			} else if (sse < score[1]) {
				score[1] = sse;
				memcpy(cbest + kp, c, kp * sizeof(double));
			}
		}
		free(Zs);
		for (int r = 0; r < 2 && isfinite(score[r]); r++) {
			int iters;
			memcpy(c, cbest + r * kp, kp * sizeof(double));
			double sse = lloyd(Z, n, p, k, o->max_iter, c, as, work, &iters);
			if (sse < best) {
				best = sse;
				memcpy(assign, as, n * sizeof(uint32_t));
				m->iterations = iters;
			}
		}
		free(cbest);
	} else {
		for (int r = 0; r < o->restarts; r++) {
			int iters;
			seed_plusplus(Z, n, p, k, c, work, &rng);
			double sse = lloyd(Z, n, p, k, o->max_iter, c, as, work, &iters);
			if (sse < best) {
				best = sse;
				memcpy(assign, as, n * sizeof(uint32_t));
				m->iterations = iters;
			}
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
	free(work);
	free(as);
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
