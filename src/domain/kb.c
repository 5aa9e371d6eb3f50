#include "domain/kb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/read.h"
#include "domain/service.h"
#include "domain/service_internal.h"
#include "model/record_json.h"
#include "util/textnorm.h"
#include "util/utf8.h"

#define MAX_TERM 64     /* bytes: longer words are cut */
#define MAX_QUERY_TERMS 32
#define TITLE_WEIGHT 3

static size_t put_cp(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12)), out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18)), out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static uint32_t normalise(uint32_t cp)
{
	if (cp >= 0xff01 && cp <= 0xff5e) /* full-width ASCII */
		cp = cp - 0xff01 + 0x21;
	if (cp >= 'A' && cp <= 'Z')
		cp += 32;
	if (kh_is_cjk(cp))
		cp = kh_t2s(cp);
	return cp;
}

static int word_char(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 0xc0 && cp < 0x3000 && !kh_is_cjk(cp));
}

void kh_kb_terms(const char *s, size_t n, int query, void (*fn)(void *cls, const char *term, size_t len), void *cls)
{
	char word[MAX_TERM + 4];
	size_t wl = 0;
	uint32_t run[2] = {0, 0}; /* the previous CJK character, if the run goes on */
	int runlen = 0;
	for (size_t i = 0; i <= n;) {
		uint32_t cp = 0;
		int len = 1;
		if (i < n) {
			len = kh_utf8_decode(s + i, n - i, &cp);
			if (len <= 0)
				len = 1, cp = ' ';
			cp = normalise(cp);
		}
		int cjk = i < n && kh_is_cjk(cp), wc = i < n && word_char(cp);
		if (!wc && wl) {
			fn(cls, word, wl);
			wl = 0;
		}
		if (wc && wl + 4 <= MAX_TERM)
			wl += put_cp(word + wl, cp);
		if (cjk) {
			char t[8];
			size_t tl;
			/* Every character alone when indexing; in a query only a lone one. */
			if (!query) {
				tl = put_cp(t, cp);
				fn(cls, t, tl);
			}
			if (runlen) {
				tl = put_cp(t, run[0]);
				tl += put_cp(t + tl, cp);
				fn(cls, t, tl);
			}
			run[0] = cp;
			runlen++;
		} else {
			if (query && runlen == 1) {
				char t[4];
				fn(cls, t, put_cp(t, run[0]));
			}
			runlen = 0;
		}
		i += (size_t)len;
	}
}

/* ---- indexing ---- */

struct term {
	char *s;
	size_t n;
	int weight;
};

struct terms {
	struct kh_arena *a;
	struct term *t;
	size_t n, cap;
	int weight;
	int failed;
};

static void collect(void *cls, const char *term, size_t len)
{
	struct terms *ts = cls;
	if (ts->failed)
		return;
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 256;
		struct term *more = kh_arena_alloc(ts->a, cap * sizeof *more);
		if (!more) {
			ts->failed = 1;
			return;
		}
		if (ts->n)
			memcpy(more, ts->t, ts->n * sizeof *more);
		ts->t = more, ts->cap = cap;
	}
	char *copy = kh_arena_strndup(ts->a, term, len);
	if (!copy) {
		ts->failed = 1;
		return;
	}
	ts->t[ts->n++] = (struct term){copy, len, ts->weight};
}

static int cmp_term(const void *a, const void *b)
{
	const struct term *x = a, *y = b;
	return strcmp(x->s, y->s);
}

static void add_text(struct terms *ts, const struct kh_val *v, int weight)
{
	if (v->t != KH_V_TEXT)
		return;
	ts->weight = weight;
	kh_kb_terms(v->s, v->n, 0, collect, ts);
}

