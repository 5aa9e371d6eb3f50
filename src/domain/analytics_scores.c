/* Stored scores, the results cache and the refresh job (analytics_scores.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/lifecycle.h"
#include "analytics/rfm.h"
#include "domain/analytics_scores.h"
#include "domain/read.h"
#include "domain/surveys.h"
#include "model/permission.h"
#include "util/clock.h"
#include "util/log.h"

enum kh_err kh_an_migrate(struct kh_db *db)
{
	const char *I = db->ops->coltype(KH_COL_INT), *R = db->ops->coltype(KH_COL_REAL),
		   *T = db->ops->coltype(KH_COL_TEXT);
	char scores[1024], runs[512], cache[256];
	snprintf(scores, sizeof scores,
		 "CREATE TABLE kh_customer_scores (entity %s NOT NULL, record_id %s NOT NULL, as_of %s NOT NULL, "
		 "recency %s, frequency %s, monetary %s, r %s, f %s, m %s, rfm_segment %s, abc_class %s, clv %s, "
		 "p_alive %s, expected_purchases %s, churn_probability %s, churn_reasons %s, segment %s, "
		 "lifecycle_stage %s, profit %s, computed_at %s NOT NULL, PRIMARY KEY (entity, record_id))",
		 T, I, T, R, R, R, I, I, I, T, T, R, R, R, R, T, I, T, R, T);
	snprintf(runs, sizeof runs,
		 "CREATE TABLE kh_analytics_runs (id %s, entity %s NOT NULL, as_of %s NOT NULL, started_at %s NOT NULL, "
		 "finished_at %s, customers %s, skipped %s)",
		 db->ops->pk_decl, T, T, T, T, I, T);
	snprintf(cache, sizeof cache,
		 "CREATE TABLE kh_analytics_cache (key %s PRIMARY KEY, version %s NOT NULL, created_at %s NOT NULL, "
		 "body %s NOT NULL)",
		 T, T, T, T);
	const char *const stmts[] = {
		scores,
		"CREATE INDEX ix_kh_customer_scores_segment ON kh_customer_scores (entity, rfm_segment)",
		"CREATE INDEX ix_kh_customer_scores_churn ON kh_customer_scores (entity, churn_probability)",
		runs,
		cache,
		NULL,
	};
	enum kh_err err = KH_OK;
	for (int i = 0; !err && stmts[i]; i++)
		err = kh_db_exec(db, stmts[i], NULL, 0);
	return err;
}

/* ---- refresh ---- */

/* Discards the JSON of analyses run only for their scores. */
static struct kh_an_out discard(struct kh_jw *w, struct kh_buf *b)
{
	kh_buf_reset(b);
	kh_jw_init(w, b);
	return (struct kh_an_out){w, NULL};
}

static struct kh_val real_or_null(const double *v, size_t c)
{
	return v && isfinite(v[c]) ? (struct kh_val){.t = KH_V_REAL, .d = v[c]} : KH_VNULL;
}

static struct kh_val int_or_null(const uint8_t *v, size_t c)
{
	return v && v[c] ? KH_VINT(v[c]) : KH_VNULL;
}

