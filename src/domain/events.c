#include "domain/events.h"

#include "util/clock.h"

enum kh_err kh_event_emit(struct kh_db *db, int64_t user_id, const char *type, const char *data)
{
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	struct kh_val p[4] = {KH_VTEXT(now), KH_VINT(user_id), KH_VTEXT(type), KH_VTEXT(data ? data : "{}")};
	enum kh_err err = kh_db_exec(db, "INSERT INTO kh_events (at, user_id, type, data) VALUES ($1, $2, $3, $4)", p, 4);
	/* Every server's event tail waits on this channel (PostgreSQL: LISTEN/
	 * NOTIFY, delivered when the transaction commits); others poll. */
	if (!err && db->ops->notify)
		err = db->ops->notify(db, KH_EVENTS_CHANNEL);
	return err;
}
