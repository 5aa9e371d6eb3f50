/* Server-Sent Events: GET /api/v1/events streams live events to the logged-in
 * user's browser. A tail thread reads new rows of kh_events (whichever server
 * wrote them) and hands each to the connected clients it is for: on
 * PostgreSQL as soon as a notification says one committed (LISTEN/NOTIFY, and
 * at least every 500 ms), elsewhere every 100 ms;
 * a client with nothing to send is suspended (libmicrohttpd's suspend/resume),
 * so an idle stream costs no thread and no polling. A comment line every 15 s
 * keeps proxies from closing quiet streams. */
#ifndef KH_SSE_H
#define KH_SSE_H

#include <stddef.h>
#include <stdint.h>

struct kh_sse_hub;
struct kh_req;

struct kh_sse_hub *kh_sse_start(const char *db_location, char *msg, size_t msglen);
/* Ends every stream (clients reconnect elsewhere) and stops the tail thread. */
void kh_sse_stop(struct kh_sse_hub *hub);
/* The number of connected streams (for metrics and tests). */
int kh_sse_clients(struct kh_sse_hub *hub);
/* How often the tail was woken by a database notification (for metrics). */
uint64_t kh_sse_notifications(struct kh_sse_hub *hub);

#endif
