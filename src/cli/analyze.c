/* kehu analyze ANALYSIS [--db PATH | --csv FILE] [options] [--json]
 * kehu analyze pls --model ecsi|acsi|FILE --csv answers.csv [--json]
 * kehu analyze --all --db PATH
 *
 * Runs one customer analysis over the database (what an administrator sees)
 * or over any transaction CSV, and prints a table or, with --json, the same
 * JSON the API answers (the shapes of rfm and clv are a contract: see
 * docs/API.md). --all refreshes the stored per-customer scores that the
 * customer's page shows, as the nightly job does. Progress goes to stderr
 * when it is a terminal. Exit status: 0 done, 1 the analysis could not run
 * (the reason on stderr), 2 bad usage. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analytics/pls.h"
#include "analytics/summary.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "domain/analytics.h"
#include "domain/analytics_scores.h"
#include "util/clock.h"

int kh_cmd_analyze(int argc, char **argv);

typedef enum kh_err (*analysis_fn)(const struct kh_an_data *, const struct kh_an_opts *, struct kh_an_out *,
				   struct kh_errinfo *);

#define WRAP(name)                                                                                               \
	static enum kh_err run_##name(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out, \
				      struct kh_errinfo *ei)                                                     \
	{                                                                                                        \
		return kh_an_##name(d, o, out, NULL, ei);                                                        \
	}
WRAP(rfm)
WRAP(abc)
WRAP(clv)
WRAP(churn)
WRAP(segments)
WRAP(lifecycle)
WRAP(profitability)

static void print_rfm(json_t *j);
static void print_abc(json_t *j);
static void print_clv(json_t *j);
static void print_churn(json_t *j);
static void print_segments(json_t *j);
static void print_baskets(json_t *j);
static void print_lifecycle(json_t *j);
static void print_profitability(json_t *j);
static void print_cohorts(json_t *j);
static void print_survival(json_t *j);

static const struct analysis {
	const char *name;
	analysis_fn run;
	void (*print)(json_t *);
	const char *help;
} analyses[] = {
	{"rfm", run_rfm, print_rfm, "recency, frequency, monetary scores and the 11 segments"},
	{"abc", run_abc, print_abc, "ABC / 80-20 classes by revenue (or --by-profit) and the Pareto curve"},
	{"clv", run_clv, print_clv, "BG/NBD, Pareto/NBD and Gamma-Gamma fits; P(alive), expected purchases, CLV"},
	{"churn", run_churn, print_churn, "churn risk by logistic regression with a time split; AUC, calibration, reasons"},
	{"segments", run_segments, print_segments, "k-means segments (k by silhouette unless --k) with profiles"},
	{"baskets", kh_an_baskets, print_baskets, "association rules (FP-growth); --product: also bought"},
	{"lifecycle", run_lifecycle, print_lifecycle, "lifecycle stage of each customer and the flows by month"},
	{"profitability", run_profitability, print_profitability, "profit per customer; breadth, length, depth"},
	{"cohorts", kh_an_cohorts, print_cohorts, "retention and repurchase by acquisition month"},
	{"survival", kh_an_survival, print_survival, "Kaplan-Meier curve of customer tenure"},
};
#define NANALYSES ((int)(sizeof analyses / sizeof analyses[0]))

/* ---- progress on stderr ---- */

struct bar {
	int tty;
	const char *what;
	int64_t started, last;
};

static void draw(void *cls, size_t done, size_t total)
{
	struct bar *b = cls;
	if (!b->tty)
		return;
	int64_t now = kh_now();
	if (now - b->last < 100000 && done < total)
		return;
	b->last = now;
	double frac = total ? (double)done / (double)total : 0;
	if (frac > 1)
		frac = 1;
	char bar[31];
	int fill = (int)(30 * frac);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(30 - fill));
	bar[30] = '\0';
	fprintf(stderr, "\r%-14s [%s] %3d%% %.1f s ", b->what, bar, (int)(100 * frac), (double)(now - b->started) / 1e6);
	fflush(stderr);
}

static void stage(void *cls, const char *name, int step, int steps)
{
	struct bar *b = cls;
	b->what = name;
	b->last = 0;
	draw(b, (size_t)step, (size_t)steps);
}

static void bar_done(struct bar *b)
{
	if (b->tty)
		fprintf(stderr, "\r%60s\r", "");
}

/* ---- option values ---- */

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int bad(const char *fmt, const char *a)
{
	fprintf(stderr, "kehu analyze: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, " (see kehu analyze --help)\n");
	return 2;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kehu analyze ANALYSIS [--db PATH | --csv FILE] [options] [--json]\n"
		   "       kehu analyze pls --model ecsi|acsi|FILE --csv answers.csv [--json]\n"
		   "       kehu analyze --all --db PATH [--by contact|account] [--as-of DATE]\n\nanalyses:\n");
	for (int i = 0; i < NANALYSES; i++)
		fprintf(f, "  %-14s %s\n", analyses[i].name, analyses[i].help);
	fprintf(f, "  %-14s %s\n", "pls", "ACSI / ECSI / your own path model by PLS from survey answers");
	fprintf(f, "\n'kehu analyze ANALYSIS --help' lists the options.\n");
}

