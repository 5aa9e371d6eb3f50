/* Answers that are produced while they are sent (exports, reports): the
 * handler gives a function that appends the next piece to a buffer, and
 * libmicrohttpd pulls pieces as the socket drains, so a million rows never sit
 * in memory. The pieces are made on the connection's worker thread with its
 * database connection, one complete query per piece (nothing is left open
 * between pieces, so other requests on the thread can use the connection). */
#ifndef KH_API_STREAM_H
#define KH_API_STREAM_H

#include "http/request.h"

/* Appends the next piece to out; sets *done after the last one. */
typedef enum kh_err (*kh_stream_next)(void *cls, struct kh_buf *out, int *done);

/* Makes r's answer a stream with the given content type and download name.
 * Takes cls (freed with free_cls when the answer is done, sent or not). */
enum kh_err kh_api_stream(struct kh_req *r, const char *content_type, const char *filename, kh_stream_next next,
			  void (*free_cls)(void *), void *cls);

#endif
