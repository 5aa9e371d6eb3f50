/* Optimisers and small dense linear algebra; see optim.h. */
#include "analytics/optim.h"

#include <math.h>
#include <string.h>

/* Non-finite objective values (outside the domain) compare as +inf. */
static double eval(kh_objective f, void *ctx, const double *x, double *g, int *count)
{
	double v = f(x, g, ctx);
	(*count)++;
	return isfinite(v) ? v : INFINITY;
}

enum kh_err kh_optim_nelder_mead(kh_objective f, void *ctx, double *x, int n, double step,
				 double ftol, double xtol, int max_iter,
				 struct kh_optim_result *res)
{
	double p[KH_OPTIM_MAXN + 1][KH_OPTIM_MAXN], fv[KH_OPTIM_MAXN + 1];
	double c[KH_OPTIM_MAXN], xr[KH_OPTIM_MAXN], xe[KH_OPTIM_MAXN], xc[KH_OPTIM_MAXN];
	int evals = 0, it;
	if (n < 1 || n > KH_OPTIM_MAXN)
		return KH_EINVAL;
	for (int i = 0; i <= n; i++) {
		memcpy(p[i], x, sizeof(double) * n);
		if (i > 0)
			p[i][i - 1] += step;
		fv[i] = eval(f, ctx, p[i], NULL, &evals);
	}
	int converged = 0;
	for (it = 0; it < max_iter; it++) {
		/* Order the vertices by value (insertion sort; n is tiny). */
		for (int i = 1; i <= n; i++) {
			for (int j = i; j > 0 && fv[j] < fv[j - 1]; j--) {
				double t = fv[j];
				fv[j] = fv[j - 1];
				fv[j - 1] = t;
				for (int k = 0; k < n; k++) {
					t = p[j][k];
					p[j][k] = p[j - 1][k];
					p[j - 1][k] = t;
				}
			}
		}
		double size = 0;
		for (int i = 1; i <= n; i++)
			for (int k = 0; k < n; k++)
				size = fmax(size, fabs(p[i][k] - p[0][k]));
		if (fv[n] - fv[0] <= ftol && size <= xtol) {
			converged = 1;
			break;
		}
		for (int k = 0; k < n; k++) {
			c[k] = 0;
			for (int i = 0; i < n; i++)
				c[k] += p[i][k];
			c[k] /= n;
		}
		for (int k = 0; k < n; k++)
			xr[k] = c[k] + (c[k] - p[n][k]);
		double fr = eval(f, ctx, xr, NULL, &evals);
		if (fr < fv[0]) {
			for (int k = 0; k < n; k++)
				xe[k] = c[k] + 2 * (c[k] - p[n][k]);
			double fe = eval(f, ctx, xe, NULL, &evals);
			if (fe < fr) {
				memcpy(p[n], xe, sizeof(double) * n);
				fv[n] = fe;
			} else {
				memcpy(p[n], xr, sizeof(double) * n);
				fv[n] = fr;
			}
			continue;
		}
		if (fr < fv[n - 1]) {
			memcpy(p[n], xr, sizeof(double) * n);
			fv[n] = fr;
			continue;
		}
		/* Contract outside if the reflection improved on the worst point,
		 * inside otherwise. */
		int outside = fr < fv[n];
		for (int k = 0; k < n; k++)
			xc[k] = outside ? c[k] + 0.5 * (xr[k] - c[k]) : c[k] + 0.5 * (p[n][k] - c[k]);
		double fc = eval(f, ctx, xc, NULL, &evals);
		if (fc < (outside ? fr : fv[n])) {
			memcpy(p[n], xc, sizeof(double) * n);
			fv[n] = fc;
			continue;
		}
		for (int i = 1; i <= n; i++) {
			for (int k = 0; k < n; k++)
				p[i][k] = p[0][k] + 0.5 * (p[i][k] - p[0][k]);
			fv[i] = eval(f, ctx, p[i], NULL, &evals);
		}
	}
	int best = 0;
	for (int i = 1; i <= n; i++)
		if (fv[i] < fv[best])
			best = i;
	memcpy(x, p[best], sizeof(double) * n);
	if (res) {
		res->f = fv[best];
		res->iterations = it;
		res->evaluations = evals;
		res->converged = converged;
	}
	return isfinite(fv[best]) ? KH_OK : KH_EINVAL;
}

