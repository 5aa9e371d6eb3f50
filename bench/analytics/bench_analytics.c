/* The analytics benchmark's driver: loads a transaction CSV once and times
 * the kernels that `kehu analyze` and the API run - the summary, RFM, ABC,
 * BG/NBD, Gamma-Gamma and CLV for every customer, then k-means and the churn
 * model's logistic regression - and writes each result where the reference
 * (reference.py) can compare it:
 *
 *   OUT/customers.csv   per customer: RFM, ABC class, x, t_x, T, P(alive), CLV
 *   OUT/params.json     fitted parameters, timings, peak memory
 *   OUT/kmeans.f64      the k-means features (n x 4 doubles), as clustered
 *   OUT/logreg.f64      the churn features (n x 5 doubles) and
 *   OUT/logreg.y        their labels (n bytes)
 *
 *   bench_analytics LINES.csv OUT [--threads N]
 *
 * Built by bench/analytics/run.sh (cmake --target bench_analytics). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "analytics/abc.h"
#include "analytics/churn.h"
#include "analytics/clv.h"
#include "analytics/kmeans.h"
#include "analytics/par.h"
#include "analytics/rf.h"
#include "analytics/rfm.h"
#include "analytics/summary.h"
#include "domain/analytics.h"
#include "util/clock.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (every thread): a figure that a loaded
 * machine inflates less than wall time. */
static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_analytics: %s\n", what);
	exit(1);
}

