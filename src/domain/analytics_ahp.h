/* CRM capability evaluation by AHP over capability_assessments records
 * (analytics_ahp.c; the arithmetic is analytics/ahp.h). */
#ifndef KH_DOMAIN_ANALYTICS_AHP_H
#define KH_DOMAIN_ANALYTICS_AHP_H

#include <jansson.h>

#include "domain/write.h"
#include "util/json_out.h"

/* The hierarchy used when an assessment names none, as JSON text. */
const char *kh_ahp_default_hierarchy(void);

/* POST /api/v1/analytics/ahp: {"matrix": [[...]]} or {"matrices": [...],
 * "weights": [...]} (several assessors) -> {"weights", "lambda_max", "ci",
 * "ri", "cr", "acceptable", "worst": {"i", "j", "value", "suggested"},
 * "aggregated"}: the live consistency check of the UI's matrix editor. */
enum kh_err kh_ahp_live(json_t *body, struct kh_jw *w, struct kh_errinfo *ei);

/* Checks an assessment before it is written (any of the three may be NULL:
 * the default hierarchy, no judgements, no scores): a hierarchy that is a
 * tree, every matrix square, reciprocal and on Saaty's scale, scores 0-100 on
 * criteria without children. Faults become field errors in ctx->ei
 * (KH_EVALIDATION). */
enum kh_err kh_capability_check(struct kh_ctx *ctx, json_t *hierarchy, json_t *judgements, json_t *scores);

/* GET /api/v1/analytics/capability[?assessment=ID] (0: the latest): each
 * criterion's local and global weight and score, every judged node's combined
 * matrix with its consistency (and the judgement to revisit), each assessor's
 * CR, the capability index, and the index of every assessment over time.
 * With no assessment yet: {"id": null} and the default hierarchy to start from. */
enum kh_err kh_capability_evaluate(struct kh_ctx *ctx, int64_t id, struct kh_jw *w);

#endif
