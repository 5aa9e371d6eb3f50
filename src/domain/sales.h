/* The sales and marketing module: pipelines and stage history, lead capture,
 * scoring, assignment and conversion, quotes and price lists, forecasts,
 * campaigns with members, costs and results, e-mail, and automation rules.
 *
 * Its entities are in model/entities_sales.c (codes 20-29); its own tables
 * (stage history, rule runs, quotas, scores, settings, throttles) are created
 * by migration 100. This header has the hooks the entity table names, the
 * module's seeds and grants, and the small helpers its files share. The use
 * cases are in leads.h, quotes.h, forecast.h, campaigns.h, email.h, rules.h. */
#ifndef KH_SALES_H
#define KH_SALES_H

#include <jansson.h>

#include "domain/write.h"
#include "util/json_out.h"

struct kh_write;

/* ---- hooks (named in the entity tables) ---- */
enum kh_err kh_pipeline_before_write(struct kh_write *w);
enum kh_err kh_price_list_item_before_write(struct kh_write *w);
enum kh_err kh_quote_before_write(struct kh_write *w);
enum kh_err kh_quote_line_before_write(struct kh_write *w);
enum kh_err kh_quote_line_after_write(struct kh_write *w);
enum kh_err kh_campaign_member_before_write(struct kh_write *w);
enum kh_err kh_campaign_cost_before_write(struct kh_write *w);
enum kh_err kh_web_form_before_write(struct kh_write *w);
enum kh_err kh_rule_before_write(struct kh_write *w);
/* On core entities: leads (duplicates, score, assignment) and opportunities
 * (the pipeline's stages, required fields and reasons; stage history). */
enum kh_err kh_lead_before_write(struct kh_write *w);
enum kh_err kh_lead_after_write(struct kh_write *w);
/* Leads loaded in bulk (imports): queues sales.leads_arrived, which finds
 * their duplicates and scores them. */
enum kh_err kh_leads_after_bulk(struct kh_db *db);
enum kh_err kh_sales_opportunity_before_write(struct kh_write *w);
/* Orders: fulfilment one way with each step's time, payment_status from paid_amount (domain/orders.c). */
enum kh_err kh_sales_order_before_write(struct kh_write *w);
enum kh_err kh_sales_opportunity_after_write(struct kh_write *w);
enum kh_err kh_sales_opportunity_after_bulk(struct kh_db *db);

/* ---- schema, seeds, grants ---- */

/* Migration 100: the module's own tables. */
enum kh_err kh_sales_migrate(struct kh_db *db);
/* Migration 101 (after the entity tables exist): the default pipeline, the
 * lead scoring rules, the win-back campaign and the two example automation
 * rules. Idempotent. */
enum kh_err kh_sales_seed(struct kh_db *db);
/* Migration 102: the module's grants added to built-in roles that predate it. */
enum kh_err kh_sales_grants_upgrade(struct kh_db *db);
/* Adds the built-in role `key`'s grants on the module's entities to perms
 * (called by the security module's builtin_permissions). */
void kh_sales_grants(json_t *perms, const char *key);

/* ---- settings (kh_sales_settings) ---- */

/* The module's settings document (e-mail server, public URL, PDF printer),
 * a JSON object; the caller decrefs. Never NULL unless out of memory. */
json_t *kh_sales_settings_get(struct kh_db *db);
/* Replaces the settings with obj after checking it (field errors in ei).
 * Secrets that obj leaves out keep their stored values. */
enum kh_err kh_sales_settings_put(struct kh_ctx *ctx, json_t *obj);
/* Writes the settings with secrets hidden. */
enum kh_err kh_sales_settings_write(struct kh_ctx *ctx, struct kh_jw *w);

/* ---- quotas ---- */

/* GET: {"data": [{"user_id"|"team_id", "period": "2026-01", "amount", "currency"}]} */
enum kh_err kh_quotas_write(struct kh_ctx *ctx, const char *from, const char *to, struct kh_jw *w);
/* PUT: {"quotas": [...]} upserts each; amount 0 removes. Managers and admins. */
enum kh_err kh_quotas_put(struct kh_ctx *ctx, json_t *body);

/* ---- helpers shared by the module's files ---- */

/* The current row of record id of e into vals (every field; text copied into
 * the arena), without a scope check: for rules and jobs. KH_ENOTFOUND if none. */
enum kh_err kh_sales_load(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_values *vals);
/* KH_OK if the principal may see record id of e (else KH_ENOTFOUND, as if it
 * did not exist) and do action to it (else KH_EFORBIDDEN); errors set. */
enum kh_err kh_sales_access(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, int action);
/* Creates a record of e from a JSON object through the write path. */
enum kh_err kh_sales_create_json(struct kh_ctx *ctx, const char *entity, json_t *obj, int64_t *id);
/* Updates fields of a record from a JSON object through the write path
 * (validated as a client's PATCH would be; read-only fields refused). */
enum kh_err kh_sales_patch_json(struct kh_ctx *ctx, const char *entity, int64_t id, json_t *obj);
/* 1 if the value is the text s. */
int kh_sales_is(const struct kh_val *v, const char *s);
/* Parses a decimal ("0.1385", "7", "1e-3" is refused) into millionths; -1 if
 * it is not a positive decimal with at most six places. */
int64_t kh_sales_decimal_micros(const char *s, size_t n);
/* Today's date (UTC) from kh_now(), "YYYY-MM-DD". */
void kh_sales_today(char out[11]);

#endif
