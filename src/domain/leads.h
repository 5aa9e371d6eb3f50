/* Leads from capture to conversion.
 *
 * Every lead, however it arrives (a person, an import, the API, a public web
 * form), goes through the leads hook: it is checked against existing leads
 * and contacts for duplicates (same e-mail, same phone, same name at the same
 * company; the first match of each is kept on the lead), scored, and, when it
 * has no owner, assigned by the assignment rules. Conversion turns a lead into
 * an account, a contact and an opportunity in one transaction. */
#ifndef KH_LEADS_H
#define KH_LEADS_H

#include <jansson.h>

#include "domain/write.h"
#include "util/json_out.h"

/* POST /api/v1/leads/{id}/convert. body may name an existing account_id or
 * contact_id to attach to, "opportunity": false to make none, and fields of
 * the new opportunity ({"opportunity": {"name", "amount", ...}}). Writes
 * {"account_id", "contact_id", "opportunity_id"}. KH_ECONFLICT if the lead
 * was converted before. */
enum kh_err kh_lead_convert(struct kh_ctx *ctx, int64_t lead_id, json_t *body, struct kh_jw *w);

/* GET /api/v1/leads/{id}/score: the rule points (each rule that gave some)
 * and the learned score with the features that moved it most. */
enum kh_err kh_lead_score_explain(struct kh_ctx *ctx, int64_t lead_id, struct kh_jw *w);
/* GET /api/v1/leads/{id}/duplicates: every lead and contact that matches,
 * with why. */
enum kh_err kh_lead_duplicates(struct kh_ctx *ctx, int64_t lead_id, struct kh_jw *w);
/* POST /api/v1/leads/{id}/assign: runs the assignment rules now. */
enum kh_err kh_lead_assign(struct kh_ctx *ctx, int64_t lead_id, struct kh_jw *w);

/* Trains the learned score on converted (1) versus unqualified (0) leads and
 * stores the model; rescoring of open leads follows. Writes a summary. */
enum kh_err kh_lead_model_train(struct kh_ctx *ctx, struct kh_jw *w);
/* Job "sales.lead_model": the same, weekly. */
enum kh_err kh_lead_model_job(struct kh_ctx *ctx, json_t *payload);
/* Outbox consumer: an activity logged on a lead rescores it. */
struct kh_change;
enum kh_err kh_leads_on_change(struct kh_ctx *ctx, const struct kh_change *c);
/* The sales.leads_arrived job (see kh_leads_after_bulk in domain/sales.h). */
enum kh_err kh_leads_arrived_job(struct kh_ctx *ctx, json_t *payload);

/* Picks the user an assign action or rule gives a record of e to:
 * {"user_id": 5}, or {"team_id": 2 | "user_ids": [...], "method":
 * "round_robin" (default) | "load"}, skipping `exclude` (0: none) when there
 * is anyone else. Round robin keeps its place per rule (counter rr:<rule>).
 * KH_ENOTFOUND when nobody is available. */
enum kh_err kh_assign_pick(struct kh_ctx *ctx, const struct kh_entity *e, int64_t rule_id, json_t *assign,
			   int64_t exclude, int64_t *user);

/* Public web forms. */

/* GET /api/v1/public/forms/{key}: what the hosted form shows. */
enum kh_err kh_web_form_describe(struct kh_ctx *ctx, const char *key, struct kh_jw *w);
/* POST /api/v1/public/forms/{key}: rate limit per form and address
 * (KH_ERATE, *retry_after seconds), honeypot (answered as a success, nothing
 * kept), accepted and required fields, then a lead through the write path. */
enum kh_err kh_web_form_submit(struct kh_ctx *ctx, const char *key, const char *address, json_t *body,
			       int64_t *retry_after, struct kh_jw *w);

#endif
