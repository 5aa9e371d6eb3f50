#include "domain/export.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "model/permission.h"
#include "util/csv.h"
#include "util/phone.h"

#define PAGE_ROWS 2000

struct kh_export {
	struct kh_db *db;
	struct kh_principal who;
	struct kh_role role;
	struct kh_list_query q;
	struct kh_export_opts o;
	const struct kh_field **cols; /* the fields written, in order */
	int *colidx;                  /* their columns in e->select_sql */
	int ncols;
	int mask;                     /* personal fields are masked */
	int started, finished;
	int64_t rows;
	struct kh_arena arena;        /* the copied query, for the whole export */
	struct kh_arena page;         /* one page's SQL pieces */
	struct kh_buf cur[2];         /* the keyset cursor's text, alternating pages */
	int curbuf;
	struct kh_buf tmp;
	/* vCard: account names by id, read once each. */
	struct {
		int64_t id;
		char *name;
	} *orgs;
	size_t norgs, caporgs;
	char err[256];
};

static const char *const format_names[] = {"csv", "xlsx", "vcf"};

int kh_export_format_parse(const char *s, enum kh_export_format *out)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, format_names[i])) {
			*out = (enum kh_export_format)i;
			return 0;
		}
	if (!strcmp(s, "vcard")) {
		*out = KH_EXPORT_VCARD;
		return 0;
	}
	return -1;
}

const char *kh_export_extension(enum kh_export_format f)
{
	return format_names[f];
}

const char *kh_export_content_type(enum kh_export_format f)
{
	switch (f) {
	case KH_EXPORT_CSV: return "text/csv; charset=utf-8";
	case KH_EXPORT_XLSX: return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	case KH_EXPORT_VCARD: return "text/vcard; charset=utf-8";
	}
	return "application/octet-stream";
}

/* Copies the query's filters and sort out of the caller's arena. */
static int copy_query(struct kh_export *x, const struct kh_list_query *q)
{
	x->q = *q;
	x->q.cursor_text = NULL;
	x->q.has_cursor = 0;
	x->q.count = 0;
	x->q.limit = PAGE_ROWS;
	if (q->sort_text && !(x->q.sort_text = kh_arena_strdup(&x->arena, q->sort_text)))
		return -1;
	for (int i = 0; i < q->nfilters; i++) {
		struct kh_filter *f = &x->q.filters[i];
		f->vals = kh_arena_calloc(&x->arena, (size_t)(f->nvals ? f->nvals : 1), sizeof *f->vals);
		if (!f->vals)
			return -1;
		for (int k = 0; k < f->nvals; k++) {
			f->vals[k] = q->filters[i].vals[k];
			if (f->vals[k].t == KH_V_TEXT &&
			    !(f->vals[k].s = kh_arena_strndup(&x->arena, q->filters[i].vals[k].s, q->filters[i].vals[k].n)))
				return -1;
		}
	}
	return 0;
}

