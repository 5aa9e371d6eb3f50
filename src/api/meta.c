/* GET /api/v1/meta and GET /api/v1/openapi.json: both generated from the entity
 * metadata and the route table, built once and then served from memory. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "model/enum_labels.h"
#include "model/query.h"
#include "version.h"
#include "util/words.h"

static void labels(struct kh_jw *w, const char *en, const char *zh)
{
	kh_jw_key(w, "label");
	kh_jw_obj(w);
	kh_jw_key(w, "en");
	kh_jw_str(w, en);
	kh_jw_key(w, "zh-CN");
	kh_jw_str(w, zh);
	kh_jw_obj_end(w);
}

static void flag(struct kh_jw *w, const char *key, int on)
{
	kh_jw_key(w, key);
	kh_jw_bool(w, on);
}

/* "value_labels": {"closed_won": {"en": "Closed won", "zh-CN": "赢单"}, ...}:
 * the UI names enum values from here, so a new value needs no UI change. */
static void value_labels(struct kh_jw *w, const struct kh_entity *e, const struct kh_field *f)
{
	kh_jw_key(w, "value_labels");
	kh_jw_obj(w);
	for (int i = 0; f->enum_values[i]; i++) {
		const char *v = f->enum_values[i];
		const char *en = kh_enum_label(e, f, v, KH_LANG_EN), *zh = kh_enum_label(e, f, v, KH_LANG_ZH);
		char readable[128];
		kh_enum_label_default(v, readable, sizeof readable);
		kh_jw_key(w, v);
		kh_jw_obj(w);
		kh_jw_key(w, "en");
		kh_jw_str(w, en ? en : readable);
		kh_jw_key(w, "zh-CN");
		kh_jw_str(w, zh ? zh : en ? en : readable);
		kh_jw_obj_end(w);
	}
	kh_jw_obj_end(w);
}

static void meta_field(struct kh_jw *w, const struct kh_entity *e, const struct kh_field *f)
{
	kh_jw_obj(w);
	kh_jw_key(w, "name");
	kh_jw_str(w, f->name);
	kh_jw_key(w, "type");
	kh_jw_str(w, kh_ftype_name(f->type));
	labels(w, f->label_en, f->label_zh);
	flag(w, "required", f->flags & KH_F_REQUIRED);
	flag(w, "readonly", f->flags & KH_F_READONLY);
	flag(w, "writeonly", f->flags & KH_F_WRITEONLY);
	flag(w, "system", f->flags & KH_F_SYSTEM);
	flag(w, "indexed", f->flags & KH_F_INDEXED);
	flag(w, "unique", f->flags & KH_F_UNIQUE);
	flag(w, "searchable", f->flags & KH_F_SEARCH);
	flag(w, "personal", f->flags & KH_F_PERSONAL);
	flag(w, "sortable", !(f->flags & KH_F_WRITEONLY) && f->type != KH_T_TEXT && f->type != KH_T_TAGS &&
				    f->type != KH_T_JSON);
	if (kh_field_max_len(f)) {
		kh_jw_key(w, "max_length");
		kh_jw_int(w, kh_field_max_len(f));
	}
	if (f->min < f->max) {
		kh_jw_key(w, "min");
		kh_jw_int(w, f->min);
		kh_jw_key(w, "max");
		kh_jw_int(w, f->max);
	}
	if (f->enum_values) {
		kh_jw_key(w, "values");
		kh_jw_arr(w);
		for (int i = 0; f->enum_values[i]; i++)
			kh_jw_str(w, f->enum_values[i]);
		kh_jw_arr_end(w);
		value_labels(w, e, f);
	}
	if (f->ref) {
		kh_jw_key(w, "ref");
		kh_jw_str(w, f->ref);
	}
	if (f->def) {
		kh_jw_key(w, "default");
		kh_jw_str(w, f->def);
	}
	kh_jw_obj_end(w);
}

