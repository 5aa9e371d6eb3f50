/* Passwords, sessions, API keys and login throttling.
 *
 * Passwords are stored as libsodium crypto_pwhash strings (Argon2id, with the
 * parameters inside the string, so they can be raised later without breaking
 * old hashes). A session token is 32 random bytes shown once to the client; an
 * API key is "kh_" and 32 random bytes. The database keeps only BLAKE2b hashes
 * of both, so a copy of the database holds no working credential.
 *
 * Sessions end at their expiry, after an idle time, at logout, at "logout
 * everywhere" and when the password changes. Failed logins are counted per
 * account and per client address in the database (so every server sees them);
 * past the limit, login answers 429 with Retry-After until the window ends. */
#ifndef KH_AUTH_H
#define KH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "domain/write.h"

#define KH_PASSWORD_HASH_LEN 128 /* crypto_pwhash_STRBYTES */
#define KH_TOKEN_LEN 48          /* "kh_" + 32 bytes in unpadded base64url, + NUL */
#define KH_LOGIN_MAX_PER_ACCOUNT 5
#define KH_LOGIN_MAX_PER_ADDRESS 20
#define KH_LOGIN_WINDOW_SECONDS 900

int kh_auth_init(void); /* sodium_init(); 0 on success */
enum kh_err kh_password_hash(const char *pw, size_t n, char out[KH_PASSWORD_HASH_LEN]);
int kh_password_verify(const char *hash, const char *pw, size_t n);
/* Fills out with a new random password of n-1 characters (letters and digits). */
void kh_password_generate(char *out, size_t n);
/* NULL if the password is acceptable for the user, else why not. */
const char *kh_password_weakness(const char *pw, size_t n, const char *username);

struct kh_login {
	const char *username, *password;
	const char *address;   /* the client's address, for throttling */
	int64_t ttl_seconds;   /* session lifetime */
	/* Filled on success: */
	char token[KH_TOKEN_LEN];
	char expires[32];
	int64_t user_id;
	/* Filled on KH_ERATE: */
	int64_t retry_after;
};

/* Checks the credentials and opens a session. KH_EAUTH for a wrong name or
 * password (told apart in neither message nor timing), KH_ERATE when throttled.
 * Logins and failed logins are audited. */
enum kh_err kh_session_login(struct kh_ctx *ctx, struct kh_login *login);

struct kh_auth_policy {
	int64_t idle_seconds; /* a session unused this long has ended */
};

/* Resolves a bearer token (a session token or an API key) to a principal with
 * its role's permissions (in the arena). KH_EAUTH if it is unknown, expired,
 * idle, revoked or its user inactive. */
enum kh_err kh_session_lookup(struct kh_db *db, const char *token, size_t n, const struct kh_auth_policy *policy,
			      struct kh_arena *a, struct kh_principal *out);
enum kh_err kh_session_logout(struct kh_db *db, const char *token, size_t n);
/* Ends every session of a user (logout everywhere; password change). */
enum kh_err kh_session_logout_all(struct kh_db *db, int64_t user_id);

/* Creates an API key for the principal, with the given role (NULL: theirs), no
 * wider than theirs. Writes the key (shown once) to key and its id to *id. */
enum kh_err kh_api_key_create(struct kh_ctx *ctx, const char *name, const char *role, const char *expires_at,
			      char key[KH_TOKEN_LEN], int64_t *id);
/* Revokes a key (its owner or an administrator). */
enum kh_err kh_api_key_revoke(struct kh_ctx *ctx, int64_t id);

/* Loads the role with the given key into out (parsed permissions). KH_ENOTFOUND
 * if there is no such role. Parsed roles are cached per thread by version. */
enum kh_err kh_role_load(struct kh_db *db, const char *key, struct kh_role *out);

#endif
