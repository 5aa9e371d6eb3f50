#include "util/xlsx.h"

#include <expat.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "util/clock.h"

#define MAX_SST_BYTES (512u << 20)

struct cell {
	int col;
	size_t off, len; /* in x->cells */
};

struct xlsx {
	struct kh_table t;
	struct kh_buf file;
	zip_t *zip;
	zip_file_t *sheet;
	XML_Parser xp;
	int date1904;
	/* Shared strings, one pool. */
	struct kh_buf sst;
	size_t *sst_off, nsst, capsst;
	/* Styles: which cell formats (xf index) show a date, and with a time. */
	unsigned char *xf_date; /* 0 no, 1 date, 2 date and time */
	size_t nxf;
	/* The sheet parser's state. */
	int in_row, in_cell, in_v, in_t, in_is, in_rph;
	int64_t row_num, next_row_num;
	int cell_col, next_col, cell_style;
	char cell_type[12];
	struct kh_buf val;     /* the text of the cell being read */
	struct kh_buf cells;   /* the values of the row being read */
	struct cell *cellv;
	size_t ncells, capcells;
	struct kh_rowq q;
	int at_end, failed;
	char buf[64 * 1024];
};

/* ---- generic XML helpers ---- */

static const char *local_name(const char *name)
{
	const char *colon = strrchr(name, ':');
	return colon ? colon + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
	for (int i = 0; atts[i]; i += 2)
		if (!strcmp(local_name(atts[i]), name))
			return atts[i + 1];
	return NULL;
}

/* Reads a whole part of the zip into b (capped). */
static int read_part(struct xlsx *x, const char *name, struct kh_buf *b, size_t max, int required)
{
	zip_file_t *f = zip_fopen(x->zip, name, 0);
	if (!f) {
		if (required)
			snprintf(x->t.err, sizeof x->t.err, "not an Excel workbook: it has no %s", name);
		return required ? -1 : 1;
	}
	zip_int64_t got;
	while ((got = zip_fread(f, x->buf, sizeof x->buf)) > 0) {
		if (b->len + (size_t)got > max) {
			snprintf(x->t.err, sizeof x->t.err, "%s is larger than %zu MiB", name, max >> 20);
			zip_fclose(f);
			return -1;
		}
		kh_buf_add(b, x->buf, (size_t)got);
	}
	zip_fclose(f);
	if (got < 0 || b->err) {
		snprintf(x->t.err, sizeof x->t.err, "cannot read %s from the workbook", name);
		return -1;
	}
	return 0;
}

static int parse_xml(struct xlsx *x, const struct kh_buf *b, XML_StartElementHandler start,
		     XML_EndElementHandler end, XML_CharacterDataHandler text, void *ud, const char *name)
{
	XML_Parser p = XML_ParserCreate("UTF-8");
	if (!p)
		return -1;
	XML_SetUserData(p, ud);
	XML_SetElementHandler(p, start, end);
	if (text)
		XML_SetCharacterDataHandler(p, text);
	int ok = XML_Parse(p, b->data, (int)b->len, 1) == XML_STATUS_OK;
	if (!ok)
		snprintf(x->t.err, sizeof x->t.err, "%s is not well-formed XML: %s (line %lu)", name,
			 XML_ErrorString(XML_GetErrorCode(p)), (unsigned long)XML_GetCurrentLineNumber(p));
	XML_ParserFree(p);
	return ok ? 0 : -1;
}

/* ---- workbook.xml and its relationships: where the first sheet is ---- */

struct wb {
	struct xlsx *x;
	char rid[128];
	char target[512];
};

static void wb_start(void *ud, const char *el, const char **atts)
{
	struct wb *w = ud;
	const char *n = local_name(el);
	if (!strcmp(n, "sheet") && !w->rid[0]) {
		const char *id = attr(atts, "id");
		if (id)
			snprintf(w->rid, sizeof w->rid, "%s", id);
	} else if (!strcmp(n, "workbookPr")) {
		const char *d = attr(atts, "date1904");
		w->x->date1904 = d && (!strcmp(d, "1") || !strcmp(d, "true"));
	}
}

static void rels_start(void *ud, const char *el, const char **atts)
{
	struct wb *w = ud;
	const char *id = attr(atts, "Id"), *target = attr(atts, "Target");
	if (!strcmp(local_name(el), "Relationship") && id && target && !strcmp(id, w->rid))
		snprintf(w->target, sizeof w->target, "%s", target);
}

static void no_end(void *ud, const char *el)
{
	(void)ud, (void)el;
}

/* ---- styles.xml: which formats are dates ---- */

