/* Campaign members and costs, target lists, results, telemarketing. */
#include "domain/campaigns.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/rfm.h"
#include "domain/sales.h"
#include "domain/security.h"
#include "model/permission.h"
#include "model/query.h"
#include "model/record_json.h"
#include "model/validate.h"
#include "util/clock.h"
#include "util/log.h"

static const struct kh_principal system_principal = {.user_id = 0, .username = "system", .role = "admin",
						      .is_admin = 1};

/* ---- members ---- */

static const char *const reached_statuses = "'sent', 'opened', 'clicked', 'responded', 'converted', 'unsubscribed'";

enum kh_err kh_campaign_member_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	const struct kh_val *contact = kh_write_get(w, "contact_id"), *lead = kh_write_get(w, "lead_id"),
			    *account = kh_write_get(w, "account_id"), *campaign = kh_write_get(w, "campaign_id");
	if (w->op == KH_OP_UPDATE && kh_write_changes(w, "campaign_id")) {
		kh_errinfo_field(ctx->ei, "campaign_id", "a member cannot move to another campaign");
		return KH_EVALIDATION;
	}
	if (contact->t == KH_V_NULL && lead->t == KH_V_NULL && account->t == KH_V_NULL) {
		kh_errinfo_field(ctx->ei, "contact_id", "a member is a contact, a lead or an account");
		return KH_EVALIDATION;
	}
	if (w->op == KH_OP_CREATE) {
		unsigned char raw[16];
		char hex[33];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
		char *t = kh_arena_strdup(ctx->arena, hex);
		if (!t)
			return KH_ENOMEM;
		kh_write_set(w, "token", KH_VTEXT(t));
		/* A contact's account comes along, for attribution of its orders. */
		if (contact->t == KH_V_INT && account->t == KH_V_NULL) {
			int64_t acc;
			if (kh_db_int(ctx->db, "SELECT account_id FROM contacts WHERE id = $1 AND account_id IS NOT NULL",
				      contact, 1, &acc) == KH_OK)
				kh_write_set(w, "account_id", KH_VINT(acc));
		}
		struct kh_val p[4] = {*campaign, contact->t == KH_V_INT ? *contact : KH_VINT(0),
				      lead->t == KH_V_INT ? *lead : KH_VINT(0), account->t == KH_V_INT ? *account : KH_VINT(0)};
		int64_t found;
		if (campaign->t == KH_V_INT &&
		    kh_db_int(ctx->db,
			      "SELECT id FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL AND "
			      "(($2 <> 0 AND contact_id = $2) OR ($3 <> 0 AND lead_id = $3) OR ($2 = 0 AND $3 = 0 AND "
			      "contact_id IS NULL AND lead_id IS NULL AND account_id = $4))",
			      p, 4, &found) == KH_OK)
			return kh_errinfo_set(ctx->ei, KH_ECONFLICT, "already a member of this campaign (member %lld)",
					      (long long)found);
	}
	if (kh_write_changes(w, "status")) {
		const struct kh_val *s = kh_write_get(w, "status");
		if (kh_sales_is(s, "responded") && kh_write_get(w, "responded_at")->t == KH_V_NULL)
			kh_write_set(w, "responded_at", KH_VTEXT(w->now_text));
		if (kh_sales_is(s, "converted") && kh_write_get(w, "converted_at")->t == KH_V_NULL)
			kh_write_set(w, "converted_at", KH_VTEXT(w->now_text));
	}
	return KH_OK;
}

/* ---- costs ---- */

enum kh_err kh_campaign_cost_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	const struct kh_val *camp = kh_write_get(w, "campaign_id"), *amount = kh_write_get(w, "amount"),
			    *cur = kh_write_get(w, "currency"), *rate = kh_write_get(w, "exchange_rate");
	char ccur[4] = "CNY";
	struct kh_rows *rows;
	if (camp->t == KH_V_INT && kh_db_query(ctx->db, "SELECT currency FROM campaigns WHERE id = $1", camp, 1, &rows) == KH_OK) {
		if (kh_rows_next(ctx->db, rows) > 0 && kh_rows_col(ctx->db, rows, 0).t == KH_V_TEXT)
			snprintf(ccur, sizeof ccur, "%s", kh_rows_col(ctx->db, rows, 0).s);
		kh_rows_end(ctx->db, rows);
	}
	int same = cur->t != KH_V_TEXT || kh_sales_is(cur, ccur);
	int has_rate = rate->t == KH_V_TEXT && rate->n > 0;
	int64_t micros = has_rate ? kh_sales_decimal_micros(rate->s, rate->n) : -1;
	if (has_rate && micros < 0) {
		kh_errinfo_field(ctx->ei, "exchange_rate", "must be a positive decimal such as 0.1385 (at most 6 decimals)");
		return KH_EVALIDATION;
	}
	if (!same && !has_rate) {
		kh_errinfo_field(ctx->ei, "exchange_rate",
				 "is required: the cost is in %.*s and the campaign in %s (give %s per 1 %.*s)",
				 (int)cur->n, cur->s, ccur, ccur, (int)cur->n, cur->s);
		return KH_EVALIDATION;
	}
	if (same && has_rate && micros != 1000000) {
		kh_errinfo_field(ctx->ei, "exchange_rate", "must be empty (or 1): the cost is in the campaign's currency");
		return KH_EVALIDATION;
	}
	if (amount->t == KH_V_INT) {
		int64_t m = same ? 1000000 : micros;
		if (amount->i > INT64_MAX / m) {
			kh_errinfo_field(ctx->ei, "amount", "is too large to convert");
			return KH_EVALIDATION;
		}
		kh_write_set(w, "amount_converted", KH_VINT((amount->i * m + 500000) / 1000000));
	}
	return KH_OK;
}

