/* The core entity table: the records every CRM has, one block each. Modules
 * (sales, service, ...) have tables of their own, listed in modules.c.
 *
 * To add a field, add a line to its entity's list; the migration, API, search,
 * validation and UI follow from it (docs/ARCHITECTURE.md, "Adding a field").
 * The system fields every entity has (id, created_at, updated_at, created_by,
 * owner_id, version, archived_at) are added by model.c. */
#include "model/entity.h"
#include "domain/hooks.h"
#include "domain/sales.h"
#include "domain/service.h"

#define STR(n, len, fl, en, zh) {.name = n, .type = KH_T_STRING, .max_len = len, .flags = fl, .label_en = en, .label_zh = zh}
#define TXT(n, fl, en, zh) {.name = n, .type = KH_T_TEXT, .flags = fl, .label_en = en, .label_zh = zh}
#define TYPED(n, t, fl, en, zh) {.name = n, .type = t, .flags = fl, .label_en = en, .label_zh = zh}
#define INT(n, lo, hi, fl, en, zh) {.name = n, .type = KH_T_INT, .min = lo, .max = hi, .flags = fl, .label_en = en, .label_zh = zh}
#define MONEY(n, fl, en, zh) {.name = n, .type = KH_T_MONEY, .min = 0, .max = 1000000000000000LL, .flags = fl, .label_en = en, .label_zh = zh}
#define ENUM(n, vals, d, fl, en, zh) {.name = n, .type = KH_T_ENUM, .enum_values = vals, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define REF(n, ent, fl, en, zh) {.name = n, .type = KH_T_REF, .ref = ent, .flags = (fl) | KH_F_INDEXED, .label_en = en, .label_zh = zh}
#define CURRENCY {.name = "currency", .type = KH_T_CURRENCY, .def = "CNY", .label_en = "Currency", .label_zh = "币种"}
#define END {0}

#define ADDRESS_FIELDS                                                          \
	STR("city", 60, KH_F_INDEXED, "City", "城市"),                          \
	STR("province", 60, KH_F_INDEXED, "Province / state", "省份"),          \
	STR("country", 60, 0, "Country", "国家"), STR("address", 200, 0, "Address", "地址"), \
	STR("postal_code", 20, 0, "Postal code", "邮编")

static const char *const industries[] = {"manufacturing", "retail", "wholesale", "it", "finance", "education",
	"healthcare", "real_estate", "logistics", "energy", "media", "government", "hospitality", "agriculture",
	"other", 0};
static const char *const account_types[] = {"customer", "prospect", "partner", "reseller", "competitor", "other", 0};
static const char *const tiers[] = {"A", "B", "C", "D", 0};
static const char *const sources[] = {"web", "phone", "email", "referral", "partner", "trade_show", "advertising",
	"social", "wechat", "campaign", "cold_call", "other", 0};
static const char *const genders[] = {"male", "female", "other", 0};
static const char *const contact_statuses[] = {"active", "inactive", 0};
static const char *const lead_statuses[] = {"new", "contacted", "qualified", "unqualified", "converted", 0};
static const char *const ratings[] = {"hot", "warm", "cold", 0};
static const char *const stages[] = {"prospecting", "qualification", "needs_analysis", "proposal", "negotiation",
	"closed_won", "closed_lost", 0};
static const char *const opp_statuses[] = {"open", "won", "lost", 0};
static const char *const forecast_categories[] = {"pipeline", "best_case", "commit", "closed", "omitted", 0};
static const char *const activity_types[] = {"task", "call", "meeting", "email", "note", 0};
static const char *const activity_statuses[] = {"planned", "completed", "cancelled", 0};
static const char *const priorities[] = {"low", "normal", "high", "urgent", 0};
static const char *const case_types[] = {"question", "problem", "incident", "request", "complaint", 0};
static const char *const case_statuses[] = {"new", "assigned", "in_progress", "waiting", "resolved", "closed", 0};
static const char *const channels[] = {"phone", "email", "web", "wechat", "chat", "walk_in", "social", 0};
static const char *const sla_statuses[] = {"on_track", "warning", "paused", "breached", "met", 0};
static const char *const complaint_causes[] = {"product_quality", "delivery", "service_attitude", "billing",
	"after_sales", "false_advertising", "privacy", "other", 0};
