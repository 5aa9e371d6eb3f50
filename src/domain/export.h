/* Exporting records: any list (its filters and sort, as GET /api/v1/{entity}
 * takes them) as CSV, Excel (XLSX) or, for contacts, vCard 4.0.
 *
 * An export reads the list a page at a time by keyset (never OFFSET), so a
 * million rows stream out in constant memory: kh_export_next() appends the next
 * piece for the caller to send or write. It sees what the principal may export
 * (the role's export scope stands in for its read scope) and masks personal
 * fields exactly as the API does for principals who may not see them.
 *
 * Values are written so that importing the file changes nothing: the header
 * row holds field names (or their labels), money is in major units with two
 * decimals (1234.50), booleans are true/false, tags are "a; b", references
 * are ids. XLSX goes through libxlsxwriter in constant-memory mode to a file
 * (a zip cannot be streamed), with dates as dates and numbers as numbers. */
#ifndef KH_EXPORT_H
#define KH_EXPORT_H

#include "domain/write.h"
#include "model/query.h"

enum kh_export_format { KH_EXPORT_CSV, KH_EXPORT_XLSX, KH_EXPORT_VCARD };

struct kh_export_opts {
	enum kh_export_format format;
	const char *fields; /* "name,email,mobile", or NULL for every field */
	int labels;         /* header: 0 field names, 1 English labels, 2 Chinese labels */
	int bom;            /* CSV: start with a UTF-8 BOM (Excel needs it to read UTF-8) */
};

#define KH_XLSX_MAX_ROWS 1048575 /* a sheet's rows, less the header */

struct kh_export;

/* Starts an export of the records q selects. q is copied (its limit and cursor
 * are not used); who must have the export action on q->e. Errors (an unknown
 * field, vCard of something other than contacts) go to ei. */
enum kh_err kh_export_open(struct kh_export **out, struct kh_db *db, const struct kh_principal *who,
			   const struct kh_list_query *q, const struct kh_export_opts *o, struct kh_errinfo *ei);
/* Appends the next piece (the header first, then a page of rows) to out;
 * sets *done after the last. CSV and vCard only. */
enum kh_err kh_export_next(struct kh_export *x, struct kh_buf *out, int *done);
/* Writes the whole export as an XLSX workbook at path. KH_ETOOBIG if the list
 * has more rows than a sheet holds (nothing useful is left at path then). */
enum kh_err kh_export_xlsx(struct kh_export *x, const char *path);
/* Rows written so far. */
int64_t kh_export_rows(const struct kh_export *x);
const char *kh_export_error(const struct kh_export *x);
void kh_export_free(struct kh_export *x);

/* The file name and content type for a format ("contacts.csv", "text/csv; charset=utf-8"). */
const char *kh_export_content_type(enum kh_export_format f);
const char *kh_export_extension(enum kh_export_format f);
int kh_export_format_parse(const char *s, enum kh_export_format *out);

#endif
