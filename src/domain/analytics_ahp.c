/* CRM capability evaluation by AHP (analytics_ahp.h): a hierarchy of
 * criteria, pairwise judgements by one or several assessors (combined by
 * geometric mean), priorities with their consistency, and the company's
 * scores rolled up into a capability index tracked over time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/ahp.h"
#include "domain/analytics_ahp.h"
#include "domain/read.h"
#include "model/permission.h"

/* The basic and supporting CRM capabilities (customer insight, interaction
 * and value creation; process, technology, organisation and culture), as the
 * CRM capability literature structures them. */
static const char *const default_hierarchy =
	"{\"nodes\": ["
	"{\"id\": \"crm\", \"parent\": null, \"label_en\": \"CRM capability\", \"label_zh\": \"CRM能力\"},"
	"{\"id\": \"basic\", \"parent\": \"crm\", \"label_en\": \"Basic capabilities\", \"label_zh\": \"基本能力\"},"
	"{\"id\": \"supporting\", \"parent\": \"crm\", \"label_en\": \"Supporting capabilities\", \"label_zh\": \"支持能力\"},"
	"{\"id\": \"insight\", \"parent\": \"basic\", \"label_en\": \"Customer insight\", \"label_zh\": \"客户洞察能力\"},"
	"{\"id\": \"interaction\", \"parent\": \"basic\", \"label_en\": \"Customer interaction\", \"label_zh\": \"客户互动能力\"},"
	"{\"id\": \"value\", \"parent\": \"basic\", \"label_en\": \"Customer value creation\", \"label_zh\": \"客户价值创造能力\"},"
	"{\"id\": \"process\", \"parent\": \"supporting\", \"label_en\": \"Process\", \"label_zh\": \"业务流程\"},"
	"{\"id\": \"technology\", \"parent\": \"supporting\", \"label_en\": \"Technology\", \"label_zh\": \"信息技术\"},"
	"{\"id\": \"organisation\", \"parent\": \"supporting\", \"label_en\": \"Organisation\", \"label_zh\": \"组织结构\"},"
	"{\"id\": \"culture\", \"parent\": \"supporting\", \"label_en\": \"Culture\", \"label_zh\": \"企业文化\"}"
	"]}";

const char *kh_ahp_default_hierarchy(void)
{
	return default_hierarchy;
}

static void num(struct kh_jw *w, const char *k, double v)
{
	kh_jw_key(w, k);
	kh_jw_double(w, v);
}

static void write_consistency(struct kh_jw *w, const struct kh_ahp_consistency *c)
{
	num(w, "lambda_max", c->lambda_max);
	num(w, "ci", c->ci);
	num(w, "ri", c->ri);
	num(w, "cr", c->cr);
	kh_jw_key(w, "acceptable");
	kh_jw_bool(w, c->acceptable);
}

/* Saaty's scale: judgements from 1/9 to 9. A little slack lets 1/9 written
 * as 0.1111 through. */
#define SAATY_MAX 9.0
#define SAATY_SLACK 1e-3

/* A matrix from JSON: n x n numbers (-1), each on Saaty's scale (-2). */
static int read_matrix(json_t *m, size_t n, double *a)
{
	if (!json_is_array(m) || json_array_size(m) != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_array_get(m, i);
		if (!json_is_array(row) || json_array_size(row) != n)
			return -1;
		for (size_t j = 0; j < n; j++) {
			json_t *x = json_array_get(row, j);
			if (!json_is_number(x))
				return -1;
			a[i * n + j] = json_number_value(x);
		}
	}
	for (size_t i = 0; i < n * n; i++)
		if (!(a[i] * SAATY_MAX >= 1 - SAATY_SLACK && a[i] <= SAATY_MAX * (1 + SAATY_SLACK)))
			return -2;
	return 0;
}

