/* Quotes and price lists. */
#define _GNU_SOURCE /* nftw's FTW_DEPTH and FTW_PHYS */
#include "domain/quotes.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domain/sales.h"
#include "model/permission.h"
#include "util/clock.h"
#include "util/log.h"

extern char **environ;

/* ---- price lists ---- */

enum kh_err kh_price_lookup(struct kh_db *db, int64_t price_list_id, int64_t product_id, int64_t quantity,
			    int64_t *price)
{
	struct kh_val p[3] = {KH_VINT(price_list_id), KH_VINT(product_id), KH_VINT(quantity)};
	return kh_db_int(db,
			 "SELECT unit_price FROM price_list_items WHERE price_list_id = $1 AND product_id = $2 AND "
			 "COALESCE(min_quantity, 1) <= $3 AND archived_at IS NULL ORDER BY min_quantity DESC, id DESC LIMIT 1",
			 p, 3, price);
}

/* One item per product and starting quantity on a list. */
enum kh_err kh_price_list_item_before_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	struct kh_val p[4] = {*kh_write_get(w, "price_list_id"), *kh_write_get(w, "product_id"),
			      *kh_write_get(w, "min_quantity"), KH_VINT(w->id)};
	if (p[2].t != KH_V_INT)
		p[2] = KH_VINT(1);
	int64_t found;
	if (kh_db_int(w->ctx->db,
		      "SELECT id FROM price_list_items WHERE price_list_id = $1 AND product_id = $2 AND min_quantity = $3 "
		      "AND id <> $4 AND archived_at IS NULL",
		      p, 4, &found) == KH_OK) {
		kh_errinfo_field(w->ctx->ei, "product_id", "the list already prices this product from this quantity (item %lld)",
				 (long long)found);
		return KH_EVALIDATION;
	}
	return KH_OK;
}

/* ---- quotes ---- */

struct quote_row {
	int64_t id;
	char status[16], number[40], currency[4];
	int64_t price_list;
};

static enum kh_err quote_row(struct kh_db *db, int64_t id, struct quote_row *q)
{
	struct kh_val p = KH_VINT(id);
	struct kh_rows *rows;
	memset(q, 0, sizeof *q);
	enum kh_err err = kh_db_query(db,
				      "SELECT id, status, quote_number, currency, price_list_id FROM quotes WHERE id = $1 AND "
				      "archived_at IS NULL",
				      &p, 1, &rows);
	if (err)
		return err;
	if (kh_rows_next(db, rows) > 0) {
		struct kh_val v[5];
		for (int i = 0; i < 5; i++)
			v[i] = kh_rows_col(db, rows, i);
		q->id = v[0].i;
		snprintf(q->status, sizeof q->status, "%s", v[1].t == KH_V_TEXT ? v[1].s : "draft");
		snprintf(q->number, sizeof q->number, "%s", v[2].t == KH_V_TEXT ? v[2].s : "");
		snprintf(q->currency, sizeof q->currency, "%s", v[3].t == KH_V_TEXT ? v[3].s : "CNY");
		q->price_list = v[4].t == KH_V_INT ? v[4].i : 0;
	}
	kh_rows_end(db, rows);
	return q->id ? KH_OK : KH_ENOTFOUND;
}

/* Domain code that changes a quote's status (revise, accept) says so here, so
 * that the hook lets it through; clients may not. */
static __thread int status_by_domain;

