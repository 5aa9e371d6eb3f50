/* The sales and marketing routes: each maps HTTP to a use case in
 * domain/leads.c, quotes.c, forecast.c, campaigns.c, email.c, rules*.c or
 * sales*.c. None builds SQL; scope checks are the use cases'. */
#include "api/sales.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/stream.h"
#include "domain/campaigns.h"
#include "domain/email.h"
#include "domain/forecast.h"
#include "domain/leads.h"
#include "domain/quotes.h"
#include "domain/read.h"
#include "domain/rules.h"
#include "domain/sales.h"
#include "domain/sales_pipeline.h"
#include "model/permission.h"
#include "model/validate.h"

static enum kh_err int_arg(struct kh_req *r, const char *name, long lo, long hi, long def, long *out)
{
	const char *v = kh_req_arg(r, name);
	*out = def;
	if (!v)
		return KH_OK;
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < lo || n > hi)
		return kh_req_fail(r, KH_EINVAL, "%s must be a whole number from %ld to %ld", name, lo, hi);
	*out = n;
	return KH_OK;
}

static enum kh_err need(struct kh_req *r, const char *entity, enum kh_action a)
{
	if (kh_scope_of(&r->who, kh_entity_find(entity), a) == KH_SCOPE_NONE)
		return kh_req_fail(r, KH_EFORBIDDEN, "your role may not %s %s", kh_action_name(a), entity);
	return KH_OK;
}

static enum kh_err answer_record(struct kh_req *r, const char *entity, int64_t id, int created)
{
	int64_t version = 0;
	enum kh_err err = kh_record_get(&r->ctx, kh_entity_find(entity), id, &r->jw, &version);
	if (err)
		return err;
	snprintf(r->etag, sizeof r->etag, "\"%lld\"", (long long)version);
	if (created) {
		r->status = 201;
		r->location = kh_arena_printf(&r->arena, "/api/v1/%s/%lld", entity, (long long)id);
	}
	return KH_OK;
}

/* ---- leads ---- */

enum kh_err kh_api_lead_convert(struct kh_req *r)
{
	enum kh_err err = need(r, "leads", KH_ACT_EDIT);
	if (!err)
		err = kh_lead_convert(&r->ctx, r->id, r->json, &r->jw);
	if (!err)
		r->status = 201;
	return err;
}

enum kh_err kh_api_lead_score(struct kh_req *r)
{
	enum kh_err err = need(r, "leads", KH_ACT_READ);
	return err ? err : kh_lead_score_explain(&r->ctx, r->id, &r->jw);
}

enum kh_err kh_api_lead_duplicates(struct kh_req *r)
{
	enum kh_err err = need(r, "leads", KH_ACT_READ);
	return err ? err : kh_lead_duplicates(&r->ctx, r->id, &r->jw);
}

enum kh_err kh_api_lead_assign(struct kh_req *r)
{
	enum kh_err err = need(r, "leads", KH_ACT_EDIT);
	return err ? err : kh_lead_assign(&r->ctx, r->id, &r->jw);
}

enum kh_err kh_api_lead_model_train(struct kh_req *r)
{
	return kh_lead_model_train(&r->ctx, &r->jw);
}

enum kh_err kh_api_opportunity_stages(struct kh_req *r)
{
	enum kh_err err = need(r, "opportunities", KH_ACT_READ);
	return err ? err : kh_stage_history_write(&r->ctx, r->id, &r->jw);
}

/* ---- quotes ---- */

enum kh_err kh_api_quote_revise(struct kh_req *r)
{
	int64_t id;
	enum kh_err err = need(r, "quotes", KH_ACT_CREATE);
	if (!err)
		err = kh_quote_revise(&r->ctx, r->id, &id);
	return err ? err : answer_record(r, "quotes", id, 1);
}

