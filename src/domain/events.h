/* Live events for browsers (screen pops, wallboards, "this record changed").
 * Domain code emits an event into kh_events, in its own transaction, so an
 * event exists exactly when the change that caused it committed; every server
 * tails the table and pushes new events to its Server-Sent Events clients
 * (http/sse.c), woken at once on PostgreSQL by a notification that commits
 * with the event. Events are kept for an hour, for clients that reconnect with
 * Last-Event-ID. */
#ifndef KH_EVENTS_H
#define KH_EVENTS_H

#include <stdint.h>

#include "store/store.h"

/* The notification channel that tells every server a new event is there. */
#define KH_EVENTS_CHANNEL "kehu_events"

/* For user_id (0: every logged-in user), of a type ("screen_pop",
 * "wallboard"), with a JSON object text as data. */
enum kh_err kh_event_emit(struct kh_db *db, int64_t user_id, const char *type, const char *data);

#endif