enum kh_err kh_quote_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op == KH_OP_CREATE) {
		if (kh_write_get(w, "quote_number")->t == KH_V_NULL) {
			int64_t n;
			enum kh_err err = kh_counter_next(ctx->db, "quotes", &n);
			if (err)
				return err;
			char *num = kh_arena_printf(ctx->arena, "QT-%06lld", (long long)n);
			if (!num)
				return KH_ENOMEM;
			kh_write_set(w, "quote_number", KH_VTEXT(num));
		}
		static const char *const zero[] = {"subtotal", "discount_total", "tax_total", "total"};
		for (int i = 0; i < 4; i++)
			kh_write_set(w, zero[i], KH_VINT(0));
	}
	if (w->op == KH_OP_ARCHIVE || w->op == KH_OP_RESTORE)
		return KH_OK;
	const struct kh_val *status = kh_write_get(w, "status");
	if (w->op == KH_OP_UPDATE && !status_by_domain) {
		const struct kh_val *was = &w->old.v[kh_field_index(w->e, "status")];
		if (kh_sales_is(was, "accepted") || kh_sales_is(was, "superseded"))
			return kh_errinfo_set(ctx->ei, KH_ECONFLICT, "quote %s is %.*s and can no longer change",
					      kh_write_get(w, "quote_number")->s, (int)was->n, was->s);
	}
	if (kh_write_changes(w, "status") && !status_by_domain &&
	    (kh_sales_is(status, "accepted") || kh_sales_is(status, "superseded"))) {
		kh_errinfo_field(ctx->ei, "status", "%s",
				 kh_sales_is(status, "accepted") ? "a quote is accepted through POST /api/v1/quotes/{id}/accept"
								 : "a quote is superseded by POST /api/v1/quotes/{id}/revise");
		return KH_EVALIDATION;
	}
	/* The price list sets the currency, and they must agree. */
	const struct kh_val *pl = kh_write_get(w, "price_list_id");
	if (pl->t == KH_V_INT && (kh_write_changes(w, "price_list_id") || kh_write_changes(w, "currency"))) {
		struct kh_rows *rows;
		char cur[4] = "";
		if (kh_db_query(ctx->db, "SELECT currency FROM price_lists WHERE id = $1", pl, 1, &rows) == KH_OK) {
			if (kh_rows_next(ctx->db, rows) > 0 && kh_rows_col(ctx->db, rows, 0).t == KH_V_TEXT)
				snprintf(cur, sizeof cur, "%s", kh_rows_col(ctx->db, rows, 0).s);
			kh_rows_end(ctx->db, rows);
		}
		if (cur[0] && w->op == KH_OP_CREATE && !kh_write_changes(w, "currency"))
			kh_write_set(w, "currency", KH_VTEXT(kh_arena_strdup(ctx->arena, cur)));
		else if (cur[0] && !kh_sales_is(kh_write_get(w, "currency"), cur))
			kh_errinfo_field(ctx->ei, "price_list_id", "is in %s but the quote is in %.*s", cur,
					 (int)kh_write_get(w, "currency")->n, kh_write_get(w, "currency")->s);
	}
	if (w->op == KH_OP_UPDATE && (kh_write_changes(w, "currency") || kh_write_changes(w, "price_list_id"))) {
		int64_t n = 0;
		struct kh_val id = KH_VINT(w->id);
		kh_db_int(ctx->db, "SELECT count(*) FROM quote_lines WHERE quote_id = $1 AND archived_at IS NULL", &id, 1, &n);
		if (n > 0)
			kh_errinfo_field(ctx->ei, kh_write_changes(w, "currency") ? "currency" : "price_list_id",
					 "cannot change once the quote has lines");
	}
	return ctx->ei->code;
}

