/* The analytics API: GET /api/v1/analytics/{analysis} with its parameters,
 * the stored scores of a customer, the refresh and its status. Analyses read
 * orders, so a role that may not read orders may not run them; what they see
 * is what the role's scope lets it read. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/rfm.h"
#include "analytics/summary.h"
#include "api/analytics.h"
#include "api/handlers.h"
#include "domain/analytics.h"
#include "domain/analytics_ahp.h"
#include "domain/analytics_cube.h"
#include "domain/analytics_report.h"
#include "domain/analytics_scores.h"
#include "domain/scorecard.h"
#include "model/permission.h"
#include "util/buf.h"
#include "util/clock.h"

enum kh_err kh_api_analytics_allowed(struct kh_req *r)
{
	if (kh_scope_of(&r->who, kh_entity_find("orders"), KH_ACT_READ) == KH_SCOPE_NONE)
		return kh_req_fail(r, KH_EFORBIDDEN, "analytics read orders, which your role may not");
	return KH_OK;
}

/* ---- parameters ---- */


struct params {
	struct kh_req *r;
	const char *analysis;
	struct kh_an_opts o;
	enum kh_an_by by;
	/* The accepted parameters, sorted into the cache key. */
	const char *keys[32], *vals[32];
	int n;
};

/* Which parameters each analysis takes (beyond as_of, by and limit). */
static const struct {
	const char *name;
	const char *params;
} accepts[] = {
	{"rfm", "segment,sort"},
	{"abc", "value,sort"},
	{"clv", "calibration_end,unit,horizon,discount,margin,model,sort"},
	{"churn", "churn_days,lambda,sort"},
	{"segments", "k"},
	{"baskets", "min_support,min_confidence,max_len,product,customer"},
	{"lifecycle", "months,new_days,active_days,churn_days"},
	{"profitability", "case_cost,sort"},
	{"cohorts", "months"},
	{"survival", "churn_days"},
};