static enum kh_err store(struct kh_ctx *ctx, const char *entity, const struct kh_an_data *d,
			 const struct kh_an_scores *s, void (*progress)(void *, size_t, size_t), void *cls)
{
	char as_of[11], now[KH_TIME_LEN];
	kh_date_format(s->as_of, as_of);
	kh_time_format(kh_now(), now);
	static const char *const abc[] = {NULL, "A", "B", "C"};
	struct kh_db *db = ctx->db;
	enum kh_err err = kh_db_begin(db, KH_TX_WRITE);
	if (!err) {
		struct kh_val p = KH_VTEXT(entity);
		err = kh_db_exec(db, "DELETE FROM kh_customer_scores WHERE entity = $1", &p, 1);
	}
	for (size_t c = 0; !err && c < d->n_cust; c++) {
		char reasons[64] = "";
		if (s->reasons && s->churn && isfinite(s->churn[c]))
			for (int r = 0; r < 2 && s->reasons[c][r]; r++)
				snprintf(reasons + strlen(reasons), sizeof reasons - strlen(reasons), "%s%s", r ? "," : "",
					 kh_an_churn_feature(s->reasons[c][r] - 1));
		struct kh_val p[20] = {
			KH_VTEXT(entity),
			KH_VINT(d->cust_id[c]),
			KH_VTEXT(as_of),
			real_or_null(s->recency, c),
			real_or_null(s->frequency, c),
			real_or_null(s->monetary, c),
			int_or_null(s->r, c),
			int_or_null(s->f, c),
			int_or_null(s->m, c),
			s->rfm_segment && s->rfm_segment[c] ? KH_VTEXT(kh_rfm_segment_name(s->rfm_segment[c])) : KH_VNULL,
			s->abc && s->abc[c] ? KH_VTEXT(abc[s->abc[c]]) : KH_VNULL,
			real_or_null(s->clv, c),
			real_or_null(s->p_alive, c),
			real_or_null(s->expected, c),
			real_or_null(s->churn, c),
			reasons[0] ? KH_VTEXT(reasons) : KH_VNULL,
			int_or_null(s->segment, c),
			s->stage ? KH_VTEXT(kh_stage_name(s->stage[c])) : KH_VNULL,
			real_or_null(s->profit, c),
			KH_VTEXT(now),
		};
		err = kh_db_exec(db,
				 "INSERT INTO kh_customer_scores (entity, record_id, as_of, recency, frequency, monetary, r, "
				 "f, m, rfm_segment, abc_class, clv, p_alive, expected_purchases, churn_probability, "
				 "churn_reasons, segment, lifecycle_stage, profit, computed_at) VALUES ($1, $2, $3, $4, $5, "
				 "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
				 p, 20);
		if (progress && c % 50000 == 0)
			progress(cls, c, d->n_cust);
	}
	err = err ? err : kh_db_commit(db);
	if (err)
		kh_db_rollback(db);
	return err;
}

