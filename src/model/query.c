#include "model/query.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "model/permission.h"
#include "model/validate.h"
#include "util/json_out.h"
#include "util/textnorm.h"
#include "util/utf8.h"

void kh_list_init(struct kh_list_query *q, const struct kh_entity *e)
{
	memset(q, 0, sizeof *q);
	q->e = e;
	q->limit = KH_LIST_DEFAULT;
}

static const char *const op_names[] = {"eq", "ne", "lt", "lte", "gt", "gte", "in", "like", "null"};

static int is_textual(const struct kh_field *f)
{
	return kh_field_coltype(f) == KH_COL_TEXT;
}

static int sortable(const struct kh_field *f)
{
	return !(f->flags & KH_F_WRITEONLY) && f->type != KH_T_TEXT && f->type != KH_T_TAGS && f->type != KH_T_JSON;
}

static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static enum kh_err add_filter(struct kh_list_query *q, const char *key, const struct kh_field *f, enum kh_fop op,
			      const char *value, struct kh_arena *a, struct kh_errinfo *ei)
{
	if (q->nfilters >= KH_MAX_FILTERS) {
		kh_errinfo_set(ei, KH_EINVAL, "at most %d filters", KH_MAX_FILTERS);
		return KH_EINVAL;
	}
	struct kh_filter *flt = &q->filters[q->nfilters];
	flt->f = f;
	flt->op = op;
	const char *why = NULL;
	if (op == KH_FOP_NULL) {
		if (strcmp(value, "true") && strcmp(value, "false")) {
			kh_errinfo_field(ei, key, "must be true or false");
			return KH_EINVAL;
		}
		flt->vals = kh_arena_alloc(a, sizeof *flt->vals);
		if (!flt->vals)
			return KH_ENOMEM;
		flt->vals[0] = KH_VINT(!strcmp(value, "true"));
		flt->nvals = 1;
	} else if (op == KH_FOP_IN) {
		int n = 1;
		for (const char *p = value; *p; p++)
			n += *p == ',';
		if (n > 100) {
			kh_errinfo_field(ei, key, "takes at most 100 values");
			return KH_EINVAL;
		}
		flt->vals = kh_arena_calloc(a, (size_t)n, sizeof *flt->vals);
		char *copy = kh_arena_strdup(a, value);
		if (!flt->vals || !copy)
			return KH_ENOMEM;
		flt->nvals = 0;
		for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (kh_validate_text(f, tok, &flt->vals[flt->nvals++], a, &why))
				break;
		if (!why && flt->nvals == 0)
			why = "needs at least one value";
	} else {
		if (op == KH_FOP_LIKE && !is_textual(f))
			why = "like works on text fields only";
		flt->vals = kh_arena_alloc(a, sizeof *flt->vals);
		if (!flt->vals)
			return KH_ENOMEM;
		flt->nvals = 1;
		if (!why && op == KH_FOP_LIKE) {
			if (!kh_utf8_valid_str(value))
				why = "is not valid UTF-8";
			else if (strlen(value) > 200)
				why = "is too long";
			else
				flt->vals[0] = KH_VTEXT(kh_arena_strdup(a, value));
		} else if (!why) {
			kh_validate_text(f, value, &flt->vals[0], a, &why);
		}
	}
	if (why) {
		kh_errinfo_field(ei, key, "%s", why);
		return KH_EINVAL;
	}
	q->nfilters++;
	return KH_OK;
}

enum kh_err kh_list_filter_eq(struct kh_list_query *q, const struct kh_field *f, struct kh_val v, struct kh_arena *a)
{
	if (q->nfilters >= KH_MAX_FILTERS)
		return KH_EINVAL;
	struct kh_val *copy = kh_arena_alloc(a, sizeof *copy);
	if (!copy)
		return KH_ENOMEM;
	*copy = v;
	q->filters[q->nfilters++] = (struct kh_filter){.f = f, .op = KH_FOP_EQ, .vals = copy, .nvals = 1};
	return KH_OK;
}