struct styles {
	struct xlsx *x;
	int in_xfs;
	struct {
		int id;
		unsigned char kind;
	} custom[256];
	int ncustom;
};

/* 1 for a date, 2 for a date with a time, 0 for anything else. Letters inside
 * quotes, brackets ([Red], [$-804]) or after a backslash are literal. */
static unsigned char format_kind(const char *code)
{
	int date = 0, time = 0;
	for (const char *p = code; *p; p++) {
		if (*p == '"') {
			const char *q = strchr(p + 1, '"');
			if (!q)
				break;
			p = q;
		} else if (*p == '[') {
			const char *q = strchr(p + 1, ']');
			if (!q)
				break;
			p = q;
		} else if (*p == '\\' && p[1]) {
			p++;
		} else if (strchr("yYdD", *p) || !strncmp(p, "\xe5\xb9\xb4", 3) || !strncmp(p, "\xe6\x97\xa5", 3)) {
			date = 1; /* y, d, 年, 日 */
		} else if (strchr("hHsS", *p)) {
			time = 1;
		} else if (*p == 'm' || *p == 'M' || !strncmp(p, "\xe6\x9c\x88", 3)) {
			date = 1; /* month (or minute, which comes with h or s) */
		}
	}
	return date ? (unsigned char)(time ? 2 : 1) : 0;
}

static unsigned char builtin_kind(int id)
{
	if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || (id >= 34 && id <= 36) || (id >= 50 && id <= 58))
		return 1;
	if (id == 22)
		return 2;
	return 0; /* 18-21, 45-47 are times of day: kept as numbers */
}

static void styles_start(void *ud, const char *el, const char **atts)
{
	struct styles *s = ud;
	struct xlsx *x = s->x;
	const char *n = local_name(el);
	if (!strcmp(n, "numFmt") && s->ncustom < 256) {
		const char *id = attr(atts, "numFmtId"), *code = attr(atts, "formatCode");
		if (id && code) {
			s->custom[s->ncustom].id = (int)strtol(id, NULL, 10);
			s->custom[s->ncustom].kind = format_kind(code);
			s->ncustom++;
		}
	} else if (!strcmp(n, "cellXfs")) {
		s->in_xfs = 1;
	} else if (!strcmp(n, "xf") && s->in_xfs) {
		const char *id = attr(atts, "numFmtId");
		int fid = id ? (int)strtol(id, NULL, 10) : 0;
		unsigned char kind = builtin_kind(fid);
		for (int i = 0; i < s->ncustom; i++)
			if (s->custom[i].id == fid)
				kind = s->custom[i].kind;
		unsigned char *nx = realloc(x->xf_date, x->nxf + 1);
		if (nx) {
			x->xf_date = nx;
			x->xf_date[x->nxf++] = kind;
		}
	}
}

static void styles_end(void *ud, const char *el)
{
	struct styles *s = ud;
	if (!strcmp(local_name(el), "cellXfs"))
		s->in_xfs = 0;
}

/* ---- sharedStrings.xml ---- */

struct sst {
	struct xlsx *x;
	int in_si, in_t, in_rph;
	int err;
};

static void sst_start(void *ud, const char *el, const char **atts)
{
	(void)atts;
	struct sst *s = ud;
	struct xlsx *x = s->x;
	const char *n = local_name(el);
	if (!strcmp(n, "si")) {
		s->in_si = 1;
		if (x->nsst == x->capsst) {
			size_t cap = x->capsst ? x->capsst * 2 : 1024;
			size_t *no = realloc(x->sst_off, (cap + 1) * sizeof *no);
			if (!no) {
				s->err = 1;
				return;
			}
			x->sst_off = no;
			x->capsst = cap;
		}
		x->sst_off[x->nsst] = x->sst.len;
	} else if (!strcmp(n, "t") && s->in_si && !s->in_rph) {
		s->in_t = 1;
	} else if (!strcmp(n, "rPh")) {
		s->in_rph = 1; /* phonetic guide (furigana): not part of the text */
	}
}

static void sst_end(void *ud, const char *el)
{
	struct sst *s = ud;
	struct xlsx *x = s->x;
	const char *n = local_name(el);
	if (!strcmp(n, "si") && s->in_si) {
		kh_buf_addc(&x->sst, '\0');
		x->nsst++;
		x->sst_off[x->nsst] = x->sst.len;
		s->in_si = 0;
	} else if (!strcmp(n, "t")) {
		s->in_t = 0;
	} else if (!strcmp(n, "rPh")) {
		s->in_rph = 0;
	}
}

