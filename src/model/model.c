/* Derives what the rest of Kehu needs from the entity table: full field lists
 * with the system fields, the SELECT list, lookups by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/entity.h"
#include "util/buf.h"

extern struct kh_entity *const *const kh_entity_modules[];

/* All modules' entities in one NULL-terminated array, filled by kh_model_init(). */
#define MAX_ENTITIES 63 /* entity codes fit in KH_SEARCH_ENTITY_BITS */
static struct kh_entity *kh_entity_table[MAX_ENTITIES + 1];
const struct kh_entity *const *kh_entities = (const struct kh_entity *const *)kh_entity_table;
int kh_nentities;

/* Every record has these. id comes first in JSON, the rest after the entity's own
 * fields. created_by and owner_id refer to users. */
static const struct kh_field sys_id = {.name = "id", .type = KH_T_ID, .flags = KH_F_SYSTEM | KH_F_READONLY | KH_F_INDEXED,
	.label_en = "ID", .label_zh = "编号"};
static const struct kh_field sys_tail[] = {
	{.name = "owner_id", .type = KH_T_REF, .ref = "users", .flags = KH_F_SYSTEM | KH_F_INDEXED, .label_en = "Owner", .label_zh = "负责人"},
	{.name = "created_by", .type = KH_T_REF, .ref = "users", .flags = KH_F_SYSTEM | KH_F_READONLY, .label_en = "Created by", .label_zh = "创建人"},
	{.name = "created_at", .type = KH_T_DATETIME, .flags = KH_F_SYSTEM | KH_F_READONLY | KH_F_INDEXED, .label_en = "Created", .label_zh = "创建时间"},
	{.name = "updated_at", .type = KH_T_DATETIME, .flags = KH_F_SYSTEM | KH_F_READONLY | KH_F_INDEXED, .label_en = "Updated", .label_zh = "更新时间"},
	{.name = "version", .type = KH_T_INT, .flags = KH_F_SYSTEM | KH_F_READONLY, .label_en = "Version", .label_zh = "版本"},
	{.name = "archived_at", .type = KH_T_DATETIME, .flags = KH_F_SYSTEM | KH_F_READONLY, .label_en = "Archived", .label_zh = "归档时间"},
};
#define NTAIL ((int)(sizeof sys_tail / sizeof sys_tail[0]))

/* Entities with a name as their title (a contact, an account) keep the name's
 * order in lists here: pinyin for Chinese (util/textnorm.h), filled by the
 * write path, sorted on when a client sorts by the name. A plain column with
 * an index, not a collation: a collation the sqlite3 tool lacks would make the
 * table unwritable for it, and PostgreSQL's ICU collations differ by version. */
static const struct kh_field sys_sort_key = {.name = "sort_key", .type = KH_T_STRING,
	.flags = KH_F_SYSTEM | KH_F_INTERNAL | KH_F_READONLY | KH_F_WRITEONLY | KH_F_INDEXED,
	.label_en = "Sort key", .label_zh = "排序键"};

