/* Unit tests of the CSV reader (src/util/csv.c): encodings, delimiters,
 * quoting, broken files, and the writer's quoting. Fixtures are made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

/* Reads all rows of text into "a|b|c\n" lines (one per row, with its number). */
static char *read_all(const char *data, size_t len, const struct kh_csv_opts *o, const char **enc, char *delim,
		      int *rc_out)
{
	struct kh_memsrc m;
	char msg[256];
	struct kh_table *t = kh_csv_open(kh_src_mem(&m, data, len), o, msg, sizeof msg);
	if (!t) {
		*rc_out = -2;
		return strdup(msg);
	}
	if (enc)
		*enc = t->encoding;
	if (delim)
		*delim = t->delim;
	struct kh_buf b = KH_BUF_INIT;
	struct kh_row row;
	int rc;
	while ((rc = kh_table_next(t, &row)) > 0) {
		kh_buf_addf(&b, "%lld:", (long long)row.num);
		for (int i = 0; i < row.n; i++)
			kh_buf_addf(&b, "%s%s", i ? "|" : "", row.f[i]);
		kh_buf_adds(&b, row.bad_utf8 ? "!\n" : "\n");
	}
	if (rc < 0)
		kh_buf_addf(&b, "ERROR %s", t->err);
	*rc_out = rc;
	if (enc)
		*enc = strcmp(t->encoding, "utf-8") == 0 ? "utf-8" : strcmp(t->encoding, "gb18030") == 0 ? "gb18030"
			: strcmp(t->encoding, "utf-8-bom") == 0 ? "utf-8-bom" : "other";
	kh_table_free(t);
	return kh_buf_detach(&b, NULL);
}

