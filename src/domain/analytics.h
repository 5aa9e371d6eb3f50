/* The customer analytics as use cases: transactions loaded from the database
 * (within the principal's scope) or from any transaction CSV, the kernels of
 * src/analytics/ run over them, and the results written as JSON for the CLI
 * (`kehu analyze`) and the API (GET /api/v1/analytics/...) alike.
 *
 * A dataset is a list of transaction lines (customer, day, amount, order,
 * product, cost of goods) with the customers and products numbered 0..n-1;
 * the loaders keep the mapping back to record ids (database) or the CSV's own
 * keys. From the database, a line is an order line of an order that is
 * neither a draft nor cancelled, in the base currency (CNY), of a contact
 * (or, by = account, of an account); money is in yuan (minor units / 100) so
 * that CLV parameters read as in the literature.
 *
 * The analyses (kh_an_*) are pure computations over a dataset plus the JSON
 * they write; they never touch the database. */
#ifndef KH_DOMAIN_ANALYTICS_H
#define KH_DOMAIN_ANALYTICS_H

#include <stdint.h>
#include <stdio.h>

#include "analytics/lifecycle.h"
#include "domain/write.h"
#include "util/json_out.h"

enum kh_an_by { KH_AN_CONTACT = 0, KH_AN_ACCOUNT };

struct kh_an_data {
	/* Lines. Without an order, product or cost column (a CSV) the arrays
	 * are there but the has_ flag is 0. */
	size_t n, cap;
	int has_order, has_product, has_cogs;
	uint32_t *cust;
	int32_t *day;
	double *amount;
	int64_t *order;
	uint32_t *product;
	double *cogs;

	/* Customers 0..n_cust-1: database ids, or the CSV's keys. */
	size_t n_cust;
	int64_t *cust_id;   /* database: record ids (kh_an_data_finish); NULL for a CSV */
	int keys_numeric;   /* every CSV key is an integer: JSON prints numbers */

	/* Products 0..n_products-1 and their categories. */
	uint32_t n_products, n_categories;
	int64_t *product_id;   /* database: record ids; NULL for a CSV */
	char **product_name;   /* database: names; NULL for a CSV (the key is the name) */
	uint32_t *product_cat;
	char **category_name;

	/* Service cases per customer (database only), for churn features and
	 * the service cost of profitability: each case's customer and day, and
	 * whether it was a complaint. */
	size_t n_cases;
	uint32_t *case_cust;
	int32_t *case_day;
	uint8_t *case_complaint;
	double *case_satisfaction; /* 1-5, NaN if not rated */

	int32_t first_day, last_day; /* of the lines; INT32_MAX / INT32_MIN if none */
	enum kh_an_by by;
	size_t skipped;              /* CSV rows left out (no customer, bad date or amount) */
	void *priv;                  /* the loaders' lookup tables */
};

void kh_an_data_init(struct kh_an_data *d);
void kh_an_data_release(struct kh_an_data *d);

/* Building a dataset row by row (the loaders). Keys are interned: the same
 * text gives the same index. Each returns the index, or -1 out of memory;
 * kh_an_order_key returns an order's id (a number key is itself, other keys
 * are numbered below zero), or INT64_MIN out of memory. */
int64_t kh_an_customer_key(struct kh_an_data *d, const char *key, size_t n);
int64_t kh_an_customer_id(struct kh_an_data *d, int64_t id);
int64_t kh_an_product_key(struct kh_an_data *d, const char *key, size_t n);
int64_t kh_an_order_key(struct kh_an_data *d, const char *key, size_t n);
enum kh_err kh_an_add_line(struct kh_an_data *d, uint32_t cust, int32_t day, double amount, int64_t order,
			   int64_t product, double cogs);
/* Completes a loaded dataset: the customer id array of a database load. */
enum kh_err kh_an_data_finish(struct kh_an_data *d);
/* A product's name: the database name or the CSV key. */
const char *kh_an_product_label(const struct kh_an_data *d, uint32_t k);
/* The index of a database customer id already in the data, or -1. */
int64_t kh_an_find_customer(const struct kh_an_data *d, int64_t id);
/* The same for a CSV's text key; -1 when absent. */
int64_t kh_an_find_customer_key(const struct kh_an_data *d, const char *key, size_t n);

