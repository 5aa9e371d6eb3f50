/* The router: matches a method and path against the route table
 * (src/api/routes.def) and fills the request's entity, id and related entity. */
#ifndef KH_ROUTER_H
#define KH_ROUTER_H

#include "http/request.h"

/* Returns the route index, or -1. When the path matches routes of other methods
 * only, *method_mismatch is set and r->allow lists the methods (405). */
int kh_route_match(struct kh_req *r, const char *path, int *method_mismatch);
const char *kh_method_name(enum kh_method m);
enum kh_method kh_method_parse(const char *s);

#endif