enum kh_err kh_an_refresh_scores(struct kh_ctx *ctx, enum kh_an_by by, int32_t as_of,
				 void (*stage)(void *cls, const char *name, int step, int steps),
				 void (*progress)(void *cls, size_t done, size_t total), void *cls,
				 struct kh_an_refresh *res)
{
	memset(res, 0, sizeof(*res));
	const char *entity = by == KH_AN_ACCOUNT ? "accounts" : "contacts";
	char started[KH_TIME_LEN], day[11];
	kh_time_format(kh_now(), started);
	kh_date_format(as_of, day);
	struct kh_an_data d;
	if (stage)
		stage(cls, "loading", 0, 9);
	enum kh_err err = kh_an_load_db(ctx, by, as_of, &d, progress, cls);
	if (err)
		return err;
	struct kh_an_opts o;
	kh_an_opts_init(&o);
	o.as_of = as_of;
	o.limit = 0;
	o.no_pnbd = 1; /* the scores come from BG/NBD; Pareto/NBD is a second opinion for people */
	struct kh_an_scores s = {.n = d.n_cust, .as_of = as_of};
	struct kh_buf b = KH_BUF_INIT;
	struct kh_jw w;
	struct kh_an_out out;
	static const char *const names[] = {"rfm", "abc", "clv", "churn", "segments", "lifecycle", "profitability"};
	for (int i = 0; i < 7 && d.n; i++) {
		if (stage)
			stage(cls, names[i], i + 1, 9);
		out = discard(&w, &b);
		/* Each analysis writes its error here; one that cannot run is
		 * skipped, the rest still count. */
		struct kh_errinfo ei;
		kh_errinfo_init(&ei, ctx->arena);
		enum kh_err e;
		switch (i) {
		case 0: e = kh_an_rfm(&d, &o, &out, &s, &ei); break;
		case 1: e = kh_an_abc(&d, &o, &out, &s, &ei); break;
		case 2: e = kh_an_clv(&d, &o, &out, &s, &ei); break;
		case 3: e = kh_an_churn(&d, &o, &out, &s, &ei); break;
		case 4: e = kh_an_segments(&d, &o, &out, &s, &ei); break;
		case 5: e = kh_an_lifecycle(&d, &o, &out, &s, &ei); break;
		default: e = kh_an_profitability(&d, &o, &out, &s, &ei); break;
		}
		if (e == KH_ENOMEM) {
			err = e;
			break;
		}
		if (e)
			snprintf(res->skipped + strlen(res->skipped), sizeof res->skipped - strlen(res->skipped), "%s%s: %s",
				 res->skipped[0] ? "; " : "", names[i], ei.msg ? ei.msg : kh_strerror(e));
	}
	kh_buf_release(&b);
	if (!err) {
		if (stage)
			stage(cls, "storing", 8, 9);
		err = store(ctx, entity, &d, &s, progress, cls);
	}
	if (!err) {
		char done[KH_TIME_LEN];
		kh_time_format(kh_now(), done);
		struct kh_val p[6] = {KH_VTEXT(entity), KH_VTEXT(day), KH_VTEXT(started), KH_VTEXT(done),
				      KH_VINT((int64_t)d.n_cust), KH_VTEXT(res->skipped)};
		err = kh_db_exec(ctx->db,
				 "INSERT INTO kh_analytics_runs (entity, as_of, started_at, finished_at, customers, skipped) "
				 "VALUES ($1, $2, $3, $4, $5, $6)",
				 p, 6);
		res->customers = d.n_cust;
	}
	if (stage)
		stage(cls, "done", 9, 9);
	kh_an_scores_release(&s);
	kh_an_data_release(&d);
	if (err && !ctx->ei->code)
		kh_errinfo_set(ctx->ei, err, "cannot store the scores");
	return err;
}

/* ---- reading the scores of one customer ---- */

