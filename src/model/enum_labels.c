/* The names of enum values in English and Chinese, for /api/v1/meta (and so for
 * every list, form, filter, badge and chart of the UI).
 *
 * A vocabulary rather than a column of each field list: most values mean the
 * same wherever they appear ("active", "closed_won"), so each is named once,
 * and a key may narrow it to one field or one entity's field where the same
 * word means something else there:
 *
 *     "active"                    every field with the value active
 *     "state.break"               the value break of any field named state
 *     "campaigns.status.active"   only campaigns.status
 *
 * The most specific key that names a value in the language asked for wins.
 * English falls back to the value made readable ("needs_analysis" is "Needs
 * analysis"), so only values whose English differs from that are listed with
 * an English name. Every value must have a Chinese name: tests/unit/test_model.c
 * checks the whole metadata. */
#include "model/enum_labels.h"

#include <string.h>

#include "model/entity.h"

struct label {
	const char *key, *en, *zh;
};

static const struct label labels[] = {
	{"zh-CN", "简体中文", "简体中文"},
	{"en", "English", "English"},
	{"customer", NULL, "客户"},
	{"prospect", NULL, "潜在客户"},
	{"partner", NULL, "合作伙伴"},
	{"reseller", NULL, "经销商"},
	{"competitor", NULL, "竞争对手"},
	{"other", NULL, "其他"},
	{"manufacturing", NULL, "制造业"},
	{"retail", NULL, "零售"},
	{"wholesale", NULL, "批发"},
	{"it", "IT", "信息技术"},
	{"finance", NULL, "金融"},
	{"education", NULL, "教育"},
	{"healthcare", NULL, "医疗健康"},
	{"real_estate", "Real estate", "房地产"},
	{"logistics", NULL, "物流"},
	{"energy", NULL, "能源"},
	{"media", NULL, "传媒"},
	{"government", NULL, "政府"},
	{"hospitality", NULL, "酒店餐饮"},
	{"agriculture", NULL, "农业"},
	{"A", NULL, "A"},
	{"B", NULL, "B"},
	{"C", NULL, "C"},
	{"D", NULL, "D"},
	{"web", NULL, "网站"},
	{"phone", NULL, "电话"},
	{"email", "E-mail", "邮件"},
	{"referral", NULL, "转介绍"},
	{"trade_show", "Trade show", "展会"},
	{"advertising", NULL, "广告"},
	{"social", NULL, "社交媒体"},
	{"wechat", "WeChat", "微信"},
	{"campaign", NULL, "市场活动"},
	{"cold_call", "Cold call", "陌生电话"},
	{"male", NULL, "男"},
	{"female", NULL, "女"},
	{"active", NULL, "活跃"},
	{"inactive", NULL, "不活跃"},
	{"sms", "SMS", "短信"},
	{"event", NULL, "线下活动"},
	{"webinar", NULL, "网络研讨会"},
	{"telemarketing", NULL, "电话营销"},
	{"direct_mail", "Direct mail", "直邮"},
	{"planned", NULL, "计划中"},
	{"campaigns.status.active", NULL, "进行中"},
	{"completed", NULL, "已完成"},
	{"aborted", NULL, "已中止"},
	{"prospecting", NULL, "初步接洽"},
	{"qualification", NULL, "需求确认"},
	{"needs_analysis", "Needs analysis", "需求分析"},
	{"proposal", NULL, "方案报价"},
	{"negotiation", NULL, "商务谈判"},
	{"closed_won", "Closed won", "赢单"},
	{"closed_lost", "Closed lost", "输单"},
	{"pipeline", NULL, "管道"},
	{"best_case", "Best case", "最佳情况"},
	{"commit", NULL, "承诺"},
	{"closed", NULL, "已关闭"},
	{"omitted", NULL, "不计入"},
	{"open", NULL, "进行中"},
	{"won", NULL, "赢单"},
	{"lost", NULL, "输单"},
	{"new", NULL, "新建"},
	{"contacted", NULL, "已联系"},
	{"qualified", NULL, "合格"},
	{"unqualified", NULL, "不合格"},
	{"converted", NULL, "已转化"},
	{"hot", NULL, "热"},
	{"warm", NULL, "温"},
	{"cold", NULL, "冷"},
	{"draft", NULL, "草稿"},
	{"confirmed", NULL, "已确认"},
	{"shipped", NULL, "已发货"},
	{"delivered", NULL, "已送达"},
	{"cancelled", NULL, "已取消"},
	{"unpaid", NULL, "未付款"},
	{"partial", NULL, "部分付款"},
	{"paid", NULL, "已付款"},
	{"refunded", NULL, "已退款"},
	{"question", NULL, "咨询"},
	{"problem", NULL, "问题"},
	{"incident", NULL, "故障"},
	{"request", NULL, "需求"},
	{"complaint", NULL, "投诉"},
	{"low", NULL, "低"},
	{"normal", NULL, "普通"},
	{"high", NULL, "高"},
	{"urgent", NULL, "紧急"},
	{"assigned", NULL, "已分配"},
	{"in_progress", "In progress", "处理中"},
	{"waiting", NULL, "等待中"},
	{"resolved", NULL, "已解决"},
	{"chat", NULL, "在线客服"},
	{"walk_in", "Walk-in", "到店"},
	{"on_track", "On track", "正常"},
	{"warning", NULL, "预警"},
	{"paused", NULL, "已暂停"},
	{"breached", NULL, "已超时"},
	{"met", NULL, "已达标"},
	{"product_quality", NULL, "产品质量"},
	{"delivery", NULL, "物流配送"},
	{"service_attitude", NULL, "服务态度"},
	{"billing", NULL, "费用账单"},
	{"after_sales", "After-sales", "售后维修"},
	{"false_advertising", "False advertising", "虚假宣传"},
	{"privacy", NULL, "隐私安全"},
	{"minor", NULL, "一般"},
	{"major", NULL, "严重"},
	{"critical", NULL, "特别严重"},
	{"task", NULL, "任务"},
	{"call", NULL, "电话"},
	{"meeting", NULL, "会议"},
	{"note", NULL, "备注"},
	{"sent", NULL, "已发送"},
	{"accepted", NULL, "已接受"},
	{"rejected", NULL, "已拒绝"},
	{"expired", NULL, "已过期"},
	{"renewed", NULL, "已续约"},
	{"terminated", NULL, "已终止"},
	{"superseded", NULL, "已被取代"},
	{"opened", NULL, "已打开"},
	{"clicked", NULL, "已点击"},
	{"responded", NULL, "已响应"},
	{"unsubscribed", NULL, "已退订"},
	{"bounced", NULL, "退信"},
	{"skipped", NULL, "已跳过"},
	{"failed", NULL, "失败"},
	{"sending", NULL, "发送中"},
	{"interested", NULL, "有意向"},
	{"not_interested", NULL, "无意向"},
	{"call_back", NULL, "需回电"},
	{"no_answer", NULL, "无人接听"},
	{"wrong_number", NULL, "号码错误"},
	{"do_not_call", NULL, "勿再致电"},
	{"campaign_costs.category.media", NULL, "媒体投放"},
	{"agency", NULL, "代理机构"},
	{"print", NULL, "印刷物料"},
	{"staff", NULL, "人员"},
	{"tools", NULL, "工具"},
	{"call_script", NULL, "外呼话术"},
	{"automation", NULL, "自动化"},
	{"assignment", NULL, "分配"},
	{"scoring", NULL, "评分"},
	{"created", NULL, "创建时"},
	{"updated", NULL, "更新时"},
	{"saved", NULL, "保存时"},
	{"date_reached", NULL, "到达日期"},
	{"no_activity", NULL, "无活动"},
	{"score_crossed", NULL, "分数越过阈值"},
	{"holiday", NULL, "放假"},
	{"workday", NULL, "调休上班"},
	{"round_robin", "Round robin", "轮流分派"},
	{"least_loaded", "Least loaded", "最少在办"},
	{"offline", NULL, "离线"},
	{"available", NULL, "空闲"},
	{"on_call", "On call", "通话中"},
	{"wrap_up", "Wrap-up", "话后处理"},
	{"agents.state.break", NULL, "小休"},
	{"published", NULL, "已发布"},
	{"inbound", NULL, "呼入"},
	{"outbound", NULL, "呼出"},
	{"ringing", NULL, "振铃"},
	{"queued", NULL, "排队中"},
	{"answered", NULL, "已接听"},
	{"ended", NULL, "已结束"},
	{"missed", NULL, "未接"},
	{"abandoned", NULL, "放弃"},
	{"done", NULL, "已完成"},
	{"satisfied", NULL, "满意"},
	{"unsatisfied", NULL, "不满意"},
	{"unreachable", NULL, "未联系上"},
	{"birthday", NULL, "生日"},
	{"first_purchase_anniversary", "First purchase anniversary", "首购周年"},
	{"contract_renewal", NULL, "合同续约"},
	{"surveys.kind.nps", "NPS", "净推荐值 (NPS)"},
	{"surveys.kind.csat", "CSAT", "满意度 (CSAT)"},
	{"surveys.kind.ces", "CES", "费力度 (CES)"},
	{"surveys.kind.acsi", "ACSI", "ACSI 满意度指数"},
	{"surveys.kind.ecsi", "ECSI", "ECSI 满意度指数"},
	{"surveys.kind.custom", NULL, "自定义"},
	{"manual", NULL, "手动发送"},
	{"order_delivered", "After delivery", "订单送达后"},
	{"case_resolved", "After a case is resolved", "工单解决后"},
	{"scale", NULL, "量表题"},
	{"survey_questions.type.nps", "NPS (0-10)", "NPS 题"},
	{"single", NULL, "单选题"},
	{"multiple", NULL, "多选题"},
	{"survey_questions.type.text", NULL, "填空题"},
	{"portal", NULL, "客户门户"},
	{"link", NULL, "链接"},
	{"survey_invitations.status.pending", NULL, "待发送"},
	{"survey_invitations.status.sent", NULL, "已发送"},
	{"survey_invitations.status.opened", NULL, "已打开"},
	{"survey_invitations.status.answered", NULL, "已回答"},
	{"survey_invitations.status.expired", NULL, "已过期"},
	{"survey_invitations.status.failed", NULL, "发送失败"},
	{"shares.access.read", NULL, "查看"},
	{"shares.access.edit", NULL, "编辑"},
	{"consents.channel.mail", "Post", "信件"},
	{"granted", NULL, "已同意"},
	{"withdrawn", NULL, "已撤回"},
};

