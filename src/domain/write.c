#include "domain/write.h"

#include <string.h>

#include "domain/search.h"
#include "model/permission.h"
#include "model/record_json.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/textnorm.h"

const struct kh_val *kh_write_get(const struct kh_write *w, const char *field)
{
	static const struct kh_val null_val = {.t = KH_V_NULL};
	int i = kh_field_index(w->e, field);
	if (i < 0)
		return &null_val;
	if (w->new.set[i] || !w->old.v)
		return &w->new.v[i];
	return &w->old.v[i];
}

void kh_write_set(struct kh_write *w, const char *field, struct kh_val v)
{
	int i = kh_field_index(w->e, field);
	if (i < 0)
		return;
	w->new.v[i] = v;
	w->new.set[i] = 1;
}

int kh_write_changes(const struct kh_write *w, const char *field)
{
	int i = kh_field_index(w->e, field);
	return i >= 0 && w->new.set[i];
}

static int val_equal(const struct kh_val *a, const struct kh_val *b)
{
	if (a->t != b->t)
		return 0;
	switch (a->t) {
	case KH_V_NULL: return 1;
	case KH_V_INT: return a->i == b->i;
	case KH_V_REAL: return a->d == b->d;
	case KH_V_TEXT: return a->n == b->n && !memcmp(a->s, b->s, a->n);
	}
	return 0;
}

static void write_init(struct kh_write *w, struct kh_ctx *ctx, const struct kh_entity *e, enum kh_op op)
{
	memset(w, 0, sizeof *w);
	w->ctx = ctx;
	w->e = e;
	w->op = op;
	w->now = kh_now();
	kh_time_format(w->now, w->now_text);
}

/* Copies the current row of rows (from e->select_sql) into vals, in the arena. */
static int copy_row(struct kh_ctx *ctx, const struct kh_entity *e, struct kh_rows *rows, struct kh_values *vals)
{
	if (kh_values_init(vals, e, ctx->arena))
		return -1;
	for (int c = 0; c < e->nselect; c++) {
		struct kh_val v = kh_rows_col(ctx->db, rows, c);
		if (v.t == KH_V_TEXT) {
			char *s = kh_arena_strndup(ctx->arena, v.s, v.n);
			if (!s)
				return -1;
			v.s = s;
		}
		vals->v[e->select_field[c]] = v;
	}
	return 0;
}

/* Loads record id of e into w->old, inside the transaction, if the principal
 * may see it (else 404, as if it did not exist) and may do `action` to it (else
 * 403). */
static enum kh_err load_old(struct kh_write *w, enum kh_action action)
{
	struct kh_ctx *ctx = w->ctx;
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val p[8] = {KH_VINT(w->id)};
	int n = 1;
	kh_buf_addf(&sql, "%s WHERE id = $1", w->e->select_sql);
	kh_scope_sql(ctx->who, w->e, KH_ACT_READ, &sql, p, &n, 8);
	struct kh_rows *rows;
	enum kh_err err = sql.err ? sql.err : kh_db_query(ctx->db, sql.data, p, n, &rows);
	kh_buf_release(&sql);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read %s %lld", w->e->singular, (long long)w->id);
	int rc = kh_rows_next(ctx->db, rows);
	if (rc > 0 && copy_row(ctx, w->e, rows, &w->old))
		rc = -KH_ENOMEM;
	kh_rows_end(ctx->db, rows);
	if (rc < 0)
		return kh_errinfo_set(ctx->ei, (enum kh_err)-rc, "cannot read %s", w->e->singular);
	if (rc == 0)
		return kh_errinfo_set(ctx->ei, KH_ENOTFOUND, "%s %lld not found", w->e->singular, (long long)w->id);
	if (kh_scope_of(ctx->who, w->e, action) == KH_SCOPE_ALL)
		return KH_OK;
	/* Visible, but may the principal change it? */
	kh_buf_addf(&sql, "SELECT id FROM %s WHERE id = $1", w->e->name);
	n = 1;
	kh_scope_sql(ctx->who, w->e, action, &sql, p, &n, 8);
	int64_t found;
	err = sql.err ? sql.err : kh_db_int(ctx->db, sql.data, p, n, &found);
	kh_buf_release(&sql);
	if (err == KH_ENOTFOUND)
		return kh_errinfo_set(ctx->ei, KH_EFORBIDDEN, "you may not %s this %s", kh_action_name(action),
				      w->e->singular);
	if (err)
		return kh_errinfo_set(ctx->ei, err, "cannot read %s", w->e->singular);
	return KH_OK;
}

