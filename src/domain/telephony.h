/* Telephony: call events from a PBX or CTI connector, the customer behind a
 * number, and screen pops.
 *
 * POST /api/v1/telephony/events takes one event:
 *   {"event": "ringing" | "answered" | "hangup", "call_id": "...",
 *    "from": "+86 138 1234 5678", "to": "4008001234",
 *    "direction": "inbound" | "outbound",            (default inbound)
 *    "agent": "8001" (an extension or a username),    (optional)
 *    "queue": "售后" (a queue's name), "digits": "1"  (optional: IVR keys),
 *    "at": "2026-01-31T08:00:00Z"}                    (optional: when)
 *
 * ringing   the call record is created and its customer matched; a call for
 *           a queue (named, or chosen by the IVR digits) is routed to the
 *           longest-idle available agent with the queue's skills, and the
 *           answer says whom to ring ("route_to"). The agent's browser gets a
 *           "screen_pop" event with the customer's card, or a new-contact
 *           form's values for an unknown number.
 * answered  the agent is on the call.
 * hangup    the call ends; it becomes a call activity (direction, duration,
 *           outcome, notes); the agent goes to wrap-up; an inbound call that
 *           nobody answered becomes a callback task.
 * Events are idempotent: a repeated or late event changes nothing.
 *
 * Phone numbers match in any format: the key of util/phone.h (+86 folded,
 * separators dropped), and a local number with or without its area code. */
#ifndef KH_TELEPHONY_H
#define KH_TELEPHONY_H

#include <jansson.h>
#include <stdint.h>

#include "domain/write.h"
#include "util/json_out.h"
#include "util/phone.h"

struct kh_phone_match {
	char key[KH_PHONE_KEY_MAX];
	int64_t contact_id, account_id;
	int candidates; /* how many records had the number (ambiguous when > 1) */
};

/* The contact (or account) whose phone or mobile is `number`. KH_OK with ids 0
 * when nobody has it; KH_EINVAL when it is not a phone number at all. */
enum kh_err kh_phone_match(struct kh_db *db, const char *number, struct kh_phone_match *m);

/* 1 if two phone keys name the same line: equal, or one a local number that
 * the other has with an area code ("88886666" and "+861088886666"). */
int kh_phone_keys_match(const char *a, const char *b);

/* Handles one event (see above) and writes the answer:
 * {"call": {...}, "route_to": {...} | null, "contact": {...} | null, "ignored": bool}. */
enum kh_err kh_telephony_event(struct kh_ctx *ctx, json_t *body, struct kh_jw *w);

#endif
