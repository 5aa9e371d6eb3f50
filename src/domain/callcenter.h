/* The call center: agents and their states, queues, routing to the
 * longest-idle agent with the required skills, the IVR menu as data, and the
 * wallboard's live figures.
 *
 * Agent states: offline, available, on_call, wrap_up, break. The telephony
 * events move agents to on_call (answered) and wrap_up (hung up); the tick
 * brings them back to available when the queue's wrap-up time is over; agents
 * set available, break and offline themselves. Every change stamps
 * state_since; becoming available stamps idle_since, which orders routing
 * (the agent idle longest is rung first). */
#ifndef KH_CALLCENTER_H
#define KH_CALLCENTER_H

#include "domain/write.h"
#include "util/json_out.h"

struct kh_agent_ref {
	int64_t agent_id, user_id;
	char extension[24], name[104];
};

/* The agent with this extension or username. KH_EVALIDATION (field "agent")
 * when there is none. */
enum kh_err kh_agent_find(struct kh_ctx *ctx, const char *who, struct kh_agent_ref *out);
/* A queue by name. KH_EVALIDATION (field "queue") when there is none. */
enum kh_err kh_queue_find(struct kh_ctx *ctx, const char *name, int64_t *id, char *qname, size_t n);
/* Follows the keys pressed through the IVR menu from `menu`; *queue is 0 when
 * they lead to no queue. */
enum kh_err kh_ivr_resolve(struct kh_ctx *ctx, const char *menu, const char *digits, int64_t *queue, char *qname,
			   size_t n);
/* The available agent with the queue's required skills who has been idle
 * longest and is not being rung for another call; out->user_id 0 if none. */
enum kh_err kh_route_call(struct kh_ctx *ctx, int64_t queue, struct kh_agent_ref *out);
/* Sets the state of the user's agent record (if they have one). */
enum kh_err kh_agent_set_state_of_user(struct kh_ctx *ctx, int64_t user_id, const char *state);

/* The wallboard for today (in the service's time zone), for one queue or all
 * (queue 0): {"calls_waiting", "longest_wait_seconds", "offered", "answered",
 * "abandoned", "missed", "service_level", "asa_seconds", "abandonment_rate",
 * "agents": {"available": n, ...}, "queues": [...], "at"}. */
enum kh_err kh_wallboard(struct kh_ctx *ctx, int64_t queue, struct kh_jw *w);

/* The IVR menu as a tree: {"menus": {"main": [{"digit", "label", "queue_id",
 * "queue", "next_menu"}]}}. */
enum kh_err kh_ivr_tree(struct kh_ctx *ctx, struct kh_jw *w);

/* The agent record of the logged-in user, and changing its state. */
enum kh_err kh_agent_me(struct kh_ctx *ctx, struct kh_jw *w);
enum kh_err kh_agent_me_state(struct kh_ctx *ctx, const char *state);

#endif