enum kh_err kh_an_scores_write(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_jw *w)
{
	if (strcmp(e->name, "contacts") && strcmp(e->name, "accounts"))
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "only contacts and accounts have scores");
	enum kh_err err = kh_record_exists(ctx, e, id, 0);
	if (err)
		return err;
	struct kh_val p[2] = {KH_VTEXT(e->name), KH_VINT(id)};
	struct kh_rows *rows;
	err = kh_db_query(ctx->db,
			  "SELECT as_of, recency, frequency, monetary, r, f, m, rfm_segment, abc_class, clv, p_alive, "
			  "expected_purchases, churn_probability, churn_reasons, segment, lifecycle_stage, profit, "
			  "computed_at FROM kh_customer_scores WHERE entity = $1 AND record_id = $2",
			  p, 2, &rows);
	if (err)
		return err;
	static const char *const keys[] = {"as_of", "recency", "frequency", "monetary", "r", "f", "m", "rfm_segment",
		"abc_class", "clv", "p_alive", "expected_purchases", "churn_probability", "churn_reasons", "segment",
		"lifecycle_stage", "profit", "computed_at"};
	int rc = kh_rows_next(ctx->db, rows);
	kh_jw_obj(w);
	kh_jw_key(w, "scored");
	kh_jw_bool(w, rc > 0);
	for (int i = 0; rc > 0 && i < 18; i++) {
		struct kh_val v = kh_rows_col(ctx->db, rows, i);
		kh_jw_key(w, keys[i]);
		if (i == 13) { /* reasons: a list */
			kh_jw_arr(w);
			const char *s = v.t == KH_V_TEXT ? v.s : "";
			while (*s) {
				size_t n = strcspn(s, ",");
				kh_jw_strn(w, s, n);
				s += n + (s[n] == ',');
			}
			kh_jw_arr_end(w);
		} else if (v.t == KH_V_INT) {
			kh_jw_int(w, v.i);
		} else if (v.t == KH_V_REAL) {
			kh_jw_double(w, v.d);
		} else if (v.t == KH_V_TEXT) {
			kh_jw_strn(w, v.s, v.n);
		} else {
			kh_jw_null(w);
		}
	}
	if (rc > 0) {
		struct kh_val pr = kh_rows_col(ctx->db, rows, 12);
		double prob = pr.t == KH_V_REAL ? pr.d : pr.t == KH_V_INT ? (double)pr.i : NAN;
		kh_jw_key(w, "churn_risk");
		if (isnan(prob))
			kh_jw_null(w);
		else
			kh_jw_str(w, prob >= 0.7 ? "high" : prob >= 0.4 ? "medium" : "low");
	}
	kh_jw_obj_end(w);
	kh_rows_end(ctx->db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

/* ---- cache ---- */

enum kh_err kh_an_data_version(struct kh_db *db, char out[96])
{
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT (SELECT COALESCE(MAX(id), 0) FROM kh_outbox), (SELECT COALESCE(MAX(id), 0) FROM "
				      "orders), (SELECT COALESCE(MAX(id), 0) FROM order_lines), (SELECT COALESCE(MAX(id), 0) "
				      "FROM cases), (SELECT COALESCE(MAX(id), 0) FROM products)",
				      NULL, 0, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows);
	if (rc > 0)
		snprintf(out, 96, "%lld.%lld.%lld.%lld.%lld", (long long)kh_rows_col(db, rows, 0).i,
			 (long long)kh_rows_col(db, rows, 1).i, (long long)kh_rows_col(db, rows, 2).i,
			 (long long)kh_rows_col(db, rows, 3).i, (long long)kh_rows_col(db, rows, 4).i);
	kh_rows_end(db, rows);
	return rc > 0 ? KH_OK : rc < 0 ? (enum kh_err)-rc : KH_EDB;
}

enum kh_err kh_an_cache_get(struct kh_db *db, const char *key, const char *version, int max_age,
			    struct kh_buf *body, int *hit)
{
	*hit = 0;
	char since[KH_TIME_LEN];
	kh_time_format(kh_now() - (int64_t)max_age * 1000000, since);
	struct kh_val p[3] = {KH_VTEXT(key), KH_VTEXT(version), KH_VTEXT(since)};
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT body FROM kh_analytics_cache WHERE key = $1 AND version = $2 AND created_at >= $3",
				      p, 3, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows);
	if (rc > 0) {
		struct kh_val v = kh_rows_col(db, rows, 0);
		if (v.t == KH_V_TEXT) {
			kh_buf_add(body, v.s, v.n);
			*hit = 1;
		}
	}
	kh_rows_end(db, rows);
	return rc < 0 ? (enum kh_err)-rc : body->err;
}

enum kh_err kh_an_cache_put(struct kh_db *db, const char *key, const char *version, const char *body,
			    size_t len)
{
	char now[KH_TIME_LEN], old[KH_TIME_LEN];
	int64_t t = kh_now();
	kh_time_format(t, now);
	kh_time_format(t - 7LL * 86400 * 1000000, old);
	struct kh_val p[4] = {KH_VTEXT(key), KH_VTEXT(version), KH_VTEXT(now), KH_VTEXTN(body, len)};
	struct kh_val q = KH_VTEXT(old);
	enum kh_err err = kh_db_begin(db, KH_TX_WRITE);
	/* Answers a week old are for as-of dates no one asks about any more. */
	if (!err)
		err = kh_db_exec(db, "DELETE FROM kh_analytics_cache WHERE created_at < $1", &q, 1);
	if (!err)
		err = kh_db_exec(db,
				 "INSERT INTO kh_analytics_cache (key, version, created_at, body) VALUES ($1, $2, $3, $4) "
				 "ON CONFLICT (key) DO UPDATE SET version = excluded.version, created_at = excluded.created_at, "
				 "body = excluded.body",
				 p, 4);
	err = err ? err : kh_db_commit(db);
	if (err)
		kh_db_rollback(db);
	return err;
}

