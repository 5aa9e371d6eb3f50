/* The service and call-center module's entities (codes 30-39): business
 * calendars with their holidays and adjusted working days, SLA policies,
 * queues, agents, knowledge-base articles, calls, follow-up visits, customer
 * care rules and the IVR menu. Cases themselves are a core entity
 * (entities.c); their rules are in domain/cases.c. Everything a company tunes
 * (targets, hours, holidays, routing, menus) is data in these tables, not code. */
#include "domain/service.h"
#include "model/entity.h"

#define STR(n, len, fl, en, zh) {.name = n, .type = KH_T_STRING, .max_len = len, .flags = fl, .label_en = en, .label_zh = zh}
#define TXT(n, fl, en, zh) {.name = n, .type = KH_T_TEXT, .flags = fl, .label_en = en, .label_zh = zh}
#define TYPED(n, t, fl, en, zh) {.name = n, .type = t, .flags = fl, .label_en = en, .label_zh = zh}
#define INT(n, lo, hi, d, fl, en, zh) {.name = n, .type = KH_T_INT, .min = lo, .max = hi, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define REF(n, ent, fl, en, zh) {.name = n, .type = KH_T_REF, .ref = ent, .flags = (fl) | KH_F_INDEXED, .label_en = en, .label_zh = zh}
#define ENUM(n, vals, d, fl, en, zh) {.name = n, .type = KH_T_ENUM, .enum_values = vals, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define BOOL(n, d, fl, en, zh) {.name = n, .type = KH_T_BOOL, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define END {0}

static const char *const day_kinds[] = {"holiday", "workday", 0};
static const char *const priorities[] = {"low", "normal", "high", "urgent", 0};
static const char *const tiers[] = {"A", "B", "C", "D", 0};
static const char *const case_types[] = {"question", "problem", "incident", "request", "complaint", 0};
static const char *const strategies[] = {"round_robin", "least_loaded", 0};
static const char *const agent_states[] = {"offline", "available", "on_call", "wrap_up", "break", 0};
static const char *const kb_statuses[] = {"draft", "published", 0};
static const char *const directions[] = {"inbound", "outbound", 0};
static const char *const call_states[] = {"ringing", "queued", "answered", "ended", "missed", "abandoned", 0};
static const char *const followup_statuses[] = {"planned", "done", "cancelled", 0};
static const char *const followup_outcomes[] = {"satisfied", "unsatisfied", "unreachable", 0};
static const char *const care_kinds[] = {"birthday", "first_purchase_anniversary", "contract_renewal", 0};

static const struct kh_field calendar_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_UNIQUE | KH_F_TITLE, "Name", "名称"),
	/* A fixed offset, not a zone name: China has one offset and no daylight
	 * saving, and a fixed offset needs no time-zone database. */
	INT("utc_offset_minutes", -720, 840, "480", 0, "UTC offset (minutes)", "时区偏移(分钟)"),
	STR("hours", 200, KH_F_REQUIRED, "Business hours", "工作时间"),
	TXT("description", 0, "Description", "描述"),
	END};

static const struct kh_field calendar_day_fields[] = {
	REF("calendar_id", "service_calendars", KH_F_REQUIRED, "Calendar", "日历"),
	TYPED("date", KH_T_DATE, KH_F_REQUIRED | KH_F_INDEXED, "Date", "日期"),
	ENUM("kind", day_kinds, "holiday", KH_F_REQUIRED, "Kind", "类型"),
	STR("name", 100, KH_F_TITLE, "Name", "名称"),
	END};

static const struct kh_field sla_policy_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_TITLE, "Name", "名称"),
	ENUM("priority", priorities, 0, KH_F_INDEXED, "Priority (empty: any)", "优先级(空:任意)"),
	ENUM("tier", tiers, 0, 0, "Customer tier (empty: any)", "客户等级(空:任意)"),
	ENUM("case_type", case_types, 0, 0, "Case type (empty: any)", "工单类型(空:任意)"),
	INT("first_response_minutes", 1, 525600, 0, KH_F_REQUIRED, "First response (business minutes)", "首次响应时限(工作分钟)"),
	INT("resolution_minutes", 1, 5256000, 0, KH_F_REQUIRED, "Resolution (business minutes)", "解决时限(工作分钟)"),
	INT("warn_before_minutes", 0, 525600, "60", 0, "Warn before breach (business minutes)", "提前预警(工作分钟)"),
	REF("calendar_id", "service_calendars", 0, "Business calendar (empty: around the clock)", "工作日历(空:全天候)"),
	BOOL("active", "true", 0, "Active", "启用"),
	END};