/* ---- target lists ---- */

static enum kh_err add_member(struct kh_ctx *ctx, int64_t campaign, const char *entity, int64_t id, const char *source,
			      int *added, int *already)
{
	struct kh_values v;
	const struct kh_entity *m = kh_entity_find("campaign_members");
	if (kh_values_init(&v, m, ctx->arena))
		return KH_ENOMEM;
	const char *field = !strcmp(entity, "contacts") ? "contact_id" : !strcmp(entity, "leads") ? "lead_id" : "account_id";
	v.v[kh_field_index(m, "campaign_id")] = KH_VINT(campaign);
	v.set[kh_field_index(m, "campaign_id")] = 1;
	v.v[kh_field_index(m, field)] = KH_VINT(id);
	v.set[kh_field_index(m, field)] = 1;
	v.v[kh_field_index(m, "source")] = KH_VTEXT(source);
	v.set[kh_field_index(m, "source")] = 1;
	int64_t mid;
	enum kh_err err = kh_record_insert(ctx, &v, &mid);
	if (err == KH_ECONFLICT) {
		/* Already there: not an error for a target list. */
		kh_errinfo_init(ctx->ei, ctx->arena);
		(*already)++;
		return KH_OK;
	}
	if (!err)
		(*added)++;
	return err;
}

/* "city=%E4%B8%8A%E6%B5%B7&status=active" into list parameters. */
static void url_decode(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p == '+')
			*o++ = ' ';
		else if (*p == '%' && p[1] && p[2]) {
			char hex[3] = {p[1], p[2], 0};
			char *end;
			long c = strtol(hex, &end, 16);
			if (*end) {
				*o++ = *p;
				continue;
			}
			*o++ = (char)c;
			p += 2;
		} else
			*o++ = *p;
	}
	*o = '\0';
}

static enum kh_err ids_by_filter(struct kh_ctx *ctx, const struct kh_entity *e, const char *filter, int64_t **ids,
				 int *n)
{
	struct kh_list_query *q = kh_arena_alloc(ctx->arena, sizeof *q);
	char *copy = kh_arena_strdup(ctx->arena, filter);
	if (!q || !copy)
		return KH_ENOMEM;
	kh_list_init(q, e);
	for (char *save = NULL, *part = strtok_r(copy, "&", &save); part; part = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(part, '=');
		if (eq)
			*eq = '\0';
		url_decode(part);
		char *value = eq ? eq + 1 : "";
		url_decode(value);
		if (!strcmp(part, "sort") || !strcmp(part, "limit") || !strcmp(part, "cursor") || !strcmp(part, "count"))
			continue;
		kh_list_param(q, part, value, ctx->arena, ctx->ei);
	}
	if (ctx->ei->code) {
		/* Say which member of the body was wrong. */
		const char *why = ctx->ei->nfields ? kh_arena_printf(ctx->arena, "%s %s", ctx->ei->fields[0].field,
								     ctx->ei->fields[0].msg)
						   : ctx->ei->msg;
		kh_errinfo_init(ctx->ei, ctx->arena);
		kh_errinfo_field(ctx->ei, "filter", "%s", why ? why : "is not a valid list filter");
		return KH_EVALIDATION;
	}
	enum kh_err err = kh_list_finish(q, ctx->who, ctx->arena, ctx->ei);
	if (err)
		return err;
	struct kh_buf count = KH_BUF_INIT, sql = KH_BUF_INIT;
	struct kh_val p[64];
	int np = 0;
	err = kh_list_count_sql(q, ctx->who, ctx->arena, &count, p, &np, 64);
	/* The count's WHERE is the filter with the principal's scope: select the ids instead. */
	const char *head = "SELECT count(*)";
	if (!err && strncmp(count.data, head, strlen(head)))
		err = KH_EINTERNAL;
	if (!err)
		kh_buf_addf(&sql, "SELECT id%s ORDER BY id LIMIT 100001", count.data + strlen(head));
	struct kh_rows *rows;
	if (!err)
		err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, np, &rows);
	kh_buf_release(&count);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot run the filter");
	int cap = 1024, rc = 0;
	*ids = malloc((size_t)cap * sizeof **ids);
	*n = 0;
	while (*ids && (rc = kh_rows_next(ctx->db, rows)) > 0) {
		if (*n == 100000) {
			rc = -KH_ETOOBIG;
			break;
		}
		if (*n == cap) {
			int64_t *more = realloc(*ids, (size_t)(cap *= 2) * sizeof **ids);
			if (!more) {
				rc = -KH_ENOMEM;
				break;
			}
			*ids = more;
		}
		(*ids)[(*n)++] = kh_rows_col(ctx->db, rows, 0).i;
	}
	kh_rows_end(ctx->db, rows);
	if (!*ids || rc < 0) {
		enum kh_err why = *ids ? (enum kh_err)-rc : KH_ENOMEM;
		free(*ids);
		*ids = NULL;
		return kh_errinfo_set(ctx->ei, why, "%s", why == KH_ETOOBIG ? "the filter matches over 100,000 records; narrow it"
									: "cannot read the matches");
	}
	return KH_OK;
}

