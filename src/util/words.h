/* Lists of names in one string, separated by single spaces: the query
 * parameters a route takes ("q! limit", a ! after a required one) and the
 * members a request body takes ("winner losers fields"). One string reads
 * well in a table and needs no NULL-terminated array. */
#ifndef KH_WORDS_H
#define KH_WORDS_H

#include <stddef.h>

#include "util/buf.h"

/* The next word at *p: sets *word and returns its length (a trailing ! not
 * counted), moves *p past it and its space; 0 when the list is done. */
size_t kh_word_next(const char **p, const char **word, int *marked);
/* 1 if list names key. */
int kh_words_has(const char *list, const char *key);
/* Appends the words of list to out, separated by sep, without their marks
 * (for messages: "q! limit" -> "q, limit"). */
void kh_words_join(const char *list, const char *sep, struct kh_buf *out);

#endif
