/* E-mail through SMTP with libcurl, campaign sending, and the public links. */
#include "domain/email.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/jobs.h"
#include "domain/rules.h"
#include "domain/sales.h"
#include "domain/security.h"
#include "model/permission.h"
#include "model/validate.h"
#include "util/clock.h"
#include "util/log.h"

static const struct kh_principal system_principal = {.user_id = 0, .username = "system", .role = "admin",
						      .is_admin = 1};

/* ---- the message ---- */

static void base64_lines(struct kh_buf *b, const char *s, size_t n)
{
	/* 57 bytes make a 76-character line, the MIME limit. */
	char line[80];
	for (size_t i = 0; i < n; i += 57) {
		size_t k = n - i < 57 ? n - i : 57;
		sodium_bin2base64(line, sizeof line, (const unsigned char *)s + i, k, sodium_base64_VARIANT_ORIGINAL);
		kh_buf_adds(b, line);
		kh_buf_adds(b, "\r\n");
	}
}

/* A header value in RFC 2047 form when it is not plain ASCII. */
static void header_text(struct kh_buf *b, const char *s)
{
	int ascii = 1;
	for (const char *p = s; *p; p++)
		ascii &= (unsigned char)*p < 128 && *p != '\r' && *p != '\n';
	if (ascii) {
		kh_buf_adds(b, s);
		return;
	}
	char enc[1024];
	size_t n = strlen(s);
	/* Encoded words of up to 45 bytes, split between UTF-8 characters. */
	for (size_t i = 0; i < n;) {
		size_t k = n - i < 45 ? n - i : 45;
		while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
			k--;
		sodium_bin2base64(enc, sizeof enc, (const unsigned char *)s + i, k, sodium_base64_VARIANT_ORIGINAL);
		kh_buf_addf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", enc);
		i += k;
	}
}

/* Text from HTML for the plain part: tags dropped, <br> and </p> as lines. */
static char *html_to_text(const char *html)
{
	struct kh_buf b = KH_BUF_INIT;
	for (const char *p = html; *p; p++) {
		if (*p == '<') {
			if (!strncasecmp(p, "<br", 3) || !strncasecmp(p, "</p", 3) || !strncasecmp(p, "</div", 5))
				kh_buf_addc(&b, '\n');
			const char *end = strchr(p, '>');
			if (!end)
				break;
			p = end;
		} else if (!strncmp(p, "&amp;", 5)) {
			kh_buf_addc(&b, '&'), p += 4;
		} else if (!strncmp(p, "&lt;", 4)) {
			kh_buf_addc(&b, '<'), p += 3;
		} else if (!strncmp(p, "&gt;", 4)) {
			kh_buf_addc(&b, '>'), p += 3;
		} else {
			kh_buf_addc(&b, *p);
		}
	}
	return b.err ? NULL : kh_buf_detach(&b, NULL);
}

static void rfc5322_date(struct kh_buf *b)
{
	static const char *const days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char t[KH_TIME_LEN];
	kh_time_format(kh_now(), t); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
	char day[11];
	memcpy(day, t, 10);
	day[10] = '\0';
	int64_t d = kh_date_days(day);
	int mon = (t[5] - '0') * 10 + (t[6] - '0');
	kh_buf_addf(b, "Date: %s, %.2s %s %.4s %.8s +0000\r\n", days[((d % 7) + 7) % 7], t + 8, months[mon - 1], t, t + 11);
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *out, size_t size, size_t n, void *cls)
{
	struct upload *u = cls;
	size_t room = size * n, left = u->len - u->off, k = left < room ? left : room;
	memcpy(out, u->data + u->off, k);
	u->off += k;
	return k;
}