/* Who may own a record: with a scope of "own", only yourself. Handing records to
 * others is for team- and all-scoped roles. */
static enum kh_err check_owner(struct kh_write *w, enum kh_action action)
{
	if (!kh_write_changes(w, "owner_id"))
		return KH_OK;
	const struct kh_val *owner = kh_write_get(w, "owner_id");
	if (owner->t != KH_V_INT || owner->i == w->ctx->who->user_id)
		return KH_OK;
	if (kh_scope_of(w->ctx->who, w->e, action) >= KH_SCOPE_TEAM)
		return KH_OK;
	kh_errinfo_set(w->ctx->ei, KH_EFORBIDDEN, "you may only own %s yourself", w->e->name);
	kh_errinfo_field(w->ctx->ei, "owner_id", "must be your own user id");
	w->ctx->ei->code = KH_EFORBIDDEN;
	return KH_EFORBIDDEN;
}

/* References must point at live records; unique fields must be free. Every
 * fault is reported, not just the first. */
static enum kh_err check_refs_and_unique(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	const struct kh_entity *e = w->e;
	char sql[256];
	for (int i = 0; i < e->nfields; i++) {
		const struct kh_field *f = &e->fields[i];
		const struct kh_val *v = &w->new.v[i];
		if (!w->new.set[i] || v->t == KH_V_NULL)
			continue;
		int64_t found;
		enum kh_err err;
		if (f->type == KH_T_REF) {
			snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE id = $1 AND archived_at IS NULL", f->ref);
			err = kh_db_int(ctx->db, sql, v, 1, &found);
			if (err == KH_ENOTFOUND)
				kh_errinfo_field(ctx->ei, f->name, "refers to %s %lld, which does not exist or is archived",
						 kh_entity_find(f->ref)->singular, (long long)v->i);
			else if (err)
				return kh_errinfo_set(ctx->ei, err, "cannot check %s", f->name);
		}
		if (f->flags & KH_F_UNIQUE) {
			struct kh_val p[2] = {*v, KH_VINT(w->id)};
			snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = $1 AND id <> $2", e->name, f->name);
			err = kh_db_int(ctx->db, sql, p, 2, &found);
			if (err == KH_OK) {
				if (ctx->ei->code == KH_OK)
					kh_errinfo_set(ctx->ei, KH_ECONFLICT, "%s is already used by %s %lld", f->name,
						       e->singular, (long long)found);
				kh_errinfo_field(ctx->ei, f->name, "is already used by %s %lld", e->singular,
						 (long long)found);
			} else if (err != KH_ENOTFOUND) {
				return kh_errinfo_set(ctx->ei, err, "cannot check %s", f->name);
			}
		}
	}
	return ctx->ei->code;
}

/* The change as the audit log and the outbox keep it:
 * {"field": [old, new], ...}; passwords appear as "[redacted]". */
static void changes_json(struct kh_write *w, struct kh_buf *b)
{
	struct kh_jw jw;
	kh_jw_init(&jw, b);
	kh_jw_obj(&jw);
	for (int i = 0; i < w->e->nfields; i++) {
		const struct kh_field *f = &w->e->fields[i];
		if (!w->new.set[i] || !strcmp(f->name, "updated_at") || !strcmp(f->name, "version") ||
		    (f->flags & KH_F_INTERNAL))
			continue;
		kh_jw_key(&jw, f->name);
		kh_jw_arr(&jw);
		if (f->flags & KH_F_WRITEONLY) {
			kh_jw_str(&jw, w->old.v ? "[redacted]" : NULL);
			kh_jw_str(&jw, "[redacted]");
		} else {
			struct kh_val null_val = KH_VNULL;
			kh_val_write_json(&jw, f, w->old.v ? &w->old.v[i] : &null_val);
			kh_val_write_json(&jw, f, &w->new.v[i]);
		}
		kh_jw_arr_end(&jw);
	}
	kh_jw_obj_end(&jw);
}

static const char *op_name(enum kh_op op)
{
	static const char *const names[] = {"create", "update", "archive", "restore"};
	return names[op];
}

