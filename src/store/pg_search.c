/* Full-text search of the PostgreSQL driver.
 *
 * One table, kh_search (doc, body, tokens), with two GIN indexes:
 *   - body with pg_trgm's gin_trgm_ops answers queries of three or more
 *     characters: `body ILIKE '%q%'`, any script, case-insensitive, exactly the
 *     substring semantics of the SQLite driver's FTS5 trigram table;
 *   - tokens, a text[] of every CJK character, every pair of adjacent CJK
 *     characters and the first one and two characters of every word, answers
 *     one- and two-character queries (`tokens @> '{三丰}'`), which trigram
 *     indexes cannot narrow at all, yet most Chinese given names are two
 *     characters long. The same tokens as the SQLite driver's kehu_short
 *     tokenizer, with word prefixes stored rather than looked up.
 * A longer query with CJK in it also asks for its CJK pairs in tokens: that
 * condition is implied by the substring match (so it never loses a hit) and
 * lets PostgreSQL use the tokens index even where pg_trgm sees no CJK trigrams
 * (a database whose LC_CTYPE is C treats CJK as non-alphanumeric). */
#include <stdio.h>
#include <string.h>

#include "store/pg.h"
#include "util/utf8.h"

static int is_word_char(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
	       (cp >= 0xC0 && cp < 0x3000 && !kh_is_cjk(cp));
}

/* A token list being built as an array literal; remembers where each token
 * starts so that duplicates can be left out. */
struct tokens {
	struct kh_buf *out;
	size_t start;
	size_t at[256];
	size_t len[256];
	int n;
};

static void tok_add(struct tokens *t, const char *s, size_t n, int lower)
{
	char tmp[16];
	if (n == 0 || n > sizeof tmp)
		return;
	for (size_t i = 0; i < n; i++)
		tmp[i] = (char)(lower && s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	for (int i = 0; i < t->n; i++)
		if (t->len[i] == n && !memcmp(t->out->data + t->at[i], tmp, n))
			return;
	if (t->out->len > t->start + 1)
		kh_buf_addc(t->out, ',');
	kh_buf_addc(t->out, '"');
	if (t->n < 256) {
		t->at[t->n] = t->out->len;
		t->len[t->n++] = n;
	}
	for (size_t i = 0; i < n; i++) {
		if (tmp[i] == '"' || tmp[i] == '\\')
			kh_buf_addc(t->out, '\\');
		kh_buf_addc(t->out, tmp[i]);
	}
	kh_buf_addc(t->out, '"');
}

/* Walks text; mode 0: document tokens; 1: the tokens of a short query; 2: the
 * CJK pairs (or lone characters) of a long query. */
static int tokenize(const char *text, size_t n, int mode, struct kh_buf *out)
{
	struct tokens t = {.out = out, .start = out->len};
	kh_buf_addc(out, '{');
	size_t i = 0, word = 0, wchars = 0, cut1 = 0, cut2 = 0;
	int in_word = 0, count = 0;
	while (i <= n) {
		uint32_t cp = 0;
		int len = 1;
		if (i < n) {
			len = kh_utf8_decode(text + i, n - i, &cp);
			if (len <= 0) {
				len = 1;
				cp = 0;
			}
		}
		if (i < n && is_word_char(cp)) {
			if (!in_word)
				in_word = 1, word = i, wchars = 0;
			wchars++;
			if (wchars == 1)
				cut1 = i + (size_t)len;
			if (wchars == 2)
				cut2 = i + (size_t)len;
			i += (size_t)len;
			continue;
		}
		if (in_word) {
			in_word = 0;
			if (mode == 0) {
				tok_add(&t, text + word, cut1 - word, 1);
				if (wchars >= 2)
					tok_add(&t, text + word, cut2 - word, 1);
				count++;
			} else if (mode == 1) {
				tok_add(&t, text + word, i - word, 1);
				count++;
			}
		}
		if (i >= n)
			break;
		if (kh_is_cjk(cp)) {
			uint32_t next = 0;
			int len2 = i + (size_t)len < n ? kh_utf8_decode(text + i + len, n - i - (size_t)len, &next) : 0;
			int pair = len2 > 0 && kh_is_cjk(next);
			int prev_cjk = 0;
			if (i > 0) {
				/* Was the previous character CJK too? (Only matters for mode 2.) */
				size_t b = i - 1;
				while (b > 0 && ((unsigned char)text[b] & 0xC0) == 0x80)
					b--;
				uint32_t pc;
				prev_cjk = kh_utf8_decode(text + b, n - b, &pc) > 0 && kh_is_cjk(pc);
			}
			if (mode == 0) {
				tok_add(&t, text + i, (size_t)len, 0);
				if (pair)
					tok_add(&t, text + i, (size_t)(len + len2), 0);
			} else if (mode == 1) {
				tok_add(&t, text + i, (size_t)(pair ? len + len2 : len), 0);
				if (pair)
					len += len2;
			} else if (pair) {
				tok_add(&t, text + i, (size_t)(len + len2), 0);
			} else if (!prev_cjk) {
				tok_add(&t, text + i, (size_t)len, 0);
			}
			count++;
		}
		i += (size_t)len;
	}
	kh_buf_addc(out, '}');
	return count;
}

void kh_pg_short_tokens(const char *text, struct kh_buf *out)
{
	tokenize(text, strlen(text), 0, out);
}

int kh_pg_query_tokens(const char *q, size_t n, struct kh_buf *out)
{
	if (n == 0 || !kh_utf8_valid(q, n))
		return -1;
	return tokenize(q, n, 1, out) > 0 ? 0 : -1;
}

void kh_pg_copy_field(struct kh_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
			kh_buf_addc(b, '\\');
			c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
		}
		kh_buf_addc(b, c);
	}
}