enum kh_err kh_ahp_live(json_t *body, struct kh_jw *w, struct kh_errinfo *ei)
{
	json_t *one = json_object_get(body, "matrix"), *many = json_object_get(body, "matrices"),
	       *weights = json_object_get(body, "weights");
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v)
		if (strcmp(key, "matrix") && strcmp(key, "matrices") && strcmp(key, "weights"))
			kh_errinfo_field(ei, key, "unknown field: send matrix, or matrices and weights");
	if (ei->nfields)
		return KH_EVALIDATION;
	if (!!one == !!many)
		return kh_errinfo_set(ei, KH_EINVAL, "send a matrix, or matrices of several assessors");
	size_t k = many ? json_array_size(many) : 1;
	json_t *first = many ? json_array_get(many, 0) : one;
	size_t n = json_is_array(first) ? json_array_size(first) : 0;
	if (!k || k > 100 || n < 1 || n > KH_AHP_MAX_N) {
		kh_errinfo_field(ei, many ? "matrices" : "matrix", "a square matrix of 1 to %d criteria", KH_AHP_MAX_N);
		return KH_EVALIDATION;
	}
	double *mats = malloc(k * n * n * sizeof(double)), a[KH_AHP_MAX_N * KH_AHP_MAX_N], wt[100],
	       pr[KH_AHP_MAX_N];
	if (!mats)
		return KH_ENOMEM;
	enum kh_err err = KH_OK;
	for (size_t i = 0; i < k && !err; i++) {
		int bad = read_matrix(many ? json_array_get(many, i) : one, n, mats + i * n * n);
		if (bad) {
			if (bad == -2)
				kh_errinfo_field(ei, many ? "matrices" : "matrix",
						 "judgements are on Saaty's scale, from 1/9 to 9");
			else
				kh_errinfo_field(ei, many ? "matrices" : "matrix", "every matrix is %zu x %zu numbers", n, n);
			err = KH_EVALIDATION;
		}
	}
	if (!err && weights && (!json_is_array(weights) || json_array_size(weights) != k)) {
		kh_errinfo_field(ei, "weights", "one weight per assessor");
		err = KH_EVALIDATION;
	}
	for (size_t i = 0; !err && weights && i < k; i++)
		if (!(json_number_value(json_array_get(weights, i)) > 0)) {
			kh_errinfo_field(ei, "weights", "weights are positive numbers");
			err = KH_EVALIDATION;
		}
	for (size_t i = 0; !err && weights && i < k; i++)
		wt[i] = json_number_value(json_array_get(weights, i));
	struct kh_ahp_consistency c;
	if (!err && (err = kh_ahp_aggregate(mats, k, n, weights ? wt : NULL, a)) == KH_EINVAL)
		kh_errinfo_field(ei, many ? "matrices" : "matrix",
				 "judgements are positive, the diagonal is 1 and a[j][i] = 1 / a[i][j]");
	if (!err && (err = kh_ahp_weights(a, n, pr, &c)) == KH_EINVAL)
		kh_errinfo_field(ei, many ? "matrices" : "matrix", "not a reciprocal matrix of positive judgements");
	if (!err) {
		kh_jw_obj(w);
		kh_jw_key(w, "weights");
		kh_jw_arr(w);
		for (size_t i = 0; i < n; i++)
			kh_jw_double(w, pr[i]);
		kh_jw_arr_end(w);
		write_consistency(w, &c);
		kh_jw_key(w, "worst");
		kh_jw_obj(w);
		kh_jw_key(w, "i");
		kh_jw_int(w, (int64_t)c.worst_i);
		kh_jw_key(w, "j");
		kh_jw_int(w, (int64_t)c.worst_j);
		num(w, "value", a[c.worst_i * n + c.worst_j]);
		num(w, "suggested", c.suggested);
		kh_jw_obj_end(w);
		kh_jw_key(w, "aggregated");
		kh_jw_arr(w);
		for (size_t i = 0; i < n; i++) {
			kh_jw_arr(w);
			for (size_t j = 0; j < n; j++)
				kh_jw_double(w, a[i * n + j]);
			kh_jw_arr_end(w);
		}
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
	}
	free(mats);
	return err == KH_EVALIDATION && !ei->code ? kh_errinfo_set(ei, err, "the judgements are not valid") : err;
}

/* ---- an assessment ---- */

#define MAX_NODES 128

struct tree {
	size_t n;
	const char *id[MAX_NODES];
	const char *label_en[MAX_NODES], *label_zh[MAX_NODES];
	size_t parent[MAX_NODES];
	double local[MAX_NODES], global[MAX_NODES], score[MAX_NODES];
};

/* Reads the hierarchy; parents must come before their children, the root
 * first. -1 with the reason in why. */
