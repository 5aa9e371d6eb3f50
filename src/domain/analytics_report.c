/* The 7P customer analysis (analytics_report.h): one report per RFM segment
 * that puts side by side what the other modules hold about its customers.
 *
 *   profiling      customers, share, their top provinces, lifecycle stages
 *   persistency    P(alive), churn risk, recency, active share
 *   profitability  revenue, profit per customer, CLV
 *   performance    orders per customer, average order value
 *   prospecting    open deals and pipeline with these customers
 *   product        the categories they buy most
 *   promotion      consent to marketing, deals won through campaigns
 *
 * Segments come from the stored scores (a refresh must have run); figures
 * count what the principal may read. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/rfm.h"
#include "domain/analytics.h"
#include "domain/analytics_report.h"
#include "model/permission.h"

#define NSEG KH_RFM_NSEG

struct seg {
	double customers, recency, frequency, monetary, clv, p_alive, churn, churn_n, profit, active;
	double open_deals, pipeline, won_campaign, won_campaign_n, consent;
	/* top provinces and categories: name -> value, small lists */
	char *prov[8];
	double prov_n[8];
	int nprov;
	double cat_rev[64];
};

static int seg_index(struct kh_val v)
{
	if (v.t != KH_V_TEXT)
		return -1;
	for (int s = 1; s < NSEG; s++)
		if (!strcmp(kh_rfm_segment_name(s), v.s))
			return s;
	return -1;
}

static double dbl(struct kh_val v)
{
	return v.t == KH_V_REAL ? v.d : v.t == KH_V_INT ? (double)v.i : NAN;
}

/* SELECT with a scoped subquery of `entity` spliced where the head says
 * "%s": the principal's rows only. */
static enum kh_err query(struct kh_ctx *ctx, const char *entity, const char *fmt, const char *inner,
			 struct kh_rows **rows)
{
	struct kh_buf sub = KH_BUF_INIT, sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_addf(&sub, "%s", inner);
	kh_scope_sql(ctx->who, kh_entity_find(entity), KH_ACT_READ, &sub, p, &n, 8);
	kh_buf_addf(&sql, fmt, sub.data);
	enum kh_err err = sub.err || sql.err ? KH_ENOMEM : kh_db_query(ctx->db, sql.data, p, n, rows);
	kh_buf_release(&sub);
	kh_buf_release(&sql);
	return err;
}