/* The customers of an RFM segment as of today, from their orders. */
static enum kh_err ids_by_segment(struct kh_ctx *ctx, const char *segment, const char *by, int64_t **ids, int *n)
{
	int want = -1;
	for (int s = 1; s < KH_RFM_NSEG; s++)
		if (!strcasecmp(kh_rfm_segment_name(s), segment))
			want = s;
	if (want < 0) {
		struct kh_buf names = KH_BUF_INIT;
		for (int s = 1; s < KH_RFM_NSEG; s++)
			kh_buf_addf(&names, "%s%s", s > 1 ? ", " : "", kh_rfm_segment_name(s));
		kh_errinfo_field(ctx->ei, "segment", "must be an RFM segment: %s", names.data);
		kh_buf_release(&names);
		return KH_EVALIDATION;
	}
	const struct kh_entity *e = kh_entity_find(by);
	const char *col = !strcmp(by, "contacts") ? "contact_id" : "account_id";
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8];
	int np = 0;
	kh_buf_addf(&sql,
		    "SELECT %s, MAX(order_date), COUNT(*), SUM(total_amount) FROM orders WHERE %s IS NOT NULL AND "
		    "status NOT IN ('draft', 'cancelled') AND archived_at IS NULL AND %s IN (SELECT id FROM %s WHERE "
		    "archived_at IS NULL",
		    col, col, col, e->name);
	kh_scope_sql(ctx->who, e, KH_ACT_READ, &sql, p, &np, 8);
	kh_buf_addf(&sql, ") GROUP BY %s ORDER BY %s", col, col);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, np, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the orders");
	size_t cap = 1024, m = 0;
	int64_t *cid = malloc(cap * sizeof *cid);
	double *rec = malloc(cap * sizeof *rec), *freq = malloc(cap * sizeof *freq), *mon = malloc(cap * sizeof *mon);
	char today[11];
	kh_sales_today(today);
	int64_t now_day = kh_date_days(today);
	int rc = 0;
	while (cid && rec && freq && mon && (rc = kh_rows_next(ctx->db, rows)) > 0) {
		if (m == cap) {
			cap *= 2;
			int64_t *c2 = realloc(cid, cap * sizeof *cid);
			double *r2 = realloc(rec, cap * sizeof *rec), *f2 = realloc(freq, cap * sizeof *freq),
			       *m2 = realloc(mon, cap * sizeof *mon);
			if (c2)
				cid = c2;
			if (r2)
				rec = r2;
			if (f2)
				freq = f2;
			if (m2)
				mon = m2;
			if (!c2 || !r2 || !f2 || !m2) {
				rc = -KH_ENOMEM;
				break;
			}
		}
		struct kh_val d = kh_rows_col(ctx->db, rows, 1);
		cid[m] = kh_rows_col(ctx->db, rows, 0).i;
		rec[m] = d.t == KH_V_TEXT && kh_date_valid(d.s, d.n) ? (double)(now_day - kh_date_days(d.s)) : 1e9;
		freq[m] = (double)kh_rows_col(ctx->db, rows, 2).i;
		struct kh_val s = kh_rows_col(ctx->db, rows, 3);
		mon[m] = s.t == KH_V_INT ? (double)s.i : s.t == KH_V_REAL ? s.d : 0;
		m++;
	}
	kh_rows_end(ctx->db, rows);
	uint8_t *r = m ? malloc(m) : NULL, *f = m ? malloc(m) : NULL, *mm = m ? malloc(m) : NULL,
		*seg = m ? malloc(m) : NULL;
	/* A failed read keeps its own code (a busy or broken database is not "out of memory"). */
	if (rc < 0)
		err = (enum kh_err)-rc;
	else if (!cid || !rec || !freq || !mon || (m && (!r || !f || !mm || !seg)))
		err = KH_ENOMEM;
	if (!err && m)
		err = kh_rfm_score(rec, freq, mon, m, r, f, mm, seg, NULL);
	*n = 0;
	*ids = err ? NULL : malloc((m ? m : 1) * sizeof **ids);
	for (size_t i = 0; *ids && i < m; i++)
		if (seg[i] == want)
			(*ids)[(*n)++] = cid[i];
	free(cid), free(rec), free(freq), free(mon), free(r), free(f), free(mm), free(seg);
	if (err || !*ids)
		return kh_errinfo_set(ctx->ei, err ? err : KH_ENOMEM, "cannot score the customers");
	return KH_OK;
}

