#include "domain/import.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/permission.h"
#include "model/schema.h"
#include "util/clock.h"
#include "util/json_out.h"
#include "util/log.h"
#include "util/phone.h"
#include "util/textnorm.h"
#include "util/utf8.h"
#include "util/xlsx.h"

#define BATCH_ROWS 20000
#define MAX_ERRORS_PER_ROW 8

/* ---- words ---- */

static const char *const key_names[] = {"none", "email", "phone", "name+account", "external_id", "id"};
static const char *const dup_names[] = {"skip", "update", "error"};

int kh_import_key_parse(const char *s, enum kh_import_key *out)
{
	for (int i = 0; i < (int)(sizeof key_names / sizeof *key_names); i++)
		if (!strcmp(s, key_names[i])) {
			*out = (enum kh_import_key)i;
			return 0;
		}
	return -1;
}

int kh_on_dup_parse(const char *s, enum kh_on_dup *out)
{
	for (int i = 0; i < (int)(sizeof dup_names / sizeof *dup_names); i++)
		if (!strcmp(s, dup_names[i])) {
			*out = (enum kh_on_dup)i;
			return 0;
		}
	return -1;
}

const char *kh_import_key_name(enum kh_import_key k)
{
	return key_names[k];
}

const char *kh_on_dup_name(enum kh_on_dup d)
{
	return dup_names[d];
}

/* ---- a small hash map: 64-bit key hash -> record id ---- */

struct keymap {
	uint64_t *k; /* 0 = empty */
	int64_t *v;
	size_t cap, n;
};

static uint64_t hash_key(const char *kind, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *kind; kind++)
		h = (h ^ (unsigned char)*kind) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	h ^= h >> 29;
	return h ? h : 1;
}

static int keymap_put(struct keymap *m, uint64_t k, int64_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		uint64_t *nk = calloc(cap, sizeof *nk);
		int64_t *nv = calloc(cap, sizeof *nv);
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->k[i]) {
				size_t j = m->k[i] & (cap - 1);
				while (nk[j])
					j = (j + 1) & (cap - 1);
				nk[j] = m->k[i];
				nv[j] = m->v[i];
			}
		free(m->k);
		free(m->v);
		m->k = nk, m->v = nv, m->cap = cap;
	}
	size_t j = k & (m->cap - 1);
	while (m->k[j] && m->k[j] != k)
		j = (j + 1) & (m->cap - 1);
	if (!m->k[j])
		m->n++;
	m->k[j] = k;
	m->v[j] = v;
	return 0;
}

static int keymap_get(const struct keymap *m, uint64_t k, int64_t *v)
{
	if (!m->cap)
		return 0;
	size_t j = k & (m->cap - 1);
	while (m->k[j]) {
		if (m->k[j] == k) {
			*v = m->v[j];
			return 1;
		}
		j = (j + 1) & (m->cap - 1);
	}
	return 0;
}

static void keymap_free(struct keymap *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof *m);
}

/* ---- column mapping ---- */

enum ref_by { REF_AUTO, REF_NAME, REF_ID, REF_EXTERNAL };

struct column {
	char *header;
	const struct kh_field *f; /* NULL: not imported */
	int external_id;          /* the pseudo-field external_id */
	enum ref_by by;
	const char *why;          /* why it is not imported */
};

/* Header words per field, in Chinese and English, beyond each field's name and
 * labels: what spreadsheets from other systems call them. */
static const struct {
	const char *field;
	const char *words;
} synonyms[] = {
	{"name", "姓名|名字|联系人|联系人姓名|客户姓名|full name|contact name|contact"},
	{"mobile", "手机|手机号|手机号码|移动电话|mobile phone|cell|cellphone|cell phone"},
	{"phone", "电话|座机|固定电话|办公电话|联系电话|telephone|tel|work phone|office phone|business phone"},
	{"email", "邮箱|电子邮件|电子邮箱|邮件|e-mail|email address|e-mail address|mail"},
	{"wechat", "微信|微信号|wechat id|weixin"},
	{"account_id", "公司|公司名称|客户|客户名称|所属客户|所属公司|单位|企业|企业名称|company|company name|account|"
		       "account name|organization|organisation"},
	{"title", "职位|职务|头衔|job title|position"},
	{"department", "部门|dept"},
	{"city", "城市|市"},
	{"province", "省|省份|state|region"},
	{"country", "国家|国家/地区"},
	{"address", "地址|详细地址|通讯地址|street|street address"},
	{"postal_code", "邮编|邮政编码|zip|zip code|postcode"},
	{"birthday", "生日|出生日期|birth date|date of birth|dob"},
	{"gender", "性别|sex"},
	{"description", "备注|描述|说明|notes|note|remarks|comment|comments"},
	{"tags", "标签|labels"},
	{"source", "来源|客户来源|线索来源|lead source"},
	{"website", "网址|网站|官网|url|web|homepage"},
	{"industry", "行业|所属行业"},
	{"company", "公司|公司名称|单位|company|company name|organization"},
	{"owner_id", "负责人|所有人|owner|owner username"},
	{"external_id", "外部编号|原系统编号|external id|external_id|source id|legacy id"},
};

/* Lower-cased, width-folded, without spaces, underscores and dashes:
 * "E-Mail Address" and "email_address" compare equal. */