static void build_meta(struct kh_buf *b)
{
	struct kh_jw w;
	kh_jw_init(&w, b);
	kh_jw_obj(&w);
	kh_jw_key(&w, "version");
	kh_jw_str(&w, KEHU_VERSION);
	kh_jw_key(&w, "entities");
	kh_jw_arr(&w);
	for (int i = 0; i < kh_nentities; i++) {
		const struct kh_entity *e = kh_entities[i];
		kh_jw_obj(&w);
		kh_jw_key(&w, "name");
		kh_jw_str(&w, e->name);
		kh_jw_key(&w, "singular");
		kh_jw_str(&w, e->singular);
		labels(&w, e->label_en, e->label_zh);
		kh_jw_key(&w, "title_field");
		kh_jw_str(&w, e->title->name);
		kh_jw_key(&w, "default_sort");
		kh_jw_str(&w, e->default_sort);
		flag(&w, "admin_write", e->flags & KH_E_ADMIN_WRITE);
		flag(&w, "searchable", e->searchable);
		kh_jw_key(&w, "fields");
		kh_jw_arr(&w);
		for (int j = 0; j < e->nfields; j++)
			if (!(e->fields[j].flags & KH_F_INTERNAL))
				meta_field(&w, e, &e->fields[j]);
		kh_jw_arr_end(&w);
		/* The related lists a record page can show: /accounts/7/contacts. */
		kh_jw_key(&w, "related");
		kh_jw_arr(&w);
		for (int k = 0; k < kh_nentities; k++) {
			const struct kh_field *ref = kh_related_field(e, kh_entities[k]);
			if (!ref)
				continue;
			kh_jw_obj(&w);
			kh_jw_key(&w, "entity");
			kh_jw_str(&w, kh_entities[k]->name);
			kh_jw_key(&w, "field");
			kh_jw_str(&w, ref->name);
			kh_jw_obj_end(&w);
		}
		kh_jw_arr_end(&w);
		kh_jw_obj_end(&w);
	}
	kh_jw_arr_end(&w);
	kh_jw_obj_end(&w);
}

/* ---- OpenAPI 3.1 ---- */

static void schema_type(struct kh_jw *w, const char *type, int nullable)
{
	kh_jw_key(w, "type");
	if (nullable) {
		kh_jw_arr(w);
		kh_jw_str(w, type);
		kh_jw_str(w, "null");
		kh_jw_arr_end(w);
	} else {
		kh_jw_str(w, type);
	}
}

/* The JSON Schema of one field, as output (input = 0) or input (input = 1). */
static void field_schema(struct kh_jw *w, const struct kh_field *f, int input)
{
	int nullable = !(f->flags & KH_F_REQUIRED) && f->type != KH_T_ID && strcmp(f->name, "version") &&
		       strcmp(f->name, "created_at") && strcmp(f->name, "updated_at");
	kh_jw_obj(w);
	switch (f->type) {
	case KH_T_ID:
	case KH_T_REF:
		schema_type(w, "integer", nullable);
		kh_jw_key(w, "minimum");
		kh_jw_int(w, 1);
		break;
	case KH_T_INT:
	case KH_T_MONEY:
	case KH_T_PERCENT:
		schema_type(w, "integer", nullable);
		if (f->min < f->max) {
			kh_jw_key(w, "minimum");
			kh_jw_int(w, f->min);
			kh_jw_key(w, "maximum");
			kh_jw_int(w, f->max);
		}
		break;
	case KH_T_BOOL:
		schema_type(w, "boolean", nullable);
		break;
	case KH_T_JSON:
		schema_type(w, "object", nullable);
		break;
	case KH_T_TAGS:
		schema_type(w, "array", nullable);
		kh_jw_key(w, "items");
		kh_jw_obj(w);
		kh_jw_key(w, "type");
		kh_jw_str(w, "string");
		kh_jw_key(w, "maxLength");
		kh_jw_int(w, 50);
		kh_jw_obj_end(w);
		kh_jw_key(w, "maxItems");
		kh_jw_int(w, 20);
		break;
	default:
		schema_type(w, "string", nullable);
		if (kh_field_max_len(f)) {
			kh_jw_key(w, "maxLength");
			kh_jw_int(w, kh_field_max_len(f));
		}
		const char *format = f->type == KH_T_EMAIL ? "email" : f->type == KH_T_URL ? "uri"
				     : f->type == KH_T_DATE ? "date" : f->type == KH_T_DATETIME ? "date-time"
				     : f->type == KH_T_PASSWORD ? "password" : NULL;
		if (format) {
			kh_jw_key(w, "format");
			kh_jw_str(w, format);
		}
		if (f->enum_values) {
			kh_jw_key(w, "enum");
			kh_jw_arr(w);
			for (int i = 0; f->enum_values[i]; i++)
				kh_jw_str(w, f->enum_values[i]);
			if (nullable)
				kh_jw_null(w);
			kh_jw_arr_end(w);
		}
		if (f->type == KH_T_CURRENCY) {
			kh_jw_key(w, "pattern");
			kh_jw_str(w, "^[A-Z]{3}$");
		}
	}
	if (!input && (f->flags & KH_F_READONLY))
		flag(w, "readOnly", 1);
	if (f->flags & KH_F_WRITEONLY)
		flag(w, "writeOnly", 1);
	kh_jw_key(w, "description");
	kh_jw_str(w, f->type == KH_T_MONEY ? "amount in minor units (fen, cents)" : f->label_en);
	kh_jw_obj_end(w);
}

