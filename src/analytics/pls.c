/* PLS path modelling: the Lohmoeller/Wold algorithm on the item correlation
 * matrix, with bootstrap standard errors. See pls.h for the method. */
#include "analytics/pls.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Below this, a pivot of the LV correlation matrix means collinear predictors,
 * and an item whose variance is this small relative to its raw sum of squares
 * is constant. */
#define PIVOT_EPS 1e-12
#define VAR_EPS 1e-12

void kh_pls_opts_init(struct kh_pls_opts *o)
{
	o->scheme = KH_PLS_PATH_WEIGHTING;
	o->tol = 1e-7;
	o->max_iter = 300;
	o->scale_min = 1;
	o->scale_max = 10;
	o->n_boot = 0;
	o->seed = 1;
}

/* The state of one estimation, allocated once per kh_pls_fit and reused by
 * every bootstrap resample. Items are p, LVs q. */
struct ws {
	const struct kh_pls_model *m;
	size_t p, q;
	size_t *item;    /* item indexes grouped by LV: item[start[i] .. start[i + 1]) */
	size_t *start;   /* q + 1 */
	size_t *pred;    /* path indexes grouped by target LV, like item */
	size_t *pstart;  /* q + 1 */
	unsigned char *adj; /* q x q: 1 if a path joins the two LVs either way */
	double *center;  /* p: the full-sample means, subtracted before summing */
	double *dev;     /* p: one row minus center */
	double *mean, *sd; /* p: of the current (re)sample */
	double *R;       /* p x p: item correlations */
	double *w, *w_new; /* p: outer weights */
	double *G;       /* p x q: cor(item k, LV j), the cross-loadings */
	double *C;       /* q x q: LV correlations */
	double *E;       /* q x q: inner weights, row i gives the proxy of LV i */
	double *A, *b, *y; /* q x q, q, q: the normal equations of one regression */
	double *path;    /* n_path coefficients */
	double *r2;      /* q */
};

static void *alloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static void ws_release(struct ws *s)
{
	free(s->item);
	free(s->start);
	free(s->pred);
	free(s->pstart);
	free(s->adj);
	free(s->center);
	free(s->dev);
	free(s->mean);
	free(s->sd);
	free(s->R);
	free(s->w);
	free(s->w_new);
	free(s->G);
	free(s->C);
	free(s->E);
	free(s->A);
	free(s->b);
	free(s->y);
	free(s->path);
	free(s->r2);
	memset(s, 0, sizeof(*s));
}

static enum kh_err ws_init(struct ws *s, const struct kh_pls_model *m)
{
	size_t p = m->n_mv, q = m->n_lv;

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->p = p;
	s->q = q;
	/* kh_pls_model_check bounds p and q well below sqrt(SIZE_MAX), so the
	 * products below cannot overflow. */
	s->item = alloc(p, sizeof(size_t));
	s->start = alloc(q + 1, sizeof(size_t));
	s->pred = alloc(m->n_path, sizeof(size_t));
	s->pstart = alloc(q + 1, sizeof(size_t));
	s->adj = alloc(q * q, 1);
	s->center = alloc(p, sizeof(double));
	s->dev = alloc(p, sizeof(double));
	s->mean = alloc(p, sizeof(double));
	s->sd = alloc(p, sizeof(double));
	s->R = alloc(p * p, sizeof(double));
	s->w = alloc(p, sizeof(double));
	s->w_new = alloc(p, sizeof(double));
	s->G = alloc(p * q, sizeof(double));
	s->C = alloc(q * q, sizeof(double));
	s->E = alloc(q * q, sizeof(double));
	s->A = alloc(q * q, sizeof(double));
	s->b = alloc(q, sizeof(double));
	s->y = alloc(q, sizeof(double));
	s->path = alloc(m->n_path, sizeof(double));
	s->r2 = alloc(q, sizeof(double));
	if (!s->item || !s->start || !s->pred || !s->pstart || !s->adj || !s->center ||
	    !s->dev || !s->mean || !s->sd || !s->R || !s->w || !s->w_new || !s->G || !s->C ||
	    !s->E || !s->A || !s->b || !s->y || !s->path || !s->r2) {
		ws_release(s);
		return KH_ENOMEM;
	}