static enum kh_err index_article(struct kh_db *db, struct kh_arena *a, int64_t id, const struct kh_val *title,
				 const struct kh_val *body, const struct kh_val *category, const struct kh_val *tags)
{
	struct kh_val p[3] = {KH_VINT(id)};
	enum kh_err err = kh_db_exec(db, "DELETE FROM kh_kb_terms WHERE article_id = $1", p, 1);
	if (err)
		return err;
	struct terms ts = {.a = a};
	add_text(&ts, title, TITLE_WEIGHT);
	add_text(&ts, body, 1);
	add_text(&ts, category, TITLE_WEIGHT);
	add_text(&ts, tags, TITLE_WEIGHT);
	if (ts.failed)
		return KH_ENOMEM;
	qsort(ts.t, ts.n, sizeof *ts.t, cmp_term);
	for (size_t i = 0; !err && i < ts.n;) {
		size_t k = i;
		int64_t tf = 0;
		while (k < ts.n && !strcmp(ts.t[k].s, ts.t[i].s))
			tf += ts.t[k++].weight;
		p[1] = KH_VTEXTN(ts.t[i].s, ts.t[i].n);
		p[2] = KH_VINT(tf);
		err = kh_db_exec(db, "INSERT INTO kh_kb_terms (term, article_id, tf) VALUES ($2, $1, $3)", p, 3);
		i = k;
	}
	return err;
}

enum kh_err kh_kb_after_write(struct kh_write *w)
{
	if (w->op == KH_OP_ARCHIVE) {
		struct kh_val p = KH_VINT(w->id);
		return kh_db_exec(w->ctx->db, "DELETE FROM kh_kb_terms WHERE article_id = $1", &p, 1);
	}
	if (w->op == KH_OP_UPDATE && !kh_write_changes(w, "title") && !kh_write_changes(w, "body") &&
	    !kh_write_changes(w, "category") && !kh_write_changes(w, "tags"))
		return KH_OK;
	return index_article(w->ctx->db, w->ctx->arena, w->id, kh_write_get(w, "title"), kh_write_get(w, "body"),
			     kh_write_get(w, "category"), kh_write_get(w, "tags"));
}

enum kh_err kh_kb_reindex_all(struct kh_db *db)
{
	struct kh_rows *rows;
	enum kh_err err = kh_db_exec(db, "DELETE FROM kh_kb_terms", NULL, 0);
	int64_t n = 0;
	if (!err)
		err = kh_db_int(db, "SELECT count(*) FROM kb_articles WHERE archived_at IS NULL", NULL, 0, &n);
	if (err || !n)
		return err;
	/* Read them all first: the inserts use the same connection. */
	struct kh_arena a;
	kh_arena_init(&a);
	struct art {
		int64_t id;
		struct kh_val v[4];
	} *arts = kh_arena_calloc(&a, (size_t)n, sizeof *arts);
	int64_t k = 0;
	err = arts ? kh_db_query(db, "SELECT id, title, body, category, tags FROM kb_articles WHERE archived_at IS NULL",
				 NULL, 0, &rows)
		   : KH_ENOMEM;
	if (!err) {
		while (k < n && kh_rows_next(db, rows) > 0) {
			arts[k].id = kh_rows_col(db, rows, 0).i;
			for (int c = 0; c < 4; c++) {
				struct kh_val v = kh_rows_col(db, rows, c + 1);
				if (v.t == KH_V_TEXT)
					v.s = kh_arena_strndup(&a, v.s, v.n);
				arts[k].v[c] = v;
			}
			k++;
		}
		kh_rows_end(db, rows);
	}
	for (int64_t i = 0; !err && i < k; i++)
		err = index_article(db, &a, arts[i].id, &arts[i].v[0], &arts[i].v[1], &arts[i].v[2], &arts[i].v[3]);
	kh_arena_release(&a);
	return err;
}

/* ---- searching ---- */

struct qterms {
	char t[MAX_QUERY_TERMS][MAX_TERM + 4];
	int n;
	int skip_single; /* suggestions: single characters say too little */
};

static void qcollect(void *cls, const char *term, size_t len)
{
	struct qterms *q = cls;
	if (q->n == MAX_QUERY_TERMS || len > MAX_TERM)
		return;
	if (q->skip_single) {
		uint32_t cp;
		if (kh_utf8_decode(term, len, &cp) == (int)len && kh_is_cjk(cp))
			return;
		if (len < 2)
			return;
	}
	for (int i = 0; i < q->n; i++)
		if (strlen(q->t[i]) == len && !memcmp(q->t[i], term, len))
			return;
	memcpy(q->t[q->n], term, len);
	q->t[q->n][len] = '\0';
	q->n++;
}

