/* Business time (src/domain/calendar.c): working hours with a lunch break,
 * nights, weekends, and China's 2025 public holidays with their adjusted
 * working days, given as data the way the calendar_days entity holds them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "domain/calendar.h"
#include "util/clock.h"

/* China time (UTC+8) as microseconds. */
static int64_t cn(const char *local)
{
	char iso[40];
	int64_t us;
	size_t n = strlen(local);
	memcpy(iso, local, n);
	memcpy(iso + n, "+08:00", 7);
	assert_int_equal(kh_time_parse(iso, strlen(iso), &us), 0);
	return us;
}

static void assert_cn(int64_t us, const char *want_local)
{
	char out[KH_TIME_LEN];
	kh_time_format(us + 8 * 3600 * 1000000LL, out); /* shown in China time */
	assert_string_equal(want_local, (out[16] = '\0', out));
}

/* 2025: Spring Festival Jan 28 - Feb 4 off, Sun Jan 26 and Sat Feb 8 worked;
 * Labour Day May 1-5 off, Sun Apr 27 worked; National Day and Mid-Autumn
 * Oct 1-8 off, Sun Sep 28 and Sat Oct 11 worked. */
static struct kh_bcal_day days[32];

static void china_2025(struct kh_bcal *c)
{
	static const struct {
		const char *date;
		int workday;
	} d[] = {
		{"2025-01-26", 1}, {"2025-01-28", 0}, {"2025-01-29", 0}, {"2025-01-30", 0}, {"2025-01-31", 0},
		{"2025-02-01", 0}, {"2025-02-02", 0}, {"2025-02-03", 0}, {"2025-02-04", 0}, {"2025-02-08", 1},
		{"2025-04-27", 1}, {"2025-05-01", 0}, {"2025-05-02", 0}, {"2025-05-03", 0}, {"2025-05-04", 0},
		{"2025-05-05", 0}, {"2025-09-28", 1}, {"2025-10-01", 0}, {"2025-10-02", 0}, {"2025-10-03", 0},
		{"2025-10-04", 0}, {"2025-10-05", 0}, {"2025-10-06", 0}, {"2025-10-07", 0}, {"2025-10-08", 0},
		{"2025-10-11", 1},
	};
	const char *why = NULL;
	memset(c, 0, sizeof *c);
	assert_int_equal(kh_bcal_parse_hours(c, "mon-fri 09:00-12:00 13:30-18:00", &why), 0);
	c->offset_s = 8 * 3600;
	int n = (int)(sizeof d / sizeof d[0]);
	for (int i = 0; i < n; i++) {
		days[i].day = (int32_t)kh_date_days(d[i].date);
		days[i].workday = (char)d[i].workday;
	}
	c->special = days;
	c->nspecial = n;
}

#define MIN 60

static void nights_lunch_and_weekends(void **state)
{
	(void)state;
	struct kh_bcal c;
	china_2025(&c);
	/* Friday 17:00 + 2 h: one hour on Friday, one on Monday. */
	assert_cn(kh_bcal_add(&c, cn("2025-03-07T17:00:00"), 120 * MIN), "2025-03-10T10:00");
	/* Across lunch: 11:30 + 1 h is 14:00. */
	assert_cn(kh_bcal_add(&c, cn("2025-03-10T11:30:00"), 60 * MIN), "2025-03-10T14:00");
	/* Filed at night: counts from 09:00 the next morning. */
	assert_cn(kh_bcal_add(&c, cn("2025-03-11T20:00:00"), 30 * MIN), "2025-03-12T09:30");
	/* Filed on Saturday: Monday. */
	assert_cn(kh_bcal_add(&c, cn("2025-03-08T10:00:00"), 15 * MIN), "2025-03-10T09:15");
	/* Ending exactly at the close stays on that day. */
	assert_cn(kh_bcal_add(&c, cn("2025-03-10T17:00:00"), 60 * MIN), "2025-03-10T18:00");
	/* A whole working week is 37.5 hours. */
	assert_int_equal(kh_bcal_between(&c, cn("2025-03-10T00:00:00"), cn("2025-03-17T00:00:00")), 375 * 360);
	/* Business time between is the inverse of adding it. */
	int64_t from = cn("2025-03-06T16:10:00");
	assert_int_equal(kh_bcal_between(&c, from, kh_bcal_add(&c, from, 1234 * MIN)), 1234 * MIN);
	assert_true(kh_bcal_open_at(&c, cn("2025-03-10T09:00:00")));
	assert_false(kh_bcal_open_at(&c, cn("2025-03-10T12:30:00")));
}