static int read_tree(json_t *h, struct tree *t, const char **why)
{
	json_t *nodes = json_object_get(h, "nodes");
	size_t i;
	json_t *node;
	t->n = 0;
	if (!json_is_array(nodes) || !json_array_size(nodes) || json_array_size(nodes) > MAX_NODES) {
		*why = "the hierarchy needs 1 to 128 nodes";
		return -1;
	}
	json_array_foreach(nodes, i, node) {
		json_t *id = json_object_get(node, "id"), *par = json_object_get(node, "parent");
		if (!json_is_string(id)) {
			*why = "every node has a text id";
			return -1;
		}
		t->id[i] = json_string_value(id);
		t->label_en[i] = json_string_value(json_object_get(node, "label_en"));
		t->label_zh[i] = json_string_value(json_object_get(node, "label_zh"));
		t->parent[i] = 0;
		if (i == 0) {
			if (par && !json_is_null(par)) {
				*why = "the first node is the goal, without a parent";
				return -1;
			}
		} else {
			size_t p;
			for (p = 0; p < i && (!json_is_string(par) || strcmp(t->id[p], json_string_value(par))); p++)
				;
			if (p == i) {
				*why = "every node but the goal names a parent listed before it";
				return -1;
			}
			t->parent[i] = p;
		}
		t->local[i] = 1;
		t->score[i] = NAN;
		t->n++;
	}
	return 0;
}

static enum kh_err load_assessment(struct kh_ctx *ctx, int64_t id, json_t **row)
{
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT name, assessed_on, hierarchy, judgements, scores FROM capability_assessments WHERE id = $1",
				      &p, 1, &rows);
	if (err)
		return err;
	*row = NULL;
	if (kh_rows_next(ctx->db, rows) > 0) {
		json_t *r = json_object();
		static const char *const keys[] = {"name", "assessed_on", "hierarchy", "judgements", "scores"};
		for (int i = 0; i < 5; i++) {
			struct kh_val v = kh_rows_col(ctx->db, rows, i);
			if (v.t != KH_V_TEXT)
				continue;
			json_object_set_new(r, keys[i], i < 2 ? json_stringn(v.s, v.n) : json_loadb(v.s, v.n, 0, NULL));
		}
		*row = r;
	}
	kh_rows_end(ctx->db, rows);
	return *row ? KH_OK : KH_ENOTFOUND;
}

/* Evaluates one assessment into t (weights, scores, index) and, when w is not
 * NULL, writes the judgements' consistency. *index is NaN when scores are
 * missing. */