static void write_raw(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		die("cannot write the outputs");
}

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: bench_analytics LINES.csv OUT [--threads N]");
	if (argc == 5 && !strcmp(argv[3], "--threads"))
		kh_par_set_threads((int)strtol(argv[4], NULL, 10));
	const char *csv = argv[1], *out = argv[2];
	mkdir(out, 0777);
	FILE *f = fopen(csv, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st))
		die("cannot read the CSV");
	double t0 = now(), c0 = cpu();
	struct kh_an_data d;
	struct kh_an_csv_cols cols = {"customer_id", "date", "amount", "order_id", "product_id", NULL, ',', 0, 0};
	char msg[256];
	if (kh_an_load_csv(f, &cols, &d, NULL, NULL, (size_t)st.st_size, msg, sizeof msg))
		die(msg);
	fclose(f);
	double t_load = now() - t0, c_load = cpu() - c0;
	size_t n = d.n_cust;
	int32_t end = d.last_day;

	/* RFM + ABC + BG/NBD + Gamma-Gamma + CLV, as kehu analyze computes them. */
	double t1 = now(), c1 = cpu();
	struct kh_txns t = {d.n, d.cust, d.day, d.amount, d.order};
	struct kh_summary s;
	if (kh_summary_build(&s, &t, n, end, end, KH_DAYS_PER_WEEK))
		die("summary");
	double t_summary = now() - t1;
	double *rec = malloc(n * sizeof(double)), *fr = malloc(n * sizeof(double)), *mon = malloc(n * sizeof(double));
	uint8_t *r = malloc(n), *fq = malloc(n), *m = malloc(n), *seg = malloc(n), *cls = malloc(n);
	double *clv = malloc(n * sizeof(double)), *pa = malloc(n * sizeof(double)), curve[101];
	if (!rec || !fr || !mon || !r || !fq || !m || !seg || !cls || !clv || !pa)
		die("out of memory");
	double t2 = now();
	for (size_t c = 0; c < n; c++) {
		rec[c] = s.purchases[c] ? (double)(end - s.last_day[c]) : 0;
		fr[c] = s.orders[c];
		mon[c] = s.total[c];
	}
	struct kh_rfm_stat stats[KH_RFM_NSEG];
	if (kh_rfm_score(rec, fr, mon, n, r, fq, m, seg, stats))
		die("rfm");
	double t_rfm = now() - t2, t3 = now();
	struct kh_abc abc;
	if (kh_abc_classify(mon, n, 0.8, 0.95, cls, &abc, curve, 101))
		die("abc");
	double t_abc = now() - t3, t4 = now();
	struct kh_bgnbd bg;
	if (kh_bgnbd_fit(&bg, s.frequency, s.recency, s.T, n))
		die("bgnbd");
	double t_bg = now() - t4, t5 = now();
	struct kh_gamma_gamma gg;
	if (kh_gg_fit(&gg, s.frequency, s.monetary, n))
		die("gamma-gamma");
	double t_gg = now() - t5, t6 = now();
	struct kh_clv_opts co = {KH_DAYS_PER_WEEK, 12, 0.01, 1};
	if (kh_clv_compute(&bg, &gg, &co, s.frequency, s.recency, s.T, s.monetary, n, clv, pa, NULL, NULL))
		die("clv");
	double t_clv = now() - t6, t_core = now() - t1, c_core = cpu() - c1;

	/* k-means on the segmentation features of kehu analyze segments. */
	double *X = malloc(n * 4 * sizeof(double));
	uint32_t *as = malloc(n * sizeof(uint32_t));
	if (!X || !as)
		die("out of memory");
	for (size_t c = 0; c < n; c++) {
		X[c * 4] = rec[c];
		X[c * 4 + 1] = log1p(fr[c]);
		X[c * 4 + 2] = log1p(fmax(mon[c], 0));
		X[c * 4 + 3] = (double)(end - s.first_day[c]);
	}
	struct kh_kmeans km;
	struct kh_kmeans_opts ko = {.restarts = 10, .seed = 1};
	double t7 = now(), c7 = cpu();
	if (kh_kmeans_fit(&km, X, n, 4, 5, &ko, as))
		die("kmeans");
	double t_km = now() - t7, c_km = cpu() - c7;

	/* The churn model: features 90 days before the end, labels after. */
	double *F = malloc(n * KH_CHURN_NFEAT * sizeof(double));
	uint8_t *y = malloc(n), *in = malloc(n);
	if (!F || !y || !in)
		die("out of memory");
	if (kh_churn_features(&t, n, end - 90, 90, NULL, 0, F, y, in))
		die("churn features");
	size_t nl = 0;
	for (size_t c = 0; c < n; c++)
		if (in[c]) {
			memmove(F + nl * KH_CHURN_NFEAT, F + c * KH_CHURN_NFEAT, KH_CHURN_NFEAT * sizeof(double));
			y[nl++] = y[c];
		}
	/* The fit takes a few hundredths of a second, where one busy moment of
	 * a shared machine shows; it is timed three times and the fastest run
	 * kept, as reference.py does for scikit-learn. */
	struct kh_logreg lr;
	double t_lr = INFINITY, c_lr = INFINITY;
	for (int rep = 0; rep < 3; rep++) {
		double t8 = now(), c8 = cpu();
		if (kh_logreg_fit(&lr, F, y, nl, KH_CHURN_NFEAT, 1.0))
			die("logreg");
		t_lr = fmin(t_lr, now() - t8);
		c_lr = fmin(c_lr, cpu() - c8);
	}
	double *prob = malloc(nl * sizeof(double));
	kh_logreg_predict_all(&lr, F, nl, prob);
	double auc = kh_auc(prob, y, nl);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	/* The rows the BG/NBD likelihood runs over: customers with the same
	 * (x, t_x, T) are one row with a count (bench/scale reports how this
	 * grows with the customers). Outside the timed work and the peak. */
	struct kh_rf rf;
	size_t rf_rows = 0;
	if (kh_rf_build(&rf, s.frequency, s.recency, s.T, n) == KH_OK) {
		rf_rows = rf.n;
		kh_rf_release(&rf);
	}

	/* Outputs, outside the timed work. */
	char path[4096];
	snprintf(path, sizeof path, "%s/customers.csv", out);
	FILE *o = fopen(path, "w");
	if (!o)
		die("cannot write customers.csv");
	fprintf(o, "customer_id,recency,frequency,monetary,r,f,m,segment,abc,x,t_x,T,p_alive,clv\n");
	static const char cl[] = "ABC";
	for (size_t c = 0; c < n; c++) {
		struct kh_buf b = KH_BUF_INIT;
		struct kh_jw w;
		kh_jw_init(&w, &b);
		kh_an_write_customer(&d, c, &w);
		fprintf(o, "%s,%.0f,%.0f,%.2f,%d,%d,%d,%s,%c,%u,%.6f,%.6f,%.10g,%.10g\n", b.data, rec[c], fr[c], mon[c], r[c],
			fq[c], m[c], kh_rfm_segment_name(seg[c]), cl[cls[c]], s.frequency[c], s.recency[c], s.T[c], pa[c], clv[c]);
		kh_buf_release(&b);
	}
	fclose(o);
	write_raw(out, "kmeans.f64", X, n * 4 * sizeof(double));
	write_raw(out, "logreg.f64", F, nl * KH_CHURN_NFEAT * sizeof(double));
	write_raw(out, "logreg.y", y, nl);
	snprintf(path, sizeof path, "%s/params.json", out);
	o = fopen(path, "w");
	if (!o)
		die("cannot write params.json");
	char day[11];
	kh_date_format(end, day);
	fprintf(o,
		"{\"customers\": %zu, \"lines\": %zu, \"calibration_end\": \"%s\", \"threads\": %d,\n"
		" \"bgnbd\": {\"r\": %.10g, \"alpha\": %.10g, \"a\": %.10g, \"b\": %.10g, \"loglik\": %.10g, "
		"\"iterations\": %d, \"distinct_rows\": %zu},\n"
		" \"gamma_gamma\": {\"p\": %.10g, \"q\": %.10g, \"gamma\": %.10g, \"loglik\": %.10g, \"iterations\": %d},\n"
		" \"abc\": {\"top20_share\": %.10g, \"customers_for_80\": %.10g},\n"
		" \"kmeans\": {\"k\": 5, \"restarts\": 10, \"inertia\": %.10g, \"iterations\": %d, "
		"\"sizes\": [%zu, %zu, %zu, %zu, %zu]},\n"
		" \"logreg\": {\"rows\": %zu, \"lambda\": 1, \"beta\": [%.10g, %.10g, %.10g, %.10g, %.10g, %.10g], "
		"\"auc\": %.10g, \"iterations\": %d},\n"
		" \"seconds\": {\"load_csv\": %.6f, \"summary\": %.6f, \"rfm\": %.6f, \"abc\": %.6f, \"bgnbd\": %.6f, "
		"\"gamma_gamma\": %.6f, \"clv\": %.6f, \"rfm_abc_bgnbd_gg_clv\": %.6f, \"kmeans\": %.6f, \"logreg\": %.6f},\n"
		" \"cpu_seconds\": {\"load_csv\": %.6f, \"rfm_abc_bgnbd_gg_clv\": %.6f, \"kmeans\": %.6f, \"logreg\": %.6f},\n"
		" \"peak_rss_mb\": %.0f}\n",
		n, d.n, day, kh_par_threads(), bg.r, bg.alpha, bg.a, bg.b, bg.info.loglik, bg.info.iterations, rf_rows,
		gg.p, gg.q, gg.gamma, gg.info.loglik, gg.info.iterations, abc.top20_share, abc.customers_for_80,
		km.inertia, km.iterations, km.size[0], km.size[1], km.size[2], km.size[3], km.size[4],
		nl, lr.beta[0], lr.beta[1], lr.beta[2], lr.beta[3], lr.beta[4], lr.beta[5], auc,
		lr.iterations, t_load, t_summary, t_rfm, t_abc, t_bg, t_gg, t_clv, t_core, t_km, t_lr, c_load, c_core,
		c_km, c_lr, (double)ru.ru_maxrss / 1024);
	fclose(o);
	printf("loaded %zu lines of %zu customers in %.2f s; RFM+ABC+BG/NBD+GG+CLV %.2f s; k-means %.2f s; "
	       "logistic regression %.2f s; peak RSS %.0f MB\n",
	       d.n, n, t_load, t_core, t_km, t_lr, (double)ru.ru_maxrss / 1024);
	kh_kmeans_release(&km);
	kh_summary_release(&s);
	kh_an_data_release(&d);
	free(rec), free(fr), free(mon), free(r), free(fq), free(m), free(seg), free(cls), free(clv), free(pa);
	free(X), free(as), free(F), free(y), free(in), free(prob);
	return 0;
}
