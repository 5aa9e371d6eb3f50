/* Tests of the purchase summary and the CLV models (src/analytics/summary.h,
 * clv.h): reproduction of the published fits on the CDNOW sample, recovery of
 * known parameters from simulated customers, and the predictions checked
 * against simulation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analytics/clv.h"
#include "analytics/summary.h"
#include "analytics_testutil.h"

static struct at_cdnow_summary cdnow;
static struct at_cdnow_txn cdtx;

/* The summary built from the raw CDNOW sample transactions matches the
 * published per-customer summary (calibration to 1997-09-30, weeks, times
 * rounded to 2 decimals there). */
static void summary_matches_cdnow(void **state)
{
	(void)state;
	int miss = at_read_cdnow_summary(&cdnow) || at_read_cdnow_sample(&cdtx);
	AT_SKIP_UNLESS(!miss);
	assert_int_equal(cdnow.n, 2357);
	assert_int_equal(cdtx.n, 6919);
	struct kh_txns t = {cdtx.n, cdtx.cust, cdtx.day, cdtx.amount, NULL};
	struct kh_summary s;
	assert_int_equal(kh_summary_build(&s, &t, 2357, at_days(1997, 9, 30), at_days(1998, 6, 30),
					  KH_DAYS_PER_WEEK), KH_OK);
	size_t repeaters = 0;
	for (size_t i = 0; i < cdnow.n; i++) {
		uint32_t c = cdnow.id[i] - 1;
		assert_int_equal(s.frequency[c], cdnow.x[i]);
		assert_true(fabs(s.recency[c] - cdnow.t[i]) <= 0.005 + 1e-9);
		assert_true(fabs(s.T[c] - cdnow.T[i]) <= 0.005 + 1e-9);
		repeaters += s.frequency[c] > 0;
	}
	/* The Gamma-Gamma note's 946 customers with repeat purchases. */
	assert_int_equal(repeaters, 946);
	/* Every line lands in the calibration or the holdout period. */
	double total = 0, all = 0;
	for (size_t c = 0; c < s.n; c++)
		total += s.total[c] + s.holdout_value[c];
	for (size_t i = 0; i < cdtx.n; i++)
		all += cdtx.amount[i];
	assert_true(fabs(total - all) < 1e-6 * all);
	kh_summary_release(&s);
}

/* Same-day lines merge, order ids count orders, unsorted input gives the same
 * result as sorted, the holdout window is respected: a hand-checked example. */
static void summary_small_example(void **state)
{
	(void)state;
	/* Customer 0: days 10 (two lines, orders 1 and 2), 10, 17, 31, holdout 40.
	 * Customer 1: day 20 only. Customer 2: only after the calibration end. */
	uint32_t cust[] = {0, 1, 0, 0, 0, 2, 0, 0};
	int32_t day[] = {17, 20, 10, 10, 31, 35, 40, 50};
	double amt[] = {5, 7, 1, 2, 9, 3, 4, 100};
	int64_t ord[] = {3, 9, 1, 2, 4, 8, 5, 6};
	struct kh_txns t = {8, cust, day, amt, ord};
	struct kh_summary s;
	assert_int_equal(kh_summary_build(&s, &t, 3, 31, 45, 7), KH_OK);
	assert_int_equal(s.purchases[0], 3);
	assert_int_equal(s.frequency[0], 2);
	assert_int_equal(s.orders[0], 4);
	assert_near(s.recency[0], 3.0, 1e-12);
	assert_near(s.T[0], 3.0, 1e-12);
	assert_near(s.total[0], 17, 1e-12);
	assert_near(s.avg_value[0], 17.0 / 3, 1e-12);
	assert_near(s.monetary[0], 7, 1e-12); /* (5 + 9) / 2 */
	assert_int_equal(s.holdout_purchases[0], 1);
	assert_near(s.holdout_value[0], 4, 1e-12);
	assert_int_equal(s.frequency[1], 0);
	assert_near(s.T[1], 11.0 / 7, 1e-12);
	assert_near(s.monetary[1], 0, 0);
	assert_int_equal(s.purchases[2], 0);
	assert_true(s.T[2] < 0);
	assert_int_equal(s.first_day[2], INT32_MIN);
	assert_int_equal(s.holdout_purchases[2], 1);
	kh_summary_release(&s);
	uint32_t bad[] = {0, 3};
	struct kh_txns tb = {2, bad, day, amt, NULL};
	assert_int_equal(kh_summary_build(&s, &tb, 3, 31, 45, 7), KH_EINVAL);
}