enum kh_err kh_mail_send(json_t *settings, const struct kh_mail *m, int *retryable, char *err, size_t errlen)
{
	const char *url = json_string_value(json_object_get(settings, "smtp_url"));
	const char *from = json_string_value(json_object_get(settings, "from_address"));
	const char *from_name = json_string_value(json_object_get(settings, "from_name"));
	const char *tls = json_string_value(json_object_get(settings, "smtp_tls"));
	const char *user = json_string_value(json_object_get(settings, "smtp_username"));
	const char *pass = json_string_value(json_object_get(settings, "smtp_password"));
	*retryable = 0;
	if (!url || !*url || !from || !*from) {
		snprintf(err, errlen, "e-mail is not set up: smtp_url and from_address are needed");
		return KH_EINVAL;
	}
	if (strchr(m->to, '\r') || strchr(m->to, '\n') || strchr(m->to, '>') || strchr(m->to, '<')) {
		snprintf(err, errlen, "not a valid address: %s", m->to);
		return KH_EINVAL;
	}
	struct kh_buf msg = KH_BUF_INIT;
	unsigned char rnd[12];
	char boundary[40], hex[25];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
	snprintf(boundary, sizeof boundary, "kehu-%s", hex);
	rfc5322_date(&msg);
	kh_buf_adds(&msg, "From: ");
	if (from_name && *from_name) {
		header_text(&msg, from_name);
		kh_buf_addf(&msg, " <%s>\r\n", from);
	} else {
		kh_buf_addf(&msg, "%s\r\n", from);
	}
	kh_buf_addf(&msg, "To: <%s>\r\nSubject: ", m->to);
	header_text(&msg, m->subject ? m->subject : "");
	kh_buf_adds(&msg, "\r\n");
	if (m->message_id)
		kh_buf_addf(&msg, "Message-ID: %s\r\n", m->message_id);
	else
		kh_buf_addf(&msg, "Message-ID: <%s@kehu>\r\n", hex);
	if (m->unsubscribe_url)
		kh_buf_addf(&msg, "List-Unsubscribe: <%s>\r\n", m->unsubscribe_url);
	char *derived = !m->text && m->html ? html_to_text(m->html) : NULL;
	const char *text = m->text ? m->text : derived ? derived : "";
	kh_buf_adds(&msg, "MIME-Version: 1.0\r\n");
	if (m->html) {
		kh_buf_addf(&msg, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
		kh_buf_addf(&msg, "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			    boundary);
		base64_lines(&msg, text, strlen(text));
		kh_buf_addf(&msg, "--%s\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			    boundary);
		base64_lines(&msg, m->html, strlen(m->html));
		kh_buf_addf(&msg, "--%s--\r\n", boundary);
	} else {
		kh_buf_adds(&msg, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
		base64_lines(&msg, text, strlen(text));
	}
	free(derived);
	if (msg.err) {
		kh_buf_release(&msg);
		snprintf(err, errlen, "out of memory");
		return KH_ENOMEM;
	}
	CURL *c = curl_easy_init();
	char from_arg[300], to_arg[300];
	snprintf(from_arg, sizeof from_arg, "<%s>", from);
	snprintf(to_arg, sizeof to_arg, "<%s>", m->to);
	struct curl_slist *rcpt = curl_slist_append(NULL, to_arg);
	struct upload up = {msg.data, msg.len, 0};
	enum kh_err rc = KH_OK;
	if (!c || !rcpt) {
		rc = KH_ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_arg);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (tls && !strcmp(tls, "starttls"))
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	else if (tls && !strcmp(tls, "required"))
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (json_is_true(json_object_get(settings, "smtp_insecure"))) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (user && *user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass ? pass : "");
	}
	CURLcode cc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc != CURLE_OK) {
		/* Retry only what surely delivered nothing: no connection, or the
		 * server's "try later" (4xx) before the message was accepted. */
		*retryable = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
			     (code >= 400 && code < 500);
		snprintf(err, errlen, "%s%s%ld", curl_easy_strerror(cc), code ? ": SMTP " : "", code);
		if (!code)
			err[strlen(err) - 1] = '\0';
		rc = KH_EIO;
	}
out:
	curl_slist_free_all(rcpt);
	if (c)
		curl_easy_cleanup(c);
	kh_buf_release(&msg);
	return rc;
}

/* ---- templates ---- */

enum kh_err kh_template_render(struct kh_ctx *ctx, int64_t template_id, const struct kh_entity *e,
			       const struct kh_val *vals, const char *unsub, const char **subject, const char **html,
			       const char **text)
{
	struct kh_val id = KH_VINT(template_id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT subject, body, text_body FROM templates WHERE id = $1 AND kind = 'email' AND "
				      "archived_at IS NULL",
				      &id, 1, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read template %lld", (long long)template_id);
	char *s = NULL, *h = NULL, *t = NULL;
	int found = kh_rows_next(ctx->db, rows) > 0;
	if (found) {
		struct kh_val v[3];
		for (int i = 0; i < 3; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		s = v[0].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[0].s) : NULL;
		h = v[1].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[1].s) : NULL;
		t = v[2].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[2].s) : NULL;
	}
	kh_rows_end(ctx->db, rows);
	if (!found)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "no e-mail template %lld", (long long)template_id);
	if (!s || !h)
		return kh_errinfo_set(ctx->ei, KH_EVALIDATION, "template %lld needs a subject and a body",
				      (long long)template_id);
	/* {{unsubscribe_url}} is not a field: put it in first. */
	const char *parts[3] = {s, h, t};
	const char **outs[3] = {subject, html, text};
	for (int i = 0; i < 3; i++) {
		if (!parts[i]) {
			*outs[i] = NULL;
			continue;
		}
		struct kh_buf b = KH_BUF_INIT;
		const char *p = parts[i], *hit;
		while ((hit = strstr(p, "{{unsubscribe_url}}"))) {
			kh_buf_add(&b, p, (size_t)(hit - p));
			kh_buf_adds(&b, unsub ? unsub : "");
			p = hit + strlen("{{unsubscribe_url}}");
		}
		kh_buf_adds(&b, p);
		*outs[i] = kh_rule_expand(b.data, e, vals, ctx->arena);
		kh_buf_release(&b);
	}
	return KH_OK;
}

