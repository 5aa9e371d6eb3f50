/* The analytics module's entities (codes 55-59): surveys with their
 * questions, invitations and responses, and CRM capability assessments by
 * AHP. Their rules are in domain/surveys.c; scores and caches are tables of
 * their own (domain/analytics_scores.h), not entities. */
#include "domain/surveys.h"
#include "model/entity.h"

#define STR(n, len, fl, en, zh) {.name = n, .type = KH_T_STRING, .max_len = len, .flags = fl, .label_en = en, .label_zh = zh}
#define TXT(n, fl, en, zh) {.name = n, .type = KH_T_TEXT, .flags = fl, .label_en = en, .label_zh = zh}
#define TYPED(n, t, fl, en, zh) {.name = n, .type = t, .flags = fl, .label_en = en, .label_zh = zh}
#define INT(n, lo, hi, d, fl, en, zh) {.name = n, .type = KH_T_INT, .min = lo, .max = hi, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define REF(n, ent, fl, en, zh) {.name = n, .type = KH_T_REF, .ref = ent, .flags = (fl) | KH_F_INDEXED, .label_en = en, .label_zh = zh}
#define ENUM(n, vals, d, fl, en, zh) {.name = n, .type = KH_T_ENUM, .enum_values = vals, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define BOOL(n, d, fl, en, zh) {.name = n, .type = KH_T_BOOL, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define END {0}

static const char *const survey_kinds[] = {"nps", "csat", "ces", "acsi", "ecsi", "custom", 0};
static const char *const survey_statuses[] = {"draft", "active", "closed", 0};
static const char *const survey_triggers[] = {"manual", "order_delivered", "case_resolved", 0};
static const char *const question_types[] = {"scale", "nps", "single", "multiple", "text", 0};
static const char *const channels[] = {"email", "sms", "wechat", "portal", "link", 0};
static const char *const invitation_statuses[] = {"pending", "sent", "opened", "answered", "expired", "failed", 0};

static const struct kh_field survey_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_INDEXED | KH_F_TITLE, "Name", "问卷名称"),
	ENUM("kind", survey_kinds, "custom", KH_F_INDEXED, "Kind", "类型"),
	ENUM("status", survey_statuses, "draft", KH_F_INDEXED, "Status", "状态"),
	ENUM("trigger", survey_triggers, "manual", KH_F_INDEXED, "Sent", "发送时机"),
	TXT("intro", 0, "Introduction", "开场说明"),
	TXT("thanks", 0, "Thank-you text", "致谢语"),
	/* The path model of a custom satisfaction model, in lavaan syntax
	 * (analytics/pls.h); ACSI and ECSI surveys use the built-in models. */
	TXT("model", 0, "Path model", "路径模型"),
	INT("scale_min", 0, 10, "1", 0, "Scale from", "量表下限"),
	INT("scale_max", 1, 100, "10", 0, "Scale to", "量表上限"),
	TYPED("starts_on", KH_T_DATE, 0, "Starts", "开始日期"),
	TYPED("ends_on", KH_T_DATE, 0, "Ends", "结束日期"),
	TXT("description", 0, "Description", "描述"),
	END};

static const struct kh_field question_fields[] = {
	REF("survey_id", "surveys", KH_F_REQUIRED, "Survey", "问卷"),
	INT("position", 0, 10000, "0", 0, "Position", "序号"),
	/* The item's name in results and path models (CUSA1, NPS, ...). */
	STR("code", 40, KH_F_REQUIRED, "Code", "题目代码"),
	ENUM("type", question_types, "scale", KH_F_REQUIRED, "Type", "题型"),
	STR("text", 500, KH_F_REQUIRED | KH_F_TITLE, "Question", "题目"),
	STR("text_en", 500, 0, "Question (English)", "题目(英文)"),
	INT("scale_min", 0, 10, "1", 0, "Scale from", "量表下限"),
	INT("scale_max", 1, 100, "5", 0, "Scale to", "量表上限"),
	TYPED("options", KH_T_TAGS, 0, "Choices", "选项"),
	BOOL("required", "true", 0, "Required", "必答"),
	STR("latent", 60, 0, "Measures", "测量的潜变量"),
	END};

