/* Tests of the churn kernels (src/analytics/churn.h): logistic regression
 * against closed-form and optimality conditions and on simulated data with
 * known coefficients; AUC and the calibration table on hand-checked cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analytics/churn.h"
#include "analytics/optim.h"
#include "analytics_testutil.h"

/* One binary feature, no penalty: the MLE reproduces the two group rates,
 * so the intercept is logit(2/8) = -ln 3 and the slope logit(6/8) - logit(2/8)
 * = 2 ln 3 in original units. */
static void logreg_closed_form(void **state)
{
	(void)state;
	double X[16];
	uint8_t y[16];
	for (int i = 0; i < 16; i++) {
		X[i] = i < 8 ? 0 : 1;
		y[i] = i < 8 ? i < 2 : i < 14;
	}
	struct kh_logreg m;
	assert_int_equal(kh_logreg_fit(&m, X, y, 16, 1, 0), KH_OK);
	assert_true(m.converged);
	assert_near(m.coef[0], -log(3), 1e-8);
	assert_near(m.coef[1], 2 * log(3), 1e-8);
	double x0 = 0, x1 = 1;
	assert_near(kh_logreg_predict(&m, &x0), 0.25, 1e-9);
	assert_near(kh_logreg_predict(&m, &x1), 0.75, 1e-9);
	/* Each group has two rows predicted at 0.25 and six at 0.75 correctly. */
	assert_near(m.loglik, 2 * (2 * log(0.25) + 6 * log(0.75)), 1e-8);
	/* Constant labels have no finite optimum without a penalty. */
	uint8_t same[16] = {0};
	assert_int_equal(kh_logreg_fit(&m, X, same, 16, 1, 0), KH_EINVAL);
	assert_int_equal(kh_logreg_fit(&m, X, same, 16, 1, 1), KH_OK);
}

/* With a penalty the optimum satisfies Z'(y - p) = lambda beta for the slopes
 * and sum(y - p) = 0 for the intercept, checked here from scratch. */
static void logreg_penalised_optimality(void **state)
{
	(void)state;
	enum { N = 500, P = 3 };
	static double X[N * P];
	static uint8_t y[N];
	struct at_rng g;
	at_rng_seed(&g, 11);
	for (int i = 0; i < N; i++) {
		double eta = -0.3;
		for (int j = 0; j < P; j++) {
			X[i * P + j] = 10 * j + (j + 1) * at_normal(&g);
			eta += (j - 1) * 0.8 * (X[i * P + j] - 10 * j) / (j + 1);
		}
		y[i] = at_unif(&g) < 1 / (1 + exp(-eta));
	}
	const double lambda = 25;
	struct kh_logreg m;
	assert_int_equal(kh_logreg_fit(&m, X, y, N, P, lambda), KH_OK);
	assert_true(m.converged);
	double mean[P] = {0}, sd[P] = {0}, g0 = 0, gz[P] = {0};
	for (int i = 0; i < N; i++)
		for (int j = 0; j < P; j++)
			mean[j] += X[i * P + j] / N;
	for (int i = 0; i < N; i++)
		for (int j = 0; j < P; j++)
			sd[j] += pow(X[i * P + j] - mean[j], 2) / N;
	for (int j = 0; j < P; j++)
		sd[j] = sqrt(sd[j]);
	for (int i = 0; i < N; i++) {
		double eta = m.coef[0];
		for (int j = 0; j < P; j++)
			eta += m.coef[j + 1] * X[i * P + j];
		double r = y[i] - 1 / (1 + exp(-eta));
		g0 += r;
		for (int j = 0; j < P; j++)
			gz[j] += r * (X[i * P + j] - mean[j]) / sd[j];
	}
	assert_near(g0, 0, 1e-6);
	for (int j = 0; j < P; j++) {
		assert_near(gz[j], lambda * m.coef[j + 1] * sd[j], 1e-6);
		assert_near(m.beta[j + 1], m.coef[j + 1] * sd[j], 1e-9);
	}
	/* The penalty shrinks: the slopes are smaller than without it. */
	struct kh_logreg u;
	assert_int_equal(kh_logreg_fit(&u, X, y, N, P, 0), KH_OK);
	double nm = 0, nu = 0;
	for (int j = 1; j <= P; j++) {
		nm += m.beta[j] * m.beta[j];
		nu += u.beta[j] * u.beta[j];
	}
	assert_true(nm < nu);
}