static void sst_text(void *ud, const char *text, int len)
{
	struct sst *s = ud;
	if (s->in_t)
		kh_buf_add(&s->x->sst, text, (size_t)len);
}

/* ---- the sheet, streamed ---- */

int64_t kh_xlsx_serial_days(double serial, int date1904)
{
	int64_t d = (int64_t)floor(serial);
	if (date1904)
		return d - 24107;
	/* Excel counts 1900-02-29, which did not exist (Lotus 1-2-3's bug): from
	 * serial 61 (1900-03-01) on, dates are one day ahead. */
	return d >= 61 ? d - 25569 : d - 25568;
}

static int col_index(const char *ref)
{
	int col = 0, any = 0;
	for (; *ref >= 'A' && *ref <= 'Z'; ref++, any = 1)
		col = col * 26 + (*ref - 'A' + 1);
	return any ? col - 1 : -1;
}

/* The text of a number cell: integers without ".0", others as Excel shows
 * them in General format (15 significant digits), dates as ISO text. */
static void number_text(struct xlsx *x, const char *v, size_t n, struct kh_buf *out)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp) {
		kh_buf_add(out, v, n);
		return;
	}
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	char *end;
	double d = strtod(tmp, &end);
	if (*end || !isfinite(d)) {
		kh_buf_add(out, v, n);
		return;
	}
	unsigned char kind = x->cell_style >= 0 && (size_t)x->cell_style < x->nxf ? x->xf_date[x->cell_style] : 0;
	if (kind && d >= 0 && d < 2958466) { /* up to 9999-12-31 */
		char date[11];
		kh_date_format(kh_xlsx_serial_days(d, x->date1904), date);
		kh_buf_adds(out, date);
		double frac = d - floor(d);
		if (kind == 2 || frac > 0) {
			long secs = lround(frac * 86400.0);
			if (secs >= 86400)
				secs = 86399;
			kh_buf_addf(out, " %02ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
		}
		return;
	}
	if (d == floor(d) && fabs(d) < 1e15)
		kh_buf_addf(out, "%.0f", d);
	else
		kh_buf_addf(out, "%.15g", d);
}

static void sheet_start(void *ud, const char *el, const char **atts)
{
	struct xlsx *x = ud;
	const char *n = local_name(el);
	if (!strcmp(n, "row")) {
		const char *r = attr(atts, "r");
		x->row_num = r ? strtoll(r, NULL, 10) : x->next_row_num;
		if (x->row_num < x->next_row_num)
			x->row_num = x->next_row_num;
		x->next_row_num = x->row_num + 1;
		x->in_row = 1;
		x->ncells = 0;
		x->next_col = 0;
		kh_buf_reset(&x->cells);
	} else if (!strcmp(n, "c") && x->in_row) {
		const char *r = attr(atts, "r"), *t = attr(atts, "t"), *s = attr(atts, "s");
		int col = r ? col_index(r) : -1;
		x->cell_col = col >= 0 ? col : x->next_col;
		x->next_col = x->cell_col + 1;
		snprintf(x->cell_type, sizeof x->cell_type, "%s", t ? t : "n");
		x->cell_style = s ? (int)strtol(s, NULL, 10) : -1;
		x->in_cell = 1;
		kh_buf_reset(&x->val);
	} else if (x->in_cell && !strcmp(n, "v")) {
		x->in_v = 1;
	} else if (x->in_cell && !strcmp(n, "is")) {
		x->in_is = 1;
	} else if (x->in_is && !strcmp(n, "t") && !x->in_rph) {
		x->in_t = 1;
	} else if (x->in_is && !strcmp(n, "rPh")) {
		x->in_rph = 1;
	}
}

static void add_cell(struct xlsx *x)
{
	const char *t = x->cell_type;
	size_t off = x->cells.len;
	if (!strcmp(t, "s")) {
		char *end;
		long i = strtol(x->val.data, &end, 10);
		if (x->val.len && !*end && i >= 0 && (size_t)i < x->nsst)
			kh_buf_add(&x->cells, x->sst.data + x->sst_off[i], x->sst_off[i + 1] - x->sst_off[i] - 1);
	} else if (!strcmp(t, "b")) {
		kh_buf_adds(&x->cells, !strcmp(x->val.data, "1") ? "true" : "false");
	} else if (!strcmp(t, "n")) {
		number_text(x, x->val.data, x->val.len, &x->cells);
	} else { /* str (a formula's text), inlineStr, e (#N/A ...) and unknown kinds: the text */
		kh_buf_add(&x->cells, x->val.data, x->val.len);
	}
	if (x->ncells == x->capcells) {
		size_t cap = x->capcells ? x->capcells * 2 : 64;
		struct cell *nc = realloc(x->cellv, cap * sizeof *nc);
		if (!nc) {
			x->q.err = 1;
			return;
		}
		x->cellv = nc;
		x->capcells = cap;
	}
	x->cellv[x->ncells++] = (struct cell){x->cell_col, off, x->cells.len - off};
}

