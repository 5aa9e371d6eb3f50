/* Request metrics in the Prometheus text format: requests by route and status,
 * a latency histogram per route, database errors. Counters are relaxed atomics,
 * so recording costs a few nanoseconds and takes no lock. */
#ifndef KH_METRICS_H
#define KH_METRICS_H

#include <stdint.h>

#include "util/buf.h"

/* route is an index in kh_routes, or -1 for requests that matched none. */
void kh_metrics_record(int route, int status, int64_t micros);
void kh_metrics_db_error(void);
void kh_metrics_write(struct kh_buf *out);

#endif
