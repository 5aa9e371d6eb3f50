/* The sales and marketing module's handlers (routes in routes_sales.def). */
#ifndef KH_API_SALES_H
#define KH_API_SALES_H

#include "http/request.h"

enum kh_err kh_api_lead_convert(struct kh_req *r);
enum kh_err kh_api_lead_score(struct kh_req *r);
enum kh_err kh_api_lead_duplicates(struct kh_req *r);
enum kh_err kh_api_lead_assign(struct kh_req *r);
enum kh_err kh_api_lead_model_train(struct kh_req *r);
enum kh_err kh_api_opportunity_stages(struct kh_req *r);
enum kh_err kh_api_quote_revise(struct kh_req *r);
enum kh_err kh_api_quote_accept(struct kh_req *r);
enum kh_err kh_api_quote_document(struct kh_req *r);
enum kh_err kh_api_sales_forecast(struct kh_req *r);
enum kh_err kh_api_sales_funnel(struct kh_req *r);
enum kh_err kh_api_sales_win_loss(struct kh_req *r);
enum kh_err kh_api_sales_stuck(struct kh_req *r);
enum kh_err kh_api_sales_quotas_get(struct kh_req *r);
enum kh_err kh_api_sales_quotas_put(struct kh_req *r);
enum kh_err kh_api_sales_settings_get(struct kh_req *r);
enum kh_err kh_api_sales_settings_put(struct kh_req *r);
enum kh_err kh_api_sales_scores(struct kh_req *r);
enum kh_err kh_api_campaign_members_add(struct kh_req *r);
enum kh_err kh_api_campaign_results(struct kh_req *r);
enum kh_err kh_api_campaign_send(struct kh_req *r);
enum kh_err kh_api_campaign_call_list(struct kh_req *r);
enum kh_err kh_api_campaign_member_call(struct kh_req *r);
enum kh_err kh_api_rule_runs(struct kh_req *r);
enum kh_err kh_api_public_form_get(struct kh_req *r);
enum kh_err kh_api_public_form_post(struct kh_req *r);
enum kh_err kh_api_public_email_open(struct kh_req *r);
enum kh_err kh_api_public_email_click(struct kh_req *r);
enum kh_err kh_api_public_email_unsubscribe(struct kh_req *r);

#endif