enum kh_err kh_optim_bfgs(kh_objective f, void *ctx, double *x, int n, double gtol,
			  int max_iter, struct kh_optim_result *res)
{
	double h[KH_OPTIM_MAXN * KH_OPTIM_MAXN], g[KH_OPTIM_MAXN], gn[KH_OPTIM_MAXN];
	double d[KH_OPTIM_MAXN], xn[KH_OPTIM_MAXN], s[KH_OPTIM_MAXN], y[KH_OPTIM_MAXN];
	double hy[KH_OPTIM_MAXN];
	int evals = 0, it, converged = 0, fresh = 1, stall = 0;
	if (n < 1 || n > KH_OPTIM_MAXN)
		return KH_EINVAL;
	double fx = eval(f, ctx, x, g, &evals);
	if (!isfinite(fx))
		return KH_EINVAL;
	for (it = 0; it < max_iter; it++) {
		double gmax = 0;
		for (int i = 0; i < n; i++)
			gmax = fmax(gmax, fabs(g[i]));
		if (gmax < gtol) {
			converged = 1;
			break;
		}
		/* A sum of many terms has rounding noise that can hide the last
		 * digits of the gradient: three steps in a row that change f by
		 * less than 1e-14 relative, with the gradient near the tolerance,
		 * are convergence too. */
		if (stall >= 3) {
			converged = gmax < 1e3 * gtol;
			break;
		}
		if (fresh) {
			/* Start (or restart) from a steepest-descent step whose length
			 * is at most 1 in the largest coordinate. */
			memset(h, 0, sizeof(double) * n * n);
			double sc = gmax > 1 ? 1 / gmax : 1;
			for (int i = 0; i < n; i++)
				h[i * n + i] = sc;
		}
		double slope = 0;
		for (int i = 0; i < n; i++) {
			d[i] = 0;
			for (int j = 0; j < n; j++)
				d[i] -= h[i * n + j] * g[j];
			slope += d[i] * g[i];
		}
		if (!(slope < 0)) {
			if (fresh)
				break; /* Not even steepest descent goes down: stuck. */
			fresh = 1;
			it--;
			continue;
		}
		double t = 1, fn = INFINITY;
		int ok = 0;
		/* Halving stops once the decrease the step promises is below the
		 * rounding noise of f (the stall test's 1e-14 relative): from there
		 * on a "failure" says nothing about the step. On ten million rows
		 * each failed search had cost up to 60 passes over all of them. */
		for (int ls = 0; ls < 60 && -t * slope > 1e-14 * fabs(fx); ls++) {
			for (int i = 0; i < n; i++)
				xn[i] = x[i] + t * d[i];
			fn = eval(f, ctx, xn, gn, &evals);
			if (fn <= fx + 1e-4 * t * slope) {
				ok = 1;
				break;
			}
			t *= isfinite(fn) ? 0.5 : 0.1;
		}
		if (!ok) {
			if (fresh) {
				/* Not even a tiny steepest-descent step lowers f: the
				 * objective is flat to machine precision here. */
				converged = gmax < 1e3 * gtol;
				break;
			}
			fresh = 1;
			it--;
			continue;
		}
		double sy = 0, yy = 0, ss = 0;
		for (int i = 0; i < n; i++) {
			s[i] = xn[i] - x[i];
			y[i] = gn[i] - g[i];
			sy += s[i] * y[i];
			yy += y[i] * y[i];
			ss += s[i] * s[i];
		}
		memcpy(x, xn, sizeof(double) * n);
		memcpy(g, gn, sizeof(double) * n);
		stall = fx - fn <= 1e-14 * fabs(fx) ? stall + 1 : 0;
		fx = fn;
		if (!(sy > 1e-10 * sqrt(ss * yy))) {
			/* No usable curvature information: restart. */
			fresh = 1;
			continue;
		}
		if (fresh) {
			/* Scale the identity by s'y / y'y before the first update
			 * (Nocedal & Wright, eq. 6.20). */
			memset(h, 0, sizeof(double) * n * n);
			for (int i = 0; i < n; i++)
				h[i * n + i] = sy / yy;
		}
		/* H+ = (I - rho s y') H (I - rho y s') + rho s s'. */
		double rho = 1 / sy, yhy = 0;
		for (int i = 0; i < n; i++) {
			hy[i] = 0;
			for (int j = 0; j < n; j++)
				hy[i] += h[i * n + j] * y[j];
			yhy += y[i] * hy[i];
		}
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				h[i * n + j] += rho * ((1 + rho * yhy) * s[i] * s[j] -
						       hy[i] * s[j] - s[i] * hy[j]);
		fresh = 0;
	}
	if (res) {
		res->f = fx;
		res->iterations = it;
		res->evaluations = evals;
		res->converged = converged;
	}
	return KH_OK;
}

