/* kehu backup  --db PATH --to FILE
 * kehu restore --from FILE --db PATH
 *
 * Backup copies one consistent snapshot of a live database into FILE while the
 * server keeps serving (SQLite's online backup; readers and writers carry on),
 * with a progress bar on a terminal. FILE is a complete SQLite database in one
 * file. Restore is the same copy the other way: it checks the backup, refuses
 * while a server has the database open, replaces the contents in one
 * transaction and applies any migrations the backup is behind on. Both are
 * store operations; PostgreSQL has its own tools (pg_dump, pg_restore). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "store/store.h"
#include "util/progress.h"

int kh_cmd_backup(int argc, char **argv);
int kh_cmd_restore(int argc, char **argv);

/* The store's copy reports pages done of pages in all. */
static void show_progress(void *cls, int64_t done, int64_t total)
{
	struct kh_progress *p = cls;
	kh_progress_draw(p, done, total, 0, "%.1f s", kh_progress_seconds(p));
	if (done >= total)
		kh_progress_end(p);
}

static double megabytes(const char *path)
{
	struct stat st;
	return stat(path, &st) ? 0 : (double)st.st_size / (1 << 20);
}

int kh_cmd_backup(int argc, char **argv)
{
	const char *location = NULL, *to = NULL;
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &location, "KEHU_DB", "PATH", "the database to back up (it may be in use)", .required = 1},
		{"--to", KH_OPT_STRING, &to, NULL, "FILE", "the backup file to write (an earlier backup there is replaced)", .required = 1},
		{0},
	};
	kh_opts_parse("backup", "--db PATH --to FILE", opts, argc, argv);
	char msg[1024];
	struct kh_db *db;
	/* Opened as it is: a backup changes nothing, not even pending migrations. */
	if (kh_db_open(location, 0, &db, msg, sizeof msg)) {
		fprintf(stderr, "kehu backup: %s\n", msg);
		return 1;
	}
	int rc = 1;
	struct kh_progress p;
	kh_progress_init(&p);
	if (!db->ops->backup)
		/* The location is not repeated: a URI may carry a password. */
		fprintf(stderr, "kehu backup: a %s database is backed up with its own tools: "
				"pg_dump --format=custom --file=kehu.dump <the --db URI> (see docs/OPERATIONS.md)\n",
			db->ops->name);
	else if (db->ops->backup(db, to, show_progress, &p, msg, sizeof msg))
		fprintf(stderr, "kehu backup: %s\n", msg);
	else
		rc = 0;
	kh_db_close(db);
	if (!rc)
		printf("kehu backup: %s -> %s (%.1f MB) in %.1f s\n", location, to, megabytes(to),
		       kh_progress_seconds(&p));
	return rc;
}

int kh_cmd_restore(int argc, char **argv)
{
	const char *from = NULL, *location = NULL;
	const struct kh_opt opts[] = {
		{"--from", KH_OPT_STRING, &from, NULL, "FILE", "a backup made by kehu backup", .required = 1},
		{"--db", KH_OPT_STRING, &location, "KEHU_DB", "PATH", "the database to replace (created if missing); no server may have it open", .required = 1},
		{0},
	};
	kh_opts_parse("restore", "--from FILE --db PATH", opts, argc, argv);
	char msg[1024];
	struct kh_db *db;
	struct stat st;
	int existed = stat(location, &st) == 0;
	if (kh_db_open(location, 1, &db, msg, sizeof msg)) {
		fprintf(stderr, "kehu restore: %s\n", msg);
		return 1;
	}
	int rc = 1;
	struct kh_progress p;
	kh_progress_init(&p);
	if (!db->ops->restore)
		fprintf(stderr, "kehu restore: a %s database is restored with its own tools (pg_restore); "
				"to move a Kehu SQLite backup into it, use kehu migrate-data --from FILE --to <the --db URI>\n",
			db->ops->name);
	else if (db->ops->restore(db, from, show_progress, &p, msg, sizeof msg))
		fprintf(stderr, "kehu restore: %s\n", msg);
	else
		rc = 0;
	kh_db_close(db);
	if (rc && !existed) { /* leave no empty database behind */
		char side[4096];
		unlink(location);
		snprintf(side, sizeof side, "%s-wal", location);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", location);
		unlink(side);
		return rc;
	}
	if (rc)
		return rc;
	/* A backup from an older Kehu is brought to this one's schema now, not by
	 * whichever command opens it next. */
	db = kh_cli_open_db("restore", location, 0);
	if (!db)
		return 1;
	kh_db_close(db);
	printf("kehu restore: %s -> %s (%.1f MB) in %.1f s\n", from, location, megabytes(location),
	       kh_progress_seconds(&p));
	return 0;
}
