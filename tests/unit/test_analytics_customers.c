/* Tests of the kernels the customer analytics add on top of the models:
 * Kaplan-Meier (src/analytics/survival.h) against the published table of a
 * textbook data set, cohorts (cohort.h), profitability and relationship
 * breadth, length and depth (profit.h), the OLAP cube (cube.h), the scorecard
 * arithmetic (scorecard.h), CLV from Pareto/NBD and the churn reasons
 * (clv.h, churn.h), all on hand-checked examples or the CDNOW sample. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analytics/churn.h"
#include "analytics/clv.h"
#include "analytics/cohort.h"
#include "analytics/cube.h"
#include "analytics/profit.h"
#include "analytics/scorecard.h"
#include "analytics/survival.h"
#include "analytics_testutil.h"

/* The 6-MP arm of Freireich et al. (1963), weeks of remission, + censored:
 * 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+.
 * The Kaplan-Meier table and Greenwood errors below are the textbook ones
 * (Kleinbaum & Klein, Survival Analysis, table 2.2; computed by hand in the
 * comment of each row). */
static void km_freireich(void **state)
{
	(void)state;
	const double t[21] = {6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35};
	const uint8_t ev[21] = {1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
	struct kh_km km;
	assert_int_equal(kh_kaplan_meier(t, ev, 21, &km), KH_OK);
	assert_int_equal(km.n, 21);
	assert_int_equal(km.events, 9);
	static const struct {
		double time;
		size_t at_risk, d;
		double s, se;
	} want[] = {
		{6, 21, 3, 18.0 / 21, 0.0764},               /* 18/21 */
		{7, 17, 1, 18.0 / 21 * 16 / 17, 0.0869},     /* x 16/17 */
		{10, 15, 1, 0.752941, 0.0963},               /* x 14/15 */
		{13, 12, 1, 0.690196, 0.1068},               /* x 11/12 */
		{16, 11, 1, 0.627451, 0.1141},               /* x 10/11 */
		{22, 7, 1, 0.537815, 0.1282},                /* x 6/7 */
		{23, 6, 1, 0.448179, 0.1346},                /* x 5/6 */
	};
	size_t k = 0;
	for (size_t i = 0; i < km.npoints; i++) {
		if (!km.point[i].events)
			continue;
		assert_true(k < 7);
		assert_near(km.point[i].time, want[k].time, 0);
		assert_int_equal(km.point[i].at_risk, want[k].at_risk);
		assert_int_equal(km.point[i].events, want[k].d);
		assert_near(km.point[i].survival, want[k].s, 5e-7);
		assert_near(km.point[i].se, want[k].se, 5e-5);
		k++;
	}
	assert_int_equal(k, 7);
	assert_near(km.median, 23, 0);
	assert_near(kh_km_at(&km, 5), 1, 0);
	assert_near(kh_km_at(&km, 12), 0.752941, 5e-7);
	assert_near(kh_km_at(&km, 100), 0.448179, 5e-7);
	kh_km_release(&km);
	/* Nobody, and a bad duration. */
	assert_int_equal(kh_kaplan_meier(t, ev, 0, &km), KH_OK);
	assert_true(isnan(km.median));
	double bad = -1;
	assert_int_equal(kh_kaplan_meier(&bad, ev, 1, &km), KH_EINVAL);
}

static void months(void **state)
{
	(void)state;
	assert_int_equal(kh_month_of_day(0), 1970 * 12);
	assert_int_equal(kh_month_of_day(at_days(2024, 2, 29)), 2024 * 12 + 1);
	assert_int_equal(kh_month_of_day(at_days(2023, 12, 31)), 2023 * 12 + 11);
	assert_int_equal(kh_month_of_day(at_days(1969, 12, 31)), 1969 * 12 + 11);
	for (int m = 1960 * 12; m < 2100 * 12; m += 7) {
		int32_t d = kh_month_first_day(m);
		assert_int_equal(kh_month_of_day(d), m);
		assert_int_equal(kh_month_of_day(d - 1), m - 1);
	}
	assert_int_equal(kh_month_first_day(2024 * 12 + 2), at_days(2024, 3, 1));
}

/* Three customers: A joins in January and buys in February and April; B
 * joins in January and never returns; C joins in February and buys again in
 * March. As of April 15. */
static void cohorts_small(void **state)
{
	(void)state;
	uint32_t cust[] = {0, 0, 0, 1, 2, 2, 2, 0};
	int32_t day[] = {at_days(2024, 1, 5), at_days(2024, 2, 1), at_days(2024, 4, 2), at_days(2024, 1, 20),
			 at_days(2024, 2, 10), at_days(2024, 2, 10), at_days(2024, 3, 3), at_days(2024, 5, 1)};
	double amount[] = {10, 20, 30, 5, 7, 8, 9, 1000};
	struct kh_txns t = {8, cust, day, amount, NULL};
	struct kh_cohorts c;
	assert_int_equal(kh_cohorts_build(&t, 3, at_days(2024, 4, 15), &c), KH_OK);
	assert_int_equal(c.first_month, 2024 * 12);
	assert_int_equal(c.n_cohorts, 4);
	assert_int_equal(c.size[0], 2);
	assert_int_equal(c.size[1], 1);
	assert_int_equal(c.repeat[0], 1); /* A; B bought once */
	assert_int_equal(c.repeat[1], 1); /* C: the same day twice is one day, then March */
	const size_t want0[4] = {2, 1, 0, 1}, want1[4] = {1, 1, 0, 0};
	for (int p = 0; p < 4; p++) {
		assert_int_equal(c.active[0 * 4 + p], want0[p]);
		assert_int_equal(c.active[1 * 4 + p], want1[p]);
	}
	assert_near(c.revenue[0], 15, 1e-12);
	assert_near(c.revenue[1 * 4 + 0], 15, 1e-12);
	/* Period 1: January's two (1 active) and February's one (1): 2/3. Period
	 * 3: only January has reached it: 1/2. May's purchase is after as_of. */
	assert_near(c.curve[0], 1, 1e-12);
	assert_near(c.curve[1], 2.0 / 3, 1e-12);
	assert_near(c.curve[2], 0, 1e-12);
	assert_near(c.curve[3], 0.5, 1e-12);
	kh_cohorts_release(&c);
}

static void profit_small(void **state)
{
	(void)state;
	/* Customer 0 buys products 0 and 1 (two categories) on two days; 1 buys
	 * product 2 once; 2 never buys but had a case. */
	uint32_t cust[] = {0, 0, 0, 1};
	int32_t day[] = {100, 100, 130, 110};
	double amount[] = {100, 50, 100, 40};
	double cogs[] = {60, 20, 60, 35};
	uint32_t product[] = {0, 1, 0, 2};
	uint32_t category[] = {0, 1, 1};
	double service[] = {10, 20, 15};
	struct kh_txns t = {4, cust, day, amount, NULL};
	struct kh_profit_in in = {&t, cogs, product, 3, category, 2, service, 160};
	struct kh_profit p;
	assert_int_equal(kh_profit_compute(&in, 3, &p), KH_OK);
	assert_near(p.revenue[0], 250, 1e-12);
	assert_near(p.profit[0], 250 - 140 - 10, 1e-12);
	assert_near(p.profit[1], 40 - 35 - 20, 1e-12);
	assert_near(p.profit[2], -15, 1e-12);
	assert_int_equal(p.products[0], 2);
	assert_int_equal(p.categories[0], 2);
	assert_int_equal(p.products[1], 1);
	assert_int_equal(p.tenure_days[0], 60);
	assert_int_equal(p.tenure_days[2], -1);
	assert_int_equal(p.purchase_days[0], 2);
	assert_near(p.per_year[0], 2 * 365.25 / 60, 1e-12);
	assert_near(p.per_year[1], 365.25 / 50, 1e-12);
	assert_near(p.per_purchase[0], 125, 1e-12);
	assert_int_equal(p.customers, 2);
	assert_int_equal(p.unprofitable, 1);
	assert_near(p.total_profit, 100 - 15 - 15, 1e-12);
	kh_profit_release(&p);
	product[1] = 7;
	assert_int_equal(kh_profit_compute(&in, 3, &p), KH_EINVAL);
}

static void cube_rollup_and_slice(void **state)
{
	(void)state;
	/* Facts: year (0, 1), category (0..2), revenue. */
	uint32_t year[] = {0, 0, 1, 1, 1, 0};
	uint32_t cat[] = {0, 1, 0, 2, 2, 1};
	double rev[] = {1, 2, 4, 8, 16, 32};
	struct kh_cube_facts f = {6, 2, {year, cat}, {2, 3}, 1, {rev}};
	struct kh_cube_query q = {2, {0, 1}, {NULL}, 1};
	struct kh_cube c;
	assert_int_equal(kh_cube_query(&f, &q, &c), KH_OK);
	/* (0,0) (0,1) (0,all) (1,0) (1,2) (1,all) (all,all) */
	assert_int_equal(c.n, 7);
	static const uint32_t k0[] = {0, 0, 0, 1, 1, 1, KH_CUBE_ALL};
	static const uint32_t k1[] = {0, 1, KH_CUBE_ALL, 0, 2, KH_CUBE_ALL, KH_CUBE_ALL};
	static const double s[] = {1, 34, 35, 4, 24, 28, 63};
	static const size_t n[] = {1, 2, 3, 1, 2, 3, 6};
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(c.cell[i].key[0], k0[i]);
		assert_int_equal(c.cell[i].key[1], k1[i]);
		assert_near(c.cell[i].sum[0], s[i], 0);
		assert_int_equal(c.cell[i].count, n[i]);
	}
	kh_cube_release(&c);
	/* Drill into year 1 by category, no subtotals. */
	uint8_t y1[2] = {0, 1};
	struct kh_cube_query d = {1, {1}, {y1, NULL}, 0};
	assert_int_equal(kh_cube_query(&f, &d, &c), KH_OK);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.facts, 3);
	assert_int_equal(c.cell[0].key[0], 0);
	assert_near(c.cell[0].sum[0], 4, 0);
	assert_int_equal(c.cell[1].key[0], 2);
	assert_near(c.cell[1].sum[0], 24, 0);
	kh_cube_release(&c);
	/* Everything at once: the grand total. */
	struct kh_cube_query all = {0, {0}, {NULL}, 1};
	assert_int_equal(kh_cube_query(&f, &all, &c), KH_OK);
	assert_int_equal(c.n, 1);
	assert_near(c.cell[0].sum[0], 63, 0);
	kh_cube_release(&c);
	/* A code out of range. */
	cat[0] = 3;
	assert_int_equal(kh_cube_query(&f, &q, &c), KH_EINVAL);
}

