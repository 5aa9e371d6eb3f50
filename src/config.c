#include "config.h"

#include <string.h>
#include <unistd.h>

void kh_config_defaults(struct kh_config *c)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	c->db = NULL;
	c->listen = "127.0.0.1:8080";
	/* Two threads a core: a thread also waits - for pages the kernel copies in,
	 * for SQLite's locks, for the writer thread - and with one a core the CPUs
	 * idled (1M contacts on 2 cores: point reads 54k/s with 2 threads, 70k/s
	 * with 4; customer summaries 11k/s and 26k/s). */
	c->threads = cpus > 0 ? 2 * cpus : 4;
	c->max_body = 1 << 20;
	c->session_ttl = 12 * 3600;
	c->session_idle = 2 * 3600;
	c->web_root = "web/dist";
	c->read_db = NULL;
	c->db_workers = -1;
}

void kh_uri_hide_password(const char *uri, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", uri);
	for (char *scheme = strstr(out, "://"); scheme; scheme = strstr(scheme + 3, "://")) {
		char *at = strchr(scheme + 3, '@'), *next = strstr(scheme + 3, "://");
		char *pw = strchr(scheme + 3, ':');
		if (at && pw && pw < at && (!next || at < next) && strlen(out) + 4 < outlen)
			memmove(pw + 4, at, strlen(at) + 1), memcpy(pw, ":***", 4);
	}
}

void kh_config_print(const struct kh_config *c, FILE *f)
{
	/* A PostgreSQL URI may carry a password: print it without. */
	char db[512], read_db[1024];
	kh_uri_hide_password(c->db ? c->db : "(unset)", db, sizeof db);
	kh_uri_hide_password(c->read_db ? c->read_db : "(none)", read_db, sizeof read_db);
	fprintf(f, "db          = %s\n", db);
	fprintf(f, "listen      = %s\n", c->listen);
	fprintf(f, "threads     = %ld\n", c->threads);
	fprintf(f, "max_body    = %ld\n", c->max_body);
	fprintf(f, "session_ttl = %ld\n", c->session_ttl);
	fprintf(f, "session_idle = %ld\n", c->session_idle);
	fprintf(f, "web_root    = %s\n", c->web_root);
	fprintf(f, "read_db     = %s\n", read_db);
	fprintf(f, "db_workers  = %ld\n", c->db_workers < 0 ? c->threads : c->db_workers);
}
