/* Domain rules attached to entities in the entity table (model/entities.c).
 * Each runs inside the write transaction; see domain/write.h. */
#ifndef KH_HOOKS_H
#define KH_HOOKS_H

#include "util/err.h"

struct kh_write;

enum kh_err kh_opportunity_before_write(struct kh_write *w);
enum kh_err kh_activity_before_write(struct kh_write *w);
enum kh_err kh_case_before_write(struct kh_write *w);
enum kh_err kh_order_before_write(struct kh_write *w);
enum kh_err kh_order_line_before_write(struct kh_write *w);
enum kh_err kh_order_line_after_write(struct kh_write *w);
struct kh_db;
enum kh_err kh_order_totals_refresh(struct kh_db *db);
enum kh_err kh_user_before_write(struct kh_write *w);

/* The default win probability of a pipeline stage, in percent. */
int kh_stage_probability(const char *stage);

#endif
