#include "util/csv.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/utf8.h"

/* ---- sources ---- */

static ssize_t file_read(void *cls, char *buf, size_t n)
{
	FILE *f = cls;
	size_t got = fread(buf, 1, n, f);
	if (got == 0 && ferror(f))
		return -1;
	return (ssize_t)got;
}

struct kh_src kh_src_file(FILE *f)
{
	return (struct kh_src){file_read, f};
}

static ssize_t mem_read(void *cls, char *buf, size_t n)
{
	struct kh_memsrc *m = cls;
	size_t left = m->len - m->pos;
	if (n > left)
		n = left;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

struct kh_src kh_src_mem(struct kh_memsrc *m, const char *data, size_t len)
{
	*m = (struct kh_memsrc){data, len, 0};
	return (struct kh_src){mem_read, m};
}

/* ---- the row queue ---- */

void kh_rowq_reset(struct kh_rowq *q)
{
	/* The fields of a row still being read move to the front. */
	size_t keep = q->row_open ? q->nf - q->row_first : 0;
	size_t text_from = keep ? q->off[q->row_first] : q->text.len;
	if (keep) {
		memmove(q->text.data, q->text.data + text_from, q->text.len - text_from);
		for (size_t i = 0; i < keep; i++) {
			q->off[i] = q->off[q->row_first + i] - text_from;
			q->len[i] = q->len[q->row_first + i];
		}
	}
	kh_buf_truncate(&q->text, q->text.len - text_from);
	q->nf = keep;
	q->row_first = 0;
	q->nrows = q->head = 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *np = realloc(*p, n * size);
	if (!np)
		return -1;
	*p = np;
	*cap = n;
	return 0;
}

static int grow_fields(struct kh_rowq *q)
{
	if (q->nf < q->capf)
		return 0;
	size_t n = q->capf ? q->capf * 2 : 256;
	size_t *o = realloc(q->off, n * sizeof *o);
	if (!o)
		return -1;
	q->off = o;
	size_t *l = realloc(q->len, n * sizeof *l);
	if (!l)
		return -1;
	q->len = l;
	q->capf = n;
	return 0;
}

int kh_rowq_field(struct kh_rowq *q, const char *s, size_t n)
{
	if (q->err)
		return -1;
	if (!q->row_open) {
		q->row_open = 1;
		q->row_first = q->nf;
	}
	if (q->nf - q->row_first >= KH_CSV_MAX_FIELDS || grow_fields(q)) {
		q->err = 1;
		return -1;
	}
	q->off[q->nf] = q->text.len;
	q->len[q->nf] = n;
	q->nf++;
	kh_buf_add(&q->text, s, n);
	kh_buf_addc(&q->text, '\0');
	if (q->text.err)
		q->err = 1;
	return q->err ? -1 : 0;
}

int kh_rowq_end(struct kh_rowq *q, int64_t num, int bad_utf8)
{
	if (q->err)
		return -1;
	if (!q->row_open) { /* a row of no fields: one empty field, as a spreadsheet shows it */
		if (kh_rowq_field(q, "", 0))
			return -1;
	}
	if (grow((void **)&q->rows, &q->caprows, q->nrows + 1, sizeof *q->rows)) {
		q->err = 1;
		return -1;
	}
	q->rows[q->nrows].first = q->row_first;
	q->rows[q->nrows].n = (int)(q->nf - q->row_first);
	q->rows[q->nrows].num = num;
	q->rows[q->nrows].bad_utf8 = bad_utf8;
	q->nrows++;
	q->row_open = 0;
	return 0;
}

int kh_rowq_pop(struct kh_rowq *q, struct kh_row *row)
{
	if (q->head >= q->nrows)
		return 0;
	size_t first = q->rows[q->head].first;
	int n = q->rows[q->head].n;
	if (grow((void **)&q->fptr, &q->capptr, (size_t)n, sizeof *q->fptr)) {
		q->err = 1;
		return 0;
	}
	for (int i = 0; i < n; i++)
		q->fptr[i] = q->text.data + q->off[first + (size_t)i];
	row->num = q->rows[q->head].num;
	row->n = n;
	row->f = q->fptr;
	row->len = q->len + first;
	row->bad_utf8 = q->rows[q->head].bad_utf8;
	q->head++;
	return 1;
}

void kh_rowq_free(struct kh_rowq *q)
{
	kh_buf_release(&q->text);
	free(q->off);
	free(q->len);
	free(q->rows);
	free(q->fptr);
	memset(q, 0, sizeof *q);
}

/* ---- CSV ---- */

#define CHUNK (64 * 1024)

struct csv_table {
	struct kh_table t;
	struct kh_src src;
	struct csv_parser p;
	iconv_t cd;       /* (iconv_t)-1 for UTF-8 input */
	char raw[CHUNK + 8];
	size_t rawlen;    /* bytes of raw not yet decoded (an incomplete sequence) */
	struct kh_buf dec; /* decoded text waiting for the parser */
	struct kh_rowq q;
	int64_t rows;
	int row_bad;      /* a field of the open row is not valid UTF-8 */
	int at_end, failed;
	char encname[32];
};

static void on_field(void *s, size_t n, void *cls)
{
	struct csv_table *c = cls;
	if (!kh_utf8_valid(s ? s : "", s ? n : 0))
		c->row_bad = 1;
	kh_rowq_field(&c->q, s ? s : "", s ? n : 0);
}

static void on_row(int ch, void *cls)
{
	(void)ch;
	struct csv_table *c = cls;
	kh_rowq_end(&c->q, ++c->rows, c->row_bad);
	c->row_bad = 0;
}

/* libcsv grows its field buffer without bound; this caps it, so an unbalanced
 * quote cannot make one field of the whole file. */
static void *capped_realloc(void *p, size_t n)
{
	return n > KH_CSV_MAX_FIELD + 64 ? NULL : realloc(p, n);
}

/* UTF-8 up to a possibly cut sequence at the very end of the sample. */
static int looks_utf8(const char *s, size_t n)
{
	size_t cut = n;
	for (size_t k = 1; k <= 3 && k <= n; k++) {
		unsigned char c = (unsigned char)s[n - k];
		if ((c & 0xc0) == 0xc0) { /* a lead byte: is its sequence complete? */
			size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (k < need)
				cut = n - k;
			break;
		}
		if ((c & 0x80) == 0)
			break;
	}
	return kh_utf8_valid(s, cut);
}

/* The delimiter of the first line: the most frequent of , ; and tab outside
 * quotes (comma on a tie or when there is none). */
static char sniff_delim(const char *s, size_t n)
{
	size_t count[3] = {0, 0, 0};
	int quoted = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && (c == '\n' || c == '\r'))
			break;
		else if (!quoted)
			count[0] += c == ',', count[1] += c == ';', count[2] += c == '\t';
	}
	if (count[2] > count[0] && count[2] >= count[1])
		return '\t';
	if (count[1] > count[0])
		return ';';
	return ',';
}

