/* Imports uploaded through the API run as background jobs (domain/jobs.h):
 * the upload, its import job and the queued run commit together, and the
 * scheduler runs it with the uploader's rights. A server that dies during an
 * import leaves the job "running"; the job queue retries it (it is safe to
 * repeat) and kh_import_run resumes after the last committed batch. */
#include <jansson.h>
#include <string.h>

#include "domain/auth.h"
#include "domain/import.h"
#include "domain/jobs.h"
#include "model/permission.h"

/* The principal an import runs as: the user who uploaded it, with the role
 * they have now (a user disabled since cannot import). */
static enum kh_err load_principal(struct kh_ctx *ctx, int64_t user, struct kh_principal *who, struct kh_role *role)
{
	struct kh_val p = KH_VINT(user);
	struct kh_rows *rows;
	int has_team = kh_field_find(kh_entity_find("users"), "team_id") != NULL;
	enum kh_err err = kh_db_query(ctx->db,
				      has_team ? "SELECT username, role, active, team_id FROM users WHERE id = $1"
					       : "SELECT username, role, active FROM users WHERE id = $1",
				      &p, 1, &rows);
	if (err)
		return err;
	char key[64] = "";
	int rc = kh_rows_next(ctx->db, rows), active = 0;
	if (rc > 0) {
		struct kh_val name = kh_rows_col(ctx->db, rows, 0), r = kh_rows_col(ctx->db, rows, 1);
		who->username = kh_arena_strndup(ctx->arena, name.s ? name.s : "", name.n);
		snprintf(key, sizeof key, "%s", r.t == KH_V_TEXT ? r.s : "");
		active = kh_rows_col(ctx->db, rows, 2).i != 0;
		if (has_team) {
			struct kh_val t = kh_rows_col(ctx->db, rows, 3);
			who->team_id = t.t == KH_V_INT ? t.i : 0;
		}
	}
	kh_rows_end(ctx->db, rows);
	if (rc <= 0 || !active)
		return kh_errinfo_set(ctx->ei, KH_EFORBIDDEN, "the user who uploaded the import is gone or disabled");
	if ((err = kh_role_load(ctx->db, key, role)))
		return kh_errinfo_set(ctx->ei, err, "cannot load the role %s", key);
	who->user_id = user;
	who->role = kh_arena_strdup(ctx->arena, key);
	who->is_admin = role->is_admin;
	who->perms = role;
	return KH_OK;
}

static enum kh_err run_import(struct kh_ctx *ctx, json_t *payload)
{
	int64_t id = (int64_t)json_integer_value(json_object_get(payload, "import_id"));
	int64_t user = (int64_t)json_integer_value(json_object_get(payload, "user_id"));
	struct kh_principal who = {0};
	struct kh_role role;
	const struct kh_principal *system = ctx->who;
	if (user) {
		enum kh_err err = load_principal(ctx, user, &who, &role);
		if (err)
			return err;
		ctx->who = &who;
	}
	struct kh_src src = kh_import_src_stored(ctx->db, id);
	enum kh_err err = src.cls ? kh_import_run(ctx, id, src, NULL, NULL, NULL) : KH_ENOMEM;
	kh_import_src_free(src);
	ctx->who = system;
	/* Bad input fails the import itself, with its reason; only what may pass
	 * (a busy or failing database) is worth another attempt of the job. */
	if (err == KH_EINVAL || err == KH_EFORBIDDEN || err == KH_ECONFLICT || err == KH_ENOTFOUND)
		return KH_OK;
	return err;
}

const struct kh_job_kind kh_import_job_run = {"import.run", run_import, 5, 1};

const struct kh_job_kind *const kh_import_jobs[] = {&kh_import_job_run, NULL};
