/* Analytics over shards, simulated: what Kehu's RFM scoring costs and how
 * exactly it can be done when customers are spread over S shards (Citus
 * workers) by their account, as docs/SCALING.md plans, at 10k .. 10M
 * customers on this machine.
 *
 * For each size it makes a synthetic customer base (accounts of Zipf-like
 * sizes, each customer's recency, frequency and spend drawn from skewed
 * distributions, deterministic seed), distributes it by hash(account) over
 * the shards, and compares with the exact single-node scores of
 * kh_rfm_score():
 *   - shard balance: rows on the fullest shard against the mean, distributed
 *     by account (the price of co-locating an account's customers) and by
 *     customer;
 *   - R and F by merged per-shard histograms of their integer values: a
 *     customer's rank is a sum of per-shard counts, so the merge is exact;
 *   - M (spend, continuous) in one round from per-shard quantile summaries of
 *     K points each, merged by weight: approximate, and the share of
 *     customers whose M score differs is printed;
 *   - M exactly, by finding each quintile's boundary with rounds of per-shard
 *     counts ("how many spent less than x?"), bisecting on the values: the
 *     number of rounds is printed, and the scores must equal the exact ones;
 *   - the CPU time of the exact single-node scoring (Kehu's kernel, one core)
 *     and of the per-shard work, for the capacity arithmetic.
 *
 *   build/release/bench_shards [--shards 32] [--sizes 10000,100000,1000000,10000000]
 *
 * Prints a Markdown table. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/rfm.h"

#define SKETCH 1024 /* points per shard and column in the one-round summary */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	/* splitmix64: fast, and the same numbers on every machine */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}
static double unif(void)
{
	return ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
}

/* CPU time of this thread: the machine is shared, and wall time would count
 * other people's work (the kernels used here are single-threaded). */
static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct point {
	double v;
	double w;
};
static int cmp_point(const void *a, const void *b)
{
	return cmp_double(&((const struct point *)a)->v, &((const struct point *)b)->v);
}

/* Kehu's rule: score = 1 + floor(5 * worse / n), worse = customers with a
 * strictly smaller value (higher is better). With the global count of values
 * below x known for any x, the score of value v is fixed by below(v). */
static int score_of(int64_t below, int64_t n)
{
	return 1 + (int)(5 * below / n);
}

/* Values below x over all shards: one count per shard (each shard's spend is
 * sorted, so a binary search stands for its COUNT(*) WHERE spend < x). */
static int64_t below_all(double **sorted, const int64_t *rows, int shards, double x)
{
	int64_t below = 0;
	for (int s = 0; s < shards; s++) {
		size_t a = 0, b = (size_t)rows[s];
		while (a < b) {
			size_t c = (a + b) / 2;
			if (sorted[s][c] < x)
				a = c + 1;
			else
				b = c;
		}
		below += (int64_t)a;
	}
	return below;
}