/* Decodes c->raw into c->dec. final: no more input will come. */
static int decode(struct csv_table *c, int final)
{
	if (c->cd == (iconv_t)-1) {
		kh_buf_add(&c->dec, c->raw, c->rawlen);
		c->rawlen = 0;
		return c->dec.err ? -1 : 0;
	}
	char *in = c->raw;
	size_t inleft = c->rawlen;
	while (inleft) {
		if (kh_buf_grow(&c->dec, inleft * 2 + 16))
			return -1;
		char *out = c->dec.data + c->dec.len;
		size_t outleft = c->dec.cap - c->dec.len - 1, before = outleft;
		size_t r = iconv(c->cd, &in, &inleft, &out, &outleft);
		c->dec.len += before - outleft;
		c->dec.data[c->dec.len] = '\0';
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		if (errno == EINVAL && !final)
			break; /* a sequence cut by the chunk: keep it for the next one */
		snprintf(c->t.err, sizeof c->t.err,
			 "the file is not valid %s near byte %llu (after row %lld); save it as UTF-8 or give its encoding",
			 c->encname, (unsigned long long)(c->t.bytes_read - inleft), (long long)c->rows);
		return -1;
	}
	memmove(c->raw, in, inleft);
	c->rawlen = inleft;
	return 0;
}

/* Reads, decodes and parses the next chunk (or, on the first call, the chunk
 * that was decoded when the reader was opened). */
static int csv_fill(struct csv_table *c)
{
	int final = 0;
	if (!c->dec.len) {
		ssize_t got = c->src.read(c->src.cls, c->raw + c->rawlen, CHUNK - c->rawlen);
		if (got < 0) {
			snprintf(c->t.err, sizeof c->t.err, "cannot read the file");
			return -1;
		}
		c->t.bytes_read += (uint64_t)got;
		c->rawlen += (size_t)got;
		final = got == 0;
		if (decode(c, final))
			return -1;
	}
	if (c->dec.len && csv_parse(&c->p, c->dec.data, c->dec.len, on_field, on_row, c) != c->dec.len) {
		int e = csv_error(&c->p);
		snprintf(c->t.err, sizeof c->t.err, "%s in row %lld",
			 e == CSV_ENOMEM || e == CSV_ETOOBIG ? "a field is longer than 1 MiB (is a quote not closed?)"
			 : e == CSV_EPARSE ? "not valid CSV: a quote inside a field must be doubled (\"\")"
					   : csv_strerror(e),
			 (long long)c->rows + 1);
		return -1;
	}
	kh_buf_reset(&c->dec);
	if (final) {
		c->at_end = 1;
		if (csv_fini(&c->p, on_field, on_row, c)) {
			snprintf(c->t.err, sizeof c->t.err, "the file ends inside a quoted field (row %lld is not closed)",
				 (long long)c->rows + 1);
			return -1;
		}
	}
	if (c->q.err) {
		snprintf(c->t.err, sizeof c->t.err, "row %lld has more than %d fields or memory ran out",
			 (long long)c->rows + 1, KH_CSV_MAX_FIELDS);
		return -1;
	}
	return 0;
}

