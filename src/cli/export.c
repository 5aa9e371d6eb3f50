#include <stdio.h>

#include "cli/cli.h"

int kh_cmd_export(int argc, char **argv)
{
	(void)argc, (void)argv;
	fprintf(stderr, "kehu export: not built yet\n");
	return 1;
}
