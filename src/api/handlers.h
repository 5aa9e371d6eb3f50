/* The route handlers named in routes.def. Each maps HTTP to a use case in
 * src/domain/ and writes the answer; none builds SQL or checks auth itself. */
#ifndef KH_HANDLERS_H
#define KH_HANDLERS_H

#include "http/request.h"

enum kh_err kh_api_healthz(struct kh_req *r);
enum kh_err kh_api_metrics(struct kh_req *r);
enum kh_err kh_api_login(struct kh_req *r);
enum kh_err kh_api_logout(struct kh_req *r);
enum kh_err kh_api_me(struct kh_req *r);
enum kh_err kh_api_meta(struct kh_req *r);
enum kh_err kh_api_openapi(struct kh_req *r);
enum kh_err kh_api_search(struct kh_req *r);
enum kh_err kh_api_list(struct kh_req *r);
enum kh_err kh_api_create(struct kh_req *r);
enum kh_err kh_api_get(struct kh_req *r);
enum kh_err kh_api_update(struct kh_req *r);
enum kh_err kh_api_archive(struct kh_req *r);
enum kh_err kh_api_restore(struct kh_req *r);
enum kh_err kh_api_bulk_update(struct kh_req *r);
enum kh_err kh_api_bulk_archive(struct kh_req *r);
enum kh_err kh_api_bulk_restore(struct kh_req *r);
enum kh_err kh_api_related(struct kh_req *r);
enum kh_err kh_api_static(struct kh_req *r);
enum kh_err kh_api_aggregate(struct kh_req *r);
enum kh_err kh_api_summary(struct kh_req *r);
enum kh_err kh_api_prefs_get(struct kh_req *r);
enum kh_err kh_api_prefs_put(struct kh_req *r);
enum kh_err kh_api_logout_all(struct kh_req *r);
enum kh_err kh_api_user_logout_all(struct kh_req *r);
enum kh_err kh_api_keys_list(struct kh_req *r);
enum kh_err kh_api_keys_create(struct kh_req *r);
enum kh_err kh_api_keys_revoke(struct kh_req *r);
enum kh_err kh_api_role_get(struct kh_req *r);
enum kh_err kh_api_role_update(struct kh_req *r);
enum kh_err kh_api_audit(struct kh_req *r);
enum kh_err kh_api_history(struct kh_req *r);
enum kh_err kh_api_privacy_export(struct kh_req *r);
enum kh_err kh_api_privacy_erase(struct kh_req *r);
enum kh_err kh_api_events(struct kh_req *r);
/* Import, export and duplicates (api/imports.c, exports.c, dedupe.c). */
enum kh_err kh_api_import_create(struct kh_req *r);
enum kh_err kh_api_import_get(struct kh_req *r);
enum kh_err kh_api_import_errors(struct kh_req *r);
enum kh_err kh_api_export(struct kh_req *r);
enum kh_err kh_api_dedupe_scan(struct kh_req *r);
enum kh_err kh_api_merge_create(struct kh_req *r);
enum kh_err kh_api_merge_get(struct kh_req *r);
enum kh_err kh_api_merge_undo(struct kh_req *r);

/* The analytics module's handlers (api/analytics.c, surveys.c). */
#include "api/analytics.h"

/* The service and call-center module's handlers. */
#include "api/service.h"

/* The sales and marketing module's handlers. */
#include "api/sales.h"

#endif
