#include "domain/auth.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "domain/audit.h"
#include "model/permission.h"
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

const char *kh_password_weakness(const char *pw, size_t n, const char *username)
{
	static const char *const common[] = {"password", "password1", "password123", "12345678", "123456789",
		"1234567890", "qwertyui", "qwerty123", "11111111", "88888888", "66666666", "00000000", "iloveyou",
		"admin123", "administrator", "abc12345", "1qaz2wsx", "woaini1314", "a1234567", "aa123456", "zxcvbnm1",
		"changeme", "letmein1", NULL};
	if (n < 8)
		return "must be at least 8 characters";
	size_t same = 1;
	for (size_t i = 1; i < n; i++)
		same += pw[i] == pw[0];
	if (same == n)
		return "must not be one character repeated";
	for (int i = 0; common[i]; i++)
		if (strlen(common[i]) == n && !strncasecmp(common[i], pw, n))
			return "is one of the most common passwords";
	size_t un = username ? strlen(username) : 0;
	if (un >= 3)
		for (size_t i = 0; i + un <= n; i++)
			if (!strncasecmp(pw + i, username, un))
				return "must not contain the username";
	return NULL;
}

static void hash_hex(const char *token, size_t n, char hex[65])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)token, n, NULL, 0);
	sodium_bin2hex(hex, 65, h, sizeof h);
}

