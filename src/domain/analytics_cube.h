/* The OLAP cube of orders and opportunities (analytics_cube.c): one query
 * rolls up or drills down by choosing dimensions and filters. */
#ifndef KH_DOMAIN_ANALYTICS_CUBE_H
#define KH_DOMAIN_ANALYTICS_CUBE_H

#include "domain/analytics.h"

#define KH_CUBE_MAX_FILTERS 32

struct kh_cube_req {
	const char *fact; /* "orders" (their lines) or "opportunities" */
	enum kh_an_by by; /* whose region and segment an order carries */
	int n_dims;       /* 0..4, outermost first: year quarter month region city
	                   * category product segment owner stage */
	const char *dims[4];
	int n_filters;    /* dimension = member; several members of one
	                   * dimension are alternatives */
	const char *filter_dim[KH_CUBE_MAX_FILTERS], *filter_value[KH_CUBE_MAX_FILTERS];
	int rollup;       /* add subtotal rows (null keys) */
};

/* Writes {"fact", "dims", "measures", "facts", "drill": {dim: next level},
 * "cells": [{dim: member | null, "count", measure: sum}]}. Orders' measures are
 * revenue, quantity, cost and margin (yuan); opportunities' amount, weighted
 * (by probability) and won. KH_EINVAL for a dimension the fact does not have. */
enum kh_err kh_an_cube(struct kh_ctx *ctx, const struct kh_cube_req *q, struct kh_jw *w);
/* 1 if name is a cube dimension. */
int kh_cube_dim_known(const char *name);

#endif
