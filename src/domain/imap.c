#include "domain/imap.h"

#include <curl/curl.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain/service.h"
#include "domain/service_internal.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/utf8.h"

#define MAX_MESSAGE (16 << 20) /* a larger message is skipped, not taken in part */
#define MAX_BODY 20000         /* bytes of text kept on the case */
#define MAX_DEPTH 5            /* nested multiparts */

/* ---- decoding ---- */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void decode_qp(struct kh_buf *out, const char *s, size_t n, int header)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n + 1 && i + 1 < n) {
			if (s[i + 1] == '\r' || s[i + 1] == '\n') { /* a soft line break */
				i += s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n' ? 2 : 1;
				continue;
			}
			int h = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1, l = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
			if (h >= 0 && l >= 0) {
				kh_buf_addc(out, (char)(h * 16 + l));
				i += 2;
				continue;
			}
		}
		kh_buf_addc(out, header && s[i] == '_' ? ' ' : s[i]);
	}
}

static int b64val(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
	       : c == '+' ? 62 : c == '/' ? 63 : -1;
}

static void decode_b64(struct kh_buf *out, const char *s, size_t n)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			continue; /* line breaks, padding, junk */
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			kh_buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
}

/* Invalid UTF-8 sequences become U+FFFD: stored text is always valid. */
static void add_utf8_clean(struct kh_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int len = kh_utf8_decode(s + i, n - i, &cp);
		if (len > 0 && kh_utf8_valid(s + i, (size_t)len) && cp != 0) {
			kh_buf_add(out, s + i, (size_t)len);
			i += (size_t)len;
		} else {
			if (s[i] != 0)
				kh_buf_adds(out, "\xef\xbf\xbd");
			i++;
		}
	}
}

/* Converts text in `charset` to UTF-8 (GB2312 and GBK read as GB18030, their
 * superset). Unknown charsets are taken as UTF-8, cleaned. */
static void to_utf8(struct kh_buf *out, const char *charset, const char *s, size_t n)
{
	if (!charset || !*charset || !strcasecmp(charset, "utf-8") || !strcasecmp(charset, "us-ascii") ||
	    !strcasecmp(charset, "utf8")) {
		add_utf8_clean(out, s, n);
		return;
	}
	const char *from = !strcasecmp(charset, "gb2312") || !strcasecmp(charset, "gbk") || !strcasecmp(charset, "x-gbk")
				   ? "GB18030"
				   : charset;
	iconv_t cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1) {
		add_utf8_clean(out, s, n);
		return;
	}
	char buf[4096];
	char *in = (char *)s;
	size_t left = n;
	struct kh_buf tmp = KH_BUF_INIT;
	while (left > 0) {
		char *o = buf;
		size_t room = sizeof buf;
		size_t rc = iconv(cd, &in, &left, &o, &room);
		kh_buf_add(&tmp, buf, sizeof buf - room);
		if (rc == (size_t)-1 && o == buf) { /* a byte it cannot read: skip it */
			in++;
			left--;
			kh_buf_adds(&tmp, "\xef\xbf\xbd");
		}
	}
	iconv_close(cd);
	add_utf8_clean(out, tmp.data, tmp.len);
	kh_buf_release(&tmp);
}

/* RFC 2047: "=?GB2312?B?xOO6ww==?= =?utf-8?Q?...?=", with the white space
 * between two encoded words dropped. */
static void decode_header(struct kh_buf *out, const char *s, size_t n)
{
	int last_encoded = 0;
	size_t pending_ws = 0;
	const char *ws = NULL;
	for (size_t i = 0; i < n;) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			if (!pending_ws)
				ws = s + i;
			pending_ws++;
			i++;
			continue;
		}
		const char *q1, *q2, *end;
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?' && (q1 = memchr(s + i + 2, '?', n - i - 2)) &&
		    q1 + 2 < s + n && q1[2] == '?' && (end = strstr(q1 + 3, "?=")) && end < s + n) {
			char charset[40];
			size_t cl = (size_t)(q1 - (s + i + 2));
			char enc = q1[1];
			q2 = q1 + 3;
			if (cl < sizeof charset && (enc == 'B' || enc == 'b' || enc == 'Q' || enc == 'q')) {
				memcpy(charset, s + i + 2, cl);
				charset[cl] = '\0';
				char *star = strchr(charset, '*'); /* RFC 2231 language */
				if (star)
					*star = '\0';
				if (pending_ws && !last_encoded)
					kh_buf_add(out, ws, pending_ws);
				pending_ws = 0;
				struct kh_buf raw = KH_BUF_INIT;
				if (enc == 'B' || enc == 'b')
					decode_b64(&raw, q2, (size_t)(end - q2));
				else
					decode_qp(&raw, q2, (size_t)(end - q2), 1);
				to_utf8(out, charset, raw.data, raw.len);
				kh_buf_release(&raw);
				last_encoded = 1;
				i = (size_t)(end + 2 - s);
				continue;
			}
		}
		if (pending_ws)
			kh_buf_add(out, ws, pending_ws);
		pending_ws = 0;
		last_encoded = 0;
		size_t j = i;
		while (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n')
			j++;
		add_utf8_clean(out, s + i, j - i);
		i = j;
	}
}