enum kh_err kh_campaign_members_add(struct kh_ctx *ctx, int64_t campaign_id, json_t *body, struct kh_jw *w)
{
	const struct kh_entity *camps = kh_entity_find("campaigns");
	enum kh_err err = kh_sales_access(ctx, camps, campaign_id, KH_ACT_READ);
	if (err)
		return err;
	if (kh_scope_of(ctx->who, kh_entity_find("campaign_members"), KH_ACT_CREATE) == KH_SCOPE_NONE)
		return kh_errinfo_set(ctx->ei, KH_EFORBIDDEN, "your role may not add campaign members");
	const char *entity = json_string_value(json_object_get(body, "entity"));
	const char *filter = json_string_value(json_object_get(body, "filter"));
	const char *segment = json_string_value(json_object_get(body, "segment"));
	const char *by = json_string_value(json_object_get(body, "by"));
	json_t *list = json_object_get(body, "ids");
	kh_json_members_only(body, "entity filter ids segment by", ctx->ei);
	if (!!filter + !!segment + !!list != 1)
		kh_errinfo_field(ctx->ei, "filter", "give one of filter, ids or segment");
	if (segment) {
		entity = by ? by : "accounts";
		if (strcmp(entity, "accounts") && strcmp(entity, "contacts"))
			kh_errinfo_field(ctx->ei, "by", "must be accounts or contacts");
	} else if (!entity || (strcmp(entity, "contacts") && strcmp(entity, "leads") && strcmp(entity, "accounts"))) {
		kh_errinfo_field(ctx->ei, "entity", "must be contacts, leads or accounts");
	}
	if (list && (!json_is_array(list) || json_array_size(list) > 10000))
		kh_errinfo_field(ctx->ei, "ids", "must be a list of up to 10,000 ids");
	if (ctx->ei->code)
		return ctx->ei->code;
	const struct kh_entity *e = kh_entity_find(entity);
	int64_t *ids = NULL;
	int n = 0;
	if (filter)
		err = ids_by_filter(ctx, e, filter, &ids, &n);
	else if (segment)
		err = ids_by_segment(ctx, segment, entity, &ids, &n);
	else {
		ids = malloc((json_array_size(list) + 1) * sizeof *ids);
		size_t i;
		json_t *x;
		json_array_foreach(list, i, x) {
			if (!ids)
				break;
			if (!json_is_integer(x) || kh_sales_access(ctx, e, json_integer_value(x), KH_ACT_READ)) {
				kh_errinfo_init(ctx->ei, ctx->arena);
				kh_errinfo_field(ctx->ei, "ids", "no %s you may see has id %s", e->singular,
						 json_is_integer(x) ? kh_arena_printf(ctx->arena, "%lld",
										      (long long)json_integer_value(x))
								    : "?");
				err = KH_EVALIDATION;
				break;
			}
			ids[n++] = json_integer_value(x);
		}
		if (!ids)
			err = kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	}
	if (err) {
		free(ids);
		return err;
	}
	/* One transaction: the list is frozen whole or not at all. */
	int added = 0, already = 0;
	err = kh_db_begin(ctx->db, KH_TX_WRITE);
	const char *source = filter ? "filter" : segment ? "segment" : "manual";
	for (int i = 0; !err && i < n; i++) {
		struct kh_arena scratch;
		kh_arena_init(&scratch);
		struct kh_ctx c2 = *ctx;
		c2.arena = &scratch;
		err = add_member(&c2, campaign_id, entity, ids[i], source, &added, &already);
		kh_arena_release(&scratch);
	}
	free(ids);
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		return ctx->ei->code ? ctx->ei->code : kh_errinfo_set(ctx->ei, err, "cannot add the members");
	}
	kh_jw_obj(w);
	kh_jw_key(w, "matched");
	kh_jw_int(w, n);
	kh_jw_key(w, "added");
	kh_jw_int(w, added);
	kh_jw_key(w, "already");
	kh_jw_int(w, already);
	kh_jw_obj_end(w);
	return KH_OK;
}

/* ---- results ---- */

struct attributed {
	int64_t order;
	int64_t total, margin;
};

static int cmp_attr(const void *a, const void *b)
{
	const struct attributed *x = a, *y = b;
	return (x->order > y->order) - (x->order < y->order);
}

/* Orders of the campaign's reached members (by account or contact) and of the
 * accounts its converted leads became, placed within `window` days after the
 * contact, in the campaign's currency; each order counted once. */
static enum kh_err attribute(struct kh_ctx *ctx, int64_t campaign, const char *currency, int window,
			     int64_t *revenue, int64_t *margin, int64_t *orders, int64_t *other_currency)
{
	char *sql[2];
	sql[0] = kh_arena_printf(ctx->arena,
				 "SELECT o.id, o.order_date, substr(COALESCE(m.sent_at, m.last_called_at, m.responded_at, "
				 "m.created_at), 1, 10), o.total_amount, o.currency, "
				 "(SELECT COALESCE(SUM(l.amount - l.quantity * COALESCE(p.cost, 0)), 0) FROM order_lines l "
				 "LEFT JOIN products p ON p.id = l.product_id WHERE l.order_id = o.id AND l.archived_at IS NULL) "
				 "FROM campaign_members m JOIN orders o ON ((m.account_id IS NOT NULL AND o.account_id = "
				 "m.account_id) OR (m.contact_id IS NOT NULL AND o.contact_id = m.contact_id)) "
				 "WHERE m.campaign_id = $1 AND m.archived_at IS NULL AND (m.status IN (%s) OR "
				 "m.call_attempts > 0) AND o.status NOT IN ('draft', 'cancelled') AND o.archived_at IS NULL",
				 reached_statuses);
	sql[1] = "SELECT o.id, o.order_date, substr(l.converted_at, 1, 10), o.total_amount, o.currency, "
		 "(SELECT COALESCE(SUM(x.amount - x.quantity * COALESCE(p.cost, 0)), 0) FROM order_lines x "
		 "LEFT JOIN products p ON p.id = x.product_id WHERE x.order_id = o.id AND x.archived_at IS NULL) "
		 "FROM leads l JOIN orders o ON o.account_id = l.converted_account_id WHERE l.campaign_id = $1 AND "
		 "l.converted_at IS NOT NULL AND o.status NOT IN ('draft', 'cancelled') AND o.archived_at IS NULL";
	size_t cap = 256, n = 0;
	struct attributed *a = malloc(cap * sizeof *a);
	enum kh_err err = a && sql[0] ? KH_OK : KH_ENOMEM;
	*other_currency = 0;
	for (int s = 0; !err && s < 2; s++) {
		struct kh_val p = KH_VINT(campaign);
		struct kh_rows *rows;
		if ((err = kh_db_query(ctx->db, sql[s], &p, 1, &rows)))
			break;
		int rc;
		while ((rc = kh_rows_next(ctx->db, rows)) > 0) {
			struct kh_val od = kh_rows_col(ctx->db, rows, 1), cd = kh_rows_col(ctx->db, rows, 2),
				      cur = kh_rows_col(ctx->db, rows, 4);
			if (od.t != KH_V_TEXT || cd.t != KH_V_TEXT || !kh_date_valid(od.s, 10) || !kh_date_valid(cd.s, 10))
				continue;
			int64_t days = kh_date_days(od.s) - kh_date_days(cd.s);
			if (days < 0 || days > window)
				continue;
			if (cur.t == KH_V_TEXT && strcmp(cur.s, currency)) {
				(*other_currency)++;
				continue;
			}
			if (n == cap) {
				struct attributed *more = realloc(a, (cap *= 2) * sizeof *a);
				if (!more) {
					rc = -KH_ENOMEM;
					break;
				}
				a = more;
			}
			struct kh_val mg = kh_rows_col(ctx->db, rows, 5);
			a[n++] = (struct attributed){kh_rows_col(ctx->db, rows, 0).i, kh_rows_col(ctx->db, rows, 3).i,
						     mg.t == KH_V_INT ? mg.i : mg.t == KH_V_REAL ? (int64_t)llround(mg.d) : 0};
		}
		kh_rows_end(ctx->db, rows);
		if (rc < 0)
			err = (enum kh_err)-rc;
	}
	*revenue = *margin = *orders = 0;
	if (!err && n) {
		qsort(a, n, sizeof *a, cmp_attr);
		for (size_t i = 0; i < n; i++) {
			if (i && a[i].order == a[i - 1].order)
				continue;
			*revenue += a[i].total;
			*margin += a[i].margin;
			(*orders)++;
		}
	}
	free(a);
	return err;
}

