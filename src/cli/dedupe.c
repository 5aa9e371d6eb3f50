#include <stdio.h>

#include "cli/cli.h"

int kh_cmd_dedupe(int argc, char **argv)
{
	(void)argc, (void)argv;
	fprintf(stderr, "kehu dedupe: not built yet\n");
	return 1;
}
