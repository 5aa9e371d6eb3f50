/* On-demand analyses for the API: the principal's data, the analysis, and the
 * cache in front of both (analytics.h, analytics_scores.h). */
#include <stdio.h>
#include <string.h>

#include "domain/analytics.h"
#include "domain/analytics_scores.h"
#include "model/permission.h"
#include "util/log.h"

/* The shape of the cached answers; bump it when any of them changes. */
#define KH_AN_FORMAT 1

typedef enum kh_err (*run_fn)(const struct kh_an_data *, const struct kh_an_opts *, struct kh_an_out *,
			      struct kh_errinfo *);

#define WRAP(name)                                                                                               \
	static enum kh_err run_##name(const struct kh_an_data *d, const struct kh_an_opts *o, struct kh_an_out *out, \
				      struct kh_errinfo *ei)                                                     \
	{                                                                                                        \
		return kh_an_##name(d, o, out, NULL, ei);                                                        \
	}
WRAP(rfm)
WRAP(abc)
WRAP(clv)
WRAP(churn)
WRAP(segments)
WRAP(lifecycle)
WRAP(profitability)

static const struct {
	const char *name;
	run_fn run;
} table[] = {
	{"rfm", run_rfm},
	{"abc", run_abc},
	{"clv", run_clv},
	{"churn", run_churn},
	{"segments", run_segments},
	{"baskets", kh_an_baskets},
	{"lifecycle", run_lifecycle},
	{"profitability", run_profitability},
	{"cohorts", kh_an_cohorts},
	{"survival", kh_an_survival},
};

int kh_an_known(const char *name)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(table[i].name, name))
			return 1;
	return 0;
}

/* Whose view of the data a result is: everyone with the "all" scope on the
 * entities analyses read shares one cached answer; anyone else has their own. */
static void scope_key(const struct kh_principal *who, char out[32])
{
	static const char *const read[] = {"orders", "order_lines", "cases", "products", "contacts", "accounts"};
	for (size_t i = 0; i < sizeof read / sizeof read[0]; i++)
		if (kh_scope_of(who, kh_entity_find(read[i]), KH_ACT_READ) != KH_SCOPE_ALL) {
			snprintf(out, 32, "u%lld", (long long)who->user_id);
			return;
		}
	snprintf(out, 32, "all");
}

enum kh_err kh_an_cached(struct kh_ctx *ctx, const char *what, const char *params,
			 enum kh_err (*fn)(struct kh_ctx *, const void *, struct kh_jw *), const void *arg, struct kh_jw *w,
			 int *cached)
{
	*cached = 0;
	char version[96], scope[32];
	scope_key(ctx->who, scope);
	/* The format number changes when answers change shape, so that an
	 * upgraded server does not serve what the old one cached. */
	char *key = kh_arena_printf(ctx->arena, "%s?%s&scope=%s&format=%d", what, params, scope, KH_AN_FORMAT);
	if (!key)
		return KH_ENOMEM;
	enum kh_err err = kh_an_data_version(ctx->db, version);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read the data version");
	/* An answer is reused while no order, line, case or product has been
	 * added or changed, for up to six hours (changes made behind the write
	 * path, such as bulk loads, are caught by the ids or by the age). */
	struct kh_buf body = KH_BUF_INIT;
	int hit = 0;
	if (kh_an_cache_get(ctx->db, key, version, 6 * 3600, &body, &hit) == KH_OK && hit) {
		kh_jw_raw(w, body.data, body.len);
		kh_buf_release(&body);
		*cached = 1;
		return KH_OK;
	}
	kh_buf_release(&body);
	struct kh_buf out = KH_BUF_INIT;
	struct kh_jw jw;
	kh_jw_init(&jw, &out);
	err = fn(ctx, arg, &jw);
	if (!err && out.err)
		err = kh_errinfo_set(ctx->ei, out.err, "the answer could not be built");
	if (!err) {
		kh_jw_raw(w, out.data, out.len);
		/* A cache that cannot be written costs time, not correctness. */
		if (kh_an_cache_put(ctx->db, key, version, out.data, out.len))
			kh_warn("analytics: cannot cache %s", what);
	}
	kh_buf_release(&out);
	return err;
}

struct answer_arg {
	run_fn run;
	const struct kh_an_opts *o;
	enum kh_an_by by;
};

static enum kh_err answer(struct kh_ctx *ctx, const void *arg, struct kh_jw *w)
{
	const struct answer_arg *a = arg;
	struct kh_an_data d;
	enum kh_err err = kh_an_load_db(ctx, a->by, a->o->as_of, &d, NULL, NULL);
	if (err)
		return err;
	struct kh_an_out ao = {w, NULL};
	err = d.n ? a->run(&d, a->o, &ao, ctx->ei)
		  : kh_errinfo_set(ctx->ei, KH_EINVAL, "there are no purchases to analyse up to the as-of date");
	kh_an_data_release(&d);
	return err;
}

enum kh_err kh_an_answer(struct kh_ctx *ctx, const char *name, const struct kh_an_opts *o, enum kh_an_by by,
			 const char *params, struct kh_jw *w, int *cached)
{
	struct answer_arg a = {NULL, o, by};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(table[i].name, name))
			a.run = table[i].run;
	if (!a.run)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "there is no analysis named %s", name);
	char *p = kh_arena_printf(ctx->arena, "%s&by=%s", params, by == KH_AN_ACCOUNT ? "account" : "contact");
	return p ? kh_an_cached(ctx, name, p, answer, &a, w, cached) : KH_ENOMEM;
}
