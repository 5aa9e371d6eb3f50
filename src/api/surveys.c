/* Survey routes: sending, results, the public answer page's two calls, and
 * the satisfaction and loyalty analyses of the answers (domain/surveys.h). */
#include <stdlib.h>
#include <string.h>

#include "api/analytics.h"
#include "api/handlers.h"
#include "domain/read.h"
#include "domain/surveys.h"
#include "model/permission.h"

/* POST /api/v1/surveys/{id}/send */
enum kh_err kh_api_survey_send(struct kh_req *r)
{
	enum kh_err err = kh_record_exists(&r->ctx, kh_entity_find("surveys"), r->id, 1);
	if (err)
		return err;
	if (kh_scope_of(&r->who, kh_entity_find("survey_invitations"), KH_ACT_CREATE) == KH_SCOPE_NONE)
		return kh_req_fail(r, KH_EFORBIDDEN, "your role may not create survey_invitations");
	err = kh_survey_send(&r->ctx, r->id, r->json, &r->jw);
	if (!err)
		r->status = 201;
	return err;
}

/* GET /api/v1/surveys/{id}/results */
enum kh_err kh_api_survey_results(struct kh_req *r)
{
	return kh_survey_results(&r->ctx, r->id, &r->jw);
}

/* The public answer page acts as the system: the token is its authority. */
static void as_system(struct kh_req *r)
{
	r->who = (struct kh_principal){.user_id = 0, .username = "survey", .role = "admin", .is_admin = 1};
}

/* GET /api/v1/public/surveys/{key} */
enum kh_err kh_api_public_survey_get(struct kh_req *r)
{
	enum kh_err err = kh_req_link_key(r);
	if (err)
		return err;
	as_system(r);
	return kh_survey_public_get(&r->ctx, r->key, &r->jw);
}

/* POST /api/v1/public/surveys/{key} */
enum kh_err kh_api_public_survey_answer(struct kh_req *r)
{
	enum kh_err err = kh_req_link_key(r);
	if (err)
		return err;
	as_system(r);
	err = kh_survey_public_answer(&r->ctx, r->key, r->json, &r->jw);
	if (!err)
		r->status = 201;
	return err;
}

static int64_t id_arg(struct kh_req *r, const char *name, int *bad)
{
	const char *v = kh_req_arg(r, name);
	*bad = 0;
	if (!v)
		return 0;
	char *end;
	long long id = strtoll(v, &end, 10);
	if (*end || id < 1) {
		*bad = 1;
		return 0;
	}
	return id;
}

/* GET /api/v1/analytics/satisfaction?survey=ID[&scheme=path|centroid|factorial][&bootstrap=N] */
enum kh_err kh_api_satisfaction(struct kh_req *r)
{
	int bad;
	int64_t survey = id_arg(r, "survey", &bad);
	if (bad || !survey) {
		kh_errinfo_set(&r->ei, KH_EINVAL, "a query parameter is not valid");
		kh_errinfo_field(&r->ei, "survey", "must be the id of a survey");
	}
	const char *scheme = kh_req_arg(r, "scheme"), *boot = kh_req_arg(r, "bootstrap");
	if (!scheme)
		scheme = "path";
	if (strcmp(scheme, "path") && strcmp(scheme, "centroid") && strcmp(scheme, "factorial")) {
		kh_errinfo_set(&r->ei, KH_EINVAL, "a query parameter is not valid");
		kh_errinfo_field(&r->ei, "scheme", "must be path, centroid or factorial");
	}
	long nb = 0;
	if (boot) {
		char *end;
		nb = strtol(boot, &end, 10);
		if (*end || nb < 0 || nb > 5000) {
			kh_errinfo_set(&r->ei, KH_EINVAL, "a query parameter is not valid");
			kh_errinfo_field(&r->ei, "bootstrap", "must be 0 to 5000 resamples");
		}
	}
	if (r->ei.code)
		return r->ei.code;
	return kh_survey_satisfaction(&r->ctx, survey, scheme, (size_t)nb, &r->jw);
}

/* GET /api/v1/analytics/loyalty[?survey=ID][&attitude=CODE] */
enum kh_err kh_api_loyalty(struct kh_req *r)
{
	enum kh_err err = kh_api_analytics_allowed(r);
	if (err)
		return err;
	int bad;
	int64_t survey = id_arg(r, "survey", &bad);
	if (bad) {
		kh_errinfo_set(&r->ei, KH_EINVAL, "a query parameter is not valid");
		kh_errinfo_field(&r->ei, "survey", "must be the id of a survey");
	}
	const char *att = kh_req_arg(r, "attitude");
	if (att && !survey) {
		kh_errinfo_set(&r->ei, KH_EINVAL, "a query parameter is not valid");
		kh_errinfo_field(&r->ei, "attitude", "names a question of the survey given");
	}
	if (r->ei.code)
		return r->ei.code;
	return kh_survey_loyalty(&r->ctx, survey, att, &r->jw);
}
