/* kehu: the command table. Every subcommand is one line here and one file in
 * src/cli/ (git.c's commands[] in miniature). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/auth.h"
#include "model/entity.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

int kh_cmd_migrate_data(int argc, char **argv); /* cli/migrate_data.c */
int kh_cmd_analyze(int argc, char **argv);      /* cli/analyze.c */
int kh_cmd_backup(int argc, char **argv);       /* cli/backup.c */
int kh_cmd_restore(int argc, char **argv);      /* cli/backup.c */

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"init", kh_cmd_init, "create a new database with an admin user"},
	{"serve", kh_cmd_serve, "serve the API (and web UI) over HTTP"},
	{"demo", kh_cmd_demo, "fill a database with realistic demo data"},
	{"import", kh_cmd_import, "load records from a CSV or Excel file"},
	{"export", kh_cmd_export, "write records to CSV, Excel or vCard"},
	{"dedupe", kh_cmd_dedupe, "find and merge duplicate records"},
	{"migrate-data", kh_cmd_migrate_data, "copy an SQLite database into a new PostgreSQL one, verified"},
	{"backup", kh_cmd_backup, "copy a consistent snapshot of a live database to a file"},
	{"restore", kh_cmd_restore, "replace a database with a backup (the server stopped)"},
	{"analyze", kh_cmd_analyze, "customer analytics: RFM, CLV, churn, segments, baskets, PLS, ..."},
	{"version", kh_cmd_version, "print the version"},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: kehu <command> [options]\n\ncommands:\n");
	for (int i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'kehu <command> --help' tells more about one.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return kh_cmd_version(0, NULL);
	for (int i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		kh_log_init();
		kh_store_global_init();
		if (kh_clock_from_env()) {
			fprintf(stderr, "kehu: KEHU_NOW is not an ISO 8601 date-time\n");
			return 2;
		}
		if (kh_model_init() || kh_auth_init()) {
			fprintf(stderr, "kehu: cannot initialise\n");
			return 1;
		}
		int rc = commands[i].run(argc - 2, argv + 2);
		kh_model_free();
		return rc;
	}
	fprintf(stderr, "kehu: unknown command '%s' (see kehu --help)\n", argv[1]);
	return 2;
}