int main(int argc, char **argv)
{
	int shards = 32;
	const char *sizes = "10000,100000,1000000,10000000";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--shards") && i + 1 < argc)
			shards = (int)strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
			sizes = argv[++i];
		else {
			fprintf(stderr, "usage: bench_shards [--shards N] [--sizes 10000,100000,...]\n");
			return 2;
		}
	}
	if (shards < 1 || shards > 1024)
		return 2;
	printf("| customers | shards | fullest shard / mean, by account | by customer | exact scoring, one core s | per-shard work, slowest shard s "
	       "| R, F merged by histogram: customers off | M, one round of %d-point summaries: customers off "
	       "| M exact by counting: rounds, customers off | bytes to the coordinator, summaries / all values |\n",
	       SKETCH);
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	char *list = strdup(sizes);
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		size_t n = (size_t)strtoull(tok, NULL, 10);
		if (n < 100)
			continue;
		double *rec = malloc(n * sizeof *rec), *freq = malloc(n * sizeof *freq), *mon = malloc(n * sizeof *mon);
		int *shard = malloc(n * sizeof *shard);
		uint8_t *r = malloc(n), *f = malloc(n), *m = malloc(n), *seg = malloc(n);
		if (!rec || !freq || !mon || !shard || !r || !f || !m || !seg)
			return 1;
		rng_state = 0x9E3779B97F4A7C15ULL ^ n;
		/* Accounts of Zipf-like sizes (a few with thousands of contacts, most
		 * with one or two); the account is the distribution column. */
		size_t i = 0;
		int64_t account = 0;
		while (i < n) {
			size_t size = (size_t)(1.0 / pow(unif(), 1.2));
			if (size > n / 50 + 1)
				size = n / 50 + 1;
			uint64_t h = (uint64_t)account * 0x9E3779B97F4A7C15ULL;
			int s = (int)((h >> 32) % (uint64_t)shards);
			for (size_t k = 0; k < size && i < n; k++, i++) {
				shard[i] = s;
				rec[i] = floor(-log(unif()) * 180.0);          /* days, exponential */
				freq[i] = 1 + floor(-log(unif()) * 2.5);         /* orders, geometric */
				mon[i] = round(exp(5.0 + 1.1 * sqrt(-2 * log(unif())) * cos(6.283185307 * unif())) * 100) / 100;
			}
			account++;
		}
		/* Exact, one node. */
		double t0 = now_s();
		if (kh_rfm_score(rec, freq, mon, n, r, f, m, seg, NULL))
			return 1;
		double exact_s = now_s() - t0;

		/* Balance. */
		int64_t *rows = calloc((size_t)shards, sizeof *rows);
		for (i = 0; i < n; i++)
			rows[shard[i]]++;
		int64_t fullest = 0;
		for (int s = 0; s < shards; s++)
			if (rows[s] > fullest)
				fullest = rows[s];
		/* The same customers distributed by their own id instead (B2C: no
		 * account to keep together). */
		int64_t *by_id = calloc((size_t)shards, sizeof *by_id), fullest_id = 0;
		for (i = 0; i < n; i++) {
			uint64_t h = (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ULL;
			by_id[(h >> 32) % (uint64_t)shards]++;
		}
		for (int s = 0; s < shards; s++)
			if (by_id[s] > fullest_id)
				fullest_id = by_id[s];
		free(by_id);

		/* The data as the shards hold it (not timed: that is the distribution). */
		double **sorted = calloc((size_t)shards, sizeof *sorted);
		double **srec = calloc((size_t)shards, sizeof *srec), **sfreq = calloc((size_t)shards, sizeof *sfreq);
		size_t *fill = calloc((size_t)shards, sizeof *fill);
		for (int s = 0; s < shards; s++) {
			size_t k = (size_t)(rows[s] ? rows[s] : 1);
			sorted[s] = malloc(k * sizeof **sorted);
			srec[s] = malloc(k * sizeof **srec);
			sfreq[s] = malloc(k * sizeof **sfreq);
		}
		for (i = 0; i < n; i++) {
			int s = shard[i];
			sorted[s][fill[s]] = mon[i];
			srec[s][fill[s]] = rec[i];
			sfreq[s][fill[s]++] = freq[i];
		}
		/* Per-shard work, the slowest shard timed: histograms of the integer
		 * columns, the spend sorted (for its summary and for the counts). */
		enum { MAXV = 1 << 16 };
		int64_t *hr = calloc(MAXV, sizeof *hr), *hf = calloc(MAXV, sizeof *hf);
		struct point *pts = malloc((size_t)shards * SKETCH * sizeof *pts);
		size_t npts = 0;
		double slowest = 0;
		for (int s = 0; s < shards; s++) {
			double ts = now_s();
			size_t k = (size_t)rows[s];
			for (size_t j = 0; j < k; j++) {
				int rv = (int)srec[s][j], fv = (int)sfreq[s][j];
				hr[rv < MAXV ? rv : MAXV - 1]++; /* summed here = merged at the coordinator */
				hf[fv < MAXV ? fv : MAXV - 1]++;
			}
			qsort(sorted[s], k, sizeof(double), cmp_double);
			/* K equally spaced order statistics, each standing for k/K values. */
			size_t kk = k < SKETCH ? k : SKETCH;
			for (size_t j = 0; j < kk; j++) {
				size_t at = (size_t)(((double)j + 0.5) * (double)k / (double)kk);
				pts[npts++] = (struct point){sorted[s][at], (double)k / (double)kk};
			}
			double el = now_s() - ts;
			if (el > slowest)
				slowest = el;
		}
		/* R and F from the merged histograms: below(v) summed over shards. */
		int64_t *below_r = calloc(MAXV, sizeof *below_r), *below_f = calloc(MAXV, sizeof *below_f);
		int64_t acc_r = 0, acc_f = 0;
		/* recency: smaller is better, so "worse" is a larger value. */
		for (int v = MAXV - 1; v >= 0; v--) {
			below_r[v] = acc_r;
			acc_r += hr[v];
		}
		for (int v = 0; v < MAXV; v++) {
			below_f[v] = acc_f;
			acc_f += hf[v];
		}
		int64_t off_rf = 0;
		for (i = 0; i < n; i++) {
			int rv = (int)rec[i], fv = (int)freq[i];
			if (score_of(below_r[rv], (int64_t)n) != r[i] || score_of(below_f[fv], (int64_t)n) != f[i])
				off_rf++;
		}
		/* M in one round: the merged summary gives below(x) approximately. */
		qsort(pts, npts, sizeof *pts, cmp_point);
		double *cum = malloc((npts + 1) * sizeof *cum);
		cum[0] = 0;
		for (size_t j = 0; j < npts; j++)
			cum[j + 1] = cum[j] + pts[j].w;
		int64_t off_m1 = 0;
		for (i = 0; i < n; i++) {
			size_t lo = 0, hi = npts; /* points strictly below mon[i] */
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (pts[mid].v < mon[i])
					lo = mid + 1;
				else
					hi = mid;
			}
			if (score_of((int64_t)cum[lo], (int64_t)n) != m[i])
				off_m1++;
		}
		/* M exactly: each quintile's boundary (the smallest x with
		 * 5 below(x) >= q n) by bisection, the four in parallel, each step one
		 * round of per-shard counts (a COUNT(*) WHERE spend < x on every
		 * worker). The summary brackets each boundary to start with: its rank
		 * error is at most n / K. */
		double lo[5], hi[5];
		for (int q = 1; q <= 4; q++) {
			double want_lo = (double)q * (double)n / 5 - (double)n / SKETCH - 1;
			double want_hi = (double)q * (double)n / 5 + (double)n / SKETCH + 1;
			lo[q] = 0, hi[q] = 1e12;
			for (size_t j = 0; j < npts; j++) {
				if (cum[j] <= want_lo)
					lo[q] = pts[j].v;
				if (cum[j + 1] >= want_hi) {
					hi[q] = pts[j].v + 0.01;
					break;
				}
			}
		}
		int rounds = 1; /* the bracket checked: below() at both ends */
		for (int q = 1; q <= 4; q++)
			if (5 * below_all(sorted, rows, shards, lo[q]) >= (int64_t)q * (int64_t)n ||
			    5 * below_all(sorted, rows, shards, hi[q]) < (int64_t)q * (int64_t)n)
				lo[q] = 0, hi[q] = 1e12; /* the summary was wrong: search it all */
		for (;;) {
			int open = 0;
			for (int q = 1; q <= 4; q++) {
				if (hi[q] - lo[q] <= 0.001)
					continue;
				open = 1;
				double mid = (lo[q] + hi[q]) / 2;
				if (5 * below_all(sorted, rows, shards, mid) >= (int64_t)q * (int64_t)n)
					hi[q] = mid;
				else
					lo[q] = mid;
			}
			if (!open)
				break;
			rounds++;
		}
		/* With the boundaries a shard scores its own customers. */
		int64_t off_m2 = 0;
		for (i = 0; i < n; i++) {
			int sc = 1;
			for (int q = 1; q <= 4; q++)
				if (mon[i] >= hi[q])
					sc = q + 1;
			if (sc != m[i])
				off_m2++;
		}
		/* A shard sends its summary points (value, weight) and its histograms
		 * as (value, count) pairs: at most the distinct values there are. */
		int distinct = 0;
		for (int v = 0; v < MAXV; v++)
			distinct += (hr[v] > 0) + (hf[v] > 0);
		double bytes_summary = (double)shards * (SKETCH * 16.0 + distinct * 16.0);
		double bytes_all = (double)n * 24.0;
		printf("| %zu | %d | %.2f | %.2f | %.3f | %.3f | %" PRId64 " | %" PRId64 " (%.3f%%) | %d, %" PRId64
		       " | %.0f KB / %.0f KB |\n",
		       n, shards, (double)fullest / ((double)n / shards), (double)fullest_id / ((double)n / shards), exact_s, slowest, off_rf, off_m1,
		       100.0 * (double)off_m1 / (double)n, rounds, off_m2, bytes_summary / 1024, bytes_all / 1024);
		fflush(stdout);
		for (int s = 0; s < shards; s++)
			free(sorted[s]), free(srec[s]), free(sfreq[s]);
		free(sorted), free(srec), free(sfreq), free(fill);
		free(pts);
		free(cum);
		free(hr), free(hf), free(below_r), free(below_f);
		free(rows);
		free(rec), free(freq), free(mon), free(shard), free(r), free(f), free(m), free(seg);
	}
	free(list);
	return 0;
}