	/* Group the items and the incoming paths by LV, keeping the model's
	 * order within each group; start and pstart are the group offsets. */
	for (size_t k = 0; k < p; k++)
		s->start[m->mv_lv[k] + 1]++;
	for (size_t t = 0; t < m->n_path; t++)
		s->pstart[m->path[t].to + 1]++;
	for (size_t i = 0; i < q; i++) {
		s->start[i + 1] += s->start[i];
		s->pstart[i + 1] += s->pstart[i];
	}
	for (size_t i = 0, k = 0; i < q; i++)
		for (size_t j = 0; j < p; j++)
			if (m->mv_lv[j] == i)
				s->item[k++] = j;
	for (size_t i = 0, k = 0; i < q; i++)
		for (size_t t = 0; t < m->n_path; t++)
			if (m->path[t].to == i)
				s->pred[k++] = t;
	for (size_t t = 0; t < m->n_path; t++) {
		s->adj[m->path[t].from * q + m->path[t].to] = 1;
		s->adj[m->path[t].to * q + m->path[t].from] = 1;
	}
	return KH_OK;
}

/* The bootstrap's generator: xoshiro256** (Blackman and Vigna), its state
 * filled by splitmix64 from the seed as its authors recommend. Written out
 * here rather than taken from libc so that a seed gives the same resamples on
 * every platform. */
struct rng {
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static void rng_seed(struct rng *g, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		g->s[i] = z ^ (z >> 31);
	}
}

