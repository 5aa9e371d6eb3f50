/* PLS path models: the built-in ACSI and ECSI models, the model check, and the
 * parser of user-defined models in lavaan syntax. See pls.h. */
#include "analytics/pls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ECSI as Tenenhaus et al. (2005) estimate it on the mobi data, and as semPLS
 * ships it (ECSImobi). The items of each block are adjacent, in block order. */
static const char *const ecsi_lv[] = {
	"Image", "Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty",
};
static const char *const ecsi_mv[] = {
	"IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5",
	"CUEX1", "CUEX2", "CUEX3",
	"PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7",
	"PERV1", "PERV2",
	"CUSA1", "CUSA2", "CUSA3",
	"CUSCO",
	"CUSL1", "CUSL2", "CUSL3",
};
static const size_t ecsi_mv_lv[] = {
	0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 6,
};
enum { IMA, EXP, QUA, VAL, SAT, COM, LOY };
static const struct kh_pls_path ecsi_path[] = {
	{IMA, EXP}, {IMA, SAT}, {IMA, LOY},
	{EXP, QUA}, {EXP, VAL}, {EXP, SAT},
	{QUA, VAL}, {QUA, SAT},
	{VAL, SAT},
	{SAT, COM}, {SAT, LOY},
	{COM, LOY},
};

/* ACSI (Fornell et al. 1996) is ECSI without Image; it reuses the tables
 * above from their second LV and sixth item on, with LV indexes one lower. */
static const size_t acsi_mv_lv[] = {
	0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 5,
};
static const struct kh_pls_path acsi_path[] = {
	{EXP - 1, QUA - 1}, {EXP - 1, VAL - 1}, {EXP - 1, SAT - 1},
	{QUA - 1, VAL - 1}, {QUA - 1, SAT - 1},
	{VAL - 1, SAT - 1},
	{SAT - 1, COM - 1}, {SAT - 1, LOY - 1},
	{COM - 1, LOY - 1},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct kh_pls_model ecsi = {
	COUNT(ecsi_lv), ecsi_lv, COUNT(ecsi_mv), ecsi_mv, ecsi_mv_lv,
	COUNT(ecsi_path), ecsi_path, NULL,
};
static const struct kh_pls_model acsi = {
	COUNT(ecsi_lv) - 1, ecsi_lv + 1, COUNT(ecsi_mv) - 5, ecsi_mv + 5, acsi_mv_lv,
	COUNT(acsi_path), acsi_path, NULL,
};

const struct kh_pls_model *kh_pls_model_builtin(const char *name)
{
	if (name && !strcmp(name, "ecsi"))
		return &ecsi;
	if (name && !strcmp(name, "acsi"))
		return &acsi;
	return NULL;
}

/* Writes a message into err (if any) and returns KH_EINVAL. */
__attribute__((format(printf, 3, 4)))
static enum kh_err fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return KH_EINVAL;
}

/* The checks of kh_pls_model_check, with a message for the parser. */
static enum kh_err check(const struct kh_pls_model *m, char *err, size_t errlen)
{
	size_t q = m->n_lv;
	enum kh_err e = KH_OK;
	size_t *items = NULL, *indeg = NULL, *paths = NULL;