enum kh_err kh_quote_line_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	const struct kh_val *qid = kh_write_get(w, "quote_id");
	struct quote_row q;
	if (qid->t != KH_V_INT)
		return KH_OK;
	enum kh_err err = quote_row(ctx->db, qid->i, &q);
	if (err == KH_ENOTFOUND)
		return KH_OK; /* the reference check reports it */
	if (err)
		return err;
	if (strcmp(q.status, "draft") && !status_by_domain)
		return kh_errinfo_set(ctx->ei, KH_ECONFLICT, "quote %s is %s: revise it to change its lines", q.number,
				      q.status);
	if (w->op == KH_OP_UPDATE && kh_write_changes(w, "quote_id")) {
		kh_errinfo_field(ctx->ei, "quote_id", "a line cannot move to another quote");
		return KH_EVALIDATION;
	}
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	const struct kh_val *prod = kh_write_get(w, "product_id"), *qty = kh_write_get(w, "quantity");
	int reprice = w->op == KH_OP_CREATE ? !kh_write_changes(w, "unit_price")
					    : (kh_write_changes(w, "product_id") || kh_write_changes(w, "quantity")) &&
						      !kh_write_changes(w, "unit_price") && q.price_list;
	if (reprice && prod->t == KH_V_INT && qty->t == KH_V_INT) {
		int64_t price;
		err = q.price_list ? kh_price_lookup(ctx->db, q.price_list, prod->i, qty->i, &price) : KH_ENOTFOUND;
		if (err == KH_ENOTFOUND) {
			/* The product's own price, if it is in the quote's currency. */
			struct kh_rows *rows;
			char cur[4] = "";
			price = -1;
			if (kh_db_query(ctx->db, "SELECT unit_price, currency FROM products WHERE id = $1", prod, 1, &rows) ==
			    KH_OK) {
				if (kh_rows_next(ctx->db, rows) > 0) {
					struct kh_val pv = kh_rows_col(ctx->db, rows, 0), cv = kh_rows_col(ctx->db, rows, 1);
					price = pv.t == KH_V_INT ? pv.i : -1;
					snprintf(cur, sizeof cur, "%s", cv.t == KH_V_TEXT ? cv.s : "CNY");
				}
				kh_rows_end(ctx->db, rows);
			}
			if (price >= 0 && strcmp(cur, q.currency)) {
				kh_errinfo_field(ctx->ei, "unit_price",
						 "the product is priced in %s and the quote is in %s: give a unit_price or use a "
						 "price list in %s",
						 cur, q.currency, q.currency);
				return KH_EVALIDATION;
			}
			if (price < 0) {
				kh_errinfo_field(ctx->ei, "unit_price", "the product has no price: give one");
				return KH_EVALIDATION;
			}
			err = KH_OK;
		}
		if (err)
			return err;
		kh_write_set(w, "unit_price", KH_VINT(price));
	}
	if (w->op == KH_OP_CREATE && kh_write_get(w, "description")->t == KH_V_NULL && prod->t == KH_V_INT) {
		struct kh_rows *rows;
		if (kh_db_query(ctx->db, "SELECT name FROM products WHERE id = $1", prod, 1, &rows) == KH_OK) {
			if (kh_rows_next(ctx->db, rows) > 0) {
				struct kh_val n = kh_rows_col(ctx->db, rows, 0);
				char *s = n.t == KH_V_TEXT ? kh_arena_strndup(ctx->arena, n.s, n.n < 200 ? n.n : 200) : NULL;
				if (s)
					kh_write_set(w, "description", KH_VTEXT(s));
			}
			kh_rows_end(ctx->db, rows);
		}
	}
	const struct kh_val *price = kh_write_get(w, "unit_price"), *disc = kh_write_get(w, "discount"),
			    *tax = kh_write_get(w, "tax_rate");
	if (qty->t == KH_V_INT && price->t == KH_V_INT) {
		if (price->i > 0 && qty->i > INT64_MAX / 100 / price->i) {
			kh_errinfo_field(ctx->ei, "quantity", "quantity x unit_price is too large");
			return KH_EVALIDATION;
		}
		int64_t gross = qty->i * price->i, pct = disc->t == KH_V_INT ? disc->i : 0;
		int64_t net = (gross * (100 - pct) + 50) / 100;
		int64_t rate = tax->t == KH_V_INT ? tax->i : 0;
		kh_write_set(w, "amount", KH_VINT(net));
		kh_write_set(w, "tax_amount", KH_VINT((net * rate + 50) / 100));
	}
	return ctx->ei->code;
}

static enum kh_err update_totals(struct kh_write *w, int64_t quote)
{
	struct kh_val p[2] = {KH_VINT(quote), KH_VTEXT(w->now_text)};
	return kh_db_exec(w->ctx->db,
			  "UPDATE quotes SET "
			  "subtotal = (SELECT COALESCE(SUM(quantity * unit_price), 0) FROM quote_lines WHERE quote_id = $1 "
			  "AND archived_at IS NULL), "
			  "discount_total = (SELECT COALESCE(SUM(quantity * unit_price - amount), 0) FROM quote_lines WHERE "
			  "quote_id = $1 AND archived_at IS NULL), "
			  "tax_total = (SELECT COALESCE(SUM(tax_amount), 0) FROM quote_lines WHERE quote_id = $1 AND "
			  "archived_at IS NULL), "
			  "total = (SELECT COALESCE(SUM(amount + tax_amount), 0) FROM quote_lines WHERE quote_id = $1 AND "
			  "archived_at IS NULL), updated_at = $2, version = version + 1 WHERE id = $1",
			  p, 2);
}

enum kh_err kh_quote_line_after_write(struct kh_write *w)
{
	const struct kh_val *q = kh_write_get(w, "quote_id");
	return q->t == KH_V_INT ? update_totals(w, q->i) : KH_OK;
}

