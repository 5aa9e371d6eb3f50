/* kehu demo --db PATH [--customers N] [--seed S]
 *
 * Fills a database with realistic, reproducible demo data through the same
 * write path as the API (in bulk mode: big transactions, no per-record audit).
 * Customers buy the way the CRM literature models them: each has a purchase
 * rate drawn from a gamma distribution and may drop out after any purchase
 * (the BG/NBD story), so the analytics have something real to find. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/demo_data.h"
#include "cli/options.h"
#include "domain/write.h"
#include "model/schema.h"
#include "util/clock.h"
#include "util/progress.h"
#include "util/log.h"

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define DAY_US (86400LL * 1000000)
#define HISTORY_DAYS 1095 /* three years */

/* ---- reproducible randomness: xoshiro256** seeded by splitmix64 ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(struct rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
	return result;
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = z ^ (z >> 31);
	}
}

static double unif(struct rng *r)
{
	return (double)(next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int64_t below(struct rng *r, int64_t n)
{
	return n <= 1 ? 0 : (int64_t)(unif(r) * (double)n);
}

static int chance(struct rng *r, double p)
{
	return unif(r) < p;
}

static double normal(struct rng *r)
{
	double u = unif(r), v = unif(r);
	return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* Marsaglia and Tsang's method; shape < 1 by the boost u^(1/shape). */
