/* GET /api/v1/{entity}/export?format=csv|xlsx|vcf&fields=...&labels=en|zh&bom=1
 * plus every filter and sort a list takes: the list as a file, streamed. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/handlers.h"
#include "api/stream.h"
#include "domain/export.h"

/* ---- streamed answers (api/stream.h) ---- */

struct stream {
	kh_stream_next next;
	void (*free_cls)(void *);
	void *cls;
	struct kh_buf pending;
	size_t off;
	int done, failed;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *s = cls;
	while (s->off == s->pending.len && !s->done) {
		kh_buf_reset(&s->pending);
		s->off = 0;
		if (s->next(s->cls, &s->pending, &s->done)) {
			/* Too late for an error status: cut the answer short, so that the
			 * client sees a broken download rather than a short file. */
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	if (s->off == s->pending.len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = s->pending.len - s->off < max ? s->pending.len - s->off : max;
	memcpy(buf, s->pending.data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	if (s->free_cls)
		s->free_cls(s->cls);
	kh_buf_release(&s->pending);
	free(s);
}

static void add_disposition(struct MHD_Response *resp, const char *filename)
{
	char h[300];
	snprintf(h, sizeof h, "attachment; filename=\"%s\"", filename);
	MHD_add_response_header(resp, "Content-Disposition", h);
}

enum kh_err kh_api_stream(struct kh_req *r, const char *content_type, const char *filename, kh_stream_next next,
			  void (*free_cls)(void *), void *cls)
{
	struct stream *s = calloc(1, sizeof *s);
	if (!s) {
		free_cls(cls);
		return KH_ENOMEM;
	}
	*s = (struct stream){.next = next, .free_cls = free_cls, .cls = cls, .pending = KH_BUF_INIT};
	/* The first piece is made now, so that a failure still gets its status
	 * and error body. */
	enum kh_err err = next(cls, &s->pending, &s->done);
	if (err) {
		stream_free(s);
		return r->ei.code ? r->ei.code : kh_req_fail(r, err, "cannot produce the file");
	}
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s,
								       stream_free);
	if (!resp) {
		stream_free(s);
		return KH_ENOMEM;
	}
	add_disposition(resp, filename);
	r->content_type = content_type;
	r->custom = resp;
	return KH_OK;
}

/* ---- exports ---- */

struct export_args {
	struct kh_req *r;
	struct kh_list_query *q;
	struct kh_export_opts o;
	const char *format;
};

static void take_param(void *cls, const char *key, const char *value)
{
	struct export_args *a = cls;
	struct kh_req *r = a->r;
	if (!value)
		value = "";
	if (!strcmp(key, "format"))
		a->format = value;
	else if (!strcmp(key, "fields"))
		a->o.fields = value;
	else if (!strcmp(key, "bom"))
		a->o.bom = !strcmp(value, "1") || !strcmp(value, "true");
	else if (!strcmp(key, "labels")) {
		if (!strcmp(value, "en"))
			a->o.labels = 1;
		else if (!strcmp(value, "zh"))
			a->o.labels = 2;
		else if (strcmp(value, "") && strcmp(value, "names"))
			kh_errinfo_field(&r->ei, "labels", "must be en, zh or names");
	} else if (!strcmp(key, "limit") || !strcmp(key, "cursor") || !strcmp(key, "count")) {
		kh_errinfo_field(&r->ei, key, "does not apply: an export is the whole list");
	} else {
		kh_list_param(a->q, key, value, &r->arena, &r->ei);
	}
}

static enum kh_err export_next(void *cls, struct kh_buf *out, int *done)
{
	return kh_export_next(cls, out, done);
}

static void export_free(void *cls)
{
	kh_export_free(cls);
}

enum kh_err kh_api_export(struct kh_req *r)
{
	struct kh_list_query *q = kh_arena_alloc(&r->arena, sizeof *q);
	if (!q)
		return KH_ENOMEM;
	kh_list_init(q, r->entity);
	struct export_args a = {.r = r, .q = q, .format = "csv"};
	kh_req_args(r, take_param, &a);
	if (kh_export_format_parse(a.format, &a.o.format))
		kh_errinfo_field(&r->ei, "format", "must be csv, xlsx or vcf");
	if (r->ei.code && r->ei.code != KH_EINVAL) /* field faults of the query string are a bad request */
		r->ei.code = KH_EINVAL;
	if (r->ei.code && !r->ei.msg)
		r->ei.msg = kh_arena_printf(&r->arena, "invalid query parameter %s: %s", r->ei.fields[0].field,
					    r->ei.fields[0].msg);
	enum kh_err err = kh_list_finish(q, &r->who, &r->arena, &r->ei);
	if (err)
		return err;
	struct kh_export *x;
	if ((err = kh_export_open(&x, r->ctx.db, &r->who, q, &a.o, &r->ei)))
		return err;
	char name[96];
	snprintf(name, sizeof name, "%s.%s", r->entity->name, kh_export_extension(a.o.format));
	if (a.o.format != KH_EXPORT_XLSX)
		return kh_api_stream(r, kh_export_content_type(a.o.format), name, export_next, export_free, x);

	/* A workbook is a zip, written whole to a file that only this answer
	 * holds (unlinked at once), then sent from it. */
	const char *dir = getenv("TMPDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/kehu-export-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		kh_export_free(x);
		return kh_req_fail(r, KH_EIO, "cannot create a temporary file");
	}
	err = kh_export_xlsx(x, path);
	unlink(path);
	if (err == KH_ETOOBIG)
		err = kh_req_fail(r, KH_EINVAL, "%s", kh_export_error(x));
	else if (err)
		err = kh_req_fail(r, err, "%s", kh_export_error(x) ? kh_export_error(x) : "cannot write the workbook");
	kh_export_free(x);
	struct stat st;
	if (err || fstat(fd, &st)) {
		close(fd);
		return err ? err : KH_EIO;
	}
	struct MHD_Response *resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd); /* takes fd */
	if (!resp) {
		close(fd);
		return KH_ENOMEM;
	}
	add_disposition(resp, name);
	r->content_type = kh_export_content_type(a.o.format);
	r->custom = resp;
	return KH_OK;
}
