#include "domain/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

static const struct kh_principal system_principal = {.user_id = 0, .username = "system", .role = "admin",
						      .is_admin = 1};

enum kh_err kh_job_enqueue(struct kh_db *db, const char *kind, const char *run_at, json_t *payload,
			   const char *dedupe_key)
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	struct kh_val p[5] = {KH_VTEXT(kind), KH_VTEXT(run_at ? run_at : now), KH_VTEXT(text ? text : "{}"),
			      dedupe_key ? KH_VTEXT(dedupe_key) : KH_VNULL, KH_VTEXT(now)};
	int64_t found;
	enum kh_err err = KH_OK;
	if (dedupe_key && kh_db_int(db, "SELECT id FROM kh_jobs WHERE dedupe_key = $1", &p[3], 1, &found) == KH_OK) {
		free(text);
		return KH_OK; /* already queued (or done) */
	}
	err = kh_db_exec(db,
			 "INSERT INTO kh_jobs (kind, status, run_at, payload, attempts, dedupe_key, created_at) "
			 "VALUES ($1, 'pending', $2, $3, 0, $4, $5)",
			 p, 5);
	free(text);
	return err;
}

int kh_lease_take(struct kh_db *db, const char *name, const char *holder, int seconds)
{
	return kh_lease_take_over(db, name, holder, seconds, NULL);
}

int kh_lease_take_over(struct kh_db *db, const char *name, const char *holder, int seconds, const char *dead)
{
	int64_t t = kh_now();
	char now[KH_TIME_LEN], until[KH_TIME_LEN], like[64];
	kh_time_format(t, now);
	kh_time_format(t + (int64_t)seconds * 1000000, until);
	snprintf(like, sizeof like, "%s%%", dead ? dead : "");
	struct kh_val p[5] = {KH_VTEXT(name), KH_VTEXT(holder), KH_VTEXT(until), KH_VTEXT(now),
			      dead ? KH_VTEXT(like) : KH_VNULL};
	if (kh_db_begin(db, KH_TX_WRITE))
		return 0;
	enum kh_err err = kh_db_exec(db,
				     "UPDATE kh_leases SET holder = $2, until = $3 WHERE name = $1 "
				     "AND (holder = $2 OR until < $4 OR holder LIKE $5)",
				     p, 5);
	int have = !err && db->ops->changes(db) == 1;
	if (!err && !have) {
		int64_t any;
		if (kh_db_int(db, "SELECT 1 FROM kh_leases WHERE name = $1", p, 1, &any) == KH_ENOTFOUND) {
			err = kh_db_exec(db, "INSERT INTO kh_leases (name, holder, until) VALUES ($1, $2, $3)", p, 3);
			have = !err;
		}
	}
	if (err || kh_db_commit(db)) {
		kh_db_rollback(db);
		return 0;
	}
	return have;
}

static const struct kh_job_kind *find_kind(const char *name)
{
	for (int m = 0; kh_job_modules[m]; m++)
		for (int i = 0; kh_job_modules[m][i]; i++)
			if (!strcmp(kh_job_modules[m][i]->name, name))
				return kh_job_modules[m][i];
	return NULL;
}

/* After a new holder takes the lease, jobs left "running" by a server that died
 * are retried if their kind may repeat, else failed so nothing happens twice. */
void kh_jobs_recover(struct kh_db *db)
{
	struct kh_rows *rows;
	if (kh_db_query(db, "SELECT id, kind FROM kh_jobs WHERE status = 'running'", NULL, 0, &rows))
		return;
	int64_t ids[256];
	int repeat[256], n = 0;
	while (n < 256 && kh_rows_next(db, rows) > 0) {
		struct kh_val k = kh_rows_col(db, rows, 1);
		const struct kh_job_kind *kind = k.t == KH_V_TEXT ? find_kind(k.s) : NULL;
		ids[n] = kh_rows_col(db, rows, 0).i;
		repeat[n++] = kind && kind->repeatable;
	}
	kh_rows_end(db, rows);
	for (int i = 0; i < n; i++) {
		struct kh_val p = KH_VINT(ids[i]);
		kh_db_exec(db,
			   repeat[i] ? "UPDATE kh_jobs SET status = 'pending' WHERE id = $1"
				     : "UPDATE kh_jobs SET status = 'failed', last_error = 'interrupted by a server stop; "
				       "not repeated' WHERE id = $1",
			   &p, 1);
		kh_warn("job %lld was interrupted: %s", (long long)ids[i], repeat[i] ? "retrying" : "marked failed");
	}
}