static double gamma_draw(struct rng *r, double shape, double scale)
{
	if (shape < 1)
		return gamma_draw(r, shape + 1, scale) * pow(unif(r) + 1e-300, 1.0 / shape);
	double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
	for (;;) {
		double x = normal(r), v = 1 + c * x;
		if (v <= 0)
			continue;
		v = v * v * v;
		double u = unif(r);
		if (log(u + 1e-300) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v * scale;
	}
}

static double beta_draw(struct rng *r, double a, double b)
{
	double x = gamma_draw(r, a, 1), y = gamma_draw(r, b, 1);
	return x / (x + y);
}

/* Picks from an array of strings (or enum values) by index. */
#define PICK(r, arr) ((arr)[below(r, N_OF(arr))])

/* ---- the loader ---- */

struct demo {
	struct rng rng;
	struct kh_db *db;
	struct kh_ctx ctx;
	struct kh_arena arena;
	struct kh_errinfo ei;
	struct kh_principal who;
	int64_t today; /* days since 1970 */
	long done, total, in_batch;
	struct kh_progress bar;
	const char *stage;
	int64_t stage_started;
	int64_t *users, *reps, *agents;
	int nusers, nreps, nagents;
	int64_t ncampaigns, nproducts, naccounts, ncontacts, nopps;
	int64_t first_campaign, first_product, first_account, first_contact, first_opp, first_order;
	int64_t *product_price;
	int64_t *contact_account; /* account of each contact, or 0 */
	int nlines_est;
};

static void progress(struct demo *d, int force)
{
	kh_progress_draw(&d->bar, d->done, d->total, force, "%-14s", d->stage);
}

/* Moves to the next stage; with KEHU_LOG=debug, says how long the last one took. */
static void set_stage(struct demo *d, const char *stage)
{
	int64_t now = kh_now();
	if (d->stage && *d->stage)
		kh_debug("demo: %s took %.2f s", d->stage, (double)(now - d->stage_started) / 1e6);
	d->stage = stage;
	d->stage_started = now;
}

static int fail(struct demo *d, const char *what)
{
	kh_progress_end(&d->bar);
	fprintf(stderr, "kehu demo: %s: %s", what, d->ei.msg ? d->ei.msg : "failed");
	for (int i = 0; i < d->ei.nfields; i++)
		fprintf(stderr, "%s %s %s", i ? "," : ":", d->ei.fields[i].field, d->ei.fields[i].msg);
	fputc('\n', stderr);
	return -1;
}

/* Commits what is written and goes on in a new transaction: WAL checkpoints
 * copy only committed pages back into the database, so a load in one
 * transaction kept every page it wrote in the WAL as well (at 10 million
 * customers, indexes and search index in one transaction filled 36 GB of
 * disk with a WAL on top of the database). */
static int next_tx(struct demo *d, const char *what)
{
	return kh_db_commit(d->db) || kh_db_begin(d->db, KH_TX_WRITE) ? fail(d, what) : 0;
}

/* Commits every 20,000 records: big enough to load fast, small enough that
 * memory stays flat. */
static int step(struct demo *d)
{
	d->done++;
	if (++d->in_batch >= 20000) {
		if (next_tx(d, "commit"))
			return -1;
		d->in_batch = 0;
		kh_arena_release(&d->arena);
	}
	progress(d, 0);
	return 0;
}

struct rec {
	struct demo *d;
	struct kh_values v;
};

static int rec_start(struct demo *d, struct rec *r, const char *entity)
{
	r->d = d;
	return kh_values_init(&r->v, kh_entity_find(entity), &d->arena);
}

static void set(struct rec *r, const char *field, struct kh_val v)
{
	int i = kh_field_index(r->v.e, field);
	if (i < 0) {
		fprintf(stderr, "kehu demo: no field %s.%s\n", r->v.e->name, field);
		abort();
	}
	r->v.v[i] = v;
	r->v.set[i] = 1;
}

static void set_int(struct rec *r, const char *field, int64_t x)
{
	set(r, field, KH_VINT(x));
}

static void set_str(struct rec *r, const char *field, const char *s)
{
	if (s)
		set(r, field, KH_VTEXT(kh_arena_strdup(&r->d->arena, s)));
}

static void set_date(struct rec *r, const char *field, int64_t day)
{
	char *s = kh_arena_alloc(&r->d->arena, 11);
	kh_date_format(day, s);
	set(r, field, KH_VTEXT(s));
}

static void set_time(struct rec *r, const char *field, int64_t day, struct rng *g)
{
	char *s = kh_arena_alloc(&r->d->arena, KH_TIME_LEN);
	/* Office hours in China (UTC+8): 01:00 to 10:00 UTC. */
	kh_time_format(day * DAY_US + (1 * 3600 + below(g, 9 * 3600)) * 1000000LL, s);
	set(r, field, KH_VTEXT(s));
}

static int rec_put(struct rec *r, int64_t *id)
{
	int64_t tmp;
	if (kh_record_insert(&r->d->ctx, &r->v, id ? id : &tmp))
		return fail(r->d, r->v.e->name);
	return step(r->d);
}

/* A day in the past three years, more recent ones likelier (the business grows). */
static int64_t past_day(struct demo *d)
{
	return d->today - (int64_t)(HISTORY_DAYS * (1 - sqrt(unif(&d->rng))));
}

static const char *random_mobile(struct demo *d, char *buf, size_t n)
{
	static const char *const prefixes[] = {"138", "139", "136", "137", "135", "150", "151", "152", "158", "159",
		"186", "187", "188", "130", "131", "132", "155", "156", "185", "133", "153", "180", "181", "189", "177",
		"199"};
	snprintf(buf, n, "%s%08lld", PICK(&d->rng, prefixes), (long long)below(&d->rng, 100000000));
	return buf;
}

static const struct kh_city *random_city(struct demo *d)
{
	static int total;
	if (!total)
		for (int i = 0; i < N_OF(demo_cities); i++)
			total += demo_cities[i].weight;
	int x = (int)below(&d->rng, total);
	for (int i = 0; i < N_OF(demo_cities); i++)
		if ((x -= demo_cities[i].weight) < 0)
			return &demo_cities[i];
	return &demo_cities[0];
}

/* A person's name in Chinese and its pinyin form, or an English one. */
struct person {
	char zh[32], en[64], handle[48];
	int chinese, female;
};

static void random_person(struct demo *d, struct person *p)
{
	struct rng *g = &d->rng;
	p->chinese = chance(g, 0.88);
	p->female = chance(g, 0.5);
	if (p->chinese) {
		/* Surnames follow Zipf's law roughly: the top ones are far commoner. */
		int si = (int)(N_OF(demo_surnames) * pow(unif(g), 2.2));
		const struct kh_word *s = &demo_surnames[si], *g1 = &PICK(g, demo_given), *g2 = &PICK(g, demo_given);
		int two = chance(g, 0.7);
		snprintf(p->zh, sizeof p->zh, "%s%s%s", s->zh, g1->zh, two ? g2->zh : "");
		snprintf(p->en, sizeof p->en, "%c%s%s %c%s", g1->py[0] - 32, g1->py + 1, two ? g2->py : "",
			 s->py[0] - 32, s->py + 1);
		snprintf(p->handle, sizeof p->handle, "%s%s%s%lld", s->py, g1->py, two ? g2->py : "",
			 (long long)below(g, 1000));
	} else {
		const char *f = PICK(g, demo_first_en), *l = PICK(g, demo_last_en);
		snprintf(p->zh, sizeof p->zh, "%s", "");
		snprintf(p->en, sizeof p->en, "%s %s", f, l);
		snprintf(p->handle, sizeof p->handle, "%c.%s%lld", f[0] + 32, l, (long long)below(g, 100));
		for (char *c = p->handle; *c; c++)
			if ((unsigned char)*c >= 0x80 || *c == '\'')
				*c = 'x';
			else if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c + 32);
	}
}

static const char *const mail_domains[] = {"163.com", "qq.com", "126.com", "sina.com", "gmail.com", "outlook.com",
	"foxmail.com", "yahoo.com"};

/* ---- the entities, in the order their references need ---- */