static uint64_t rng_next(struct rng *g)
{
	uint64_t *s = g->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* A uniform integer in [0, n): the lowest 2^64 mod n values are rejected, so
 * that the remainder is not biased towards small numbers. */
static size_t rng_below(struct rng *g, size_t n)
{
	uint64_t threshold = (0 - (uint64_t)n) % n;
	uint64_t r;

	do
		r = rng_next(g);
	while (r < threshold);
	return (size_t)(r % n);
}

/* Means, standard deviations and correlations of the items over the rows of
 * x, row r counted count[r] times (once each if count is NULL). Deviations
 * from s->center are summed, which keeps the sums small (no cancellation) and
 * lets a bootstrap resample reuse the full sample's means. KH_EINVAL if an
 * item has no variance. */
static enum kh_err moments(struct ws *s, const double *x, size_t n, const unsigned *count)
{
	size_t p = s->p;
	double tot = 0;

	memset(s->R, 0, p * p * sizeof(double));
	memset(s->mean, 0, p * sizeof(double));
	for (size_t r = 0; r < n; r++) {
		double c = count ? count[r] : 1;

		if (c == 0)
			continue;
		tot += c;
		for (size_t k = 0; k < p; k++) {
			s->dev[k] = x[r * p + k] - s->center[k];
			s->mean[k] += c * s->dev[k];
		}
		for (size_t k = 0; k < p; k++) {
			double cd = c * s->dev[k];
			double *row = s->R + k * p;

			for (size_t l = 0; l <= k; l++)
				row[l] += cd * s->dev[l];
		}
	}
	for (size_t k = 0; k < p; k++) {
		double dm = s->mean[k] / tot;
		double raw = s->R[k * p + k];
		double ss = raw - tot * dm * dm;

		if (!(ss > VAR_EPS * raw))
			return KH_EINVAL;
		s->mean[k] = s->center[k] + dm;
		s->sd[k] = sqrt(ss / (tot - 1));
		s->dev[k] = dm; /* kept for the centring of the cross products below */
	}
	for (size_t k = 0; k < p; k++)
		for (size_t l = 0; l <= k; l++) {
			double ckl = s->R[k * p + l] - tot * s->dev[k] * s->dev[l];
			double v = ckl / ((tot - 1) * s->sd[k] * s->sd[l]);

			s->R[k * p + l] = v;
			s->R[l * p + k] = v;
		}
	return KH_OK;
}

/* Scales the weights of every block so that its score has unit variance:
 * var(sum_k w_k x_k) = w' R_ii w for standardized items. */
static enum kh_err normalize(struct ws *s, double *w)
{
	for (size_t i = 0; i < s->q; i++) {
		double v = 0;

		for (size_t a = s->start[i]; a < s->start[i + 1]; a++)
			for (size_t b = s->start[i]; b < s->start[i + 1]; b++)
				v += w[s->item[a]] * s->R[s->item[a] * s->p + s->item[b]] * w[s->item[b]];
		if (!(v > 0) || !isfinite(v))
			return KH_EINVAL;
		v = 1 / sqrt(v);
		for (size_t a = s->start[i]; a < s->start[i + 1]; a++)
			w[s->item[a]] *= v;
	}
	return KH_OK;
}

/* From the weights, the correlations of every item with every LV score
 * (G = R W, W the block-diagonal weight matrix) and of the LV scores among
 * themselves (C = W' G). */
static void scores_cor(struct ws *s)
{
	size_t p = s->p, q = s->q;

	for (size_t k = 0; k < p; k++)
		for (size_t j = 0; j < q; j++) {
			double g = 0;

			for (size_t b = s->start[j]; b < s->start[j + 1]; b++)
				g += s->R[k * p + s->item[b]] * s->w[s->item[b]];
			s->G[k * q + j] = g;
		}
	for (size_t i = 0; i < q; i++)
		for (size_t j = 0; j < q; j++) {
			double c = 0;

			for (size_t a = s->start[i]; a < s->start[i + 1]; a++)
				c += s->w[s->item[a]] * s->G[s->item[a] * q + j];
			s->C[i * q + j] = c;
		}
}

/* Regresses LV j on its predecessors, in standardized form: the normal
 * equations C_PP beta = C_Pj, solved by Cholesky factorization since C_PP is
 * a correlation matrix. Writes beta into coef[] at the paths' indexes and
 * returns R^2 = beta' C_Pj in *r2. KH_EINVAL if the predecessors are
 * collinear. */
static enum kh_err regress(struct ws *s, size_t j, double *coef, double *r2)
{
	const struct kh_pls_path *path = s->m->path;
	size_t q = s->q, lo = s->pstart[j], n = s->pstart[j + 1] - lo;
	double *A = s->A, *b = s->b;

	for (size_t u = 0; u < n; u++) {
		size_t fu = path[s->pred[lo + u]].from;

		for (size_t v = 0; v < n; v++)
			A[u * n + v] = s->C[fu * q + path[s->pred[lo + v]].from];
		b[u] = s->C[fu * q + j];
	}
	/* A = L L', L stored in the lower triangle of A. */
	for (size_t u = 0; u < n; u++) {
		for (size_t v = 0; v <= u; v++) {
			double sum = A[u * n + v];

			for (size_t t = 0; t < v; t++)
				sum -= A[u * n + t] * A[v * n + t];
			if (u == v) {
				if (!(sum > PIVOT_EPS))
					return KH_EINVAL;
				A[u * n + u] = sqrt(sum);
			} else {
				A[u * n + v] = sum / A[v * n + v];
			}
		}
	}
	/* Solve L y = b, then L' beta = y, in place in y. */
	double *y = s->y, rr = 0;

	for (size_t u = 0; u < n; u++) {
		double sum = b[u];

		for (size_t t = 0; t < u; t++)
			sum -= A[u * n + t] * y[t];
		y[u] = sum / A[u * n + u];
	}
	for (size_t u = n; u-- > 0;) {
		double sum = y[u];

		for (size_t t = u + 1; t < n; t++)
			sum -= A[t * n + u] * y[t];
		y[u] = sum / A[u * n + u];
	}
	for (size_t u = 0; u < n; u++) {
		coef[s->pred[lo + u]] = y[u];
		rr += y[u] * b[u];
	}
	*r2 = rr;
	return KH_OK;
}

/* Inner estimation: row i of E holds the weights of LV i's neighbours in its
 * inner proxy Z_i = sum_j E_ij Y_j. */
static enum kh_err inner_weights(struct ws *s, enum kh_pls_scheme scheme)
{
	size_t q = s->q;
	const struct kh_pls_path *path = s->m->path;

	memset(s->E, 0, q * q * sizeof(double));
	for (size_t i = 0; i < q; i++) {
		for (size_t j = 0; j < q; j++) {
			double c = s->C[i * q + j];

			if (!s->adj[i * q + j])
				continue;
			if (scheme == KH_PLS_CENTROID)
				s->E[i * q + j] = (c > 0) - (c < 0);
			else
				s->E[i * q + j] = c; /* factorial; path scheme for successors */
		}
		if (scheme == KH_PLS_PATH_WEIGHTING && s->pstart[i + 1] > s->pstart[i]) {
			/* Predecessors weigh by their coefficients in the regression of
			 * Y_i on all of them. s->path is free during the iteration. */
			double r2;
			enum kh_err e = regress(s, i, s->path, &r2);

			if (e)
				return e;
			for (size_t t = s->pstart[i]; t < s->pstart[i + 1]; t++)
				s->E[i * q + path[s->pred[t]].from] = s->path[s->pred[t]];
		}
	}
	return KH_OK;
}

/* The outer loop on the correlation matrix in s->R; leaves the converged
 * weights in s->w, the correlations G and C that go with them, the path
 * coefficients in s->path and the R^2 in s->r2. */
static enum kh_err estimate(struct ws *s, const struct kh_pls_opts *o, unsigned *iterations,
			    int *converged)
{
	size_t p = s->p, q = s->q;
	enum kh_err e;
	unsigned it;

	*converged = 0;
	for (size_t k = 0; k < p; k++)
		s->w[k] = 1;
	e = normalize(s, s->w);
	if (e)
		return e;
	for (it = 1; it <= o->max_iter; it++) {
		double delta = 0;

		scores_cor(s);
		e = inner_weights(s, o->scheme);
		if (e)
			return e;
		/* Mode A: w_k = cov(x_k, Z_i) = sum_j E_ij cor(x_k, Y_j). */
		for (size_t k = 0; k < p; k++) {
			size_t i = s->m->mv_lv[k];
			double v = 0;

			for (size_t j = 0; j < q; j++)
				v += s->E[i * q + j] * s->G[k * q + j];
			s->w_new[k] = v;
		}
		e = normalize(s, s->w_new);
		if (e)
			return e;
		for (size_t k = 0; k < p; k++) {
			double d = fabs(s->w_new[k] - s->w[k]);

			if (d > delta)
				delta = d;
		}
		memcpy(s->w, s->w_new, p * sizeof(double));
		if (delta < o->tol) {
			*converged = 1;
			break;
		}
	}
	*iterations = *converged ? it : o->max_iter;
	scores_cor(s);
	for (size_t j = 0; j < q; j++) {
		s->r2[j] = 0;
		if (s->pstart[j + 1] > s->pstart[j]) {
			e = regress(s, j, s->path, &s->r2[j]);
			if (e)
				return e;
		}
	}
	return KH_OK;
}

void kh_pls_result_release(struct kh_pls_result *r)
{
	free(r->weight);
	free(r->loading);
	free(r->cross_loading);
	free(r->path);
	free(r->r2);
	free(r->ave);
	free(r->rho);
	free(r->alpha);
	free(r->index);
	free(r->lv_cor);
	free(r->total_effect);
	free(r->score);
	free(r->path_se);
	free(r->loading_se);
	free(r->weight_se);
	memset(r, 0, sizeof(*r));
}

static enum kh_err result_alloc(struct kh_pls_result *r, size_t n, size_t p, size_t q,
				size_t n_path, size_t n_boot)
{
	memset(r, 0, sizeof(*r));
	r->n_obs = n;
	r->n_mv = p;
	r->n_lv = q;
	r->n_path = n_path;
	r->weight = alloc(p, sizeof(double));
	r->loading = alloc(p, sizeof(double));
	r->cross_loading = alloc(p * q, sizeof(double));
	r->path = alloc(n_path, sizeof(double));
	r->r2 = alloc(q, sizeof(double));
	r->ave = alloc(q, sizeof(double));
	r->rho = alloc(q, sizeof(double));
	r->alpha = alloc(q, sizeof(double));
	r->index = alloc(q, sizeof(double));
	r->lv_cor = alloc(q * q, sizeof(double));
	r->total_effect = alloc(q * q, sizeof(double));
	r->score = alloc(n, q * sizeof(double));
	if (n_boot) {
		r->path_se = alloc(n_path, sizeof(double));
		r->loading_se = alloc(p, sizeof(double));
		r->weight_se = alloc(p, sizeof(double));
	}
	if (!r->weight || !r->loading || !r->cross_loading || !r->path || !r->r2 || !r->ave ||
	    !r->rho || !r->alpha || !r->index || !r->lv_cor || !r->total_effect || !r->score ||
	    (n_boot && (!r->path_se || !r->loading_se || !r->weight_se))) {
		kh_pls_result_release(r);
		return KH_ENOMEM;
	}
	return KH_OK;
}

/* Total effects T = B + B^2 + ... + B^(q-1), B the matrix of path
 * coefficients: the sum over all directed routes of the products of their
 * coefficients. The inner model is acyclic, so B^q = 0 and the sum is finite.
 * s->E and s->A serve as scratch for the powers of B. */
static void total_effects(struct ws *s, double *t)
{
	size_t q = s->q;
	double *b = s->E, *pw = s->A;

	memset(b, 0, q * q * sizeof(double));
	for (size_t u = 0; u < s->m->n_path; u++)
		b[s->m->path[u].from * q + s->m->path[u].to] = s->path[u];
	memcpy(pw, b, q * q * sizeof(double));
	memcpy(t, b, q * q * sizeof(double));
	for (size_t step = 2; step < q; step++) {
		/* pw = pw * b, one row at a time through s->y. */
		for (size_t i = 0; i < q; i++) {
			for (size_t j = 0; j < q; j++) {
				double v = 0;

				for (size_t k = 0; k < q; k++)
					v += pw[i * q + k] * b[k * q + j];
				s->y[j] = v;
			}
			memcpy(pw + i * q, s->y, q * sizeof(double));
		}
		for (size_t i = 0; i < q * q; i++)
			t[i] += pw[i];
	}
}

/* Copies the estimates of the full sample out of the workspace and derives
 * the reliability measures, the index and the scores. */
static void fill_result(struct ws *s, const double *x, const struct kh_pls_opts *o,
			struct kh_pls_result *r)
{
	size_t p = s->p, q = s->q;

	memcpy(r->weight, s->w, p * sizeof(double));
	memcpy(r->cross_loading, s->G, p * q * sizeof(double));
	memcpy(r->path, s->path, s->m->n_path * sizeof(double));
	memcpy(r->r2, s->r2, q * sizeof(double));
	memcpy(r->lv_cor, s->C, q * q * sizeof(double));
	for (size_t k = 0; k < p; k++)
		r->loading[k] = s->G[k * q + s->m->mv_lv[k]];
	for (size_t i = 0; i < q; i++) {
		size_t lo = s->start[i], hi = s->start[i + 1], nb = hi - lo;
		double sum_l = 0, sum_l2 = 0, sum_r = 0, sum_u = 0, sum_um = 0;

		for (size_t a = lo; a < hi; a++) {
			size_t k = s->item[a];
			/* The weight of the raw answer x_k in the standardized score. */
			double u = s->w[k] / s->sd[k];

			sum_l += r->loading[k];
			sum_l2 += r->loading[k] * r->loading[k];
			sum_u += u;
			sum_um += u * s->mean[k];
			for (size_t b = lo; b < hi; b++)
				sum_r += s->R[k * p + s->item[b]];
		}
		r->ave[i] = sum_l2 / nb;
		r->rho[i] = sum_l * sum_l / (sum_l * sum_l + (nb - sum_l2));
		r->alpha[i] = nb > 1 ? nb / (nb - 1.0) * (1 - nb / sum_r) : 1;
		/* Rescaling the raw weights to sum to one keeps the LV on the answer
		 * scale; its mean is then mapped to 0-100. */
		r->index[i] = 100 * (sum_um / sum_u - o->scale_min) / (o->scale_max - o->scale_min);
	}
	total_effects(s, r->total_effect);
	for (size_t n = 0; n < r->n_obs; n++)
		for (size_t i = 0; i < q; i++) {
			double y = 0;

			for (size_t a = s->start[i]; a < s->start[i + 1]; a++) {
				size_t k = s->item[a];

				y += s->w[k] * (x[n * p + k] - s->mean[k]) / s->sd[k];
			}
			r->score[n * q + i] = y;
		}
}

/* Standard errors by the bootstrap: resamples as counts of each row, each
 * estimated from its own correlation matrix; the mean and the sum of squared
 * deviations of every estimate are kept by Welford's update. */
static enum kh_err bootstrap(struct ws *s, const double *x, size_t n, const struct kh_pls_opts *o,
			     struct kh_pls_result *r)
{
	size_t p = s->p, np = s->m->n_path, nv = np + 2 * p;
	unsigned *count = alloc(n, sizeof(unsigned));
	double *mean = alloc(nv, sizeof(double));
	double *m2 = alloc(nv, sizeof(double));
	double *v = alloc(nv, sizeof(double));
	enum kh_err e = KH_OK;
	struct rng g;
	size_t done = 0;

	if (!count || !mean || !m2 || !v) {
		e = KH_ENOMEM;
		goto out;
	}
	rng_seed(&g, o->seed);
	while (done < o->n_boot) {
		unsigned iterations;
		int converged;

		memset(count, 0, n * sizeof(unsigned));
		for (size_t t = 0; t < n; t++)
			count[rng_below(&g, n)]++;
		e = moments(s, x, n, count);
		if (!e)
			e = estimate(s, o, &iterations, &converged);
		if (!e && !converged)
			e = KH_EINVAL;
		if (e == KH_ENOMEM)
			goto out;
		if (e) {
			/* A degenerate resample says nothing about the sampling
			 * variation of a model that can be estimated; draw another,
			 * but give up on data that keeps producing them. */
			if (++r->n_boot_redrawn > o->n_boot)
				goto out;
			e = KH_OK;
			continue;
		}
		memcpy(v, s->path, np * sizeof(double));
		for (size_t k = 0; k < p; k++) {
			v[np + k] = s->G[k * s->q + s->m->mv_lv[k]];
			v[np + p + k] = s->w[k];
		}
		done++;
		for (size_t t = 0; t < nv; t++) {
			double d = v[t] - mean[t];

			mean[t] += d / done;
			m2[t] += d * (v[t] - mean[t]);
		}
	}
	r->n_boot = done;
	for (size_t t = 0; t < np; t++)
		r->path_se[t] = sqrt(m2[t] / (done - 1));
	for (size_t k = 0; k < p; k++) {
		r->loading_se[k] = sqrt(m2[np + k] / (done - 1));
		r->weight_se[k] = sqrt(m2[np + p + k] / (done - 1));
	}
out:
	free(count);
	free(mean);
	free(m2);
	free(v);
	return e;
}

enum kh_err kh_pls_fit(const struct kh_pls_model *m, const double *x, size_t n,
		       const struct kh_pls_opts *o, struct kh_pls_result *r)
{
	struct ws s;
	enum kh_err e;

	memset(r, 0, sizeof(*r));
	if (!m || !x || !o || kh_pls_model_check(m) != KH_OK || n < 3 || n > UINT32_MAX ||
	    o->scheme > KH_PLS_FACTORIAL || !(o->tol > 0) || !isfinite(o->tol) || !o->max_iter ||
	    !isfinite(o->scale_min) || !isfinite(o->scale_max) || !(o->scale_max > o->scale_min) ||
	    o->n_boot == 1 || n > SIZE_MAX / sizeof(double) / m->n_mv)
		return KH_EINVAL;
	for (size_t t = 0; t < n * m->n_mv; t++)
		if (!isfinite(x[t]))
			return KH_EINVAL;
	e = ws_init(&s, m);
	if (e)
		return e;
	e = result_alloc(r, n, m->n_mv, m->n_lv, m->n_path, o->n_boot);
	if (e)
		goto out;
	/* The first pass gives the means that every later sum is centred on. */
	for (size_t t = 0; t < n; t++)
		for (size_t k = 0; k < s.p; k++)
			s.center[k] += x[t * s.p + k];
	for (size_t k = 0; k < s.p; k++)
		s.center[k] /= n;
	e = moments(&s, x, n, NULL);
	if (!e)
		e = estimate(&s, o, &r->iterations, &r->converged);
	if (e)
		goto out;
	fill_result(&s, x, o, r);
	if (o->n_boot)
		e = bootstrap(&s, x, n, o, r);
out:
	if (e)
		kh_pls_result_release(r);
	ws_release(&s);
	return e;
}
