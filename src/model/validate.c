#include "model/validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/utf8.h"
#include "util/words.h"

int kh_values_init(struct kh_values *vals, const struct kh_entity *e, struct kh_arena *a)
{
	vals->e = e;
	vals->v = kh_arena_calloc(a, (size_t)e->nfields, sizeof *vals->v);
	vals->set = kh_arena_calloc(a, (size_t)e->nfields, 1);
	return vals->v && vals->set ? 0 : -1;
}

/* ---- formats ---- */

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int domain_valid(const char *s, size_t n)
{
	/* Labels of letters, digits and inner hyphens (or UTF-8 for IDN), at least two. */
	size_t label = 0, labels = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			labels++;
			label = 0;
			continue;
		}
		unsigned char c = (unsigned char)s[i];
		if (!(is_alnum((char)c) || c >= 0x80 || (c == '-' && label > 0)))
			return 0;
		label++;
	}
	return labels >= 2;
}

int kh_email_valid(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	if (!at || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return 0;
	size_t local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return 0;
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || is_alnum((char)c) || strchr("!#$%&'*+/=?^_`{|}~.-", c)) {
			if (c == '.' && s[i + 1] == '.')
				return 0;
			continue;
		}
		return 0;
	}
	return domain_valid(at + 1, n - local - 1);
}

int kh_phone_valid(const char *s, size_t n)
{
	int digits = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			digits++;
		else if (c == '+' && i == 0)
			;
		else if (!strchr(" -.()", c))
			return 0;
	}
	/* Short service numbers (95588) to international numbers with extension. */
	return digits >= 5 && digits <= 20;
}

int kh_url_valid(const char *s, size_t n)
{
	size_t skip;
	if (n > 7 && !strncmp(s, "http://", 7))
		skip = 7;
	else if (n > 8 && !strncmp(s, "https://", 8))
		skip = 8;
	else
		return 0;
	size_t host = 0;
	while (skip + host < n && !strchr("/?#:", s[skip + host]))
		host++;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	return domain_valid(s + skip, host) || (host == 9 && !strncmp(s + skip, "localhost", 9));
}

static int has_control(const char *s, size_t n, int multiline)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f || (c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t'))))
			return 1;
	}
	return 0;
}

static const char *enum_list(const struct kh_field *f, struct kh_arena *a)
{
	struct kh_buf b = KH_BUF_INIT;
	for (int i = 0; f->enum_values[i]; i++)
		kh_buf_addf(&b, "%s%s", i ? ", " : "", f->enum_values[i]);
	char *s = kh_arena_strdup(a, b.data);
	kh_buf_release(&b);
	return s ? s : "";
}

static int enum_has(const struct kh_field *f, const char *s)
{
	for (int i = 0; f->enum_values[i]; i++)
		if (!strcmp(f->enum_values[i], s))
			return 1;
	return 0;
}

/* Checks and normalises a string value of field f (already trimmed, non-empty).
 * Returns NULL when it is good, else the reason. *s may be replaced by a
 * normalised copy (lower-cased e-mail, UTC timestamp). */
