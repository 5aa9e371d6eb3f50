/* The analyses over a dataset: each runs the kernels and writes its JSON
 * (analytics.h). The CLI and the API call the same functions, so a number on
 * the screen and in `kehu analyze --json` is the same number. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/abc.h"
#include "analytics/baskets.h"
#include "analytics/churn.h"
#include "analytics/clv.h"
#include "analytics/cohort.h"
#include "analytics/kmeans.h"
#include "analytics/lifecycle.h"
#include "analytics/profit.h"
#include "analytics/rfm.h"
#include "analytics/sort.h"
#include "analytics/summary.h"
#include "analytics/survival.h"
#include "domain/analytics.h"
#include "util/clock.h"

/* ---- small writers ---- */

/* A number with twelve significant digits (cents of ten billion yuan, and
 * several times faster than the shortest round-trip form for a million
 * customers); null when not finite. */
static void jnum(struct kh_jw *w, double v)
{
	if (!isfinite(v)) {
		kh_jw_null(w);
		return;
	}
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%.12g", v == 0 ? 0.0 : v);
	kh_jw_raw(w, tmp, (size_t)n);
}

static void jkey_num(struct kh_jw *w, const char *k, double v)
{
	kh_jw_key(w, k);
	jnum(w, v);
}

static void jkey_int(struct kh_jw *w, const char *k, int64_t v)
{
	kh_jw_key(w, k);
	kh_jw_int(w, v);
}

static void jkey_date(struct kh_jw *w, const char *k, int32_t day)
{
	char s[11];
	kh_jw_key(w, k);
	if (day == INT32_MIN || day == INT32_MAX) {
		kh_jw_null(w);
		return;
	}
	kh_date_format(day, s);
	kh_jw_str(w, s);
}

static void jkey_customer(const struct kh_an_data *d, size_t c, struct kh_jw *w)
{
	kh_jw_key(w, "customer_id");
	kh_an_write_customer(d, c, w);
}

static void write_product(const struct kh_an_data *d, uint32_t k, struct kh_jw *w)
{
	kh_jw_obj(w);
	kh_jw_key(w, "id");
	if (d->product_id)
		kh_jw_int(w, d->product_id[k]);
	else
		kh_jw_str(w, kh_an_product_label(d, k));
	kh_jw_key(w, "name");
	kh_jw_str(w, kh_an_product_label(d, k));
	kh_jw_obj_end(w);
}

static struct kh_txns txns_of(const struct kh_an_data *d)
{
	return (struct kh_txns){d->n, d->cust, d->day, d->amount, d->has_order ? d->order : NULL};
}

/* Customers in the order of key (descending unless asc), the ones with
 * keep[c] = 0 left out; *n receives how many. NULL when out of memory. A
 * NaN key sorts last. */
static uint32_t *ranked(const double *key, const uint8_t *keep, size_t n_cust, int asc, size_t *n)
{
	double *k = calloc(n_cust ? n_cust : 1, sizeof(double));
	uint32_t *idx = malloc((n_cust ? n_cust : 1) * sizeof(uint32_t));
	if (!k || !idx) {
		free(k);
		free(idx);
		return NULL;
	}
	for (size_t c = 0; c < n_cust; c++)
		k[c] = isnan(key[c]) ? (asc ? INFINITY : -INFINITY) : key[c];
	if (kh_sort_index(k, n_cust, !asc, idx)) {
		free(k);
		free(idx);
		return NULL;
	}
	free(k);
	size_t m = 0;
	for (size_t i = 0; i < n_cust; i++)
		if (!keep || keep[idx[i]])
			idx[m++] = idx[i];
	*n = m;
	return idx;
}

static uint8_t *alloc_u8(size_t n)
{
	return calloc(n ? n : 1, 1);
}

static double *alloc_nan(size_t n)
{
	double *v = malloc((n ? n : 1) * sizeof(double));
	for (size_t i = 0; v && i < n; i++)
		v[i] = NAN;
	return v;
}

/* ---- RFM ---- */