static void header_norm(struct kh_buf *b, const char *s, size_t n)
{
	struct kh_buf folded = KH_BUF_INIT;
	n = kh_trim(&s, n);
	kh_fold_width(&folded, s, n);
	for (size_t i = 0; i < folded.len; i++) {
		char c = folded.data[i];
		if (c == ' ' || c == '_' || c == '-' || c == '\t' || c == '*' || c == ':')
			continue; /* "*" marks required columns in many templates */
		kh_buf_addc(b, c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
	}
	kh_buf_release(&folded);
}

static int words_match(const char *words, const char *norm)
{
	struct kh_buf w = KH_BUF_INIT;
	int found = 0;
	for (const char *p = words; *p && !found;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		kh_buf_reset(&w);
		header_norm(&w, p, len);
		found = !strcmp(w.data, norm);
		p += len + (bar != NULL);
	}
	kh_buf_release(&w);
	return found;
}

/* external_id is not a field; this stands for it in suggestions. */
static const struct kh_field external_id_field = {.name = "external_id", .type = KH_T_STRING, .max_len = 200};

const struct kh_field *kh_import_suggest(const struct kh_entity *e, const char *header, size_t n)
{
	struct kh_buf norm = KH_BUF_INIT, cand = KH_BUF_INIT;
	header_norm(&norm, header, n);
	const struct kh_field *found = NULL;
	/* Names and labels first, then the synonyms. */
	for (int i = 0; i < e->nfields && !found && norm.len; i++) {
		const struct kh_field *f = &e->fields[i];
		const char *names[] = {f->name, f->label_en, f->label_zh};
		for (int k = 0; k < 3 && !found; k++) {
			if (!names[k])
				continue;
			kh_buf_reset(&cand);
			header_norm(&cand, names[k], strlen(names[k]));
			if (!strcmp(cand.data, norm.data))
				found = f;
		}
		if (!found && f->type == KH_T_REF) { /* "account" for account_id */
			kh_buf_reset(&cand);
			header_norm(&cand, f->name, strlen(f->name) - 3);
			if (!strcmp(cand.data, norm.data))
				found = f;
		}
	}
	for (size_t s = 0; s < sizeof synonyms / sizeof *synonyms && !found && norm.len; s++) {
		if (!words_match(synonyms[s].words, norm.data))
			continue;
		if (!strcmp(synonyms[s].field, "external_id"))
			found = &external_id_field;
		else if (!strcmp(synonyms[s].field, "account_id") && !strcmp(e->name, "accounts"))
			found = e->title; /* "客户名称" names the account itself */
		else
			found = kh_field_find(e, synonyms[s].field);
	}
	/* The entity's title is what its own name words mean: "客户名称" on an
	 * accounts import is the account's name, not a reference to one. */
	if (found && found->type == KH_T_REF && !strcmp(found->ref, e->name) && strcmp(found->name, "parent_id"))
		found = e->title;
	if (found && !strcmp(found->name, "account_id") && !strcmp(e->name, "accounts"))
		found = e->title;
	kh_buf_release(&norm);
	kh_buf_release(&cand);
	return found;
}

/* ---- the job's run ---- */

struct ref_cache {
	const struct kh_entity *e;
	struct keymap by_name; /* hash of the title -> id */
	struct keymap by_id;   /* id -> 1 when live */
};

struct run {
	struct kh_ctx *ctx;
	struct kh_db *db;
	int64_t job;
	struct kh_import_opts o;
	char options_json[1024];
	struct column *cols;
	int ncols;
	struct keymap keys;
	struct ref_cache refs[8];
	int nrefs;
	struct kh_import_stats st;
	int64_t resume_after; /* rows up to here were committed by an earlier run */
	int indexes_dropped;
	struct kh_buf tmp, tmp2;
	int64_t fake_id; /* dry runs: ids for records that would be created */
	int64_t batch_rows;
	struct kh_arena keep; /* the job's options, for the whole run */
};

static enum kh_err fail(struct run *r, enum kh_err err, const char *fmt, const char *a)
{
	if (r->ctx->ei->code == KH_OK || !r->ctx->ei->msg)
		kh_errinfo_set(r->ctx->ei, err, fmt, a);
	return err;
}

static enum kh_err add_error(struct run *r, int64_t row, const char *column, const char *field, const char *value,
			     size_t vlen, const char *reason)
{
	if (value && vlen > 200)
		vlen = 200;
	char vcopy[256];
	if (value) {
		memcpy(vcopy, value, vlen);
		vcopy[vlen] = '\0';
		/* Cut at a character boundary, and never store invalid UTF-8. */
		while (vlen && !kh_utf8_valid(vcopy, vlen))
			vcopy[--vlen] = '\0';
	}
	struct kh_val p[6] = {KH_VINT(r->job), KH_VINT(row), column ? KH_VTEXT(column) : KH_VNULL,
			      field ? KH_VTEXT(field) : KH_VNULL, value ? KH_VTEXTN(vcopy, vlen) : KH_VNULL,
			      KH_VTEXT(reason)};
	return kh_db_exec(r->db,
			  "INSERT INTO kh_import_errors (import_id, row_number, column_name, field, value, reason) "
			  "VALUES ($1, $2, $3, $4, $5, $6)",
			  p, 6);
}

/* Parses --map: "header=field[:name|:id|:external_id]" pairs separated by
 * commas (ASCII or full-width); "header=-" leaves a column out; a header may be
 * written #3 for the third column. */
static enum kh_err apply_map(struct run *r)
{
	const struct kh_entity *e = r->o.e;
	struct kh_buf spec = KH_BUF_INIT;
	kh_fold_width(&spec, r->o.map, strlen(r->o.map)); /* "，" and "＝" become "," and "=" */
	enum kh_err err = spec.err;
	char *save = NULL;
	for (char *pair = strtok_r(spec.data, ",", &save); !err && pair; pair = strtok_r(NULL, ",", &save)) {
		char *eq = strrchr(pair, '=');
		if (!eq) {
			err = fail(r, KH_EINVAL, "--map: '%s' is not header=field", pair);
			break;
		}
		*eq = '\0';
		const char *h = pair, *t = eq + 1;
		size_t hn = kh_trim(&h, strlen(h)), tn = kh_trim(&t, strlen(t));
		char header[256], target[128];
		snprintf(header, sizeof header, "%.*s", (int)hn, h);
		snprintf(target, sizeof target, "%.*s", (int)tn, t);
		int col = -1;
		if (header[0] == '#') {
			char *end;
			long n = strtol(header + 1, &end, 10);
			if (!*end && n >= 1 && n <= r->ncols)
				col = (int)n - 1;
		}
		for (int i = 0; i < r->ncols && col < 0; i++)
			if (!strcmp(r->cols[i].header, header))
				col = i;
		if (col < 0) {
			err = fail(r, KH_EINVAL, "--map: the file has no column '%s'", header);
			break;
		}
		struct column *c = &r->cols[col];
		c->f = NULL, c->external_id = 0, c->by = REF_AUTO, c->why = "left out by --map";
		if (!strcmp(target, "-") || !target[0])
			continue;
		char *colon = strchr(target, ':');
		if (colon)
			*colon = '\0';
		if (!strcmp(target, "external_id")) {
			c->external_id = 1;
			c->why = NULL;
			continue;
		}
		const struct kh_field *f = kh_field_find(e, target);
		if (!f) {
			kh_errinfo_set(r->ctx->ei, KH_EINVAL, "--map: %s has no field named '%s'", e->name, target);
			err = KH_EINVAL;
			break;
		}
		c->f = f;
		c->why = NULL;
		if (colon) {
			const char *by = colon + 1;
			if (f->type != KH_T_REF || (strcmp(by, "name") && strcmp(by, "id") && strcmp(by, "external_id"))) {
				kh_errinfo_set(r->ctx->ei, KH_EINVAL,
					       "--map: '%s:%s': only references take :name, :id or :external_id", target, by);
				err = KH_EINVAL;
				break;
			}
			c->by = !strcmp(by, "name") ? REF_NAME : !strcmp(by, "id") ? REF_ID : REF_EXTERNAL;
		}
	}
	kh_buf_release(&spec);
	return err;
}

static enum kh_err build_columns(struct run *r, const struct kh_row *header)
{
	const struct kh_entity *e = r->o.e;
	r->ncols = header->n;
	r->cols = calloc((size_t)header->n, sizeof *r->cols);
	if (!r->cols)
		return fail(r, KH_ENOMEM, "%s", "out of memory");
	for (int i = 0; i < header->n; i++) {
		const char *h = header->f[i];
		size_t n = kh_trim(&h, header->len[i]);
		struct kh_buf folded = KH_BUF_INIT;
		if (!header->bad_utf8)
			kh_fold_width(&folded, h, n);
		r->cols[i].header = strdup(folded.data);
		kh_buf_release(&folded);
		if (!r->cols[i].header)
			return fail(r, KH_ENOMEM, "%s", "out of memory");
		const struct kh_field *f = header->bad_utf8 ? NULL : kh_import_suggest(e, h, n);
		if (f == &external_id_field) {
			r->cols[i].external_id = 1;
		} else if (f && (f->flags & (KH_F_READONLY | KH_F_SYSTEM)) && f->type != KH_T_ID &&
			   strcmp(f->name, "owner_id")) {
			r->cols[i].why = "read-only field";
		} else if (f) {
			r->cols[i].f = f;
		} else {
			r->cols[i].why = "no field of that name";
		}
	}
	/* Two columns for one field: the first one wins (a second "电话" column). */
	for (int i = 0; i < r->ncols; i++)
		for (int k = 0; k < i; k++)
			if (r->cols[i].f && r->cols[i].f == r->cols[k].f) {
				r->cols[i].f = NULL;
				r->cols[i].why = "another column has the same field";
			}
	enum kh_err err = r->o.map ? apply_map(r) : KH_OK;
	if (err)
		return err;
	/* Whatever was asked for, some things must hold before any row is read. */
	int have_key = r->o.key == KH_KEY_NONE;
	for (int i = 0; i < r->ncols; i++) {
		const struct kh_field *f = r->cols[i].f;
		if (!f)
			continue;
		if (f->type == KH_T_ID && r->o.key != KH_KEY_ID) {
			r->cols[i].f = NULL; /* ids matter only as keys */
			r->cols[i].why = "ids are read only with --key id";
			continue;
		}
		if ((f->flags & KH_F_READONLY) && f->type != KH_T_ID) {
			kh_errinfo_set(r->ctx->ei, KH_EINVAL, "column '%s': %s.%s is read-only", r->cols[i].header,
				       e->name, f->name);
			return KH_EINVAL;
		}
		if (!strcmp(f->name, "owner_id") && kh_scope_of(r->ctx->who, e, KH_ACT_CREATE) < KH_SCOPE_TEAM) {
			kh_errinfo_set(r->ctx->ei, KH_EFORBIDDEN,
				       "column '%s': your role creates only records you own, so owner_id cannot be imported",
				       r->cols[i].header);
			return KH_EFORBIDDEN;
		}
	}
	for (int i = 0; i < r->ncols && !have_key; i++) {
		const struct kh_field *f = r->cols[i].f;
		switch (r->o.key) {
		case KH_KEY_EMAIL: have_key = f && f->type == KH_T_EMAIL; break;
		case KH_KEY_PHONE: have_key = f && f->type == KH_T_PHONE; break;
		case KH_KEY_NAME_ACCOUNT: have_key = f && f == e->title; break;
		case KH_KEY_EXTERNAL_ID: have_key = r->cols[i].external_id; break;
		case KH_KEY_ID: have_key = f && f->type == KH_T_ID; break;
		case KH_KEY_NONE: break;
		}
	}
	if (!have_key)
		return fail(r, KH_EINVAL, "--key %s: no column of the file is mapped to it", kh_import_key_name(r->o.key));
	if (r->o.key == KH_KEY_NAME_ACCOUNT && !kh_field_find(e, "account_id"))
		return fail(r, KH_EINVAL, "--key name+account: %s have no account", e->name);
	if ((r->o.key == KH_KEY_EMAIL && !kh_field_find(e, "email")) ||
	    (r->o.key == KH_KEY_PHONE && !kh_field_find(e, "phone") && !kh_field_find(e, "mobile")))
		return fail(r, KH_EINVAL, "--key %s: the entity has no such field", kh_import_key_name(r->o.key));
	int any = 0;
	for (int i = 0; i < r->ncols; i++)
		any |= r->cols[i].f != NULL;
	if (!any)
		return fail(r, KH_EINVAL, "no column of the file matches a field of %s; name them with --map", e->name);
	/* Required fields need a column, unless every row updates a record. */
	if (!(r->o.key != KH_KEY_NONE && r->o.on_dup == KH_DUP_UPDATE && r->o.key == KH_KEY_ID))
		for (int k = 0; k < e->nfields; k++) {
			const struct kh_field *f = &e->fields[k];
			if (!(f->flags & KH_F_REQUIRED) || f->def)
				continue;
			int mapped = 0;
			for (int i = 0; i < r->ncols; i++)
				mapped |= r->cols[i].f == f;
			if (!mapped) {
				kh_errinfo_set(r->ctx->ei, KH_EINVAL,
					       "%s.%s is required and no column is mapped to it (use --map \"column=%s\")",
					       e->name, f->name, f->name);
				return KH_EINVAL;
			}
		}
	return KH_OK;
}

/* The columns as the job shows them: [{"header": "手机", "field": "mobile"}, ...]. */
static void columns_json(struct run *r, struct kh_buf *b)
{
	struct kh_jw w;
	kh_jw_init(&w, b);
	kh_jw_arr(&w);
	for (int i = 0; i < r->ncols; i++) {
		kh_jw_obj(&w);
		kh_jw_key(&w, "header");
		kh_jw_str(&w, r->cols[i].header);
		kh_jw_key(&w, "field");
		kh_jw_str(&w, r->cols[i].external_id ? "external_id" : r->cols[i].f ? r->cols[i].f->name : NULL);
		if (r->cols[i].why) {
			kh_jw_key(&w, "skipped");
			kh_jw_str(&w, r->cols[i].why);
		}
		kh_jw_obj_end(&w);
	}
	kh_jw_arr_end(&w);
}

/* ---- keys ---- */

static const char *key_kind(enum kh_import_key k)
{
	return key_names[k];
}

/* The key of a record from its values (text of email, phones, name, account). */
static int make_key(struct run *r, const char *email, const char *phone, const char *name, int64_t account,
		    const char *external, int64_t id, uint64_t *out)
{
	struct kh_buf *b = &r->tmp;
	kh_buf_reset(b);
	switch (r->o.key) {
	case KH_KEY_EMAIL:
		if (!email || !*email)
			return 0;
		kh_email_key(b, email, strlen(email));
		break;
	case KH_KEY_PHONE: {
		char k[KH_PHONE_KEY_MAX];
		size_t n = phone ? kh_phone_key(phone, strlen(phone), k) : 0;
		if (!n)
			return 0;
		kh_buf_add(b, k, n);
		break;
	}
	case KH_KEY_NAME_ACCOUNT:
		if (!name || !*name)
			return 0;
		kh_name_key(b, name, strlen(name));
		kh_buf_addf(b, "\x1f%lld", (long long)account);
		break;
	case KH_KEY_EXTERNAL_ID:
		if (!external || !*external)
			return 0;
		kh_buf_adds(b, external);
		break;
	case KH_KEY_ID:
		if (id <= 0)
			return 0;
		kh_buf_addf(b, "%lld", (long long)id);
		break;
	case KH_KEY_NONE:
		return 0;
	}
	if (b->err || !b->len)
		return 0;
	*out = hash_key(key_kind(r->o.key), b->data, b->len);
	return 1;
}

/* Loads the keys of the records that exist now (live ones only). */
static enum kh_err load_keys(struct run *r)
{
	const struct kh_entity *e = r->o.e;
	if (r->o.key == KH_KEY_NONE || r->o.key == KH_KEY_ID)
		return KH_OK; /* ids are checked against the table itself */
	struct kh_rows *rows;
	enum kh_err err;
	char sql[256];
	struct kh_val p = KH_VTEXT(e->name);
	if (r->o.key == KH_KEY_EXTERNAL_ID) {
		err = kh_db_query(r->db, "SELECT x.external_id, x.record_id FROM kh_external_ids x WHERE x.entity = $1",
				  &p, 1, &rows);
	} else {
		const char *cols = r->o.key == KH_KEY_EMAIL	    ? "email"
				   : r->o.key == KH_KEY_NAME_ACCOUNT ? (kh_field_find(e, "account_id") ? "name, account_id" : "name")
				   : kh_field_find(e, "mobile")	     ? (kh_field_find(e, "phone") ? "mobile, phone" : "mobile")
								     : "phone";
		if (r->o.key == KH_KEY_NAME_ACCOUNT && e->title != kh_field_find(e, "name"))
			return fail(r, KH_EINVAL, "--key name+account: %s have no name", e->name);
		snprintf(sql, sizeof sql, "SELECT id, %s FROM %s WHERE archived_at IS NULL", cols, e->name);
		err = kh_db_query(r->db, sql, NULL, 0, &rows);
	}
	if (err)
		return fail(r, err, "cannot read the keys of %s", e->name);
	int rc;
	while ((rc = kh_rows_next(r->db, rows)) > 0) {
		uint64_t k;
		if (r->o.key == KH_KEY_EXTERNAL_ID) {
			struct kh_val x = kh_rows_col(r->db, rows, 0), id = kh_rows_col(r->db, rows, 1);
			if (x.t == KH_V_TEXT && make_key(r, NULL, NULL, NULL, 0, x.s, 0, &k) && keymap_put(&r->keys, k, id.i))
				rc = -KH_ENOMEM;
			continue;
		}
		int64_t id = kh_rows_col(r->db, rows, 0).i;
		struct kh_val a = kh_rows_col(r->db, rows, 1), b = {0};
		if (r->db->ops->ncols(rows) > 2)
			b = kh_rows_col(r->db, rows, 2);
		int ok = 0;
		if (r->o.key == KH_KEY_EMAIL && a.t == KH_V_TEXT)
			ok = make_key(r, a.s, NULL, NULL, 0, NULL, 0, &k);
		else if (r->o.key == KH_KEY_NAME_ACCOUNT && a.t == KH_V_TEXT)
			ok = make_key(r, NULL, NULL, a.s, b.t == KH_V_INT ? b.i : 0, NULL, 0, &k);
		if (ok && keymap_put(&r->keys, k, id)) {
			rc = -KH_ENOMEM;
			break;
		}
		if (r->o.key == KH_KEY_PHONE) { /* both numbers find the record */
			if (a.t == KH_V_TEXT && make_key(r, NULL, a.s, NULL, 0, NULL, 0, &k) && keymap_put(&r->keys, k, id))
				rc = -KH_ENOMEM;
			if (b.t == KH_V_TEXT && make_key(r, NULL, b.s, NULL, 0, NULL, 0, &k) && keymap_put(&r->keys, k, id))
				rc = -KH_ENOMEM;
		}
	}
	kh_rows_end(r->db, rows);
	if (rc < 0)
		return fail(r, (enum kh_err)-rc, "cannot read the keys of %s", e->name);
	return KH_OK;
}

/* ---- cells to values ---- */

/* Digits of a number written the way people write them: "1,234", "¥1,234.50",
 * "12 345", "35%". Returns 0 and the value in minor units (scale 100) or
 * plain units (scale 1), or -1. */
static int parse_number(const char *s, int scale, int64_t *out)
{
	const char *p = s;
	if (!strncmp(p, "\xc2\xa5", 2) || !strncmp(p, "\xef\xbf\xa5", 3)) /* ¥ and ￥ */
		p += p[0] == '\xc2' ? 2 : 3;
	else if (*p == '$')
		p++;
	int neg = 0;
	if (*p == '-')
		neg = 1, p++;
	int64_t whole = 0, frac = 0;
	int digits = 0, fdigits = 0, seen_dot = 0;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (!seen_dot) {
				if (whole > (INT64_MAX - 9) / 10 / (scale ? scale : 1))
					return -1;
				whole = whole * 10 + (*p - '0');
				digits++;
			} else if (fdigits < 2 || scale == 1) {
				if (scale == 1 && *p != '0')
					return -1; /* 12.5 people */
				frac = frac * 10 + (*p - '0');
				fdigits++;
			} else if (*p != '0') {
				return -1; /* more precision than minor units hold */
			}
		} else if (*p == ',' && !seen_dot) {
			continue;
		} else if (*p == '.' && !seen_dot) {
			seen_dot = 1;
		} else if (*p == '%' && !p[1]) {
			break;
		} else if (*p == ' ') {
			continue;
		} else {
			return -1;
		}
	}
	if (!digits)
		return -1;
	if (scale == 100) {
		if (fdigits == 1)
			frac *= 10;
		whole = whole * 100 + frac;
	}
	*out = neg ? -whole : whole;
	return 0;
}

