/* kehu dedupe ENTITY --db PATH [--threshold 0.8] [--limit 20] [--json]
 * kehu dedupe ENTITY --db PATH --merge WINNER,LOSER[,LOSER...] [--take field=id,...]
 * kehu dedupe --db PATH --undo MERGE_ID
 *
 * Scans an entity for likely duplicates (domain/dedupe.h) with a progress bar
 * and lists the clusters, best first; merges one cluster, or undoes a merge. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "domain/dedupe.h"
#include "domain/merge.h"
#include "util/clock.h"
#include "util/progress.h"

static void bar(void *cls, const char *stage, int64_t done, int64_t total)
{
	kh_progress_draw(cls, done, total, 0, "%-10s", stage);
}

static void print_ei(const struct kh_errinfo *ei)
{
	fprintf(stderr, "kehu dedupe: %s", ei->msg ? ei->msg : kh_strerror(ei->code));
	for (int i = 0; i < ei->nfields; i++)
		fprintf(stderr, "%s %s %s", i ? "," : ":", ei->fields[i].field, ei->fields[i].msg);
	fputc('\n', stderr);
}

/* Prints the clusters of the scan's JSON, with each record's name. */
static void print_clusters(struct kh_db *db, const struct kh_entity *e, json_t *j)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(j, "data"), i, c) {
		printf("%.3f ", json_number_value(json_object_get(c, "score")));
		size_t k;
		json_t *id;
		json_array_foreach(json_object_get(c, "ids"), k, id) {
			char sql[160];
			snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = $1", e->title->name, e->name);
			struct kh_val p = KH_VINT((int64_t)json_integer_value(id));
			struct kh_rows *rows;
			const char *name = "";
			if (kh_db_query(db, sql, &p, 1, &rows) == KH_OK) {
				if (kh_rows_next(db, rows) > 0 && kh_rows_col(db, rows, 0).t == KH_V_TEXT)
					name = kh_rows_col(db, rows, 0).s;
				printf(" #%lld %s", (long long)json_integer_value(id), name);
				kh_rows_end(db, rows);
			}
		}
		json_t *pair = json_array_get(json_object_get(c, "pairs"), 0), *r;
		size_t m;
		printf("  (");
		json_array_foreach(json_object_get(pair, "reasons"), m, r)
			printf("%s%s", m ? ", " : "", json_string_value(r));
		printf(")\n");
	}
}