enum kh_err kh_export_open(struct kh_export **out, struct kh_db *db, const struct kh_principal *who,
			   const struct kh_list_query *q, const struct kh_export_opts *o, struct kh_errinfo *ei)
{
	const struct kh_entity *e = q->e;
	*out = NULL;
	if (o->format == KH_EXPORT_VCARD && strcmp(e->name, "contacts"))
		return kh_errinfo_set(ei, KH_EINVAL, "vCard is for contacts; export %s as csv or xlsx", e->name);
	struct kh_export *x = calloc(1, sizeof *x);
	if (!x)
		return kh_errinfo_set(ei, KH_ENOMEM, "out of memory");
	kh_arena_init(&x->arena);
	kh_arena_init(&x->page);
	kh_buf_init(&x->cur[0], 0);
	kh_buf_init(&x->cur[1], 0);
	kh_buf_init(&x->tmp, 0);
	x->db = db;
	x->o = *o;
	x->o.fields = NULL;
	/* The export runs as the principal, with its export scope as its read
	 * scope: the list query applies read scopes, and an export reaches the
	 * records the role may export. */
	x->who = *who;
	if (who->perms) {
		x->role = *who->perms;
		for (int c = 0; c < KH_MAX_ENTITY_CODES; c++)
			x->role.scope[c][KH_ACT_READ] = x->role.scope[c][KH_ACT_EXPORT];
		x->who.perms = &x->role;
	}
	x->who.username = who->username ? kh_arena_strdup(&x->arena, who->username) : NULL;
	x->who.role = who->role ? kh_arena_strdup(&x->arena, who->role) : NULL;
	x->mask = !kh_sees_personal(who);
	x->cols = calloc((size_t)e->nselect, sizeof *x->cols);
	x->colidx = calloc((size_t)e->nselect, sizeof *x->colidx);
	if (!x->cols || !x->colidx || copy_query(x, q)) {
		kh_export_free(x);
		return kh_errinfo_set(ei, KH_ENOMEM, "out of memory");
	}
	if (o->fields && *o->fields) {
		char *list = kh_arena_strdup(&x->arena, o->fields), *save = NULL;
		for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
			int found = -1;
			for (int c = 0; c < e->nselect; c++)
				if (!strcmp(e->fields[e->select_field[c]].name, name))
					found = c;
			if (found < 0) {
				kh_errinfo_field(ei, "fields", "%s has no field '%s' to export", e->name, name);
				kh_export_free(x);
				return ei->code = KH_EINVAL;
			}
			if (x->ncols < e->nselect) {
				x->cols[x->ncols] = &e->fields[e->select_field[found]];
				x->colidx[x->ncols++] = found;
			}
		}
	} else {
		for (int c = 0; c < e->nselect; c++) {
			x->cols[x->ncols] = &e->fields[e->select_field[c]];
			x->colidx[x->ncols++] = c;
		}
	}
	*out = x;
	return KH_OK;
}

void kh_export_free(struct kh_export *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->norgs; i++)
		free(x->orgs[i].name);
	free(x->orgs);
	free(x->cols);
	free(x->colidx);
	kh_buf_release(&x->cur[0]);
	kh_buf_release(&x->cur[1]);
	kh_buf_release(&x->tmp);
	kh_arena_release(&x->arena);
	kh_arena_release(&x->page);
	free(x);
}

int64_t kh_export_rows(const struct kh_export *x)
{
	return x->rows;
}

const char *kh_export_error(const struct kh_export *x)
{
	return x->err[0] ? x->err : NULL;
}

/* ---- pages ---- */

/* Runs the query for the next page. */
static enum kh_err page_open(struct kh_export *x, struct kh_rows **rows)
{
	kh_arena_release(&x->page);
	struct kh_buf sql = KH_BUF_INIT;
	int max = KH_MAX_SORTS * KH_MAX_SORTS + 8, n = 0;
	for (int i = 0; i < x->q.nfilters; i++)
		max += x->q.filters[i].nvals;
	struct kh_val *p = kh_arena_calloc(&x->page, (size_t)max, sizeof *p);
	enum kh_err err = p ? kh_list_sql(&x->q, &x->who, &x->page, &sql, p, &n, max) : KH_ENOMEM;
	if (!err)
		err = kh_db_query(x->db, sql.data, p, n, rows);
	kh_buf_release(&sql);
	if (err)
		snprintf(x->err, sizeof x->err, "cannot read %s", x->q.e->name);
	return err;
}

/* Remembers the sort values of the current row as the cursor of the next page
 * (in the buffer the running page's parameters do not use). */
static void page_cursor(struct kh_export *x, struct kh_rows *rows)
{
	struct kh_buf *b = &x->cur[x->curbuf ^= 1];
	kh_buf_reset(b);
	size_t off[KH_MAX_SORTS];
	for (int i = 0; i < x->q.nsorts; i++) {
		struct kh_val v = kh_rows_col(x->db, rows, x->q.sorts[i].col);
		x->q.cursor[i] = v;
		off[i] = b->len;
		if (v.t == KH_V_TEXT)
			kh_buf_add(b, v.s, v.n);
	}
	for (int i = 0; i < x->q.nsorts; i++)
		if (x->q.cursor[i].t == KH_V_TEXT)
			x->q.cursor[i].s = b->data + off[i];
	x->q.has_cursor = 1;
}