/* "2024/3/5", "2024.3.5", "2024年3月5日", "20240305", "2024-3-5" -> "2024-03-05";
 * a time after the date is kept for date-times. */
static int parse_date(const char *s, char *out, size_t outlen, const char **rest)
{
	int y = 0, m = 0, d = 0, n = 0;
	const char *p = s;
	size_t digits = strspn(p, "0123456789");
	if (digits == 8) {
		y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
		m = (p[4] - '0') * 10 + (p[5] - '0');
		d = (p[6] - '0') * 10 + (p[7] - '0');
		p += 8;
	} else {
		int part[3];
		for (n = 0; n < 3; n++) {
			digits = strspn(p, "0123456789");
			if (!digits || digits > 4)
				return -1;
			part[n] = (int)strtol(p, NULL, 10);
			p += digits;
			if (n == 2)
				break;
			if (*p == '-' || *p == '/' || *p == '.')
				p++;
			else if (!strncmp(p, "\xe5\xb9\xb4", 3) || !strncmp(p, "\xe6\x9c\x88", 3)) /* 年 月 */
				p += 3;
			else
				return -1;
		}
		if (!strncmp(p, "\xe6\x97\xa5", 3)) /* 日 */
			p += 3;
		y = part[0], m = part[1], d = part[2];
	}
	if (y < 1000 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
	*rest = p;
	return 0;
}

static const char *const truthy[] = {"true", "yes", "y", "1", "是", "对", "√", "✓", "x", NULL};
static const char *const falsy[] = {"false", "no", "n", "0", "否", "不", "×", "", NULL};

static int word_in(const char *s, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (!strcasecmp(s, list[i]))
			return 1;
	return 0;
}

/* Chinese words for a few enum values that spreadsheets use. */
static const char *enum_synonym(const char *s)
{
	static const char *const pairs[][2] = {{"男", "male"}, {"女", "female"}, {"其他", "other"},
		{"有效", "active"}, {"无效", "inactive"}, {NULL, NULL}};
	for (int i = 0; pairs[i][0]; i++)
		if (!strcmp(s, pairs[i][0]))
			return pairs[i][1];
	return NULL;
}

/* Looks up (and caches) the record of entity `e` whose title is name. */
static struct ref_cache *ref_cache_for(struct run *r, const struct kh_entity *e)
{
	for (int i = 0; i < r->nrefs; i++)
		if (r->refs[i].e == e)
			return &r->refs[i];
	if (r->nrefs == (int)(sizeof r->refs / sizeof r->refs[0]))
		return NULL;
	r->refs[r->nrefs].e = e;
	return &r->refs[r->nrefs++];
}

static enum kh_err ref_by_name(struct run *r, const struct kh_entity *e, const char *name, int64_t *id,
			       const char **why)
{
	struct ref_cache *c = ref_cache_for(r, e);
	if (!c)
		return KH_ENOMEM;
	uint64_t h = hash_key("name", name, strlen(name));
	if (keymap_get(&c->by_name, h, id))
		return KH_OK;
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = $1 AND archived_at IS NULL ORDER BY id LIMIT 1",
		 e->name, e->title->name);
	struct kh_val p = KH_VTEXT(name);
	enum kh_err err = kh_db_int(r->db, sql, &p, 1, id);
	if (err == KH_ENOTFOUND && r->o.create_refs && e->title->type == KH_T_STRING) {
		if (r->o.dry_run) {
			*id = --r->fake_id;
			err = KH_OK;
		} else {
			/* Created through the write path, like any record. */
			struct kh_values v;
			if (kh_values_init(&v, e, r->ctx->arena))
				return KH_ENOMEM;
			int ti = kh_field_index(e, e->title->name);
			v.v[ti] = KH_VTEXT(name);
			v.set[ti] = 1;
			int required_missing = 0;
			for (int i = 0; i < e->nfields; i++)
				required_missing |= (e->fields[i].flags & KH_F_REQUIRED) && !e->fields[i].def && i != ti;
			if (required_missing) {
				*why = kh_arena_printf(r->ctx->arena, "no %s named '%s', and one cannot be created from a name alone",
						       e->singular, name);
				return KH_EVALIDATION;
			}
			struct kh_errinfo *saved = r->ctx->ei, ei;
			kh_errinfo_init(&ei, r->ctx->arena);
			r->ctx->ei = &ei;
			int bulk = r->ctx->bulk;
			r->ctx->bulk = 0; /* audited and checked like a record created by hand */
			err = kh_record_insert(r->ctx, &v, id);
			r->ctx->bulk = bulk;
			r->ctx->ei = saved;
			if (err) {
				*why = kh_arena_printf(r->ctx->arena, "cannot create %s '%s': %s", e->singular, name,
						       ei.msg ? ei.msg : kh_strerror(err));
				return KH_EVALIDATION;
			}
		}
	}
	if (err == KH_ENOTFOUND) {
		*why = kh_arena_printf(r->ctx->arena, "no %s is named '%s'%s", e->singular, name,
				       r->o.create_refs ? "" : " (create missing ones with --create-refs)");
		return KH_EVALIDATION;
	}
	if (err)
		return err;
	return keymap_put(&c->by_name, h, *id) ? KH_ENOMEM : KH_OK;
}

