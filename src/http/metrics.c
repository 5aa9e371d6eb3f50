#include "http/metrics.h"

#include <stdatomic.h>
#include <stdio.h>

#include "http/request.h"

#define MAX_ROUTES 256 /* every module's routes, with room to grow */
static const int statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503};
#define NSTATUS ((int)(sizeof statuses / sizeof statuses[0]) + 1) /* + "other" */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
#define NBUCKET ((int)(sizeof bounds / sizeof bounds[0]))

/* Slot MAX_ROUTES - 1 counts requests that matched no route. */
static _Atomic uint64_t requests[MAX_ROUTES][NSTATUS];
static _Atomic uint64_t buckets[MAX_ROUTES][NBUCKET + 1];
static _Atomic uint64_t micros_sum[MAX_ROUTES];
static _Atomic uint64_t db_errors;

static int slot(int route)
{
	return route >= 0 && route < MAX_ROUTES - 1 ? route : MAX_ROUTES - 1;
}

void kh_metrics_record(int route, int status, int64_t micros)
{
	int r = slot(route), s = NSTATUS - 1, b = NBUCKET;
	for (int i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			s = i;
	for (int i = 0; i < NBUCKET; i++)
		if (micros <= bounds[i] * 1e6) {
			b = i;
			break;
		}
	atomic_fetch_add_explicit(&requests[r][s], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&buckets[r][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&micros_sum[r], (uint64_t)(micros > 0 ? micros : 0), memory_order_relaxed);
}

void kh_metrics_db_error(void)
{
	atomic_fetch_add_explicit(&db_errors, 1, memory_order_relaxed);
}

static const char *route_label(int r)
{
	return r < kh_nroutes ? kh_routes[r].name : "unmatched";
}

void kh_metrics_write(struct kh_buf *out)
{
	kh_buf_adds(out, "# HELP kehu_http_requests_total HTTP requests by route and status.\n"
			 "# TYPE kehu_http_requests_total counter\n");
	for (int r = 0; r < MAX_ROUTES; r++) {
		if (r >= kh_nroutes && r != MAX_ROUTES - 1)
			continue;
		for (int s = 0; s < NSTATUS; s++) {
			uint64_t n = atomic_load_explicit(&requests[r][s], memory_order_relaxed);
			char status[8] = "other";
			if (s < NSTATUS - 1)
				snprintf(status, sizeof status, "%d", statuses[s]);
			if (n)
				kh_buf_addf(out, "kehu_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
					    route_label(r), status, (unsigned long long)n);
		}
	}
	kh_buf_adds(out, "# HELP kehu_http_request_duration_seconds Time from request to response.\n"
			 "# TYPE kehu_http_request_duration_seconds histogram\n");
	for (int r = 0; r < MAX_ROUTES; r++) {
		if (r >= kh_nroutes && r != MAX_ROUTES - 1)
			continue;
		uint64_t cum = 0;
		for (int b = 0; b <= NBUCKET; b++) {
			cum += atomic_load_explicit(&buckets[r][b], memory_order_relaxed);
			if (b < NBUCKET)
				kh_buf_addf(out, "kehu_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
					    route_label(r), bounds[b], (unsigned long long)cum);
			else
				kh_buf_addf(out, "kehu_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
					    route_label(r), (unsigned long long)cum);
		}
		kh_buf_addf(out, "kehu_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route_label(r),
			    (double)atomic_load_explicit(&micros_sum[r], memory_order_relaxed) / 1e6);
		kh_buf_addf(out, "kehu_http_request_duration_seconds_count{route=\"%s\"} %llu\n", route_label(r),
			    (unsigned long long)cum);
	}
	kh_buf_addf(out, "# HELP kehu_db_errors_total Database errors seen while answering requests.\n"
			 "# TYPE kehu_db_errors_total counter\nkehu_db_errors_total %llu\n",
		    (unsigned long long)atomic_load_explicit(&db_errors, memory_order_relaxed));
}