/* ---- the pls subcommand ---- */

static int cmd_pls(int argc, char **argv)
{
	const char *model = "ecsi", *csv = NULL, *scheme = "path", *delim = NULL, *scale = "1-10";
	long boot = 0, seed = 1;
	int json = 0;
	const struct kh_opt opts[] = {
		{"--model", KH_OPT_STRING, &model, NULL, "ecsi|acsi|FILE", "the path model: built in, or a lavaan-style file"},
		{"--csv", KH_OPT_STRING, &csv, NULL, "FILE", "the answers: one column per item, named as in the model", .required = 1},
		{"--scheme", KH_OPT_STRING, &scheme, NULL, "path|centroid|factorial", "the inner weighting scheme (path)"},
		{"--bootstrap", KH_OPT_INT, &boot, NULL, "N", "bootstrap resamples for standard errors (0)", .min = 0, .max = 100000},
		{"--seed", KH_OPT_INT, &seed, NULL, "N", "seed of the bootstrap (1)", .min = 1, .max = 1L << 30},
		{"--scale", KH_OPT_STRING, &scale, NULL, "MIN-MAX", "the answer scale, for the 0-100 index (1-10)"},
		{"--delimiter", KH_OPT_STRING, &delim, NULL, "CHAR", "CSV delimiter (default: detected)"},
		{"--json", KH_OPT_FLAG, &json, NULL, NULL, "print JSON"},
		{0},
	};
	kh_opts_parse("analyze pls", "--model ecsi|acsi|FILE --csv FILE [options]", opts, argc, argv);
	struct kh_pls_opts po;
	kh_pls_opts_init(&po);
	po.scheme = !strcmp(scheme, "centroid") ? KH_PLS_CENTROID : !strcmp(scheme, "factorial") ? KH_PLS_FACTORIAL
											 : KH_PLS_PATH_WEIGHTING;
	if (strcmp(scheme, "path") && po.scheme == KH_PLS_PATH_WEIGHTING)
		return bad("--scheme is path, centroid or factorial, not '%s'", scheme);
	if (sscanf(scale, "%lf-%lf", &po.scale_min, &po.scale_max) != 2 || !(po.scale_max > po.scale_min))
		return bad("--scale is MIN-MAX, e.g. 1-10, not '%s'", scale);
	po.n_boot = (size_t)boot;
	po.seed = (uint64_t)seed;
	struct kh_pls_model parsed = {0};
	const struct kh_pls_model *m = kh_pls_model_builtin(model);
	if (!m) {
		FILE *mf = fopen(model, "rb");
		if (!mf) {
			fprintf(stderr, "kehu analyze: --model is ecsi, acsi or a model file; cannot read %s\n", model);
			return 2;
		}
		char text[1 << 16], err[256];
		size_t len = fread(text, 1, sizeof text, mf);
		fclose(mf);
		if (kh_pls_model_parse(text, len, &parsed, err, sizeof err)) {
			fprintf(stderr, "kehu analyze: %s: %s\n", model, err);
			return 1;
		}
		m = &parsed;
	}
	FILE *f = fopen(csv, "rb");
	if (!f) {
		kh_pls_model_release(&parsed);
		fprintf(stderr, "kehu analyze: cannot read %s\n", csv);
		return 1;
	}
	struct kh_an_table tb;
	char msg[512];
	enum kh_err err = kh_an_load_table(f, delim ? delim[0] : 0, &tb, msg, sizeof msg);
	fclose(f);
	if (err) {
		kh_pls_model_release(&parsed);
		fprintf(stderr, "kehu analyze: %s: %s\n", csv, msg);
		return 1;
	}
	struct kh_arena arena;
	struct kh_errinfo ei;
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	struct kh_buf b = KH_BUF_INIT;
	struct kh_jw w;
	kh_jw_init(&w, &b);
	err = kh_an_pls(m, m == &parsed ? "custom" : model, (const char *const *)tb.names, tb.ncol, tb.x, tb.nrow, &po,
			&w, &ei);
	int rc = 0;
	if (err) {
		fprintf(stderr, "kehu analyze: %s\n", ei.msg ? ei.msg : kh_strerror(err));
		rc = 1;
	} else if (json) {
		fwrite(b.data, 1, b.len, stdout);
		fputc('\n', stdout);
	} else {
		json_t *j = json_loadb(b.data, b.len, 0, NULL);
		printf("PLS path model %s, %s scheme, %lld respondents (%lld dropped), %lld iterations\n\n",
		       json_string_value(json_object_get(j, "model")), json_string_value(json_object_get(j, "scheme")),
		       json_integer_value(json_object_get(j, "respondents")),
		       json_integer_value(json_object_get(j, "dropped")),
		       json_integer_value(json_object_get(j, "iterations")));
		printf("%-16s %8s %8s %8s %8s %8s\n", "latent", "R2", "AVE", "rho", "alpha", "index");
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(j, "latent"), i, v)
			printf("%-16s %8.4f %8.4f %8.4f %8.4f %8.1f\n", json_string_value(json_object_get(v, "name")),
			       json_number_value(json_object_get(v, "r2")), json_number_value(json_object_get(v, "ave")),
			       json_number_value(json_object_get(v, "composite_reliability")),
			       json_number_value(json_object_get(v, "alpha")), json_number_value(json_object_get(v, "index")));
		printf("\n%-16s %-16s %8s %8s\n", "from", "to", "coef", "se");
		json_array_foreach(json_object_get(j, "paths"), i, v)
			printf("%-16s %-16s %8.4f %8.4f\n", json_string_value(json_object_get(v, "from")),
			       json_string_value(json_object_get(v, "to")), json_number_value(json_object_get(v, "coef")),
			       json_number_value(json_object_get(v, "se")));
		json_decref(j);
	}
	kh_buf_release(&b);
	kh_arena_release(&arena);
	kh_an_table_release(&tb);
	kh_pls_model_release(&parsed);
	return rc;
}

