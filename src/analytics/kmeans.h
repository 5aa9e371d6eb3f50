/* Customer segments: k-means with k-means++ seeding and the silhouette score.
 *
 * Features are standardised (each column to mean 0, standard deviation 1; a
 * constant column to 0) before clustering, so that revenue in cents does not
 * outweigh a purchase count. Each restart seeds with k-means++ (Arthur &
 * Vassilvitskii 2007: each next centre drawn with probability proportional to
 * the squared distance to the nearest centre chosen so far) and runs Lloyd's
 * iterations until no point changes cluster, or the centres move less than
 * 1e-4 in total squared distance (scikit-learn's tol, in standardised units),
 * or max_iter; the restart with the lowest within-cluster sum of squares wins.
 * Above 300,000 rows the restarts run on a uniform sample of 100,000 rows, the
 * centres of each are scored by their sum of squares over all rows, and the
 * best two are refined on all rows (the restarts explore seeds; the sample is
 * large enough to find the same basins, and the final Lloyd runs on every row
 * reach the fixed points that full restarts would reach from there). A cluster that empties is
 * re-seeded with the point farthest from its centre. The assignment step runs
 * on two threads for large n. Everything is deterministic for a given seed.
 *
 * The silhouette of point i is (b - a) / max(a, b), a being its mean distance
 * to the other points of its cluster and b the smallest mean distance to the
 * points of another cluster (0 for a point alone in its cluster); the score
 * is the mean over points, in standardised units. It costs O(n^2), so for
 * n above `silhouette_sample` it is computed on a uniform random sample of that
 * many points (distances within the sample only, as scikit-learn's
 * silhouette_score(sample_size=...) does): the estimate's standard error is
 * then about 1 / sqrt(sample) of the spread of the point silhouettes. */
#ifndef KH_ANALYTICS_KMEANS_H
#define KH_ANALYTICS_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define KH_KMEANS_MAXK 64

struct kh_kmeans_opts {
	int restarts;             /* default 10 */
	int max_iter;             /* default 300 */
	uint64_t seed;            /* default 1 */
	size_t silhouette_sample; /* default 3000; 0 for the default */
};

struct kh_kmeans {
	int k, p;
	double *center;    /* k x p, in the original units: the segment profile (member means) */
	size_t *size;      /* members per segment */
	double inertia;    /* within-cluster sum of squares, standardised units */
	double silhouette; /* mean silhouette, standardised units; NaN for k = 1 */
	int iterations;    /* Lloyd iterations of the winning restart */
};

/* Clusters n rows of p features (X row-major) into k segments; assign[i]
 * receives row i's segment. opts may be NULL for the defaults. The model owns
 * center and size (kh_kmeans_release frees them). KH_EINVAL for k outside
 * 1..min(n, KH_KMEANS_MAXK) or non-finite X, KH_ENOMEM. */
enum kh_err kh_kmeans_fit(struct kh_kmeans *m, const double *X, size_t n, int p, int k,
			  const struct kh_kmeans_opts *opts, uint32_t *assign);
void kh_kmeans_release(struct kh_kmeans *m);

/* Fits every k in kmin..kmax (kmin >= 2) and keeps the one with the highest
 * silhouette in m and assign; sil (if not NULL) receives the silhouette of
 * each k, sil[k - kmin]. */
enum kh_err kh_kmeans_choose_k(struct kh_kmeans *m, const double *X, size_t n, int p, int kmin,
			       int kmax, const struct kh_kmeans_opts *opts, uint32_t *assign,
			       double *sil);

/* The (sampled) mean silhouette of a clustering of the rows of Z as given (no
 * standardisation here); sample = 0 or >= n uses all points. NaN for k < 2. */
double kh_silhouette(const double *Z, size_t n, int p, const uint32_t *assign, int k,
		     size_t sample, uint64_t seed);

#endif