/* ---- headers ---- */

struct part {
	const char *head, *body;
	size_t head_n, body_n;
};

static int split(const char *s, size_t n, struct part *p)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] == '\n' && s[i + 1] == '\n') {
			*p = (struct part){s, s + i + 2, i + 1, n - i - 2};
			return 0;
		}
		if (s[i] == '\n' && s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n') {
			*p = (struct part){s, s + i + 3, i + 1, n - i - 3};
			return 0;
		}
	}
	*p = (struct part){s, s + n, n, 0}; /* headers only */
	return 0;
}

/* The unfolded value of header `name` (the first one), or NULL. */
static char *header(struct kh_arena *a, const struct part *p, const char *name)
{
	size_t nl = strlen(name);
	const char *s = p->head, *e = p->head + p->head_n;
	for (const char *line = s; line < e;) {
		const char *eol = memchr(line, '\n', (size_t)(e - line));
		if (!eol)
			eol = e;
		if ((size_t)(eol - line) > nl && !strncasecmp(line, name, nl) && line[nl] == ':') {
			struct kh_buf v = KH_BUF_INIT;
			const char *v0 = line + nl + 1;
			for (;;) {
				const char *ve = eol > v0 && eol[-1] == '\r' ? eol - 1 : eol;
				kh_buf_add(&v, v0, (size_t)(ve - v0));
				if (eol + 1 < e && (eol[1] == ' ' || eol[1] == '\t')) { /* folded */
					v0 = eol + 1;
					eol = memchr(v0, '\n', (size_t)(e - v0));
					if (!eol)
						eol = e;
					continue;
				}
				break;
			}
			const char *t = v.data;
			size_t tn = v.len;
			while (tn && (*t == ' ' || *t == '\t'))
				t++, tn--;
			while (tn && (t[tn - 1] == ' ' || t[tn - 1] == '\t'))
				tn--;
			char *r = v.err ? NULL : kh_arena_strndup(a, t, tn);
			kh_buf_release(&v);
			return r;
		}
		line = eol + 1;
	}
	return NULL;
}

/* A parameter of a structured header: charset="gb2312"; boundary=abc. */
static char *param(struct kh_arena *a, const char *value, const char *name)
{
	if (!value)
		return NULL;
	size_t nl = strlen(name);
	for (const char *p = strchr(value, ';'); p; p = strchr(p + 1, ';')) {
		const char *q = p + 1;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncasecmp(q, name, nl) || q[nl] != '=')
			continue;
		q += nl + 1;
		if (*q == '"') {
			const char *end = strchr(q + 1, '"');
			return end ? kh_arena_strndup(a, q + 1, (size_t)(end - q - 1)) : NULL;
		}
		size_t len = strcspn(q, "; \t");
		return kh_arena_strndup(a, q, len);
	}
	return NULL;
}

static int type_is(const char *ct, const char *prefix)
{
	return ct && !strncasecmp(ct, prefix, strlen(prefix));
}

