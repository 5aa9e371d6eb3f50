/* Survey results, the satisfaction models estimated from them, and loyalty
 * measures (surveys.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/pls.h"
#include "analytics/survey_stats.h"
#include "domain/analytics.h"
#include "domain/read.h"
#include "domain/surveys.h"
#include "domain/surveys_internal.h"
#include "model/permission.h"
#include "util/clock.h"

/* One response as results read it. */
struct resp {
	int64_t contact;
	int32_t month; /* y * 12 + m - 1 of submission */
	json_t *answers;
	const char *comment, *at, *channel;
	int segment; /* index into the segment names, -1 none */
};

struct responses {
	struct resp *r;
	size_t n, cap;
	char **seg;  /* RFM segment names met, in order */
	size_t nseg;
};

static void responses_free(struct responses *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		json_decref(rs->r[i].answers);
		free((char *)rs->r[i].comment);
		free((char *)rs->r[i].at);
		free((char *)rs->r[i].channel);
	}
	free(rs->r);
	for (size_t i = 0; i < rs->nseg; i++)
		free(rs->seg[i]);
	free(rs->seg);
	memset(rs, 0, sizeof(*rs));
}

static int32_t month_of(const char *at)
{
	if (!at || strlen(at) < 7)
		return 0;
	return (int32_t)((at[0] - '0') * 1000 + (at[1] - '0') * 100 + (at[2] - '0') * 10 + (at[3] - '0')) * 12 +
	       (at[5] - '0') * 10 + (at[6] - '0') - 1;
}

static void month_label(int32_t m, char out[8])
{
	unsigned y = (unsigned)(m / 12) % 10000u, mo = (unsigned)(m % 12) % 12u + 1;
	out[0] = (char)('0' + y / 1000), out[1] = (char)('0' + y / 100 % 10), out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10), out[4] = '-', out[5] = (char)('0' + mo / 10), out[6] = (char)('0' + mo % 10);
	out[7] = '\0';
}

static char *dupv(struct kh_val v)
{
	if (v.t != KH_V_TEXT)
		return NULL;
	char *s = malloc(v.n + 1);
	if (s) {
		memcpy(s, v.s, v.n);
		s[v.n] = '\0';
	}
	return s;
}

/* The survey's responses the principal may read, with each contact's stored
 * RFM segment. */
static enum kh_err load_responses(struct kh_ctx *ctx, int64_t survey, struct responses *rs)
{
	memset(rs, 0, sizeof(*rs));
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8] = {KH_VINT(survey)};
	int n = 1;
	kh_buf_adds(&sql, "SELECT r.contact_id, r.submitted_at, r.answers, r.comment, r.channel, s.rfm_segment FROM "
			  "(SELECT contact_id, submitted_at, answers, comment, channel FROM survey_responses WHERE "
			  "survey_id = $1 AND archived_at IS NULL");
	kh_scope_sql(ctx->who, kh_entity_find("survey_responses"), KH_ACT_READ, &sql, p, &n, 8);
	kh_buf_adds(&sql, ") r LEFT JOIN kh_customer_scores s ON s.entity = 'contacts' AND s.record_id = r.contact_id "
			  "ORDER BY r.submitted_at");
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return err;
	int rc;
	while (!err && (rc = kh_rows_next(ctx->db, rows)) > 0) {
		if (rs->n == rs->cap) {
			size_t cap = rs->cap ? 2 * rs->cap : 256;
			struct resp *r = realloc(rs->r, cap * sizeof *r);
			if (!r) {
				err = KH_ENOMEM;
				break;
			}
			rs->r = r;
			rs->cap = cap;
		}
		struct resp *x = &rs->r[rs->n];
		memset(x, 0, sizeof *x);
		struct kh_val v[6];
		for (int i = 0; i < 6; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		x->contact = v[0].t == KH_V_INT ? v[0].i : 0;
		x->at = dupv(v[1]);
		x->month = month_of(x->at);
		x->answers = v[2].t == KH_V_TEXT ? json_loadb(v[2].s, v[2].n, 0, NULL) : json_object();
		x->comment = dupv(v[3]);
		x->channel = dupv(v[4]);
		x->segment = -1;
		if (v[5].t == KH_V_TEXT) {
			size_t k;
			for (k = 0; k < rs->nseg && strcmp(rs->seg[k], v[5].s); k++)
				;
			if (k == rs->nseg) {
				char **seg = realloc(rs->seg, (rs->nseg + 1) * sizeof(char *));
				if (!seg || !(seg[rs->nseg] = dupv(v[5]))) {
					if (seg)
						rs->seg = seg;
					err = KH_ENOMEM;
					break;
				}
				rs->seg = seg;
				rs->nseg++;
			}
			x->segment = (int)k;
		}
		rs->n++;
	}
	kh_rows_end(ctx->db, rows);
	return err ? err : rc < 0 ? (enum kh_err)-rc : KH_OK;
}

