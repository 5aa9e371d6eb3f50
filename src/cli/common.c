#include <stdio.h>

#include "cli/cli.h"
#include "model/schema.h"
#include "store/store.h"

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
	return db;
}
