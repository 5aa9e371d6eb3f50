/* The balanced scorecard (scorecard.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/cohort.h"
#include "analytics/scorecard.h"
#include "analytics/survey_stats.h"
#include "domain/analytics.h"
#include "domain/scorecard.h"
#include "domain/surveys.h"
#include "model/permission.h"
#include "util/clock.h"

#define MAX_MONTHS 36

enum kpi_id {
	K_COMPLETE, K_SCORED, K_FIRST, K_RESOLVE, K_ACTIVITY, K_CSAT, K_NPS, K_ACSI, K_RETAIN, K_REVENUE, K_PROFIT,
	K_CLV, K_ROI, K_COUNT
};

static const struct kpi {
	const char *id, *perspective, *en, *zh, *unit, *window;
	int higher;
	double target, threshold;
} kpis[K_COUNT] = {
	{"data_completeness", "knowledge", "Data completeness", "客户资料完整率", "%", "now", 1, 90, 70},
	{"scored_share", "knowledge", "Customers with scores", "已评分客户占比", "%", "now", 1, 95, 80},
	{"first_response_hours", "interaction", "First response (median)", "首次响应时长(中位数)", "h", "90d", 0, 4, 24},
	{"resolution_hours", "interaction", "Resolution (median)", "解决时长(中位数)", "h", "90d", 0, 24, 72},
	{"activities_per_customer", "interaction", "Activities per customer", "每客户互动次数", "", "90d", 1, 1, 0.3},
	{"csat", "customer", "CSAT", "客户满意度(CSAT)", "%", "90d", 1, 85, 70},
	{"nps", "customer", "NPS", "净推荐值(NPS)", "", "90d", 1, 30, 0},
	{"acsi", "customer", "Satisfaction index (ACSI)", "满意度指数(ACSI)", "", "latest survey", 1, 75, 65},
	{"retention", "company", "Retention", "客户保持率", "%", "12m", 1, 60, 40},
	{"revenue_per_customer", "company", "Revenue per customer", "客均收入", "CNY", "12m", 1, 30000, 15000},
	{"profit_per_customer", "company", "Profit per customer", "客均利润", "CNY", "12m", 1, 12000, 5000},
	{"clv_mean", "company", "Average CLV", "平均客户终身价值", "CNY", "now", 1, 20000, 10000},
	{"campaign_roi", "company", "Campaign ROI", "营销活动投资回报率", "%", "now", 1, 200, 50},
};

static const struct {
	const char *id, *en, *zh;
} perspectives[] = {
	{"knowledge", "Customer knowledge", "客户知识"},
	{"interaction", "Customer interaction", "客户互动"},
	{"customer", "Value for the customer", "客户价值"},
	{"company", "Value for the company", "企业价值"},
};

/* The strategy map: what drives what. */
static const struct {
	enum kpi_id from, to;
} links[] = {
	{K_COMPLETE, K_ACTIVITY}, {K_SCORED, K_ACTIVITY}, {K_SCORED, K_ROI}, {K_FIRST, K_CSAT}, {K_RESOLVE, K_CSAT},
	{K_ACTIVITY, K_NPS}, {K_CSAT, K_RETAIN}, {K_NPS, K_RETAIN}, {K_ACSI, K_RETAIN}, {K_RETAIN, K_CLV},
	{K_RETAIN, K_REVENUE}, {K_REVENUE, K_PROFIT}, {K_ROI, K_REVENUE},
};

enum kh_err kh_scorecard_migrate(struct kh_db *db)
{
	char sql[512];
	snprintf(sql, sizeof sql,
		 "CREATE TABLE kh_scorecard_targets (kpi %s PRIMARY KEY, target %s NOT NULL, threshold %s NOT NULL, "
		 "updated_at %s NOT NULL, updated_by %s)",
		 db->ops->coltype(KH_COL_TEXT), db->ops->coltype(KH_COL_REAL), db->ops->coltype(KH_COL_REAL),
		 db->ops->coltype(KH_COL_TEXT), db->ops->coltype(KH_COL_INT));
	return kh_db_exec(db, sql, NULL, 0);
}

/* ---- computing ---- */

