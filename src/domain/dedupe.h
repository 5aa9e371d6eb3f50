/* Duplicate detection over a whole entity (contacts, leads, accounts).
 *
 * Blocking, then scoring, then clustering:
 *   - every record gets blocking keys: its normalised e-mail, each normalised
 *     phone (util/phone.h), and its name key (width-folded, traditional to
 *     simplified, util/textnorm.h) and name pinyin, each with its city;
 *   - records that share a key are compared in pairs; a block larger than
 *     max_block (a switchboard number, the hundredth 张伟 in Beijing) is too
 *     common to mean anything and is skipped;
 *   - a pair's score is the weighted mean over the evidence both records have:
 *     name (Jaro-Winkler on the name keys, 0.9 at least for the same pinyin,
 *     weight 4), e-mail (equal or not, 4), phone (any equal, 4), company (same
 *     account, or Jaro-Winkler of company names, 2), city (1). A pair that
 *     shares nothing but a name scores at most 0.7, below the default
 *     threshold of 0.8: a name alone is not enough;
 *   - pairs at or above the threshold join clusters (union-find).
 * Everything is in memory, about 150 bytes a record, and the scan reads the
 * records the principal may read. */
#ifndef KH_DEDUPE_H
#define KH_DEDUPE_H

#include "domain/write.h"
#include "util/json_out.h"

struct kh_dedupe_opts {
	double threshold; /* 0..1, default 0.8 */
	int limit;        /* clusters to list, best first; default 100 */
	int max_block;    /* default 50 */
};

struct kh_dedupe;

typedef void (*kh_dedupe_progress)(void *cls, const char *stage, int64_t done, int64_t total);

enum kh_err kh_dedupe_scan(struct kh_ctx *ctx, const struct kh_entity *e, const struct kh_dedupe_opts *o,
			   kh_dedupe_progress progress, void *cls, struct kh_dedupe **out);
/* {"entity", "scanned", "compared", "clusters": n, "data": [{"score", "ids",
 * "pairs": [{"a", "b", "score", "reasons"}], "records": [...]}]} */
enum kh_err kh_dedupe_json(struct kh_ctx *ctx, const struct kh_dedupe *d, struct kh_jw *w, int with_records);
int64_t kh_dedupe_scanned(const struct kh_dedupe *d);
int64_t kh_dedupe_nclusters(const struct kh_dedupe *d);
void kh_dedupe_free(struct kh_dedupe *d);

/* Jaro-Winkler similarity of two UTF-8 strings, by code point (exposed for tests). */
double kh_jaro_winkler(const char *a, size_t an, const char *b, size_t bn);

#endif
