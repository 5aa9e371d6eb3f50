/* Quotes: lines priced from the quote's price list (or the product), with a
 * discount and a tax rate each; totals kept on the quote by the write path;
 * revisions (a new quote that supersedes the old, lines copied); printing as
 * HTML and PDF; acceptance, which makes the order. */
#ifndef KH_QUOTES_H
#define KH_QUOTES_H

#include <jansson.h>

#include "domain/write.h"
#include "util/buf.h"
#include "util/json_out.h"

/* POST /api/v1/quotes/{id}/revise: a copy with revision + 1 (draft) and the
 * same lines; the old one becomes superseded. Writes the new quote's id. */
enum kh_err kh_quote_revise(struct kh_ctx *ctx, int64_t quote_id, int64_t *new_id);
/* POST /api/v1/quotes/{id}/accept: the quote becomes accepted and an order
 * (confirmed, with the quote's lines) is made, in one transaction; the
 * opportunity, if any, is won. KH_ECONFLICT if it is not draft or sent, or
 * has no lines. */
enum kh_err kh_quote_accept(struct kh_ctx *ctx, int64_t quote_id, int64_t *order_id);
/* The quote as a printable HTML document (UTF-8, self-contained). */
enum kh_err kh_quote_html(struct kh_ctx *ctx, int64_t quote_id, const char *lang, struct kh_buf *out);
/* The same printed to PDF by the headless Chromium in the settings
 * (pdf_browser, default /usr/bin/chromium). KH_EBUSY with a reason when there
 * is none. */
enum kh_err kh_quote_pdf(struct kh_ctx *ctx, int64_t quote_id, const char *lang, struct kh_buf *out);

/* The price of a product on a price list for a quantity (the item with the
 * largest min_quantity not above it); KH_ENOTFOUND if the list has none. */
enum kh_err kh_price_lookup(struct kh_db *db, int64_t price_list_id, int64_t product_id, int64_t quantity,
			    int64_t *price);

#endif
