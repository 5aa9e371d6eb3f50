/* Business rules that plain CRUD cannot express, one function per entity. */
#include "domain/hooks.h"

#include <stdio.h>
#include <string.h>

#include "domain/auth.h"
#include "domain/service.h"
#include "domain/write.h"

static int is(const struct kh_val *v, const char *s)
{
	return v->t == KH_V_TEXT && v->n == strlen(s) && !memcmp(v->s, s, v->n);
}

static struct kh_val text(struct kh_write *w, const char *s)
{
	char *copy = kh_arena_strdup(w->ctx->arena, s);
	return copy ? KH_VTEXT(copy) : KH_VNULL;
}

static const struct {
	const char *stage;
	int probability;
} stage_table[] = {
	{"prospecting", 10}, {"qualification", 20}, {"needs_analysis", 40}, {"proposal", 60},
	{"negotiation", 80}, {"closed_won", 100},   {"closed_lost", 0},
};

int kh_stage_probability(const char *stage)
{
	for (size_t i = 0; i < sizeof stage_table / sizeof stage_table[0]; i++)
		if (!strcmp(stage_table[i].stage, stage))
			return stage_table[i].probability;
	return 0;
}

/* The stage decides the status: closed_won is won, closed_lost is lost, any
 * other stage is open. A stage change without an explicit probability takes the
 * stage's default; closing stamps closed_at. */
enum kh_err kh_opportunity_before_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	if (!kh_write_changes(w, "stage"))
		return KH_OK;
	const struct kh_val *stage = kh_write_get(w, "stage");
	if (stage->t != KH_V_TEXT)
		return KH_OK;
	const char *status = is(stage, "closed_won") ? "won" : is(stage, "closed_lost") ? "lost" : "open";
	kh_write_set(w, "status", KH_VTEXT(status));
	if (!kh_write_changes(w, "probability"))
		kh_write_set(w, "probability", KH_VINT(kh_stage_probability(stage->s)));
	if (strcmp(status, "open")) {
		if (!kh_write_changes(w, "closed_at"))
			kh_write_set(w, "closed_at", KH_VTEXT(w->now_text));
		kh_write_set(w, "forecast_category", KH_VTEXT("closed"));
	} else {
		kh_write_set(w, "closed_at", KH_VNULL);
		if (kh_write_get(w, "forecast_category")->t == KH_V_NULL || is(kh_write_get(w, "forecast_category"), "closed"))
			kh_write_set(w, "forecast_category", KH_VTEXT("pipeline"));
	}
	return KH_OK;
}

/* Completing an activity stamps when. */
enum kh_err kh_activity_before_write(struct kh_write *w)
{
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	if (kh_write_changes(w, "status") && is(kh_write_get(w, "status"), "completed") &&
	    kh_write_get(w, "completed_at")->t == KH_V_NULL)
		kh_write_set(w, "completed_at", KH_VTEXT(w->now_text));
	return KH_OK;
}

/* Numbers like CS-000123 and SO-000123 come from a counter in the same
 * transaction, so they are gap-free per commit and never collide. */
static enum kh_err assign_number(struct kh_write *w, const char *field, const char *counter, const char *prefix)
{
	int64_t n;
	enum kh_err err = kh_counter_next(w->ctx->db, counter, &n);
	if (err)
		return err;
	char buf[32];
	snprintf(buf, sizeof buf, "%s-%06lld", prefix, (long long)n);
	kh_write_set(w, field, text(w, buf));
	return KH_OK;
}

/* Cases: a number on creation; resolving and closing stamp their times; a
 * reopened case loses them. Then the service module's rules: the state
 * machine, assignment and SLA clocks (domain/cases.c). */
