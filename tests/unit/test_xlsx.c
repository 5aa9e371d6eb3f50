/* Unit tests of the XLSX reader (src/util/xlsx.c) on workbooks written here
 * with libxlsxwriter: shared and inline strings, rich text, numbers, dates in
 * built-in and custom formats, booleans, gaps; and files that are not
 * workbooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "util/xlsx.h"

static char dir[] = "/tmp/kh-xlsx-XXXXXX";

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static char *read_all(const char *data, size_t len, int *rc)
{
	struct kh_memsrc m;
	char msg[256];
	struct kh_table *t = kh_xlsx_open(kh_src_mem(&m, data, len), msg, sizeof msg);
	if (!t) {
		*rc = -2;
		return strdup(msg);
	}
	struct kh_buf b = KH_BUF_INIT;
	struct kh_row row;
	while ((*rc = kh_table_next(t, &row)) > 0) {
		kh_buf_addf(&b, "%lld:", (long long)row.num);
		for (int i = 0; i < row.n; i++)
			kh_buf_addf(&b, "%s%s", i ? "|" : "", row.f[i]);
		kh_buf_addc(&b, '\n');
	}
	if (*rc < 0)
		kh_buf_addf(&b, "ERROR %s", t->err);
	kh_table_free(t);
	return kh_buf_detach(&b, NULL);
}

/* One workbook with every kind of cell; constant_memory writes inline strings. */
static char *make_workbook(int constant_memory, size_t *len)
{
	char path[128];
	snprintf(path, sizeof path, "%s/book%d.xlsx", dir, constant_memory);
	lxw_workbook_options opt = {.constant_memory = (uint8_t)constant_memory};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_worksheet *ws = workbook_add_worksheet(wb, "客户");
	lxw_format *iso = workbook_add_format(wb);
	format_set_num_format(iso, "yyyy-mm-dd");
	lxw_format *cn = workbook_add_format(wb);
	format_set_num_format(cn, "yyyy\"年\"m\"月\"d\"日\"");
	lxw_format *builtin = workbook_add_format(wb);
	format_set_num_format_index(builtin, 14);
	lxw_format *stamp = workbook_add_format(wb);
	format_set_num_format(stamp, "yyyy-mm-dd hh:mm:ss");
	lxw_format *money = workbook_add_format(wb);
	format_set_num_format(money, "#,##0.00");
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);

	worksheet_write_string(ws, 0, 0, "姓名", bold);
	worksheet_write_string(ws, 0, 1, "生日", NULL);
	worksheet_write_string(ws, 0, 2, "金额", NULL);
	worksheet_write_string(ws, 0, 3, "VIP", NULL);
	worksheet_write_string(ws, 0, 4, "备注", NULL);
	worksheet_write_string(ws, 1, 0, "张三丰", NULL);
	lxw_datetime d = {1985, 3, 14, 0, 0, 0};
	worksheet_write_datetime(ws, 1, 1, &d, iso);
	worksheet_write_number(ws, 1, 2, 12345.5, money);
	worksheet_write_boolean(ws, 1, 3, 1, NULL);
	worksheet_write_string(ws, 1, 4, "a & b <c>", NULL);
	/* Row 3 is left out; row 4 has a gap in column B. */
	worksheet_write_string(ws, 3, 0, "李四", NULL);
	worksheet_write_datetime(ws, 3, 2, &d, cn);
	worksheet_write_number(ws, 3, 3, 0.1 + 0.2, NULL);
	worksheet_write_number(ws, 4, 0, 13812345678.0, NULL);
	lxw_datetime t = {2024, 2, 29, 13, 45, 30};
	worksheet_write_datetime(ws, 4, 1, &t, stamp);
	worksheet_write_datetime(ws, 4, 2, &d, builtin);
	if (!constant_memory) {
		lxw_format *red = workbook_add_format(wb);
		format_set_font_color(red, LXW_COLOR_RED);
		lxw_rich_string_tuple a = {.format = NULL, .string = "王"}, b = {.format = red, .string = "五"};
		lxw_rich_string_tuple *rich[] = {&a, &b, NULL};
		worksheet_write_rich_string(ws, 5, 0, rich, NULL);
	}
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	return slurp(path, len);
}

static void every_kind_of_cell(void **state)
{
	(void)state;
	for (int cm = 0; cm <= 1; cm++) {
		size_t len;
		char *data = make_workbook(cm, &len);
		int rc;
		char *out = read_all(data, len, &rc);
		assert_int_equal(rc, 0);
		const char *want = cm ? "1:姓名|生日|金额|VIP|备注\n"
					"2:张三丰|1985-03-14|12345.5|true|a & b <c>\n"
					"4:李四||1985-03-14|0.3\n"
					"5:13812345678|2024-02-29 13:45:30|1985-03-14\n"
				      : "1:姓名|生日|金额|VIP|备注\n"
					"2:张三丰|1985-03-14|12345.5|true|a & b <c>\n"
					"4:李四||1985-03-14|0.3\n"
					"5:13812345678|2024-02-29 13:45:30|1985-03-14\n"
					"6:王五\n";
		assert_string_equal(out, want);
		free(out);
		free(data);
	}
}

static void excel_serial_dates(void **state)
{
	(void)state;
	assert_int_equal(kh_xlsx_serial_days(25569, 0), 0);      /* 1970-01-01 */
	assert_int_equal(kh_xlsx_serial_days(61, 0), -25508);     /* 1900-03-01 */
	assert_int_equal(kh_xlsx_serial_days(1, 0), -25567);      /* 1900-01-01 */
	assert_int_equal(kh_xlsx_serial_days(24107, 1), 0);       /* 1904 system */
	assert_int_equal(kh_xlsx_serial_days(45351.75, 0), 19782); /* 2024-02-29 18:00 */
}

static void not_workbooks(void **state)
{
	(void)state;
	int rc;
	char *out = read_all("name,email\n", 11, &rc);
	assert_int_equal(rc, -2);
	assert_non_null(strstr(out, "not an Excel workbook"));
	free(out);
	/* A zip, but not a workbook. */
	char path[128];
	snprintf(path, sizeof path, "%s/other.zip", dir);
	int err;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
	zip_source_t *s = zip_source_buffer(z, "hello", 5, 0);
	zip_file_add(z, "readme.txt", s, 0);
	zip_close(z);
	size_t len;
	char *data = slurp(path, &len);
	assert_true(kh_xlsx_sniff(data, len));
	out = read_all(data, len, &rc);
	assert_int_equal(rc, -2);
	assert_string_equal(out, "not an Excel workbook: it has no xl/workbook.xml");
	free(out);
	/* A truncated workbook. */
	char *book = make_workbook(0, &len);
	out = read_all(book, len / 2, &rc);
	assert_int_equal(rc, -2);
	assert_non_null(strstr(out, "not an Excel workbook"));
	free(out);
	free(book);
	free(data);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_of_cell),
		cmocka_unit_test(excel_serial_dates),
		cmocka_unit_test(not_workbooks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
