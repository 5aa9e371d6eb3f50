/* The service and call-center module: its settings, its rules on the write
 * path, and its background work. The parts:
 *
 *   cases.c       the case state machine, assignment, and the case rules
 *   sla.c         SLA clocks in business time, warnings, breaches, reports
 *   calendar.c    business hours, holidays and adjusted working days
 *   kb.c          the knowledge base's CJK full-text index and suggestions
 *   telephony.c   call events from a PBX, phone matching, screen pops
 *   callcenter.c  agents and their states, routing, the IVR menu, the wallboard
 *   imap.c        cases from a mailbox read over IMAP (libcurl)
 *   service.c     settings, CSAT surveys, follow-up visits, customer care,
 *                 complaint analysis, the periodic tick and its job kinds
 *
 * Entities are in model/entities_service.c, routes in api/routes_service.def. */
#ifndef KH_SERVICE_H
#define KH_SERVICE_H

#include <jansson.h>
#include <stdint.h>

#include "domain/write.h"
#include "util/json_out.h"

struct kh_write;

/* ---- hooks named in the entity tables ---- */
enum kh_err kh_calendar_before_write(struct kh_write *w);
enum kh_err kh_calendar_day_before_write(struct kh_write *w);
enum kh_err kh_agent_before_write(struct kh_write *w);
enum kh_err kh_kb_after_write(struct kh_write *w);
enum kh_err kh_kb_reindex_all(struct kh_db *db);
enum kh_err kh_followup_before_write(struct kh_write *w);
enum kh_err kh_followup_after_write(struct kh_write *w);
/* The service rules of the core cases entity, called from its hooks. */
enum kh_err kh_case_service_before_write(struct kh_write *w);
enum kh_err kh_case_service_after_write(struct kh_write *w);

/* ---- settings ----
 * One JSON object (kh_service_settings), with defaults for what is not set:
 *   followup_days (3), followup_tiers (["A"]), followup_priorities (["urgent"]),
 *   callback_minutes (60), utc_offset_minutes (480, for "today" on the
 *   wallboard), public_url (""), csat_days (14),
 *   imap_url, imap_username, imap_password (never shown), imap_interval_seconds (60),
 *   tick_seconds (30: how often the periodic work runs). */
struct kh_service_settings {
	int followup_days, callback_minutes, utc_offset_minutes, csat_days, imap_interval_seconds, tick_seconds;
	char followup_tiers[64], followup_priorities[64]; /* comma-separated */
	char public_url[256];
	char imap_url[512], imap_username[128], imap_password[128];
};
void kh_service_settings_load(struct kh_db *db, struct kh_service_settings *s);
/* Writes the settings as JSON (the password as a flag only). */
void kh_service_settings_write(const struct kh_service_settings *s, struct kh_jw *w);
/* Merges the members of obj into the stored settings, validated. */
enum kh_err kh_service_settings_update(struct kh_ctx *ctx, json_t *obj);

/* ---- background work ---- */

/* One pass of the periodic work (what the tick job does every 30 s): SLA
 * warnings and breaches with escalation, agents back from wrap-up, due
 * mailbox polls, and the day's customer care tasks. Counts go to *out (may be
 * NULL). */
struct kh_service_tick {
	int warnings, breaches, wrapups, care_tasks, mail_polls;
};
enum kh_err kh_service_tick_run(struct kh_ctx *ctx, struct kh_service_tick *out);

/* ---- CSAT ---- */

/* The survey of a case: {"case_number", "subject", "answered", "score"}. */
enum kh_err kh_csat_get(struct kh_ctx *ctx, const char *token, struct kh_jw *w);
/* Records the customer's answer (score 1-5, comment). KH_ECONFLICT if the
 * survey was answered already, KH_ENOTFOUND for an unknown or expired token. */
enum kh_err kh_csat_answer(struct kh_ctx *ctx, const char *token, json_t *body);
/* {"link", "sent_at", "answered_at", "score"} of a case's survey, or 404. */
enum kh_err kh_csat_of_case(struct kh_ctx *ctx, int64_t case_id, struct kh_jw *w);
/* Rollup: group is "owner", "team" or "category"; from/to limit the answer time. */
enum kh_err kh_csat_rollup(struct kh_ctx *ctx, const char *group, const char *from, const char *to,
			   struct kh_jw *w);

/* ---- complaints ---- */

/* {"by_month": [...], "top_causes": [...], "by_severity": [...],
 *  "repeat_complainers": [...], "time_to_resolve": {...}, "compensation": n} */
enum kh_err kh_complaint_analysis(struct kh_ctx *ctx, const char *from, const char *to, struct kh_jw *w);

/* ---- the public case form ---- */
enum kh_err kh_case_from_form(struct kh_ctx *ctx, json_t *body, const char *address, int64_t *id);

/* Runs the care rules for the local date `day` ("YYYY-MM-DD"); returns how
 * many tasks were created in *made. */
enum kh_err kh_care_run(struct kh_ctx *ctx, const char *day, int *made);

/* Migration 200 (model/schema.c): the module's own tables and its first tick. */
enum kh_err kh_service_migrate(struct kh_db *db);

#endif