static void bad(struct kh_errinfo *ei, const char *key, const char *why)
{
	if (ei->code == KH_OK)
		kh_errinfo_set(ei, KH_EINVAL, "invalid query parameter %s: %s", key, why);
	kh_errinfo_field(ei, key, "%s", why);
	ei->code = KH_EINVAL;
}

void kh_list_param(struct kh_list_query *q, const char *key, const char *value, struct kh_arena *a,
		   struct kh_errinfo *ei)
{
	long long n;
	if (!value)
		value = "";
	if (!kh_utf8_valid_str(key) || !kh_utf8_valid_str(value)) {
		bad(ei, "query", "is not valid UTF-8");
		return;
	}
	if (!strcmp(key, "limit")) {
		if (parse_int(value, 1, KH_LIST_MAX, &n))
			bad(ei, key, "must be an integer from 1 to 500");
		else
			q->limit = (int)n;
		return;
	}
	if (!strcmp(key, "count")) {
		if (strcmp(value, "1") && strcmp(value, "true") && strcmp(value, "0") && strcmp(value, "false"))
			bad(ei, key, "must be 1 or 0");
		else
			q->count = !strcmp(value, "1") || !strcmp(value, "true");
		return;
	}
	if (!strcmp(key, "archived")) {
		if (!strcmp(value, "include"))
			q->archived = KH_ARCHIVED_INCLUDE;
		else if (!strcmp(value, "only"))
			q->archived = KH_ARCHIVED_ONLY;
		else if (!strcmp(value, "exclude"))
			q->archived = KH_ARCHIVED_EXCLUDE;
		else
			bad(ei, key, "must be include, only or exclude");
		return;
	}
	if (!strcmp(key, "sort")) {
		q->sort_text = kh_arena_strdup(a, value);
		return;
	}
	if (!strcmp(key, "cursor")) {
		q->cursor_text = kh_arena_strdup(a, value);
		return;
	}
	/* A filter: field or field[op]. */
	const char *br = strchr(key, '[');
	size_t flen = br ? (size_t)(br - key) : strlen(key);
	char fname[64];
	if (flen == 0 || flen >= sizeof fname) {
		bad(ei, key, "unknown parameter");
		return;
	}
	memcpy(fname, key, flen);
	fname[flen] = '\0';
	const struct kh_field *f = kh_field_find(q->e, fname);
	if (!f || (f->flags & KH_F_WRITEONLY) || f->type == KH_T_JSON) {
		bad(ei, key, "unknown field or parameter");
		return;
	}
	enum kh_fop op = KH_FOP_EQ;
	if (br) {
		size_t olen = strlen(br + 1);
		int found = 0;
		if (olen >= 2 && br[olen] == ']')
			for (int i = 0; i < (int)(sizeof op_names / sizeof op_names[0]); i++)
				if (strlen(op_names[i]) == olen - 1 && !strncmp(br + 1, op_names[i], olen - 1)) {
					op = (enum kh_fop)i;
					found = 1;
				}
		if (!found) {
			bad(ei, key, "unknown operator; use eq, ne, lt, lte, gt, gte, in, like or null");
			return;
		}
	}
	if (f->type == KH_T_TAGS && op != KH_FOP_EQ && op != KH_FOP_NULL) {
		bad(ei, key, "tags take only field=tag (has the tag) or field[null]");
		return;
	}
	enum kh_err err = add_filter(q, key, f, op, value, a, ei);
	if (err && ei->code != KH_EINVAL && ei->code != KH_EVALIDATION)
		kh_errinfo_set(ei, err, "out of memory");
	else if (err)
		ei->code = KH_EINVAL, ei->msg = ei->msg ? ei->msg : kh_arena_printf(a, "invalid filter %s", key);
}