/* Decodes a leaf part's body into text. */
static void leaf_text(struct kh_arena *a, const struct part *p, struct kh_buf *out, int html)
{
	char *cte = header(a, p, "Content-Transfer-Encoding"), *ct = header(a, p, "Content-Type");
	struct kh_buf raw = KH_BUF_INIT;
	if (cte && !strncasecmp(cte, "base64", 6))
		decode_b64(&raw, p->body, p->body_n);
	else if (cte && !strncasecmp(cte, "quoted-printable", 16))
		decode_qp(&raw, p->body, p->body_n, 0);
	else
		kh_buf_add(&raw, p->body, p->body_n);
	struct kh_buf text = KH_BUF_INIT;
	to_utf8(&text, param(a, ct, "charset"), raw.data, raw.len);
	kh_buf_release(&raw);
	if (!html) {
		kh_buf_add(out, text.data, text.len);
	} else { /* tags out, entities of the common kind back */
		int in_tag = 0;
		for (size_t i = 0; i < text.len; i++) {
			char c = text.data[i];
			if (c == '<')
				in_tag = 1;
			else if (c == '>')
				in_tag = 0;
			else if (!in_tag) {
				if (c == '&' && !strncmp(text.data + i, "&nbsp;", 6))
					kh_buf_addc(out, ' '), i += 5;
				else if (c == '&' && !strncmp(text.data + i, "&amp;", 5))
					kh_buf_addc(out, '&'), i += 4;
				else if (c == '&' && !strncmp(text.data + i, "&lt;", 4))
					kh_buf_addc(out, '<'), i += 3;
				else if (c == '&' && !strncmp(text.data + i, "&gt;", 4))
					kh_buf_addc(out, '>'), i += 3;
				else
					kh_buf_addc(out, c);
			}
		}
	}
	kh_buf_release(&text);
}

/* The best text of a (multi)part: the first text/plain, else the first
 * text/html with its tags removed. Returns 1 if it found text. */
static int find_text(struct kh_arena *a, const struct part *p, struct kh_buf *out, int want_html, int depth)
{
	char *ct = header(a, p, "Content-Type");
	if (!ct || type_is(ct, "text/plain")) {
		if (want_html)
			return 0;
		leaf_text(a, p, out, 0);
		return 1;
	}
	if (type_is(ct, "text/html")) {
		if (!want_html)
			return 0;
		leaf_text(a, p, out, 1);
		return 1;
	}
	if (!type_is(ct, "multipart/") || depth >= MAX_DEPTH)
		return 0;
	char *boundary = param(a, ct, "boundary");
	if (!boundary || !*boundary)
		return 0;
	char *delim = kh_arena_printf(a, "--%s", boundary);
	size_t dl = strlen(delim);
	const char *s = p->body, *e = p->body + p->body_n;
	const char *start = NULL;
	for (const char *line = s; line < e;) {
		const char *eol = memchr(line, '\n', (size_t)(e - line));
		if (!eol)
			eol = e;
		if ((size_t)(eol - line) >= dl && !strncmp(line, delim, dl)) {
			if (start) {
				const char *pe = line;
				if (pe > start && pe[-1] == '\n')
					pe--;
				if (pe > start && pe[-1] == '\r')
					pe--;
				struct part sub;
				split(start, (size_t)(pe - start), &sub);
				if (find_text(a, &sub, out, want_html, depth + 1))
					return 1;
			}
			if ((size_t)(eol - line) >= dl + 2 && line[dl] == '-' && line[dl + 1] == '-')
				break; /* the closing delimiter */
			start = eol + 1;
		}
		line = eol + 1;
	}
	return 0;
}

/* "<a@b> <c@d>" -> "a@b c@d". */
static char *ids(struct kh_arena *a, const char *v)
{
	if (!v)
		return NULL;
	struct kh_buf b = KH_BUF_INIT;
	for (const char *p = v; (p = strchr(p, '<'));) {
		const char *e = strchr(p, '>');
		if (!e)
			break;
		if (b.len)
			kh_buf_addc(&b, ' ');
		add_utf8_clean(&b, p + 1, (size_t)(e - p - 1));
		p = e + 1;
	}
	char *r = b.len && !b.err ? kh_arena_strndup(a, b.data, b.len) : NULL;
	kh_buf_release(&b);
	return r;
}

/* Cuts a reply at the quoted message below it, in the forms mail programs
 * write ("On ... wrote:", "-----Original Message-----", "在 ... 写道："). */
