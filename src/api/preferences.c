/* GET and PUT /api/v1/me/preferences: one JSON document per user (language,
 * list columns, dashboard layout), owned by the UI. The server keeps it as it
 * is given, within a size limit, and answers it back. */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "util/clock.h"

#define PREFS_MAX 65536

enum kh_err kh_api_prefs_get(struct kh_req *r)
{
	struct kh_val p = KH_VINT(r->who.user_id);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(r->ctx.db, "SELECT prefs FROM kh_preferences WHERE user_id = $1", &p, 1, &rows);
	if (err)
		return kh_req_fail(r, err, "cannot read preferences");
	int rc = kh_rows_next(r->ctx.db, rows);
	if (rc > 0) {
		struct kh_val v = kh_rows_col(r->ctx.db, rows, 0);
		kh_buf_add(&r->out, v.s, v.n);
	} else if (rc == 0) {
		kh_buf_adds(&r->out, "{}");
	}
	kh_rows_end(r->ctx.db, rows);
	return rc < 0 ? kh_req_fail(r, (enum kh_err)-rc, "cannot read preferences") : KH_OK;
}

enum kh_err kh_api_prefs_put(struct kh_req *r)
{
	char *text = json_dumps(r->json, JSON_COMPACT);
	if (!text)
		return kh_req_fail(r, KH_ENOMEM, "out of memory");
	size_t n = strlen(text);
	enum kh_err err = KH_OK;
	if (n > PREFS_MAX) {
		err = kh_req_fail(r, KH_ETOOBIG, "preferences are limited to %d bytes", PREFS_MAX);
	} else {
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_val p[3] = {KH_VINT(r->who.user_id), KH_VTEXTN(text, n), KH_VTEXT(now)};
		/* Delete and insert in one transaction: an upsert both engines accept. */
		err = kh_db_begin(r->ctx.db, KH_TX_WRITE);
		if (!err)
			err = kh_db_exec(r->ctx.db, "DELETE FROM kh_preferences WHERE user_id = $1", p, 1);
		if (!err)
			err = kh_db_exec(r->ctx.db, "INSERT INTO kh_preferences (user_id, prefs, updated_at) VALUES ($1, $2, $3)",
					 p, 3);
		if (!err)
			err = kh_db_commit(r->ctx.db);
		else
			kh_db_rollback(r->ctx.db);
		if (err)
			kh_req_fail(r, err, "cannot save preferences");
		else
			kh_buf_add(&r->out, text, n);
	}
	free(text);
	return err;
}