struct card {
	struct kh_ctx *ctx;
	int months;
	int32_t today, m0; /* month number of the first trend month */
	double value[K_COUNT];
	double trend[K_COUNT][MAX_MONTHS];
	double target[K_COUNT], threshold[K_COUNT];
};

static int month_slot(const struct card *c, int32_t month)
{
	int k = month - c->m0;
	return k >= 0 && k < c->months ? k : -1;
}

static int32_t day_of(struct kh_val v)
{
	int32_t d;
	return v.t == KH_V_TEXT && kh_an_parse_day(v.s, v.n, &d) == 0 ? d : INT32_MIN;
}

static double hours_between(struct kh_val a, struct kh_val b)
{
	int64_t x, y;
	if (a.t != KH_V_TEXT || b.t != KH_V_TEXT || kh_time_parse(a.s, a.n, &x) || kh_time_parse(b.s, b.n, &y))
		return NAN;
	return (double)(y - x) / 3.6e9;
}

static enum kh_err scoped(struct kh_ctx *ctx, const char *entity, const char *head, struct kh_rows **rows)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_addf(&sql, "%s WHERE archived_at IS NULL", head);
	kh_scope_sql(ctx->who, kh_entity_find(entity), KH_ACT_READ, &sql, p, &n, 8);
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, rows);
	kh_buf_release(&sql);
	return err;
}

static int present(struct kh_val v)
{
	return v.t == KH_V_TEXT && v.n > 0;
}

static enum kh_err knowledge(struct card *c)
{
	struct kh_rows *rows;
	enum kh_err err = scoped(c->ctx, "contacts", "SELECT created_at, phone, mobile, email, city FROM contacts", &rows);
	if (err)
		return err;
	double total = 0, done = 0, before = 0, before_done = 0, tn[MAX_MONTHS] = {0}, td[MAX_MONTHS] = {0};
	int rc;
	while ((rc = kh_rows_next(c->ctx->db, rows)) > 0) {
		struct kh_val v[5];
		for (int i = 0; i < 5; i++)
			v[i] = kh_rows_col(c->ctx->db, rows, i);
		int ok = (present(v[1]) || present(v[2]) || present(v[3])) && present(v[4]);
		int32_t d = day_of(v[0]);
		int k = d == INT32_MIN ? -1 : month_slot(c, kh_month_of_day(d));
		total++;
		done += ok;
		if (k >= 0) {
			tn[k]++;
			td[k] += ok;
		} else if (d != INT32_MIN && kh_month_of_day(d) < c->m0) {
			before++;
			before_done += ok;
		}
	}
	kh_rows_end(c->ctx->db, rows);
	if (rc < 0)
		return (enum kh_err)-rc;
	c->value[K_COMPLETE] = total ? 100 * done / total : NAN;
	/* The completeness of the base as it stood at each month's end. */
	for (int k = 0; k < c->months; k++) {
		before += tn[k];
		before_done += td[k];
		c->trend[K_COMPLETE][k] = before ? 100 * before_done / before : NAN;
	}
	/* Buying customers with stored scores. */
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_adds(&sql, "SELECT count(DISTINCT contact_id), count(DISTINCT CASE WHEN contact_id IN (SELECT record_id FROM "
			  "kh_customer_scores WHERE entity = 'contacts') THEN contact_id END) FROM orders WHERE "
			  "archived_at IS NULL AND status NOT IN ('draft', 'cancelled')");
	kh_scope_sql(c->ctx->who, kh_entity_find("orders"), KH_ACT_READ, &sql, p, &n, 8);
	err = sql.err ? sql.err : kh_db_query(c->ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return err;
	if ((rc = kh_rows_next(c->ctx->db, rows)) > 0) {
		double buyers = (double)kh_rows_col(c->ctx->db, rows, 0).i, scored = (double)kh_rows_col(c->ctx->db, rows, 1).i;
		c->value[K_SCORED] = buyers ? 100 * scored / buyers : NAN;
	}
	kh_rows_end(c->ctx->db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Values of one KPI by month (for medians) and in the 90-day window. */
struct series {
	double *v;
	int *slot; /* trend month, -1 outside */
	uint8_t *recent;
	size_t n, cap;
};

static int series_add(struct series *s, double v, int slot, int recent)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		double *nv = realloc(s->v, cap * sizeof(double));
		int *ns = realloc(s->slot, cap * sizeof(int));
		uint8_t *nr = realloc(s->recent, cap);
		s->v = nv ? nv : s->v;
		s->slot = ns ? ns : s->slot;
		s->recent = nr ? nr : s->recent;
		if (!nv || !ns || !nr)
			return -1;
		s->cap = cap;
	}
	s->v[s->n] = v;
	s->slot[s->n] = slot;
	s->recent[s->n++] = (uint8_t)recent;
	return 0;
}

static void series_medians(const struct card *c, struct series *s, double *value, double *trend)
{
	double *tmp = malloc((s->n ? s->n : 1) * sizeof(double));
	if (!tmp)
		return;
	size_t m = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->recent[i])
			tmp[m++] = s->v[i];
	*value = median(tmp, m);
	for (int k = 0; k < c->months; k++) {
		m = 0;
		for (size_t i = 0; i < s->n; i++)
			if (s->slot[i] == k)
				tmp[m++] = s->v[i];
		trend[k] = median(tmp, m);
	}
	free(tmp);
}

