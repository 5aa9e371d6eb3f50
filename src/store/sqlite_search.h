/* Full-text search helpers of the SQLite driver.
 *
 * Two FTS5 tables hold the same text: kh_search with FTS5's trigram tokenizer
 * (any substring of 3+ characters, any script) and kh_search_short with our
 * "kehu_short" tokenizer, which indexes every CJK character and every pair of
 * adjacent CJK characters, plus lower-cased words. FTS5's trigram index cannot
 * answer a query shorter than three characters at all (checked on 3.40.1), yet
 * most Chinese given names are two characters long: '三丰' must find '张三丰'. */
#ifndef KH_SQLITE_SEARCH_H
#define KH_SQLITE_SEARCH_H

#include <sqlite3.h>
#include <stddef.h>

/* Registers the kehu_short tokenizer on a connection. */
int kh_sqlite_search_register(sqlite3 *db);

/* Turns a user's query into an FTS5 MATCH expression in out, and says which
 * table answers it. Returns -1 for an empty or unusable query. */
int kh_sqlite_search_match(const char *q, char *out, size_t outlen, int *short_query);

#endif
