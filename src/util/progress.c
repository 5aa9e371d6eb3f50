#include "util/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"

#define WIDTH 30

void kh_progress_init(struct kh_progress *p)
{
	p->tty = isatty(STDERR_FILENO);
	p->started = kh_now();
	p->last = 0;
}

double kh_progress_seconds(const struct kh_progress *p)
{
	return (double)(kh_now() - p->started) / 1e6;
}

void kh_progress_draw(struct kh_progress *p, int64_t done, int64_t total, int force, const char *fmt, ...)
{
	if (!p->tty)
		return;
	int64_t now = kh_now();
	if (!force && (total <= 0 || done < total) && now - p->last < 100000)
		return;
	p->last = now;
	double frac = total > 0 ? (double)done / (double)total : 1;
	if (frac > 1)
		frac = 1;
	if (frac < 0)
		frac = 0;
	int fill = (int)(WIDTH * frac);
	char bar[WIDTH + 1];
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(WIDTH - fill));
	bar[WIDTH] = '\0';
	fprintf(stderr, "\r[%s] %3d%% ", bar, (int)(100 * frac));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr); /* clear what a longer earlier line left */
	fflush(stderr);
}

void kh_progress_end(struct kh_progress *p)
{
	if (p->tty) {
		fputc('\n', stderr);
		fflush(stderr);
	}
}