static enum kh_err ref_by_id(struct run *r, const struct kh_entity *e, int64_t id, const char **why)
{
	struct ref_cache *c = ref_cache_for(r, e);
	if (!c)
		return KH_ENOMEM;
	int64_t live;
	if (keymap_get(&c->by_id, (uint64_t)id, &live))
		return KH_OK;
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE id = $1 AND archived_at IS NULL", e->name);
	struct kh_val p = KH_VINT(id);
	enum kh_err err = kh_db_int(r->db, sql, &p, 1, &live);
	if (err == KH_ENOTFOUND) {
		*why = kh_arena_printf(r->ctx->arena, "refers to %s %lld, which does not exist or is archived", e->singular,
				       (long long)id);
		return KH_EVALIDATION;
	}
	if (err)
		return err;
	return keymap_put(&c->by_id, (uint64_t)id, 1) ? KH_ENOMEM : KH_OK;
}

static enum kh_err ref_by_external(struct run *r, const struct kh_entity *e, const char *x, int64_t *id,
				   const char **why)
{
	struct kh_val p[2] = {KH_VTEXT(e->name), KH_VTEXT(x)};
	enum kh_err err = kh_db_int(r->db, "SELECT record_id FROM kh_external_ids WHERE entity = $1 AND external_id = $2",
				    p, 2, id);
	if (err == KH_ENOTFOUND) {
		*why = kh_arena_printf(r->ctx->arena, "no %s has the external id '%s'", e->singular, x);
		return KH_EVALIDATION;
	}
	return err;
}

/* Turns one cell into the JSON value the API would take for the field, or
 * says why it cannot be one. Text is trimmed and its full-width forms folded
 * first. */
