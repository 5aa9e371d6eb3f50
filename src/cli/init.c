/* kehu init --db PATH: a new database with the current schema and an admin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "model/schema.h"

int kh_cmd_init(int argc, char **argv)
{
	const char *path = NULL;
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &path, "KEHU_DB", "PATH", "the database file to create", .required = 1},
		{0},
	};
	kh_opts_parse("init", "--db PATH", opts, argc, argv);

	struct stat st;
	/* A PostgreSQL database always exists before init (createdb): look inside
	 * it too, allowing it to be empty. */
	int pg = !strncmp(path, "postgres://", 11) || !strncmp(path, "postgresql://", 13);
	if (pg || (stat(path, &st) == 0 && st.st_size > 0)) {
		/* Opening checks the file is ours; an initialised Kehu database is left alone. */
		char msg[512];
		struct kh_db *db;
		if (kh_db_open(path, pg, &db, msg, sizeof msg)) {
			fprintf(stderr, "kehu init: %s\n", msg);
			return 1;
		}
		int64_t users = 0;
		int done = kh_schema_is_initialised(db) &&
			   kh_db_int(db, "SELECT count(*) FROM users", NULL, 0, &users) == KH_OK && users > 0;
		kh_db_close(db);
		if (done) {
			fprintf(stderr, "kehu init: %s is already a Kehu database; nothing done\n", path);
			return 1;
		}
	}
	struct kh_db *db = kh_cli_open_db("init", path, 1);
	if (!db)
		return 1;
	int rc = kh_cli_ensure_admin("init", db, path) ? 1 : 0;
	kh_db_close(db);
	return rc;
}