void kh_optim_numgrad(kh_objective f, void *ctx, const double *x, int n, double h, double *grad)
{
	double xp[KH_OPTIM_MAXN];
	memcpy(xp, x, sizeof(double) * n);
	for (int i = 0; i < n; i++) {
		double e = h * fmax(1, fabs(x[i]));
		xp[i] = x[i] + e;
		double fp = f(xp, NULL, ctx);
		xp[i] = x[i] - e;
		double fm = f(xp, NULL, ctx);
		xp[i] = x[i];
		grad[i] = (fp - fm) / (2 * e);
	}
}

void kh_optim_hessian(kh_objective f, void *ctx, const double *x, int n, int has_grad,
		      double *hess)
{
	double xp[KH_OPTIM_MAXN], gp[KH_OPTIM_MAXN], gm[KH_OPTIM_MAXN];
	memcpy(xp, x, sizeof(double) * n);
	if (has_grad) {
		for (int j = 0; j < n; j++) {
			double e = 1e-5 * fmax(1, fabs(x[j]));
			xp[j] = x[j] + e;
			f(xp, gp, ctx);
			xp[j] = x[j] - e;
			f(xp, gm, ctx);
			xp[j] = x[j];
			for (int i = 0; i < n; i++)
				hess[i * n + j] = (gp[i] - gm[i]) / (2 * e);
		}
		for (int i = 0; i < n; i++)
			for (int j = 0; j < i; j++)
				hess[i * n + j] = hess[j * n + i] =
					0.5 * (hess[i * n + j] + hess[j * n + i]);
		return;
	}
	double f0 = f(x, NULL, ctx);
	for (int i = 0; i < n; i++) {
		double ei = 1e-4 * fmax(1, fabs(x[i]));
		for (int j = 0; j <= i; j++) {
			double ej = 1e-4 * fmax(1, fabs(x[j]));
			double v;
			if (i == j) {
				xp[i] = x[i] + ei;
				double fp = f(xp, NULL, ctx);
				xp[i] = x[i] - ei;
				double fm = f(xp, NULL, ctx);
				v = (fp - 2 * f0 + fm) / (ei * ei);
			} else {
				double s[4];
				const int si[4] = {1, 1, -1, -1}, sj[4] = {1, -1, 1, -1};
				for (int k = 0; k < 4; k++) {
					xp[i] = x[i] + si[k] * ei;
					xp[j] = x[j] + sj[k] * ej;
					s[k] = f(xp, NULL, ctx);
				}
				v = (s[0] - s[1] - s[2] + s[3]) / (4 * ei * ej);
			}
			xp[i] = x[i];
			xp[j] = x[j];
			hess[i * n + j] = hess[j * n + i] = v;
		}
	}
}

enum kh_err kh_chol(double *a, int n)
{
	for (int j = 0; j < n; j++) {
		double d = a[j * n + j];
		for (int k = 0; k < j; k++)
			d -= a[j * n + k] * a[j * n + k];
		if (!(d > 0))
			return KH_EINVAL;
		d = sqrt(d);
		a[j * n + j] = d;
		for (int i = j + 1; i < n; i++) {
			double v = a[i * n + j];
			for (int k = 0; k < j; k++)
				v -= a[i * n + k] * a[j * n + k];
			a[i * n + j] = v / d;
		}
	}
	return KH_OK;
}

void kh_chol_solve(const double *l, int n, double *b)
{
	for (int i = 0; i < n; i++) {
		double v = b[i];
		for (int k = 0; k < i; k++)
			v -= l[i * n + k] * b[k];
		b[i] = v / l[i * n + i];
	}
	for (int i = n - 1; i >= 0; i--) {
		double v = b[i];
		for (int k = i + 1; k < n; k++)
			v -= l[k * n + i] * b[k];
		b[i] = v / l[i * n + i];
	}
}

enum kh_err kh_spd_inverse(double *a, int n)
{
	double l[KH_OPTIM_MAXN * KH_OPTIM_MAXN], col[KH_OPTIM_MAXN];
	if (n < 1 || n > KH_OPTIM_MAXN)
		return KH_EINVAL;
	memcpy(l, a, sizeof(double) * n * n);
	if (kh_chol(l, n) != KH_OK)
		return KH_EINVAL;
	for (int j = 0; j < n; j++) {
		for (int i = 0; i < n; i++)
			col[i] = i == j;
		kh_chol_solve(l, n, col);
		for (int i = 0; i < n; i++)
			a[i * n + j] = col[i];
	}
	return KH_OK;
}