/* Many facts: the hash table grows, and the cells add up to the total. */
static void cube_many(void **state)
{
	(void)state;
	enum { N = 200000 };
	static uint32_t a[N], b[N];
	static double v[N];
	struct at_rng g;
	at_rng_seed(&g, 7);
	double total = 0;
	for (size_t i = 0; i < N; i++) {
		a[i] = (uint32_t)(at_unif(&g) * 500);
		b[i] = (uint32_t)(at_unif(&g) * 300);
		v[i] = at_unif(&g);
		total += v[i];
	}
	struct kh_cube_facts f = {N, 2, {a, b}, {500, 300}, 1, {v}};
	struct kh_cube_query q = {2, {0, 1}, {NULL}, 1};
	struct kh_cube c;
	assert_int_equal(kh_cube_query(&f, &q, &c), KH_OK);
	double leaves = 0;
	size_t count = 0;
	for (size_t i = 0; i < c.n; i++)
		if (c.cell[i].key[1] != KH_CUBE_ALL) {
			leaves += c.cell[i].sum[0];
			count += c.cell[i].count;
			if (i)
				assert_true(c.cell[i - 1].key[0] < c.cell[i].key[0] ||
					    (c.cell[i - 1].key[0] == c.cell[i].key[0] &&
					     c.cell[i - 1].key[1] < c.cell[i].key[1]));
		}
	assert_int_equal(count, N);
	assert_near(leaves, total, 1e-6);
	assert_near(c.cell[c.n - 1].sum[0], total, 1e-6);
	kh_cube_release(&c);
}