	if (!q || q > KH_PLS_MAX_LV || !m->n_mv || m->n_mv > KH_PLS_MAX_MV || !m->n_path ||
	    !m->lv_name || !m->mv_name || !m->mv_lv || !m->path)
		return fail(err, errlen, "a model needs 1 to %d latent variables, 1 to %d items "
			    "and at least one path", KH_PLS_MAX_LV, KH_PLS_MAX_MV);
	items = calloc(q, sizeof(size_t));
	paths = calloc(q, sizeof(size_t));
	indeg = calloc(q, sizeof(size_t));
	if (!items || !paths || !indeg) {
		e = KH_ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < m->n_mv; k++) {
		if (m->mv_lv[k] >= q) {
			e = fail(err, errlen, "item %zu measures no latent variable", k);
			goto out;
		}
		items[m->mv_lv[k]]++;
	}
	for (size_t t = 0; t < m->n_path; t++) {
		const struct kh_pls_path *a = &m->path[t];

		if (a->from >= q || a->to >= q || a->from == a->to) {
			e = fail(err, errlen, "path %zu is not between two latent variables", t);
			goto out;
		}
		for (size_t u = 0; u < t; u++)
			if (m->path[u].from == a->from && m->path[u].to == a->to) {
				e = fail(err, errlen, "the path %s -> %s is given twice",
					 m->lv_name[a->from], m->lv_name[a->to]);
				goto out;
			}
		paths[a->from]++;
		paths[a->to]++;
		indeg[a->to]++;
	}
	for (size_t i = 0; i < q; i++) {
		if (!items[i]) {
			e = fail(err, errlen, "%s has no items", m->lv_name[i]);
			goto out;
		}
		if (!paths[i]) {
			e = fail(err, errlen, "%s is on no path", m->lv_name[i]);
			goto out;
		}
	}
	/* Acyclic: remove LVs without incoming paths until none is left (Kahn);
	 * if some remain, they lie on a cycle. items[] now marks removed LVs. */
	memset(items, 0, q * sizeof(size_t));
	for (size_t removed = 0, progress = 1; progress;) {
		progress = 0;
		for (size_t i = 0; i < q; i++) {
			if (items[i] || indeg[i])
				continue;
			items[i] = 1;
			removed++;
			progress = 1;
			for (size_t t = 0; t < m->n_path; t++)
				if (m->path[t].from == i)
					indeg[m->path[t].to]--;
		}
		if (removed == q)
			break;
	}
	for (size_t i = 0; i < q; i++)
		if (!items[i]) {
			e = fail(err, errlen, "the paths form a cycle through %s", m->lv_name[i]);
			goto out;
		}
out:
	free(items);
	free(paths);
	free(indeg);
	return e;
}

enum kh_err kh_pls_model_check(const struct kh_pls_model *m)
{
	return m ? check(m, NULL, 0) : KH_EINVAL;
}

enum kh_err kh_pls_model_columns(const struct kh_pls_model *m, const char *const *names,
				 size_t n_names, size_t *col)
{
	enum kh_err e = KH_OK;

	for (size_t k = 0; k < m->n_mv; k++) {
		col[k] = SIZE_MAX;
		for (size_t c = 0; c < n_names; c++)
			if (names[c] && !strcmp(names[c], m->mv_name[k])) {
				col[k] = c;
				break;
			}
		if (col[k] == SIZE_MAX)
			e = KH_ENOTFOUND;
	}
	return e;
}

/* The memory of a parsed model, which the public struct points into. */
struct owned {
	char **lv, **mv;
	size_t *mv_lv;
	struct kh_pls_path *path;
	size_t n_lv, n_mv, n_path;
	size_t cap_lv, cap_mv, cap_mv_lv, cap_path;
};

static void owned_free(struct owned *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n_lv; i++)
		free(o->lv[i]);
	for (size_t k = 0; k < o->n_mv; k++)
		free(o->mv[k]);
	free(o->lv);
	free(o->mv);
	free(o->mv_lv);
	free(o->path);
	free(o);
}

void kh_pls_model_release(struct kh_pls_model *m)
{
	owned_free(m->owned);
	memset(m, 0, sizeof(*m));
}

/* Makes room for element n of an array of *cap elements of the given size,
 * doubling it (from 8) when full. Returns the array, moved or not, or NULL
 * when memory runs out (the old array is then still valid). */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? 2 * *cap : 8;

	if (n < *cap)
		return arr;
	arr = realloc(arr, ncap * size);
	if (arr)
		*cap = ncap;
	return arr;
}

static size_t find(char *const *names, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(names[i], s, len) && names[i][len] == '\0')
			return i;
	return SIZE_MAX;
}