static const char *check_string(const struct kh_field *f, const char **s, size_t *n, struct kh_arena *a)
{
	int max = kh_field_max_len(f);
	if (max && kh_utf8_count(*s, *n) > (size_t)max)
		return kh_arena_printf(a, "must be at most %d characters", max);
	if (has_control(*s, *n, f->type == KH_T_TEXT))
		return "must not contain control characters";
	switch (f->type) {
	case KH_T_EMAIL: {
		if (!kh_email_valid(*s, *n))
			return "is not a valid e-mail address";
		char *low = kh_arena_strndup(a, *s, *n);
		if (!low)
			return "out of memory";
		for (char *p = low; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		*s = low;
		break;
	}
	case KH_T_PHONE:
		if (!kh_phone_valid(*s, *n))
			return "is not a valid phone number (5 to 20 digits, with + - . ( ) or spaces)";
		break;
	case KH_T_URL:
		if (!kh_url_valid(*s, *n))
			return "is not a valid http(s) URL";
		break;
	case KH_T_DATE:
		if (!kh_date_valid(*s, *n))
			return "is not a valid date (YYYY-MM-DD)";
		break;
	case KH_T_DATETIME: {
		int64_t us;
		if (kh_time_parse(*s, *n, &us))
			return "is not a valid ISO 8601 date-time with a time zone";
		char *out = kh_arena_alloc(a, KH_TIME_LEN);
		if (!out)
			return "out of memory";
		kh_time_format(us, out);
		*s = out;
		*n = strlen(out);
		break;
	}
	case KH_T_ENUM:
		if (!enum_has(f, *s))
			return kh_arena_printf(a, "must be one of: %s", enum_list(f, a));
		break;
	case KH_T_CURRENCY:
		if (*n != 3 || !((*s)[0] >= 'A' && (*s)[0] <= 'Z') || !((*s)[1] >= 'A' && (*s)[1] <= 'Z') ||
		    !((*s)[2] >= 'A' && (*s)[2] <= 'Z'))
			return "must be an ISO 4217 currency code such as CNY or USD";
		break;
	case KH_T_PASSWORD:
		if (kh_utf8_count(*s, *n) < 8)
			return "must be at least 8 characters";
		break;
	default:
		break;
	}
	return NULL;
}

static int is_string_type(enum kh_ftype t)
{
	switch (t) {
	case KH_T_STRING: case KH_T_TEXT: case KH_T_EMAIL: case KH_T_PHONE: case KH_T_URL: case KH_T_DATE:
	case KH_T_DATETIME: case KH_T_ENUM: case KH_T_PASSWORD: case KH_T_CURRENCY:
		return 1;
	default:
		return 0;
	}
}

static int is_int_type(enum kh_ftype t)
{
	return t == KH_T_INT || t == KH_T_MONEY || t == KH_T_PERCENT || t == KH_T_REF || t == KH_T_ID;
}

static const char *check_int(const struct kh_field *f, int64_t v, struct kh_arena *a)
{
	if (f->type == KH_T_REF || f->type == KH_T_ID)
		return v > 0 ? NULL : "must be a positive record id";
	if (f->min < f->max && (v < f->min || v > f->max))
		return kh_arena_printf(a, "must be between %lld and %lld", (long long)f->min, (long long)f->max);
	return NULL;
}

/* Tags: up to 20 distinct labels of 1..50 characters, stored as a JSON array. */
static const char *convert_tags(json_t *j, struct kh_val *out, struct kh_arena *a)
{
	if (!json_is_array(j))
		return "must be an array of strings";
	size_t n = json_array_size(j);
	if (n > 20)
		return "must have at most 20 tags";
	json_t *clean = json_array();
	if (!clean)
		return "out of memory";
	const char *why = NULL;
	for (size_t i = 0; i < n && !why; i++) {
		json_t *t = json_array_get(j, i);
		if (!json_is_string(t)) {
			why = "must be an array of strings";
			break;
		}
		const char *s = json_string_value(t);
		size_t len = json_string_length(t);
		while (len && (*s == ' ' || *s == '\t'))
			s++, len--;
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0 || kh_utf8_count(s, len) > 50 || has_control(s, len, 0)) {
			why = "each tag must be 1 to 50 characters, without control characters";
			break;
		}
		int dup = 0;
		for (size_t k = 0; k < json_array_size(clean); k++) {
			json_t *o = json_array_get(clean, k);
			if (json_string_length(o) == len && !memcmp(json_string_value(o), s, len))
				dup = 1;
		}
		if (!dup)
			json_array_append_new(clean, json_stringn(s, len));
	}
	if (!why) {
		char *txt = json_dumps(clean, JSON_COMPACT);
		char *copy = txt ? kh_arena_strdup(a, txt) : NULL;
		free(txt);
		if (!copy)
			why = "out of memory";
		else
			*out = (struct kh_val){.t = KH_V_TEXT, .s = copy, .n = strlen(copy)};
	}
	json_decref(clean);
	return why;
}