/* The text of a value as the file shows it (and import reads it back). */
static void value_text(struct kh_export *x, const struct kh_field *f, const struct kh_val *v, struct kh_buf *out)
{
	switch (v->t) {
	case KH_V_NULL:
		return;
	case KH_V_INT:
		if (f->type == KH_T_BOOL)
			kh_buf_adds(out, v->i ? "true" : "false");
		else if (f->type == KH_T_MONEY)
			kh_buf_addf(out, "%s%lld.%02lld", v->i < 0 ? "-" : "", (long long)(llabs(v->i) / 100),
				    (long long)(llabs(v->i) % 100));
		else
			kh_buf_add_int(out, v->i);
		return;
	case KH_V_REAL:
		kh_buf_addf(out, "%.15g", v->d);
		return;
	case KH_V_TEXT:
		break;
	}
	if (x->mask && (f->flags & KH_F_PERSONAL)) {
		char masked[64];
		kh_mask(f, v->s, v->n, masked, sizeof masked);
		kh_buf_adds(out, masked);
	} else if (f->type == KH_T_TAGS) {
		json_t *a = json_loadb(v->s, v->n, 0, NULL);
		for (size_t i = 0; i < json_array_size(a); i++) {
			json_t *t = json_array_get(a, i);
			kh_buf_adds(out, i ? "; " : "");
			kh_buf_add(out, json_string_value(t), json_string_length(t));
		}
		json_decref(a);
	} else {
		kh_buf_add(out, v->s, v->n);
	}
}

static const char *header_of(const struct kh_export *x, const struct kh_field *f)
{
	if (x->o.labels == 1 && f->label_en)
		return f->label_en;
	if (x->o.labels == 2 && f->label_zh)
		return f->label_zh;
	return f->name;
}

/* ---- vCard 4.0 (RFC 6350) ---- */

/* Escapes a text value: backslash, comma, semicolon, newline. */
static void vc_text(struct kh_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' || c == ',' || c == ';')
			kh_buf_addc(b, '\\'), kh_buf_addc(b, c);
		else if (c == '\n')
			kh_buf_adds(b, "\\n");
		else if (c != '\r')
			kh_buf_addc(b, c);
	}
}

/* Appends one content line, folded at 75 octets without cutting a UTF-8
 * character, ended by CRLF. */
static void vc_line(struct kh_buf *out, const char *line, size_t n)
{
	size_t col = 0;
	for (size_t i = 0; i < n;) {
		size_t len = 1;
		unsigned char c = (unsigned char)line[i];
		if (c >= 0xf0)
			len = 4;
		else if (c >= 0xe0)
			len = 3;
		else if (c >= 0xc0)
			len = 2;
		if (i + len > n)
			len = n - i;
		if (col + len > 75) {
			kh_buf_adds(out, "\r\n ");
			col = 1;
		}
		kh_buf_add(out, line + i, len);
		col += len;
		i += len;
	}
	kh_buf_adds(out, "\r\n");
}

static void vc_prop(struct kh_export *x, struct kh_buf *out, const char *name, const char *s, size_t n)
{
	struct kh_buf *b = &x->tmp;
	kh_buf_reset(b);
	kh_buf_adds(b, name);
	kh_buf_addc(b, ':');
	vc_text(b, s, n);
	vc_line(out, b->data, b->len);
}

static const char *org_name(struct kh_export *x, int64_t id)
{
	for (size_t i = 0; i < x->norgs; i++)
		if (x->orgs[i].id == id)
			return x->orgs[i].name;
	if (x->norgs == x->caporgs) {
		if (x->norgs >= 4096) { /* a cache, not a copy of the accounts table */
			for (size_t i = 0; i < x->norgs; i++)
				free(x->orgs[i].name);
			x->norgs = 0;
		} else {
			size_t cap = x->caporgs ? x->caporgs * 2 : 64;
			void *p = realloc(x->orgs, cap * sizeof *x->orgs);
			if (!p)
				return NULL;
			x->orgs = p;
			x->caporgs = cap;
		}
	}
	char *name = NULL;
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	if (!kh_db_query(x->db, "SELECT name FROM accounts WHERE id = $1", &p, 1, &rows)) {
		if (kh_rows_next(x->db, rows) > 0) {
			struct kh_val v = kh_rows_col(x->db, rows, 0);
			if (v.t == KH_V_TEXT)
				name = strndup(v.s, v.n);
		}
		kh_rows_end(x->db, rows);
	}
	x->orgs[x->norgs].id = id;
	x->orgs[x->norgs++].name = name;
	return name;
}

/* Chinese compound surnames; any other Chinese name's surname is its first character. */
static const char *const compound[] = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
	"长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "歐陽", "諸葛", NULL};

