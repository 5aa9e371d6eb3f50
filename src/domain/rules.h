/* Rules as data: rows of the rules entity, of three kinds.
 *
 *   automation  when (a record of `entity` is created / updated / saved with
 *               the conditions true, a date in it is reached, it had no
 *               activity for N days, or a score of it crosses a threshold)
 *               then (create a task, assign, change fields, add to a
 *               campaign, send an e-mail, call a webhook)
 *   assignment  which user a new lead goes to: round robin within a team or
 *               a list of users, by load, or one user; idle leads move on
 *   scoring     points a lead earns when the conditions hold
 *
 * Conditions: {"all": [cond, ...]} or {"any": [cond, ...]}, each cond
 * {"field": "stage", "op": "eq", "value": "proposal"} with op one of
 *   eq ne gt gte lt lte       compare (numbers as numbers, text as text; a
 *                             date may be "today", "today+7", "today-30")
 *   in not_in                 value is a list
 *   contains                  text contains value (ASCII case ignored), or
 *                             tags include it
 *   empty not_empty
 *   changed                   the change sets this field (updates; on a
 *                             create, any field given)
 *   changed_to changed_from   the change sets it to / from value
 * Values are checked against the field's type, so a misspelt stage is an
 * error when the rule is saved, not a rule that never fires. Besides the
 * entity's fields, "activities" is the number of activities linked to the
 * record.
 *
 * Actions: an object keyed by action (each at most once per rule), run in
 * this order:
 *   "set": {"field": value, ...}                   validated like a PATCH
 *   "assign": {"user_id": 5} | {"team_id": 2, "method": "round_robin" |
 *             "load"} | {"user_ids": [..], "method": ...}
 *   "add_to_campaign": {"campaign_id": 7}          the record, or its contact
 *                                                  and account
 *   "create_task": {"subject": "Call {{name}}", "due_days": 3,
 *                   "assign_to": "owner" | user id, "priority": "high"}
 *   "send_email": {"template_id": 4, "to": "record" | "owner"}
 *   "webhook": {"url": "https://...", "secret": "..."}
 * {{field}} in texts is the record's value.
 *
 * Trigger settings (params): date_reached {"field": "expected_close_date",
 * "offset_days": -7}; no_activity {"days": 14}; score_crossed {"score":
 * "churn_risk", "above": 0.7} (a numeric field of the record, or a score
 * recorded with kh_sales_score_record). */
#ifndef KH_RULES_H
#define KH_RULES_H

#include <jansson.h>

#include "domain/write.h"
#include "util/json_out.h"

enum kh_rule_kind { KH_RULE_AUTOMATION, KH_RULE_ASSIGNMENT, KH_RULE_SCORING };
enum kh_rule_trigger {
	KH_TRIG_CREATED,
	KH_TRIG_UPDATED,
	KH_TRIG_SAVED,
	KH_TRIG_DATE,
	KH_TRIG_IDLE,
	KH_TRIG_SCORE,
};
enum kh_cond_op {
	KH_OP_EQ, KH_OP_NE, KH_OP_GT, KH_OP_GTE, KH_OP_LT, KH_OP_LTE, KH_OP_IN, KH_OP_NOT_IN, KH_OP_CONTAINS,
	KH_OP_EMPTY, KH_OP_NOT_EMPTY, KH_OP_CHANGED, KH_OP_CHANGED_TO, KH_OP_CHANGED_FROM,
};

#define KH_COND_ACTIVITIES (-2) /* the virtual field "activities" */
#define KH_COND_NOT_RELATIVE (-1000000)

struct kh_rule_cond {
	int field; /* index in the entity's fields, or KH_COND_ACTIVITIES */
	enum kh_cond_op op;
	struct kh_val *vals; /* typed as the field; several for in / not_in */
	int nvals;
	int rel_days; /* "today+N": N; else KH_COND_NOT_RELATIVE */
};

struct kh_rule {
	int64_t id;
	const char *name;
	enum kh_rule_kind kind;
	const struct kh_entity *e;
	enum kh_rule_trigger trigger;
	int any; /* conditions joined by or */
	struct kh_rule_cond *conds;
	int nconds;
	int points;
	int position;
	const char *params, *actions, *created_at; /* JSON texts as stored */
	int uses_activities;
};

/* A record as rules see it: the values after the change (one per field of
 * the entity), before it (NULL on a create) and which the change set. */
struct kh_rule_rec {
	const struct kh_val *cur;
	const struct kh_val *old;
	const unsigned char *changed;
	int64_t activities; /* linked activities, when a rule needs them */
	const char *today;  /* "YYYY-MM-DD" */
};

/* Compiles conditions (a JSON object or NULL: always true) for entity e into
 * r->conds, memory from a. On error returns KH_EVALIDATION with *why. */
enum kh_err kh_rule_compile(struct kh_rule *r, const struct kh_entity *e, json_t *conditions, struct kh_arena *a,
			    const char **why);
/* 1 if the record meets the rule's conditions. */
int kh_rule_match(const struct kh_rule *r, const struct kh_rule_rec *rec);

struct kh_ruleset {
	struct kh_rule *rules;
	int n;
	struct kh_arena *arena;
};

/* Loads and compiles the active rules of a kind (and entity, unless NULL), in
 * their order. A stored rule that no longer compiles (a field was removed) is
 * left out with a warning. */
enum kh_err kh_ruleset_load(struct kh_db *db, enum kh_rule_kind kind, const char *entity, struct kh_ruleset *rs);
void kh_ruleset_release(struct kh_ruleset *rs);

/* Checks a rule row on its way to the table (the entity's before_write). */
enum kh_err kh_rule_before_write(struct kh_write *w);

/* Expands {{field}} in text with the record's values (as the API shows them,
 * enum keys as they are). Returns memory from a. */
char *kh_rule_expand(const char *text, const struct kh_entity *e, const struct kh_val *vals, struct kh_arena *a);

/* The background side (rules_run.c). */

/* Outbox consumer: evaluates automation rules against one change and queues a
 * run for each rule that fires. */
struct kh_change;
enum kh_err kh_rules_on_change(struct kh_ctx *ctx, const struct kh_change *c);
/* Job: runs one queued rule run's actions (payload {"run_id": n}). */
enum kh_err kh_rules_run_job(struct kh_ctx *ctx, json_t *payload);
/* Job: the minute tick of time-based rules (date reached, no activity, idle
 * lead reassignment); queues the next tick first. */
enum kh_err kh_rules_tick_job(struct kh_ctx *ctx, json_t *payload);
/* Makes sure the minute tick is queued (rules that wait for a date or for
 * silence need it), or with now, queues one at once. In the caller's
 * transaction. */
enum kh_err kh_rules_ensure_tick(struct kh_db *db, int now);
/* Records a score (e.g. churn_risk from the analytics) of a record; a rule
 * whose threshold the new value crosses from below fires. In the caller's
 * transaction if one is open. */
enum kh_err kh_sales_score_record(struct kh_ctx *ctx, const char *entity, int64_t id, const char *name, double value);

/* GET /api/v1/rules/{id}/runs: {"data": [{"id", "record", "status", "steps": [...]}], "next_cursor"} */
enum kh_err kh_rule_runs_write(struct kh_ctx *ctx, int64_t rule_id, int64_t before, int limit, struct kh_jw *w);

#endif
