/* Loading the analytics dataset, or a table of survey answers, from a CSV
 * file (analytics.h). The reader (util/csv.h) finds the encoding and the
 * delimiter; the columns are found by their header names. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/analytics.h"
#include "util/clock.h"
#include "util/csv.h"

/* A day from "YYYY-MM-DD", "YYYY/MM/DD" or "YYYYMMDD", with anything after
 * it (a time) ignored. 0 and *day set, or -1. */
int kh_an_parse_day(const char *s, size_t n, int32_t *day)
{
	char iso[11];
	if (n >= 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4]) {
		memcpy(iso, s, 10);
		iso[4] = iso[7] = '-';
	} else if (n >= 8 && (n == 8 || s[8] == ' ' || s[8] == 'T')) {
		memcpy(iso, s, 4);
		iso[4] = '-';
		memcpy(iso + 5, s + 4, 2);
		iso[7] = '-';
		memcpy(iso + 8, s + 6, 2);
	} else {
		return -1;
	}
	iso[10] = '\0';
	if (!kh_date_valid(iso, 10))
		return -1;
	*day = (int32_t)kh_date_days(iso);
	return 0;
}

/* A number, all of the field (spaces around it allowed). */
static int parse_number(const char *s, double *v)
{
	char *end;
	while (*s == ' ')
		s++;
	if (!*s)
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	while (*end == ' ')
		end++;
	return *end || errno || !isfinite(*v) ? -1 : 0;
}

static int find_col(const struct kh_row *hdr, const char *name)
{
	for (int i = 0; i < hdr->n; i++) {
		const char *h = hdr->f[i];
		if (i == 0 && !strncmp(h, "\xef\xbb\xbf", 3))
			h += 3;
		if (!strcmp(h, name))
			return i;
	}
	return -1;
}

/* Column options: a name, or "A*B" for the product of two columns (quantity
 * times unit price). */
struct colspec {
	int a, b; /* b = -1 for a single column */
};

static int resolve(const struct kh_row *hdr, const char *spec, struct colspec *c, char *msg, size_t msglen,
		   const char *what)
{
	const char *star = strchr(spec, '*');
	c->b = -1;
	if (star) {
		char left[256];
		snprintf(left, sizeof left, "%.*s", (int)(star - spec), spec);
		c->a = find_col(hdr, left);
		c->b = find_col(hdr, star + 1);
		if (c->a < 0 || c->b < 0) {
			snprintf(msg, msglen, "the %s column '%s' is not in the header", what, c->a < 0 ? left : star + 1);
			return -1;
		}
		return 0;
	}
	c->a = find_col(hdr, spec);
	if (c->a < 0) {
		snprintf(msg, msglen, "the %s column '%s' is not in the header", what, spec);
		return -1;
	}
	return 0;
}