/* "-created_at,name" -> sorts, then id in the direction of the last one. */
static enum kh_err parse_sort(struct kh_list_query *q, const char *text, struct kh_arena *a, struct kh_errinfo *ei)
{
	char *copy = kh_arena_strdup(a, text);
	if (!copy)
		return KH_ENOMEM;
	q->nsorts = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int desc = tok[0] == '-';
		const char *name = tok + (desc || tok[0] == '+');
		const struct kh_field *f = kh_field_find(q->e, name);
		if (!f || !sortable(f)) {
			bad(ei, "sort", kh_arena_printf(a, "cannot sort by '%s'", name));
			return KH_EINVAL;
		}
		if (q->nsorts >= KH_MAX_SORTS - 1) {
			bad(ei, "sort", "at most 3 fields");
			return KH_EINVAL;
		}
		q->sorts[q->nsorts++] = (struct kh_sort){.f = f, .desc = desc,
			.key = f == q->e->title ? q->e->sort_key : NULL};
		if (f->type == KH_T_ID)
			break; /* ids are unique: nothing after them matters */
	}
	if (q->nsorts == 0) {
		bad(ei, "sort", "names no field");
		return KH_EINVAL;
	}
	if (q->sorts[q->nsorts - 1].f->type != KH_T_ID)
		q->sorts[q->nsorts++] = (struct kh_sort){.f = &q->e->fields[0], .desc = q->sorts[q->nsorts - 1].desc};
	struct kh_buf norm = KH_BUF_INIT;
	for (int i = 0; i < q->nsorts; i++) {
		for (int c = 0; c < q->e->nselect; c++)
			if (&q->e->fields[q->e->select_field[c]] == q->sorts[i].f)
				q->sorts[i].col = c;
		kh_buf_addf(&norm, "%s%s%s", i ? "," : "", q->sorts[i].desc ? "-" : "", q->sorts[i].f->name);
	}
	q->sort_text = kh_arena_strdup(a, norm.data);
	kh_buf_release(&norm);
	return q->sort_text ? KH_OK : KH_ENOMEM;
}

/* A cursor is base64url of {"s": sort, "v": [values of the last row's sort fields]}.
 * It is checked like any input: the sort must match, each value its field's type. */
static enum kh_err decode_cursor(struct kh_list_query *q, struct kh_arena *a, struct kh_errinfo *ei)
{
	size_t len = strlen(q->cursor_text);
	unsigned char *raw = kh_arena_alloc(a, len + 1);
	size_t rawlen;
	if (!raw)
		return KH_ENOMEM;
	if (len == 0 || len > 4096 ||
	    sodium_base642bin(raw, len, q->cursor_text, len, NULL, &rawlen, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING)) {
		bad(ei, "cursor", "is not a cursor from this API");
		return KH_EINVAL;
	}
	json_t *j = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL);
	json_t *s = json_object_get(j, "s"), *v = json_object_get(j, "v");
	enum kh_err err = KH_OK;
	if (!json_is_string(s) || !json_is_array(v) || (int)json_array_size(v) != q->nsorts) {
		bad(ei, "cursor", "is not a cursor from this API");
		err = KH_EINVAL;
	} else if (strcmp(json_string_value(s), q->sort_text)) {
		bad(ei, "cursor", "belongs to another sort order");
		err = KH_EINVAL;
	}
	for (int i = 0; !err && i < q->nsorts; i++) {
		json_t *x = json_array_get(v, (size_t)i);
		int textual = is_textual(q->sorts[i].f);
		if (json_is_null(x) && q->sorts[i].f->type != KH_T_ID) {
			q->cursor[i] = KH_VNULL;
		} else if (!textual && json_is_integer(x)) {
			q->cursor[i] = KH_VINT((int64_t)json_integer_value(x));
		} else if (textual && json_is_string(x) && json_string_length(x) <= 2000) {
			char *copy = kh_arena_strndup(a, json_string_value(x), json_string_length(x));
			if (!copy)
				err = KH_ENOMEM;
			else
				q->cursor[i] = KH_VTEXTN(copy, json_string_length(x));
		} else {
			bad(ei, "cursor", "is not a cursor from this API");
			err = KH_EINVAL;
		}
	}
	json_decref(j);
	q->has_cursor = !err;
	return err;
}