/* Converts one JSON value for field f. Returns NULL or the reason it is wrong. */
static const char *convert(const struct kh_field *f, json_t *j, struct kh_val *out, struct kh_arena *a)
{
	if (json_is_null(j)) {
		*out = KH_VNULL;
		return NULL;
	}
	if (is_string_type(f->type)) {
		if (!json_is_string(j))
			return "must be a string";
		const char *s = json_string_value(j);
		size_t n = json_string_length(j);
		if (f->type != KH_T_PASSWORD) { /* passwords are taken exactly as typed */
			while (n && (*s == ' ' || *s == '\t'))
				s++, n--;
			while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
				n--;
		}
		if (n == 0) { /* an empty string clears the field */
			*out = KH_VNULL;
			return NULL;
		}
		const char *why = check_string(f, &s, &n, a);
		if (why)
			return why;
		char *copy = kh_arena_strndup(a, s, n);
		if (!copy)
			return "out of memory";
		*out = (struct kh_val){.t = KH_V_TEXT, .s = copy, .n = n};
		return NULL;
	}
	if (is_int_type(f->type)) {
		if (!json_is_integer(j))
			return f->type == KH_T_MONEY ? "must be an integer amount in minor units (fen, cents)"
						     : "must be an integer";
		int64_t v = (int64_t)json_integer_value(j);
		const char *why = check_int(f, v, a);
		if (why)
			return why;
		*out = KH_VINT(v);
		return NULL;
	}
	if (f->type == KH_T_BOOL) {
		if (!json_is_boolean(j))
			return "must be true or false";
		*out = KH_VINT(json_is_true(j) ? 1 : 0);
		return NULL;
	}
	if (f->type == KH_T_TAGS)
		return convert_tags(j, out, a);
	if (f->type == KH_T_JSON) {
		if (!json_is_object(j))
			return "must be a JSON object";
		char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		char *copy = txt ? kh_arena_strdup(a, txt) : NULL;
		free(txt);
		if (!copy)
			return "out of memory";
		*out = (struct kh_val){.t = KH_V_TEXT, .s = copy, .n = strlen(copy)};
		return NULL;
	}
	return "cannot be set";
}

void kh_values_defaults(struct kh_values *vals)
{
	for (int i = 0; i < vals->e->nfields; i++) {
		const struct kh_field *f = &vals->e->fields[i];
		if (vals->set[i] || !f->def)
			continue;
		if (f->type == KH_T_BOOL)
			vals->v[i] = KH_VINT(!strcmp(f->def, "true"));
		else if (is_int_type(f->type))
			vals->v[i] = KH_VINT(strtoll(f->def, NULL, 10));
		else
			vals->v[i] = KH_VTEXT(f->def);
		vals->set[i] = 1;
	}
}

enum kh_err kh_validate_json(json_t *obj, enum kh_validate_mode mode, struct kh_values *vals, int64_t *version,
			     struct kh_arena *a, struct kh_errinfo *ei)
{
	const struct kh_entity *e = vals->e;
	const char *key;
	json_t *j;
	if (version)
		*version = -1;
	json_object_foreach(obj, key, j) {
		int i = kh_field_index(e, key);
		if (i < 0) {
			kh_errinfo_field(ei, key, "unknown field");
			continue;
		}
		const struct kh_field *f = &e->fields[i];
		if (!strcmp(key, "version") && mode == KH_VALIDATE_UPDATE && version) {
			if (!json_is_integer(j) || json_integer_value(j) < 1)
				kh_errinfo_field(ei, key, "must be a positive integer");
			else
				*version = (int64_t)json_integer_value(j);
			continue;
		}
		if (f->flags & KH_F_READONLY) {
			kh_errinfo_field(ei, key, "is read-only");
			continue;
		}
		const char *why = convert(f, j, &vals->v[i], a);
		if (why) {
			kh_errinfo_field(ei, key, "%s", why);
			continue;
		}
		if (vals->v[i].t == KH_V_NULL && (f->flags & KH_F_REQUIRED)) {
			kh_errinfo_field(ei, key, "is required");
			continue;
		}
		vals->set[i] = 1;
	}
	if (mode == KH_VALIDATE_CREATE) {
		kh_values_defaults(vals);
		for (int i = 0; i < e->nfields; i++) {
			const struct kh_field *f = &e->fields[i];
			if (!vals->set[i] && (f->flags & KH_F_REQUIRED) && !kh_errinfo_field_msg(ei, f->name))
				kh_errinfo_field(ei, f->name, "is required");
		}
	}
	if (ei->code) {
		if (!ei->msg)
			ei->msg = ei->nfields == 1
					  ? kh_arena_printf(a, "%s %s", ei->fields[0].field, ei->fields[0].msg)
					  : kh_arena_printf(a, "%d fields are not valid", ei->nfields);
		return ei->code;
	}
	return KH_OK;
}

