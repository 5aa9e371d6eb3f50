#include "util/utf8.h"

int kh_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	int len;
	uint32_t c, min;
	if ((p[0] & 0xE0) == 0xC0) {
		len = 2, c = p[0] & 0x1F, min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		len = 3, c = p[0] & 0x0F, min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		len = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if ((size_t)len > n)
		return -1;
	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	return len;
}

int kh_utf8_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		/* ASCII fast path: most of a request is ASCII. */
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		int len = kh_utf8_decode(s + i, n - i, &cp);
		if (len <= 0)
			return 0;
		i += (size_t)len;
	}
	return 1;
}

size_t kh_utf8_count(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			count++;
	return count;
}

int kh_is_cjk(uint32_t cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF)     /* CJK Unified Ideographs */
	       || (cp >= 0x3400 && cp <= 0x4DBF)  /* Extension A */
	       || (cp >= 0x20000 && cp <= 0x2EBEF) /* Extensions B-F */
	       || (cp >= 0xF900 && cp <= 0xFAFF)  /* Compatibility Ideographs */
	       || (cp >= 0x3040 && cp <= 0x30FF)  /* Hiragana, Katakana */
	       || (cp >= 0xAC00 && cp <= 0xD7AF); /* Hangul syllables */
}
