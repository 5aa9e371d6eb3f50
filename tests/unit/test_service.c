/* The service module's pure parts: phone numbers matched in any format, the
 * knowledge base's terms for Chinese text, and reading e-mail (encoded words,
 * charsets, multipart, transfer encodings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "domain/imap.h"
#include "domain/kb.h"
#include "domain/telephony.h"
#include "util/arena.h"

static int same_line(const char *a, const char *b)
{
	char ka[KH_PHONE_KEY_MAX], kb[KH_PHONE_KEY_MAX];
	assert_true(kh_phone_key(a, strlen(a), ka) > 0);
	assert_true(kh_phone_key(b, strlen(b), kb) > 0);
	return kh_phone_keys_match(ka, kb);
}

static void phones_match_in_any_format(void **state)
{
	(void)state;
	assert_true(same_line("+86 138 1234 5678", "138-1234-5678"));
	assert_true(same_line("0086 13812345678", "(138) 1234 5678"));
	assert_true(same_line("8613812345678", "13812345678"));
	/* Landlines with or without the area code and trunk zero. */
	assert_true(same_line("010-8888 6666", "+86 10 8888 6666"));
	assert_true(same_line("88886666", "010-88886666"));
	assert_true(same_line("+86 755 2345 6789", "23456789"));
	assert_true(same_line("0755-2345678", "2345678"));
	/* Different numbers stay different. */
	assert_false(same_line("13812345678", "13812345679"));
	assert_false(same_line("88886666", "010-88886667"));
	assert_false(same_line("12345678", "13812345678")); /* a mobile has no area code */
	assert_false(same_line("+1 415 555 0100", "4155550100"));
	assert_true(same_line("+1 415 555 0100", "001 415-555-0100"));
}

struct collected {
	char all[1024];
};

static void add(void *cls, const char *t, size_t n)
{
	struct collected *c = cls;
	size_t len = strlen(c->all);
	snprintf(c->all + len, sizeof c->all - len, "%s%.*s", len ? "|" : "", (int)n, t);
}

static void kb_terms_read_chinese(void **state)
{
	(void)state;
	struct collected c = {""};
	kh_kb_terms("退貨 Refund", strlen("退貨 Refund"), 0, add, &c);
	assert_string_equal(c.all, "退|货|退货|refund"); /* traditional -> simplified, words lower-cased */
	memset(&c, 0, sizeof c);
	kh_kb_terms("如何退货", strlen("如何退货"), 1, add, &c);
	assert_string_equal(c.all, "如何|何退|退货");
	memset(&c, 0, sizeof c);
	kh_kb_terms("货", strlen("货"), 1, add, &c);
	assert_string_equal(c.all, "货");
	memset(&c, 0, sizeof c);
	kh_kb_terms("ＷｉＦｉ 密码", strlen("ＷｉＦｉ 密码"), 1, add, &c);
	assert_string_equal(c.all, "wifi|密码");
}

static const char multipart[] =
	"From: =?GB2312?B?1cXI/bfh?= <zhang@example.com>\r\n"
	"To: service@kehu.example\r\n"
	"Subject: =?UTF-8?Q?=E6=89=93=E5=8D=B0=E6=9C=BA?= =?GB2312?B?xOO6ww==?= again\r\n"
	"Message-ID: <abc123@mail.example.com>\r\n"
	"In-Reply-To: <first@kehu>\r\n"
	"References: <zero@kehu>\r\n <first@kehu>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
	"\r\n"
	"preamble\r\n"
	"--outer\r\n"
	"Content-Type: multipart/alternative; boundary=inner\r\n"
	"\r\n"
	"--inner\r\n"
	"Content-Type: text/html; charset=utf-8\r\n"
	"\r\n"
	"<p>HTML&nbsp;version</p>\r\n"
	"--inner\r\n"
	"Content-Type: text/plain; charset=\"gb2312\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"xOO6w6Oh\r\n"
	"--inner--\r\n"
	"--outer\r\n"
	"Content-Type: application/pdf\r\n"
	"\r\n"
	"%PDF\r\n"
	"--outer--\r\n";

static void mail_is_read_in_any_charset(void **state)
{
	(void)state;
	struct kh_arena a;
	kh_arena_init(&a);
	struct kh_mail m;
	assert_int_equal(kh_mail_parse(multipart, sizeof multipart - 1, &a, &m), 0);
	assert_string_equal(m.from_addr, "zhang@example.com");
	assert_string_equal(m.from_name, "张三丰");
	assert_string_equal(m.subject, "打印机你好 again");
	assert_string_equal(m.message_id, "abc123@mail.example.com");
	assert_string_equal(m.in_reply_to, "first@kehu");
	assert_string_equal(m.references, "zero@kehu first@kehu");
	assert_string_equal(m.body, "你好！");
	/* A plain message in quoted-printable, LF line ends, no Message-ID. */
	static const char qp[] = "From: li@example.com\nSubject: Refund\nContent-Type: text/plain; charset=utf-8\n"
				 "Content-Transfer-Encoding: quoted-printable\n\n=E9=80=80=E6=AC=BE soft=\nbreak\n";
	assert_int_equal(kh_mail_parse(qp, sizeof qp - 1, &a, &m), 0);
	assert_string_equal(m.from_addr, "li@example.com");
	assert_null(m.from_name);
	assert_null(m.message_id);
	assert_string_equal(m.body, "退款 softbreak");
	/* Only HTML: its text. Invalid UTF-8 becomes U+FFFD, never stored as is. */
	static const char html[] = "From: x@y.z\nContent-Type: text/html\n\n<b>a&amp;b</b>\xff";
	assert_int_equal(kh_mail_parse(html, sizeof html - 1, &a, &m), 0);
	assert_string_equal(m.body, "a&b\xef\xbf\xbd");
	/* Not a message: no From. */
	assert_int_equal(kh_mail_parse("hello\n\nworld", 12, &a, &m), -1);
	assert_int_equal(kh_mail_parse("", 0, &a, &m), -1);
	kh_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(phones_match_in_any_format),
		cmocka_unit_test(kb_terms_read_chinese),
		cmocka_unit_test(mail_is_read_in_any_charset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
