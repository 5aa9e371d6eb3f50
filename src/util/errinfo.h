/* The details that travel with an error to the API's error body:
 *   {"error": {"code": "validation_failed", "message": "...", "fields": {"email": "..."}}}
 * Validation collects every field at fault (not just the first), so a form can
 * show them all at once. Strings are allocated from the request's arena. */
#ifndef KH_ERRINFO_H
#define KH_ERRINFO_H

#include "util/arena.h"
#include "util/err.h"

#define KH_MAX_FIELD_ERRORS 32

struct kh_field_err {
	const char *field;
	const char *msg;
};

struct kh_errinfo {
	enum kh_err code;
	const char *msg;
	struct kh_field_err fields[KH_MAX_FIELD_ERRORS];
	int nfields;
	struct kh_arena *arena;
};

void kh_errinfo_init(struct kh_errinfo *ei, struct kh_arena *arena);
/* Sets the error (keeping the first code if one is set) and returns the code. */
enum kh_err kh_errinfo_set(struct kh_errinfo *ei, enum kh_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Records a fault in one field; sets code to KH_EVALIDATION if no error is set. */
void kh_errinfo_field(struct kh_errinfo *ei, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The message for a field, or NULL (tests, and to avoid reporting twice). */
const char *kh_errinfo_field_msg(const struct kh_errinfo *ei, const char *field);

#endif
