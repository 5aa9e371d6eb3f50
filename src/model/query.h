/* List queries: the query string of GET /api/v1/{entity} turned into SQL.
 *
 *   ?field=value            equality (tags: has the tag)
 *   ?field[op]=value        eq ne lt lte gt gte in like null
 *   ?sort=-created_at,name  up to 3 fields; id breaks ties
 *   ?limit=50               1..500
 *   ?cursor=...             keyset paging: the next_cursor of the previous page
 *   ?count=1                also count all matches
 *   ?archived=include|only  archived records are left out unless asked for
 *
 * Field names are checked against the metadata and only metadata names reach
 * the SQL; every value is bound. Paging is by keyset, never OFFSET, so page
 * 10,000 costs what page 1 does. */
#ifndef KH_QUERY_H
#define KH_QUERY_H

#include "model/entity.h"
#include "model/principal.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/errinfo.h"

#define KH_MAX_FILTERS 32
#define KH_MAX_SORTS 4 /* three chosen + id */
#define KH_LIST_DEFAULT 50
#define KH_LIST_MAX 500

enum kh_fop { KH_FOP_EQ, KH_FOP_NE, KH_FOP_LT, KH_FOP_LTE, KH_FOP_GT, KH_FOP_GTE, KH_FOP_IN, KH_FOP_LIKE, KH_FOP_NULL };

struct kh_filter {
	const struct kh_field *f;
	enum kh_fop op;
	struct kh_val *vals; /* one, or several for `in` */
	int nvals;
};

struct kh_sort {
	const struct kh_field *f;
	const struct kh_field *key; /* the column that orders f (a name's sort_key), or NULL: f itself */
	int desc;
	int col; /* f's column in e->select_sql */
};

enum kh_archived { KH_ARCHIVED_EXCLUDE, KH_ARCHIVED_INCLUDE, KH_ARCHIVED_ONLY };

struct kh_list_query {
	const struct kh_entity *e;
	struct kh_filter filters[KH_MAX_FILTERS];
	int nfilters;
	struct kh_sort sorts[KH_MAX_SORTS];
	int nsorts;
	const char *sort_text; /* normalised, as the cursor records it */
	int limit;
	int count;
	enum kh_archived archived;
	const char *cursor_text;
	struct kh_val cursor[KH_MAX_SORTS];
	int has_cursor;
};

void kh_list_init(struct kh_list_query *q, const struct kh_entity *e);
/* Takes one query-string parameter. Errors (400, with the parameter named in
 * fields) go to ei; the first one wins but all are collected. */
void kh_list_param(struct kh_list_query *q, const char *key, const char *value, struct kh_arena *a,
		   struct kh_errinfo *ei);
/* Adds an equality filter (related lists: contacts of account 7). */
enum kh_err kh_list_filter_eq(struct kh_list_query *q, const struct kh_field *f, struct kh_val v, struct kh_arena *a);
/* Finishes parsing: applies the sort (default or given) and decodes the cursor.
 * Filters and sorts on personal fields are refused (403) for principals who
 * may not see personal data. */
enum kh_err kh_list_finish(struct kh_list_query *q, const struct kh_principal *who, struct kh_arena *a,
			   struct kh_errinfo *ei);

/* Builds the SELECT of one page (limit + 1 rows, to know if there is a next
 * page) and its parameters, limited to the records the principal may read. */
enum kh_err kh_list_sql(const struct kh_list_query *q, const struct kh_principal *who, struct kh_arena *a,
			struct kh_buf *sql, struct kh_val *params, int *nparams, int maxparams);
/* Builds SELECT count(*) with the same filters, without the cursor. */
enum kh_err kh_list_count_sql(const struct kh_list_query *q, const struct kh_principal *who, struct kh_arena *a,
			      struct kh_buf *sql, struct kh_val *params, int *nparams, int maxparams);
/* Encodes the cursor that continues after the current row of rows. */
void kh_list_cursor(const struct kh_list_query *q, struct kh_db *db, struct kh_rows *rows, struct kh_buf *out);

/* Aggregates: GET /api/v1/{entity}/aggregate
 *   ?group=stage[,owner_id]          up to two fields; a date or date-time field
 *                                    may carry a bucket: order_date:month
 *                                    (day, month, quarter, year; date-times in UTC)
 *   &measures=count,sum:amount       count, and sum/avg/min/max of a field
 *                                    (sum and avg of numbers only)
 *   &limit=1000                      at most this many groups (1..10000)
 * plus every filter a list takes. Groups come ordered by their keys. */
enum kh_bucket { KH_BUCKET_NONE, KH_BUCKET_DAY, KH_BUCKET_MONTH, KH_BUCKET_QUARTER, KH_BUCKET_YEAR };
enum kh_measure_fn { KH_M_COUNT, KH_M_SUM, KH_M_AVG, KH_M_MIN, KH_M_MAX };

#define KH_AGG_MAX_GROUPS 2
#define KH_AGG_MAX_MEASURES 8

struct kh_agg {
	struct kh_list_query q; /* the filters */
	struct {
		const struct kh_field *f;
		enum kh_bucket bucket;
	} group[KH_AGG_MAX_GROUPS];
	int ngroups;
	struct {
		enum kh_measure_fn fn;
		const struct kh_field *f; /* NULL for count */
		const char *name;         /* "count", "sum_amount": the key in the answer */
	} measure[KH_AGG_MAX_MEASURES];
	int nmeasures;
	int limit;
};

void kh_agg_init(struct kh_agg *g, const struct kh_entity *e);
void kh_agg_param(struct kh_agg *g, const char *key, const char *value, struct kh_arena *a, struct kh_errinfo *ei);
enum kh_err kh_agg_finish(struct kh_agg *g, const struct kh_principal *who, struct kh_arena *a,
			  struct kh_errinfo *ei);
/* SELECT of the groups' keys (columns 0..ngroups-1) and measures (after them). */
enum kh_err kh_agg_sql(const struct kh_agg *g, const struct kh_principal *who, struct kh_arena *a, struct kh_buf *sql,
		       struct kh_val *params, int *nparams, int maxparams);

#endif
