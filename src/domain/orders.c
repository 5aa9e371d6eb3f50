/* Orders through fulfilment and payment (the sales module's rules on the core
 * orders entity, run after the core's numbering in domain/hooks.c).
 *
 * Fulfilment goes one way: draft, confirmed, shipped, delivered, completed.
 * A step may be skipped (a service is never shipped), never taken back: a
 * warehouse that has shipped cannot un-ship, and a report of what was shipped
 * last month must not change under it. Only a draft or confirmed order can be
 * cancelled (after shipping it is a return, not a cancellation), and only a
 * cancelled order can be reopened, as a draft. Each step's time is stamped
 * when the order reaches it, unless the client gave one (an import of old
 * orders carries their real dates); a new order's with its created_at.
 *
 * Lines: an order that moves to shipped, delivered or completed, or is
 * cancelled, is locked, and the lines of a locked order can be neither added,
 * changed, archived nor restored (domain/hooks.c), so what was shipped and
 * invoiced, and the order's total, stay as they were. Reopening a cancelled
 * order unlocks it. An order created in a late status (an old order recorded
 * or imported, lines after it) starts unlocked; a client may lock or unlock an
 * order itself (locked: true/false, in the audit log like any change), also in
 * the request that moves it.
 *
 * Payment: paid_amount is what the customer has paid; while it is above zero
 * payment_status follows it (partial, then paid once it covers the total),
 * also when lines change the total (domain/hooks.c's total update). A status
 * of refunded is the client's word and stays. Orders whose paid_amount is
 * zero keep a payment_status set by hand, as before this rule. */
#include <string.h>

#include "domain/hooks.h"
#include "domain/sales.h"

static const char *const steps[] = {"draft", "confirmed", "shipped", "delivered", "completed", NULL};
static const char *const stamps[] = {NULL, "confirmed_at", "shipped_at", "delivered_at", "completed_at", NULL};

static int step_of(const struct kh_val *v)
{
	for (int i = 0; steps[i]; i++)
		if (kh_sales_is(v, steps[i]))
			return i;
	return kh_sales_is(v, "cancelled") ? 100 : -1;
}

/* A new record was in its status from its created_at (the demo's and an
 * import's old orders keep their own dates); a change happens now. */
static void stamp(struct kh_write *w, const char *field)
{
	if (kh_write_get(w, field)->t != KH_V_NULL)
		return;
	const struct kh_val *born = kh_write_get(w, "created_at");
	kh_write_set(w, field, w->op == KH_OP_CREATE && born->t == KH_V_TEXT ? *born : KH_VTEXT(w->now_text));
}

/* Refuses a move the fulfilment order does not allow; stamps the new step. */
static enum kh_err status_move(struct kh_write *w)
{
	const struct kh_val *now = kh_write_get(w, "status");
	int to = step_of(now);
	if (w->op == KH_OP_UPDATE) {
		int from = step_of(&w->old.v[kh_field_index(w->e, "status")]);
		if (from == to)
			return KH_OK;
		const char *why = NULL;
		if (from == 100 && to != 0)
			why = "a cancelled order can only be reopened as a draft";
		else if (to == 100 && from >= 2)
			why = "a shipped order cannot be cancelled; record a return instead";
		else if (from == 4)
			why = "a completed order does not change its status";
		else if (to != 100 && from != 100 && to < from)
			why = "an order moves forward only: draft, confirmed, shipped, delivered, completed";
		if (why) {
			kh_errinfo_field(w->ctx->ei, "status", "%s", why);
			return KH_EVALIDATION;
		}
		if (from == 100) /* reopened: it is cancelled no more */
			kh_write_set(w, "cancelled_at", KH_VNULL);
		/* Shipped and later, or cancelled (to >= 2), lock; a reopened draft
		 * (from cancelled, to 0) unlocks; a client's own locked wins. */
		if (!kh_write_changes(w, "locked") && (to >= 2 || from == 100))
			kh_write_set(w, "locked", KH_VINT(to != 0));
	}
	if (to == 100)
		stamp(w, "cancelled_at");
	else if (to > 0)
		stamp(w, stamps[to]);
	return KH_OK;
}

/* payment_status from paid_amount, while anything has been paid. */
static void payment_follow(struct kh_write *w)
{
	const struct kh_val *paid = kh_write_get(w, "paid_amount"), *total = kh_write_get(w, "total_amount");
	const struct kh_val *ps = kh_write_get(w, "payment_status");
	int given = kh_write_changes(w, "payment_status");
	if (paid->t == KH_V_INT && paid->i > 0 && kh_write_changes(w, "paid_amount") && !kh_sales_is(ps, "refunded")) {
		int64_t due = total->t == KH_V_INT ? total->i : 0;
		kh_write_set(w, "payment_status", KH_VTEXT(due > 0 && paid->i >= due ? "paid" : "partial"));
	} else if (paid->t == KH_V_INT && paid->i == 0 && kh_write_changes(w, "paid_amount") && !given &&
		   kh_sales_is(ps, "partial")) {
		kh_write_set(w, "payment_status", KH_VTEXT("unpaid"));
	}
	if (kh_sales_is(kh_write_get(w, "payment_status"), "paid"))
		stamp(w, "paid_at");
}

enum kh_err kh_sales_order_before_write(struct kh_write *w)
{
	enum kh_err err = kh_order_before_write(w);
	if (err || (w->op != KH_OP_CREATE && w->op != KH_OP_UPDATE))
		return err;
	if (w->op == KH_OP_CREATE || kh_write_changes(w, "status"))
		err = status_move(w);
	if (!err)
		payment_follow(w);
	return err;
}