/* ---- --all: the stored scores ---- */

static int cmd_all(int argc, char **argv)
{
	const char *db_path = NULL, *by = "contact", *as_of = NULL;
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &db_path, "KEHU_DB", "PATH", "the database", .required = 1},
		{"--by", KH_OPT_STRING, &by, NULL, "contact|account", "who the customer is (contact)"},
		{"--as-of", KH_OPT_STRING, &as_of, NULL, "DATE", "score as of this day (today)"},
		{0},
	};
	kh_opts_parse("analyze --all", "--db PATH [--by contact|account] [--as-of DATE]", opts, argc, argv);
	int32_t day = (int32_t)(kh_now() / 86400000000LL);
	if (as_of && kh_an_parse_day(as_of, strlen(as_of), &day))
		return bad("--as-of is a date YYYY-MM-DD, not '%s'", as_of);
	if (strcmp(by, "contact") && strcmp(by, "account"))
		return bad("--by is contact or account, not '%s'", by);
	struct kh_db *db = kh_cli_open_db("analyze", db_path, 0);
	if (!db)
		return 1;
	struct kh_arena arena;
	struct kh_errinfo ei;
	struct kh_principal who = {.user_id = 0, .username = "analyze", .role = "admin", .is_admin = 1};
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	struct kh_ctx ctx = {.db = db, .who = &who, .arena = &arena, .ei = &ei};
	struct bar b = {.tty = isatty(2), .what = "loading", .started = kh_now()};
	struct kh_an_refresh res;
	enum kh_err err = kh_an_refresh_scores(&ctx, !strcmp(by, "account") ? KH_AN_ACCOUNT : KH_AN_CONTACT, day, stage,
					       draw, &b, &res);
	bar_done(&b);
	int rc = 0;
	if (err) {
		fprintf(stderr, "kehu analyze: %s\n", ei.msg ? ei.msg : kh_strerror(err));
		rc = 1;
	} else {
		char d[11];
		kh_date_format(day, d);
		printf("Scored %zu %ss as of %s in %.1f s (%s)\n", res.customers, by, d,
		       (double)(kh_now() - b.started) / 1e6, res.skipped[0] ? res.skipped : "every analysis ran");
	}
	kh_arena_release(&arena);
	kh_db_close(db);
	return rc;
}

/* ---- one analysis ---- */

