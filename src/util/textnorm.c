#include "util/textnorm.h"

#include <opencc/opencc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utrans.h>
#include <unicode/ustring.h>

#include "util/log.h"
#include "util/utf8.h"

static void add_cp(struct kh_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		kh_buf_addc(b, (char)cp);
		return;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	kh_buf_add(b, u, n);
}

static uint32_t fold_cp(uint32_t cp)
{
	if (cp >= 0xff01 && cp <= 0xff5e)
		return cp - 0xff01 + 0x21;
	if (cp == 0x3000 || cp == 0xa0)
		return ' ';
	return cp;
}

/* Decodes one code point; invalid bytes (never in stored text) pass as U+FFFD. */
static size_t next_cp(const char *s, size_t n, uint32_t *cp)
{
	int len = kh_utf8_decode(s, n, cp);
	if (len <= 0) {
		*cp = 0xfffd;
		return 1;
	}
	return (size_t)len;
}

void kh_fold_width(struct kh_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) { /* the common case, byte by byte */
			kh_buf_addc(out, (char)c);
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = next_cp(s + i, n - i, &cp);
		uint32_t f = fold_cp(cp);
		if (f == cp)
			kh_buf_add(out, s + i, len);
		else
			kh_buf_addc(out, (char)f);
		i += len;
	}
}

static int is_space_at(const char *s, size_t n, size_t *len)
{
	unsigned char c = (unsigned char)s[0];
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
		*len = 1;
		return 1;
	}
	if (n >= 3 && c == 0xe3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) {
		*len = 3; /* U+3000 */
		return 1;
	}
	if (n >= 2 && c == 0xc2 && (unsigned char)s[1] == 0xa0) {
		*len = 2; /* U+00A0 */
		return 1;
	}
	return 0;
}

size_t kh_trim(const char **s, size_t n)
{
	size_t len;
	while (n && is_space_at(*s, n, &len))
		*s += len, n -= len;
	for (;;) {
		if (n >= 1 && is_space_at(*s + n - 1, 1, &len))
			n--;
		else if (n >= 2 && is_space_at(*s + n - 2, 2, &len) && len == 2)
			n -= 2;
		else if (n >= 3 && is_space_at(*s + n - 3, 3, &len) && len == 3)
			n -= 3;
		else
			break;
	}
	return n;
}

/* ---- tables built once ---- */

/* Traditional to simplified for the BMP, from OpenCC's t2s character by
 * character: names are matched per character, and a table lookup is about a
 * hundred times faster than asking OpenCC for each name (10 us a name). */
static uint16_t *t2s_table;
static pthread_once_t t2s_once = PTHREAD_ONCE_INIT;
static int t2s_ok;

static void t2s_build(void)
{
	opencc_t cc = opencc_open("t2s.json");
	if (cc == (opencc_t)-1) {
		kh_warn("textnorm: OpenCC's t2s.json cannot be loaded (install libopencc-data); "
			"traditional Chinese will not match simplified");
		return;
	}
	uint16_t *t = calloc(0x10000, sizeof *t);
	if (!t) {
		opencc_close(cc);
		return;
	}
	static const uint32_t ranges[][2] = {{0x3400, 0x4dbf}, {0x4e00, 0x9fff}, {0xf900, 0xfaff}};
	for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
		for (uint32_t cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
			struct kh_buf in = KH_BUF_INIT;
			add_cp(&in, cp);
			char out[64];
			size_t len = in.err ? 0 : opencc_convert_utf8_to_buffer(cc, in.data, in.len, out);
			uint32_t s;
			if (len > 0 && len < sizeof out && kh_utf8_decode(out, len, &s) == (int)len && s != cp && s < 0x10000)
				t[cp] = (uint16_t)s;
			kh_buf_release(&in);
		}
	opencc_close(cc);
	t2s_table = t;
	t2s_ok = 1;
}

int kh_textnorm_init(void)
{
	pthread_once(&t2s_once, t2s_build);
	return t2s_ok ? 0 : -1;
}

uint32_t kh_t2s(uint32_t cp)
{
	pthread_once(&t2s_once, t2s_build);
	if (cp < 0x10000 && t2s_table && t2s_table[cp])
		return t2s_table[cp];
	return cp;
}

/* Pinyin of the BMP's unified ideographs, from ICU's Han-Latin transliterator,
 * looked up a character at a time on first use and kept: the whole table took
 * 0.5 s to build, and the first write after a start (which computes a name's
 * sort key) waited for it. Each entry packs up to seven ASCII letters and a
 * "known" mark in 64 bits, so threads read it without a lock; ICU itself is
 * called under one, as a transliterator is not for concurrent use. */