static int gen_users(struct demo *d, int n)
{
	static const char *const roles[] = {"sales_rep", "sales_rep", "sales_rep", "sales_rep", "sales_rep",
		"sales_rep", "sales_manager", "service_agent", "service_agent", "marketing"};
	d->users = calloc((size_t)n, sizeof *d->users);
	d->reps = calloc((size_t)n, sizeof *d->reps);
	d->agents = calloc((size_t)n, sizeof *d->agents);
	if (!d->users || !d->reps || !d->agents)
		return fail(d, "out of memory");
	set_stage(d, "users");
	int64_t base;
	if (kh_db_int(d->db, "SELECT COALESCE(MAX(id), 0) FROM users", NULL, 0, &base))
		return fail(d, "users");
	for (int i = 0; i < n; i++) {
		struct rec r;
		struct person p;
		char name[32];
		rec_start(d, &r, "users");
		random_person(d, &p);
		snprintf(name, sizeof name, "demo%lld_%03d", (long long)base, i + 1);
		const char *role = roles[i % N_OF(roles)];
		set_str(&r, "username", name);
		set_str(&r, "display_name", p.chinese ? p.zh : p.en);
		set_str(&r, "email", kh_arena_printf(&d->arena, "%s@kehu-demo.cn", name));
		set_str(&r, "role", role);
		set_str(&r, "locale", p.chinese ? "zh-CN" : "en");
		if (rec_put(&r, &d->users[i]))
			return -1;
		if (!strncmp(role, "sales", 5))
			d->reps[d->nreps++] = d->users[i];
		else if (!strcmp(role, "service_agent"))
			d->agents[d->nagents++] = d->users[i];
	}
	d->nusers = n;
	return 0;
}

static int64_t rep(struct demo *d)
{
	return d->reps[below(&d->rng, d->nreps)];
}

static int gen_campaigns(struct demo *d, int n)
{
	static const char *const themes[] = {"新品发布会", "年中大促", "双十一狂欢", "行业峰会", "客户答谢会", "春季促销",
		"线上研讨会", "老客户回馈", "微信裂变活动", "展会邀约"};
	static const char *const types[] = {"event", "advertising", "advertising", "event", "event", "email",
		"webinar", "sms", "social", "event"};
	set_stage(d, "campaigns");
	for (int i = 0; i < n; i++) {
		struct rec r;
		rec_start(d, &r, "campaigns");
		int t = (int)below(&d->rng, N_OF(themes));
		int64_t start = d->today - HISTORY_DAYS + (HISTORY_DAYS + 60) * i / n;
		int64_t budget = (20 + below(&d->rng, 480)) * 100000; /* 2k..50k yuan */
		set_str(&r, "name", kh_arena_printf(&d->arena, "%lld %s", (long long)(1970 + (start / 365)), themes[t]));
		set_str(&r, "type", types[t]);
		set_str(&r, "status", start + 30 < d->today ? "completed" : start <= d->today ? "active" : "planned");
		set_date(&r, "start_date", start);
		set_date(&r, "end_date", start + 14 + below(&d->rng, 30));
		set_int(&r, "budget", budget);
		if (start < d->today)
			set_int(&r, "actual_cost", budget * (70 + below(&d->rng, 50)) / 100);
		set_int(&r, "expected_revenue", budget * (2 + below(&d->rng, 8)));
		set_int(&r, "expected_responses", 100 + below(&d->rng, 5000));
		set_int(&r, "owner_id", d->users[below(&d->rng, d->nusers)]);
		int64_t id;
		if (rec_put(&r, &id))
			return -1;
		if (i == 0)
			d->first_campaign = id;
	}
	d->ncampaigns = n;
	return 0;
}

static int gen_products(struct demo *d)
{
	static const char *const grades[] = {"标准", "高级", "旗舰"};
	set_stage(d, "products");
	d->nproducts = N_OF(demo_product_kinds) * N_OF(grades);
	d->product_price = calloc((size_t)d->nproducts, sizeof *d->product_price);
	if (!d->product_price)
		return fail(d, "out of memory");
	for (int k = 0; k < N_OF(demo_product_kinds); k++)
		for (int g = 0; g < N_OF(grades); g++) {
			struct rec r;
			int i = k * N_OF(grades) + g;
			int64_t price = (int64_t)demo_product_kinds[k].price_yuan * 100 * (10 + 5 * g) / 10;
			rec_start(d, &r, "products");
			set_str(&r, "name", kh_arena_printf(&d->arena, "%s(%s)", demo_product_kinds[k].zh, grades[g]));
			set_str(&r, "sku", kh_arena_printf(&d->arena, "P-%02d%d-%04lld", k + 1, g + 1,
							    (long long)(d->first_campaign + i)));
			set_str(&r, "category", demo_product_kinds[k].category);
			set_int(&r, "unit_price", price);
			set_int(&r, "cost", price * (40 + below(&d->rng, 30)) / 100);
			set_str(&r, "unit", !strcmp(demo_product_kinds[k].category, "服务") ? "次" : "件");
			int64_t id;
			if (rec_put(&r, &id))
				return -1;
			if (i == 0)
				d->first_product = id;
			d->product_price[i] = price;
		}
	return 0;
}