/* ---- tracked links ---- */

static enum kh_err link_key(struct kh_db *db, unsigned char key[32])
{
	struct kh_rows *rows;
	char hex[65] = "";
	enum kh_err err = kh_db_query(db, "SELECT value FROM kh_sales_settings WHERE key = 'link_key'", NULL, 0, &rows);
	if (err)
		return err;
	if (kh_rows_next(db, rows) > 0)
		snprintf(hex, sizeof hex, "%s", kh_rows_col(db, rows, 0).s);
	kh_rows_end(db, rows);
	if (!hex[0]) {
		unsigned char raw[32];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_val p[2] = {KH_VTEXT(hex), KH_VTEXT(now)};
		/* Another server may have made one meanwhile: theirs wins. */
		kh_db_exec(db,
			   "INSERT INTO kh_sales_settings (key, value, updated_at) SELECT 'link_key', $1, $2 WHERE NOT "
			   "EXISTS (SELECT 1 FROM kh_sales_settings WHERE key = 'link_key')",
			   p, 2);
		return link_key(db, key);
	}
	size_t n;
	return sodium_hex2bin(key, 32, hex, strlen(hex), NULL, &n, NULL) || n != 32 ? KH_EINTERNAL : KH_OK;
}

enum kh_err kh_email_link_sig(struct kh_db *db, const char *token, const char *url, char out[65])
{
	unsigned char key[32], mac[crypto_auth_hmacsha256_BYTES];
	enum kh_err err = link_key(db, key);
	if (err)
		return err;
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, sizeof key);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, strlen(token));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\n", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)url, strlen(url));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, 65, mac, sizeof mac);
	sodium_memzero(key, sizeof key);
	return KH_OK;
}

