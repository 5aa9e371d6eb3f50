/* The analytic hierarchy process (src/analytics/ahp.h) on Saaty's published
 * examples.
 *
 * Published values (3 decimals) are from Saaty, "How to make a decision: The
 * Analytic Hierarchy Process", European Journal of Operational Research 48
 * (1990) 9-26: the choice of a house (8 criteria, 3 houses; the matrices as
 * also given in LINDO's model AnaHierProc02 that cites the paper) and the
 * relative wealth of nations (Saaty 1980). The 12-digit values are the
 * principal eigenvectors that numpy.linalg.eig gives for the same matrices
 * (an independent computation, by a different algorithm), which the published
 * values round to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analytics/ahp.h"

#define T (1.0 / 3)
#define F (1.0 / 5)

/* Criteria for buying a house: size, transportation, neighbourhood, age,
 * yard, modern facilities, general condition, financing. */
static const double house[64] = {
	1,       5,       3,       7, 6,       6,       T,       1.0 / 4,
	F,       1,       T,       5, 3,       3,       F,       1.0 / 7,
	T,       3,       1,       6, 3,       4,       6,       F,
	1.0 / 7, F,       1.0 / 6, 1, T,       1.0 / 4, 1.0 / 7, 1.0 / 8,
	1.0 / 6, T,       T,       3, 1,       1.0 / 2, F,       1.0 / 6,
	1.0 / 6, T,       1.0 / 4, 4, 2,       1,       F,       1.0 / 6,
	3,       5,       1.0 / 6, 7, 5,       5,       1,       1.0 / 2,
	4,       7,       5,       8, 6,       6,       2,       1,
};
static const double house_pub[8] = {.173, .054, .188, .018, .031, .036, .167, .333};
static const double house_eig[8] = {0.173017474648, 0.053975722999, 0.188110298857,
				    0.017507911308, 0.031043736404, 0.036322202155,
				    0.166833673626, 0.333188980002};

/* Houses A, B, C compared under each criterion, upper triangles (a12, a13,
 * a23), with their eigenvectors from numpy. */
static const double alt_upper[8][3] = {
	{6, 8, 4},       {7, F, 1.0 / 8}, {8, 6, 1.0 / 4}, {1, 1, 1},
	{5, 4, T},       {8, 6, F},       {0.5, 0.5, 1},   {1.0 / 7, F, 3},
};
static const double alt_eig[8][3] = {
	{0.753553899023, 0.181135464512, 0.065310636465},
	{0.233059234183, 0.054453729230, 0.712487036588},
	{0.753553899023, 0.065310636465, 0.181135464512},
	{1.0 / 3, 1.0 / 3, 1.0 / 3},
	{0.673810571084, 0.100653929718, 0.225535499199},
	{0.746606584853, 0.060070061013, 0.193323354134},
	{0.2, 0.4, 0.4},
	{0.071927429882, 0.649118004631, 0.278954565486},
};

static void near(const char *what, size_t i, double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s[%zu]: got %.12f, want %.12f (tolerance %.0e)", what, i, got, want, tol);
}

static void test_house_criteria(void **state)
{
	struct kh_ahp_consistency c;
	double w[8], sum = 0;

	(void)state;
	assert_int_equal(kh_ahp_weights(house, 8, w, &c), KH_OK);
	for (size_t i = 0; i < 8; i++) {
		near("published weight", i, w[i], house_pub[i], 5e-4);
		near("eigenvector", i, w[i], house_eig[i], 1e-10);
		sum += w[i];
	}
	near("sum", 0, sum, 1, 1e-12);
	/* Published: lambda_max = 9.669, C.I. = 0.238, C.R. = 0.169. */
	near("lambda_max", 0, c.lambda_max, 9.669, 5e-4);
	near("lambda_max", 1, c.lambda_max, 9.668887317118, 1e-9);
	near("CI", 0, c.ci, 0.238, 5e-4);
	near("RI", 0, c.ri, 1.41, 0);
	near("CR", 0, c.cr, 0.169, 5e-4);
	near("CR", 1, c.cr, 0.169086860904, 1e-9);
	assert_false(c.acceptable);
	/* The judgement out of line: neighbourhood 6 times as important as
	 * condition, where the weights say 1.13. */
	assert_int_equal(c.worst_i, 2);
	assert_int_equal(c.worst_j, 6);
	near("worst ratio", 0, c.worst_ratio, 6 * house_eig[6] / house_eig[2], 1e-8);
	near("suggested", 0, c.suggested, house_eig[2] / house_eig[6], 1e-8);
}

