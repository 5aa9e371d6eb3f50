#include <sqlite3.h>
#include <stdio.h>

#include "cli/cli.h"
#include "model/schema.h"
#include "version.h"

int kh_cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "kehu version: takes no arguments\n");
		return 2;
	}
	printf("kehu %s (schema %d, sqlite %s)\n", KEHU_VERSION, kh_schema_version(), sqlite3_libversion());
	return 0;
}
