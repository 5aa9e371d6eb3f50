/* A progress bar on standard error for long command-line work (demo, import,
 * export, dedupe, analyze, backup, migrate-data): one look of it for every
 * command, drawn only on a terminal and at most ten times a second, so a
 * million-row loop can call it on every row. */
#ifndef KH_PROGRESS_H
#define KH_PROGRESS_H

#include <stdint.h>

struct kh_progress {
	int tty;	 /* standard error is a terminal: draw; otherwise stay quiet */
	int64_t started; /* kh_now() at kh_progress_init, for the elapsed time and rates */
	int64_t last;	 /* when it last drew */
};

void kh_progress_init(struct kh_progress *p);

/* Draws "\r[#####.....]  42% " and then the caller's text (printf format),
 * when done reaches a known total, when force is set, or when 0.1 s has
 * passed since it last drew. A total of 0 or less is unknown: the bar shows full. */
void kh_progress_draw(struct kh_progress *p, int64_t done, int64_t total, int force, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Seconds since kh_progress_init. */
double kh_progress_seconds(const struct kh_progress *p);

/* Ends the bar's line (a newline), so what follows starts on a line of its own. */
void kh_progress_end(struct kh_progress *p);

#endif