int kh_cmd_analyze(int argc, char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (!strcmp(argv[0], "--all"))
		return cmd_all(argc - 1, argv + 1);
	if (!strcmp(argv[0], "pls"))
		return cmd_pls(argc - 1, argv + 1);
	const struct analysis *an = NULL;
	for (int i = 0; i < NANALYSES; i++)
		if (!strcmp(argv[0], analyses[i].name))
			an = &analyses[i];
	if (!an) {
		fprintf(stderr, "kehu analyze: unknown analysis '%s'\n", argv[0]);
		usage(stderr);
		return 2;
	}
	const char *db_path = NULL, *csv = NULL, *cust = "customer_id", *date = "date", *amount = "amount",
		   *cost = NULL, *delim = NULL, *as_of = NULL, *cal = NULL,
		   *unit = "week", *discount = "0.01", *margin = "1", *model = "bgnbd", *min_support = "0.005",
		   *min_conf = "0.1", *by = "contact", *product_id = NULL, *customer_id = NULL, *case_cost = "50", *lambda = "1";
	long horizon = 12, churn_days = 90, k = 0, max_len = 3, limit = -1, months = 12;
	int json = 0, by_profit = 0;
	/* Column defaults differ from "not given": an order or product column
	 * that a CSV does not have is simply not used unless asked for. */
	const char *order_col = NULL, *product_col = NULL;
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &db_path, "KEHU_DB", "PATH", "analyse the database"},
		{"--csv", KH_OPT_STRING, &csv, NULL, "FILE", "analyse a transaction CSV instead"},
		{"--customer-col", KH_OPT_STRING, &cust, NULL, "NAME", "CSV: customer column (customer_id)"},
		{"--date-col", KH_OPT_STRING, &date, NULL, "NAME", "CSV: date column, YYYY-MM-DD (date)"},
		{"--amount-col", KH_OPT_STRING, &amount, NULL, "NAME|A*B", "CSV: amount column, or a product of two (amount)"},
		{"--order-col", KH_OPT_STRING, &order_col, NULL, "NAME", "CSV: order id column (order_id, if present)"},
		{"--product-col", KH_OPT_STRING, &product_col, NULL, "NAME", "CSV: product column (product_id, if present)"},
		{"--cost-col", KH_OPT_STRING, &cost, NULL, "NAME|A*B", "CSV: cost of goods of the line (none)"},
		{"--delimiter", KH_OPT_STRING, &delim, NULL, "CHAR", "CSV delimiter: , ; or tab (detected)"},
		{"--by", KH_OPT_STRING, &by, NULL, "contact|account", "database: who the customer is (contact)"},
		{"--as-of", KH_OPT_STRING, &as_of, NULL, "DATE", "the day of the analysis (database: today; CSV: its last date)"},
		{"--calibration-end", KH_OPT_STRING, &cal, NULL, "DATE", "clv: fit on purchases up to this day (the as-of date)"},
		{"--unit", KH_OPT_STRING, &unit, NULL, "day|week|month", "clv: time unit of the models (week)"},
		{"--horizon", KH_OPT_INT, &horizon, NULL, "MONTHS", "clv: months of future value (12)", .min = 1, .max = 1200},
		{"--discount", KH_OPT_STRING, &discount, NULL, "RATE", "clv: monthly discount rate (0.01)"},
		{"--margin", KH_OPT_STRING, &margin, NULL, "SHARE", "clv: profit margin applied to spend (1)"},
		{"--model", KH_OPT_STRING, &model, NULL, "bgnbd|pareto_nbd", "clv: purchase model of the customer figures (bgnbd)"},
		{"--churn-days", KH_OPT_INT, &churn_days, NULL, "DAYS", "churn: no purchase for this long is churn (90)", .min = 7, .max = 3650},
		{"--lambda", KH_OPT_STRING, &lambda, NULL, "L", "churn: L2 penalty (1)"},
		{"--k", KH_OPT_INT, &k, NULL, "K", "segments: number of segments (chosen by silhouette)", .min = 1, .max = 64},
		{"--min-support", KH_OPT_STRING, &min_support, NULL, "S", "baskets: minimum support (0.005)"},
		{"--min-confidence", KH_OPT_STRING, &min_conf, NULL, "C", "baskets: minimum confidence (0.1)"},
		{"--max-len", KH_OPT_INT, &max_len, NULL, "N", "baskets: largest itemset (3)", .min = 2, .max = 10},
		{"--product", KH_OPT_STRING, &product_id, NULL, "ID", "baskets: what customers who bought it also bought"},
		{"--customer", KH_OPT_STRING, &customer_id, NULL, "ID", "baskets: what the rules recommend to this customer"},
		{"--months", KH_OPT_INT, &months, NULL, "N", "lifecycle and cohorts: months shown (12)", .min = 1, .max = 120},
		{"--by-profit", KH_OPT_FLAG, &by_profit, NULL, NULL, "abc: classify by profit instead of revenue"},
		{"--case-cost", KH_OPT_STRING, &case_cost, NULL, "YUAN", "profitability: service cost of one case (50)"},
		{"--limit", KH_OPT_INT, &limit, NULL, "N", "customers listed (all with --json, 10 in tables)", .min = 0, .max = 1L << 40},
		{"--json", KH_OPT_FLAG, &json, NULL, NULL, "print JSON"},
		{0},
	};
	char cmd[64];
	snprintf(cmd, sizeof cmd, "analyze %s", an->name);
	kh_opts_parse(cmd, "[--db PATH | --csv FILE] [options] [--json]", opts, argc - 1, argv + 1);
	if (!!db_path == !!csv)
		return bad("give either --db PATH or --csv FILE%s", "");
	struct kh_an_opts o;
	kh_an_opts_init(&o);
	if (as_of && kh_an_parse_day(as_of, strlen(as_of), &o.as_of))
		return bad("--as-of is a date YYYY-MM-DD, not '%s'", as_of);
	if (cal && kh_an_parse_day(cal, strlen(cal), &o.calibration_end))
		return bad("--calibration-end is a date YYYY-MM-DD, not '%s'", cal);
	o.unit = !strcmp(unit, "day") ? KH_DAYS_PER_DAY : !strcmp(unit, "week") ? KH_DAYS_PER_WEEK
						     : !strcmp(unit, "month")	? KH_DAYS_PER_MONTH
										: 0;
	if (!o.unit)
		return bad("--unit is day, week or month, not '%s'", unit);
	o.months = (int)horizon;
	if (parse_double(discount, 0, 1, &o.discount))
		return bad("--discount is a monthly rate from 0 to 1, not '%s'", discount);
	if (parse_double(margin, -10, 10, &o.margin))
		return bad("--margin is a share like 0.3, not '%s'", margin);
	if (strcmp(model, "bgnbd") && strcmp(model, "pareto_nbd"))
		return bad("--model is bgnbd or pareto_nbd, not '%s'", model);
	o.model_pnbd = !strcmp(model, "pareto_nbd");
	o.churn_days = (int)churn_days;
	if (parse_double(lambda, 0, 1e9, &o.lambda))
		return bad("--lambda is a penalty >= 0, not '%s'", lambda);
	o.k = (int)k;
	if (parse_double(min_support, 1e-9, 1, &o.min_support))
		return bad("--min-support is in (0, 1], not '%s'", min_support);
	if (parse_double(min_conf, 0, 1, &o.min_confidence))
		return bad("--min-confidence is in [0, 1], not '%s'", min_conf);
	o.max_len = (int)max_len;
	o.flow_months = (int)months;
	o.abc_profit = by_profit;
	if (parse_double(case_cost, 0, 1e9, &o.case_cost))
		return bad("--case-cost is an amount >= 0, not '%s'", case_cost);
	if (strcmp(by, "contact") && strcmp(by, "account"))
		return bad("--by is contact or account, not '%s'", by);
	if (customer_id) {
		if (csv) {
			o.customer_key = customer_id;
		} else {
			char *end;
			o.customer = strtoll(customer_id, &end, 10);
			if (*end || o.customer < 1)
				return bad("--customer is a contact id (an account id with --by account), not '%s'", customer_id);
		}
	}
	if (product_id) {
		if (csv) {
			o.product_key = product_id;
		} else {
			char *end;
			o.product = strtoll(product_id, &end, 10);
			if (*end || o.product < 1)
				return bad("--product is a product id, not '%s'", product_id);
		}
	}
	o.limit = limit >= 0 ? (size_t)limit : json ? SIZE_MAX : 10;
	if (!json)
		o.sort = "rank"; /* tables show the top of each list */

	struct bar b = {.tty = isatty(2), .what = "loading", .started = kh_now()};
	struct kh_an_data d;
	struct kh_arena arena;
	struct kh_errinfo ei;
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	enum kh_err err;
	if (csv) {
		FILE *f = fopen(csv, "rb");
		struct stat st;
		if (!f || fstat(fileno(f), &st)) {
			if (f)
				fclose(f);
			fprintf(stderr, "kehu analyze: cannot read %s\n", csv);
			kh_arena_release(&arena);
			return 1;
		}
		/* An order or product column is used when named, or when the
		 * default name is in the file. */
		struct kh_an_csv_cols cols = {cust, date, amount, order_col ? order_col : "order_id",
					      product_col ? product_col : "product_id", cost, delim ? delim[0] : 0,
					      !order_col, !product_col};
		if (delim && !strcmp(delim, "tab"))
			cols.delim = '\t';
		char msg[512];
		err = kh_an_load_csv(f, &cols, &d, draw, &b, (size_t)st.st_size, msg, sizeof msg);
		fclose(f);
		if (err) {
			bar_done(&b);
			fprintf(stderr, "kehu analyze: %s: %s\n", csv, msg);
			kh_arena_release(&arena);
			return 1;
		}
	} else {
		struct kh_db *db = kh_cli_open_db("analyze", db_path, 0);
		if (!db) {
			kh_arena_release(&arena);
			return 1;
		}
		struct kh_principal who = {.user_id = 0, .username = "analyze", .role = "admin", .is_admin = 1};
		struct kh_ctx ctx = {.db = db, .who = &who, .arena = &arena, .ei = &ei};
		err = kh_an_load_db(&ctx, !strcmp(by, "account") ? KH_AN_ACCOUNT : KH_AN_CONTACT, INT32_MAX, &d, draw, &b);
		kh_db_close(db);
		if (err) {
			bar_done(&b);
			fprintf(stderr, "kehu analyze: %s\n", ei.msg ? ei.msg : kh_strerror(err));
			kh_arena_release(&arena);
			return 1;
		}
		if (!as_of)
			o.as_of = (int32_t)(kh_now() / 86400000000LL);
	}
	stage(&b, an->name, 0, 1);
	struct kh_buf buf = KH_BUF_INIT;
	struct kh_jw w;
	kh_jw_init(&w, &buf);
	struct kh_an_out out = {&w, json ? stdout : NULL};
	err = d.n ? an->run(&d, &o, &out, &ei) : kh_errinfo_set(&ei, KH_EINVAL, "there are no purchases to analyse");
	bar_done(&b);
	int rc = 0;
	if (err || buf.err) {
		fprintf(stderr, "kehu analyze: %s\n", ei.msg ? ei.msg : kh_strerror(err ? err : buf.err));
		rc = 1;
	} else if (json) {
		kh_an_flush(&out, 1);
		fputc('\n', stdout);
	} else {
		json_t *j = json_loadb(buf.data, buf.len, 0, NULL);
		if (csv && d.skipped)
			printf("(%zu rows of %s were skipped: no customer, or a date or amount that could not be read)\n",
			       d.skipped, csv);
		if (j) {
			an->print(j);
		} else {
			fprintf(stderr, "kehu analyze: internal error: the result is not JSON\n");
			rc = 1;
		}
		json_decref(j);
	}
	fflush(stdout);
	kh_buf_release(&buf);
	kh_an_data_release(&d);
	kh_arena_release(&arena);
	return rc;
}