static void scorecard_status(void **state)
{
	(void)state;
	assert_int_equal(kh_kpi_status(90, 85, 70, 1), KH_KPI_GREEN);
	assert_int_equal(kh_kpi_status(80, 85, 70, 1), KH_KPI_AMBER);
	assert_int_equal(kh_kpi_status(60, 85, 70, 1), KH_KPI_RED);
	assert_int_equal(kh_kpi_status(20, 24, 48, 0), KH_KPI_GREEN); /* hours: lower is better */
	assert_int_equal(kh_kpi_status(30, 24, 48, 0), KH_KPI_AMBER);
	assert_int_equal(kh_kpi_status(50, 24, 48, 0), KH_KPI_RED);
	assert_int_equal(kh_kpi_status(50, 24, 10, 0), KH_KPI_UNKNOWN);
	assert_int_equal(kh_kpi_status(NAN, 24, 48, 0), KH_KPI_UNKNOWN);
	assert_near(kh_kpi_achievement(77.5, 85, 70, 1), 0.5, 1e-12);
	assert_near(kh_kpi_achievement(36, 24, 48, 0), 0.5, 1e-12);
	assert_near(kh_kpi_achievement(200, 85, 70, 1), 1.2, 0);
	assert_near(kh_kpi_achievement(0, 85, 70, 1), 0, 0);
	const double y[] = {1, 3, NAN, 7, 9};
	assert_near(kh_trend_slope(y, 5), 2, 1e-12);
	assert_true(isnan(kh_trend_slope(y, 1)));
	assert_string_equal(kh_kpi_status_name(KH_KPI_AMBER), "amber");
}