static void ref(struct kh_jw *w, const char *schema)
{
	char buf[128];
	snprintf(buf, sizeof buf, "#/components/schemas/%s", schema);
	kh_jw_obj(w);
	kh_jw_key(w, "$ref");
	kh_jw_str(w, buf);
	kh_jw_obj_end(w);
}

static void object_schema_open(struct kh_jw *w, const char *name, int closed)
{
	kh_jw_key(w, name);
	kh_jw_obj(w);
	kh_jw_key(w, "type");
	kh_jw_str(w, "object");
	if (closed)
		flag(w, "additionalProperties", 0);
	kh_jw_key(w, "properties");
	kh_jw_obj(w);
}

static void entity_schemas(struct kh_jw *w, const struct kh_entity *e)
{
	char name[96];
	/* Output: every field but the write-only ones. */
	object_schema_open(w, e->name, 0);
	for (int i = 0; i < e->nfields; i++)
		if (!(e->fields[i].flags & KH_F_WRITEONLY)) {
			kh_jw_key(w, e->fields[i].name);
			field_schema(w, &e->fields[i], 0);
		}
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
	/* Input: the writable fields; unknown ones are refused. */
	for (int create = 1; create >= 0; create--) {
		snprintf(name, sizeof name, "%s_%s", e->name, create ? "create" : "update");
		object_schema_open(w, name, 1);
		for (int i = 0; i < e->nfields; i++)
			if (!(e->fields[i].flags & KH_F_READONLY)) {
				kh_jw_key(w, e->fields[i].name);
				field_schema(w, &e->fields[i], 1);
			}
		if (!create) {
			kh_jw_key(w, "version");
			kh_jw_obj(w);
			kh_jw_key(w, "type");
			kh_jw_str(w, "integer");
			kh_jw_key(w, "description");
			kh_jw_str(w, "the version last read; a stale one is refused with 409");
			kh_jw_obj_end(w);
		}
		kh_jw_obj_end(w);
		if (create) {
			kh_jw_key(w, "required");
			kh_jw_arr(w);
			for (int i = 0; i < e->nfields; i++)
				if ((e->fields[i].flags & KH_F_REQUIRED) && !e->fields[i].def &&
				    !(e->fields[i].flags & KH_F_READONLY))
					kh_jw_str(w, e->fields[i].name);
			kh_jw_arr_end(w);
		}
		kh_jw_obj_end(w);
	}
	snprintf(name, sizeof name, "%s_list", e->name);
	object_schema_open(w, name, 0);
	kh_jw_key(w, "data");
	kh_jw_obj(w);
	kh_jw_key(w, "type");
	kh_jw_str(w, "array");
	kh_jw_key(w, "items");
	ref(w, e->name);
	kh_jw_obj_end(w);
	kh_jw_key(w, "next_cursor");
	kh_jw_obj(w);
	schema_type(w, "string", 1);
	kh_jw_obj_end(w);
	kh_jw_key(w, "total");
	kh_jw_obj(w);
	schema_type(w, "integer", 0);
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
	kh_jw_key(w, "required");
	kh_jw_arr(w);
	kh_jw_str(w, "data");
	kh_jw_str(w, "next_cursor");
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
}