/* ---- tables ---- */

#define NUM(o, k) json_number_value(json_object_get(o, k))
#define INT(o, k) ((long long)json_integer_value(json_object_get(o, k)))
#define STR(o, k) (json_string_value(json_object_get(o, k)) ? json_string_value(json_object_get(o, k)) : "")

/* The customer id as text, whatever its JSON type. */
static const char *cust_text(json_t *c, char *buf, size_t n)
{
	json_t *id = json_object_get(c, "customer_id");
	if (json_is_integer(id))
		snprintf(buf, n, "%lld", (long long)json_integer_value(id));
	else
		snprintf(buf, n, "%s", json_string_value(id) ? json_string_value(id) : "");
	return buf;
}

static void print_rfm(json_t *j)
{
	printf("RFM as of %s: %lld customers scored\n\n%-20s %10s %16s\n", STR(j, "as_of"), INT(j, "scored"), "segment",
	       "customers", "revenue");
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(j, "segments"), i, s)
		printf("%-20s %10lld %16.2f\n", STR(s, "name"), INT(s, "customers"), NUM(s, "revenue"));
	printf("\ntop customers by revenue:\n%-14s %8s %6s %12s  %s\n", "customer", "recency", "orders", "monetary",
	       "R F M  segment");
	json_array_foreach(json_object_get(j, "customers"), i, s) {
		char id[64];
		printf("%-14s %8.0f %6.0f %12.2f  %lld %lld %lld  %s\n", cust_text(s, id, sizeof id), NUM(s, "recency"),
		       NUM(s, "frequency"), NUM(s, "monetary"), INT(s, "r"), INT(s, "f"), INT(s, "m"), STR(s, "segment"));
	}
}

