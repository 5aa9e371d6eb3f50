#include "domain/calendar.h"

#include <stdlib.h>
#include <string.h>

#include "domain/service.h"
#include "domain/write.h"
#include "util/clock.h"

#define DAY_S 86400
#define US 1000000LL
#define MAX_DAYS (3660) /* ten years: a calendar with no working time ends the search */

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int parse_day(const char **p)
{
	for (int d = 0; d < 7; d++)
		if (!strncmp(*p, day_names[d], 3)) {
			*p += 3;
			return d;
		}
	return -1;
}

/* "HH:MM" -> seconds since midnight; 24:00 is allowed as an end. */
static int parse_clock(const char **p)
{
	const char *s = *p;
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ':' || s[3] < '0' || s[3] > '5' ||
	    s[4] < '0' || s[4] > '9')
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || (h == 24 && m))
		return -1;
	*p += 5;
	return h * 3600 + m * 60;
}

static void skip_space(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

int kh_bcal_parse_hours(struct kh_bcal *c, const char *spec, const char **why)
{
	memset(c->nint, 0, sizeof c->nint);
	c->always = 0;
	c->template_day = -1;
	const char *p = spec;
	skip_space(&p);
	if (!strcmp(p, "24x7")) {
		c->always = 1;
		c->template_day = 0;
		return 0;
	}
	while (*p) {
		int days[7] = {0};
		/* The days of this group. */
		for (;;) {
			int a = parse_day(&p), b = a;
			if (a < 0) {
				*why = "expected days such as mon-fri or sat,sun";
				return -1;
			}
			if (*p == '-') {
				p++;
				if ((b = parse_day(&p)) < 0) {
					*why = "expected a day after -";
					return -1;
				}
			}
			for (int d = a;; d = (d + 1) % 7) {
				days[d] = 1;
				if (d == b)
					break;
			}
			if (*p != ',')
				break;
			p++;
		}
		skip_space(&p);
		/* Its intervals. */
		int n = 0;
		struct {
			int from, to;
		} iv[KH_BCAL_MAX_INTERVALS];
		while (*p && *p != ';') {
			int from = parse_clock(&p), to = -1;
			if (from >= 0 && *p == '-') {
				p++;
				to = parse_clock(&p);
			}
			if (from < 0 || to < 0 || to <= from) {
				*why = "expected hours such as 09:00-18:00 (start before end)";
				return -1;
			}
			if (n && from < iv[n - 1].to) {
				*why = "hours must be in order and must not overlap";
				return -1;
			}
			if (n == KH_BCAL_MAX_INTERVALS) {
				*why = "at most 6 intervals a day";
				return -1;
			}
			iv[n].from = from, iv[n].to = to;
			n++;
			skip_space(&p);
			if (*p == ',') {
				p++;
				skip_space(&p);
			}
		}
		if (!n) {
			*why = "a group of days needs its hours, such as mon-fri 09:00-18:00";
			return -1;
		}
		for (int d = 0; d < 7; d++) {
			if (!days[d])
				continue;
			if (c->nint[d]) {
				*why = "a day appears in two groups";
				return -1;
			}
			c->nint[d] = n;
			memcpy(c->iv[d], iv, sizeof iv[0] * (size_t)n);
		}
		if (*p == ';')
			p++;
		skip_space(&p);
	}
	for (int d = 0; d < 7 && c->template_day < 0; d++)
		if (c->nint[d])
			c->template_day = d;
	if (c->template_day < 0) {
		*why = "no working hours given";
		return -1;
	}
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The weekday that sets the hours of local day `day`: -1 for a day off. */
static int hours_of(const struct kh_bcal *c, int64_t day)
{
	int lo = 0, hi = c->nspecial - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (c->special[mid].day == day)
			return c->special[mid].workday ? c->template_day : -1;
		if (c->special[mid].day < day)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	int wd = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
	return c->nint[wd] ? wd : -1;
}

int64_t kh_bcal_add(const struct kh_bcal *c, int64_t start_us, int64_t seconds)
{
	if (seconds <= 0)
		return start_us;
	if (c->always)
		return start_us + seconds * US;
	int64_t local = start_us + (int64_t)c->offset_s * US;
	int64_t day = floor_div(local, DAY_S * US);
	int64_t into = local - day * DAY_S * US; /* microseconds into the first day */
	int64_t left = seconds * US;
	for (int i = 0; i < MAX_DAYS; i++, day++, into = 0) {
		int wd = hours_of(c, day);
		for (int k = 0; wd >= 0 && k < c->nint[wd]; k++) {
			int64_t from = c->iv[wd][k].from * US, to = c->iv[wd][k].to * US;
			if (into > from)
				from = into;
			if (from >= to)
				continue;
			if (to - from >= left)
				return day * DAY_S * US + from + left - (int64_t)c->offset_s * US;
			left -= to - from;
		}
	}
	return INT64_MAX;
}

int64_t kh_bcal_between(const struct kh_bcal *c, int64_t from_us, int64_t to_us)
{
	if (to_us <= from_us)
		return 0;
	if (c->always)
		return (to_us - from_us) / US;
	int64_t off = (int64_t)c->offset_s * US;
	int64_t day = floor_div(from_us + off, DAY_S * US), last = floor_div(to_us + off, DAY_S * US);
	int64_t total = 0;
	for (; day <= last; day++) {
		int wd = hours_of(c, day);
		int64_t base = day * DAY_S * US - off;
		for (int k = 0; wd >= 0 && k < c->nint[wd]; k++) {
			int64_t a = base + c->iv[wd][k].from * US, b = base + c->iv[wd][k].to * US;
			if (a < from_us)
				a = from_us;
			if (b > to_us)
				b = to_us;
			if (b > a)
				total += b - a;
		}
	}
	return total / US;
}

int kh_bcal_open_at(const struct kh_bcal *c, int64_t at_us)
{
	return kh_bcal_between(c, at_us, at_us + US) > 0;
}

enum kh_err kh_bcal_load(struct kh_db *db, int64_t id, struct kh_arena *a, struct kh_bcal *c)
{
	memset(c, 0, sizeof *c);
	if (id <= 0) {
		c->always = 1;
		return KH_OK;
	}
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db, "SELECT hours, utc_offset_minutes FROM service_calendars WHERE id = $1", &p, 1,
				      &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows);
	const char *why = NULL;
	if (rc > 0) {
		struct kh_val h = kh_rows_col(db, rows, 0), o = kh_rows_col(db, rows, 1);
		c->offset_s = o.t == KH_V_INT ? (int)o.i * 60 : 8 * 3600;
		if (h.t != KH_V_TEXT || kh_bcal_parse_hours(c, h.s, &why))
			c->always = 1; /* validated on write; an old bad row counts every hour */
	}
	kh_rows_end(db, rows);
	if (rc < 0)
		return (enum kh_err) - rc;
	if (rc == 0)
		return KH_ENOTFOUND;
	int64_t n = 0;
	if ((err = kh_db_int(db, "SELECT count(*) FROM calendar_days WHERE calendar_id = $1 AND archived_at IS NULL",
			     &p, 1, &n)))
		return err;
	struct kh_bcal_day *days = n ? kh_arena_calloc(a, (size_t)n, sizeof *days) : NULL;
	if (n && !days)
		return KH_ENOMEM;
	err = kh_db_query(db,
			  "SELECT date, kind FROM calendar_days WHERE calendar_id = $1 AND archived_at IS NULL "
			  "ORDER BY date",
			  &p, 1, &rows);
	if (err)
		return err;
	int k = 0;
	while (k < n && (rc = kh_rows_next(db, rows)) > 0) {
		struct kh_val d = kh_rows_col(db, rows, 0), kind = kh_rows_col(db, rows, 1);
		if (d.t != KH_V_TEXT || !kh_date_valid(d.s, d.n))
			continue;
		days[k].day = (int32_t)kh_date_days(d.s);
		days[k].workday = kind.t == KH_V_TEXT && !strcmp(kind.s, "workday");
		k++;
	}
	kh_rows_end(db, rows);
	c->special = days;
	c->nspecial = k;
	return rc < 0 ? (enum kh_err) - rc : KH_OK;
}

/* ---- rules of the calendar entities ---- */

enum kh_err kh_calendar_before_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	const struct kh_val *h = kh_write_get(w, "hours");
	if (!kh_write_changes(w, "hours") || h->t != KH_V_TEXT)
		return KH_OK;
	struct kh_bcal c;
	const char *why = NULL;
	if (kh_bcal_parse_hours(&c, h->s, &why))
		kh_errinfo_field(w->ctx->ei, "hours", "%s", why);
	return w->ctx->ei->code;
}

/* One entry per calendar and date: a day is either off or worked. */
enum kh_err kh_calendar_day_before_write(struct kh_write *w)
{
	if ((w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE && w->op != KH_OP_RESTORE) || w->ctx->bulk)
		return KH_OK;
	struct kh_val p[3] = {*kh_write_get(w, "calendar_id"), *kh_write_get(w, "date"), KH_VINT(w->id)};
	int64_t other;
	enum kh_err err = kh_db_int(w->ctx->db,
				    "SELECT id FROM calendar_days WHERE calendar_id = $1 AND date = $2 AND id <> $3 "
				    "AND archived_at IS NULL",
				    p, 3, &other);
	if (err == KH_OK) {
		kh_errinfo_field(w->ctx->ei, "date", "this calendar already has an entry for this date (#%lld)",
				 (long long)other);
		return KH_EVALIDATION;
	}
	return err == KH_ENOTFOUND ? KH_OK : err;
}