static enum kh_err cell_value(struct run *r, const struct column *c, const char *s, json_t **out, const char **why)
{
	const struct kh_field *f = c->f;
	*out = NULL;
	*why = NULL;
	switch (f->type) {
	case KH_T_INT:
	case KH_T_PERCENT:
	case KH_T_MONEY:
	case KH_T_ID: {
		int64_t v;
		if (parse_number(s, f->type == KH_T_MONEY ? 100 : 1, &v)) {
			*why = f->type == KH_T_MONEY ? "is not an amount (such as 1234.56)" : "is not a whole number";
			return KH_EVALIDATION;
		}
		*out = json_integer(v);
		break;
	}
	case KH_T_BOOL:
		if (word_in(s, truthy))
			*out = json_true();
		else if (word_in(s, falsy))
			*out = json_false();
		else {
			*why = "must be true or false (yes/no, 是/否, 1/0)";
			return KH_EVALIDATION;
		}
		break;
	case KH_T_DATE:
	case KH_T_DATETIME: {
		char date[24];
		const char *rest;
		if (parse_date(s, date, sizeof date, &rest)) {
			*out = json_string(s); /* ISO 8601 with a zone, or the API's own error */
			break;
		}
		if (f->type == KH_T_DATE || !*rest) {
			if (*rest && strspn(rest, " 0:") != strlen(rest)) {
				*why = "is a date with a time; the field takes a date (YYYY-MM-DD)";
				return KH_EVALIDATION;
			}
			*out = json_string(date);
			break;
		}
		/* "2024-03-05 14:30[:00]" without a zone is read as UTC. */
		while (*rest == ' ' || *rest == 'T')
			rest++;
		int hh, mm, ss = 0, used = 0;
		if (sscanf(rest, "%2d:%2d%n", &hh, &mm, &used) < 2) {
			*why = "is not a date and time (YYYY-MM-DD HH:MM)";
			return KH_EVALIDATION;
		}
		rest += used;
		if (*rest == ':' && sscanf(rest + 1, "%2d%n", &ss, &used) == 1)
			rest += 1 + used;
		char stamp[64];
		snprintf(stamp, sizeof stamp, "%sT%02d:%02d:%02d%s", date, hh, mm, ss, *rest ? rest : "Z");
		*out = json_string(stamp);
		break;
	}
	case KH_T_ENUM: {
		const char *v = enum_synonym(s);
		for (int i = 0; !v && f->enum_values[i]; i++)
			if (!strcasecmp(f->enum_values[i], s))
				v = f->enum_values[i];
		*out = json_string(v ? v : s);
		break;
	}
	case KH_T_CURRENCY: {
		char up[8];
		size_t n = strlen(s);
		if (n < sizeof up) {
			for (size_t i = 0; i <= n; i++)
				up[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
			*out = json_string(up);
		} else {
			*out = json_string(s);
		}
		break;
	}
	case KH_T_TAGS: {
		/* "vip; 北京" or "vip,北京" (ASCII or full-width separators). */
		json_t *a = json_array();
		const char *p = s;
		while (a && *p) {
			size_t n = strcspn(p, ";,");
			const char *t = p;
			size_t tn = kh_trim(&t, n);
			if (tn)
				json_array_append_new(a, json_stringn(t, tn));
			p += n + (p[n] != '\0');
		}
		*out = a;
		break;
	}
	case KH_T_REF: {
		const struct kh_entity *re = kh_entity_find(f->ref);
		int64_t id = 0;
		enum kh_err err;
		char *end;
		long long num = strtoll(s, &end, 10);
		int numeric = *s && !*end && num > 0;
		if (c->by == REF_EXTERNAL)
			err = ref_by_external(r, re, s, &id, why);
		else if (c->by == REF_ID || (c->by == REF_AUTO && numeric)) {
			if (!numeric) {
				*why = "is not a record id";
				return KH_EVALIDATION;
			}
			id = num;
			err = r->o.dry_run && id < 0 ? KH_OK : ref_by_id(r, re, id, why);
		} else {
			err = ref_by_name(r, re, s, &id, why);
		}
		if (err)
			return err;
		*out = json_integer(id > 0 ? id : 1); /* dry runs: a stand-in for one to be created */
		break;
	}
	default:
		*out = json_string(s);
		break;
	}
	return *out ? KH_OK : KH_ENOMEM;
}

/* ---- rows ---- */

static const struct column *column_of(const struct run *r, const char *field)
{
	for (int i = 0; i < r->ncols; i++)
		if (r->cols[i].f && !strcmp(r->cols[i].f->name, field))
			return &r->cols[i];
	return NULL;
}

/* Records each fault of ei as an error row: field errors by column, else the
 * message. */
static enum kh_err report_ei(struct run *r, const struct kh_row *row, json_t *obj, const struct kh_errinfo *ei)
{
	enum kh_err err = KH_OK;
	for (int i = 0; i < ei->nfields && !err; i++) {
		const struct column *c = column_of(r, ei->fields[i].field);
		json_t *v = json_object_get(obj, ei->fields[i].field);
		const char *vs = json_is_string(v) ? json_string_value(v) : NULL;
		err = add_error(r, row->num, c ? c->header : NULL, ei->fields[i].field, vs, vs ? strlen(vs) : 0,
				ei->fields[i].msg);
	}
	if (!ei->nfields && !err)
		err = add_error(r, row->num, NULL, NULL, NULL, 0, ei->msg ? ei->msg : kh_strerror(ei->code));
	return err;
}

static enum kh_err save_external_id(struct run *r, const char *x, int64_t id)
{
	struct kh_val p[3] = {KH_VTEXT(r->o.e->name), KH_VTEXT(x), KH_VINT(id)};
	return kh_db_exec(r->db,
			  "INSERT INTO kh_external_ids (entity, external_id, record_id) VALUES ($1, $2, $3) "
			  "ON CONFLICT (entity, external_id) DO UPDATE SET record_id = excluded.record_id",
			  p, 3);
}

/* One data row: convert, match, validate, write. Errors of the row go to the
 * report; an error returned here ends the job (the database failed). */
static enum kh_err process_row(struct run *r, const struct kh_row *row)
{
	const struct kh_entity *e = r->o.e;
	struct kh_ctx *ctx = r->ctx;
	if (row->bad_utf8) {
		r->st.failed++;
		return add_error(r, row->num, NULL, NULL, NULL, 0,
				 "the row is not valid UTF-8 (is the file in another encoding? give it with --encoding)");
	}
	json_t *obj = json_object();
	if (!obj)
		return KH_ENOMEM;
	enum kh_err err = KH_OK;
	int cells = 0, bad = 0;
	const char *email = NULL, *phone = NULL, *name = NULL, *external = NULL;
	int64_t account = 0, key_id = 0;
	for (int i = 0; i < row->n && i < r->ncols && !err; i++) {
		const struct column *c = &r->cols[i];
		const char *s = row->f[i];
		size_t n = kh_trim(&s, row->len[i]);
		if (!n || (!c->f && !c->external_id))
			continue;
		cells++;
		kh_buf_reset(&r->tmp2);
		kh_fold_width(&r->tmp2, s, n);
		char *text = kh_arena_strndup(ctx->arena, r->tmp2.data, r->tmp2.len);
		if (!text || r->tmp2.err) {
			err = KH_ENOMEM;
			break;
		}
		if (c->external_id) {
			external = text;
			continue;
		}
		json_t *v;
		const char *why;
		enum kh_err cerr = cell_value(r, c, text, &v, &why);
		if (cerr == KH_EVALIDATION) {
			if (bad++ < MAX_ERRORS_PER_ROW)
				err = add_error(r, row->num, c->header, c->f->name, text, strlen(text), why);
			continue;
		}
		if (cerr) {
			err = cerr;
			break;
		}
		if (c->f->type == KH_T_ID) {
			key_id = json_integer_value(v);
			json_decref(v);
			continue;
		}
		json_object_set_new(obj, c->f->name, v);
		if (c->f->type == KH_T_EMAIL && !email)
			email = text;
		if (c->f->type == KH_T_PHONE && (!phone || !strcmp(c->f->name, "mobile")))
			phone = text;
		if (c->f == e->title)
			name = text;
		if (!strcmp(c->f->name, "account_id"))
			account = json_integer_value(v);
	}
	if (err || !cells) { /* a database failure, or a row of empty cells (skipped quietly) */
		json_decref(obj);
		return err;
	}
	r->st.rows++;
	if (bad) {
		r->st.failed++;
		json_decref(obj);
		return KH_OK;
	}

	uint64_t key = 0;
	int64_t found = 0;
	int has_key = make_key(r, email, phone, name, account, external, key_id, &key);
	if (r->o.key == KH_KEY_ID && key_id > 0) {
		char sql[160];
		snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE id = $1 AND archived_at IS NULL", e->name);
		struct kh_val p = KH_VINT(key_id);
		enum kh_err ferr = kh_db_int(r->db, sql, &p, 1, &found);
		if (ferr == KH_ENOTFOUND && !keymap_get(&r->keys, key, &found))
			found = 0;
		else if (ferr && ferr != KH_ENOTFOUND)
			err = ferr;
	} else if (has_key && !keymap_get(&r->keys, key, &found)) {
		found = 0;
	}
	struct kh_errinfo ei;
	kh_errinfo_init(&ei, ctx->arena);
	struct kh_errinfo *saved = ctx->ei;
	ctx->ei = &ei;
	if (!err && found) {
		if (r->o.on_dup == KH_DUP_SKIP) {
			r->st.skipped++;
		} else if (r->o.on_dup == KH_DUP_ERROR) {
			r->st.failed++;
			const char *why = kh_arena_printf(ctx->arena, "duplicate of %s %lld (same %s)", e->singular,
							  (long long)found, kh_import_key_name(r->o.key));
			err = add_error(r, row->num, NULL, NULL, NULL, 0, why ? why : "duplicate");
		} else if (r->o.dry_run) {
			struct kh_values v;
			if (kh_values_init(&v, e, ctx->arena))
				err = KH_ENOMEM;
			else if (kh_validate_json(obj, KH_VALIDATE_UPDATE, &v, NULL, ctx->arena, &ei)) {
				r->st.failed++;
				err = report_ei(r, row, obj, &ei);
			} else {
				r->st.updated++;
			}
		} else if (found < 0) { /* a record this file created: updated by a later row */
			r->st.skipped++;
		} else {
			enum kh_err uerr = kh_record_update(ctx, e, found, obj, -1);
			if (uerr == KH_EVALIDATION || uerr == KH_ECONFLICT || uerr == KH_EFORBIDDEN || uerr == KH_ENOTFOUND ||
			    uerr == KH_EINVAL) {
				r->st.failed++;
				err = report_ei(r, row, obj, &ei);
			} else if (uerr) {
				err = uerr;
			} else {
				r->st.updated++;
				if (external && r->o.key != KH_KEY_EXTERNAL_ID)
					err = save_external_id(r, external, found);
			}
		}
	} else if (!err) {
		struct kh_values v;
		int64_t id = 0;
		if (kh_values_init(&v, e, ctx->arena)) {
			err = KH_ENOMEM;
		} else if (kh_validate_json(obj, KH_VALIDATE_CREATE, &v, NULL, ctx->arena, &ei)) {
			r->st.failed++;
			err = report_ei(r, row, obj, &ei);
		} else if (r->o.dry_run) {
			r->st.created++;
			id = --r->fake_id;
		} else {
			enum kh_err ierr = kh_record_insert(ctx, &v, &id);
			if (ierr == KH_ECONFLICT || ierr == KH_EVALIDATION || ierr == KH_EFORBIDDEN || ierr == KH_EINVAL) {
				/* A constraint the bulk path leaves to the database (a unique value);
				 * SQLite undid only this statement. */
				r->st.failed++;
				id = 0;
				err = report_ei(r, row, obj, &ei);
			} else if (ierr) {
				err = ierr;
			} else {
				r->st.created++;
				if (external)
					err = save_external_id(r, external, id);
			}
		}
		if (!err && id && has_key && keymap_put(&r->keys, key, id))
			err = KH_ENOMEM;
	}
	ctx->ei = saved;
	json_decref(obj);
	return err;
}

/* ---- jobs ---- */

static enum kh_err job_update(struct run *r, const char *status, const char *message)
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[13] = {
		KH_VTEXT(status), message ? KH_VTEXT(message) : KH_VNULL, KH_VTEXT(now),
		KH_VINT(r->st.last_row), KH_VINT(r->st.rows), KH_VINT(r->st.created), KH_VINT(r->st.updated),
		KH_VINT(r->st.skipped), KH_VINT(r->st.failed), KH_VINT((int64_t)r->st.bytes_done),
		KH_VINT((int64_t)r->st.bytes_total), KH_VINT(r->indexes_dropped), KH_VINT(r->job),
	};
	return kh_db_exec(r->db,
			  "UPDATE kh_imports SET status = $1, message = $2, updated_at = $3, heartbeat_at = $3, "
			  "finished_at = CASE WHEN $1 IN ('done', 'failed') THEN $3 ELSE NULL END, last_row = $4, "
			  "rows_done = $5, created = $6, updated = $7, skipped = $8, failed = $9, bytes_done = $10, "
			  "bytes_total = CASE WHEN $11 > 0 THEN $11 ELSE bytes_total END, indexes_dropped = $12 "
			  "WHERE id = $13",
			  p, 13);
}

