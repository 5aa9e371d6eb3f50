/* The sales and marketing module's entities (codes 20-29): pipelines, price
 * lists, quotes, campaign members and costs, templates, web forms and rules.
 * Their rules are in domain/sales*.c, leads.c, quotes.c, campaigns.c, rules.c.
 *
 * Configuration that a company changes (a pipeline's stages, a scoring rule,
 * a web form) is rows of these tables, not code: the generic API, validation,
 * audit and the UI's lists and forms come with them. */
#include "domain/sales.h"
#include "model/entity.h"

#define STR(n, len, fl, en, zh) {.name = n, .type = KH_T_STRING, .max_len = len, .flags = fl, .label_en = en, .label_zh = zh}
#define TXT(n, fl, en, zh) {.name = n, .type = KH_T_TEXT, .flags = fl, .label_en = en, .label_zh = zh}
#define TYPED(n, t, fl, en, zh) {.name = n, .type = t, .flags = fl, .label_en = en, .label_zh = zh}
#define INT(n, lo, hi, d, fl, en, zh) {.name = n, .type = KH_T_INT, .min = lo, .max = hi, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define MONEY(n, fl, en, zh) {.name = n, .type = KH_T_MONEY, .min = 0, .max = 1000000000000000LL, .flags = fl, .label_en = en, .label_zh = zh}
#define PCT(n, d, en, zh) {.name = n, .type = KH_T_PERCENT, .min = 0, .max = 100, .def = d, .label_en = en, .label_zh = zh}
#define ENUM(n, vals, d, fl, en, zh) {.name = n, .type = KH_T_ENUM, .enum_values = vals, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define BOOL(n, d, fl, en, zh) {.name = n, .type = KH_T_BOOL, .def = d, .flags = fl, .label_en = en, .label_zh = zh}
#define REF(n, ent, fl, en, zh) {.name = n, .type = KH_T_REF, .ref = ent, .flags = (fl) | KH_F_INDEXED, .label_en = en, .label_zh = zh}
#define CURRENCY {.name = "currency", .type = KH_T_CURRENCY, .def = "CNY", .label_en = "Currency", .label_zh = "币种"}
#define RO KH_F_READONLY
#define END {0}

/* A pipeline's stages, reasons and limits are one JSON document (config), edited
 * as a whole on the pipeline screen; domain/sales_pipeline.c checks it. */
static const struct kh_field pipeline_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_UNIQUE | KH_F_TITLE, "Name", "名称"),
	BOOL("is_default", "false", KH_F_INDEXED, "Default pipeline", "默认管道"),
	BOOL("active", "true", 0, "Active", "启用"),
	TYPED("config", KH_T_JSON, KH_F_REQUIRED, "Stages and reasons", "阶段与原因"),
	TXT("description", 0, "Description", "描述"),
	END};

static const struct kh_field price_list_fields[] = {
	STR("name", 100, KH_F_REQUIRED | KH_F_UNIQUE | KH_F_TITLE | KH_F_SEARCH, "Name", "名称"),
	CURRENCY,
	BOOL("is_default", "false", KH_F_INDEXED, "Default price list", "默认价目表"),
	BOOL("active", "true", KH_F_INDEXED, "Active", "启用"),
	TYPED("valid_from", KH_T_DATE, 0, "Valid from", "生效日期"),
	TYPED("valid_until", KH_T_DATE, 0, "Valid until", "失效日期"),
	TXT("description", 0, "Description", "描述"),
	END};

static const struct kh_field price_list_item_fields[] = {
	REF("price_list_id", "price_lists", KH_F_REQUIRED, "Price list", "价目表"),
	REF("product_id", "products", KH_F_REQUIRED | KH_F_TITLE, "Product", "产品"),
	MONEY("unit_price", KH_F_REQUIRED, "Unit price", "单价"),
	INT("min_quantity", 1, 100000000, "1", 0, "From quantity", "起订数量"),
	END};

static const char *const quote_statuses[] = {"draft", "sent", "accepted", "rejected", "expired", "superseded", 0};
static const struct kh_field quote_fields[] = {
	STR("quote_number", 30, KH_F_UNIQUE | RO | KH_F_SEARCH | KH_F_TITLE, "Quote number", "报价单号"),
	STR("name", 200, KH_F_REQUIRED | KH_F_SEARCH, "Subject", "报价主题"),
	REF("opportunity_id", "opportunities", 0, "Opportunity", "商机"),
	REF("account_id", "accounts", 0, "Account", "客户"),
	REF("contact_id", "contacts", 0, "Contact", "联系人"),
	REF("price_list_id", "price_lists", 0, "Price list", "价目表"),
	ENUM("status", quote_statuses, "draft", KH_F_INDEXED, "Status", "状态"),
	INT("revision", 1, 1000, "1", RO, "Revision", "版本号"),
	REF("previous_id", "quotes", RO, "Previous revision", "上一版本"),
	TYPED("valid_until", KH_T_DATE, 0, "Valid until", "有效期至"),
	CURRENCY,
	MONEY("subtotal", RO, "Subtotal", "小计"),
	MONEY("discount_total", RO, "Discounts", "折扣"),
	MONEY("tax_total", RO, "Tax", "税额"),
	MONEY("total", RO | KH_F_INDEXED, "Total", "总计"),
	REF("order_id", "orders", RO, "Order", "订单"),
	TYPED("accepted_at", KH_T_DATETIME, RO, "Accepted at", "接受时间"),
	TXT("terms", 0, "Terms", "条款"),
	TXT("description", 0, "Notes", "备注"),
	END};

