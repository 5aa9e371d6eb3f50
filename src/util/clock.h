/* The one clock. Everything that asks "what time is it" asks kh_now(), so SLA
 * timers, schedules, token expiry and tests can run on a fake clock: set the
 * environment variable KEHU_NOW=2026-01-31T08:00:00Z (read once at start) or
 * call kh_clock_set() from a test. Timestamps are UTC, stored and sent as
 * ISO 8601 text ("2026-01-31T08:00:00.000Z") that sorts in time order. */
#ifndef KH_CLOCK_H
#define KH_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define KH_TIME_LEN 25 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */

/* Microseconds since 1970-01-01T00:00:00Z. */
int64_t kh_now(void);
/* Microseconds on a clock that only moves forward, for ages on this machine
 * (not kh_now(): that is business time, which tests freeze with KEHU_NOW). */
int64_t kh_monotonic_us(void);
/* Freezes the clock at us (microseconds); 0 returns to the real clock. */
void kh_clock_set(int64_t us);
/* Reads KEHU_NOW if set; returns -1 if it is set but not a valid timestamp. */
int kh_clock_from_env(void);

/* Formats us as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (KH_TIME_LEN bytes). */
void kh_time_format(int64_t us, char out[KH_TIME_LEN]);
/* Parses an ISO 8601 date-time with a zone (Z or +hh:mm) or a bare date, which
 * counts as midnight UTC. Returns 0 and sets *us, or -1. */
int kh_time_parse(const char *s, size_t n, int64_t *us);
/* 1 if s is a real calendar date "YYYY-MM-DD". */
int kh_date_valid(const char *s, size_t n);
/* Days since 1970-01-01 for a valid date "YYYY-MM-DD" (used by analytics). */
int64_t kh_date_days(const char *s);
/* Formats days since 1970-01-01 as "YYYY-MM-DD" into out (11 bytes). */
void kh_date_format(int64_t days, char out[11]);

#endif
