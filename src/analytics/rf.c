/* Deduplication of (x, t_x, T) rows; see rf.h. */
#include "analytics/rf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/optim.h"

void kh_rf_release(struct kh_rf *d)
{
	free(d->x);
	free(d->t);
	free(d->T);
	free(d->w);
	free(d->xcount);
	free(d->val);
	free(d->ti);
	free(d->Ti);
	free(d->pair_x);
	free(d->pair_v);
	free(d->pti);
	free(d->pTi);
	memset(d, 0, sizeof(*d));
}

static uint64_t mix(uint64_t h)
{
	/* The splitmix64 finaliser: every input bit affects every output bit. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static uint64_t bits(double v)
{
	uint64_t u;
	v += 0.0; /* -0.0 and 0.0 are one value */
	memcpy(&u, &v, sizeof(u));
	return u;
}

/* Finds v in the value table, adding it if new; slot is a hash table of
 * cap entries (a power of two) of indices into d->val. */
static uint32_t value_index(struct kh_rf *d, uint32_t *slot, size_t cap, double v)
{
	for (size_t k = mix(bits(v)) & (cap - 1);; k = (k + 1) & (cap - 1)) {
		uint32_t j = slot[k];
		if (j == UINT32_MAX) {
			slot[k] = (uint32_t)d->nval;
			d->val[d->nval] = v;
			return (uint32_t)d->nval++;
		}
		if (d->val[j] == v)
			return j;
	}
}

/* Finds the pair (x, v) in the pair table, adding it if new. */
static uint32_t pair_index(struct kh_rf *d, uint32_t *slot, size_t cap, uint32_t x, uint32_t v)
{
	for (size_t k = mix((uint64_t)x << 32 | v) & (cap - 1);; k = (k + 1) & (cap - 1)) {
		uint32_t j = slot[k];
		if (j == UINT32_MAX) {
			slot[k] = (uint32_t)d->npair;
			d->pair_x[d->npair] = x;
			d->pair_v[d->npair] = v;
			return (uint32_t)d->npair++;
		}
		if (d->pair_x[j] == x && d->pair_v[j] == v)
			return j;
	}
}

/* Builds val, ti and Ti, then the pairs; reuses the row hash table (cap >=
 * 2 n >= the number of distinct values or pairs). */
static enum kh_err index_values(struct kh_rf *d, uint32_t *slot, size_t cap)
{
	d->val = malloc(2 * d->n * sizeof(double));
	d->ti = malloc(d->n * sizeof(uint32_t));
	d->Ti = malloc(d->n * sizeof(uint32_t));
	if (!d->val || !d->ti || !d->Ti)
		return KH_ENOMEM;
	memset(slot, 0xff, cap * sizeof(uint32_t));
	for (size_t j = 0; j < d->n; j++) {
		d->ti[j] = value_index(d, slot, cap, d->t[j]);
		d->Ti[j] = value_index(d, slot, cap, d->T[j]);
	}
	d->pair_x = malloc(2 * d->n * sizeof(uint32_t));
	d->pair_v = malloc(2 * d->n * sizeof(uint32_t));
	d->pti = malloc(d->n * sizeof(uint32_t));
	d->pTi = malloc(d->n * sizeof(uint32_t));
	if (!d->pair_x || !d->pair_v || !d->pti || !d->pTi)
		return KH_ENOMEM;
	memset(slot, 0xff, cap * sizeof(uint32_t));
	for (size_t j = 0; j < d->n; j++) {
		d->pti[j] = pair_index(d, slot, cap, d->x[j], d->ti[j]);
		d->pTi[j] = pair_index(d, slot, cap, d->x[j], d->Ti[j]);
	}
	return KH_OK;
}

