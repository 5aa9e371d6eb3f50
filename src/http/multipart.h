/* multipart/form-data (RFC 7578) over a body read whole: the fields and files
 * of an upload (POST /api/v1/imports). Nothing is copied: a part's data points
 * into the body. */
#ifndef KH_MULTIPART_H
#define KH_MULTIPART_H

#include <stddef.h>

struct kh_part {
	char name[64];      /* the form field's name ("file", "entity") */
	char filename[256]; /* the file's name, or "" for a plain field */
	const char *data;   /* into the body */
	size_t len;
};

/* Splits body (len bytes) by the boundary of ctype, the request's
 * Content-Type, into at most max parts; parts without a name are left out.
 * Returns the number of parts, or -1 with *why set to a sentence for the
 * client. */
int kh_multipart_parse(const char *ctype, const char *body, size_t len, struct kh_part *parts, int max,
		       const char **why);

#endif