static void ratio(struct kh_jw *w, const char *key, double num, double den)
{
	kh_jw_key(w, key);
	if (den > 0)
		kh_jw_double(w, round(num / den * 10000) / 10000);
	else
		kh_jw_null(w);
}

static void money_per(struct kh_jw *w, const char *key, int64_t cost, int64_t n)
{
	kh_jw_key(w, key);
	if (n > 0)
		kh_jw_int(w, (cost + n / 2) / n);
	else
		kh_jw_null(w);
}

enum kh_err kh_campaign_results(struct kh_ctx *ctx, int64_t campaign_id, int window, struct kh_jw *w)
{
	const struct kh_entity *camps = kh_entity_find("campaigns");
	struct kh_values c;
	enum kh_err err = kh_sales_access(ctx, camps, campaign_id, KH_ACT_READ);
	if (!err)
		err = kh_sales_load(ctx, camps, campaign_id, &c);
	if (err)
		return ctx->ei->code ? ctx->ei->code : kh_errinfo_set(ctx->ei, err, "cannot read the campaign");
	const struct kh_val *cur = &c.v[kh_field_index(camps, "currency")];
	char currency[4];
	snprintf(currency, sizeof currency, "%s", cur->t == KH_V_TEXT ? cur->s : "CNY");
	struct kh_val id = KH_VINT(campaign_id);
	struct kh_rows *rows;
	static const char *const statuses[] = {"planned", "sent", "opened", "clicked", "responded", "converted",
					       "unsubscribed", "bounced", "skipped", "failed", "sending", NULL};
	int64_t by[16] = {0}, total = 0;
	if ((err = kh_db_query(ctx->db,
			       "SELECT status, count(*) FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL "
			       "GROUP BY status",
			       &id, 1, &rows)))
		return kh_errinfo_set(ctx->ei, err, "cannot count the members");
	while (kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val s = kh_rows_col(ctx->db, rows, 0);
		int64_t k = kh_rows_col(ctx->db, rows, 1).i;
		for (int i = 0; statuses[i]; i++)
			if (kh_sales_is(&s, statuses[i]))
				by[i] += k;
		total += k;
	}
	kh_rows_end(ctx->db, rows);
	int64_t reached = 0, responded = 0, converted = 0, opened = 0, clicked = 0, called = 0, leads = 0,
		lead_customers = 0, member_customers = 0, cost_lines = 0, cost = 0, skipped_consent = 0;
	kh_db_int(ctx->db,
		  kh_arena_printf(ctx->arena,
				  "SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL AND "
				  "(status IN (%s) OR call_attempts > 0)",
				  reached_statuses),
		  &id, 1, &reached);
	kh_db_int(ctx->db,
		  "SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL AND "
		  "(responded_at IS NOT NULL OR converted_at IS NOT NULL OR status IN ('responded', 'converted'))",
		  &id, 1, &responded);
	kh_db_int(ctx->db,
		  "SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL AND "
		  "(converted_at IS NOT NULL OR status = 'converted')",
		  &id, 1, &converted);
	kh_db_int(ctx->db,
		  "SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL AND opened_at IS NOT NULL",
		  &id, 1, &opened);
	kh_db_int(ctx->db,
		  "SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL AND clicked_at IS NOT NULL",
		  &id, 1, &clicked);
	kh_db_int(ctx->db,
		  "SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL AND call_attempts > 0",
		  &id, 1, &called);
	kh_db_int(ctx->db,
		  "SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND archived_at IS NULL AND status = 'skipped' "
		  "AND skip_reason = 'no_consent'",
		  &id, 1, &skipped_consent);
	kh_db_int(ctx->db, "SELECT count(*) FROM leads WHERE campaign_id = $1 AND archived_at IS NULL", &id, 1, &leads);
	kh_db_int(ctx->db,
		  "SELECT count(DISTINCT converted_account_id) FROM leads WHERE campaign_id = $1 AND converted_at IS NOT NULL",
		  &id, 1, &lead_customers);
	kh_db_int(ctx->db,
		  "SELECT count(DISTINCT COALESCE(account_id, -contact_id)) FROM campaign_members WHERE campaign_id = $1 AND "
		  "archived_at IS NULL AND (converted_at IS NOT NULL OR status = 'converted') AND lead_id IS NULL",
		  &id, 1, &member_customers);
	kh_db_int(ctx->db, "SELECT count(*) FROM campaign_costs WHERE campaign_id = $1 AND archived_at IS NULL", &id, 1,
		  &cost_lines);
	if (cost_lines)
		kh_db_int(ctx->db,
			  "SELECT COALESCE(SUM(amount_converted), 0) FROM campaign_costs WHERE campaign_id = $1 AND "
			  "archived_at IS NULL",
			  &id, 1, &cost);
	else if (c.v[kh_field_index(camps, "actual_cost")].t == KH_V_INT)
		cost = c.v[kh_field_index(camps, "actual_cost")].i;
	int64_t revenue, margin, orders, other;
	if ((err = attribute(ctx, campaign_id, currency, window, &revenue, &margin, &orders, &other)))
		return kh_errinfo_set(ctx->ei, err, "cannot attribute the orders");
	int64_t customers = lead_customers + member_customers;
	const struct kh_val *budget = &c.v[kh_field_index(camps, "budget")];