static void url_encode(struct kh_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			kh_buf_addc(b, (char)c);
		else
			kh_buf_addf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/* The HTML with its http(s) links sent through the click tracker and the open
 * pixel at the end. */
static char *track_html(struct kh_db *db, const char *html, const char *base, const char *token, struct kh_arena *a)
{
	struct kh_buf b = KH_BUF_INIT;
	const char *p = html, *hit;
	while ((hit = strstr(p, "href=\""))) {
		const char *url = hit + 6, *end = strchr(url, '"');
		if (!end)
			break;
		kh_buf_add(&b, p, (size_t)(url - p));
		size_t n = (size_t)(end - url);
		int tracked = (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) && strncmp(url, base, strlen(base));
		if (tracked) {
			char *target = kh_arena_strndup(a, url, n);
			/* HTML attribute entities back to the URL they stand for. */
			char *o = target;
			for (char *q = target; q && *q; q++) {
				if (!strncmp(q, "&amp;", 5))
					*o++ = '&', q += 4;
				else
					*o++ = *q;
			}
			if (o)
				*o = '\0';
			char sig[65];
			if (target && !kh_email_link_sig(db, token, target, sig)) {
				kh_buf_addf(&b, "%s/api/v1/public/email/%s/click?u=", base, token);
				url_encode(&b, target, strlen(target));
				kh_buf_addf(&b, "&amp;s=%s", sig);
			} else {
				tracked = 0;
			}
		}
		if (!tracked)
			kh_buf_add(&b, url, n);
		p = end;
	}
	kh_buf_adds(&b, p);
	kh_buf_addf(&b, "<img src=\"%s/api/v1/public/email/%s/open.gif\" width=\"1\" height=\"1\" alt=\"\">", base, token);
	char *s = b.err ? NULL : kh_arena_strndup(a, b.data, b.len);
	kh_buf_release(&b);
	return s;
}

/* ---- campaign sending ---- */

enum kh_err kh_campaign_send_start(struct kh_ctx *ctx, int64_t campaign_id, json_t *body, struct kh_jw *w)
{
	const struct kh_entity *camps = kh_entity_find("campaigns");
	json_t *tid = json_object_get(body, "template_id");
	kh_json_members_only(body, "template_id", ctx->ei);
	int64_t found;
	struct kh_val t = KH_VINT(json_integer_value(tid));
	if (!json_is_integer(tid) ||
	    kh_db_int(ctx->db, "SELECT id FROM templates WHERE id = $1 AND kind = 'email' AND archived_at IS NULL", &t, 1,
		      &found))
		kh_errinfo_field(ctx->ei, "template_id", "must be the id of an e-mail template");
	if (ctx->ei->code)
		return ctx->ei->code;
	enum kh_err err = kh_sales_access(ctx, camps, campaign_id, KH_ACT_EDIT);
	if (err)
		return err;
	json_t *s = kh_sales_settings_get(ctx->db);
	const char *need[] = {"smtp_url", "from_address", "public_url"};
	for (int i = 0; i < 3; i++) {
		const char *x = json_string_value(json_object_get(s, need[i]));
		if (!x || !*x)
			kh_errinfo_field(ctx->ei, need[i], "must be set in the sales settings before a campaign is sent");
	}
	json_decref(s);
	if (ctx->ei->code) {
		ctx->ei->code = KH_ECONFLICT;
		ctx->ei->msg = "e-mail is not set up";
		return KH_ECONFLICT;
	}
	struct kh_val cid = KH_VINT(campaign_id);
	int64_t planned = 0, busy = 0;
	err = kh_db_begin(ctx->db, KH_TX_WRITE);
	char like[48];
	snprintf(like, sizeof like, "send:%lld:%%", (long long)campaign_id);
	struct kh_val lk = KH_VTEXT(like);
	if (!err)
		err = kh_db_int(ctx->db,
				"SELECT count(*) FROM kh_jobs WHERE kind = 'sales.campaign_send' AND status IN ('pending', "
				"'running') AND dedupe_key LIKE $1",
				&lk, 1, &busy);
	if (!err && busy)
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "this campaign is being sent already");
	if (!err)
		err = kh_db_int(ctx->db,
				"SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND status = 'planned' AND "
				"archived_at IS NULL",
				&cid, 1, &planned);
	if (!err && !planned)
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "no member is waiting to be sent to (status planned)");
	if (!err) {
		json_t *payload = json_pack("{s:I, s:I}", "campaign_id", (json_int_t)campaign_id, "template_id",
					    (json_int_t)json_integer_value(tid));
		char now[KH_TIME_LEN], dk[80];
		kh_time_format(kh_now(), now);
		snprintf(dk, sizeof dk, "send:%lld:%s", (long long)campaign_id, now);
		err = payload ? kh_job_enqueue(ctx->db, "sales.campaign_send", NULL, payload, dk) : KH_ENOMEM;
		json_decref(payload);
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		return ctx->ei->code ? ctx->ei->code : kh_errinfo_set(ctx->ei, err, "cannot queue the sending");
	}
	kh_jw_obj(w);
	kh_jw_key(w, "queued");
	kh_jw_int(w, planned);
	kh_jw_obj_end(w);
	return KH_OK;
}