/* Without the personal-data permission, personal fields can be neither filtered
 * nor sorted nor grouped on: that would reveal the values a mask hides. */
static int personal_denied(const struct kh_principal *who, const struct kh_field *f, const char *what,
			   struct kh_errinfo *ei)
{
	if (!(f->flags & KH_F_PERSONAL) || kh_sees_personal(who))
		return 0;
	if (ei->code == KH_OK)
		kh_errinfo_set(ei, KH_EFORBIDDEN, "%s is personal data, which your role does not show", f->name);
	kh_errinfo_field(ei, what, "is personal data");
	ei->code = KH_EFORBIDDEN;
	return 1;
}

enum kh_err kh_list_finish(struct kh_list_query *q, const struct kh_principal *who, struct kh_arena *a,
			   struct kh_errinfo *ei)
{
	if (ei->code)
		return ei->code;
	for (int i = 0; i < q->nfilters; i++)
		if (personal_denied(who, q->filters[i].f, q->filters[i].f->name, ei))
			return ei->code;
	enum kh_err err = parse_sort(q, q->sort_text ? q->sort_text : q->e->default_sort, a, ei);
	for (int i = 0; !err && i < q->nsorts; i++)
		if (personal_denied(who, q->sorts[i].f, "sort", ei))
			err = ei->code;
	if (!err && q->cursor_text)
		err = decode_cursor(q, a, ei);
	return err ? (ei->code ? ei->code : err) : KH_OK;
}

/* ---- SQL ---- */

struct params {
	struct kh_val *v;
	int n, max;
};

static int add_param(struct kh_buf *sql, struct params *p, struct kh_val v)
{
	if (p->n >= p->max) {
		sql->err = KH_EINVAL;
		return -1;
	}
	p->v[p->n++] = v;
	kh_buf_addf(sql, "$%d", p->n);
	return 0;
}

static void filter_sql(struct kh_buf *sql, struct params *p, const struct kh_filter *f, struct kh_arena *a)
{
	static const char *const cmp[] = {"=", "<>", "<", "<=", ">", ">="};
	const char *name = f->f->name;
	switch (f->op) {
	case KH_FOP_EQ:
		if (f->f->type == KH_T_TAGS) {
			/* Tags are a JSON array of strings: look for the quoted tag. */
			const struct kh_val *v = &f->vals[0];
			char *pat = kh_arena_alloc(a, 2 * v->n + 8);
			size_t o = 0;
			if (!pat) {
				sql->err = KH_ENOMEM;
				return;
			}
			pat[o++] = '%';
			pat[o++] = '"';
			for (size_t i = 0; i < v->n; i++) {
				if (v->s[i] == '%' || v->s[i] == '_' || v->s[i] == '\\' || v->s[i] == '"')
					pat[o++] = '\\';
				pat[o++] = v->s[i];
			}
			pat[o++] = '"';
			pat[o++] = '%';
			kh_buf_addf(sql, "lower(%s) LIKE lower(", name);
			add_param(sql, p, KH_VTEXTN(pat, o));
			kh_buf_adds(sql, ") ESCAPE '\\'");
			return;
		}
		/* fall through */
	case KH_FOP_NE:
	case KH_FOP_LT:
	case KH_FOP_LTE:
	case KH_FOP_GT:
	case KH_FOP_GTE:
		kh_buf_addf(sql, "%s %s ", name, cmp[f->op]);
		add_param(sql, p, f->vals[0]);
		if (f->op == KH_FOP_NE) /* SQL's <> is unknown for NULL; "not x" includes empty ones */
			kh_buf_addf(sql, " OR %s IS NULL", name);
		return;
	case KH_FOP_IN:
		kh_buf_addf(sql, "%s IN (", name);
		for (int i = 0; i < f->nvals; i++) {
			if (i)
				kh_buf_addc(sql, ',');
			add_param(sql, p, f->vals[i]);
		}
		kh_buf_addc(sql, ')');
		return;
	case KH_FOP_LIKE:
		/* SQLite's LIKE ignores ASCII case, PostgreSQL's does not: lower() on
		 * both sides gives both engines SQLite's answer. (SQLite cannot use an
		 * index for LIKE on these columns either way.) */
		kh_buf_addf(sql, "lower(%s) LIKE lower(", name);
		add_param(sql, p, f->vals[0]);
		kh_buf_adds(sql, ") ESCAPE '\\'");
		return;
	case KH_FOP_NULL:
		kh_buf_addf(sql, "%s IS %s", name, f->vals[0].i ? "NULL" : "NOT NULL");
		return;
	}
}