enum kh_err kh_validate_text(const struct kh_field *f, const char *text, struct kh_val *out, struct kh_arena *a,
			     const char **why)
{
	size_t n = strlen(text);
	*why = NULL;
	if (!kh_utf8_valid(text, n)) {
		*why = "is not valid UTF-8";
		return KH_EINVAL;
	}
	if (is_int_type(f->type)) {
		char *end;
		errno = 0;
		long long v = strtoll(text, &end, 10);
		if (n == 0 || *end || errno) {
			*why = "must be an integer";
			return KH_EINVAL;
		}
		*out = KH_VINT(v);
		return KH_OK;
	}
	if (f->type == KH_T_BOOL) {
		if (!strcmp(text, "true") || !strcmp(text, "1"))
			*out = KH_VINT(1);
		else if (!strcmp(text, "false") || !strcmp(text, "0"))
			*out = KH_VINT(0);
		else {
			*why = "must be true or false";
			return KH_EINVAL;
		}
		return KH_OK;
	}
	if (n > 1000) {
		*why = "is too long";
		return KH_EINVAL;
	}
	const char *s = text;
	if (f->type == KH_T_DATE || f->type == KH_T_DATETIME || f->type == KH_T_ENUM) {
		/* A date filter may compare a date-time column with a bare date. */
		int64_t us;
		if (f->type == KH_T_DATETIME && kh_date_valid(s, n)) {
			;
		} else if (f->type == KH_T_DATETIME && kh_time_parse(s, n, &us) == 0) {
			char *norm = kh_arena_alloc(a, KH_TIME_LEN);
			if (!norm)
				return KH_ENOMEM;
			kh_time_format(us, norm);
			s = norm;
			n = strlen(norm);
		} else if ((*why = check_string(f, &s, &n, a)) != NULL) {
			return KH_EINVAL;
		}
	}
	char *copy = kh_arena_strndup(a, s, n);
	if (!copy)
		return KH_ENOMEM;
	*out = (struct kh_val){.t = KH_V_TEXT, .s = copy, .n = n};
	return KH_OK;
}

enum kh_err kh_json_parse_object(const char *body, size_t len, json_t **out, struct kh_errinfo *ei)
{
	*out = NULL;
	if (len == 0)
		return kh_errinfo_set(ei, KH_EJSON, "the request body is empty; a JSON object is expected");
	if (!kh_utf8_valid(body, len))
		return kh_errinfo_set(ei, KH_EJSON, "the request body is not valid UTF-8");
	/* Refuse deep nesting before the parser recurses into it. */
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = body[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > KH_JSON_MAX_DEPTH)
				return kh_errinfo_set(ei, KH_EJSON, "JSON nested deeper than %d levels",
						      KH_JSON_MAX_DEPTH);
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	json_error_t jerr;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return kh_errinfo_set(ei, KH_EJSON, "malformed JSON at line %d, column %d: %s", jerr.line,
				      jerr.column, jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return kh_errinfo_set(ei, KH_EJSON, "the body must be a JSON object");
	}
	*out = j;
	return KH_OK;
}

int kh_json_members_only(json_t *obj, const char *names, struct kh_errinfo *ei)
{
	int unknown = 0;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (kh_words_has(names, key))
			continue;
		struct kh_buf list = KH_BUF_INIT;
		kh_words_join(names, ", ", &list);
		kh_errinfo_field(ei, key, "unknown member (%s)", list.data ? list.data : "");
		kh_buf_release(&list);
		unknown++;
	}
	return unknown;
}