enum kh_err kh_api_quote_accept(struct kh_req *r)
{
	int64_t order;
	enum kh_err err = need(r, "quotes", KH_ACT_EDIT);
	if (!err)
		err = need(r, "orders", KH_ACT_CREATE);
	if (!err)
		err = kh_quote_accept(&r->ctx, r->id, &order);
	if (err)
		return err;
	r->status = 201;
	r->location = kh_arena_printf(&r->arena, "/api/v1/orders/%lld", (long long)order);
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "order_id");
	kh_jw_int(&r->jw, order);
	kh_jw_key(&r->jw, "quote_id");
	kh_jw_int(&r->jw, r->id);
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

struct doc {
	struct kh_buf b;
	int sent;
};

static enum kh_err doc_next(void *cls, struct kh_buf *out, int *done)
{
	struct doc *d = cls;
	if (!d->sent)
		kh_buf_add(out, d->b.data, d->b.len);
	d->sent = 1;
	*done = 1;
	return out->err;
}

static void doc_free(void *cls)
{
	struct doc *d = cls;
	kh_buf_release(&d->b);
	free(d);
}

enum kh_err kh_api_quote_document(struct kh_req *r)
{
	const char *format = kh_req_arg(r, "format"), *lang = kh_req_arg(r, "lang");
	if (!format)
		format = "html";
	if (strcmp(format, "html") && strcmp(format, "pdf"))
		return kh_req_fail(r, KH_EINVAL, "format must be html or pdf");
	if (lang && strcmp(lang, "zh-CN") && strcmp(lang, "en"))
		return kh_req_fail(r, KH_EINVAL, "lang must be zh-CN or en");
	enum kh_err err = need(r, "quotes", KH_ACT_READ);
	if (err)
		return err;
	struct doc *d = calloc(1, sizeof *d);
	if (!d)
		return KH_ENOMEM;
	kh_buf_init(&d->b, 64L << 20);
	err = !strcmp(format, "pdf") ? kh_quote_pdf(&r->ctx, r->id, lang, &d->b) : kh_quote_html(&r->ctx, r->id, lang, &d->b);
	if (err) {
		doc_free(d);
		return err;
	}
	char *name = kh_arena_printf(&r->arena, "quote-%lld.%s", (long long)r->id, format);
	return kh_api_stream(r, !strcmp(format, "pdf") ? "application/pdf" : "text/html; charset=utf-8", name, doc_next,
			     doc_free, d);
}

/* ---- forecasts ---- */

enum kh_err kh_api_sales_forecast(struct kh_req *r)
{
	const char *period = kh_req_arg(r, "period"), *group = kh_req_arg(r, "group");
	if (period && strcmp(period, "month") && strcmp(period, "quarter"))
		return kh_req_fail(r, KH_EINVAL, "period must be month or quarter");
	if (group && strcmp(group, "owner") && strcmp(group, "team"))
		return kh_req_fail(r, KH_EINVAL, "group must be owner or team");
	const char *cur = kh_req_arg(r, "currency");
	if (cur && (strlen(cur) != 3 || cur[0] < 'A' || cur[0] > 'Z'))
		return kh_req_fail(r, KH_EINVAL, "currency must be a code such as CNY");
	enum kh_err err = need(r, "opportunities", KH_ACT_READ);
	if (err)
		return err;
	struct kh_forecast_opts o = {.quarter = period && !strcmp(period, "quarter"),
				     .by_team = group && !strcmp(group, "team"),
				     .from = kh_req_arg(r, "from"),
				     .to = kh_req_arg(r, "to"),
				     .currency = cur};
	return kh_forecast(&r->ctx, &o, &r->jw);
}

enum kh_err kh_api_sales_funnel(struct kh_req *r)
{
	long pipeline;
	enum kh_err err = int_arg(r, "pipeline_id", 1, 1L << 62, 0, &pipeline);
	if (!err)
		err = need(r, "opportunities", KH_ACT_READ);
	return err ? err : kh_funnel(&r->ctx, pipeline, kh_req_arg(r, "from"), kh_req_arg(r, "to"), &r->jw);
}

