/* PLS path modelling: customer satisfaction index models (ACSI, ECSI and
 * models the user defines) estimated by partial least squares.
 *
 * A model is a set of latent variables (LVs), each measured by a block of
 * manifest variables (MVs, the survey items) in the reflective Mode A, and an
 * inner model of directed paths between LVs that must form a DAG. Estimation is
 * the iterative algorithm of Wold as Lohmoeller formulated it (Tenenhaus et al.,
 * "PLS path modeling", Computational Statistics & Data Analysis 48 (2005)
 * 159-205):
 *
 *   1. the items are standardized; every LV starts with all outer weights 1;
 *   2. inner estimation: each LV's inner proxy Z_i = sum_j e_ij Y_j over its
 *      neighbours j, with e_ij by the centroid (sign of cor(Y_i, Y_j)),
 *      factorial (cor(Y_i, Y_j)) or path weighting scheme (for predecessors
 *      the coefficients of the regression of Y_i on all of them, for
 *      successors cor(Y_i, Y_j));
 *   3. outer estimation, Mode A: w_k = cov(x_k, Z_i) for every item k of LV i,
 *      then rescaled so that the score Y_i = sum_k w_k x_k has unit variance;
 *   4. repeat 2-3 until no weight changes by more than the tolerance;
 *   5. path coefficients by OLS of each endogenous LV on its predecessors.
 *
 * Every quantity of steps 2-5 is a bilinear form in the correlation matrix of
 * the items, so the kernel iterates on that matrix alone and touches the data
 * only to build it and to compute the final scores. This makes one fit cost
 * O(n p^2) once plus O(p^2) per iteration, and a bootstrap resample the same,
 * whatever the number of respondents.
 *
 * On the ECSI mobile-phone data (ecsi_mobi.csv, R package semPLS) the outer
 * weights, loadings, path coefficients and total effects agree with the
 * results SmartPLS 2.0 published for all three schemes to 3e-8, and with an
 * independent computation in Python to 1e-9 (tests/unit/test_pls.c holds
 * them to 1e-6).
 *
 * Conventions, chosen to match semPLS, plspm and SmartPLS:
 * - standard deviations use n - 1, so scores have sample variance 1;
 * - outer weights are the weights of the standardized items that give a unit
 *   variance score; loadings are cor(x_k, Y_i);
 * - no sign correction: with starting weights 1, LVs keep the orientation of
 *   their items;
 * - Cronbach's alpha here is the standardized alpha of the block (computed
 *   from the item correlations, as plspm reports it; for the alpha of raw
 *   answers see survey_stats.h); AVE is the mean squared loading and the
 *   composite reliability is Dillon-Goldstein's rho from the PLS loadings;
 *   single-item blocks get AVE = rho = alpha = 1.
 *
 * Everything here is pure: arrays in, arrays out, no I/O, thread-safe. */
#ifndef KH_ANALYTICS_PLS_H
#define KH_ANALYTICS_PLS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Bounds on the size of a model: well beyond any questionnaire, and small
 * enough that the p x p and p x q work arrays cannot overflow a size_t. */
#define KH_PLS_MAX_LV 1000
#define KH_PLS_MAX_MV 10000

/* A directed inner path between two latent variables (indexes into lv_name). */
struct kh_pls_path {
	size_t from, to;
};

/* A path model. The built-in models are static; a parsed model owns its
 * memory (see kh_pls_model_parse). The data given to kh_pls_fit has one
 * column per MV, in mv_name order. The items of one block need not be
 * adjacent. */
struct kh_pls_model {
	size_t n_lv;
	const char *const *lv_name;
	size_t n_mv;
	const char *const *mv_name;
	const size_t *mv_lv;            /* n_mv: the LV each item measures */
	size_t n_path;
	const struct kh_pls_path *path; /* n_path, the inner model */
	void *owned;                    /* the parser's memory; NULL if static */
};

/* The built-in models, by name: "ecsi" and "acsi"; NULL for any other name.
 *
 * ECSI (Tenenhaus et al. 2005; semPLS's ECSImobi) has seven LVs measured by the
 * 24 items of the mobi questionnaire: Image (IMAG1-5), Expectation (CUEX1-3),
 * Quality (PERQ1-7), Value (PERV1-2), Satisfaction (CUSA1-3), Complaints
 * (CUSCO) and Loyalty (CUSL1-3), and twelve paths: Image -> Expectation,
 * Satisfaction, Loyalty; Expectation -> Quality, Value, Satisfaction;
 * Quality -> Value, Satisfaction; Value -> Satisfaction; Satisfaction ->
 * Complaints, Loyalty; Complaints -> Loyalty.
 *
 * ACSI (Fornell et al. 1996) is the same model without Image: expectations,
 * perceived quality and perceived value -> satisfaction -> complaints and
 * loyalty, with the same item names. */
const struct kh_pls_model *kh_pls_model_builtin(const char *name);

/* Parses a user-defined model (in pls_model.c). The text is the measurement
 * and regression part of the lavaan model syntax that R users of cSEM and
 * seminr already write:
 *
 *     # ECSI, abridged
 *     Image        =~ IMAG1 + IMAG2 + IMAG3
 *     Satisfaction =~ CUSA1 + CUSA2 + CUSA3
 *     Loyalty      =~ CUSL1 + CUSL2
 *     Satisfaction ~ Image
 *     Loyalty      ~ Image + Satisfaction
 *
 * One statement per line (or separated by ';'), continued on the next line
 * after a '+' or an operator; '#' starts a comment. "LV =~ items" declares a
 * latent variable and its reflective items (a later "=~" for the same LV adds
 * items); "LV ~ predictors" adds a path from each predictor to LV. Names
 * are letters, digits, '_' and '.', not starting with a digit. LVs and items are numbered in order of first declaration, paths in order of
 * appearance. Every LV of a path must be declared with "=~" (anywhere in the
 * text); an item belongs to one LV only; the paths must form a DAG with every
 * LV on at least one path.
 *
 * On success *m owns its memory (free with kh_pls_model_release). On
 * KH_EINVAL, err (if not NULL) receives a message naming the line, and *m is
 * left empty. KH_ENOMEM when memory runs out. */
