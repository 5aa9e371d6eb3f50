/* Business time: working hours per weekday, a fixed UTC offset, and special
 * days (public holidays that are not worked, and adjusted working days such as
 * the Saturdays China works before a Golden Week). SLA targets count only the
 * time inside working hours.
 *
 * The hours are written as text, one group per set of days:
 *   "mon-fri 09:00-12:00 13:30-18:00; sat 09:00-12:00"
 *   "24x7"                          (always open)
 * Days are mon tue wed thu fri sat sun, as ranges (mon-fri) or lists (mon,wed).
 * An adjusted working day uses the hours of the first weekday that has any
 * (Monday's, usually). Special days are data (the calendar_days entity), so a
 * new year's holiday schedule is rows, not a release.
 *
 * Everything here is pure arithmetic on a loaded calendar, in seconds, except
 * kh_bcal_load(), which reads one from the database. */
#ifndef KH_CALENDAR_H
#define KH_CALENDAR_H

#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"

#define KH_BCAL_MAX_INTERVALS 6

struct kh_bcal_day {
	int32_t day; /* local days since 1970-01-01 */
	char workday; /* 1: an adjusted working day; 0: a holiday */
};

struct kh_bcal {
	int always;    /* 24x7: every second counts */
	int offset_s;  /* local time = UTC + offset */
	int nint[7];   /* per weekday, Monday = 0 */
	struct {
		int from, to; /* seconds since local midnight, from < to */
	} iv[7][KH_BCAL_MAX_INTERVALS];
	int template_day;                 /* weekday whose hours an adjusted working day has */
	const struct kh_bcal_day *special; /* sorted by day */
	int nspecial;
};

/* Parses an hours specification into c (offset and special days untouched).
 * Returns 0, or -1 with the reason in *why. */
int kh_bcal_parse_hours(struct kh_bcal *c, const char *spec, const char **why);

/* The instant `seconds` of business time after start (microseconds, UTC).
 * Returns INT64_MAX when the calendar has no working time within ten years. */
int64_t kh_bcal_add(const struct kh_bcal *c, int64_t start_us, int64_t seconds);

/* Seconds of business time in [from_us, to_us); 0 when to <= from. */
int64_t kh_bcal_between(const struct kh_bcal *c, int64_t from_us, int64_t to_us);

/* 1 if the instant falls inside working hours. */
int kh_bcal_open_at(const struct kh_bcal *c, int64_t at_us);

/* Loads calendar id (0: around the clock) with its special days, allocated
 * from the arena. KH_ENOTFOUND for an unknown id. */
enum kh_err kh_bcal_load(struct kh_db *db, int64_t id, struct kh_arena *a, struct kh_bcal *c);

#endif