static const struct kh_field queue_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_UNIQUE | KH_F_TITLE, "Name", "名称"),
	TYPED("categories", KH_T_TAGS, 0, "Case categories and types routed here", "分派的工单类别"),
	TYPED("required_skills", KH_T_TAGS, 0, "Required skills", "所需技能"),
	ENUM("strategy", strategies, "round_robin", 0, "Case assignment", "工单分派方式"),
	REF("team_id", "teams", 0, "Team", "团队"),
	INT("max_open_per_agent", 0, 100000, "0", 0, "Open cases per agent (0: no cap)", "每人在办上限(0:不限)"),
	INT("target_answer_seconds", 1, 3600, "20", 0, "Answer target (seconds)", "接听目标(秒)"),
	INT("wrap_up_seconds", 0, 3600, "30", 0, "Wrap-up time (seconds)", "话后处理(秒)"),
	BOOL("active", "true", 0, "Active", "启用"),
	END};

static const struct kh_field agent_fields[] = {
	REF("user_id", "users", KH_F_REQUIRED | KH_F_UNIQUE, "User", "用户"),
	STR("name", 100, KH_F_TITLE, "Name", "姓名"),
	STR("extension", 20, KH_F_INDEXED, "Extension", "分机号"),
	TYPED("skills", KH_T_TAGS, 0, "Skills", "技能"),
	ENUM("state", agent_states, "offline", KH_F_INDEXED, "State", "状态"),
	TYPED("state_since", KH_T_DATETIME, KH_F_READONLY, "State since", "状态开始"),
	TYPED("idle_since", KH_T_DATETIME, KH_F_READONLY, "Idle since", "空闲开始"),
	TYPED("last_assigned_at", KH_T_DATETIME, KH_F_READONLY, "Last case assigned", "最近分派"),
	END};

static const struct kh_field kb_fields[] = {
	STR("title", 200, KH_F_REQUIRED | KH_F_SEARCH | KH_F_TITLE, "Title", "标题"),
	STR("category", 60, KH_F_INDEXED, "Category", "分类"),
	TYPED("tags", KH_T_TAGS, 0, "Tags", "标签"),
	ENUM("status", kb_statuses, "published", KH_F_INDEXED, "Status", "状态"),
	TXT("body", KH_F_REQUIRED, "Body", "正文"),
	INT("views", 0, INT64_MAX, "0", KH_F_READONLY, "Views", "浏览次数"),
	INT("used_count", 0, INT64_MAX, "0", KH_F_READONLY, "Used as solution", "被采纳次数"),
	END};

static const struct kh_field call_fields[] = {
	STR("call_id", 100, KH_F_REQUIRED | KH_F_UNIQUE | KH_F_TITLE, "Call id", "呼叫标识"),
	ENUM("direction", directions, "inbound", KH_F_INDEXED, "Direction", "方向"),
	TYPED("caller", KH_T_PHONE, KH_F_PERSONAL, "Caller", "主叫号码"),
	TYPED("called", KH_T_PHONE, 0, "Called", "被叫号码"),
	STR("phone_key", 32, KH_F_READONLY | KH_F_INDEXED | KH_F_PERSONAL, "Customer's number (normalised)", "客户号码(规范化)"),
	REF("contact_id", "contacts", 0, "Contact", "联系人"),
	REF("account_id", "accounts", 0, "Account", "客户"),
	REF("agent_id", "users", 0, "Agent", "坐席"),
	REF("queue_id", "service_queues", 0, "Queue", "队列"),
	ENUM("state", call_states, "ringing", KH_F_INDEXED, "State", "状态"),
	STR("ivr_digits", 20, 0, "IVR keys pressed", "IVR 按键"),
	TYPED("started_at", KH_T_DATETIME, KH_F_INDEXED, "Started", "开始时间"),
	TYPED("answered_at", KH_T_DATETIME, 0, "Answered", "接听时间"),
	TYPED("ended_at", KH_T_DATETIME, 0, "Ended", "结束时间"),
	INT("wait_seconds", 0, INT64_MAX, 0, KH_F_READONLY, "Wait (s)", "等待(秒)"),
	INT("talk_seconds", 0, INT64_MAX, 0, KH_F_READONLY, "Talk (s)", "通话(秒)"),
	REF("case_id", "cases", 0, "Case", "服务工单"),
	REF("activity_id", "activities", KH_F_READONLY, "Activity", "活动记录"),
	TXT("notes", 0, "Notes", "备注"),
	END};

