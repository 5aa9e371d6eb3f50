/* Forecast, funnel, win/loss and stuck deals: each one or two scoped queries,
 * then sums in C (periods and groups are small). */
#include "domain/forecast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/sales.h"
#include "domain/sales_pipeline.h"
#include "model/permission.h"
#include "util/clock.h"

#define MAX_PERIODS 36

void kh_period_of(const char *date, int quarter, char out[8])
{
	memcpy(out, date, 7);
	out[7] = '\0';
	if (quarter) {
		int month = (date[5] - '0') * 10 + (date[6] - '0');
		out[5] = 'Q';
		out[6] = (char)('1' + (month - 1) / 3);
	}
}

/* The first day of the period after the one starting at d. */
static void next_period(const char *d, int quarter, char out[11])
{
	int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
	int m = (d[5] - '0') * 10 + (d[6] - '0') + (quarter ? 3 : 1);
	if (m > 12)
		m -= 12, y++;
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%04d-%02d-01", y % 10000, m % 100);
	memcpy(out, tmp, 11);
}

static void period_start(const char *d, int quarter, char out[11])
{
	int m = (d[5] - '0') * 10 + (d[6] - '0');
	if (quarter)
		m = (m - 1) / 3 * 3 + 1;
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%.4s-%02d-01", d, m % 100);
	memcpy(out, tmp, 11);
}

/* Appends the scope of opportunities as "AND id IN (...)" so that it works
 * inside queries with joins and aliases. */
static void opp_scope(struct kh_ctx *ctx, struct kh_buf *sql, const char *col, struct kh_val *p, int *n, int max)
{
	const struct kh_entity *e = kh_entity_find("opportunities");
	if (kh_scope_of(ctx->who, e, KH_ACT_READ) == KH_SCOPE_ALL)
		return;
	kh_buf_addf(sql, " AND %s IN (SELECT id FROM opportunities WHERE 1 = 1", col);
	kh_scope_sql(ctx->who, e, KH_ACT_READ, sql, p, n, max);
	kh_buf_addc(sql, ')');
}

static int date_arg(struct kh_ctx *ctx, const char *name, const char *v)
{
	if (v && !kh_date_valid(v, strlen(v))) {
		kh_errinfo_field(ctx->ei, name, "must be a date YYYY-MM-DD");
		ctx->ei->code = KH_EINVAL;
		return -1;
	}
	return 0;
}

/* ---- users and teams ---- */

struct person {
	int64_t id, team;
	char *name;
};

static struct person *load_people(struct kh_ctx *ctx, int *n)
{
	struct kh_rows *rows;
	*n = 0;
	if (kh_db_query(ctx->db, "SELECT id, team_id, COALESCE(display_name, username) FROM users ORDER BY id", NULL, 0,
			&rows))
		return NULL;
	int cap = 64;
	struct person *p = kh_arena_alloc(ctx->arena, (size_t)cap * sizeof *p);
	while (p && kh_rows_next(ctx->db, rows) > 0) {
		if (*n == cap) {
			struct person *more = kh_arena_alloc(ctx->arena, (size_t)cap * 2 * sizeof *p);
			if (!more) {
				p = NULL;
				break;
			}
			memcpy(more, p, (size_t)cap * sizeof *p);
			p = more, cap *= 2;
		}
		struct kh_val t = kh_rows_col(ctx->db, rows, 1);
		p[*n].id = kh_rows_col(ctx->db, rows, 0).i;
		p[*n].team = t.t == KH_V_INT ? t.i : 0;
		p[*n].name = kh_arena_strdup(ctx->arena, kh_rows_col(ctx->db, rows, 2).s);
		(*n)++;
	}
	kh_rows_end(ctx->db, rows);
	return p;
}