static int init_entity(struct kh_entity *e, int index)
{
	int nown = 0, named = 0;
	while (e->own_fields[nown].name) {
		if ((e->own_fields[nown].flags & KH_F_TITLE) && e->own_fields[nown].type == KH_T_STRING &&
		    !strcmp(e->own_fields[nown].name, "name"))
			named = 1;
		nown++;
	}
	struct kh_field *f = calloc((size_t)(nown + 1 + NTAIL + named), sizeof *f);
	if (!f)
		return -1;
	f[0] = sys_id;
	memcpy(f + 1, e->own_fields, (size_t)nown * sizeof *f);
	memcpy(f + 1 + nown, sys_tail, sizeof sys_tail);
	if (named)
		f[nown + 1 + NTAIL] = sys_sort_key;
	/* Parts of another record are found through it: indexes on their owner and
	 * timestamps would cost every insert (millions of order lines) for queries
	 * nobody makes. */
	if (e->flags & KH_E_CHILD)
		for (int i = nown + 1; i < nown + 1 + NTAIL; i++)
			f[i].flags &= ~(unsigned)KH_F_INDEXED;
	for (int i = 0; i < nown + 1 + NTAIL + named; i++) {
		char *key = malloc(strlen(f[i].name) + 4);
		if (!key)
			return -1;
		f[i].json_key_len = (size_t)snprintf(key, strlen(f[i].name) + 4, "\"%s\":", f[i].name);
		f[i].json_key = key;
	}
	e->index = index;
	e->fields = f;
	e->nfields = nown + 1 + NTAIL + named;
	e->title = NULL;
	e->sort_key = named ? &f[nown + 1 + NTAIL] : NULL;
	e->searchable = 0;
	for (int i = 0; i < e->nfields; i++) {
		if (!e->title && (f[i].flags & KH_F_TITLE))
			e->title = &f[i];
		if (f[i].flags & KH_F_SEARCH)
			e->searchable = 1;
	}
	if (!e->title)
		e->title = &f[0];

	struct kh_buf sql = KH_BUF_INIT;
	e->select_field = calloc((size_t)e->nfields, sizeof *e->select_field);
	if (!e->select_field)
		return -1;
	kh_buf_adds(&sql, "SELECT ");
	e->nselect = 0;
	for (int i = 0; i < e->nfields; i++) {
		if (f[i].flags & KH_F_WRITEONLY)
			continue;
		if (e->nselect)
			kh_buf_addc(&sql, ',');
		kh_buf_adds(&sql, f[i].name);
		e->select_field[e->nselect++] = i;
	}
	kh_buf_addf(&sql, " FROM %s", e->name);
	if (sql.err) {
		kh_buf_release(&sql);
		return -1;
	}
	e->select_sql = kh_buf_detach(&sql, NULL);

	/* One INSERT for every create: fields the write does not set are bound as
	 * NULL (defaults are applied by validation), so each entity has one cached
	 * statement instead of one per combination of fields. */
	kh_buf_addf(&sql, "INSERT INTO %s (", e->name);
	for (int i = 1; i < e->nfields; i++)
		kh_buf_addf(&sql, "%s%s", i > 1 ? "," : "", f[i].name);
	kh_buf_adds(&sql, ") VALUES (");
	for (int i = 1; i < e->nfields; i++)
		kh_buf_addf(&sql, "%s$%d", i > 1 ? "," : "", i);
	kh_buf_adds(&sql, ") RETURNING id");
	if (sql.err) {
		kh_buf_release(&sql);
		return -1;
	}
	e->insert_sql = kh_buf_detach(&sql, NULL);
	return 0;
}

int kh_model_init(void)
{
	if (kh_nentities)
		return 0;
	int n = 0;
	for (int m = 0; kh_entity_modules[m]; m++)
		for (int i = 0; kh_entity_modules[m][i]; i++) {
			struct kh_entity *e = kh_entity_modules[m][i];
			if (n == MAX_ENTITIES || e->code < 1 || e->code > MAX_ENTITIES) {
				fprintf(stderr, "model: too many entities, or %s has code %d outside 1..%d\n", e->name,
					e->code, MAX_ENTITIES);
				return -1;
			}
			for (int k = 0; k < n; k++)
				if (kh_entity_table[k]->code == e->code || !strcmp(kh_entity_table[k]->name, e->name)) {
					fprintf(stderr, "model: %s and %s share a name or code\n", e->name,
						kh_entity_table[k]->name);
					return -1;
				}
			kh_entity_table[n] = e;
			if (init_entity(e, n++))
				return -1;
		}
	kh_entity_table[n] = NULL;
	kh_nentities = n;
	/* Every reference must name a known entity: a typo in the table is a bug. */
	for (int i = 0; i < n; i++)
		for (int j = 0; j < kh_entity_table[i]->nfields; j++) {
			const struct kh_field *f = &kh_entity_table[i]->fields[j];
			if (f->type == KH_T_REF && !kh_entity_find(f->ref)) {
				fprintf(stderr, "model: %s.%s refers to unknown entity %s\n", kh_entity_table[i]->name,
					f->name, f->ref);
				return -1;
			}
		}
	return 0;
}

void kh_model_free(void)
{
	for (int i = 0; i < kh_nentities; i++) {
		struct kh_entity *e = kh_entity_table[i];
		for (int j = 0; j < e->nfields; j++)
			free((void *)e->fields[j].json_key);
		free((void *)e->fields);
		free(e->select_sql);
		free(e->insert_sql);
		e->insert_sql = NULL;
		free(e->select_field);
		e->fields = NULL;
		e->select_sql = NULL;
		e->select_field = NULL;
	}
	kh_nentities = 0;
	kh_entity_table[0] = NULL;
}

