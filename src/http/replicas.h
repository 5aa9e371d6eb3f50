/* Read replicas (`kehu serve --read-db postgresql://...`, several allowed):
 * which requests may read from a streaming replica instead of the primary.
 *
 * Reads that do not change anything (GET) go to a replica, writes and the
 * check of the login token to the primary. A user who has just written reads
 * from the primary for the next KH_RYOW_SECONDS, so that they see what they
 * wrote although a replica may be a moment behind (read your own writes). The
 * memory of who wrote is this process's: behind a load balancer, route a
 * token's requests to the same server (sticky sessions) or accept that a read
 * on another server may be that many seconds old. */
#ifndef KH_REPLICAS_H
#define KH_REPLICAS_H

#include <stdint.h>

#define KH_RYOW_SECONDS 5
#define KH_MAX_READ_DBS 8

/* Splits a --read-db value into URIs: "postgresql://a/k,postgresql://b/k".
 * Only a comma followed by postgres:// or postgresql:// separates, since a
 * URI may name several hosts with commas itself. Returns the number of URIs
 * (at most KH_MAX_READ_DBS), each a malloc'ed string in out, or -1 if one is
 * not a PostgreSQL URI. */
int kh_read_dbs_parse(const char *value, char **out);

/* Remembers that user_id changed something just now. */
void kh_ryow_note_write(int64_t user_id);
/* 1 if user_id changed something in the last KH_RYOW_SECONDS. May say 1 for a
 * user who did not (another user's write in the same slot): reads then go to
 * the primary, which is never wrong, only less spread. */
int kh_ryow_recent(int64_t user_id);

#endif
