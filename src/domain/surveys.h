/* Surveys: questionnaires, invitations sent to a segment or after an event,
 * the public answer page (one answer per invitation), and results - response
 * rates, NPS, CSAT and distributions by segment and over time, and the
 * satisfaction models estimated from the answers (surveys_results.c).
 *
 * A survey has questions (entity survey_questions) of five types: scale
 * (scale_min..scale_max, 1-5 by default), nps (0-10), single and multiple
 * choice (from options) and text. An invitation carries a random token; its
 * link /s/<token> opens the answer page, which reads the questionnaire with
 * GET /api/v1/public/surveys/<token> and answers with POST. The answer is
 * checked question by question, stored as one response (answers as a JSON
 * object of code -> value) and marks the invitation answered in the same
 * transaction; the response's invitation_id is unique, so a second answer is
 * refused (409) even when two arrive at once. */
#ifndef KH_SURVEYS_H
#define KH_SURVEYS_H

#include <jansson.h>

#include "domain/jobs.h"
#include "domain/write.h"
#include "util/json_out.h"

/* Entity rules (model/entities_analytics.c). */
enum kh_err kh_survey_before_write(struct kh_write *w);
enum kh_err kh_question_before_write(struct kh_write *w);
enum kh_err kh_invitation_before_write(struct kh_write *w);
enum kh_err kh_assessment_before_write(struct kh_write *w);

/* POST /api/v1/surveys/{id}/send: invites contacts, given by
 *   {"contact_ids": [...]}          these contacts, or
 *   {"segment": "rfm:At Risk"}      the contacts in a stored RFM segment,
 *   {"segment": "stage:at_risk"}    or lifecycle stage, or
 *   {"segment": "all"}              every contact the principal may read,
 * with "channel" (link by default) and "expires_days" (30). Contacts already
 * invited to the survey are skipped. Writes {"created", "skipped",
 * "invitations": [{"id", "contact_id", "token", "link"}]} (the first 200). The
 * survey must be active; at most 100,000 invitations at once. */
enum kh_err kh_survey_send(struct kh_ctx *ctx, int64_t survey_id, json_t *body, struct kh_jw *w);

/* The public answer page's two calls; ctx carries the system principal. */
enum kh_err kh_survey_public_get(struct kh_ctx *ctx, const char *token, struct kh_jw *w);
enum kh_err kh_survey_public_answer(struct kh_ctx *ctx, const char *token, json_t *body, struct kh_jw *w);

/* GET /api/v1/surveys/{id}/results: invitations and response rate (overall,
 * by channel, by month), each question's distribution with its statistic
 * (mean, median, sd and CSAT of a scale, the NPS of an nps question, counts of
 * choices, the latest comments), NPS and CSAT by RFM segment and by month.
 * Responses and invitations count within the principal's read scope. */
enum kh_err kh_survey_results(struct kh_ctx *ctx, int64_t survey_id, struct kh_jw *w);

/* GET /api/v1/analytics/satisfaction?survey=...: the survey's path model
 * (ECSI or ACSI by kind, or its own model text) estimated by PLS from its
 * responses, items named by question code. scheme is "path", "centroid" or
 * "factorial"; n_boot bootstrap resamples for standard errors. */
enum kh_err kh_survey_satisfaction(struct kh_ctx *ctx, int64_t survey_id, const char *scheme, size_t n_boot,
				   struct kh_jw *w);

/* GET /api/v1/analytics/loyalty: loyalty and relationship measures. With a
 * survey, attitude comes from its question `attitude` (the NPS question by
 * default) and gives the loyalty segments of Dick and Basu against behaviour
 * (repeat purchase in the last year), the NPS trend and share of wallet (a
 * 0-100 question coded SOW, where asked). Writes {"nps_trend", "segments",
 * "share_of_wallet", ...}. */
enum kh_err kh_survey_loyalty(struct kh_ctx *ctx, int64_t survey_id, const char *attitude, struct kh_jw *w);

/* The outbox consumer that invites a contact when an order is delivered or a
 * case resolved (listed with the analytics module's consumers). */
extern const struct kh_outbox_consumer kh_survey_trigger;

/* E-mail invitations (surveys_mail.c): the job that mails pending ones their
 * link, and queueing it to run in delay_seconds (at most one a minute). */
extern const struct kh_job_kind kh_surveys_mail_kind;
enum kh_err kh_surveys_mail_queue(struct kh_db *db, int delay_seconds);

#endif
