/* Kaplan-Meier survival curves: how long customer relationships last.
 *
 * Each subject has a duration t >= 0 (days of tenure, months as a customer)
 * and an event flag: 1 if the relationship ended at t (the customer churned),
 * 0 if it was still going when observation stopped (censored: we only know it
 * lasted at least t). The product-limit estimator (Kaplan & Meier 1958) is
 *
 *   S(t) = prod_{t_i <= t} (1 - d_i / n_i),
 *
 * over the distinct event times t_i, with d_i events at t_i and n_i subjects
 * still at risk just before it (those with duration >= t_i). Subjects
 * censored at t_i count as at risk at t_i, the usual convention. The standard
 * error is Greenwood's, S(t) sqrt(sum_{t_i <= t} d_i / (n_i (n_i - d_i))).
 *
 * Pure: arrays in, arrays out. */
#ifndef KH_ANALYTICS_SURVIVAL_H
#define KH_ANALYTICS_SURVIVAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* One step of the curve: a distinct duration at which something happened. */
struct kh_km_point {
	double time;
	size_t at_risk;  /* n_i: subjects with duration >= time */
	size_t events;   /* d_i */
	size_t censored; /* subjects censored at exactly this time */
	double survival; /* S(time), after this step */
	double se;       /* Greenwood's standard error of S(time) */
};

struct kh_km {
	size_t n;                  /* subjects */
	size_t events;             /* subjects with an event */
	size_t npoints;
	struct kh_km_point *point; /* npoints, ascending time (malloc'ed; kh_km_release) */
	double median;             /* smallest time with S <= 0.5; NaN if S stays above */
};

/* Estimates the curve of n subjects. KH_EINVAL for a negative or non-finite
 * duration, KH_ENOMEM. With n = 0 the curve is empty and the median NaN. */
enum kh_err kh_kaplan_meier(const double *t, const uint8_t *event, size_t n, struct kh_km *km);
void kh_km_release(struct kh_km *km);

/* S(time) read off the curve (1 before the first event). */
double kh_km_at(const struct kh_km *km, double time);

#endif
