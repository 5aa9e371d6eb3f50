#include "util/errinfo.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void kh_errinfo_init(struct kh_errinfo *ei, struct kh_arena *arena)
{
	ei->code = KH_OK;
	ei->msg = NULL;
	ei->nfields = 0;
	ei->arena = arena;
}

static const char *vformat(struct kh_errinfo *ei, const char *fmt, va_list ap)
{
	char tmp[512];
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	const char *s = kh_arena_strdup(ei->arena, tmp);
	return s ? s : "out of memory";
}

enum kh_err kh_errinfo_set(struct kh_errinfo *ei, enum kh_err code, const char *fmt, ...)
{
	if (ei->code != KH_OK && ei->msg)
		return ei->code;
	va_list ap;
	va_start(ap, fmt);
	ei->msg = vformat(ei, fmt, ap);
	va_end(ap);
	ei->code = code;
	return code;
}

void kh_errinfo_field(struct kh_errinfo *ei, const char *field, const char *fmt, ...)
{
	if (ei->code == KH_OK)
		ei->code = KH_EVALIDATION;
	if (ei->nfields >= KH_MAX_FIELD_ERRORS || kh_errinfo_field_msg(ei, field))
		return;
	va_list ap;
	va_start(ap, fmt);
	ei->fields[ei->nfields].msg = vformat(ei, fmt, ap);
	va_end(ap);
	const char *f = kh_arena_strdup(ei->arena, field);
	ei->fields[ei->nfields].field = f ? f : "?";
	ei->nfields++;
}

const char *kh_errinfo_field_msg(const struct kh_errinfo *ei, const char *field)
{
	for (int i = 0; i < ei->nfields; i++)
		if (!strcmp(ei->fields[i].field, field))
			return ei->fields[i].msg;
	return NULL;
}