static enum kh_err evaluate(json_t *row, struct tree *t, struct kh_jw *w, double *index, struct kh_errinfo *ei)
{
	json_t *h = json_object_get(row, "hierarchy");
	if (!json_is_object(h) || !json_array_size(json_object_get(h, "nodes"))) {
		/* The row owns the default, so the tree's strings outlive this call. */
		h = json_loads(default_hierarchy, 0, NULL);
		if (!h || json_object_set_new(row, "hierarchy", h))
			return KH_ENOMEM;
	}
	const char *why = NULL;
	enum kh_err err = KH_OK;
	if (read_tree(h, t, &why))
		return kh_errinfo_set(ei, KH_EINVAL, "%s", why);
	json_t *assessors = json_object_get(json_object_get(row, "judgements"), "assessors");
	if (w) {
		kh_jw_key(w, "matrices");
		kh_jw_arr(w);
	}
	for (size_t p = 0; p < t->n && !err; p++) {
		size_t kids[MAX_NODES], nk = 0;
		for (size_t i = 1; i < t->n; i++)
			if (t->parent[i] == p)
				kids[nk++] = i;
		if (nk < 2) {
			for (size_t k = 0; k < nk; k++)
				t->local[kids[k]] = 1;
			continue;
		}
		if (nk > KH_AHP_MAX_N) {
			err = kh_errinfo_set(ei, KH_EINVAL, "%s has more than %d criteria under it", t->id[p], KH_AHP_MAX_N);
			break;
		}
		/* Every assessor's matrix for this node's children. */
		size_t na = json_array_size(assessors), used = 0;
		double *mats = malloc((na ? na : 1) * nk * nk * sizeof(double)), *wt = malloc((na ? na : 1) * sizeof(double));
		double a[KH_AHP_MAX_N * KH_AHP_MAX_N], pr[KH_AHP_MAX_N];
		struct kh_ahp_consistency c;
		if (!mats || !wt) {
			free(mats);
			free(wt);
			err = KH_ENOMEM;
			break;
		}
		if (w) {
			kh_jw_obj(w);
			kh_jw_key(w, "parent");
			kh_jw_str(w, t->id[p]);
			kh_jw_key(w, "children");
			kh_jw_arr(w);
			for (size_t k = 0; k < nk; k++)
				kh_jw_str(w, t->id[kids[k]]);
			kh_jw_arr_end(w);
			kh_jw_key(w, "assessors");
			kh_jw_arr(w);
		}
		for (size_t i = 0; i < na; i++) {
			json_t *as = json_array_get(assessors, i);
			json_t *m = json_object_get(json_object_get(as, "matrices"), t->id[p]);
			if (!m)
				continue;
			int bad = read_matrix(m, nk, mats + used * nk * nk);
			if (bad) {
				const char *who = json_string_value(json_object_get(as, "name"));
				err = bad == -2 ? kh_errinfo_set(ei, KH_EINVAL,
								 "the matrix of %s for %s has a judgement off Saaty's "
								 "scale (1/9 to 9)",
								 who ? who : "an assessor", t->id[p])
						: kh_errinfo_set(ei, KH_EINVAL, "the matrix of %s for %s is not %zu x %zu",
								 who ? who : "an assessor", t->id[p], nk, nk);
				break;
			}
			json_t *aw = json_object_get(as, "weight");
			wt[used] = json_is_number(aw) && json_number_value(aw) > 0 ? json_number_value(aw) : 1;
			struct kh_ahp_consistency ca;
			if (kh_ahp_weights(mats + used * nk * nk, nk, pr, &ca)) {
				err = kh_errinfo_set(ei, KH_EINVAL, "a matrix for %s is not a reciprocal matrix of positive judgements",
						     t->id[p]);
				break;
			}
			if (w) {
				kh_jw_obj(w);
				kh_jw_key(w, "name");
				json_is_string(json_object_get(as, "name")) ? kh_jw_str(w, json_string_value(json_object_get(as, "name")))
									    : kh_jw_null(w);
				num(w, "cr", ca.cr);
				kh_jw_key(w, "acceptable");
				kh_jw_bool(w, ca.acceptable);
				kh_jw_obj_end(w);
			}
			used++;
		}
		if (w)
			kh_jw_arr_end(w);
		if (!err && used) {
			/* Several assessors: the weighted geometric mean of each
			 * judgement (Aczel and Saaty 1983). */
			err = kh_ahp_aggregate(mats, used, nk, wt, a);
			if (!err)
				err = kh_ahp_weights(a, nk, pr, &c);
			if (err)
				kh_errinfo_set(ei, err, "the judgements for %s cannot be combined", t->id[p]);
		}
		if (!err) {
			for (size_t k = 0; k < nk; k++)
				t->local[kids[k]] = used ? pr[k] : 1.0 / (double)nk;
			if (w) {
				kh_jw_key(w, "judged");
				kh_jw_bool(w, used > 0);
				kh_jw_key(w, "weights");
				kh_jw_arr(w);
				for (size_t k = 0; k < nk; k++)
					kh_jw_double(w, t->local[kids[k]]);
				kh_jw_arr_end(w);
				if (used) {
					write_consistency(w, &c);
					kh_jw_key(w, "matrix");
					kh_jw_arr(w);
					for (size_t i = 0; i < nk; i++) {
						kh_jw_arr(w);
						for (size_t j = 0; j < nk; j++)
							kh_jw_double(w, a[i * nk + j]);
						kh_jw_arr_end(w);
					}
					kh_jw_arr_end(w);
					/* The judgement to revisit when CR > 0.10. */
					kh_jw_key(w, "worst");
					kh_jw_obj(w);
					kh_jw_key(w, "row");
					kh_jw_str(w, t->id[kids[c.worst_i]]);
					kh_jw_key(w, "column");
					kh_jw_str(w, t->id[kids[c.worst_j]]);
					num(w, "value", a[c.worst_i * nk + c.worst_j]);
					num(w, "suggested", c.suggested);
					kh_jw_obj_end(w);
				}
			}
		}
		if (w)
			kh_jw_obj_end(w);
		free(mats);
		free(wt);
	}
	if (w)
		kh_jw_arr_end(w);
	if (!err && (err = kh_ahp_global_weights(t->parent, t->local, t->n, t->global)))
		kh_errinfo_set(ei, err, "the hierarchy's weights are not valid");
	/* The company's scores on the leaves, rolled up into the index. */
	json_t *scores = json_object_get(row, "scores");
	int complete = 1;
	for (size_t i = 0; !err && i < t->n; i++) {
		int leaf = 1;
		for (size_t j = i + 1; j < t->n && leaf; j++)
			leaf = t->parent[j] != i;
		if (!leaf)
			continue;
		json_t *s = json_object_get(scores, t->id[i]);
		t->score[i] = json_is_number(s) ? json_number_value(s) : NAN;
		complete &= json_is_number(s);
	}
	*index = NAN;
	if (!err && complete && kh_ahp_rollup(t->parent, t->local, t->n, t->score) == KH_OK)
		*index = t->score[0];
	return err;
}