static void options_json(const struct kh_import_opts *o, struct kh_buf *b)
{
	struct kh_jw w;
	kh_jw_init(&w, b);
	kh_jw_obj(&w);
	kh_jw_key(&w, "map");
	kh_jw_str(&w, o->map);
	kh_jw_key(&w, "key");
	kh_jw_str(&w, kh_import_key_name(o->key));
	kh_jw_key(&w, "on_duplicate");
	kh_jw_str(&w, kh_on_dup_name(o->on_dup));
	kh_jw_key(&w, "dry_run");
	kh_jw_bool(&w, o->dry_run);
	kh_jw_key(&w, "create_refs");
	kh_jw_bool(&w, o->create_refs);
	kh_jw_key(&w, "run_rules");
	kh_jw_bool(&w, o->run_rules);
	kh_jw_key(&w, "format");
	kh_jw_str(&w, o->format);
	kh_jw_key(&w, "encoding");
	kh_jw_str(&w, o->encoding);
	char d[2] = {o->delim, 0};
	kh_jw_key(&w, "delimiter");
	kh_jw_str(&w, o->delim ? d : NULL);
	kh_jw_obj_end(&w);
}

enum kh_err kh_import_job_create(struct kh_ctx *ctx, const struct kh_import_opts *o, const char *fingerprint,
				 uint64_t bytes_total, int64_t *id)
{
	struct kh_buf opts = KH_BUF_INIT;
	options_json(o, &opts);
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[7] = {
		KH_VTEXT(o->e->name), o->source ? KH_VTEXT(o->source) : KH_VNULL,
		fingerprint ? KH_VTEXT(fingerprint) : KH_VNULL, KH_VTEXTN(opts.data, opts.len),
		ctx->who->user_id ? KH_VINT(ctx->who->user_id) : KH_VNULL, KH_VTEXT(now), KH_VINT((int64_t)bytes_total),
	};
	enum kh_err err = opts.err ? opts.err
				   : kh_db_int(ctx->db,
					       "INSERT INTO kh_imports (entity, status, source, fingerprint, options, created_by, "
					       "created_at, updated_at, bytes_total) VALUES ($1, 'queued', $2, $3, $4, $5, $6, $6, $7) "
					       "RETURNING id",
					       p, 7, id);
	kh_buf_release(&opts);
	if (err)
		kh_errinfo_set(ctx->ei, err, "cannot create the import");
	return err;
}

enum kh_err kh_import_job_find(struct kh_ctx *ctx, const char *fingerprint, int64_t *id)
{
	struct kh_val p = KH_VTEXT(fingerprint);
	return kh_db_int(ctx->db,
			 "SELECT id FROM kh_imports WHERE fingerprint = $1 AND status IN ('queued', 'running') "
			 "ORDER BY id DESC LIMIT 1",
			 &p, 1, id);
}

/* Reads the job's options back (what the command line or the upload said). */
static enum kh_err job_load(struct run *r)
{
	struct kh_val p = KH_VINT(r->job);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(r->db,
				      "SELECT entity, options, source, last_row, rows_done, created, updated, skipped, failed, "
				      "status, indexes_dropped, bytes_total FROM kh_imports WHERE id = $1",
				      &p, 1, &rows);
	if (err)
		return fail(r, err, "%s", "cannot read the import");
	int rc = kh_rows_next(r->db, rows);
	if (rc <= 0) {
		kh_rows_end(r->db, rows);
		return fail(r, rc < 0 ? (enum kh_err)-rc : KH_ENOTFOUND, "%s", "no such import");
	}
	struct kh_arena *a = &r->keep;
	const struct kh_entity *e = kh_entity_find(kh_rows_col(r->db, rows, 0).s);
	json_t *o = json_loads(kh_rows_col(r->db, rows, 1).s, 0, NULL);
	struct kh_val src = kh_rows_col(r->db, rows, 2);
	r->o.source = src.t == KH_V_TEXT ? kh_arena_strdup(a, src.s) : NULL;
	r->resume_after = kh_rows_col(r->db, rows, 3).i;
	r->st.last_row = r->resume_after;
	r->st.rows = kh_rows_col(r->db, rows, 4).i;
	r->st.created = kh_rows_col(r->db, rows, 5).i;
	r->st.updated = kh_rows_col(r->db, rows, 6).i;
	r->st.skipped = kh_rows_col(r->db, rows, 7).i;
	r->st.failed = kh_rows_col(r->db, rows, 8).i;
	int finished = !strcmp(kh_rows_col(r->db, rows, 9).s, "done") || !strcmp(kh_rows_col(r->db, rows, 9).s, "failed");
	r->indexes_dropped = (int)kh_rows_col(r->db, rows, 10).i;
	r->st.bytes_total = (uint64_t)kh_rows_col(r->db, rows, 11).i;
	kh_rows_end(r->db, rows);
	if (!e || !o) {
		json_decref(o);
		return fail(r, KH_EINTERNAL, "%s", "the import names an unknown entity");
	}
	if (finished) {
		json_decref(o);
		return fail(r, KH_ECONFLICT, "%s", "the import has finished already");
	}
	r->o.e = e;
	const char *s;
	if ((s = json_string_value(json_object_get(o, "map"))))
		r->o.map = kh_arena_strdup(a, s);
	if ((s = json_string_value(json_object_get(o, "format"))))
		r->o.format = kh_arena_strdup(a, s);
	if ((s = json_string_value(json_object_get(o, "encoding"))))
		r->o.encoding = kh_arena_strdup(a, s);
	if ((s = json_string_value(json_object_get(o, "delimiter"))))
		r->o.delim = s[0];
	if ((s = json_string_value(json_object_get(o, "key"))))
		kh_import_key_parse(s, &r->o.key);
	if ((s = json_string_value(json_object_get(o, "on_duplicate"))))
		kh_on_dup_parse(s, &r->o.on_dup);
	r->o.dry_run = json_is_true(json_object_get(o, "dry_run"));
	r->o.create_refs = json_is_true(json_object_get(o, "create_refs"));
	r->o.run_rules = json_is_true(json_object_get(o, "run_rules"));
	json_decref(o);
	return KH_OK;
}

/* A source that hands back the bytes already read to tell the format. */
struct peek_src {
	struct kh_src inner;
	char head[8];
	size_t n, pos;
};

static ssize_t peek_read(void *cls, char *buf, size_t n)
{
	struct peek_src *p = cls;
	if (p->pos < p->n) {
		size_t k = p->n - p->pos < n ? p->n - p->pos : n;
		memcpy(buf, p->head + p->pos, k);
		p->pos += k;
		return (ssize_t)k;
	}
	return p->inner.read(p->inner.cls, buf, n);
}

