/* The security module's rules: roles as data (and the built-in ones), record
 * shares, marketing consent, and privacy requests (PIPL, GDPR). */
#ifndef KH_SECURITY_H
#define KH_SECURITY_H

#include "domain/write.h"
#include "util/json_out.h"

struct kh_write;

enum kh_err kh_role_before_write(struct kh_write *w);
enum kh_err kh_share_before_write(struct kh_write *w);
enum kh_err kh_consent_before_write(struct kh_write *w);

/* Creates the built-in roles that are missing (admin, sales_manager, sales_rep,
 * service_agent, marketing, analyst, read_only). Used by a migration. */
enum kh_err kh_roles_seed(struct kh_db *db);
/* Built-in roles of an older database learn the entities added since. */
enum kh_err kh_roles_upgrade(struct kh_db *db);

/* Writes everything Kehu holds about one contact as one JSON document: the
 * record, its activities, cases, orders with lines, opportunities, consents
 * and audit entries. Audited as a privacy export. */
enum kh_err kh_privacy_export(struct kh_ctx *ctx, int64_t contact_id, struct kh_jw *w);

/* Erases a contact: personal fields blanked (the name becomes "Erased contact
 * #id"), the search index and every audit entry and outbox event about it
 * scrubbed of the old values, while orders and cases stay for accounting.
 * One transaction; audited (without values). */
enum kh_err kh_privacy_erase(struct kh_ctx *ctx, int64_t contact_id);

/* 1 if the contact has granted marketing on the channel (and not withdrawn it
 * since): campaigns ask this before each message. */
int kh_consent_allows(struct kh_db *db, int64_t contact_id, const char *channel);

#endif