int kh_cmd_dedupe(int argc, char **argv)
{
	const char *usage = "ENTITY --db PATH [--threshold 0.8] [--limit 20] [--json] | --merge KEEP,ID... | --undo MERGE_ID";
	const char *path = NULL, *threshold = NULL, *merge = NULL, *take = NULL;
	long limit = 20, undo = 0;
	int as_json = 0;
	const struct kh_opt opts[] = {
		{"--db", KH_OPT_STRING, &path, "KEHU_DB", "PATH", "the database", .required = 1},
		{"--threshold", KH_OPT_STRING, &threshold, NULL, "0..1", "the lowest score of a likely duplicate (default 0.8)"},
		{"--limit", KH_OPT_INT, &limit, NULL, "N", "clusters to list, best first (default 20)", .min = 1, .max = 100000},
		{"--json", KH_OPT_FLAG, &as_json, NULL, NULL, "print the clusters as JSON, with the records"},
		{"--merge", KH_OPT_STRING, &merge, NULL, "KEEP,ID...", "merge these records into the first one"},
		{"--take", KH_OPT_STRING, &take, NULL, "FIELD=ID,...", "with --merge: take these fields from these records"},
		{"--undo", KH_OPT_INT, &undo, NULL, "MERGE_ID", "undo a merge", .min = 1, .max = 1L << 62},
		{0},
	};
	const struct kh_entity *e = NULL;
	if (argc >= 1 && strncmp(argv[0], "--", 2)) {
		if (!(e = kh_entity_find(argv[0]))) {
			fprintf(stderr, "kehu dedupe: there is no entity '%s'\n", argv[0]);
			return 2;
		}
		argc--, argv++;
	}
	kh_opts_parse("dedupe", usage, opts, argc, argv);
	struct kh_dedupe_opts o = {0.8, (int)limit, 50};
	if (threshold) {
		char *end;
		o.threshold = strtod(threshold, &end);
		if (*end || !(o.threshold > 0 && o.threshold <= 1)) {
			fprintf(stderr, "kehu dedupe: --threshold is a number above 0, at most 1\n");
			return 2;
		}
	}
	if (!e && !undo) {
		fprintf(stderr, "kehu dedupe: give the entity first (see kehu dedupe --help)\n");
		return 2;
	}
	struct kh_db *db = kh_cli_open_db("dedupe", path, 0);
	if (!db)
		return 1;
	struct kh_arena arena;
	struct kh_errinfo ei;
	kh_arena_init(&arena);
	kh_errinfo_init(&ei, &arena);
	struct kh_principal who = {.user_id = 0, .username = "dedupe", .role = "admin", .is_admin = 1};
	struct kh_ctx ctx = {.db = db, .who = &who, .arena = &arena, .ei = &ei};
	int rc = 0;
	if (undo) {
		if (kh_merge_undo(&ctx, undo)) {
			print_ei(&ei);
			rc = 1;
		} else {
			printf("Merge %ld is undone\n", undo);
		}
	} else if (merge) {
		int64_t ids[KH_MERGE_MAX_LOSERS + 1];
		int n = 0;
		char *list = kh_arena_strdup(&arena, merge), *save = NULL;
		for (char *t = strtok_r(list, ",", &save); t && n <= KH_MERGE_MAX_LOSERS; t = strtok_r(NULL, ",", &save))
			ids[n++] = strtoll(t, NULL, 10);
		json_t *fields = json_object();
		if (take) {
			char *tl = kh_arena_strdup(&arena, take), *s2 = NULL;
			for (char *t = strtok_r(tl, ",", &s2); t; t = strtok_r(NULL, ",", &s2)) {
				char *eq = strchr(t, '=');
				if (eq) {
					*eq = '\0';
					json_object_set_new(fields, t, json_integer(strtoll(eq + 1, NULL, 10)));
				}
			}
		}
		int64_t id;
		if (n < 2 || kh_merge(&ctx, e, ids[0], ids + 1, n - 1, fields, &id)) {
			if (n < 2)
				fprintf(stderr, "kehu dedupe: --merge takes the id to keep and at least one more\n");
			else
				print_ei(&ei);
			rc = n < 2 ? 2 : 1;
		} else {
			printf("Merged %d %s into %s %lld (merge %lld; undo with kehu dedupe --db %s --undo %lld)\n", n - 1,
			       e->name, e->singular, (long long)ids[0], (long long)id, path, (long long)id);
		}
		json_decref(fields);
	} else {
		struct kh_progress progress;
		kh_progress_init(&progress);
		int64_t started = kh_now();
		struct kh_dedupe *d;
		int failed = kh_dedupe_scan(&ctx, e, &o, bar, &progress, &d) != KH_OK;
		kh_progress_end(&progress);
		if (failed) {
			print_ei(&ei);
			rc = 1;
		} else {
			struct kh_buf b = KH_BUF_INIT;
			struct kh_jw w;
			kh_jw_init(&w, &b);
			if (kh_dedupe_json(&ctx, d, &w, as_json) == KH_OK && !b.err) {
				if (as_json) {
					printf("%s\n", b.data);
				} else {
					json_t *j = json_loadb(b.data, b.len, 0, NULL);
					printf("Scanned %lld %s in %.1f s: %lld clusters of likely duplicates (score >= %.2f)\n",
					       (long long)kh_dedupe_scanned(d), e->name, (double)(kh_now() - started) / 1e6,
					       (long long)kh_dedupe_nclusters(d), o.threshold);
					print_clusters(db, e, j);
					json_decref(j);
				}
			}
			kh_buf_release(&b);
			kh_dedupe_free(d);
		}
	}
	kh_arena_release(&arena);
	kh_db_close(db);
	return rc;
}
