/* kehu migrate-data --from sqlite.db --to postgresql://...
 *
 * Moves a company from the embedded database to PostgreSQL: every table of
 * the SQLite file is copied into a new PostgreSQL database with the same
 * schema (both are brought to this kehu's schema first), in one transaction
 * on the target, and then verified: per table, the number of rows and an
 * order-independent checksum of their values must be the same on both sides.
 * The search index is not copied row by row (its SQLite tables are FTS5's);
 * its documents are, and PostgreSQL indexes them. Any failure leaves the
 * target as it was (the transaction is rolled back) and the source untouched.
 *
 * Stop the servers on the source first: the copy is a consistent snapshot
 * (one read transaction), so writes made during it would not be in it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "model/entity.h"
#include "store/pg.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/progress.h"

#define MAX_TABLES 256
#define MAX_COLS 256

struct table {
	char *name;
	char *cols;   /* "a, b, c" */
	int ncols;
	int64_t rows; /* in the source */
	uint64_t sum; /* checksum of the source's rows */
	int done;     /* copied (topological order) */
};

struct migration {
	struct kh_db *src, *dst;
	struct table t[MAX_TABLES];
	int n;
	int64_t total, copied, docs;
	struct kh_progress bar;
	const char *stage;
};

static void progress(struct migration *m, const char *table, int force)
{
	kh_progress_draw(&m->bar, m->copied, m->total, force, "%-9s %-24.24s", m->stage, table);
}

/* ---- checksums ---- */

/* FNV-1a over one value in a canonical form: its type, then its text. Integers
 * and reals print the same on both engines (%lld, %.17g); NULL is a tag of its
 * own, so NULL and '' differ. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

static uint64_t hash_value(uint64_t h, struct kh_val v)
{
	char tmp[64];
	int n = 0;
	unsigned char tag = (unsigned char)v.t;
	h = fnv(h, &tag, 1);
	switch (v.t) {
	case KH_V_NULL: break;
	case KH_V_INT: n = snprintf(tmp, sizeof tmp, "%lld", (long long)v.i); h = fnv(h, tmp, (size_t)n); break;
	case KH_V_REAL: n = snprintf(tmp, sizeof tmp, "%.17g", v.d); h = fnv(h, tmp, (size_t)n); break;
	case KH_V_TEXT: h = fnv(h, v.s, v.n); break;
	}
	return fnv(h, "\x1f", 1);
}

/* Counts the rows of a table on db and sums the hashes of the rows: a sum, so
 * the order rows come in does not matter (the engines order text differently). */
static enum kh_err checksum(struct kh_db *db, const struct table *t, int64_t *rows, uint64_t *sum)
{
	char sql[4096];
	if (snprintf(sql, sizeof sql, "SELECT %s FROM %s", t->cols, t->name) >= (int)sizeof sql)
		return KH_EINVAL;
	struct kh_rows *r;
	enum kh_err err = kh_db_query(db, sql, NULL, 0, &r);
	if (err)
		return err;
	int rc;
	*rows = 0;
	*sum = 0;
	while ((rc = kh_rows_next(db, r)) > 0) {
		uint64_t h = 1469598103934665603ULL;
		for (int i = 0; i < t->ncols; i++)
			h = hash_value(h, kh_rows_col(db, r, i));
		*sum += h;
		++*rows;
	}
	kh_rows_end(db, r);
	return rc < 0 ? (enum kh_err)-rc : KH_OK;
}

/* ---- the source's tables ---- */

static int skipped_table(const char *name)
{
	/* SQLite's own tables, and the FTS5 search tables with their shadow
	 * tables: the target has a search index of its own. */
	return !strncmp(name, "sqlite_", 7) || !strncmp(name, "kh_search", 9);
}

