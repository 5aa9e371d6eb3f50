/* kehu import ENTITY FILE --db PATH [--map ...] [--key ...] [--on-duplicate ...]
 *                              [--dry-run] [--create-refs] [--report PATH] ...
 *
 * Loads a CSV or XLSX file into an entity through the import job of
 * domain/import.c, with a progress bar. Running the same command again after a
 * crash or kill -9 resumes the job where its last batch committed (the job is
 * found by a hash of the file and the options), so no row goes in twice.
 * Exit status: 0 when every row went in (or was skipped as asked), 3 when the
 * job finished but some rows failed (the report says which and why), 1 when
 * the job could not run, 2 for bad usage. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "domain/import.h"
#include "util/clock.h"
#include "util/progress.h"

static void draw(void *cls, const struct kh_import_stats *s)
{
	struct kh_progress *bar = cls;
	if (s->phase) { /* the rows are in: say what the wait is for */
		kh_progress_draw(bar, s->bytes_done, s->bytes_total, 1, "%lld rows; %s...", (long long)s->rows, s->phase);
		return;
	}
	double secs = kh_progress_seconds(bar);
	kh_progress_draw(bar, s->bytes_done, s->bytes_total, 0, "%lld rows (%.0f/s) %lld new %lld updated %lld skipped %lld failed",
			 (long long)s->rows, secs > 0 ? (double)s->rows / secs : 0.0, (long long)s->created,
			 (long long)s->updated, (long long)s->skipped, (long long)s->failed);
}

/* A hash of the file and of what is asked of it: the same import run again
 * finds its unfinished job. */
static int fingerprint(FILE *f, const char *entity, const struct kh_import_opts *o, char out[65])
{
	crypto_generichash_state st;
	unsigned char h[32];
	char buf[1 << 16];
	size_t n;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		crypto_generichash_update(&st, (const unsigned char *)buf, n);
	if (ferror(f))
		return -1;
	char opts[1024];
	snprintf(opts, sizeof opts, "%s|%s|%s|%s|%d|%d|%d|%s|%s|%c", entity, o->map ? o->map : "",
		 kh_import_key_name(o->key), kh_on_dup_name(o->on_dup), o->dry_run, o->create_refs, o->run_rules,
		 o->format ? o->format : "", o->encoding ? o->encoding : "", o->delim ? o->delim : ' ');
	crypto_generichash_update(&st, (const unsigned char *)opts, strlen(opts));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, 65, h, sizeof h);
	rewind(f);
	return 0;
}

static void print_ei(const char *what, const struct kh_errinfo *ei)
{
	fprintf(stderr, "kehu import: %s%s%s", what, ei->msg ? ": " : "", ei->msg ? ei->msg : "");
	for (int i = 0; i < ei->nfields; i++)
		fprintf(stderr, "%s %s %s", i ? "," : ":", ei->fields[i].field, ei->fields[i].msg);
	fputc('\n', stderr);
}

/* The first errors on stderr, all of them in the report file if asked for. */
static int write_report(struct kh_db *db, int64_t job, const char *path, int64_t failed)
{
	FILE *out = NULL;
	if (path && !(out = fopen(path, "w"))) {
		fprintf(stderr, "kehu import: cannot write %s\n", path);
		return -1;
	}
	struct kh_buf b = KH_BUF_INIT;
	int64_t after = 0, last, shown = 0;
	do {
		kh_buf_reset(&b);
		if (kh_import_errors_csv(db, job, after, 5000, &b, &last))
			break;
		if (out)
			fwrite(b.data, 1, b.len, out);
		if (!out && after == 0) { /* a taste on the terminal */
			const char *p = strchr(b.data, '\n');
			for (int lines = 0; p && p[1] && lines < 10; lines++) {
				const char *q = strchr(p + 1, '\n');
				fprintf(stderr, "  %.*s\n", (int)((q ? q : p + strlen(p)) - p - 2), p + 1);
				p = q;
				shown++;
			}
		}
		after = last;
	} while (last && out);
	kh_buf_release(&b);
	if (out) {
		fclose(out);
		fprintf(stderr, "kehu import: the %lld failed rows are listed in %s\n", (long long)failed, path);
	} else if (failed > shown) {
		fprintf(stderr, "  ... (--report FILE writes all of them as CSV)\n");
	}
	return 0;
}