struct hit {
	int64_t id;
	double score;
	unsigned matched; /* bit i: query term i */
};

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* Scores articles for the terms; returns the hits best first in *out. */
static enum kh_err rank(struct kh_ctx *ctx, const struct qterms *q, int any_term, struct hit **out, int *nout)
{
	struct kh_db *db = ctx->db;
	*out = NULL;
	*nout = 0;
	if (!q->n)
		return KH_OK;
	int64_t total = 0;
	enum kh_err err = kh_db_int(db, "SELECT count(DISTINCT article_id) FROM kh_kb_terms", NULL, 0, &total);
	if (err)
		return err;
	int cap = 0, n = 0;
	struct hit *hits = NULL;
	for (int i = 0; i < q->n; i++) {
		struct kh_val p = KH_VTEXT(q->t[i]);
		int64_t df = 0;
		if ((err = kh_db_int(db, "SELECT count(*) FROM kh_kb_terms WHERE term = $1", &p, 1, &df)))
			return err;
		if (!df)
			continue;
		double idf = log(1.0 + (double)total / (double)df);
		struct kh_rows *rows;
		if ((err = kh_db_query(db, "SELECT article_id, tf FROM kh_kb_terms WHERE term = $1 LIMIT 20000", &p, 1,
				       &rows)))
			return err;
		while (kh_rows_next(db, rows) > 0) {
			int64_t id = kh_rows_col(db, rows, 0).i;
			double tf = (double)kh_rows_col(db, rows, 1).i;
			int k = 0;
			while (k < n && hits[k].id != id)
				k++;
			if (k == n) {
				if (n == cap) {
					int nc = cap ? cap * 2 : 64;
					struct hit *more = kh_arena_alloc(ctx->arena, (size_t)nc * sizeof *more);
					if (!more) {
						kh_rows_end(db, rows);
						return KH_ENOMEM;
					}
					if (n)
						memcpy(more, hits, (size_t)n * sizeof *hits);
					hits = more, cap = nc;
				}
				hits[n++] = (struct hit){id, 0, 0};
			}
			hits[k].score += tf / (tf + 1.2) * idf;
			hits[k].matched |= 1u << i;
		}
		kh_rows_end(db, rows);
	}
	unsigned all = q->n >= 32 ? ~0u : (1u << q->n) - 1;
	int kept = 0;
	for (int i = 0; i < n; i++)
		if (any_term || hits[i].matched == all)
			hits[kept++] = hits[i];
	if (kept)
		qsort(hits, (size_t)kept, sizeof *hits, cmp_hit);
	*out = hits;
	*nout = kept;
	return KH_OK;
}

/* The first ~160 characters of the body, on a character boundary. */
static void snippet(struct kh_jw *w, struct kh_val body)
{
	if (body.t != KH_V_TEXT) {
		kh_jw_str(w, "");
		return;
	}
	size_t end = 0, chars = 0;
	while (end < body.n && chars < 160) {
		uint32_t cp;
		int len = kh_utf8_decode(body.s + end, body.n - end, &cp);
		end += len > 0 ? (size_t)len : 1;
		chars++;
	}
	kh_jw_strn(w, body.s, end);
}

