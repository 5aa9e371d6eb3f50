/* What surveys.c and surveys_results.c share: a survey's questions. */
#ifndef KH_SURVEYS_INTERNAL_H
#define KH_SURVEYS_INTERNAL_H

#include <jansson.h>

#include "domain/write.h"
#include "util/json_out.h"

struct question {
	char code[48], type[16];
	int64_t lo, hi;   /* the scale (nps: 0-10) */
	json_t *options;  /* array of strings, or NULL */
	int required;
};

/* The live questions of a survey in their order: written as the answer
 * page's "questions" array when w is not NULL, and returned in *out (malloc'ed,
 * kh_survey_questions_free) when out is not NULL; *nq counts them. */
enum kh_err kh_survey_questions(struct kh_ctx *ctx, int64_t survey, struct kh_jw *w, struct question **out,
				size_t *nq);
void kh_survey_questions_free(struct question *q, size_t n);

#endif