/* ---- revise and accept ---- */

/* Copies record `id` of e into a new values set, without system fields. */
static enum kh_err copy_record(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, struct kh_values *out)
{
	struct kh_values src;
	enum kh_err err = kh_sales_load(ctx, e, id, &src);
	if (err)
		return err;
	if (kh_values_init(out, e, ctx->arena))
		return KH_ENOMEM;
	for (int i = 0; i < e->nfields; i++) {
		const struct kh_field *f = &e->fields[i];
		if ((f->flags & KH_F_SYSTEM) && strcmp(f->name, "owner_id"))
			continue;
		if (src.v[i].t == KH_V_NULL)
			continue;
		out->v[i] = src.v[i];
		out->set[i] = 1;
	}
	return KH_OK;
}

static void set_val(struct kh_values *v, const char *field, struct kh_val x)
{
	int i = kh_field_index(v->e, field);
	if (i >= 0) {
		v->v[i] = x;
		v->set[i] = 1;
	}
}

static enum kh_err line_ids(struct kh_ctx *ctx, int64_t quote, int64_t *ids, int max, int *n)
{
	struct kh_val p = KH_VINT(quote);
	struct kh_rows *rows;
	*n = 0;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT id FROM quote_lines WHERE quote_id = $1 AND archived_at IS NULL ORDER BY position, id",
				      &p, 1, &rows);
	if (err)
		return err;
	while (*n < max && kh_rows_next(ctx->db, rows) > 0)
		ids[(*n)++] = kh_rows_col(ctx->db, rows, 0).i;
	kh_rows_end(ctx->db, rows);
	return KH_OK;
}

#define MAX_LINES 1000

enum kh_err kh_quote_revise(struct kh_ctx *ctx, int64_t quote_id, int64_t *new_id)
{
	const struct kh_entity *quotes = kh_entity_find("quotes"), *lines = kh_entity_find("quote_lines");
	struct quote_row q;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_sales_access(ctx, quotes, quote_id, KH_ACT_EDIT);
	if (!err && (err = quote_row(ctx->db, quote_id, &q)) == KH_ENOTFOUND)
		kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "quote %lld not found or archived", (long long)quote_id);
	if (!err && (!strcmp(q.status, "accepted") || !strcmp(q.status, "superseded")))
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "quote %s is %s; only a draft, sent, rejected or expired quote "
							    "can be revised",
				     q.number, q.status);
	struct kh_values nq;
	if (!err)
		err = copy_record(ctx, quotes, quote_id, &nq);
	int64_t rev = 1;
	if (!err) {
		struct kh_val id = KH_VINT(quote_id);
		kh_db_int(ctx->db, "SELECT revision FROM quotes WHERE id = $1", &id, 1, &rev);
		/* QT-000012, then QT-000012-R2, QT-000012-R3: one family of numbers. */
		char *base = kh_arena_strdup(ctx->arena, q.number);
		char *r = base ? strstr(base, "-R") : NULL;
		if (r)
			*r = '\0';
		char *num = kh_arena_printf(ctx->arena, "%s-R%lld", base ? base : "QT", (long long)(rev + 1));
		static const char *const reset[] = {"subtotal", "discount_total", "tax_total", "total", "order_id",
						    "accepted_at"};
		for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
			nq.set[kh_field_index(quotes, reset[i])] = 0;
		set_val(&nq, "quote_number", num ? KH_VTEXT(num) : KH_VNULL);
		set_val(&nq, "revision", KH_VINT(rev + 1));
		set_val(&nq, "previous_id", KH_VINT(quote_id));
		set_val(&nq, "status", KH_VTEXT("draft"));
		err = kh_record_insert(ctx, &nq, new_id);
	}
	int64_t ids[MAX_LINES];
	int n = 0;
	if (!err)
		err = line_ids(ctx, quote_id, ids, MAX_LINES, &n);
	for (int i = 0; !err && i < n; i++) {
		struct kh_values l;
		int64_t lid;
		err = copy_record(ctx, lines, ids[i], &l);
		if (!err) {
			set_val(&l, "quote_id", KH_VINT(*new_id));
			l.set[kh_field_index(lines, "amount")] = 0;
			l.set[kh_field_index(lines, "tax_amount")] = 0;
			err = kh_record_insert(ctx, &l, &lid);
		}
	}
	if (!err) {
		struct kh_values old;
		if (kh_values_init(&old, quotes, ctx->arena))
			err = KH_ENOMEM;
		set_val(&old, "status", KH_VTEXT("superseded"));
		status_by_domain = 1;
		if (!err)
			err = kh_record_patch(ctx, &old, quote_id, -1);
		status_by_domain = 0;
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		return ctx->ei->code ? ctx->ei->code : kh_errinfo_set(ctx->ei, err, "cannot revise the quote");
	}
	return KH_OK;
}

