#!/usr/bin/env python3
"""Writes N contacts as a CSV file the way a Chinese company's spreadsheet has
them: Chinese headers, names, mobiles written several ways, e-mails, cities.
Reproducible (--seed). Usage: gen_contacts.py N OUT.csv [--seed S] [--dups F]

--dups F makes a fraction F of the rows near-duplicates of earlier ones (the
same person typed again: another phone format, traditional characters,
full-width digits, a different e-mail case), for the duplicate-detection
benchmark."""
import argparse
import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强志明海燕红梅小红晓明晓东丹丹玉兰文博子轩浩然欣怡梓涵思远嘉怡雨萱宇航俊杰佳琪天宇"
CITIES = [("北京", "北京"), ("上海", "上海"), ("广州", "广东"), ("深圳", "广东"), ("杭州", "浙江"), ("成都", "四川"),
          ("武汉", "湖北"), ("南京", "江苏"), ("西安", "陕西"), ("重庆", "重庆"), ("苏州", "江苏"), ("天津", "天津"),
          ("长沙", "湖南"), ("郑州", "河南"), ("青岛", "山东"), ("厦门", "福建")]
TITLES = ["经理", "总监", "采购经理", "销售代表", "工程师", "财务主管", "总经理", "行政专员", "", ""]
DEPTS = ["采购部", "销售部", "技术部", "财务部", "行政部", "市场部", ""]
SOURCES = ["web", "phone", "referral", "trade_show", "wechat", "advertising", ""]
DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "sina.com", "outlook.com", "example.cn"]
TRAD = str.maketrans("张刘陈杨黄赵吴孙马郭罗郑谢冯邓肖董叶苏吕钟谭陆汪贾韦邹孟龙陶贺顾郝龚严伟丽强军杰娟涛华国红梅东丹兰轩欣怡涵远萱宇航俊杰琪", "張劉陳楊黃趙吳孫馬郭羅鄭謝馮鄧蕭董葉蘇呂鍾譚陸汪賈韋鄒孟龍陶賀顧郝龔嚴偉麗強軍傑娟濤華國紅梅東丹蘭軒欣怡涵遠萱宇航俊傑琪")
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def mobile_text(m, rng):
    s = str(m)
    style = rng.randrange(5)
    if style == 0:
        return s
    if style == 1:
        return f"{s[:3]}-{s[3:7]}-{s[7:]}"
    if style == 2:
        return f"+86 {s[:3]} {s[3:7]} {s[7:]}"
    if style == 3:
        return f"{s[:3]} {s[3:7]} {s[7:]}"
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dups", type=float, default=0.0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    people = []
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        f.write("姓名,手机,电话,邮箱,职务,部门,城市,省份,地址,生日,性别,微信,来源,标签,备注\r\n")
        for i in range(a.n):
            if people and rng.random() < a.dups:
                p = dict(rng.choice(people))
                variant = rng.randrange(4)
                if variant == 0:
                    p["name"] = p["name"].translate(TRAD)
                elif variant == 1:
                    p["mobile_text"] = str(p["mobile"]).translate(FULL)
                elif variant == 2:
                    p["email"] = p["email"].upper()
                else:
                    p["mobile_text"] = "+86-" + str(p["mobile"])
                    p["email"] = ""
            else:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.4 else "")
                mobile = 13000000000 + rng.randrange(690000000) * 10 + i % 10
                city, prov = rng.choice(CITIES)
                p = {
                    "name": name, "mobile": mobile, "mobile_text": mobile_text(mobile, rng),
                    "email": f"u{i}.{rng.randrange(10**6)}@{rng.choice(DOMAINS)}",
                    "city": city, "prov": prov,
                }
                if len(people) < 200000:
                    people.append(p)
                elif rng.random() < 0.1:
                    people[rng.randrange(len(people))] = p
            phone = f"0{rng.randrange(10, 99)}-{rng.randrange(10**7, 10**8)}" if rng.random() < 0.3 else ""
            bday = f"{rng.randrange(1960, 2003)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}" if rng.random() < 0.5 else ""
            gender = rng.choice(["男", "女", ""])
            tags = rng.choice(["", "", "vip", "重点客户", "vip;华东"])
            note = rng.choice(["", "", "展会认识", "老客户介绍，需要跟进报价", 'He said "call back", later'])
            f.write(",".join([
                p["name"], p["mobile_text"], phone, p["email"], rng.choice(TITLES), rng.choice(DEPTS),
                p["city"], p["prov"], f"\"{p['city']}市{rng.randrange(1, 999)}号\"", bday, gender,
                f"wx{rng.randrange(10**8)}" if rng.random() < 0.3 else "", rng.choice(SOURCES), tags,
                '"' + note.replace('"', '""') + '"' if note else "",
            ]) + "\r\n")


if __name__ == "__main__":
    main()