static size_t reply_length(const char *s, size_t n)
{
	for (const char *line = s; line < s + n;) {
		const char *eol = memchr(line, '\n', (size_t)(s + n - line));
		size_t ln = eol ? (size_t)(eol - line) : (size_t)(s + n - line);
		while (ln && (line[ln - 1] == '\r' || line[ln - 1] == ' '))
			ln--;
		if ((ln > 10 && !strncmp(line, "On ", 3) && !strncmp(line + ln - 6, "wrote:", 6)) ||
		    (ln >= 27 && strstr(line, "-----Original Message-----") && strstr(line, "-----Original Message-----") < line + ln) ||
		    (ln > 9 && !strncmp(line, "在", 3) && (!strncmp(line + ln - 9, "写道：", 9) || !strncmp(line + ln - 7, "写道:", 7))) ||
		    (ln > 0 && line[0] == '>'))
			return (size_t)(line - s);
		if (!eol)
			break;
		line = eol + 1;
	}
	return n;
}

int kh_mail_parse(const char *raw, size_t n, struct kh_arena *a, struct kh_mail *m)
{
	memset(m, 0, sizeof *m);
	struct part p;
	if (!n || split(raw, n, &p) || !p.head_n)
		return -1;
	char *from = header(a, &p, "From"), *subject = header(a, &p, "Subject");
	if (!from)
		return -1;
	m->message_id = ids(a, header(a, &p, "Message-ID"));
	if (m->message_id && strchr(m->message_id, ' '))
		*strchr((char *)m->message_id, ' ') = '\0';
	m->in_reply_to = ids(a, header(a, &p, "In-Reply-To"));
	m->references = ids(a, header(a, &p, "References"));
	/* From: "Name" <addr>, Name <addr>, or addr. */
	struct kh_buf b = KH_BUF_INIT;
	const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt) {
		kh_buf_add(&b, lt + 1, (size_t)(gt - lt - 1));
		m->from_addr = kh_arena_strndup(a, b.data, b.len);
		kh_buf_reset(&b);
		const char *ns = from, *ne = lt;
		while (ns < ne && (*ns == ' ' || *ns == '"'))
			ns++;
		while (ne > ns && (ne[-1] == ' ' || ne[-1] == '"'))
			ne--;
		decode_header(&b, ns, (size_t)(ne - ns));
		m->from_name = b.len ? kh_arena_strndup(a, b.data, b.len) : NULL;
	} else {
		const char *s = from;
		while (*s == ' ')
			s++;
		m->from_addr = kh_arena_strndup(a, s, strcspn(s, " ()"));
	}
	kh_buf_reset(&b);
	if (subject)
		decode_header(&b, subject, strlen(subject));
	m->subject = b.len ? kh_arena_strndup(a, b.data, b.len) : NULL;
	kh_buf_reset(&b);
	if (!find_text(a, &p, &b, 0, 0))
		find_text(a, &p, &b, 1, 0);
	/* Lines end in LF on the case, whatever the message used; trailing blank
	 * lines go. */
	size_t o = 0;
	for (size_t i = 0; i < b.len; i++)
		if (!(b.data[i] == '\r' && i + 1 < b.len && b.data[i + 1] == '\n'))
			b.data[o++] = b.data[i];
	while (o && (b.data[o - 1] == '\n' || b.data[o - 1] == '\r' || b.data[o - 1] == ' ' || b.data[o - 1] == '\t'))
		o--;
	kh_buf_truncate(&b, o);
	size_t len = b.len > MAX_BODY ? MAX_BODY : b.len;
	while (len && len < b.len && ((unsigned char)b.data[len] & 0xc0) == 0x80)
		len--; /* never cut a character in two */
	m->body = kh_arena_strndup(a, b.data, len);
	kh_buf_release(&b);
	if (!m->from_addr || !kh_utf8_valid_str(m->from_addr))
		return -1;
	return m->body ? 0 : -1;
}

/* ---- taking a message in ---- */

