#include "config.h"

#include <string.h>
#include <unistd.h>

void kh_config_defaults(struct kh_config *c)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	c->db = NULL;
	c->listen = "127.0.0.1:8080";
	c->threads = cpus > 0 ? cpus : 2;
	c->max_body = 1 << 20;
	c->session_ttl = 12 * 3600;
	c->session_idle = 2 * 3600;
	c->web_root = "web/dist";
}

void kh_config_print(const struct kh_config *c, FILE *f)
{
	/* A PostgreSQL URI may carry a password: print it without. */
	char db[512];
	snprintf(db, sizeof db, "%s", c->db ? c->db : "(unset)");
	char *at = strchr(db, '@'), *colon = strstr(db, "://");
	if (at && colon) {
		char *pw = strchr(colon + 3, ':');
		if (pw && pw < at)
			memmove(pw + 4, at, strlen(at) + 1), memcpy(pw, ":***", 4);
	}
	fprintf(f, "db          = %s\n", db);
	fprintf(f, "listen      = %s\n", c->listen);
	fprintf(f, "threads     = %ld\n", c->threads);
	fprintf(f, "max_body    = %ld\n", c->max_body);
	fprintf(f, "session_ttl = %ld\n", c->session_ttl);
	fprintf(f, "session_idle = %ld\n", c->session_idle);
	fprintf(f, "web_root    = %s\n", c->web_root);
}