static void finish_job(struct kh_db *db, int64_t id, const struct kh_job_kind *kind, int attempts, enum kh_err err,
		       const char *why)
{
	int64_t t = kh_now();
	char now[KH_TIME_LEN], next[KH_TIME_LEN];
	kh_time_format(t, now);
	int64_t backoff = 30LL << (attempts > 7 ? 7 : attempts - 1); /* 30 s, 1 min, 2 min ... about 1 h */
	kh_time_format(t + backoff * 1000000, next);
	int retry = err && kind && attempts < kind->max_attempts;
	struct kh_val p[4] = {KH_VINT(id), KH_VTEXT(now), KH_VTEXT(why ? why : ""), KH_VTEXT(next)};
	if (!err)
		kh_db_exec(db, "UPDATE kh_jobs SET status = 'done', finished_at = $2 WHERE id = $1", p, 2);
	else if (retry)
		kh_db_exec(db, "UPDATE kh_jobs SET status = 'pending', last_error = $3, run_at = $4 WHERE id = $1", p, 4);
	else
		kh_db_exec(db, "UPDATE kh_jobs SET status = 'failed', last_error = $3, finished_at = $2 WHERE id = $1", p,
			   3);
}

int kh_jobs_run_due(struct kh_db *db, const char *holder, int max)
{
	static __thread char last_holder_recovered[128];
	if (strcmp(last_holder_recovered, holder)) {
		kh_jobs_recover(db);
		snprintf(last_holder_recovered, sizeof last_holder_recovered, "%s", holder);
	}
	int ran = 0;
	while (ran < max) {
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_val p[3] = {KH_VTEXT(now), KH_VTEXT(holder)};
		if (kh_db_begin(db, KH_TX_WRITE))
			break;
		struct kh_rows *rows;
		int64_t id = 0;
		int attempts = 0;
		char kind[64] = "", *payload = NULL;
		if (kh_db_query(db,
				"SELECT id, kind, payload, attempts FROM kh_jobs WHERE status = 'pending' AND run_at <= $1 "
				"ORDER BY run_at, id LIMIT 1",
				p, 1, &rows) == KH_OK) {
			if (kh_rows_next(db, rows) > 0) {
				struct kh_val k = kh_rows_col(db, rows, 1), pl = kh_rows_col(db, rows, 2);
				id = kh_rows_col(db, rows, 0).i;
				snprintf(kind, sizeof kind, "%s", k.t == KH_V_TEXT ? k.s : "");
				payload = pl.t == KH_V_TEXT ? strndup(pl.s, pl.n) : NULL;
				attempts = (int)kh_rows_col(db, rows, 3).i + 1;
			}
			kh_rows_end(db, rows);
		}
		if (id) {
			p[2] = KH_VINT(id);
			kh_db_exec(db,
				   "UPDATE kh_jobs SET status = 'running', started_at = $1, holder = $2, "
				   "attempts = attempts + 1 WHERE id = $3",
				   p, 3);
		}
		if (kh_db_commit(db) || !id) {
			free(payload);
			break;
		}
		/* The claim is committed; the job runs in transactions of its own. */
		const struct kh_job_kind *k = find_kind(kind);
		struct kh_arena arena;
		struct kh_errinfo ei;
		kh_arena_init(&arena);
		kh_errinfo_init(&ei, &arena);
		struct kh_ctx ctx = {.db = db, .who = &system_principal, .arena = &arena, .ei = &ei};
		json_t *j = payload ? json_loads(payload, 0, NULL) : NULL;
		enum kh_err err = k ? k->run(&ctx, j) : KH_EINVAL;
		kh_db_rollback(db); /* a job that left its transaction open */
		if (err)
			kh_warn("job %lld (%s) failed: %s", (long long)id, kind, ei.msg ? ei.msg : kh_strerror(err));
		finish_job(db, id, k, attempts, err, k ? (ei.msg ? ei.msg : kh_strerror(err)) : "unknown job kind");
		json_decref(j);
		free(payload);
		kh_arena_release(&arena);
		ran++;
	}
	return ran;
}