static void series_free(struct series *s)
{
	free(s->v);
	free(s->slot);
	free(s->recent);
}

static enum kh_err interaction(struct card *c)
{
	struct kh_rows *rows;
	enum kh_err err = scoped(c->ctx, "cases", "SELECT created_at, first_response_at, resolved_at, satisfaction FROM cases",
				 &rows);
	if (err)
		return err;
	struct series first = {0}, resolve = {0};
	double rated = 0, happy = 0, trated[MAX_MONTHS] = {0}, thappy[MAX_MONTHS] = {0};
	int rc;
	while (!err && (rc = kh_rows_next(c->ctx->db, rows)) > 0) {
		struct kh_val v[4];
		for (int i = 0; i < 4; i++)
			v[i] = kh_rows_col(c->ctx->db, rows, i);
		int32_t d = day_of(v[0]);
		if (d == INT32_MIN)
			continue;
		int k = month_slot(c, kh_month_of_day(d)), recent = c->today - d <= 90;
		double h1 = hours_between(v[0], v[1]), h2 = hours_between(v[0], v[2]);
		if (isfinite(h1) && h1 >= 0 && series_add(&first, h1, k, recent))
			err = KH_ENOMEM;
		if (isfinite(h2) && h2 >= 0 && series_add(&resolve, h2, k, recent))
			err = KH_ENOMEM;
		if (v[3].t == KH_V_INT) {
			int ok = v[3].i >= 4;
			if (recent) {
				rated++;
				happy += ok;
			}
			if (k >= 0) {
				trated[k]++;
				thappy[k] += ok;
			}
		}
	}
	kh_rows_end(c->ctx->db, rows);
	if (!err) {
		series_medians(c, &first, &c->value[K_FIRST], c->trend[K_FIRST]);
		series_medians(c, &resolve, &c->value[K_RESOLVE], c->trend[K_RESOLVE]);
		c->value[K_CSAT] = rated ? 100 * happy / rated : NAN;
		for (int k = 0; k < c->months; k++)
			c->trend[K_CSAT][k] = trated[k] ? 100 * thappy[k] / trated[k] : NAN;
	}
	series_free(&first);
	series_free(&resolve);
	if (err || rc < 0)
		return err ? err : (enum kh_err)-rc;
	/* Completed activities, by month and in the last 90 days. */
	double acts = 0, tacts[MAX_MONTHS] = {0};
	if ((err = scoped(c->ctx, "activities", "SELECT completed_at FROM activities", &rows)))
		return err;
	while ((rc = kh_rows_next(c->ctx->db, rows)) > 0) {
		int32_t d = day_of(kh_rows_col(c->ctx->db, rows, 0));
		if (d == INT32_MIN || d > c->today)
			continue;
		acts += c->today - d <= 90;
		int k = month_slot(c, kh_month_of_day(d));
		if (k >= 0)
			tacts[k]++;
	}
	kh_rows_end(c->ctx->db, rows);
	if (rc < 0)
		return (enum kh_err)-rc;
	for (int k = 0; k < c->months; k++)
		c->trend[K_ACTIVITY][k] = tacts[k]; /* divided by customers below */
	c->value[K_ACTIVITY] = acts;
	/* NPS of survey answers. */
	if ((err = scoped(c->ctx, "survey_responses", "SELECT submitted_at, nps FROM survey_responses", &rows)))
		return err;
	size_t cap = 1024, n = 0;
	int *ans = malloc(cap * sizeof(int));
	size_t *per = malloc(cap * sizeof(size_t));
	size_t nrecent = 0;
	int *recent = malloc(cap * sizeof(int)), nomem = !ans || !per || !recent;
	while (!nomem && (rc = kh_rows_next(c->ctx->db, rows)) > 0) {
		struct kh_val nv = kh_rows_col(c->ctx->db, rows, 1);
		int32_t d = day_of(kh_rows_col(c->ctx->db, rows, 0));
		if (nv.t != KH_V_INT || d == INT32_MIN)
			continue;
		if (n == cap) {
			cap *= 2;
			int *a2 = realloc(ans, cap * sizeof(int)), *r2 = realloc(recent, cap * sizeof(int));
			size_t *p2 = realloc(per, cap * sizeof(size_t));
			ans = a2 ? a2 : ans;
			recent = r2 ? r2 : recent;
			per = p2 ? p2 : per;
			nomem = !a2 || !r2 || !p2;
			if (nomem)
				break;
		}
		int k = month_slot(c, kh_month_of_day(d));
		ans[n] = (int)nv.i;
		per[n] = k >= 0 ? (size_t)k : (size_t)c->months; /* outside: an extra period */
		if (c->today - d <= 90)
			recent[nrecent++] = (int)nv.i;
		n++;
	}
	kh_rows_end(c->ctx->db, rows);
	if (nomem) {
		free(ans);
		free(per);
		free(recent);
		return KH_ENOMEM;
	}
	struct kh_nps now, by[MAX_MONTHS + 1];
	if (kh_nps(recent, nrecent, &now) == KH_OK)
		c->value[K_NPS] = now.score;
	if (kh_nps_by_period(ans, per, n, (size_t)c->months + 1, by) == KH_OK)
		for (int k = 0; k < c->months; k++)
			c->trend[K_NPS][k] = by[k].score;
	free(ans);
	free(per);
	free(recent);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

/* The ACSI index of the latest ACSI or ECSI survey with 30 answers or more. */
static void acsi(struct card *c)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_adds(&sql, "SELECT id FROM surveys WHERE archived_at IS NULL AND kind IN ('acsi', 'ecsi') AND (SELECT "
			  "count(*) FROM survey_responses r WHERE r.survey_id = surveys.id AND r.archived_at IS NULL) >= 30");
	kh_scope_sql(c->ctx->who, kh_entity_find("surveys"), KH_ACT_READ, &sql, p, &n, 8);
	kh_buf_adds(&sql, " ORDER BY id DESC LIMIT 1");
	int64_t id;
	if (!sql.err && kh_db_int(c->ctx->db, sql.data, p, n, &id) == KH_OK) {
		struct kh_buf out = KH_BUF_INIT;
		struct kh_jw w;
		struct kh_errinfo quiet;
		kh_jw_init(&w, &out);
		kh_errinfo_init(&quiet, c->ctx->arena);
		struct kh_ctx sub = *c->ctx;
		sub.ei = &quiet;
		if (kh_survey_satisfaction(&sub, id, "path", 0, &w) == KH_OK) {
			json_t *j = json_loadb(out.data, out.len, 0, NULL);
			json_t *ix = json_object_get(j, "satisfaction_index");
			if (json_is_number(ix))
				c->value[K_ACSI] = json_number_value(ix);
			json_decref(j);
		}
		kh_buf_release(&out);
	}
	kh_buf_release(&sql);
}

