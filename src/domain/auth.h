/* Passwords and sessions.
 *
 * Passwords are stored as libsodium crypto_pwhash strings (Argon2id, with the
 * parameters inside the string, so they can be raised later without breaking
 * old hashes). A session token is 32 random bytes shown once to the client;
 * the database keeps only its BLAKE2b hash, so a copy of the database does not
 * hold working tokens. */
#ifndef KH_AUTH_H
#define KH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "domain/write.h"

#define KH_PASSWORD_HASH_LEN 128 /* crypto_pwhash_STRBYTES */
#define KH_TOKEN_LEN 44          /* 32 bytes in unpadded base64url, + NUL */

int kh_auth_init(void); /* sodium_init(); 0 on success */
enum kh_err kh_password_hash(const char *pw, size_t n, char out[KH_PASSWORD_HASH_LEN]);
int kh_password_verify(const char *hash, const char *pw, size_t n);
/* Fills out with a new random password of n-1 characters (letters and digits). */
void kh_password_generate(char *out, size_t n);

/* Checks username and password and opens a session of ttl_seconds. On success
 * writes the token to token and the user's id to *user_id. KH_EAUTH for a wrong
 * name or password, told apart in neither message nor timing. */
enum kh_err kh_session_login(struct kh_ctx *ctx, const char *username, const char *password, int64_t ttl_seconds,
			     char token[KH_TOKEN_LEN], int64_t *user_id, char expires[32]);
/* Resolves a bearer token to a principal (strings in the arena). KH_EAUTH if the
 * token is unknown or expired or its user inactive. */
enum kh_err kh_session_lookup(struct kh_db *db, const char *token, size_t n, struct kh_arena *a,
			      struct kh_principal *out);
enum kh_err kh_session_logout(struct kh_db *db, const char *token, size_t n);

#endif
