/* The subcommands of the kehu binary, one file each (git's builtin/ pattern).
 * Each returns the process exit status: 0 success, 1 failure, 2 bad usage. */
#ifndef KH_CLI_H
#define KH_CLI_H

struct kh_db;

int kh_cmd_init(int argc, char **argv);
int kh_cmd_serve(int argc, char **argv);
int kh_cmd_demo(int argc, char **argv);
int kh_cmd_version(int argc, char **argv);
int kh_cmd_import(int argc, char **argv);
int kh_cmd_export(int argc, char **argv);
int kh_cmd_dedupe(int argc, char **argv);

/* Opens the database at location and brings it to the current schema.
 * create: make a new database if there is none. Prints the reason and returns
 * NULL on failure. */
struct kh_db *kh_cli_open_db(const char *cmd, const char *location, int create);

/* Creates the user admin when the database has no users yet, with the password
 * from KEHU_ADMIN_PASSWORD or a generated one, and says so on stdout. */
int kh_cli_ensure_admin(const char *cmd, struct kh_db *db, const char *location);

#endif