static const struct kh_field followup_fields[] = {
	REF("case_id", "cases", KH_F_REQUIRED, "Case", "服务工单"),
	STR("subject", 200, KH_F_TITLE, "Subject", "主题"),
	REF("contact_id", "contacts", 0, "Contact", "联系人"),
	TYPED("due_at", KH_T_DATETIME, KH_F_REQUIRED | KH_F_INDEXED, "Due", "计划回访时间"),
	ENUM("status", followup_statuses, "planned", KH_F_INDEXED, "Status", "状态"),
	ENUM("outcome", followup_outcomes, 0, KH_F_INDEXED, "Outcome", "回访结果"),
	BOOL("reopen_case", "false", 0, "Reopen the case", "重开工单"),
	TYPED("completed_at", KH_T_DATETIME, KH_F_READONLY, "Completed", "完成时间"),
	TXT("notes", 0, "Notes", "回访记录"),
	END};

static const struct kh_field care_rule_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_TITLE, "Name", "名称"),
	ENUM("kind", care_kinds, 0, KH_F_REQUIRED, "Occasion", "关怀时机"),
	INT("days_before", 0, 365, "0", 0, "Days ahead", "提前天数"),
	STR("subject", 200, KH_F_REQUIRED, "Task subject ({name} is the customer)", "任务主题({name} 为客户)"),
	ENUM("tier", tiers, 0, 0, "Customer tier (empty: any)", "客户等级(空:任意)"),
	BOOL("active", "true", 0, "Active", "启用"),
	END};

static const struct kh_field ivr_fields[] = {
	STR("menu", 40, KH_F_REQUIRED | KH_F_INDEXED, "Menu", "菜单"),
	STR("digit", 4, KH_F_REQUIRED, "Key", "按键"),
	STR("label", 100, KH_F_TITLE, "Label", "说明"),
	REF("queue_id", "service_queues", 0, "Goes to queue", "转入队列"),
	STR("next_menu", 40, 0, "Goes to menu", "转入菜单"),
	END};

static struct kh_entity calendars = {30, "service_calendars", "service_calendar", "Business calendars", "工作日历",
	calendar_fields, "name", KH_E_ADMIN_WRITE, .before_write = kh_calendar_before_write};
static struct kh_entity calendar_days = {31, "calendar_days", "calendar_day", "Holidays and working days",
	"节假日与调休", calendar_day_fields, "date", KH_E_ADMIN_WRITE, .before_write = kh_calendar_day_before_write};
static struct kh_entity sla_policies = {32, "sla_policies", "sla_policy", "SLA policies", "服务级别协议",
	sla_policy_fields, "name", KH_E_ADMIN_WRITE};
static struct kh_entity queues = {33, "service_queues", "service_queue", "Queues", "服务队列", queue_fields, "name",
	KH_E_ADMIN_WRITE};
static struct kh_entity agents = {34, "agents", "agent", "Agents", "坐席", agent_fields, "name",
	.before_write = kh_agent_before_write};
static struct kh_entity kb_articles = {35, "kb_articles", "kb_article", "KB articles", "知识库文章", kb_fields,
	"-id", .after_write = kh_kb_after_write, .after_bulk = kh_kb_reindex_all};
static struct kh_entity calls = {36, "calls", "call", "Calls", "通话记录", call_fields, "-id"};
static struct kh_entity followups = {37, "service_followups", "service_followup", "Follow-up visits", "回访",
	followup_fields, "due_at", .before_write = kh_followup_before_write, .after_write = kh_followup_after_write};
static struct kh_entity care_rules = {38, "care_rules", "care_rule", "Care rules", "关怀规则",
	care_rule_fields, "name", KH_E_ADMIN_WRITE};
static struct kh_entity ivr_options = {39, "ivr_options", "ivr_option", "IVR menu", "IVR 菜单", ivr_fields, "menu",
	KH_E_ADMIN_WRITE};

/* Table order is creation order: each after what it refers to. */
struct kh_entity *const kh_service_entities[] = {&calendars, &calendar_days, &sla_policies, &queues, &agents,
	&kb_articles, &calls, &followups, &care_rules, &ivr_options, NULL};