static enum kh_err member_set(struct kh_ctx *ctx, int64_t id, const char *status, const char *reason,
			      const char *error, int stamp_sent)
{
	const struct kh_entity *m = kh_entity_find("campaign_members");
	struct kh_values v;
	if (kh_values_init(&v, m, ctx->arena))
		return KH_ENOMEM;
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	v.v[kh_field_index(m, "status")] = KH_VTEXT(status);
	v.set[kh_field_index(m, "status")] = 1;
	if (reason) {
		v.v[kh_field_index(m, "skip_reason")] = KH_VTEXT(reason);
		v.set[kh_field_index(m, "skip_reason")] = 1;
	}
	if (error) {
		char *e = kh_arena_strndup(ctx->arena, error, strlen(error) < 300 ? strlen(error) : 300);
		v.v[kh_field_index(m, "error")] = e ? KH_VTEXT(e) : KH_VNULL;
		v.set[kh_field_index(m, "error")] = 1;
	}
	if (stamp_sent) {
		char *t = kh_arena_strdup(ctx->arena, now);
		v.v[kh_field_index(m, "sent_at")] = t ? KH_VTEXT(t) : KH_VNULL;
		v.set[kh_field_index(m, "sent_at")] = 1;
	}
	return kh_record_patch(ctx, &v, id, -1);
}

static enum kh_err in_tx(struct kh_ctx *ctx, enum kh_err err)
{
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err)
		kh_db_rollback(ctx->db);
	return err;
}

enum kh_err kh_campaign_send_job(struct kh_ctx *ctx, json_t *payload)
{
	int64_t campaign = json_integer_value(json_object_get(payload, "campaign_id"));
	int64_t tmpl = json_integer_value(json_object_get(payload, "template_id"));
	struct kh_db *db = ctx->db;
	json_t *settings = kh_sales_settings_get(db);
	json_t *rate_j = json_object_get(settings, "send_rate_per_minute");
	int rate = json_is_integer(rate_j) && json_integer_value(rate_j) > 0 ? (int)json_integer_value(rate_j) : 60;
	if (rate > 10000)
		rate = 10000;
	const char *base = json_string_value(json_object_get(settings, "public_url"));
	char base_url[512];
	snprintf(base_url, sizeof base_url, "%s", base ? base : "");
	size_t bl = strlen(base_url);
	while (bl && base_url[bl - 1] == '/')
		base_url[--bl] = '\0';
	const struct kh_entity *contacts = kh_entity_find("contacts");
	struct kh_val cid = KH_VINT(campaign);
	struct kh_rows *rows;
	enum kh_err err = KH_OK;

