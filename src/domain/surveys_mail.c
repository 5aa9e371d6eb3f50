/* Survey invitations by e-mail: the job that mails each pending invitation
 * of the e-mail channel its answer link, through the SMTP server of the
 * sales module's settings (domain/email.h).
 *
 * An invitation is sent at most once: it is marked "sent" in a committed
 * transaction before the SMTP conversation, so a crash in between leaves it
 * "sent" (never mailed twice, perhaps never mailed). A failure that reached
 * nobody (no connection, a 4xx answer) puts it back to "pending" and the job
 * tries again a minute later; a refusal (5xx, no address, do not contact)
 * marks it "failed" with the reason in delivery_error. Without an SMTP
 * server set up, invitations wait, pending, and the job stops until the next
 * invitation queues it. */
#include <stdio.h>
#include <string.h>

#include "domain/email.h"
#include "domain/jobs.h"
#include "domain/read.h"
#include "domain/sales.h"
#include "domain/surveys.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

#define MAIL_BATCH_MAX 1000

static const struct kh_principal mail_principal = {.user_id = 0, .username = "system", .role = "admin",
						    .is_admin = 1};

/* Text into HTML: the five characters that could end an element or an
 * attribute become entities. */
static void add_html(struct kh_buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': kh_buf_adds(b, "&lt;"); break;
		case '>': kh_buf_adds(b, "&gt;"); break;
		case '&': kh_buf_adds(b, "&amp;"); break;
		case '"': kh_buf_adds(b, "&quot;"); break;
		case '\'': kh_buf_adds(b, "&#39;"); break;
		default: kh_buf_addc(b, *s);
		}
}

/* Sets an invitation's status (and when "sent", sent_at) in its own
 * committed transaction, through the write path. */
static enum kh_err mark(struct kh_db *db, int64_t id, const char *status, const char *why)
{
	struct kh_arena arena;
	struct kh_errinfo ei;
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	struct kh_ctx ctx = {.db = db, .who = &mail_principal, .arena = &arena, .ei = &ei};
	const struct kh_entity *e = kh_entity_find("survey_invitations");
	struct kh_values vals;
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	enum kh_err err = kh_values_init(&vals, e, &arena);
	if (!err) {
		int st = kh_field_index(e, "status"), at = kh_field_index(e, "sent_at"),
		    de = kh_field_index(e, "delivery_error");
		vals.v[st] = KH_VTEXT(status);
		vals.set[st] = 1;
		if (!strcmp(status, "sent")) {
			vals.v[at] = KH_VTEXT(now);
			vals.set[at] = 1;
		}
		vals.v[de] = why ? KH_VTEXT(why) : KH_VNULL;
		vals.set[de] = 1;
		err = kh_db_begin(db, KH_TX_WRITE);
		if (!err) {
			err = kh_record_patch(&ctx, &vals, id, -1);
			err = err ? err : kh_db_commit(db);
			if (err)
				kh_db_rollback(db);
		}
	}
	kh_arena_release(&arena);
	return err;
}

/* The message: the survey's name as the subject, its introduction (or a
 * line in Chinese and English) and the link, as text and as HTML. */
static void compose(struct kh_buf *text, struct kh_buf *html, const char *name, const char *intro, const char *link)
{
	const char *ask = intro && *intro ? intro
					  : "请花一分钟回答我们的问卷。Please take a minute to answer our survey.";
	kh_buf_addf(text, "%s\n\n%s\n\n%s\n", name, ask, link);
	kh_buf_adds(html, "<!doctype html><html><body><h1>");
	add_html(html, name);
	kh_buf_adds(html, "</h1><p>");
	add_html(html, ask);
	kh_buf_adds(html, "</p><p><a href=\"");
	add_html(html, link);
	kh_buf_adds(html, "\">");
	add_html(html, link);
	kh_buf_adds(html, "</a></p></body></html>");
}

struct pending {
	int64_t id;
	char *token, *email, *name, *intro;
	int do_not_contact;
};

