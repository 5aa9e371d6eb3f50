#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

static enum kh_log_level threshold = KH_LOG_INFO;

void kh_log_init(void)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	const char *s = getenv("KEHU_LOG");
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, names[i]))
			threshold = (enum kh_log_level)i;
}

void kh_log(enum kh_log_level level, const char *fmt, ...)
{
	static const char *tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	if (level > threshold)
		return;
	char ts[KH_TIME_LEN], line[1024];
	kh_time_format(kh_now(), ts);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* One fprintf per line so that lines from several threads do not interleave. */
	fprintf(stderr, "%s %-5s %s\n", ts, tags[level], line);
}
