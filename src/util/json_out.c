#include "util/json_out.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void kh_jw_init(struct kh_jw *w, struct kh_buf *b)
{
	w->b = b;
	w->depth = 0;
	w->after_key = 0;
	w->nonempty = 0;
}

/* Writes the separator that must come before a value or key at this level. */
void kh_jw_sep(struct kh_jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0)
		return;
	uint64_t bit = (uint64_t)1 << (w->depth - 1);
	if (w->nonempty & bit)
		kh_buf_addc(w->b, ',');
	else
		w->nonempty |= bit;
}

static void jw_open(struct kh_jw *w, char c)
{
	kh_jw_sep(w);
	kh_buf_addc(w->b, c);
	if (w->depth >= KH_JW_MAX_DEPTH) {
		w->b->err = KH_EINTERNAL;
		return;
	}
	w->depth++;
	w->nonempty &= ~((uint64_t)1 << (w->depth - 1));
}

static void jw_close(struct kh_jw *w, char c)
{
	if (w->depth == 0) { /* more closes than opens: a bug in the caller */
		w->b->err = KH_EINTERNAL;
		return;
	}
	w->depth--;
	w->after_key = 0;
	kh_buf_addc(w->b, c);
}

void kh_jw_obj(struct kh_jw *w) { jw_open(w, '{'); }
void kh_jw_obj_end(struct kh_jw *w) { jw_close(w, '}'); }
void kh_jw_arr(struct kh_jw *w) { jw_open(w, '['); }
void kh_jw_arr_end(struct kh_jw *w) { jw_close(w, ']'); }

void kh_json_quote(struct kh_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	/* Room for the common case (nothing to escape) in one step; escapes grow it. */
	if (kh_buf_grow(b, n + 2))
		return;
	b->data[b->len++] = '"';
	size_t run = 0; /* start of the pending run of bytes that need no escape */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		kh_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': kh_buf_add(b, "\\\"", 2); break;
		case '\\': kh_buf_add(b, "\\\\", 2); break;
		case '\n': kh_buf_add(b, "\\n", 2); break;
		case '\r': kh_buf_add(b, "\\r", 2); break;
		case '\t': kh_buf_add(b, "\\t", 2); break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			kh_buf_add(b, u, 6);
		}
		}
	}
	kh_buf_add(b, s + run, n - run);
	kh_buf_addc(b, '"');
}

void kh_jw_key(struct kh_jw *w, const char *key)
{
	kh_jw_sep(w);
	kh_json_quote(w->b, key, strlen(key));
	kh_buf_addc(w->b, ':');
	w->after_key = 1;
}

void kh_jw_key_raw(struct kh_jw *w, const char *quoted, size_t n)
{
	kh_jw_sep(w);
	kh_buf_add(w->b, quoted, n);
	w->after_key = 1;
}

void kh_jw_strn(struct kh_jw *w, const char *s, size_t n)
{
	kh_jw_sep(w);
	kh_json_quote(w->b, s, n);
}

void kh_jw_str(struct kh_jw *w, const char *s)
{
	if (!s) {
		kh_jw_null(w);
		return;
	}
	kh_jw_strn(w, s, strlen(s));
}

void kh_jw_int(struct kh_jw *w, int64_t v)
{
	kh_jw_sep(w);
	kh_buf_add_int(w->b, v);
}

void kh_json_double(struct kh_buf *b, double v)
{
	if (!isfinite(v)) { /* JSON has no NaN or infinity */
		kh_buf_add(b, "null", 4);
		return;
	}
	/* %.17g round-trips every double; shorter forms are tried first so that
	 * 0.1 prints as 0.1 and not 0.10000000000000001. */
	char tmp[32];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		double back;
		if (sscanf(tmp, "%lg", &back) == 1 && back == v)
			break;
	}
	kh_buf_adds(b, tmp);
}

void kh_jw_double(struct kh_jw *w, double v)
{
	kh_jw_sep(w);
	kh_json_double(w->b, v);
}

void kh_jw_bool(struct kh_jw *w, int v)
{
	kh_jw_sep(w);
	if (v)
		kh_buf_add(w->b, "true", 4);
	else
		kh_buf_add(w->b, "false", 5);
}

void kh_jw_null(struct kh_jw *w)
{
	kh_jw_sep(w);
	kh_buf_add(w->b, "null", 4);
}

void kh_jw_raw(struct kh_jw *w, const char *json, size_t n)
{
	kh_jw_sep(w);
	kh_buf_add(w->b, json, n);
}