static const char *const severities[] = {"minor", "major", "critical", 0};
static const char *const campaign_types[] = {"email", "sms", "event", "webinar", "advertising", "social",
	"telemarketing", "direct_mail", "other", 0};
static const char *const campaign_statuses[] = {"planned", "active", "completed", "aborted", 0};
static const char *const order_statuses[] = {"draft", "confirmed", "shipped", "delivered", "completed",
	"cancelled", 0};
static const char *const payment_statuses[] = {"unpaid", "partial", "paid", "refunded", 0};
static const char *const locales[] = {"zh-CN", "en", 0};

static const struct kh_field account_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_INDEXED | KH_F_SEARCH | KH_F_TITLE, "Name", "名称"),
	STR("name_en", 200, KH_F_SEARCH, "English name", "英文名称"),
	ENUM("type", account_types, "customer", KH_F_INDEXED, "Type", "类型"),
	ENUM("industry", industries, 0, KH_F_INDEXED, "Industry", "行业"),
	ENUM("tier", tiers, 0, KH_F_INDEXED, "Tier", "客户等级"),
	ENUM("source", sources, 0, KH_F_INDEXED, "Source", "来源"),
	REF("parent_id", "accounts", 0, "Parent account", "上级客户"),
	TYPED("phone", KH_T_PHONE, KH_F_SEARCH, "Phone", "电话"),
	TYPED("email", KH_T_EMAIL, KH_F_SEARCH, "E-mail", "邮箱"),
	TYPED("website", KH_T_URL, 0, "Website", "网站"),
	STR("credit_code", 18, KH_F_INDEXED, "Unified social credit code", "统一社会信用代码"),
	INT("employees", 0, 100000000, 0, "Employees", "员工人数"),
	MONEY("annual_revenue", 0, "Annual revenue", "年营业额"),
	CURRENCY,
	ADDRESS_FIELDS,
	TYPED("tags", KH_T_TAGS, 0, "Tags", "标签"),
	TXT("description", 0, "Description", "描述"),
	END};

static const struct kh_field contact_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_INDEXED | KH_F_SEARCH | KH_F_TITLE, "Name", "姓名"),
	STR("name_en", 100, KH_F_SEARCH, "English name", "英文名"),
	REF("account_id", "accounts", 0, "Account", "所属客户"),
	STR("title", 100, 0, "Job title", "职务"),
	STR("department", 100, 0, "Department", "部门"),
	ENUM("gender", genders, 0, 0, "Gender", "性别"),
	TYPED("birthday", KH_T_DATE, KH_F_PERSONAL, "Birthday", "生日"),
	TYPED("email", KH_T_EMAIL, KH_F_INDEXED | KH_F_SEARCH | KH_F_PERSONAL, "E-mail", "邮箱"),
	TYPED("phone", KH_T_PHONE, KH_F_SEARCH | KH_F_PERSONAL, "Phone", "电话"),
	TYPED("mobile", KH_T_PHONE, KH_F_INDEXED | KH_F_SEARCH | KH_F_PERSONAL, "Mobile", "手机"),
	STR("wechat", 60, KH_F_SEARCH | KH_F_PERSONAL, "WeChat", "微信"),
	ENUM("source", sources, 0, KH_F_INDEXED, "Source", "来源"),
	ENUM("status", contact_statuses, "active", KH_F_INDEXED, "Status", "状态"),
	TYPED("do_not_contact", KH_T_BOOL, 0, "Do not contact", "勿扰"),
	ADDRESS_FIELDS,
	TYPED("tags", KH_T_TAGS, 0, "Tags", "标签"),
	TXT("description", 0, "Description", "描述"),
	END};