enum kh_err kh_capability_check(struct kh_ctx *ctx, json_t *hierarchy, json_t *judgements, json_t *scores)
{
	struct kh_errinfo *ei = ctx->ei, quiet;
	kh_errinfo_init(&quiet, ctx->arena);
	json_t *row = json_object();
	struct tree *t = calloc(1, sizeof *t);
	enum kh_err err = KH_OK;
	double index;
	const char *why = NULL;
	if (!row || !t) {
		err = KH_ENOMEM;
		goto out;
	}
	if (hierarchy && json_array_size(json_object_get(hierarchy, "nodes")) && read_tree(hierarchy, t, &why)) {
		kh_errinfo_field(ei, "hierarchy", "%s", why);
		goto out;
	}
	if ((hierarchy && json_object_set(row, "hierarchy", hierarchy)) ||
	    (judgements && json_object_set(row, "judgements", judgements))) {
		err = KH_ENOMEM;
		goto out;
	}
	if ((err = evaluate(row, t, NULL, &index, &quiet))) {
		if (err == KH_ENOMEM)
			goto out;
		kh_errinfo_field(ei, "judgements", "%s", quiet.msg ? quiet.msg : "are not valid");
		err = KH_OK;
		goto out;
	}
	/* Scores are 0-100, one per criterion without children. */
	const char *key;
	json_t *v;
	if (scores && !json_is_object(scores)) {
		kh_errinfo_field(ei, "scores", "must be {\"<criterion id>\": 0-100}");
		goto out;
	}
	json_object_foreach(scores, key, v) {
		size_t i;
		for (i = 0; i < t->n && strcmp(t->id[i], key); i++)
			;
		int leaf = i < t->n;
		for (size_t j = i + 1; leaf && j < t->n; j++)
			leaf = t->parent[j] != i;
		if (!leaf) {
			kh_errinfo_field(ei, "scores", "%s is not a criterion without sub-criteria", key);
			break;
		}
		if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 100)) {
			kh_errinfo_field(ei, "scores", "the score of %s must be a number from 0 to 100", key);
			break;
		}
	}
out:
	free(t);
	json_decref(row);
	return err ? err : ei->nfields ? KH_EVALIDATION : KH_OK;
}

