/* Customer profitability and the breadth, length and depth of the relationship.
 *
 * Profitability (customer profitability analysis, CPA) is what a customer
 * brought in less what serving them cost:
 *
 *   profit = revenue - cost of goods - service cost,
 *
 * revenue and cost of goods summed over the customer's lines up to the as-of
 * date (a line's cost is its quantity times the product's unit cost, given by
 * the caller), the service cost given per customer (cases handled, say, times
 * a cost per case). The relationship's
 *
 *   breadth  = distinct products and distinct product categories bought
 *              (categories bought beyond the first measure cross-buying),
 *   length   = tenure: days from the first purchase to the as-of date,
 *   depth    = purchase days per year of tenure (frequency, with tenure
 *              floored at 30 days so a new customer's one purchase is not a
 *              rate of hundreds a year) and spend per purchase day,
 *
 * after Bolton, Lemon and Verhoef ("The theoretical underpinnings of customer
 * asset management", JAMS 32 (2004) 271-292).
 *
 * Pure: arrays in, arrays out. */
#ifndef KH_ANALYTICS_PROFIT_H
#define KH_ANALYTICS_PROFIT_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/summary.h"
#include "util/err.h"

/* The lines: t (customer, day, amount = revenue of the line) and, each of
 * which may be NULL, the cost of goods of each line, its product (below
 * n_products) and each product's category (below n_categories). */
struct kh_profit_in {
	const struct kh_txns *t;
	const double *cogs;
	const uint32_t *product;
	uint32_t n_products;
	const uint32_t *category;
	uint32_t n_categories;
	const double *service_cost; /* per customer; NULL for none */
	int32_t as_of;
};

/* Per customer, each array n_customers long (all owned by the struct). */
struct kh_profit {
	size_t n;
	double *revenue, *cogs, *service, *profit;
	uint32_t *products, *categories; /* breadth */
	int32_t *tenure_days;            /* length; -1 if no purchase */
	uint32_t *purchase_days;
	double *per_year;                /* depth: purchase days per year of tenure */
	double *per_purchase;            /* depth: revenue per purchase day */
	/* Totals over customers who bought. */
	double total_revenue, total_cogs, total_service, total_profit;
	size_t customers, unprofitable;
};

enum kh_err kh_profit_compute(const struct kh_profit_in *in, size_t n_customers, struct kh_profit *p);
void kh_profit_release(struct kh_profit *p);

#endif