static int64_t case_by_message(struct kh_db *db, const char *list)
{
	if (!list)
		return 0;
	char id[512];
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ");
		if (len && len < sizeof id) {
			memcpy(id, p, len);
			id[len] = '\0';
			struct kh_val v = KH_VTEXT(id);
			int64_t c;
			if (kh_db_int(db, "SELECT case_id FROM kh_service_mail WHERE message_id = $1 AND case_id IS NOT NULL", &v,
				      1, &c) == KH_OK)
				return c;
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* A case number (CS-000123) in the subject. */
static int64_t case_by_subject(struct kh_db *db, const char *subject)
{
	for (const char *p = subject ? strstr(subject, "CS-") : NULL; p; p = strstr(p + 3, "CS-")) {
		size_t d = strspn(p + 3, "0123456789");
		if (d >= 4 && d <= 12) {
			char num[20];
			snprintf(num, sizeof num, "%.*s", (int)(d + 3), p);
			struct kh_val v = KH_VTEXT(num);
			int64_t c;
			if (kh_db_int(db, "SELECT id FROM cases WHERE case_number = $1 AND archived_at IS NULL", &v, 1, &c) ==
			    KH_OK)
				return c;
		}
	}
	return 0;
}

static enum kh_err take(struct kh_ctx *ctx, const struct kh_mail *m, int64_t *case_id, int *reply)
{
	struct kh_db *db = ctx->db;
	int64_t target = case_by_message(db, m->in_reply_to);
	if (!target)
		target = case_by_message(db, m->references);
	if (!target)
		target = case_by_subject(db, m->subject);
	char status[16] = "";
	if (target) {
		struct kh_val p = KH_VINT(target);
		struct kh_rows *rows;
		enum kh_err err = kh_db_query(db, "SELECT status FROM cases WHERE id = $1", &p, 1, &rows);
		if (err)
			return err;
		if (kh_rows_next(db, rows) > 0) {
			struct kh_val s = kh_rows_col(db, rows, 0);
			snprintf(status, sizeof status, "%s", s.t == KH_V_TEXT ? s.s : "");
		}
		kh_rows_end(db, rows);
		if (!strcmp(status, "closed"))
			target = 0; /* a closed case stays closed: this is a new matter */
	}
	int64_t contact = 0, account = 0;
	struct kh_val addr = KH_VTEXT(m->from_addr);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT id, account_id FROM contacts WHERE lower(email) = lower($1) AND archived_at IS NULL "
				      "ORDER BY id LIMIT 1",
				      &addr, 1, &rows);
	if (err)
		return err;
	if (kh_rows_next(db, rows) > 0) {
		struct kh_val acc = kh_rows_col(db, rows, 1);
		contact = kh_rows_col(db, rows, 0).i;
		account = acc.t == KH_V_INT ? acc.i : 0;
	}
	kh_rows_end(db, rows);
	const char *subject = m->subject && *m->subject ? m->subject : "(no subject)";
	char *from = kh_arena_printf(ctx->arena, "From: %s%s%s%s", m->from_name ? m->from_name : "",
				     m->from_name ? " <" : "", m->from_addr, m->from_name ? ">" : "");
	if (target) {
		size_t len = reply_length(m->body, strlen(m->body));
		while (len && (m->body[len - 1] == '\n' || m->body[len - 1] == ' '))
			len--;
		char *text = kh_arena_printf(ctx->arena, "%s\n\n%.*s", from ? from : "", (int)len, m->body);
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_fv fv[] = {
			{"type", KH_VTEXT("email")},
			{"subject", KH_VTEXT(kh_arena_strndup(ctx->arena, subject, strnlen(subject, 200) > 190 ? 190 : strlen(subject)))},
			{"status", KH_VTEXT("completed")},
			{"completed_at", KH_VTEXT(kh_arena_strdup(ctx->arena, now))},
			{"description", text ? KH_VTEXT(text) : KH_VNULL},
			{"case_id", KH_VINT(target)},
			{"contact_id", contact ? KH_VINT(contact) : KH_VNULL},
			{"account_id", account ? KH_VINT(account) : KH_VNULL},
		};
		int64_t act;
		err = kh_service_insert(ctx, "activities", fv, (int)(sizeof fv / sizeof fv[0]), &act);
		/* The customer answered: the case is worked again. */
		if (!err && (!strcmp(status, "waiting") || !strcmp(status, "resolved")))
			err = kh_service_set(ctx, "cases", target, "status", KH_VTEXT("in_progress"));
		*case_id = target;
		*reply = 1;
		return err;
	}
	char *text = kh_arena_printf(ctx->arena, "%s\n\n%s", from ? from : "", m->body);
	/* Subjects are kept to the field's length, on a character boundary. */
	size_t sl = strlen(subject), chars = 0, cut = 0;
	while (cut < sl && chars < 200) {
		uint32_t cp;
		int l = kh_utf8_decode(subject + cut, sl - cut, &cp);
		cut += l > 0 ? (size_t)l : 1;
		chars++;
	}
	struct kh_fv fv[] = {
		{"subject", KH_VTEXT(kh_arena_strndup(ctx->arena, subject, cut))},
		{"channel", KH_VTEXT("email")},
		{"description", text ? KH_VTEXT(text) : KH_VNULL},
		{"contact_id", contact ? KH_VINT(contact) : KH_VNULL},
		{"account_id", account ? KH_VINT(account) : KH_VNULL},
	};
	*reply = 0;
	return kh_service_insert(ctx, "cases", fv, (int)(sizeof fv / sizeof fv[0]), case_id);
}

enum kh_err kh_mail_take(struct kh_ctx *ctx, const struct kh_mail *m, int64_t *case_id, int *reply, int *dup)
{
	struct kh_db *db = ctx->db;
	*case_id = 0, *reply = 0, *dup = 0;
	struct kh_ctx sys;
	kh_service_system_ctx(ctx, &sys);
	enum kh_err err = kh_db_begin(db, KH_TX_WRITE);
	if (err)
		return err;
	char idbuf[600];
	snprintf(idbuf, sizeof idbuf, "%s", m->message_id ? m->message_id : "");
	struct kh_val mid = KH_VTEXT(idbuf);
	int64_t seen;
	if (idbuf[0] && kh_db_int(db, "SELECT 1 FROM kh_service_mail WHERE message_id = $1", &mid, 1, &seen) == KH_OK) {
		*dup = 1;
		kh_db_rollback(db);
		return KH_OK;
	}
	err = take(&sys, m, case_id, reply);
	if (!err && idbuf[0]) {
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_val p[3] = {mid, KH_VINT(*case_id), KH_VTEXT(now)};
		err = kh_db_exec(db, "INSERT INTO kh_service_mail (message_id, case_id, received_at) VALUES ($1, $2, $3)", p, 3);
	}
	if (!err)
		err = kh_db_commit(db);
	if (err)
		kh_db_rollback(db);
	return err;
}

/* ---- IMAP over libcurl ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t collect(char *data, size_t size, size_t n, void *cls)
{
	struct kh_buf *b = cls;
	return kh_buf_add(b, data, size * n) ? 0 : size * n; /* 0 stops an oversized transfer */
}

