/* kehu serve --db PATH [--listen 127.0.0.1:8080] [--threads N] */
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "config.h"
#include "http/server.h"
#include "store/store.h"
#include "util/log.h"
#include "util/textnorm.h"

static void *warm_textnorm(void *arg)
{
	(void)arg;
	kh_textnorm_warm();
	return NULL;
}

int kh_cmd_serve(int argc, char **argv)
{
	struct kh_config cfg;
	int print_config = 0;
	kh_config_defaults(&cfg);
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &cfg.db, "KEHU_DB", "PATH", "the database (a file, or postgresql://...)", .required = 1},
		{"--listen", KH_OPT_STRING, &cfg.listen, "KEHU_LISTEN", "HOST:PORT", "address to serve on (port 0: any free one)"},
		{"--threads", KH_OPT_INT, &cfg.threads, "KEHU_THREADS", "N", "HTTP threads (default: two a CPU core)", .min = 1, .max = 256},
		{"--max-body", KH_OPT_INT, &cfg.max_body, "KEHU_MAX_BODY", "BYTES", "largest request body", .min = 1024, .max = 1 << 30},
		{"--session-ttl", KH_OPT_INT, &cfg.session_ttl, "KEHU_SESSION_TTL", "SECONDS", "login lifetime", .min = 60, .max = 90 * 86400},
		{"--session-idle", KH_OPT_INT, &cfg.session_idle, "KEHU_SESSION_IDLE", "SECONDS", "a session unused this long ends", .min = 60, .max = 90 * 86400},
		{"--web-root", KH_OPT_STRING, &cfg.web_root, "KEHU_WEB_ROOT", "DIR", "the built web UI"},
		{"--db-workers", KH_OPT_INT, &cfg.db_workers, "KEHU_DB_WORKERS", "N",
		 "PostgreSQL: threads running requests, one connection each (default: --threads; 0: on the HTTP threads)",
		 .min = 0, .max = 1024},
		{"--read-db", KH_OPT_STRING, &cfg.read_db, "KEHU_READ_DB", "URI[,URI]", "PostgreSQL replicas to read from"},
		{"--print-config", KH_OPT_FLAG, &print_config, NULL, NULL, "print the configuration and exit"},
		{0},
	};
	kh_opts_parse("serve", "--db PATH [options]", opts, argc, argv);
	if (print_config) {
		kh_config_print(&cfg, stdout);
		return 0;
	}

	/* Migrations run once, here, before any worker opens the database. */
	struct kh_db *db = kh_cli_open_db("serve", cfg.db, 0);
	if (!db)
		return 1;
	kh_db_close(db);

	/* Block the stop signals in every thread (workers inherit the mask), so
	 * that only sigwait() below sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* ICU's pinyin transliterator takes 0.2 s to open: on the second core while
	 * the server starts, not in the first request that writes a name. */
	pthread_t warm;
	if (!pthread_create(&warm, NULL, warm_textnorm, NULL))
		pthread_detach(warm);

	char msg[512];
	struct kh_server *srv = kh_server_start(&cfg, msg, sizeof msg);
	if (!srv) {
		fprintf(stderr, "kehu serve: %s\n", msg);
		return 1;
	}
	char host[256];
	snprintf(host, sizeof host, "%s", cfg.listen);
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = '\0';
	char shown[512];
	kh_uri_hide_password(cfg.db, shown, sizeof shown);
	printf("kehu: serving http://%s:%d/ with %ld threads (database %s)\n", host, kh_server_port(srv), cfg.threads,
	       shown);
	fflush(stdout);

	int sig = 0;
	sigwait(&stop, &sig);
	kh_info("received %s: finishing requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");
	kh_server_stop(srv);
	kh_info("stopped");
	return 0;
}
