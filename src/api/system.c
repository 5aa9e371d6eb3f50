/* Operations endpoints: health for load balancers, metrics for Prometheus. */
#include "api/handlers.h"
#include "http/metrics.h"

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
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return KH_OK;
}