static struct at_cdnow_txn cdtx;

/* CLV from Pareto/NBD on the CDNOW sample: the month-by-month sum written out
 * for one customer, P(alive) from the model, and totals of the same order as
 * BG/NBD's (the two models fit CDNOW about equally well, FHL 2005). */
static void clv_pnbd_cdnow(void **state)
{
	(void)state;
	AT_SKIP_UNLESS(at_read_cdnow_sample(&cdtx) == 0);
	struct kh_txns t = {cdtx.n, cdtx.cust, cdtx.day, cdtx.amount, NULL};
	struct kh_summary s;
	assert_int_equal(kh_summary_build(&s, &t, 2357, at_days(1997, 9, 30), 0, KH_DAYS_PER_WEEK), KH_OK);
	struct kh_pnbd pn;
	struct kh_bgnbd bg;
	struct kh_gamma_gamma gg;
	assert_int_equal(kh_pnbd_fit(&pn, s.frequency, s.recency, s.T, s.n), KH_OK);
	assert_int_equal(kh_bgnbd_fit(&bg, s.frequency, s.recency, s.T, s.n), KH_OK);
	assert_int_equal(kh_gg_fit(&gg, s.frequency, s.monetary, s.n), KH_OK);
	struct kh_clv_opts o = {KH_DAYS_PER_WEEK, 12, 0.01, 1};
	static double clv[2357], pa[2357], ex[2357], sp[2357], clvb[2357];
	assert_int_equal(kh_clv_compute_pnbd(&pn, &gg, &o, s.frequency, s.recency, s.T, s.monetary, s.n, clv, pa, ex,
					     sp), KH_OK);
	assert_int_equal(kh_clv_compute(&bg, &gg, &o, s.frequency, s.recency, s.T, s.monetary, s.n, clvb, NULL, NULL,
					NULL), KH_OK);
	double month = KH_DAYS_PER_MONTH / KH_DAYS_PER_WEEK, prev = 0, want = 0, tp = 0, tb = 0;
	for (int k = 1; k <= 12; k++) {
		double e = kh_pnbd_expected(&pn, k * month, s.frequency[5], s.recency[5], s.T[5]);
		want += (e - prev) * sp[5] / pow(1.01, k);
		prev = e;
	}
	assert_near(clv[5], want, 1e-9 * want);
	assert_near(ex[5], prev, 1e-12);
	for (size_t i = 0; i < s.n; i++) {
		assert_near(pa[i], kh_pnbd_p_alive(&pn, s.frequency[i], s.recency[i], s.T[i]), 1e-12);
		assert_true(clv[i] >= 0);
		tp += clv[i];
		tb += clvb[i];
	}
	printf("CDNOW 12-month CLV: Pareto/NBD %.0f, BG/NBD %.0f\n", tp, tb);
	assert_near(tp, tb, 0.1 * tb);
	pn.s = 1;
	assert_int_equal(kh_clv_compute_pnbd(&pn, &gg, &o, s.frequency, s.recency, s.T, s.monetary, s.n, clv, NULL,
					     NULL, NULL), KH_EINVAL);
	kh_summary_release(&s);
}