static int gen_accounts(struct demo *d, int64_t n)
{
	static const char *const types[] = {"customer", "customer", "customer", "customer", "customer", "customer",
		"customer", "prospect", "prospect", "partner"};
	static const char *const sources[] = {"web", "referral", "trade_show", "partner", "cold_call", "advertising",
		"wechat", "campaign"};
	set_stage(d, "accounts");
	d->naccounts = n;
	for (int64_t i = 0; i < n; i++) {
		struct rec r;
		const struct kh_city *c = random_city(d);
		const struct kh_word *w = &PICK(&d->rng, demo_company_words);
		int t = (int)below(&d->rng, N_OF(demo_trades));
		int64_t employees = (int64_t)exp(2 + 4.5 * unif(&d->rng));
		rec_start(d, &r, "accounts");
		set_str(&r, "name", kh_arena_printf(&d->arena, "%s%s%s有限公司", c->zh, w->zh, demo_trades[t].zh));
		set_str(&r, "name_en", kh_arena_printf(&d->arena, "%s %s %s Co., Ltd.", c->en, w->py, demo_trades[t].en));
		set_str(&r, "type", PICK(&d->rng, types));
		set_str(&r, "industry", demo_trades[t].industry);
		set_str(&r, "tier", employees > 1000 ? "A" : employees > 200 ? "B" : employees > 50 ? "C" : "D");
		set_str(&r, "source", PICK(&d->rng, sources));
		set_str(&r, "phone", kh_arena_printf(&d->arena, "%s-%08lld", c->area_code,
						     (long long)(20000000 + below(&d->rng, 70000000))));
		char host[64];
		snprintf(host, sizeof host, "%s", w->py);
		for (char *p = host; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		set_str(&r, "website", kh_arena_printf(&d->arena, "https://www.%s%lld.com.cn", host, (long long)i));
		set_str(&r, "email", kh_arena_printf(&d->arena, "info@%s%lld.com.cn", host, (long long)i));
		set_int(&r, "employees", employees);
		set_int(&r, "annual_revenue", employees * (200000 + below(&d->rng, 800000)) * 100);
		set_str(&r, "city", c->zh);
		set_str(&r, "province", c->province);
		set_str(&r, "country", strcmp(c->province, "香港") && strcmp(c->province, "台湾") ? "中国" : c->province);
		set_str(&r, "address", kh_arena_printf(&d->arena, "%s市%lld号", c->zh, (long long)(1 + below(&d->rng, 999))));
		if (chance(&d->rng, 0.2))
			set_str(&r, "tags", chance(&d->rng, 0.5) ? "[\"重点客户\"]" : "[\"VIP\",\"战略合作\"]");
		set_int(&r, "owner_id", rep(d));
		set_time(&r, "created_at", past_day(d), &d->rng);
		int64_t id;
		if (rec_put(&r, &id))
			return -1;
		if (i == 0)
			d->first_account = id;
	}
	return 0;
}

static int gen_contacts(struct demo *d, int64_t n)
{
	static const char *const titles[] = {"总经理", "采购经理", "销售总监", "IT 主管", "财务经理", "市场经理",
		"技术总监", "行政专员", "运营经理", "CEO", "CTO", "Purchasing Manager"};
	static const char *const departments[] = {"采购部", "销售部", "信息部", "财务部", "市场部", "技术部",
		"行政部", "运营部"};
	static const char *const sources[] = {"web", "referral", "trade_show", "wechat", "advertising", "social",
		"phone", "campaign", "other"};
	set_stage(d, "contacts");
	d->ncontacts = n;
	d->contact_account = calloc((size_t)n, sizeof *d->contact_account);
	if (!d->contact_account)
		return fail(d, "out of memory");
	for (int64_t i = 0; i < n; i++) {
		struct rec r;
		struct person p;
		char mobile[16];
		rec_start(d, &r, "contacts");
		random_person(d, &p);
		const struct kh_city *c = random_city(d);
		int64_t account = d->naccounts && chance(&d->rng, 0.4) ? d->first_account + below(&d->rng, d->naccounts) : 0;
		d->contact_account[i] = account;
		set_str(&r, "name", p.chinese ? p.zh : p.en);
		if (p.chinese && chance(&d->rng, 0.3))
			set_str(&r, "name_en", p.en);
		if (account) {
			set_int(&r, "account_id", account);
			set_str(&r, "title", PICK(&d->rng, titles));
			set_str(&r, "department", PICK(&d->rng, departments));
		}
		set_str(&r, "gender", p.female ? "female" : "male");
		if (chance(&d->rng, 0.4))
			set_date(&r, "birthday", d->today - 365 * 20 - below(&d->rng, 365 * 40));
		set_str(&r, "email", kh_arena_printf(&d->arena, "%s@%s", p.handle, PICK(&d->rng, mail_domains)));
		set_str(&r, "mobile", random_mobile(d, mobile, sizeof mobile));
		if (chance(&d->rng, 0.3))
			set_str(&r, "phone", kh_arena_printf(&d->arena, "%s-%08lld", c->area_code,
							     (long long)(20000000 + below(&d->rng, 70000000))));
		if (chance(&d->rng, 0.5))
			set_str(&r, "wechat", kh_arena_printf(&d->arena, "wx_%s", p.handle));
		set_str(&r, "source", PICK(&d->rng, sources));
		set_str(&r, "city", c->zh);
		set_str(&r, "province", c->province);
		if (chance(&d->rng, 0.05))
			set_int(&r, "do_not_contact", 1);
		if (chance(&d->rng, 0.1))
			set_str(&r, "tags", chance(&d->rng, 0.5) ? "[\"VIP\"]" : "[\"老客户\"]");
		set_int(&r, "owner_id", rep(d));
		set_time(&r, "created_at", past_day(d), &d->rng);
		int64_t id;
		if (rec_put(&r, &id))
			return -1;
		if (i == 0)
			d->first_contact = id;
	}
	return 0;
}

static int gen_leads(struct demo *d, int64_t n)
{
	static const char *const statuses[] = {"new", "new", "contacted", "contacted", "qualified", "unqualified"};
	static const char *const sources[] = {"web", "web", "referral", "trade_show", "advertising", "social",
		"wechat", "campaign", "cold_call"};
	static const char *const ratings[] = {"hot", "warm", "warm", "cold", "cold"};
	set_stage(d, "leads");
	for (int64_t i = 0; i < n; i++) {
		struct rec r;
		struct person p;
		char mobile[16];
		rec_start(d, &r, "leads");
		random_person(d, &p);
		const struct kh_city *c = random_city(d);
		const struct kh_word *w = &PICK(&d->rng, demo_company_words);
		int t = (int)below(&d->rng, N_OF(demo_trades));
		set_str(&r, "name", p.chinese ? p.zh : p.en);
		set_str(&r, "company", kh_arena_printf(&d->arena, "%s%s%s有限公司", c->zh, w->zh, demo_trades[t].zh));
		set_str(&r, "email", kh_arena_printf(&d->arena, "%s@%s", p.handle, PICK(&d->rng, mail_domains)));
		set_str(&r, "mobile", random_mobile(d, mobile, sizeof mobile));
		set_str(&r, "source", PICK(&d->rng, sources));
		set_str(&r, "status", PICK(&d->rng, statuses));
		set_str(&r, "rating", PICK(&d->rng, ratings));
		set_str(&r, "industry", demo_trades[t].industry);
		set_int(&r, "employees", (int64_t)exp(2 + 4 * unif(&d->rng)));
		set_int(&r, "score", below(&d->rng, 101));
		if (d->ncampaigns && chance(&d->rng, 0.3))
			set_int(&r, "campaign_id", d->first_campaign + below(&d->rng, d->ncampaigns));
		set_str(&r, "city", c->zh);
		set_str(&r, "province", c->province);
		set_int(&r, "owner_id", rep(d));
		set_time(&r, "created_at", past_day(d), &d->rng);
		if (rec_put(&r, NULL))
			return -1;
	}
	return 0;
}

static int gen_opportunities(struct demo *d, int64_t n)
{
	static const char *const stages[] = {"prospecting", "qualification", "needs_analysis", "proposal",
		"negotiation", "closed_won", "closed_lost"};
	static const double weights[] = {0.14, 0.12, 0.10, 0.09, 0.07, 0.28, 0.20};
	static const char *const reasons[] = {"价格偏高", "选择了竞争对手", "预算取消", "需求变更", "没有决策人支持"};
	static const char *const what[] = {"CRM 系统采购", "年度维保续约", "硬件扩容", "数据分析项目", "培训服务",
		"门店数字化", "渠道合作", "Cloud migration"};
	set_stage(d, "opportunities");
	d->nopps = n;
	for (int64_t i = 0; i < n; i++) {
		struct rec r;
		rec_start(d, &r, "opportunities");
		int64_t account = d->first_account + below(&d->rng, d->naccounts);
		double x = unif(&d->rng);
		int s = 0;
		while (s < N_OF(stages) - 1 && (x -= weights[s]) > 0)
			s++;
		int64_t created = past_day(d);
		set_str(&r, "name", kh_arena_printf(&d->arena, "%s-%lld", PICK(&d->rng, what), (long long)(i + 1)));
		set_int(&r, "account_id", account);
		/* The deal's contact person: a random contact (the demo does not keep
		 * who works where, and any contact makes the 360 view realistic). */
		set_int(&r, "contact_id", d->first_contact + below(&d->rng, d->ncontacts));
		set_int(&r, "amount", (int64_t)(exp(9 + 2 * normal(&d->rng) * 0.6) * 100));
		set_str(&r, "stage", stages[s]);
		if (s >= 5) {
			int64_t closed = created + 10 + below(&d->rng, 120);
			if (closed > d->today)
				closed = d->today;
			set_time(&r, "closed_at", closed, &d->rng);
			set_date(&r, "expected_close_date", closed);
			if (s == 6)
				set_str(&r, "lost_reason", PICK(&d->rng, reasons));
		} else {
			set_date(&r, "expected_close_date", d->today + below(&d->rng, 180));
			set_str(&r, "forecast_category", s >= 4 ? "commit" : s >= 3 ? "best_case" : "pipeline");
			set_str(&r, "next_step", s >= 3 ? "发送报价并安排演示" : "电话跟进确认需求");
		}
		if (d->ncampaigns && chance(&d->rng, 0.2))
			set_int(&r, "campaign_id", d->first_campaign + below(&d->rng, d->ncampaigns));
		set_int(&r, "owner_id", rep(d));
		set_time(&r, "created_at", created, &d->rng);
		int64_t id;
		if (rec_put(&r, &id))
			return -1;
		if (i == 0)
			d->first_opp = id;
	}
	return 0;
}

/* One order with its lines; returns the order id in *id. */
static int gen_order(struct demo *d, int64_t contact_index, int64_t day, double taste)
{
	static const int discounts[] = {0, 0, 0, 5, 10};
	struct rec r;
	rec_start(d, &r, "orders");
	int64_t age = d->today - day;
	const char *status = chance(&d->rng, 0.03) ? "cancelled"
			     : age > 30		 ? "completed"
			     : age > 7		 ? "delivered"
			     : age > 2		 ? "shipped"
						 : "confirmed";
	set_int(&r, "contact_id", d->first_contact + contact_index);
	if (d->contact_account[contact_index])
		set_int(&r, "account_id", d->contact_account[contact_index]);
	set_date(&r, "order_date", day);
	set_str(&r, "status", status);
	set_str(&r, "payment_status", !strcmp(status, "cancelled") ? "refunded" : age > 7 ? "paid" : "unpaid");
	set_int(&r, "owner_id", rep(d));
	set_time(&r, "created_at", day, &d->rng);
	int64_t order;
	if (rec_put(&r, &order))
		return -1;
	int lines = 1 + (int)(chance(&d->rng, 0.4)) + (int)(chance(&d->rng, 0.15));
	for (int l = 0; l < lines; l++) {
		/* Each customer leans to a part of the catalogue (taste), so baskets
		 * carry association rules to find. */
		int64_t p = ((int64_t)(taste * (double)d->nproducts) + below(&d->rng, 9)) % d->nproducts;
		rec_start(d, &r, "order_lines");
		set_int(&r, "order_id", order);
		set_int(&r, "product_id", d->first_product + p);
		set_int(&r, "quantity", 1 + (chance(&d->rng, 0.3) ? below(&d->rng, 5) : 0));
		set_int(&r, "unit_price", d->product_price[p]);
		set_int(&r, "discount", PICK(&d->rng, discounts));
		set_time(&r, "created_at", day, &d->rng);
		if (rec_put(&r, NULL))
			return -1;
	}
	return 0;
}

/* Buy-till-you-die: a customer is acquired on some day, buys at a personal
 * rate (gamma across customers), and after each purchase drops out with a
 * personal probability (beta across customers). */
static int gen_orders(struct demo *d)
{
	set_stage(d, "orders");
	for (int64_t i = 0; i < d->ncontacts; i++) {
		if (!chance(&d->rng, 0.65))
			continue;
		double rate = gamma_draw(&d->rng, 0.9, 3.0) / 365.0; /* purchases per day */
		double drop = beta_draw(&d->rng, 1.2, 4.0);
		double taste = unif(&d->rng);
		int64_t day = past_day(d);
		for (int k = 0; k < 60 && day <= d->today; k++) {
			if (gen_order(d, i, day, taste))
				return -1;
			if (chance(&d->rng, drop))
				break;
			day += 1 + (int64_t)(-log(unif(&d->rng) + 1e-12) / (rate + 1e-9));
		}
	}
	return 0;
}

static int gen_activities(struct demo *d, int64_t n)
{
	static const char *const types[] = {"call", "call", "email", "meeting", "task", "note"};
	static const char *const subjects[] = {"电话回访", "发送产品资料", "上门拜访", "跟进报价", "记录客户需求",
		"确认交付时间", "Follow-up call", "季度业务回顾"};
	set_stage(d, "activities");
	for (int64_t i = 0; i < n; i++) {
		struct rec r;
		rec_start(d, &r, "activities");
		int64_t c = below(&d->rng, d->ncontacts);
		int64_t day = past_day(d) + below(&d->rng, 20);
		set_str(&r, "type", PICK(&d->rng, types));
		set_str(&r, "subject", PICK(&d->rng, subjects));
		set_int(&r, "contact_id", d->first_contact + c);
		if (d->contact_account[c])
			set_int(&r, "account_id", d->contact_account[c]);
		if (d->nopps && chance(&d->rng, 0.15))
			set_int(&r, "opportunity_id", d->first_opp + below(&d->rng, d->nopps));
		set_time(&r, "due_at", day, &d->rng);
		if (day < d->today) {
			set_str(&r, "status", chance(&d->rng, 0.9) ? "completed" : "cancelled");
			set_time(&r, "completed_at", day, &d->rng);
		}
		set_int(&r, "duration_minutes", 5 + below(&d->rng, 60));
		set_int(&r, "owner_id", rep(d));
		set_time(&r, "created_at", day - below(&d->rng, 5), &d->rng);
		if (rec_put(&r, NULL))
			return -1;
	}
	return 0;
}

static int gen_cases(struct demo *d, int64_t n)
{
	static const char *const types[] = {"question", "question", "problem", "problem", "incident", "request",
		"complaint"};
	static const char *const priorities[] = {"low", "normal", "normal", "normal", "high", "urgent"};
	static const char *const channels[] = {"phone", "phone", "email", "web", "wechat", "chat"};
	static const char *const subjects[] = {"无法登录系统", "发票开具问题", "产品使用咨询", "物流延误", "产品质量投诉",
		"退换货申请", "服务态度投诉", "功能建议", "账单金额疑问", "设备故障报修"};
	set_stage(d, "cases");
	for (int64_t i = 0; i < n; i++) {
		struct rec r;
		rec_start(d, &r, "cases");
		int64_t c = below(&d->rng, d->ncontacts);
		int64_t day = past_day(d);
		int64_t age = d->today - day;
		const char *status = age > 14 ? (chance(&d->rng, 0.8) ? "closed" : "resolved")
				     : age > 3 ? (chance(&d->rng, 0.5) ? "resolved" : "in_progress")
					       : (chance(&d->rng, 0.5) ? "new" : "assigned");
		set_str(&r, "subject", PICK(&d->rng, subjects));
		set_str(&r, "type", PICK(&d->rng, types));
		set_str(&r, "priority", PICK(&d->rng, priorities));
		set_str(&r, "status", status);
		set_str(&r, "channel", PICK(&d->rng, channels));
		set_int(&r, "contact_id", d->first_contact + c);
		if (d->contact_account[c])
			set_int(&r, "account_id", d->contact_account[c]);
		set_int(&r, "product_id", d->first_product + below(&d->rng, d->nproducts));
		set_time(&r, "first_response_at", day, &d->rng);
		if (!strcmp(status, "resolved") || !strcmp(status, "closed")) {
			int64_t done = day + below(&d->rng, 5);
			set_time(&r, "resolved_at", done, &d->rng);
			if (!strcmp(status, "closed"))
				set_time(&r, "closed_at", done + 2, &d->rng);
			set_int(&r, "satisfaction", 1 + (int64_t)(5 * pow(unif(&d->rng), 0.4)) % 5);
			set_str(&r, "resolution", "已与客户确认问题解决");
		}
		set_int(&r, "owner_id", d->nagents ? d->agents[below(&d->rng, d->nagents)] : rep(d));
		set_time(&r, "created_at", day, &d->rng);
		if (rec_put(&r, NULL))
			return -1;
	}
	return 0;
}

int kh_cmd_demo(int argc, char **argv)
{
	const char *path = NULL;
	long customers = 1000, seed = 42;
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &path, "KEHU_DB", "PATH", "the database to fill (created if missing)", .required = 1},
		{"--customers", KH_OPT_INT, &customers, NULL, "N", "number of customers (contacts), default 1000", .min = 10, .max = 100000000},
		{"--seed", KH_OPT_INT, &seed, NULL, "S", "random seed: the same seed gives the same data, default 42", .min = 0, .max = 2147483647},
		{0},
	};
	kh_opts_parse("demo", "--db PATH [--customers N] [--seed S]", opts, argc, argv);

	struct demo *d = calloc(1, sizeof *d);
	if (!d)
		return 1;
	d->db = kh_cli_open_db("demo", path, 1);
	if (!d->db || kh_cli_ensure_admin("demo", d->db, path)) {
		kh_db_close(d->db);
		free(d);
		return 1;
	}
	rng_seed(&d->rng, (uint64_t)seed);
	kh_arena_init(&d->arena);
	kh_errinfo_init(&d->ei, &d->arena);
	d->who = (struct kh_principal){.user_id = 0, .username = "demo", .role = "admin", .is_admin = 1};
	d->ctx = (struct kh_ctx){.db = d->db, .who = &d->who, .arena = &d->arena, .ei = &d->ei, .bulk = 1};
	d->today = kh_now() / DAY_US;
	kh_progress_init(&d->bar);
	set_stage(d, "");
	int64_t n = customers;
	int nusers = (int)(10 + n / 20000 > 200 ? 200 : 10 + n / 20000);
	/* About 1.9 orders per buying customer, 1.6 lines per order. */
	d->total = nusers + 12 + n / 100000 + 54 + n / 10 + n + n / 5 + n / 10 + (int64_t)(n * 0.65 * 1.9 * 2.6) +
		   n / 2 + n / 20;

	/* Tables that start empty get their secondary indexes built once at the end. */
	int dropped[64] = {0};
	int rc = d->db->ops->bulk(d->db, KH_BULK_LOAD) || kh_db_begin(d->db, KH_TX_WRITE) ? fail(d, "begin") : 0;
	for (int i = 0; !rc && i < kh_nentities && i < 64; i++) {
		char sql[128];
		int64_t any = 0;
		snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) AS t", kh_entities[i]->name);
		if (kh_db_int(d->db, sql, NULL, 0, &any) || (!any && kh_schema_indexes(d->db, kh_entities[i], 0)))
			rc = fail(d, "indexes");
		dropped[i] = !any;
	}
	if (!rc)
		rc = gen_users(d, nusers);
	if (!rc)
		rc = gen_campaigns(d, (int)(12 + n / 100000));
	if (!rc)
		rc = gen_products(d);
	if (!rc)
		rc = gen_accounts(d, n / 10 > 0 ? n / 10 : 1);
	if (!rc)
		rc = gen_contacts(d, n);
	if (!rc)
		rc = gen_leads(d, n / 5);
	if (!rc)
		rc = gen_opportunities(d, n / 10 > 0 ? n / 10 : 1);
	if (!rc)
		rc = gen_orders(d);
	/* Orders that have shipped, completed or been cancelled have their lines
	 * locked (domain/orders.c). The demo makes its orders in those states with
	 * their lines after them, so it locks them once every line is in: one pass
	 * over a table whose indexes are not built yet. */
	if (!rc && kh_db_exec(d->db,
			      "UPDATE orders SET locked = 1 WHERE status IN ('shipped', 'delivered', 'completed', 'cancelled')",
			      NULL, 0))
		rc = fail(d, "orders");
	if (!rc)
		rc = gen_activities(d, n / 2);
	if (!rc)
		rc = gen_cases(d, n / 20);
	set_stage(d, "indexes");
	progress(d, 1);
	/* SQLite sorts index entries in runs as large as the page cache (512 MB at
	 * most) and merges each run as a linked list, a cache miss per step; runs of
	 * 8 MB sort in CPU cache, on both cores (PRAGMA threads), and cost a fifth
	 * less. (SQLite only: PostgreSQL sorts in maintenance_work_mem.) */
	if (!rc && d->db->ops == &kh_sqlite_ops && kh_db_exec(d->db, "PRAGMA cache_size=-8192", NULL, 0))
		rc = fail(d, "indexes");
	for (int i = 0; !rc && i < kh_nentities && i < 64; i++)
		if (dropped[i] && (kh_schema_indexes(d->db, kh_entities[i], 1) ? fail(d, "indexes") : next_tx(d, "indexes")))
			rc = -1;
	/* Statistics for the query planner, which otherwise guesses (a NULL-heavy
	 * index looks selective without them). */
	for (int i = 0; !rc && i < kh_nentities; i++) {
		/* The entity tables only: statistics of Kehu's own tables, taken while
		 * they are nearly empty, would mislead the planner once they fill. */
		char sql[96];
		snprintf(sql, sizeof sql, "ANALYZE %s", kh_entities[i]->name);
		if (kh_db_exec(d->db, sql, NULL, 0))
			rc = fail(d, "analyze");
	}
	/* Rules that summarise many records (order totals) run once, on indexes. */
	for (int i = 0; !rc && i < kh_nentities; i++)
		if (kh_bulk_finish(&d->ctx, kh_entities[i]))
			rc = fail(d, kh_entities[i]->name);
	set_stage(d, "search index");
	progress(d, 1);
	if (!rc)
		rc = next_tx(d, "commit");
	if (!rc && d->db->ops->bulk(d->db, KH_BULK_END_STEPWISE))
		rc = fail(d, "search index");
	if (!rc && kh_db_commit(d->db))
		rc = fail(d, "commit");
	if (rc)
		kh_db_rollback(d->db);
	d->done = d->total;
	set_stage(d, rc ? "failed" : "done");
	progress(d, 1);
	kh_progress_end(&d->bar);
	if (!rc)
		printf("Demo data for %ld customers (seed %ld) is in %s\n", customers, seed, path);
	kh_db_close(d->db);
	kh_arena_release(&d->arena);
	free(d->users);
	free(d->reps);
	free(d->agents);
	free(d->product_price);
	free(d->contact_account);
	free(d);
	return rc ? 1 : 0;
}
