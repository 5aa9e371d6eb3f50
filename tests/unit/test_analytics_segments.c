/* Tests of k-means segments and the silhouette (src/analytics/kmeans.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analytics/kmeans.h"
#include "analytics_testutil.h"

/* 1-D points 0, 1 | 10, 11: point 0 has a = 1, b = (10 + 11) / 2, point 1
 * has a = 1, b = (9 + 10) / 2, and the other two mirror them. */
static void silhouette_hand_checked(void **state)
{
	(void)state;
	double z[4] = {0, 1, 10, 11};
	uint32_t as[4] = {0, 0, 1, 1};
	double want = (2 * (1 - 1 / 10.5) + 2 * (1 - 1 / 9.5)) / 4;
	assert_near(kh_silhouette(z, 4, 1, as, 2, 0, 1), want, 1e-12);
	/* A wrong clustering scores lower, and a singleton counts 0. */
	uint32_t bad[4] = {0, 1, 1, 1};
	double s_bad = kh_silhouette(z, 4, 1, bad, 2, 0, 1);
	/* Point 1: a = (9 + 10) / 2 = 9.5, b = 1 -> (1 - 9.5) / 9.5;
	 * point 10: a = (9 + 1) / 2 = 5, b = 10 -> (10 - 5) / 10;
	 * point 11: a = (10 + 1) / 2 = 5.5, b = 11 -> (11 - 5.5) / 11. */
	assert_near(s_bad, (0 + (1 - 9.5) / 9.5 + 0.5 + 0.5) / 4, 1e-12);
	assert_true(isnan(kh_silhouette(z, 4, 1, as, 1, 0, 1)));
}

enum { N = 3000, P = 2 };
static double X[N * P];
static uint32_t truth[N], as[N], as2[N];

/* Three segments on very different scales: spend in currency units and
 * orders per year. */
static void make_blobs(void)
{
	const double cx[3] = {100, 1000, 550}, cy[3] = {2, 2, 10};
	struct at_rng g;
	at_rng_seed(&g, 21);
	for (size_t i = 0; i < N; i++) {
		int c = i % 3;
		truth[i] = c;
		X[i * P] = cx[c] + 30 * at_normal(&g);
		X[i * P + 1] = cy[c] + 0.5 * at_normal(&g);
	}
}

static void kmeans_finds_blobs(void **state)
{
	(void)state;
	make_blobs();
	struct kh_kmeans m;
	double sil[5];
	struct kh_kmeans_opts o = {.restarts = 5, .seed = 7};
	assert_int_equal(kh_kmeans_choose_k(&m, X, N, P, 2, 6, &o, as, sil), KH_OK);
	printf("silhouettes k=2..6: %.3f %.3f %.3f %.3f %.3f\n", sil[0], sil[1], sil[2], sil[3],
	       sil[4]);
	assert_int_equal(m.k, 3);
	assert_true(m.silhouette > 0.7);
	for (int k = 0; k < 5; k++)
		assert_true(sil[k] <= m.silhouette);
	/* Each true segment maps to exactly one found segment. */
	int map[3] = {-1, -1, -1};
	for (size_t i = 0; i < N; i++) {
		if (map[truth[i]] < 0)
			map[truth[i]] = (int)as[i];
		assert_int_equal(as[i], map[truth[i]]);
	}
	assert_true(map[0] != map[1] && map[1] != map[2] && map[0] != map[2]);
	/* The profile is in original units. */
	const double cx[3] = {100, 1000, 550}, cy[3] = {2, 2, 10};
	for (int c = 0; c < 3; c++) {
		assert_int_equal(m.size[map[c]], N / 3);
		assert_near(m.center[map[c] * P], cx[c], 3);
		assert_near(m.center[map[c] * P + 1], cy[c], 0.05);
	}
	/* The inertia is the SSE of the standardised points around their
	 * segment means, recomputed here. */
	double mean[P] = {0}, sd[P] = {0}, zc[3][P] = {{0}}, sse = 0;
	for (size_t i = 0; i < N; i++)
		for (int j = 0; j < P; j++)
			mean[j] += X[i * P + j] / N;
	for (size_t i = 0; i < N; i++)
		for (int j = 0; j < P; j++)
			sd[j] += pow(X[i * P + j] - mean[j], 2) / N;
	for (int j = 0; j < P; j++)
		sd[j] = sqrt(sd[j]);
	for (size_t i = 0; i < N; i++)
		for (int j = 0; j < P; j++)
			zc[as[i]][j] += (X[i * P + j] - mean[j]) / sd[j] / (N / 3);
	for (size_t i = 0; i < N; i++)
		for (int j = 0; j < P; j++)
			sse += pow((X[i * P + j] - mean[j]) / sd[j] - zc[as[i]][j], 2);
	assert_near(m.inertia, sse, 1e-6 * sse);
	/* The sampled silhouette is close to the full one. */
	double *Z = malloc(sizeof(X));
	for (size_t i = 0; i < N * P; i++)
		Z[i] = (X[i] - mean[i % P]) / sd[i % P];
	double full = kh_silhouette(Z, N, P, as, 3, 0, 1);
	assert_near(full, m.silhouette, 1e-9); /* N = 3000 is within the default sample */
	assert_near(kh_silhouette(Z, N, P, as, 3, 500, 9), full, 0.03);
	free(Z);
	/* Same seed, same answer. */
	struct kh_kmeans m2;
	assert_int_equal(kh_kmeans_fit(&m2, X, N, P, 3, &o, as2), KH_OK);
	assert_memory_equal(as, as2, sizeof(as));
	kh_kmeans_release(&m2);
	kh_kmeans_release(&m);
	assert_int_equal(kh_kmeans_fit(&m2, X, N, P, 0, NULL, as2), KH_EINVAL);
}