/* Loads the dataset from the database: the lines of the orders the principal
 * may read, the products and their categories, and the cases. Lines after
 * `until` (a day; INT32_MAX for all) are left out. progress (may be NULL) is
 * called now and then with the lines read so far and an estimate of the
 * total. */
enum kh_err kh_an_load_db(struct kh_ctx *ctx, enum kh_an_by by, int32_t until, struct kh_an_data *d,
			  void (*progress)(void *cls, size_t done, size_t total), void *cls);

/* Loads the dataset from a transaction CSV with a header row. Column
 * options name the header of each column; amount (and cost) may be "A*B",
 * the product of two columns (quantity times unit price). order, product and
 * cost may be NULL. Rows without a customer, with a date that is not
 * YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD (a time after it is ignored) or an
 * amount that is not a number are skipped and counted in d->skipped.
 * KH_EINVAL with the reason in msg (a missing column, no usable row). */
struct kh_an_csv_cols {
	const char *customer, *date, *amount, *order, *product, *cost;
	char delim;                         /* 0: detect */
	int optional_order, optional_product; /* not an error if the file lacks them */
};
enum kh_err kh_an_load_csv(FILE *f, const struct kh_an_csv_cols *cols, struct kh_an_data *d,
			   void (*progress)(void *cls, size_t done, size_t total), void *cls, size_t total_bytes,
			   char *msg, size_t msglen);
/* A day from the date formats above: 0 and *day, or -1. */
int kh_an_parse_day(const char *s, size_t n, int32_t *day);

/* A table of numbers with named columns (survey answers), NaN where a cell
 * is empty or not a number. */
struct kh_an_table {
	size_t nrow, ncol;
	char **names;
	double *x; /* nrow x ncol, row-major */
};
enum kh_err kh_an_load_table(FILE *f, char delim, struct kh_an_table *t, char *msg, size_t msglen);
void kh_an_table_release(struct kh_an_table *t);

/* PLS path modelling of a table of answers (analytics_pls.c): the model's
 * items are found by column name, rows missing any of them are left out
 * (listwise deletion, reported as "dropped"), and the estimates are written
 * as one JSON object: latent variables with R-squared, AVE, composite
 * reliability, alpha and the 0-100 index; paths with bootstrap standard
 * errors; outer weights and loadings; total effects. KH_EINVAL with a message
 * naming the missing items or the reason the model cannot be estimated. */
struct kh_pls_model;
struct kh_pls_opts;
enum kh_err kh_an_pls(const struct kh_pls_model *m, const char *model_name, const char *const *names, size_t ncol,
		      const double *x, size_t nrow, const struct kh_pls_opts *po, struct kh_jw *w,
		      struct kh_errinfo *ei);

/* What the analyses take. kh_an_opts_init sets the defaults named here. */
struct kh_an_opts {
	int32_t as_of;           /* day; INT32_MIN: the last day of the data */
	int32_t calibration_end; /* CLV: the end of the calibration period; INT32_MIN: as_of */
	double unit;             /* CLV: days per time unit (week) */
	int months;              /* CLV: horizon in months (12) */
	double discount;         /* CLV: monthly discount rate (0.01) */
	double margin;           /* CLV: profit share of revenue (1) */
	int model_pnbd;          /* CLV: per-customer figures from Pareto/NBD, not BG/NBD */
	int no_pnbd;             /* CLV: do not fit Pareto/NBD at all (the stored scores need BG/NBD only) */
	int churn_days;          /* churn: a customer who buys nothing for this long has churned (90) */
	double lambda;           /* churn: L2 penalty (1) */
	int k, kmin, kmax;       /* segments: k, or choose in kmin..kmax by silhouette (0; 2..8) */
	double min_support;      /* baskets (0.005) */
	double min_confidence;   /* baskets (0.1) */
	int max_len;             /* baskets: itemset size (3) */
	int64_t product;         /* baskets: "also bought" for this product (record id or CSV key index); -1 none */
	const char *product_key; /* the same, as CSV text */
	int64_t customer;         /* baskets: cross-sell for this customer (record id); -1 none */
	const char *customer_key; /* the same, as CSV text */
	struct kh_lifecycle_opts life;
	int flow_months;         /* lifecycle: months of flows (12) */
	double case_cost;        /* profitability: service cost of one case, yuan (50) */
	int abc_profit;          /* abc: classify by profit, not revenue */
	size_t limit;            /* customers listed (SIZE_MAX: all) */
	int segment;             /* rfm: list only this segment (0: all) */
	const char *sort;        /* order of the customer list: the analysis' natural order if NULL */
};