enum kh_err kh_quote_accept(struct kh_ctx *ctx, int64_t quote_id, int64_t *order_id)
{
	const struct kh_entity *quotes = kh_entity_find("quotes"), *lines = kh_entity_find("quote_lines"),
			       *orders = kh_entity_find("orders"), *olines = kh_entity_find("order_lines");
	struct quote_row q;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (!err)
		err = kh_sales_access(ctx, quotes, quote_id, KH_ACT_EDIT);
	if (!err && (err = quote_row(ctx->db, quote_id, &q)) == KH_ENOTFOUND)
		kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "quote %lld not found or archived", (long long)quote_id);
	if (!err && strcmp(q.status, "draft") && strcmp(q.status, "sent"))
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "quote %s is %s; only a draft or sent quote can be accepted",
				     q.number, q.status);
	int64_t ids[MAX_LINES];
	int n = 0;
	if (!err)
		err = line_ids(ctx, quote_id, ids, MAX_LINES, &n);
	if (!err && n == 0)
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "quote %s has no lines", q.number);
	struct kh_values qv;
	if (!err)
		err = kh_sales_load(ctx, quotes, quote_id, &qv);
	char today[11], now[KH_TIME_LEN];
	kh_sales_today(today);
	kh_time_format(kh_now(), now);
	/* An offer past its date binds nobody: its prices may be gone. A new revision
	 * (with a new date) is how the customer gets them again. */
	const struct kh_val *until = err ? NULL : &qv.v[kh_field_index(quotes, "valid_until")];
	if (until && until->t == KH_V_TEXT && strncmp(until->s, today, 10) < 0)
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "quote %s expired on %.10s; revise it to offer it again",
				     q.number, until->s);
	if (!err) {
		struct kh_values o;
		if (kh_values_init(&o, orders, ctx->arena))
			err = KH_ENOMEM;
		static const char *const same[] = {"account_id", "contact_id", "opportunity_id", "currency", "owner_id"};
		for (size_t i = 0; !err && i < sizeof same / sizeof same[0]; i++) {
			const struct kh_val *v = &qv.v[kh_field_index(quotes, same[i])];
			if (v->t != KH_V_NULL)
				set_val(&o, same[i], *v);
		}
		char *desc = kh_arena_printf(ctx->arena, "From quote %s", q.number);
		set_val(&o, "order_date", KH_VTEXT(today));
		set_val(&o, "status", KH_VTEXT("confirmed"));
		set_val(&o, "description", desc ? KH_VTEXT(desc) : KH_VNULL);
		if (!err)
			err = kh_record_insert(ctx, &o, order_id);
	}
	for (int i = 0; !err && i < n; i++) {
		struct kh_values src, ol;
		int64_t lid;
		err = kh_sales_load(ctx, lines, ids[i], &src);
		if (!err && kh_values_init(&ol, olines, ctx->arena))
			err = KH_ENOMEM;
		if (err)
			break;
		set_val(&ol, "order_id", KH_VINT(*order_id));
		static const char *const same[] = {"product_id", "quantity", "unit_price", "discount", "description"};
		for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
			const struct kh_val *v = &src.v[kh_field_index(lines, same[k])];
			if (v->t != KH_V_NULL)
				set_val(&ol, same[k], *v);
		}
		err = kh_record_insert(ctx, &ol, &lid);
	}
	if (!err) {
		struct kh_values u;
		if (kh_values_init(&u, quotes, ctx->arena))
			err = KH_ENOMEM;
		set_val(&u, "status", KH_VTEXT("accepted"));
		set_val(&u, "accepted_at", KH_VTEXT(now));
		set_val(&u, "order_id", KH_VINT(*order_id));
		status_by_domain = 1;
		if (!err)
			err = kh_record_patch(ctx, &u, quote_id, -1);
		status_by_domain = 0;
	}
	if (!err)
		err = kh_db_commit(ctx->db);
	if (err) {
		kh_db_rollback(ctx->db);
		return ctx->ei->code ? ctx->ei->code : kh_errinfo_set(ctx->ei, err, "cannot accept the quote");
	}
	return KH_OK;
}