static enum kh_err kh_case_core_before_write(struct kh_write *w)
{
	if (w->op == KH_OP_CREATE && kh_write_get(w, "case_number")->t == KH_V_NULL) {
		enum kh_err err = assign_number(w, "case_number", "cases", "CS");
		if (err)
			return err;
	}
	if ((w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE) || !kh_write_changes(w, "status"))
		return KH_OK;
	const struct kh_val *status = kh_write_get(w, "status");
	if (is(status, "resolved") || is(status, "closed")) {
		if (kh_write_get(w, "resolved_at")->t == KH_V_NULL)
			kh_write_set(w, "resolved_at", KH_VTEXT(w->now_text));
		if (is(status, "closed") && kh_write_get(w, "closed_at")->t == KH_V_NULL)
			kh_write_set(w, "closed_at", KH_VTEXT(w->now_text));
	} else {
		kh_write_set(w, "resolved_at", KH_VNULL);
		kh_write_set(w, "closed_at", KH_VNULL);
	}
	return KH_OK;
}

enum kh_err kh_case_before_write(struct kh_write *w)
{
	enum kh_err err = kh_case_core_before_write(w);
	return err ? err : kh_case_service_before_write(w);
}

enum kh_err kh_order_before_write(struct kh_write *w)
{
	if (w->op == KH_OP_CREATE) {
		if (kh_write_get(w, "order_number")->t == KH_V_NULL) {
			enum kh_err err = assign_number(w, "order_number", "orders", "SO");
			if (err)
				return err;
		}
		kh_write_set(w, "total_amount", KH_VINT(0));
	}
	return KH_OK;
}

/* Refuses to change a line of a locked order (domain/orders.c says when an
 * order locks). */
static enum kh_err order_unlocked(struct kh_write *w, const struct kh_val *order_id)
{
	int64_t locked = 0;
	if (order_id->t != KH_V_INT)
		return KH_OK;
	enum kh_err err =
		kh_db_int(w->ctx->db, "SELECT COALESCE(locked, 0) FROM orders WHERE id = $1", order_id, 1, &locked);
	if (err == KH_ENOTFOUND)
		return KH_OK; /* the reference check reports it */
	if (err)
		return err;
	if (!locked)
		return KH_OK;
	kh_errinfo_set(w->ctx->ei, KH_ECONFLICT,
		       "order %lld is locked (shipped, completed or cancelled): its lines cannot change; "
		       "unlock it first (locked: false)",
		       (long long)order_id->i);
	return KH_ECONFLICT;
}

/* A line takes the product's price unless it names one, and its amount is
 * quantity x price less the discount, rounded to the nearest minor unit. */
enum kh_err kh_order_line_before_write(struct kh_write *w)
{
	enum kh_err err = order_unlocked(w, kh_write_get(w, "order_id"));
	if (!err && w->old.v && kh_write_changes(w, "order_id"))
		err = order_unlocked(w, &w->old.v[kh_field_index(w->e, "order_id")]);
	if (err || (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE))
		return err;
	if (kh_write_get(w, "unit_price")->t == KH_V_NULL && kh_write_get(w, "product_id")->t == KH_V_INT) {
		int64_t price;
		struct kh_val p = *kh_write_get(w, "product_id");
		err = kh_db_int(w->ctx->db, "SELECT unit_price FROM products WHERE id = $1", &p, 1, &price);
		if (err == KH_OK)
			kh_write_set(w, "unit_price", KH_VINT(price));
		else if (err != KH_ENOTFOUND)
			return err;
	}
	const struct kh_val *qty = kh_write_get(w, "quantity"), *price = kh_write_get(w, "unit_price"),
			    *disc = kh_write_get(w, "discount");
	if (qty->t == KH_V_INT && price->t == KH_V_INT) {
		int64_t pct = disc->t == KH_V_INT ? disc->i : 0;
		if (price->i > 0 && qty->i > INT64_MAX / 100 / price->i) {
			kh_errinfo_field(w->ctx->ei, "quantity", "quantity x unit_price is too large");
			return KH_EVALIDATION;
		}
		int64_t gross = qty->i * price->i;
		kh_write_set(w, "amount", KH_VINT((gross * (100 - pct) + 50) / 100));
	}
	return KH_OK;
}

/* The total, and the payment status that follows what was paid (domain/orders.c)
 * when the total moves past or below it. */