	/* Members left "sending" by a server that stopped mid-message: we cannot
	 * know whether the server took it, so it is failed, never sent twice. */
	if (kh_db_begin(db, KH_TX_WRITE) == KH_OK) {
		int64_t stuck[1000];
		int ns = 0;
		if (!kh_db_query(db, "SELECT id FROM campaign_members WHERE campaign_id = $1 AND status = 'sending'", &cid, 1,
				 &rows)) {
			while (ns < 1000 && kh_rows_next(db, rows) > 0)
				stuck[ns++] = kh_rows_col(db, rows, 0).i;
			kh_rows_end(db, rows);
		}
		for (int i = 0; !err && i < ns; i++)
			err = member_set(ctx, stuck[i], "failed", NULL, "interrupted while sending; not sent again", 0);
		in_tx(ctx, err);
		err = KH_OK;
	}

	int64_t ids[10000];
	int n = 0;
	struct kh_val q[2] = {cid, KH_VINT(rate)};
	if ((err = kh_db_query(db,
			       "SELECT id FROM campaign_members WHERE campaign_id = $1 AND status = 'planned' AND archived_at IS "
			       "NULL ORDER BY id LIMIT $2",
			       q, 2, &rows))) {
		json_decref(settings);
		return kh_errinfo_set(ctx->ei, err, "cannot read the members");
	}
	while (n < rate && kh_rows_next(db, rows) > 0)
		ids[n++] = kh_rows_col(db, rows, 0).i;
	kh_rows_end(db, rows);
	const struct kh_entity *members = kh_entity_find("campaign_members");
	int retry = 0;
	for (int i = 0; i < n && !retry; i++) {
		struct kh_arena scratch;
		kh_arena_init(&scratch);
		struct kh_errinfo ei;
		kh_errinfo_init(&ei, &scratch);
		struct kh_ctx c2 = {.db = db, .who = &system_principal, .arena = &scratch, .ei = &ei};
		struct kh_values m, contact;
		err = kh_sales_load(&c2, members, ids[i], &m);
		int64_t contact_id = !err && m.v[kh_field_index(members, "contact_id")].t == KH_V_INT
					     ? m.v[kh_field_index(members, "contact_id")].i : 0;
		const char *skip = NULL;
		if (!err && !contact_id)
			skip = "not_a_contact";
		if (!err && !skip && kh_sales_load(&c2, contacts, contact_id, &contact))
			skip = "not_a_contact";
		const struct kh_val *email = skip ? NULL : &contact.v[kh_field_index(contacts, "email")];
		if (!err && !skip && contact.v[kh_field_index(contacts, "do_not_contact")].i == 1)
			skip = "do_not_contact";
		if (!err && !skip && (email->t != KH_V_TEXT || !email->n))
			skip = "no_email";
		if (!err && !skip && !kh_consent_allows(db, contact_id, "email"))
			skip = "no_consent";
		if (!err && skip) {
			err = kh_db_begin(db, KH_TX_WRITE);
			if (!err)
				err = member_set(&c2, ids[i], "skipped", skip, NULL, 0);
			err = in_tx(&c2, err);
			kh_arena_release(&scratch);
			continue;
		}
		const char *token = NULL;
		if (!err) {
			struct kh_val mid = KH_VINT(ids[i]);
			if (!kh_db_query(db, "SELECT token FROM campaign_members WHERE id = $1", &mid, 1, &rows)) {
				if (kh_rows_next(db, rows) > 0)
					token = kh_arena_strdup(&scratch, kh_rows_col(db, rows, 0).s);
				kh_rows_end(db, rows);
			}
		}
		char *unsub = token ? kh_arena_printf(&scratch, "%s/api/v1/public/email/%s/unsubscribe", base_url, token) : NULL;
		const char *subject = NULL, *html = NULL, *text = NULL;
		if (!err && token)
			err = kh_template_render(&c2, tmpl, contacts, contact.v, unsub, &subject, &html, &text);
		if (err) {
			/* The template or the member is broken: say so on the member. */
			const char *why = ei.msg ? ei.msg : kh_strerror(err);
			if (kh_db_begin(db, KH_TX_WRITE) == KH_OK)
				in_tx(&c2, member_set(&c2, ids[i], "failed", NULL, why, 0));
			err = KH_OK;
			kh_arena_release(&scratch);
			continue;
		}
		char *tracked = track_html(db, html, base_url, token, &scratch);
		/* Committed before the SMTP conversation: at most once. */
		err = kh_db_begin(db, KH_TX_WRITE);
		if (!err)
			err = member_set(&c2, ids[i], "sending", NULL, NULL, 0);
		if ((err = in_tx(&c2, err))) {
			kh_arena_release(&scratch);
			break;
		}
		char msgid[96], why[512] = "";
		snprintf(msgid, sizeof msgid, "<campaign-%lld-member-%lld@kehu>", (long long)campaign, (long long)ids[i]);
		char *to = kh_arena_strndup(&scratch, email->s, email->n);
		struct kh_mail mail = {.to = to, .subject = subject, .html = tracked ? tracked : html, .text = text,
				       .unsubscribe_url = unsub, .message_id = msgid};
		int retryable = 0;
		enum kh_err sent = kh_mail_send(settings, &mail, &retryable, why, sizeof why);
		err = kh_db_begin(db, KH_TX_WRITE);
		if (!err) {
			if (!sent)
				err = member_set(&c2, ids[i], "sent", NULL, NULL, 1);
			else if (retryable) /* nothing went out: back in the queue */
				err = member_set(&c2, ids[i], "planned", NULL, why, 0);
			else /* a refused recipient bounced; anything else failed */
				err = member_set(&c2, ids[i], strstr(why, "SMTP 55") ? "bounced" : "failed", NULL, why, 0);
		}
		err = in_tx(&c2, err);
		if (sent && retryable) {
			kh_warn("campaign %lld: %s; trying again later", (long long)campaign, why);
			retry = 1;
			kh_errinfo_set(ctx->ei, KH_EIO, "%s", why);
		}
		kh_arena_release(&scratch);
		if (err)
			break;
	}
	json_decref(settings);
	if (retry)
		return KH_EIO; /* the job's backoff */
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot record what was sent");
	/* More to send: the next batch in a minute, the throttle. */
	int64_t left = 0;
	kh_db_int(db, "SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND status = 'planned' AND archived_at IS NULL",
		  &cid, 1, &left);
	if (left > 0) {
		char at[KH_TIME_LEN], dk[80];
		kh_time_format(kh_now() + 60 * 1000000LL, at);
		snprintf(dk, sizeof dk, "send:%lld:%s", (long long)campaign, at);
		err = kh_db_begin(db, KH_TX_WRITE);
		if (!err)
			err = kh_job_enqueue(db, "sales.campaign_send", at, payload, dk);
		err = in_tx(ctx, err);
	}
	return err;
}