/* ---- outbox consumers ---- */

static int run_consumer(struct kh_db *db, const struct kh_outbox_consumer *c, int max)
{
	struct kh_val name = KH_VTEXT(c->name);
	int64_t last;
	enum kh_err err = kh_db_int(db, "SELECT last_id FROM kh_consumer_offsets WHERE name = $1", &name, 1, &last);
	if (err == KH_ENOTFOUND) {
		/* A new consumer starts at the present: it does not replay history. */
		if (kh_db_int(db, "SELECT COALESCE(MAX(id), 0) FROM kh_outbox", NULL, 0, &last))
			return 0;
		struct kh_val p[2] = {name, KH_VINT(last)};
		kh_db_exec(db, "INSERT INTO kh_consumer_offsets (name, last_id) VALUES ($1, $2)", p, 2);
		return 0;
	}
	if (err)
		return 0;
	/* Changes go to the consumer in batches, each batch one transaction with the
	 * offset: few write transactions under load, and still all or nothing. A
	 * batch that fails is retried change by change, to find the one at fault. */
	int done = 0, batch = 100;
	while (done < max) {
		if (kh_db_begin(db, KH_TX_WRITE))
			break;
		struct kh_arena arena;
		struct kh_errinfo ei;
		kh_arena_init(&arena);
		kh_errinfo_init(&ei, &arena);
		struct kh_ctx ctx = {.db = db, .who = &system_principal, .arena = &arena, .ei = &ei};
		int n = 0;
		int64_t at_id = last;
		while (n < batch && !err) {
			struct kh_val p = KH_VINT(at_id);
			struct kh_rows *rows;
			struct kh_change ch = {0};
			char at[KH_TIME_LEN] = "", entity[64] = "", action[32] = "";
			err = kh_db_query(db,
					  "SELECT id, at, user_id, entity, record_id, action, payload FROM kh_outbox "
					  "WHERE id > $1 ORDER BY id LIMIT 1",
					  &p, 1, &rows);
			if (err)
				break;
			if (kh_rows_next(db, rows) > 0) {
				struct kh_val v[7];
				for (int i = 0; i < 7; i++)
					v[i] = kh_rows_col(db, rows, i);
				ch.id = v[0].i;
				snprintf(at, sizeof at, "%s", v[1].t == KH_V_TEXT ? v[1].s : "");
				ch.user_id = v[2].t == KH_V_INT ? v[2].i : 0;
				snprintf(entity, sizeof entity, "%s", v[3].t == KH_V_TEXT ? v[3].s : "");
				ch.record_id = v[4].i;
				snprintf(action, sizeof action, "%s", v[5].t == KH_V_TEXT ? v[5].s : "");
				ch.changes = v[6].t == KH_V_TEXT ? json_loadb(v[6].s, v[6].n, 0, NULL) : NULL;
			}
			kh_rows_end(db, rows);
			if (!ch.id)
				break;
			ch.at = at, ch.entity = entity, ch.action = action;
			err = c->handle(&ctx, &ch);
			json_decref(ch.changes);
			if (!err) {
				at_id = ch.id;
				n++;
			}
		}
		struct kh_val up[2] = {name, KH_VINT(at_id)};
		if (!err && n)
			err = kh_db_exec(db, "UPDATE kh_consumer_offsets SET last_id = $2 WHERE name = $1", up, 2);
		if (!err && n)
			err = kh_db_commit(db);
		else
			kh_db_rollback(db);
		if (err) {
			kh_warn("outbox consumer %s failed after change %lld: %s; will retry", c->name, (long long)at_id,
				ei.msg ? ei.msg : kh_strerror(err));
			kh_arena_release(&arena);
			if (batch == 1)
				break;
			batch = 1; /* find the change at fault */
			err = KH_OK;
			continue;
		}
		kh_arena_release(&arena);
		if (!n)
			break;
		last = at_id;
		done += n;
	}
	return done;
}

int kh_consumers_run(struct kh_db *db, int max)
{
	int n = 0;
	for (int m = 0; kh_consumer_modules[m]; m++)
		for (int i = 0; kh_consumer_modules[m][i]; i++)
			n += run_consumer(db, kh_consumer_modules[m][i], max);
	return n;
}
