/* The OLAP cube: facts (order lines, opportunities) aggregated by any choice
 * of dimensions, with roll-up subtotals and slicing.
 *
 * The caller encodes each dimension of each fact as a small integer code below
 * the dimension's cardinality (year, quarter and month are separate
 * dimensions, each its own level of the time hierarchy, and so are province
 * and city, category and product). A query picks up to KH_CUBE_MAX_GROUP of
 * them to group by, keeps only the codes it wants of any dimension (a slice or
 * dice: "year = 2025", "category in {a, b}"), and sums the measures of each
 * group. Roll-up adds the subtotals of every prefix of the grouping (year and
 * category: each year over all categories, and the grand total), as SQL's
 * GROUP BY ROLLUP does; drilling down is the same query with one more level
 * and a filter on the member drilled into. Rows missing a member carry the
 * code the caller chose for "none" (a code like any other).
 *
 * One pass over the facts with a hash table of the groups: O(facts x levels
 * of roll-up). Pure: arrays in, arrays out. */
#ifndef KH_ANALYTICS_CUBE_H
#define KH_ANALYTICS_CUBE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define KH_CUBE_MAX_DIMS 12
#define KH_CUBE_MAX_MEASURES 8
#define KH_CUBE_MAX_GROUP 4
/* The key of a rolled-up dimension in a subtotal row. */
#define KH_CUBE_ALL UINT32_MAX

struct kh_cube_facts {
	size_t n;
	int n_dims;
	const uint32_t *dim[KH_CUBE_MAX_DIMS]; /* dim[d][i]: fact i's code in dimension d */
	uint32_t card[KH_CUBE_MAX_DIMS];       /* codes of dimension d are below card[d] */
	int n_measures;
	const double *measure[KH_CUBE_MAX_MEASURES]; /* NULL counts as 0 */
};

struct kh_cube_query {
	int n_group;
	int group[KH_CUBE_MAX_GROUP];         /* dimensions to group by, outermost first */
	const uint8_t *keep[KH_CUBE_MAX_DIMS]; /* keep[d][code] != 0 keeps the fact; NULL keeps all */
	int rollup;                            /* add the subtotal rows */
};

struct kh_cube_cell {
	uint32_t key[KH_CUBE_MAX_GROUP]; /* a code, or KH_CUBE_ALL in subtotals */
	size_t count;                    /* facts in the cell */
	double sum[KH_CUBE_MAX_MEASURES];
};

struct kh_cube {
	int n_group, n_measures;
	size_t n;
	struct kh_cube_cell *cell; /* sorted by key, each subtotal after its members (malloc'ed) */
	size_t facts;              /* facts that passed the filters */
};

/* KH_EINVAL for a bad dimension index, a code at or above its cardinality, or
 * a grouping whose key space does not fit 63 bits; KH_ENOMEM. */
enum kh_err kh_cube_query(const struct kh_cube_facts *f, const struct kh_cube_query *q, struct kh_cube *out);
void kh_cube_release(struct kh_cube *c);

#endif
