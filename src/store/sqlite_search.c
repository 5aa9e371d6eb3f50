#include "store/sqlite_search.h"

#include <string.h>

#include "util/utf8.h"

/* FTS5 hands out its API through a pointer-passing SELECT (fts5.html#extending_fts5). */
static fts5_api *fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return api;
}

static int tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	(void)ctx, (void)argv, (void)argc;
	static int dummy;
	*out = (Fts5Tokenizer *)&dummy;
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
	(void)t;
}

static int is_word_char(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
	       (cp >= 0xC0 && cp < 0x3000 && !kh_is_cjk(cp));
}

typedef int (*token_fn)(void *, int, const char *, int, int, int);

/* Emits the lower-cased word text[start, end). */
static int emit_word(void *ctx, token_fn cb, const char *text, int start, int end)
{
	char tmp[128];
	int n = end - start;
	if (n > (int)sizeof tmp)
		n = (int)sizeof tmp;
	for (int i = 0; i < n; i++) {
		char c = text[start + i];
		tmp[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	return cb(ctx, 0, tmp, n, start, end);
}

/* Documents: each CJK character, and each pair of adjacent ones (colocated with
 * the first, so positions stay those of characters); words lower-cased.
 * Queries (only ever one or two characters long): a CJK pair is one bigram token,
 * a single CJK character one unigram, a word one word. */
static int tok_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n, token_fn cb)
{
	(void)t;
	int query = (flags & FTS5_TOKENIZE_QUERY) != 0;
	int i = 0, word_start = -1, rc = SQLITE_OK;
	while (i < n && rc == SQLITE_OK) {
		uint32_t cp;
		int len = kh_utf8_decode(text + i, (size_t)(n - i), &cp);
		if (len <= 0) { /* not UTF-8: skip the byte */
			len = 1;
			cp = 0;
		}
		if (is_word_char(cp)) {
			if (word_start < 0)
				word_start = i;
			i += len;
			continue;
		}
		if (word_start >= 0) {
			rc = emit_word(ctx, cb, text, word_start, i);
			word_start = -1;
			if (rc != SQLITE_OK)
				break;
		}
		if (kh_is_cjk(cp)) {
			uint32_t next;
			int len2 = i + len < n ? kh_utf8_decode(text + i + len, (size_t)(n - i - len), &next) : 0;
			int pair = len2 > 0 && kh_is_cjk(next);
			if (!query) {
				rc = cb(ctx, 0, text + i, len, i, i + len);
				if (rc == SQLITE_OK && pair)
					rc = cb(ctx, FTS5_TOKEN_COLOCATED, text + i, len + len2, i, i + len + len2);
			} else if (pair) {
				rc = cb(ctx, 0, text + i, len + len2, i, i + len + len2);
				len += len2;
			} else {
				rc = cb(ctx, 0, text + i, len, i, i + len);
			}
		}
		i += len;
	}
	if (rc == SQLITE_OK && word_start >= 0)
		rc = emit_word(ctx, cb, text, word_start, n);
	return rc;
}

int kh_sqlite_search_register(sqlite3 *db)
{
	fts5_api *api = fts5_api_of(db);
	if (!api)
		return SQLITE_ERROR;
	static fts5_tokenizer tok = {tok_create, tok_delete, tok_tokenize};
	return api->xCreateTokenizer(api, "kehu_short", NULL, &tok, NULL);
}

int kh_sqlite_search_match(const char *q, char *out, size_t outlen, int *short_query)
{
	/* Trim spaces; count characters. */
	while (*q == ' ' || *q == '\t')
		q++;
	size_t n = strlen(q);
	while (n && (q[n - 1] == ' ' || q[n - 1] == '\t'))
		n--;
	if (n == 0 || !kh_utf8_valid(q, n))
		return -1;
	size_t chars = kh_utf8_count(q, n);
	*short_query = chars < 3;
	/* The query becomes one FTS5 string: quotes are doubled, so nothing the
	 * user types can be read as FTS5 query syntax. Short queries of letters are
	 * prefixes ("li" finds "Lin"). */
	size_t o = 0;
	if (2 * n + 5 > outlen)
		return -1;
	out[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (q[i] == '"')
			out[o++] = '"';
		out[o++] = q[i];
	}
	out[o++] = '"';
	if (*short_query) {
		uint32_t cp;
		if (kh_utf8_decode(q, n, &cp) > 0 && !kh_is_cjk(cp))
			out[o++] = '*';
	}
	out[o] = '\0';
	return 0;
}