static enum kh_err list_tables(struct migration *m, char *msg, size_t msglen)
{
	struct kh_rows *r;
	enum kh_err err = kh_db_query(m->src, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", NULL,
				      0, &r);
	if (err) {
		snprintf(msg, msglen, "cannot list the source's tables: %s", m->src->ops->errmsg(m->src));
		return err;
	}
	int rc;
	while ((rc = kh_rows_next(m->src, r)) > 0) {
		const char *name = kh_rows_col(m->src, r, 0).s;
		if (skipped_table(name))
			continue;
		if (m->n == MAX_TABLES) {
			snprintf(msg, msglen, "more than %d tables", MAX_TABLES);
			kh_rows_end(m->src, r);
			return KH_EINVAL;
		}
		m->t[m->n++].name = strdup(name);
	}
	kh_rows_end(m->src, r);
	for (int i = 0; !err && i < m->n; i++) {
		struct kh_buf cols = KH_BUF_INIT;
		struct kh_val p = KH_VTEXT(m->t[i].name);
		err = kh_db_query(m->src, "SELECT name FROM pragma_table_info($1) ORDER BY cid", &p, 1, &r);
		while (!err && (rc = kh_rows_next(m->src, r)) > 0) {
			kh_buf_addf(&cols, "%s%s", m->t[i].ncols ? ", " : "", kh_rows_col(m->src, r, 0).s);
			m->t[i].ncols++;
		}
		if (!err)
			kh_rows_end(m->src, r);
		if (!err && (cols.err || m->t[i].ncols == 0 || m->t[i].ncols > MAX_COLS))
			err = KH_EINVAL;
		m->t[i].cols = kh_buf_detach(&cols, NULL);
	}
	if (err)
		snprintf(msg, msglen, "cannot read the source's columns: %s", m->src->ops->errmsg(m->src));
	return err;
}

/* Every table and column of the source must exist in the target: both were
 * brought to this kehu's schema, so a difference means a table that is not
 * Kehu's (it is not copied silently). */
static enum kh_err check_target(struct migration *m, char *msg, size_t msglen)
{
	for (int i = 0; i < m->n; i++) {
		char sql[4096];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT %s FROM %s LIMIT 0) AS t", m->t[i].cols,
			 m->t[i].name);
		int64_t n;
		if (kh_db_int(m->dst, sql, NULL, 0, &n)) {
			snprintf(msg, msglen, "the target has no table %s with the columns (%s) of the source: %s",
				 m->t[i].name, m->t[i].cols, m->dst->ops->errmsg(m->dst));
			return KH_EINVAL;
		}
	}
	int64_t users = 0;
	if (kh_db_int(m->dst, "SELECT count(*) FROM users", NULL, 0, &users) || users > 0) {
		snprintf(msg, msglen,
			 "the target already holds Kehu data (%lld users): migrate-data fills a new, empty database "
			 "(create it with createdb, without `kehu init`)",
			 (long long)users);
		return KH_ECONFLICT;
	}
	return KH_OK;
}

/* ---- copying ---- */

/* Tables are filled in an order where each comes after the tables its
 * remaining foreign keys point to. The foreign keys of entities are dropped
 * for the copy and added again afterwards (one check of each instead of one
 * per row, and entities refer to each other in cycles); those left are the
 * fixed ones of Kehu's own tables (sessions -> users), which form no cycle. */
static enum kh_err copy_order(struct migration *m, int *order, char *msg, size_t msglen)
{
	struct kh_rows *r;
	enum kh_err err = kh_db_query(m->dst,
				      "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_catalog.pg_constraint "
				      "WHERE contype = 'f' AND connamespace = to_regnamespace(current_schema())",
				      NULL, 0, &r);
	if (err) {
		snprintf(msg, msglen, "cannot read the target's foreign keys: %s", m->dst->ops->errmsg(m->dst));
		return err;
	}
	static char dep[MAX_TABLES][MAX_TABLES];
	memset(dep, 0, sizeof dep);
	int rc;
	while ((rc = kh_rows_next(m->dst, r)) > 0) {
		const char *from = kh_rows_col(m->dst, r, 0).s, *to = kh_rows_col(m->dst, r, 1).s;
		int a = -1, b = -1;
		for (int i = 0; i < m->n; i++) {
			if (!strcmp(m->t[i].name, from))
				a = i;
			if (!strcmp(m->t[i].name, to))
				b = i;
		}
		if (a >= 0 && b >= 0 && a != b)
			dep[a][b] = 1;
	}
	kh_rows_end(m->dst, r);
	int placed = 0;
	for (int round = 0; round < m->n && placed < m->n; round++)
		for (int i = 0; i < m->n; i++) {
			if (m->t[i].done)
				continue;
			int ready = 1;
			for (int j = 0; j < m->n && ready; j++)
				ready = !dep[i][j] || m->t[j].done;
			if (ready) {
				m->t[i].done = 1;
				order[placed++] = i;
			}
		}
	if (placed < m->n) {
		snprintf(msg, msglen, "the target's foreign keys form a cycle that cannot be ordered");
		return KH_EINVAL;
	}
	return KH_OK;
}