	kh_jw_obj(w);
	kh_jw_key(w, "campaign_id");
	kh_jw_int(w, campaign_id);
	kh_jw_key(w, "currency");
	kh_jw_str(w, currency);
	kh_jw_key(w, "window_days");
	kh_jw_int(w, window);
	kh_jw_key(w, "members");
	kh_jw_obj(w);
	kh_jw_key(w, "total");
	kh_jw_int(w, total);
	kh_jw_key(w, "by_status");
	kh_jw_obj(w);
	for (int i = 0; statuses[i]; i++) {
		kh_jw_key(w, statuses[i]);
		kh_jw_int(w, by[i]);
	}
	kh_jw_obj_end(w);
	kh_jw_key(w, "reached");
	kh_jw_int(w, reached);
	kh_jw_key(w, "opened");
	kh_jw_int(w, opened);
	kh_jw_key(w, "clicked");
	kh_jw_int(w, clicked);
	kh_jw_key(w, "called");
	kh_jw_int(w, called);
	kh_jw_key(w, "responded");
	kh_jw_int(w, responded);
	kh_jw_key(w, "converted");
	kh_jw_int(w, converted);
	kh_jw_key(w, "skipped_no_consent");
	kh_jw_int(w, skipped_consent);
	kh_jw_obj_end(w);
	ratio(w, "open_rate", (double)opened, (double)reached);
	ratio(w, "click_rate", (double)clicked, (double)reached);
	ratio(w, "response_rate", (double)responded, (double)reached);
	ratio(w, "conversion_rate", (double)converted, (double)reached);
	kh_jw_key(w, "leads");
	kh_jw_int(w, leads);
	kh_jw_key(w, "customers");
	kh_jw_int(w, customers);
	kh_jw_key(w, "budget");
	if (budget->t == KH_V_INT)
		kh_jw_int(w, budget->i);
	else
		kh_jw_null(w);
	kh_jw_key(w, "cost");
	kh_jw_int(w, cost);
	kh_jw_key(w, "cost_source");
	kh_jw_str(w, cost_lines ? "cost_lines" : "actual_cost");
	money_per(w, "cost_per_lead", cost, leads);
	money_per(w, "cost_per_customer", cost, customers);
	kh_jw_key(w, "orders");
	kh_jw_int(w, orders);
	kh_jw_key(w, "revenue");
	kh_jw_int(w, revenue);
	kh_jw_key(w, "margin");
	kh_jw_int(w, margin);
	kh_jw_key(w, "orders_in_other_currencies");
	kh_jw_int(w, other);
	ratio(w, "roi", (double)(margin - cost), (double)cost);
	kh_jw_obj_end(w);
	return KH_OK;
}

/* ---- telemarketing ---- */

