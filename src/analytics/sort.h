/* Sorting row indices by a double key, for ranking millions of customers.
 *
 * An LSD radix sort on the bits of the doubles (mapped to unsigned integers
 * that order the same way) in six passes of 11 bits, skipping passes where all
 * keys share the digit: O(n), stable, and several times faster than qsort with
 * a comparison callback at a million rows. */
#ifndef KH_ANALYTICS_SORT_H
#define KH_ANALYTICS_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* idx receives 0..n-1 ordered by key ascending (descending if desc), equal
 * keys in index order (stable). Keys must not be NaN. n < 2^32. */
enum kh_err kh_sort_index(const double *key, size_t n, int desc, uint32_t *idx);

#endif
