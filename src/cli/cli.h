/* The subcommands of the kehu binary, one file each (git's builtin/ pattern).
 * Each returns the process exit status: 0 success, 1 failure, 2 bad usage. */
#ifndef KH_CLI_H
#define KH_CLI_H

int kh_cmd_init(int argc, char **argv);
int kh_cmd_serve(int argc, char **argv);
int kh_cmd_demo(int argc, char **argv);
int kh_cmd_version(int argc, char **argv);

/* Opens the database at location and brings it to the current schema.
 * create: make a new database if there is none. Prints the reason and returns
 * NULL on failure. */
struct kh_db *kh_cli_open_db(const char *cmd, const char *location, int create);

#endif
