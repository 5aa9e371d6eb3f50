#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kh_opts_usage(const char *cmd, const char *usage, const struct kh_opt *opts, int to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	fprintf(f, "usage: kehu %s %s\n\n", cmd, usage);
	for (int i = 0; opts[i].name; i++) {
		char left[64];
		snprintf(left, sizeof left, "%s%s%s", opts[i].name, opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-24s %s", left, opts[i].help);
		if (opts[i].env)
			fprintf(f, " [env %s]", opts[i].env);
		fputc('\n', f);
	}
	fprintf(f, "  %-24s %s\n", "--help", "show this help");
}

static void fail(const char *cmd, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "kehu %s: ", cmd);
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, " (see kehu %s --help)\n", cmd);
	exit(2);
}

static void set(const char *cmd, const struct kh_opt *o, const char *value, const char *from)
{
	if (o->type == KH_OPT_STRING) {
		if (!*value)
			fail(cmd, "%s%s must not be empty", from, o->name);
		*(const char **)o->dest = value;
	} else if (o->type == KH_OPT_INT) {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (!*value || *end || errno || v < o->min || v > o->max) {
			char range[64];
			snprintf(range, sizeof range, "an integer from %ld to %ld", o->min, o->max);
			fail(cmd, "%s must be %s", o->name, range);
		}
		*(long *)o->dest = v;
	} else {
		*(int *)o->dest = 1;
	}
}

int kh_opts_parse(const char *cmd, const char *usage, const struct kh_opt *opts, int argc, char **argv)
{
	int seen[64] = {0};
	for (int i = 0; opts[i].name && i < 64; i++) {
		const char *env = opts[i].env ? getenv(opts[i].env) : NULL;
		if (env && *env) {
			set(cmd, &opts[i], env, "environment variable for ");
			seen[i] = 1;
		}
	}
	for (int a = 0; a < argc; a++) {
		const char *arg = argv[a];
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			kh_opts_usage(cmd, usage, opts, 0);
			exit(0);
		}
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		int found = -1;
		for (int i = 0; opts[i].name; i++)
			if (strlen(opts[i].name) == len && !strncmp(opts[i].name, arg, len))
				found = i;
		if (found < 0)
			fail(cmd, "unknown argument '%s'%s", arg, "");
		const struct kh_opt *o = &opts[found];
		if (o->type == KH_OPT_FLAG) {
			if (eq)
				fail(cmd, "%s takes no value%s", o->name, "");
			set(cmd, o, "", "");
		} else if (eq) {
			set(cmd, o, eq + 1, "");
		} else if (a + 1 < argc) {
			set(cmd, o, argv[++a], "");
		} else {
			fail(cmd, "%s needs a value%s", o->name, "");
		}
		seen[found] = 1;
	}
	for (int i = 0; opts[i].name && i < 64; i++)
		if (opts[i].required && !seen[i])
			fail(cmd, "%s is required%s", opts[i].name, "");
	return 0;
}