static void where_sql(const struct kh_list_query *q, const struct kh_principal *who, struct kh_buf *sql,
		      struct params *p, struct kh_arena *a)
{
	const char *arch = q->archived == KH_ARCHIVED_EXCLUDE ? "archived_at IS NULL"
			   : q->archived == KH_ARCHIVED_ONLY  ? "archived_at IS NOT NULL"
							      : "1 = 1";
	kh_buf_addf(sql, " WHERE %s", arch);
	for (int i = 0; i < q->nfilters; i++) {
		kh_buf_adds(sql, " AND (");
		filter_sql(sql, p, &q->filters[i], a);
		kh_buf_addc(sql, ')');
	}
	/* Record scope: every list, count and aggregate comes through here. */
	kh_scope_sql(who, q->e, KH_ACT_READ, sql, p->v, &p->n, p->max);
}

static int never_null(const struct kh_field *f)
{
	return f->type == KH_T_ID || !strcmp(f->name, "created_at") || !strcmp(f->name, "updated_at") ||
	       !strcmp(f->name, "version");
}

static const char *sort_column(const struct kh_sort *s)
{
	return s->key ? s->key->name : s->f->name;
}

/* Rows strictly after the cursor in the sort order, where ascending puts NULLs
 * first and descending puts them last (both engines are told so explicitly). */
static void keyset_sql(const struct kh_list_query *q, struct kh_buf *sql, struct params *p)
{
	int same_dir = 1, simple = 1;
	for (int i = 0; i < q->nsorts; i++) {
		same_dir &= q->sorts[i].desc == q->sorts[0].desc;
		simple &= q->cursor[i].t != KH_V_NULL && (never_null(q->sorts[i].f) || !q->sorts[i].desc);
	}
	if (same_dir && simple) {
		/* A row-value comparison: one index range scan on both engines. With an
		 * ascending sort the NULLs come first, before any cursor value, so they
		 * are rightly excluded by the comparison. */
		kh_buf_adds(sql, " AND (");
		for (int i = 0; i < q->nsorts; i++)
			kh_buf_addf(sql, "%s%s", i ? "," : "", sort_column(&q->sorts[i]));
		kh_buf_addf(sql, ") %s (", q->sorts[0].desc ? "<" : ">");
		for (int i = 0; i < q->nsorts; i++) {
			if (i)
				kh_buf_addc(sql, ',');
			add_param(sql, p, q->cursor[i]);
		}
		kh_buf_addc(sql, ')');
		return;
	}
	kh_buf_adds(sql, " AND (");
	for (int j = 0; j < q->nsorts; j++) {
		kh_buf_adds(sql, j ? " OR (" : "(");
		for (int i = 0; i < j; i++) {
			const char *n = sort_column(&q->sorts[i]);
			if (q->cursor[i].t == KH_V_NULL) {
				kh_buf_addf(sql, "%s IS NULL AND ", n);
			} else {
				kh_buf_addf(sql, "%s = ", n);
				add_param(sql, p, q->cursor[i]);
				kh_buf_adds(sql, " AND ");
			}
		}
		const char *n = sort_column(&q->sorts[j]);
		int null = q->cursor[j].t == KH_V_NULL;
		if (!q->sorts[j].desc) {
			if (null) {
				kh_buf_addf(sql, "%s IS NOT NULL", n);
			} else {
				kh_buf_addf(sql, "%s > ", n);
				add_param(sql, p, q->cursor[j]);
			}
		} else {
			if (null) {
				kh_buf_adds(sql, "1 = 0");
			} else {
				kh_buf_addf(sql, "(%s < ", n);
				add_param(sql, p, q->cursor[j]);
				kh_buf_addf(sql, " OR %s IS NULL)", n);
			}
		}
		kh_buf_addc(sql, ')');
	}
	kh_buf_addc(sql, ')');
}

