/* Importing records from CSV and Excel files.
 *
 * Every import is a job (a row of kh_imports), whether it comes from
 * `kehu import` or POST /api/v1/imports, so both resume the same way and both
 * leave the same report. A job reads its file row by row (util/csv.h,
 * util/xlsx.h), maps columns to fields (given, or suggested from the header in
 * Chinese or English), converts each cell by its field's type, validates the
 * row by the same metadata rules as the API (kh_validate_json), and writes it
 * through the one write path (kh_record_insert in bulk mode for new records,
 * kh_record_update, audited, for upserts). Bad rows do not stop the run: each
 * fault goes to kh_import_errors (row, column, field, value, reason).
 *
 * Rows go in batches, each one transaction that also records how far the job
 * got and its error rows; after a crash or kill -9 the job resumes after the
 * last committed row, so no row is written twice.
 *
 * Upsert keys (--key): email, phone (mobile or phone, normalised: util/phone.h),
 * name+account, external_id (the source system's id, kept in kh_external_ids),
 * or id (Kehu's own, as an export writes it). Existing records' keys are loaded
 * into memory once, so a million-row file makes no per-row key query, and
 * duplicates inside the file are found as well. */
#ifndef KH_IMPORT_H
#define KH_IMPORT_H

#include "domain/write.h"
#include "util/csv.h"

enum kh_import_key { KH_KEY_NONE, KH_KEY_EMAIL, KH_KEY_PHONE, KH_KEY_NAME_ACCOUNT, KH_KEY_EXTERNAL_ID, KH_KEY_ID };
enum kh_on_dup { KH_DUP_SKIP, KH_DUP_UPDATE, KH_DUP_ERROR };

struct kh_import_opts {
	const struct kh_entity *e;
	const char *map;      /* "客户名称=name,手机=mobile,公司=account_id" or NULL */
	enum kh_import_key key;
	enum kh_on_dup on_dup;
	int dry_run;          /* validate and match, write no record */
	int create_refs;      /* create referenced records that a name does not find */
	int run_rules;        /* new records' changes go to the audit log and outbox: rules fire */
	const char *source;   /* the file's name, for the job and messages */
	const char *format;   /* "csv", "xlsx", or NULL to tell from the content */
	const char *encoding; /* CSV: NULL to detect */
	char delim;           /* CSV: 0 to detect */
};

/* Parses the words of the command line and the API. 0, or -1 if unknown. */
int kh_import_key_parse(const char *s, enum kh_import_key *out);
int kh_on_dup_parse(const char *s, enum kh_on_dup *out);
const char *kh_import_key_name(enum kh_import_key k);
const char *kh_on_dup_name(enum kh_on_dup d);

struct kh_import_stats {
	int64_t rows;        /* data rows handled (not counting the header) */
	int64_t created, updated, skipped, failed;
	int64_t last_row;    /* the file's row number handled last */
	uint64_t bytes_done, bytes_total;
	/* NULL while rows are read; then what the import does after them (for a
	 * million rows, tens of seconds): "building indexes", "building the search
	 * index". */
	const char *phase;
};

/* Creates a job (status "queued"). fingerprint identifies the file and
 * options, so that running the same import again resumes it; may be NULL. */
enum kh_err kh_import_job_create(struct kh_ctx *ctx, const struct kh_import_opts *o, const char *fingerprint,
				 uint64_t bytes_total, int64_t *id);
/* The unfinished job with this fingerprint, if any (KH_ENOTFOUND if none). */
enum kh_err kh_import_job_find(struct kh_ctx *ctx, const char *fingerprint, int64_t *id);

/* Keeps an uploaded file with its job (in the database, so that any server can
 * run or resume the job). Call in one transaction with kh_import_job_create. */
enum kh_err kh_import_file_store(struct kh_ctx *ctx, int64_t job, const char *data, size_t len);
/* A source over the stored file of job; free it with kh_import_src_free. */
struct kh_src kh_import_src_stored(struct kh_db *db, int64_t job);
void kh_import_src_free(struct kh_src src);

typedef void (*kh_import_progress)(void *cls, const struct kh_import_stats *s);

/* Runs (or resumes) job on src. ctx->db must be a connection of its own, not
 * in a transaction; the job commits batch by batch. Returns KH_OK when the job
 * ran to its end (bad rows included: see the stats); an error when it could
 * not (a mapping that names no field, a file that is not CSV or XLSX, a
 * database failure), with the reason in ctx->ei and in the job. */
enum kh_err kh_import_run(struct kh_ctx *ctx, int64_t job, struct kh_src src, kh_import_progress progress,
			  void *cls, struct kh_import_stats *stats);

/* Writes the job as JSON: {"id", "entity", "status", "progress", "rows", ...,
 * "columns": [...], "errors": n}. */
struct kh_jw;
enum kh_err kh_import_job_json(struct kh_ctx *ctx, int64_t job, struct kh_jw *w);
/* The job's status ("queued", "running", "done", "failed"), its heartbeat (the
 * time its runner last committed) and its entity. */
enum kh_err kh_import_job_state(struct kh_ctx *ctx, int64_t job, char status[16], char heartbeat[32],
				const struct kh_entity **e);

/* Appends the job's error report as CSV (row, column, field, value, reason),
 * a page at a time: the rows after error id `after` (0: from the start, with
 * the header line), at most limit; *last receives the last id written, 0 when
 * there are no more. */
enum kh_err kh_import_errors_csv(struct kh_db *db, int64_t job, int64_t after, int limit, struct kh_buf *out,
				 int64_t *last);

/* The suggested field for a column header ("手机号码" -> mobile), or NULL. */
const struct kh_field *kh_import_suggest(const struct kh_entity *e, const char *header, size_t n);

#endif