static int cmp_cell(const void *a, const void *b)
{
	const struct cell *p = a, *q = b;
	return (p->col > q->col) - (p->col < q->col);
}

static void sheet_end(void *ud, const char *el)
{
	struct xlsx *x = ud;
	const char *n = local_name(el);
	if (!strcmp(n, "c") && x->in_cell) {
		add_cell(x);
		x->in_cell = x->in_v = x->in_is = x->in_t = x->in_rph = 0;
	} else if (!strcmp(n, "v")) {
		x->in_v = 0;
	} else if (!strcmp(n, "t")) {
		x->in_t = 0;
	} else if (!strcmp(n, "rPh")) {
		x->in_rph = 0;
	} else if (!strcmp(n, "is")) {
		x->in_is = 0;
	} else if (!strcmp(n, "row") && x->in_row) {
		x->in_row = 0;
		/* Trailing empty cells (formatted but blank) are not columns. */
		while (x->ncells && x->cellv[x->ncells - 1].len == 0)
			x->ncells--;
		if (x->ncells == 0)
			return; /* an empty row, as a blank line in a CSV file */
		qsort(x->cellv, x->ncells, sizeof *x->cellv, cmp_cell);
		int col = 0;
		for (size_t i = 0; i < x->ncells; i++) {
			if (x->cellv[i].col >= KH_CSV_MAX_FIELDS) {
				x->q.err = 1;
				break;
			}
			for (; col < x->cellv[i].col; col++)
				kh_rowq_field(&x->q, "", 0);
			if (col == x->cellv[i].col) { /* a repeated reference keeps the first cell */
				kh_rowq_field(&x->q, x->cells.data + x->cellv[i].off, x->cellv[i].len);
				col++;
			}
		}
		kh_rowq_end(&x->q, x->row_num, 0);
	}
}

static void sheet_text(void *ud, const char *text, int len)
{
	struct xlsx *x = ud;
	if (x->in_v || x->in_t)
		kh_buf_add(&x->val, text, (size_t)len);
}

static int xlsx_next(struct kh_table *t, struct kh_row *row)
{
	struct xlsx *x = (struct xlsx *)t;
	if (x->failed)
		return -1;
	for (;;) {
		if (kh_rowq_pop(&x->q, row))
			return 1;
		if (x->at_end)
			return 0;
		kh_rowq_reset(&x->q);
		zip_int64_t got = zip_fread(x->sheet, x->buf, sizeof x->buf);
		if (got < 0) {
			snprintf(t->err, sizeof t->err, "cannot read the sheet from the workbook (damaged zip?)");
			x->failed = 1;
			return -1;
		}
		t->bytes_read += (uint64_t)got;
		x->at_end = got == 0;
		if (XML_Parse(x->xp, x->buf, (int)got, x->at_end) != XML_STATUS_OK) {
			snprintf(t->err, sizeof t->err, "the sheet is not well-formed XML: %s (line %lu)",
				 XML_ErrorString(XML_GetErrorCode(x->xp)), (unsigned long)XML_GetCurrentLineNumber(x->xp));
			x->failed = 1;
			return -1;
		}
		if (x->q.err || x->val.err || x->cells.err) {
			snprintf(t->err, sizeof t->err, "a row has more than %d columns, or memory ran out",
				 KH_CSV_MAX_FIELDS);
			x->failed = 1;
			return -1;
		}
	}
}

static void xlsx_free(struct kh_table *t)
{
	struct xlsx *x = (struct xlsx *)t;
	if (x->xp)
		XML_ParserFree(x->xp);
	if (x->sheet)
		zip_fclose(x->sheet);
	if (x->zip)
		zip_discard(x->zip);
	kh_buf_release(&x->file);
	kh_buf_release(&x->sst);
	kh_buf_release(&x->val);
	kh_buf_release(&x->cells);
	free(x->sst_off);
	free(x->xf_date);
	free(x->cellv);
	kh_rowq_free(&x->q);
	free(x);
}

int kh_xlsx_sniff(const char *head, size_t n)
{
	return n >= 4 && !memcmp(head, "PK\x03\x04", 4);
}

