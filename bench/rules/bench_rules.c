/* The rules benchmark: every automation rule evaluated against 100,000 changed
 * opportunities, the way the rules consumer sees them (each record read from
 * the database, the change's old stage beside it), next to the reference:
 * SQLite running the same conditions as SQL WHERE clauses over the same rows.
 * The match counts of both must agree rule by rule, or the run fails.
 *
 *   bench_rules <new database path> [records] [repeats]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/rules.h"
#include "domain/write.h"
#include "model/schema.h"
#include "store/store.h"
#include "util/clock.h"

/* Each rule as the rules table holds it, and the same as SQL over
 * opportunities o joined with the old stage p.prev. */
static const struct {
	const char *conditions, *sql;
} rules[] = {
	{"{\"all\":[{\"field\":\"stage\",\"op\":\"changed_to\",\"value\":\"closed_won\"}]}",
	 "o.stage = 'closed_won' AND p.prev <> 'closed_won'"},
	{"{\"all\":[{\"field\":\"stage\",\"op\":\"changed_to\",\"value\":\"closed_lost\"},{\"field\":\"amount\",\"op\":\"gte\",\"value\":1000000}]}",
	 "o.stage = 'closed_lost' AND p.prev <> 'closed_lost' AND o.amount >= 1000000"},
	{"{\"all\":[{\"field\":\"stage\",\"op\":\"changed_from\",\"value\":\"proposal\"}]}", "p.prev = 'proposal'"},
	{"{\"all\":[{\"field\":\"amount\",\"op\":\"gt\",\"value\":5000000}]}", "o.amount > 5000000"},
	{"{\"all\":[{\"field\":\"source\",\"op\":\"in\",\"value\":[\"web\",\"referral\",\"partner\"]}]}",
	 "o.source IN ('web', 'referral', 'partner')"},
	{"{\"any\":[{\"field\":\"probability\",\"op\":\"gte\",\"value\":80},{\"field\":\"forecast_category\",\"op\":\"eq\",\"value\":\"commit\"}]}",
	 "o.probability >= 80 OR o.forecast_category = 'commit'"},
	{"{\"all\":[{\"field\":\"name\",\"op\":\"contains\",\"value\":\"77\"}]}", "o.name LIKE '%77%'"},
	{"{\"all\":[{\"field\":\"expected_close_date\",\"op\":\"lt\",\"value\":\"2026-03-01\"}]}",
	 "o.expected_close_date < '2026-03-01'"},
	{"{\"all\":[{\"field\":\"stage\",\"op\":\"eq\",\"value\":\"negotiation\"},{\"field\":\"amount\",\"op\":\"gte\",\"value\":100000},{\"field\":\"amount\",\"op\":\"lt\",\"value\":2000000}]}",
	 "o.stage = 'negotiation' AND o.amount >= 100000 AND o.amount < 2000000"},
	{"{\"all\":[{\"field\":\"description\",\"op\":\"empty\"}]}", "(o.description IS NULL OR o.description = '')"},
	{"{\"all\":[{\"field\":\"source\",\"op\":\"not_in\",\"value\":[\"web\",\"phone\"]}]}",
	 "(o.source NOT IN ('web', 'phone') OR o.source IS NULL)"},
	{"{\"all\":[{\"field\":\"forecast_category\",\"op\":\"ne\",\"value\":\"pipeline\"}]}",
	 "(o.forecast_category <> 'pipeline' OR o.forecast_category IS NULL)"},
	{"{\"all\":[{\"field\":\"stage\",\"op\":\"in\",\"value\":[\"proposal\",\"negotiation\"]},{\"field\":\"probability\",\"op\":\"lt\",\"value\":50}]}",
	 "o.stage IN ('proposal', 'negotiation') AND o.probability < 50"},
	{"{\"all\":[{\"field\":\"amount\",\"op\":\"lte\",\"value\":10000}]}", "o.amount <= 10000"},
	{"{\"all\":[{\"field\":\"next_step\",\"op\":\"not_empty\"}]}", "(o.next_step IS NOT NULL AND o.next_step <> '')"},
	{"{\"all\":[{\"field\":\"stage\",\"op\":\"changed\"},{\"field\":\"source\",\"op\":\"eq\",\"value\":\"trade_show\"}]}",
	 "o.source = 'trade_show'"},
	{"{\"all\":[{\"field\":\"currency\",\"op\":\"eq\",\"value\":\"USD\"}]}", "o.currency = 'USD'"},
	{"{\"all\":[{\"field\":\"expected_close_date\",\"op\":\"gte\",\"value\":\"2026-06-01\"},{\"field\":\"expected_close_date\",\"op\":\"lte\",\"value\":\"2026-06-30\"}]}",
	 "o.expected_close_date >= '2026-06-01' AND o.expected_close_date <= '2026-06-30'"},
	{"{\"any\":[{\"field\":\"source\",\"op\":\"eq\",\"value\":\"cold_call\"},{\"field\":\"source\",\"op\":\"eq\",\"value\":\"advertising\"},{\"field\":\"amount\",\"op\":\"gt\",\"value\":9000000}]}",
	 "o.source = 'cold_call' OR o.source = 'advertising' OR o.amount > 9000000"},
	{"{\"all\":[{\"field\":\"stage\",\"op\":\"ne\",\"value\":\"closed_lost\"},{\"field\":\"stage\",\"op\":\"ne\",\"value\":\"closed_won\"},{\"field\":\"probability\",\"op\":\"gte\",\"value\":60},{\"field\":\"amount\",\"op\":\"gte\",\"value\":500000}]}",
	 "o.stage <> 'closed_lost' AND o.stage <> 'closed_won' AND o.probability >= 60 AND o.amount >= 500000"},
};
#define NRULES ((int)(sizeof rules / sizeof rules[0]))