static const struct kh_field lead_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_INDEXED | KH_F_SEARCH | KH_F_TITLE, "Name", "姓名"),
	STR("company", 200, KH_F_INDEXED | KH_F_SEARCH, "Company", "公司"),
	STR("title", 100, 0, "Job title", "职务"),
	TYPED("email", KH_T_EMAIL, KH_F_INDEXED | KH_F_SEARCH | KH_F_PERSONAL, "E-mail", "邮箱"),
	TYPED("phone", KH_T_PHONE, KH_F_SEARCH | KH_F_PERSONAL, "Phone", "电话"),
	TYPED("mobile", KH_T_PHONE, KH_F_INDEXED | KH_F_SEARCH | KH_F_PERSONAL, "Mobile", "手机"),
	STR("wechat", 60, KH_F_SEARCH | KH_F_PERSONAL, "WeChat", "微信"),
	ENUM("source", sources, 0, KH_F_INDEXED, "Source", "来源"),
	ENUM("status", lead_statuses, "new", KH_F_INDEXED, "Status", "状态"),
	ENUM("rating", ratings, 0, KH_F_INDEXED, "Rating", "评级"),
	ENUM("industry", industries, 0, 0, "Industry", "行业"),
	INT("employees", 0, 100000000, 0, "Company size", "公司规模"),
	INT("score", 0, 100, 0, "Score", "评分"),
	REF("campaign_id", "campaigns", 0, "Campaign", "市场活动"),
	STR("city", 60, KH_F_INDEXED, "City", "城市"),
	STR("province", 60, 0, "Province / state", "省份"),
	REF("converted_account_id", "accounts", KH_F_READONLY, "Converted to account", "转化客户"),
	REF("converted_contact_id", "contacts", KH_F_READONLY, "Converted to contact", "转化联系人"),
	REF("converted_opportunity_id", "opportunities", KH_F_READONLY, "Converted to opportunity", "转化商机"),
	TYPED("converted_at", KH_T_DATETIME, KH_F_READONLY, "Converted at", "转化时间"),
	TYPED("tags", KH_T_TAGS, 0, "Tags", "标签"),
	TXT("description", 0, "Description", "描述"),
	/* The sales module (domain/leads.c): the score's parts, duplicates found
	 * on arrival, when the lead was last assigned. */
	INT("rule_score", 0, 100, KH_F_READONLY, "Rule score", "规则评分"),
	INT("learned_score", 0, 100, KH_F_READONLY, "Learned score", "模型评分"),
	REF("duplicate_of_lead_id", "leads", KH_F_READONLY, "Possible duplicate of lead", "疑似重复线索"),
	REF("duplicate_of_contact_id", "contacts", KH_F_READONLY, "Possible duplicate of contact", "疑似重复联系人"),
	TYPED("assigned_at", KH_T_DATETIME, KH_F_READONLY, "Assigned at", "分配时间"),
	END};

