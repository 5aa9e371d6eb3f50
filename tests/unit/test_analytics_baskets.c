/* Tests of FP-growth, association rules and "also bought"
 * (src/analytics/baskets.h) on the textbook example and against brute force,
 * and of the kernels on the UCI Online Retail data: its well-known counts,
 * an RFM smoke test and FP-growth checked against direct pair counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analytics/baskets.h"
#include "analytics/rfm.h"
#include "analytics/summary.h"
#include "analytics_testutil.h"

static int find_itemset(const struct kh_itemsets *s, const uint32_t *it, size_t len)
{
	for (size_t j = 0; j < s->n; j++)
		if (s->start[j + 1] - s->start[j] == len &&
		    !memcmp(s->items + s->start[j], it, len * sizeof(uint32_t)))
			return (int)j;
	return -1;
}

/* Han, Pei & Yin (2000), table 1: five baskets, minimum support 3. The
 * frequent items are f:4 c:4 a:3 b:3 m:3 p:3 and the frequent itemsets are
 * the 18 listed below (all subsets of fcam with support 3, plus cp:3). */
static void fpgrowth_textbook(void **state)
{
	(void)state;
	enum { a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, s };
	const uint32_t items[] = {f, a, c, d, g, i, m, p, a, b, c, f, l, m, o, b, f, h, j, o,
				  b, c, k, s, p, a, f, c, e, l, p, m, n};
	const size_t start[] = {0, 8, 15, 20, 25, 33};
	struct kh_itemsets fs;
	assert_int_equal(kh_fpgrowth(start, items, 5, s + 1, 0.6, 0, &fs), KH_OK);
	struct {
		uint32_t it[4];
		size_t len;
		uint32_t sup;
	} want[] = {
		{{f}, 1, 4}, {{c}, 1, 4}, {{a}, 1, 3}, {{b}, 1, 3}, {{m}, 1, 3}, {{p}, 1, 3},
		{{c, f}, 2, 3}, {{a, f}, 2, 3}, {{f, m}, 2, 3}, {{a, c}, 2, 3}, {{c, m}, 2, 3},
		{{a, m}, 2, 3}, {{c, p}, 2, 3}, {{a, c, f}, 3, 3}, {{c, f, m}, 3, 3},
		{{a, f, m}, 3, 3}, {{a, c, m}, 3, 3}, {{a, c, f, m}, 4, 3},
	};
	assert_int_equal(fs.n, 18);
	for (size_t w = 0; w < 18; w++) {
		int at = find_itemset(&fs, want[w].it, want[w].len);
		assert_true(at >= 0);
		assert_int_equal(fs.support[at], want[w].sup);
	}
	/* Rule {a, c, f} -> m: confidence 3/3, lift 1 / (3/5). */
	struct kh_rule *r;
	size_t nr;
	assert_int_equal(kh_assoc_rules(&fs, 0.9, &r, &nr), KH_OK);
	const uint32_t acf[] = {a, c, f};
	int ia = find_itemset(&fs, acf, 3), found = 0;
	for (size_t q = 0; q < nr; q++) {
		assert_true(r[q].confidence >= 0.9);
		if (q)
			assert_true(r[q].lift <= r[q - 1].lift);
		if ((int)r[q].antecedent == ia && r[q].consequent == m) {
			found = 1;
			assert_near(r[q].confidence, 1, 1e-12);
			assert_near(r[q].lift, 5.0 / 3, 1e-12);
			assert_near(r[q].support, 0.6, 1e-12);
		}
	}
	assert_true(found);
	free(r);
	/* max_len = 2 keeps the singles and pairs only. */
	kh_itemsets_release(&fs);
	assert_int_equal(kh_fpgrowth(start, items, 5, s + 1, 0.6, 2, &fs), KH_OK);
	assert_int_equal(fs.n, 13);
	kh_itemsets_release(&fs);
	const uint32_t bad[] = {99};
	const size_t bstart[] = {0, 1};
	assert_int_equal(kh_fpgrowth(bstart, bad, 1, 5, 0.5, 0, &fs), KH_EINVAL);
}