/* Simulated churn data with known coefficients on features of very
 * different scales: the fit recovers them, ranks well and is calibrated. */
static void logreg_recovers_simulated(void **state)
{
	(void)state;
	enum { N = 60000, P = 4 };
	static double X[N * P], prob[N];
	static uint8_t y[N];
	const double b0 = -1.0, b[P] = {0.02, -1.5, 0.8, 0.0};
	struct at_rng g;
	at_rng_seed(&g, 5);
	for (int i = 0; i < N; i++) {
		X[i * P + 0] = 100 + 50 * at_normal(&g); /* days since last purchase */
		X[i * P + 1] = at_gamma(&g, 2, 1);     /* orders per month */
		X[i * P + 2] = at_unif(&g) < 0.3;      /* complaint */
		X[i * P + 3] = at_normal(&g) * 1000;   /* noise */
		double eta = b0;
		for (int j = 0; j < P; j++)
			eta += b[j] * X[i * P + j];
		y[i] = at_unif(&g) < 1 / (1 + exp(-eta));
	}
	struct kh_logreg m;
	assert_int_equal(kh_logreg_fit(&m, X, y, N, P, 1e-6), KH_OK);
	assert_true(m.converged);
	printf("coef %.4f %.5f %.4f %.4f %.6f in %d iterations\n", m.coef[0], m.coef[1], m.coef[2],
	       m.coef[3], m.coef[4], m.iterations);
	assert_near(m.coef[0], b0, 4 * m.se[0] + 0.1);
	for (int j = 0; j < P; j++)
		assert_near(m.coef[j + 1], b[j], 4 * m.se[j + 1] / m.sd[j]);
	kh_logreg_predict_all(&m, X, N, prob);
	double auc = kh_auc(prob, y, N);
	printf("AUC %.4f\n", auc);
	assert_true(auc > 0.8);
	struct kh_calib_bin bins[10];
	assert_int_equal(kh_calibration(prob, y, N, 10, bins), KH_OK);
	for (int k = 0; k < 10; k++) {
		assert_int_equal(bins[k].count, N / 10);
		assert_near(bins[k].observed, bins[k].predicted, 0.03);
		if (k)
			assert_true(bins[k].lo >= bins[k - 1].hi);
	}
}

static void auc_hand_checked(void **state)
{
	(void)state;
	/* Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs. */
	double s[4] = {0.1, 0.4, 0.35, 0.8};
	uint8_t y[4] = {0, 0, 1, 1};
	assert_near(kh_auc(s, y, 4), 0.75, 1e-12);
	/* A tie counts one half. */
	double t[3] = {0.5, 0.5, 0.9};
	uint8_t yt[3] = {0, 1, 1};
	assert_near(kh_auc(t, yt, 3), 0.75, 1e-12);
	uint8_t none[3] = {0, 0, 0};
	assert_true(isnan(kh_auc(t, none, 3)));
	/* Calibration of 4 rows into 2 bins. */
	double p[4] = {0.9, 0.1, 0.2, 0.6};
	uint8_t yy[4] = {1, 0, 1, 0};
	struct kh_calib_bin b[2];
	assert_int_equal(kh_calibration(p, yy, 4, 2, b), KH_OK);
	assert_near(b[0].predicted, 0.15, 1e-12);
	assert_near(b[0].observed, 0.5, 1e-12);
	assert_near(b[1].predicted, 0.75, 1e-12);
	assert_near(b[1].lo, 0.6, 0);
	assert_near(b[1].hi, 0.9, 0);
}

