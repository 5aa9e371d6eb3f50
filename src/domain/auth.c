#include "domain/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

int kh_auth_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

enum kh_err kh_password_hash(const char *pw, size_t n, char out[KH_PASSWORD_HASH_LEN])
{
	if (crypto_pwhash_str(out, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE))
		return KH_ENOMEM; /* the only documented failure: memory for the hash */
	return KH_OK;
}

int kh_password_verify(const char *hash, const char *pw, size_t n)
{
	return crypto_pwhash_str_verify(hash, pw, n) == 0;
}

void kh_password_generate(char *out, size_t n)
{
	/* No 0/O or 1/l/I: the password is printed once for a person to type. */
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	for (size_t i = 0; i + 1 < n; i++)
		out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
	out[n - 1] = '\0';
}

static void token_hash(const char *token, size_t n, char hex[65])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)token, n, NULL, 0);
	sodium_bin2hex(hex, 65, h, sizeof h);
}

/* A hash to verify against when the user does not exist, so that the answer
 * takes as long as for a wrong password. */
static char dummy[KH_PASSWORD_HASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	if (kh_password_hash("kehu-dummy-password", 19, dummy))
		dummy[0] = '\0';
}

enum kh_err kh_session_login(struct kh_ctx *ctx, const char *username, const char *password, int64_t ttl_seconds,
			     char token[KH_TOKEN_LEN], int64_t *user_id, char expires[32])
{
	pthread_once(&dummy_once, make_dummy);
	if (!dummy[0])
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	struct kh_val p = KH_VTEXT(username);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT id, password FROM users WHERE username = $1 AND active = 1 "
				      "AND archived_at IS NULL",
				      &p, 1, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read users");
	char hash[KH_PASSWORD_HASH_LEN] = "";
	int64_t id = 0;
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0) {
		struct kh_val vid = kh_rows_col(ctx->db, rows, 0), vpw = kh_rows_col(ctx->db, rows, 1);
		id = vid.i;
		if (vpw.t == KH_V_TEXT && vpw.n < sizeof hash)
			memcpy(hash, vpw.s, vpw.n + 1);
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read users");
	int ok = kh_password_verify(hash[0] ? hash : dummy, password, strlen(password)) && hash[0] && id;
	if (!ok)
		return kh_errinfo_set(ctx->ei, KH_EAUTH, "wrong username or password");

	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, KH_TOKEN_LEN, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char th[65], now[KH_TIME_LEN];
	token_hash(token, strlen(token), th);
	int64_t t = kh_now();
	kh_time_format(t, now);
	kh_time_format(t + ttl_seconds * 1000000, expires);
	struct kh_val sp[4] = {KH_VTEXT(th), KH_VINT(id), KH_VTEXT(now), KH_VTEXT(expires)};
	err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_db_exec(ctx->db,
				 "INSERT INTO kh_sessions (token_hash, user_id, created_at, expires_at) "
				 "VALUES ($1, $2, $3, $4)",
				 sp, 4);
	if (!err) {
		struct kh_val up[2] = {KH_VTEXT(now), KH_VINT(id)};
		err = kh_db_exec(ctx->db, "UPDATE users SET last_login_at = $1 WHERE id = $2", up, 2);
	}
	if (!err) {
		/* Expired sessions go when their user logs in again: no sweeper needed. */
		struct kh_val dp[2] = {KH_VINT(id), KH_VTEXT(now)};
		err = kh_db_exec(ctx->db, "DELETE FROM kh_sessions WHERE user_id = $1 AND expires_at < $2", dp, 2);
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	else
		kh_db_rollback(ctx->db);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot open a session");
	*user_id = id;
	return KH_OK;
}

enum kh_err kh_session_lookup(struct kh_db *db, const char *token, size_t n, struct kh_arena *a,
			      struct kh_principal *out)
{
	if (n < 20 || n > 200)
		return KH_EAUTH;
	char th[65];
	token_hash(token, n, th);
	struct kh_val p = KH_VTEXT(th);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT u.id, u.username, u.role, s.expires_at FROM kh_sessions s "
				      "JOIN users u ON u.id = s.user_id "
				      "WHERE s.token_hash = $1 AND u.active = 1 AND u.archived_at IS NULL",
				      &p, 1, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows);
	if (rc > 0) {
		struct kh_val exp = kh_rows_col(db, rows, 3);
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		if (exp.t != KH_V_TEXT || strcmp(exp.s, now) <= 0) {
			rc = 0;
		} else {
			struct kh_val name = kh_rows_col(db, rows, 1), role = kh_rows_col(db, rows, 2);
			out->user_id = kh_rows_col(db, rows, 0).i;
			out->username = kh_arena_strndup(a, name.s ? name.s : "", name.n);
			out->role = kh_arena_strndup(a, role.s ? role.s : "", role.n);
			if (!out->username || !out->role)
				rc = -KH_ENOMEM;
			else
				out->is_admin = !strcmp(out->role, "admin");
		}
	}
	kh_rows_end(db, rows);
	if (rc < 0)
		return (enum kh_err)-rc;
	return rc > 0 ? KH_OK : KH_EAUTH;
}

enum kh_err kh_session_logout(struct kh_db *db, const char *token, size_t n)
{
	char th[65];
	token_hash(token, n, th);
	struct kh_val p = KH_VTEXT(th);
	return kh_db_exec(db, "DELETE FROM kh_sessions WHERE token_hash = $1", &p, 1);
}
