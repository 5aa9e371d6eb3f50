/* Word lists for the demo generator: common Chinese surnames and given-name
 * characters (with pinyin, for e-mail addresses and English names), English
 * names, cities with their provinces, company words and products. */
#ifndef KH_DEMO_DATA_H
#define KH_DEMO_DATA_H

struct kh_word {
	const char *zh, *py;
};

struct kh_city {
	const char *zh, *en, *province, *area_code;
	int weight;
};

/* The most frequent surnames, roughly in order of frequency. */
static const struct kh_word demo_surnames[] = {
	{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"}, {"黄", "huang"},
	{"赵", "zhao"}, {"吴", "wu"}, {"周", "zhou"}, {"徐", "xu"}, {"孙", "sun"}, {"马", "ma"}, {"朱", "zhu"},
	{"胡", "hu"}, {"郭", "guo"}, {"何", "he"}, {"高", "gao"}, {"林", "lin"}, {"罗", "luo"}, {"郑", "zheng"},
	{"梁", "liang"}, {"谢", "xie"}, {"宋", "song"}, {"唐", "tang"}, {"许", "xu"}, {"韩", "han"}, {"冯", "feng"},
	{"邓", "deng"}, {"曹", "cao"}, {"彭", "peng"}, {"曾", "zeng"}, {"肖", "xiao"}, {"田", "tian"}, {"董", "dong"},
	{"袁", "yuan"}, {"潘", "pan"}, {"于", "yu"}, {"蒋", "jiang"}, {"蔡", "cai"}, {"余", "yu"}, {"杜", "du"},
	{"叶", "ye"}, {"程", "cheng"}, {"苏", "su"}, {"魏", "wei"}, {"吕", "lv"}, {"丁", "ding"}, {"任", "ren"},
	{"沈", "shen"}, {"姚", "yao"}, {"卢", "lu"}, {"姜", "jiang"}, {"崔", "cui"}, {"钟", "zhong"}, {"谭", "tan"},
	{"陆", "lu"}, {"汪", "wang"}, {"范", "fan"}, {"金", "jin"}, {"石", "shi"}, {"廖", "liao"}, {"贾", "jia"},
	{"夏", "xia"}, {"韦", "wei"}, {"付", "fu"}, {"方", "fang"}, {"白", "bai"}, {"邹", "zou"}, {"孟", "meng"},
	{"熊", "xiong"}, {"秦", "qin"}, {"邱", "qiu"}, {"江", "jiang"}, {"尹", "yin"}, {"薛", "xue"}, {"欧阳", "ouyang"},
	{"司马", "sima"}, {"诸葛", "zhuge"}, {"上官", "shangguan"},
};

static const struct kh_word demo_given[] = {
	{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"丽", "li"}, {"强", "qiang"},
	{"磊", "lei"}, {"军", "jun"}, {"洋", "yang"}, {"勇", "yong"}, {"艳", "yan"}, {"杰", "jie"}, {"娟", "juan"},
	{"涛", "tao"}, {"明", "ming"}, {"超", "chao"}, {"秀", "xiu"}, {"霞", "xia"}, {"平", "ping"}, {"刚", "gang"},
	{"桂", "gui"}, {"英", "ying"}, {"华", "hua"}, {"建", "jian"}, {"国", "guo"}, {"文", "wen"}, {"辉", "hui"},
	{"鹏", "peng"}, {"宇", "yu"}, {"浩", "hao"}, {"婷", "ting"}, {"雪", "xue"}, {"琳", "lin"}, {"晨", "chen"},
	{"欣", "xin"}, {"怡", "yi"}, {"佳", "jia"}, {"子", "zi"}, {"梓", "zi"}, {"涵", "han"}, {"轩", "xuan"},
	{"博", "bo"}, {"思", "si"}, {"雨", "yu"}, {"嘉", "jia"}, {"俊", "jun"}, {"慧", "hui"}, {"凯", "kai"},
	{"峰", "feng"}, {"三", "san"}, {"丰", "feng"}, {"海", "hai"}, {"天", "tian"}, {"志", "zhi"}, {"红", "hong"},
	{"玉", "yu"}, {"兰", "lan"}, {"春", "chun"}, {"梅", "mei"}, {"东", "dong"}, {"晓", "xiao"}, {"小", "xiao"},
	{"振", "zhen"}, {"鑫", "xin"}, {"瑞", "rui"}, {"泽", "ze"}, {"一", "yi"}, {"诗", "shi"}, {"安", "an"},
};

static const char *const demo_first_en[] = {"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael",
	"Linda", "David", "Elizabeth", "William", "Susan", "Richard", "Jessica", "Thomas", "Sarah", "Daniel",
	"Karen", "Matthew", "Emma", "Oliver", "Sophie", "Lukas", "Anna", "Pierre", "Marie", "Hiroshi", "Yuki",
	"Min-jun", "Seo-yeon", "Arjun", "Priya"};
static const char *const demo_last_en[] = {"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
	"Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "White", "Harris", "Clark", "Lewis",
	"Walker", "Young", "Müller", "Schmidt", "Dubois", "Rossi", "Tanaka", "Sato", "Kim", "Park", "Patel",
	"Sharma", "O'Brien", "García"};

static const struct kh_city demo_cities[] = {
	{"上海", "Shanghai", "上海", "021", 12}, {"北京", "Beijing", "北京", "010", 12},
	{"深圳", "Shenzhen", "广东", "0755", 10}, {"广州", "Guangzhou", "广东", "020", 9},
	{"杭州", "Hangzhou", "浙江", "0571", 7}, {"成都", "Chengdu", "四川", "028", 7},
	{"南京", "Nanjing", "江苏", "025", 5}, {"苏州", "Suzhou", "江苏", "0512", 5},
	{"武汉", "Wuhan", "湖北", "027", 5}, {"西安", "Xi'an", "陕西", "029", 4},
	{"重庆", "Chongqing", "重庆", "023", 5}, {"天津", "Tianjin", "天津", "022", 4},
	{"长沙", "Changsha", "湖南", "0731", 3}, {"郑州", "Zhengzhou", "河南", "0371", 3},
	{"青岛", "Qingdao", "山东", "0532", 3}, {"宁波", "Ningbo", "浙江", "0574", 3},
	{"厦门", "Xiamen", "福建", "0592", 2}, {"合肥", "Hefei", "安徽", "0551", 2},
	{"沈阳", "Shenyang", "辽宁", "024", 2}, {"大连", "Dalian", "辽宁", "0411", 2},
	{"昆明", "Kunming", "云南", "0871", 2}, {"哈尔滨", "Harbin", "黑龙江", "0451", 2},
	{"福州", "Fuzhou", "福建", "0591", 2}, {"济南", "Jinan", "山东", "0531", 2},
	{"东莞", "Dongguan", "广东", "0769", 2}, {"无锡", "Wuxi", "江苏", "0510", 2},
	{"乌鲁木齐", "Urumqi", "新疆", "0991", 1}, {"拉萨", "Lhasa", "西藏", "0891", 1},
	{"香港", "Hong Kong", "香港", "852", 2}, {"台北", "Taipei", "台湾", "02", 1},
};

static const struct kh_word demo_company_words[] = {
	{"华信", "Huaxin"}, {"中联", "Zhonglian"}, {"鼎盛", "Dingsheng"}, {"恒通", "Hengtong"}, {"瑞达", "Ruida"},
	{"金桥", "Jinqiao"}, {"天成", "Tiancheng"}, {"宏远", "Hongyuan"}, {"海创", "Haichuang"}, {"新锐", "Xinrui"},
	{"博远", "Boyuan"}, {"嘉禾", "Jiahe"}, {"东方", "Dongfang"}, {"长城", "Changcheng"}, {"星辰", "Xingchen"},
	{"云图", "Yuntu"}, {"智达", "Zhida"}, {"易联", "Yilian"}, {"安泰", "Antai"}, {"永鑫", "Yongxin"},
	{"远航", "Yuanhang"}, {"汇丰源", "Huifengyuan"}, {"凯旋", "Kaixuan"}, {"明珠", "Mingzhu"},
	{"锦程", "Jincheng"}, {"腾达", "Tengda"}, {"万通", "Wantong"}, {"富达", "Fuda"},
};

static const struct {
	const char *zh, *en, *industry;
} demo_trades[] = {
	{"科技", "Technology", "it"}, {"信息技术", "Information Technology", "it"},
	{"贸易", "Trading", "wholesale"}, {"电子", "Electronics", "manufacturing"},
	{"机械", "Machinery", "manufacturing"}, {"医药", "Pharmaceutical", "healthcare"},
	{"物流", "Logistics", "logistics"}, {"食品", "Foods", "retail"}, {"建设", "Construction", "real_estate"},
	{"能源", "Energy", "energy"}, {"传媒", "Media", "media"}, {"教育科技", "Education Technology", "education"},
	{"投资", "Investment", "finance"}, {"酒店管理", "Hotel Management", "hospitality"},
	{"农业", "Agriculture", "agriculture"}, {"零售", "Retail", "retail"},
};

static const struct {
	const char *category, *zh;
	int price_yuan;
} demo_product_kinds[] = {
	{"软件", "CRM 标准版年度订阅", 4800}, {"软件", "CRM 企业版年度订阅", 19800}, {"软件", "数据分析模块", 9800},
	{"硬件", "工业传感器", 680}, {"硬件", "智能网关", 2300}, {"硬件", "服务器机柜", 15600},
	{"服务", "实施服务(人天)", 2000}, {"服务", "培训课程", 3500}, {"服务", "年度维保", 12000},
	{"耗材", "打印耗材套装", 260}, {"耗材", "办公用纸(箱)", 180}, {"消费品", "有机茶叶礼盒", 398},
	{"消费品", "蓝牙耳机", 599}, {"消费品", "智能手表", 1299}, {"消费品", "空气净化器", 2699},
	{"消费品", "电动牙刷", 299}, {"消费品", "护肤套装", 468}, {"消费品", "咖啡豆(1kg)", 158},
};

#endif