/* Many customers in shuffled order (the two-thread path, and customers with
 * more lines than the insertion sort handles) give the same summary as the
 * same lines sorted, and each customer matches a direct count. */
static int cmp_line(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void summary_shuffled_equals_sorted(void **state)
{
	(void)state;
	enum { NC = 30000, N = 200000 };
	static uint32_t cu[N], cu2[N];
	static int32_t dy[N], dy2[N];
	static double am[N], am2[N];
	static int64_t key[N][2];
	struct at_rng g;
	at_rng_seed(&g, 8);
	for (size_t i = 0; i < N; i++) {
		/* Customer 0 gets a long history (10% of the lines). */
		cu[i] = i % 10 == 0 ? 0 : (uint32_t)(at_next(&g) % NC);
		dy[i] = 10000 + (int32_t)(at_next(&g) % 400);
		am[i] = (double)(at_next(&g) % 1000) / 10;
		key[i][0] = (int64_t)cu[i] << 32 | (uint32_t)dy[i];
		key[i][1] = (int64_t)i;
	}
	qsort(key, N, sizeof(key[0]), cmp_line);
	for (size_t k = 0; k < N; k++) {
		size_t i = (size_t)key[k][1];
		cu2[k] = cu[i];
		dy2[k] = dy[i];
		am2[k] = am[i];
	}
	struct kh_txns a = {N, cu, dy, am, NULL}, b = {N, cu2, dy2, am2, NULL};
	struct kh_summary sa, sb;
	assert_int_equal(kh_summary_build(&sa, &a, NC, 10300, 10399, 7), KH_OK);
	assert_int_equal(kh_summary_build(&sb, &b, NC, 10300, 10399, 7), KH_OK);
	for (size_t c = 0; c < NC; c++) {
		assert_int_equal(sa.frequency[c], sb.frequency[c]);
		assert_int_equal(sa.holdout_purchases[c], sb.holdout_purchases[c]);
		assert_near(sa.recency[c], sb.recency[c], 0);
		assert_near(sa.T[c], sb.T[c], 0);
		assert_near(sa.total[c], sb.total[c], 1e-9 * sb.total[c]);
		assert_near(sa.monetary[c], sb.monetary[c], 1e-9 * sb.monetary[c]);
	}
	/* Customer 0 by direct count: distinct calibration days. */
	static uint8_t day_seen[400];
	uint32_t days = 0;
	int32_t first = INT32_MAX, last = INT32_MIN;
	for (size_t i = 0; i < N; i++)
		if (cu[i] == 0 && dy[i] <= 10300 && !day_seen[dy[i] - 10000]++) {
			days++;
			first = dy[i] < first ? dy[i] : first;
			last = dy[i] > last ? dy[i] : last;
		}
	assert_int_equal(sa.frequency[0], days - 1);
	assert_near(sa.recency[0], (last - first) / 7.0, 1e-12);
	assert_near(sa.T[0], (10300 - first) / 7.0, 1e-12);
	kh_summary_release(&sa);
	kh_summary_release(&sb);
}

/* BG/NBD on the CDNOW sample: FHL (2005) report r = 0.243, alpha = 4.414,
 * a = 0.793, b = 2.426 and LL = -9582.4; on this rounded summary the lifetimes
 * package gets r = 0.2426, alpha = 4.4136, a = 0.7929, b = 2.4259. */
static void bgnbd_cdnow(void **state)
{
	(void)state;
	AT_SKIP_UNLESS(at_read_cdnow_summary(&cdnow) == 0);
	struct kh_bgnbd m;
	assert_int_equal(kh_bgnbd_fit(&m, cdnow.x, cdnow.t, cdnow.T, cdnow.n), KH_OK);
	printf("BG/NBD r=%.6f alpha=%.6f a=%.6f b=%.6f LL=%.4f (se %.4f %.4f %.4f %.4f) it=%d conv=%d\n",
	       m.r, m.alpha, m.a, m.b, m.info.loglik, m.se[0], m.se[1], m.se[2], m.se[3],
	       m.info.iterations, m.info.converged);
	assert_true(m.info.converged);
	assert_int_equal(m.info.n, 2357);
	assert_rel(m.r, 0.2426, 1e-3);
	assert_rel(m.alpha, 4.4136, 1e-3);
	assert_rel(m.a, 0.7929, 1e-3);
	assert_rel(m.b, 2.4259, 1e-3);
	assert_near(m.info.loglik, -9582.43, 0.1);
	assert_near(kh_bgnbd_loglik(&m, cdnow.x, cdnow.t, cdnow.T, cdnow.n), m.info.loglik,
			    1e-6);
	/* lifetimes prints these to 6 digits, with standard errors 0.012557,
	 * 0.378221, 0.185719 and 0.705345 from its Hessian. */
	assert_rel(m.r, 0.242593, 1e-4);
	assert_rel(m.alpha, 4.413532, 1e-4);
	assert_rel(m.a, 0.792886, 1e-4);
	assert_rel(m.b, 2.425752, 1e-4);
	assert_rel(m.se[0], 0.012557, 1e-2);
	assert_rel(m.se[1], 0.378221, 1e-2);
	assert_rel(m.se[2], 0.185719, 1e-2);
	assert_rel(m.se[3], 0.705345, 1e-2);
	/* FHL's worked example: customer 1 (x = 2, t_x = 30.43, T = 38.86)
	 * is expected to make 1.226 purchases in the next 39 weeks. */
	double e = kh_bgnbd_expected(&m, 39, 2, 30.43, 38.86);
	printf("E[Y(39)|2,30.43,38.86]=%.4f P(alive)=%.4f E[X(39)]=%.4f\n", e,
	       kh_bgnbd_p_alive(&m, 2, 30.43, 38.86), kh_bgnbd_expected_new(&m, 39));
	assert_near(e, 1.226, 0.002);
}

/* Pareto/NBD on the CDNOW sample: Fader, Hardie & Lee's MATLAB note reports
 * r = 0.5533, alpha = 10.5776, s = 0.6061, beta = 11.6650, LL = -9595.0 on
 * unrounded times; this summary rounds times to 0.01 week. */
static void pnbd_cdnow(void **state)
{
	(void)state;
	AT_SKIP_UNLESS(at_read_cdnow_summary(&cdnow) == 0);
	struct kh_pnbd m;
	assert_int_equal(kh_pnbd_fit(&m, cdnow.x, cdnow.t, cdnow.T, cdnow.n), KH_OK);
	printf("Pareto/NBD r=%.6f alpha=%.6f s=%.6f beta=%.6f LL=%.4f (se %.4f %.4f %.4f %.4f) it=%d conv=%d\n",
	       m.r, m.alpha, m.s, m.beta, m.info.loglik, m.se[0], m.se[1], m.se[2], m.se[3],
	       m.info.iterations, m.info.converged);
	printf("P(alive|2,30.43,38.86)=%.4f E[Y(39)]=%.4f\n", kh_pnbd_p_alive(&m, 2, 30.43, 38.86),
	       kh_pnbd_expected(&m, 39, 2, 30.43, 38.86));
	assert_rel(m.r, 0.5533, 1e-3);
	assert_rel(m.alpha, 10.5776, 1e-3);
	assert_rel(m.s, 0.6061, 1e-3);
	assert_rel(m.beta, 11.6689, 1e-3);
	assert_near(m.info.loglik, -9595.0, 0.1);
}

/* Gamma-Gamma on the CDNOW sample's 946 repeat customers, m_x the mean value of
 * their repeat purchases in the calibration period: Fader & Hardie's note
 * reports p = 6.25, q = 3.74, gamma = 15.44. */
static void gamma_gamma_cdnow(void **state)
{
	(void)state;
	AT_SKIP_UNLESS(at_read_cdnow_sample(&cdtx) == 0);
	struct kh_txns t = {cdtx.n, cdtx.cust, cdtx.day, cdtx.amount, NULL};
	struct kh_summary s;
	assert_int_equal(kh_summary_build(&s, &t, 2357, at_days(1997, 9, 30), 0, KH_DAYS_PER_WEEK),
			 KH_OK);
	struct kh_gamma_gamma g;
	assert_int_equal(kh_gg_fit(&g, s.frequency, s.monetary, s.n), KH_OK);
	printf("Gamma-Gamma p=%.6f q=%.6f gamma=%.6f LL=%.4f (se %.4f %.4f %.4f) n=%zu\n", g.p, g.q,
	       g.gamma, g.info.loglik, g.se[0], g.se[1], g.se[2], g.info.n);
	assert_int_equal(g.info.n, 946);
	assert_true(g.info.converged);
	assert_near(g.p, 6.25, 0.005);
	assert_near(g.q, 3.74, 0.005);
	assert_near(g.gamma, 15.44, 0.005);
	assert_near(kh_gg_loglik(&g, s.frequency, s.monetary, s.n), g.info.loglik, 1e-6);
	kh_summary_release(&s);
}

/* Simulated customers: each row is x, t_x, T after a calibration period of
 * T units from the first purchase, then the purchases in a holdout of H units
 * and whether the customer is still alive at T. */
#define SIM_N 40000
static uint32_t sx[SIM_N], shold[SIM_N];
static double st[SIM_N], sT[SIM_N];
static int salive[SIM_N];

/* BG/NBD: Poisson purchases at rate lambda ~ Gamma(r, alpha); after each
 * repeat purchase the customer drops out with probability p ~ Beta(a, b). */
static void simulate_bgnbd(struct at_rng *g, size_t n, double r, double alpha, double a, double b,
			   double H)
{
	for (size_t i = 0; i < n; i++) {
		double lam = at_gamma(g, r, alpha), p = at_beta(g, a, b);
		double T = 26 + 26 * at_unif(g), t = 0, last = 0;
		uint32_t x = 0, h = 0;
		int alive = 1;
		for (;;) {
			t += at_exp(g, lam);
			if (t > T + H)
				break;
			if (t <= T) {
				x++;
				last = t;
			} else {
				h++;
			}
			if (at_unif(g) < p) {
				if (t <= T)
					alive = 0;
				break;
			}
		}
		sx[i] = x;
		st[i] = last;
		sT[i] = T;
		shold[i] = h;
		salive[i] = alive;
	}
}

static void bgnbd_recovers_simulated(void **state)
{
	(void)state;
	struct at_rng g;
	at_rng_seed(&g, 42);
	const double r = 0.5, alpha = 6, a = 0.7, b = 2.5, H = 39;
	simulate_bgnbd(&g, SIM_N, r, alpha, a, b, H);
	struct kh_bgnbd m;
	assert_int_equal(kh_bgnbd_fit(&m, sx, st, sT, SIM_N), KH_OK);
	printf("sim BG/NBD r=%.4f(%.4f) alpha=%.4f(%.4f) a=%.4f(%.4f) b=%.4f(%.4f)\n", m.r, m.se[0],
	       m.alpha, m.se[1], m.a, m.se[2], m.b, m.se[3]);
	assert_true(m.info.converged);
	/* Each estimate within 4 standard errors of the truth, and the
	 * standard errors small enough for that to mean something. */
	const double truth[4] = {r, alpha, a, b}, est[4] = {m.r, m.alpha, m.a, m.b};
	for (int k = 0; k < 4; k++) {
		assert_near(est[k], truth[k], 4 * m.se[k]);
		assert_true(m.se[k] < 0.15 * truth[k]);
	}
	/* The predictions under the true parameters against what the simulated
	 * customers did: holdout purchases, the share still alive at T, and
	 * the purchases of new customers up to T. */
	struct kh_bgnbd tm = {.r = r, .alpha = alpha, .a = a, .b = b};
	double e = 0, got = 0, pa = 0, alive = 0, en = 0, xn = 0;
	for (size_t i = 0; i < SIM_N; i++) {
		e += kh_bgnbd_expected(&tm, H, sx[i], st[i], sT[i]);
		got += shold[i];
		pa += kh_bgnbd_p_alive(&tm, sx[i], st[i], sT[i]);
		alive += salive[i];
		en += kh_bgnbd_expected_new(&tm, sT[i]);
		xn += sx[i];
	}
	printf("holdout expected %.1f actual %.0f; alive expected %.1f actual %.0f; new %.1f vs %.0f\n",
	       e, got, pa, alive, en, xn);
	assert_near(e, got, 0.03 * got);
	assert_near(pa, alive, 0.015 * alive);
	assert_near(en, xn, 0.03 * xn);
}

/* Pareto/NBD: Poisson purchases at rate lambda ~ Gamma(r, alpha) during an
 * exponential lifetime with rate mu ~ Gamma(s, beta). */
static void pnbd_recovers_simulated(void **state)
{
	(void)state;
	struct at_rng g;
	at_rng_seed(&g, 7);
	const double r = 0.6, alpha = 8, s = 0.8, beta = 10, H = 39;
	const size_t n = 10000;
	for (size_t i = 0; i < n; i++) {
		double lam = at_gamma(&g, r, alpha), mu = at_gamma(&g, s, beta);
		double tau = at_exp(&g, mu), T = 26 + 26 * at_unif(&g), t = 0, last = 0;
		uint32_t x = 0, h = 0;
		for (;;) {
			t += at_exp(&g, lam);
			if (t > tau || t > T + H)
				break;
			if (t <= T) {
				x++;
				last = t;
			} else {
				h++;
			}
		}
		sx[i] = x;
		st[i] = last;
		sT[i] = T;
		shold[i] = h;
		salive[i] = tau > T;
	}
	struct kh_pnbd m;
	assert_int_equal(kh_pnbd_fit(&m, sx, st, sT, n), KH_OK);
	printf("sim Pareto/NBD r=%.4f(%.4f) alpha=%.4f(%.4f) s=%.4f(%.4f) beta=%.4f(%.4f)\n", m.r,
	       m.se[0], m.alpha, m.se[1], m.s, m.se[2], m.beta, m.se[3]);
	const double truth[4] = {r, alpha, s, beta}, est[4] = {m.r, m.alpha, m.s, m.beta};
	for (int k = 0; k < 4; k++) {
		assert_near(est[k], truth[k], 4 * m.se[k]);
		assert_true(m.se[k] < 0.5 * truth[k]);
	}
	struct kh_pnbd tm = {.r = r, .alpha = alpha, .s = s, .beta = beta};
	double e = 0, got = 0, pa = 0, alive = 0;
	for (size_t i = 0; i < n; i++) {
		e += kh_pnbd_expected(&tm, H, sx[i], st[i], sT[i]);
		got += shold[i];
		pa += kh_pnbd_p_alive(&tm, sx[i], st[i], sT[i]);
		alive += salive[i];
	}
	printf("holdout expected %.1f actual %.0f; alive expected %.1f actual %.0f\n", e, got, pa,
	       alive);
	assert_near(e, got, 0.05 * got);
	assert_near(pa, alive, 0.03 * alive);
}

/* Gamma-Gamma: nu ~ Gamma(q, gamma) per customer, transaction values
 * ~ Gamma(p, nu); m_x the mean of x of them. */
static void gamma_gamma_recovers_simulated(void **state)
{
	(void)state;
	struct at_rng g;
	at_rng_seed(&g, 99);
	const double p = 5, q = 3, gam = 20;
	static double mx[SIM_N], truemean[SIM_N];
	for (size_t i = 0; i < SIM_N; i++) {
		double nu = at_gamma(&g, q, gam), sum = 0;
		uint32_t x = 1 + (uint32_t)(at_unif(&g) * 6);
		for (uint32_t k = 0; k < x; k++)
			sum += at_gamma(&g, p, nu);
		sx[i] = x;
		mx[i] = sum / x;
		truemean[i] = p / nu;
	}
	struct kh_gamma_gamma m;
	assert_int_equal(kh_gg_fit(&m, sx, mx, SIM_N), KH_OK);
	printf("sim Gamma-Gamma p=%.4f(%.4f) q=%.4f(%.4f) gamma=%.4f(%.4f)\n", m.p, m.se[0], m.q,
	       m.se[1], m.gamma, m.se[2]);
	assert_true(m.info.converged);
	assert_near(m.p, p, 4 * m.se[0]);
	assert_near(m.q, q, 4 * m.se[1]);
	assert_near(m.gamma, gam, 4 * m.se[2]);
	/* The conditional expected spend is the posterior mean of p / nu:
	 * on average it equals each customer's true mean spend. */
	struct kh_gamma_gamma tm = {.p = p, .q = q, .gamma = gam};
	double e = 0, tr = 0;
	for (size_t i = 0; i < SIM_N; i++) {
		e += kh_gg_expected_spend(&tm, sx[i], mx[i]);
		tr += truemean[i];
	}
	assert_near(e, tr, 0.01 * tr);
}

/* CLV: on the CDNOW fits, CLV of a customer equals the discounted sum of the
 * model's monthly expected purchases times the expected spend, a customer
 * with more recent purchases is worth more, and the horizon and discount
 * move it the right way. */
static void clv_cdnow(void **state)
{
	(void)state;
	AT_SKIP_UNLESS(at_read_cdnow_sample(&cdtx) == 0);
	struct kh_txns t = {cdtx.n, cdtx.cust, cdtx.day, cdtx.amount, NULL};
	struct kh_summary s;
	assert_int_equal(kh_summary_build(&s, &t, 2357, at_days(1997, 9, 30), 0, KH_DAYS_PER_WEEK),
			 KH_OK);
	struct kh_bgnbd bg;
	struct kh_gamma_gamma gg;
	assert_int_equal(kh_bgnbd_fit(&bg, s.frequency, s.recency, s.T, s.n), KH_OK);
	assert_int_equal(kh_gg_fit(&gg, s.frequency, s.monetary, s.n), KH_OK);
	struct kh_clv_opts o = {KH_DAYS_PER_WEEK, 12, 0.01, 1};
	static double clv[2357], pa[2357], ex[2357], sp[2357], clv2[2357];
	assert_int_equal(kh_clv_compute(&bg, &gg, &o, s.frequency, s.recency, s.T, s.monetary, s.n,
					clv, pa, ex, sp), KH_OK);
	double total = 0;
	for (size_t i = 0; i < s.n; i++) {
		assert_true(clv[i] > 0 && clv[i] < ex[i] * sp[i]);
		assert_near(pa[i], kh_bgnbd_p_alive(&bg, s.frequency[i], s.recency[i], s.T[i]), 1e-12);
		total += clv[i];
	}
	/* Customer 0: the sum written out month by month. */
	double month = KH_DAYS_PER_MONTH / KH_DAYS_PER_WEEK, prev = 0, want = 0;
	for (int k = 1; k <= 12; k++) {
		double e = kh_bgnbd_expected(&bg, k * month, s.frequency[0], s.recency[0], s.T[0]);
		want += (e - prev) * sp[0] / pow(1.01, k);
		prev = e;
	}
	assert_near(clv[0], want, 1e-9 * want);
	assert_near(ex[0], prev, 1e-12);
	/* No discount and a longer horizon both raise every CLV. */
	o.monthly_discount = 0;
	assert_int_equal(kh_clv_compute(&bg, &gg, &o, s.frequency, s.recency, s.T, s.monetary, s.n,
					clv2, NULL, NULL, NULL), KH_OK);
	for (size_t i = 0; i < s.n; i++) {
		assert_true(clv2[i] > clv[i]);
		assert_near(clv2[i], ex[i] * sp[i], 1e-9 * clv2[i]);
	}
	printf("CDNOW 12-month CLV total %.0f, customer 1: %.2f\n", total, clv[0]);
	kh_summary_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(summary_small_example),
		cmocka_unit_test(summary_matches_cdnow),
		cmocka_unit_test(summary_shuffled_equals_sorted),
		cmocka_unit_test(bgnbd_cdnow),
		cmocka_unit_test(pnbd_cdnow),
		cmocka_unit_test(gamma_gamma_cdnow),
		cmocka_unit_test(clv_cdnow),
		cmocka_unit_test(bgnbd_recovers_simulated),
		cmocka_unit_test(pnbd_recovers_simulated),
		cmocka_unit_test(gamma_gamma_recovers_simulated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