static void utf8_comma_and_quotes(void **state)
{
	(void)state;
	const char *csv = "姓名,手机,备注\r\n张三丰,138-1234-5678,\"说 \"\"你好\"\", 再见\"\r\n李四,,\"两\n行\"\n";
	int rc;
	const char *enc;
	char delim;
	char *out = read_all(csv, strlen(csv), NULL, &enc, &delim, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(enc, "utf-8");
	assert_int_equal(delim, ',');
	assert_string_equal(out, "1:姓名|手机|备注\n2:张三丰|138-1234-5678|说 \"你好\", 再见\n3:李四||两\n行\n");
	free(out);
}

static void bom_semicolon_and_tab(void **state)
{
	(void)state;
	int rc;
	const char *enc;
	char delim;
	const char *semi = "\xef\xbb\xbfname;email\nA;a@x.cn\n";
	char *out = read_all(semi, strlen(semi), NULL, &enc, &delim, &rc);
	assert_string_equal(enc, "utf-8-bom");
	assert_int_equal(delim, ';');
	assert_string_equal(out, "1:name|email\n2:A|a@x.cn\n");
	free(out);
	const char *tab = "name\temail\tcity\nA\ta@x.cn\t上海\n";
	out = read_all(tab, strlen(tab), NULL, &enc, &delim, &rc);
	assert_int_equal(delim, '\t');
	assert_string_equal(out, "1:name|email|city\n2:A|a@x.cn|上海\n");
	free(out);
	/* Given, not guessed: a comma inside the first line does not win. */
	struct kh_csv_opts o = {.delim = ';'};
	const char *given = "a,b;c\n1,2;3\n";
	out = read_all(given, strlen(given), &o, NULL, NULL, &rc);
	assert_string_equal(out, "1:a,b|c\n2:1,2|3\n");
	free(out);
}

static char *to_gb18030(const char *utf8, size_t *len)
{
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t inleft = strlen(utf8), outcap = inleft * 2 + 4, outleft = outcap;
	char *out = malloc(outcap), *in = (char *)utf8, *o = out;
	assert_true(iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1);
	iconv_close(cd);
	*len = outcap - outleft;
	return out;
}

static void gbk_as_chinese_excel_writes_it(void **state)
{
	(void)state;
	/* Long enough that a character is cut by the 64 KiB chunks somewhere. */
	struct kh_buf src = KH_BUF_INIT;
	kh_buf_adds(&src, "客户名称,联系人,城市\r\n");
	for (int i = 0; i < 5000; i++)
		kh_buf_addf(&src, "北京华为技术有限公司%d,张伟,北京\r\n", i);
	size_t len;
	char *gb = to_gb18030(src.data, &len);
	int rc;
	const char *enc;
	char *out = read_all(gb, len, NULL, &enc, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(enc, "gb18030");
	assert_non_null(strstr(out, "1:客户名称|联系人|城市\n2:北京华为技术有限公司0|张伟|北京\n"));
	assert_non_null(strstr(out, "5001:北京华为技术有限公司4999|张伟|北京\n"));
	free(out);
	free(gb);
	kh_buf_release(&src);
}

static void broken_files_say_where(void **state)
{
	(void)state;
	int rc;
	/* A quote that is never closed. */
	const char *open_quote = "a,b\n1,\"never closed\n2,3\n";
	char *out = read_all(open_quote, strlen(open_quote), NULL, NULL, NULL, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(out, "ERROR the file ends inside a quoted field (row 2"));
	free(out);
	/* A stray quote inside a field is not guessed at. */
	const char *stray = "a,b\n1,2\n3,\"x\"y\n";
	out = read_all(stray, strlen(stray), NULL, NULL, NULL, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(out, "ERROR not valid CSV: a quote inside a field must be doubled (\"\") in row 3"));
	free(out);
	/* Invalid UTF-8 after the sniffed part marks the row, not the file. */
	struct kh_buf b = KH_BUF_INIT;
	kh_buf_adds(&b, "a,b\n");
	for (int i = 0; i < 7000; i++)
		kh_buf_adds(&b, "xxxxxxxxxx,yy\n");
	kh_buf_adds(&b, "bad\xff,z\nok,z\n");
	out = read_all(b.data, b.len, NULL, NULL, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "7002:bad\xff|z!\n7003:ok|z\n"));
	free(out);
	kh_buf_release(&b);
	/* A field larger than the limit stops the file with a clear reason. */
	char *huge = malloc(KH_CSV_MAX_FIELD + 100);
	memset(huge, 'x', KH_CSV_MAX_FIELD + 99);
	huge[0] = '"';
	huge[KH_CSV_MAX_FIELD + 99] = '\0';
	out = read_all(huge, strlen(huge), NULL, NULL, NULL, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(out, "longer than 1 MiB"));
	free(out);
	free(huge);
	/* An unknown encoding is refused up front. */
	struct kh_csv_opts o = {.encoding = "klingon"};
	out = read_all("a", 1, &o, NULL, NULL, &rc);
	assert_int_equal(rc, -2);
	assert_string_equal(out, "unknown encoding 'klingon'");
	free(out);
	/* Empty input has no rows. */
	out = read_all("", 0, NULL, NULL, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	free(out);
}

static void writer_quotes_only_when_needed(void **state)
{
	(void)state;
	struct kh_buf b = KH_BUF_INIT;
	const char *fields[] = {"plain", "a,b", "say \"hi\"", "two\nlines", " padded", "张三", ""};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		if (i)
			kh_buf_addc(&b, ',');
		kh_csv_field(&b, fields[i], strlen(fields[i]), ',');
	}
	assert_string_equal(b.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" padded\",张三,");
	/* And it reads back as written. */
	int rc;
	char *out = read_all(b.data, b.len, NULL, NULL, NULL, &rc);
	assert_string_equal(out, "1:plain|a,b|say \"hi\"|two\nlines| padded|张三|\n");
	free(out);
	kh_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_comma_and_quotes),
		cmocka_unit_test(bom_semicolon_and_tab),
		cmocka_unit_test(gbk_as_chinese_excel_writes_it),
		cmocka_unit_test(broken_files_say_where),
		cmocka_unit_test(writer_quotes_only_when_needed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