enum kh_err kh_api_sales_win_loss(struct kh_req *r)
{
	enum kh_err err = need(r, "opportunities", KH_ACT_READ);
	return err ? err
		   : kh_win_loss(&r->ctx, kh_req_arg(r, "by"), kh_req_arg(r, "from"), kh_req_arg(r, "to"),
				 kh_req_arg(r, "currency"), &r->jw);
}

enum kh_err kh_api_sales_stuck(struct kh_req *r)
{
	long idle, limit;
	enum kh_err err = int_arg(r, "idle_days", 1, 3650, 14, &idle);
	if (!err)
		err = int_arg(r, "limit", 1, 1000, 100, &limit);
	if (!err)
		err = need(r, "opportunities", KH_ACT_READ);
	return err ? err : kh_stuck(&r->ctx, (int)idle, (int)limit, &r->jw);
}

enum kh_err kh_api_sales_quotas_get(struct kh_req *r)
{
	return kh_quotas_write(&r->ctx, kh_req_arg(r, "from"), kh_req_arg(r, "to"), &r->jw);
}

enum kh_err kh_api_sales_quotas_put(struct kh_req *r)
{
	enum kh_err err = kh_quotas_put(&r->ctx, r->json);
	return err ? err : kh_quotas_write(&r->ctx, NULL, NULL, &r->jw);
}

enum kh_err kh_api_sales_settings_get(struct kh_req *r)
{
	return kh_sales_settings_write(&r->ctx, &r->jw);
}

enum kh_err kh_api_sales_settings_put(struct kh_req *r)
{
	enum kh_err err = kh_sales_settings_put(&r->ctx, r->json);
	return err ? err : kh_sales_settings_write(&r->ctx, &r->jw);
}

/* {"entity": "accounts", "name": "churn_risk", "scores": [{"id": 7, "value": 0.82}]} */
enum kh_err kh_api_sales_scores(struct kh_req *r)
{
	const char *entity = json_string_value(json_object_get(r->json, "entity"));
	const char *name = json_string_value(json_object_get(r->json, "name"));
	json_t *scores = json_object_get(r->json, "scores");
	kh_json_members_only(r->json, "entity name scores", &r->ei);
	if (!entity || !kh_entity_find(entity))
		kh_errinfo_field(&r->ei, "entity", "must name an entity");
	if (!name || !*name || strlen(name) > 60)
		kh_errinfo_field(&r->ei, "name", "must be a score name of up to 60 characters");
	if (!json_is_array(scores) || json_array_size(scores) > 100000)
		kh_errinfo_field(&r->ei, "scores", "must be a list of {\"id\", \"value\"}");
	size_t i;
	json_t *s;
	json_array_foreach(scores, i, s) {
		if (!json_is_integer(json_object_get(s, "id")) || !json_is_number(json_object_get(s, "value"))) {
			kh_errinfo_field(&r->ei, "scores", "item %zu needs an integer id and a number value", i);
			break;
		}
	}
	if (r->ei.code)
		return r->ei.code;
	enum kh_err err = kh_db_begin(r->ctx.db, KH_TX_WRITE);
	json_array_foreach(scores, i, s) {
		if (err)
			break;
		err = kh_sales_score_record(&r->ctx, entity, json_integer_value(json_object_get(s, "id")), name,
					    json_number_value(json_object_get(s, "value")));
	}
	if (!err)
		err = kh_db_commit(r->ctx.db);
	if (err) {
		kh_db_rollback(r->ctx.db);
		return r->ei.code ? r->ei.code : kh_req_fail(r, err, "cannot record the scores");
	}
	kh_jw_obj(&r->jw);
	kh_jw_key(&r->jw, "recorded");
	kh_jw_int(&r->jw, (int64_t)json_array_size(scores));
	kh_jw_obj_end(&r->jw);
	return KH_OK;
}

/* ---- campaigns ---- */

enum kh_err kh_api_campaign_members_add(struct kh_req *r)
{
	enum kh_err err = kh_campaign_members_add(&r->ctx, r->id, r->json, &r->jw);
	if (!err)
		r->status = 201;
	return err;
}