/* Random baskets over 12 items: every subset's support counted directly with
 * bit masks must match FP-growth's list exactly. */
static void fpgrowth_matches_brute_force(void **state)
{
	(void)state;
	enum { NB = 400, NI = 12 };
	static uint32_t items[NB * NI];
	static size_t start[NB + 1];
	static uint16_t mask[NB];
	struct at_rng g;
	at_rng_seed(&g, 77);
	size_t len = 0;
	for (size_t b = 0; b < NB; b++) {
		start[b] = len;
		mask[b] = 0;
		for (uint32_t i = 0; i < NI; i++) {
			/* Correlated items: 3 tends to come with 1 and 2. */
			double pr = 0.5 / (1 + i * 0.4);
			int in = at_unif(&g) < pr || (i == 3 && (mask[b] & 6) == 6 && at_unif(&g) < 0.7);
			if (in) {
				items[len++] = (NI - 1) - i; /* ids in another order than frequency */
				mask[b] |= 1 << i;
				if (at_unif(&g) < 0.1)
					items[len++] = (NI - 1) - i; /* a duplicate line */
			}
		}
	}
	start[NB] = len;
	struct kh_itemsets fs;
	assert_int_equal(kh_fpgrowth(start, items, NB, NI, 0.03, 0, &fs), KH_OK);
	size_t expected = 0;
	for (uint32_t set = 1; set < (1u << NI); set++) {
		uint32_t sup = 0, it[NI];
		size_t l = 0;
		for (size_t b = 0; b < NB; b++)
			sup += (mask[b] & set) == set;
		if (sup < 12) /* ceil(0.03 * 400) */
			continue;
		expected++;
		for (int i = NI - 1; i >= 0; i--)
			if (set >> i & 1)
				it[l++] = (NI - 1) - i; /* ascending ids */
		int at = find_itemset(&fs, it, l);
		assert_true(at >= 0);
		assert_int_equal(fs.support[at], sup);
	}
	printf("%zu frequent itemsets\n", expected);
	assert_int_equal(fs.n, expected);
	assert_true(expected > 50);
	kh_itemsets_release(&fs);
}

static void also_bought_small(void **state)
{
	(void)state;
	/* Product 0 is in baskets 0, 1, 2; item 1 in 0, 1, 3; item 2 in 2. */
	const uint32_t items[] = {0, 1, 0, 1, 1, 0, 2, 1, 3};
	const size_t start[] = {0, 2, 5, 7, 9};
	struct kh_also out[4];
	size_t n;
	assert_int_equal(kh_also_bought(start, items, 4, 4, 0, 1, out, 4, &n), KH_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].item, 1);
	assert_int_equal(out[0].together, 2);
	assert_near(out[0].confidence, 2.0 / 3, 1e-12);
	assert_near(out[0].lift, (2.0 / 3) / (3.0 / 4), 1e-12);
	assert_int_equal(out[1].item, 2);
	assert_near(out[1].lift, (1.0 / 3) / (1.0 / 4), 1e-12);
	assert_int_equal(kh_also_bought(start, items, 4, 4, 0, 2, out, 4, &n), KH_OK);
	assert_int_equal(n, 1);
}

/* Cross-sell for a customer from the rules of five baskets: {0,1} {0,1}
 * {0,2} {1,2} {0,1,2}. Supports 0:4 1:4 2:3, {0,1}:3 {0,2}:2 {1,2}:2. */