static CURL *session(const struct kh_service_settings *s, struct kh_buf *out)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_USERNAME, s->imap_username);
	curl_easy_setopt(c, CURLOPT_PASSWORD, s->imap_password);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	return c;
}

/* Runs a request on url; the untagged answer (or the message) is in out. */
static CURLcode run(CURL *c, struct kh_buf *out, const char *url, const char *custom)
{
	kh_buf_reset(out);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, custom);
	return curl_easy_perform(c);
}

/* The URL's mailbox path ("INBOX"), for EXAMINE. */
static void mailbox_of(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	snprintf(out, n, "%s", p && p[1] ? p + 1 : "INBOX");
	out[strcspn(out, "/;?")] = '\0';
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

enum kh_err kh_imap_poll(struct kh_ctx *ctx, struct kh_imap_result *r)
{
	memset(r, 0, sizeof *r);
	struct kh_service_settings s;
	kh_service_settings_load(ctx->db, &s);
	if (!s.imap_url[0])
		return kh_errinfo_set(ctx->ei, KH_ECONFLICT, "no mailbox is set up (imap_url in the service settings)");
	pthread_once(&curl_once, curl_init);
	struct kh_buf out;
	kh_buf_init(&out, MAX_MESSAGE);
	CURL *c = session(&s, &out);
	if (!c)
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "cannot start an IMAP session");
	char base[600], box[128], cmd[160], url[700];
	snprintf(base, sizeof base, "%s", s.imap_url);
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		base[--bl] = '\0';
	mailbox_of(base, box, sizeof box);
	/* UIDVALIDITY: when it changes, UIDs start over (Message-IDs still stop duplicates). */
	snprintf(cmd, sizeof cmd, "EXAMINE %s", box);
	const char *scheme_end = strstr(base, "://");
	const char *host_end = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
	snprintf(url, sizeof url, "%.*s/", host_end ? (int)(host_end - base) : (int)bl, base);
	CURLcode cc = run(c, &out, url, cmd);
	enum kh_err err = KH_OK;
	char validity[32] = "", known[32] = "", last_text[32] = "";
	if (cc == CURLE_OK) {
		const char *v = strstr(out.data, "[UIDVALIDITY ");
		if (v)
			snprintf(validity, sizeof validity, "%.*s", (int)strspn(v + 13, "0123456789"), v + 13);
		kh_service_kv_get(ctx->db, "imap_uidvalidity", known, sizeof known);
		kh_service_kv_get(ctx->db, "imap_last_uid", last_text, sizeof last_text);
	}
	unsigned long long last = strcmp(validity, known) ? 0 : strtoull(last_text, NULL, 10);
	if (cc == CURLE_OK) {
		snprintf(cmd, sizeof cmd, "UID SEARCH UID %llu:*", last + 1);
		cc = run(c, &out, base, cmd);
	}
	unsigned long long *uids = NULL;
	size_t nu = 0;
	if (cc == CURLE_OK) {
		const char *p = strstr(out.data, "* SEARCH");
		size_t cap = 0;
		for (p = p ? p + 8 : NULL; p && *p && *p != '\r' && *p != '\n';) {
			while (*p == ' ')
				p++;
			char *end;
			unsigned long long u = strtoull(p, &end, 10);
			if (end == p)
				break;
			if (u > last) { /* "n:*" also names the highest UID when nothing is newer */
				if (nu == cap) {
					cap = cap ? cap * 2 : 64;
					unsigned long long *more = realloc(uids, cap * sizeof *uids);
					if (!more)
						break;
					uids = more;
				}
				uids[nu++] = u;
			}
			p = end;
		}
		if (nu)
			qsort(uids, nu, sizeof *uids, cmp_u64);
	}
	for (size_t i = 0; cc == CURLE_OK && !err && i < nu; i++) {
		snprintf(url, sizeof url, "%s/;UID=%llu", base, uids[i]);
		cc = run(c, &out, url, NULL);
		if (cc == CURLE_WRITE_ERROR) { /* larger than we take: passed over, said in the log */
			kh_warn("imap: message UID %llu is larger than %d bytes; skipped", uids[i], MAX_MESSAGE);
			cc = CURLE_OK;
			r->skipped++;
		} else if (cc == CURLE_OK) {
			r->fetched++;
			struct kh_arena a;
			kh_arena_init(&a);
			struct kh_mail m;
			if (kh_mail_parse(out.data, out.len, &a, &m)) {
				kh_warn("imap: message UID %llu is not a message we can read; skipped", uids[i]);
				r->skipped++;
			} else {
				char fallback[64];
				if (!m.message_id) {
					snprintf(fallback, sizeof fallback, "uid:%s:%llu", validity, uids[i]);
					m.message_id = fallback;
				}
				int64_t case_id;
				int reply, dup;
				struct kh_ctx mctx = *ctx;
				mctx.arena = &a;
				err = kh_mail_take(&mctx, &m, &case_id, &reply, &dup);
				if (!err)
					dup ? r->skipped++ : reply ? r->replied++ : r->created++;
				if (err && !ctx->ei->code)
					kh_errinfo_set(ctx->ei, err, "cannot take in message UID %llu", uids[i]);
			}
			kh_arena_release(&a);
		}
		if (cc == CURLE_OK && !err) {
			/* How far we got survives a crash: the next poll starts after it. */
			char u[32];
			snprintf(u, sizeof u, "%llu", uids[i]);
			err = kh_db_begin(ctx->db, KH_TX_WRITE);
			if (!err)
				err = kh_service_kv_put(ctx->db, "imap_uidvalidity", validity);
			if (!err)
				err = kh_service_kv_put(ctx->db, "imap_last_uid", u);
			if (!err)
				err = kh_db_commit(ctx->db);
			if (err)
				kh_db_rollback(ctx->db);
		}
	}
	if (cc == CURLE_OK && !err && !nu && strcmp(validity, known)) {
		err = kh_db_begin(ctx->db, KH_TX_WRITE);
		if (!err)
			err = kh_service_kv_put(ctx->db, "imap_uidvalidity", validity);
		if (!err)
			err = kh_service_kv_put(ctx->db, "imap_last_uid", "0");
		if (!err)
			err = kh_db_commit(ctx->db);
		if (err)
			kh_db_rollback(ctx->db);
	}
	free(uids);
	curl_easy_cleanup(c);
	kh_buf_release(&out);
	if (cc != CURLE_OK)
		/* 409: the request was fine; the configured mailbox is not (the message says why). */
		return kh_errinfo_set(ctx->ei, KH_ECONFLICT, "the mailbox cannot be read: %s", curl_easy_strerror(cc));
	return err;
}
