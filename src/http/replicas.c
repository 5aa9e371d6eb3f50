#include "http/replicas.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "util/clock.h"

static int is_pg(const char *s)
{
	return !strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11);
}

int kh_read_dbs_parse(const char *value, char **out)
{
	int n = 0;
	const char *start = value;
	while (*start) {
		if (!is_pg(start) || n == KH_MAX_READ_DBS)
			goto fail;
		const char *end = start + 1;
		while (*end && !(*end == ',' && is_pg(end + 1)))
			end++;
		out[n] = strndup(start, (size_t)(end - start));
		if (!out[n])
			goto fail;
		n++;
		start = *end ? end + 1 : end;
	}
	return n;
fail:
	while (n > 0)
		free(out[--n]);
	return -1;
}

/* The time of the last write per slot (user id modulo the table's size):
 * lock-free, and a collision only sends reads to the primary. */
#define SLOTS 4096
static _Atomic int64_t last_write[SLOTS];

void kh_ryow_note_write(int64_t user_id)
{
	atomic_store_explicit(&last_write[(uint64_t)user_id % SLOTS], kh_monotonic_us(), memory_order_relaxed);
}

int kh_ryow_recent(int64_t user_id)
{
	int64_t at = atomic_load_explicit(&last_write[(uint64_t)user_id % SLOTS], memory_order_relaxed);
	return at && kh_monotonic_us() - at < (int64_t)KH_RYOW_SECONDS * 1000000;
}