static enum kh_err drop_entity_references(struct kh_db *dst)
{
	enum kh_err err = KH_OK;
	for (int i = 0; !err && i < kh_nentities; i++)
		for (int k = 0; !err && k < kh_entities[i]->nfields; k++) {
			const struct kh_field *f = &kh_entities[i]->fields[k];
			if (f->type != KH_T_REF)
				continue;
			char sql[512];
			snprintf(sql, sizeof sql, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS fk_%s_%s", kh_entities[i]->name,
				 kh_entities[i]->name, f->name);
			err = kh_db_exec(dst, sql, NULL, 0);
		}
	return err;
}

static enum kh_err add_entity_references(struct kh_db *dst)
{
	enum kh_err err = KH_OK;
	for (int i = 0; !err && i < kh_nentities; i++)
		for (int k = 0; !err && k < kh_entities[i]->nfields; k++)
			if (kh_entities[i]->fields[k].type == KH_T_REF)
				err = dst->ops->add_reference(dst, kh_entities[i]->name, kh_entities[i]->fields[k].name,
							      kh_entities[i]->fields[k].ref);
	return err;
}

/* Appends v to a COPY text-format line. */
static void copy_value(struct kh_buf *b, struct kh_val v)
{
	switch (v.t) {
	case KH_V_NULL: kh_buf_adds(b, "\\N"); break;
	case KH_V_INT: kh_buf_add_int(b, v.i); break;
	case KH_V_REAL: kh_buf_addf(b, "%.17g", v.d); break;
	case KH_V_TEXT: kh_pg_copy_field(b, v.s, v.n); break;
	}
}

/* Streams one table from the source into COPY on the target. */
static enum kh_err copy_table(struct migration *m, struct table *t, char *msg, size_t msglen)
{
	PGconn *c = kh_pg_conn(m->dst);
	char sql[4096];
	snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", t->name, t->cols);
	PGresult *res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		enum kh_err err = kh_pg_fail(m->dst, res, "copy");
		snprintf(msg, msglen, "%s: %s", t->name, m->dst->ops->errmsg(m->dst));
		PQclear(res);
		return err;
	}
	PQclear(res);
	snprintf(sql, sizeof sql, "SELECT %s FROM %s", t->cols, t->name);
	struct kh_rows *r;
	enum kh_err err = kh_db_query(m->src, sql, NULL, 0, &r);
	struct kh_buf b = KH_BUF_INIT;
	int rc = 0, sent = 1;
	while (!err && sent == 1 && (rc = kh_rows_next(m->src, r)) > 0) {
		for (int i = 0; i < t->ncols; i++) {
			if (i)
				kh_buf_addc(&b, '\t');
			copy_value(&b, kh_rows_col(m->src, r, i));
		}
		kh_buf_addc(&b, '\n');
		m->copied++;
		if (b.len > (1u << 20)) {
			sent = b.err ? -1 : PQputCopyData(c, b.data, (int)b.len);
			kh_buf_reset(&b);
			progress(m, t->name, 0);
		}
	}
	if (!err)
		kh_rows_end(m->src, r);
	if (!err && rc < 0)
		err = (enum kh_err)-rc;
	if (!err && sent == 1 && b.len)
		sent = b.err ? -1 : PQputCopyData(c, b.data, (int)b.len);
	kh_buf_release(&b);
	/* Ending the COPY with an error message makes the server abandon it. */
	if (PQputCopyEnd(c, err || sent != 1 ? "kehu: the source could not be read" : NULL) != 1 && !err)
		err = kh_pg_fail(m->dst, NULL, "copy");
	while ((res = PQgetResult(c))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && !err)
			err = kh_pg_fail(m->dst, res, "copy");
		PQclear(res);
	}
	if (err)
		snprintf(msg, msglen, "%s: %s", t->name,
			 sent != 1 || m->dst->ops->errmsg(m->dst)[0] ? m->dst->ops->errmsg(m->dst)
								  : m->src->ops->errmsg(m->src));
	return err;
}