static void error_schema(struct kh_jw *w)
{
	object_schema_open(w, "error", 0);
	kh_jw_key(w, "error");
	kh_jw_obj(w);
	kh_jw_key(w, "type");
	kh_jw_str(w, "object");
	kh_jw_key(w, "required");
	kh_jw_arr(w);
	kh_jw_str(w, "code");
	kh_jw_str(w, "message");
	kh_jw_arr_end(w);
	kh_jw_key(w, "properties");
	kh_jw_obj(w);
	kh_jw_key(w, "code");
	kh_jw_obj(w);
	kh_jw_key(w, "type");
	kh_jw_str(w, "string");
	kh_jw_key(w, "enum");
	kh_jw_arr(w);
	for (int e = 1; e < KH_ERR_COUNT; e++) {
		int dup = 0;
		for (int k = 1; k < e; k++)
			dup |= !strcmp(kh_err_code((enum kh_err)k), kh_err_code((enum kh_err)e));
		if (!dup)
			kh_jw_str(w, kh_err_code((enum kh_err)e));
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	kh_jw_key(w, "message");
	kh_jw_obj(w);
	kh_jw_key(w, "type");
	kh_jw_str(w, "string");
	kh_jw_obj_end(w);
	kh_jw_key(w, "fields");
	kh_jw_obj(w);
	kh_jw_key(w, "type");
	kh_jw_str(w, "object");
	kh_jw_key(w, "additionalProperties");
	kh_jw_obj(w);
	kh_jw_key(w, "type");
	kh_jw_str(w, "string");
	kh_jw_obj_end(w); /* additionalProperties */
	kh_jw_obj_end(w); /* fields */
	kh_jw_obj_end(w); /* error.properties */
	kh_jw_obj_end(w); /* error */
	kh_jw_obj_end(w); /* properties */
	kh_jw_key(w, "required");
	kh_jw_arr(w);
	kh_jw_str(w, "error");
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
}

static void json_content(struct kh_jw *w, const char *schema)
{
	kh_jw_key(w, "content");
	kh_jw_obj(w);
	kh_jw_key(w, "application/json");
	kh_jw_obj(w);
	kh_jw_key(w, "schema");
	if (schema) {
		ref(w, schema);
	} else {
		kh_jw_obj(w);
		kh_jw_key(w, "type");
		kh_jw_str(w, "object");
		kh_jw_obj_end(w);
	}
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
}

static void response(struct kh_jw *w, const char *status, const char *desc, const char *schema)
{
	kh_jw_key(w, status);
	kh_jw_obj(w);
	kh_jw_key(w, "description");
	kh_jw_str(w, desc);
	if (schema || strcmp(status, "204"))
		json_content(w, schema);
	kh_jw_obj_end(w);
}

static void param(struct kh_jw *w, const char *name, const char *in, const char *type, int required,
		  const char *desc)
{
	kh_jw_obj(w);
	kh_jw_key(w, "name");
	kh_jw_str(w, name);
	kh_jw_key(w, "in");
	kh_jw_str(w, in);
	flag(w, "required", required);
	kh_jw_key(w, "description");
	kh_jw_str(w, desc);
	kh_jw_key(w, "schema");
	kh_jw_obj(w);
	kh_jw_key(w, "type");
	kh_jw_str(w, type);
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
}

static const char *method_key(enum kh_method m)
{
	static const char *const keys[] = {"get", "post", "patch", "delete", "put", "head", "options", "trace"};
	return keys[m];
}

/* One operation of a route, for concrete entity e (and related child c). */
static void operation(struct kh_jw *w, const struct kh_route *rt, const struct kh_entity *e,
		      const struct kh_entity *c)
{
	char opid[160], schema[96];
	kh_jw_key(w, method_key(rt->method));
	kh_jw_obj(w);
	kh_jw_key(w, "summary");
	kh_jw_str(w, rt->summary);
	if (!e) { /* fixed paths: named after the path */
		const char *last = strrchr(rt->pattern, '/');
		snprintf(opid, sizeof opid, "%s_%s", method_key(rt->method), last + 1);
		for (char *p = opid; *p; p++)
			if (*p == '.')
				*p = '_';
	} else if (c) {
		snprintf(opid, sizeof opid, "list_%s_%s", e->name, c->name);
	} else if (strstr(rt->pattern, "/restore")) {
		snprintf(opid, sizeof opid, "restore_%s", e->name);
	} else if (strstr(rt->pattern, "{id}")) {
		snprintf(opid, sizeof opid, "%s_%s_by_id", method_key(rt->method), e->name);
	} else {
		snprintf(opid, sizeof opid, "%s_%s", rt->method == KH_GET ? "list" : method_key(rt->method), e->name);
	}
	kh_jw_key(w, "operationId");
	kh_jw_str(w, opid);
	if (e) {
		kh_jw_key(w, "tags");
		kh_jw_arr(w);
		kh_jw_str(w, e->name);
		kh_jw_arr_end(w);
	}
	if (rt->flags & KH_R_PUBLIC) {
		kh_jw_key(w, "security");
		kh_jw_arr(w);
		kh_jw_arr_end(w);
	}
	int list = (e && !strstr(rt->pattern, "{id}")) || c;
	kh_jw_key(w, "parameters");
	kh_jw_arr(w);
	if (strstr(rt->pattern, "{id}"))
		param(w, "id", "path", "integer", 1, "the record's id");
	if (list && rt->method == KH_GET) {
		const struct kh_entity *le = c ? c : e;
		param(w, "limit", "query", "integer", 0, "page size, 1 to 500 (default 50)");
		param(w, "cursor", "query", "string", 0, "next_cursor of the previous page");
		param(w, "sort", "query", "string", 0, "fields, comma-separated; - for descending");
		param(w, "count", "query", "integer", 0, "1 to also return the total");
		param(w, "archived", "query", "string", 0, "include or only; archived records are left out by default");
		for (int i = 0; i < le->nfields; i++) {
			const struct kh_field *f = &le->fields[i];
			if (f->flags & KH_F_WRITEONLY)
				continue;
			if (f->type == KH_T_JSON)
				continue;
			const char *t = kh_field_coltype(f) == KH_COL_INT && f->type != KH_T_BOOL ? "integer"
					: f->type == KH_T_BOOL ? "boolean" : "string";
			param(w, f->name, "query", t, 0,
			      "equals; also name[op] with op eq, ne, lt, lte, gt, gte, in, like, null");
		}
	}
	/* The parameters the route declares (kh_route.args; "q! limit": q required). */
	const char *p = rt->args ? rt->args : "", *word;
	int required;
	for (size_t len; (len = kh_word_next(&p, &word, &required)) || *p;) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)len, word);
		param(w, name, "query", strcmp(name, "limit") ? "string" : "integer", required,
		      "see docs/API.md for this route");
	}
	if (rt->method == KH_PATCH) {
		kh_jw_obj(w);
		kh_jw_key(w, "name");
		kh_jw_str(w, "If-Match");
		kh_jw_key(w, "in");
		kh_jw_str(w, "header");
		flag(w, "required", 0);
		kh_jw_key(w, "schema");
		kh_jw_obj(w);
		kh_jw_key(w, "type");
		kh_jw_str(w, "string");
		kh_jw_obj_end(w);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	if (rt->flags & KH_R_BODY) {
		kh_jw_key(w, "requestBody");
		kh_jw_obj(w);
		flag(w, "required", 1);
		if (e) {
			snprintf(schema, sizeof schema, "%s_%s", e->name, rt->method == KH_POST ? "create" : "update");
			json_content(w, schema);
		} else {
			json_content(w, NULL);
		}
		kh_jw_obj_end(w);
	}
	kh_jw_key(w, "responses");
	kh_jw_obj(w);
	if (list && rt->method == KH_GET) {
		snprintf(schema, sizeof schema, "%s_list", (c ? c : e)->name);
		response(w, "200", "a page of records", schema);
	} else if (rt->method == KH_DELETE) {
		response(w, "204", "archived", NULL);
	} else if (rt->method == KH_POST && e && !strstr(rt->pattern, "/restore")) {
		response(w, "201", "created; Location names the new record", e->name);
	} else if (e) {
		response(w, "200", "the record", e->name);
	} else if (!strcmp(rt->pattern, "/api/v1/auth/logout")) {
		response(w, "204", "logged out", NULL);
	} else {
		response(w, "200", "OK", NULL);
	}
	static const char *const errs[][2] = {{"400", "bad request"}, {"401", "no valid token"},
		{"403", "not allowed"}, {"404", "not found"}, {"409", "conflict"}, {"413", "body too large"},
		{"422", "validation failed"}, {"500", "server error"}};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		response(w, errs[i][0], errs[i][1], "error");
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
}