/* The lexer: a position in the text and its line number for messages. */
struct lex {
	const char *p, *end;
	size_t line;
};

#define MAX_NAME 255

static void skip_blanks(struct lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\r'))
		l->p++;
}

static int is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '.';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* After an operator or a '+' the statement goes on, as in lavaan, so blank
 * lines, comments and line ends are skipped there. */
static void skip_continuation(struct lex *l)
{
	for (;;) {
		skip_blanks(l);
		if (l->p < l->end && *l->p == '#')
			while (l->p < l->end && *l->p != '\n')
				l->p++;
		if (l->p < l->end && *l->p == '\n') {
			l->line++;
			l->p++;
			continue;
		}
		return;
	}
}

/* Reads a name at the position; 0 on success. */
static int read_name(struct lex *l, const char **s, size_t *len)
{
	skip_blanks(l);
	if (l->p >= l->end || !is_name_start(*l->p))
		return -1;
	*s = l->p;
	while (l->p < l->end && is_name_char(*l->p))
		l->p++;
	*len = (size_t)(l->p - *s);
	return *len > MAX_NAME ? -1 : 0;
}

/* What the character at the position is, for messages. */
static const char *here(const struct lex *l)
{
	if (l->p >= l->end)
		return "the end of the text";
	if (*l->p == '\n')
		return "the end of the line";
	return "an unexpected character";
}

enum op { MEASURE, REGRESS };

/* One pass over the text. Pass 0 checks the syntax and declares LVs and their
 * items; pass 1 adds the paths, when every LV is known. */
