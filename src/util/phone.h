/* Phone numbers as keys: one form for every way a number is written, so that
 * "+86 138 1234 5678", "0086-138-1234-5678", "138-1234-5678" and
 * "１３８１２３４５６７８" all match.
 *
 * Rules (China is the default country, as for most Kehu users):
 *   - full-width digits are folded, separators ( ) - . / and spaces dropped;
 *   - "00" before a country code means "+";
 *   - an 11-digit number starting with 1 is a Chinese mobile: +86 is added;
 *   - a Chinese number with its trunk 0 (010-8888 6666) loses the 0 and gets +86;
 *   - any other number with a country code keeps it; short service numbers
 *     (95588) stay as digits;
 *   - an extension (ext, x, 转, #) is not part of the key. */
#ifndef KH_PHONE_H
#define KH_PHONE_H

#include <stddef.h>

#define KH_PHONE_KEY_MAX 32

/* Writes the key of s[0..n) to out (NUL-terminated) and returns its length,
 * or 0 when s holds fewer than 5 or more than 20 digits. */
size_t kh_phone_key(const char *s, size_t n, char out[KH_PHONE_KEY_MAX]);

#endif