static const struct kh_field quote_line_fields[] = {
	REF("quote_id", "quotes", KH_F_REQUIRED, "Quote", "报价单"),
	REF("product_id", "products", KH_F_REQUIRED, "Product", "产品"),
	STR("description", 200, KH_F_TITLE, "Description", "说明"),
	INT("quantity", 1, 100000000, 0, KH_F_REQUIRED, "Quantity", "数量"),
	MONEY("unit_price", 0, "Unit price", "单价"),
	PCT("discount", "0", "Discount (%)", "折扣(%)"),
	PCT("tax_rate", "0", "Tax rate (%)", "税率(%)"),
	MONEY("amount", RO, "Net amount", "净额"),
	MONEY("tax_amount", RO, "Tax", "税额"),
	INT("position", 0, 100000, "0", 0, "Position", "序号"),
	END};

static const char *const member_statuses[] = {"planned", "sent", "opened", "clicked", "responded", "converted",
	"unsubscribed", "bounced", "skipped", "failed", "sending", 0};
static const char *const call_outcomes[] = {"interested", "not_interested", "call_back", "no_answer", "wrong_number",
	"do_not_call", "converted", 0};
static const struct kh_field campaign_member_fields[] = {
	REF("campaign_id", "campaigns", KH_F_REQUIRED, "Campaign", "市场活动"),
	REF("contact_id", "contacts", KH_F_TITLE, "Contact", "联系人"),
	REF("lead_id", "leads", 0, "Lead", "线索"),
	REF("account_id", "accounts", 0, "Account", "客户"),
	ENUM("status", member_statuses, "planned", KH_F_INDEXED, "Status", "状态"),
	STR("skip_reason", 60, RO, "Skipped because", "跳过原因"),
	STR("source", 60, 0, "Added from", "来源"),
	TYPED("sent_at", KH_T_DATETIME, RO, "Sent at", "发送时间"),
	TYPED("opened_at", KH_T_DATETIME, RO, "Opened at", "打开时间"),
	TYPED("clicked_at", KH_T_DATETIME, RO, "Clicked at", "点击时间"),
	TYPED("responded_at", KH_T_DATETIME, 0, "Responded at", "响应时间"),
	TYPED("converted_at", KH_T_DATETIME, 0, "Converted at", "转化时间"),
	TYPED("unsubscribed_at", KH_T_DATETIME, RO, "Unsubscribed at", "退订时间"),
	ENUM("call_outcome", call_outcomes, 0, KH_F_INDEXED, "Call outcome", "通话结果"),
	INT("call_attempts", 0, 1000, "0", RO, "Call attempts", "呼叫次数"),
	TYPED("last_called_at", KH_T_DATETIME, RO, "Last called", "最近呼叫"),
	STR("error", 300, RO, "Last error", "错误"),
	/* The key of the member's unsubscribe and tracking links. */
	STR("token", 40, RO | KH_F_WRITEONLY | KH_F_INTERNAL | KH_F_UNIQUE, "Token", "令牌"),
	END};

static const char *const cost_categories[] = {"media", "agency", "event", "print", "staff", "tools", "other", 0};
static const struct kh_field campaign_cost_fields[] = {
	REF("campaign_id", "campaigns", KH_F_REQUIRED, "Campaign", "市场活动"),
	STR("description", 200, KH_F_REQUIRED | KH_F_TITLE, "Description", "说明"),
	ENUM("category", cost_categories, "other", KH_F_INDEXED, "Category", "类别"),
	TYPED("cost_date", KH_T_DATE, 0, "Date", "日期"),
	MONEY("amount", KH_F_REQUIRED, "Amount", "金额"),
	CURRENCY,
	/* Units of the campaign's currency per unit of this one, as a decimal
	 * ("0.1385"): needed when the currencies differ. */
	STR("exchange_rate", 24, 0, "Exchange rate", "汇率"),
	MONEY("amount_converted", RO, "Amount in campaign currency", "折算金额"),
	END};

static const char *const template_kinds[] = {"email", "call_script", 0};
static const char *const languages[] = {"zh-CN", "en", 0};
static const struct kh_field template_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_TITLE | KH_F_SEARCH, "Name", "名称"),
	ENUM("kind", template_kinds, "email", KH_F_INDEXED, "Kind", "类型"),
	REF("campaign_id", "campaigns", 0, "Campaign", "市场活动"),
	ENUM("language", languages, "zh-CN", 0, "Language", "语言"),
	STR("subject", 300, 0, "Subject", "邮件主题"),
	TXT("body", 0, "Body", "正文"),
	TXT("text_body", 0, "Plain-text body", "纯文本正文"),
	END};

