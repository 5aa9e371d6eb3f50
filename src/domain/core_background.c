/* The core module's background work: telling owners when someone else changed
 * their records (a live event), and pruning what no one needs any more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/events.h"
#include "domain/jobs.h"
#include "util/clock.h"

/* Outbox consumer: a change by someone other than the record's owner becomes a
 * "record_changed" event for the owner's browser. */
static enum kh_err notify_owner(struct kh_ctx *ctx, const struct kh_change *c)
{
	const struct kh_entity *e = kh_entity_find(c->entity);
	if (!e || !c->user_id)
		return KH_OK;
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT owner_id FROM %s WHERE id = $1", e->name);
	struct kh_val p = KH_VINT(c->record_id);
	int64_t owner;
	enum kh_err err = kh_db_int(ctx->db, sql, &p, 1, &owner);
	if (err == KH_ENOTFOUND || (!err && (owner == 0 || owner == c->user_id)))
		return KH_OK;
	if (err)
		return err;
	json_t *d = json_pack("{s:s, s:I, s:s, s:I, s:s}", "entity", e->name, "id", (json_int_t)c->record_id, "action",
			      c->action, "by", (json_int_t)c->user_id, "at", c->at);
	char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	err = text ? kh_event_emit(ctx->db, owner, "record_changed", text) : KH_ENOMEM;
	free(text);
	json_decref(d);
	return err;
}

/* Job: drop outbox entries every consumer has passed, once they are a month
 * old (the audit log keeps the history; the outbox only feeds consumers). */
static enum kh_err prune(struct kh_ctx *ctx, json_t *payload)
{
	(void)payload;
	char cut[KH_TIME_LEN];
	kh_time_format(kh_now() - 30LL * 86400 * 1000000, cut);
	struct kh_val p = KH_VTEXT(cut);
	return kh_db_exec(ctx->db,
			  "DELETE FROM kh_outbox WHERE at < $1 AND id <= (SELECT COALESCE(MIN(last_id), 0) FROM "
			  "kh_consumer_offsets)",
			  &p, 1);
}

static const struct kh_outbox_consumer notify = {"core.notify_owner", notify_owner};
static const struct kh_job_kind prune_kind = {"core.prune", prune, 3, 1};

const struct kh_outbox_consumer *const kh_core_consumers[] = {&notify, NULL};
const struct kh_job_kind *const kh_core_jobs[] = {&prune_kind, NULL};
