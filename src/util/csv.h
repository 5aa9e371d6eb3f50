/* Reading tables (CSV and XLSX) one row at a time, whatever their encoding.
 *
 * A struct kh_table is a pull reader over a byte source: kh_table_next() gives
 * the next row as UTF-8 fields. CSV goes through libcsv with the encoding and
 * delimiter found from the first 64 KiB unless given: UTF-8 with or without a
 * BOM, UTF-16 with a BOM, and otherwise GB18030 (a superset of GBK, which is
 * what Chinese Excel writes), converted with iconv; comma, semicolon or tab.
 * XLSX (xlsx.h) gives its first sheet through the same interface.
 *
 * Nothing here allocates per row: a row's fields live in the reader's buffers
 * until the next call. Limits keep hostile files small: a field of at most
 * 1 MiB, at most 1,000 fields a row. */
#ifndef KH_CSV_H
#define KH_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "util/buf.h"

#define KH_CSV_MAX_FIELD (1 << 20)
#define KH_CSV_MAX_FIELDS 1000

/* Where the bytes come from: read() fills up to n bytes and returns how many,
 * 0 at the end, or -1 on failure. */
struct kh_src {
	ssize_t (*read)(void *cls, char *buf, size_t n);
	void *cls;
};

/* A source over a stdio file, and over memory (m must outlive the source). */
struct kh_src kh_src_file(FILE *f);
struct kh_memsrc {
	const char *data;
	size_t len, pos;
};
struct kh_src kh_src_mem(struct kh_memsrc *m, const char *data, size_t len);

struct kh_row {
	int64_t num;        /* 1 for the first row of the file (usually the header) */
	int n;              /* number of fields */
	const char **f;     /* each NUL-terminated */
	const size_t *len;
	int bad_utf8;       /* the row's bytes are not valid UTF-8 (fields are as read) */
};

struct kh_table {
	/* 1 with *row filled, 0 at the end, -1 on an error that ends the file
	 * (the reason is in err). */
	int (*next)(struct kh_table *t, struct kh_row *row);
	void (*free)(struct kh_table *t);
	const char *format;   /* "csv", "xlsx" */
	const char *encoding; /* "utf-8", "utf-8-bom", "gb18030", "utf-16le", ... */
	char delim;           /* CSV: ',', ';' or '\t' */
	uint64_t bytes_read;  /* of the source, for progress */
	char err[256];
};

struct kh_csv_opts {
	char delim;           /* 0: find it from the first line */
	const char *encoding; /* NULL: find it; else any name iconv knows */
};

/* Opens a CSV reader over src. On failure returns NULL with the reason in msg. */
struct kh_table *kh_csv_open(struct kh_src src, const struct kh_csv_opts *o, char *msg, size_t msglen);

static inline int kh_table_next(struct kh_table *t, struct kh_row *row)
{
	return t->next(t, row);
}
static inline void kh_table_free(struct kh_table *t)
{
	if (t)
		t->free(t);
}

/* Writing: appends one CSV field (quoted when it needs to be, RFC 4180), and a
 * row's end (CRLF). A field that starts with = + - @ is written as is: Kehu
 * does not rewrite data, and spreadsheet programs ask before running formulas
 * from a CSV file. */
void kh_csv_field(struct kh_buf *b, const char *s, size_t n, char delim);

/* A queue of parsed rows, shared by the CSV and XLSX readers (internal). */
struct kh_rowq {
	struct kh_buf text;     /* field bytes, each followed by a NUL */
	size_t *off, *len;      /* per field */
	size_t nf, capf;
	struct {
		size_t first;   /* index of the row's first field */
		int n;
		int64_t num;
		int bad_utf8;
	} *rows;
	size_t nrows, caprows, head;
	const char **fptr;      /* the row handed out */
	size_t capptr;
	int row_open;           /* fields added since the last row end */
	size_t row_first;
	int err;                /* out of memory or a limit */
};
void kh_rowq_reset(struct kh_rowq *q);
int kh_rowq_field(struct kh_rowq *q, const char *s, size_t n);
int kh_rowq_end(struct kh_rowq *q, int64_t num, int bad_utf8);
/* Pops a row into *row: 1, or 0 when the queue is empty. */
int kh_rowq_pop(struct kh_rowq *q, struct kh_row *row);
void kh_rowq_free(struct kh_rowq *q);

#endif
