/* Helpers shared by the analytics unit tests (header-only; each test binary
 * includes it once): locating and reading the reference data sets, and a
 * seeded random number generator with the samplers the simulation tests need.
 * The readers parse the published files as they are; nothing here computes an
 * expected result. */
#ifndef KH_ANALYTICS_TESTUTIL_H
#define KH_ANALYTICS_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Opens $KEHU_SHARED_DATA/name, or returns NULL (the caller then skips). */
static inline FILE *at_open_data(const char *name)
{
	const char *dir = getenv("KEHU_SHARED_DATA");
	char path[4096];
	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "r");
}

/* Opens a gzip file of the data folder through `gzip -dc` (no zlib needed). */
static inline FILE *at_popen_gz(const char *name)
{
	const char *dir = getenv("KEHU_SHARED_DATA");
	char cmd[4200], path[4096];
	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
	return popen(cmd, "r");
}

/* Skips the running test when the reference data could not be read. */
#define AT_SKIP_UNLESS(ok)                                        \
	do {                                                      \
		if (!(ok)) {                                      \
			printf("skipped: no reference data\n");   \
			skip();                                   \
			return;                                   \
		}                                                 \
	} while (0)

/* |got - want| <= tol, printing both on failure (cmocka 1.1 has no double asserts). */
#define assert_near(got, want, tol)                                                     \
	do {                                                                            \
		double g_ = (got), w_ = (want), t_ = (tol);                             \
		if (!(fabs(g_ - w_) <= t_))                                             \
			fail_msg("%s = %.10g, expected %.10g within %g", #got, g_, w_, t_); \
	} while (0)

/* |got - want| <= rel |want|. */
#define assert_rel(got, want, rel)                                                      \
	do {                                                                            \
		double g_ = (got), w_ = (want), r_ = (rel);                             \
		if (!(fabs(g_ - w_) <= r_ * fabs(w_)))                                  \
			fail_msg("%s = %.10g, expected %.10g within %g relative", #got, g_, w_, r_); \
	} while (0)

/* The CDNOW summary (ID,frequency,recency,T), 2,357 rows. */
struct at_cdnow_summary {
	size_t n;
	uint32_t id[3000], x[3000];
	double t[3000], T[3000];
};

static inline int at_read_cdnow_summary(struct at_cdnow_summary *s)
{
	FILE *f = at_open_data("cdnow_customers_summary.csv");
	char line[256];
	if (!f)
		return -1;
	s->n = 0;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f) && s->n < 3000) {
		unsigned id, x;
		double t, T;
		if (sscanf(line, "%u,%u,%lf,%lf", &id, &x, &t, &T) != 4)
			continue;
		s->id[s->n] = id;
		s->x[s->n] = x;
		s->t[s->n] = t;
		s->T[s->n] = T;
		s->n++;
	}
	fclose(f);
	return 0;
}

/* CDNOW_sample.txt: master id, sample id (1..2357), YYYYMMDD, CDs, dollars. */
struct at_cdnow_txn {
	size_t n;
	uint32_t cust[8000];
	int32_t day[8000];
	double amount[8000];
};

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static inline int32_t at_days(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static inline int at_read_cdnow_sample(struct at_cdnow_txn *t)
{
	FILE *f = at_open_data("CDNOW_sample.txt");
	char line[256];
	if (!f)
		return -1;
	t->n = 0;
	while (fgets(line, sizeof(line), f) && t->n < 8000) {
		unsigned mid, sid, ymd, cds;
		double usd;
		if (sscanf(line, "%u %u %u %u %lf", &mid, &sid, &ymd, &cds, &usd) != 5)
			continue;
		t->cust[t->n] = sid - 1;
		t->day[t->n] = at_days(ymd / 10000, ymd / 100 % 100, ymd % 100);
		t->amount[t->n] = usd;
		t->n++;
	}
	fclose(f);
	return 0;
}

/* xoshiro256** seeded by splitmix64: fast, and reproducible across platforms. */
struct at_rng {
	uint64_t s[4];
};

static inline void at_rng_seed(struct at_rng *g, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		g->s[i] = z ^ (z >> 31);
	}
}

static inline uint64_t at_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t at_next(struct at_rng *g)
{
	uint64_t *s = g->s, r = at_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = at_rotl(s[3], 45);
	return r;
}

/* Uniform on (0, 1). */
static inline double at_unif(struct at_rng *g)
{
	return ((at_next(g) >> 11) + 0.5) * 0x1.0p-53;
}

static inline double at_normal(struct at_rng *g)
{
	return sqrt(-2 * log(at_unif(g))) * cos(2 * M_PI * at_unif(g));
}

static inline double at_exp(struct at_rng *g, double rate)
{
	return -log(at_unif(g)) / rate;
}

/* Gamma(shape, rate) by Marsaglia & Tsang (2000), with the u^(1/shape) boost
 * for shape < 1. */
static inline double at_gamma(struct at_rng *g, double shape, double rate)
{
	if (shape < 1)
		return at_gamma(g, shape + 1, rate) * pow(at_unif(g), 1 / shape);
	double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
	for (;;) {
		double z = at_normal(g), v = 1 + c * z;
		if (v <= 0)
			continue;
		v = v * v * v;
		double u = at_unif(g);
		if (log(u) < 0.5 * z * z + d - d * v + d * log(v))
			return d * v / rate;
	}
}

static inline double at_beta(struct at_rng *g, double a, double b)
{
	double x = at_gamma(g, a, 1), y = at_gamma(g, b, 1);
	return x / (x + y);
}

#endif