void kh_an_opts_init(struct kh_an_opts *o);

/* Where JSON goes: a writer over a buffer that the CLI empties into a file as
 * it fills (so a million customers stream out), or the API's response. */
struct kh_an_out {
	struct kh_jw *w;
	FILE *f; /* NULL: leave everything in the buffer */
};
/* Writes the buffer to f if it has grown past 256 KiB (no-op without f). */
void kh_an_flush(struct kh_an_out *o, int force);

/* Per-customer scores, as stored (kh_an_scores_store) and shown on the
 * customer: each array n_cust long, NaN or 0 where not known. */
struct kh_an_scores {
	size_t n;
	int32_t as_of;
	uint8_t *r, *f, *m, *rfm_segment, *abc, *stage, *segment;
	double *recency, *frequency, *monetary;
	double *clv, *p_alive, *expected, *churn, *profit;
	uint8_t (*reasons)[2]; /* the two largest churn reasons: feature index + 1, 0 none */
	int k;                 /* segments */
};
void kh_an_scores_release(struct kh_an_scores *s);

/* The analyses. Each writes one JSON object (shapes in docs/API.md; those of
 * rfm and clv are fixed by the CLI's contract) and, when scores is not NULL,
 * fills its part of the per-customer scores. Errors: KH_EINVAL with a message
 * when the data cannot support the analysis (no purchase, no repeat buyer),
 * KH_ENOMEM. */
enum kh_err kh_an_rfm(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
		      struct kh_an_scores *scores, struct kh_errinfo *ei);
enum kh_err kh_an_abc(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
		      struct kh_an_scores *scores, struct kh_errinfo *ei);
enum kh_err kh_an_clv(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
		      struct kh_an_scores *scores, struct kh_errinfo *ei);
enum kh_err kh_an_churn(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			struct kh_an_scores *scores, struct kh_errinfo *ei);
enum kh_err kh_an_segments(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			   struct kh_an_scores *scores, struct kh_errinfo *ei);
enum kh_err kh_an_baskets(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			  struct kh_errinfo *ei);
enum kh_err kh_an_lifecycle(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			    struct kh_an_scores *scores, struct kh_errinfo *ei);
enum kh_err kh_an_profitability(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
				struct kh_an_scores *scores, struct kh_errinfo *ei);
/* Loyalty and relationship measures: cohort retention and repurchase, the
 * Kaplan-Meier survival of tenure, breadth / length / depth. */
enum kh_err kh_an_cohorts(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			  struct kh_errinfo *ei);
enum kh_err kh_an_survival(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out,
			   struct kh_errinfo *ei);

/* The API's entry (analytics_compute.c): analysis `name` (rfm, abc, clv,
 * churn, segments, baskets, lifecycle, profitability, cohorts, survival) over
 * the principal's data up to o->as_of (which must be set), answered from the
 * cache when the data have not changed since it was computed with the same
 * params (the canonical query string). *cached says which. KH_ENOTFOUND for an
 * unknown name. */
enum kh_err kh_an_answer(struct kh_ctx *ctx, const char *name, const struct kh_an_opts *o, enum kh_an_by by,
			 const char *params, struct kh_jw *w, int *cached);
/* The cache in front of any answer: fn(ctx, arg, w) runs only when the cache
 * has no answer for (what, params, the principal's view of the data) computed
 * from the current data version. */
enum kh_err kh_an_cached(struct kh_ctx *ctx, const char *what, const char *params,
			 enum kh_err (*fn)(struct kh_ctx *, const void *, struct kh_jw *), const void *arg, struct kh_jw *w,
			 int *cached);
/* 1 if name is an analysis kh_an_answer knows. */
int kh_an_known(const char *name);

/* The name of churn feature j ("recency", ..., "complaints"), for reasons. */
const char *kh_an_churn_feature(int j);

/* Writes customer c's id (number or string) as a JSON value. */
void kh_an_write_customer(const struct kh_an_data *d, size_t c, struct kh_jw *w);
/* The day resolved from the options: as_of, or the data's last day. */
int32_t kh_an_as_of(const struct kh_an_data *d, const struct kh_an_opts *o);

#endif
