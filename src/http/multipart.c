#include "http/multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *find(const char *hay, size_t n, const char *needle, size_t m)
{
	if (m == 0 || n < m)
		return NULL;
	for (const char *p = hay; (p = memchr(p, needle[0], (size_t)(hay + n - p) - m + 1)) != NULL; p++)
		if (!memcmp(p, needle, m))
			return p;
	return NULL;
}

/* The value of parameter `key` in a header value ("form-data; name=\"file\""). */
static int header_param(const char *h, size_t n, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i + klen + 1 < n; i++) {
		if ((i == 0 || h[i - 1] == ';' || h[i - 1] == ' ') && !strncasecmp(h + i, key, klen) && h[i + klen] == '=') {
			const char *v = h + i + klen + 1, *end = h + n;
			size_t len;
			if (*v == '"') {
				const char *q = memchr(v + 1, '"', (size_t)(end - v - 1));
				if (!q)
					return -1;
				v++;
				len = (size_t)(q - v);
			} else {
				len = 0;
				while (v + len < end && v[len] != ';' && v[len] != ' ')
					len++;
			}
			if (len >= outlen)
				return -1;
			memcpy(out, v, len);
			out[len] = '\0';
			return 0;
		}
	}
	return 1;
}

int kh_multipart_parse(const char *ctype, const char *body, size_t len, struct kh_part *parts, int max, const char **why)
{
	char boundary[80] = "--";
	if (!ctype || strncasecmp(ctype, "multipart/form-data", 19) ||
	    header_param(ctype, strlen(ctype), "boundary", boundary + 2, sizeof boundary - 2)) {
		*why = "send the file as multipart/form-data with a boundary";
		return -1;
	}
	size_t blen = strlen(boundary);
	const char *p = find(body, len, boundary, blen), *end = body + len;
	int n = 0;
	while (p) {
		p += blen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return n; /* the closing delimiter */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			break;
		p += 2;
		const char *hend = find(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (!hend)
			break;
		if (n == max) {
			*why = "too many parts in the form";
			return -1;
		}
		struct kh_part *pt = &parts[n];
		memset(pt, 0, sizeof *pt);
		for (const char *h = p; h < hend;) {
			const char *eol = find(h, (size_t)(hend - h) + 2, "\r\n", 2);
			size_t hl = (size_t)(eol - h);
			if (hl > 20 && !strncasecmp(h, "Content-Disposition:", 20)) {
				if (header_param(h + 20, hl - 20, "name", pt->name, sizeof pt->name) < 0 ||
				    header_param(h + 20, hl - 20, "filename", pt->filename, sizeof pt->filename) < 0) {
					*why = "a form field's name or file name is too long";
					return -1;
				}
			}
			h = eol + 2;
		}
		pt->data = hend + 4;
		/* The content ends at CRLF and the next delimiter. */
		char delim[84];
		snprintf(delim, sizeof delim, "\r\n%s", boundary);
		const char *next = find(pt->data, (size_t)(end - pt->data), delim, blen + 2);
		if (!next)
			break;
		pt->len = (size_t)(next - pt->data);
		if (pt->name[0])
			n++;
		p = next + 2;
	}
	*why = "the multipart body is cut short or malformed";
	return -1;
}