/* Retention, revenue and profit per customer over 12-month windows ending at
 * each month's end (and today), from the purchases. */
static enum kh_err company(struct card *c)
{
	struct kh_an_data d;
	enum kh_err err = kh_an_load_db(c->ctx, KH_AN_CONTACT, c->today, &d, NULL, NULL);
	if (err)
		return err;
	size_t n = d.n_cust;
	int32_t *last_before = malloc((n ? n : 1) * sizeof(int32_t));
	uint8_t *in_year = malloc(n ? n : 1);
	if (!last_before || !in_year) {
		free(last_before);
		free(in_year);
		kh_an_data_release(&d);
		return KH_ENOMEM;
	}
	for (int k = 0; k <= c->months; k++) {
		/* Window end: each trend month's last day, then today. */
		int32_t end = k < c->months ? kh_month_first_day(c->m0 + k + 1) - 1 : c->today;
		if (end > c->today)
			end = c->today;
		memset(in_year, 0, n);
		for (size_t i = 0; i < n; i++)
			last_before[i] = 0;
		double revenue = 0, cost = 0;
		for (size_t i = 0; i < d.n; i++) {
			int32_t day = d.day[i];
			if (day > end)
				continue;
			if (day > end - 365) {
				in_year[d.cust[i]] = 1;
				revenue += d.amount[i];
				cost += d.has_cogs ? d.cogs[i] : 0;
			} else if (day > end - 730) {
				last_before[d.cust[i]] = 1;
			}
		}
		double customers = 0, prior = 0, kept = 0;
		for (size_t i = 0; i < n; i++) {
			customers += in_year[i];
			prior += last_before[i] != 0;
			kept += last_before[i] && in_year[i];
		}
		double ret = prior ? 100 * kept / prior : NAN, rev = customers ? revenue / customers : NAN,
		       pro = customers ? (revenue - cost) / customers : NAN;
		if (k < c->months) {
			c->trend[K_RETAIN][k] = ret;
			c->trend[K_REVENUE][k] = rev;
			c->trend[K_PROFIT][k] = pro;
			if (customers)
				c->trend[K_ACTIVITY][k] /= customers;
			else
				c->trend[K_ACTIVITY][k] = NAN;
		} else {
			c->value[K_RETAIN] = ret;
			c->value[K_REVENUE] = rev;
			c->value[K_PROFIT] = pro;
			c->value[K_ACTIVITY] = customers ? c->value[K_ACTIVITY] / customers : NAN;
		}
	}
	free(last_before);
	free(in_year);
	kh_an_data_release(&d);
	/* Stored CLV, and campaign returns. */
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int np = 0;
	struct kh_rows *rows;
	kh_buf_adds(&sql, "SELECT avg(clv) FROM kh_customer_scores WHERE entity = 'contacts' AND clv IS NOT NULL AND record_id "
			  "IN (SELECT id FROM contacts WHERE archived_at IS NULL");
	kh_scope_sql(c->ctx->who, kh_entity_find("contacts"), KH_ACT_READ, &sql, p, &np, 8);
	kh_buf_adds(&sql, ")");
	if (!sql.err && !(err = kh_db_query(c->ctx->db, sql.data, p, np, &rows))) {
		if (kh_rows_next(c->ctx->db, rows) > 0) {
			struct kh_val v = kh_rows_col(c->ctx->db, rows, 0);
			c->value[K_CLV] = v.t == KH_V_REAL ? v.d : v.t == KH_V_INT ? (double)v.i : NAN;
		}
		kh_rows_end(c->ctx->db, rows);
	}
	kh_buf_release(&sql);
	if (err)
		return err;
	double spent = 0, won = 0;
	if (!(err = scoped(c->ctx, "campaigns", "SELECT COALESCE(sum(actual_cost), 0) FROM campaigns", &rows))) {
		if (kh_rows_next(c->ctx->db, rows) > 0)
			spent = (double)kh_rows_col(c->ctx->db, rows, 0).i / 100;
		kh_rows_end(c->ctx->db, rows);
	}
	if (!err && !(err = scoped(c->ctx, "opportunities",
				   "SELECT COALESCE(sum(CASE WHEN status = 'won' AND campaign_id IS NOT NULL THEN amount END), 0) "
				   "FROM opportunities",
				   &rows))) {
		if (kh_rows_next(c->ctx->db, rows) > 0)
			won = (double)kh_rows_col(c->ctx->db, rows, 0).i / 100;
		kh_rows_end(c->ctx->db, rows);
	}
	c->value[K_ROI] = spent > 0 ? 100 * (won - spent) / spent : NAN;
	return err;
}