static void write_tree(const struct tree *t, struct kh_jw *w)
{
	kh_jw_key(w, "nodes");
	kh_jw_arr(w);
	for (size_t i = 0; i < t->n; i++) {
		kh_jw_obj(w);
		kh_jw_key(w, "id");
		kh_jw_str(w, t->id[i]);
		kh_jw_key(w, "parent");
		i ? kh_jw_str(w, t->id[t->parent[i]]) : kh_jw_null(w);
		kh_jw_key(w, "label_en");
		t->label_en[i] ? kh_jw_str(w, t->label_en[i]) : kh_jw_null(w);
		kh_jw_key(w, "label_zh");
		t->label_zh[i] ? kh_jw_str(w, t->label_zh[i]) : kh_jw_null(w);
		num(w, "local", t->local[i]);
		num(w, "global", t->global[i]);
		num(w, "score", t->score[i]);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
}

enum kh_err kh_capability_evaluate(struct kh_ctx *ctx, int64_t id, struct kh_jw *w)
{
	const struct kh_entity *e = kh_entity_find("capability_assessments");
	enum kh_err err;
	if (!id) {
		/* The latest assessment the principal may read. */
		struct kh_buf sql = KH_BUF_INIT;
		struct kh_val p[8];
		int n = 0;
		kh_buf_adds(&sql, "SELECT id FROM capability_assessments WHERE archived_at IS NULL");
		kh_scope_sql(ctx->who, e, KH_ACT_READ, &sql, p, &n, 8);
		kh_buf_adds(&sql, " ORDER BY assessed_on DESC, id DESC LIMIT 1");
		err = sql.err ? sql.err : kh_db_int(ctx->db, sql.data, p, n, &id);
		kh_buf_release(&sql);
		if (err == KH_ENOTFOUND) {
			/* None yet: the default hierarchy, unweighted, to start from. */
			json_t *row = json_object();
			struct tree *t = calloc(1, sizeof *t);
			double index;
			err = row && t ? evaluate(row, t, NULL, &index, ctx->ei) : KH_ENOMEM;
			if (!err) {
				kh_jw_obj(w);
				kh_jw_key(w, "id");
				kh_jw_null(w);
				kh_jw_key(w, "matrices");
				kh_jw_arr(w);
				kh_jw_arr_end(w);
				write_tree(t, w);
				num(w, "index", NAN);
				kh_jw_key(w, "trend");
				kh_jw_arr(w);
				kh_jw_arr_end(w);
				kh_jw_obj_end(w);
			}
			free(t);
			json_decref(row);
			return err;
		}
		if (err)
			return err;
	} else if ((err = kh_record_exists(ctx, e, id, 0))) {
		return err;
	}
	json_t *row;
	if ((err = load_assessment(ctx, id, &row)))
		return err == KH_ENOTFOUND ? kh_errinfo_set(ctx->ei, err, "no such assessment") : err;
	struct tree *t = calloc(1, sizeof *t);
	double index;
	if (!t) {
		json_decref(row);
		return KH_ENOMEM;
	}
	kh_jw_obj(w);
	kh_jw_key(w, "id");
	kh_jw_int(w, id);
	kh_jw_key(w, "name");
	kh_jw_str(w, json_string_value(json_object_get(row, "name")));
	kh_jw_key(w, "assessed_on");
	kh_jw_str(w, json_string_value(json_object_get(row, "assessed_on")));
	err = evaluate(row, t, w, &index, ctx->ei);
	if (!err) {
		write_tree(t, w);
		num(w, "index", index);
	}
	json_decref(row);
	/* The index over time: every assessment with complete scores. */
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int n = 0;
	kh_buf_adds(&sql, "SELECT id FROM capability_assessments WHERE archived_at IS NULL");
	kh_scope_sql(ctx->who, e, KH_ACT_READ, &sql, p, &n, 8);
	kh_buf_adds(&sql, " ORDER BY assessed_on, id LIMIT 200");
	struct kh_rows *rows;
	int64_t ids[200];
	size_t nids = 0;
	if (!err && !(err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows))) {
		while (nids < 200 && kh_rows_next(ctx->db, rows) > 0)
			ids[nids++] = kh_rows_col(ctx->db, rows, 0).i;
		kh_rows_end(ctx->db, rows);
	}
	kh_buf_release(&sql);
	if (!err) {
		kh_jw_key(w, "trend");
		kh_jw_arr(w);
		for (size_t i = 0; i < nids; i++) {
			json_t *r2;
			struct kh_errinfo quiet;
			kh_errinfo_init(&quiet, ctx->arena);
			double ix;
			if (load_assessment(ctx, ids[i], &r2))
				continue;
			if (evaluate(r2, t, NULL, &ix, &quiet) == KH_OK) {
				kh_jw_obj(w);
				kh_jw_key(w, "id");
				kh_jw_int(w, ids[i]);
				kh_jw_key(w, "assessed_on");
				kh_jw_str(w, json_string_value(json_object_get(r2, "assessed_on")));
				num(w, "index", ix);
				kh_jw_obj_end(w);
			}
			json_decref(r2);
		}
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
	}
	free(t);
	return err;
}
