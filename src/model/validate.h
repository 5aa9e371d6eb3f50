/* Validation: JSON from a client, checked against the metadata and turned into
 * typed values for the store. Every rule is a property of a field (type, max
 * length, range, enum values, required); every fault is reported per field. */
#ifndef KH_VALIDATE_H
#define KH_VALIDATE_H

#include <jansson.h>

#include "model/entity.h"
#include "util/arena.h"
#include "util/errinfo.h"

/* The values of one record, one slot per field of e (e->nfields). */
struct kh_values {
	const struct kh_entity *e;
	struct kh_val *v;
	unsigned char *set; /* 1 where the value is given (by the client or a rule) */
};

int kh_values_init(struct kh_values *vals, const struct kh_entity *e, struct kh_arena *a);

/* Gives every unset field that has a default its default value. */
void kh_values_defaults(struct kh_values *vals);

enum kh_validate_mode { KH_VALIDATE_CREATE, KH_VALIDATE_UPDATE };

/* Checks a JSON object and fills vals with the fields it sets. Unknown fields,
 * read-only fields, wrong types, and broken rules each become a field error in
 * ei. On create, missing required fields are errors and defaults are applied.
 * In update mode a "version" member is accepted and returned in *version (else
 * -1) for optimistic concurrency. Strings are copied to the arena. */
enum kh_err kh_validate_json(json_t *obj, enum kh_validate_mode mode, struct kh_values *vals, int64_t *version,
			     struct kh_arena *a, struct kh_errinfo *ei);

/* Checks one value for field f, as given in text (query-string filters use this).
 * On success fills *out (strings point into the arena). */
enum kh_err kh_validate_text(const struct kh_field *f, const char *text, struct kh_val *out, struct kh_arena *a,
			     const char **why);

/* The individual format checks, exposed for tests and import. */
int kh_email_valid(const char *s, size_t n);
int kh_phone_valid(const char *s, size_t n);
int kh_url_valid(const char *s, size_t n);

/* Parses a JSON text body into an object, with the errors the API documents:
 * not JSON, not an object, too deep, invalid UTF-8. */
enum kh_err kh_json_parse_object(const char *body, size_t len, json_t **out, struct kh_errinfo *ei);

/* For bodies that are not a record (a record's members are its entity's
 * fields): records "unknown member (a, b)" in ei for each member of obj that
 * names ("a b") does not list, and returns how many there were. */
int kh_json_members_only(json_t *obj, const char *names, struct kh_errinfo *ei);

#define KH_JSON_MAX_DEPTH 16

#endif
