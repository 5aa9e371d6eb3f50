/* Cases: the state machine, assignment by rules, and the transition use case.
 *
 *   new ──> assigned ──> in_progress ──> waiting ──> resolved ──> closed
 *    │          │  ^          │  ^         │   ^        │   ^       │
 *    └──────────┴──┴──────────┘  └─────────┘   └────────┘   │       │
 *                 reopen: resolved / closed ──> in_progress ─┘───────┘
 *
 * (kh_case_allowed() is the table.) Every status change goes through the rule,
 * whether it comes from POST /cases/{id}/transition or from a plain PATCH of
 * `status`: an illegal one is a 422 naming the legal targets. Moving to
 * assigned needs an owner. The first move into in_progress, waiting, resolved
 * or closed stamps first_response_at; a reopen counts in reopen_count.
 *
 * Assignment: a new case (status new) goes to a queue, its own or the first
 * active queue whose categories name its category or type, and from the queue
 * to an agent who has the queue's required skills, is signed in (not offline or
 * on a break) and is under the queue's cap of open cases: the one assigned
 * longest ago (round robin) or the one with the fewest open cases (least
 * loaded). With nobody there the case waits in the queue, status new. */
#ifndef KH_CASES_H
#define KH_CASES_H

#include <jansson.h>

#include "domain/write.h"

/* The statuses a case in status `from` may move to, NULL-terminated; NULL for
 * an unknown status. */
const char *const *kh_case_allowed(const char *from);

struct kh_transition {
	const char *to;      /* required */
	const char *note;    /* becomes a note on the case, in the same transaction */
	json_t *fields;      /* optional other fields to set with it (owner_id, resolution, kb_article_id) */
	int64_t version;     /* If-Match, or -1 */
	/* On an illegal move: where the case is and where it may go. */
	const char *from;
	const char *const *allowed;
};

/* Moves case id to t->to. KH_EVALIDATION with t->allowed set when the move is
 * not allowed; nothing is written on any error. */
enum kh_err kh_case_transition(struct kh_ctx *ctx, int64_t id, struct kh_transition *t);

/* Runs assignment for a case waiting in status new (POST /cases/{id}/assign):
 * *assigned receives the agent's user id, or 0 if nobody is available. */
enum kh_err kh_case_assign(struct kh_ctx *ctx, int64_t id, int64_t *assigned);

#endif