/* Appends the audit entry and the outbox event of w, in its transaction. */
static enum kh_err record_change(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	struct kh_buf changes = KH_BUF_INIT;
	changes_json(w, &changes);
	if (changes.err) {
		kh_buf_release(&changes);
		return KH_ENOMEM;
	}
	struct kh_val p[6] = {
		KH_VTEXT(w->now_text),
		ctx->who->user_id ? KH_VINT(ctx->who->user_id) : KH_VNULL,
		KH_VTEXT(w->e->name),
		KH_VINT(w->id),
		KH_VTEXT(op_name(w->op)),
		KH_VTEXTN(changes.data, changes.len),
	};
	enum kh_err err = kh_db_exec(ctx->db,
				     "INSERT INTO kh_audit (at, user_id, entity, record_id, action, changes) "
				     "VALUES ($1, $2, $3, $4, $5, $6)",
				     p, 6);
	if (!err)
		err = kh_db_exec(ctx->db,
				 "INSERT INTO kh_outbox (at, user_id, entity, record_id, action, payload) "
				 "VALUES ($1, $2, $3, $4, $5, $6)",
				 p, 6);
	kh_buf_release(&changes);
	return err;
}

static enum kh_err run_hook(struct kh_write *w, kh_write_hook hook)
{
	if (!hook)
		return KH_OK;
	enum kh_err err = hook(w);
	if (err && w->ctx->ei->code == KH_OK)
		kh_errinfo_set(w->ctx->ei, err, "%s", kh_strerror(err));
	return err ? err : w->ctx->ei->code;
}

/* Keeps the search index in step with the record's searchable fields. */
static enum kh_err reindex(struct kh_write *w)
{
	const struct kh_entity *e = w->e;
	if (!e->searchable)
		return KH_OK;
	int64_t doc = kh_search_doc(e->code, w->id);
	if (w->op == KH_OP_ARCHIVE)
		return w->ctx->db->ops->search_del(w->ctx->db, doc);
	int changed = w->op != KH_OP_UPDATE;
	for (int i = 0; i < e->nfields && !changed; i++)
		changed = w->new.set[i] && (e->fields[i].flags & KH_F_SEARCH);
	if (!changed)
		return KH_OK;
	struct kh_buf text = KH_BUF_INIT;
	for (int i = 0; i < e->nfields; i++)
		if (e->fields[i].flags & KH_F_SEARCH)
			kh_search_text_add(&text, &e->fields[i], kh_write_get(w, e->fields[i].name));
	enum kh_err err = text.err ? text.err
				   : w->ctx->db->ops->search_put(w->ctx->db, doc, text.data, w->op != KH_OP_CREATE);
	kh_buf_release(&text);
	return err;
}

/* Commits the transaction if this call opened it; rolls back on error. */
static enum kh_err finish(struct kh_ctx *ctx, int own_tx, enum kh_err err)
{
	if (!own_tx)
		return err;
	if (err) {
		kh_db_rollback(ctx->db);
		return err;
	}
	err = kh_db_commit(ctx->db);
	if (err)
		kh_errinfo_set(ctx->ei, err, "the change could not be committed");
	return err;
}

static enum kh_err begin(struct kh_ctx *ctx, int *own_tx)
{
	*own_tx = !ctx->db->in_tx;
	if (!*own_tx)
		return KH_OK;
	enum kh_err err = kh_db_begin(ctx->db, KH_TX_WRITE);
	if (err)
		kh_errinfo_set(ctx->ei, err, "the database is busy");
	return err;
}

/* The name's place in lists (model.c's sort_key), whenever the name is
 * written. */
static enum kh_err set_sort_key(struct kh_write *w)
{
	const struct kh_entity *e = w->e;
	if (!e->sort_key || !kh_write_changes(w, e->title->name))
		return KH_OK;
	const struct kh_val *v = kh_write_get(w, e->title->name);
	if (v->t != KH_V_TEXT) {
		kh_write_set(w, e->sort_key->name, KH_VNULL);
		return KH_OK;
	}
	struct kh_buf b = KH_BUF_INIT;
	kh_pinyin_sort_key(&b, v->s, v->n);
	char *key = b.err ? NULL : kh_arena_strndup(w->ctx->arena, b.data, b.len);
	size_t len = b.len;
	kh_buf_release(&b);
	if (!key)
		return kh_errinfo_set(w->ctx->ei, KH_ENOMEM, "out of memory");
	kh_write_set(w, e->sort_key->name, KH_VTEXTN(key, len));
	return KH_OK;
}

static enum kh_err insert_row(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	const struct kh_entity *e = w->e;
	struct kh_val *p = kh_arena_calloc(ctx->arena, (size_t)e->nfields, sizeof *p);
	if (!p)
		return KH_ENOMEM;
	for (int i = 1; i < e->nfields; i++)
		p[i - 1] = w->new.set[i] ? w->new.v[i] : KH_VNULL;
	enum kh_err err = kh_db_int(ctx->db, e->insert_sql, p, e->nfields - 1, &w->id);
	if (!err && (e->flags & KH_E_SECURITY))
		kh_db_security_changed(ctx->db);
	if (err)
		kh_errinfo_set(ctx->ei, err, "cannot create the %s: %s", e->singular,
			       err == KH_ECONFLICT ? "a constraint failed" : kh_strerror(err));
	return err;
}

