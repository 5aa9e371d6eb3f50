/* libFuzzer target: the CSV reader (util/csv.c) on an uploaded file: encoding
 * and delimiter detection, iconv decoding, libcsv and the row queue. The first
 * byte chooses the options a form may give (delimiter, encoding) and whether
 * the file is served repeated past the reader's 64 KiB chunk, so that chunk
 * boundaries fall inside quoted fields and multi-byte characters. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "util/csv.h"

struct repeat {
	const char *data;
	size_t len, total, pos;
};

/* Serves data over and over until total bytes, in uneven pieces. */
static ssize_t repeat_read(void *cls, char *buf, size_t n)
{
	struct repeat *r = cls;
	if (r->pos >= r->total || r->len == 0)
		return 0;
	size_t off = r->pos % r->len, k = r->len - off;
	if (k > n)
		k = n;
	if (k > r->total - r->pos)
		k = r->total - r->pos;
	if (k > 1 && r->pos % 7 == 3)
		k /= 2;
	memcpy(buf, r->data + off, k);
	r->pos += k;
	return (ssize_t)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char delims[] = {0, ',', ';', '\t'};
	static const char *const encodings[] = {NULL, "utf-8", "gb18030", "utf-16le"};
	struct kh_csv_opts o = {.delim = delims[data[0] & 3], .encoding = encodings[(data[0] >> 2) & 3]};
	struct repeat r = {(const char *)data + 1, size - 1, size - 1, 0};
	if (data[0] & 0x10)
		r.total = 70 * 1024;
	char msg[256];
	struct kh_table *t = kh_csv_open((struct kh_src){repeat_read, &r}, &o, msg, sizeof msg);
	if (!t)
		return 0;
	struct kh_row row;
	int64_t last = 0;
	while (kh_table_next(t, &row) > 0) {
		if (row.n < 1 || row.n > KH_CSV_MAX_FIELDS || row.num <= last)
			abort(); /* every row has a field, rows are numbered in order */
		last = row.num;
		for (int i = 0; i < row.n; i++)
			if (row.f[i][row.len[i]] != '\0' || row.len[i] > KH_CSV_MAX_FIELD)
				abort();
	}
	kh_table_free(t);
	return 0;
}