/* Opens the parts and the sheet; 0 or -1 with t.err set. */
static int xlsx_prepare(struct xlsx *x)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *zs = zip_source_buffer_create(x->file.data, x->file.len, 0, &ze);
	if (zs)
		x->zip = zip_open_from_source(zs, ZIP_RDONLY, &ze);
	if (!x->zip) {
		snprintf(x->t.err, sizeof x->t.err, "not an Excel workbook (.xlsx): %s", zip_error_strerror(&ze));
		if (zs)
			zip_source_free(zs);
		zip_error_fini(&ze);
		return -1;
	}
	zip_error_fini(&ze);

	struct kh_buf part = KH_BUF_INIT;
	struct wb wb = {.x = x};
	int rc = read_part(x, "xl/workbook.xml", &part, 16u << 20, 1);
	if (!rc)
		rc = parse_xml(x, &part, wb_start, no_end, NULL, &wb, "xl/workbook.xml");
	kh_buf_reset(&part);
	if (!rc && !wb.rid[0]) {
		snprintf(x->t.err, sizeof x->t.err, "the workbook has no sheet");
		rc = -1;
	}
	if (!rc)
		rc = read_part(x, "xl/_rels/workbook.xml.rels", &part, 16u << 20, 1);
	if (!rc)
		rc = parse_xml(x, &part, rels_start, no_end, NULL, &wb, "xl/_rels/workbook.xml.rels");
	kh_buf_reset(&part);
	if (!rc && !wb.target[0]) {
		snprintf(x->t.err, sizeof x->t.err, "the workbook's first sheet has no part");
		rc = -1;
	}
	if (!rc && (rc = read_part(x, "xl/styles.xml", &part, 64u << 20, 0)) == 0) {
		struct styles st = {.x = x};
		rc = parse_xml(x, &part, styles_start, styles_end, NULL, &st, "xl/styles.xml");
	} else if (rc == 1) {
		rc = 0;
	}
	kh_buf_reset(&part);
	if (!rc && (rc = read_part(x, "xl/sharedStrings.xml", &part, MAX_SST_BYTES, 0)) == 0) {
		struct sst s = {.x = x};
		rc = parse_xml(x, &part, sst_start, sst_end, sst_text, &s, "xl/sharedStrings.xml");
		if (!rc && (s.err || x->sst.err)) {
			snprintf(x->t.err, sizeof x->t.err, "out of memory reading the shared strings");
			rc = -1;
		}
	} else if (rc == 1) {
		rc = 0;
	}
	kh_buf_release(&part);
	if (rc)
		return -1;

	char path[600];
	if (wb.target[0] == '/')
		snprintf(path, sizeof path, "%s", wb.target + 1);
	else
		snprintf(path, sizeof path, "xl/%s", wb.target);
	x->sheet = zip_fopen(x->zip, path, 0);
	if (!x->sheet) {
		snprintf(x->t.err, sizeof x->t.err, "the workbook has no %.200s", path);
		return -1;
	}
	x->xp = XML_ParserCreate("UTF-8");
	if (!x->xp) {
		snprintf(x->t.err, sizeof x->t.err, "out of memory");
		return -1;
	}
	XML_SetUserData(x->xp, x);
	XML_SetElementHandler(x->xp, sheet_start, sheet_end);
	XML_SetCharacterDataHandler(x->xp, sheet_text);
	x->next_row_num = 1;
	return 0;
}

struct kh_table *kh_xlsx_open(struct kh_src src, char *msg, size_t msglen)
{
	struct xlsx *x = calloc(1, sizeof *x);
	if (!x) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	x->t.next = xlsx_next;
	x->t.free = xlsx_free;
	x->t.format = "xlsx";
	x->t.encoding = "utf-8";
	x->t.delim = ',';
	kh_buf_init(&x->file, KH_XLSX_MAX_FILE);
	kh_buf_init(&x->sst, 0);
	kh_buf_init(&x->val, 0);
	kh_buf_init(&x->cells, 0);
	kh_buf_init(&x->q.text, 0);
	ssize_t got;
	while ((got = src.read(src.cls, x->buf, sizeof x->buf)) > 0)
		if (kh_buf_add(&x->file, x->buf, (size_t)got))
			break;
	if (got < 0 || x->file.err) {
		snprintf(msg, msglen, got < 0 ? "cannot read the file" : "the workbook is larger than %u MiB",
			 KH_XLSX_MAX_FILE >> 20);
		xlsx_free(&x->t);
		return NULL;
	}
	if (xlsx_prepare(x)) {
		snprintf(msg, msglen, "%s", x->t.err);
		xlsx_free(&x->t);
		return NULL;
	}
	return &x->t;
}