static const struct kh_field opportunity_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_INDEXED | KH_F_TITLE, "Name", "商机名称"),
	REF("account_id", "accounts", KH_F_REQUIRED, "Account", "客户"),
	REF("contact_id", "contacts", 0, "Contact", "联系人"),
	REF("campaign_id", "campaigns", 0, "Campaign", "市场活动"),
	MONEY("amount", KH_F_INDEXED, "Amount", "金额"),
	CURRENCY,
	ENUM("stage", stages, "prospecting", KH_F_INDEXED, "Stage", "阶段"),
	{.name = "probability", .type = KH_T_PERCENT, .min = 0, .max = 100, .label_en = "Probability (%)", .label_zh = "赢率(%)"},
	ENUM("forecast_category", forecast_categories, "pipeline", KH_F_INDEXED, "Forecast category", "预测类别"),
	TYPED("expected_close_date", KH_T_DATE, KH_F_INDEXED, "Expected close date", "预计成交日期"),
	ENUM("status", opp_statuses, "open", KH_F_INDEXED, "Status", "状态"),
	ENUM("source", sources, 0, KH_F_INDEXED, "Source", "来源"),
	TYPED("closed_at", KH_T_DATETIME, KH_F_INDEXED, "Closed at", "关闭时间"),
	STR("lost_reason", 200, 0, "Lost reason", "丢单原因"),
	STR("next_step", 200, 0, "Next step", "下一步"),
	TXT("description", 0, "Description", "描述"),
	/* The sales module (domain/sales_pipeline.c): configurable pipelines. */
	REF("pipeline_id", "pipelines", 0, "Pipeline", "销售管道"),
	STR("won_reason", 200, 0, "Won reason", "赢单原因"),
	TYPED("stage_changed_at", KH_T_DATETIME, KH_F_READONLY | KH_F_INDEXED, "In stage since", "进入阶段时间"),
	END};

static const struct kh_field activity_fields[] = {
	ENUM("type", activity_types, 0, KH_F_REQUIRED | KH_F_INDEXED, "Type", "类型"),
	STR("subject", 200, KH_F_REQUIRED | KH_F_TITLE, "Subject", "主题"),
	ENUM("status", activity_statuses, "planned", KH_F_INDEXED, "Status", "状态"),
	ENUM("priority", priorities, "normal", 0, "Priority", "优先级"),
	TYPED("due_at", KH_T_DATETIME, KH_F_INDEXED, "Due", "截止时间"),
	TYPED("completed_at", KH_T_DATETIME, 0, "Completed at", "完成时间"),
	INT("duration_minutes", 0, 100000, 0, "Duration (minutes)", "时长(分钟)"),
	REF("account_id", "accounts", 0, "Account", "客户"),
	REF("contact_id", "contacts", 0, "Contact", "联系人"),
	REF("lead_id", "leads", 0, "Lead", "线索"),
	REF("opportunity_id", "opportunities", 0, "Opportunity", "商机"),
	REF("case_id", "cases", 0, "Case", "服务工单"),
	TXT("description", 0, "Notes", "内容"),
	END};

static const struct kh_field case_fields[] = {
	STR("case_number", 30, KH_F_UNIQUE | KH_F_READONLY | KH_F_SEARCH, "Case number", "工单号"),
	STR("subject", 200, KH_F_REQUIRED | KH_F_TITLE, "Subject", "主题"),
	ENUM("type", case_types, "question", KH_F_INDEXED, "Type", "类型"),
	ENUM("priority", priorities, "normal", KH_F_INDEXED, "Priority", "优先级"),
	ENUM("status", case_statuses, "new", KH_F_INDEXED, "Status", "状态"),
	ENUM("channel", channels, 0, KH_F_INDEXED, "Channel", "渠道"),
	REF("account_id", "accounts", 0, "Account", "客户"),
	REF("contact_id", "contacts", 0, "Contact", "联系人"),
	REF("product_id", "products", 0, "Product", "产品"),
	REF("order_id", "orders", 0, "Order", "订单"),
	TYPED("first_response_at", KH_T_DATETIME, 0, "First response at", "首次响应时间"),
	TYPED("resolved_at", KH_T_DATETIME, KH_F_INDEXED, "Resolved at", "解决时间"),
	TYPED("closed_at", KH_T_DATETIME, 0, "Closed at", "关闭时间"),
	INT("satisfaction", 1, 5, 0, "Satisfaction (1-5)", "满意度(1-5)"),
	TXT("description", 0, "Description", "问题描述"),
	TXT("resolution", 0, "Resolution", "解决方案"),
	/* The service module (domain/cases.c, sla.c): queues, SLA clocks, complaints, surveys. */
	STR("category", 60, KH_F_INDEXED, "Category", "类别"),
	REF("queue_id", "service_queues", 0, "Queue", "服务队列"),
	TYPED("first_response_due_at", KH_T_DATETIME, KH_F_READONLY | KH_F_INDEXED, "First response due", "首次响应期限"),
	TYPED("resolution_due_at", KH_T_DATETIME, KH_F_READONLY | KH_F_INDEXED, "Resolution due", "解决期限"),
	ENUM("sla_status", sla_statuses, 0, KH_F_READONLY | KH_F_INDEXED, "SLA", "SLA 状态"),
	TYPED("escalated_at", KH_T_DATETIME, KH_F_READONLY, "Escalated at", "升级时间"),
	INT("reopen_count", 0, 1000000, KH_F_READONLY, "Reopened", "重开次数"),
	ENUM("complaint_cause", complaint_causes, 0, KH_F_INDEXED, "Complaint cause", "投诉原因"),
	ENUM("severity", severities, 0, KH_F_INDEXED, "Severity", "严重程度"),
	MONEY("compensation", 0, "Compensation", "补偿金额"),
	TXT("root_cause", 0, "Root cause", "根本原因"),
	TXT("satisfaction_comment", KH_F_READONLY, "Customer's comment", "客户评价"),
	REF("kb_article_id", "kb_articles", 0, "Solution article", "解决方案文章"),
	END};