enum kh_err kh_pls_model_parse(const char *text, size_t len, struct kh_pls_model *m,
			       char *err, size_t errlen);
/* Frees a parsed model and leaves it empty; harmless on an empty model. Do not
 * call it on a built-in model. */
void kh_pls_model_release(struct kh_pls_model *m);

/* KH_OK if the model is well formed: at least one LV and one path, at most
 * KH_PLS_MAX_LV LVs and KH_PLS_MAX_MV items, every LV with at least one item
 * and on at least one path, indexes in range, no path twice or from an LV to
 * itself, and the paths acyclic. KH_EINVAL otherwise. */
enum kh_err kh_pls_model_check(const struct kh_pls_model *m);

/* Finds the data column of each item: col[k] is the index in names[] of
 * m->mv_name[k], or SIZE_MAX if there is none, in which case KH_ENOTFOUND is
 * returned (after filling the whole array, so that the caller can name every
 * missing item). */
enum kh_err kh_pls_model_columns(const struct kh_pls_model *m, const char *const *names,
				 size_t n_names, size_t *col);

/* The inner weighting schemes. */
enum kh_pls_scheme {
	KH_PLS_PATH_WEIGHTING = 0,
	KH_PLS_CENTROID,
	KH_PLS_FACTORIAL,
};

struct kh_pls_opts {
	enum kh_pls_scheme scheme;
	double tol;          /* converged when no weight moves by more than this */
	unsigned max_iter;   /* of the outer loop */
	double scale_min;    /* the answer scale, for the 0-100 index */
	double scale_max;
	size_t n_boot;       /* bootstrap resamples; 0 for none */
	uint64_t seed;       /* of the bootstrap's random generator */
};

/* Defaults: path weighting, tol 1e-7 (the abort criterion of SmartPLS and
 * semPLS), 300 iterations, the 1-10 scale of ACSI/ECSI, no bootstrap, seed 1. */
void kh_pls_opts_init(struct kh_pls_opts *o);

struct kh_pls_result {
	size_t n_obs, n_lv, n_mv, n_path;
	unsigned iterations;
	int converged;        /* 0 if max_iter ran out; the estimates are then the last ones */
	double *weight;       /* n_mv outer weights (of the standardized items) */
	double *loading;      /* n_mv outer loadings, cor(item, its LV) */
	double *cross_loading; /* n_mv x n_lv, row-major: cor(item k, LV j) */
	double *path;         /* n_path coefficients, in model order */
	double *r2;           /* n_lv; 0 for exogenous LVs */
	double *ave;          /* n_lv average variance extracted */
	double *rho;          /* n_lv Dillon-Goldstein rho (composite reliability) */
	double *alpha;        /* n_lv standardized Cronbach's alpha */
	double *index;        /* n_lv, the ACSI index of each LV (below) */
	double *lv_cor;       /* n_lv x n_lv correlations of the LV scores */
	double *total_effect; /* n_lv x n_lv: [i * n_lv + j] is the total (direct
	                       * and indirect) effect of LV i on LV j */
	double *score;        /* n_obs x n_lv, row-major: the standardized LV scores */
	/* Bootstrap standard errors (sample standard deviation over the
	 * resamples), NULL when n_boot is 0. */
	size_t n_boot;
	size_t n_boot_redrawn; /* resamples drawn again because they were degenerate */
	double *path_se;      /* n_path */
	double *loading_se;   /* n_mv */
	double *weight_se;    /* n_mv */
};

/* Estimates model m from x, n respondents by m->n_mv items, row-major, items
 * in model order, complete (no NaN: impute or drop incomplete answers first).
 *
 * The index of an LV is what ACSI reports: the weights are taken back to the
 * original answer scale (w_k / sd_k), rescaled to sum to one so the LV stays
 * on that scale, and the mean of the resulting score is mapped from
 * [scale_min, scale_max] to 0-100 (Fornell et al., "The American Customer
 * Satisfaction Index", Journal of Marketing 60 (1996) 7-18). The index of the
 * "Satisfaction" LV is the customer satisfaction index. (If the weights of a
 * block have mixed signs and cancel on the original scale, its index is not
 * finite: such a block does not measure one thing.)
 *
 * Bootstrap: o->n_boot resamples of n rows drawn with replacement by
 * xoshiro256** seeded through splitmix64 with o->seed, each estimated like the
 * original; the same seed gives the same standard errors on every machine. A
 * resample on which the model cannot be estimated (an item without variance,
 * collinear LVs, no convergence) is drawn again, at most n_boot times in all.
 *
 * On success r owns arrays to be freed with kh_pls_result_release. Errors:
 * KH_EINVAL for a bad model, options, n < 3, a non-finite value, an item
 * without variance, or collinear predictor LVs; KH_ENOMEM. On error r is left
 * empty. */
enum kh_err kh_pls_fit(const struct kh_pls_model *m, const double *x, size_t n,
		       const struct kh_pls_opts *o, struct kh_pls_result *r);
/* Frees the arrays of r and leaves it empty; harmless on an empty result. */
void kh_pls_result_release(struct kh_pls_result *r);

#endif