static void vc_name(struct kh_export *x, struct kh_buf *out, const char *s, size_t n)
{
	size_t fam = 0;
	unsigned char c = n ? (unsigned char)s[0] : 0;
	if (c >= 0xe0) { /* CJK: the surname first, no space */
		fam = 3;
		for (int i = 0; compound[i]; i++)
			if (n > 6 && !strncmp(s, compound[i], 6))
				fam = 6;
		if (fam >= n)
			fam = 0;
	} else {
		fam = n; /* "John Smith": Smith, after the last space, is the family name */
		while (fam && s[fam - 1] != ' ')
			fam--;
		fam = fam ? fam - 1 : 0;
	}
	struct kh_buf *b = &x->tmp;
	kh_buf_reset(b);
	kh_buf_adds(b, "N:");
	if (c >= 0xe0) {
		vc_text(b, s, fam);
		kh_buf_addc(b, ';');
		vc_text(b, s + fam, n - fam);
	} else if (fam) {
		vc_text(b, s + fam + 1, n - fam - 1);
		kh_buf_addc(b, ';');
		vc_text(b, s, fam);
	} else {
		vc_text(b, s, n);
		kh_buf_addc(b, ';');
	}
	kh_buf_adds(b, ";;;");
	vc_line(out, b->data, b->len);
}

static struct kh_val col_of(struct kh_export *x, struct kh_rows *rows, const char *field)
{
	const struct kh_entity *e = x->q.e;
	for (int c = 0; c < e->nselect; c++)
		if (!strcmp(e->fields[e->select_field[c]].name, field))
			return kh_rows_col(x->db, rows, c);
	return KH_VNULL;
}

static void vcard(struct kh_export *x, struct kh_rows *rows, struct kh_buf *out)
{
	const struct kh_entity *e = x->q.e;
	struct kh_buf val = KH_BUF_INIT;
	kh_buf_adds(out, "BEGIN:VCARD\r\nVERSION:4.0\r\n");
	struct kh_val id = col_of(x, rows, "id"), name = col_of(x, rows, "name");
	kh_buf_addf(out, "UID:urn:kehu:contact:%lld\r\n", (long long)id.i);
	if (name.t == KH_V_TEXT) {
		vc_prop(x, out, "FN", name.s, name.n);
		vc_name(x, out, name.s, name.n);
	}
	static const struct {
		const char *field, *prop;
	} simple[] = {{"title", "TITLE"}, {"department", "X-DEPARTMENT"}, {"email", "EMAIL;TYPE=work"},
		      {"wechat", "IMPP;X-SERVICE-TYPE=WeChat"}, {"description", "NOTE"}, {"name_en", "NICKNAME"}};
	for (size_t i = 0; i < sizeof simple / sizeof *simple; i++) {
		struct kh_val v = col_of(x, rows, simple[i].field);
		if (v.t != KH_V_TEXT)
			continue;
		kh_buf_reset(&val);
		value_text(x, kh_field_find(e, simple[i].field), &v, &val);
		vc_prop(x, out, simple[i].prop, val.data, val.len);
	}
	static const struct {
		const char *field, *type;
	} phones[] = {{"mobile", "cell"}, {"phone", "work"}};
	for (size_t i = 0; i < 2; i++) {
		struct kh_val v = col_of(x, rows, phones[i].field);
		if (v.t != KH_V_TEXT)
			continue;
		char key[KH_PHONE_KEY_MAX];
		if (!x->mask && kh_phone_key(v.s, v.n, key)) /* a tel: URI, as vCard 4.0 prefers */
			kh_buf_addf(out, "TEL;VALUE=uri;TYPE=\"%s,voice\":tel:%s\r\n", phones[i].type, key);
		else {
			kh_buf_reset(&val);
			value_text(x, kh_field_find(e, phones[i].field), &v, &val);
			char prop[64];
			snprintf(prop, sizeof prop, "TEL;VALUE=text;TYPE=%s", phones[i].type);
			vc_prop(x, out, prop, val.data, val.len);
		}
	}
	struct kh_val acc = col_of(x, rows, "account_id");
	const char *org = acc.t == KH_V_INT ? org_name(x, acc.i) : NULL;
	if (org)
		vc_prop(x, out, "ORG", org, strlen(org));
	static const char *const adr[] = {"address", "city", "province", "postal_code", "country"};
	int any = 0;
	for (int i = 0; i < 5; i++)
		any |= col_of(x, rows, adr[i]).t == KH_V_TEXT;
	if (any) {
		struct kh_buf *b = &x->tmp;
		kh_buf_reset(b);
		kh_buf_adds(b, "ADR;TYPE=work:;;"); /* PO box and extended address are empty */
		for (int i = 0; i < 5; i++) {
			struct kh_val v = col_of(x, rows, adr[i]);
			if (i)
				kh_buf_addc(b, ';');
			if (v.t == KH_V_TEXT)
				vc_text(b, v.s, v.n);
		}
		vc_line(out, b->data, b->len);
	}
	struct kh_val bday = col_of(x, rows, "birthday");
	if (bday.t == KH_V_TEXT && bday.n == 10 && !x->mask)
		kh_buf_addf(out, "BDAY:%.4s%.2s%.2s\r\n", bday.s, bday.s + 5, bday.s + 8);
	struct kh_val g = col_of(x, rows, "gender");
	if (g.t == KH_V_TEXT)
		kh_buf_addf(out, "GENDER:%s\r\n", !strcmp(g.s, "male") ? "M" : !strcmp(g.s, "female") ? "F" : "O");
	struct kh_val tags = col_of(x, rows, "tags");
	if (tags.t == KH_V_TEXT) {
		json_t *a = json_loadb(tags.s, tags.n, 0, NULL);
		struct kh_buf *b = &x->tmp;
		kh_buf_reset(b);
		kh_buf_adds(b, "CATEGORIES:");
		for (size_t i = 0; i < json_array_size(a); i++) {
			if (i)
				kh_buf_addc(b, ',');
			vc_text(b, json_string_value(json_array_get(a, i)), json_string_length(json_array_get(a, i)));
		}
		json_decref(a);
		if (b->len > 11)
			vc_line(out, b->data, b->len);
	}
	struct kh_val rev = col_of(x, rows, "updated_at");
	if (rev.t == KH_V_TEXT && rev.n >= 19) /* 2026-01-31T08:00:00.000Z -> 20260131T080000Z */
		kh_buf_addf(out, "REV:%.4s%.2s%.2sT%.2s%.2s%.2sZ\r\n", rev.s, rev.s + 5, rev.s + 8, rev.s + 11, rev.s + 14,
			    rev.s + 17);
	kh_buf_adds(out, "END:VCARD\r\n");
	kh_buf_release(&val);
}