static void order_sql(const struct kh_list_query *q, struct kh_buf *sql)
{
	kh_buf_adds(sql, " ORDER BY ");
	for (int i = 0; i < q->nsorts; i++) {
		const struct kh_sort *s = &q->sorts[i];
		kh_buf_addf(sql, "%s%s %s", i ? ", " : "", sort_column(s), s->desc ? "DESC" : "ASC");
		if (!never_null(s->f))
			kh_buf_adds(sql, s->desc ? " NULLS LAST" : " NULLS FIRST");
	}
}

enum kh_err kh_list_sql(const struct kh_list_query *q, const struct kh_principal *who, struct kh_arena *a,
			struct kh_buf *sql, struct kh_val *params, int *nparams, int maxparams)
{
	struct params p = {params, 0, maxparams};
	kh_buf_adds(sql, q->e->select_sql);
	where_sql(q, who, sql, &p, a);
	if (q->has_cursor)
		keyset_sql(q, sql, &p);
	order_sql(q, sql);
	kh_buf_addf(sql, " LIMIT %d", q->limit + 1);
	*nparams = p.n;
	return sql->err;
}

enum kh_err kh_list_count_sql(const struct kh_list_query *q, const struct kh_principal *who, struct kh_arena *a,
			      struct kh_buf *sql, struct kh_val *params, int *nparams, int maxparams)
{
	struct params p = {params, 0, maxparams};
	kh_buf_addf(sql, "SELECT count(*) FROM %s", q->e->name);
	where_sql(q, who, sql, &p, a);
	*nparams = p.n;
	return sql->err;
}