/* Features at a cutoff, hand-computed: customer 0 bought on days 10 (two
 * lines), 95 and 150, and again on 170 (after the cutoff 160, inside the
 * 30-day horizon); customer 1 bought once on day 20; customer 2 only after
 * the cutoff. One extra column (complaints) is copied through. */
static void churn_features_hand_checked(void **state)
{
	(void)state;
	uint32_t cust[] = {0, 0, 1, 0, 0, 2, 0};
	int32_t day[] = {10, 95, 20, 150, 10, 170, 170};
	double amt[] = {5, 20, 8, 40, 5, 9, 1};
	struct kh_txns t = {7, cust, day, amt, NULL};
	double extra[3] = {2, 0, 1}, X[3 * 6];
	uint8_t y[3], ok[3];
	assert_int_equal(kh_churn_features(&t, 3, 160, 30, extra, 1, X, y, ok), KH_OK);
	const double want0[6] = {10, 3, 150, 70.0 / 3, log(61.0 / 11), 2};
	for (int j = 0; j < 6; j++)
		assert_near(X[j], want0[j], 1e-12);
	assert_int_equal(y[0], 0);
	assert_int_equal(ok[0], 1);
	const double want1[6] = {140, 1, 140, 8, log(1.0 / 9), 0};
	for (int j = 0; j < 6; j++)
		assert_near(X[6 + j], want1[j], 1e-12);
	assert_int_equal(y[1], 1);
	assert_int_equal(ok[2], 0);
	assert_int_equal(y[2], 0);
	assert_int_equal(kh_churn_features(&t, 3, 160, 0, NULL, 0, X, y, ok), KH_EINVAL);
}

/* Above 200,000 rows the fit starts on a sample; the answer must still be
 * the optimum of the full problem: Z'(y - p) = lambda beta, checked here. */
static void logreg_large_reaches_full_optimum(void **state)
{
	(void)state;
	enum { N = 250000, P = 2 };
	double *X = malloc(N * P * sizeof(double));
	uint8_t *y = malloc(N);
	struct at_rng g;
	at_rng_seed(&g, 17);
	for (size_t i = 0; i < N; i++) {
		X[i * P] = at_normal(&g);
		X[i * P + 1] = 5 + 2 * at_normal(&g);
		double eta = 0.5 + 1.2 * X[i * P] - 0.4 * X[i * P + 1];
		y[i] = at_unif(&g) < 1 / (1 + exp(-eta));
	}
	const double lambda = 50;
	struct kh_logreg m;
	assert_int_equal(kh_logreg_fit(&m, X, y, N, P, lambda), KH_OK);
	assert_true(m.converged);
	double g0 = 0, gz[P] = {0};
	for (size_t i = 0; i < N; i++) {
		double r = y[i] - kh_logreg_predict(&m, X + i * P);
		g0 += r;
		for (int j = 0; j < P; j++)
			gz[j] += r * (X[i * P + j] - m.mean[j]) / m.sd[j];
	}
	/* Stationarity on all rows, to a mean residual of 1e-9 per row. */
	assert_near(g0, 0, 1e-9 * N);
	for (int j = 0; j < P; j++)
		assert_near(gz[j], lambda * m.beta[j + 1], 1e-9 * N);
	free(X);
	free(y);
}

/* The row pass standardises as it reads, in blocks of rows with vector sums,
 * on two threads above 20,000 rows; the statistics come from one pass of
 * shifted sums. Checked from scratch on 40,001 rows (two chunks, a short
 * last block): a column far from 0 (a naive one-pass variance would lose
 * every digit of it), a tiny one, a constant one and a binary one. The
 * standard errors must be those of the penalised Hessian at the optimum. */