static const struct kh_field invitation_fields[] = {
	REF("survey_id", "surveys", KH_F_REQUIRED, "Survey", "问卷"),
	REF("contact_id", "contacts", 0, "Contact", "联系人"),
	REF("account_id", "accounts", 0, "Account", "客户"),
	ENUM("channel", channels, "link", KH_F_INDEXED, "Channel", "渠道"),
	/* The key in the answer page's address: a capability to answer once. */
	STR("token", 64, KH_F_READONLY | KH_F_UNIQUE, "Link key", "链接密钥"),
	ENUM("status", invitation_statuses, "pending", KH_F_READONLY | KH_F_INDEXED, "Status", "状态"),
	TYPED("sent_at", KH_T_DATETIME, KH_F_READONLY | KH_F_INDEXED, "Sent", "发送时间"),
	TYPED("opened_at", KH_T_DATETIME, KH_F_READONLY, "Opened", "打开时间"),
	TYPED("answered_at", KH_T_DATETIME, KH_F_READONLY, "Answered", "回答时间"),
	TYPED("expires_at", KH_T_DATETIME, 0, "Expires", "失效时间"),
	STR("trigger_entity", 40, KH_F_READONLY, "Sent after", "触发对象"),
	{.name = "trigger_id", .type = KH_T_INT, .min = 1, .max = INT64_MAX, .flags = KH_F_READONLY | KH_F_INDEXED,
	 .label_en = "Sent after record", .label_zh = "触发记录"},
	STR("segment", 60, 0, "Segment", "细分"),
	/* Why an e-mail invitation failed, or why its last try did not get through. */
	STR("delivery_error", 300, KH_F_READONLY, "Delivery error", "发送失败原因"),
	END};

static const struct kh_field response_fields[] = {
	REF("survey_id", "surveys", KH_F_REQUIRED | KH_F_READONLY, "Survey", "问卷"),
	REF("invitation_id", "survey_invitations", KH_F_READONLY | KH_F_UNIQUE, "Invitation", "邀请"),
	REF("contact_id", "contacts", KH_F_READONLY, "Contact", "联系人"),
	REF("account_id", "accounts", KH_F_READONLY, "Account", "客户"),
	TYPED("submitted_at", KH_T_DATETIME, KH_F_READONLY | KH_F_INDEXED | KH_F_TITLE, "Submitted", "提交时间"),
	TYPED("answers", KH_T_JSON, KH_F_READONLY, "Answers", "答案"),
	INT("nps", 0, 10, NULL, KH_F_READONLY | KH_F_INDEXED, "Likelihood to recommend (0-10)", "推荐意愿(0-10)"),
	TXT("comment", KH_F_READONLY, "Comment", "意见"),
	ENUM("channel", channels, "link", KH_F_READONLY, "Channel", "渠道"),
	END};

static const struct kh_field assessment_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_TITLE, "Name", "评估名称"),
	TYPED("assessed_on", KH_T_DATE, KH_F_REQUIRED | KH_F_INDEXED, "Assessed on", "评估日期"),
	/* {"nodes": [{"id", "parent", "label_en", "label_zh"}]}; empty: the
	 * standard CRM capability hierarchy (domain/surveys.c). */
	TYPED("hierarchy", KH_T_JSON, 0, "Criteria", "评价指标体系"),
	/* {"assessors": [{"name", "weight", "matrices": {"<parent id>": [[...]]}}]} */
	TYPED("judgements", KH_T_JSON, 0, "Pairwise judgements", "两两比较判断"),
	/* {"<leaf id>": score 0-100}: how good the company is at each criterion. */
	TYPED("scores", KH_T_JSON, 0, "Scores", "能力评分"),
	TXT("notes", 0, "Notes", "备注"),
	END};

static struct kh_entity surveys = {55, "surveys", "survey", "Surveys", "调查问卷", survey_fields, "-id",
	.before_write = kh_survey_before_write};
static struct kh_entity questions = {56, "survey_questions", "survey_question", "Survey questions", "问卷题目",
	question_fields, "position", .before_write = kh_question_before_write};
static struct kh_entity invitations = {57, "survey_invitations", "survey_invitation", "Survey invitations",
	"问卷邀请", invitation_fields, "-id", .before_write = kh_invitation_before_write};
/* Responses come only through the public answer page, one per invitation. */
static struct kh_entity responses = {58, "survey_responses", "survey_response", "Survey responses", "问卷答卷",
	response_fields, "-id", KH_E_OWN_ROUTES};
static struct kh_entity assessments = {59, "capability_assessments", "capability_assessment",
	"Capability assessments", "CRM能力评估", assessment_fields, "-assessed_on",
	.before_write = kh_assessment_before_write};

struct kh_entity *const kh_analytics_entities[] = {&surveys, &questions, &invitations, &responses, &assessments,
						   NULL};