static void print_abc(json_t *j)
{
	printf("ABC by %s as of %s: the top 20%% of customers hold %.1f%%; %.1f%% of customers make 80%%\n\n",
	       STR(j, "by"), STR(j, "as_of"), 100 * NUM(j, "top20_share"), 100 * NUM(j, "customers_for_80"));
	size_t i;
	json_t *c;
	printf("%-6s %10s %16s %8s\n", "class", "customers", "value", "share");
	json_array_foreach(json_object_get(j, "classes"), i, c)
		printf("%-6s %10lld %16.2f %7.1f%%\n", STR(c, "class"), INT(c, "customers"), NUM(c, "value"),
		       100 * NUM(c, "share"));
}

static void print_model(json_t *m, const char *title, const char *const *names, int np)
{
	if (!json_is_object(m)) {
		printf("%-12s could not be fitted\n", title);
		return;
	}
	printf("%-12s", title);
	json_t *se = json_object_get(m, "se");
	for (int i = 0; i < np; i++)
		printf(" %s=%.4f (%.4f)", names[i], NUM(m, names[i]), NUM(se, names[i]));
	printf("  LL=%.2f\n", NUM(m, "loglik"));
}

static void print_clv(json_t *j)
{
	static const char *const bg[] = {"r", "alpha", "a", "b"}, *const pn[] = {"r", "alpha", "s", "beta"},
			  *const gg[] = {"p", "q", "gamma"};
	printf("CLV over %lld months, unit %s, calibration to %s, %lld customers\n\n", INT(j, "horizon_months"),
	       STR(j, "unit"), STR(j, "calibration_end"), INT(j, "customers_fitted"));
	print_model(json_object_get(j, "bgnbd"), "BG/NBD", bg, 4);
	print_model(json_object_get(j, "pareto_nbd"), "Pareto/NBD", pn, 4);
	print_model(json_object_get(j, "gamma_gamma"), "Gamma-Gamma", gg, 3);
	json_t *h = json_object_get(j, "holdout");
	if (h)
		printf("\nholdout (%.1f units): %.0f purchases; BG/NBD predicted %.0f, Pareto/NBD %.0f\n", NUM(h, "length"),
		       NUM(h, "actual_purchases"), NUM(h, "bgnbd_purchases"), NUM(h, "pareto_nbd_purchases"));
	printf("\ntotal CLV %.2f, customers expected alive %.0f\n\ntop customers:\n%-14s %5s %8s %8s %8s %10s %10s %12s\n",
	       NUM(j, "total_clv"), NUM(j, "expected_alive"), "customer", "x", "t_x", "T", "P(alive)", "purchases", "spend",
	       "CLV");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(j, "customers"), i, c) {
		char id[64];
		printf("%-14s %5lld %8.2f %8.2f %8.3f %10.3f %10.2f %12.2f\n", cust_text(c, id, sizeof id),
		       INT(c, "frequency"), NUM(c, "recency"), NUM(c, "T"), NUM(c, "p_alive"), NUM(c, "expected_purchases"),
		       NUM(c, "expected_spend"), NUM(c, "clv"));
	}
}

