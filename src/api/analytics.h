/* The handlers of the analytics module (routes_analytics.def): analyses,
 * stored scores, the OLAP cube, surveys and their public answer pages,
 * satisfaction models, AHP capability evaluation and the scorecard. */
#ifndef KH_API_ANALYTICS_H
#define KH_API_ANALYTICS_H

#include "http/request.h"

/* 403 unless the principal may read orders (every analysis reads them). */
enum kh_err kh_api_analytics_allowed(struct kh_req *r);

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