static enum kh_err parse_pass(struct owned *o, const char *text, size_t len, int pass, char *err,
			      size_t errlen)
{
	struct lex l = {text, text + len, 1};

	while (l.p < l.end) {
		const char *lhs, *rhs;
		size_t lhs_len, rhs_len, lv = SIZE_MAX;
		enum op op;

		skip_blanks(&l);
		if (l.p < l.end && *l.p == '#')
			while (l.p < l.end && *l.p != '\n')
				l.p++;
		if (l.p < l.end && (*l.p == '\n' || *l.p == ';')) {
			l.line += *l.p++ == '\n';
			continue;
		}
		if (l.p >= l.end)
			break;
		if (read_name(&l, &lhs, &lhs_len))
			return fail(err, errlen, "line %zu: expected a name (letters, digits, '_', "
				    "'.', at most %d) at the start of the statement", l.line, MAX_NAME);
		skip_blanks(&l);
		if (l.end - l.p >= 2 && l.p[0] == '=' && l.p[1] == '~') {
			op = MEASURE;
			l.p += 2;
		} else if (l.p < l.end && l.p[0] == '~' && !(l.end - l.p >= 2 && l.p[1] == '~')) {
			op = REGRESS;
			l.p += 1;
		} else {
			return fail(err, errlen, "line %zu: expected '=~' (items) or '~' (paths) after "
				    "%.*s; other lavaan operators are not supported", l.line,
				    (int)lhs_len, lhs);
		}
		if (pass == 0 && op == MEASURE) {
			lv = find(o->lv, o->n_lv, lhs, lhs_len);
			if (find(o->mv, o->n_mv, lhs, lhs_len) != SIZE_MAX)
				return fail(err, errlen, "line %zu: %.*s is an item, not a latent variable",
					    l.line, (int)lhs_len, lhs);
			if (lv == SIZE_MAX) {
				if (o->n_lv >= KH_PLS_MAX_LV)
					return fail(err, errlen, "line %zu: more than %d latent variables",
						    l.line, KH_PLS_MAX_LV);
				void *t = grow(o->lv, &o->cap_lv, o->n_lv, sizeof(char *));

				if (!t)
					return KH_ENOMEM;
				o->lv = t;
				o->lv[o->n_lv] = strndup(lhs, lhs_len);
				if (!o->lv[o->n_lv])
					return KH_ENOMEM;
				lv = o->n_lv++;
			}
		}
		if (pass == 1 && op == REGRESS) {
			lv = find(o->lv, o->n_lv, lhs, lhs_len);
			if (lv == SIZE_MAX)
				return fail(err, errlen, "line %zu: %.*s is not declared with '=~'",
					    l.line, (int)lhs_len, lhs);
		}
		for (;;) {
			skip_continuation(&l);
			if (read_name(&l, &rhs, &rhs_len))
				return fail(err, errlen, "line %zu: expected a name after %s", l.line,
					    op == MEASURE ? "'=~' or '+'" : "'~' or '+'");
			if (pass == 0 && op == MEASURE) {
				if (find(o->mv, o->n_mv, rhs, rhs_len) != SIZE_MAX)
					return fail(err, errlen, "line %zu: item %.*s is listed twice",
						    l.line, (int)rhs_len, rhs);
				if (find(o->lv, o->n_lv, rhs, rhs_len) != SIZE_MAX)
					return fail(err, errlen, "line %zu: %.*s is a latent variable, "
						    "not an item", l.line, (int)rhs_len, rhs);
				if (o->n_mv >= KH_PLS_MAX_MV)
					return fail(err, errlen, "line %zu: more than %d items", l.line,
						    KH_PLS_MAX_MV);
				void *t = grow(o->mv, &o->cap_mv, o->n_mv, sizeof(char *));

				if (!t)
					return KH_ENOMEM;
				o->mv = t;
				t = grow(o->mv_lv, &o->cap_mv_lv, o->n_mv, sizeof(size_t));
				if (!t)
					return KH_ENOMEM;
				o->mv_lv = t;
				o->mv[o->n_mv] = strndup(rhs, rhs_len);
				if (!o->mv[o->n_mv])
					return KH_ENOMEM;
				o->mv_lv[o->n_mv++] = lv;
			}
			if (pass == 1 && op == REGRESS) {
				size_t from = find(o->lv, o->n_lv, rhs, rhs_len);
				void *t;

				if (from == SIZE_MAX)
					return fail(err, errlen, "line %zu: %.*s is not declared with '=~'",
						    l.line, (int)rhs_len, rhs);
				t = grow(o->path, &o->cap_path, o->n_path, sizeof(*o->path));
				if (!t)
					return KH_ENOMEM;
				o->path = t;
				o->path[o->n_path].from = from;
				o->path[o->n_path].to = lv;
				o->n_path++;
			}
			skip_blanks(&l);
			if (l.p < l.end && *l.p == '+') {
				l.p++;
				continue;
			}
			break;
		}
		if (l.p < l.end && *l.p != '\n' && *l.p != ';' && *l.p != '#')
			return fail(err, errlen, "line %zu: expected '+', ';' or the end of the line, "
				    "found %s", l.line, here(&l));
	}
	return KH_OK;
}

enum kh_err kh_pls_model_parse(const char *text, size_t len, struct kh_pls_model *m, char *err,
			       size_t errlen)
{
	struct owned *o;
	enum kh_err e;

	memset(m, 0, sizeof(*m));
	if (err && errlen)
		err[0] = '\0';
	if (!text)
		return fail(err, errlen, "no model text");
	o = calloc(1, sizeof(*o));
	if (!o)
		return KH_ENOMEM;
	e = parse_pass(o, text, len, 0, err, errlen);
	if (!e)
		e = parse_pass(o, text, len, 1, err, errlen);
	if (e)
		goto out;
	m->n_lv = o->n_lv;
	m->lv_name = (const char *const *)o->lv;
	m->n_mv = o->n_mv;
	m->mv_name = (const char *const *)o->mv;
	m->mv_lv = o->mv_lv;
	m->n_path = o->n_path;
	m->path = o->path;
	m->owned = o;
	e = check(m, err, errlen);
out:
	if (e) {
		if (e == KH_ENOMEM)
			fail(err, errlen, "out of memory");
		memset(m, 0, sizeof(*m));
		owned_free(o);
	}
	return e;
}