enum kh_err kh_an_load_csv(FILE *f, const struct kh_an_csv_cols *cols, struct kh_an_data *d,
			   void (*progress)(void *cls, size_t done, size_t total), void *cls, size_t total_bytes,
			   char *msg, size_t msglen)
{
	kh_an_data_init(d);
	if (!d->priv)
		return KH_ENOMEM;
	struct kh_csv_opts co = {.delim = cols->delim};
	struct kh_table *t = kh_csv_open(kh_src_file(f), &co, msg, msglen);
	if (!t) {
		kh_an_data_release(d);
		return KH_EINVAL;
	}
	struct kh_row row;
	enum kh_err err = KH_OK;
	if (kh_table_next(t, &row) != 1) {
		snprintf(msg, msglen, "the file has no header row");
		kh_table_free(t);
		kh_an_data_release(d);
		return KH_EINVAL;
	}
	struct colspec cu, da, am, orr = {-1, -1}, pr = {-1, -1}, co2 = {-1, -1};
	if (resolve(&row, cols->customer, &cu, msg, msglen, "customer") ||
	    resolve(&row, cols->date, &da, msg, msglen, "date") || resolve(&row, cols->amount, &am, msg, msglen, "amount") ||
	    (cols->order && resolve(&row, cols->order, &orr, msg, msglen, "order") && !cols->optional_order) ||
	    (cols->product && resolve(&row, cols->product, &pr, msg, msglen, "product") && !cols->optional_product) ||
	    (cols->cost && resolve(&row, cols->cost, &co2, msg, msglen, "cost"))) {
		kh_table_free(t);
		kh_an_data_release(d);
		return KH_EINVAL;
	}
	d->has_order = orr.a >= 0;
	d->has_product = pr.a >= 0;
	d->has_cogs = co2.a >= 0;
	size_t rows = 0;
	int rc;
	while ((rc = kh_table_next(t, &row)) == 1) {
		if (progress && ++rows % 100000 == 0)
			progress(cls, (size_t)t->bytes_read, total_bytes);
		int need = cu.a;
		if (da.a > need)
			need = da.a;
		if (am.a > need)
			need = am.a;
		if (am.b > need)
			need = am.b;
		if (orr.a > need)
			need = orr.a;
		if (pr.a > need)
			need = pr.a;
		if (co2.a > need)
			need = co2.a;
		if (co2.b > need)
			need = co2.b;
		int32_t day;
		double amount, x;
		if (row.n <= need || row.len[cu.a] == 0 || kh_an_parse_day(row.f[da.a], row.len[da.a], &day) ||
		    parse_number(row.f[am.a], &amount) || (am.b >= 0 && parse_number(row.f[am.b], &x))) {
			d->skipped++;
			continue;
		}
		if (am.b >= 0)
			amount *= x;
		double cost = 0;
		if (co2.a >= 0) {
			if (parse_number(row.f[co2.a], &cost) || (co2.b >= 0 && parse_number(row.f[co2.b], &x))) {
				d->skipped++;
				continue;
			}
			if (co2.b >= 0)
				cost *= x;
		}
		int64_t c = kh_an_customer_key(d, row.f[cu.a], row.len[cu.a]);
		int64_t o = orr.a >= 0 ? kh_an_order_key(d, row.f[orr.a], row.len[orr.a]) : 0;
		int64_t p = pr.a >= 0 ? kh_an_product_key(d, row.f[pr.a], row.len[pr.a]) : 0;
		if (c < 0 || o == INT64_MIN || p < 0 || kh_an_add_line(d, (uint32_t)c, day, amount, o, p, cost)) {
			err = KH_ENOMEM;
			break;
		}
	}
	if (rc < 0 && !err) {
		snprintf(msg, msglen, "%s", t->err);
		err = KH_EINVAL;
	}
	if (progress)
		progress(cls, total_bytes, total_bytes);
	kh_table_free(t);
	if (!err && d->n == 0) {
		snprintf(msg, msglen, "no row has a customer, a date (YYYY-MM-DD) and a numeric amount");
		err = KH_EINVAL;
	}
	if (err == KH_ENOMEM)
		snprintf(msg, msglen, "out of memory");
	if (err)
		kh_an_data_release(d);
	return err;
}

enum kh_err kh_an_load_table(FILE *f, char delim, struct kh_an_table *tb, char *msg, size_t msglen)
{
	memset(tb, 0, sizeof(*tb));
	struct kh_csv_opts co = {.delim = delim};
	struct kh_table *t = kh_csv_open(kh_src_file(f), &co, msg, msglen);
	if (!t)
		return KH_EINVAL;
	struct kh_row row;
	enum kh_err err = KH_OK;
	if (kh_table_next(t, &row) != 1 || row.n < 1) {
		snprintf(msg, msglen, "the file has no header row");
		kh_table_free(t);
		return KH_EINVAL;
	}
	tb->ncol = (size_t)row.n;
	tb->names = calloc(tb->ncol, sizeof(char *));
	if (!tb->names)
		err = KH_ENOMEM;
	for (size_t i = 0; !err && i < tb->ncol; i++) {
		const char *h = row.f[i];
		if (i == 0 && !strncmp(h, "\xef\xbb\xbf", 3))
			h += 3;
		if (!(tb->names[i] = strdup(h)))
			err = KH_ENOMEM;
	}
	size_t cap = 0;
	int rc = 0;
	while (!err && (rc = kh_table_next(t, &row)) == 1) {
		if (row.n == 1 && row.len[0] == 0)
			continue; /* a blank line */
		if (tb->nrow == cap) {
			cap = cap ? 2 * cap : 256;
			double *x = realloc(tb->x, cap * tb->ncol * sizeof(double));
			if (!x) {
				err = KH_ENOMEM;
				break;
			}
			tb->x = x;
		}
		double *r = tb->x + tb->nrow * tb->ncol;
		for (size_t i = 0; i < tb->ncol; i++)
			if ((int)i >= row.n || parse_number(row.f[i], &r[i]))
				r[i] = NAN; /* missing: the analysis drops the row if it needs the item */
		tb->nrow++;
	}
	if (rc < 0 && !err) {
		snprintf(msg, msglen, "%s", t->err);
		err = KH_EINVAL;
	}
	kh_table_free(t);
	if (err) {
		if (err == KH_ENOMEM)
			snprintf(msg, msglen, "out of memory");
		kh_an_table_release(tb);
	}
	return err;
}

void kh_an_table_release(struct kh_an_table *tb)
{
	for (size_t i = 0; tb->names && i < tb->ncol; i++)
		free(tb->names[i]);
	free(tb->names);
	free(tb->x);
	memset(tb, 0, sizeof(*tb));
}