/* ---- the public links ---- */

static enum kh_err member_by_token(struct kh_ctx *ctx, const char *token, int64_t *id, int64_t *contact)
{
	struct kh_val t = KH_VTEXT(token);
	struct kh_rows *rows;
	*id = *contact = 0;
	if (strlen(token) != 32)
		return KH_ENOTFOUND;
	enum kh_err err = kh_db_query(ctx->db, "SELECT id, contact_id FROM campaign_members WHERE token = $1", &t, 1, &rows);
	if (err)
		return err;
	if (kh_rows_next(ctx->db, rows) > 0) {
		*id = kh_rows_col(ctx->db, rows, 0).i;
		struct kh_val c = kh_rows_col(ctx->db, rows, 1);
		*contact = c.t == KH_V_INT ? c.i : 0;
	}
	kh_rows_end(ctx->db, rows);
	return *id ? KH_OK : KH_ENOTFOUND;
}

/* Stamps a member's first open or click (and an open with each click). */
static enum kh_err stamp(struct kh_ctx *ctx, int64_t id, int click)
{
	const struct kh_entity *m = kh_entity_find("campaign_members");
	struct kh_ctx sys = *ctx;
	sys.who = &system_principal;
	struct kh_values cur, v;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_sales_load(&sys, m, id, &cur);
	if (!err && kh_values_init(&v, m, ctx->arena))
		err = KH_ENOMEM;
	if (err) {
		kh_db_rollback(ctx->db);
		return err;
	}
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	char *t = kh_arena_strdup(ctx->arena, now);
	const struct kh_val *status = &cur.v[kh_field_index(m, "status")];
	int later = kh_sales_is(status, "responded") || kh_sales_is(status, "converted") ||
		    kh_sales_is(status, "unsubscribed") || (!click && kh_sales_is(status, "clicked"));
	if (cur.v[kh_field_index(m, "opened_at")].t == KH_V_NULL) {
		v.v[kh_field_index(m, "opened_at")] = KH_VTEXT(t);
		v.set[kh_field_index(m, "opened_at")] = 1;
	}
	if (click && cur.v[kh_field_index(m, "clicked_at")].t == KH_V_NULL) {
		v.v[kh_field_index(m, "clicked_at")] = KH_VTEXT(t);
		v.set[kh_field_index(m, "clicked_at")] = 1;
	}
	if (!later) {
		v.v[kh_field_index(m, "status")] = KH_VTEXT(click ? "clicked" : "opened");
		v.set[kh_field_index(m, "status")] = 1;
	}
	err = kh_record_patch(&sys, &v, id, -1);
	return in_tx(ctx, err);
}

