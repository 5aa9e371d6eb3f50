/* Text normalisation for matching records: the keys that import upserts and
 * duplicate detection compare, never what is stored (a record keeps the text
 * as it was written).
 *
 *   kh_fold_width   full-width ASCII forms (Ｔｅｌ １３８) to ASCII, the
 *                   ideographic space to a space
 *   kh_name_key     folded, lower-cased, traditional Chinese to simplified
 *                   (OpenCC's t2s), spaces and punctuation dropped:
 *                   "張 偉" and "张伟" give the same key
 *   kh_email_key    trimmed, folded and lower-cased
 *   kh_pinyin_key   Han characters as toneless pinyin (ICU's Han-Latin),
 *                   other letters and digits lower-cased: "章伟" and "张伟"
 *                   both give "zhangwei"
 *
 * The conversion tables are built on first use from OpenCC (about 50 ms) and,
 * a character at a time, from ICU; after that every call is a table lookup
 * per character, and every function is safe from any thread. */
#ifndef KH_TEXTNORM_H
#define KH_TEXTNORM_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Appends s[0..n) (valid UTF-8) to out with full-width forms folded. */
void kh_fold_width(struct kh_buf *out, const char *s, size_t n);

/* Moves *s and shrinks n past leading and trailing white space (ASCII, the
 * ideographic space and no-break space). Returns the new length. */
size_t kh_trim(const char **s, size_t n);

/* The simplified form of a traditional Chinese character, or cp itself. */
uint32_t kh_t2s(uint32_t cp);

void kh_name_key(struct kh_buf *out, const char *s, size_t n);
void kh_email_key(struct kh_buf *out, const char *s, size_t n);
void kh_pinyin_key(struct kh_buf *out, const char *s, size_t n);

/* The order of names in lists (a name's sort_key column, model.c): toneless
 * pinyin syllables for Han characters, separated by spaces, other text
 * lower-cased, then "|" and the name as written. "张伟" gives "zhang wei|张伟",
 * "Alice Wang" gives "alice wang|Alice Wang"; so Chinese and Latin names
 * interleave from A to Z the way a Chinese address book orders them. */
void kh_pinyin_sort_key(struct kh_buf *out, const char *s, size_t n);

/* Opens ICU's transliterator (0.2 s) now rather than at the first name that
 * needs a pinyin reading: `kehu serve` calls it from a thread of its own at start. */
void kh_textnorm_warm(void);

/* 0 when OpenCC's tables could be loaded (they come with libopencc-data);
 * without them names are still folded and lower-cased, not converted. */
int kh_textnorm_init(void);

#endif