static const struct kh_field campaign_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_INDEXED | KH_F_TITLE, "Name", "活动名称"),
	ENUM("type", campaign_types, 0, KH_F_INDEXED, "Type", "类型"),
	ENUM("status", campaign_statuses, "planned", KH_F_INDEXED, "Status", "状态"),
	TYPED("start_date", KH_T_DATE, KH_F_INDEXED, "Start date", "开始日期"),
	TYPED("end_date", KH_T_DATE, 0, "End date", "结束日期"),
	MONEY("budget", 0, "Budget", "预算"),
	MONEY("actual_cost", 0, "Actual cost", "实际成本"),
	MONEY("expected_revenue", 0, "Expected revenue", "预期收入"),
	CURRENCY,
	INT("expected_responses", 0, 1000000000, 0, "Expected responses", "预期响应数"),
	TXT("description", 0, "Description", "描述"),
	END};

static const struct kh_field product_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_INDEXED | KH_F_SEARCH | KH_F_TITLE, "Name", "产品名称"),
	STR("sku", 64, KH_F_REQUIRED | KH_F_UNIQUE | KH_F_SEARCH, "SKU", "产品编码"),
	STR("category", 100, KH_F_INDEXED, "Category", "类别"),
	MONEY("unit_price", 0, "Unit price", "单价"),
	MONEY("cost", 0, "Unit cost", "成本"),
	CURRENCY,
	STR("unit", 20, 0, "Unit", "单位"),
	{.name = "active", .type = KH_T_BOOL, .def = "true", .flags = KH_F_INDEXED, .label_en = "Active", .label_zh = "在售"},
	TXT("description", 0, "Description", "描述"),
	END};

