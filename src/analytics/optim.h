/* Small dense numerical optimisation and linear algebra for model fitting.
 *
 * The models here have 2 to 30 parameters, so the optimisers keep dense n x n
 * matrices and allocate them on the stack (n <= KH_OPTIM_MAXN). Objectives are
 * minimised; a model that maximises a log-likelihood passes its negative.
 * Nothing here allocates on the heap, so nothing can fail for lack of memory. */
#ifndef KH_ANALYTICS_OPTIM_H
#define KH_ANALYTICS_OPTIM_H

#include "util/err.h"

#define KH_OPTIM_MAXN 32

/* The objective at x. When grad is not NULL it also stores the gradient there.
 * It returns a non-finite value (NaN or +inf) where x is outside the domain;
 * the optimisers treat that as "worse than anything" and step back. */
typedef double (*kh_objective)(const double *x, double *grad, void *ctx);

struct kh_optim_result {
	double f;       /* the objective at the returned x */
	int iterations; /* iterations of the method */
	int evaluations;/* objective calls */
	int converged;  /* 1 if the tolerance was met before max_iter */
};

/* Nelder-Mead simplex search (Lagarias et al. 1998 conventions: reflection 1,
 * expansion 2, contraction 1/2, shrink 1/2) from x, with an initial simplex of
 * x and x + step * e_i. It never asks for a gradient. It stops when the
 * objective values across the simplex differ by less than ftol (absolute) and
 * the simplex is smaller than xtol in every coordinate, or after max_iter
 * iterations. x receives the best vertex. */
enum kh_err kh_optim_nelder_mead(kh_objective f, void *ctx, double *x, int n, double step,
				 double ftol, double xtol, int max_iter,
				 struct kh_optim_result *res);

/* BFGS quasi-Newton minimisation with an analytic gradient (f must fill grad)
 * and a backtracking line search with the Armijo condition; the inverse
 * Hessian approximation is reset to a scaled identity when the curvature
 * condition fails. Stops when the largest gradient component is below gtol,
 * or after max_iter iterations. Rounding noise in a long likelihood sum can
 * keep the gradient a little above gtol after f has stopped changing, so three
 * steps in a row that change f by under 1e-14 relative also stop it, counted
 * as converged if the gradient is below 1000 gtol. x is the start and receives the minimiser. */
enum kh_err kh_optim_bfgs(kh_objective f, void *ctx, double *x, int n, double gtol,
			  int max_iter, struct kh_optim_result *res);

/* The gradient of f at x by central differences with relative step h, for
 * objectives that have no analytic gradient (2n calls of f). */
void kh_optim_numgrad(kh_objective f, void *ctx, const double *x, int n, double h, double *grad);

/* The Hessian of f at x (n x n, row-major, symmetric), by central differences
 * of the analytic gradient when has_grad is set (2n gradient calls), or by
 * second differences of f otherwise (2n^2 + 1 calls). */
void kh_optim_hessian(kh_objective f, void *ctx, const double *x, int n, int has_grad,
		      double *hess);

/* Cholesky factorisation of the symmetric positive definite n x n matrix a
 * (row-major) in place: its lower triangle becomes L with a = L L^T. Returns
 * KH_EINVAL if a is not positive definite. */
enum kh_err kh_chol(double *a, int n);
/* Solves L L^T x = b in place of b, given the factor from kh_chol. */
void kh_chol_solve(const double *l, int n, double *b);
/* Replaces the symmetric positive definite a by its inverse. KH_EINVAL if a
 * is not positive definite. */
enum kh_err kh_spd_inverse(double *a, int n);

#endif