/* Above 300,000 rows the restarts run on a sample: the result must still
 * find the true segments and be no worse than a single restart on all rows. */
static void kmeans_sampled_restarts(void **state)
{
	(void)state;
	enum { NB = 310000 };
	double *Xb = malloc(NB * 2 * sizeof(double));
	uint32_t *a1 = malloc(NB * sizeof(uint32_t)), *a2 = malloc(NB * sizeof(uint32_t));
	struct at_rng g;
	at_rng_seed(&g, 5);
	const double cx[4] = {0, 10, 0, 10}, cy[4] = {0, 0, 10, 10};
	for (size_t i = 0; i < NB; i++) {
		Xb[2 * i] = cx[i % 4] + at_normal(&g);
		Xb[2 * i + 1] = cy[i % 4] + at_normal(&g);
	}
	struct kh_kmeans many, one;
	struct kh_kmeans_opts o10 = {.restarts = 10, .seed = 3}, o1 = {.restarts = 1, .seed = 3};
	assert_int_equal(kh_kmeans_fit(&many, Xb, NB, 2, 4, &o10, a1), KH_OK);
	assert_int_equal(kh_kmeans_fit(&one, Xb, NB, 2, 4, &o1, a2), KH_OK);
	printf("sampled restarts inertia %.1f, one full restart %.1f\n", many.inertia, one.inertia);
	assert_true(many.inertia <= one.inertia * (1 + 1e-6));
	int map[4] = {-1, -1, -1, -1};
	size_t wrong = 0;
	for (size_t i = 0; i < NB; i++) {
		if (map[i % 4] < 0)
			map[i % 4] = (int)a1[i];
		wrong += a1[i] != (uint32_t)map[i % 4];
	}
	/* Unit-variance blobs 10 apart: a point crosses a boundary 5 standard
	 * deviations away with probability about 3e-7 per axis. */
	assert_true(wrong < NB / 1000);
	for (int c = 0; c < 4; c++) {
		assert_near(many.center[map[c] * 2], cx[c], 0.05);
		assert_near(many.center[map[c] * 2 + 1], cy[c], 0.05);
	}
	kh_kmeans_release(&many);
	kh_kmeans_release(&one);
	free(Xb);
	free(a1);
	free(a2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(silhouette_hand_checked),
		cmocka_unit_test(kmeans_finds_blobs),
		cmocka_unit_test(kmeans_sampled_restarts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