int kh_cmd_import(int argc, char **argv)
{
	const char *usage = "ENTITY FILE --db PATH [--map \"header=field,...\"] [--key email|phone|name+account|"
			    "external_id|id] [--on-duplicate skip|update|error] [--dry-run] [options]";
	const char *path = NULL, *map = NULL, *key = "none", *dup = "skip", *format = NULL, *encoding = NULL,
		   *delim = NULL, *report = NULL;
	int dry_run = 0, create_refs = 0, run_rules = 0, restart = 0;
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &path, "KEHU_DB", "PATH", "the database", .required = 1},
		{"--map", KH_OPT_STRING, &map, NULL, "SPEC", "columns to fields: \"客户名称=account_id,手机=mobile,备注=-\""},
		{"--key", KH_OPT_STRING, &key, NULL, "KEY", "match existing records by email, phone, name+account, external_id or id"},
		{"--on-duplicate", KH_OPT_STRING, &dup, NULL, "WHAT", "a row that matches a record: skip (default), update or error"},
		{"--dry-run", KH_OPT_FLAG, &dry_run, NULL, NULL, "check every row and report; write no record"},
		{"--create-refs", KH_OPT_FLAG, &create_refs, NULL, NULL, "create referenced records a name does not find (accounts)"},
		{"--run-rules", KH_OPT_FLAG, &run_rules, NULL, NULL, "record each new record's creation as if made by hand, so automation rules fire (slower)"},
		{"--format", KH_OPT_STRING, &format, NULL, "csv|xlsx", "the file's format (default: from its content)"},
		{"--encoding", KH_OPT_STRING, &encoding, NULL, "NAME", "CSV encoding (default: UTF-8 or GB18030, detected)"},
		{"--delimiter", KH_OPT_STRING, &delim, NULL, "CHAR", "CSV delimiter: , ; or tab (default: detected)"},
		{"--report", KH_OPT_STRING, &report, NULL, "PATH", "write the failed rows and reasons to this CSV file"},
		{"--restart", KH_OPT_FLAG, &restart, NULL, NULL, "start over instead of resuming an unfinished import of this file"},
		{0},
	};
	if (argc < 2 || !strncmp(argv[0], "--", 2) || !strncmp(argv[1], "--", 2)) {
		for (int i = 0; i < argc; i++)
			if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
				kh_opts_usage("import", usage, opts, 0);
				return 0;
			}
		fprintf(stderr, "kehu import: give the entity and the file first (see kehu import --help)\n");
		return 2;
	}
	const char *entity = argv[0], *file = argv[1];
	kh_opts_parse("import", usage, opts, argc - 2, argv + 2);

	struct kh_import_opts o = {.map = map, .dry_run = dry_run, .create_refs = create_refs, .run_rules = run_rules, .format = format,
				   .encoding = encoding, .source = file};
	if (!(o.e = kh_entity_find(entity))) {
		fprintf(stderr, "kehu import: there is no entity '%s' (see GET /api/v1/meta)\n", entity);
		return 2;
	}
	if (kh_import_key_parse(key, &o.key) || kh_on_dup_parse(dup, &o.on_dup)) {
		fprintf(stderr, "kehu import: --key takes email, phone, name+account, external_id or id; "
				"--on-duplicate takes skip, update or error\n");
		return 2;
	}
	if (delim) {
		o.delim = !strcmp(delim, "tab") || !strcmp(delim, "\\t") ? '\t' : delim[0];
		if (strlen(delim) != 1 && o.delim != '\t') {
			fprintf(stderr, "kehu import: --delimiter is one character, or tab\n");
			return 2;
		}
	}
	if (format && strcmp(format, "csv") && strcmp(format, "xlsx")) {
		fprintf(stderr, "kehu import: --format is csv or xlsx\n");
		return 2;
	}
	FILE *f = fopen(file, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "kehu import: cannot read %s\n", file);
		if (f)
			fclose(f);
		return 1;
	}
	char fp[65];
	if (sodium_init() < 0 || fingerprint(f, entity, &o, fp)) {
		fprintf(stderr, "kehu import: cannot read %s\n", file);
		fclose(f);
		return 1;
	}
	struct kh_db *db = kh_cli_open_db("import", path, 0);
	if (!db) {
		fclose(f);
		return 1;
	}
	struct kh_arena arena;
	struct kh_errinfo ei;
	struct kh_principal who = {.user_id = 0, .username = "import", .role = "admin", .is_admin = 1};
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	struct kh_ctx ctx = {.db = db, .who = &who, .arena = &arena, .ei = &ei};
	int64_t job = 0;
	enum kh_err err = restart ? KH_ENOTFOUND : kh_import_job_find(&ctx, fp, &job);
	int resumed = err == KH_OK;
	if (resumed && restart == 0) {
		fprintf(stderr, "kehu import: resuming import %lld of %s\n", (long long)job, file);
	} else {
		if (restart) /* the old job stays in the history, failed */
			kh_db_exec(db, "UPDATE kh_imports SET status = 'failed', message = 'restarted' WHERE fingerprint = $1 "
				       "AND status IN ('queued', 'running')", &KH_VTEXT(fp), 1);
		err = kh_db_begin(db, KH_TX_WRITE);
		if (!err)
			err = kh_import_job_create(&ctx, &o, fp, (uint64_t)st.st_size, &job);
		err = err ? err : kh_db_commit(db);
	}
	struct kh_progress bar;
	kh_progress_init(&bar);
	struct kh_import_stats stats = {0};
	if (!err)
		err = kh_import_run(&ctx, job, kh_src_file(f), draw, &bar, &stats);
	kh_progress_end(&bar);
	fclose(f);
	int rc = 0;
	double secs = kh_progress_seconds(&bar);
	if (err) {
		print_ei(dry_run ? "the dry run stopped" : "the import stopped", &ei);
		if (stats.last_row)
			fprintf(stderr, "kehu import: rows up to %lld are in; run the same command again to go on from there\n",
				(long long)stats.last_row);
		rc = 1;
	} else {
		printf("%s %lld rows of %s into %s in %.1f s: %lld %s, %lld %s, %lld skipped, %lld failed (import %lld)\n",
		       dry_run ? "Checked" : "Imported", (long long)stats.rows, file, entity, secs,
		       (long long)stats.created, dry_run ? "would be created" : "created", (long long)stats.updated,
		       dry_run ? "would be updated" : "updated", (long long)stats.skipped, (long long)stats.failed,
		       (long long)job);
		rc = stats.failed ? 3 : 0;
	}
	if (stats.failed || report)
		write_report(db, job, report, stats.failed);
	kh_arena_release(&arena);
	kh_db_close(db);
	return rc;
}