static enum kh_err write_hits(struct kh_ctx *ctx, const struct hit *hits, int n, const char *category, int limit,
			      struct kh_jw *w)
{
	struct kh_db *db = ctx->db;
	kh_jw_obj(w);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	int shown = 0;
	for (int i = 0; i < n && shown < limit; i++) {
		struct kh_val p = KH_VINT(hits[i].id);
		struct kh_rows *rows;
		enum kh_err err = kh_db_query(db,
					      "SELECT title, category, tags, body, status, used_count FROM kb_articles "
					      "WHERE id = $1 AND archived_at IS NULL",
					      &p, 1, &rows);
		if (err)
			return err;
		if (kh_rows_next(db, rows) > 0) {
			struct kh_val v[6];
			for (int c = 0; c < 6; c++)
				v[c] = kh_rows_col(db, rows, c);
			int published = v[4].t == KH_V_TEXT && !strcmp(v[4].s, "published");
			int in_cat = !category || (v[1].t == KH_V_TEXT && !strcmp(v[1].s, category));
			if (published && in_cat) {
				kh_jw_obj(w);
				kh_jw_key(w, "id");
				kh_jw_int(w, hits[i].id);
				kh_jw_key(w, "title");
				kh_jw_strn(w, v[0].s, v[0].n);
				kh_jw_key(w, "category");
				v[1].t == KH_V_TEXT ? kh_jw_strn(w, v[1].s, v[1].n) : kh_jw_null(w);
				kh_jw_key(w, "tags");
				v[2].t == KH_V_TEXT ? kh_jw_raw(w, v[2].s, v[2].n) : kh_jw_raw(w, "[]", 2);
				kh_jw_key(w, "snippet");
				snippet(w, v[3]);
				kh_jw_key(w, "used_count");
				kh_jw_int(w, v[5].t == KH_V_INT ? v[5].i : 0);
				kh_jw_key(w, "score");
				kh_jw_double(w, round(hits[i].score * 1000) / 1000);
				kh_jw_obj_end(w);
				shown++;
			}
		}
		kh_rows_end(db, rows);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return KH_OK;
}

enum kh_err kh_kb_search(struct kh_ctx *ctx, const char *q, const char *category, int limit, int any_term,
			 struct kh_jw *w)
{
	if (!q || !*q)
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "q must be a non-empty search text");
	if (!kh_utf8_valid_str(q))
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "q must be UTF-8 text");
	struct qterms *qt = kh_arena_calloc(ctx->arena, 1, sizeof *qt);
	if (!qt)
		return KH_ENOMEM;
	kh_kb_terms(q, strlen(q), 1, qcollect, qt);
	struct hit *hits;
	int n;
	enum kh_err err = rank(ctx, qt, any_term, &hits, &n);
	if (!err)
		err = write_hits(ctx, hits, n, category, limit, w);
	return err ? kh_errinfo_set(ctx->ei, err, "cannot search the knowledge base") : KH_OK;
}

enum kh_err kh_kb_suggest(struct kh_ctx *ctx, int64_t case_id, int limit, struct kh_jw *w)
{
	const struct kh_entity *cases = kh_entity_find("cases");
	struct kh_values v;
	enum kh_err err = kh_service_load(ctx, cases, case_id, &v);
	if (err)
		return err;
	struct qterms *qt = kh_arena_calloc(ctx->arena, 1, sizeof *qt);
	if (!qt)
		return KH_ENOMEM;
	qt->skip_single = 1;
	const struct kh_val *subject = &v.v[kh_field_index(cases, "subject")],
			    *desc = &v.v[kh_field_index(cases, "description")],
			    *cat = &v.v[kh_field_index(cases, "category")];
	/* The subject says most; the description adds what room is left. */
	if (subject->t == KH_V_TEXT)
		kh_kb_terms(subject->s, subject->n, 1, qcollect, qt);
	if (cat->t == KH_V_TEXT)
		kh_kb_terms(cat->s, cat->n, 1, qcollect, qt);
	if (desc->t == KH_V_TEXT)
		kh_kb_terms(desc->s, desc->n < 600 ? desc->n : 600, 1, qcollect, qt);
	struct hit *hits;
	int n;
	err = rank(ctx, qt, 1, &hits, &n);
	if (!err)
		err = write_hits(ctx, hits, n, NULL, limit, w);
	return err ? kh_errinfo_set(ctx->ei, err, "cannot suggest articles") : KH_OK;
}

enum kh_err kh_kb_open(struct kh_ctx *ctx, int64_t id, struct kh_jw *w)
{
	int64_t version;
	enum kh_err err = kh_record_get(ctx, kh_entity_find("kb_articles"), id, w, &version);
	if (err)
		return err;
	/* A counter, not a change anyone makes: no audit entry, no new version. */
	struct kh_val p = KH_VINT(id);
	return kh_db_exec(ctx->db, "UPDATE kb_articles SET views = COALESCE(views, 0) + 1 WHERE id = $1", &p, 1);
}
