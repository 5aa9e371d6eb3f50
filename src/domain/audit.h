/* The audit log: an append-only record of who did what, when. The write path
 * appends every change of every record (with old and new values per field);
 * authentication appends logins, failed logins and logouts; exports and
 * privacy requests append themselves. No route edits or deletes entries; the
 * one exception is erasure (PIPL/GDPR), which blanks a person's values inside
 * the entries but keeps the entries. */
#ifndef KH_AUDIT_H
#define KH_AUDIT_H

#include "domain/write.h"
#include "util/json_out.h"

/* Appends an entry. user_id 0 means the system; details is a JSON object text
 * (or NULL for {}). Runs in the caller's transaction, if any. */
enum kh_err kh_audit_append(struct kh_db *db, int64_t user_id, const char *entity, int64_t record_id,
			    const char *action, const char *details);

/* Writes {"data": [entries], "next_cursor": ...} for the filters given (any may
 * be NULL/0): entity, record_id, user_id, action, from and to (ISO times),
 * newest first, `limit` a page, continuing below `before_id` when it is set.
 * Personal values inside entries are masked for principals without the
 * personal-data permission. */
struct kh_audit_query {
	const char *entity;
	int64_t record_id, user_id, before_id;
	const char *action, *from, *to;
	int limit;
};
enum kh_err kh_audit_list(struct kh_ctx *ctx, const struct kh_audit_query *q, struct kh_jw *w);

#endif
