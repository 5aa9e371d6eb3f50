/* Operations endpoints: health for load balancers, metrics for Prometheus. */
#include "api/handlers.h"
#include "domain/scheduler.h"
#include "http/metrics.h"
#include "http/server.h"
#include "http/sse.h"

enum kh_err kh_api_healthz(struct kh_req *r)
{
	int64_t one;
	enum kh_err err = kh_db_int(r->ctx.db, "SELECT 1", NULL, 0, &one);
	if (err)
		return kh_req_fail(r, KH_EBUSY, "the database does not answer");
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "status");
	kh_jw_str(&r->jw, "ok");
	kh_jw_key(&r->jw, "database");
	kh_jw_str(&r->jw, r->ctx.db->ops->name);
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

enum kh_err kh_api_metrics(struct kh_req *r)
{
	kh_metrics_write(&r->out);
	/* Which server of several runs the background work, and whether live
	 * events reach this one by database notifications. */
	kh_buf_addf(&r->out,
		    "# HELP kehu_background_leader 1 on the one server that runs background work now.\n"
		    "# TYPE kehu_background_leader gauge\nkehu_background_leader %d\n",
		    kh_scheduler_leading(kh_server_scheduler(r->srv)));
	struct kh_sse_hub *hub = kh_server_sse(r->srv);
	kh_buf_addf(&r->out,
		    "# HELP kehu_event_notifications_total Times live events were announced by the database.\n"
		    "# TYPE kehu_event_notifications_total counter\nkehu_event_notifications_total %llu\n",
		    (unsigned long long)(hub ? kh_sse_notifications(hub) : 0));
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return KH_OK;
}
