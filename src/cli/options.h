/* Command-line options, declared as a table per subcommand (git's parse-options
 * in miniature): each option names its flag, its environment variable, where
 * its value goes and its help line. Flags win over the environment, the
 * environment over the defaults already in the destination. --help prints the
 * table; any mistake prints one line and exits with status 2. */
#ifndef KH_OPTIONS_H
#define KH_OPTIONS_H

enum kh_opt_type { KH_OPT_STRING, KH_OPT_INT, KH_OPT_FLAG };

struct kh_opt {
	const char *name; /* "--db" */
	enum kh_opt_type type;
	void *dest;       /* const char ** / long * / int * */
	const char *env;  /* "KEHU_DB", or NULL */
	const char *arg;  /* "PATH", shown in help */
	const char *help;
	long min, max;    /* KH_OPT_INT bounds */
	int required;
};

/* Parses argv (after the subcommand name). Returns 0, or exits: 0 after --help,
 * 2 after a bad argument. */
int kh_opts_parse(const char *cmd, const char *usage, const struct kh_opt *opts, int argc, char **argv);
void kh_opts_usage(const char *cmd, const char *usage, const struct kh_opt *opts, int to_stderr);

#endif
