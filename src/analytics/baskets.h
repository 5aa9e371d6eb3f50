/* Cross-sell: frequent itemsets by FP-growth, association rules, "also bought".
 *
 * Baskets (orders) come as a compressed sparse row list: basket b holds the
 * items item[start[b] .. start[b+1]-1], item ids below n_items; an item
 * repeated in a basket counts once. The support of an itemset is the number of
 * baskets that contain all its items; min_support is a fraction of the
 * baskets (an itemset is frequent if support >= ceil(min_support * baskets),
 * and at least 1).
 *
 * FP-growth (Han, Pei & Yin 2000) finds every frequent itemset without
 * generating candidates: it builds a prefix tree of the baskets with items in
 * descending frequency order, and for each item mines the conditional tree of
 * the paths that end in it, recursively. */
#ifndef KH_ANALYTICS_BASKETS_H
#define KH_ANALYTICS_BASKETS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kh_itemsets {
	size_t n;          /* frequent itemsets */
	uint32_t *items;   /* concatenated; each itemset's items in ascending id order */
	size_t *start;     /* n + 1 offsets into items */
	uint32_t *support; /* baskets containing the itemset */
	size_t baskets;    /* baskets in the input */
};

/* All frequent itemsets of at most max_len items (0: no limit), in no
 * particular order. Owned by s (kh_itemsets_release). KH_EINVAL for an item
 * id >= n_items or min_support outside (0, 1], KH_ENOMEM. */
enum kh_err kh_fpgrowth(const size_t *start, const uint32_t *item, size_t n_baskets,
			uint32_t n_items, double min_support, int max_len, struct kh_itemsets *s);
void kh_itemsets_release(struct kh_itemsets *s);

/* A rule A -> {c}: support = supp(A + c) / baskets, confidence =
 * supp(A + c) / supp(A), lift = confidence / (supp(c) / baskets). */
struct kh_rule {
	size_t antecedent; /* index of A in the itemsets */
	size_t itemset;    /* index of A + c */
	uint32_t consequent;
	double support, confidence, lift;
};

/* The rules with one consequent item (the form a recommendation needs) and
 * confidence >= min_confidence from every frequent itemset of two or more
 * items, sorted by lift, then confidence, then support, descending. *rules is
 * malloc'ed (the caller frees it). */
enum kh_err kh_assoc_rules(const struct kh_itemsets *s, double min_confidence,
			   struct kh_rule **rules, size_t *n_rules);

/* "Customers who bought this also bought": for product, every other item that
 * shares at least min_together baskets with it, with confidence =
 * together / supp(product) and lift = confidence / (supp(item) / baskets),
 * sorted by together, then lift, descending; at most max_out are written to
 * out and *n_out says how many. Cost: one pass over the baskets. */
struct kh_also {
	uint32_t item;
	uint32_t together;
	double confidence, lift;
};

enum kh_err kh_also_bought(const size_t *start, const uint32_t *item, size_t n_baskets,
			   uint32_t n_items, uint32_t product, uint32_t min_together,
			   struct kh_also *out, size_t max_out, size_t *n_out);

/* Cross-sell for one customer: the items they have not bought that a rule
 * whose antecedent they have all bought recommends (owned[i] != 0 for the
 * items bought). Each item keeps its best rule (highest confidence, then
 * lift, then the earlier rule); the items are sorted the same way, ties by
 * item id. At most max_out go to out (rule: its index in rules). */
struct kh_reco {
	uint32_t item;
	size_t rule;
	double confidence, lift;
};

enum kh_err kh_recommend(const struct kh_itemsets *s, const struct kh_rule *rules, size_t n_rules,
			 const uint8_t *owned, uint32_t n_items, struct kh_reco *out, size_t max_out, size_t *n_out);

#endif