enum kh_err kh_pg_search_flush(struct kh_db *db)
{
	struct kh_buf *buf = kh_pg_search_buffer(db);
	if (buf->err) {
		enum kh_err err = buf->err;
		kh_buf_release(buf);
		return err;
	}
	if (buf->len == 0)
		return KH_OK;
	PGconn *c = kh_pg_conn(db);
	PGresult *res = PQexec(c, "COPY kh_search (doc, body, tokens) FROM STDIN");
	enum kh_err err = KH_OK;
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		err = kh_pg_fail(db, res, "copy search documents");
		PQclear(res);
		kh_buf_release(buf);
		return err;
	}
	PQclear(res);
	if (PQputCopyData(c, buf->data, (int)buf->len) != 1 || PQputCopyEnd(c, NULL) != 1)
		err = kh_pg_fail(db, NULL, "copy search documents");
	while ((res = PQgetResult(c))) {
		if (!err && PQresultStatus(res) != PGRES_COMMAND_OK)
			err = kh_pg_fail(db, res, "copy search documents");
		PQclear(res);
	}
	kh_buf_release(buf);
	return err;
}

enum kh_err kh_pg_search_put(struct kh_db *db, int64_t doc, const char *text, int replace)
{
	struct kh_buf tokens = KH_BUF_INIT;
	kh_pg_short_tokens(text, &tokens);
	enum kh_err err = tokens.err;
	if (!err && kh_pg_in_bulk(db) && !replace) {
		/* Sent with COPY at the next commit, or now if it grew large. */
		struct kh_buf *buf = kh_pg_search_buffer(db);
		kh_buf_add_int(buf, doc);
		kh_buf_addc(buf, '\t');
		kh_pg_copy_field(buf, text, strlen(text));
		kh_buf_addc(buf, '\t');
		kh_pg_copy_field(buf, tokens.data, tokens.len);
		kh_buf_addc(buf, '\n');
		kh_buf_release(&tokens);
		return buf->len > (8u << 20) ? kh_pg_search_flush(db) : buf->err;
	}
	/* A replaced document may still be in the bulk buffer: send that first. */
	if (!err)
		err = kh_pg_search_flush(db);
	struct kh_val p[3] = {KH_VINT(doc), KH_VTEXT(text), KH_VTEXTN(tokens.data, tokens.len)};
	if (!err)
		err = kh_db_exec(db,
				 replace ? "INSERT INTO kh_search (doc, body, tokens) VALUES ($1, $2, $3) "
					   "ON CONFLICT (doc) DO UPDATE SET body = excluded.body, tokens = excluded.tokens"
					 : "INSERT INTO kh_search (doc, body, tokens) VALUES ($1, $2, $3)",
				 p, 3);
	kh_buf_release(&tokens);
	return err;
}