static const struct kh_field order_fields[] = {
	STR("order_number", 30, KH_F_UNIQUE | KH_F_READONLY | KH_F_TITLE, "Order number", "订单号"),
	REF("account_id", "accounts", 0, "Account", "客户"),
	REF("contact_id", "contacts", 0, "Contact", "联系人"),
	REF("opportunity_id", "opportunities", 0, "Opportunity", "商机"),
	TYPED("order_date", KH_T_DATE, KH_F_REQUIRED | KH_F_INDEXED, "Order date", "下单日期"),
	ENUM("status", order_statuses, "draft", KH_F_INDEXED, "Status", "状态"),
	ENUM("payment_status", payment_statuses, "unpaid", KH_F_INDEXED, "Payment status", "付款状态"),
	MONEY("total_amount", KH_F_READONLY | KH_F_INDEXED, "Total", "订单总额"),
	CURRENCY,
	/* Fulfilment and payment (domain/orders.c): what was paid, and when each step was reached. */
	MONEY("paid_amount", 0, "Paid", "已付金额"),
	TYPED("confirmed_at", KH_T_DATETIME, 0, "Confirmed at", "确认时间"),
	TYPED("shipped_at", KH_T_DATETIME, 0, "Shipped at", "发货时间"),
	STR("tracking_number", 100, KH_F_SEARCH, "Tracking number", "物流单号"),
	TYPED("delivered_at", KH_T_DATETIME, 0, "Delivered at", "送达时间"),
	TYPED("completed_at", KH_T_DATETIME, 0, "Completed at", "完成时间"),
	TYPED("cancelled_at", KH_T_DATETIME, 0, "Cancelled at", "取消时间"),
	TYPED("paid_at", KH_T_DATETIME, 0, "Paid in full at", "付清时间"),
	/* Set when the order ships, completes or is cancelled: its lines, and so its
	 * total, then stay as they were (domain/orders.c). */
	{.name = "locked", .type = KH_T_BOOL, .def = "false", .label_en = "Lines locked", .label_zh = "明细已锁定"},
	STR("shipping_address", 300, 0, "Shipping address", "收货地址"),
	TXT("description", 0, "Notes", "备注"),
	END};

/* Contracts: what a customer signed, for how long. The service module's care
 * rules remind the owner before one ends (contract_renewal). */
static const char *const contract_statuses[] = {"draft", "active", "expired", "terminated", "renewed", 0};
static const struct kh_field contract_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_INDEXED | KH_F_SEARCH | KH_F_TITLE, "Name", "合同名称"),
	STR("contract_number", 40, KH_F_UNIQUE | KH_F_SEARCH, "Contract number", "合同编号"),
	REF("account_id", "accounts", KH_F_REQUIRED, "Account", "客户"),
	REF("contact_id", "contacts", 0, "Contact", "联系人"),
	REF("opportunity_id", "opportunities", 0, "Opportunity", "商机"),
	REF("order_id", "orders", 0, "Order", "订单"),
	ENUM("status", contract_statuses, "draft", KH_F_INDEXED, "Status", "状态"),
	TYPED("signed_date", KH_T_DATE, 0, "Signed", "签订日期"),
	TYPED("start_date", KH_T_DATE, KH_F_INDEXED, "Start", "开始日期"),
	TYPED("end_date", KH_T_DATE, KH_F_INDEXED, "End", "到期日期"),
	MONEY("amount", 0, "Contract value", "合同金额"),
	CURRENCY,
	{.name = "auto_renew", .type = KH_T_BOOL, .def = "false", .label_en = "Renews automatically", .label_zh = "自动续约"},
	TXT("description", 0, "Terms and notes", "条款与备注"),
	END};

static const struct kh_field order_line_fields[] = {
	REF("order_id", "orders", KH_F_REQUIRED, "Order", "订单"),
	REF("product_id", "products", KH_F_REQUIRED, "Product", "产品"),
	INT("quantity", 1, 100000000, KH_F_REQUIRED, "Quantity", "数量"),
	MONEY("unit_price", 0, "Unit price", "单价"),
	{.name = "discount", .type = KH_T_PERCENT, .min = 0, .max = 100, .def = "0", .label_en = "Discount (%)", .label_zh = "折扣(%)"},
	MONEY("amount", KH_F_READONLY, "Line amount", "金额"),
	STR("description", 200, KH_F_TITLE, "Description", "说明"),
	END};

static const struct kh_field team_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_UNIQUE | KH_F_TITLE, "Name", "名称"),
	REF("manager_id", "users", 0, "Manager", "经理"),
	REF("parent_id", "teams", 0, "Parent team", "上级团队"),
	TXT("description", 0, "Description", "描述"),
	END};

