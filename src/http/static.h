/* The web UI's files: kh_api_static (api/handlers.h) serves them; this is the
 * part of it that tests reach directly. */
#ifndef KH_STATIC_H
#define KH_STATIC_H

/* 1 if an Accept-Encoding header value accepts `coding` ("gzip", "br"): named
 * or covered by "*" with a q-value above zero. NULL accepts nothing. */
int kh_accepts_encoding(const char *header, const char *coding);

#endif
