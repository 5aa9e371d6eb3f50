/* Balanced scorecard arithmetic; see scorecard.h. */
#include "analytics/scorecard.h"

#include <math.h>

static const char *const names[] = {"unknown", "red", "amber", "green"};

const char *kh_kpi_status_name(enum kh_kpi_status s)
{
	return s >= KH_KPI_UNKNOWN && s <= KH_KPI_GREEN ? names[s] : names[0];
}

enum kh_kpi_status kh_kpi_status(double value, double target, double threshold, int higher_better)
{
	if (!isfinite(value) || !isfinite(target) || !isfinite(threshold))
		return KH_KPI_UNKNOWN;
	if (higher_better ? threshold > target : threshold < target)
		return KH_KPI_UNKNOWN;
	if (higher_better ? value >= target : value <= target)
		return KH_KPI_GREEN;
	if (higher_better ? value < threshold : value > threshold)
		return KH_KPI_RED;
	return KH_KPI_AMBER;
}

double kh_kpi_achievement(double value, double target, double threshold, int higher_better)
{
	if (kh_kpi_status(value, target, threshold, higher_better) == KH_KPI_UNKNOWN)
		return NAN;
	if (target == threshold)
		return (higher_better ? value >= target : value <= target) ? 1 : 0;
	double a = (value - threshold) / (target - threshold);
	return a < 0 ? 0 : a > 1.2 ? 1.2 : a;
}

double kh_trend_slope(const double *y, size_t n)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(y[i]))
			continue;
		double x = (double)i;
		sx += x;
		sy += y[i];
		sxx += x * x;
		sxy += x * y[i];
		m++;
	}
	double den = m * sxx - sx * sx;
	if (m < 2 || den == 0)
		return NAN;
	return (m * sxy - sx * sy) / den;
}
