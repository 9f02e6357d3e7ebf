"""Deterministic, realistic-looking values for a Chinese SCRM: people, mobiles, cities, regions, addresses, tags.

Shared by the demo data generator (engines.demo) and the benchmarks (bench/). Everything comes from one
random.Random(seed), so the same seed gives the same values on every machine (benchmarks compare like with
like; demo data stays stable across runs).
"""
from __future__ import annotations

import itertools
import random
import string
from datetime import date, datetime, timedelta

# The most common surnames, most frequent first (weights fall off the way real frequencies do).
SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 "
            "袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 "
            "熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤").split()
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "慕容")
GIVEN = ("伟 芳 娜 秀 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 霞 平 刚 桂 英 华 玉 兰 萍 红 鹏 辉 建 文 斌 宇 浩 "
         "凯 晨 欣 怡 梓 涵 子 轩 雨 萱 佳 琪 思 嘉 博 一 诺 俊 宁 悦 婷 雪 琳 晓 丹 颖 倩 蕾 慧 晶 亮 志 峰 海 "
         "波 林 鑫 瑞 泽 阳 昊 然 宸 睿 可 馨 安 乐 航 逸 铭 天 依 若 彤 紫 菲 梦 露 月 春 冬 秋 云 飞 龙").split()
NICK_WORDS = ("小", "阿", "大", "老")

# (city, province, districts): big cities carry more weight, as real customer lists do.
CITIES = (
    ("上海", "上海", ("浦东新区", "徐汇区", "静安区", "闵行区", "宝山区", "杨浦区", "长宁区")),
    ("北京", "北京", ("朝阳区", "海淀区", "东城区", "西城区", "丰台区", "通州区", "昌平区")),
    ("广州", "广东", ("天河区", "越秀区", "海珠区", "番禺区", "白云区")),
    ("深圳", "广东", ("南山区", "福田区", "宝安区", "龙岗区", "罗湖区")),
    ("杭州", "浙江", ("西湖区", "上城区", "拱墅区", "滨江区", "余杭区")),
    ("成都", "四川", ("武侯区", "锦江区", "青羊区", "成华区", "高新区")),
    ("武汉", "湖北", ("江汉区", "武昌区", "洪山区", "江岸区")),
    ("南京", "江苏", ("鼓楼区", "玄武区", "秦淮区", "建邺区")),
    ("苏州", "江苏", ("姑苏区", "工业园区", "吴中区", "相城区")),
    ("西安", "陕西", ("雁塔区", "碑林区", "未央区", "长安区")),
    ("长沙", "湖南", ("岳麓区", "芙蓉区", "天心区", "开福区")),
    ("重庆", "重庆", ("渝中区", "江北区", "南岸区", "渝北区")),
    ("郑州", "河南", ("金水区", "二七区", "中原区", "郑东新区")),
    ("青岛", "山东", ("市南区", "市北区", "崂山区", "黄岛区")),
    ("厦门", "福建", ("思明区", "湖里区", "集美区")),
    ("合肥", "安徽", ("蜀山区", "包河区", "庐阳区")),
)
CITY_WEIGHTS = (14, 12, 9, 9, 8, 7, 6, 6, 5, 5, 4, 5, 4, 3, 2, 2)
STREET_WORDS = ("人民", "中山", "解放", "建设", "和平", "新华", "长江", "黄河", "文化", "光明", "幸福", "胜利",
                "朝阳", "滨江", "湖滨", "世纪", "科技", "学府", "花园", "青年")
STREET_KINDS = ("路", "大道", "街", "巷")
COMMUNITIES = ("花园", "小区", "公寓", "家园", "苑", "新村", "府", "广场")

# Tags a community-commerce operator actually puts on members (the first four match templates/scrm_app.json).
TAGS = ("高价值客户", "宝妈", "价格敏感", "沉睡客户", "新客", "复购", "团长推荐", "爱水果", "生鲜控", "夜猫下单",
        "周末活跃", "直播粉", "老带新", "投诉过", "已加企微", "社群活跃", "母婴", "优惠券党", "礼盒客户", "企业采购")
EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "foxmail.com", "sina.com", "gmail.com", "outlook.com", "139.com")
EMAIL_WEIGHTS = (40, 20, 8, 6, 4, 6, 6, 10)
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "186", "187",
                   "188", "189", "191", "198", "199")
LEVELS = ("bronze", "silver", "gold", "platinum")
LEVEL_WEIGHTS = (55, 28, 13, 4)


# Orders per hour of the day: quiet at night, busy in the evening. Cumulative, so a pick does not add them up again.
_HOURS = range(24)
_HOUR_CUM = list(itertools.accumulate([1, 1, 1, 1, 1, 1, 2, 4, 6, 6, 5, 6, 8, 6, 5, 5, 5, 6, 8, 10, 12, 12, 9, 4]))