static const char *const stages[] = {"prospecting", "qualification", "needs_analysis", "proposal", "negotiation",
				     "closed_won", "closed_lost"};
static const char *const sources[] = {"web", "phone", "email", "referral", "partner", "trade_show", "advertising",
				      "cold_call", NULL};

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static void die(const char *what, enum kh_err err)
{
	fprintf(stderr, "bench_rules: %s: %s\n", what, kh_strerror(err));
	exit(1);
}

static const struct kh_principal admin = {.user_id = 0, .username = "bench", .role = "admin", .is_admin = 1};

static void setup(struct kh_db *db, int n)
{
	struct kh_arena arena;
	struct kh_errinfo ei;
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	struct kh_ctx ctx = {.db = db, .who = &admin, .arena = &arena, .ei = &ei, .bulk = 1};
	const struct kh_entity *acc = kh_entity_find("accounts"), *opp = kh_entity_find("opportunities");
	enum kh_err err = kh_db_begin(db, KH_TX_WRITE);
	if (!err)
		err = kh_db_exec(db, "CREATE TABLE prev (opp INTEGER PRIMARY KEY, prev TEXT NOT NULL)", NULL, 0);
	int64_t account = 0;
	for (int i = 0; !err && i < 100; i++) {
		struct kh_values v;
		kh_values_init(&v, acc, &arena);
		char name[32];
		snprintf(name, sizeof name, "Account %d", i);
		v.v[kh_field_index(acc, "name")] = KH_VTEXT(name);
		v.set[kh_field_index(acc, "name")] = 1;
		err = kh_record_insert(&ctx, &v, &account);
	}
	for (int i = 0; !err && i < n; i++) {
		if (i % 4096 == 0) {
			kh_arena_release(&arena);
			kh_arena_init(&arena);
			kh_errinfo_init(&ei, &arena);
		}
		struct kh_values v;
		kh_values_init(&v, opp, &arena);
		char name[32], date[11], *nm = kh_arena_alloc(&arena, 32), *dt = kh_arena_alloc(&arena, 11);
		snprintf(name, sizeof name, "Deal %d", i);
		kh_date_format(kh_date_days("2026-01-01") + (int64_t)(next() % 365), date);
		memcpy(nm, name, sizeof name);
		memcpy(dt, date, sizeof date);
		int s = (int)(next() % 7), prev = (s + 1 + (int)(next() % 6)) % 7;
		struct {
			const char *f;
			struct kh_val v;
		} set[] = {
			{"name", KH_VTEXT(nm)},
			{"account_id", KH_VINT(account)},
			{"amount", KH_VINT((int64_t)(next() % 10000000))},
			{"stage", KH_VTEXT(stages[s])},
			{"probability", KH_VINT((int64_t)(next() % 101))},
			{"source", next() % 9 ? KH_VTEXT(sources[next() % 8]) : KH_VNULL},
			{"currency", KH_VTEXT(next() % 10 ? "CNY" : "USD")},
			{"expected_close_date", KH_VTEXT(dt)},
			{"next_step", next() % 3 ? KH_VNULL : KH_VTEXT("call back")},
			{"description", next() % 2 ? KH_VNULL : KH_VTEXT("notes")},
		};
		for (size_t k = 0; k < sizeof set / sizeof set[0]; k++) {
			v.v[kh_field_index(opp, set[k].f)] = set[k].v;
			v.set[kh_field_index(opp, set[k].f)] = 1;
		}
		int64_t id;
		err = kh_record_insert(&ctx, &v, &id);
		struct kh_val p[2] = {KH_VINT(id), KH_VTEXT(stages[prev])};
		if (!err)
			err = kh_db_exec(db, "INSERT INTO prev (opp, prev) VALUES ($1, $2)", p, 2);
	}
	/* The rules through the write path, checked as an administrator's are. */
	ctx.bulk = 0;
	for (int i = 0; !err && i < NRULES; i++) {
		json_t *r = json_pack("{s:s, s:s, s:s, s:o, s:{s:{s:s}}}", "name", "", "entity", "opportunities", "trigger",
				      "updated", "conditions", json_loads(rules[i].conditions, 0, NULL), "actions",
				      "create_task", "subject", "x");
		char name[32];
		snprintf(name, sizeof name, "Bench rule %d", i + 1);
		json_object_set_new(r, "name", json_string(name));
		int64_t id;
		err = kh_record_create(&ctx, kh_entity_find("rules"), r, &id);
		if (err)
			fprintf(stderr, "rule %d: %s %s\n", i + 1, ei.msg ? ei.msg : "", ei.nfields ? ei.fields[0].msg : "");
		json_decref(r);
	}
	/* Only the benchmark's rules: the shipped example on won deals rests. */
	if (!err)
		err = kh_db_exec(db, "UPDATE rules SET active = 0 WHERE name NOT LIKE 'Bench rule %'", NULL, 0);
	if (!err)
		err = kh_db_commit(db);
	if (err)
		die("setup", err);
	kh_arena_release(&arena);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_rules <new database> [records] [repeats]\n");
		return 2;
	}
	int n = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 100000, repeats = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5;
	kh_store_global_init();
	kh_clock_set(1773561600LL * 1000000); /* 2026-03-15: the rules' dates mean the same every run */
	if (kh_model_init())
		return 1;
	struct kh_db *db;
	char msg[512];
	int applied;
	if (kh_db_open(argv[1], 1, &db, msg, sizeof msg) || kh_migrate(db, &applied, msg, sizeof msg)) {
		fprintf(stderr, "bench_rules: %s\n", msg);
		return 1;
	}
	double t0 = seconds();
	setup(db, n);
	fprintf(stderr, "setup: %d opportunities and %d rules in %.1f s\n", n, NRULES, seconds() - t0);

	struct kh_ruleset rs;
	enum kh_err err = kh_ruleset_load(db, KH_RULE_AUTOMATION, "opportunities", &rs);
	if (err || rs.n != NRULES)
		die("rules", err ? err : KH_EINTERNAL);
	const struct kh_entity *e = kh_entity_find("opportunities");
	int stage = kh_field_index(e, "stage");
	char today[11] = "2026-03-15";

	/* The engine: each record read as the consumer reads it, its old values
	 * and changed mask made, every rule evaluated. */
	int64_t engine[NRULES];
	double best_read = 1e9, best_eval = 1e9;
	struct kh_val *cur = calloc((size_t)n * (size_t)e->nfields, sizeof *cur);
	char **prev = calloc((size_t)n, sizeof *prev);
	for (int rep = 0; rep < repeats; rep++) {
		memset(engine, 0, sizeof engine);
		struct kh_arena arena;
		kh_arena_init(&arena);
		double a = seconds();
		/* The entity's own SELECT with the old stage as one more column. */
		size_t head = strlen(e->select_sql) - strlen(" FROM opportunities");
		char *sql = kh_arena_printf(&arena,
					    "%.*s, p.prev FROM opportunities JOIN prev p ON p.opp = opportunities.id "
					    "ORDER BY opportunities.id",
					    (int)head, e->select_sql);
		struct kh_rows *rows;
		if ((err = kh_db_begin(db, KH_TX_READ)) || (err = kh_db_query(db, sql, NULL, 0, &rows)))
			die("read", err);
		int i = 0;
		unsigned char *changed = calloc((size_t)e->nfields, 1);
		changed[stage] = 1;
		struct kh_val *old = calloc((size_t)e->nfields, sizeof *old);
		while (i < n && kh_rows_next(db, rows) > 0) {
			struct kh_val *v = &cur[(size_t)i * (size_t)e->nfields];
			for (int c = 0; c < e->nselect; c++) {
				struct kh_val x = kh_rows_col(db, rows, c);
				if (x.t == KH_V_TEXT)
					x.s = kh_arena_strndup(&arena, x.s, x.n);
				v[e->select_field[c]] = x;
			}
			struct kh_val pv = kh_rows_col(db, rows, e->nselect);
			prev[i] = kh_arena_strndup(&arena, pv.s, pv.n);
			memcpy(old, v, (size_t)e->nfields * sizeof *old);
			old[stage] = KH_VTEXT(prev[i]);
			struct kh_rule_rec rec = {v, old, changed, -1, today};
			for (int r = 0; r < rs.n; r++)
				engine[r] += kh_rule_match(&rs.rules[r], &rec);
			i++;
		}
		kh_rows_end(db, rows);
		kh_db_rollback(db);
		double b = seconds();
		if (b - a < best_read)
			best_read = b - a;
		/* The same evaluation alone, over the records in memory. */
		int64_t again[NRULES] = {0};
		double c = seconds();
		for (int k = 0; k < i; k++) {
			struct kh_val *v = &cur[(size_t)k * (size_t)e->nfields];
			memcpy(old, v, (size_t)e->nfields * sizeof *old);
			old[stage] = KH_VTEXT(prev[k]);
			struct kh_rule_rec rec = {v, old, changed, -1, today};
			for (int r = 0; r < rs.n; r++)
				again[r] += kh_rule_match(&rs.rules[r], &rec);
		}
		double d = seconds();
		if (d - c < best_eval)
			best_eval = d - c;
		if (memcmp(again, engine, sizeof again)) {
			fprintf(stderr, "bench_rules: the two engine passes disagree\n");
			return 1;
		}
		free(changed);
		free(old);
		kh_arena_release(&arena);
	}

	/* The reference: SQLite evaluating each rule as SQL over the same rows. */
	int64_t ref[NRULES];
	double best_sql = 1e9;
	for (int rep = 0; rep < repeats; rep++) {
		double a = seconds();
		for (int r = 0; r < NRULES; r++) {
			char sql[1024];
			snprintf(sql, sizeof sql, "SELECT count(*) FROM opportunities o JOIN prev p ON p.opp = o.id WHERE %s",
				 rules[r].sql);
			if ((err = kh_db_int(db, sql, NULL, 0, &ref[r])))
				die(sql, err);
		}
		double b = seconds();
		if (b - a < best_sql)
			best_sql = b - a;
	}
	int ok = 1;
	int64_t total = 0;
	for (int r = 0; r < NRULES; r++) {
		total += engine[r];
		if (engine[r] != ref[r]) {
			fprintf(stderr, "rule %d: the engine matched %lld records, SQL %lld\n", r + 1, (long long)engine[r],
				(long long)ref[r]);
			ok = 0;
		}
	}
	printf("| what | records | rules | matches | best of %d |\n|---|---:|---:|---:|---:|\n", repeats);
	printf("| engine: read each changed record and evaluate every rule | %d | %d | %lld | %.3f s |\n", n, NRULES,
	       (long long)total, best_read);
	printf("| engine: evaluate every rule, records in memory | %d | %d | %lld | %.3f s |\n", n, NRULES,
	       (long long)total, best_eval);
	printf("| reference: SQLite runs each rule as SQL over the table | %d | %d | %lld | %.3f s |\n", n, NRULES,
	       (long long)total, best_sql);
	kh_ruleset_release(&rs);
	free(cur);
	free(prev);
	kh_db_close(db);
	kh_model_free();
	if (!ok)
		return 1;
	fprintf(stderr, "match counts agree rule by rule\n");
	return 0;
}
