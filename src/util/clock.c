#include "util/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t fixed_now;

int64_t kh_now(void)
{
	int64_t f = atomic_load_explicit(&fixed_now, memory_order_relaxed);
	if (f)
		return f;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void kh_clock_set(int64_t us)
{
	atomic_store(&fixed_now, us);
}

int kh_clock_from_env(void)
{
	const char *s = getenv("KEHU_NOW");
	int64_t us;
	if (!s || !*s)
		return 0;
	if (kh_time_parse(s, strlen(s), &us))
		return -1;
	kh_clock_set(us);
	return 0;
}

/* Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic
 * Gregorian calendar, no tables, no time zone database. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

static int parse_date(const char *s, size_t n, int *y, int *m, int *d)
{
	if (n < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if (digits(s, 4, y) || digits(s + 5, 2, m) || digits(s + 8, 2, d))
		return -1;
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
		return -1;
	return 0;
}

int kh_date_valid(const char *s, size_t n)
{
	int y, m, d;
	return n == 10 && parse_date(s, n, &y, &m, &d) == 0;
}

int64_t kh_date_days(const char *s)
{
	int y, m, d;
	if (parse_date(s, 10, &y, &m, &d))
		return 0;
	return days_from_civil(y, (unsigned)m, (unsigned)d);
}

void kh_date_format(int64_t days, char out[11])
{
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	char tmp[48];
	snprintf(tmp, sizeof tmp, "%04d-%02u-%02u", (int)y % 10000, m % 100, d % 100);
	memcpy(out, tmp, 10);
	out[10] = '\0';
}

int kh_time_parse(const char *s, size_t n, int64_t *us)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac = 0;
	if (parse_date(s, n, &y, &mo, &d))
		return -1;
	size_t i = 10;
	int64_t offset = 0;
	if (i < n) {
		if ((s[i] != 'T' && s[i] != ' ') || n < i + 9 || s[i + 3] != ':' || s[i + 6] != ':')
			return -1;
		if (digits(s + i + 1, 2, &h) || digits(s + i + 4, 2, &mi) || digits(s + i + 7, 2, &sec))
			return -1;
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		i += 9;
		if (i < n && s[i] == '.') {
			int ndig = 0;
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndig++)
				if (ndig < 6)
					frac = frac * 10 + (s[i] - '0');
			if (ndig == 0)
				return -1;
			for (; ndig < 6; ndig++)
				frac *= 10;
		}
		if (i == n)
			return -1; /* a time without a zone is ambiguous: refuse it */
		if (s[i] == 'Z' && i + 1 == n) {
			i++;
		} else if ((s[i] == '+' || s[i] == '-') && n == i + 6 && s[i + 3] == ':') {
			int oh, om;
			if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
				return -1;
			offset = (int64_t)(oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
			i = n;
		} else {
			return -1;
		}
	}
	if (i != n)
		return -1;
	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - offset;
	*us = secs * 1000000 + frac;
	return 0;
}

static void digits_out(char *p, int v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
}

/* Written out by hand, not with snprintf: every write and every demo record
 * formats a timestamp, and snprintf was 4% of a bulk load. */
void kh_time_format(int64_t us, char out[KH_TIME_LEN])
{
	int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int rem = (int)(secs - days * 86400);
	int ms = (int)((us - secs * 1000000) / 1000);
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00.000Z", KH_TIME_LEN);
	digits_out(out, (int)(y % 10000 + 10000) % 10000, 4);
	digits_out(out + 5, (int)m, 2);
	digits_out(out + 8, (int)d, 2);
	digits_out(out + 11, rem / 3600, 2);
	digits_out(out + 14, rem / 60 % 60, 2);
	digits_out(out + 17, rem % 60, 2);
	digits_out(out + 20, ms, 3);
}

int64_t kh_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + 1;
}
