/* Splitting a sum over many rows across threads.
 *
 * The likelihoods of the customer models are sums over customers, evaluated a
 * few dozen times per fit. Above KH_PAR_MIN_ROWS rows the range is cut into
 * one contiguous chunk per thread (two by default: the target machine has two
 * cores) and the partial sums are added in a fixed order, so the result does
 * not depend on thread timing. */
#ifndef KH_ANALYTICS_PAR_H
#define KH_ANALYTICS_PAR_H

#include <stddef.h>

#define KH_PAR_MIN_ROWS 20000
#define KH_PAR_MAX_THREADS 8

/* Adds the contributions of rows [lo, hi) into acc[0..m-1] (which starts zeroed). */
typedef void (*kh_par_fn)(void *ctx, size_t lo, size_t hi, double *acc);

/* Sets the number of threads the analytics use (1..KH_PAR_MAX_THREADS);
 * 0 restores the default of 2. Not meant to be changed while a fit runs. */
void kh_par_set_threads(int n);
int kh_par_threads(void);

/* acc[0..m-1] = the sum of fn over rows [0, n) (acc is zeroed first). Each
 * extra thread sums into m doubles of scratch; if that cannot be allocated, or
 * a thread cannot be started, the work runs on the calling thread. */
void kh_par_sum(kh_par_fn fn, void *ctx, size_t n, double *acc, int m);

/* Runs fn(ctx, lo, hi, NULL) on disjoint chunks of [0, n) in parallel, for
 * loops that write per-row results rather than sums. */
void kh_par_for(kh_par_fn fn, void *ctx, size_t n);

#endif