static enum kh_err open_table(struct run *r, struct kh_src src, struct kh_table **out, struct peek_src *peek)
{
	char msg[256];
	peek->inner = src;
	peek->n = peek->pos = 0;
	while (peek->n < 4) {
		ssize_t got = src.read(src.cls, peek->head + peek->n, 4 - peek->n);
		if (got <= 0)
			break;
		peek->n += (size_t)got;
	}
	struct kh_src ps = {peek_read, peek};
	const char *fmt = r->o.format;
	if (!fmt)
		fmt = kh_xlsx_sniff(peek->head, peek->n) ? "xlsx" : "csv";
	if (!strcmp(fmt, "xlsx")) {
		*out = kh_xlsx_open(ps, msg, sizeof msg);
	} else if (!strcmp(fmt, "csv")) {
		struct kh_csv_opts co = {.delim = r->o.delim, .encoding = r->o.encoding};
		*out = kh_csv_open(ps, &co, msg, sizeof msg);
	} else {
		return fail(r, KH_EINVAL, "unknown format '%s': use csv or xlsx", fmt);
	}
	if (!*out)
		return fail(r, KH_EINVAL, "%s", msg);
	return KH_OK;
}

/* The process's CPU time, for the log's account of where an import's time
 * goes (wall time alone says little on a busy machine). */
static double cpu_seconds(void)
{
	struct timespec ts;
	return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) ? 0 : (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum kh_err batch_commit(struct run *r)
{
	struct kh_db *db = r->db;
	enum kh_err err = job_update(r, "running", NULL);
	/* The batch's search documents are committed with it, staged by the store
	 * (which indexes them all when the load ends, or at the next search after
	 * a crash), so no committed record stays unfindable. */
	if (!err)
		err = kh_db_commit(db);
	if (!err)
		err = kh_db_begin(db, KH_TX_WRITE);
	kh_arena_release(r->ctx->arena);
	r->batch_rows = 0;
	return err;
}

static void run_free(struct run *r)
{
	for (int i = 0; i < r->ncols; i++)
		free(r->cols[i].header);
	free(r->cols);
	keymap_free(&r->keys);
	for (int i = 0; i < r->nrefs; i++) {
		keymap_free(&r->refs[i].by_name);
		keymap_free(&r->refs[i].by_id);
	}
	kh_buf_release(&r->tmp);
	kh_buf_release(&r->tmp2);
	kh_arena_release(&r->keep);
}

enum kh_err kh_import_run(struct kh_ctx *ctx, int64_t job, struct kh_src src, kh_import_progress progress,
			  void *cls, struct kh_import_stats *stats)
{
	struct run r = {.ctx = ctx, .db = ctx->db, .job = job, .tmp = KH_BUF_INIT, .tmp2 = KH_BUF_INIT};
	kh_arena_init(&r.keep);
	struct kh_db *db = ctx->db;
	struct kh_table *t = NULL;
	struct peek_src peek;
	struct kh_row row;
	int rc = 0, bulk_on = 0;
	char columns_done = 0;
	/* Rows per transaction. KEHU_IMPORT_BATCH changes it, for tests that need
	 * a crash between batches of a small file. */
	const char *env = getenv("KEHU_IMPORT_BATCH");
	long batch = env ? strtol(env, NULL, 10) : BATCH_ROWS;
	int64_t t_start = kh_now();
	double cpu_start = cpu_seconds();
	if (batch < 1 || batch > 10000000)
		batch = BATCH_ROWS;
	enum kh_err err = job_load(&r);
	if (!err)
		err = open_table(&r, src, &t, &peek);
	while (!err && (rc = kh_table_next(t, &row)) > 0) {
		/* The first row with something in it is the header. */
		int any = 0;
		for (int i = 0; i < row.n && !any; i++)
			any = row.len[i] > 0;
		if (any)
			break;
	}
	if (!err && rc < 0)
		err = fail(&r, KH_EINVAL, "%s", t->err);
	else if (!err && rc == 0)
		err = fail(&r, KH_EINVAL, "%s", "the file is empty: it has no header row");
	if (!err)
		err = build_columns(&r, &row);
	if (!err)
		err = load_keys(&r);
	if (!err && !r.o.dry_run) {
		err = db->ops->bulk(db, KH_BULK_LOAD);
		bulk_on = !err;
	}
	if (!err)
		err = kh_db_begin(db, KH_TX_WRITE);
	if (!err) {
		struct kh_buf cj = KH_BUF_INIT;
		columns_json(&r, &cj);
		struct kh_val p[3] = {KH_VTEXTN(cj.data, cj.len), KH_VTEXT(t->format), KH_VINT(job)};
		err = cj.err ? cj.err
			     : kh_db_exec(db, "UPDATE kh_imports SET columns = $1, format = $2, status = 'running' WHERE id = $3",
					  p, 3);
		kh_buf_release(&cj);
		columns_done = 1;
	}
	/* A load into an empty table builds its indexes once, at the end. */
	if (!err && !r.o.dry_run && !r.indexes_dropped && r.resume_after == 0) {
		char sql[160];
		int64_t any = 0;
		snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) t", r.o.e->name);
		err = kh_db_int(db, sql, NULL, 0, &any);
		if (!err && !any) {
			err = kh_schema_indexes(db, r.o.e, 0);
			r.indexes_dropped = !err;
		}
	}
	ctx->bulk = 1;
	ctx->bulk_changes = r.o.run_rules;
	if (!err)
		err = batch_commit(&r); /* the job is running, with its columns, for all to see */
	while (!err && (rc = kh_table_next(t, &row)) > 0) {
		if (row.num <= r.resume_after)
			continue; /* committed by an earlier run of this job */
		err = process_row(&r, &row);
		r.st.last_row = row.num;
		r.st.bytes_done = t->bytes_read;
		if (!err && ++r.batch_rows >= batch)
			err = batch_commit(&r);
		if (progress && (r.st.last_row & 1023) == 0)
			progress(cls, &r.st);
	}
	int bad_file = !err && rc < 0;
	if (bad_file) /* the rows before the damage stay in */
		err = batch_commit(&r);
	kh_debug("import %lld: rows %.2f s (%.2f s CPU)", (long long)job, (double)(kh_now() - t_start) / 1e6,
		 cpu_seconds() - cpu_start);
	/* Indexes are built in a small page cache (KH_BULK_INDEXES), where SQLite
	 * sorts their entries in runs that fit the CPU's cache; then the load
	 * ends and its staged search documents go into the index. */
	int64_t t_phase = kh_now();
	double cpu_phase = cpu_seconds();
	if (!err && r.indexes_dropped) {
		r.st.phase = "building indexes";
		if (progress)
			progress(cls, &r.st);
		err = bulk_on ? db->ops->bulk(db, KH_BULK_INDEXES) : KH_OK;
		if (!err)
			err = kh_schema_indexes(db, r.o.e, 1);
		r.indexes_dropped = err ? 1 : 0;
	}
	kh_debug("import %lld: indexes %.2f s (%.2f s CPU)", (long long)job, (double)(kh_now() - t_phase) / 1e6,
		 cpu_seconds() - cpu_phase);
	t_phase = kh_now(), cpu_phase = cpu_seconds();
	if (!err && !bad_file && bulk_on) {
		r.st.phase = "building the search index";
		if (progress)
			progress(cls, &r.st);
		err = db->ops->bulk(db, KH_BULK_END);
		bulk_on = err != KH_OK;
	}
	kh_debug("import %lld: search index %.2f s (%.2f s CPU)", (long long)job, (double)(kh_now() - t_phase) / 1e6,
		 cpu_seconds() - cpu_phase);
	if (!err && !r.o.dry_run)
		err = kh_bulk_finish(ctx, r.o.e);
	if (!err && bad_file) {
		err = fail(&r, KH_EINVAL, "%s", t->err);
	} else if (!err) {
		r.st.bytes_done = r.st.bytes_total ? r.st.bytes_total : t->bytes_read;
		if (!r.st.bytes_total)
			r.st.bytes_total = t->bytes_read;
		err = job_update(&r, "done", NULL);
		if (!err) {
			struct kh_val p = KH_VINT(job);
			err = kh_db_exec(db, "DELETE FROM kh_import_files WHERE import_id = $1", &p, 1);
		}
		if (!err)
			err = kh_db_commit(db);
		/* Updated records' search documents wait in the store's queue (new
		 * ones were indexed when the load ended): apply them now, so that a
		 * command-line import without a server running is searchable too. */
		for (int64_t i = 0; !err && db->ops->search_flush && i <= r.st.updated / 5000 + 1; i++)
			err = db->ops->search_flush(db);
	}
	ctx->bulk = 0;
	ctx->bulk_changes = 0;
	if (err) {
		/* The rows of the failed batch are undone; the job says why and
		 * where it stopped. Bad input fails it; anything else leaves it
		 * running, to be resumed from its last committed row. */
		kh_db_rollback(db);
		if (bulk_on)
			db->ops->bulk(db, KH_BULK_END);
		if (!ctx->ei->msg)
			kh_errinfo_set(ctx->ei, err, "%s", kh_strerror(err));
		const char *msg = ctx->ei->msg;
		int fatal_input = bad_file || !columns_done || err == KH_EINVAL || err == KH_EFORBIDDEN ||
				  err == KH_ENOTFOUND;
		if (r.indexes_dropped && kh_db_begin(db, KH_TX_WRITE) == KH_OK) {
			if (kh_schema_indexes(db, r.o.e, 1) == KH_OK)
				r.indexes_dropped = 0;
			if (kh_db_commit(db))
				r.indexes_dropped = 1;
		}
		if (err != KH_ECONFLICT && kh_db_begin(db, KH_TX_WRITE) == KH_OK) {
			if (fatal_input)
				job_update(&r, "failed", msg);
			else
				kh_db_exec(db, "UPDATE kh_imports SET message = $1 WHERE id = $2",
					   (struct kh_val[]){KH_VTEXT(msg), KH_VINT(job)}, 2);
			kh_db_commit(db);
		}
	}
	r.st.phase = NULL;
	if (progress)
		progress(cls, &r.st);
	if (stats)
		*stats = r.st;
	kh_table_free(t);
	run_free(&r);
	return err;
}

