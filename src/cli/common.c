#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "model/schema.h"
#include "store/store.h"
#include "util/log.h"
#include "domain/auth.h"
#include "domain/write.h"

struct kh_db *kh_cli_open_db(const char *cmd, const char *location, int create)
{
	char msg[512];
	struct kh_db *db;
	if (kh_db_open(location, create, &db, msg, sizeof msg)) {
		fprintf(stderr, "kehu %s: %s\n", cmd, msg);
		return NULL;
	}
	int applied;
	if (kh_migrate(db, &applied, msg, sizeof msg)) {
		fprintf(stderr, "kehu %s: %s; nothing was changed by it\n", cmd, msg);
		kh_db_close(db);
		return NULL;
	}
	if (applied && !create)
		kh_info("%s: applied %d pending migration%s", location, applied, applied == 1 ? "" : "s");
	return db;
}

/* Creates the user `admin` with the given password. */
static enum kh_err create_admin(const char *cmd, struct kh_db *db, const char *password)
{
	struct kh_arena arena;
	struct kh_errinfo ei;
	struct kh_principal system = {.user_id = 0, .username = "system", .role = "admin", .is_admin = 1};
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	struct kh_ctx ctx = {.db = db, .who = &system, .arena = &arena, .ei = &ei};
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "username", "admin", "display_name", "Administrator", "role",
				 "admin", "password", password);
	int64_t id;
	enum kh_err err = body ? kh_record_create(&ctx, kh_entity_find("users"), body, &id) : KH_ENOMEM;
	if (err) {
		fprintf(stderr, "kehu %s: cannot create the admin user: %s", cmd, ei.msg ? ei.msg : kh_strerror(err));
		for (int i = 0; i < ei.nfields; i++)
			fprintf(stderr, "%s %s %s", i ? "," : ":", ei.fields[i].field, ei.fields[i].msg);
		fputc('\n', stderr);
	}
	json_decref(body);
	kh_arena_release(&arena);
	return err;
}

int kh_cli_ensure_admin(const char *cmd, struct kh_db *db, const char *location)
{
	int64_t users = 0;
	if (kh_db_int(db, "SELECT count(*) FROM users", NULL, 0, &users)) {
		fprintf(stderr, "kehu %s: cannot read users: %s\n", cmd, db->ops->errmsg(db));
		return -1;
	}
	if (users > 0)
		return 0;
	char generated[17];
	const char *pw = getenv("KEHU_ADMIN_PASSWORD");
	if (!pw || !*pw) {
		kh_password_generate(generated, sizeof generated);
		pw = generated;
	}
	if (create_admin(cmd, db, pw))
		return -1;
	printf("Created %s\n", location);
	if (pw == generated)
		printf("Log in as admin with the password: %s\n", pw);
	else
		printf("Log in as admin with the password from KEHU_ADMIN_PASSWORD\n");
	return 0;
}
