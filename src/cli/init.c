/* kehu init --db PATH: a new database with the current schema and an admin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "domain/auth.h"
#include "domain/write.h"
#include "model/schema.h"

/* Creates the user `admin` with the given password; its id goes to *id. */
static enum kh_err create_admin(struct kh_db *db, const char *password, int64_t *id)
{
	struct kh_arena arena;
	struct kh_errinfo ei;
	struct kh_principal system = {.user_id = 0, .username = "system", .role = "admin", .is_admin = 1};
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	struct kh_ctx ctx = {.db = db, .who = &system, .arena = &arena, .ei = &ei};
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "username", "admin", "display_name", "Administrator", "role",
				 "admin", "password", password);
	enum kh_err err = body ? kh_record_create(&ctx, kh_entity_find("users"), body, id) : KH_ENOMEM;
	if (err) {
		fprintf(stderr, "kehu init: cannot create the admin user: %s", ei.msg ? ei.msg : kh_strerror(err));
		for (int i = 0; i < ei.nfields; i++)
			fprintf(stderr, "%s %s %s", i ? "," : ":", ei.fields[i].field, ei.fields[i].msg);
		fputc('\n', stderr);
	}
	json_decref(body);
	kh_arena_release(&arena);
	return err;
}

int kh_cmd_init(int argc, char **argv)
{
	const char *path = NULL;
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &path, "KEHU_DB", "PATH", "the database file to create", .required = 1},
		{0},
	};
	kh_opts_parse("init", "--db PATH", opts, argc, argv);

	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > 0) {
		/* Opening checks the file is ours; an initialised Kehu database is left alone. */
		char msg[512];
		struct kh_db *db;
		if (kh_db_open(path, 0, &db, msg, sizeof msg)) {
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
	int64_t users = 0;
	kh_db_int(db, "SELECT count(*) FROM users", NULL, 0, &users);
	int rc = 0;
	if (users == 0) {
		char generated[17];
		const char *pw = getenv("KEHU_ADMIN_PASSWORD");
		if (!pw || !*pw) {
			kh_password_generate(generated, sizeof generated);
			pw = generated;
		}
		int64_t id;
		if (create_admin(db, pw, &id)) {
			rc = 1;
		} else {
			printf("Created %s\n", path);
			if (pw == generated)
				printf("Log in as admin with the password: %s\n", pw);
			else
				printf("Log in as admin with the password from KEHU_ADMIN_PASSWORD\n");
		}
	}
	kh_db_close(db);
	return rc;
}