enum kh_err kh_an_rfm(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
		      struct kh_an_scores *sc, struct kh_errinfo *ei)
{
	int32_t as_of = kh_an_as_of(d, o);
	struct kh_txns t = txns_of(d);
	struct kh_summary s;
	size_t n = d->n_cust;
	enum kh_err err = kh_summary_build(&s, &t, n, as_of, as_of, 1);
	if (err)
		return kh_errinfo_set(ei, err, "cannot summarise the transactions");
	double *rec = malloc((n ? n : 1) * sizeof(double)), *fr = malloc((n ? n : 1) * sizeof(double)),
	       *mon = malloc((n ? n : 1) * sizeof(double));
	uint8_t *r = alloc_u8(n), *f = alloc_u8(n), *m = alloc_u8(n), *seg = alloc_u8(n);
	struct kh_rfm_stat st[KH_RFM_NSEG];
	if (!rec || !fr || !mon || !r || !f || !m || !seg) {
		err = KH_ENOMEM;
		goto out;
	}
	for (size_t c = 0; c < n; c++) {
		rec[c] = s.purchases[c] ? (double)(as_of - s.last_day[c]) : 0;
		fr[c] = s.orders[c];
		mon[c] = s.total[c];
	}
	if ((err = kh_rfm_score(rec, fr, mon, n, r, f, m, seg, st)))
		goto out;
	struct kh_jw *w = out->w;
	size_t grid[5][5] = {{0}};
	double grid_rev[5][5] = {{0}};
	for (size_t c = 0; c < n; c++)
		if (seg[c]) {
			int fm = (f[c] + m[c] + 1) / 2;
			grid[r[c] - 1][fm - 1]++;
			grid_rev[r[c] - 1][fm - 1] += mon[c];
		}
	kh_jw_obj(w);
	jkey_date(w, "as_of", as_of);
	kh_jw_key(w, "segments");
	kh_jw_arr(w);
	for (int k = 1; k < KH_RFM_NSEG; k++) {
		kh_jw_obj(w);
		kh_jw_key(w, "name");
		kh_jw_str(w, kh_rfm_segment_name(k));
		jkey_int(w, "customers", (int64_t)st[k].customers);
		jkey_num(w, "revenue", st[k].revenue);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	/* The R x FM grid of the segment map (rows R = 1..5, columns FM = 1..5). */
	kh_jw_key(w, "grid");
	kh_jw_arr(w);
	for (int i = 0; i < 5; i++) {
		kh_jw_arr(w);
		for (int j = 0; j < 5; j++) {
			kh_jw_obj(w);
			jkey_int(w, "customers", (int64_t)grid[i][j]);
			jkey_num(w, "revenue", grid_rev[i][j]);
			kh_jw_obj_end(w);
		}
		kh_jw_arr_end(w);
	}
	kh_jw_arr_end(w);
	size_t scored = 0;
	for (int k = 1; k < KH_RFM_NSEG; k++)
		scored += st[k].customers;
	jkey_int(w, "scored", (int64_t)scored);
	/* The list: by monetary value when sorted, else in data order. */
	uint8_t *keep = seg;
	if (o->segment > 0) {
		keep = alloc_u8(n);
		if (!keep) {
			err = KH_ENOMEM;
			goto out;
		}
		for (size_t c = 0; c < n; c++)
			keep[c] = seg[c] == o->segment;
	}
	size_t nl = 0;
	uint32_t *idx = NULL;
	if (o->sort) {
		idx = ranked(mon, keep, n, 0, &nl);
		if (!idx) {
			if (keep != seg)
				free(keep);
			err = KH_ENOMEM;
			goto out;
		}
	}
	kh_jw_key(w, "customers");
	kh_jw_arr(w);
	size_t shown = 0;
	for (size_t i = 0; i < (idx ? nl : n) && shown < o->limit; i++) {
		size_t c = idx ? idx[i] : i;
		if (!idx && !keep[c])
			continue;
		kh_jw_obj(w);
		jkey_customer(d, c, w);
		jkey_num(w, "recency", rec[c]);
		jkey_num(w, "frequency", fr[c]);
		jkey_num(w, "monetary", mon[c]);
		jkey_int(w, "r", r[c]);
		jkey_int(w, "f", f[c]);
		jkey_int(w, "m", m[c]);
		kh_jw_key(w, "segment");
		kh_jw_str(w, kh_rfm_segment_name(seg[c]));
		kh_jw_obj_end(w);
		kh_an_flush(out, 0);
		shown++;
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	free(idx);
	if (keep != seg)
		free(keep);
	if (sc) {
		sc->as_of = as_of;
		sc->r = r, sc->f = f, sc->m = m, sc->rfm_segment = seg;
		sc->recency = rec, sc->frequency = fr, sc->monetary = mon;
		r = f = m = seg = NULL;
		rec = fr = mon = NULL;
		for (size_t c = 0; c < n; c++)
			if (!sc->rfm_segment[c])
				sc->recency[c] = sc->frequency[c] = sc->monetary[c] = NAN;
	}
out:
	kh_summary_release(&s);
	free(rec);
	free(fr);
	free(mon);
	free(r);
	free(f);
	free(m);
	free(seg);
	if (err == KH_EINVAL)
		return kh_errinfo_set(ei, err, "RFM needs amounts that are numbers");
	return err ? kh_errinfo_set(ei, err, "RFM failed") : KH_OK;
}

/* ---- ABC ---- */

/* Revenue and, for profit, the profit of every customer up to as_of. */
static enum kh_err customer_values(const struct kh_an_data *d, const struct kh_an_opts *o, int32_t as_of,
				   struct kh_profit *p)
{
	struct kh_txns t = txns_of(d);
	double *service = NULL;
	if (d->n_cases) {
		service = calloc(d->n_cust, sizeof(double));
		if (!service)
			return KH_ENOMEM;
		for (size_t i = 0; i < d->n_cases; i++)
			if (d->case_day[i] <= as_of && d->case_cust[i] < d->n_cust)
				service[d->case_cust[i]] += o->case_cost;
	}
	struct kh_profit_in in = {&t, d->has_cogs ? d->cogs : NULL, d->has_product ? d->product : NULL,
				  d->n_products, d->product_cat, d->n_categories, service, as_of};
	if (!d->product_cat)
		in.category = NULL;
	enum kh_err err = kh_profit_compute(&in, d->n_cust, p);
	free(service);
	return err;
}

enum kh_err kh_an_abc(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
		      struct kh_an_scores *sc, struct kh_errinfo *ei)
{
	int32_t as_of = kh_an_as_of(d, o);
	if (o->abc_profit && !d->has_cogs)
		return kh_errinfo_set(ei, KH_EINVAL, "classifying by profit needs the cost of goods (--cost-col)");
	struct kh_profit p;
	enum kh_err err = customer_values(d, o, as_of, &p);
	if (err)
		return kh_errinfo_set(ei, err, "cannot compute customer values");
	size_t n = d->n_cust;
	const double *value = o->abc_profit ? p.profit : p.revenue;
	/* Customers who bought; their values in a compact array. */
	double *v = malloc((n ? n : 1) * sizeof(double));
	uint32_t *who = malloc((n ? n : 1) * sizeof(uint32_t));
	uint8_t *cls = alloc_u8(n), *all = alloc_u8(n);
	double curve[101];
	struct kh_abc sum;
	size_t m = 0;
	if (!v || !who || !cls || !all) {
		err = KH_ENOMEM;
		goto out;
	}
	for (size_t c = 0; c < n; c++)
		if (p.tenure_days[c] >= 0) {
			who[m] = (uint32_t)c;
			v[m++] = value[c];
		}
	if (m == 0) {
		err = kh_errinfo_set(ei, KH_EINVAL, "no customer has bought anything by %s", "the as-of date");
		goto out;
	}
	if ((err = kh_abc_classify(v, m, 0.8, 0.95, cls, &sum, curve, 101)))
		goto out;
	for (size_t i = 0; i < m; i++)
		all[who[i]] = (uint8_t)(cls[i] + 1);
	struct kh_jw *w = out->w;
	static const char *const names[3] = {"A", "B", "C"};
	kh_jw_obj(w);
	jkey_date(w, "as_of", as_of);
	kh_jw_key(w, "by");
	kh_jw_str(w, o->abc_profit ? "profit" : "revenue");
	jkey_num(w, "total", sum.total);
	jkey_num(w, "top20_share", sum.top20_share);
	jkey_num(w, "customers_for_80", sum.customers_for_80);
	kh_jw_key(w, "classes");
	kh_jw_arr(w);
	for (int k = 0; k < 3; k++) {
		kh_jw_obj(w);
		kh_jw_key(w, "class");
		kh_jw_str(w, names[k]);
		jkey_int(w, "customers", (int64_t)sum.count[k]);
		jkey_num(w, "value", sum.value[k]);
		jkey_num(w, "share", sum.total > 0 ? sum.value[k] / sum.total : NAN);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	/* The Pareto curve: share of the value held by the top x% of customers. */
	kh_jw_key(w, "curve");
	kh_jw_arr(w);
	for (int k = 0; k <= 100; k++)
		jnum(w, curve[k]);
	kh_jw_arr_end(w);
	size_t nl = 0;
	uint32_t *idx = NULL;
	uint8_t *keep = alloc_u8(n);
	if (keep)
		for (size_t c = 0; c < n; c++)
			keep[c] = all[c] != 0;
	if (o->sort && keep)
		idx = ranked(value, keep, n, 0, &nl);
	kh_jw_key(w, "customers");
	kh_jw_arr(w);
	size_t shown = 0;
	for (size_t i = 0; keep && i < (idx ? nl : n) && shown < o->limit; i++) {
		size_t c = idx ? idx[i] : i;
		if (!keep[c])
			continue;
		kh_jw_obj(w);
		jkey_customer(d, c, w);
		jkey_num(w, "value", value[c]);
		kh_jw_key(w, "class");
		kh_jw_str(w, names[all[c] - 1]);
		kh_jw_obj_end(w);
		kh_an_flush(out, 0);
		shown++;
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	free(idx);
	if (!keep)
		err = KH_ENOMEM;
	free(keep);
	if (sc && !err) {
		sc->abc = all;
		all = NULL;
	}
out:
	kh_profit_release(&p);
	free(v);
	free(who);
	free(cls);
	free(all);
	return err && !ei->code ? kh_errinfo_set(ei, err, "ABC classification failed") : err;
}

/* ---- CLV ---- */

static void write_fit_info(struct kh_jw *w, const struct kh_fit_info *fi)
{
	jkey_num(w, "loglik", fi->loglik);
	jkey_int(w, "customers", (int64_t)fi->n);
	jkey_int(w, "iterations", fi->iterations);
	kh_jw_key(w, "converged");
	kh_jw_bool(w, fi->converged);
}

static void write_params(struct kh_jw *w, const char *const *names, const double *v, const double *se, int np)
{
	for (int i = 0; i < np; i++)
		jkey_num(w, names[i], v[i]);
	kh_jw_key(w, "se");
	kh_jw_obj(w);
	for (int i = 0; i < np; i++)
		jkey_num(w, names[i], se[i]);
	kh_jw_obj_end(w);
}

/* Pareto/NBD's likelihood needs a hypergeometric series per distinct
 * (x, t) pair and many evaluations; above PNBD_SAMPLE_ABOVE customers it is
 * fitted on a systematic sample of about PNBD_SAMPLE of them (every k-th in
 * data order), whose estimates differ from the full fit by sampling error
 * (the standard errors say how much). BG/NBD, which the CLV uses, is always
 * fitted on everyone. */
#define PNBD_SAMPLE_ABOVE 200000
#define PNBD_SAMPLE 100000

static enum kh_err pnbd_fit(struct kh_pnbd *pn, const struct kh_summary *s, size_t n)
{
	if (n <= PNBD_SAMPLE_ABOVE)
		return kh_pnbd_fit(pn, s->frequency, s->recency, s->T, n);
	size_t k = n / PNBD_SAMPLE, m = 0;
	uint32_t *x = malloc((n / k + 1) * sizeof(uint32_t));
	double *t = malloc((n / k + 1) * sizeof(double)), *T = malloc((n / k + 1) * sizeof(double));
	enum kh_err err = KH_ENOMEM;
	if (x && t && T) {
		for (size_t i = 0; i < n; i += k, m++) {
			x[m] = s->frequency[i];
			t[m] = s->recency[i];
			T[m] = s->T[i];
		}
		err = kh_pnbd_fit(pn, x, t, T, m);
	}
	free(x);
	free(t);
	free(T);
	return err;
}

enum kh_err kh_an_clv(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
		      struct kh_an_scores *sc, struct kh_errinfo *ei)
{
	int32_t as_of = kh_an_as_of(d, o);
	int32_t cal = o->calibration_end != INT32_MIN ? o->calibration_end : as_of;
	if (cal > as_of)
		cal = as_of;
	if (!(o->unit > 0) || o->months < 1 || o->months > 1200)
		return kh_errinfo_set(ei, KH_EINVAL, "the unit must be positive and the horizon 1 to 1200 months");
	struct kh_txns t = txns_of(d);
	struct kh_summary s;
	size_t n = d->n_cust;
	enum kh_err err = kh_summary_build(&s, &t, n, cal, as_of, o->unit);
	if (err)
		return kh_errinfo_set(ei, err, "cannot summarise the transactions");
	struct kh_bgnbd bg;
	struct kh_pnbd pn;
	struct kh_gamma_gamma gg;
	double *clv = alloc_nan(n), *pa = alloc_nan(n), *ex = alloc_nan(n), *sp = alloc_nan(n);
	int have_pn = 0;
	if (!clv || !pa || !ex || !sp) {
		err = KH_ENOMEM;
		goto out;
	}
	if ((err = kh_bgnbd_fit(&bg, s.frequency, s.recency, s.T, n))) {
		kh_errinfo_set(ei, err, "BG/NBD cannot be fitted: it needs customers with purchases before %s",
			       "the calibration end");
		goto out;
	}
	if ((err = kh_gg_fit(&gg, s.frequency, s.monetary, n))) {
		kh_errinfo_set(ei, err, "Gamma-Gamma cannot be fitted: it needs repeat buyers with positive spend");
		goto out;
	}
	/* Pareto/NBD is the second opinion: a failure to fit it is reported as
	 * null, not as a failure of the analysis. */
	have_pn = !o->no_pnbd && pnbd_fit(&pn, &s, n) == KH_OK;
	struct kh_clv_opts co = {o->unit, o->months, o->discount, o->margin};
	if (o->model_pnbd && !have_pn) {
		err = kh_errinfo_set(ei, KH_EINVAL, "Pareto/NBD could not be fitted to these data");
		goto out;
	}
	err = o->model_pnbd ? kh_clv_compute_pnbd(&pn, &gg, &co, s.frequency, s.recency, s.T, s.monetary, n, clv, pa,
						  ex, sp)
			    : kh_clv_compute(&bg, &gg, &co, s.frequency, s.recency, s.T, s.monetary, n, clv, pa, ex,
					     sp);
	if (err) {
		kh_errinfo_set(ei, err, "the CLV options are not valid");
		goto out;
	}
	/* With q <= 1 Gamma-Gamma's mean spend is infinite (a few huge orders
	 * dominate): each customer's own mean spend stands in, so that CLV stays
	 * a number, and the answer says so. */
	int observed_spend = !(gg.q > 1) && !o->model_pnbd;
	if (observed_spend) {
		double month = KH_DAYS_PER_MONTH / o->unit, hk[1200], ek[1200];
		for (int k = 0; k < o->months; k++)
			hk[k] = (k + 1) * month;
		for (size_t c = 0; c < n; c++) {
			if (s.T[c] < 0)
				continue;
			kh_bgnbd_expected_many(&bg, hk, o->months, s.frequency[c], s.recency[c], s.T[c], ek);
			double prev = 0, disc = 1, sum = 0;
			for (int k = 0; k < o->months; k++) {
				disc /= 1 + o->discount;
				sum += (ek[k] - prev) * disc;
				prev = ek[k];
			}
			sp[c] = s.avg_value[c];
			clv[c] = o->margin * sp[c] * sum;
		}
	}
	struct kh_jw *w = out->w;
	kh_jw_obj(w);
	static const char *const bgn[] = {"r", "alpha", "a", "b"}, *const pnn[] = {"r", "alpha", "s", "beta"},
				 *const ggn[] = {"p", "q", "gamma"};
	kh_jw_key(w, "bgnbd");
	kh_jw_obj(w);
	write_params(w, bgn, (double[]){bg.r, bg.alpha, bg.a, bg.b}, bg.se, 4);
	write_fit_info(w, &bg.info);
	kh_jw_obj_end(w);
	kh_jw_key(w, "pareto_nbd");
	if (have_pn) {
		kh_jw_obj(w);
		write_params(w, pnn, (double[]){pn.r, pn.alpha, pn.s, pn.beta}, pn.se, 4);
		write_fit_info(w, &pn.info);
		kh_jw_obj_end(w);
	} else {
		kh_jw_null(w);
	}
	kh_jw_key(w, "gamma_gamma");
	kh_jw_obj(w);
	write_params(w, ggn, (double[]){gg.p, gg.q, gg.gamma}, gg.se, 3);
	write_fit_info(w, &gg.info);
	kh_jw_obj_end(w);
	kh_jw_key(w, "model");
	kh_jw_str(w, o->model_pnbd ? "pareto_nbd" : "bgnbd");
	kh_jw_key(w, "spend");
	kh_jw_str(w, observed_spend ? "observed_mean" : "gamma_gamma");
	kh_jw_key(w, "unit");
	kh_jw_str(w, o->unit == 1 ? "day" : o->unit == 7 ? "week" : o->unit == KH_DAYS_PER_MONTH ? "month" : "days");
	jkey_num(w, "unit_days", o->unit);
	jkey_date(w, "calibration_end", cal);
	jkey_date(w, "as_of", as_of);
	jkey_int(w, "horizon_months", o->months);
	jkey_num(w, "monthly_discount", o->discount);
	jkey_num(w, "margin", o->margin);
	/* Totals, and with a holdout period the models' forecast of it against
	 * what happened (the validation of FHL 2005, figure 2). */
	double total = 0, alive = 0, buyers = 0;
	for (size_t c = 0; c < n; c++)
		if (s.T[c] >= 0) {
			total += clv[c];
			alive += pa[c];
			buyers++;
		}
	jkey_num(w, "total_clv", total);
	jkey_num(w, "expected_alive", alive);
	jkey_int(w, "customers_fitted", (int64_t)buyers);
	if (as_of > cal) {
		double actual = 0, pred_bg = 0, pred_pn = 0, h = (as_of - cal) / o->unit;
		for (size_t c = 0; c < n; c++)
			if (s.T[c] >= 0) {
				actual += s.holdout_purchases[c];
				pred_bg += kh_bgnbd_expected(&bg, h, s.frequency[c], s.recency[c], s.T[c]);
				if (have_pn)
					pred_pn += kh_pnbd_expected(&pn, h, s.frequency[c], s.recency[c], s.T[c]);
			}
		kh_jw_key(w, "holdout");
		kh_jw_obj(w);
		jkey_num(w, "length", h);
		jkey_num(w, "actual_purchases", actual);
		jkey_num(w, "bgnbd_purchases", pred_bg);
		jkey_num(w, "pareto_nbd_purchases", have_pn ? pred_pn : NAN);
		kh_jw_obj_end(w);
	}
	/* The distribution of CLV for a histogram: 20 bins up to the 99th
	 * percentile, the rest in the last. */
	{
		uint8_t *keep = alloc_u8(n);
		size_t nk = 0;
		uint32_t *idx = NULL;
		if (keep) {
			for (size_t c = 0; c < n; c++)
				keep[c] = s.T[c] >= 0 && isfinite(clv[c]);
			idx = ranked(clv, keep, n, 1, &nk);
		}
		kh_jw_key(w, "distribution");
		kh_jw_obj(w);
		if (idx && nk) {
			double hi = clv[idx[(size_t)(0.99 * (double)(nk - 1))]], lo = 0;
			if (!(hi > lo))
				hi = lo + 1;
			size_t bins[20] = {0};
			for (size_t i = 0; i < nk; i++) {
				int b = (int)((clv[idx[i]] - lo) / (hi - lo) * 20);
				bins[b < 0 ? 0 : b > 19 ? 19 : b]++;
			}
			jkey_num(w, "bin_width", (hi - lo) / 20);
			jkey_num(w, "median", clv[idx[nk / 2]]);
			jkey_num(w, "p90", clv[idx[(size_t)(0.9 * (double)(nk - 1))]]);
			kh_jw_key(w, "counts");
			kh_jw_arr(w);
			for (int b = 0; b < 20; b++)
				kh_jw_int(w, (int64_t)bins[b]);
			kh_jw_arr_end(w);
		}
		kh_jw_obj_end(w);
		size_t nl = 0;
		uint32_t *order = o->sort && keep ? ranked(clv, keep, n, 0, &nl) : NULL;
		kh_jw_key(w, "customers");
		kh_jw_arr(w);
		size_t shown = 0;
		for (size_t i = 0; i < (order ? nl : n) && shown < o->limit; i++) {
			size_t c = order ? order[i] : i;
			if (s.T[c] < 0)
				continue;
			kh_jw_obj(w);
			jkey_customer(d, c, w);
			jkey_int(w, "frequency", s.frequency[c]);
			jkey_num(w, "recency", s.recency[c]);
			jkey_num(w, "T", s.T[c]);
			jkey_num(w, "p_alive", pa[c]);
			jkey_num(w, "expected_purchases", ex[c]);
			jkey_num(w, "expected_spend", sp[c]);
			jkey_num(w, "clv", clv[c]);
			kh_jw_obj_end(w);
			kh_an_flush(out, 0);
			shown++;
		}
		kh_jw_arr_end(w);
		free(order);
		free(idx);
		free(keep);
	}
	kh_jw_obj_end(w);
	if (sc) {
		sc->clv = clv, sc->p_alive = pa, sc->expected = ex;
		clv = pa = ex = NULL;
	}
out:
	kh_summary_release(&s);
	free(clv);
	free(pa);
	free(ex);
	free(sp);
	return err && !ei->code ? kh_errinfo_set(ei, err, "CLV failed") : err;
}

/* ---- churn ---- */

static const char *const churn_features[] = {"recency", "frequency", "tenure", "avg_value", "monetary_trend",
	"cases", "complaints"};

const char *kh_an_churn_feature(int j)
{
	return j >= 0 && j < 7 ? churn_features[j] : "";
}

/* Features of every customer at a cutoff (the behavioural ones and, with
 * cases in the data, cases and complaints up to the cutoff), labels for the
 * horizon after it, and who is in the population: bought by the cutoff and
 * not yet lapsed past the lifecycle's churn gap. */
static enum kh_err churn_rows(const struct kh_an_data *d, const struct kh_an_opts *o, int32_t cutoff, int p,
			      double *X, uint8_t *label, uint8_t *in)
{
	struct kh_txns t = txns_of(d);
	size_t n = d->n_cust;
	int extra = p - KH_CHURN_NFEAT;
	double *ex = NULL;
	if (extra) {
		ex = calloc(n * (size_t)extra, sizeof(double));
		if (!ex)
			return KH_ENOMEM;
		for (size_t i = 0; i < d->n_cases; i++) {
			uint32_t c = d->case_cust[i];
			if (d->case_day[i] > cutoff || c >= n)
				continue;
			ex[c * (size_t)extra] += 1;
			ex[c * (size_t)extra + 1] += d->case_complaint[i];
		}
	}
	enum kh_err err = kh_churn_features(&t, n, cutoff, o->churn_days, ex, extra, X, label, in);
	free(ex);
	if (err)
		return err;
	for (size_t c = 0; c < n; c++)
		if (in[c] && X[c * (size_t)p] > o->life.churn_days)
			in[c] = 0;
	return KH_OK;
}

/* Packs the population's rows together; returns how many. */
static size_t pack_rows(const double *X, const uint8_t *label, const uint8_t *in, size_t n, int p, double *Xo,
			uint8_t *yo)
{
	size_t m = 0;
	for (size_t c = 0; c < n; c++) {
		if (!in[c])
			continue;
		memcpy(Xo + m * (size_t)p, X + c * (size_t)p, (size_t)p * sizeof(double));
		yo[m++] = label[c];
	}
	return m;
}

enum kh_err kh_an_churn(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			struct kh_an_scores *sc, struct kh_errinfo *ei)
{
	int32_t as_of = kh_an_as_of(d, o);
	int h = o->churn_days;
	if (h < 7 || h > 3650)
		return kh_errinfo_set(ei, KH_EINVAL, "the churn horizon must be 7 to 3650 days");
	size_t n = d->n_cust;
	int p = KH_CHURN_NFEAT + (d->n_cases ? 2 : 0);
	size_t np = n * (size_t)p;
	double *X = malloc((np ? np : 1) * sizeof(double)), *Xt = malloc((np ? np : 1) * sizeof(double));
	double *Xe = malloc((np ? np : 1) * sizeof(double)), *prob = alloc_nan(n), *pe = malloc((n ? n : 1) * sizeof(double));
	uint8_t *lab = alloc_u8(n), *in = alloc_u8(n), *yt = alloc_u8(n), *ye = alloc_u8(n), *reason_ok = alloc_u8(n);
	uint8_t (*reasons)[2] = calloc(n ? n : 1, sizeof(*reasons));
	struct kh_calib_bin bins[10];
	struct kh_logreg ev, fin;
	double auc = NAN, auc_in = NAN;
	size_t m_ev = 0, m_te = 0, m_fin = 0;
	int have_eval = 0;
	enum kh_err err = KH_OK;
	if (!X || !Xt || !Xe || !prob || !pe || !lab || !in || !yt || !ye || !reasons || !reason_ok) {
		err = KH_ENOMEM;
		goto out;
	}
	/* Out-of-time check: fit on the window before last, test on the last. */
	if (!(err = churn_rows(d, o, as_of - 2 * h, p, X, lab, in)))
		m_ev = pack_rows(X, lab, in, n, p, Xe, ye);
	if (!err && !(err = churn_rows(d, o, as_of - h, p, X, lab, in)))
		m_te = pack_rows(X, lab, in, n, p, Xt, yt);
	if (err)
		goto out;
	if (m_ev >= 20 && m_te >= 20 && kh_logreg_fit(&ev, Xe, ye, m_ev, p, o->lambda) == KH_OK) {
		kh_logreg_predict_all(&ev, Xt, m_te, pe);
		auc = kh_auc(pe, yt, m_te);
		have_eval = kh_calibration(pe, yt, m_te, 10, bins) == KH_OK;
	}
	/* The model in use: fitted on the last complete window. */
	m_fin = m_te;
	if (m_fin < 20 || (err = kh_logreg_fit(&fin, Xt, yt, m_fin, p, o->lambda))) {
		err = kh_errinfo_set(ei, KH_EINVAL,
				     "not enough history for a churn model: it needs at least 20 customers active %d "
				     "days before the as-of date, some of whom bought again and some not",
				     h);
		goto out;
	}
	kh_logreg_predict_all(&fin, Xt, m_fin, pe);
	auc_in = kh_auc(pe, yt, m_fin);
	double rate = 0;
	for (size_t i = 0; i < m_fin; i++)
		rate += yt[i];
	rate /= (double)m_fin;
	/* Score everyone active at as_of. */
	if ((err = churn_rows(d, o, as_of, p, X, lab, in)))
		goto out;
	size_t scored = 0, high = 0, mid = 0;
	for (size_t c = 0; c < n; c++) {
		if (!in[c])
			continue;
		prob[c] = kh_logreg_predict(&fin, X + c * (size_t)p);
		double con[KH_LOGREG_MAXP];
		kh_logreg_contrib(&fin, X + c * (size_t)p, con);
		/* The two features that raise the risk most. */
		for (int r = 0; r < 2; r++) {
			int best = -1;
			for (int j = 0; j < p; j++)
				if (con[j] > 0.05 && (best < 0 || con[j] > con[best]) && (r == 0 || j + 1 != reasons[c][0]))
					best = j;
			reasons[c][r] = (uint8_t)(best + 1);
		}
		scored++;
		high += prob[c] >= 0.7;
		mid += prob[c] >= 0.4 && prob[c] < 0.7;
	}
	struct kh_jw *w = out->w;
	kh_jw_obj(w);
	jkey_date(w, "as_of", as_of);
	jkey_int(w, "horizon_days", h);
	jkey_date(w, "trained_at", as_of - h);
	jkey_int(w, "training_customers", (int64_t)m_fin);
	jkey_num(w, "training_churn_rate", rate);
	kh_jw_key(w, "model");
	kh_jw_obj(w);
	jkey_num(w, "lambda", fin.lambda);
	jkey_num(w, "intercept", fin.coef[0]);
	kh_jw_key(w, "coefficients");
	kh_jw_arr(w);
	for (int j = 0; j < p; j++) {
		kh_jw_obj(w);
		kh_jw_key(w, "feature");
		kh_jw_str(w, churn_features[j]);
		jkey_num(w, "coef", fin.coef[j + 1]);
		jkey_num(w, "standardized", fin.beta[j + 1]);
		jkey_num(w, "se", fin.se[j + 1]);
		jkey_num(w, "mean", fin.mean[j]);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	jkey_num(w, "auc", auc);
	jkey_num(w, "auc_in_sample", auc_in);
	jkey_int(w, "test_customers", (int64_t)(have_eval ? m_te : 0));
	kh_jw_key(w, "calibration");
	kh_jw_arr(w);
	for (int b = 0; have_eval && b < 10; b++) {
		kh_jw_obj(w);
		jkey_int(w, "count", (int64_t)bins[b].count);
		jkey_num(w, "lo", bins[b].lo);
		jkey_num(w, "hi", bins[b].hi);
		jkey_num(w, "predicted", bins[b].predicted);
		jkey_num(w, "observed", bins[b].observed);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	kh_jw_key(w, "risk");
	kh_jw_obj(w);
	jkey_int(w, "customers", (int64_t)scored);
	jkey_int(w, "high", (int64_t)high);
	jkey_int(w, "medium", (int64_t)mid);
	jkey_int(w, "low", (int64_t)(scored - high - mid));
	kh_jw_obj_end(w);
	size_t nl = 0;
	uint32_t *order = o->sort ? ranked(prob, in, n, 0, &nl) : NULL;
	kh_jw_key(w, "customers");
	kh_jw_arr(w);
	size_t shown = 0;
	for (size_t i = 0; i < (order ? nl : n) && shown < o->limit; i++) {
		size_t c = order ? order[i] : i;
		if (!in[c])
			continue;
		kh_jw_obj(w);
		jkey_customer(d, c, w);
		jkey_num(w, "churn_probability", prob[c]);
		jkey_num(w, "recency", X[c * (size_t)p]);
		kh_jw_key(w, "reasons");
		kh_jw_arr(w);
		for (int r = 0; r < 2; r++) {
			if (!reasons[c][r])
				continue;
			int j = reasons[c][r] - 1;
			double con[KH_LOGREG_MAXP];
			kh_logreg_contrib(&fin, X + c * (size_t)p, con);
			kh_jw_obj(w);
			kh_jw_key(w, "feature");
			kh_jw_str(w, churn_features[j]);
			kh_jw_key(w, "direction");
			kh_jw_str(w, X[c * (size_t)p + j] >= fin.mean[j] ? "high" : "low");
			jkey_num(w, "contribution", con[j]);
			kh_jw_obj_end(w);
		}
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
		kh_an_flush(out, 0);
		shown++;
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	free(order);
	if (sc) {
		sc->churn = prob;
		sc->reasons = reasons;
		prob = NULL;
		reasons = NULL;
	}
out:
	free(X);
	free(Xt);
	free(Xe);
	free(prob);
	free(pe);
	free(lab);
	free(in);
	free(yt);
	free(ye);
	free(reasons);
	free(reason_ok);
	return err && !ei->code ? kh_errinfo_set(ei, err, "the churn model failed") : err;
}

/* ---- segments ---- */

static const char *const seg_features[] = {"recency", "frequency", "monetary", "tenure"};

enum kh_err kh_an_segments(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			   struct kh_an_scores *sc, struct kh_errinfo *ei)
{
	int32_t as_of = kh_an_as_of(d, o);
	struct kh_txns t = txns_of(d);
	struct kh_summary s;
	size_t n = d->n_cust;
	enum kh_err err = kh_summary_build(&s, &t, n, as_of, as_of, 1);
	if (err)
		return kh_errinfo_set(ei, err, "cannot summarise the transactions");
	enum { P = 4 };
	size_t m = 0;
	double *X = malloc((n ? n : 1) * P * sizeof(double)), *raw = malloc((n ? n : 1) * P * sizeof(double));
	uint32_t *who = malloc((n ? n : 1) * sizeof(uint32_t)), *as = malloc((n ? n : 1) * sizeof(uint32_t));
	uint8_t *segs = alloc_u8(n);
	double sil[KH_KMEANS_MAXK] = {0};
	struct kh_kmeans km = {0};
	if (!X || !raw || !who || !as || !segs) {
		err = KH_ENOMEM;
		goto out;
	}
	for (size_t c = 0; c < n; c++) {
		if (!s.purchases[c])
			continue;
		double r[P] = {(double)(as_of - s.last_day[c]), s.orders[c], s.total[c], (double)(as_of - s.first_day[c])};
		memcpy(raw + m * P, r, sizeof r);
		/* Counts and money are skewed: cluster on their logarithms, so a
		 * few big spenders do not make a segment each. */
		double z[P] = {r[0], log1p(r[1]), log1p(fmax(r[2], 0)), r[3]};
		memcpy(X + m * P, z, sizeof z);
		who[m++] = (uint32_t)c;
	}
	int kmin = o->k ? o->k : o->kmin, kmax = o->k ? o->k : o->kmax;
	if (kmax > KH_KMEANS_MAXK)
		kmax = KH_KMEANS_MAXK;
	if ((size_t)kmax > m)
		kmax = (int)m;
	if (kmin < 1 || kmax < kmin || m < 2) {
		err = kh_errinfo_set(ei, KH_EINVAL, "segments need at least %d customers who bought", kmin < 2 ? 2 : kmin);
		goto out;
	}
	struct kh_kmeans_opts ko = {.restarts = 10, .seed = 1};
	if (kmin == kmax)
		err = kh_kmeans_fit(&km, X, m, P, kmin, &ko, as);
	else
		err = kh_kmeans_choose_k(&km, X, m, P, kmin < 2 ? 2 : kmin, kmax, &ko, as, sil);
	if (err) {
		kh_errinfo_set(ei, err, "k-means failed");
		goto out;
	}
	/* Profiles in original units (the centres are of the logarithms). */
	double mean[KH_KMEANS_MAXK][P] = {{0}}, all[P] = {0}, rev[KH_KMEANS_MAXK] = {0};
	size_t cnt[KH_KMEANS_MAXK] = {0};
	for (size_t i = 0; i < m; i++) {
		for (int j = 0; j < P; j++) {
			mean[as[i]][j] += raw[i * P + j];
			all[j] += raw[i * P + j];
		}
		rev[as[i]] += raw[i * P + 2];
		cnt[as[i]]++;
	}
	for (int j = 0; j < P; j++)
		all[j] /= (double)m;
	struct kh_jw *w = out->w;
	kh_jw_obj(w);
	jkey_date(w, "as_of", as_of);
	jkey_int(w, "k", km.k);
	jkey_num(w, "silhouette", km.silhouette);
	kh_jw_key(w, "silhouettes");
	kh_jw_arr(w);
	for (int k = kmin < 2 ? 2 : kmin; kmin != kmax && k <= kmax; k++) {
		kh_jw_obj(w);
		jkey_int(w, "k", k);
		jkey_num(w, "silhouette", sil[k - (kmin < 2 ? 2 : kmin)]);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "features");
	kh_jw_arr(w);
	for (int j = 0; j < P; j++)
		kh_jw_str(w, seg_features[j]);
	kh_jw_arr_end(w);
	kh_jw_key(w, "overall");
	kh_jw_obj(w);
	for (int j = 0; j < P; j++)
		jkey_num(w, seg_features[j], all[j]);
	kh_jw_obj_end(w);
	kh_jw_key(w, "segments");
	kh_jw_arr(w);
	for (int k = 0; k < km.k; k++) {
		double *mu = mean[k];
		for (int j = 0; j < P; j++)
			mu[j] = cnt[k] ? mu[j] / (double)cnt[k] : NAN;
		kh_jw_obj(w);
		jkey_int(w, "segment", k + 1);
		jkey_int(w, "customers", (int64_t)cnt[k]);
		jkey_num(w, "share", (double)cnt[k] / (double)m);
		jkey_num(w, "revenue", rev[k]);
		for (int j = 0; j < P; j++)
			jkey_num(w, seg_features[j], mu[j]);
		/* A readable profile: what sets the segment apart from the average. */
		kh_jw_key(w, "traits");
		kh_jw_arr(w);
		static const char *const lo[P] = {"recent", "infrequent", "low_value", "new"},
					 *const hi[P] = {"lapsed", "frequent", "high_value", "long_standing"};
		for (int j = 0; j < P; j++) {
			if (mu[j] > 1.25 * all[j])
				kh_jw_str(w, hi[j]);
			else if (mu[j] < 0.75 * all[j])
				kh_jw_str(w, lo[j]);
		}
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	for (size_t i = 0; i < m; i++)
		segs[who[i]] = (uint8_t)(as[i] + 1);
	kh_jw_key(w, "customers");
	kh_jw_arr(w);
	for (size_t i = 0; i < m && i < o->limit; i++) {
		kh_jw_obj(w);
		jkey_customer(d, who[i], w);
		jkey_int(w, "segment", as[i] + 1);
		kh_jw_obj_end(w);
		kh_an_flush(out, 0);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	if (sc) {
		sc->segment = segs;
		sc->k = km.k;
		segs = NULL;
	}
out:
	kh_kmeans_release(&km);
	kh_summary_release(&s);
	free(X);
	free(raw);
	free(who);
	free(as);
	free(segs);
	return err && !ei->code ? kh_errinfo_set(ei, err, "segmentation failed") : err;
}

/* ---- baskets ---- */

/* {"customer", "products_bought", "items": [{"product", "confidence", "lift",
 * "because": [products]}]}: the products customer c has not bought by as_of
 * that a rule over what they have bought recommends. */
static enum kh_err recommend(const struct kh_an_data *d, size_t c, int32_t as_of, const struct kh_itemsets *is,
			     const struct kh_rule *rules, size_t nr, size_t limit, struct kh_jw *w)
{
	uint8_t *owned = calloc(d->n_products ? d->n_products : 1, 1);
	size_t max = limit < 50 ? limit : 50, nrec = 0;
	struct kh_reco *rec = malloc((max ? max : 1) * sizeof *rec);
	if (!owned || !rec) {
		free(owned);
		free(rec);
		return KH_ENOMEM;
	}
	size_t bought = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->cust[i] == c && d->day[i] <= as_of && d->product[i] < d->n_products && !owned[d->product[i]]) {
			owned[d->product[i]] = 1;
			bought++;
		}
	enum kh_err err = kh_recommend(is, rules, nr, owned, d->n_products, rec, max, &nrec);
	if (!err) {
		kh_jw_obj(w);
		kh_jw_key(w, "customer");
		kh_an_write_customer(d, c, w);
		jkey_int(w, "products_bought", (int64_t)bought);
		kh_jw_key(w, "items");
		kh_jw_arr(w);
		for (size_t k = 0; k < nrec; k++) {
			const struct kh_rule *ru = &rules[rec[k].rule];
			kh_jw_obj(w);
			kh_jw_key(w, "product");
			write_product(d, rec[k].item, w);
			jkey_num(w, "confidence", rec[k].confidence);
			jkey_num(w, "lift", rec[k].lift);
			kh_jw_key(w, "because");
			kh_jw_arr(w);
			for (size_t i = is->start[ru->antecedent]; i < is->start[ru->antecedent + 1]; i++)
				write_product(d, is->items[i], w);
			kh_jw_arr_end(w);
			kh_jw_obj_end(w);
		}
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
	}
	free(owned);
	free(rec);
	return err;
}

enum kh_err kh_an_baskets(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			  struct kh_errinfo *ei)
{
	if (!d->has_product)
		return kh_errinfo_set(ei, KH_EINVAL, "baskets need a product for each line (--product-col)");
	if (!(o->min_support > 0 && o->min_support <= 1) || !(o->min_confidence >= 0 && o->min_confidence <= 1) ||
	    o->max_len < 2 || o->max_len > 10)
		return kh_errinfo_set(ei, KH_EINVAL, "min_support is in (0, 1], min_confidence in [0, 1], max_len 2 to 10");
	int32_t as_of = kh_an_as_of(d, o);
	/* A basket is an order (or, without order ids, a customer's day). */
	size_t n = d->n;
	double *key = malloc((n ? n : 1) * sizeof(double));
	uint32_t *idx = malloc((n ? n : 1) * sizeof(uint32_t)), *item = malloc((n ? n : 1) * sizeof(uint32_t));
	size_t *start = malloc((n + 1) * sizeof(size_t));
	struct kh_itemsets is = {0};
	struct kh_rule *rules = NULL;
	size_t nr = 0, nb = 0, ni = 0;
	enum kh_err err = KH_OK;
	if (!key || !idx || !item || !start) {
		err = KH_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		key[i] = d->has_order ? (double)d->order[i] : (double)d->cust[i] * 1e6 + d->day[i];
	if ((err = kh_sort_index(key, n, 0, idx)))
		goto out;
	double prev = 0;
	for (size_t k = 0; k < n; k++) {
		uint32_t i = idx[k];
		if (d->day[i] > as_of)
			continue;
		if (!nb || key[i] != prev)
			start[nb++] = ni;
		prev = key[i];
		item[ni++] = d->product[i];
	}
	start[nb] = ni;
	if (nb == 0) {
		err = kh_errinfo_set(ei, KH_EINVAL, "there are no baskets up to the as-of date");
		goto out;
	}
	if ((err = kh_fpgrowth(start, item, nb, d->n_products, o->min_support, o->max_len, &is)) ||
	    (err = kh_assoc_rules(&is, o->min_confidence, &rules, &nr))) {
		kh_errinfo_set(ei, err, "FP-growth failed");
		goto out;
	}
	struct kh_jw *w = out->w;
	kh_jw_obj(w);
	jkey_date(w, "as_of", as_of);
	jkey_int(w, "baskets", (int64_t)nb);
	jkey_int(w, "products", d->n_products);
	jkey_num(w, "min_support", o->min_support);
	jkey_num(w, "min_confidence", o->min_confidence);
	jkey_int(w, "itemsets", (int64_t)is.n);
	jkey_int(w, "rule_count", (int64_t)nr);
	kh_jw_key(w, "rules");
	kh_jw_arr(w);
	for (size_t r = 0; r < nr && r < o->limit; r++) {
		const struct kh_rule *ru = &rules[r];
		kh_jw_obj(w);
		kh_jw_key(w, "antecedent");
		kh_jw_arr(w);
		for (size_t k = is.start[ru->antecedent]; k < is.start[ru->antecedent + 1]; k++)
			write_product(d, is.items[k], w);
		kh_jw_arr_end(w);
		kh_jw_key(w, "consequent");
		write_product(d, ru->consequent, w);
		jkey_num(w, "support", ru->support);
		jkey_num(w, "confidence", ru->confidence);
		jkey_num(w, "lift", ru->lift);
		jkey_int(w, "baskets", is.support[ru->itemset]);
		kh_jw_obj_end(w);
		kh_an_flush(out, 0);
	}
	kh_jw_arr_end(w);
	/* "Customers who bought this also bought". */
	int64_t prod = -1;
	if (o->product >= 0 && d->product_id) {
		for (uint32_t k = 0; k < d->n_products; k++)
			if (d->product_id[k] == o->product)
				prod = k;
	} else if (o->product_key) {
		for (uint32_t k = 0; k < d->n_products; k++)
			if (!strcmp(kh_an_product_label(d, k), o->product_key))
				prod = k;
	}
	if (o->product >= 0 || o->product_key) {
		kh_jw_key(w, "also_bought");
		if (prod < 0) {
			kh_jw_null(w);
		} else {
			struct kh_also also[50];
			size_t na = 0;
			if ((err = kh_also_bought(start, item, nb, d->n_products, (uint32_t)prod, 1, also, 50, &na)))
				goto out;
			kh_jw_obj(w);
			kh_jw_key(w, "product");
			write_product(d, (uint32_t)prod, w);
			kh_jw_key(w, "items");
			kh_jw_arr(w);
			for (size_t k = 0; k < na && k < o->limit; k++) {
				kh_jw_obj(w);
				kh_jw_key(w, "product");
				write_product(d, also[k].item, w);
				jkey_int(w, "together", also[k].together);
				jkey_num(w, "confidence", also[k].confidence);
				jkey_num(w, "lift", also[k].lift);
				kh_jw_obj_end(w);
			}
			kh_jw_arr_end(w);
			kh_jw_obj_end(w);
		}
	}
	/* Cross-sell for one customer: what the rules recommend from what they
	 * bought. */
	if (o->customer >= 0 || o->customer_key) {
		int64_t c = o->customer_key ? kh_an_find_customer_key(d, o->customer_key, strlen(o->customer_key))
					    : kh_an_find_customer(d, o->customer);
		kh_jw_key(w, "recommended");
		if (c < 0 || (size_t)c >= d->n_cust) {
			kh_jw_null(w);
		} else if ((err = recommend(d, (size_t)c, as_of, &is, rules, nr, o->limit, w))) {
			goto out;
		}
	}
	kh_jw_obj_end(w);
out:
	kh_itemsets_release(&is);
	free(rules);
	free(key);
	free(idx);
	free(item);
	free(start);
	return err && !ei->code ? kh_errinfo_set(ei, err, "basket analysis failed") : err;
}

/* ---- lifecycle ---- */

enum kh_err kh_an_lifecycle(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			    struct kh_an_scores *sc, struct kh_errinfo *ei)
{
	int32_t as_of = kh_an_as_of(d, o);
	if (o->flow_months < 1 || o->flow_months > 120)
		return kh_errinfo_set(ei, KH_EINVAL, "flows cover 1 to 120 months");
	/* Month ends from flow_months months back to the as-of date. */
	int32_t dates[122];
	int32_t from_month = kh_month_of_day(as_of) - o->flow_months;
	size_t nd = 0;
	for (int32_t mo = from_month; mo < kh_month_of_day(as_of); mo++)
		dates[nd++] = kh_month_first_day(mo + 1) - 1;
	dates[nd++] = as_of;
	size_t n = d->n_cust;
	uint8_t *stage = malloc((n ? n : 1) * nd);
	size_t *counts = calloc(nd * KH_STAGE_COUNT, sizeof(size_t));
	size_t *flows = calloc(nd * KH_STAGE_COUNT * KH_STAGE_COUNT, sizeof(size_t));
	uint8_t *now = alloc_u8(n);
	struct kh_txns t = txns_of(d);
	enum kh_err err = KH_OK;
	if (!stage || !counts || !flows || !now) {
		err = KH_ENOMEM;
		goto out;
	}
	if ((err = kh_lifecycle(&t, n, dates, nd, &o->life, stage, counts, flows))) {
		kh_errinfo_set(ei, err, "the lifecycle options are not valid");
		goto out;
	}
	/* From the first date straight to the last: the Sankey's two columns. */
	size_t trans[KH_STAGE_COUNT][KH_STAGE_COUNT] = {{0}};
	for (size_t c = 0; c < n; c++) {
		trans[stage[c * nd]][stage[c * nd + nd - 1]]++;
		now[c] = stage[c * nd + nd - 1];
	}
	struct kh_jw *w = out->w;
	kh_jw_obj(w);
	jkey_date(w, "as_of", as_of);
	kh_jw_key(w, "rules");
	kh_jw_obj(w);
	jkey_int(w, "new_days", o->life.new_days);
	jkey_int(w, "active_days", o->life.active_days);
	jkey_int(w, "churn_days", o->life.churn_days);
	kh_jw_obj_end(w);
	kh_jw_key(w, "stages");
	kh_jw_arr(w);
	for (int s = 0; s < KH_STAGE_COUNT; s++) {
		kh_jw_obj(w);
		kh_jw_key(w, "stage");
		kh_jw_str(w, kh_stage_name(s));
		jkey_int(w, "customers", (int64_t)counts[(nd - 1) * KH_STAGE_COUNT + s]);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "months");
	kh_jw_arr(w);
	for (size_t k = 0; k < nd; k++) {
		kh_jw_obj(w);
		jkey_date(w, "date", dates[k]);
		for (int s = 0; s < KH_STAGE_COUNT; s++)
			jkey_int(w, kh_stage_name(s), (int64_t)counts[k * KH_STAGE_COUNT + s]);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "flows");
	kh_jw_arr(w);
	for (size_t k = 1; k < nd; k++)
		for (int a = 0; a < KH_STAGE_COUNT; a++)
			for (int b = 0; b < KH_STAGE_COUNT; b++) {
				size_t v = flows[((k - 1) * KH_STAGE_COUNT + a) * KH_STAGE_COUNT + b];
				if (!v || a == b)
					continue;
				kh_jw_obj(w);
				jkey_date(w, "date", dates[k]);
				kh_jw_key(w, "from");
				kh_jw_str(w, kh_stage_name(a));
				kh_jw_key(w, "to");
				kh_jw_str(w, kh_stage_name(b));
				jkey_int(w, "customers", (int64_t)v);
				kh_jw_obj_end(w);
			}
	kh_jw_arr_end(w);
	kh_jw_key(w, "transition");
	kh_jw_obj(w);
	jkey_date(w, "from", dates[0]);
	jkey_date(w, "to", dates[nd - 1]);
	kh_jw_key(w, "flows");
	kh_jw_arr(w);
	for (int a = 0; a < KH_STAGE_COUNT; a++)
		for (int b = 0; b < KH_STAGE_COUNT; b++) {
			if (!trans[a][b])
				continue;
			kh_jw_obj(w);
			kh_jw_key(w, "from");
			kh_jw_str(w, kh_stage_name(a));
			kh_jw_key(w, "to");
			kh_jw_str(w, kh_stage_name(b));
			jkey_int(w, "customers", (int64_t)trans[a][b]);
			kh_jw_obj_end(w);
		}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	kh_jw_key(w, "customers");
	kh_jw_arr(w);
	for (size_t c = 0; c < n && c < o->limit; c++) {
		kh_jw_obj(w);
		jkey_customer(d, c, w);
		kh_jw_key(w, "stage");
		kh_jw_str(w, kh_stage_name(now[c]));
		kh_jw_obj_end(w);
		kh_an_flush(out, 0);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	if (sc) {
		sc->stage = now;
		now = NULL;
	}
out:
	free(stage);
	free(counts);
	free(flows);
	free(now);
	return err && !ei->code ? kh_errinfo_set(ei, err, "lifecycle failed") : err;
}

/* ---- profitability, breadth, length and depth ---- */

enum kh_err kh_an_profitability(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
				struct kh_an_scores *sc, struct kh_errinfo *ei)
{
	int32_t as_of = kh_an_as_of(d, o);
	struct kh_profit p;
	enum kh_err err = customer_values(d, o, as_of, &p);
	if (err)
		return kh_errinfo_set(ei, err, "cannot compute customer profitability");
	size_t n = d->n_cust, nb = 0;
	uint8_t *keep = alloc_u8(n);
	uint32_t *idx = NULL;
	if (keep) {
		for (size_t c = 0; c < n; c++)
			keep[c] = p.tenure_days[c] >= 0;
		idx = ranked(p.profit, keep, n, 0, &nb);
	}
	if (!idx) {
		err = KH_ENOMEM;
		goto out;
	}
	struct kh_jw *w = out->w;
	kh_jw_obj(w);
	jkey_date(w, "as_of", as_of);
	jkey_num(w, "case_cost", o->case_cost);
	kh_jw_key(w, "has_cost");
	kh_jw_bool(w, d->has_cogs);
	kh_jw_key(w, "totals");
	kh_jw_obj(w);
	jkey_int(w, "customers", (int64_t)p.customers);
	jkey_int(w, "unprofitable", (int64_t)p.unprofitable);
	jkey_num(w, "revenue", p.total_revenue);
	jkey_num(w, "cogs", p.total_cogs);
	jkey_num(w, "service", p.total_service);
	jkey_num(w, "profit", p.total_profit);
	kh_jw_obj_end(w);
	/* The whale curve: cumulative profit share against the share of
	 * customers, most profitable first; it rises above 100% and falls back
	 * as the unprofitable customers come in (Kaplan & Narayanan 2001). */
	kh_jw_key(w, "whale");
	kh_jw_arr(w);
	{
		double cum = 0, tot = p.total_profit;
		size_t next = 0;
		for (size_t i = 0; i < nb; i++) {
			cum += p.profit[idx[i]];
			if (i + 1 >= next * nb / 50 || i + 1 == nb) {
				while (next * nb / 50 <= i + 1 && next <= 50)
					next++;
				kh_jw_arr(w);
				jnum(w, (double)(i + 1) / (double)nb);
				jnum(w, tot != 0 ? cum / tot : NAN);
				kh_jw_arr_end(w);
			}
		}
	}
	kh_jw_arr_end(w);
	/* Breadth, length and depth over customers who bought. */
	double prod = 0, cat = 0, cross = 0, ten = 0, per_year = 0, per_buy = 0;
	for (size_t i = 0; i < nb; i++) {
		size_t c = idx[i];
		prod += p.products[c];
		cat += p.categories[c];
		cross += p.categories[c] > 1;
		ten += p.tenure_days[c];
		per_year += p.per_year[c];
		per_buy += p.per_purchase[c];
	}
	double m = nb ? (double)nb : NAN;
	kh_jw_key(w, "relationship");
	kh_jw_obj(w);
	jkey_num(w, "products_mean", prod / m);
	jkey_num(w, "categories_mean", d->product_cat ? cat / m : NAN);
	jkey_num(w, "cross_buyers", d->product_cat ? cross / m : NAN);
	jkey_num(w, "tenure_days_mean", ten / m);
	jkey_num(w, "purchases_per_year_mean", per_year / m);
	jkey_num(w, "spend_per_purchase_mean", per_buy / m);
	kh_jw_obj_end(w);
	kh_jw_key(w, "customers");
	kh_jw_arr(w);
	for (size_t i = 0; i < nb && i < o->limit; i++) {
		size_t c = o->sort && !strcmp(o->sort, "-profit") ? idx[nb - 1 - i] : idx[i];
		kh_jw_obj(w);
		jkey_customer(d, c, w);
		jkey_num(w, "revenue", p.revenue[c]);
		jkey_num(w, "cogs", p.cogs[c]);
		jkey_num(w, "service", p.service[c]);
		jkey_num(w, "profit", p.profit[c]);
		jkey_int(w, "products", p.products[c]);
		jkey_int(w, "categories", p.categories[c]);
		jkey_int(w, "tenure_days", p.tenure_days[c]);
		jkey_num(w, "purchases_per_year", p.per_year[c]);
		jkey_num(w, "spend_per_purchase", p.per_purchase[c]);
		kh_jw_obj_end(w);
		kh_an_flush(out, 0);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	if (sc) {
		sc->profit = p.profit;
		p.profit = NULL;
		for (size_t c = 0; c < n; c++)
			if (p.tenure_days[c] < 0)
				sc->profit[c] = NAN;
	}
out:
	free(idx);
	free(keep);
	kh_profit_release(&p);
	return err && !ei->code ? kh_errinfo_set(ei, err, "profitability failed") : err;
}

/* ---- loyalty: cohorts and survival ---- */

static void month_text(int32_t month, char out[11])
{
	char day[11];
	kh_date_format(kh_month_first_day(month), day);
	memcpy(out, day, 7);
	out[7] = '\0';
}

enum kh_err kh_an_cohorts(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			  struct kh_errinfo *ei)
{
	int32_t as_of = kh_an_as_of(d, o);
	struct kh_txns t = txns_of(d);
	struct kh_cohorts c;
	enum kh_err err = kh_cohorts_build(&t, d->n_cust, as_of, &c);
	if (err)
		return kh_errinfo_set(ei, err, "cannot build the cohorts");
	/* The most recent cohorts (flow_months of them, 12 by default: a year). */
	size_t first = c.n_cohorts > (size_t)o->flow_months ? c.n_cohorts - (size_t)o->flow_months : 0;
	struct kh_jw *w = out->w;
	kh_jw_obj(w);
	jkey_date(w, "as_of", as_of);
	kh_jw_key(w, "cohorts");
	kh_jw_arr(w);
	size_t size = 0, rep = 0;
	for (size_t k = 0; k < c.n_cohorts; k++) {
		size += c.size[k];
		rep += c.repeat[k];
		if (k < first)
			continue;
		char mt[11];
		month_text(c.first_month + (int32_t)k, mt);
		kh_jw_obj(w);
		kh_jw_key(w, "month");
		kh_jw_str(w, mt);
		jkey_int(w, "customers", (int64_t)c.size[k]);
		jkey_num(w, "repurchase_rate", c.size[k] ? (double)c.repeat[k] / (double)c.size[k] : NAN);
		kh_jw_key(w, "retention");
		kh_jw_arr(w);
		for (size_t p = 0; k + p < c.n_cohorts; p++)
			jnum(w, c.size[k] ? (double)c.active[k * c.n_periods + p] / (double)c.size[k] : NAN);
		kh_jw_arr_end(w);
		kh_jw_key(w, "revenue");
		kh_jw_arr(w);
		for (size_t p = 0; k + p < c.n_cohorts; p++)
			jnum(w, c.revenue[k * c.n_periods + p]);
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "curve");
	kh_jw_arr(w);
	for (size_t p = 0; p < c.n_periods; p++)
		jnum(w, c.curve[p]);
	kh_jw_arr_end(w);
	jkey_int(w, "customers", (int64_t)size);
	jkey_num(w, "repurchase_rate", size ? (double)rep / (double)size : NAN);
	kh_jw_obj_end(w);
	kh_cohorts_release(&c);
	return KH_OK;
}

enum kh_err kh_an_survival(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			   struct kh_errinfo *ei)
{
	int32_t as_of = kh_an_as_of(d, o);
	struct kh_txns t = txns_of(d);
	struct kh_summary s;
	size_t n = d->n_cust, m = 0;
	enum kh_err err = kh_summary_build(&s, &t, n, as_of, as_of, 1);
	if (err)
		return kh_errinfo_set(ei, err, "cannot summarise the transactions");
	double *dur = malloc((n ? n : 1) * sizeof(double));
	uint8_t *ev = alloc_u8(n);
	struct kh_km km = {0};
	if (!dur || !ev) {
		err = KH_ENOMEM;
		goto out;
	}
	/* A relationship ended at the last purchase if the customer has been
	 * silent longer than the churn gap since; otherwise it is still going
	 * (censored at the as-of date). */
	for (size_t c = 0; c < n; c++) {
		if (!s.purchases[c])
			continue;
		int churned = as_of - s.last_day[c] > o->life.churn_days;
		dur[m] = churned ? s.last_day[c] - s.first_day[c] : as_of - s.first_day[c];
		ev[m++] = (uint8_t)churned;
	}
	if ((err = kh_kaplan_meier(dur, ev, m, &km)))
		goto out;
	struct kh_jw *w = out->w;
	kh_jw_obj(w);
	jkey_date(w, "as_of", as_of);
	jkey_int(w, "churn_days", o->life.churn_days);
	jkey_int(w, "customers", (int64_t)km.n);
	jkey_int(w, "churned", (int64_t)km.events);
	jkey_num(w, "median_days", km.median);
	kh_jw_key(w, "survival_at");
	kh_jw_obj(w);
	jkey_num(w, "d90", kh_km_at(&km, 90));
	jkey_num(w, "d180", kh_km_at(&km, 180));
	jkey_num(w, "d365", kh_km_at(&km, 365));
	jkey_num(w, "d730", kh_km_at(&km, 730));
	kh_jw_obj_end(w);
	/* The curve, thinned to about 200 steps for drawing. */
	kh_jw_key(w, "curve");
	kh_jw_arr(w);
	double span = km.npoints ? km.point[km.npoints - 1].time : 0, next = 0;
	for (size_t i = 0; i < km.npoints; i++) {
		const struct kh_km_point *pt = &km.point[i];
		if (pt->time < next && i + 1 < km.npoints)
			continue;
		next = pt->time + span / 200;
		kh_jw_obj(w);
		jkey_num(w, "days", pt->time);
		jkey_num(w, "survival", pt->survival);
		jkey_num(w, "se", pt->se);
		jkey_int(w, "at_risk", (int64_t)pt->at_risk);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
out:
	kh_km_release(&km);
	kh_summary_release(&s);
	free(dur);
	free(ev);
	return err && !ei->code ? kh_errinfo_set(ei, err, "survival analysis failed") : err;
}
