/* kehu export ENTITY --db PATH [--format csv|xlsx|vcf] [--out FILE]
 *                              [--query "city=上海&sort=-created_at"] [--fields a,b]
 *
 * Writes the records of a list (the same filters and sort as GET
 * /api/v1/{entity}) to a file or standard output, a page at a time, with a
 * progress bar on a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "domain/export.h"
#include "util/progress.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes %XX and + in place. */
static void url_decode(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s == '+')
			*o++ = ' ';
		else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0)
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2])), s += 2;
		else
			*o++ = *s;
	}
	*o = '\0';
}

static void progress(struct kh_progress *bar, int64_t rows, int64_t total, int force)
{
	double secs = kh_progress_seconds(bar);
	kh_progress_draw(bar, rows, total, force, "%lld of %lld rows (%.0f/s)", (long long)rows, (long long)total,
			 secs > 0 ? (double)rows / secs : 0.0);
}

int kh_cmd_export(int argc, char **argv)
{
	const char *usage = "ENTITY --db PATH [--format csv|xlsx|vcf] [--out FILE] [--query \"field=value&sort=...\"]";
	const char *path = NULL, *format = "csv", *outpath = NULL, *query = NULL, *fields = NULL, *labels = NULL;
	int bom = 0;
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &path, "KEHU_DB", "PATH", "the database", .required = 1},
		{"--format", KH_OPT_STRING, &format, NULL, "FMT", "csv (default), xlsx, or vcf (vCard 4.0, contacts)"},
		{"--out", KH_OPT_STRING, &outpath, NULL, "FILE", "where to write (default: standard output; xlsx needs a file)"},
		{"--query", KH_OPT_STRING, &query, NULL, "QUERY", "filters and sort as the list API takes them: \"city=上海&status=active\""},
		{"--fields", KH_OPT_STRING, &fields, NULL, "LIST", "the fields to write, in order (default: all)"},
		{"--labels", KH_OPT_STRING, &labels, NULL, "en|zh", "head the columns with field labels instead of names"},
		{"--bom", KH_OPT_FLAG, &bom, NULL, NULL, "start a CSV file with a UTF-8 BOM, for Excel"},
		{0},
	};
	if (argc < 1 || !strncmp(argv[0], "--", 2)) {
		for (int i = 0; i < argc; i++)
			if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
				kh_opts_usage("export", usage, opts, 0);
				return 0;
			}
		fprintf(stderr, "kehu export: give the entity first (see kehu export --help)\n");
		return 2;
	}
	const struct kh_entity *e = kh_entity_find(argv[0]);
	kh_opts_parse("export", usage, opts, argc - 1, argv + 1);
	struct kh_export_opts o = {.fields = fields, .bom = bom};
	if (!e) {
		fprintf(stderr, "kehu export: there is no entity '%s'\n", argv[0]);
		return 2;
	}
	if (kh_export_format_parse(format, &o.format)) {
		fprintf(stderr, "kehu export: --format is csv, xlsx or vcf\n");
		return 2;
	}
	if (labels && strcmp(labels, "en") && strcmp(labels, "zh")) {
		fprintf(stderr, "kehu export: --labels is en or zh\n");
		return 2;
	}
	o.labels = !labels ? 0 : !strcmp(labels, "en") ? 1 : 2;
	if (o.format == KH_EXPORT_XLSX && !outpath) {
		fprintf(stderr, "kehu export: an xlsx workbook needs --out FILE\n");
		return 2;
	}
	struct kh_arena arena;
	struct kh_errinfo ei;
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	struct kh_principal who = {.user_id = 0, .username = "export", .role = "admin", .is_admin = 1};
	struct kh_list_query q;
	kh_list_init(&q, e);
	if (query) {
		char *copy = kh_arena_strdup(&arena, query), *save = NULL;
		for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');
			if (eq)
				*eq = '\0';
			url_decode(kv);
			if (eq)
				url_decode(eq + 1);
			if (!strcmp(kv, "limit") || !strcmp(kv, "cursor") || !strcmp(kv, "count"))
				continue; /* an export is the whole list */
			kh_list_param(&q, kv, eq ? eq + 1 : "", &arena, &ei);
		}
	}
	int rc = 1;
	struct kh_db *db = NULL;
	struct kh_export *x = NULL;
	FILE *out = NULL;
	if (kh_list_finish(&q, &who, &arena, &ei)) {
		fprintf(stderr, "kehu export: --query: %s\n", ei.msg ? ei.msg : "not valid");
		rc = 2;
		goto out;
	}
	if (!(db = kh_cli_open_db("export", path, 0)))
		goto out;
	if (kh_export_open(&x, db, &who, &q, &o, &ei)) {
		fprintf(stderr, "kehu export: %s%s%s\n", ei.msg ? ei.msg : "", ei.nfields ? " " : "",
			ei.nfields ? ei.fields[0].msg : "");
		rc = 2;
		goto out;
	}
	struct kh_progress bar;
	kh_progress_init(&bar);
	int64_t total = 0;
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[KH_MAX_FILTERS * 4];
	int np = 0;
	if (bar.tty && !kh_list_count_sql(&q, &who, &arena, &sql, p, &np, (int)(sizeof p / sizeof *p)))
		kh_db_int(db, sql.data, p, np, &total);
	kh_buf_release(&sql);
	enum kh_err err = KH_OK;
	if (o.format == KH_EXPORT_XLSX) {
		err = kh_export_xlsx(x, outpath);
	} else {
		out = outpath ? fopen(outpath, "wb") : stdout;
		if (!out) {
			fprintf(stderr, "kehu export: cannot write %s\n", outpath);
			goto out;
		}
		struct kh_buf b = KH_BUF_INIT;
		int done = 0;
		while (!err && !done) {
			kh_buf_reset(&b);
			err = kh_export_next(x, &b, &done);
			if (!err && fwrite(b.data, 1, b.len, out) != b.len) {
				fprintf(stderr, "kehu export: cannot write %s\n", outpath ? outpath : "to standard output");
				err = KH_EIO;
			}
			progress(&bar, kh_export_rows(x), total, 0);
		}
		kh_buf_release(&b);
		if (out != stdout && fclose(out) && !err) {
			fprintf(stderr, "kehu export: cannot write %s\n", outpath);
			err = KH_EIO;
		}
		out = NULL;
	}
	progress(&bar, kh_export_rows(x), total, 1);
	kh_progress_end(&bar);
	if (err) {
		fprintf(stderr, "kehu export: %s\n", kh_export_error(x) ? kh_export_error(x) : kh_strerror(err));
		goto out;
	}
	fprintf(stderr, "kehu export: %lld %s in %.1f s\n", (long long)kh_export_rows(x), e->name,
		kh_progress_seconds(&bar));
	rc = 0;
out:
	if (out && out != stdout)
		fclose(out);
	kh_export_free(x);
	kh_db_close(db);
	kh_arena_release(&arena);
	return rc;
}
