/* The web UI's files (web/dist), served at / by the same binary.
 *
 * A path that names a file gets the file; any other path without a file
 * extension gets index.html, so the single-page UI can own its URLs (deep
 * links, reloads).
 *
 * Caching: hashed build assets under /assets/ never change under their name
 * and are cached for a year; anything else (index.html above all) is
 * revalidated on every use with an ETag made of its size and modification
 * time, so a new build is seen at once and an unchanged page costs a 304.
 *
 * Compression: the build writes file.br and file.gz beside each text file
 * (web/scripts/compress.mjs), and a client that accepts one gets it with
 * Content-Encoding, so nothing is compressed while serving. A compressed copy
 * older than its file (a build that skipped compressing) is ignored. */
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/handlers.h"
#include "http/server.h"
#include "http/static.h"

static const struct {
	const char *ext, *type;
	int text; /* worth compressing; the build precompresses these */
} mime_types[] = {
	{".html", "text/html; charset=utf-8", 1},
	{".js", "text/javascript; charset=utf-8", 1},
	{".mjs", "text/javascript; charset=utf-8", 1},
	{".css", "text/css; charset=utf-8", 1},
	{".json", "application/json; charset=utf-8", 1},
	{".svg", "image/svg+xml", 1},
	{".txt", "text/plain; charset=utf-8", 1},
	{".map", "application/json", 1},
	{".png", "image/png", 0},
	{".jpg", "image/jpeg", 0},
	{".ico", "image/x-icon", 0},
	{".woff2", "font/woff2", 0},
	{".woff", "font/woff", 0},
	{".webp", "image/webp", 0},
};

static const char *mime_of(const char *path, int *text)
{
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof mime_types / sizeof mime_types[0]; i++)
		if (!strcmp(dot, mime_types[i].ext)) {
			*text = mime_types[i].text;
			return mime_types[i].type;
		}
	*text = 0;
	return "application/octet-stream";
}

/* Only plain names: no "..", no hidden files, no backslashes or NULs. */
static int safe_path(const char *p)
{
	if (strstr(p, "/.") || strchr(p, '\\') || strlen(p) > 512)
		return 0;
	return 1;
}

/* 1 if the Accept-Encoding header h accepts `coding` (RFC 9110 12.5.3): named,
 * or covered by "*", with a q-value above zero. */
int kh_accepts_encoding(const char *h, const char *coding)
{
	size_t clen = strlen(coding);
	int star = 0, named = -1;
	while (h && *h) {
		while (*h == ' ' || *h == '\t' || *h == ',')
			h++;
		const char *tok = h;
		while (*h && *h != ',' && *h != ';' && *h != ' ' && *h != '\t')
			h++;
		size_t tlen = (size_t)(h - tok);
		int ok = 1;
		/* Parameters: only q matters. "q=0", "q=0.0", "q=0.000" refuse. */
		while (*h && *h != ',') {
			if (*h == ';') {
				h++;
				while (*h == ' ' || *h == '\t')
					h++;
				if ((*h == 'q' || *h == 'Q') && h[1] == '=') {
					char *end;
					double q = strtod(h + 2, &end);
					ok = end != h + 2 && q > 0;
					h = end;
					continue;
				}
			}
			if (*h)
				h++;
		}
		if (tlen == clen && !strncasecmp(tok, coding, clen))
			named = ok;
		else if (tlen == 1 && *tok == '*')
			star = ok;
	}
	return named >= 0 ? named : star;
}

/* Opens file + suffix if it exists and is not older than the file itself. */
static int open_variant(const char *file, const char *suffix, const struct stat *orig, struct stat *st)
{
	char name[1200];
	if ((size_t)snprintf(name, sizeof name, "%s%s", file, suffix) >= sizeof name)
		return -1;
	if (stat(name, st) != 0 || !S_ISREG(st->st_mode) || st->st_mtime < orig->st_mtime)
		return -1;
	return open(name, O_RDONLY | O_CLOEXEC);
}

/* A weak validator is enough for a file that is replaced whole by a build. */
static void file_etag(struct kh_req *r, const struct stat *st)
{
	snprintf(r->etag, sizeof r->etag, "W/\"%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st->st_size,
		 (uint64_t)st->st_mtime);
}

static int etag_matches(const char *h, const char *etag)
{
	/* If-None-Match: a list of tags, or "*"; weak comparison (RFC 9110 13.1.2). */
	const char *bare = !strncmp(etag, "W/", 2) ? etag + 2 : etag;
	size_t n = strlen(bare);
	while (h && *h) {
		while (*h == ' ' || *h == ',')
			h++;
		if (*h == '*')
			return 1;
		if (!strncmp(h, "W/", 2))
			h += 2;
		if (!strncmp(h, bare, n) && (h[n] == '\0' || h[n] == ',' || h[n] == ' '))
			return 1;
		while (*h && *h != ',')
			h++;
	}
	return 0;
}

enum kh_err kh_api_static(struct kh_req *r)
{
	const char *root = kh_server_web_root(r->srv);
	const char *path = r->url;
	char file[1100];
	struct stat st;
	if (!safe_path(path))
		return kh_req_fail(r, KH_ENOTFOUND, "no such file");
	snprintf(file, sizeof file, "%s%s", root, path);
	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
		const char *slash = strrchr(path, '/');
		if (slash && strchr(slash, '.'))
			return kh_req_fail(r, KH_ENOTFOUND, "no such file: %s", path);
		snprintf(file, sizeof file, "%s/index.html", root);
		if (stat(file, &st) != 0)
			return kh_req_fail(r, KH_ENOTFOUND,
					   "the web UI is not built (no %s); `make run` builds it", file);
	}
	int text;
	r->content_type = mime_of(file, &text);
	r->cache_forever = !strncmp(path, "/assets/", 8);
	r->is_file = 1;
	/* The answer depends on Accept-Encoding for every file that may be sent
	 * compressed, whether or not this one is: caches must keep both. */
	r->vary_encoding = text;
	file_etag(r, &st);
	if (!r->cache_forever && etag_matches(kh_req_header(r, "If-None-Match"), r->etag)) {
		r->status = 304;
		return KH_OK;
	}
	int fd = -1;
	if (text) {
		const char *ae = kh_req_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING);
		struct stat cst;
		if (kh_accepts_encoding(ae, "br") && (fd = open_variant(file, ".br", &st, &cst)) >= 0)
			r->content_encoding = "br";
		else if (kh_accepts_encoding(ae, "gzip") && (fd = open_variant(file, ".gz", &st, &cst)) >= 0)
			r->content_encoding = "gzip";
		if (fd >= 0)
			st.st_size = cst.st_size;
	}
	if (fd < 0)
		fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kh_req_fail(r, KH_ENOTFOUND, "no such file: %s", path);
	r->file_fd = fd;
	r->file_size = (uint64_t)st.st_size;
	return KH_OK;
}
