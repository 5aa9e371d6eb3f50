/* The knowledge base: articles (the kb_articles entity) with a full-text index
 * of their own that reads Chinese.
 *
 * The index (kh_kb_terms: term, article, count) is plain SQL, the same on
 * SQLite and PostgreSQL. Text is cut into terms: runs of CJK characters into
 * each character and each pair of neighbours (so one- and two-character words
 * are found, which a trigram index cannot), other words lower-cased; full-width
 * forms are folded and traditional characters become simplified (退貨 finds
 * 退货). Title terms count three times. A query's terms are its words and, for
 * CJK runs, its pairs (a single character stands for itself).
 *
 * Ranking: each matching term adds tf/(tf+1.2) x log(1 + N/df) (BM25's
 * saturation and idf without length normalisation: articles are short). A
 * search wants every term of the query; a suggestion for a case takes any
 * term of its subject and description and ranks by the sum. */
#ifndef KH_KB_H
#define KH_KB_H

#include "domain/write.h"
#include "util/buf.h"
#include "util/json_out.h"

/* Calls fn for each term of s[0..n). Exposed for tests. `query` selects the
 * query form (pairs only for CJK runs longer than one character). */
void kh_kb_terms(const char *s, size_t n, int query, void (*fn)(void *cls, const char *term, size_t len), void *cls);

/* {"data": [{"id", "title", "category", "tags", "snippet", "score"}]}: published
 * articles matching q (every term; any term with any_term), best first. */
enum kh_err kh_kb_search(struct kh_ctx *ctx, const char *q, const char *category, int limit, int any_term,
			 struct kh_jw *w);
/* Articles for a case, from its subject and description. */
enum kh_err kh_kb_suggest(struct kh_ctx *ctx, int64_t case_id, int limit, struct kh_jw *w);
/* Reads an article for a reader (and counts the view). */
enum kh_err kh_kb_open(struct kh_ctx *ctx, int64_t id, struct kh_jw *w);

#endif
