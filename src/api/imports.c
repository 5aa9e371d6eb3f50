/* The import and export routes (routes_import.def):
 *   POST /api/v1/imports               multipart/form-data upload -> 202 and the job
 *   GET  /api/v1/imports/{id}          the job: status, progress, counts, columns
 *   GET  /api/v1/imports/{id}/errors   the error report as CSV (row, column, field, value, reason)
 * Uploads are kept in the database with their job and run by the background
 * scheduler (domain/import_jobs.c), so a server that dies mid-import resumes it. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/handlers.h"
#include "api/stream.h"
#include "domain/import.h"
#include "domain/jobs.h"
#include "http/multipart.h"
#include "model/permission.h"
#include "util/utf8.h"
#include "util/words.h"

static const struct kh_part *field(const struct kh_part *parts, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(parts[i].name, name))
			return &parts[i];
	return NULL;
}

/* A text field as a NUL-terminated string in the arena, or NULL. */
static const char *text(struct kh_req *r, const struct kh_part *parts, int n, const char *name)
{
	const struct kh_part *p = field(parts, n, name);
	return p ? kh_arena_strndup(&r->arena, p->data, p->len) : NULL;
}

/* A yes/no field of the form (an HTML checkbox sends "on"); absent or empty is
 * no, anything but the words below is an error. */
static int flag(struct kh_req *r, const struct kh_part *parts, int n, const char *name)
{
	const char *s = text(r, parts, n, name);
	if (!s || !*s || kh_words_has("0 false no off", s))
		return 0;
	if (kh_words_has("1 true yes on", s))
		return 1;
	kh_errinfo_field(&r->ei, name, "must be true or false");
	return 0;
}

/* The form's fields: any other is refused, as an unknown member of a JSON body is. */
static void unknown_fields(struct kh_req *r, const struct kh_part *parts, int n)
{
	for (int i = 0; i < n; i++)
		if (!kh_words_has("file entity map key on_duplicate dry_run create_refs run_rules format encoding delimiter",
				  parts[i].name))
			kh_errinfo_field(&r->ei, kh_utf8_valid_str(parts[i].name) ? parts[i].name : "form",
					 "is not a field of the import form");
}

