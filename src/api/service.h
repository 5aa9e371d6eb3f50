/* Handlers of the service and call-center routes (api/routes_service.def). */
#ifndef KH_API_SERVICE_H
#define KH_API_SERVICE_H

struct kh_req;
#include "util/err.h"

enum kh_err kh_api_case_transitions(struct kh_req *r);
enum kh_err kh_api_case_transition(struct kh_req *r);
enum kh_err kh_api_case_assign(struct kh_req *r);
enum kh_err kh_api_case_sla(struct kh_req *r);
enum kh_err kh_api_case_kb(struct kh_req *r);
enum kh_err kh_api_case_csat(struct kh_req *r);
enum kh_err kh_api_service_settings_get(struct kh_req *r);
enum kh_err kh_api_service_settings_put(struct kh_req *r);
enum kh_err kh_api_sla_report(struct kh_req *r);
enum kh_err kh_api_service_tick(struct kh_req *r);
enum kh_err kh_api_csat_rollup(struct kh_req *r);
enum kh_err kh_api_complaints(struct kh_req *r);
enum kh_err kh_api_mail_poll(struct kh_req *r);
enum kh_err kh_api_care_run(struct kh_req *r);
enum kh_err kh_api_test_clock(struct kh_req *r);
enum kh_err kh_api_kb_search(struct kh_req *r);
enum kh_err kh_api_kb_open(struct kh_req *r);
enum kh_err kh_api_public_case(struct kh_req *r);
enum kh_err kh_api_public_csat_get(struct kh_req *r);
enum kh_err kh_api_public_csat_post(struct kh_req *r);
enum kh_err kh_api_telephony_event(struct kh_req *r);
enum kh_err kh_api_wallboard(struct kh_req *r);
enum kh_err kh_api_erlang_c(struct kh_req *r);
enum kh_err kh_api_ivr(struct kh_req *r);
enum kh_err kh_api_phone_lookup(struct kh_req *r);
enum kh_err kh_api_agent_me(struct kh_req *r);
enum kh_err kh_api_agent_state(struct kh_req *r);

#endif