void kh_list_cursor(const struct kh_list_query *q, struct kh_db *db, struct kh_rows *rows, struct kh_buf *out)
{
	struct kh_buf raw = KH_BUF_INIT;
	struct kh_jw w;
	kh_jw_init(&w, &raw);
	kh_jw_obj(&w);
	kh_jw_key(&w, "s");
	kh_jw_str(&w, q->sort_text);
	kh_jw_key(&w, "v");
	kh_jw_arr(&w);
	for (int i = 0; i < q->nsorts; i++) {
		struct kh_val v = kh_rows_col(db, rows, q->sorts[i].col);
		if (v.t == KH_V_INT) {
			kh_jw_int(&w, v.i);
		} else if (v.t == KH_V_TEXT && q->sorts[i].key) {
			/* The position is the name's sort key, made as the write path makes it. */
			struct kh_buf key = KH_BUF_INIT;
			kh_pinyin_sort_key(&key, v.s, v.n);
			kh_jw_strn(&w, key.data ? key.data : "", key.len);
			if (key.err)
				raw.err = key.err;
			kh_buf_release(&key);
		} else if (v.t == KH_V_TEXT) {
			kh_jw_strn(&w, v.s, v.n);
		} else {
			kh_jw_null(&w);
		}
	}
	kh_jw_arr_end(&w);
	kh_jw_obj_end(&w);
	if (!raw.err && !kh_buf_grow(out, sodium_base64_ENCODED_LEN(raw.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING))) {
		sodium_bin2base64(out->data + out->len, out->cap - out->len, (const unsigned char *)raw.data, raw.len,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		out->len += strlen(out->data + out->len);
	} else if (raw.err) {
		out->err = raw.err;
	}
	kh_buf_release(&raw);
}

/* ---- aggregates ---- */

static const char *const bucket_names[] = {"", "day", "month", "quarter", "year"};
static const char *const measure_names[] = {"count", "sum", "avg", "min", "max"};

void kh_agg_init(struct kh_agg *g, const struct kh_entity *e)
{
	memset(g, 0, sizeof *g);
	kh_list_init(&g->q, e);
	g->limit = 1000;
}

static int is_numeric(const struct kh_field *f)
{
	return f->type == KH_T_INT || f->type == KH_T_MONEY || f->type == KH_T_PERCENT;
}

static void parse_groups(struct kh_agg *g, const char *value, struct kh_arena *a, struct kh_errinfo *ei)
{
	char *copy = kh_arena_strdup(a, value);
	if (!copy)
		return;
	g->ngroups = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		enum kh_bucket b = KH_BUCKET_NONE;
		if (colon) {
			*colon = '\0';
			for (int i = 1; i < (int)(sizeof bucket_names / sizeof *bucket_names); i++)
				if (!strcmp(colon + 1, bucket_names[i]))
					b = (enum kh_bucket)i;
			if (b == KH_BUCKET_NONE) {
				bad(ei, "group", "a bucket is day, month, quarter or year");
				return;
			}
		}
		const struct kh_field *f = kh_field_find(g->q.e, tok);
		if (!f || !sortable(f)) {
			bad(ei, "group", kh_arena_printf(a, "cannot group by '%s'", tok));
			return;
		}
		if (b && f->type != KH_T_DATE && f->type != KH_T_DATETIME) {
			bad(ei, "group", kh_arena_printf(a, "%s is not a date: it takes no bucket", tok));
			return;
		}
		if (g->ngroups == KH_AGG_MAX_GROUPS) {
			bad(ei, "group", "at most 2 fields");
			return;
		}
		g->group[g->ngroups].f = f;
		g->group[g->ngroups].bucket = b;
		g->ngroups++;
	}
}

static void parse_measures(struct kh_agg *g, const char *value, struct kh_arena *a, struct kh_errinfo *ei)
{
	char *copy = kh_arena_strdup(a, value);
	if (!copy)
		return;
	g->nmeasures = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		if (colon)
			*colon = '\0';
		int fn = -1;
		for (int i = 0; i < (int)(sizeof measure_names / sizeof *measure_names); i++)
			if (!strcmp(tok, measure_names[i]))
				fn = i;
		const struct kh_field *f = colon ? kh_field_find(g->q.e, colon + 1) : NULL;
		if (fn < 0 || (fn == KH_M_COUNT) != (colon == NULL) || (colon && (!f || !sortable(f))) ||
		    ((fn == KH_M_SUM || fn == KH_M_AVG) && !is_numeric(f))) {
			bad(ei, "measures", kh_arena_printf(a, "'%s%s%s' is not count, sum:f, avg:f, min:f or max:f of a field "
							       "(sum and avg of numbers)", tok, colon ? ":" : "",
							     colon ? colon + 1 : ""));
			return;
		}
		if (g->nmeasures == KH_AGG_MAX_MEASURES) {
			bad(ei, "measures", "at most 8");
			return;
		}
		g->measure[g->nmeasures].fn = (enum kh_measure_fn)fn;
		g->measure[g->nmeasures].f = f;
		g->measure[g->nmeasures].name =
			f ? kh_arena_printf(a, "%s_%s", measure_names[fn], f->name) : "count";
		g->nmeasures++;
	}
}

void kh_agg_param(struct kh_agg *g, const char *key, const char *value, struct kh_arena *a, struct kh_errinfo *ei)
{
	long long n;
	if (!value)
		value = "";
	if (!strcmp(key, "group"))
		parse_groups(g, value, a, ei);
	else if (!strcmp(key, "measures"))
		parse_measures(g, value, a, ei);
	else if (!strcmp(key, "limit")) {
		if (parse_int(value, 1, 10000, &n))
			bad(ei, key, "must be an integer from 1 to 10000");
		else
			g->limit = (int)n;
	} else if (!strcmp(key, "sort") || !strcmp(key, "cursor") || !strcmp(key, "count"))
		bad(ei, key, "does not apply to aggregates");
	else
		kh_list_param(&g->q, key, value, a, ei);
}

