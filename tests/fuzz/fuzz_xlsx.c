/* libFuzzer target: the XLSX reader (util/xlsx.c): libzip over an uploaded
 * workbook, expat over its parts (workbook, relationships, styles, shared
 * strings, the sheet streamed). An input that starts with "PK" is the workbook
 * itself; any other is its XML parts separated by lines of "=====" (sheet,
 * shared strings, styles, then optionally workbook and relationships), zipped
 * here, so that the fuzzer spends its time in the XML rather than in the zip's
 * checksums. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xlsx.h"

static uint32_t crc32(const char *s, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= (unsigned char)s[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void le16(struct kh_buf *b, unsigned v)
{
	char x[2] = {(char)(v & 0xff), (char)(v >> 8)};
	kh_buf_add(b, x, 2);
}

static void le32(struct kh_buf *b, uint32_t v)
{
	le16(b, v & 0xffff);
	le16(b, v >> 16);
}

/* A zip of stored (uncompressed) entries. */
static void zip(struct kh_buf *out, const char *const *names, const char *const *data, const size_t *len, int n)
{
	struct kh_buf dir = KH_BUF_INIT;
	for (int i = 0; i < n; i++) {
		uint32_t off = (uint32_t)out->len, crc = crc32(data[i], len[i]);
		size_t nl = strlen(names[i]);
		le32(out, 0x04034b50), le16(out, 20), le16(out, 0), le16(out, 0), le16(out, 0), le16(out, 0);
		le32(out, crc), le32(out, (uint32_t)len[i]), le32(out, (uint32_t)len[i]), le16(out, (unsigned)nl), le16(out, 0);
		kh_buf_add(out, names[i], nl);
		kh_buf_add(out, data[i], len[i]);
		le32(&dir, 0x02014b50), le16(&dir, 20), le16(&dir, 20), le16(&dir, 0), le16(&dir, 0), le16(&dir, 0);
		le16(&dir, 0), le32(&dir, crc), le32(&dir, (uint32_t)len[i]), le32(&dir, (uint32_t)len[i]);
		le16(&dir, (unsigned)nl), le16(&dir, 0), le16(&dir, 0), le16(&dir, 0), le16(&dir, 0), le32(&dir, 0);
		le32(&dir, off);
		kh_buf_add(&dir, names[i], nl);
	}
	uint32_t at = (uint32_t)out->len;
	kh_buf_add(out, dir.data, dir.len);
	le32(out, 0x06054b50), le16(out, 0), le16(out, 0), le16(out, (unsigned)n), le16(out, (unsigned)n);
	le32(out, (uint32_t)dir.len), le32(out, at), le16(out, 0);
	kh_buf_release(&dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml",
					    "xl/workbook.xml", "xl/_rels/workbook.xml.rels"};
	const char *part[5] = {"", "", "", "<workbook><sheets><sheet name=\"a\" r:id=\"rId1\"/></sheets></workbook>",
			       "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>"};
	size_t len[5] = {0, 0, 0, strlen(part[3]), strlen(part[4])};
	struct kh_buf book = KH_BUF_INIT;
	const char *s = (const char *)data;
	if (size >= 2 && s[0] == 'P' && s[1] == 'K') {
		kh_buf_add(&book, s, size);
	} else {
		const char *sep = "\n=====\n";
		int n = 0;
		for (size_t at = 0; n < 5; n++) {
			size_t q = at;
			while (q + 7 <= size && memcmp(s + q, sep, 7))
				q++;
			if (q + 7 > size)
				q = size;
			part[n] = s + at, len[n] = q - at;
			if (q == size)
				break;
			at = q + 7;
		}
		zip(&book, names, part, len, 5);
	}
	if (book.err)
		return 0;
	/* The workbook in a buffer of its own size, so that reading past it is caught. */
	char *copy = malloc(book.len);
	if (!copy)
		return 0;
	memcpy(copy, book.data, book.len);
	struct kh_memsrc m;
	char msg[256];
	struct kh_table *t = kh_xlsx_open(kh_src_mem(&m, copy, book.len), msg, sizeof msg);
	kh_buf_release(&book);
	if (t) {
		struct kh_row row;
		int64_t last = 0;
		while (kh_table_next(t, &row) > 0) {
			if (row.n < 1 || row.n > KH_CSV_MAX_FIELDS || row.num <= last)
				abort(); /* rows in sheet order, each with a field */
			last = row.num;
			for (int i = 0; i < row.n; i++)
				if (row.f[i][row.len[i]] != '\0')
					abort();
		}
		kh_table_free(t);
	}
	free(copy);
	return 0;
}