enum kh_err kh_an_report_7p(struct kh_ctx *ctx, struct kh_jw *w)
{
	struct seg *sg = calloc(NSEG, sizeof *sg);
	if (!sg)
		return KH_ENOMEM;
	struct kh_rows *rows;
	int rc;
	enum kh_err err = query(ctx, "contacts",
				"SELECT s.rfm_segment, count(*), avg(s.recency), avg(s.frequency), avg(s.monetary), avg(s.clv), "
				"avg(s.p_alive), avg(s.churn_probability), count(s.churn_probability), avg(s.profit), "
				"sum(CASE WHEN s.lifecycle_stage IN ('new', 'active', 'won_back') THEN 1 ELSE 0 END) FROM "
				"kh_customer_scores s JOIN (%s) c ON c.id = s.record_id WHERE s.entity = 'contacts' GROUP BY "
				"s.rfm_segment",
				"SELECT id FROM contacts WHERE archived_at IS NULL", &rows);
	if (err)
		goto out;
	double all = 0;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		int s = seg_index(kh_rows_col(ctx->db, rows, 0));
		if (s < 0)
			continue;
		struct seg *x = &sg[s];
		x->customers = dbl(kh_rows_col(ctx->db, rows, 1));
		x->recency = dbl(kh_rows_col(ctx->db, rows, 2));
		x->frequency = dbl(kh_rows_col(ctx->db, rows, 3));
		x->monetary = dbl(kh_rows_col(ctx->db, rows, 4));
		x->clv = dbl(kh_rows_col(ctx->db, rows, 5));
		x->p_alive = dbl(kh_rows_col(ctx->db, rows, 6));
		x->churn = dbl(kh_rows_col(ctx->db, rows, 7));
		x->churn_n = dbl(kh_rows_col(ctx->db, rows, 8));
		x->profit = dbl(kh_rows_col(ctx->db, rows, 9));
		x->active = dbl(kh_rows_col(ctx->db, rows, 10));
		all += x->customers;
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0) {
		err = (enum kh_err)-rc;
		goto out;
	}
	if (all == 0) {
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT,
				     "no customer has stored scores: they are made by a refresh (POST "
				     "/api/v1/analytics/refresh) once there are purchases");
		goto out;
	}
	/* Profiling: provinces. */
	if ((err = query(ctx, "contacts",
			 "SELECT s.rfm_segment, c.province, count(*) FROM kh_customer_scores s JOIN (%s) c ON c.id = "
			 "s.record_id WHERE s.entity = 'contacts' GROUP BY s.rfm_segment, c.province ORDER BY 3 DESC",
			 "SELECT id, province FROM contacts WHERE archived_at IS NULL", &rows)))
		goto out;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		int s = seg_index(kh_rows_col(ctx->db, rows, 0));
		struct kh_val pv = kh_rows_col(ctx->db, rows, 1);
		if (s < 0 || sg[s].nprov == 3)
			continue;
		sg[s].prov[sg[s].nprov] = pv.t == KH_V_TEXT ? strdup(pv.s) : NULL;
		sg[s].prov_n[sg[s].nprov++] = dbl(kh_rows_col(ctx->db, rows, 2));
	}
	kh_rows_end(ctx->db, rows);
	/* Prospecting: open deals with these customers. */
	if (!err && !(err = query(ctx, "opportunities",
				  "SELECT s.rfm_segment, count(*), COALESCE(sum(o.amount), 0) FROM (%s) o JOIN "
				  "kh_customer_scores s ON s.entity = 'contacts' AND s.record_id = o.contact_id GROUP BY "
				  "s.rfm_segment",
				  "SELECT contact_id, amount FROM opportunities WHERE archived_at IS NULL AND status = 'open'",
				  &rows))) {
		while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
			int s = seg_index(kh_rows_col(ctx->db, rows, 0));
			if (s >= 0) {
				sg[s].open_deals = dbl(kh_rows_col(ctx->db, rows, 1));
				sg[s].pipeline = dbl(kh_rows_col(ctx->db, rows, 2)) / 100;
			}
		}
		kh_rows_end(ctx->db, rows);
	}
	/* Promotion: deals won through campaigns, and consent to marketing. */
	if (!err && !(err = query(ctx, "opportunities",
				  "SELECT s.rfm_segment, count(*), COALESCE(sum(o.amount), 0) FROM (%s) o JOIN "
				  "kh_customer_scores s ON s.entity = 'contacts' AND s.record_id = o.contact_id GROUP BY "
				  "s.rfm_segment",
				  "SELECT contact_id, amount FROM opportunities WHERE archived_at IS NULL AND status = 'won' AND "
				  "campaign_id IS NOT NULL",
				  &rows))) {
		while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
			int s = seg_index(kh_rows_col(ctx->db, rows, 0));
			if (s >= 0) {
				sg[s].won_campaign_n = dbl(kh_rows_col(ctx->db, rows, 1));
				sg[s].won_campaign = dbl(kh_rows_col(ctx->db, rows, 2)) / 100;
			}
		}
		kh_rows_end(ctx->db, rows);
	}
	if (!err && !(err = query(ctx, "consents",
				  "SELECT s.rfm_segment, count(DISTINCT k.contact_id) FROM (%s) k JOIN kh_customer_scores s ON "
				  "s.entity = 'contacts' AND s.record_id = k.contact_id GROUP BY s.rfm_segment",
				  "SELECT contact_id FROM consents WHERE archived_at IS NULL AND status = 'granted'", &rows))) {
		while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
			int s = seg_index(kh_rows_col(ctx->db, rows, 0));
			if (s >= 0)
				sg[s].consent = dbl(kh_rows_col(ctx->db, rows, 1));
		}
		kh_rows_end(ctx->db, rows);
	}
	if (err)
		goto out;
	/* Product: revenue by category for each segment, from the purchases. */
	struct kh_an_data d;
	if ((err = kh_an_load_db(ctx, KH_AN_CONTACT, INT32_MAX, &d, NULL, NULL)))
		goto out;
	uint8_t *segof = calloc(d.n_cust ? d.n_cust : 1, 1);
	if (!segof) {
		kh_an_data_release(&d);
		err = KH_ENOMEM;
		goto out;
	}
	if (!(err = kh_db_query(ctx->db, "SELECT record_id, rfm_segment FROM kh_customer_scores WHERE entity = 'contacts'",
				NULL, 0, &rows))) {
		while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
			int64_t c = kh_an_find_customer(&d, kh_rows_col(ctx->db, rows, 0).i);
			int s = seg_index(kh_rows_col(ctx->db, rows, 1));
			if (c >= 0 && s > 0)
				segof[c] = (uint8_t)s;
		}
		kh_rows_end(ctx->db, rows);
	}
	uint32_t ncat = d.n_categories < 64 ? d.n_categories : 64;
	for (size_t i = 0; !err && i < d.n; i++) {
		int s = segof[d.cust[i]];
		uint32_t cat = d.product_cat ? d.product_cat[d.product[i]] : 0;
		if (s && cat < ncat)
			sg[s].cat_rev[cat] += d.amount[i];
	}
	/* The report. */
	kh_jw_obj(w);
	kh_jw_key(w, "customers");
	kh_jw_double(w, all);
	kh_jw_key(w, "segments");
	kh_jw_arr(w);
	for (int s = 1; s < NSEG; s++) {
		struct seg *x = &sg[s];
		if (!x->customers)
			continue;
		kh_jw_obj(w);
		kh_jw_key(w, "segment");
		kh_jw_str(w, kh_rfm_segment_name(s));
		kh_jw_key(w, "profiling");
		kh_jw_obj(w);
		kh_jw_key(w, "customers");
		kh_jw_double(w, x->customers);
		kh_jw_key(w, "share");
		kh_jw_double(w, x->customers / all);
		kh_jw_key(w, "top_regions");
		kh_jw_arr(w);
		for (int i = 0; i < x->nprov; i++) {
			kh_jw_obj(w);
			kh_jw_key(w, "region");
			x->prov[i] ? kh_jw_str(w, x->prov[i]) : kh_jw_null(w);
			kh_jw_key(w, "customers");
			kh_jw_double(w, x->prov_n[i]);
			kh_jw_obj_end(w);
		}
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
		kh_jw_key(w, "persistency");
		kh_jw_obj(w);
		kh_jw_key(w, "p_alive");
		kh_jw_double(w, x->p_alive);
		kh_jw_key(w, "churn_risk");
		kh_jw_double(w, x->churn_n ? x->churn : NAN);
		kh_jw_key(w, "recency_days");
		kh_jw_double(w, x->recency);
		kh_jw_key(w, "active_share");
		kh_jw_double(w, x->active / x->customers);
		kh_jw_obj_end(w);
		kh_jw_key(w, "profitability");
		kh_jw_obj(w);
		kh_jw_key(w, "revenue");
		kh_jw_double(w, x->monetary * x->customers);
		kh_jw_key(w, "profit_per_customer");
		kh_jw_double(w, x->profit);
		kh_jw_key(w, "clv");
		kh_jw_double(w, x->clv);
		kh_jw_obj_end(w);
		kh_jw_key(w, "performance");
		kh_jw_obj(w);
		kh_jw_key(w, "orders_per_customer");
		kh_jw_double(w, x->frequency);
		kh_jw_key(w, "average_order_value");
		kh_jw_double(w, x->frequency > 0 ? x->monetary / x->frequency : NAN);
		kh_jw_obj_end(w);
		kh_jw_key(w, "prospecting");
		kh_jw_obj(w);
		kh_jw_key(w, "open_deals");
		kh_jw_double(w, x->open_deals);
		kh_jw_key(w, "pipeline");
		kh_jw_double(w, x->pipeline);
		kh_jw_obj_end(w);
		kh_jw_key(w, "product");
		kh_jw_arr(w);
		for (int rank = 0; rank < 3; rank++) {
			int best = -1;
			for (uint32_t cat = 0; cat < ncat; cat++)
				if (x->cat_rev[cat] > 0 && (best < 0 || x->cat_rev[cat] > x->cat_rev[best]))
					best = (int)cat;
			if (best < 0)
				break;
			kh_jw_obj(w);
			kh_jw_key(w, "category");
			kh_jw_str(w, d.category_name && d.category_name[best] ? d.category_name[best] : "");
			kh_jw_key(w, "revenue");
			kh_jw_double(w, x->cat_rev[best]);
			kh_jw_obj_end(w);
			x->cat_rev[best] = -x->cat_rev[best] - 1; /* taken */
		}
		kh_jw_arr_end(w);
		kh_jw_key(w, "promotion");
		kh_jw_obj(w);
		kh_jw_key(w, "consent_share");
		kh_jw_double(w, x->consent / x->customers);
		kh_jw_key(w, "campaign_deals_won");
		kh_jw_double(w, x->won_campaign_n);
		kh_jw_key(w, "campaign_revenue");
		kh_jw_double(w, x->won_campaign);
		kh_jw_obj_end(w);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	free(segof);
	kh_an_data_release(&d);
out:
	for (int s = 0; s < NSEG; s++)
		for (int i = 0; i < sg[s].nprov; i++)
			free(sg[s].prov[i]);
	free(sg);
	return err && !ctx->ei->code ? kh_errinfo_set(ctx->ei, err, "the 7P report failed") : err;
}