class DataGen:
    """One seeded source of values. Phones are unique per generator (they are usually a unique field)."""

    def __init__(self, seed: int = 20240601):
        self.rng = random.Random(seed)
        self._phones: set[str] = set()

    # ---- people ------------------------------------------------------------------------------------------------
    def surname(self) -> str:
        rng = self.rng
        if rng.random() < 0.01:
            return rng.choice(COMPOUND_SURNAMES)
        # Zipf-ish: low indexes (王, 李, 张…) far more often than the tail.
        return SURNAMES[min(int(rng.paretovariate(1.2)) - 1, len(SURNAMES) - 1) if rng.random() < 0.6
                        else rng.randrange(len(SURNAMES))]

    def name(self) -> str:
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.75 else "")
        return self.surname() + given

    def nickname(self, name: str) -> str:
        return self.rng.choice(NICK_WORDS) + name[-1]

    def phone(self) -> str:
        """A mainland mobile number (11 digits, 1[3-9]…), never the same twice from this generator."""
        rng = self.rng
        while True:
            number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def email(self, phone: str | None = None) -> str:
        rng = self.rng
        domain = rng.choices(EMAIL_DOMAINS, EMAIL_WEIGHTS)[0]
        if domain == "qq.com" and rng.random() < 0.7:
            local = str(rng.randrange(10_000_000, 3_000_000_000))  # QQ numbers
        elif phone and rng.random() < 0.5:
            local = phone
        else:
            letters = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9)))
            local = letters + (str(rng.randrange(1000)) if rng.random() < 0.6 else "")
        return f"{local}@{domain}"

    # ---- places ------------------------------------------------------------------------------------------------
    def place(self) -> tuple[str, str, str]:
        """(city, province, district)"""
        city, province, districts = self.rng.choices(CITIES, CITY_WEIGHTS)[0]
        return city, province, self.rng.choice(districts)

    def city(self) -> str:
        return self.place()[0]

    def address(self, district: str | None = None) -> str:
        rng = self.rng
        district = district or self.place()[2]
        street = rng.choice(STREET_WORDS) + rng.choice(STREET_KINDS)
        estate = rng.choice(STREET_WORDS) + rng.choice(COMMUNITIES)
        return (f"{district}{street}{rng.randint(1, 2000)}号{estate}"
                f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室")

    # ---- values ------------------------------------------------------------------------------------------------
    def tags(self, most: int = 4) -> list[str]:
        rng = self.rng
        return rng.sample(TAGS, min(int(rng.expovariate(0.8)), most))

    def money(self, low: float, high: float) -> float:
        """Skewed towards the low end, two decimals (most customers spend little, a few a lot)."""
        value = low + (high - low) * self.rng.random() ** 3
        return round(value, 2)

    def day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def moment(self, start: datetime, end: datetime) -> datetime:
        """A wall-clock time between start and end, busier in the evening as community orders are."""
        rng = self.rng
        day = start + timedelta(days=rng.randrange(max((end - start).days, 1)))
        hour = rng.choices(_HOURS, cum_weights=_HOUR_CUM)[0]
        return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)

    def level(self) -> str:
        return self.rng.choices(LEVELS, LEVEL_WEIGHTS)[0]

    def region(self) -> str:
        """A real 省/市/区 as people write it ("广东/深圳/南山区")."""
        province, city, district, _code = self._district()
        return f"{province}/{city}/{district}"

    def region_code(self) -> str:
        """A real district's GB/T 2260 code ("440305"): what a region field stores, read without parsing names."""
        return self._district()[3]

    def _district(self) -> tuple[str, str, str, str]:
        city, province, _ = self.rng.choices(CITIES, CITY_WEIGHTS)[0]
        district, code = self.rng.choice(known_districts()[city])
        return province, city, district, code

    def street(self) -> str:
        rng = self.rng
        return f"{rng.choice(STREET_WORDS)}{rng.choice(STREET_KINDS)}{rng.randint(1, 2000)}号"


def known_districts() -> dict[str, list[tuple[str, str]]]:
    """City → (district, code) of its districts in CITIES that the region list (engines/form/data/regions_cn.json)
    holds; development zones it does not (高新区, 工业园区) are left out."""
    global _KNOWN
    if _KNOWN is None:
        from engines.form.fields.places import parse_region_prefix

        _KNOWN = {}
        for city, province, districts in CITIES:
            for district in districts:
                node = parse_region_prefix(f"{province}/{city}/{district}", 3)[0]
                if node is not None and node.depth == 3:
                    _KNOWN.setdefault(city, []).append((district, node.code))
    return _KNOWN


_KNOWN: dict[str, list[tuple[str, str]]] | None = None