/* Identity columns number on from the highest id copied. */
static enum kh_err renumber(struct migration *m, const struct table *t)
{
	if (strncmp(t->cols, "id,", 3) && strcmp(t->cols, "id"))
		return KH_OK;
	struct kh_val p = KH_VTEXT(t->name);
	int64_t is_identity = 0;
	enum kh_err err = kh_db_int(m->dst,
				    "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
				    "AND table_name = $1 AND column_name = 'id' AND is_identity = 'YES'",
				    &p, 1, &is_identity);
	if (err || !is_identity)
		return err;
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE((SELECT max(id) FROM %s), 0) + 1, false)",
		 t->name, t->name);
	return kh_db_exec(m->dst, sql, NULL, 0);
}

/* The search documents, as SQLite's trigram table holds them. */
static enum kh_err copy_search(struct migration *m, char *msg, size_t msglen)
{
	struct kh_rows *r;
	enum kh_err err = kh_db_query(m->src, "SELECT rowid, body FROM kh_search", NULL, 0, &r);
	int rc = 0;
	while (!err && (rc = kh_rows_next(m->src, r)) > 0) {
		struct kh_val doc = kh_rows_col(m->src, r, 0), body = kh_rows_col(m->src, r, 1);
		err = m->dst->ops->search_put(m->dst, doc.i, body.t == KH_V_TEXT ? body.s : "", 0);
		m->copied++;
		progress(m, "search index", 0);
	}
	if (!err || r)
		kh_rows_end(m->src, r);
	if (!err && rc < 0)
		err = (enum kh_err)-rc;
	if (err)
		snprintf(msg, msglen, "search index: %s", m->dst->ops->errmsg(m->dst));
	return err;
}

static enum kh_err run(struct migration *m, char *msg, size_t msglen)
{
	int order[MAX_TABLES];
	enum kh_err err;
	if ((err = list_tables(m, msg, msglen)) || (err = check_target(m, msg, msglen)))
		return err;
	/* The SQLite driver indexes search documents after their transaction (a
	 * queue that the server applies in the background, and the documents a
	 * crashed bulk load staged): apply what waits, so that the copy has every
	 * document. */
	int64_t queued = 0;
	for (int i = 0; m->src->ops->search_flush && i < 100000; i++) {
		if (kh_db_int(m->src, "SELECT (SELECT count(*) FROM kh_search_queue) + (SELECT count(*) FROM kh_search_bulk)",
			      NULL, 0, &queued) ||
		    queued == 0)
			break;
		if ((err = m->src->ops->search_flush(m->src))) {
			snprintf(msg, msglen, "cannot bring the source's search index up to date: %s",
				 m->src->ops->errmsg(m->src));
			return err;
		}
	}
	/* One snapshot of the source for the copy and its checksums. */
	if ((err = kh_db_begin(m->src, KH_TX_READ))) {
		snprintf(msg, msglen, "cannot read the source: %s", m->src->ops->errmsg(m->src));
		return err;
	}
	m->stage = "counting";
	for (int i = 0; !err && i < m->n; i++) {
		err = checksum(m->src, &m->t[i], &m->t[i].rows, &m->t[i].sum);
		m->total += m->t[i].rows;
		progress(m, m->t[i].name, 1);
	}
	if (!err)
		err = kh_db_int(m->src, "SELECT count(*) FROM kh_search", NULL, 0, &m->docs);
	m->total += m->docs;
	if (err) {
		snprintf(msg, msglen, "cannot read the source: %s", m->src->ops->errmsg(m->src));
		goto out;
	}
	m->dst->ops->bulk(m->dst, KH_BULK_LOAD);
	if ((err = kh_db_begin(m->dst, KH_TX_WRITE))) {
		snprintf(msg, msglen, "cannot write the target: %s", m->dst->ops->errmsg(m->dst));
		goto out;
	}
	/* What the target's migrations put in (its kh_meta, kh_migrations,
	 * kh_columns, built-in rows) is replaced by the source's own. */
	struct kh_buf all = KH_BUF_INIT;
	kh_buf_adds(&all, "TRUNCATE kh_search");
	for (int i = 0; i < m->n; i++)
		kh_buf_addf(&all, ", %s", m->t[i].name);
	err = all.err ? all.err : kh_db_exec(m->dst, all.data, NULL, 0);
	kh_buf_release(&all);
	if (!err)
		err = drop_entity_references(m->dst);
	if (err) {
		snprintf(msg, msglen, "cannot empty the target: %s", m->dst->ops->errmsg(m->dst));
		goto out;
	}
	if ((err = copy_order(m, order, msg, msglen)))
		goto out;
	m->stage = "copying";
	for (int k = 0; !err && k < m->n; k++) {
		struct table *t = &m->t[order[k]];
		progress(m, t->name, 1);
		err = copy_table(m, t, msg, msglen);
		if (!err && (err = renumber(m, t)))
			snprintf(msg, msglen, "%s: cannot set its next id: %s", t->name, m->dst->ops->errmsg(m->dst));
	}
	if (!err && (err = add_entity_references(m->dst)))
		snprintf(msg, msglen, "a record refers to one that does not exist: %s", m->dst->ops->errmsg(m->dst));
	if (!err)
		err = copy_search(m, msg, msglen);
	if (!err && (err = m->dst->ops->bulk(m->dst, KH_BULK_END)))
		snprintf(msg, msglen, "search index: %s", m->dst->ops->errmsg(m->dst));