enum kh_err kh_rf_build(struct kh_rf *d, const uint32_t *x, const double *t_x, const double *T,
			size_t n)
{
	enum kh_err err = KH_OK;
	uint32_t *slot = NULL;
	size_t cap = 16;

	memset(d, 0, sizeof(*d));
	while (cap < 2 * n)
		cap *= 2;
	size_t na = n ? n : 1;
	d->x = malloc(na * sizeof(uint32_t));
	d->t = malloc(na * sizeof(double));
	d->T = malloc(na * sizeof(double));
	d->w = malloc(na * sizeof(double));
	slot = malloc(cap * sizeof(uint32_t));
	if (!d->x || !d->t || !d->T || !d->w || !slot) {
		err = KH_ENOMEM;
		goto out;
	}
	memset(slot, 0xff, cap * sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		if (!(T[i] >= 0))
			continue;
		if (!isfinite(T[i]) || !(t_x[i] >= 0) || t_x[i] > T[i]) {
			err = KH_EINVAL;
			goto out;
		}
		/* A customer without repeat purchases has no recency beyond 0. */
		double t = x[i] ? t_x[i] : 0;
		uint64_t h = mix(mix(mix(x[i]) ^ bits(t)) ^ bits(T[i]));
		size_t k = h & (cap - 1);
		for (;;) {
			uint32_t j = slot[k];
			if (j == UINT32_MAX) {
				slot[k] = (uint32_t)d->n;
				d->x[d->n] = x[i];
				d->t[d->n] = t;
				d->T[d->n] = T[i];
				d->w[d->n] = 1;
				d->n++;
				break;
			}
			if (d->x[j] == x[i] && d->t[j] == t && d->T[j] == T[i]) {
				d->w[j] += 1;
				break;
			}
			k = (k + 1) & (cap - 1);
		}
		d->wsum += 1;
		if (x[i] > d->xmax)
			d->xmax = x[i];
	}
	if (d->n == 0) {
		err = KH_EINVAL;
		goto out;
	}
	d->xcount = calloc((size_t)d->xmax + 1, sizeof(double));
	if (!d->xcount) {
		err = KH_ENOMEM;
		goto out;
	}
	for (size_t j = 0; j < d->n; j++)
		d->xcount[d->x[j]] += d->w[j];
	err = index_values(d, slot, cap);
out:
	free(slot);
	if (err)
		kh_rf_release(d);
	return err;
}

enum kh_err kh_rf_sample(const struct kh_rf *d, size_t target, struct kh_rf *s)
{
	size_t k = target && d->n > target ? d->n / target : 1, m = (d->n + k - 1) / k;
	memset(s, 0, sizeof(*s));
	s->x = malloc(m * sizeof(uint32_t));
	s->t = malloc(m * sizeof(double));
	s->T = malloc(m * sizeof(double));
	s->w = malloc(m * sizeof(double));
	if (!s->x || !s->t || !s->T || !s->w) {
		kh_rf_release(s);
		return KH_ENOMEM;
	}
	for (size_t j = 0; j < d->n; j += k) {
		s->x[s->n] = d->x[j];
		s->t[s->n] = d->t[j];
		s->T[s->n] = d->T[j];
		s->w[s->n] = d->w[j];
		s->wsum += d->w[j];
		if (d->x[j] > s->xmax)
			s->xmax = d->x[j];
		s->n++;
	}
	s->xcount = calloc((size_t)s->xmax + 1, sizeof(double));
	if (!s->xcount) {
		kh_rf_release(s);
		return KH_ENOMEM;
	}
	for (size_t j = 0; j < s->n; j++)
		s->xcount[s->x[j]] += s->w[j];
	size_t cap = 16;
	while (cap < 2 * s->n)
		cap *= 2;
	uint32_t *slot = malloc(cap * sizeof(uint32_t));
	enum kh_err err = slot ? index_values(s, slot, cap) : KH_ENOMEM;
	free(slot);
	if (err)
		kh_rf_release(s);
	return err;
}

void kh_fit_std_errors(kh_objective f, void *ctx, const double *th, int n, int has_grad,
		       double N, double *se)
{
	double h[KH_OPTIM_MAXN * KH_OPTIM_MAXN];
	kh_optim_hessian(f, ctx, th, n, has_grad, h);
	for (int i = 0; i < n * n; i++)
		h[i] *= N;
	if (kh_spd_inverse(h, n) != KH_OK) {
		for (int i = 0; i < n; i++)
			se[i] = NAN;
		return;
	}
	for (int i = 0; i < n; i++)
		se[i] = exp(th[i]) * sqrt(h[i * n + i]);
}