#define HAN_FIRST 0x3400
#define HAN_LAST 0x9fff
#define PINYIN_KNOWN (1ULL << 63)
static _Atomic uint64_t pinyin_cache[HAN_LAST - HAN_FIRST + 1];
static UTransliterator *pinyin_t;
static pthread_once_t pinyin_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pinyin_lock = PTHREAD_MUTEX_INITIALIZER;

static void pinyin_open(void)
{
	UErrorCode st = U_ZERO_ERROR;
	UChar id[64];
	u_uastrcpy(id, "Han-Latin; Latin-ASCII; Lower");
	pinyin_t = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
	if (U_FAILURE(st)) {
		kh_warn("textnorm: ICU's Han-Latin transliterator is not available: %s", u_errorName(st));
		pinyin_t = NULL;
	}
}

void kh_textnorm_warm(void)
{
	pthread_once(&pinyin_once, pinyin_open);
}

/* The reading of cp into out (no terminator); its length, 0 when it has none. */
static int pinyin_of(uint32_t cp, char out[7])
{
	if (cp < HAN_FIRST || cp > HAN_LAST)
		return 0;
	_Atomic uint64_t *slot = &pinyin_cache[cp - HAN_FIRST];
	uint64_t v = atomic_load_explicit(slot, memory_order_relaxed);
	if (!v) {
		pthread_once(&pinyin_once, pinyin_open);
		v = PINYIN_KNOWN;
		if (pinyin_t) {
			UChar buf[32];
			int32_t len = 1, limit = 1;
			UErrorCode st = U_ZERO_ERROR;
			buf[0] = (UChar)cp;
			pthread_mutex_lock(&pinyin_lock);
			utrans_transUChars(pinyin_t, buf, &len, 32, 0, &limit, &st);
			pthread_mutex_unlock(&pinyin_lock);
			int n = 0;
			if (!U_FAILURE(st) && !(len == 1 && buf[0] == (UChar)cp))
				for (int32_t k = 0; k < len && n < 7; k++)
					if (buf[k] >= 'a' && buf[k] <= 'z')
						v |= (uint64_t)buf[k] << (8 * n++);
		}
		atomic_store_explicit(slot, v, memory_order_relaxed);
	}
	int n = 0;
	for (; n < 7 && (v >> (8 * n)) & 0xff; n++)
		out[n] = (char)((v >> (8 * n)) & 0xff);
	return n;
}

/* ---- keys ---- */

static int is_key_punct(uint32_t cp)
{
	if (cp < 0x80)
		return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'));
	return cp == 0xb7 || (cp >= 0x2000 && cp <= 0x206f) || (cp >= 0x3000 && cp <= 0x303f) || cp == 0x30fb ||
	       (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff0f) || cp == 0xfffd;
}

static uint32_t lower(uint32_t cp)
{
	return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
}

void kh_name_key(struct kh_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += next_cp(s + i, n - i, &cp);
		cp = lower(fold_cp(cp));
		if (is_key_punct(cp))
			continue;
		add_cp(out, cp >= 0x3400 ? kh_t2s(cp) : cp);
	}
}

void kh_email_key(struct kh_buf *out, const char *s, size_t n)
{
	n = kh_trim(&s, n);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += next_cp(s + i, n - i, &cp);
		add_cp(out, lower(fold_cp(cp)));
	}
}

void kh_pinyin_key(struct kh_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += next_cp(s + i, n - i, &cp);
		cp = lower(fold_cp(cp));
		if (is_key_punct(cp))
			continue;
		if (cp >= 0x3400)
			cp = kh_t2s(cp);
		char syl[7];
		int len = pinyin_of(cp, syl);
		if (len)
			kh_buf_add(out, syl, (size_t)len);
		else
			add_cp(out, cp);
	}
}

void kh_pinyin_sort_key(struct kh_buf *out, const char *s, size_t n)
{
	n = kh_trim(&s, n);
	int han_before = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += next_cp(s + i, n - i, &cp);
		cp = lower(fold_cp(cp));
		if (cp >= 0x3400)
			cp = kh_t2s(cp);
		char syl[7];
		int len = pinyin_of(cp, syl);
		/* One syllable a character, a space between them, so that 西安 (xi an)
		 * sorts before 先 (xian) as in a dictionary. */
		if ((len || han_before) && cp != ' ' && out->len && out->data[out->len - 1] != ' ')
			kh_buf_addc(out, ' ');
		if (len)
			kh_buf_add(out, syl, (size_t)len);
		else
			add_cp(out, cp);
		han_before = len > 0;
	}
	/* The name itself after the reading: 张伟 and 章伟 (both zhang wei) each
	 * stay together, in a fixed order. */
	kh_buf_addc(out, '|');
	kh_buf_add(out, s, n);
}