static void recommend_small(void **state)
{
	(void)state;
	const uint32_t items[] = {0, 1, 0, 1, 0, 2, 1, 2, 0, 1, 2};
	const size_t start[] = {0, 2, 4, 6, 8, 11};
	struct kh_itemsets is;
	struct kh_rule *rules;
	size_t nr, n;
	assert_int_equal(kh_fpgrowth(start, items, 5, 4, 0.2, 0, &is), KH_OK);
	assert_int_equal(kh_assoc_rules(&is, 0, &rules, &nr), KH_OK);
	struct kh_reco out[4];
	/* Bought 0: 0 -> 1 (confidence 3/4, lift 0.75 / 0.8), then 0 -> 2 (2/4, 0.5 / 0.6). */
	uint8_t owned[4] = {1, 0, 0, 0};
	assert_int_equal(kh_recommend(&is, rules, nr, owned, 4, out, 4, &n), KH_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].item, 1);
	assert_near(out[0].confidence, 0.75, 1e-12);
	assert_near(out[0].lift, 0.75 / 0.8, 1e-12);
	assert_int_equal(is.start[rules[out[0].rule].antecedent + 1] - is.start[rules[out[0].rule].antecedent], 1);
	assert_int_equal(is.items[is.start[rules[out[0].rule].antecedent]], 0);
	assert_int_equal(out[1].item, 2);
	assert_near(out[1].confidence, 0.5, 1e-12);
	assert_near(out[1].lift, 0.5 / 0.6, 1e-12);
	/* At most max_out. */
	assert_int_equal(kh_recommend(&is, rules, nr, owned, 4, out, 1, &n), KH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].item, 1);
	/* Bought 0 and 1: only 2 is left; its best rule has confidence 1/2
	 * ({0,1} -> 2 has only 1/3). */
	owned[1] = 1;
	assert_int_equal(kh_recommend(&is, rules, nr, owned, 4, out, 4, &n), KH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].item, 2);
	assert_near(out[0].confidence, 0.5, 1e-12);
	/* Everything bought, or nothing: nothing to recommend (item 3 is in no rule). */
	owned[2] = 1;
	assert_int_equal(kh_recommend(&is, rules, nr, owned, 4, out, 4, &n), KH_OK);
	assert_int_equal(n, 0);
	memset(owned, 0, sizeof owned);
	assert_int_equal(kh_recommend(&is, rules, nr, owned, 4, out, 4, &n), KH_OK);
	assert_int_equal(n, 0);
	free(rules);
	kh_itemsets_release(&is);
}

/* The UCI Online Retail data, loaded once. */
static struct {
	size_t lines;
	size_t n;            /* kept lines: not cancelled, with a customer */
	uint32_t *cust;      /* CustomerID - 12346 */
	int32_t *day;
	double *amount;
	int64_t *order;
	size_t customers_all; /* distinct CustomerIDs over all lines */
	/* baskets over all non-cancelled invoices (with or without customer) */
	size_t nb, nbi;
	size_t *bstart;
	uint32_t *bitem;
	uint32_t n_items;
	char (*code)[16];
} uci;

/* Splits a CSV line into at most nf fields (quotes removed, "" kept as ").
 * Returns the number of fields; fields point into line, which is modified. */
static int split_csv(char *line, char **f, int nf)
{
	int k = 0;
	char *r = line, *w = line;
	while (k < nf) {
		f[k++] = w;
		int q = 0;
		for (;; r++) {
			if (*r == '"') {
				if (q && r[1] == '"') {
					*w++ = '"';
					r++;
				} else {
					q = !q;
				}
			} else if ((*r == ',' && !q) || *r == '\n' || *r == '\r' || !*r) {
				break;
			} else {
				*w++ = *r;
			}
		}
		int end = *r != ',';
		*w++ = 0;
		r++;
		if (end)
			break;
	}
	return k;
}