/* The whole decision: the houses' priorities under each criterion, weighted
 * by the criteria, give the published composite A .396, B .341, C .263. */
static void test_house_synthesis(void **state)
{
	double crit[8], prio[8 * 3], score[3];

	(void)state;
	assert_int_equal(kh_ahp_weights(house, 8, crit, NULL), KH_OK);
	for (size_t l = 0; l < 8; l++) {
		const double *u = alt_upper[l];
		double a[9] = {1, u[0], u[1], 1 / u[0], 1, u[2], 1 / u[1], 1 / u[2], 1};
		struct kh_ahp_consistency c;

		assert_int_equal(kh_ahp_weights(a, 3, prio + 3 * l, &c), KH_OK);
		for (size_t i = 0; i < 3; i++)
			near("house priority", l * 3 + i, prio[3 * l + i], alt_eig[l][i], 1e-10);
		near("RI of 3", l, c.ri, 0.58, 0);
	}
	assert_int_equal(kh_ahp_synthesize(crit, 8, prio, 3, score), KH_OK);
	near("composite", 0, score[0], .396, 5e-4);
	near("composite", 1, score[1], .341, 5e-4);
	near("composite", 2, score[2], .263, 5e-4);
	near("composite", 0, score[0], 0.395912907655, 1e-9);
	near("composite", 1, score[1], 0.340719340101, 1e-9);
	near("composite", 2, score[2], 0.263367752244, 1e-9);
}

/* Relative wealth of nations (US, USSR, China, France, UK, Japan, West
 * Germany): eigenvector .427 .230 .021 .052 .052 .123 .094, lambda_max 7.61. */
static void test_wealth_of_nations(void **state)
{
	static const double a[49] = {
		1,       4,       9, 6,       6,       5,       5,
		1.0 / 4, 1,       7, 5,       5,       3,       4,
		1.0 / 9, 1.0 / 7, 1, F,       F,       1.0 / 7, F,
		1.0 / 6, F,       5, 1,       1,       T,       T,
		1.0 / 6, F,       5, 1,       1,       T,       T,
		F,       T,       7, 3,       3,       1,       2,
		F,       1.0 / 4, 5, 3,       3,       1.0 / 2, 1,
	};
	static const double pub[7] = {.427, .230, .021, .052, .052, .123, .094};
	struct kh_ahp_consistency c;
	double w[7];

	(void)state;
	assert_int_equal(kh_ahp_weights(a, 7, w, &c), KH_OK);
	for (size_t i = 0; i < 7; i++)
		near("nations", i, w[i], pub[i], 5e-4);
	near("lambda_max", 0, c.lambda_max, 7.607720268860, 1e-9);
	near("CR", 0, c.cr, 0.076732357179, 1e-9);
	assert_true(c.acceptable);
}

/* A consistent matrix (a_ij = w_i / w_j) gives back its weights exactly,
 * lambda_max = n and CR = 0; orders 1 and 2 are always consistent. */
static void test_consistent(void **state)
{
	static const double v[4] = {0.5, 0.25, 0.125, 0.125};
	struct kh_ahp_consistency c;
	double a[16], w[4];

	(void)state;
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 4; j++)
			a[i * 4 + j] = v[i] / v[j];
	assert_int_equal(kh_ahp_weights(a, 4, w, &c), KH_OK);
	for (size_t i = 0; i < 4; i++)
		near("consistent", i, w[i], v[i], 1e-12);
	near("lambda", 0, c.lambda_max, 4, 1e-12);
	assert_true(c.ci == 0 && c.cr == 0 && c.acceptable);
	near("worst ratio", 0, c.worst_ratio, 1, 1e-12);
	{
		double one = 1, a2[4] = {1, 3, 1.0 / 3, 1}, w2[2];

		assert_int_equal(kh_ahp_weights(&one, 1, w, &c), KH_OK);
		assert_true(w[0] == 1 && c.cr == 0);
		assert_int_equal(kh_ahp_weights(a2, 2, w2, &c), KH_OK);
		near("2x2", 0, w2[0], 0.75, 1e-12);
		assert_true(c.cr == 0);
	}
}

static void test_random_index(void **state)
{
	static const double ri[] = {0, 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49};

	(void)state;
	for (size_t n = 0; n <= 10; n++)
		near("RI", n, kh_ahp_random_index(n), ri[n], 0);
	near("RI", 15, kh_ahp_random_index(15), 1.59, 0);
	assert_true(isnan(kh_ahp_random_index(16)));
}