enum kh_err kh_agg_finish(struct kh_agg *g, const struct kh_principal *who, struct kh_arena *a,
			  struct kh_errinfo *ei)
{
	(void)a;
	if (ei->code)
		return ei->code;
	for (int i = 0; i < g->q.nfilters; i++)
		if (personal_denied(who, g->q.filters[i].f, g->q.filters[i].f->name, ei))
			return ei->code;
	for (int i = 0; i < g->ngroups; i++)
		if (personal_denied(who, g->group[i].f, "group", ei))
			return ei->code;
	for (int i = 0; i < g->nmeasures; i++)
		if (g->measure[i].f && personal_denied(who, g->measure[i].f, "measures", ei))
			return ei->code;
	if (g->nmeasures == 0) {
		g->measure[0].fn = KH_M_COUNT;
		g->measure[0].f = NULL;
		g->measure[0].name = "count";
		g->nmeasures = 1;
	}
	return KH_OK;
}

/* Buckets cut the ISO text ("2026-03-14T...") that dates and times are stored
 * as, so the same SQL runs on both engines. */
static void group_expr(struct kh_buf *sql, const struct kh_field *f, enum kh_bucket b)
{
	switch (b) {
	case KH_BUCKET_NONE: kh_buf_adds(sql, f->name); break;
	case KH_BUCKET_DAY: kh_buf_addf(sql, "substr(%s, 1, 10)", f->name); break;
	case KH_BUCKET_MONTH: kh_buf_addf(sql, "substr(%s, 1, 7)", f->name); break;
	case KH_BUCKET_YEAR: kh_buf_addf(sql, "substr(%s, 1, 4)", f->name); break;
	case KH_BUCKET_QUARTER:
		kh_buf_addf(sql, "substr(%s, 1, 4) || '-Q' || CAST((CAST(substr(%s, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)",
			    f->name, f->name);
		break;
	}
}

enum kh_err kh_agg_sql(const struct kh_agg *g, const struct kh_principal *who, struct kh_arena *a, struct kh_buf *sql,
		       struct kh_val *params, int *nparams, int maxparams)
{
	struct params p = {params, 0, maxparams};
	kh_buf_adds(sql, "SELECT ");
	for (int i = 0; i < g->ngroups; i++) {
		group_expr(sql, g->group[i].f, g->group[i].bucket);
		kh_buf_adds(sql, ", ");
	}
	for (int i = 0; i < g->nmeasures; i++) {
		if (g->measure[i].fn == KH_M_COUNT)
			kh_buf_adds(sql, "count(*)");
		else if (g->measure[i].fn == KH_M_AVG) /* a real average of integers on both engines */
			kh_buf_addf(sql, "avg(CAST(%s AS DOUBLE PRECISION))", g->measure[i].f->name); /* REAL is 4 bytes in PostgreSQL */
		else
			kh_buf_addf(sql, "%s(%s)", measure_names[g->measure[i].fn], g->measure[i].f->name);
		kh_buf_adds(sql, i + 1 < g->nmeasures ? ", " : "");
	}
	kh_buf_addf(sql, " FROM %s", g->q.e->name);
	where_sql(&g->q, who, sql, &p, a);
	for (int i = 0; i < g->ngroups; i++)
		kh_buf_addf(sql, "%s%d", i ? ", " : " GROUP BY ", i + 1);
	for (int i = 0; i < g->ngroups; i++)
		kh_buf_addf(sql, "%s%d ASC NULLS FIRST", i ? ", " : " ORDER BY ", i + 1);
	kh_buf_addf(sql, " LIMIT %d", g->limit + 1);
	*nparams = p.n;
	return sql->err;
}