/* The integer answers to question code (scale or nps), with the responses
 * they came from in idx. */
static size_t int_answers(const struct responses *rs, const char *code, int *out, size_t *idx)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->n; i++) {
		json_t *a = json_object_get(rs->r[i].answers, code);
		if (json_is_integer(a)) {
			out[n] = (int)json_integer_value(a);
			idx[n++] = i;
		}
	}
	return n;
}

static void jnum(struct kh_jw *w, const char *k, double v)
{
	kh_jw_key(w, k);
	kh_jw_double(w, v);
}

static void write_nps(struct kh_jw *w, const struct kh_nps *s)
{
	kh_jw_obj(w);
	kh_jw_key(w, "n");
	kh_jw_int(w, (int64_t)s->n);
	jnum(w, "score", s->score);
	jnum(w, "se", s->se);
	kh_jw_key(w, "promoters");
	kh_jw_int(w, (int64_t)s->promoters);
	kh_jw_key(w, "passives");
	kh_jw_int(w, (int64_t)s->passives);
	kh_jw_key(w, "detractors");
	kh_jw_int(w, (int64_t)s->detractors);
	kh_jw_obj_end(w);
}

static void write_dist(struct kh_jw *w, const struct kh_dist *d)
{
	jnum(w, "mean", d->mean);
	jnum(w, "sd", d->sd);
	jnum(w, "median", d->median);
	jnum(w, "csat", d->csat);
	kh_jw_key(w, "distribution");
	kh_jw_obj(w);
	for (int v = d->lo; v <= d->hi; v++) {
		char k[8];
		snprintf(k, sizeof k, "%d", v);
		kh_jw_key(w, k);
		kh_jw_int(w, (int64_t)d->count[v - d->lo]);
	}
	kh_jw_obj_end(w);
}

