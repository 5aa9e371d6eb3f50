#include "http/sse.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "domain/events.h"
#include "http/server.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

#define CLIENT_BACKLOG (1 << 20) /* a client this far behind is dropped: it reconnects */
#define PING_SECONDS 15
/* Where the database notifies new events (PostgreSQL), the tail waits for a
 * notification and still reads the table at least this often: a notification
 * sent while its connection was being re-opened is not lost, only late. */
#define NOTIFY_WAIT_MS 500
#define POLL_MS 100

struct client {
	struct client *next;
	struct kh_sse_hub *hub;
	struct MHD_Connection *conn;
	int64_t user_id;
	struct kh_buf out;
	int suspended, closing;
};

struct kh_sse_hub {
	pthread_mutex_t lock;
	struct client *clients;
	int nclients, stop;
	pthread_t thread;
	struct kh_db *db;
	int64_t last_id;
	uint64_t notified; /* wake-ups by a notification (under lock) */
};

static void format_event(struct kh_buf *b, int64_t id, const char *type, const char *data)
{
	kh_buf_addf(b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)id, type, data);
}

/* Appends to a client and wakes it. Call with the hub locked. */
static void deliver(struct client *c, const char *text, size_t n)
{
	if (c->closing)
		return;
	if (c->out.len + n > CLIENT_BACKLOG) {
		c->closing = 1; /* too far behind: end the stream; the browser reconnects */
	} else {
		kh_buf_add(&c->out, text, n);
	}
	if (c->suspended) {
		c->suspended = 0;
		MHD_resume_connection(c->conn);
	}
}

static void publish(struct kh_sse_hub *hub, int64_t id, int64_t user_id, const char *type, const char *data)
{
	struct kh_buf ev = KH_BUF_INIT;
	format_event(&ev, id, type, data);
	pthread_mutex_lock(&hub->lock);
	for (struct client *c = hub->clients; c; c = c->next)
		if (user_id == 0 || c->user_id == user_id)
			deliver(c, ev.data, ev.len);
	pthread_mutex_unlock(&hub->lock);
	kh_buf_release(&ev);
}

static void *tail(void *arg)
{
	struct kh_sse_hub *hub = arg;
	int64_t last_ping = kh_now();
	for (;;) {
		pthread_mutex_lock(&hub->lock);
		int stop = hub->stop;
		pthread_mutex_unlock(&hub->lock);
		if (stop)
			break;
		struct kh_val p = KH_VINT(hub->last_id);
		struct kh_rows *rows;
		if (kh_db_query(hub->db, "SELECT id, user_id, type, data FROM kh_events WHERE id > $1 ORDER BY id LIMIT 500",
				&p, 1, &rows) == KH_OK) {
			while (kh_rows_next(hub->db, rows) > 0) {
				struct kh_val id = kh_rows_col(hub->db, rows, 0), uid = kh_rows_col(hub->db, rows, 1),
					      type = kh_rows_col(hub->db, rows, 2), data = kh_rows_col(hub->db, rows, 3);
				if (type.t == KH_V_TEXT && data.t == KH_V_TEXT)
					publish(hub, id.i, uid.t == KH_V_INT ? uid.i : 0, type.s, data.s);
				hub->last_id = id.i;
			}
			kh_rows_end(hub->db, rows);
		}
		if (kh_now() - last_ping > PING_SECONDS * 1000000LL) {
			pthread_mutex_lock(&hub->lock);
			for (struct client *c = hub->clients; c; c = c->next)
				deliver(c, ": ping\n\n", 8);
			pthread_mutex_unlock(&hub->lock);
			last_ping = kh_now();
		}
		int woke = hub->db->ops->wait_notify ? hub->db->ops->wait_notify(hub->db, KH_EVENTS_CHANNEL, NOTIFY_WAIT_MS)
						     : -1;
		if (woke > 0) {
			pthread_mutex_lock(&hub->lock);
			hub->notified++;
			pthread_mutex_unlock(&hub->lock);
		} else if (woke < 0) {
			nanosleep(&(struct timespec){0, POLL_MS * 1000 * 1000}, NULL);
		}
	}
	return NULL;
}

struct kh_sse_hub *kh_sse_start(const char *db_location, char *msg, size_t msglen)
{
	struct kh_sse_hub *hub = calloc(1, sizeof *hub);
	if (!hub) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	if (kh_db_open(db_location, 0, &hub->db, msg, msglen)) {
		free(hub);
		return NULL;
	}
	/* Listening starts before the first read, so no event falls between. */
	if (hub->db->ops->wait_notify)
		hub->db->ops->wait_notify(hub->db, KH_EVENTS_CHANNEL, 0);
	kh_db_int(hub->db, "SELECT COALESCE(MAX(id), 0) FROM kh_events", NULL, 0, &hub->last_id);
	pthread_mutex_init(&hub->lock, NULL);
	if (pthread_create(&hub->thread, NULL, tail, hub)) {
		snprintf(msg, msglen, "cannot start the event thread");
		kh_db_close(hub->db);
		free(hub);
		return NULL;
	}
	return hub;
}