	/* Verify inside the transaction, before it commits: a difference rolls
	 * everything back. */
	m->stage = "verifying";
	for (int i = 0; !err && i < m->n; i++) {
		int64_t rows;
		uint64_t sum;
		progress(m, m->t[i].name, 1);
		err = checksum(m->dst, &m->t[i], &rows, &sum);
		if (err)
			snprintf(msg, msglen, "%s: cannot read it back: %s", m->t[i].name, m->dst->ops->errmsg(m->dst));
		else if (rows != m->t[i].rows || sum != m->t[i].sum) {
			snprintf(msg, msglen, "%s differs after the copy: %lld rows (checksum %016llx) in the source, "
					      "%lld (%016llx) in the target",
				 m->t[i].name, (long long)m->t[i].rows, (unsigned long long)m->t[i].sum, (long long)rows,
				 (unsigned long long)sum);
			err = KH_EDB;
		}
	}
	if (!err && (err = kh_db_commit(m->dst)))
		snprintf(msg, msglen, "the copy could not be committed: %s", m->dst->ops->errmsg(m->dst));
out:
	kh_db_rollback(m->dst);
	kh_db_rollback(m->src);
	return err;
}

int kh_cmd_migrate_data(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	const struct kh_opt opts[] = {
		{"--from", KH_OPT_STRING, &from, NULL, "PATH", "the SQLite database to copy", .required = 1},
		{"--to", KH_OPT_STRING, &to, NULL, "URI", "a new, empty PostgreSQL database (postgresql://...)",
		 .required = 1},
		{0},
	};
	kh_opts_parse("migrate-data", "--from PATH --to postgresql://...", opts, argc, argv);
	if (strncmp(to, "postgresql://", 13) && strncmp(to, "postgres://", 11)) {
		fprintf(stderr, "kehu migrate-data: --to must be a postgresql:// URI\n");
		return 2;
	}
	if (!strncmp(from, "postgresql://", 13) || !strncmp(from, "postgres://", 11)) {
		fprintf(stderr, "kehu migrate-data: --from must be an SQLite database file\n");
		return 2;
	}
	struct migration m = {0};
	kh_progress_init(&m.bar);
	int rc = 1;
	char msg[1024] = "";
	m.src = kh_cli_open_db("migrate-data", from, 0);
	if (m.src)
		m.dst = kh_cli_open_db("migrate-data", to, 1);
	if (m.src && m.dst) {
		int64_t started = kh_now();
		enum kh_err err = run(&m, msg, sizeof msg);
		kh_progress_end(&m.bar);
		if (err) {
			fprintf(stderr, "kehu migrate-data: %s; the target was left as it was\n", msg);
		} else {
			printf("Copied %d tables (%lld rows and %lld search documents) from %s in %.1f s; every table's "
			       "row count and checksum match\n",
			       m.n, (long long)(m.copied - m.docs), (long long)m.docs, from, (double)(kh_now() - started) / 1e6);
			rc = 0;
		}
	}
	kh_db_close(m.src);
	kh_db_close(m.dst);
	for (int i = 0; i < m.n; i++) {
		free(m.t[i].name);
		free(m.t[i].cols);
	}
	return rc;
}