static const struct person *person(const struct person *p, int n, int64_t id)
{
	int lo = 0, hi = n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (p[mid].id == id)
			return &p[mid];
		if (p[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static char *team_name(struct kh_ctx *ctx, int64_t team)
{
	struct kh_val t = KH_VINT(team);
	struct kh_rows *rows;
	char *name = NULL;
	if (kh_db_query(ctx->db, "SELECT name FROM teams WHERE id = $1", &t, 1, &rows) == KH_OK) {
		if (kh_rows_next(ctx->db, rows) > 0)
			name = kh_arena_strdup(ctx->arena, kh_rows_col(ctx->db, rows, 0).s);
		kh_rows_end(ctx->db, rows);
	}
	return name;
}

/* ---- forecast ---- */

struct cell {
	int64_t won, commit, best_case, pipeline, omitted, weighted100, quota;
	int has_quota;
	int64_t deals;
};

struct group {
	int64_t key;
	struct cell c[MAX_PERIODS];
};

static struct group *group_of(struct group **g, int *n, int *cap, int64_t key, struct kh_arena *a)
{
	for (int i = 0; i < *n; i++)
		if ((*g)[i].key == key)
			return &(*g)[i];
	if (*n == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		struct group *more = kh_arena_calloc(a, (size_t)ncap, sizeof *more);
		if (!more)
			return NULL;
		if (*n)
			memcpy(more, *g, (size_t)*n * sizeof *more);
		*g = more, *cap = ncap;
	}
	struct group *x = &(*g)[(*n)++];
	memset(x, 0, sizeof *x);
	x->key = key;
	return x;
}

static int period_index(char periods[][8], int np, const char *date, int quarter)
{
	char p[8];
	kh_period_of(date, quarter, p);
	for (int i = 0; i < np; i++)
		if (!strcmp(periods[i], p))
			return i;
	return -1;
}

static void write_cell(struct kh_jw *w, const struct cell *c)
{
	kh_jw_key(w, "won");
	kh_jw_int(w, c->won);
	kh_jw_key(w, "commit");
	kh_jw_int(w, c->commit);
	kh_jw_key(w, "best_case");
	kh_jw_int(w, c->best_case);
	kh_jw_key(w, "pipeline");
	kh_jw_int(w, c->pipeline);
	kh_jw_key(w, "weighted");
	kh_jw_int(w, (c->weighted100 + 50) / 100);
	/* What the period will likely bring: won plus committed; at best, plus best case. */
	kh_jw_key(w, "forecast");
	kh_jw_int(w, c->won + c->commit);
	kh_jw_key(w, "best");
	kh_jw_int(w, c->won + c->commit + c->best_case);
	kh_jw_key(w, "open_deals");
	kh_jw_int(w, c->deals);
	kh_jw_key(w, "quota");
	if (c->has_quota)
		kh_jw_int(w, c->quota);
	else
		kh_jw_null(w);
	kh_jw_key(w, "attainment");
	if (c->has_quota && c->quota > 0)
		kh_jw_double(w, round((double)c->won / (double)c->quota * 10000) / 10000);
	else
		kh_jw_null(w);
}

static void add_cell(struct cell *to, const struct cell *c)
{
	to->won += c->won, to->commit += c->commit, to->best_case += c->best_case, to->pipeline += c->pipeline;
	to->omitted += c->omitted, to->weighted100 += c->weighted100, to->deals += c->deals;
	if (c->has_quota)
		to->quota += c->quota, to->has_quota = 1;
}

/* Quotas for the groups and periods. A quarter without a quota of its own is
 * the sum of its months'; a team without one is the sum of its members'. In
 * that order: the group's own quota for the period, its months, its members'
 * for the period, its members' months. */
static enum kh_err load_quotas(struct kh_ctx *ctx, const char *currency, int by_team, struct group *g, int ng,
			       char periods[][8], int np, int quarter, const struct person *people, int npeople)
{
	struct kh_val c = KH_VTEXT(currency);
	struct kh_rows *rows;
	enum kh_err err = kh_db_query(ctx->db, "SELECT user_id, team_id, period, amount FROM kh_sales_quotas WHERE currency = $1",
				      &c, 1, &rows);
	if (err)
		return err;
	/* sums[group][period][source]: 0 own exact, 1 own months, 2 members exact, 3 members months */
	int64_t (*sums)[MAX_PERIODS][4] = kh_arena_calloc(ctx->arena, (size_t)ng + 1, sizeof *sums);
	unsigned char (*has)[MAX_PERIODS][4] = kh_arena_calloc(ctx->arena, (size_t)ng + 1, sizeof *has);
	if (!sums || !has) {
		kh_rows_end(ctx->db, rows);
		return KH_ENOMEM;
	}
	while (kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val u = kh_rows_col(ctx->db, rows, 0), t = kh_rows_col(ctx->db, rows, 1);
		const char *per = kh_rows_col(ctx->db, rows, 2).s;
		int64_t amount = kh_rows_col(ctx->db, rows, 3).i, key;
		int member = 0;
		if (!by_team && u.t != KH_V_INT)
			continue;
		if (!by_team)
			key = u.i;
		else if (u.t == KH_V_INT) {
			const struct person *ps = person(people, npeople, u.i);
			key = ps ? ps->team : 0;
			member = 1;
		} else {
			key = t.i;
		}
		int gi = -1;
		for (int i = 0; i < ng && gi < 0; i++)
			if (g[i].key == key)
				gi = i;
		if (gi < 0)
			continue;
		int is_month = per[5] != 'Q';
		for (int p = 0; p < np; p++) {
			int src = -1;
			if (!strcmp(periods[p], per))
				src = 0;
			else if (quarter && is_month && !strncmp(periods[p], per, 4) &&
				 ((per[5] - '0') * 10 + (per[6] - '0') - 1) / 3 + 1 == periods[p][6] - '0')
				src = 1;
			if (src < 0)
				continue;
			src += member ? 2 : 0;
			sums[gi][p][src] += amount;
			has[gi][p][src] = 1;
		}
	}
	kh_rows_end(ctx->db, rows);
	for (int i = 0; i < ng; i++)
		for (int p = 0; p < np; p++)
			for (int src = 0; src < 4; src++)
				if (has[i][p][src]) {
					g[i].c[p].quota = sums[i][p][src];
					g[i].c[p].has_quota = 1;
					break;
				}
	return KH_OK;
}

enum kh_err kh_forecast(struct kh_ctx *ctx, const struct kh_forecast_opts *o, struct kh_jw *w)
{
	if (date_arg(ctx, "from", o->from) || date_arg(ctx, "to", o->to))
		return KH_EINVAL;
	const char *currency = o->currency ? o->currency : "CNY";
	char today[11], from[11], to[11];
	kh_sales_today(today);
	period_start(o->from ? o->from : today, o->quarter, from);
	char periods[MAX_PERIODS][8], cursor[11];
	int np = 0;
	snprintf(cursor, sizeof cursor, "%s", from);
	int want = o->to ? MAX_PERIODS + 1 : (o->quarter ? 4 : 6);
	while (np < want && (!o->to || strcmp(cursor, o->to) < 0)) {
		if (np == MAX_PERIODS)
			return kh_errinfo_set(ctx->ei, KH_EINVAL, "at most %d periods at a time", MAX_PERIODS);
		kh_period_of(cursor, o->quarter, periods[np++]);
		next_period(cursor, o->quarter, to);
		snprintf(cursor, sizeof cursor, "%s", to);
	}
	snprintf(to, sizeof to, "%s", cursor);
	if (np == 0)
		return kh_errinfo_set(ctx->ei, KH_EINVAL, "to must be after from");
	int npeople;
	struct person *people = load_people(ctx, &npeople);
	if (!people && npeople)
		return KH_ENOMEM;
	struct group *g = NULL;
	int ng = 0, cap = 0;
	int64_t other = 0;
	for (int pass = 0; pass < 2; pass++) {
		struct kh_buf sql = KH_BUF_INIT;
		struct kh_val p[16] = {KH_VTEXT(from), KH_VTEXT(to)};
		int n = 2;
		if (pass == 0)
			kh_buf_adds(&sql, "SELECT owner_id, amount, probability, forecast_category, expected_close_date, currency "
					  "FROM opportunities WHERE archived_at IS NULL AND status = 'open' AND "
					  "expected_close_date >= $1 AND expected_close_date < $2");
		else
			kh_buf_adds(&sql, "SELECT owner_id, amount, 100, 'won', closed_at, currency FROM opportunities WHERE "
					  "archived_at IS NULL AND status = 'won' AND closed_at >= $1 AND closed_at < $2");
		opp_scope(ctx, &sql, "id", p, &n, 16);
		struct kh_rows *rows;
		enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
		kh_buf_release(&sql);
		if (err)
			return kh_errinfo_set(ctx->ei, err, "cannot read the opportunities");
		while (kh_rows_next(ctx->db, rows) > 0) {
			struct kh_val v[6];
			for (int i = 0; i < 6; i++)
				v[i] = kh_rows_col(ctx->db, rows, i);
			if (v[5].t == KH_V_TEXT && strcmp(v[5].s, currency)) {
				other++;
				continue;
			}
			int pi = v[4].t == KH_V_TEXT ? period_index(periods, np, v[4].s, o->quarter) : -1;
			if (pi < 0)
				continue;
			int64_t owner = v[0].t == KH_V_INT ? v[0].i : 0;
			int64_t key = owner;
			if (o->by_team) {
				const struct person *ps = person(people, npeople, owner);
				key = ps ? ps->team : 0;
			}
			struct group *x = group_of(&g, &ng, &cap, key, ctx->arena);
			if (!x) {
				kh_rows_end(ctx->db, rows);
				return KH_ENOMEM;
			}
			int64_t amount = v[1].t == KH_V_INT ? v[1].i : 0, prob = v[2].t == KH_V_INT ? v[2].i : 0;
			struct cell *c = &x->c[pi];
			const struct kh_val *cat = &v[3];
			if (pass == 1) {
				c->won += amount;
				continue;
			}
			c->deals++;
			c->weighted100 += amount * prob;
			if (kh_sales_is(cat, "commit"))
				c->commit += amount;
			else if (kh_sales_is(cat, "best_case"))
				c->best_case += amount;
			else if (kh_sales_is(cat, "omitted"))
				c->omitted += amount;
			else
				c->pipeline += amount;
		}
		kh_rows_end(ctx->db, rows);
	}
	/* Everyone with a quota shows, even without deals. */
	{
		struct kh_val c = KH_VTEXT(currency);
		struct kh_rows *rows;
		if (kh_db_query(ctx->db, "SELECT DISTINCT user_id, team_id FROM kh_sales_quotas WHERE currency = $1", &c, 1,
				&rows) == KH_OK) {
			while (kh_rows_next(ctx->db, rows) > 0) {
				struct kh_val u = kh_rows_col(ctx->db, rows, 0), t = kh_rows_col(ctx->db, rows, 1);
				int64_t key = -1;
				if (!o->by_team && u.t == KH_V_INT)
					key = u.i;
				else if (o->by_team && t.t == KH_V_INT)
					key = t.i;
				else if (o->by_team && u.t == KH_V_INT) {
					const struct person *ps = person(people, npeople, u.i);
					key = ps ? ps->team : 0;
				}
				/* A sales rep sees only themselves. */
				if (key > 0 && kh_scope_of(ctx->who, kh_entity_find("opportunities"), KH_ACT_READ) == KH_SCOPE_OWN &&
				    (o->by_team ? key != ctx->who->team_id : key != ctx->who->user_id))
					continue;
				if (key >= 0 && !group_of(&g, &ng, &cap, key, ctx->arena)) {
					kh_rows_end(ctx->db, rows);
					return KH_ENOMEM;
				}
			}
			kh_rows_end(ctx->db, rows);
		}
	}
	enum kh_err err = load_quotas(ctx, currency, o->by_team, g, ng, periods, np, o->quarter, people, npeople);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the quotas");
	/* Groups in order of key, "nobody" last. */
	for (int i = 1; i < ng; i++)
		for (int k = i; k > 0 && (g[k - 1].key == 0 || (g[k].key != 0 && g[k].key < g[k - 1].key)); k--) {
			struct group t = g[k];
			g[k] = g[k - 1];
			g[k - 1] = t;
		}
	kh_jw_obj(w);
	kh_jw_key(w, "period");
	kh_jw_str(w, o->quarter ? "quarter" : "month");
	kh_jw_key(w, "group");
	kh_jw_str(w, o->by_team ? "team" : "owner");
	kh_jw_key(w, "currency");
	kh_jw_str(w, currency);
	kh_jw_key(w, "from");
	kh_jw_str(w, from);
	kh_jw_key(w, "to");
	kh_jw_str(w, to);
	kh_jw_key(w, "periods");
	kh_jw_arr(w);
	for (int p = 0; p < np; p++)
		kh_jw_str(w, periods[p]);
	kh_jw_arr_end(w);
	struct cell tot[MAX_PERIODS], grand;
	memset(tot, 0, sizeof tot);
	memset(&grand, 0, sizeof grand);
	kh_jw_key(w, "rows");
	kh_jw_arr(w);
	for (int i = 0; i < ng; i++) {
		kh_jw_obj(w);
		kh_jw_key(w, o->by_team ? "team_id" : "owner_id");
		if (g[i].key)
			kh_jw_int(w, g[i].key);
		else
			kh_jw_null(w);
		kh_jw_key(w, "name");
		const struct person *ps = o->by_team ? NULL : person(people, npeople, g[i].key);
		kh_jw_str(w, o->by_team ? (g[i].key ? team_name(ctx, g[i].key) : NULL) : ps ? ps->name : NULL);
		struct cell sum;
		memset(&sum, 0, sizeof sum);
		kh_jw_key(w, "periods");
		kh_jw_arr(w);
		for (int p = 0; p < np; p++) {
			kh_jw_obj(w);
			kh_jw_key(w, "period");
			kh_jw_str(w, periods[p]);
			write_cell(w, &g[i].c[p]);
			kh_jw_obj_end(w);
			add_cell(&sum, &g[i].c[p]);
			add_cell(&tot[p], &g[i].c[p]);
		}
		kh_jw_arr_end(w);
		kh_jw_key(w, "total");
		kh_jw_obj(w);
		write_cell(w, &sum);
		kh_jw_obj_end(w);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "totals");
	kh_jw_arr(w);
	for (int p = 0; p < np; p++) {
		kh_jw_obj(w);
		kh_jw_key(w, "period");
		kh_jw_str(w, periods[p]);
		write_cell(w, &tot[p]);
		kh_jw_obj_end(w);
		add_cell(&grand, &tot[p]);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "total");
	kh_jw_obj(w);
	write_cell(w, &grand);
	kh_jw_obj_end(w);
	kh_jw_key(w, "excluded_other_currency");
	kh_jw_int(w, other);
	kh_jw_obj_end(w);
	return KH_OK;
}

/* ---- funnel ---- */

static double days_between(const char *a, const char *b)
{
	int64_t x, y;
	if (!a || !b || kh_time_parse(a, strlen(a), &x) || kh_time_parse(b, strlen(b), &y))
		return NAN;
	return (double)(y - x) / 86400e6;
}

enum kh_err kh_funnel(struct kh_ctx *ctx, int64_t pipeline_id, const char *from, const char *to, struct kh_jw *w)
{
	if (date_arg(ctx, "from", from) || date_arg(ctx, "to", to))
		return KH_EINVAL;
	struct kh_pipeline pl;
	enum kh_err err = kh_pipeline_load(ctx->db, pipeline_id, &pl);
	if (err == KH_ENOTFOUND)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "no such pipeline");
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the pipeline");
	int won_at = kh_pipeline_stage(&pl, "closed_won"), lost_at = kh_pipeline_stage(&pl, "closed_lost");
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[16] = {KH_VINT(pl.id), KH_VTEXT(from ? from : "0000-01-01"), KH_VTEXT(to ? to : "9999-12-31")};
	int n = 3;
	/* Deals of the pipeline (or of none, for the default one), created in the range. */
	kh_buf_addf(&sql,
		    "SELECT o.id, o.status, o.created_at, o.closed_at, h.stage, h.entered_at, h.left_at FROM opportunities o "
		    "LEFT JOIN kh_stage_history h ON h.opportunity_id = o.id WHERE o.archived_at IS NULL AND "
		    "(o.pipeline_id = $1%s) AND o.created_at >= $2 AND o.created_at < $3",
		    kh_pipeline_stage(&pl, "prospecting") >= 0 && pipeline_id == 0 ? " OR o.pipeline_id IS NULL" : "");
	opp_scope(ctx, &sql, "o.id", p, &n, 16);
	kh_buf_adds(&sql, " ORDER BY o.id, h.id");
	struct kh_rows *rows;
	err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err) {
		kh_pipeline_release(&pl);
		return kh_errinfo_set(ctx->ei, err, "cannot read the opportunities");
	}
	int64_t reached[KH_PIPE_MAX_STAGES] = {0}, deals = 0, won = 0, lost = 0, open = 0;
	double stage_days[KH_PIPE_MAX_STAGES] = {0}, cycle_won = 0, cycle_lost = 0;
	int64_t stage_n[KH_PIPE_MAX_STAGES] = {0};
	int64_t cur = -1;
	int maxi = -1, status_won = 0, status_lost = 0;
	char created[KH_TIME_LEN] = "", closed[KH_TIME_LEN] = "";
	/* Rows come grouped by deal; finish a deal when the next one starts. */
	int rc;
	for (;;) {
		rc = kh_rows_next(ctx->db, rows);
		int64_t id = rc > 0 ? kh_rows_col(ctx->db, rows, 0).i : -2;
		if (id != cur && cur >= 0) {
			deals++;
			if (status_won) {
				/* A won deal went through every open stage. */
				for (int s = 0; s < pl.nstages; s++)
					if (s != lost_at)
						reached[s]++;
				won++;
				cycle_won += days_between(created, closed);
			} else {
				for (int s = 0; s <= maxi; s++)
					if (s != lost_at && s != won_at)
						reached[s]++;
				if (status_lost) {
					lost++;
					reached[lost_at]++;
					cycle_lost += days_between(created, closed);
				} else {
					open++;
				}
			}
		}
		if (rc <= 0)
			break;
		if (id != cur) {
			cur = id;
			maxi = -1;
			struct kh_val st = kh_rows_col(ctx->db, rows, 1), cr = kh_rows_col(ctx->db, rows, 2),
				      cl = kh_rows_col(ctx->db, rows, 3);
			status_won = kh_sales_is(&st, "won");
			status_lost = kh_sales_is(&st, "lost");
			snprintf(created, sizeof created, "%s", cr.t == KH_V_TEXT ? cr.s : "");
			snprintf(closed, sizeof closed, "%s", cl.t == KH_V_TEXT ? cl.s : "");
		}
		struct kh_val stage = kh_rows_col(ctx->db, rows, 4), in = kh_rows_col(ctx->db, rows, 5),
			      out = kh_rows_col(ctx->db, rows, 6);
		int s = stage.t == KH_V_TEXT ? kh_pipeline_stage(&pl, stage.s) : -1;
		if (s < 0)
			continue;
		if (s != lost_at && s != won_at && s > maxi)
			maxi = s;
		if (out.t == KH_V_TEXT && in.t == KH_V_TEXT) {
			double d = days_between(in.s, out.s);
			if (!isnan(d)) {
				stage_days[s] += d;
				stage_n[s]++;
			}
		}
	}
	kh_rows_end(ctx->db, rows);
	if (rc < 0) {
		kh_pipeline_release(&pl);
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read the opportunities");
	}
	kh_jw_obj(w);
	kh_jw_key(w, "pipeline_id");
	kh_jw_int(w, pl.id);
	kh_jw_key(w, "deals");
	kh_jw_int(w, deals);
	kh_jw_key(w, "open");
	kh_jw_int(w, open);
	kh_jw_key(w, "won");
	kh_jw_int(w, won);
	kh_jw_key(w, "lost");
	kh_jw_int(w, lost);
	kh_jw_key(w, "win_rate");
	if (won + lost)
		kh_jw_double(w, round((double)won / (double)(won + lost) * 10000) / 10000);
	else
		kh_jw_null(w);
	kh_jw_key(w, "avg_cycle_days_won");
	if (won)
		kh_jw_double(w, round(cycle_won / (double)won * 10) / 10);
	else
		kh_jw_null(w);
	kh_jw_key(w, "avg_cycle_days_lost");
	if (lost)
		kh_jw_double(w, round(cycle_lost / (double)lost * 10) / 10);
	else
		kh_jw_null(w);
	kh_jw_key(w, "stages");
	kh_jw_arr(w);
	for (int s = 0; s < pl.nstages; s++) {
		kh_jw_obj(w);
		kh_jw_key(w, "stage");
		kh_jw_str(w, pl.stages[s].key);
		kh_jw_key(w, "probability");
		kh_jw_int(w, pl.stages[s].probability);
		kh_jw_key(w, "reached");
		kh_jw_int(w, reached[s]);
		/* To the next open stage (or to won from the last one). */
		int next = -1;
		for (int k = s + 1; k < pl.nstages && next < 0; k++)
			if (k != lost_at)
				next = k;
		kh_jw_key(w, "conversion_to_next");
		if (s != won_at && s != lost_at && next >= 0 && reached[s])
			kh_jw_double(w, round((double)reached[next] / (double)reached[s] * 10000) / 10000);
		else
			kh_jw_null(w);
		kh_jw_key(w, "avg_days_in_stage");
		if (stage_n[s])
			kh_jw_double(w, round(stage_days[s] / (double)stage_n[s] * 10) / 10);
		else
			kh_jw_null(w);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	kh_pipeline_release(&pl);
	return KH_OK;
}

/* ---- win / loss ---- */

struct wl {
	char *key;
	int64_t id;
	int64_t won, won_amount, lost, lost_amount;
};

enum kh_err kh_win_loss(struct kh_ctx *ctx, const char *by, const char *from, const char *to, const char *currency,
			struct kh_jw *w)
{
	if (date_arg(ctx, "from", from) || date_arg(ctx, "to", to))
		return KH_EINVAL;
	if (!by)
		by = "reason";
	if (strcmp(by, "reason") && strcmp(by, "source") && strcmp(by, "owner")) {
		kh_errinfo_field(ctx->ei, "by", "must be reason, source or owner");
		return ctx->ei->code = KH_EINVAL;
	}
	if (!currency)
		currency = "CNY";
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[16] = {KH_VTEXT(from ? from : "0000-01-01"), KH_VTEXT(to ? to : "9999-12-31"), KH_VTEXT(currency)};
	int n = 3;
	kh_buf_adds(&sql, "SELECT status, amount, won_reason, lost_reason, source, owner_id FROM opportunities WHERE "
			  "archived_at IS NULL AND status IN ('won', 'lost') AND closed_at >= $1 AND closed_at < $2 AND "
			  "currency = $3");
	opp_scope(ctx, &sql, "id", p, &n, 16);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the opportunities");
	int cap = 64, ng = 0;
	struct wl *g = kh_arena_calloc(ctx->arena, (size_t)cap, sizeof *g);
	int64_t won = 0, lost = 0;
	while (g && kh_rows_next(ctx->db, rows) > 0) {
		struct kh_val v[6];
		for (int i = 0; i < 6; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		int is_won = kh_sales_is(&v[0], "won");
		won += is_won, lost += !is_won;
		const struct kh_val *k = !strcmp(by, "reason") ? &v[is_won ? 2 : 3] : !strcmp(by, "source") ? &v[4] : NULL;
		int64_t id = !strcmp(by, "owner") && v[5].t == KH_V_INT ? v[5].i : 0;
		int gi = -1;
		for (int i = 0; i < ng && gi < 0; i++) {
			/* Reasons are kept apart for won and lost deals. */
			int same_side = strcmp(by, "reason") || (is_won ? g[i].won : g[i].lost) > 0 ||
					(!g[i].won && !g[i].lost);
			if (k ? (k->t == KH_V_TEXT ? g[i].key && !strcmp(g[i].key, k->s) : !g[i].key) && same_side
			      : g[i].id == id)
				gi = i;
		}
		if (gi < 0) {
			if (ng == cap) {
				struct wl *more = kh_arena_calloc(ctx->arena, (size_t)cap * 2, sizeof *more);
				if (!more) {
					g = NULL;
					break;
				}
				memcpy(more, g, (size_t)cap * sizeof *g);
				g = more, cap *= 2;
			}
			gi = ng++;
			g[gi].key = k && k->t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, k->s) : NULL;
			g[gi].id = id;
		}
		int64_t amount = v[1].t == KH_V_INT ? v[1].i : 0;
		if (is_won)
			g[gi].won++, g[gi].won_amount += amount;
		else
			g[gi].lost++, g[gi].lost_amount += amount;
	}
	kh_rows_end(ctx->db, rows);
	if (!g)
		return KH_ENOMEM;
	int npeople = 0;
	struct person *people = !strcmp(by, "owner") ? load_people(ctx, &npeople) : NULL;
	kh_jw_obj(w);
	kh_jw_key(w, "by");
	kh_jw_str(w, by);
	kh_jw_key(w, "currency");
	kh_jw_str(w, currency);
	kh_jw_key(w, "won");
	kh_jw_int(w, won);
	kh_jw_key(w, "lost");
	kh_jw_int(w, lost);
	kh_jw_key(w, "win_rate");
	if (won + lost)
		kh_jw_double(w, round((double)won / (double)(won + lost) * 10000) / 10000);
	else
		kh_jw_null(w);
	kh_jw_key(w, "groups");
	kh_jw_arr(w);
	for (int i = 0; i < ng; i++) {
		kh_jw_obj(w);
		kh_jw_key(w, "key");
		if (!strcmp(by, "owner")) {
			const struct person *ps = person(people, npeople, g[i].id);
			if (g[i].id)
				kh_jw_int(w, g[i].id);
			else
				kh_jw_null(w);
			kh_jw_key(w, "name");
			kh_jw_str(w, ps ? ps->name : NULL);
		} else {
			kh_jw_str(w, g[i].key);
		}
		kh_jw_key(w, "won");
		kh_jw_int(w, g[i].won);
		kh_jw_key(w, "won_amount");
		kh_jw_int(w, g[i].won_amount);
		kh_jw_key(w, "lost");
		kh_jw_int(w, g[i].lost);
		kh_jw_key(w, "lost_amount");
		kh_jw_int(w, g[i].lost_amount);
		kh_jw_key(w, "win_rate");
		if (g[i].won + g[i].lost)
			kh_jw_double(w, round((double)g[i].won / (double)(g[i].won + g[i].lost) * 10000) / 10000);
		else
			kh_jw_null(w);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_obj_end(w);
	return KH_OK;
}

/* ---- stuck deals ---- */

struct pipe_limits {
	int64_t id;
	struct kh_pipeline p;
};

enum kh_err kh_stuck(struct kh_ctx *ctx, int idle_days, int limit, struct kh_jw *w)
{
	/* The usual days in each stage, from the completed stays. */
	struct kh_rows *rows;
	char stages[32][32];
	double avg[32];
	int ns = 0;
	enum kh_err err = kh_db_query(ctx->db,
				      "SELECT stage, entered_at, left_at FROM kh_stage_history WHERE left_at IS NOT NULL ORDER BY stage",
				      NULL, 0, &rows);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the stage history");
	double sum[32] = {0};
	int64_t cnt[32] = {0};
	while (kh_rows_next(ctx->db, rows) > 0) {
		const char *s = kh_rows_col(ctx->db, rows, 0).s;
		int i = 0;
		while (i < ns && strcmp(stages[i], s))
			i++;
		if (i == ns) {
			if (ns == 32)
				continue;
			snprintf(stages[ns++], sizeof stages[0], "%s", s);
		}
		double d = days_between(kh_rows_col(ctx->db, rows, 1).s, kh_rows_col(ctx->db, rows, 2).s);
		if (!isnan(d))
			sum[i] += d, cnt[i]++;
	}
	kh_rows_end(ctx->db, rows);
	for (int i = 0; i < ns; i++)
		avg[i] = cnt[i] >= 3 ? sum[i] / (double)cnt[i] : NAN; /* too few stays say nothing usual */
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[16];
	int n = 0;
	kh_buf_adds(&sql, "SELECT o.id, o.name, o.owner_id, o.stage, o.amount, o.currency, o.pipeline_id, "
			  "COALESCE(o.stage_changed_at, o.created_at), (SELECT MAX(a.created_at) FROM activities a WHERE "
			  "a.opportunity_id = o.id AND a.archived_at IS NULL), o.created_at FROM opportunities o WHERE "
			  "o.archived_at IS NULL AND o.status = 'open'");
	opp_scope(ctx, &sql, "o.id", p, &n, 16);
	kh_buf_adds(&sql, " ORDER BY o.id");
	err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the opportunities");
	struct deal {
		int64_t id, owner, amount, pipeline;
		char *name, *stage, *currency, *since, *last;
	};
	int cap = 256, nd = 0;
	struct deal *d = malloc((size_t)cap * sizeof *d);
	while (d && kh_rows_next(ctx->db, rows) > 0) {
		if (nd == cap) {
			struct deal *more = realloc(d, (size_t)(cap *= 2) * sizeof *d);
			if (!more) {
				free(d);
				d = NULL;
				break;
			}
			d = more;
		}
		struct kh_val v[10];
		for (int i = 0; i < 10; i++)
			v[i] = kh_rows_col(ctx->db, rows, i);
		struct deal *x = &d[nd++];
		x->id = v[0].i;
		x->name = kh_arena_strdup(ctx->arena, v[1].t == KH_V_TEXT ? v[1].s : "");
		x->owner = v[2].t == KH_V_INT ? v[2].i : 0;
		x->stage = kh_arena_strdup(ctx->arena, v[3].t == KH_V_TEXT ? v[3].s : "");
		x->amount = v[4].t == KH_V_INT ? v[4].i : 0;
		x->currency = kh_arena_strdup(ctx->arena, v[5].t == KH_V_TEXT ? v[5].s : "CNY");
		x->pipeline = v[6].t == KH_V_INT ? v[6].i : 0;
		x->since = kh_arena_strdup(ctx->arena, v[7].t == KH_V_TEXT ? v[7].s : "");
		x->last = v[8].t == KH_V_TEXT ? kh_arena_strdup(ctx->arena, v[8].s) : NULL;
	}
	kh_rows_end(ctx->db, rows);
	if (!d)
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	char now[KH_TIME_LEN];
	kh_time_format(kh_now(), now);
	/* Pipelines' max_days, loaded once each. */
	struct pipe_limits pls[16];
	int npl = 0;
	int64_t flagged = 0;
	kh_jw_obj(w);
	kh_jw_key(w, "idle_days");
	kh_jw_int(w, idle_days);
	kh_jw_key(w, "data");
	kh_jw_arr(w);
	for (int i = 0; i < nd; i++) {
		struct deal *x = &d[i];
		int k = 0;
		while (k < npl && pls[k].id != x->pipeline)
			k++;
		if (k == npl && npl < 16) {
			if (kh_pipeline_load(ctx->db, x->pipeline, &pls[npl].p) == KH_OK) {
				pls[npl].id = x->pipeline;
				npl++;
			} else {
				k = 16;
			}
		}
		int max_days = 0;
		if (k < npl) {
			int s = kh_pipeline_stage(&pls[k].p, x->stage);
			max_days = s >= 0 ? pls[k].p.stages[s].max_days : 0;
		}
		double in_stage = days_between(x->since, now);
		double quiet = days_between(x->last ? x->last : x->since, now);
		double usual = NAN;
		for (int s = 0; s < ns; s++)
			if (!strcmp(stages[s], x->stage))
				usual = avg[s];
		int idle = !isnan(quiet) && quiet >= idle_days;
		int over = !isnan(in_stage) &&
			   (max_days ? in_stage > max_days : !isnan(usual) && in_stage > 2 * usual && in_stage >= 1);
		if (!idle && !over)
			continue;
		if (flagged++ >= limit)
			continue;
		kh_jw_obj(w);
		kh_jw_key(w, "id");
		kh_jw_int(w, x->id);
		kh_jw_key(w, "name");
		kh_jw_str(w, x->name);
		kh_jw_key(w, "owner_id");
		if (x->owner)
			kh_jw_int(w, x->owner);
		else
			kh_jw_null(w);
		kh_jw_key(w, "stage");
		kh_jw_str(w, x->stage);
		kh_jw_key(w, "amount");
		kh_jw_int(w, x->amount);
		kh_jw_key(w, "currency");
		kh_jw_str(w, x->currency);
		kh_jw_key(w, "days_in_stage");
		kh_jw_double(w, round(in_stage * 10) / 10);
		kh_jw_key(w, "stage_limit_days");
		if (max_days)
			kh_jw_int(w, max_days);
		else if (!isnan(usual))
			kh_jw_double(w, round(2 * usual * 10) / 10);
		else
			kh_jw_null(w);
		kh_jw_key(w, "last_activity_at");
		kh_jw_str(w, x->last);
		kh_jw_key(w, "days_without_activity");
		kh_jw_double(w, round(quiet * 10) / 10);
		kh_jw_key(w, "reasons");
		kh_jw_arr(w);
		if (idle)
			kh_jw_str(w, "no_activity");
		if (over)
			kh_jw_str(w, "over_stage_time");
		kh_jw_arr_end(w);
		kh_jw_obj_end(w);
	}
	kh_jw_arr_end(w);
	kh_jw_key(w, "total");
	kh_jw_int(w, flagged);
	kh_jw_obj_end(w);
	for (int i = 0; i < npl; i++)
		kh_pipeline_release(&pls[i].p);
	free(d);
	return KH_OK;
}
