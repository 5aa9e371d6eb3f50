/* Cases from e-mail: a mailbox read over IMAP with libcurl, and the parsing
 * of what arrives (RFC 5322 headers, RFC 2047 encoded words, MIME multipart,
 * base64 and quoted-printable, any charset iconv knows: GB18030 included).
 *
 * Each new message (by UID, remembered with the mailbox's UIDVALIDITY) becomes
 * a case, or a reply on its case when it answers a message Kehu has seen
 * (In-Reply-To, References) or names a case number (CS-000123) in its
 * subject. The sender is matched to a contact by address. A reply to a case
 * that waits on the customer, or is resolved, puts it back in progress. Every
 * message is recorded by Message-ID, so a message is never taken twice, even
 * if the mailbox is rebuilt. The mailbox is only read, never changed. */
#ifndef KH_IMAP_H
#define KH_IMAP_H

#include <stddef.h>

#include "domain/write.h"

struct kh_mail {
	const char *message_id;  /* without <>; NULL if the message has none */
	const char *in_reply_to; /* ids, without <>, space-separated */
	const char *references;
	const char *from_addr, *from_name;
	const char *subject;
	const char *body; /* the text, UTF-8 */
};

/* Parses a raw message; strings are allocated from the arena and are valid
 * UTF-8. Returns 0, or -1 for something that is not a message at all. */
int kh_mail_parse(const char *raw, size_t n, struct kh_arena *a, struct kh_mail *m);

/* Takes one parsed message in (its own transaction): *case_id receives the
 * case, *reply 1 if it was a reply on an existing case, and *dup 1 if the
 * message had been taken before (nothing written). */
enum kh_err kh_mail_take(struct kh_ctx *ctx, const struct kh_mail *m, int64_t *case_id, int *reply, int *dup);

struct kh_imap_result {
	int fetched, created, replied, skipped;
};

/* Reads the new messages of the mailbox in the service settings. */
enum kh_err kh_imap_poll(struct kh_ctx *ctx, struct kh_imap_result *r);

#endif