/* ---- CSV and vCard pieces ---- */

static void csv_row(struct kh_export *x, struct kh_rows *rows, struct kh_buf *out)
{
	for (int c = 0; c < x->ncols; c++) {
		struct kh_val v = kh_rows_col(x->db, rows, x->colidx[c]);
		if (c)
			kh_buf_addc(out, ',');
		if (v.t == KH_V_TEXT && !(x->cols[c]->type == KH_T_TAGS || (x->mask && (x->cols[c]->flags & KH_F_PERSONAL)))) {
			kh_csv_field(out, v.s, v.n, ','); /* the common case, without a copy */
			continue;
		}
		kh_buf_reset(&x->tmp);
		value_text(x, x->cols[c], &v, &x->tmp);
		kh_csv_field(out, x->tmp.data, x->tmp.len, ',');
	}
	kh_buf_adds(out, "\r\n");
}

enum kh_err kh_export_next(struct kh_export *x, struct kh_buf *out, int *done)
{
	*done = 0;
	if (x->finished) {
		*done = 1;
		return KH_OK;
	}
	if (!x->started && x->o.format == KH_EXPORT_CSV) {
		x->started = 1;
		if (x->o.bom)
			kh_buf_adds(out, "\xef\xbb\xbf");
		for (int c = 0; c < x->ncols; c++) {
			const char *h = header_of(x, x->cols[c]);
			if (c)
				kh_buf_addc(out, ',');
			kh_csv_field(out, h, strlen(h), ',');
		}
		kh_buf_adds(out, "\r\n");
		return out->err;
	}
	x->started = 1;
	struct kh_rows *rows;
	enum kh_err err = page_open(x, &rows);
	if (err)
		return err;
	int rc, n = 0;
	while ((rc = kh_rows_next(x->db, rows)) > 0) {
		if (n == PAGE_ROWS) /* the extra row: there is a next page */
			break;
		if (x->o.format == KH_EXPORT_VCARD)
			vcard(x, rows, out);
		else
			csv_row(x, rows, out);
		if (++n == PAGE_ROWS)
			page_cursor(x, rows);
	}
	kh_rows_end(x->db, rows);
	x->rows += n;
	if (rc < 0) {
		snprintf(x->err, sizeof x->err, "cannot read %s", x->q.e->name);
		return (enum kh_err)-rc;
	}
	if (rc == 0) {
		x->finished = 1;
		*done = 1;
	}
	return out->err;
}