static void print_churn(json_t *j)
{
	json_t *m = json_object_get(j, "model"), *r = json_object_get(j, "risk");
	printf("Churn within %lld days as of %s: trained on %lld customers (%.1f%% churned)\n", INT(j, "horizon_days"),
	       STR(j, "as_of"), INT(j, "training_customers"), 100 * NUM(j, "training_churn_rate"));
	printf("AUC out of time %.3f (in sample %.3f); %lld scored: %lld high, %lld medium, %lld low risk\n\n",
	       NUM(m, "auc"), NUM(m, "auc_in_sample"), INT(r, "customers"), INT(r, "high"), INT(r, "medium"),
	       INT(r, "low"));
	size_t i;
	json_t *c;
	printf("%-16s %12s %12s\n", "feature", "coef", "standardized");
	json_array_foreach(json_object_get(m, "coefficients"), i, c)
		printf("%-16s %12.5f %12.4f\n", STR(c, "feature"), NUM(c, "coef"), NUM(c, "standardized"));
	printf("\nhighest risk:\n%-14s %8s  %s\n", "customer", "P(churn)", "reasons");
	json_array_foreach(json_object_get(j, "customers"), i, c) {
		char id[64];
		printf("%-14s %8.3f ", cust_text(c, id, sizeof id), NUM(c, "churn_probability"));
		size_t k;
		json_t *why;
		json_array_foreach(json_object_get(c, "reasons"), k, why)
			printf(" %s %s", STR(why, "feature"), STR(why, "direction"));
		putchar('\n');
	}
}

static void print_segments(json_t *j)
{
	printf("%lld segments, silhouette %.3f\n\n%-8s %10s %8s %10s %10s %12s %10s  %s\n", INT(j, "k"),
	       NUM(j, "silhouette"), "segment", "customers", "share", "recency", "orders", "monetary", "tenure", "traits");
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(j, "segments"), i, s) {
		printf("%-8lld %10lld %7.1f%% %10.0f %10.2f %12.2f %10.0f ", INT(s, "segment"), INT(s, "customers"),
		       100 * NUM(s, "share"), NUM(s, "recency"), NUM(s, "frequency"), NUM(s, "monetary"), NUM(s, "tenure"));
		size_t k;
		json_t *t;
		json_array_foreach(json_object_get(s, "traits"), k, t)
			printf(" %s", json_string_value(t));
		putchar('\n');
	}
}

static void print_items(json_t *arr)
{
	size_t k;
	json_t *p;
	json_array_foreach(arr, k, p)
		printf("%s%s", k ? " + " : "", STR(p, "name"));
}