enum kh_err kh_api_campaign_results(struct kh_req *r)
{
	long window;
	enum kh_err err = int_arg(r, "window", 0, 3650, 90, &window);
	if (!err)
		err = need(r, "campaigns", KH_ACT_READ);
	return err ? err : kh_campaign_results(&r->ctx, r->id, (int)window, &r->jw);
}

enum kh_err kh_api_campaign_send(struct kh_req *r)
{
	enum kh_err err = need(r, "campaigns", KH_ACT_EDIT);
	if (!err)
		err = kh_campaign_send_start(&r->ctx, r->id, r->json, &r->jw);
	if (!err)
		r->status = 202;
	return err;
}

enum kh_err kh_api_campaign_call_list(struct kh_req *r)
{
	long limit;
	enum kh_err err = int_arg(r, "limit", 1, 500, 50, &limit);
	if (!err)
		err = need(r, "campaign_members", KH_ACT_READ);
	return err ? err : kh_campaign_call_list(&r->ctx, r->id, (int)limit, &r->jw);
}

enum kh_err kh_api_campaign_member_call(struct kh_req *r)
{
	enum kh_err err = need(r, "campaign_members", KH_ACT_EDIT);
	if (!err)
		err = need(r, "activities", KH_ACT_CREATE);
	if (!err)
		err = kh_campaign_member_call(&r->ctx, r->id, r->json, &r->jw);
	if (!err)
		r->status = 201;
	return err;
}

/* ---- rules ---- */

enum kh_err kh_api_rule_runs(struct kh_req *r)
{
	long limit, before;
	enum kh_err err = int_arg(r, "limit", 1, 200, 50, &limit);
	if (!err)
		err = int_arg(r, "before", 1, 1L << 62, 0, &before);
	if (!err)
		err = need(r, "rules", KH_ACT_READ);
	return err ? err : kh_rule_runs_write(&r->ctx, r->id, before, (int)limit, &r->jw);
}

/* ---- public: web forms and e-mail links ---- */

enum kh_err kh_api_public_form_get(struct kh_req *r)
{
	return kh_web_form_describe(&r->ctx, r->key, &r->jw);
}

enum kh_err kh_api_public_form_post(struct kh_req *r)
{
	enum kh_err err = kh_web_form_submit(&r->ctx, r->key, r->address, r->json, &r->retry_after, &r->jw);
	if (!err)
		r->status = 201;
	return err;
}

enum kh_err kh_api_public_email_open(struct kh_req *r)
{
	/* The pixel answers the same whether the token is known or not. */
	static const unsigned char gif[] = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00,
					    0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00,
					    0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02,
					    0x44, 0x01, 0x00, 0x3b};
	kh_email_open(&r->ctx, r->key);
	kh_errinfo_init(&r->ei, &r->arena);
	r->content_type = "image/gif";
	kh_buf_add(&r->out, gif, sizeof gif);
	return KH_OK;
}

enum kh_err kh_api_public_email_click(struct kh_req *r)
{
	const char *url = kh_req_arg(r, "u");
	enum kh_err err = kh_email_click(&r->ctx, r->key, url, kh_req_arg(r, "s"));
	if (err)
		return err;
	r->status = 302;
	r->location = kh_arena_strdup(&r->arena, url);
	return KH_OK;
}

enum kh_err kh_api_public_email_unsubscribe(struct kh_req *r)
{
	enum kh_err err = kh_email_unsubscribe(&r->ctx, r->key);
	if (err)
		return err;
	r->content_type = "text/html; charset=utf-8";
	kh_buf_adds(&r->out, "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>退订成功 · "
			     "Unsubscribed</title></head><body><h1>您已退订 · You are unsubscribed</h1><p>我们不会再向您发送"
			     "营销邮件。</p><p>You will not receive marketing e-mail from us any more.</p></body></html>\n");
	return KH_OK;
}