static int takes(const char *analysis, const char *key)
{
	if (!strcmp(key, "as_of") || !strcmp(key, "by") || !strcmp(key, "limit"))
		return 1;
	for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
		if (strcmp(accepts[i].name, analysis))
			continue;
		size_t n = strlen(key);
		for (const char *p = accepts[i].params; (p = strstr(p, key)); p += n)
			if ((p == accepts[i].params || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
				return 1;
	}
	return 0;
}

static int num(const char *v, double lo, double hi, double *out)
{
	char *end;
	double x = strtod(v, &end);
	if (end == v || *end || !(x >= lo && x <= hi))
		return -1;
	*out = x;
	return 0;
}

static void bad(struct params *p, const char *key, const char *msg)
{
	kh_errinfo_set(&p->r->ei, KH_EINVAL, "a query parameter is not valid");
	kh_errinfo_field(&p->r->ei, key, "%s", msg);
}

static void take(void *cls, const char *key, const char *v)
{
	struct params *p = cls;
	struct kh_an_opts *o = &p->o;
	double x;
	if (!v)
		v = "";
	if (!takes(p->analysis, key)) {
		bad(p, key, "unknown parameter for this analysis");
		return;
	}
	if (p->n < 32) {
		p->keys[p->n] = key;
		p->vals[p->n++] = v;
	}
	if (!strcmp(key, "as_of")) {
		if (kh_an_parse_day(v, strlen(v), &o->as_of))
			bad(p, key, "must be a date YYYY-MM-DD");
	} else if (!strcmp(key, "calibration_end")) {
		if (kh_an_parse_day(v, strlen(v), &o->calibration_end))
			bad(p, key, "must be a date YYYY-MM-DD");
	} else if (!strcmp(key, "by")) {
		if (!strcmp(v, "account"))
			p->by = KH_AN_ACCOUNT;
		else if (strcmp(v, "contact"))
			bad(p, key, "must be contact or account");
	} else if (!strcmp(key, "limit")) {
		if (num(v, 0, 1000, &x))
			bad(p, key, "must be 0 to 1000");
		else
			o->limit = (size_t)x;
	} else if (!strcmp(key, "segment")) {
		o->segment = -1;
		for (int s = 1; s < KH_RFM_NSEG; s++)
			if (!strcmp(kh_rfm_segment_name(s), v))
				o->segment = s;
		if (o->segment < 0)
			bad(p, key, "must be an RFM segment name, such as Champions");
	} else if (!strcmp(key, "sort")) {
		/* The analysis' own ranking; profitability also lists from the
		 * least profitable up. */
		if (strcmp(v, "rank") && !(!strcmp(p->analysis, "profitability") && (!strcmp(v, "profit") || !strcmp(v, "-profit"))))
			bad(p, key, !strcmp(p->analysis, "profitability") ? "must be rank, profit or -profit" : "must be rank");
		o->sort = v;
	} else if (!strcmp(key, "value")) {
		if (!strcmp(v, "profit"))
			o->abc_profit = 1;
		else if (strcmp(v, "revenue"))
			bad(p, key, "must be revenue or profit");
	} else if (!strcmp(key, "unit")) {
		o->unit = !strcmp(v, "day") ? KH_DAYS_PER_DAY : !strcmp(v, "week") ? KH_DAYS_PER_WEEK
							   : !strcmp(v, "month")	  ? KH_DAYS_PER_MONTH
										  : 0;
		if (!o->unit)
			bad(p, key, "must be day, week or month");
	} else if (!strcmp(key, "horizon")) {
		if (num(v, 1, 1200, &x))
			bad(p, key, "must be 1 to 1200 months");
		else
			o->months = (int)x;
	} else if (!strcmp(key, "discount")) {
		if (num(v, 0, 1, &o->discount))
			bad(p, key, "must be a monthly rate from 0 to 1");
	} else if (!strcmp(key, "margin")) {
		if (num(v, -10, 10, &o->margin))
			bad(p, key, "must be a share such as 0.3");
	} else if (!strcmp(key, "model")) {
		o->model_pnbd = !strcmp(v, "pareto_nbd");
		if (!o->model_pnbd && strcmp(v, "bgnbd"))
			bad(p, key, "must be bgnbd or pareto_nbd");
	} else if (!strcmp(key, "churn_days")) {
		if (num(v, 7, 3650, &x))
			bad(p, key, "must be 7 to 3650 days");
		else if (!strcmp(p->analysis, "churn"))
			o->churn_days = (int)x;
		else
			o->life.churn_days = (int32_t)x;
	} else if (!strcmp(key, "new_days") || !strcmp(key, "active_days")) {
		if (num(v, 1, 3650, &x))
			bad(p, key, "must be 1 to 3650 days");
		else if (key[0] == 'n')
			o->life.new_days = (int32_t)x;
		else
			o->life.active_days = (int32_t)x;
	} else if (!strcmp(key, "lambda")) {
		if (num(v, 0, 1e9, &o->lambda))
			bad(p, key, "must be a penalty >= 0");
	} else if (!strcmp(key, "k")) {
		if (num(v, 1, 64, &x))
			bad(p, key, "must be 1 to 64");
		else
			o->k = (int)x;
	} else if (!strcmp(key, "min_support")) {
		if (num(v, 1e-9, 1, &o->min_support))
			bad(p, key, "must be in (0, 1]");
	} else if (!strcmp(key, "min_confidence")) {
		if (num(v, 0, 1, &o->min_confidence))
			bad(p, key, "must be in [0, 1]");
	} else if (!strcmp(key, "max_len")) {
		if (num(v, 2, 10, &x))
			bad(p, key, "must be 2 to 10");
		else
			o->max_len = (int)x;
	} else if (!strcmp(key, "product")) {
		if (num(v, 1, 9e15, &x))
			bad(p, key, "must be a product id");
		else
			o->product = (int64_t)x;
	} else if (!strcmp(key, "customer")) {
		if (num(v, 1, 9e15, &x) || x != floor(x))
			bad(p, key, "must be the id of a contact (an account with by=account)");
		else
			o->customer = (int64_t)x;
	} else if (!strcmp(key, "months")) {
		if (num(v, 1, 120, &x))
			bad(p, key, "must be 1 to 120");
		else
			o->flow_months = (int)x;
	} else if (!strcmp(key, "case_cost")) {
		if (num(v, 0, 1e9, &o->case_cost))
			bad(p, key, "must be an amount >= 0");
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum kh_err kh_api_analytics_run(struct kh_req *r)
{
	enum kh_err err = kh_api_analytics_allowed(r);
	if (err)
		return err;
	if (!r->key || !kh_an_known(r->key))
		return kh_req_fail(r, KH_ENOTFOUND, "there is no analysis named %s", r->key ? r->key : "");
	struct params *p = kh_arena_calloc(&r->arena, 1, sizeof *p);
	if (!p)
		return KH_ENOMEM;
	p->r = r;
	p->analysis = r->key;
	kh_an_opts_init(&p->o);
	p->o.limit = 50;
	p->o.as_of = (int32_t)(kh_now() / 86400000000LL);
	kh_req_args(r, take, p);
	if (r->ei.code)
		return r->ei.code;
	/* The API lists the top of each ranking (most valuable, most at risk). */
	if (!p->o.sort)
		p->o.sort = "rank";
	/* The cache key: the resolved as-of date and every parameter, sorted. */
	char *pairs[33];
	int np = 0;
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->keys[i], "as_of") && strcmp(p->keys[i], "by"))
			pairs[np++] = kh_arena_printf(&r->arena, "%s=%s", p->keys[i], p->vals[i]);
	qsort(pairs, (size_t)np, sizeof pairs[0], cmp_str);
	struct kh_buf key = KH_BUF_INIT;
	char day[11];
	kh_date_format(p->o.as_of, day);
	kh_buf_addf(&key, "as_of=%s", day);
	for (int i = 0; i < np; i++)
		kh_buf_addf(&key, "&%s", pairs[i]);
	int cached = 0;
	err = key.err ? key.err : kh_an_answer(&r->ctx, r->key, &p->o, p->by, key.data, &r->jw, &cached);
	kh_buf_release(&key);
	return err;
}

/* GET /api/v1/{entity}/{id}/scores */
enum kh_err kh_api_scores(struct kh_req *r)
{
	return kh_an_scores_write(&r->ctx, r->entity, r->id, &r->jw);
}

/* GET /api/v1/analytics/status */
enum kh_err kh_api_analytics_status(struct kh_req *r)
{
	enum kh_err err = kh_api_analytics_allowed(r);
	if (err)
		return err;
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "analyses");
	kh_jw_arr(&r->jw);
	static const char *const names[] = {"rfm", "abc", "clv", "churn", "segments", "baskets", "lifecycle",
		"profitability", "cohorts", "survival", "cube"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		kh_jw_str(&r->jw, names[i]);
	kh_jw_arr_end(&r->jw);
	kh_jw_key(&r->jw, "refreshes");
	err = kh_an_runs_write(r->ctx.db, &r->jw);
	kh_jw_obj_end(&r->jw);
	return err;
}

/* POST /api/v1/analytics/refresh: the nightly refresh, now. */
enum kh_err kh_api_analytics_refresh(struct kh_req *r)
{
	char key[64];
	snprintf(key, sizeof key, "analytics.refresh:now:%lld", (long long)kh_now());
	enum kh_err err = kh_an_refresh_enqueue(r->ctx.db, key);
	if (err)
		return kh_req_fail(r, err, "cannot queue the refresh");
	r->status = 202;
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "queued");
	kh_jw_bool(&r->jw, 1);
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

/* ---- the cube ---- */

struct cube_params {
	struct kh_req *r;
	struct kh_cube_req q;
	struct kh_buf key;
};

static void cube_take(void *cls, const char *key, const char *v)
{
	struct cube_params *p = cls;
	struct kh_cube_req *q = &p->q;
	struct kh_errinfo *ei = &p->r->ei;
	if (!v)
		v = "";
	kh_buf_addf(&p->key, "&%s=%s", key, v);
	if (!strcmp(key, "fact")) {
		if (strcmp(v, "orders") && strcmp(v, "opportunities")) {
			kh_errinfo_set(ei, KH_EINVAL, "a query parameter is not valid");
			kh_errinfo_field(ei, key, "must be orders or opportunities");
		}
		q->fact = kh_arena_strdup(&p->r->arena, v);
	} else if (!strcmp(key, "rollup")) {
		q->rollup = !strcmp(v, "1") || !strcmp(v, "true");
		if (!q->rollup && strcmp(v, "0") && strcmp(v, "false")) {
			kh_errinfo_set(ei, KH_EINVAL, "a query parameter is not valid");
			kh_errinfo_field(ei, key, "must be 1 or 0");
		}
	} else if (!strcmp(key, "by")) {
		q->by = !strcmp(v, "account") ? KH_AN_ACCOUNT : KH_AN_CONTACT;
		if (strcmp(v, "account") && strcmp(v, "contact")) {
			kh_errinfo_set(ei, KH_EINVAL, "a query parameter is not valid");
			kh_errinfo_field(ei, key, "must be contact or account");
		}
	} else if (!strcmp(key, "dims")) {
		char *s = kh_arena_strdup(&p->r->arena, v), *save = NULL;
		q->n_dims = 0;
		for (char *t = s ? strtok_r(s, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
			int again = 0;
			for (int i = 0; i < q->n_dims; i++)
				again |= !strcmp(q->dims[i], t);
			if (!kh_cube_dim_known(t) || q->n_dims == 4 || again) {
				kh_errinfo_set(ei, KH_EINVAL, "a query parameter is not valid");
				kh_errinfo_field(ei, key,
						 "up to 4 different ones of year, quarter, month, region, city, category, product, "
						 "segment, owner, stage");
				return;
			}
			q->dims[q->n_dims++] = t;
		}
	} else if (kh_cube_dim_known(key)) {
		/* A slice: dim=member, or dim=a,b,c (members are alternatives). */
		char *s = kh_arena_strdup(&p->r->arena, v), *save = NULL;
		for (char *t = s ? strtok_r(s, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
			if (q->n_filters == KH_CUBE_MAX_FILTERS) {
				kh_errinfo_set(ei, KH_EINVAL, "a query parameter is not valid");
				kh_errinfo_field(ei, key, "too many members in the filters (at most %d)", KH_CUBE_MAX_FILTERS);
				return;
			}
			q->filter_dim[q->n_filters] = key;
			q->filter_value[q->n_filters++] = t;
		}
	} else {
		kh_errinfo_set(ei, KH_EINVAL, "a query parameter is not valid");
		kh_errinfo_field(ei, key, "unknown parameter for the cube");
	}
}

static enum kh_err cube_run(struct kh_ctx *ctx, const void *arg, struct kh_jw *w)
{
	return kh_an_cube(ctx, arg, w);
}

/* GET /api/v1/analytics/cube */
enum kh_err kh_api_analytics_cube(struct kh_req *r)
{
	enum kh_err err = kh_api_analytics_allowed(r);
	if (err)
		return err;
	struct cube_params *p = kh_arena_calloc(&r->arena, 1, sizeof *p);
	if (!p)
		return KH_ENOMEM;
	p->r = r;
	p->q.fact = "orders";
	p->q.n_dims = 1;
	p->q.dims[0] = "year";
	kh_buf_init(&p->key, 8192);
	kh_req_args(r, cube_take, p);
	if (!r->ei.code && !strcmp(p->q.fact, "opportunities") &&
	    kh_scope_of(&r->who, kh_entity_find("opportunities"), KH_ACT_READ) == KH_SCOPE_NONE)
		kh_req_fail(r, KH_EFORBIDDEN, "your role may not read opportunities");
	if (r->ei.code || p->key.err) {
		kh_buf_release(&p->key);
		return r->ei.code ? r->ei.code : KH_EINVAL;
	}
	int cached;
	err = kh_an_cached(&r->ctx, "cube", p->key.data, cube_run, &p->q, &r->jw, &cached);
	kh_buf_release(&p->key);
	return err;
}

/* ---- capability (AHP), scorecard, 7P ---- */

/* POST /api/v1/analytics/ahp */
enum kh_err kh_api_ahp(struct kh_req *r)
{
	return kh_ahp_live(r->json, &r->jw, &r->ei);
}

/* GET /api/v1/analytics/capability[?assessment=ID] */
enum kh_err kh_api_capability(struct kh_req *r)
{
	const char *a = kh_req_arg(r, "assessment");
	int64_t id = 0;
	if (a) {
		char *end;
		id = strtoll(a, &end, 10);
		if (*end || id < 1) {
			kh_errinfo_set(&r->ei, KH_EINVAL, "a query parameter is not valid");
			kh_errinfo_field(&r->ei, "assessment", "must be the id of a capability assessment");
			return KH_EINVAL;
		}
	}
	return kh_capability_evaluate(&r->ctx, id, &r->jw);
}

/* GET /api/v1/analytics/scorecard[?months=N] */
enum kh_err kh_api_scorecard(struct kh_req *r)
{
	enum kh_err err = kh_api_analytics_allowed(r);
	if (err)
		return err;
	const char *m = kh_req_arg(r, "months");
	long months = 12;
	if (m) {
		char *end;
		months = strtol(m, &end, 10);
		if (*end || months < 1 || months > 36) {
			kh_errinfo_set(&r->ei, KH_EINVAL, "a query parameter is not valid");
			kh_errinfo_field(&r->ei, "months", "must be 1 to 36");
			return KH_EINVAL;
		}
	}
	return kh_scorecard(&r->ctx, (int)months, &r->jw);
}

/* PUT /api/v1/analytics/scorecard/targets (administrators) */
enum kh_err kh_api_scorecard_targets(struct kh_req *r)
{
	enum kh_err err = kh_scorecard_set_targets(&r->ctx, r->json);
	return err ? err : kh_scorecard(&r->ctx, 12, &r->jw);
}

/* GET /api/v1/analytics/report */
enum kh_err kh_api_report(struct kh_req *r)
{
	enum kh_err err = kh_api_analytics_allowed(r);
	return err ? err : kh_an_report_7p(&r->ctx, &r->jw);
}