enum kh_err kh_campaign_call_list(struct kh_ctx *ctx, int64_t campaign_id, int limit, struct kh_jw *w)
{
	const struct kh_entity *camps = kh_entity_find("campaigns");
	enum kh_err err = kh_sales_access(ctx, camps, campaign_id, KH_ACT_READ);
	if (err)
		return err;
	struct kh_val id = KH_VINT(campaign_id);
	struct kh_rows *rows;
	int64_t script_id = 0;
	char *script_name = NULL, *script_body = NULL;
	if (kh_db_query(ctx->db,
			"SELECT id, name, body FROM templates WHERE kind = 'call_script' AND campaign_id = $1 AND "
			"archived_at IS NULL ORDER BY id DESC LIMIT 1",
			&id, 1, &rows) == KH_OK) {
		if (kh_rows_next(ctx->db, rows) > 0) {
			struct kh_val b = kh_rows_col(ctx->db, rows, 2);
			script_id = kh_rows_col(ctx->db, rows, 0).i;
			script_name = kh_arena_strdup(ctx->arena, kh_rows_col(ctx->db, rows, 1).s);
			script_body = kh_arena_strdup(ctx->arena, b.t == KH_V_TEXT ? b.s : "");
		}
		kh_rows_end(ctx->db, rows);
	}
	kh_jw_obj(w);
	kh_jw_key(w, "script");
	if (script_id) {
		kh_jw_obj(w);
		kh_jw_key(w, "id");
		kh_jw_int(w, script_id);
		kh_jw_key(w, "name");
		kh_jw_str(w, script_name);
		kh_jw_key(w, "body");
		kh_jw_str(w, script_body);
		kh_jw_obj_end(w);
	} else {
		kh_jw_null(w);
	}
	struct kh_val p[2] = {id, KH_VINT(limit)};
	err = kh_db_query(ctx->db,
			  "SELECT m.id, m.contact_id, m.lead_id, m.account_id, m.status, m.call_outcome, m.call_attempts, "
			  "m.last_called_at, COALESCE(c.name, l.name, a.name), COALESCE(c.mobile, c.phone, l.mobile, l.phone, "
			  "a.phone), COALESCE(a.name, l.company) FROM campaign_members m LEFT JOIN contacts c ON c.id = "
			  "m.contact_id LEFT JOIN leads l ON l.id = m.lead_id LEFT JOIN accounts a ON a.id = m.account_id "
			  "WHERE m.campaign_id = $1 AND m.archived_at IS NULL AND m.status NOT IN ('converted', "
			  "'unsubscribed', 'skipped') AND (m.call_outcome IS NULL OR m.call_outcome IN ('call_back', "
			  "'no_answer')) AND (c.do_not_contact IS NULL OR c.do_not_contact = 0) ORDER BY m.call_attempts, "
			  "m.last_called_at NULLS FIRST, m.id LIMIT $2",
			  p, 2, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the call list");
	struct item {
		int64_t id, contact, lead, account, attempts;
		char *status, *outcome, *last, *name, *phone, *company;
	} *items = kh_arena_calloc(ctx->arena, (size_t)limit + 1, sizeof *items);
	int n = 0;
	while (items && n < limit && kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val v[11];
		for (int i = 0; i < 11; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		struct item *it = &items[n++];
		it->id = v[0].i;
		it->contact = v[1].t == KH_V_INT ? v[1].i : 0;
		it->lead = v[2].t == KH_V_INT ? v[2].i : 0;
		it->account = v[3].t == KH_V_INT ? v[3].i : 0;
		it->attempts = v[6].i;
		it->status = kh_arena_strdup(ctx->arena, v[4].t == KH_V_TEXT ? v[4].s : "");
		it->outcome = v[5].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[5].s) : NULL;
		it->last = v[7].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[7].s) : NULL;
		it->name = v[8].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[8].s) : NULL;
		it->phone = v[9].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[9].s) : NULL;
		it->company = v[10].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[10].s) : NULL;
	}
	kh_rows_end(ctx->db, rows);
	const struct kh_field *phone_f = kh_field_find(kh_entity_find("contacts"), "mobile");
	int64_t no_consent = 0;
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	for (int i = 0; i < n; i++) {
		const struct item *it = &items[i];
		/* Calling a contact for marketing needs their consent to phone calls. */
		if (it->contact && !kh_consent_allows(ctx->db, it->contact, "phone")) {
			no_consent++;
			continue;
		}
		kh_jw_obj(w);
		kh_jw_key(w, "member_id");
		kh_jw_int(w, it->id);
		static const char *const refs[] = {"contact_id", "lead_id", "account_id"};
		int64_t rv[3] = {it->contact, it->lead, it->account};
		for (int k = 0; k < 3; k++) {
			kh_jw_key(w, refs[k]);
			if (rv[k])
				kh_jw_int(w, rv[k]);
			else
				kh_jw_null(w);
		}
		kh_jw_key(w, "name");
		kh_jw_str(w, it->name);
		kh_jw_key(w, "company");
		kh_jw_str(w, it->company);
		kh_jw_key(w, "phone");
		if (it->phone && !kh_sees_personal(ctx->who)) {
			char masked[64];
			kh_mask(phone_f, it->phone, strlen(it->phone), masked, sizeof masked);
			kh_jw_str(w, masked);
		} else {
			kh_jw_str(w, it->phone);
		}
		kh_jw_key(w, "status");
		kh_jw_str(w, it->status);
		kh_jw_key(w, "call_outcome");
		kh_jw_str(w, it->outcome);
		kh_jw_key(w, "call_attempts");
		kh_jw_int(w, it->attempts);
		kh_jw_key(w, "last_called_at");
		kh_jw_str(w, it->last);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "skipped_no_consent");
	kh_jw_int(w, no_consent);
	kh_jw_obj_end(w);
	return KH_OK;
}