/* ---- stored files ---- */

#define FILE_CHUNK (768 * 1024) /* 1 MiB of base64 text per row */

enum kh_err kh_import_file_store(struct kh_ctx *ctx, int64_t job, const char *data, size_t len)
{
	size_t cap = sodium_base64_ENCODED_LEN(FILE_CHUNK, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(cap);
	if (!b64)
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	enum kh_err err = KH_OK;
	int64_t seq = 0;
	for (size_t off = 0; !err && (off < len || seq == 0); off += FILE_CHUNK, seq++) {
		size_t n = len - off < FILE_CHUNK ? len - off : FILE_CHUNK;
		sodium_bin2base64(b64, cap, (const unsigned char *)data + off, n, sodium_base64_VARIANT_ORIGINAL);
		struct kh_val p[3] = {KH_VINT(job), KH_VINT(seq), KH_VTEXT(b64)};
		err = kh_db_exec(ctx->db, "INSERT INTO kh_import_files (import_id, seq, data) VALUES ($1, $2, $3)", p, 3);
	}
	free(b64);
	if (err)
		kh_errinfo_set(ctx->ei, err, "cannot store the file");
	return err;
}

struct stored_src {
	struct kh_db *db;
	int64_t job, seq;
	unsigned char *buf;
	size_t len, pos;
};

static ssize_t stored_read(void *cls, char *out, size_t n)
{
	struct stored_src *s = cls;
	if (s->pos == s->len) {
		struct kh_val p[2] = {KH_VINT(s->job), KH_VINT(s->seq)};
		struct kh_rows *rows;
		if (kh_db_query(s->db, "SELECT data FROM kh_import_files WHERE import_id = $1 AND seq = $2", p, 2, &rows))
			return -1;
		int rc = kh_rows_next(s->db, rows);
		ssize_t ret = 0;
		if (rc > 0) {
			struct kh_val v = kh_rows_col(s->db, rows, 0);
			size_t got;
			if (!s->buf)
				s->buf = malloc(FILE_CHUNK);
			if (!s->buf || sodium_base642bin(s->buf, FILE_CHUNK, v.s, v.n, NULL, &got, NULL,
							 sodium_base64_VARIANT_ORIGINAL))
				ret = -1;
			else
				s->len = got, s->pos = 0, s->seq++;
		} else if (rc < 0) {
			ret = -1;
		}
		kh_rows_end(s->db, rows);
		if (ret < 0 || rc == 0)
			return ret;
	}
	size_t k = s->len - s->pos < n ? s->len - s->pos : n;
	memcpy(out, s->buf + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

struct kh_src kh_import_src_stored(struct kh_db *db, int64_t job)
{
	struct stored_src *s = calloc(1, sizeof *s);
	if (s)
		s->db = db, s->job = job;
	return (struct kh_src){stored_read, s};
}

void kh_import_src_free(struct kh_src src)
{
	struct stored_src *s = src.cls;
	if (s)
		free(s->buf);
	free(s);
}

/* ---- the job as the API shows it ---- */

enum kh_err kh_import_job_state(struct kh_ctx *ctx, int64_t job, char status[16], char heartbeat[32],
				const struct kh_entity **e)
{
	struct kh_val p = KH_VINT(job);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db, "SELECT status, heartbeat_at, entity, created_by FROM kh_imports WHERE id = $1",
				      &p, 1, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read import %lld", (long long)job);
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0) {
		struct kh_val hb = kh_rows_col(ctx->db, rows, 1), by = kh_rows_col(ctx->db, rows, 3);
		snprintf(status, 16, "%s", kh_rows_col(ctx->db, rows, 0).s);
		snprintf(heartbeat, 32, "%s", hb.t == KH_V_TEXT ? hb.s : "");
		*e = kh_entity_find(kh_rows_col(ctx->db, rows, 2).s);
		/* An import is its creator's (and administrators') business. */
		if (!ctx->who->is_admin && !(by.t == KH_V_INT && by.i == ctx->who->user_id))
			rc = 0;
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read import %lld", (long long)job);
	if (rc == 0 || !*e)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "import %lld not found", (long long)job);
	return KH_OK;
}

enum kh_err kh_import_job_json(struct kh_ctx *ctx, int64_t job, struct kh_jw *w)
{
	struct kh_val p = KH_VINT(job);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT id, entity, status, source, format, options, columns, message, created_at, "
				      "updated_at, finished_at, last_row, rows_done, created, updated, skipped, failed, "
				      "bytes_done, bytes_total, (SELECT count(*) FROM kh_import_errors WHERE import_id = $1) "
				      "FROM kh_imports WHERE id = $1",
				      &p, 1, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read import %lld", (long long)job);
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0) {
		struct kh_db *db = ctx->db;
		static const char *const names[] = {"id", "entity", "status", "source", "format", "options", "columns",
			"message", "created_at", "updated_at", "finished_at", "last_row", "rows", "created", "updated",
			"skipped", "failed"};
		kh_jw_obj(w);
		for (int i = 0; i < (int)(sizeof names / sizeof *names); i++) {
			struct kh_val v = kh_rows_col(db, rows, i);
			kh_jw_key(w, names[i]);
			if ((i == 5 || i == 6) && v.t == KH_V_TEXT)
				kh_jw_raw(w, v.s, v.n);
			else if (v.t == KH_V_INT)
				kh_jw_int(w, v.i);
			else if (v.t == KH_V_TEXT)
				kh_jw_strn(w, v.s, v.n);
			else
				kh_jw_null(w);
		}
		int64_t done = kh_rows_col(db, rows, 17).i, total = kh_rows_col(db, rows, 18).i;
		const char *status = kh_rows_col(db, rows, 2).s;
		kh_jw_key(w, "progress");
		kh_jw_double(w, !strcmp(status, "done") ? 1.0 : total > 0 ? (double)done / (double)total : 0.0);
		kh_jw_key(w, "errors");
		kh_jw_int(w, kh_rows_col(db, rows, 19).i);
		kh_jw_key(w, "errors_url");
		char url[96];
		snprintf(url, sizeof url, "/api/v1/imports/%lld/errors", (long long)job);
		kh_jw_str(w, url);
		kh_jw_obj_end(w);
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read import %lld", (long long)job);
	if (rc == 0)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "import %lld not found", (long long)job);
	return KH_OK;
}

enum kh_err kh_import_errors_csv(struct kh_db *db, int64_t job, int64_t after, int limit, struct kh_buf *out,
				 int64_t *last)
{
	*last = 0;
	if (after == 0)
		kh_buf_adds(out, "row,column,field,value,reason\r\n");
	struct kh_val p[3] = {KH_VINT(job), KH_VINT(after), KH_VINT(limit)};
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT id, row_number, column_name, field, value, reason FROM kh_import_errors "
				      "WHERE import_id = $1 AND id > $2 ORDER BY id LIMIT $3",
				      p, 3, &rows);
	if (err)
		return err;
	int rc;
	while ((rc = kh_rows_next(db, rows)) > 0) {
		*last = kh_rows_col(db, rows, 0).i;
		kh_buf_add_int(out, kh_rows_col(db, rows, 1).i);
		for (int c = 2; c <= 5; c++) {
			struct kh_val v = kh_rows_col(db, rows, c);
			kh_buf_addc(out, ',');
			if (v.t == KH_V_TEXT)
				kh_csv_field(out, v.s, v.n, ',');
		}
		kh_buf_adds(out, "\r\n");
	}
	kh_rows_end(db, rows);
	return rc < 0 ? (enum kh_err)-rc : out->err;
}