/* Invitations by status and channel, and by month sent. */
static enum kh_err invitation_counts(struct kh_ctx *ctx, int64_t survey, struct kh_jw *w, size_t *invited,
				     size_t *answered)
{
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8] = {KH_VINT(survey)};
	int n = 1;
	kh_buf_adds(&sql, "SELECT channel, status, count(*) FROM survey_invitations WHERE survey_id = $1 AND "
			  "archived_at IS NULL");
	kh_scope_sql(ctx->who, kh_entity_find("survey_invitations"), KH_ACT_READ, &sql, p, &n, 8);
	kh_buf_adds(&sql, " GROUP BY channel, status ORDER BY channel, status");
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return err;
	*invited = *answered = 0;
	kh_jw_key(w, "invitations");
	kh_jw_arr(w);
	int rc;
	while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
		struct kh_val ch = kh_rows_col(ctx->db, rows, 0), st = kh_rows_col(ctx->db, rows, 1);
		int64_t c = kh_rows_col(ctx->db, rows, 2).i;
		kh_jw_obj(w);
		kh_jw_key(w, "channel");
		kh_jw_strn(w, ch.t == KH_V_TEXT ? ch.s : "", ch.t == KH_V_TEXT ? ch.n : 0);
		kh_jw_key(w, "status");
		kh_jw_strn(w, st.t == KH_V_TEXT ? st.s : "", st.t == KH_V_TEXT ? st.n : 0);
		kh_jw_key(w, "count");
		kh_jw_int(w, c);
		kh_jw_obj_end(w);
		/* Pending invitations have not reached anyone yet. */
		if (st.t == KH_V_TEXT && strcmp(st.s, "pending") && strcmp(st.s, "expired"))
			*invited += (size_t)c;
		if (st.t == KH_V_TEXT && !strcmp(st.s, "answered"))
			*answered += (size_t)c;
	}
	kh_jw_arr_end(w);
	kh_rows_end(ctx->db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

enum kh_err kh_survey_results(struct kh_ctx *ctx, int64_t survey, struct kh_jw *w)
{
	enum kh_err err = kh_record_exists(ctx, kh_entity_find("surveys"), survey, 0);
	if (err)
		return err;
	struct question *q = NULL;
	size_t nq = 0;
	struct responses rs;
	if ((err = kh_survey_questions(ctx, survey, NULL, &q, &nq)))
		return err;
	if ((err = load_responses(ctx, survey, &rs))) {
		kh_survey_questions_free(q, nq);
		return err;
	}
	int *vals = malloc((rs.n ? rs.n : 1) * sizeof(int));
	size_t *idx = malloc((rs.n ? rs.n : 1) * sizeof(size_t)), *period = malloc((rs.n ? rs.n : 1) * sizeof(size_t));
	if (!vals || !idx || !period) {
		err = KH_ENOMEM;
		goto out;
	}
	size_t invited, answered;
	kh_jw_obj(w);
	kh_jw_key(w, "survey_id");
	kh_jw_int(w, survey);
	if ((err = invitation_counts(ctx, survey, w, &invited, &answered)))
		goto out;
	kh_jw_key(w, "invited");
	kh_jw_int(w, (int64_t)invited);
	kh_jw_key(w, "responses");
	kh_jw_int(w, (int64_t)rs.n);
	jnum(w, "response_rate", invited ? (double)answered / (double)invited : NAN);
	/* The headline question of each kind: the first NPS and the first scale. */
	const struct question *npsq = NULL, *satq = NULL;
	for (size_t i = 0; i < nq; i++) {
		if (!npsq && !strcmp(q[i].type, "nps"))
			npsq = &q[i];
		if (!satq && !strcmp(q[i].type, "scale"))
			satq = &q[i];
	}
	kh_jw_key(w, "questions");
	kh_jw_arr(w);
	for (size_t i = 0; i < nq && !err; i++) {
		const struct question *x = &q[i];
		kh_jw_obj(w);
		kh_jw_key(w, "code");
		kh_jw_str(w, x->code);
		kh_jw_key(w, "type");
		kh_jw_str(w, x->type);
		if (!strcmp(x->type, "scale") || !strcmp(x->type, "nps")) {
			size_t n = int_answers(&rs, x->code, vals, idx);
			struct kh_dist d;
			/* CSAT is the top two boxes (4 and 5 of 1-5). */
			if (kh_csat(vals, n, (int)x->lo, (int)x->hi, (int)x->hi - 1, &d) == KH_OK) {
				kh_jw_key(w, "n");
				kh_jw_int(w, (int64_t)n);
				write_dist(w, &d);
			}
			if (!strcmp(x->type, "nps")) {
				struct kh_nps s;
				if (kh_nps(vals, n, &s) == KH_OK) {
					kh_jw_key(w, "nps");
					write_nps(w, &s);
				}
			}
		} else if (!strcmp(x->type, "single") || !strcmp(x->type, "multiple")) {
			kh_jw_key(w, "counts");
			kh_jw_obj(w);
			size_t k, n = 0;
			json_t *o;
			json_array_foreach(x->options, k, o) {
				size_t c = 0;
				for (size_t r = 0; r < rs.n; r++) {
					json_t *a = json_object_get(rs.r[r].answers, x->code);
					if (json_is_array(a)) {
						size_t j;
						json_t *y;
						json_array_foreach(a, j, y)
							c += json_equal(y, o);
					} else {
						c += a && json_equal(a, o);
					}
				}
				kh_jw_key(w, json_string_value(o));
				kh_jw_int(w, (int64_t)c);
			}
			kh_jw_obj_end(w);
			for (size_t r = 0; r < rs.n; r++)
				n += json_object_get(rs.r[r].answers, x->code) != NULL;
			kh_jw_key(w, "n");
			kh_jw_int(w, (int64_t)n);
		} else {
			/* Text: the latest twenty answers. */
			kh_jw_key(w, "answers");
			kh_jw_arr(w);
			size_t shown = 0, n = 0;
			for (size_t r = rs.n; r-- > 0;) {
				json_t *a = json_object_get(rs.r[r].answers, x->code);
				if (!json_is_string(a))
					continue;
				n++;
				if (shown++ < 20)
					kh_jw_str(w, json_string_value(a));
			}
			kh_jw_arr_end(w);
			kh_jw_key(w, "n");
			kh_jw_int(w, (int64_t)n);
		}
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "nps_question");
	npsq ? kh_jw_str(w, npsq->code) : kh_jw_null(w);
	kh_jw_key(w, "csat_question");
	satq ? kh_jw_str(w, satq->code) : kh_jw_null(w);
	/* By RFM segment and by month: the headline NPS and CSAT. */
	for (int pass = 0; pass < 2; pass++) {
		int by_month = pass == 1;
		int32_t m0 = INT32_MAX, m1 = INT32_MIN;
		for (size_t r = 0; r < rs.n; r++) {
			if (rs.r[r].month < m0)
				m0 = rs.r[r].month;
			if (rs.r[r].month > m1)
				m1 = rs.r[r].month;
		}
		size_t ng = by_month ? (rs.n ? (size_t)(m1 - m0 + 1) : 0) : rs.nseg + 1;
		if (ng > 600)
			ng = 600;
		kh_jw_key(w, by_month ? "by_month" : "by_segment");
		kh_jw_arr(w);
		for (size_t g = 0; g < ng; g++) {
			size_t count = 0;
			for (size_t r = 0; r < rs.n; r++)
				count += by_month ? (size_t)(rs.r[r].month - m0) == g
						  : (size_t)(rs.r[r].segment < 0 ? (int)rs.nseg : rs.r[r].segment) == g;
			if (!by_month && !count)
				continue;
			kh_jw_obj(w);
			if (by_month) {
				char ml[8];
				month_label(m0 + (int32_t)g, ml);
				kh_jw_key(w, "month");
				kh_jw_str(w, ml);
			} else {
				kh_jw_key(w, "segment");
				g < rs.nseg ? kh_jw_str(w, rs.seg[g]) : kh_jw_null(w);
			}
			kh_jw_key(w, "responses");
			kh_jw_int(w, (int64_t)count);
			for (int h = 0; h < 2; h++) {
				const struct question *x = h ? satq : npsq;
				if (!x)
					continue;
				size_t n = 0;
				for (size_t r = 0; r < rs.n; r++) {
					int in = by_month ? (size_t)(rs.r[r].month - m0) == g
							  : (size_t)(rs.r[r].segment < 0 ? (int)rs.nseg : rs.r[r].segment) == g;
					json_t *a = json_object_get(rs.r[r].answers, x->code);
					if (in && json_is_integer(a))
						vals[n++] = (int)json_integer_value(a);
				}
				if (h == 0) {
					struct kh_nps s;
					kh_nps(vals, n, &s);
					jnum(w, "nps", s.score);
					jnum(w, "nps_se", s.se);
				} else {
					struct kh_dist d;
					kh_csat(vals, n, (int)x->lo, (int)x->hi, (int)x->hi - 1, &d);
					jnum(w, "csat", d.csat);
					jnum(w, "mean", d.mean);
				}
			}
			kh_jw_obj_end(w);
		}
		kh_jw_arr_end(w);
	}
	kh_jw_key(w, "comments");
	kh_jw_arr(w);
	for (size_t r = rs.n, shown = 0; r-- > 0 && shown < 20;) {
		if (!rs.r[r].comment)
			continue;
		kh_jw_obj(w);
		kh_jw_key(w, "at");
		kh_jw_str(w, rs.r[r].at ? rs.r[r].at : "");
		kh_jw_key(w, "text");
		kh_jw_str(w, rs.r[r].comment);
		kh_jw_obj_end(w);
		shown++;
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
out:
	free(vals);
	free(idx);
	free(period);
	responses_free(&rs);
	kh_survey_questions_free(q, nq);
	return err;
}

/* ---- satisfaction: PLS over the answers ---- */

enum kh_err kh_survey_satisfaction(struct kh_ctx *ctx, int64_t survey, const char *scheme, size_t n_boot,
				   struct kh_jw *w)
{
	enum kh_err err = kh_record_exists(ctx, kh_entity_find("surveys"), survey, 0);
	if (err)
		return err;
	struct kh_val p = KH_VINT(survey);
	struct kh_rows *rows;
	if ((err = kh_db_query(ctx->db, "SELECT kind, model, scale_min, scale_max FROM surveys WHERE id = $1", &p, 1, &rows)))
		return err;
	char kind[16] = "", *model_text = NULL;
	double lo = 1, hi = 10;
	if (kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val k = kh_rows_col(ctx->db, rows, 0), m = kh_rows_col(ctx->db, rows, 1);
		struct kh_val a = kh_rows_col(ctx->db, rows, 2), b = kh_rows_col(ctx->db, rows, 3);
		snprintf(kind, sizeof kind, "%s", k.t == KH_V_TEXT ? k.s : "");
		model_text = m.t == KH_V_TEXT && m.n ? dupv(m) : NULL;
		lo = a.t == KH_V_INT ? (double)a.i : 1;
		hi = b.t == KH_V_INT ? (double)b.i : 10;
	}
	kh_rows_end(ctx->db, rows);
	struct kh_pls_model parsed = {0};
	const struct kh_pls_model *m = NULL;
	const char *name = kind;
	char why[256];
	if (model_text) {
		if (kh_pls_model_parse(model_text, strlen(model_text), &parsed, why, sizeof why)) {
			free(model_text);
			return kh_errinfo_set(ctx->ei, KH_EINVAL, "the survey's path model is not valid: %s", why);
		}
		m = &parsed;
		name = "custom";
	} else {
		m = kh_pls_model_builtin(kind);
	}
	free(model_text);
	if (!m)
		return kh_errinfo_set(ctx->ei, KH_EINVAL,
				      "a satisfaction model needs an ACSI or ECSI survey, or a survey with its own path model");
	struct responses rs;
	if ((err = load_responses(ctx, survey, &rs))) {
		kh_pls_model_release(&parsed);
		return err;
	}
	/* The table: one column per item of the model, NaN where unanswered. */
	size_t k = m->n_mv;
	double *x = malloc((rs.n ? rs.n : 1) * k * sizeof(double));
	if (!x) {
		err = KH_ENOMEM;
	} else {
		for (size_t r = 0; r < rs.n; r++)
			for (size_t j = 0; j < k; j++) {
				json_t *a = json_object_get(rs.r[r].answers, m->mv_name[j]);
				x[r * k + j] = json_is_number(a) ? json_number_value(a) : NAN;
			}
		struct kh_pls_opts po;
		kh_pls_opts_init(&po);
		po.scheme = !strcmp(scheme, "centroid") ? KH_PLS_CENTROID : !strcmp(scheme, "factorial") ? KH_PLS_FACTORIAL
													   : KH_PLS_PATH_WEIGHTING;
		po.n_boot = n_boot;
		po.scale_min = lo;
		po.scale_max = hi;
		err = kh_an_pls(m, name, m->mv_name, k, x, rs.n, &po, w, ctx->ei);
	}
	free(x);
	responses_free(&rs);
	kh_pls_model_release(&parsed);
	return err;
}

/* ---- loyalty ---- */

/* qsort has no context in C11; the array it orders by is set just before. */
static _Thread_local const int64_t *sort_contacts;

static int cmp_contact(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int64_t cx = sort_contacts[x], cy = sort_contacts[y];
	return cx < cy ? -1 : cx > cy ? 1 : x < y ? -1 : x > y;
}

enum kh_err kh_survey_loyalty(struct kh_ctx *ctx, int64_t survey, const char *attitude, struct kh_jw *w)
{
	enum kh_err err = KH_OK;
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[10];
	int n = 0;
	/* Attitude: each contact's latest answer to the attitude question (the
	 * NPS answer stored with every response when none is named), in one or
	 * in all surveys. */
	if (survey) {
		if ((err = kh_record_exists(ctx, kh_entity_find("surveys"), survey, 0)))
			return err;
		p[n++] = KH_VINT(survey);
	}
	kh_buf_addf(&sql, "SELECT contact_id, submitted_at, nps, answers FROM survey_responses WHERE archived_at IS NULL "
			  "AND contact_id IS NOT NULL%s",
		    survey ? " AND survey_id = $1" : "");
	kh_scope_sql(ctx->who, kh_entity_find("survey_responses"), KH_ACT_READ, &sql, p, &n, 10);
	kh_buf_adds(&sql, " ORDER BY submitted_at");
	struct kh_rows *rows;
	err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return err;
	size_t cap = 1024, m = 0;
	int64_t *contact = malloc(cap * sizeof(int64_t));
	double *att = malloc(cap * sizeof(double)), *sow = malloc(cap * sizeof(double));
	int *nps = malloc(cap * sizeof(int));
	size_t *period = malloc(cap * sizeof(size_t));
	int32_t m0 = INT32_MAX, m1 = INT32_MIN;
	int rc = 0;
	while (!err && contact && att && sow && nps && period && (rc = kh_rows_next(ctx->db, rows)) > 0) {
		if (m == cap) {
			cap *= 2;
			int64_t *c2 = realloc(contact, cap * sizeof(int64_t));
			double *a2 = realloc(att, cap * sizeof(double)), *s2 = realloc(sow, cap * sizeof(double));
			int *n2 = realloc(nps, cap * sizeof(int));
			size_t *p2 = realloc(period, cap * sizeof(size_t));
			contact = c2 ? c2 : contact;
			att = a2 ? a2 : att;
			sow = s2 ? s2 : sow;
			nps = n2 ? n2 : nps;
			period = p2 ? p2 : period;
			if (!c2 || !a2 || !s2 || !n2 || !p2) {
				err = KH_ENOMEM;
				break;
			}
		}
		struct kh_val at = kh_rows_col(ctx->db, rows, 1), nv = kh_rows_col(ctx->db, rows, 2),
			      an = kh_rows_col(ctx->db, rows, 3);
		json_t *ans = an.t == KH_V_TEXT ? json_loadb(an.s, an.n, 0, NULL) : NULL;
		json_t *a = attitude ? json_object_get(ans, attitude) : NULL, *s = json_object_get(ans, "SOW");
		contact[m] = kh_rows_col(ctx->db, rows, 0).i;
		att[m] = attitude ? (json_is_number(a) ? json_number_value(a) : NAN) : nv.t == KH_V_INT ? (double)nv.i : NAN;
		nps[m] = nv.t == KH_V_INT ? (int)nv.i : -1;
		sow[m] = json_is_number(s) ? json_number_value(s) : NAN;
		int32_t mo = month_of(at.t == KH_V_TEXT ? at.s : NULL);
		period[m] = (size_t)mo;
		if (mo < m0)
			m0 = mo;
		if (mo > m1)
			m1 = mo;
		json_decref(ans);
		m++;
	}
	kh_rows_end(ctx->db, rows);
	if (!err && rc < 0)
		err = (enum kh_err)-rc;
	if (!err && (!contact || !att || !sow || !nps || !period))
		err = KH_ENOMEM;
	/* Behaviour: purchase days in the last year, per contact (the principal's
	 * orders). */
	int64_t *pc = NULL;
	double *pd = NULL;
	size_t np = 0;
	if (!err) {
		char since[11];
		kh_date_format(kh_now() / 86400000000LL - 365, since);
		struct kh_val q[8] = {KH_VTEXT(since)};
		int nq = 1;
		kh_buf_reset(&sql);
		kh_buf_adds(&sql, "SELECT contact_id, count(DISTINCT order_date) FROM orders WHERE archived_at IS NULL AND "
				  "status NOT IN ('draft', 'cancelled') AND contact_id IS NOT NULL AND order_date > $1");
		kh_scope_sql(ctx->who, kh_entity_find("orders"), KH_ACT_READ, &sql, q, &nq, 8);
		kh_buf_adds(&sql, " GROUP BY contact_id ORDER BY contact_id");
		err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, q, nq, &rows);
		kh_buf_release(&sql);
		int opened = !err;
		size_t pcap = 0;
		rc = 0;
		while (!err && (rc = kh_rows_next(ctx->db, rows)) > 0) {
			if (np == pcap) {
				pcap = pcap ? 2 * pcap : 1024;
				int64_t *c2 = realloc(pc, pcap * sizeof(int64_t));
				double *d2 = realloc(pd, pcap * sizeof(double));
				pc = c2 ? c2 : pc;
				pd = d2 ? d2 : pd;
				if (!c2 || !d2) {
					err = KH_ENOMEM;
					break;
				}
			}
			pc[np] = kh_rows_col(ctx->db, rows, 0).i;
			pd[np++] = (double)kh_rows_col(ctx->db, rows, 1).i;
		}
		if (opened)
			kh_rows_end(ctx->db, rows);
		if (!err && rc < 0)
			err = (enum kh_err)-rc;
	}
	if (err)
		goto out;
	/* One row per contact: the latest attitude (responses come in time order). */
	size_t nc = 0;
	double *ca = malloc((m ? m : 1) * sizeof(double)), *cb = malloc((m ? m : 1) * sizeof(double)),
	       *cs = malloc((m ? m : 1) * sizeof(double));
	enum kh_loyalty *seg = malloc((m ? m : 1) * sizeof(enum kh_loyalty));
	if (!ca || !cb || !cs || !seg) {
		free(ca);
		free(cb);
		free(cs);
		free(seg);
		err = KH_ENOMEM;
		goto out;
	}
	/* Responses by contact, each contact's in time order: the last one of a
	 * run with an attitude is the one that counts. */
	size_t *by = malloc((m ? m : 1) * sizeof(size_t));
	if (!by) {
		free(ca);
		free(cb);
		free(cs);
		free(seg);
		err = KH_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < m; i++)
		by[i] = i;
	sort_contacts = contact;
	qsort(by, m, sizeof(size_t), cmp_contact);
	for (size_t k = 0; k < m; k++) {
		size_t i = by[k];
		int later = 0;
		for (size_t j = k + 1; j < m && contact[by[j]] == contact[i] && !later; j++)
			later = !isnan(att[by[j]]);
		if (later || isnan(att[i]))
			continue;
		double days = 0;
		size_t lo = 0, hi = np;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (pc[mid] < contact[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < np && pc[lo] == contact[i])
			days = pd[lo];
		ca[nc] = att[i];
		cb[nc] = days;
		cs[nc++] = sow[i];
	}
	/* High attitude: a promoter (9-10 of 0-10, or the top two boxes of the
	 * named question); high patronage: bought again within the year. */
	double acut = 9;
	if (attitude) {
		double top = 0;
		for (size_t i = 0; i < nc; i++)
			top = fmax(top, ca[i]);
		acut = top >= 9 ? 9 : top >= 6 ? top - 1 : top;
	}
	size_t count[KH_LOYALTY_COUNT] = {0};
	err = kh_loyalty_segments(ca, cb, nc, acut, 2, seg, count);
	kh_jw_obj(w);
	kh_jw_key(w, "survey_id");
	survey ? kh_jw_int(w, survey) : kh_jw_null(w);
	kh_jw_key(w, "attitude");
	kh_jw_str(w, attitude ? attitude : "nps");
	jnum(w, "attitude_cut", acut);
	kh_jw_key(w, "customers");
	kh_jw_int(w, (int64_t)nc);
	kh_jw_key(w, "segments");
	kh_jw_arr(w);
	for (int s = KH_LOYALTY_COUNT - 1; !err && s >= 0; s--) {
		double sw = 0, swn = 0;
		for (size_t i = 0; i < nc; i++)
			if (seg[i] == (enum kh_loyalty)s && !isnan(cs[i])) {
				sw += cs[i];
				swn++;
			}
		kh_jw_obj(w);
		kh_jw_key(w, "segment");
		kh_jw_str(w, kh_loyalty_name((enum kh_loyalty)s));
		kh_jw_key(w, "customers");
		kh_jw_int(w, (int64_t)count[s]);
		jnum(w, "share_of_wallet", swn ? sw / swn : NAN);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	double sw = 0, swn = 0;
	for (size_t i = 0; i < nc; i++)
		if (!isnan(cs[i])) {
			sw += cs[i];
			swn++;
		}
	kh_jw_key(w, "share_of_wallet");
	kh_jw_obj(w);
	kh_jw_key(w, "answers");
	kh_jw_int(w, (int64_t)swn);
	jnum(w, "mean", swn ? sw / swn : NAN);
	kh_jw_obj_end(w);
	/* The NPS month by month, over every answer with an NPS. */
	kh_jw_key(w, "nps_trend");
	kh_jw_arr(w);
	if (m && m1 - m0 < 600) {
		size_t months = (size_t)(m1 - m0 + 1), k = 0;
		int *v = malloc(m * sizeof(int));
		size_t *pp = malloc(m * sizeof(size_t));
		struct kh_nps *out = malloc(months * sizeof(struct kh_nps));
		if (v && pp && out) {
			for (size_t i = 0; i < m; i++)
				if (nps[i] >= 0) {
					v[k] = nps[i];
					pp[k++] = period[i] - (size_t)m0;
				}
			if (kh_nps_by_period(v, pp, k, months, out) == KH_OK)
				for (size_t i = 0; i < months; i++) {
					char ml[8];
					month_label(m0 + (int32_t)i, ml);
					kh_jw_obj(w);
					kh_jw_key(w, "month");
					kh_jw_str(w, ml);
					kh_jw_key(w, "n");
					kh_jw_int(w, (int64_t)out[i].n);
					jnum(w, "nps", out[i].score);
					jnum(w, "se", out[i].se);
					kh_jw_obj_end(w);
				}
		} else {
			err = KH_ENOMEM;
		}
		free(v);
		free(pp);
		free(out);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	free(ca);
	free(cb);
	free(cs);
	free(seg);
	free(by);
out:
	free(contact);
	free(att);
	free(sow);
	free(nps);
	free(period);
	free(pc);
	free(pd);
	return err && !ctx->ei->code ? kh_errinfo_set(ctx->ei, err, "loyalty measures failed") : err;
}