static void holidays_and_adjusted_working_days(void **state)
{
	(void)state;
	struct kh_bcal c;
	china_2025(&c);
	/* Tuesday before National Day, 17:00 + 2 h: the eight days off do not count. */
	assert_cn(kh_bcal_add(&c, cn("2025-09-30T17:00:00"), 120 * MIN), "2025-10-09T10:00");
	/* Friday 17:30 + 1 h: Saturday is off, Sunday 28 September is worked. */
	assert_cn(kh_bcal_add(&c, cn("2025-09-26T17:30:00"), 60 * MIN), "2025-09-28T09:30");
	/* Saturday 11 October is worked too. */
	assert_cn(kh_bcal_add(&c, cn("2025-10-10T18:00:00"), 10 * MIN), "2025-10-11T09:10");
	/* Spring Festival: Monday 27 January 17:00 + 2 h ends on Wednesday 5 February. */
	assert_cn(kh_bcal_add(&c, cn("2025-01-27T17:00:00"), 120 * MIN), "2025-02-05T10:00");
	/* Without the calendar's days the same SLA would end on 28 January. */
	struct kh_bcal plain = c;
	plain.nspecial = 0;
	assert_cn(kh_bcal_add(&plain, cn("2025-01-27T17:00:00"), 120 * MIN), "2025-01-28T10:00");
	/* 26 April - 5 May: the adjusted Sunday and Monday to Wednesday are worked, 1-5 May are not. */
	assert_int_equal(kh_bcal_between(&c, cn("2025-04-26T00:00:00"), cn("2025-05-06T00:00:00")), 4 * 75 * 360);
}

static void around_the_clock_and_other_offsets(void **state)
{
	(void)state;
	struct kh_bcal c;
	const char *why;
	memset(&c, 0, sizeof c);
	assert_int_equal(kh_bcal_parse_hours(&c, "24x7", &why), 0);
	assert_int_equal(kh_bcal_add(&c, 1000000, 3600), 1000000 + 3600 * 1000000LL);
	assert_int_equal(kh_bcal_between(&c, 0, 7200 * 1000000LL), 7200);
	/* Saturday hours, and a calendar at UTC. */
	memset(&c, 0, sizeof c);
	assert_int_equal(kh_bcal_parse_hours(&c, "mon-fri 08:00-17:00; sat,sun 10:00-14:00", &why), 0);
	int64_t sat = 0;
	assert_int_equal(kh_time_parse("2025-03-08T09:00:00Z", 20, &sat), 0);
	char out[KH_TIME_LEN];
	kh_time_format(kh_bcal_add(&c, sat, 5 * 3600), out);
	assert_string_equal(out, "2025-03-09T11:00:00.000Z");
	/* No working time at all: no deadline rather than a loop. */
	struct kh_bcal none;
	memset(&none, 0, sizeof none);
	none.nint[0] = 0;
	none.template_day = -1;
	assert_int_equal(kh_bcal_add(&none, sat, 60), INT64_MAX);
}

static void bad_hours_are_explained(void **state)
{
	(void)state;
	struct kh_bcal c;
	const char *why = NULL;
	static const char *const bad[] = {"", "xyz 09:00-18:00", "mon-fri", "mon-fri 18:00-09:00", "mon-fri 9:00-18:00",
					  "mon 09:00-12:00; mon 13:00-14:00", "mon 10:00-12:00 11:00-13:00", "mon 09:00-25:00"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		assert_int_equal(kh_bcal_parse_hours(&c, bad[i], &why), -1);
		assert_non_null(why);
	}
	assert_int_equal(kh_bcal_parse_hours(&c, "mon-fri 09:00-12:00, 13:00-24:00", &why), 0);
	assert_int_equal(c.nint[0], 2);
	assert_int_equal(c.nint[5], 0);
	assert_int_equal(c.iv[4][1].to, 86400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nights_lunch_and_weekends),
		cmocka_unit_test(holidays_and_adjusted_working_days),
		cmocka_unit_test(around_the_clock_and_other_offsets),
		cmocka_unit_test(bad_hours_are_explained),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
