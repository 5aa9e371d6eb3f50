/* The HTTP server: libmicrohttpd with a fixed pool of worker threads, each with
 * its own database connection (opened on its first request, closed when the
 * thread ends), so prepared statements are per thread and nothing is shared on
 * the request path but relaxed atomic counters. */
#ifndef KH_SERVER_H
#define KH_SERVER_H

#include <stddef.h>

#include "config.h"

struct kh_server;
struct kh_scheduler;

/* Starts serving; returns NULL with the reason in msg. */
struct kh_server *kh_server_start(const struct kh_config *cfg, char *msg, size_t msglen);
/* The port actually listened on (useful with port 0). */
int kh_server_port(const struct kh_server *s);
/* How long new login sessions last, in seconds. */
long kh_server_session_ttl(const struct kh_server *s);
/* The server's live-event hub (http/sse.h). */
struct kh_sse_hub *kh_server_sse(const struct kh_server *s);
/* The server's background worker (domain/scheduler.h). */
struct kh_scheduler *kh_server_scheduler(const struct kh_server *s);
/* Where the built web UI is. */
const char *kh_server_web_root(const struct kh_server *s);
/* Stops accepting, lets requests in flight finish (up to a few seconds), stops
 * the workers (closing their connections) and frees s. */
void kh_server_stop(struct kh_server *s);

#endif