static const struct kh_field user_fields[] = {
	STR("username", 64, KH_F_REQUIRED | KH_F_UNIQUE | KH_F_TITLE, "Username", "用户名"),
	STR("display_name", 100, 0, "Display name", "显示名"),
	TYPED("email", KH_T_EMAIL, 0, "E-mail", "邮箱"),
	TYPED("phone", KH_T_PHONE, 0, "Phone", "电话"),
	/* A role's key (roles.key): roles are data, checked by the users rule. */
	STR("role", 40, KH_F_REQUIRED | KH_F_INDEXED, "Role", "角色"),
	REF("team_id", "teams", 0, "Team", "团队"),
	ENUM("locale", locales, "zh-CN", 0, "Language", "语言"),
	{.name = "active", .type = KH_T_BOOL, .def = "true", .label_en = "Active", .label_zh = "启用"},
	TYPED("password", KH_T_PASSWORD, KH_F_WRITEONLY, "Password", "密码"),
	TYPED("last_login_at", KH_T_DATETIME, KH_F_READONLY, "Last login", "最近登录"),
	END};

/* Each entity's number (the first value) is part of search keys and must never change; a new
 * entity takes the next free number. */
static struct kh_entity users = {1, "users", "user", "Users", "用户", user_fields, "username",
	KH_E_ADMIN_WRITE | KH_E_SECURITY, .before_write = kh_user_before_write};
static struct kh_entity teams = {12, "teams", "team", "Teams", "团队", team_fields, "name",
	KH_E_ADMIN_WRITE | KH_E_SECURITY};
static struct kh_entity accounts = {2, "accounts", "account", "Accounts", "客户", account_fields, "-id"};
static struct kh_entity contacts = {3, "contacts", "contact", "Contacts", "联系人", contact_fields, "-id"};
static struct kh_entity leads = {4, "leads", "lead", "Leads", "线索", lead_fields, "-id",
	.before_write = kh_lead_before_write, .after_write = kh_lead_after_write, .after_bulk = kh_leads_after_bulk};
static struct kh_entity opportunities = {5, "opportunities", "opportunity", "Opportunities", "商机",
	opportunity_fields, "-id", .before_write = kh_sales_opportunity_before_write,
	.after_write = kh_sales_opportunity_after_write, .after_bulk = kh_sales_opportunity_after_bulk};
static struct kh_entity activities = {6, "activities", "activity", "Activities", "活动", activity_fields, "-id",
	.before_write = kh_activity_before_write};
static struct kh_entity cases = {7, "cases", "case", "Cases", "服务工单", case_fields, "-id",
	.before_write = kh_case_before_write, .after_write = kh_case_service_after_write};
static struct kh_entity campaigns = {8, "campaigns", "campaign", "Campaigns", "市场活动", campaign_fields, "-id"};
static struct kh_entity products = {9, "products", "product", "Products", "产品", product_fields, "name"};
static struct kh_entity orders = {10, "orders", "order", "Orders", "订单", order_fields, "-id",
	.before_write = kh_sales_order_before_write};
static struct kh_entity contracts = {13, "contracts", "contract", "Contracts", "合同", contract_fields, "-id"};
static struct kh_entity order_lines = {11, "order_lines", "order_line", "Order lines", "订单明细",
	order_line_fields, "id", KH_E_CHILD, .before_write = kh_order_line_before_write,
	.after_write = kh_order_line_after_write, .after_bulk = kh_order_totals_refresh};

/* Table order is the order of creation: every entity comes after those it refers to (PostgreSQL
 * checks a REFERENCES clause when the table is created), itself excepted. */
struct kh_entity *const kh_core_entities[] = {
	&users, &teams, &accounts, &contacts, &campaigns, &opportunities, &leads, &products, &orders, &order_lines, &cases,
	&activities, &contracts, NULL};