static const char *const lead_sources[] = {"web", "phone", "email", "referral", "partner", "trade_show",
	"advertising", "social", "wechat", "campaign", "cold_call", "other", 0};
static const struct kh_field web_form_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_TITLE, "Name", "名称"),
	STR("form_key", 40, KH_F_UNIQUE | RO, "Form key", "表单密钥"),
	BOOL("active", "true", 0, "Active", "启用"),
	REF("campaign_id", "campaigns", 0, "Campaign", "市场活动"),
	ENUM("lead_source", lead_sources, "web", 0, "Lead source", "线索来源"),
	TYPED("fields", KH_T_TAGS, 0, "Accepted fields", "接收字段"),
	TYPED("required_fields", KH_T_TAGS, 0, "Required fields", "必填字段"),
	STR("honeypot_field", 40, 0, "Honeypot field", "蜜罐字段"),
	INT("rate_limit", 1, 100000, "20", 0, "Submissions per hour per address", "每地址每小时提交上限"),
	TYPED("redirect_url", KH_T_URL, 0, "Redirect after submit", "提交后跳转"),
	STR("success_message", 300, 0, "Thank-you message", "提交成功提示"),
	INT("submissions", 0, INT64_MAX, "0", RO, "Submissions", "提交数"),
	INT("spam_blocked", 0, INT64_MAX, "0", RO, "Spam blocked", "拦截垃圾提交"),
	TYPED("last_submission_at", KH_T_DATETIME, RO, "Last submission", "最近提交"),
	END};

static const char *const rule_kinds[] = {"automation", "assignment", "scoring", 0};
static const char *const rule_triggers[] = {"created", "updated", "saved", "date_reached", "no_activity",
	"score_crossed", 0};
static const struct kh_field rule_fields[] = {
	STR("name", 200, KH_F_REQUIRED | KH_F_TITLE, "Name", "名称"),
	TXT("description", 0, "Description", "描述"),
	BOOL("active", "true", KH_F_INDEXED, "Active", "启用"),
	ENUM("kind", rule_kinds, "automation", KH_F_INDEXED, "Kind", "类型"),
	STR("entity", 40, KH_F_REQUIRED | KH_F_INDEXED, "Records", "记录类型"),
	ENUM("trigger", rule_triggers, "saved", 0, "When", "触发条件"),
	TYPED("params", KH_T_JSON, 0, "Trigger settings", "触发参数"),
	TYPED("conditions", KH_T_JSON, 0, "Conditions", "条件"),
	TYPED("actions", KH_T_JSON, 0, "Actions", "动作"),
	INT("points", -100, 100, 0, 0, "Points", "分值"),
	INT("position", 0, 100000, "100", 0, "Order", "顺序"),
	INT("runs", 0, INT64_MAX, "0", RO, "Runs", "执行次数"),
	INT("failures", 0, INT64_MAX, "0", RO, "Failures", "失败次数"),
	TYPED("last_run_at", KH_T_DATETIME, RO, "Last run", "最近执行"),
	END};

static struct kh_entity pipelines = {20, "pipelines", "pipeline", "Pipelines", "销售管道", pipeline_fields, "name",
	KH_E_ADMIN_WRITE, .before_write = kh_pipeline_before_write};
static struct kh_entity price_lists = {21, "price_lists", "price_list", "Price lists", "价目表", price_list_fields,
	"name"};
static struct kh_entity price_list_items = {22, "price_list_items", "price_list_item", "Price list items",
	"价目表明细", price_list_item_fields, "id", .before_write = kh_price_list_item_before_write};
static struct kh_entity quotes = {23, "quotes", "quote", "Quotes", "报价单", quote_fields, "-id",
	.before_write = kh_quote_before_write};
static struct kh_entity quote_lines = {24, "quote_lines", "quote_line", "Quote lines", "报价明细", quote_line_fields,
	"position", .before_write = kh_quote_line_before_write, .after_write = kh_quote_line_after_write};
static struct kh_entity campaign_members = {25, "campaign_members", "campaign_member", "Campaign members",
	"活动成员", campaign_member_fields, "-id", .before_write = kh_campaign_member_before_write};
static struct kh_entity campaign_costs = {26, "campaign_costs", "campaign_cost", "Campaign costs", "活动费用",
	campaign_cost_fields, "-id", .before_write = kh_campaign_cost_before_write};
static struct kh_entity templates = {27, "templates", "template", "Templates", "模板", template_fields, "name"};
static struct kh_entity web_forms = {28, "web_forms", "web_form", "Web forms", "网页表单", web_form_fields, "name",
	.before_write = kh_web_form_before_write};
static struct kh_entity rules = {29, "rules", "rule", "Rules", "规则", rule_fields, "position", KH_E_ADMIN_WRITE,
	.before_write = kh_rule_before_write};

/* Creation order: each after the entities it refers to. */
struct kh_entity *const kh_sales_entities[] = {&pipelines, &price_lists, &price_list_items, &quotes, &quote_lines,
	&campaign_members, &campaign_costs, &templates, &web_forms, &rules, NULL};
