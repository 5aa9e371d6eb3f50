/* The security module's entities: roles, API keys, record shares and marketing
 * consent (codes 40-49). Their rules are in domain/security.c. */
#include "domain/security.h"
#include "model/entity.h"

#define STR(n, len, fl, en, zh) {.name = n, .type = KH_T_STRING, .max_len = len, .flags = fl, .label_en = en, .label_zh = zh}
#define TYPED(n, t, fl, en, zh) {.name = n, .type = t, .flags = fl, .label_en = en, .label_zh = zh}
#define REF(n, ent, fl, en, zh) {.name = n, .type = KH_T_REF, .ref = ent, .flags = (fl) | KH_F_INDEXED, .label_en = en, .label_zh = zh}
#define ENUM(n, vals, d, fl, en, zh) {.name = n, .type = KH_T_ENUM, .enum_values = vals, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define BOOL(n, d, fl, en, zh) {.name = n, .type = KH_T_BOOL, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define END {0}

static const struct kh_field role_fields[] = {
	STR("key", 40, KH_F_REQUIRED | KH_F_UNIQUE | KH_F_TITLE, "Key", "标识"),
	STR("name", 100, 0, "Name", "名称"),
	STR("name_zh", 100, 0, "Chinese name", "中文名称"),
	TYPED("description", KH_T_TEXT, 0, "Description", "描述"),
	TYPED("permissions", KH_T_JSON, 0, "Permissions", "权限"),
	BOOL("personal_data", "false", 0, "Sees personal data", "查看个人信息"),
	BOOL("is_admin", "false", 0, "Administrator", "管理员"),
	BOOL("builtin", "false", KH_F_READONLY, "Built in", "内置"),
	END};

static const struct kh_field api_key_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_TITLE, "Name", "名称"),
	REF("user_id", "users", KH_F_READONLY, "User", "用户"),
	STR("role", 40, 0, "Role", "角色"),
	STR("prefix", 16, KH_F_READONLY, "Key prefix", "密钥前缀"),
	STR("key_hash", 64, KH_F_READONLY | KH_F_WRITEONLY | KH_F_INTERNAL | KH_F_UNIQUE, "Key hash", "密钥摘要"),
	TYPED("expires_at", KH_T_DATETIME, 0, "Expires", "过期时间"),
	TYPED("last_used_at", KH_T_DATETIME, KH_F_READONLY, "Last used", "最近使用"),
	TYPED("revoked_at", KH_T_DATETIME, KH_F_READONLY, "Revoked", "吊销时间"),
	END};

static const char *const access_levels[] = {"read", "edit", 0};
static const struct kh_field share_fields[] = {
	STR("entity", 40, KH_F_REQUIRED, "Entity", "对象类型"),
	{.name = "record_id", .type = KH_T_INT, .min = 1, .max = INT64_MAX, .flags = KH_F_REQUIRED | KH_F_INDEXED,
	 .label_en = "Record", .label_zh = "记录"},
	{.name = "entity_code", .type = KH_T_INT, .flags = KH_F_READONLY | KH_F_INDEXED, .label_en = "Entity code",
	 .label_zh = "对象编码"},
	REF("user_id", "users", 0, "Shared with user", "共享给用户"),
	REF("team_id", "teams", 0, "Shared with team", "共享给团队"),
	ENUM("access", access_levels, "read", 0, "Access", "权限"),
	END};

static const char *const channels[] = {"email", "sms", "phone", "wechat", "mail", 0};
static const char *const consent_statuses[] = {"granted", "withdrawn", 0};
static const struct kh_field consent_fields[] = {
	REF("contact_id", "contacts", KH_F_REQUIRED, "Contact", "联系人"),
	ENUM("channel", channels, 0, KH_F_REQUIRED | KH_F_INDEXED, "Channel", "渠道"),
	ENUM("status", consent_statuses, "granted", KH_F_REQUIRED, "Status", "状态"),
	STR("source", 200, 0, "Source", "来源"),
	TYPED("recorded_at", KH_T_DATETIME, 0, "Recorded at", "记录时间"),
	STR("note", 500, KH_F_TITLE, "Note", "备注"),
	END};

static struct kh_entity roles = {40, "roles", "role", "Roles", "角色", role_fields, "key",
	KH_E_ADMIN_WRITE | KH_E_SECURITY, .before_write = kh_role_before_write};
static struct kh_entity api_keys = {41, "api_keys", "api_key", "API keys", "API 密钥", api_key_fields, "-id",
	KH_E_OWN_ROUTES | KH_E_SECURITY};
static struct kh_entity shares = {42, "shares", "share", "Shares", "共享", share_fields, "-id",
	.before_write = kh_share_before_write};
static struct kh_entity consents = {43, "consents", "consent", "Consents", "营销许可", consent_fields, "-id",
	.before_write = kh_consent_before_write};

struct kh_entity *const kh_security_entities[] = {&roles, &api_keys, &shares, &consents, NULL};