const struct kh_entity *kh_entity_findn(const char *name, size_t n)
{
	for (int i = 0; kh_entity_table[i]; i++)
		if (strlen(kh_entity_table[i]->name) == n && !memcmp(kh_entity_table[i]->name, name, n))
			return kh_entity_table[i];
	return NULL;
}

const struct kh_entity *kh_entity_find(const char *name)
{
	return kh_entity_findn(name, strlen(name));
}

/* Called for every value of every write (a bulk load makes tens of millions of
 * calls): the first letter settles most comparisons without a call to strcmp. */
int kh_field_index(const struct kh_entity *e, const char *name)
{
	for (int i = 0; i < e->nfields; i++)
		if (e->fields[i].name[0] == name[0] && !strcmp(e->fields[i].name, name))
			return i;
	return -1;
}

const struct kh_field *kh_field_find(const struct kh_entity *e, const char *name)
{
	int i = kh_field_index(e, name);
	return i < 0 ? NULL : &e->fields[i];
}

enum kh_coltype kh_field_coltype(const struct kh_field *f)
{
	switch (f->type) {
	case KH_T_ID:
	case KH_T_INT:
	case KH_T_MONEY:
	case KH_T_PERCENT:
	case KH_T_BOOL:
	case KH_T_REF:
		return KH_COL_INT;
	default:
		return KH_COL_TEXT;
	}
}

const char *kh_ftype_name(enum kh_ftype t)
{
	static const char *const names[] = {
		[KH_T_ID] = "id", [KH_T_STRING] = "string", [KH_T_TEXT] = "text", [KH_T_EMAIL] = "email",
		[KH_T_PHONE] = "phone", [KH_T_URL] = "url", [KH_T_INT] = "integer", [KH_T_MONEY] = "money",
		[KH_T_PERCENT] = "percent", [KH_T_BOOL] = "boolean", [KH_T_DATE] = "date",
		[KH_T_DATETIME] = "datetime", [KH_T_ENUM] = "enum", [KH_T_REF] = "reference", [KH_T_TAGS] = "tags",
		[KH_T_PASSWORD] = "password", [KH_T_CURRENCY] = "currency", [KH_T_JSON] = "json",
	};
	return names[t];
}

int kh_field_max_len(const struct kh_field *f)
{
	if (f->max_len)
		return f->max_len;
	switch (f->type) {
	case KH_T_STRING: return 255;
	case KH_T_TEXT: return 20000;
	case KH_T_EMAIL: return 254; /* RFC 5321 path limit */
	case KH_T_PHONE: return 32;
	case KH_T_URL: return 2000;
	case KH_T_PASSWORD: return 256;
	case KH_T_CURRENCY: return 3;
	case KH_T_ENUM: return 64;
	default: return 0;
	}
}

const struct kh_field *kh_related_field(const struct kh_entity *parent, const struct kh_entity *child)
{
	char want[80];
	const struct kh_field *only = NULL;
	int count = 0;
	snprintf(want, sizeof want, "%s_id", parent->singular);
	for (int i = 0; i < child->nfields; i++) {
		const struct kh_field *f = &child->fields[i];
		if (f->type != KH_T_REF || strcmp(f->ref, parent->name))
			continue;
		if (!strcmp(f->name, want))
			return f;
		/* A user's records are the ones they own, not the ones they created. */
		if (!strcmp(parent->name, "users") && !strcmp(f->name, "owner_id"))
			return f;
		only = f;
		count++;
	}
	return count == 1 ? only : NULL;
}

uint64_t kh_model_fingerprint(void)
{
	uint64_t h = 1469598103934665603ULL;
#define MIX(s)                                                  \
	for (const char *p_ = (s); p_ && *p_; p_++)             \
		h = (h ^ (unsigned char)*p_) * 1099511628211ULL; \
	h = (h ^ 0xff) * 1099511628211ULL
	for (int i = 0; kh_entity_table[i]; i++) {
		const struct kh_entity *e = kh_entity_table[i];
		MIX(e->name);
		for (int j = 0; j < e->nfields; j++) {
			const struct kh_field *f = &e->fields[j];
			char kind[32];
			snprintf(kind, sizeof kind, "%d/%u", (int)kh_field_coltype(f),
				 f->flags & (KH_F_INDEXED | KH_F_UNIQUE));
			MIX(f->name);
			MIX(kind);
			MIX(f->ref);
		}
	}
#undef MIX
	return h;
}