/* ---- printing ---- */

static void html_text(struct kh_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': kh_buf_adds(b, "&lt;"); break;
		case '>': kh_buf_adds(b, "&gt;"); break;
		case '&': kh_buf_adds(b, "&amp;"); break;
		case '"': kh_buf_adds(b, "&quot;"); break;
		case '\n': kh_buf_adds(b, "<br>"); break;
		default: kh_buf_addc(b, s[i]);
		}
	}
}

static void html_val(struct kh_buf *b, const struct kh_val *v)
{
	if (v->t == KH_V_TEXT)
		html_text(b, v->s, v->n);
}

/* 1234567 -> "12,345.67" */
static void money(struct kh_buf *b, int64_t minor)
{
	char digits[32];
	int64_t whole = minor / 100, frac = minor % 100;
	if (minor < 0) {
		kh_buf_addc(b, '-');
		whole = -whole, frac = -frac;
	}
	int n = snprintf(digits, sizeof digits, "%lld", (long long)whole);
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			kh_buf_addc(b, ',');
		kh_buf_addc(b, digits[i]);
	}
	kh_buf_addf(b, ".%02lld", (long long)frac);
}

static const char *label(int zh, const char *en, const char *cn)
{
	return zh ? cn : en;
}

enum kh_err kh_quote_html(struct kh_ctx *ctx, int64_t quote_id, const char *lang, struct kh_buf *out)
{
	const struct kh_entity *quotes = kh_entity_find("quotes"), *lines = kh_entity_find("quote_lines");
	int zh = !lang || strncmp(lang, "en", 2);
	struct kh_values q;
	enum kh_err err = kh_sales_access(ctx, quotes, quote_id, KH_ACT_READ);
	if (!err)
		err = kh_sales_load(ctx, quotes, quote_id, &q);
	if (err)
		return ctx->ei->code ? ctx->ei->code : kh_errinfo_set(ctx->ei, err, "cannot read the quote");
#define Q(f) (&q.v[kh_field_index(quotes, f)])
	json_t *settings = kh_sales_settings_get(ctx->db);
	const char *company = json_string_value(json_object_get(settings, "company_name"));
	const char *address = json_string_value(json_object_get(settings, "company_address"));
	char account[256] = "", contact[128] = "";
	struct kh_rows *rows;
	if (Q("account_id")->t == KH_V_INT &&
	    kh_db_query(ctx->db, "SELECT name FROM accounts WHERE id = $1", Q("account_id"), 1, &rows) == KH_OK) {
		if (kh_rows_next(ctx->db, rows) > 0)
			snprintf(account, sizeof account, "%s", kh_rows_col(ctx->db, rows, 0).s);
		kh_rows_end(ctx->db, rows);
	}
	if (Q("contact_id")->t == KH_V_INT &&
	    kh_db_query(ctx->db, "SELECT name FROM contacts WHERE id = $1", Q("contact_id"), 1, &rows) == KH_OK) {
		if (kh_rows_next(ctx->db, rows) > 0)
			snprintf(contact, sizeof contact, "%s", kh_rows_col(ctx->db, rows, 0).s);
		kh_rows_end(ctx->db, rows);
	}
	const char *cur = Q("currency")->t == KH_V_TEXT ? Q("currency")->s : "CNY";
	kh_buf_addf(out,
		    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\"><title>",
		    zh ? "zh-CN" : "en");
	html_val(out, Q("quote_number"));
	kh_buf_adds(out,
		    "</title><style>"
		    "@page{size:A4;margin:18mm 16mm}"
		    "body{font-family:'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC',sans-serif;color:#1f2933;"
		    "font-size:10.5pt;margin:0}"
		    "header{display:flex;justify-content:space-between;border-bottom:2px solid #2f6fde;padding-bottom:8px}"
		    "h1{font-size:20pt;margin:0;color:#2f6fde}.muted{color:#616e7c}"
		    "table{width:100%;border-collapse:collapse;margin-top:14px}"
		    "th,td{padding:6px 8px;border-bottom:1px solid #d9e2ec;text-align:left;vertical-align:top}"
		    "th{background:#f0f4f8;font-weight:600}.num{text-align:right;white-space:nowrap}"
		    ".totals{width:45%;margin-left:auto}.totals td{border:none;padding:3px 8px}"
		    ".grand td{font-weight:700;font-size:12pt;border-top:2px solid #1f2933}"
		    ".meta td{border:none;padding:2px 8px 2px 0}"
		    "</style></head><body>\n<header><div>");
	if (company) {
		kh_buf_adds(out, "<strong>");
		html_text(out, company, strlen(company));
		kh_buf_adds(out, "</strong><br>");
	}
	if (address) {
		kh_buf_adds(out, "<span class=\"muted\">");
		html_text(out, address, strlen(address));
		kh_buf_adds(out, "</span>");
	}
	kh_buf_addf(out, "</div><div><h1>%s</h1><div class=\"muted\">", label(zh, "Quotation", "报价单"));
	html_val(out, Q("quote_number"));
	long long rev = Q("revision")->t == KH_V_INT ? Q("revision")->i : 1;
	if (zh)
		kh_buf_addf(out, " · 第 %lld 版</div></div></header>\n", rev);
	else
		kh_buf_addf(out, " · revision %lld</div></div></header>\n", rev);
	kh_buf_adds(out, "<table class=\"meta\"><tr><td class=\"muted\">");
	kh_buf_addf(out, "%s</td><td>", label(zh, "Subject", "主题"));
	html_val(out, Q("name"));
	kh_buf_addf(out, "</td></tr><tr><td class=\"muted\">%s</td><td>", label(zh, "Customer", "客户"));
	html_text(out, account, strlen(account));
	if (contact[0]) {
		kh_buf_adds(out, " · ");
		html_text(out, contact, strlen(contact));
	}
	kh_buf_addf(out, "</td></tr><tr><td class=\"muted\">%s</td><td>%.10s</td></tr>", label(zh, "Date", "日期"),
		    Q("updated_at")->s);
	if (Q("valid_until")->t == KH_V_TEXT)
		kh_buf_addf(out, "<tr><td class=\"muted\">%s</td><td>%s</td></tr>", label(zh, "Valid until", "有效期至"),
			    Q("valid_until")->s);
	kh_buf_addf(out, "<tr><td class=\"muted\">%s</td><td>%s</td></tr></table>\n", label(zh, "Currency", "币种"), cur);
	kh_buf_addf(out,
		    "<table><thead><tr><th>#</th><th>%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th>"
		    "<th class=\"num\">%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th></tr></thead><tbody>\n",
		    label(zh, "Item", "项目"), label(zh, "Qty", "数量"), label(zh, "Unit price", "单价"),
		    label(zh, "Discount", "折扣"), label(zh, "Tax", "税率"), label(zh, "Amount", "金额"));
	int64_t ids[MAX_LINES];
	int n = 0;
	err = line_ids(ctx, quote_id, ids, MAX_LINES, &n);
	for (int i = 0; !err && i < n; i++) {
		struct kh_values l;
		if ((err = kh_sales_load(ctx, lines, ids[i], &l)))
			break;
#define L(f) (&l.v[kh_field_index(lines, f)])
		kh_buf_addf(out, "<tr><td>%d</td><td>", i + 1);
		html_val(out, L("description"));
		kh_buf_addf(out, "</td><td class=\"num\">%lld</td><td class=\"num\">", (long long)L("quantity")->i);
		money(out, L("unit_price")->i);
		kh_buf_addf(out, "</td><td class=\"num\">%lld%%</td><td class=\"num\">%lld%%</td><td class=\"num\">",
			    (long long)L("discount")->i, (long long)L("tax_rate")->i);
		money(out, L("amount")->i);
		kh_buf_adds(out, "</td></tr>\n");
#undef L
	}
	kh_buf_adds(out, "</tbody></table>\n<table class=\"totals\">");
	static const struct {
		const char *field, *en, *zh;
	} tot[] = {{"subtotal", "Subtotal", "小计"}, {"discount_total", "Discounts", "折扣"},
		   {"tax_total", "Tax", "税额"}, {"total", "Total", "总计"}};
	for (int i = 0; i < 4; i++) {
		kh_buf_addf(out, "<tr%s><td>%s</td><td class=\"num\">%s ", i == 3 ? " class=\"grand\"" : "",
			    label(zh, tot[i].en, tot[i].zh), cur);
		money(out, (i == 1 ? -1 : 1) * Q(tot[i].field)->i);
		kh_buf_adds(out, "</td></tr>");
	}
	kh_buf_adds(out, "</table>\n");
	if (Q("terms")->t == KH_V_TEXT) {
		kh_buf_addf(out, "<h3>%s</h3><p>", label(zh, "Terms", "条款"));
		html_val(out, Q("terms"));
		kh_buf_adds(out, "</p>\n");
	}
	kh_buf_adds(out, "</body></html>\n");
#undef Q
	json_decref(settings);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the quote's lines");
	return out->err ? kh_errinfo_set(ctx->ei, out->err, "the document is too large") : KH_OK;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* PDF by a headless Chromium: the HTML goes to a private temporary directory,
 * the browser prints it there (a fresh profile in the same directory, so
 * nothing of the server's user is touched), and the directory is removed. A
 * browser that takes over a minute is killed. */
enum kh_err kh_quote_pdf(struct kh_ctx *ctx, int64_t quote_id, const char *lang, struct kh_buf *out)
{
	struct kh_buf html = KH_BUF_INIT;
	enum kh_err err = kh_quote_html(ctx, quote_id, lang, &html);
	if (err) {
		kh_buf_release(&html);
		return err;
	}
	json_t *settings = kh_sales_settings_get(ctx->db);
	const char *browser = json_string_value(json_object_get(settings, "pdf_browser"));
	char bin[512];
	snprintf(bin, sizeof bin, "%s", browser && *browser ? browser : "/usr/bin/chromium");
	json_decref(settings);
	if (access(bin, X_OK)) {
		kh_buf_release(&html);
		return kh_errinfo_set(ctx->ei, KH_EBUSY,
				      "PDF printing needs Chromium at %s (set pdf_browser in the sales settings); the HTML "
				      "version is at ?format=html",
				      bin);
	}
	const char *tmp = getenv("TMPDIR");
	char dir[512], page[600], pdf[600], profile[600], print_arg[640], profile_arg[640], url[640];
	snprintf(dir, sizeof dir, "%s/kehu-quote-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		kh_buf_release(&html);
		return kh_errinfo_set(ctx->ei, KH_EIO, "cannot make a temporary directory");
	}
	snprintf(page, sizeof page, "%s/quote.html", dir);
	snprintf(pdf, sizeof pdf, "%s/quote.pdf", dir);
	snprintf(profile, sizeof profile, "%s/profile", dir);
	snprintf(print_arg, sizeof print_arg, "--print-to-pdf=%s", pdf);
	snprintf(profile_arg, sizeof profile_arg, "--user-data-dir=%s", profile);
	snprintf(url, sizeof url, "file://%s", page);
	FILE *f = fopen(page, "w");
	if (!f || fwrite(html.data, 1, html.len, f) != html.len) {
		if (f)
			fclose(f);
		err = kh_errinfo_set(ctx->ei, KH_EIO, "cannot write the page to print");
		goto out;
	}
	fclose(f);
	char *argv[] = {bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
			"--no-pdf-header-footer", "--no-first-run", "--disable-extensions", profile_arg, print_arg, url,
			NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		err = kh_errinfo_set(ctx->ei, KH_EIO, "cannot start %s: %s", bin, strerror(rc));
		goto out;
	}
	int status = 0, done = 0;
	for (int i = 0; i < 600 && !done; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			done = 1;
		else
			nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		err = kh_errinfo_set(ctx->ei, KH_EBUSY, "the PDF printer took too long");
		goto out;
	}
	f = fopen(pdf, "rb");
	if (!f) {
		err = kh_errinfo_set(ctx->ei, KH_EIO, "the browser made no PDF (exit status %d)",
				     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		kh_buf_add(out, chunk, got);
	fclose(f);
	if (out->err)
		err = kh_errinfo_set(ctx->ei, out->err, "cannot read the PDF");
out:
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	kh_buf_release(&html);
	return err;
}