static int csv_next(struct kh_table *t, struct kh_row *row)
{
	struct csv_table *c = (struct csv_table *)t;
	if (c->failed)
		return -1;
	for (;;) {
		if (kh_rowq_pop(&c->q, row))
			return 1;
		if (c->at_end)
			return 0;
		kh_rowq_reset(&c->q);
		if (csv_fill(c)) {
			c->failed = 1;
			return -1;
		}
	}
}

static void csv_table_free(struct kh_table *t)
{
	struct csv_table *c = (struct csv_table *)t;
	csv_free(&c->p);
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	kh_buf_release(&c->dec);
	kh_rowq_free(&c->q);
	free(c);
}

struct kh_table *kh_csv_open(struct kh_src src, const struct kh_csv_opts *o, char *msg, size_t msglen)
{
	struct csv_table *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	c->t.next = csv_next;
	c->t.free = csv_table_free;
	c->t.format = "csv";
	c->src = src;
	c->cd = (iconv_t)-1;
	kh_buf_init(&c->dec, 0);
	kh_buf_init(&c->q.text, 0);
	if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
		snprintf(msg, msglen, "out of memory");
		free(c);
		return NULL;
	}
	csv_set_realloc_func(&c->p, capped_realloc);
	/* libcsv grows a field's buffer by this much at a time (128 bytes by
	 * default): a long field would be copied thousands of times. */
	csv_set_blk_size(&c->p, 16 * 1024);

	/* The first chunk decides the encoding and the delimiter. */
	ssize_t got;
	while (c->rawlen < CHUNK && (got = src.read(src.cls, c->raw + c->rawlen, CHUNK - c->rawlen)) > 0)
		c->rawlen += (size_t)got;
	c->t.bytes_read = c->rawlen;
	const unsigned char *u = (const unsigned char *)c->raw;
	const char *enc = o && o->encoding ? o->encoding : NULL;
	size_t skip = 0;
	if (!enc) {
		if (c->rawlen >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
			enc = "utf-8-bom", skip = 3;
		else if (c->rawlen >= 2 && u[0] == 0xff && u[1] == 0xfe)
			enc = "utf-16le", skip = 2;
		else if (c->rawlen >= 2 && u[0] == 0xfe && u[1] == 0xff)
			enc = "utf-16be", skip = 2;
		else if (looks_utf8(c->raw, c->rawlen))
			enc = "utf-8";
		else
			enc = "gb18030"; /* GBK and GB2312 are subsets of it */
	} else if (!strcasecmp(enc, "utf-8") || !strcasecmp(enc, "utf8")) {
		enc = "utf-8";
		if (c->rawlen >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
			enc = "utf-8-bom", skip = 3;
	}
	snprintf(c->encname, sizeof c->encname, "%s", enc);
	c->t.encoding = c->encname;
	memmove(c->raw, c->raw + skip, c->rawlen - skip);
	c->rawlen -= skip;
	if (strcmp(enc, "utf-8") && strcmp(enc, "utf-8-bom")) {
		c->cd = iconv_open("UTF-8", enc);
		if (c->cd == (iconv_t)-1) {
			snprintf(msg, msglen, "unknown encoding '%s'", enc);
			csv_table_free(&c->t);
			return NULL;
		}
	}
	if (decode(c, c->rawlen < CHUNK)) {
		snprintf(msg, msglen, "%s", c->t.err);
		csv_table_free(&c->t);
		return NULL;
	}
	c->t.delim = o && o->delim ? o->delim : sniff_delim(c->dec.data, c->dec.len);
	csv_set_delim(&c->p, (unsigned char)c->t.delim);
	/* What was decoded goes to the parser on the first call of next(), so
	 * that its errors are row errors like any other. */
	return &c->t;
}

void kh_csv_field(struct kh_buf *b, const char *s, size_t n, char delim)
{
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == '"' || s[i] == delim || s[i] == '\n' || s[i] == '\r';
	if (n && (s[0] == ' ' || s[n - 1] == ' '))
		quote = 1; /* keep the spaces a reader would trim */
	if (!quote) {
		kh_buf_add(b, s, n);
		return;
	}
	kh_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		const char *q = memchr(s + i, '"', n - i);
		size_t run = q ? (size_t)(q - (s + i)) : n - i;
		kh_buf_add(b, s + i, run);
		i += run;
		if (q)
			kh_buf_add(b, "\"\"", 2);
	}
	kh_buf_addc(b, '"');
}