enum kh_err kh_record_insert(struct kh_ctx *ctx, struct kh_values *vals, int64_t *id)
{
	struct kh_write w;
	write_init(&w, ctx, vals->e, KH_OP_CREATE);
	w.new = *vals;
	kh_values_defaults(&w.new);
	int64_t who = ctx->who->user_id;
	if (!ctx->bulk || !kh_write_changes(&w, "created_at"))
		kh_write_set(&w, "created_at", KH_VTEXT(w.now_text));
	kh_write_set(&w, "updated_at", *kh_write_get(&w, "created_at"));
	kh_write_set(&w, "version", KH_VINT(1));
	kh_write_set(&w, "created_by", who ? KH_VINT(who) : KH_VNULL);
	if (!kh_write_changes(&w, "owner_id"))
		kh_write_set(&w, "owner_id", who ? KH_VINT(who) : KH_VNULL);

	int own_tx;
	enum kh_err err = begin(ctx, &own_tx);
	if (!err && !ctx->bulk)
		err = check_owner(&w, KH_ACT_CREATE);
	if (!err)
		err = run_hook(&w, w.e->before_write);
	if (!err && !ctx->bulk)
		err = check_refs_and_unique(&w);
	if (!err)
		err = set_sort_key(&w);
	if (!err)
		err = insert_row(&w);
	if (!err && (!ctx->bulk || ctx->bulk_changes))
		err = record_change(&w);
	if (!err)
		err = reindex(&w);
	if (!err && !ctx->bulk)
		err = run_hook(&w, w.e->after_write);
	err = finish(ctx, own_tx, err);
	if (!err)
		*id = w.id;
	return err;
}

enum kh_err kh_record_create(struct kh_ctx *ctx, const struct kh_entity *e, json_t *body, int64_t *id)
{
	struct kh_values vals;
	if (kh_values_init(&vals, e, ctx->arena))
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	enum kh_err err = kh_validate_json(body, KH_VALIDATE_CREATE, &vals, NULL, ctx->arena, ctx->ei);
	if (err)
		return err;
	return kh_record_insert(ctx, &vals, id);
}

/* Writes the fields set in w->new to row w->id, with version and updated_at. */
static enum kh_err update_row(struct kh_write *w)
{
	struct kh_ctx *ctx = w->ctx;
	const struct kh_entity *e = w->e;
	struct kh_buf sql = KH_BUF_INIT;
	struct kh_val *p = kh_arena_calloc(ctx->arena, (size_t)e->nfields + 2, sizeof *p);
	if (!p)
		return KH_ENOMEM;
	int n = 0;
	kh_write_set(w, "updated_at", KH_VTEXT(w->now_text));
	kh_write_set(w, "version", KH_VINT(w->old.v[kh_field_index(e, "version")].i + 1));
	kh_buf_addf(&sql, "UPDATE %s SET ", e->name);
	for (int i = 0; i < e->nfields; i++) {
		if (!w->new.set[i])
			continue;
		p[n++] = w->new.v[i];
		kh_buf_addf(&sql, "%s%s = $%d", n > 1 ? ", " : "", e->fields[i].name, n);
	}
	p[n++] = KH_VINT(w->id);
	kh_buf_addf(&sql, " WHERE id = $%d", n);
	enum kh_err err = sql.err ? sql.err : kh_db_exec(ctx->db, sql.data, p, n);
	kh_buf_release(&sql);
	if (!err && (e->flags & KH_E_SECURITY))
		kh_db_security_changed(ctx->db);
	if (err)
		kh_errinfo_set(ctx->ei, err, "cannot update the %s", e->singular);
	return err;
}

/* The tail every change of an existing record shares: the row, the audit entry
 * and outbox event, the search index, and the rules that follow a write. */
static enum kh_err write_change(struct kh_write *w)
{
	enum kh_err err = update_row(w);
	if (!err)
		err = record_change(w);
	if (!err)
		err = reindex(w);
	if (!err)
		err = run_hook(w, w->e->after_write);
	return err;
}

/* Drops the values that equal the stored ones, so the audit log, the version
 * and the outbox only see real changes. Returns how many remain. */
static int keep_real_changes(struct kh_write *w)
{
	int n = 0;
	for (int i = 0; i < w->e->nfields; i++) {
		if (!w->new.set[i])
			continue;
		if (!(w->e->fields[i].flags & KH_F_WRITEONLY) && val_equal(&w->new.v[i], &w->old.v[i]))
			w->new.set[i] = 0;
		else
			n++;
	}
	return n;
}

