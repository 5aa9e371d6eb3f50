/* Names of enum values in English and Chinese (model/enum_labels.c). */
#ifndef KH_ENUM_LABELS_H
#define KH_ENUM_LABELS_H

#include <stddef.h>

struct kh_entity;
struct kh_field;

enum kh_lang { KH_LANG_EN, KH_LANG_ZH };

/* The name of value (one of f's enum values) in lang, or NULL when the
 * vocabulary has none: English then uses kh_enum_label_default(). The string
 * is static. */
const char *kh_enum_label(const struct kh_entity *e, const struct kh_field *f, const char *value, enum kh_lang lang);

/* "needs_analysis" -> "Needs analysis", into out (cut to outlen - 1 bytes). */
void kh_enum_label_default(const char *value, char *out, size_t outlen);

#endif