enum kh_err kh_campaign_member_call(struct kh_ctx *ctx, int64_t member_id, json_t *body, struct kh_jw *w)
{
	const struct kh_entity *members = kh_entity_find("campaign_members"), *acts = kh_entity_find("activities");
	const struct kh_field *oc = kh_field_find(members, "call_outcome");
	const char *outcome = json_string_value(json_object_get(body, "outcome"));
	const char *notes = json_string_value(json_object_get(body, "notes"));
	json_t *dur = json_object_get(body, "duration_minutes"), *cb = json_object_get(body, "callback_at");
	kh_json_members_only(body, "outcome notes duration_minutes callback_at", ctx->ei);
	int ok = 0;
	for (int i = 0; outcome && oc->enum_values[i]; i++)
		ok |= !strcmp(oc->enum_values[i], outcome);
	if (!ok) {
		struct kh_buf names = KH_BUF_INIT;
		for (int i = 0; oc->enum_values[i]; i++)
			kh_buf_addf(&names, "%s%s", i ? ", " : "", oc->enum_values[i]);
		kh_errinfo_field(ctx->ei, "outcome", "must be one of %s", names.data);
		kh_buf_release(&names);
	}
	if (dur && (!json_is_integer(dur) || json_integer_value(dur) < 0 || json_integer_value(dur) > 1440))
		kh_errinfo_field(ctx->ei, "duration_minutes", "must be 0 to 1440");
	int64_t cb_us = 0;
	if (cb && (!json_is_string(cb) || kh_time_parse(json_string_value(cb), strlen(json_string_value(cb)), &cb_us)))
		kh_errinfo_field(ctx->ei, "callback_at", "must be an ISO 8601 date-time");
	if (ok && !strcmp(outcome, "call_back") && !cb)
		kh_errinfo_field(ctx->ei, "callback_at", "is required for a call back");
	if (ctx->ei->code)
		return ctx->ei->code;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_sales_access(ctx, members, member_id, KH_ACT_EDIT);
	struct kh_values m;
	if (!err && (err = kh_sales_load(ctx, members, member_id, &m)))
		kh_errinfo_set(ctx->ei, err, "cannot read member %lld", (long long)member_id);
	int64_t contact = 0, lead = 0, account = 0, campaign = 0, activity = 0;
	char camp_name[201] = "";
	if (!err) {
		contact = m.v[kh_field_index(members, "contact_id")].t == KH_V_INT ? m.v[kh_field_index(members, "contact_id")].i : 0;
		lead = m.v[kh_field_index(members, "lead_id")].t == KH_V_INT ? m.v[kh_field_index(members, "lead_id")].i : 0;
		account = m.v[kh_field_index(members, "account_id")].t == KH_V_INT ? m.v[kh_field_index(members, "account_id")].i : 0;
		campaign = m.v[kh_field_index(members, "campaign_id")].i;
		struct kh_rows *rows;
		struct kh_val cid = KH_VINT(campaign);
		if (kh_db_query(ctx->db, "SELECT name FROM campaigns WHERE id = $1", &cid, 1, &rows) == KH_OK) {
			if (kh_rows_next(ctx->db, rows) > 0)
				snprintf(camp_name, sizeof camp_name, "%s", kh_rows_col(ctx->db, rows, 0).s);
			kh_rows_end(ctx->db, rows);
		}
		/* The call, as an activity on the person called. */
		json_t *a = json_pack("{s:s, s:s, s:s}", "type", "call", "status", "completed", "subject",
				      kh_arena_printf(ctx->arena, "%.150s: %s", camp_name, outcome));
		if (notes)
			json_object_set_new(a, "description", json_string(notes));
		if (dur)
			json_object_set_new(a, "duration_minutes", json_integer(json_integer_value(dur)));
		if (contact)
			json_object_set_new(a, "contact_id", json_integer(contact));
		if (lead)
			json_object_set_new(a, "lead_id", json_integer(lead));
		if (account)
			json_object_set_new(a, "account_id", json_integer(account));
		err = kh_record_create(ctx, acts, a, &activity);
		json_decref(a);
	}
	if (!err && !strcmp(outcome, "call_back")) {
		json_t *t = json_pack("{s:s, s:s, s:s}", "type", "task", "subject",
				      kh_arena_printf(ctx->arena, "Call back: %.150s", camp_name), "due_at", json_string_value(cb));
		if (contact)
			json_object_set_new(t, "contact_id", json_integer(contact));
		if (lead)
			json_object_set_new(t, "lead_id", json_integer(lead));
		if (account)
			json_object_set_new(t, "account_id", json_integer(account));
		int64_t tid;
		err = kh_record_create(ctx, acts, t, &tid);
		json_decref(t);
	}
	if (!err) {
		char now[KH_TIME_LEN];
		kh_time_format(kh_now(), now);
		struct kh_values u;
		if (kh_values_init(&u, members, ctx->arena))
			err = KH_ENOMEM;
		struct {
			const char *f;
			struct kh_val v;
		} set[] = {{"call_outcome", KH_VTEXT(outcome)},
			   {"call_attempts", KH_VINT(m.v[kh_field_index(members, "call_attempts")].i + 1)},
			   {"last_called_at", KH_VTEXT(now)},
			   {"status", !strcmp(outcome, "interested")	 ? KH_VTEXT("responded")
				      : !strcmp(outcome, "converted") ? KH_VTEXT("converted")
								      : m.v[kh_field_index(members, "status")]}};
		for (size_t i = 0; !err && i < sizeof set / sizeof set[0]; i++) {
			u.v[kh_field_index(members, set[i].f)] = set[i].v;
			u.set[kh_field_index(members, set[i].f)] = 1;
		}
		/* Outcome and counters are the call's facts, whoever logs them. */
		struct kh_ctx sys = *ctx;
		sys.who = &system_principal;
		if (!err)
			err = kh_record_patch(&sys, &u, member_id, -1);
		/* "Do not call" withdraws the contact's consent to phone marketing. */
		if (!err && !strcmp(outcome, "do_not_call") && contact) {
			json_t *c = json_pack("{s:I, s:s, s:s, s:s}", "contact_id", (json_int_t)contact, "channel", "phone",
					      "status", "withdrawn", "source",
					      kh_arena_printf(ctx->arena, "call in campaign %lld", (long long)campaign));
			int64_t cid;
			err = kh_record_create(&sys, kh_entity_find("consents"), c, &cid);
			json_decref(c);
		}
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		return ctx->ei->code ? ctx->ei->code : kh_errinfo_set(ctx->ei, err, "cannot log the call");
	}
	kh_jw_obj(w);
	kh_jw_key(w, "activity_id");
	kh_jw_int(w, activity);
	kh_jw_key(w, "member_id");
	kh_jw_int(w, member_id);
	kh_jw_obj_end(w);
	return KH_OK;
}