enum kh_err kh_an_runs_write(struct kh_db *db, struct kh_jw *w)
{
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT entity, as_of, finished_at, customers, skipped FROM kh_analytics_runs WHERE id IN "
				      "(SELECT MAX(id) FROM kh_analytics_runs GROUP BY entity) ORDER BY entity",
				      NULL, 0, &rows);
	if (err)
		return err;
	static const char *const keys[] = {"entity", "as_of", "finished_at", "customers", "skipped"};
	kh_jw_arr(w);
	int rc;
	while ((rc = kh_rows_next(db, rows)) > 0) {
		kh_jw_obj(w);
		for (int i = 0; i < 5; i++) {
			struct kh_val v = kh_rows_col(db, rows, i);
			kh_jw_key(w, keys[i]);
			if (v.t == KH_V_INT)
				kh_jw_int(w, v.i);
			else if (v.t == KH_V_TEXT)
				kh_jw_strn(w, v.s, v.n);
			else
				kh_jw_null(w);
		}
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_rows_end(db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

/* ---- background work ---- */

enum kh_err kh_an_refresh_enqueue(struct kh_db *db, const char *key)
{
	return kh_job_enqueue(db, "analytics.refresh", NULL, NULL, key);
}

/* Job: refresh the scores of contacts and of accounts as of today. */
static enum kh_err refresh_job(struct kh_ctx *ctx, json_t *payload)
{
	(void)payload;
	int32_t today = (int32_t)(kh_now() / 86400000000LL);
	struct kh_an_refresh res;
	enum kh_err err = kh_an_refresh_scores(ctx, KH_AN_CONTACT, today, NULL, NULL, NULL, &res);
	if (!err) {
		kh_info("analytics: scored %zu contacts%s%s", res.customers, res.skipped[0] ? "; " : "", res.skipped);
		err = kh_an_refresh_scores(ctx, KH_AN_ACCOUNT, today, NULL, NULL, NULL, &res);
	}
	if (!err)
		kh_info("analytics: scored %zu accounts%s%s", res.customers, res.skipped[0] ? "; " : "", res.skipped);
	return err;
}

/* Consumer: purchases, cases and products changed, so tonight's refresh is
 * due. The refresh runs at 18:00 UTC (02:00 in China), once a day at most
 * (the dedupe key is the day). */
static enum kh_err schedule(struct kh_ctx *ctx, const struct kh_change *c)
{
	if (strcmp(c->entity, "orders") && strcmp(c->entity, "order_lines") && strcmp(c->entity, "cases") &&
	    strcmp(c->entity, "products"))
		return KH_OK;
	int64_t now = kh_now(), day = 86400LL * 1000000, at = now - now % day + 18LL * 3600 * 1000000;
	if (at <= now)
		at += day;
	char run_at[KH_TIME_LEN], key[48];
	kh_time_format(at, run_at);
	snprintf(key, sizeof key, "analytics.refresh:%.10s", run_at);
	return kh_job_enqueue(ctx->db, "analytics.refresh", run_at, NULL, key);
}

static const struct kh_job_kind refresh_kind = {"analytics.refresh", refresh_job, 3, 1};
static const struct kh_outbox_consumer schedule_consumer = {"analytics.schedule", schedule};

const struct kh_job_kind *const kh_analytics_jobs[] = {&refresh_kind, &kh_surveys_mail_kind, NULL};
const struct kh_outbox_consumer *const kh_analytics_consumers[] = {&schedule_consumer, &kh_survey_trigger, NULL};