static uint32_t item_id(const char *code)
{
	/* Open addressing over the stock codes (about 4,000 distinct). */
	enum { CAP = 1 << 14 };
	static int32_t slot[CAP];
	static int init;
	if (!init) {
		memset(slot, 0xff, sizeof(slot));
		uci.code = calloc(CAP, sizeof(*uci.code));
		init = 1;
	}
	uint64_t h = 1469598103934665603ULL;
	for (const char *c = code; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ULL;
	for (size_t k = h & (CAP - 1);; k = (k + 1) & (CAP - 1)) {
		if (slot[k] < 0) {
			slot[k] = (int32_t)uci.n_items;
			snprintf(uci.code[uci.n_items], 16, "%s", code);
			return uci.n_items++;
		}
		if (!strcmp(uci.code[slot[k]], code))
			return (uint32_t)slot[k];
	}
}

static int load_uci(void)
{
	static int loaded = -1;
	if (loaded >= 0)
		return loaded;
	loaded = 0;
	FILE *f = at_popen_gz("online_retail_uci.csv.gz");
	if (!f)
		return 0;
	size_t cap = 560000;
	uci.cust = malloc(cap * sizeof(uint32_t));
	uci.day = malloc(cap * sizeof(int32_t));
	uci.amount = malloc(cap * sizeof(double));
	uci.order = malloc(cap * sizeof(int64_t));
	uci.bstart = malloc(cap * sizeof(size_t));
	uci.bitem = malloc(cap * sizeof(uint32_t));
	static uint8_t seen[10000];
	char line[1024], prev[32] = "";
	char *fld[8];
	int header = 1;
	while (fgets(line, sizeof(line), f)) {
		if (header) {
			header = 0;
			continue;
		}
		uci.lines++;
		if (split_csv(line, fld, 8) != 8)
			continue;
		long id = fld[6][0] ? strtol(fld[6], NULL, 10) : -1;
		if (id >= 12346 && !seen[id - 12346]) {
			seen[id - 12346] = 1;
			uci.customers_all++;
		}
		if (fld[0][0] == 'C')
			continue;
		/* A basket per invoice: the file keeps an invoice's lines together. */
		if (strcmp(prev, fld[0])) {
			snprintf(prev, sizeof(prev), "%s", fld[0]);
			uci.bstart[uci.nb++] = uci.nbi;
		}
		uci.bitem[uci.nbi++] = item_id(fld[1]);
		if (id < 12346)
			continue;
		int y, mo, d;
		if (sscanf(fld[4], "%d-%d-%d", &y, &mo, &d) != 3)
			continue;
		uci.cust[uci.n] = (uint32_t)(id - 12346);
		uci.day[uci.n] = at_days(y, mo, d);
		uci.amount[uci.n] = strtod(fld[3], NULL) * strtod(fld[5], NULL);
		uci.order[uci.n] = strtoll(fld[0] + (fld[0][0] < '0' || fld[0][0] > '9'), NULL, 10);
		uci.n++;
	}
	uci.bstart[uci.nb] = uci.nbi;
	pclose(f);
	loaded = uci.lines > 0;
	return loaded;
}

/* The counts commonly reported for this data set. */
static void uci_counts(void **state)
{
	(void)state;
	AT_SKIP_UNLESS(load_uci());
	assert_int_equal(uci.lines, 541909);
	assert_int_equal(uci.customers_all, 4372);
	struct kh_txns t = {uci.n, uci.cust, uci.day, uci.amount, uci.order};
	struct kh_summary s;
	assert_int_equal(kh_summary_build(&s, &t, 6000, at_days(2011, 12, 9), 0, 1), KH_OK);
	size_t customers = 0;
	for (size_t c = 0; c < s.n; c++)
		customers += s.purchases[c] > 0;
	assert_int_equal(customers, 4339);
	kh_summary_release(&s);
}

/* RFM on the cleaned UCI customers as of the day after the last invoice. */
static void uci_rfm_smoke(void **state)
{
	(void)state;
	AT_SKIP_UNLESS(load_uci());
	struct kh_txns t = {uci.n, uci.cust, uci.day, uci.amount, uci.order};
	struct kh_summary s;
	int32_t as_of = at_days(2011, 12, 10);
	assert_int_equal(kh_summary_build(&s, &t, 6000, as_of - 1, 0, 1), KH_OK);
	static double rec[6000], fr[6000], mon[6000];
	static uint8_t r[6000], f[6000], m[6000], seg[6000];
	double total = 0;
	for (size_t c = 0; c < s.n; c++) {
		rec[c] = s.purchases[c] ? as_of - s.last_day[c] : 0;
		fr[c] = s.orders[c];
		mon[c] = s.total[c];
		total += s.total[c];
	}
	struct kh_rfm_stat st[KH_RFM_NSEG];
	assert_int_equal(kh_rfm_score(rec, fr, mon, s.n, r, f, m, seg, st), KH_OK);
	size_t scored = 0, nr[6] = {0};
	double rev = 0;
	for (int k = 0; k < KH_RFM_NSEG; k++) {
		printf("%-20s %5zu %12.2f\n", kh_rfm_segment_name(k), st[k].customers, st[k].revenue);
		if (k)
			scored += st[k].customers;
		rev += st[k].revenue;
	}
	for (size_t c = 0; c < s.n; c++)
		nr[r[c]]++;
	assert_int_equal(scored, 4339);
	assert_near(rev, total, 1e-6 * total);
	/* Recency has few ties per day: each R quintile holds 15-25%. */
	for (int k = 1; k <= 5; k++)
		assert_true(nr[k] > 0.15 * 4339 && nr[k] < 0.25 * 4339);
	/* The segments mean what they say. */
	assert_true(st[KH_RFM_CHAMPIONS].customers > 0 && st[KH_RFM_LOST].customers > 0);
	assert_true(st[KH_RFM_CHAMPIONS].revenue / st[KH_RFM_CHAMPIONS].customers >
		    5 * st[KH_RFM_LOST].revenue / st[KH_RFM_LOST].customers);
	/* Quintiles never overlap: every customer with R = k + 1 bought more
	 * recently than every customer with R = k, and likewise for F and M. */
	double lo[3][6], hi[3][6];
	for (int k = 0; k < 6; k++)
		for (int v = 0; v < 3; v++) {
			lo[v][k] = INFINITY;
			hi[v][k] = -INFINITY;
		}
	for (size_t c = 0; c < s.n; c++) {
		if (!s.purchases[c])
			continue;
		const double val[3] = {-rec[c], fr[c], mon[c]};
		const uint8_t sc[3] = {r[c], f[c], m[c]};
		for (int v = 0; v < 3; v++) {
			lo[v][sc[v]] = fmin(lo[v][sc[v]], val[v]);
			hi[v][sc[v]] = fmax(hi[v][sc[v]], val[v]);
		}
	}
	for (int v = 0; v < 3; v++) {
		double prev_hi = -INFINITY;
		for (int k = 1; k <= 5; k++) {
			if (!isfinite(lo[v][k]))
				continue; /* a score skipped because of ties */
			assert_true(lo[v][k] > prev_hi);
			prev_hi = hi[v][k];
		}
	}
	kh_summary_release(&s);
}

/* FP-growth on the UCI invoices: every frequent pair's support equals a
 * direct count, and "also bought" agrees with the pairs. */
static void uci_fpgrowth(void **state)
{
	(void)state;
	AT_SKIP_UNLESS(load_uci());
	struct kh_itemsets fs;
	assert_int_equal(kh_fpgrowth(uci.bstart, uci.bitem, uci.nb, uci.n_items, 0.02, 0, &fs), KH_OK);
	size_t singles = 0, pairs = 0, larger = 0;
	for (size_t j = 0; j < fs.n; j++) {
		size_t l = fs.start[j + 1] - fs.start[j];
		singles += l == 1;
		pairs += l == 2;
		larger += l > 2;
	}
	printf("%zu baskets, %u items; %zu frequent items, %zu pairs, %zu larger\n", uci.nb,
	       uci.n_items, singles, pairs, larger);
	assert_true(pairs > 0);
	uint32_t minsup = (uint32_t)ceil(0.02 * uci.nb);
	/* Direct pair counts among the frequent items, basket by basket. */
	uint32_t *fi = malloc(singles * sizeof(uint32_t));
	int32_t *pos = malloc(uci.n_items * sizeof(int32_t));
	size_t nfi = 0;
	for (uint32_t i = 0; i < uci.n_items; i++)
		pos[i] = -1;
	for (size_t j = 0; j < fs.n; j++)
		if (fs.start[j + 1] - fs.start[j] == 1) {
			pos[fs.items[fs.start[j]]] = (int32_t)nfi;
			fi[nfi++] = fs.items[fs.start[j]];
		}
	uint32_t *pc = calloc(nfi * nfi, sizeof(uint32_t));
	uint8_t *in = calloc(nfi, 1);
	for (size_t b = 0; b < uci.nb; b++) {
		uint32_t here[512];
		size_t h = 0;
		for (size_t k = uci.bstart[b]; k < uci.bstart[b + 1]; k++) {
			int32_t q = pos[uci.bitem[k]];
			if (q >= 0 && !in[q] && h < 512) {
				in[q] = 1;
				here[h++] = (uint32_t)q;
			}
		}
		for (size_t x = 0; x < h; x++) {
			in[here[x]] = 0;
			for (size_t y = 0; y < h; y++)
				if (here[x] < here[y])
					pc[here[x] * nfi + here[y]]++;
		}
	}
	size_t direct_pairs = 0;
	for (size_t x = 0; x < nfi; x++)
		for (size_t y = x + 1; y < nfi; y++) {
			if (pc[x * nfi + y] < minsup)
				continue;
			direct_pairs++;
			uint32_t it[2] = {fi[x] < fi[y] ? fi[x] : fi[y], fi[x] < fi[y] ? fi[y] : fi[x]};
			int at = find_itemset(&fs, it, 2);
			assert_true(at >= 0);
			assert_int_equal(fs.support[at], pc[x * nfi + y]);
		}
	assert_int_equal(direct_pairs, pairs);
	/* Also bought for the most frequent item: its top partners' counts are
	 * the pair supports. */
	size_t top = 0;
	for (size_t j = 0; j < fs.n; j++)
		if (fs.start[j + 1] - fs.start[j] == 1 &&
		    (fs.start[top + 1] - fs.start[top] != 1 || fs.support[j] > fs.support[top]))
			top = j;
	uint32_t prod = fs.items[fs.start[top]];
	struct kh_also out[10];
	size_t n;
	assert_int_equal(kh_also_bought(uci.bstart, uci.bitem, uci.nb, uci.n_items, prod, minsup, out,
					10, &n), KH_OK);
	printf("most frequent item %s in %u baskets; top partner %s (%u)\n", uci.code[prod],
	       fs.support[top], n ? uci.code[out[0].item] : "-", n ? out[0].together : 0);
	for (size_t k = 0; k < n; k++) {
		uint32_t it[2] = {prod < out[k].item ? prod : out[k].item,
				  prod < out[k].item ? out[k].item : prod};
		int at = find_itemset(&fs, it, 2);
		assert_true(at >= 0);
		assert_int_equal(fs.support[at], out[k].together);
		assert_near(out[k].confidence, (double)out[k].together / fs.support[top], 1e-12);
	}
	struct kh_rule *rules;
	size_t nr;
	assert_int_equal(kh_assoc_rules(&fs, 0.5, &rules, &nr), KH_OK);
	if (nr)
		printf("%zu rules; best lift %.2f confidence %.2f -> %s\n", nr, rules[0].lift,
		       rules[0].confidence, uci.code[rules[0].consequent]);
	assert_true(nr > 0 && rules[0].lift > 1);
	free(rules);
	free(fi);
	free(pos);
	free(pc);
	free(in);
	kh_itemsets_release(&fs);
}

static int teardown(void **state)
{
	(void)state;
	free(uci.cust);
	free(uci.day);
	free(uci.amount);
	free(uci.order);
	free(uci.bstart);
	free(uci.bitem);
	free(uci.code);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fpgrowth_textbook),
		cmocka_unit_test(fpgrowth_matches_brute_force),
		cmocka_unit_test(also_bought_small),
		cmocka_unit_test(recommend_small),
		cmocka_unit_test(uci_counts),
		cmocka_unit_test(uci_rfm_smoke),
		cmocka_unit_test(uci_fpgrowth),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
