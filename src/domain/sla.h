/* SLA clocks. A case gets two: first response and resolution, with targets in
 * business minutes from the best-matching SLA policy (priority, customer tier,
 * case type; the most specific active one wins). Each clock counts business
 * time of its policy's calendar while it runs; the resolution clock pauses
 * while the case waits on the customer and resumes when it is worked again
 * (or reopened). Due and warning instants follow from the time used and the
 * target, so a pause moves them and a night or a holiday does not count.
 *
 * The clocks live in kh_sla_clocks (one row per case and metric, migration
 * 200); the case carries what people look at: first_response_due_at,
 * resolution_due_at and sla_status (on_track, warning, paused, breached, met).
 * The periodic tick (service.c) turns due warnings and breaches into events,
 * escalation tasks for the team manager and the case's sla_status. */
#ifndef KH_SLA_H
#define KH_SLA_H

#include "domain/write.h"
#include "util/json_out.h"

/* The case rule: plans the clocks for this write of a case and sets its SLA
 * fields. On create the rows are written by the after_write call (insert = 1)
 * once the case has an id; on update by the before_write call. */
enum kh_err kh_sla_apply(struct kh_write *w, int insert);

/* Due warnings and breaches, up to now: marks them, tells the owner (and on
 * breach the owner's team manager, with an escalation task) and updates the
 * cases. Each case in a transaction of its own. */
enum kh_err kh_sla_check(struct kh_ctx *ctx, int *warnings, int *breaches);

/* The breach report over cases created in [from, to) (ISO text, either may be
 * NULL): per group ("priority", "queue", "owner", "team" or "metric")
 * {"key", "clocks", "met", "breached", "running", "compliance"}, and the
 * latest breaches with their cases. Only cases the principal may read count. */
enum kh_err kh_sla_report(struct kh_ctx *ctx, const char *group, const char *from, const char *to,
			  struct kh_jw *w);

/* The clocks of one case: [{"metric", "state", "target_minutes",
 * "used_minutes", "due_at", "warn_at", "warned_at", "breached_at"}]. */
enum kh_err kh_sla_case_clocks(struct kh_ctx *ctx, int64_t case_id, struct kh_jw *w);

#endif
