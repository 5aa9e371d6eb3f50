/* PLS path modelling of survey answers and its JSON (analytics.h), shared by
 * `kehu analyze pls` and GET /api/v1/analytics/satisfaction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/pls.h"
#include "domain/analytics.h"
#include "util/buf.h"

static const char *scheme_name(enum kh_pls_scheme s)
{
	return s == KH_PLS_CENTROID ? "centroid" : s == KH_PLS_FACTORIAL ? "factorial" : "path";
}

static void num(struct kh_jw *w, const char *k, double v)
{
	kh_jw_key(w, k);
	kh_jw_double(w, v);
}

enum kh_err kh_an_pls(const struct kh_pls_model *m, const char *model_name, const char *const *names, size_t ncol,
		      const double *x, size_t nrow, const struct kh_pls_opts *po, struct kh_jw *w,
		      struct kh_errinfo *ei)
{
	if (kh_pls_model_check(m))
		return kh_errinfo_set(ei, KH_EINVAL, "the model is not a valid path model");
	size_t p = m->n_mv;
	size_t *col = malloc(p * sizeof(size_t));
	double *data = malloc((nrow ? nrow : 1) * p * sizeof(double));
	struct kh_pls_result r = {0};
	enum kh_err err = KH_OK;
	if (!col || !data) {
		err = KH_ENOMEM;
		goto out;
	}
	if (kh_pls_model_columns(m, names, ncol, col) == KH_ENOTFOUND) {
		struct kh_buf miss = KH_BUF_INIT;
		for (size_t k = 0; k < p; k++)
			if (col[k] == SIZE_MAX)
				kh_buf_addf(&miss, "%s%s", miss.len ? ", " : "", m->mv_name[k]);
		err = kh_errinfo_set(ei, KH_EINVAL, "the answers have no column for %s", miss.data);
		kh_buf_release(&miss);
		goto out;
	}
	size_t n = 0;
	for (size_t i = 0; i < nrow; i++) {
		int ok = 1;
		for (size_t k = 0; k < p && ok; k++) {
			double v = x[i * ncol + col[k]];
			ok = isfinite(v);
			data[n * p + k] = v;
		}
		n += ok;
	}
	err = kh_pls_fit(m, data, n, po, &r);
	if (err) {
		if (err == KH_EINVAL)
			kh_errinfo_set(ei, err,
				       "the model cannot be estimated from %zu complete answers: an item without variance, "
				       "collinear latent variables, or too few answers",
				       n);
		goto out;
	}
	kh_jw_obj(w);
	kh_jw_key(w, "model");
	kh_jw_str(w, model_name);
	kh_jw_key(w, "scheme");
	kh_jw_str(w, scheme_name(po->scheme));
	kh_jw_key(w, "respondents");
	kh_jw_int(w, (int64_t)n);
	kh_jw_key(w, "dropped");
	kh_jw_int(w, (int64_t)(nrow - n));
	kh_jw_key(w, "iterations");
	kh_jw_int(w, r.iterations);
	kh_jw_key(w, "converged");
	kh_jw_bool(w, r.converged);
	kh_jw_key(w, "bootstrap");
	kh_jw_int(w, (int64_t)r.n_boot);
	kh_jw_key(w, "scale");
	kh_jw_arr(w);
	kh_jw_double(w, po->scale_min);
	kh_jw_double(w, po->scale_max);
	kh_jw_arr_end(w);
	kh_jw_key(w, "latent");
	kh_jw_arr(w);
	for (size_t j = 0; j < m->n_lv; j++) {
		kh_jw_obj(w);
		kh_jw_key(w, "name");
		kh_jw_str(w, m->lv_name[j]);
		num(w, "r2", r.r2[j]);
		num(w, "ave", r.ave[j]);
		num(w, "composite_reliability", r.rho[j]);
		num(w, "alpha", r.alpha[j]);
		num(w, "index", r.index[j]);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "paths");
	kh_jw_arr(w);
	for (size_t k = 0; k < m->n_path; k++) {
		kh_jw_obj(w);
		kh_jw_key(w, "from");
		kh_jw_str(w, m->lv_name[m->path[k].from]);
		kh_jw_key(w, "to");
		kh_jw_str(w, m->lv_name[m->path[k].to]);
		num(w, "coef", r.path[k]);
		num(w, "se", r.path_se ? r.path_se[k] : NAN);
		num(w, "t", r.path_se && r.path_se[k] > 0 ? r.path[k] / r.path_se[k] : NAN);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "outer");
	kh_jw_arr(w);
	for (size_t k = 0; k < p; k++) {
		kh_jw_obj(w);
		kh_jw_key(w, "item");
		kh_jw_str(w, m->mv_name[k]);
		kh_jw_key(w, "latent");
		kh_jw_str(w, m->lv_name[m->mv_lv[k]]);
		num(w, "weight", r.weight[k]);
		num(w, "loading", r.loading[k]);
		num(w, "weight_se", r.weight_se ? r.weight_se[k] : NAN);
		num(w, "loading_se", r.loading_se ? r.loading_se[k] : NAN);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "total_effects");
	kh_jw_arr(w);
	for (size_t i = 0; i < m->n_lv; i++)
		for (size_t j = 0; j < m->n_lv; j++) {
			double e = r.total_effect[i * m->n_lv + j];
			if (i == j || e == 0)
				continue;
			kh_jw_obj(w);
			kh_jw_key(w, "from");
			kh_jw_str(w, m->lv_name[i]);
			kh_jw_key(w, "to");
			kh_jw_str(w, m->lv_name[j]);
			num(w, "effect", e);
			kh_jw_obj_end(w);
		}
	kh_jw_arr_end(w);
	/* The satisfaction index as ACSI reports it, when the model has one. */
	kh_jw_key(w, "satisfaction_index");
	size_t sat = SIZE_MAX;
	for (size_t j = 0; j < m->n_lv; j++)
		if (!strcmp(m->lv_name[j], "Satisfaction"))
			sat = j;
	if (sat != SIZE_MAX)
		kh_jw_double(w, r.index[sat]);
	else
		kh_jw_null(w);
	kh_jw_obj_end(w);
out:
	kh_pls_result_release(&r);
	free(col);
	free(data);
	return err && !ei->code ? kh_errinfo_set(ei, err, "PLS estimation failed") : err;
}
