/* The arithmetic of a balanced scorecard: how a KPI stands against its target
 * and threshold, and which way it is moving.
 *
 * A KPI has a target (where we want to be) and a threshold (the worst we
 * accept); for a KPI where higher is better the threshold is below the
 * target, for one where lower is better (resolution hours) above it. The
 * status is green at or past the target, red past the threshold, amber in
 * between; achievement is the position between threshold (0) and target (1),
 * clamped to [0, 1.2] so one excellent KPI cannot hide several bad ones when
 * they are averaged into a perspective score.
 *
 * Pure functions. */
#ifndef KH_ANALYTICS_SCORECARD_H
#define KH_ANALYTICS_SCORECARD_H

#include <stddef.h>

enum kh_kpi_status { KH_KPI_UNKNOWN = 0, KH_KPI_RED, KH_KPI_AMBER, KH_KPI_GREEN };

/* "unknown", "red", "amber", "green". */
const char *kh_kpi_status_name(enum kh_kpi_status s);

/* The status of value against target and threshold; higher_better says the
 * direction. KH_KPI_UNKNOWN when the value or a bound is not finite, or the
 * threshold is on the wrong side of the target. */
enum kh_kpi_status kh_kpi_status(double value, double target, double threshold, int higher_better);

/* (value - threshold) / (target - threshold), clamped to [0, 1.2]; NaN when
 * the status is unknown. */
double kh_kpi_achievement(double value, double target, double threshold, int higher_better);

/* The least-squares slope of y over x = 0, 1, ..., n-1, skipping non-finite
 * values: the trend per period. NaN with fewer than two finite values. */
double kh_trend_slope(const double *y, size_t n);

#endif
