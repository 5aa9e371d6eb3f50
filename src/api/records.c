/* Generic CRUD for every entity: the handlers behind /api/v1/{entity}[/{id}]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "domain/read.h"
#include "domain/summary.h"
#include "domain/write.h"

static void set_etag(struct kh_req *r, int64_t version)
{
	snprintf(r->etag, sizeof r->etag, "\"%lld\"", (long long)version);
}

/* Writes the record (after a write) as the answer, with its ETag. */
static enum kh_err answer_record(struct kh_req *r, int64_t id)
{
	int64_t version = 0;
	enum kh_err err = kh_record_get(&r->ctx, r->entity, id, &r->jw, &version);
	if (!err)
		set_etag(r, version);
	return err;
}

struct list_args {
	struct kh_list_query *q;
	struct kh_agg *g;
	struct kh_req *r;
};

static void take_param(void *cls, const char *key, const char *value)
{
	struct list_args *a = cls;
	if (a->g)
		kh_agg_param(a->g, key, value, &a->r->arena, &a->r->ei);
	else
		kh_list_param(a->q, key, value, &a->r->arena, &a->r->ei);
}

static enum kh_err list(struct kh_req *r, const struct kh_entity *e, const struct kh_field *parent_ref)
{
	struct kh_list_query *q = kh_arena_alloc(&r->arena, sizeof *q);
	if (!q)
		return KH_ENOMEM;
	kh_list_init(q, e);
	struct list_args a = {q, NULL, r};
	kh_req_args(r, take_param, &a);
	if (parent_ref) {
		for (int i = 0; i < q->nfilters; i++)
			if (q->filters[i].f == parent_ref)
				return kh_req_fail(r, KH_EINVAL, "%s is set by the path", parent_ref->name);
		if (kh_list_filter_eq(q, parent_ref, KH_VINT(r->id), &r->arena))
			return kh_req_fail(r, KH_EINVAL, "too many filters");
	}
	enum kh_err err = kh_list_finish(q, &r->who, &r->arena, &r->ei);
	if (err)
		return err;
	return kh_record_list(&r->ctx, q, &r->jw);
}

enum kh_err kh_api_list(struct kh_req *r)
{
	return list(r, r->entity, NULL);
}

enum kh_err kh_api_related(struct kh_req *r)
{
	const struct kh_field *ref = kh_related_field(r->entity, r->related);
	if (!ref)
		return kh_req_fail(r, KH_ENOTFOUND, "%s have no reference to %s", r->related->name, r->entity->name);
	enum kh_err err = kh_record_exists(&r->ctx, r->entity, r->id, 1);
	if (err)
		return err;
	return list(r, r->related, ref);
}

enum kh_err kh_api_aggregate(struct kh_req *r)
{
	struct kh_agg *g = kh_arena_alloc(&r->arena, sizeof *g);
	if (!g)
		return KH_ENOMEM;
	kh_agg_init(g, r->entity);
	struct list_args a = {NULL, g, r};
	kh_req_args(r, take_param, &a);
	enum kh_err err = kh_agg_finish(g, &r->who, &r->arena, &r->ei);
	return err ? err : kh_record_aggregate(&r->ctx, g, &r->jw);
}

enum kh_err kh_api_summary(struct kh_req *r)
{
	return kh_customer_summary(&r->ctx, r->entity, r->id, &r->jw);
}

enum kh_err kh_api_get(struct kh_req *r)
{
	return answer_record(r, r->id);
}

enum kh_err kh_api_create(struct kh_req *r)
{
	int64_t id;
	enum kh_err err = kh_record_create(&r->ctx, r->entity, r->json, &id);
	if (err)
		return err;
	r->status = 201;
	r->location = kh_arena_printf(&r->arena, "/api/v1/%s/%lld", r->entity->name, (long long)id);
	return answer_record(r, id);
}

/* If-Match: "3" (or 3, or W/"3") names the version the client last saw. */
static enum kh_err if_match(struct kh_req *r, int64_t *version)
{
	const char *h = kh_req_header(r, "If-Match");
	*version = -1;
	if (!h || !strcmp(h, "*"))
		return KH_OK;
	if (!strncmp(h, "W/", 2))
		h += 2;
	char *end;
	long long v = strtoll(h + (*h == '"'), &end, 10);
	if (v < 1 || (*h == '"' ? strcmp(end, "\"") : *end != '\0'))
		return kh_req_fail(r, KH_EINVAL, "If-Match must be the record's ETag, such as \"3\"");
	*version = v;
	return KH_OK;
}

enum kh_err kh_api_update(struct kh_req *r)
{
	int64_t version;
	enum kh_err err = if_match(r, &version);
	if (!err)
		err = kh_record_update(&r->ctx, r->entity, r->id, r->json, version);
	return err ? err : answer_record(r, r->id);
}

enum kh_err kh_api_archive(struct kh_req *r)
{
	enum kh_err err = kh_record_archive(&r->ctx, r->entity, r->id);
	if (!err)
		r->status = 204;
	return err;
}

enum kh_err kh_api_restore(struct kh_req *r)
{
	enum kh_err err = kh_record_restore(&r->ctx, r->entity, r->id);
	return err ? err : answer_record(r, r->id);
}
