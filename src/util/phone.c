#include "util/phone.h"

#include <string.h>

/* Full-width digits (U+FF10..U+FF19) are EF BC 90..99 in UTF-8. */
static int fullwidth_digit(const unsigned char *s, size_t left)
{
	return left >= 3 && s[0] == 0xef && s[1] == 0xbc && s[2] >= 0x90 && s[2] <= 0x99 ? s[2] - 0x90 : -1;
}

size_t kh_phone_key(const char *s, size_t n, char out[KH_PHONE_KEY_MAX])
{
	char d[64];
	size_t nd = 0;
	int plus = 0;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n && nd < sizeof d;) {
		int fw = fullwidth_digit(u + i, n - i);
		if (fw >= 0) {
			d[nd++] = (char)('0' + fw);
			i += 3;
			continue;
		}
		unsigned char c = u[i];
		if (c >= '0' && c <= '9') {
			d[nd++] = (char)c;
		} else if ((c == '+' || (c == 0xef && n - i >= 3 && u[i + 1] == 0xbc && u[i + 2] == 0x8b)) && nd == 0) {
			plus = 1; /* "+" or full-width "＋" before any digit */
		} else if (c == '#' || c == 'x' || c == 'X' || c == 'e' || c == 'E' || c == ',' || c == ';' ||
			   (c == 0xe8 && n - i >= 3 && u[i + 1] == 0xbd && u[i + 2] == 0xac)) {
			break; /* an extension (ext, x, #, 转) or a second number */
		}
		i += c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	}
	if (nd < 5 || nd > 20)
		return 0;
	const char *p = d;
	size_t np = nd;
	if (!plus && np > 2 && p[0] == '0' && p[1] == '0') { /* 0086 ... */
		plus = 1;
		p += 2, np -= 2;
	}
	char cc[4] = "";
	if (plus) {
		if (np > 2 && p[0] == '8' && p[1] == '6') {
			memcpy(cc, "86", 3);
			p += 2, np -= 2;
		} else {
			/* Another country: keep its code and number as they are. */
			out[0] = '+';
			memcpy(out + 1, p, np);
			out[np + 1] = '\0';
			return np + 1;
		}
	} else if (np == 13 && p[0] == '8' && p[1] == '6' && p[2] == '1') {
		memcpy(cc, "86", 3); /* 8613812345678 */
		p += 2, np -= 2;
	} else if ((np == 11 && p[0] == '1') || (np >= 10 && np <= 12 && p[0] == '0')) {
		memcpy(cc, "86", 3);
	}
	if (cc[0] && np > 1 && p[0] == '0') /* the trunk prefix is not part of the number */
		p++, np--;
	size_t len = 0;
	if (cc[0]) {
		out[len++] = '+';
		out[len++] = cc[0];
		out[len++] = cc[1];
	}
	if (len + np >= KH_PHONE_KEY_MAX)
		return 0;
	memcpy(out + len, p, np);
	len += np;
	out[len] = '\0';
	return len;
}