enum kh_err kh_pg_search_del(struct kh_db *db, int64_t doc)
{
	struct kh_val p = KH_VINT(doc);
	enum kh_err err = kh_pg_search_flush(db);
	return err ? err : kh_db_exec(db, "DELETE FROM kh_search WHERE doc = $1", &p, 1);
}

enum kh_err kh_pg_search(struct kh_db *db, const char *q, int limit, struct kh_rows **rows)
{
	while (*q == ' ' || *q == '\t')
		q++;
	size_t n = strlen(q);
	while (n && (q[n - 1] == ' ' || q[n - 1] == '\t'))
		n--;
	if (n == 0 || !kh_utf8_valid(q, n))
		return KH_EINVAL;
	struct kh_buf a = KH_BUF_INIT, b = KH_BUF_INIT;
	enum kh_err err;
	if (kh_utf8_count(q, n) < 3) {
		if (kh_pg_query_tokens(q, n, &a)) {
			/* Nothing to look for (punctuation only): nothing is found. */
			struct kh_val p = KH_VINT(limit);
			err = kh_db_query(db, "SELECT doc FROM kh_search WHERE 1 = 0 LIMIT $1", &p, 1, rows);
		} else {
			struct kh_val p[2] = {KH_VTEXTN(a.data, a.len), KH_VINT(limit)};
			err = a.err ? a.err
				    : kh_db_query(db, "SELECT doc FROM kh_search WHERE tokens @> $1 ORDER BY doc DESC LIMIT $2",
						  p, 2, rows);
		}
	} else {
		/* '%q%' with LIKE's own characters escaped (backslash is ILIKE's
		 * default escape). */
		kh_buf_addc(&b, '%');
		for (size_t i = 0; i < n; i++) {
			if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
				kh_buf_addc(&b, '\\');
			kh_buf_addc(&b, q[i]);
		}
		kh_buf_addc(&b, '%');
		int cjk = tokenize(q, n, 2, &a);
		struct kh_val p[3] = {KH_VTEXTN(a.data, a.len), KH_VTEXTN(b.data, b.len), KH_VINT(limit)};
		err = a.err ? a.err : b.err;
		if (!err)
			err = cjk ? kh_db_query(db,
						"SELECT doc FROM kh_search WHERE tokens @> $1 AND body ILIKE $2 "
						"ORDER BY doc DESC LIMIT $3",
						p, 3, rows)
				  : kh_db_query(db, "SELECT doc FROM kh_search WHERE body ILIKE $1 ORDER BY doc DESC LIMIT $2",
						p + 1, 2, rows);
	}
	kh_buf_release(&a);
	kh_buf_release(&b);
	return err;
}

enum kh_err kh_pg_prepare_schema(struct kh_db *db)
{
	/* pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may
	 * create it. A DBA may also have created it beforehand for a less
	 * privileged Kehu user, so it is only created when missing. */
	int64_t have = 0;
	enum kh_err err = kh_db_int(db, "SELECT count(*) FROM pg_catalog.pg_extension WHERE extname = 'pg_trgm'", NULL, 0,
				    &have);
	if (!err && !have)
		err = kh_db_exec(db, "CREATE EXTENSION IF NOT EXISTS pg_trgm", NULL, 0);
	if (err)
		return err;
	const char *const stmts[] = {
		"CREATE TABLE IF NOT EXISTS kh_search (doc BIGINT PRIMARY KEY, body TEXT NOT NULL, tokens TEXT[] NOT NULL)",
		"CREATE INDEX IF NOT EXISTS ix_kh_search_trgm ON kh_search USING gin (body gin_trgm_ops)",
		"CREATE INDEX IF NOT EXISTS ix_kh_search_tokens ON kh_search USING gin (tokens)",
		NULL,
	};
	for (int i = 0; !err && stmts[i]; i++)
		err = kh_db_exec(db, stmts[i], NULL, 0);
	return err;
}