/* Writes the path item for a concrete path, with every route that has it. */
static void path_item(struct kh_jw *w, const char *pattern, const struct kh_entity *e, const struct kh_entity *c)
{
	char path[160];
	snprintf(path, sizeof path, "%s", pattern);
	/* Concrete names for {entity} and {related}; {id} stays a parameter. */
	char out[200] = "";
	for (const char *p = path; *p;) {
		if (!strncmp(p, "{entity}", 8)) {
			strncat(out, e->name, sizeof out - strlen(out) - 1);
			p += 8;
		} else if (!strncmp(p, "{related}", 9)) {
			strncat(out, c->name, sizeof out - strlen(out) - 1);
			p += 9;
		} else {
			strncat(out, (char[]){*p, 0}, sizeof out - strlen(out) - 1);
			p++;
		}
	}
	kh_jw_key(w, out);
	kh_jw_obj(w);
	for (int i = 0; i < kh_nroutes; i++)
		if (!strcmp(kh_routes[i].pattern, pattern))
			operation(w, &kh_routes[i], e, c);
	kh_jw_obj_end(w);
}

static void build_openapi(struct kh_buf *b)
{
	struct kh_jw jw, *w = &jw;
	kh_jw_init(w, b);
	kh_jw_obj(w);
	kh_jw_key(w, "openapi");
	kh_jw_str(w, "3.1.0");
	kh_jw_key(w, "info");
	kh_jw_obj(w);
	kh_jw_key(w, "title");
	kh_jw_str(w, "Kehu CRM API");
	kh_jw_key(w, "version");
	kh_jw_str(w, KEHU_VERSION);
	kh_jw_key(w, "description");
	kh_jw_str(w, "Generated from Kehu's entity metadata and route table. Money is integer minor units; "
		     "timestamps are ISO 8601 UTC.");
	kh_jw_obj_end(w);
	kh_jw_key(w, "security");
	kh_jw_arr(w);
	kh_jw_obj(w);
	kh_jw_key(w, "bearer");
	kh_jw_arr(w);
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	kh_jw_arr_end(w);

	kh_jw_key(w, "paths");
	kh_jw_obj(w);
	for (int i = 0; i < kh_nroutes; i++) {
		const char *pat = kh_routes[i].pattern;
		int first = 1; /* each pattern once, with all its methods */
		for (int k = 0; k < i; k++)
			first &= strcmp(kh_routes[k].pattern, pat) != 0;
		if (!first || strstr(pat, "{path*}"))
			continue; /* the web UI's files are not part of the API */
		if (!strstr(pat, "{entity}")) {
			path_item(w, pat, NULL, NULL);
			continue;
		}
		for (int e = 0; e < kh_nentities; e++) {
			if (!strstr(pat, "{related}")) {
				path_item(w, pat, kh_entities[e], NULL);
				continue;
			}
			for (int c = 0; c < kh_nentities; c++)
				if (kh_related_field(kh_entities[e], kh_entities[c]))
					path_item(w, pat, kh_entities[e], kh_entities[c]);
		}
	}
	kh_jw_obj_end(w);

	kh_jw_key(w, "components");
	kh_jw_obj(w);
	kh_jw_key(w, "securitySchemes");
	kh_jw_obj(w);
	kh_jw_key(w, "bearer");
	kh_jw_obj(w);
	kh_jw_key(w, "type");
	kh_jw_str(w, "http");
	kh_jw_key(w, "scheme");
	kh_jw_str(w, "bearer");
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
	kh_jw_key(w, "schemas");
	kh_jw_obj(w);
	error_schema(w);
	for (int e = 0; e < kh_nentities; e++)
		entity_schemas(w, kh_entities[e]);
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
	kh_jw_obj_end(w);
}

static struct kh_buf meta_doc = KH_BUF_INIT, openapi_doc = KH_BUF_INIT;
static pthread_once_t docs_once = PTHREAD_ONCE_INIT;

static void build_docs(void)
{
	build_meta(&meta_doc);
	build_openapi(&openapi_doc);
}

static enum kh_err serve_doc(struct kh_req *r, const struct kh_buf *doc)
{
	pthread_once(&docs_once, build_docs);
	if (doc->err)
		return kh_req_fail(r, doc->err, "cannot build the document");
	kh_buf_add(&r->out, doc->data, doc->len);
	return KH_OK;
}

enum kh_err kh_api_meta(struct kh_req *r)
{
	return serve_doc(r, &meta_doc);
}

enum kh_err kh_api_openapi(struct kh_req *r)
{
	return serve_doc(r, &openapi_doc);
}
