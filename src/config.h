/* Kehu's configuration: one struct, filled from flags, then the environment
 * (KEHU_*), then the defaults set by kh_config_defaults(). `kehu serve
 * --print-config` prints it. */
#ifndef KH_CONFIG_H
#define KH_CONFIG_H

#include <stdio.h>

struct kh_config {
	const char *db;      /* a path (SQLite) or postgresql:// URI */
	const char *listen;  /* host:port; port 0 picks a free one */
	long threads;        /* HTTP worker threads, each with its own connection */
	long max_body;       /* largest request body accepted, in bytes */
	long session_ttl;    /* seconds a login token stays valid */
	long session_idle;   /* seconds without a request after which a session ends */
	const char *web_root; /* the built web UI (web/dist), served at / when present */
	const char *read_db;  /* PostgreSQL replicas for reads: URIs separated by commas, or NULL */
	long db_workers;      /* PostgreSQL: database workers (-1: as many as threads; 0: none) */
};

void kh_config_defaults(struct kh_config *c);
void kh_config_print(const struct kh_config *c, FILE *f);
/* A PostgreSQL URI may carry a password: copies uri (or several, separated by
 * commas) into out with each password shown as ***, for logs and messages. */
void kh_uri_hide_password(const char *uri, char *out, size_t outlen);

#endif
