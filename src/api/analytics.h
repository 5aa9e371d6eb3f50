/* The handlers of the analytics module (routes_analytics.def): analyses,
 * stored scores, the OLAP cube, surveys and their public answer pages,
 * satisfaction models, AHP capability evaluation and the scorecard. */
#ifndef KH_API_ANALYTICS_H
#define KH_API_ANALYTICS_H

#include "http/request.h"

/* 403 unless the principal may read orders (every analysis reads them). */
enum kh_err kh_api_analytics_allowed(struct kh_req *r);

/* Checks a route's query parameters: each must be one of `names` (NULL-
 * terminated) and valid UTF-8; otherwise the request fails with 400 naming
 * the parameter ("query" when its name is not UTF-8, so that the error body
 * never carries bytes that are not). Returns r->ei.code. */
enum kh_err kh_api_analytics_args(struct kh_req *r, const char *const *names);

enum kh_err kh_api_analytics_run(struct kh_req *r);
enum kh_err kh_api_analytics_status(struct kh_req *r);
enum kh_err kh_api_analytics_refresh(struct kh_req *r);
enum kh_err kh_api_scores(struct kh_req *r);
enum kh_err kh_api_analytics_cube(struct kh_req *r);
enum kh_err kh_api_survey_send(struct kh_req *r);
enum kh_err kh_api_survey_results(struct kh_req *r);
enum kh_err kh_api_public_survey_get(struct kh_req *r);
enum kh_err kh_api_public_survey_answer(struct kh_req *r);
enum kh_err kh_api_satisfaction(struct kh_req *r);
enum kh_err kh_api_loyalty(struct kh_req *r);
enum kh_err kh_api_ahp(struct kh_req *r);
enum kh_err kh_api_capability(struct kh_req *r);
enum kh_err kh_api_scorecard(struct kh_req *r);
enum kh_err kh_api_scorecard_targets(struct kh_req *r);
enum kh_err kh_api_report(struct kh_req *r);

#endif
