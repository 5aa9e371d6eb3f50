/* UTF-8 checks for everything that arrives from outside (bodies, query strings,
 * CSV cells). Kehu stores only valid UTF-8, so output never needs checking. */
#ifndef KH_UTF8_H
#define KH_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int kh_utf8_valid(const char *s, size_t n);
static inline int kh_utf8_valid_str(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return kh_utf8_valid(s, n);
}
/* Number of code points in valid UTF-8 s[0..n). Field lengths count these,
 * so a 20-character limit holds 20 Chinese characters, not 6. */
size_t kh_utf8_count(const char *s, size_t n);
/* Decodes the code point at s (valid UTF-8), returning its byte length. */
int kh_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* 1 for Han ideographs and other CJK scripts that are written without spaces. */
int kh_is_cjk(uint32_t cp);

#endif