static void test_invalid_matrices(void **state)
{
	double a[9] = {1, 3, 5, T, 1, 3, F, T, 1}, w[3];

	(void)state;
	assert_int_equal(kh_ahp_weights(a, 3, w, NULL), KH_OK);
	a[1] = 0.333; /* now a[0][1] * a[1][0] = 0.111: not reciprocal */
	assert_int_equal(kh_ahp_weights(a, 3, w, NULL), KH_EINVAL);
	a[1] = 3;
	a[3] = 0.3333; /* a reciprocal typed with a few decimals is accepted */
	assert_int_equal(kh_ahp_weights(a, 3, w, NULL), KH_OK);
	a[4] = 2; /* diagonal */
	assert_int_equal(kh_ahp_weights(a, 3, w, NULL), KH_EINVAL);
	a[4] = 1;
	a[2] = -5;
	assert_int_equal(kh_ahp_weights(a, 3, w, NULL), KH_EINVAL);
	a[2] = NAN;
	assert_int_equal(kh_ahp_weights(a, 3, w, NULL), KH_EINVAL);
	assert_int_equal(kh_ahp_weights(a, 0, w, NULL), KH_EINVAL);
	assert_int_equal(kh_ahp_weights(a, KH_AHP_MAX_N + 1, w, NULL), KH_EINVAL);
}

/* Two assessors who disagree symmetrically cancel out; the geometric mean of
 * 2 and 8 is 4, and the result stays reciprocal. */
static void test_aggregate(void **state)
{
	double m[2 * 9] = {
		1, 3, 2, T, 1, 1.0 / 2, 1.0 / 2, 2, 1,
		1, T, 8, 3, 1, 1.0 / 2, 1.0 / 8, 2, 1,
	};
	double out[9], wt[2] = {3, 1};

	(void)state;
	assert_int_equal(kh_ahp_aggregate(m, 2, 3, NULL, out), KH_OK);
	near("agg", 1, out[1], 1, 1e-12);
	near("agg", 2, out[2], 4, 1e-12);
	near("agg", 5, out[5], 1.0 / 2, 1e-12);
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < 3; j++)
			near("reciprocal", i * 3 + j, out[i * 3 + j] * out[j * 3 + i], 1, 1e-12);
	/* Weights 3:1: 3^(3/4) * (1/3)^(1/4) = 3^(1/2). */
	assert_int_equal(kh_ahp_aggregate(m, 2, 3, wt, out), KH_OK);
	near("weighted agg", 1, out[1], sqrt(3), 1e-12);
	m[9 + 1] = 4; /* no longer reciprocal */
	assert_int_equal(kh_ahp_aggregate(m, 2, 3, NULL, out), KH_EINVAL);
}

/* A CRM capability hierarchy: goal (0) -> customer insight (1), interaction
 * (2); insight -> data (3), analytics (4); interaction -> channels (5),
 * service (6). */
static void test_hierarchy(void **state)
{
	static const size_t parent[7] = {0, 0, 0, 1, 1, 2, 2};
	static const double local[7] = {1, 0.6, 0.4, 0.75, 0.25, 0.5, 0.5};
	double global[7], score[7] = {NAN, NAN, NAN, 80, 40, 60, 100};
	size_t bad[7] = {0, 0, 0, 1, 1, 6, 2};

	(void)state;
	assert_int_equal(kh_ahp_global_weights(parent, local, 7, global), KH_OK);
	near("global", 3, global[3], 0.45, 1e-15);
	near("global", 4, global[4], 0.15, 1e-15);
	near("global", 6, global[6], 0.2, 1e-15);
	near("leaves sum", 0, global[3] + global[4] + global[5] + global[6], 1, 1e-15);
	/* Insight 0.75 * 80 + 0.25 * 40 = 70; interaction 80; overall 0.6 * 70 +
	 * 0.4 * 80 = 74. */
	assert_int_equal(kh_ahp_rollup(parent, local, 7, score), KH_OK);
	near("insight", 1, score[1], 70, 1e-12);
	near("interaction", 2, score[2], 80, 1e-12);
	near("index", 0, score[0], 74, 1e-12);
	assert_int_equal(kh_ahp_global_weights(bad, local, 7, global), KH_EINVAL);
	score[3] = NAN;
	assert_int_equal(kh_ahp_rollup(parent, local, 7, score), KH_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_house_criteria),
		cmocka_unit_test(test_house_synthesis),
		cmocka_unit_test(test_wealth_of_nations),
		cmocka_unit_test(test_consistent),
		cmocka_unit_test(test_random_index),
		cmocka_unit_test(test_invalid_matrices),
		cmocka_unit_test(test_aggregate),
		cmocka_unit_test(test_hierarchy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