static void print_baskets(json_t *j)
{
	printf("%lld baskets, %lld frequent itemsets, %lld rules (support >= %g, confidence >= %g)\n\n",
	       INT(j, "baskets"), INT(j, "itemsets"), INT(j, "rule_count"), NUM(j, "min_support"),
	       NUM(j, "min_confidence"));
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(j, "rules"), i, r) {
		print_items(json_object_get(r, "antecedent"));
		printf(" -> %s   support %.4f confidence %.3f lift %.2f\n", STR(json_object_get(r, "consequent"), "name"),
		       NUM(r, "support"), NUM(r, "confidence"), NUM(r, "lift"));
	}
	json_t *a = json_object_get(j, "also_bought");
	if (json_is_object(a)) {
		printf("\ncustomers who bought %s also bought:\n", STR(json_object_get(a, "product"), "name"));
		json_array_foreach(json_object_get(a, "items"), i, r)
			printf("  %-40s %6lld baskets  confidence %.3f  lift %.2f\n",
			       STR(json_object_get(r, "product"), "name"), INT(r, "together"), NUM(r, "confidence"),
			       NUM(r, "lift"));
	} else if (a) {
		printf("\nthat product is in no basket\n");
	}
	json_t *rec = json_object_get(j, "recommended");
	if (json_is_object(rec)) {
		printf("\nfor this customer (%lld products bought):\n", INT(rec, "products_bought"));
		json_array_foreach(json_object_get(rec, "items"), i, r) {
			printf("  %-40s confidence %.3f  lift %.2f  because of ", STR(json_object_get(r, "product"), "name"),
			       NUM(r, "confidence"), NUM(r, "lift"));
			print_items(json_object_get(r, "because"));
			printf("\n");
		}
	} else if (rec) {
		printf("\nthat customer bought nothing\n");
	}
}

static void print_lifecycle(json_t *j)
{
	printf("Lifecycle as of %s\n\n", STR(j, "as_of"));
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(j, "stages"), i, s)
		printf("%-10s %10lld\n", STR(s, "stage"), INT(s, "customers"));
	json_t *t = json_object_get(j, "transition");
	printf("\nfrom %s to %s:\n", STR(t, "from"), STR(t, "to"));
	json_array_foreach(json_object_get(t, "flows"), i, s)
		printf("  %-10s -> %-10s %10lld\n", STR(s, "from"), STR(s, "to"), INT(s, "customers"));
}

static void print_profitability(json_t *j)
{
	json_t *t = json_object_get(j, "totals"), *r = json_object_get(j, "relationship");
	printf("Profitability as of %s: %lld customers, %lld unprofitable\n", STR(j, "as_of"), INT(t, "customers"),
	       INT(t, "unprofitable"));
	printf("revenue %.2f - cost of goods %.2f - service %.2f = profit %.2f\n", NUM(t, "revenue"), NUM(t, "cogs"),
	       NUM(t, "service"), NUM(t, "profit"));
	printf("breadth: %.2f products", NUM(r, "products_mean"));
	if (json_is_number(json_object_get(r, "categories_mean")))
		printf(" in %.2f categories", NUM(r, "categories_mean"));
	printf(" per customer; length: %.0f days; depth: %.2f purchases a year, %.2f a purchase\n\n",
	       NUM(r, "tenure_days_mean"), NUM(r, "purchases_per_year_mean"), NUM(r, "spend_per_purchase_mean"));
	size_t i;
	json_t *c;
	printf("%-14s %12s %12s %10s %12s %8s\n", "customer", "revenue", "cogs", "service", "profit", "products");
	json_array_foreach(json_object_get(j, "customers"), i, c) {
		char id[64];
		printf("%-14s %12.2f %12.2f %10.2f %12.2f %8lld\n", cust_text(c, id, sizeof id), NUM(c, "revenue"),
		       NUM(c, "cogs"), NUM(c, "service"), NUM(c, "profit"), INT(c, "products"));
	}
}

static void print_cohorts(json_t *j)
{
	printf("Cohorts as of %s: %lld customers, %.1f%% bought again\n\n%-8s %9s %8s  retention by month\n",
	       STR(j, "as_of"), INT(j, "customers"), 100 * NUM(j, "repurchase_rate"), "cohort", "customers", "repeat");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(j, "cohorts"), i, c) {
		printf("%-8s %9lld %7.1f%% ", STR(c, "month"), INT(c, "customers"), 100 * NUM(c, "repurchase_rate"));
		size_t k;
		json_t *v;
		json_array_foreach(json_object_get(c, "retention"), k, v)
			if (k < 13)
				printf(" %5.1f", 100 * json_number_value(v));
		putchar('\n');
	}
}

static void print_survival(json_t *j)
{
	json_t *s = json_object_get(j, "survival_at");
	printf("Tenure survival as of %s (churned after %lld silent days): %lld customers, %lld churned\n",
	       STR(j, "as_of"), INT(j, "churn_days"), INT(j, "customers"), INT(j, "churned"));
	if (json_is_number(json_object_get(j, "median_days")))
		printf("median tenure %.0f days; ", NUM(j, "median_days"));
	else
		printf("more than half are still customers; ");
	printf("still a customer after 90 days %.1f%%, 1 year %.1f%%, 2 years %.1f%%\n", 100 * NUM(s, "d90"),
	       100 * NUM(s, "d365"), 100 * NUM(s, "d730"));
}