static void logreg_standardisation_and_hessian(void **state)
{
	(void)state;
	enum { N = 40001, P = 4, Q = P + 1 };
	double *X = malloc(N * P * sizeof(double));
	uint8_t *y = malloc(N);
	struct at_rng g;
	at_rng_seed(&g, 23);
	for (size_t i = 0; i < N; i++) {
		double *x = X + i * P;
		x[0] = 1e6 + at_normal(&g);
		x[1] = 1e-3 * at_normal(&g);
		x[2] = 7.25;
		x[3] = at_unif(&g) < 0.2;
		double eta = -0.5 + 0.9 * (x[0] - 1e6) + 400 * x[1] + 1.1 * x[3];
		y[i] = at_unif(&g) < 1 / (1 + exp(-eta));
	}
	const double lambda = 2;
	struct kh_logreg m;
	assert_int_equal(kh_logreg_fit(&m, X, y, N, P, lambda), KH_OK);
	assert_true(m.converged);
	/* The mean (a plain sum, then the mean of what it left over, since a
	 * sum of 40,001 values near 1e6 rounds by up to 1e-8 a row) and the
	 * standard deviation around it. */
	for (int j = 0; j < P; j++) {
		double mean = 0, rest = 0, ss = 0;
		for (size_t i = 0; i < N; i++)
			mean += X[i * P + j];
		mean /= N;
		for (size_t i = 0; i < N; i++)
			rest += X[i * P + j] - mean;
		mean += rest / N;
		for (size_t i = 0; i < N; i++)
			ss += (X[i * P + j] - mean) * (X[i * P + j] - mean);
		double sd = sqrt(ss / N);
		if (j == 2) {
			/* A constant column keeps its value and scale 1, and
			 * the penalty holds its coefficient at exactly 0. */
			assert_true(m.mean[j] == 7.25 && m.sd[j] == 1 && m.beta[j + 1] == 0);
			continue;
		}
		assert_near(m.mean[j], mean, 1e-12 * sd + 1e-15 * fabs(mean));
		assert_near(m.sd[j], sd, 1e-10 * sd);
	}
	/* Gradient and Hessian from scratch at the fitted coefficients. */
	double grad[Q] = {0}, H[Q * Q] = {0};
	for (size_t i = 0; i < N; i++) {
		double z[Q] = {1}, eta = m.beta[0];
		for (int j = 0; j < P; j++) {
			z[j + 1] = (X[i * P + j] - m.mean[j]) / m.sd[j];
			eta += m.beta[j + 1] * z[j + 1];
		}
		double pr = 1 / (1 + exp(-eta)), w = pr * (1 - pr);
		for (int j = 0; j < Q; j++) {
			grad[j] += (pr - y[i]) * z[j];
			for (int k = 0; k < Q; k++)
				H[j * Q + k] += w * z[j] * z[k];
		}
	}
	for (int j = 1; j < Q; j++) {
		grad[j] += lambda * m.beta[j];
		H[j * Q + j] += lambda;
	}
	for (int j = 0; j < Q; j++)
		assert_near(grad[j], 0, 1e-9 * N);
	assert_int_equal(kh_spd_inverse(H, Q), KH_OK);
	for (int j = 0; j < Q; j++)
		assert_near(m.se[j], sqrt(H[j * Q + j]), 1e-6 * m.se[j]);
	/* A value that is not a number, or infinite, in any row (the first,
	 * one in the middle, the last) is refused. */
	const size_t rows[3] = {0, N / 2 + 3, N - 1};
	for (int k = 0; k < 3; k++) {
		double *x = X + rows[k] * P + k % P, keep = *x;
		*x = NAN;
		assert_int_equal(kh_logreg_fit(&m, X, y, N, P, lambda), KH_EINVAL);
		*x = -INFINITY;
		assert_int_equal(kh_logreg_fit(&m, X, y, N, P, lambda), KH_EINVAL);
		*x = keep;
	}
	free(X);
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(logreg_closed_form),
		cmocka_unit_test(logreg_penalised_optimality),
		cmocka_unit_test(logreg_recovers_simulated),
		cmocka_unit_test(auc_hand_checked),
		cmocka_unit_test(churn_features_hand_checked),
		cmocka_unit_test(logreg_large_reaches_full_optimum),
		cmocka_unit_test(logreg_standardisation_and_hessian),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