static enum kh_err mail_job(struct kh_ctx *ctx, json_t *payload)
{
	(void)payload;
	struct kh_db *db = ctx->db;
	json_t *settings = kh_sales_settings_get(db);
	json_t *rate_j = json_object_get(settings, "send_rate_per_minute");
	int rate = json_is_integer(rate_j) && json_integer_value(rate_j) > 0 ? (int)json_integer_value(rate_j) : 60;
	if (rate > MAIL_BATCH_MAX)
		rate = MAIL_BATCH_MAX;
	const char *base = json_string_value(json_object_get(settings, "public_url"));
	const char *url = json_string_value(json_object_get(settings, "smtp_url"));
	if (!url || !*url || !base || !*base) {
		kh_info("surveys: e-mail invitations wait until smtp_url and public_url are set");
		json_decref(settings);
		return KH_OK;
	}
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	struct kh_val lim = KH_VINT(rate);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT i.id, i.token, c.email, s.name, s.intro, c.do_not_contact FROM survey_invitations i "
				      "JOIN surveys s ON s.id = i.survey_id LEFT JOIN contacts c ON c.id = i.contact_id WHERE "
				      "i.channel = 'email' AND i.status = 'pending' AND i.archived_at IS NULL AND s.status = "
				      "'active' ORDER BY i.id LIMIT $1",
				      &lim, 1, &rows);
	if (err) {
		json_decref(settings);
		return kh_errinfo_set(ctx->ei, err, "cannot read the pending invitations");
	}
	struct pending *p = kh_arena_calloc(ctx->arena, (size_t)rate, sizeof *p);
	int n = 0;
	while (p && n < rate && kh_rows_next(db, rows) > 0) {
		struct kh_val v[6];
		for (int i = 0; i < 6; i++)
			v[i] = kh_rows_col(db, rows, i);
		p[n].id = v[0].i;
		p[n].token = v[1].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[1].s) : NULL;
		p[n].email = v[2].t == KH_V_TEXT && v[2].n ? kh_arena_strdup(ctx->arena, v[2].s) : NULL;
		p[n].name = v[3].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[3].s) : "";
		p[n].intro = v[4].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[4].s) : NULL;
		p[n].do_not_contact = v[5].t == KH_V_INT && v[5].i == 1;
		n++;
	}
	kh_rows_end(db, rows);
	int sent = 0, retry = 0;
	for (int i = 0; i < n && !retry; i++) {
		const char *skip = !p[i].email ? "no_email" : p[i].do_not_contact ? "do_not_contact" : !p[i].token ? "no_link" : NULL;
		if (skip) {
			mark(db, p[i].id, "failed", skip);
			continue;
		}
		/* Marked before the conversation: at most once. */
		if (mark(db, p[i].id, "sent", NULL))
			continue;
		struct kh_buf link = KH_BUF_INIT, text = KH_BUF_INIT, html = KH_BUF_INIT;
		kh_buf_addf(&link, "%.*s/s/%s", (int)bl, base, p[i].token);
		compose(&text, &html, p[i].name, p[i].intro, link.data);
		struct kh_mail m = {p[i].email, p[i].name, html.data, text.data, NULL, NULL};
		char why[256] = "";
		int retryable = 0;
		enum kh_err e = link.err || text.err || html.err ? KH_ENOMEM : kh_mail_send(settings, &m, &retryable, why, sizeof why);
		if (e && retryable) {
			/* Nobody got it: it waits for the next minute's try. */
			mark(db, p[i].id, "pending", why);
			retry = 1;
		} else if (e) {
			mark(db, p[i].id, "failed", why[0] ? why : kh_strerror(e));
		} else {
			sent++;
		}
		kh_buf_release(&link);
		kh_buf_release(&text);
		kh_buf_release(&html);
	}
	json_decref(settings);
	/* Once more a minute later whenever this run found work: for the rest
	 * beyond the rate, a retry, or an invitation that came while it ran
	 * (whose own job was the one running). A run that finds nothing stops. */
	if (n)
		kh_surveys_mail_queue(db, 60);
	kh_info("surveys: mailed %d invitations%s", sent, retry ? "; the mail server will be tried again" : "");
	return KH_OK;
}

enum kh_err kh_surveys_mail_queue(struct kh_db *db, int delay_seconds)
{
	/* New invitations queue a run now unless one is already waiting (a
	 * thousand sent at once make one job); follow-ups run on the next minute,
	 * one per minute. A key per second was not enough: an invitation made in
	 * the same second as a run that had already finished found that run's key
	 * taken and was never mailed. The keys of the two kinds never meet. */
	int64_t now = kh_now(), second = 1000000, minute = 60 * second;
	char run_at[KH_TIME_LEN], key[64];
	if (delay_seconds <= 0) {
		int64_t waiting;
		enum kh_err err = kh_db_int(db, "SELECT id FROM kh_jobs WHERE kind = 'surveys.mail' AND status = 'pending' "
						"AND dedupe_key LIKE 'surveys.mail:now:%' LIMIT 1",
					    NULL, 0, &waiting);
		if (err != KH_ENOTFOUND)
			return err; /* KH_OK: one is waiting, and it will find this invitation */
		snprintf(key, sizeof key, "surveys.mail:now:%lld", (long long)now);
		return kh_job_enqueue(db, "surveys.mail", NULL, NULL, key);
	}
	int64_t at = (now + (int64_t)delay_seconds * second + minute - 1) / minute * minute;
	kh_time_format(at, run_at);
	snprintf(key, sizeof key, "surveys.mail:next:%.16s", run_at);
	return kh_job_enqueue(db, "surveys.mail", run_at, NULL, key);
}

/* Safe to run again after a crash: each invitation is marked sent before its
 * message goes, so a second run mails only those still pending. */
const struct kh_job_kind kh_surveys_mail_kind = {"surveys.mail", mail_job, 5, 1};
