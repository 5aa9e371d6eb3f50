/* Reading the first sheet of an Excel workbook (.xlsx) as a table (csv.h).
 *
 * Debian packages no C reader for XLSX, so this reads the parts itself: the
 * zip through libzip, the XML through expat. It understands shared strings
 * (rich text included, phonetic runs left out), inline strings, numbers,
 * booleans, formula results and dates (cells whose number format is a date,
 * built in or custom, in the 1900 or 1904 date system), which come out as
 * "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS". Cells left out of a row read as empty
 * fields; rows left out of the sheet are skipped (row numbers stay those Excel
 * shows).
 *
 * The workbook is read into memory whole (a zip needs random access); its
 * sheet is decompressed and parsed as a stream. Limits: 256 MiB of workbook,
 * 512 MiB of shared strings. */
#ifndef KH_XLSX_H
#define KH_XLSX_H

#include "util/csv.h"

#define KH_XLSX_MAX_FILE (256u << 20)

/* Opens a reader over src. On failure returns NULL with the reason in msg. */
struct kh_table *kh_xlsx_open(struct kh_src src, char *msg, size_t msglen);

/* 1 if the first bytes are a zip archive's (an XLSX file, or another zip). */
int kh_xlsx_sniff(const char *head, size_t n);

/* The date an Excel serial number stands for, as days since 1970-01-01. */
int64_t kh_xlsx_serial_days(double serial, int date1904);

#endif
