/* Sales forecasting and process monitoring, over the opportunities the
 * principal may read:
 *
 *   forecast   per owner or team and month or quarter: won (closed in the
 *              period), open amounts by forecast category (commit, best case,
 *              pipeline) and weighted (amount x probability) by expected close
 *              date, against quotas (kh_sales_quotas), with attainment
 *   funnel     per stage of a pipeline: deals that reached it, conversion to
 *              the next stage, average days in it; win rate and cycle time
 *   win_loss   closed deals by reason, source or owner
 *   stuck      open deals without activity for N days or longer in their
 *              stage than the stage's max_days (or twice the usual time)
 *
 * Money is in one currency (CNY unless asked); deals in others are counted
 * and left out, as no rate is known. */
#ifndef KH_FORECAST_H
#define KH_FORECAST_H

#include "domain/write.h"
#include "util/json_out.h"

struct kh_forecast_opts {
	int quarter;          /* 0: months */
	int by_team;          /* 0: by owner */
	const char *from, *to; /* dates; NULL: this period and the next 5 months / 3 quarters */
	const char *currency;  /* NULL: CNY */
};

enum kh_err kh_forecast(struct kh_ctx *ctx, const struct kh_forecast_opts *o, struct kh_jw *w);
/* pipeline_id 0: the default; from/to: when the deals were created (NULL: all). */
enum kh_err kh_funnel(struct kh_ctx *ctx, int64_t pipeline_id, const char *from, const char *to, struct kh_jw *w);
/* by: "reason", "source" or "owner"; from/to: when the deals closed. */
enum kh_err kh_win_loss(struct kh_ctx *ctx, const char *by, const char *from, const char *to, const char *currency,
			struct kh_jw *w);
enum kh_err kh_stuck(struct kh_ctx *ctx, int idle_days, int limit, struct kh_jw *w);

/* "2026-11" or "2026-Q4" for a date. out: 8 bytes. */
void kh_period_of(const char *date, int quarter, char out[8]);

#endif
