/* The analytic hierarchy process (Saaty, "The Analytic Hierarchy Process",
 * 1980; "How to make a decision", European Journal of Operational Research
 * 48 (1990) 9-26), for evaluating CRM capabilities: priorities from pairwise
 * comparison matrices, their consistency, several assessors' judgements
 * combined, and weights and scores carried through a hierarchy of criteria.
 *
 * A pairwise comparison matrix a (n x n, row-major) holds a[i][j] = how much
 * more important criterion i is than j on Saaty's 1-9 scale, with a[j][i] =
 * 1 / a[i][j] and ones on the diagonal.
 *
 * Pure functions: arrays in, arrays out, no I/O, thread-safe. */
#ifndef KH_ANALYTICS_AHP_H
#define KH_ANALYTICS_AHP_H

#include <stddef.h>

#include "util/err.h"

/* The largest matrix: Saaty's random index is tabulated up to 15, and
 * judgements beyond about 9 elements are rarely consistent anyway. */
#define KH_AHP_MAX_N 15

/* Saaty's random index: the mean consistency index of random reciprocal
 * matrices of order n (0.58 for 3, ..., 1.49 for 10, 1.59 for 15); 0 for
 * n <= 2, whose matrices are always consistent; NaN above KH_AHP_MAX_N. */
double kh_ahp_random_index(size_t n);

struct kh_ahp_consistency {
	double lambda_max; /* the principal eigenvalue, n for a consistent matrix */
	double ci;         /* consistency index (lambda_max - n) / (n - 1) */
	double ri;         /* random index */
	double cr;         /* consistency ratio ci / ri; 0 for n <= 2 */
	int acceptable;    /* cr <= 0.10, Saaty's threshold */
	/* The most inconsistent judgement a[worst_i][worst_j] (worst_i <
	 * worst_j): the one whose ratio a_ij w_j / w_i to what the weights imply
	 * is furthest from 1 (Saaty 2003). Replacing it by `suggested` = w_i / w_j
	 * is the single change that most improves consistency. For a consistent
	 * matrix the ratio is 1 and the pair is (0, 1). */
	size_t worst_i, worst_j;
	double worst_ratio;
	double suggested;
};

/* The priorities of n elements compared in a (w: n entries summing to 1):
 * the principal right eigenvector of a, by power iteration until no weight
 * changes by more than 1e-13. c may be NULL. KH_EINVAL if n is 0 or above
 * KH_AHP_MAX_N, an entry is not positive and finite, the diagonal is not 1,
 * or a[j][i] * a[i][j] differs from 1 by more than 1e-3 (which accepts
 * reciprocals typed with a few decimals, such as 0.3333). KH_EINTERNAL if
 * the iteration did not converge in 100,000 steps, which the dominance of the
 * Perron root of a positive matrix of order <= 15 rules out in practice. */
enum kh_err kh_ahp_weights(const double *a, size_t n, double *w, struct kh_ahp_consistency *c);

/* Combines k assessors' n x n matrices (mats: k matrices one after another)
 * into one by the weighted geometric mean of each judgement, which keeps the
 * result reciprocal (Aczel and Saaty 1983). weight gives each assessor's
 * weight (NULL: equal weights); weights are normalized to sum to 1. Checks
 * the matrices as kh_ahp_weights does. */
enum kh_err kh_ahp_aggregate(const double *mats, size_t k, size_t n, const double *weight,
			     double *out);

/* A hierarchy of n nodes: node 0 is the goal and every other node i has a
 * parent[i] < i (so parents come first; parent[0] is ignored) and a local
 * weight local[i], its priority among its siblings. Leaves are the nodes
 * without children. */

/* Global weights: global[0] = 1 and global[i] = global[parent[i]] *
 * local[i]; the leaves' global weights sum to 1 when every sibling group's
 * local weights do. KH_EINVAL on a bad parent or a negative or non-finite
 * weight. */
enum kh_err kh_ahp_global_weights(const size_t *parent, const double *local, size_t n,
				  double *global);

/* Rolls scores up the hierarchy: on entry score[] holds a score for every
 * leaf (a capability rating, a KPI's achievement); on return every inner
 * node holds the weighted sum of its children's scores, so score[0] is the
 * overall index and the nodes below it the perspective or criterion scores.
 * Same errors as kh_ahp_global_weights, and a leaf score that is not finite. */
enum kh_err kh_ahp_rollup(const size_t *parent, const double *local, size_t n, double *score);

/* The classic synthesis of alternatives: score[a] = sum_l weight[l] *
 * prio[l * n_alt + a], with weight the global weights of the n_leaf leaf
 * criteria and prio row l the priorities of the alternatives under leaf l. */
enum kh_err kh_ahp_synthesize(const double *weight, size_t n_leaf, const double *prio,
			      size_t n_alt, double *score);

#endif
