/* E-mail: messages sent through the SMTP server in the module's settings with
 * libcurl (smtp:// or smtps://, STARTTLS when asked, credentials), e-mail
 * campaigns sent by a throttled background job, and the public links each
 * message carries: unsubscribe, open pixel and click redirect.
 *
 * A campaign message is sent at most once: its member is marked "sending"
 * in a committed transaction before the SMTP conversation and "sent" after
 * it, so a crash in between leaves "sending", which is reported as failed and
 * never sent again. A member without marketing consent for e-mail (or marked
 * do-not-contact, or without an address) is skipped and counted. */
#ifndef KH_EMAIL_H
#define KH_EMAIL_H

#include <jansson.h>

#include "domain/write.h"
#include "util/json_out.h"

struct kh_mail {
	const char *to;
	const char *subject;
	const char *html;             /* NULL: text only */
	const char *text;             /* NULL: derived from html */
	const char *unsubscribe_url;  /* List-Unsubscribe, when set */
	const char *message_id;       /* "<...@...>", NULL: made up */
};

/* Sends one message with the settings (kh_sales_settings_get). On failure
 * *retryable says whether nothing was delivered and a later try may work
 * (the server could not be reached, or answered 4xx), and err has the
 * reason. */
enum kh_err kh_mail_send(json_t *settings, const struct kh_mail *m, int *retryable, char *err, size_t errlen);

/* Renders template_id for a record of e (vals: its values) into subject,
 * html and text (arena memory); {{unsubscribe_url}} becomes unsub if given. */
enum kh_err kh_template_render(struct kh_ctx *ctx, int64_t template_id, const struct kh_entity *e,
			       const struct kh_val *vals, const char *unsub, const char **subject, const char **html,
			       const char **text);

/* POST /api/v1/campaigns/{id}/send {"template_id": n}: freezes who gets the
 * mail (members planned) and queues the sending job. Writes the counts. */
enum kh_err kh_campaign_send_start(struct kh_ctx *ctx, int64_t campaign_id, json_t *body, struct kh_jw *w);
/* Job "sales.campaign_send": sends up to the rate per minute, then queues
 * itself a minute later until every member is done. */
enum kh_err kh_campaign_send_job(struct kh_ctx *ctx, json_t *payload);

/* The public links. Each takes the member's token. */
enum kh_err kh_email_open(struct kh_ctx *ctx, const char *token);
/* Checks the signature of url and records the click; *dest is the url. */
enum kh_err kh_email_click(struct kh_ctx *ctx, const char *token, const char *url, const char *sig);
/* Withdraws the contact's e-mail consent and marks the member unsubscribed. */
enum kh_err kh_email_unsubscribe(struct kh_ctx *ctx, const char *token);

/* The signature of a tracked link: hex HMAC-SHA256 of token and url under a
 * key kept in the settings table (made on first use). out: 65 bytes. */
enum kh_err kh_email_link_sig(struct kh_db *db, const char *token, const char *url, char out[65]);

#endif
