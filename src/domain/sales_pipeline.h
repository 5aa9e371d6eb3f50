/* Pipelines: each opportunity is in one (the default one unless it says), and
 * the pipeline's config decides which stages it may be in, in which order,
 * with which default probability and forecast category, which fields each
 * stage needs, how long a deal should stay in a stage, and the won and lost
 * reasons to pick from:
 *
 *   {"stages": [{"key": "proposal", "probability": 60, "forecast_category":
 *                "best_case", "required": ["amount"], "max_days": 21,
 *                "label_en": "Proposal", "label_zh": "方案报价"}, ...],
 *    "won_reasons": ["price", ...], "lost_reasons": ["competitor", ...],
 *    "require_reasons": true}
 *
 * Stage keys come from the opportunity's stage vocabulary (its enum in the
 * metadata); a pipeline picks, orders and configures them. closed_won and
 * closed_lost must be among them. Every stage change is kept in
 * kh_stage_history with the time it entered and left. */
#ifndef KH_SALES_PIPELINE_H
#define KH_SALES_PIPELINE_H

#include <jansson.h>

#include "domain/write.h"

#define KH_PIPE_MAX_STAGES 16
#define KH_PIPE_MAX_REQUIRED 8

struct kh_pipe_stage {
	const char *key; /* points into the config's JSON */
	int probability;
	const char *forecast_category; /* NULL: leave it as it is */
	const char *required[KH_PIPE_MAX_REQUIRED];
	int nrequired;
	int max_days; /* 0: no limit */
};

struct kh_pipeline {
	int64_t id;
	json_t *config; /* owns the strings above */
	struct kh_pipe_stage stages[KH_PIPE_MAX_STAGES];
	int nstages;
	json_t *won_reasons, *lost_reasons; /* borrowed from config */
	int require_reasons;
};

/* Parses and checks a config document; on failure returns KH_EVALIDATION with
 * the reason in *why (a static string or one in the arena). config is borrowed. */
enum kh_err kh_pipeline_parse(struct kh_pipeline *p, json_t *config, struct kh_arena *a, const char **why);
/* Loads pipeline id (0: the default one). KH_ENOTFOUND if there is none. */
enum kh_err kh_pipeline_load(struct kh_db *db, int64_t id, struct kh_pipeline *p);
void kh_pipeline_release(struct kh_pipeline *p);
/* The stage's position in the pipeline, or -1. */
int kh_pipeline_stage(const struct kh_pipeline *p, const char *key);

/* GET /api/v1/opportunities/{id}/stages: {"data": [{"stage", "entered_at",
 * "left_at", "days"}]} in order, the current stage last (days so far). */
struct kh_jw;
enum kh_err kh_stage_history_write(struct kh_ctx *ctx, int64_t opportunity_id, struct kh_jw *w);

#endif