static enum kh_err load_targets(struct card *c)
{
	for (int k = 0; k < K_COUNT; k++) {
		c->target[k] = kpis[k].target;
		c->threshold[k] = kpis[k].threshold;
	}
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(c->ctx->db, "SELECT kpi, target, threshold FROM kh_scorecard_targets", NULL, 0, &rows);
	if (err)
		return err;
	int rc;
	while ((rc = kh_rows_next(c->ctx->db, rows)) > 0) {
		struct kh_val id = kh_rows_col(c->ctx->db, rows, 0), t = kh_rows_col(c->ctx->db, rows, 1),
			      th = kh_rows_col(c->ctx->db, rows, 2);
		for (int k = 0; k < K_COUNT; k++)
			if (id.t == KH_V_TEXT && !strcmp(id.s, kpis[k].id)) {
				c->target[k] = t.t == KH_V_REAL ? t.d : (double)t.i;
				c->threshold[k] = th.t == KH_V_REAL ? th.d : (double)th.i;
			}
	}
	kh_rows_end(c->ctx->db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

static void num(struct kh_jw *w, const char *k, double v)
{
	kh_jw_key(w, k);
	kh_jw_double(w, v);
}

enum kh_err kh_scorecard(struct kh_ctx *ctx, int months, struct kh_jw *w)
{
	if (months < 1 || months > MAX_MONTHS)
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "months is 1 to %d", MAX_MONTHS);
	struct card *c = calloc(1, sizeof *c);
	if (!c)
		return KH_ENOMEM;
	c->ctx = ctx;
	c->months = months;
	c->today = (int32_t)(kh_now() / 86400000000LL);
	c->m0 = kh_month_of_day(c->today) - months + 1;
	for (int k = 0; k < K_COUNT; k++) {
		c->value[k] = NAN;
		for (int m = 0; m < MAX_MONTHS; m++)
			c->trend[k][m] = NAN;
	}
	enum kh_err err = load_targets(c);
	int own_tx = !ctx->db->in_tx;
	if (!err && own_tx)
		err = kh_db_begin(ctx->db, KH_TX_READ);
	if (!err)
		err = knowledge(c);
	if (!err)
		err = interaction(c);
	if (!err)
		err = company(c);
	if (own_tx)
		kh_db_rollback(ctx->db);
	if (!err)
		acsi(c);
	if (err) {
		free(c);
		return ctx->ei->code ? err : kh_errinfo_set(ctx->ei, err, "cannot compute the scorecard");
	}
	char today[11];
	kh_date_format(c->today, today);
	kh_jw_obj(w);
	kh_jw_key(w, "as_of");
	kh_jw_str(w, today);
	kh_jw_key(w, "months");
	kh_jw_arr(w);
	for (int k = 0; k < months; k++) {
		char m[11];
		kh_date_format(kh_month_first_day(c->m0 + k), m);
		m[7] = '\0';
		kh_jw_str(w, m);
	}
	kh_jw_arr_end(w);
	double total = 0, totn = 0;
	kh_jw_key(w, "perspectives");
	kh_jw_arr(w);
	for (size_t p = 0; p < sizeof perspectives / sizeof perspectives[0]; p++) {
		double sum = 0, cnt = 0;
		kh_jw_obj(w);
		kh_jw_key(w, "id");
		kh_jw_str(w, perspectives[p].id);
		kh_jw_key(w, "label_en");
		kh_jw_str(w, perspectives[p].en);
		kh_jw_key(w, "label_zh");
		kh_jw_str(w, perspectives[p].zh);
		kh_jw_key(w, "kpis");
		kh_jw_arr(w);
		for (int k = 0; k < K_COUNT; k++) {
			const struct kpi *x = &kpis[k];
			if (strcmp(x->perspective, perspectives[p].id))
				continue;
			enum kh_kpi_status st = kh_kpi_status(c->value[k], c->target[k], c->threshold[k], x->higher);
			double ach = kh_kpi_achievement(c->value[k], c->target[k], c->threshold[k], x->higher);
			if (isfinite(ach)) {
				sum += ach;
				cnt++;
			}
			kh_jw_obj(w);
			kh_jw_key(w, "id");
			kh_jw_str(w, x->id);
			kh_jw_key(w, "label_en");
			kh_jw_str(w, x->en);
			kh_jw_key(w, "label_zh");
			kh_jw_str(w, x->zh);
			kh_jw_key(w, "unit");
			kh_jw_str(w, x->unit);
			kh_jw_key(w, "window");
			kh_jw_str(w, x->window);
			kh_jw_key(w, "higher_is_better");
			kh_jw_bool(w, x->higher);
			num(w, "value", c->value[k]);
			num(w, "target", c->target[k]);
			num(w, "threshold", c->threshold[k]);
			kh_jw_key(w, "status");
			kh_jw_str(w, kh_kpi_status_name(st));
			num(w, "achievement", ach);
			kh_jw_key(w, "trend");
			kh_jw_arr(w);
			int has_trend = strcmp(x->window, "now") && strcmp(x->window, "latest survey");
			for (int m = 0; has_trend && m < months; m++)
				kh_jw_double(w, c->trend[k][m]);
			kh_jw_arr_end(w);
			num(w, "slope", has_trend ? kh_trend_slope(c->trend[k], (size_t)months) : NAN);
			kh_jw_obj_end(w);
		}
		kh_jw_arr_end(w);
		num(w, "score", cnt ? 100 * sum / cnt : NAN);
		kh_jw_obj_end(w);
		if (cnt) {
			total += 100 * sum / cnt;
			totn++;
		}
	}
	kh_jw_arr_end(w);
	num(w, "score", totn ? total / totn : NAN);
	kh_jw_key(w, "links");
	kh_jw_arr(w);
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		kh_jw_obj(w);
		kh_jw_key(w, "from");
		kh_jw_str(w, kpis[links[i].from].id);
		kh_jw_key(w, "to");
		kh_jw_str(w, kpis[links[i].to].id);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	free(c);
	return KH_OK;
}

enum kh_err kh_scorecard_set_targets(struct kh_ctx *ctx, json_t *body)
{
	struct kh_errinfo *ei = ctx->ei;
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) {
		int k;
		for (k = 0; k < K_COUNT && strcmp(kpis[k].id, key); k++)
			;
		json_t *t = json_object_get(v, "target"), *th = json_object_get(v, "threshold");
		if (k == K_COUNT)
			kh_errinfo_field(ei, key, "is not a KPI of the scorecard");
		else if (!json_is_object(v) || json_object_size(v) != 2)
			kh_errinfo_field(ei, key, "give {\"target\": number, \"threshold\": number}");
		else if (!json_is_number(t) || !json_is_number(th))
			kh_errinfo_field(ei, key, "give {\"target\": number, \"threshold\": number}");
		else if (kpis[k].higher ? json_number_value(th) > json_number_value(t)
					: json_number_value(th) < json_number_value(t))
			kh_errinfo_field(ei, key, "the threshold must be %s the target",
					 kpis[k].higher ? "at or below" : "at or above");
	}
	if (ei->nfields)
		return KH_EVALIDATION;
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	json_object_foreach(body, key, v) {
		if (err)
			break;
		struct kh_val p[5] = {KH_VTEXT(key), {.t = KH_V_REAL, .d = json_number_value(json_object_get(v, "target"))},
				      {.t = KH_V_REAL, .d = json_number_value(json_object_get(v, "threshold"))}, KH_VTEXT(now),
				      ctx->who->user_id ? KH_VINT(ctx->who->user_id) : KH_VNULL};
		err = kh_db_exec(ctx->db,
				 "INSERT INTO kh_scorecard_targets (kpi, target, threshold, updated_at, updated_by) VALUES "
				 "($1, $2, $3, $4, $5) ON CONFLICT (kpi) DO UPDATE SET target = excluded.target, threshold = "
				 "excluded.threshold, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
				 p, 5);
	}
	err = err ? err : kh_db_commit(ctx->db);
	if (err)
		kh_db_rollback(ctx->db);
	return err;
}
