/* The web UI's files (web/dist), served at / by the same binary.
 *
 * A path that names a file gets the file; any other path without a file
 * extension gets index.html, so the single-page UI can own its URLs (deep
 * links, reloads). Hashed build assets under /assets/ are cached for a year. */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/handlers.h"
#include "http/server.h"

static const struct {
	const char *ext, *type;
} mime_types[] = {
	{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
	{".json", "application/json; charset=utf-8"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
	{".jpg", "image/jpeg"}, {".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".woff", "font/woff"},
	{".txt", "text/plain; charset=utf-8"}, {".map", "application/json"}, {".webp", "image/webp"},
};

static const char *mime_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof mime_types / sizeof mime_types[0]; i++)
		if (!strcmp(dot, mime_types[i].ext))
			return mime_types[i].type;
	return "application/octet-stream";
}

/* Only plain names: no "..", no hidden files, no backslashes or NULs. */
static int safe_path(const char *p)
{
	if (strstr(p, "/.") || strchr(p, '\\') || strlen(p) > 512)
		return 0;
	return 1;
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
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kh_req_fail(r, KH_ENOTFOUND, "no such file: %s", path);
	r->file_fd = fd;
	r->file_size = (uint64_t)st.st_size;
	r->content_type = mime_of(file);
	r->cache_forever = !strncmp(path, "/assets/", 8);
	return KH_OK;
}