void kh_sse_stop(struct kh_sse_hub *hub)
{
	if (!hub)
		return;
	pthread_mutex_lock(&hub->lock);
	hub->stop = 1;
	for (struct client *c = hub->clients; c; c = c->next) {
		c->closing = 1;
		if (c->suspended) {
			c->suspended = 0;
			MHD_resume_connection(c->conn);
		}
	}
	pthread_mutex_unlock(&hub->lock);
	pthread_join(hub->thread, NULL);
	/* Wait for the streams to end (their free callbacks unlink them). */
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&hub->lock);
		int n = hub->nclients;
		pthread_mutex_unlock(&hub->lock);
		if (!n)
			break;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	kh_db_close(hub->db);
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

uint64_t kh_sse_notifications(struct kh_sse_hub *hub)
{
	pthread_mutex_lock(&hub->lock);
	uint64_t n = hub->notified;
	pthread_mutex_unlock(&hub->lock);
	return n;
}

int kh_sse_clients(struct kh_sse_hub *hub)
{
	pthread_mutex_lock(&hub->lock);
	int n = hub->nclients;
	pthread_mutex_unlock(&hub->lock);
	return n;
}

/* libmicrohttpd asks for the next bytes of the stream. With none to send, the
 * connection is suspended until deliver() resumes it (returning 0 without
 * suspending would make libmicrohttpd ask again at once, a busy loop). */
static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct client *c = cls;
	struct kh_sse_hub *hub = c->hub;
	pthread_mutex_lock(&hub->lock);
	ssize_t n = 0;
	if (c->out.len) {
		n = (ssize_t)(c->out.len < max ? c->out.len : max);
		memcpy(buf, c->out.data, (size_t)n);
		memmove(c->out.data, c->out.data + n, c->out.len - (size_t)n);
		kh_buf_truncate(&c->out, c->out.len - (size_t)n);
	} else if (c->closing) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		c->suspended = 1;
		MHD_suspend_connection(c->conn);
	}
	pthread_mutex_unlock(&hub->lock);
	return n;
}

static void free_stream(void *cls)
{
	struct client *c = cls;
	struct kh_sse_hub *hub = c->hub;
	pthread_mutex_lock(&hub->lock);
	for (struct client **p = &hub->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	hub->nclients--;
	pthread_mutex_unlock(&hub->lock);
	kh_buf_release(&c->out);
	free(c);
}

/* Events this user missed since Last-Event-ID, from the hour kept. */
static void replay(struct kh_req *r, struct client *c, const char *last)
{
	char *end;
	long long since = last ? strtoll(last, &end, 10) : -1;
	if (!last || *end || since < 0)
		return;
	struct kh_val p[2] = {KH_VINT(since), KH_VINT(c->user_id)};
	struct kh_rows *rows;
	if (kh_db_query(r->ctx.db,
			"SELECT id, type, data FROM kh_events WHERE id > $1 AND (user_id = 0 OR user_id = $2) ORDER BY id "
			"LIMIT 1000",
			p, 2, &rows))
		return;
	while (kh_rows_next(r->ctx.db, rows) > 0) {
		struct kh_val id = kh_rows_col(r->ctx.db, rows, 0), type = kh_rows_col(r->ctx.db, rows, 1),
			      data = kh_rows_col(r->ctx.db, rows, 2);
		format_event(&c->out, id.i, type.s, data.s);
	}
	kh_rows_end(r->ctx.db, rows);
}

enum kh_err kh_api_events(struct kh_req *r)
{
	struct kh_sse_hub *hub = kh_server_sse(r->srv);
	if (!hub)
		return kh_req_fail(r, KH_EBUSY, "live events are not running on this server");
	struct client *c = calloc(1, sizeof *c);
	if (!c)
		return KH_ENOMEM;
	c->hub = hub;
	c->conn = r->conn;
	c->user_id = r->who.user_id;
	kh_buf_init(&c->out, 0);
	kh_buf_adds(&c->out, "retry: 3000\n: connected\n\n");
	replay(r, c, kh_req_header(r, "Last-Event-ID"));
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, c, free_stream);
	if (!resp) {
		kh_buf_release(&c->out);
		free(c);
		return KH_ENOMEM;
	}
	pthread_mutex_lock(&hub->lock);
	c->next = hub->clients;
	hub->clients = c;
	hub->nclients++;
	pthread_mutex_unlock(&hub->lock);
	r->custom = resp;
	r->content_type = "text/event-stream; charset=utf-8";
	return KH_OK;
}