static const char *pick(const struct label *l, enum kh_lang lang)
{
	return lang == KH_LANG_ZH ? l->zh : l->en;
}

const char *kh_enum_label(const struct kh_entity *e, const struct kh_field *f, const char *value, enum kh_lang lang)
{
	size_t elen = strlen(e->name), flen = strlen(f->name), vlen = strlen(value);
	const char *best = NULL;
	int best_rank = 0;
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		const char *k = labels[i].key;
		size_t klen = strlen(k);
		int rank = 0;
		if (klen == vlen && !memcmp(k, value, vlen))
			rank = 1;
		else if (klen == flen + 1 + vlen && !memcmp(k, f->name, flen) && k[flen] == '.' &&
			 !memcmp(k + flen + 1, value, vlen))
			rank = 2;
		else if (klen == elen + 1 + flen + 1 + vlen && !memcmp(k, e->name, elen) && k[elen] == '.' &&
			 !memcmp(k + elen + 1, f->name, flen) && k[elen + 1 + flen] == '.' &&
			 !memcmp(k + elen + flen + 2, value, vlen))
			rank = 3;
		if (rank > best_rank && pick(&labels[i], lang)) {
			best = pick(&labels[i], lang);
			best_rank = rank;
		}
	}
	return best;
}

void kh_enum_label_default(const char *value, char *out, size_t outlen)
{
	size_t i = 0;
	if (!outlen)
		return;
	for (; value[i] && i + 1 < outlen; i++) {
		char c = value[i] == '_' ? ' ' : value[i];
		out[i] = i == 0 && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	out[i] = '\0';
}
