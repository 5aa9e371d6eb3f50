/* Entity metadata: the single source of truth about every kind of record.
 *
 * Each entity is one row of the table in entities.c; each field one row of its
 * field list. From these rows come the schema and its migrations, validation and
 * its error messages, JSON in and out, the filter and sort whitelist, the search
 * index, /api/v1/meta, /api/v1/openapi.json and the UI's forms and lists. Adding
 * a field is adding a line there; code that is specific to one entity lives in
 * src/domain/ and is rare. */
#ifndef KH_ENTITY_H
#define KH_ENTITY_H

#include <stdint.h>

#include "store/store.h"

enum kh_ftype {
	KH_T_ID,       /* the record's own id */
	KH_T_STRING,   /* one line of text, up to max_len characters */
	KH_T_TEXT,     /* long text, several lines */
	KH_T_EMAIL,
	KH_T_PHONE,    /* digits with an optional +, spaces, dashes, dots, brackets */
	KH_T_URL,
	KH_T_INT,
	KH_T_MONEY,    /* integer minor units (fen, cents); never a float */
	KH_T_PERCENT,  /* integer 0..100 */
	KH_T_BOOL,
	KH_T_DATE,     /* "YYYY-MM-DD" */
	KH_T_DATETIME, /* ISO 8601, stored as UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" */
	KH_T_ENUM,
	KH_T_REF,      /* the id of a record of entity `ref` */
	KH_T_TAGS,     /* a list of short labels, stored as a JSON array */
	KH_T_PASSWORD, /* write-only; stored as an Argon2id hash */
	KH_T_CURRENCY, /* ISO 4217 code, three capital letters */
	KH_T_JSON,     /* a JSON object, stored as compact text (role permissions) */
};

enum kh_fflag {
	KH_F_REQUIRED = 1 << 0,  /* must be given on create, cannot be set to null */
	KH_F_INDEXED = 1 << 1,   /* has a database index; fast to filter and sort on */
	KH_F_SEARCH = 1 << 2,    /* feeds the global search */
	KH_F_PERSONAL = 1 << 3,  /* personal data (PIPL/GDPR): masked without permission */
	KH_F_UNIQUE = 1 << 4,    /* no two records share a value */
	KH_F_READONLY = 1 << 5,  /* set by Kehu, never by clients */
	KH_F_WRITEONLY = 1 << 6, /* accepted on input, never shown */
	KH_F_SYSTEM = 1 << 7,    /* one of the columns every entity has */
	KH_F_TITLE = 1 << 8,     /* names the record in lists, links and search results */
	KH_F_INTERNAL = 1 << 9,  /* Kehu's own bookkeeping (a key's hash): never shown, never set,
	                          * not in /meta; always combined with READONLY | WRITEONLY */
};

struct kh_field {
	const char *name; /* column name and JSON key */
	enum kh_ftype type;
	unsigned flags;
	int max_len;                     /* strings: characters; 0 = the type's default */
	int64_t min, max;                /* numbers: inclusive range, when min < max */
	const char *const *enum_values;  /* KH_T_ENUM: NULL-terminated */
	const char *ref;                 /* KH_T_REF: the entity referred to */
	const char *def;                 /* default on create, as text ("CNY", "0", "open") */
	const char *label_en, *label_zh; /* for forms, lists and error messages */
	/* Filled in by kh_model_init(): the JSON key with its quotes and colon. */
	const char *json_key;
	size_t json_key_len;
};

struct kh_entity;

/* Domain rules that plain CRUD cannot express run as hooks inside the write
 * transaction (src/domain/). They see the values about to be written. */
struct kh_write;
typedef enum kh_err (*kh_write_hook)(struct kh_write *w);

struct kh_entity {
	int code;             /* stable number, part of search keys; never reused */
	const char *name;     /* table name and URL segment: "contacts" */
	const char *singular; /* "contact"; a reference to it is "contact_id" */
	const char *label_en, *label_zh;
	const struct kh_field *own_fields; /* the entity's fields, without the system ones */
	const char *default_sort;
	unsigned flags;
	kh_write_hook before_write; /* may change values, add field errors */
	kh_write_hook after_write;  /* may write other records (totals, links) */
	/* Bulk loads skip after_write per record and call this once at the end. */
	enum kh_err (*after_bulk)(struct kh_db *db);

	/* Filled in by kh_model_init(). */
	int index; /* position in kh_entities */
	int nfields;
	const struct kh_field *fields; /* system fields first, then own_fields */
	const struct kh_field *title;
	const struct kh_field *sort_key; /* the title's order (pinyin), when the title is text */
	int searchable;     /* has KH_F_SEARCH fields, so its records are in the search index */
	char *select_sql;   /* "SELECT id,created_at,... FROM contacts" (no write-only fields) */
	int nselect;        /* number of columns it selects */
	char *insert_sql;   /* "INSERT INTO contacts (every field but id) VALUES ($1, ...) RETURNING id" */
	int *select_field;  /* field index of each selected column */
};

enum kh_eflag {
	KH_E_ADMIN_WRITE = 1 << 0, /* only administrators create, change and archive these */
	KH_E_OWN_ROUTES = 1 << 1,  /* written only through routes of their own (API keys) */
	KH_E_CHILD = 1 << 2,       /* part of another record (order lines): listed through the
	                            * parent, so owner and timestamps get no indexes of their own */
	KH_E_SECURITY = 1 << 3,    /* says who may do what (users, roles, teams, API keys): a
	                            * write tells the caches of sessions to look again */
};

/* Builds the derived parts of the metadata. Call once at start. */
int kh_model_init(void);
void kh_model_free(void);

extern const struct kh_entity *const *kh_entities; /* NULL-terminated, in table order */
extern int kh_nentities;

const struct kh_entity *kh_entity_find(const char *name);
const struct kh_entity *kh_entity_findn(const char *name, size_t n);
const struct kh_field *kh_field_find(const struct kh_entity *e, const char *name);
int kh_field_index(const struct kh_entity *e, const char *name);
/* The database column kind a field is stored in. */
enum kh_coltype kh_field_coltype(const struct kh_field *f);
/* The type's name in /api/v1/meta and the UI ("string", "money", ...). */
const char *kh_ftype_name(enum kh_ftype t);
/* The longest string the field accepts, in characters (0 = not a string). */
int kh_field_max_len(const struct kh_field *f);
/* The reference field of `child` that points at `parent` for a related list
 * (/accounts/1/contacts uses contacts.account_id), or NULL. */
const struct kh_field *kh_related_field(const struct kh_entity *parent, const struct kh_entity *child);
/* A stable fingerprint of all metadata that shapes the schema. */
uint64_t kh_model_fingerprint(void);

#endif