enum kh_err kh_api_import_create(struct kh_req *r)
{
	struct kh_part parts[16];
	const char *why;
	int n = kh_multipart_parse(kh_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE), r->body.data, r->body.len, parts, 16,
				   &why);
	if (n < 0)
		return kh_req_fail(r, strstr(why, "multipart/form-data with") ? KH_EMEDIA : KH_EINVAL, "%s", why);
	struct kh_import_opts o = {0};
	const char *entity = text(r, parts, n, "entity"), *key = text(r, parts, n, "key"),
		   *dup = text(r, parts, n, "on_duplicate"), *delim = text(r, parts, n, "delimiter");
	const struct kh_part *file = field(parts, n, "file");
	o.map = text(r, parts, n, "map");
	o.format = text(r, parts, n, "format");
	o.encoding = text(r, parts, n, "encoding");
	unknown_fields(r, parts, n);
	o.dry_run = flag(r, parts, n, "dry_run");
	o.create_refs = flag(r, parts, n, "create_refs");
	o.run_rules = flag(r, parts, n, "run_rules");
	if (o.map && !*o.map)
		o.map = NULL;
	if (o.encoding && !*o.encoding)
		o.encoding = NULL;
	if (o.format && !*o.format)
		o.format = NULL;
	if (!entity || !(o.e = kh_entity_find(entity)))
		kh_errinfo_field(&r->ei, "entity", entity ? "is not an entity (see /api/v1/meta)" : "is required");
	if (!file)
		kh_errinfo_field(&r->ei, "file", "is required");
	else if (file->len == 0)
		kh_errinfo_field(&r->ei, "file", "is empty");
	if (key && *key && kh_import_key_parse(key, &o.key))
		kh_errinfo_field(&r->ei, "key", "must be email, phone, name+account, external_id or id");
	if (dup && *dup && kh_on_dup_parse(dup, &o.on_dup))
		kh_errinfo_field(&r->ei, "on_duplicate", "must be skip, update or error");
	if (o.format && strcmp(o.format, "csv") && strcmp(o.format, "xlsx"))
		kh_errinfo_field(&r->ei, "format", "must be csv or xlsx");
	if (delim && *delim) {
		o.delim = !strcmp(delim, "tab") || !strcmp(delim, "\t") ? '\t' : delim[0];
		if (o.delim != '\t' && strlen(delim) != 1)
			kh_errinfo_field(&r->ei, "delimiter", "must be one character, or tab");
	}
	if (r->ei.code) {
		r->ei.msg = r->ei.nfields == 1 ? kh_arena_printf(&r->arena, "%s %s", r->ei.fields[0].field, r->ei.fields[0].msg)
					       : "the import form is not valid";
		return r->ei.code;
	}
	if (kh_scope_of(&r->who, o.e, KH_ACT_IMPORT) == KH_SCOPE_NONE)
		return kh_req_fail(r, KH_EFORBIDDEN, "your role may not import %s", o.e->name);
	o.source = file->filename[0] ? file->filename : "upload";

	/* The job, its file and its run commit together: an import is never
	 * queued without its file, nor a file kept without its job. */
	int64_t id;
	json_t *payload = NULL;
	enum kh_err err = kh_db_begin(r->ctx.db, KH_TX_WRITE);
	if (!err)
		err = kh_import_job_create(&r->ctx, &o, NULL, file->len, &id);
	if (!err)
		err = kh_import_file_store(&r->ctx, id, file->data, file->len);
	if (!err) {
		payload = json_pack("{s:I, s:I}", "import_id", (json_int_t)id, "user_id", (json_int_t)r->who.user_id);
		err = payload ? kh_job_enqueue(r->ctx.db, "import.run", NULL, payload, NULL) : KH_ENOMEM;
	}
	json_decref(payload);
	if (!err)
		err = kh_db_commit(r->ctx.db);
	if (err) {
		kh_db_rollback(r->ctx.db);
		return r->ei.code ? r->ei.code : kh_req_fail(r, err, "cannot queue the import");
	}
	kh_buf_release(&r->body); /* the upload is stored; free it before answering */
	r->status = 202;
	r->location = kh_arena_printf(&r->arena, "/api/v1/imports/%lld", (long long)id);
	return kh_import_job_json(&r->ctx, id, &r->jw);
}

enum kh_err kh_api_import_get(struct kh_req *r)
{
	char status[16], hb[32];
	const struct kh_entity *e;
	enum kh_err err = kh_import_job_state(&r->ctx, r->id, status, hb, &e);
	return err ? err : kh_import_job_json(&r->ctx, r->id, &r->jw);
}

/* ---- the error report, streamed ---- */

struct errors_stream {
	struct kh_db *db;
	int64_t job, after;
	int started;
};

static enum kh_err errors_next(void *cls, struct kh_buf *out, int *done)
{
	struct errors_stream *s = cls;
	int64_t last;
	enum kh_err err = kh_import_errors_csv(s->db, s->job, s->started ? s->after : 0, 2000, out, &last);
	s->started = 1;
	if (!err && last == 0)
		*done = 1;
	s->after = last;
	return err;
}

enum kh_err kh_api_import_errors(struct kh_req *r)
{
	char status[16], hb[32];
	const struct kh_entity *e;
	enum kh_err err = kh_import_job_state(&r->ctx, r->id, status, hb, &e);
	if (err)
		return err;
	struct errors_stream *s = calloc(1, sizeof *s);
	if (!s)
		return KH_ENOMEM;
	s->db = r->ctx.db;
	s->job = r->id;
	char name[64];
	snprintf(name, sizeof name, "import-%lld-errors.csv", (long long)r->id);
	return kh_api_stream(r, "text/csv; charset=utf-8", name, errors_next, free, s);
}