#define ORDER_SUM "(SELECT COALESCE(SUM(amount), 0) FROM order_lines WHERE order_id = $1 AND archived_at IS NULL)"
static enum kh_err update_order_total(struct kh_write *w, const struct kh_val *order_id)
{
	if (order_id->t != KH_V_INT)
		return KH_OK;
	struct kh_val p[2] = {*order_id, KH_VTEXT(w->now_text)};
	return kh_db_exec(w->ctx->db,
			  "UPDATE orders SET total_amount = " ORDER_SUM ", payment_status = CASE WHEN paid_amount > 0 "
			  "AND payment_status <> 'refunded' THEN CASE WHEN " ORDER_SUM " > 0 AND paid_amount >= " ORDER_SUM
			  " THEN 'paid' ELSE 'partial' END ELSE payment_status END, paid_at = CASE WHEN paid_at IS NULL AND "
			  "paid_amount > 0 AND payment_status <> 'refunded' AND " ORDER_SUM " > 0 AND paid_amount >= " ORDER_SUM
			  " THEN $2 ELSE paid_at END, updated_at = $2, "
			  "version = version + 1 WHERE id = $1",
			  p, 2);
}
#undef ORDER_SUM

/* An order's total is the sum of its live lines, kept in the same transaction. */
enum kh_err kh_order_line_after_write(struct kh_write *w)
{
	enum kh_err err = update_order_total(w, kh_write_get(w, "order_id"));
	if (!err && w->old.v && kh_write_changes(w, "order_id"))
		err = update_order_total(w, &w->old.v[kh_field_index(w->e, "order_id")]);
	return err;
}

/* After a bulk load of lines: every order's total from its lines, at once. */
enum kh_err kh_order_totals_refresh(struct kh_db *db)
{
	return kh_db_exec(db,
			  "UPDATE orders SET total_amount = (SELECT COALESCE(SUM(amount), 0) FROM order_lines "
			  "WHERE order_id = orders.id AND archived_at IS NULL)",
			  NULL, 0);
}

/* Users: the role must exist; the password must pass the rules and is stored
 * only as its Argon2id hash; a new password or a deactivation ends the user's
 * sessions; nobody archives their own account (an administrator could lock
 * everyone out). */
enum kh_err kh_user_before_write(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	if (w->op == KH_OP_ARCHIVE && w->id == ctx->who->user_id) {
		kh_errinfo_set(ctx->ei, KH_ECONFLICT, "you cannot archive your own account");
		return KH_ECONFLICT;
	}
	if (w->op == KH_OP_ARCHIVE)
		return kh_session_logout_all(ctx->db, w->id);
	if (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE)
		return KH_OK;
	if (kh_write_changes(w, "role")) {
		int64_t found;
		const struct kh_val *role = kh_write_get(w, "role");
		if (kh_db_int(ctx->db, "SELECT id FROM roles WHERE key = $1 AND archived_at IS NULL", role, 1, &found)) {
			kh_errinfo_field(ctx->ei, "role", "no such role (see GET /api/v1/roles)");
			return KH_EVALIDATION;
		}
	}
	if (w->op == KH_OP_UPDATE && kh_write_changes(w, "active") && !kh_write_get(w, "active")->i) {
		enum kh_err err = kh_session_logout_all(ctx->db, w->id);
		if (err)
			return err;
	}
	if (!kh_write_changes(w, "password"))
		return KH_OK;
	const struct kh_val *pw = kh_write_get(w, "password"), *name = kh_write_get(w, "username");
	if (pw->t != KH_V_TEXT)
		return KH_OK;
	char *username = name->t == KH_V_TEXT ? kh_arena_strndup(ctx->arena, name->s, name->n) : NULL;
	const char *weak = kh_password_weakness(pw->s, pw->n, username);
	if (weak) {
		kh_errinfo_field(ctx->ei, "password", "%s", weak);
		return KH_EVALIDATION;
	}
	char *hash = kh_arena_alloc(ctx->arena, KH_PASSWORD_HASH_LEN);
	if (!hash)
		return KH_ENOMEM;
	enum kh_err err = kh_password_hash(pw->s, pw->n, hash);
	if (err)
		return err;
	kh_write_set(w, "password", KH_VTEXT(hash));
	if (w->op == KH_OP_UPDATE)
		return kh_session_logout_all(ctx->db, w->id);
	return KH_OK;
}