static enum kh_err check_version(struct kh_write *w, int64_t expect)
{
	int64_t current = w->old.v[kh_field_index(w->e, "version")].i;
	if (expect >= 0 && expect != current)
		return kh_errinfo_set(w->ctx->ei, KH_ECONFLICT,
				      "%s %lld was changed by someone else: your version is %lld, the current one %lld",
				      w->e->singular, (long long)w->id, (long long)expect, (long long)current);
	return KH_OK;
}

static int is_archived(const struct kh_write *w)
{
	return w->old.v[kh_field_index(w->e, "archived_at")].t != KH_V_NULL;
}

enum kh_err kh_record_update(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, json_t *body,
			     int64_t expect_version)
{
	struct kh_values vals;
	int64_t body_version;
	if (kh_values_init(&vals, e, ctx->arena))
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	enum kh_err err = kh_validate_json(body, KH_VALIDATE_UPDATE, &vals, &body_version, ctx->arena, ctx->ei);
	if (err)
		return err;
	return kh_record_patch(ctx, &vals, id, expect_version >= 0 ? expect_version : body_version);
}

enum kh_err kh_record_patch(struct kh_ctx *ctx, struct kh_values *vals, int64_t id, int64_t expect_version)
{
	const struct kh_entity *e = vals->e;
	struct kh_write w;
	write_init(&w, ctx, e, KH_OP_UPDATE);
	w.id = id;
	w.new = *vals;
	int own_tx;
	enum kh_err err = begin(ctx, &own_tx);
	if (!err)
		err = load_old(&w, KH_ACT_EDIT);
	if (!err)
		err = check_version(&w, expect_version);
	if (!err && is_archived(&w))
		err = kh_errinfo_set(ctx->ei, KH_ECONFLICT, "%s %lld is archived; restore it before changing it",
				     e->singular, (long long)id);
	if (!err)
		err = run_hook(&w, e->before_write);
	if (!err && keep_real_changes(&w) > 0) {
		err = check_owner(&w, KH_ACT_EDIT);
		if (!err)
			err = check_refs_and_unique(&w);
		if (!err)
			err = set_sort_key(&w);
		if (!err)
			err = write_change(&w);
	}
	return finish(ctx, own_tx, err);
}

/* Archive and restore flip archived_at; both are changes like any other. */
static enum kh_err set_archived(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id, enum kh_op op)
{
	struct kh_write w;
	write_init(&w, ctx, e, op);
	w.id = id;
	if (kh_values_init(&w.new, e, ctx->arena))
		return kh_errinfo_set(ctx->ei, KH_ENOMEM, "out of memory");
	int own_tx;
	enum kh_err err = begin(ctx, &own_tx);
	if (!err)
		err = load_old(&w, op == KH_OP_ARCHIVE ? KH_ACT_DELETE : KH_ACT_EDIT);
	if (!err && is_archived(&w) == (op == KH_OP_ARCHIVE))
		return finish(ctx, own_tx, KH_OK); /* already so: nothing to do */
	if (!err) {
		kh_write_set(&w, "archived_at", op == KH_OP_ARCHIVE ? KH_VTEXT(w.now_text) : KH_VNULL);
		err = run_hook(&w, e->before_write);
	}
	if (!err)
		err = write_change(&w);
	return finish(ctx, own_tx, err);
}

enum kh_err kh_record_archive(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id)
{
	return set_archived(ctx, e, id, KH_OP_ARCHIVE);
}

enum kh_err kh_record_restore(struct kh_ctx *ctx, const struct kh_entity *e, int64_t id)
{
	return set_archived(ctx, e, id, KH_OP_RESTORE);
}

enum kh_err kh_bulk_finish(struct kh_ctx *ctx, const struct kh_entity *e)
{
	if (!e->after_bulk)
		return KH_OK;
	enum kh_err err = e->after_bulk(ctx->db);
	if (err)
		kh_errinfo_set(ctx->ei, err, "cannot finish loading %s", e->name);
	return err;
}

enum kh_err kh_counter_next(struct kh_db *db, const char *name, int64_t *out)
{
	struct kh_val p = KH_VTEXT(name);
	enum kh_err err = kh_db_int(db, "UPDATE kh_counters SET value = value + 1 WHERE name = $1 RETURNING value", &p,
				    1, out);
	if (err == KH_ENOTFOUND) {
		err = kh_db_exec(db, "INSERT INTO kh_counters (name, value) VALUES ($1, 1)", &p, 1);
		*out = 1;
	}
	return err;
}