/* ---- XLSX ---- */

enum kh_err kh_export_xlsx(struct kh_export *x, const char *path)
{
	lxw_workbook_options wo = {.constant_memory = 1, .use_zip64 = 1};
	lxw_workbook *wb = workbook_new_opt(path, &wo);
	if (!wb) {
		snprintf(x->err, sizeof x->err, "cannot create the workbook");
		return KH_EIO;
	}
	lxw_worksheet *ws = workbook_add_worksheet(wb, x->q.e->name);
	lxw_format *bold = workbook_add_format(wb), *date = workbook_add_format(wb), *money = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_num_format(date, "yyyy-mm-dd");
	format_set_num_format(money, "#,##0.00");
	for (int c = 0; c < x->ncols; c++)
		worksheet_write_string(ws, 0, (lxw_col_t)c, header_of(x, x->cols[c]), bold);
	worksheet_freeze_panes(ws, 1, 0);
	enum kh_err err = KH_OK;
	int more = 1;
	while (!err && more) {
		struct kh_rows *rows;
		if ((err = page_open(x, &rows)))
			break;
		int rc, n = 0;
		while ((rc = kh_rows_next(x->db, rows)) > 0 && n < PAGE_ROWS) {
			if (x->rows + 1 > KH_XLSX_MAX_ROWS) {
				snprintf(x->err, sizeof x->err, "a sheet holds %d rows; export this list as CSV, or filter it",
					 KH_XLSX_MAX_ROWS);
				err = KH_ETOOBIG;
				break;
			}
			lxw_row_t r = (lxw_row_t)(x->rows + 1);
			for (int c = 0; c < x->ncols; c++) {
				const struct kh_field *f = x->cols[c];
				struct kh_val v = kh_rows_col(x->db, rows, x->colidx[c]);
				lxw_col_t col = (lxw_col_t)c;
				if (v.t == KH_V_NULL)
					continue;
				int masked = x->mask && (f->flags & KH_F_PERSONAL);
				if (v.t == KH_V_INT && f->type == KH_T_BOOL) {
					worksheet_write_boolean(ws, r, col, (int)v.i, NULL);
				} else if (v.t == KH_V_INT && f->type == KH_T_MONEY) {
					worksheet_write_number(ws, r, col, (double)v.i / 100.0, money);
				} else if (v.t == KH_V_INT) {
					worksheet_write_number(ws, r, col, (double)v.i, NULL);
				} else if (f->type == KH_T_DATE && v.t == KH_V_TEXT && v.n == 10 && !masked) {
					lxw_datetime d = {(int)strtol(v.s, NULL, 10), (int)strtol(v.s + 5, NULL, 10),
							  (int)strtol(v.s + 8, NULL, 10), 0, 0, 0};
					worksheet_write_datetime(ws, r, col, &d, date);
				} else {
					kh_buf_reset(&x->tmp);
					value_text(x, f, &v, &x->tmp);
					worksheet_write_string(ws, r, col, x->tmp.data, NULL);
				}
			}
			x->rows++;
			if (++n == PAGE_ROWS)
				page_cursor(x, rows);
		}
		more = rc > 0 && n == PAGE_ROWS;
		kh_rows_end(x->db, rows);
		if (!err && rc < 0) {
			snprintf(x->err, sizeof x->err, "cannot read %s", x->q.e->name);
			err = (enum kh_err)-rc;
		}
	}
	lxw_error le = workbook_close(wb);
	if (!err && le != LXW_NO_ERROR) {
		snprintf(x->err, sizeof x->err, "cannot write the workbook: %s", lxw_strerror(le));
		err = KH_EIO;
	}
	return err;
}