/* Several horizons in one pass give what one horizon at a time gives, for
 * new and old customers, short and long horizons, and a, b below one. */
static void expected_many_matches(void **state)
{
	(void)state;
	const struct kh_bgnbd models[] = {
		{.r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426},
		{.r = 1.2, .alpha = 30, .a = 0.4, .b = 0.3}, /* a + b - 1 < 0: the general series */
		{.r = 0.5, .alpha = 0.5, .a = 3, .b = 9},
	};
	double h[40], many[40];
	for (int k = 0; k < 40; k++)
		h[k] = 0.5 + 4.3 * k;
	for (size_t mi = 0; mi < 3; mi++)
		for (uint32_t x = 0; x < 30; x += 7)
			for (double T = 0; T < 80; T += 13.5) {
				double t_x = x ? T * 0.6 : 0;
				kh_bgnbd_expected_many(&models[mi], h, 40, x, t_x, T, many);
				for (int k = 0; k < 40; k++) {
					double one = kh_bgnbd_expected(&models[mi], h[k], x, t_x, T);
					assert_near(many[k], one, 1e-11 * fabs(one) + 1e-14);
				}
			}
}

/* The contributions add up to the log-odds of the prediction. */
static void churn_reasons_explain(void **state)
{
	(void)state;
	enum { N = 2000, P = 3 };
	static double X[N * P];
	static uint8_t y[N];
	struct at_rng g;
	at_rng_seed(&g, 3);
	for (size_t i = 0; i < N; i++) {
		for (int j = 0; j < P; j++)
			X[i * P + j] = at_normal(&g) * (j + 1) + j;
		double eta = 0.5 + 1.2 * X[i * P] - 0.7 * X[i * P + 1];
		y[i] = at_unif(&g) < 1 / (1 + exp(-eta));
	}
	struct kh_logreg m;
	assert_int_equal(kh_logreg_fit(&m, X, y, N, P, 1), KH_OK);
	for (size_t i = 0; i < 50; i++) {
		double c[P], eta = m.beta[0];
		kh_logreg_contrib(&m, X + i * P, c);
		for (int j = 0; j < P; j++)
			eta += c[j];
		assert_near(1 / (1 + exp(-eta)), kh_logreg_predict(&m, X + i * P), 1e-12);
	}
	/* A customer far above the mean on the first feature has it as the
	 * largest reason. */
	double x[P] = {10, 1, 2}, c[P];
	kh_logreg_contrib(&m, x, c);
	assert_true(c[0] > 0 && c[0] > c[1] && c[0] > c[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(km_freireich),
		cmocka_unit_test(months),
		cmocka_unit_test(cohorts_small),
		cmocka_unit_test(profit_small),
		cmocka_unit_test(cube_rollup_and_slice),
		cmocka_unit_test(cube_many),
		cmocka_unit_test(scorecard_status),
		cmocka_unit_test(clv_pnbd_cdnow),
		cmocka_unit_test(expected_many_matches),
		cmocka_unit_test(churn_reasons_explain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