enum kh_err kh_email_open(struct kh_ctx *ctx, const char *token)
{
	int64_t id, contact;
	enum kh_err err = member_by_token(ctx, token, &id, &contact);
	return err ? err : stamp(ctx, id, 0);
}

enum kh_err kh_email_click(struct kh_ctx *ctx, const char *token, const char *url, const char *sig)
{
	int64_t id, contact;
	char want[65];
	if (!url || !sig || strncmp(url, "http", 4))
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "this link is not complete");
	enum kh_err err = member_by_token(ctx, token, &id, &contact);
	if (!err)
		err = kh_email_link_sig(ctx->db, token, url, want);
	if (err == KH_ENOTFOUND || (!err && (strlen(sig) != 64 || sodium_memcmp(want, sig, 64))))
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "this link is not one we sent");
	return err ? err : stamp(ctx, id, 1);
}

enum kh_err kh_email_unsubscribe(struct kh_ctx *ctx, const char *token)
{
	int64_t id, contact;
	enum kh_err err = member_by_token(ctx, token, &id, &contact);
	if (err)
		return err == KH_ENOTFOUND ? kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "this link is not valid") : err;
	const struct kh_entity *m = kh_entity_find("campaign_members");
	struct kh_ctx sys = *ctx;
	sys.who = &system_principal;
	err = kh_db_begin(ctx->db, KH_TX_WRITE);
	struct kh_values v;
	if (!err && kh_values_init(&v, m, ctx->arena))
		err = KH_ENOMEM;
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	char *t = kh_arena_strdup(ctx->arena, now);
	if (!err) {
		v.v[kh_field_index(m, "status")] = KH_VTEXT("unsubscribed");
		v.set[kh_field_index(m, "status")] = 1;
		v.v[kh_field_index(m, "unsubscribed_at")] = KH_VTEXT(t);
		v.set[kh_field_index(m, "unsubscribed_at")] = 1;
		err = kh_record_patch(&sys, &v, id, -1);
	}
	/* The consent is the contact's, for every campaign: withdrawn once. */
	if (!err && contact && kh_consent_allows(ctx->db, contact, "email")) {
		json_t *c = json_pack("{s:I, s:s, s:s, s:s}", "contact_id", (json_int_t)contact, "channel", "email", "status",
				      "withdrawn", "source", "unsubscribe link");
		int64_t cid;
		err = kh_record_create(&sys, kh_entity_find("consents"), c, &cid);
		json_decref(c);
	}
	return in_tx(ctx, err);
}