static void new_secret(const char *prefix, char out[KH_TOKEN_LEN])
{
	unsigned char raw[32];
	size_t p = strlen(prefix);
	randombytes_buf(raw, sizeof raw);
	memcpy(out, prefix, p);
	sodium_bin2base64(out + p, KH_TOKEN_LEN - p, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* ---- roles ---- */

/* Parsing a role's JSON costs more than the rest of a point read, so each
 * thread keeps the roles it has seen, keyed by key and version (the row's
 * updated_at): a changed role is parsed again on the next request. */
#define ROLE_CACHE 8
static __thread struct kh_role role_cache[ROLE_CACHE];
static __thread int role_cache_next;

static enum kh_err role_from_row(const char *key, const char *version, const char *perms, size_t perms_len,
				 int personal, int admin, struct kh_role *out)
{
	for (int i = 0; i < ROLE_CACHE; i++)
		if (!strcmp(role_cache[i].key, key) && !strcmp(role_cache[i].version, version)) {
			*out = role_cache[i];
			return KH_OK;
		}
	struct kh_role r;
	memset(&r, 0, sizeof r);
	snprintf(r.key, sizeof r.key, "%s", key);
	snprintf(r.version, sizeof r.version, "%s", version);
	r.personal_data = personal;
	r.is_admin = admin;
	json_t *j = perms && perms_len ? json_loadb(perms, perms_len, 0, NULL) : json_object();
	const char *why;
	int bad = !j || kh_role_parse(&r, j, &why);
	json_decref(j);
	if (bad) {
		kh_warn("role %s has invalid permissions: it grants nothing", key);
		memset(r.scope, 0, sizeof r.scope);
	}
	role_cache[role_cache_next] = r;
	role_cache_next = (role_cache_next + 1) % ROLE_CACHE;
	*out = r;
	return KH_OK;
}

enum kh_err kh_role_load(struct kh_db *db, const char *key, struct kh_role *out)
{
	struct kh_val p = KH_VTEXT(key);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT key, updated_at, permissions, personal_data, is_admin FROM roles "
				      "WHERE key = $1 AND archived_at IS NULL",
				      &p, 1, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows);
	if (rc > 0) {
		struct kh_val k = kh_rows_col(db, rows, 0), v = kh_rows_col(db, rows, 1), j = kh_rows_col(db, rows, 2);
		err = role_from_row(k.s, v.s, j.t == KH_V_TEXT ? j.s : NULL, j.t == KH_V_TEXT ? j.n : 0,
				    kh_rows_col(db, rows, 3).i != 0, kh_rows_col(db, rows, 4).i != 0, out);
	}
	kh_rows_end(db, rows);
	if (rc < 0)
		return (enum kh_err)-rc;
	return rc > 0 ? err : KH_ENOTFOUND;
}

/* ---- throttling ---- */

/* Failures for one key ("user:admin", "addr:10.0.0.1") in the current window;
 * *retry_after > 0 when the key is over its limit. */
static enum kh_err throttle_check(struct kh_db *db, const char *key, int limit, int64_t now, int64_t *retry_after)
{
	struct kh_val p = KH_VTEXT(key);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db, "SELECT window_start, failures FROM kh_throttle WHERE key = $1", &p, 1, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows);
	if (rc > 0) {
		int64_t start;
		struct kh_val ws = kh_rows_col(db, rows, 0);
		int64_t failures = kh_rows_col(db, rows, 1).i;
		if (ws.t == KH_V_TEXT && kh_time_parse(ws.s, ws.n, &start) == 0) {
			int64_t end = start + (int64_t)KH_LOGIN_WINDOW_SECONDS * 1000000;
			if (failures >= limit && end > now) {
				int64_t wait = (end - now + 999999) / 1000000;
				if (wait > *retry_after)
					*retry_after = wait;
			}
		}
	}
	kh_rows_end(db, rows);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

static enum kh_err throttle_fail(struct kh_db *db, const char *key, int64_t now)
{
	char nowt[KH_TIME_LEN], cutoff[KH_TIME_LEN];
	kh_time_format(now, nowt);
	kh_time_format(now - (int64_t)KH_LOGIN_WINDOW_SECONDS * 1000000, cutoff);
	struct kh_val p[3] = {KH_VTEXT(key), KH_VTEXT(nowt), KH_VTEXT(cutoff)};
	/* A window that has ended starts again; otherwise the count goes up. */
	struct kh_val expire[2] = {p[0], p[2]};
	enum kh_err err = kh_db_exec(db, "DELETE FROM kh_throttle WHERE key = $1 AND window_start < $2", expire, 2);
	if (!err)
		err = kh_db_exec(db, "UPDATE kh_throttle SET failures = failures + 1 WHERE key = $1", p, 1);
	if (!err && db->ops->changes(db) == 0)
		err = kh_db_exec(db, "INSERT INTO kh_throttle (key, window_start, failures) VALUES ($1, $2, 1)", p, 2);
	return err;
}

/* ---- sessions ---- */

/* A hash to verify against when the user does not exist, so that the answer
 * takes as long as for a wrong password. */
static char dummy[KH_PASSWORD_HASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	if (kh_password_hash("kehu-dummy-password", 19, dummy))
		dummy[0] = '\0';
}

static void audit_login(struct kh_db *db, int64_t user_id, const char *action, const char *username,
			const char *address)
{
	json_t *d = json_pack("{s:s, s:s}", "username", username, "address", address ? address : "");
	char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	if (kh_audit_append(db, user_id, "users", user_id, action, text))
		kh_warn("cannot audit %s of %s", action, username);
	free(text);
	json_decref(d);
}

enum kh_err kh_session_login(struct kh_ctx *ctx, struct kh_login *in)
{
	pthread_once(&dummy_once, make_dummy);
	if (!dummy[0])
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	struct kh_db *db = ctx->db;
	int64_t now = kh_now();
	char user_key[128], addr_key[128];
	snprintf(user_key, sizeof user_key, "user:%s", in->username);
	snprintf(addr_key, sizeof addr_key, "addr:%s", in->address ? in->address : "");
	in->retry_after = 0;
	enum kh_err err = throttle_check(db, user_key, KH_LOGIN_MAX_PER_ACCOUNT, now, &in->retry_after);
	if (!err)
		err = throttle_check(db, addr_key, KH_LOGIN_MAX_PER_ADDRESS, now, &in->retry_after);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot check login attempts");
	if (in->retry_after > 0)
		return kh_errinfo_set(ctx->ei, KH_ERATE, "too many failed logins; try again in %lld seconds",
				      (long long)in->retry_after);

	struct kh_val p = KH_VTEXT(in->username);
	struct kh_rows *rows;
	err = kh_db_query(db,
			  "SELECT id, password FROM users WHERE username = $1 AND active = 1 AND archived_at IS NULL",
			  &p, 1, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read users");
	char hash[KH_PASSWORD_HASH_LEN] = "";
	int64_t id = 0;
	int rc = kh_rows_next(db, rows);
	if (rc > 0) {
		struct kh_val vid = kh_rows_col(db, rows, 0), vpw = kh_rows_col(db, rows, 1);
		id = vid.i;
		if (vpw.t == KH_V_TEXT && vpw.n < sizeof hash)
			memcpy(hash, vpw.s, vpw.n + 1);
	}
	kh_rows_end(db, rows);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read users");
	int ok = kh_password_verify(hash[0] ? hash : dummy, in->password, strlen(in->password)) && hash[0] && id;

	err = kh_db_begin(db, KH_TX_WRITE);
	if (!ok) {
		if (!err)
			err = throttle_fail(db, user_key, now);
		if (!err)
			err = throttle_fail(db, addr_key, now);
		if (!err)
			audit_login(db, id, "login_failed", in->username, in->address);
		if (!err)
			err = kh_db_commit(db);
		else
			kh_db_rollback(db);
		return kh_errinfo_set(ctx->ei, err ? err : KH_EAUTH, "wrong username or password");
	}
	new_secret("", in->token);
	char th[65], nowt[KH_TIME_LEN];
	hash_hex(in->token, strlen(in->token), th);
	kh_time_format(now, nowt);
	kh_time_format(now + in->ttl_seconds * 1000000, in->expires);
	struct kh_val sp[4] = {KH_VTEXT(th), KH_VINT(id), KH_VTEXT(nowt), KH_VTEXT(in->expires)};
	if (!err)
		err = kh_db_exec(db,
				 "INSERT INTO kh_sessions (token_hash, user_id, created_at, expires_at, last_seen_at) "
				 "VALUES ($1, $2, $3, $4, $3)",
				 sp, 4);
	if (!err) {
		struct kh_val up[2] = {KH_VTEXT(nowt), KH_VINT(id)};
		err = kh_db_exec(db, "UPDATE users SET last_login_at = $1 WHERE id = $2", up, 2);
	}
	if (!err) {
		/* Expired sessions go when their user logs in again: no sweeper needed. */
		struct kh_val dp[2] = {KH_VINT(id), KH_VTEXT(nowt)};
		err = kh_db_exec(db, "DELETE FROM kh_sessions WHERE user_id = $1 AND expires_at < $2", dp, 2);
	}
	if (!err) {
		struct kh_val tp = KH_VTEXT(user_key);
		err = kh_db_exec(db, "DELETE FROM kh_throttle WHERE key = $1", &tp, 1);
	}
	if (!err)
		audit_login(db, id, "login", in->username, in->address);
	if (!err)
		err = kh_db_commit(db);
	else
		kh_db_rollback(db);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot open a session");
	in->user_id = id;
	return KH_OK;
}

/* The columns both lookups end with: the user and their role. */
#define PRINCIPAL_COLUMNS \
	"u.id, u.username, u.team_id, r.key, r.updated_at, r.permissions, r.personal_data, r.is_admin"
enum { C_UID, C_UNAME, C_TEAM, C_RKEY, C_RVER, C_RPERMS, C_RPERS, C_RADMIN, C_EXTRA };

static enum kh_err fill_principal(struct kh_db *db, struct kh_rows *rows, struct kh_arena *a,
				  struct kh_principal *out)
{
	struct kh_val name = kh_rows_col(db, rows, C_UNAME), rkey = kh_rows_col(db, rows, C_RKEY);
	out->user_id = kh_rows_col(db, rows, C_UID).i;
	struct kh_val team = kh_rows_col(db, rows, C_TEAM);
	out->team_id = team.t == KH_V_INT ? team.i : 0;
	out->username = kh_arena_strndup(a, name.s ? name.s : "", name.n);
	out->role = kh_arena_strndup(a, rkey.s ? rkey.s : "", rkey.t == KH_V_TEXT ? rkey.n : 0);
	out->perms = NULL;
	out->is_admin = 0;
	if (!out->username || !out->role)
		return KH_ENOMEM;
	if (rkey.t != KH_V_TEXT)
		return KH_OK; /* the user's role is gone: they may do nothing */
	struct kh_role *r = kh_arena_alloc(a, sizeof *r);
	if (!r)
		return KH_ENOMEM;
	struct kh_val ver = kh_rows_col(db, rows, C_RVER), perms = kh_rows_col(db, rows, C_RPERMS);
	role_from_row(rkey.s, ver.t == KH_V_TEXT ? ver.s : "", perms.t == KH_V_TEXT ? perms.s : NULL,
		      perms.t == KH_V_TEXT ? perms.n : 0, kh_rows_col(db, rows, C_RPERS).i != 0,
		      kh_rows_col(db, rows, C_RADMIN).i != 0, r);
	out->perms = r;
	out->is_admin = r->is_admin;
	return KH_OK;
}

static enum kh_err lookup_api_key(struct kh_db *db, const char *hash, struct kh_arena *a, struct kh_principal *out,
				  char expires_at[KH_TIME_LEN])
{
	struct kh_val p = KH_VTEXT(hash);
	struct kh_rows *rows;
	/* The key's own role (no wider than its creator's when it was made), else the user's. */
	enum kh_err err = kh_db_query(db,
				      "SELECT " PRINCIPAL_COLUMNS ", k.id, k.expires_at, k.revoked_at, k.last_used_at "
				      "FROM api_keys k JOIN users u ON u.id = k.user_id "
				      "LEFT JOIN roles r ON r.key = COALESCE(k.role, u.role) AND r.archived_at IS NULL "
				      "WHERE k.key_hash = $1 AND k.archived_at IS NULL AND u.active = 1 "
				      "AND u.archived_at IS NULL",
				      &p, 1, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows);
	int64_t key_id = 0, touch = 0;
	if (rc > 0) {
		char now[KH_TIME_LEN], minute_ago[KH_TIME_LEN];
		int64_t t = kh_now();
		kh_time_format(t, now);
		kh_time_format(t - 60000000, minute_ago);
		struct kh_val exp = kh_rows_col(db, rows, C_EXTRA + 1), rev = kh_rows_col(db, rows, C_EXTRA + 2),
			      used = kh_rows_col(db, rows, C_EXTRA + 3);
		if (rev.t != KH_V_NULL || (exp.t == KH_V_TEXT && strcmp(exp.s, now) <= 0)) {
			rc = 0;
		} else {
			key_id = kh_rows_col(db, rows, C_EXTRA).i;
			if (exp.t == KH_V_TEXT)
				snprintf(expires_at, KH_TIME_LEN, "%s", exp.s);
			touch = used.t != KH_V_TEXT || strcmp(used.s, minute_ago) < 0;
			if (fill_principal(db, rows, a, out))
				rc = -KH_ENOMEM;
			out->api_key_id = key_id;
		}
	}
	kh_rows_end(db, rows);
	if (rc < 0)
		return (enum kh_err)-rc;
	if (rc == 0)
		return KH_EAUTH;
	if (touch) { /* last use, to the minute: one write a minute per key at most */
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_val up[2] = {KH_VTEXT(now), KH_VINT(key_id)};
		kh_db_exec(db, "UPDATE api_keys SET last_used_at = $1 WHERE id = $2", up, 2);
	}
	return KH_OK;
}

static enum kh_err lookup(struct kh_db *db, const char *token, size_t n, const struct kh_auth_policy *policy,
			  struct kh_arena *a, struct kh_principal *out, char expires_at[KH_TIME_LEN]);

/* ---- the sessions a thread has just checked ----
 *
 * Looking a session up (the session, its user and role: three B-trees) cost a
 * fifth of a point read. Each thread remembers the answers of the last second
 * for the tokens it saw. A write that changes who may do what (logout, a user,
 * role, team or API key) moves kh_db_security_generation() on when it commits,
 * and every thread of this process looks again at once; a change made by
 * another process (another server on the same PostgreSQL, the CLI) shows
 * within the second. Only successful lookups are kept: a failed one is asked
 * of the database every time. */
#define SESSION_CACHE 64
#define SESSION_CACHE_US 1000000

struct cached_session {
	char token[KH_TOKEN_LEN];
	size_t n;
	uint64_t generation;
	int64_t until_us;  /* kh_monotonic_us() */
	int64_t expires;   /* kh_now() */
	int64_t user_id, team_id, api_key_id;
	char username[64];
	char role_key[64];
	int has_role;
	struct kh_role role;
};
static __thread struct cached_session session_cache[SESSION_CACHE];

static struct cached_session *cache_slot(const char *token, size_t n)
{
	return &session_cache[XXH3_64bits(token, n) % SESSION_CACHE];
}

static int cache_get(const char *token, size_t n, struct kh_arena *a, struct kh_principal *out)
{
	if (n >= KH_TOKEN_LEN)
		return 0;
	struct cached_session *c = cache_slot(token, n);
	if (c->n != n || memcmp(c->token, token, n) || c->generation != kh_db_security_generation() ||
	    kh_monotonic_us() >= c->until_us || kh_now() >= c->expires)
		return 0;
	memset(out, 0, sizeof *out);
	out->user_id = c->user_id;
	out->team_id = c->team_id;
	out->api_key_id = c->api_key_id;
	out->username = kh_arena_strndup(a, c->username, strlen(c->username));
	out->role = kh_arena_strndup(a, c->role_key, strlen(c->role_key));
	struct kh_role *r = c->has_role ? kh_arena_alloc(a, sizeof *r) : NULL;
	if (!out->username || !out->role || (c->has_role && !r))
		return 0;
	if (r) {
		*r = c->role;
		out->perms = r;
		out->is_admin = r->is_admin;
	}
	return 1;
}

static void cache_put(const char *token, size_t n, uint64_t generation, const char *expires_at,
		      const struct kh_principal *p)
{
	int64_t expires;
	if (n >= KH_TOKEN_LEN || strlen(p->username) >= sizeof session_cache[0].username ||
	    strlen(p->role) >= sizeof session_cache[0].role_key)
		return;
	if (!expires_at)
		expires = INT64_MAX;
	else if (kh_time_parse(expires_at, strlen(expires_at), &expires))
		return;
	struct cached_session *c = cache_slot(token, n);
	memcpy(c->token, token, n);
	c->n = n;
	c->generation = generation;
	c->until_us = kh_monotonic_us() + SESSION_CACHE_US;
	c->expires = expires;
	c->user_id = p->user_id;
	c->team_id = p->team_id;
	c->api_key_id = p->api_key_id;
	snprintf(c->username, sizeof c->username, "%s", p->username);
	snprintf(c->role_key, sizeof c->role_key, "%s", p->role);
	c->has_role = p->perms != NULL;
	if (p->perms)
		c->role = *p->perms;
}

enum kh_err kh_session_lookup(struct kh_db *db, const char *token, size_t n, const struct kh_auth_policy *policy,
			      struct kh_arena *a, struct kh_principal *out)
{
	if (n < 20 || n > 200)
		return KH_EAUTH;
	if (cache_get(token, n, a, out))
		return KH_OK;
	uint64_t generation = kh_db_security_generation(); /* before the rows are read */
	char expires_at[KH_TIME_LEN] = "";
	enum kh_err err = lookup(db, token, n, policy, a, out, expires_at);
	if (!err)
		cache_put(token, n, generation, expires_at[0] ? expires_at : NULL, out);
	return err;
}

/* The lookup itself; expires_at gets the session's or key's expiry, if any. */
static enum kh_err lookup(struct kh_db *db, const char *token, size_t n, const struct kh_auth_policy *policy,
			  struct kh_arena *a, struct kh_principal *out, char expires_at[KH_TIME_LEN])
{
	char th[65];
	hash_hex(token, n, th);
	memset(out, 0, sizeof *out);
	if (!strncmp(token, "kh_", 3))
		return lookup_api_key(db, th, a, out, expires_at);
	struct kh_val p = KH_VTEXT(th);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(db,
				      "SELECT " PRINCIPAL_COLUMNS ", s.expires_at, s.last_seen_at FROM kh_sessions s "
				      "JOIN users u ON u.id = s.user_id "
				      "LEFT JOIN roles r ON r.key = u.role AND r.archived_at IS NULL "
				      "WHERE s.token_hash = $1 AND u.active = 1 AND u.archived_at IS NULL",
				      &p, 1, &rows);
	if (err)
		return err;
	int rc = kh_rows_next(db, rows), idle = 0, touch = 0;
	if (rc > 0) {
		int64_t t = kh_now();
		char now[KH_TIME_LEN], idle_cut[KH_TIME_LEN], minute_ago[KH_TIME_LEN];
		kh_time_format(t, now);
		kh_time_format(t - policy->idle_seconds * 1000000, idle_cut);
		kh_time_format(t - 60000000, minute_ago);
		struct kh_val exp = kh_rows_col(db, rows, C_EXTRA), seen = kh_rows_col(db, rows, C_EXTRA + 1);
		if (exp.t != KH_V_TEXT || strcmp(exp.s, now) <= 0) {
			rc = 0;
		} else if (seen.t == KH_V_TEXT && strcmp(seen.s, idle_cut) < 0) {
			rc = 0;
			idle = 1;
		} else {
			touch = seen.t != KH_V_TEXT || strcmp(seen.s, minute_ago) < 0;
			snprintf(expires_at, KH_TIME_LEN, "%s", exp.s);
			if (fill_principal(db, rows, a, out))
				rc = -KH_ENOMEM;
		}
	}
	kh_rows_end(db, rows);
	if (idle)
		kh_db_exec(db, "DELETE FROM kh_sessions WHERE token_hash = $1", &p, 1);
	if (rc < 0)
		return (enum kh_err)-rc;
	if (rc == 0)
		return KH_EAUTH;
	if (touch) { /* the idle clock, to the minute: at most one write a minute per session */
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_val up[2] = {KH_VTEXT(now), KH_VTEXT(th)};
		kh_db_exec(db, "UPDATE kh_sessions SET last_seen_at = $1 WHERE token_hash = $2", up, 2);
	}
	return KH_OK;
}

enum kh_err kh_session_logout(struct kh_db *db, const char *token, size_t n)
{
	char th[65];
	hash_hex(token, n, th);
	struct kh_val p = KH_VTEXT(th);
	enum kh_err err = kh_db_exec(db, "DELETE FROM kh_sessions WHERE token_hash = $1", &p, 1);
	kh_db_security_changed(db);
	return err;
}

enum kh_err kh_session_logout_all(struct kh_db *db, int64_t user_id)
{
	struct kh_val p = KH_VINT(user_id);
	enum kh_err err = kh_db_exec(db, "DELETE FROM kh_sessions WHERE user_id = $1", &p, 1);
	kh_db_security_changed(db);
	return err;
}

/* ---- API keys ---- */

enum kh_err kh_api_key_create(struct kh_ctx *ctx, const char *name, const char *role, const char *expires_at,
			      char key[KH_TOKEN_LEN], int64_t *id)
{
	const struct kh_principal *who = ctx->who;
	const char *role_key = role ? role : who->role;
	struct kh_role wanted;
	enum kh_err err = kh_role_load(ctx->db, role_key, &wanted);
	if (err == KH_ENOTFOUND) {
		kh_errinfo_field(ctx->ei, "role", "no such role");
		return KH_EVALIDATION;
	}
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read roles");
	if (!who->is_admin && (!who->perms || !kh_role_within(&wanted, who->perms))) {
		kh_errinfo_set(ctx->ei, KH_EFORBIDDEN, "a key's role may not grant more than yours");
		kh_errinfo_field(ctx->ei, "role", "grants more than your own role");
		ctx->ei->code = KH_EFORBIDDEN;
		return KH_EFORBIDDEN;
	}
	const struct kh_entity *e = kh_entity_find("api_keys");
	struct kh_values v;
	if (kh_values_init(&v, e, ctx->arena))
		return KH_ENOMEM;
	json_t *body = json_pack("{s:s, s:s}", "name", name, "role", role_key);
	if (body && expires_at)
		json_object_set_new(body, "expires_at", json_string(expires_at));
	err = body ? kh_validate_json(body, KH_VALIDATE_CREATE, &v, NULL, ctx->arena, ctx->ei) : KH_ENOMEM;
	json_decref(body);
	if (err)
		return err;
	new_secret("kh_", key);
	char *hash = kh_arena_alloc(ctx->arena, 65), *prefix = kh_arena_strndup(ctx->arena, key, 10);
	if (!hash || !prefix)
		return KH_ENOMEM;
	hash_hex(key, strlen(key), hash);
	v.v[kh_field_index(e, "key_hash")] = KH_VTEXT(hash);
	v.set[kh_field_index(e, "key_hash")] = 1;
	v.v[kh_field_index(e, "prefix")] = KH_VTEXT(prefix);
	v.set[kh_field_index(e, "prefix")] = 1;
	v.v[kh_field_index(e, "user_id")] = KH_VINT(who->user_id);
	v.set[kh_field_index(e, "user_id")] = 1;
	return kh_record_insert(ctx, &v, id);
}

enum kh_err kh_api_key_revoke(struct kh_ctx *ctx, int64_t id)
{
	const struct kh_entity *e = kh_entity_find("api_keys");
	struct kh_val p = KH_VINT(id);
	int64_t owner;
	enum kh_err err = kh_db_int(ctx->db, "SELECT user_id FROM api_keys WHERE id = $1 AND revoked_at IS NULL", &p, 1,
				    &owner);
	if (err == KH_ENOTFOUND || (!err && owner != ctx->who->user_id && !ctx->who->is_admin))
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "API key %lld not found", (long long)id);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read API keys");
	struct kh_values v;
	if (kh_values_init(&v, e, ctx->arena))
		return KH_ENOMEM;
	char *now = kh_arena_alloc(ctx->arena, KH_TIME_LEN);
	if (!now)
		return KH_ENOMEM;
	kh_time_format(kh_now(), now);
	v.v[kh_field_index(e, "revoked_at")] = KH_VTEXT(now);
	v.set[kh_field_index(e, "revoked_at")] = 1;
	/* The system revokes on the owner's behalf: the key's row is the system's to change. */
	struct kh_principal system = *ctx->who;
	system.is_admin = 1;
	struct kh_ctx sys = *ctx;
	sys.who = &system;
	return kh_record_patch(&sys, &v, id, -1);
}
