/* The 7P customer analysis: profiling, persistency, profitability,
 * performance, prospecting, product and promotion side by side for each RFM
 * segment (analytics_report.c). */
#ifndef KH_DOMAIN_ANALYTICS_REPORT_H
#define KH_DOMAIN_ANALYTICS_REPORT_H

#include "domain/write.h"
#include "util/json_out.h"

/* GET /api/v1/analytics/report: {"customers", "segments": [{"segment",
 * "profiling", "persistency", "profitability", "performance", "prospecting",
 * "product", "promotion"}]}. KH_ECONFLICT when no scores are stored yet. */
enum kh_err kh_an_report_7p(struct kh_ctx *ctx, struct kh_jw *w);

#endif
