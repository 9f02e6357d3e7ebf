"""The SCRM template's dashboards on both databases: a small hand-made shop (2 leaders, 4 customers, 3 products,
8 orders over the last three months) written through the API, every widget of 经营看板, 团长看板 and 客户运营看板
run, and the key numbers (GMV, AOV, repurchase, LTV, leader ranking, hot category, profit, commission, funnels,
coupons, NPS) checked against values worked out here in Python from the same hand-made rows."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime

import httpx
import pytest
from sqlalchemy import insert, select

from runtime.auth import create_user
from runtime.models import apps, user_roles
from tests.conftest import TEMPLATE_PATH

APP = "scrm"
PAID = ("paid", "delivered")
# sku, name, category, price, cost
PRODUCTS = [("P-APPLE", "苹果", "水果", 10, 6), ("P-RICE", "大米", "粮油", 50, 40), ("P-TISSUE", "纸巾", "日百", 20, 12)]
# name, phone, leader index, source, tags
CUSTOMERS = [("张三", "13800000001", 0, "社群", ["宝妈", "高价值客户"]), ("李四", "13800000002", 0, "直播", []),
             ("王五", "13800000003", 1, "社群", ["宝妈"]), ("赵六", "13800000004", 1, "小程序", ["价格敏感"])]
# customer, leader, status, lines [(product, qty)], discount, months before this one, day of month
ORDERS = [
    (0, 0, "paid", [(0, 3), (1, 1)], 0, 2, 5),
    (0, 0, "paid", [(0, 2)], 0, 2, 20),  # 张三 again 15 days later: repeat in that month and within 30 days
    (1, 0, "delivered", [(1, 2)], 5, 1, 5),
    (2, 1, "paid", [(2, 5)], 0, 1, 10),
    (2, 1, "refunded", [(0, 10)], 0, 1, 12),  # refunded: in no report
    (0, 0, "paid", [(0, 5), (2, 1)], 0, 0, 3),
    (1, 0, "paid", [(0, 1)], 0, 0, 4),
    (2, 1, "paid", [(1, 3)], 10, 0, 2),
    (3, 1, "pending", [(2, 1)], 0, 0, 6),  # not paid: in no report
]


def local_today(api) -> date:
    return datetime.now(api.platform.settings.tz).date()


def month_start(today: date, back: int) -> date:
    index = today.year * 12 + today.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def paid_at(today: date, back: int, day: int) -> str:
    return month_start(today, back).replace(day=day).isoformat() + "T10:00:00"


def month_label(today: date, back: int) -> str:
    return month_start(today, back).strftime("%Y-%m")


# ---- expected numbers, from the rows above ------------------------------------------------------------------------
def amount(order) -> float:
    return sum(qty * PRODUCTS[p][3] for p, qty in order[3]) - order[4]


def paid_orders():
    return [o for o in ORDERS if o[2] in PAID]


def by_month(today: date) -> dict[str, dict]:
    months: dict[str, dict] = {}
    for o in paid_orders():
        m = months.setdefault(month_label(today, o[5]), {"gmv": 0, "orders": 0, "buyers": defaultdict(int)})
        m["gmv"] += amount(o)
        m["orders"] += 1
        m["buyers"][o[0]] += 1
    return months


def back_within_30_days(today: date) -> dict[str, float]:
    """Per month: the share of its buyers with a paid order there followed by their next one within 30 days."""
    moments = defaultdict(list)
    for o in paid_orders():
        moments[o[0]].append((datetime.fromisoformat(paid_at(today, o[5], o[6])), month_label(today, o[5])))
    buyers, returning = defaultdict(set), defaultdict(set)
    for customer, dates in moments.items():
        dates.sort()
        for i, (moment, month) in enumerate(dates):
            buyers[month].add(customer)
            if i + 1 < len(dates) and (dates[i + 1][0] - moment).days <= 30:
                returning[month].add(customer)
    return {m: len(returning[m]) / len(buyers[m]) for m in buyers}


def hot_products(orders) -> dict[str, tuple[int, float, int]]:
    """By product name: (units, amount, orders) over the lines of `orders`."""
    found: dict[str, list] = defaultdict(lambda: [0, 0, 0])
    for o in orders:
        for p, qty in o[3]:
            found[PRODUCTS[p][1]][0] += qty
            found[PRODUCTS[p][1]][1] += qty * PRODUCTS[p][3]
        for p in {p for p, _ in o[3]}:
            found[PRODUCTS[p][1]][2] += 1
    return {k: tuple(v) for k, v in found.items()}


def category_totals() -> dict[str, tuple[int, float]]:
    found: dict[str, list] = defaultdict(lambda: [0, 0])
    for o in paid_orders():
        for p, qty in o[3]:
            found[PRODUCTS[p][2]][0] += qty
            found[PRODUCTS[p][2]][1] += qty * PRODUCTS[p][3]
    return {k: tuple(v) for k, v in found.items()}


# ---- writing the shop --------------------------------------------------------------------------------------------
async def person(api, username: str, role: str) -> tuple[int, httpx.AsyncClient]:
    """A user with one role in the SCRM app, and a client signed in as them."""
    async with api.platform.engine.begin() as conn:
        uid = await create_user(conn, username, "Passw0rd!x", name=username)
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == APP))).scalar_one()
        await conn.execute(insert(user_roles).values(user_id=uid, app_id=app_id, role=role))
    client = httpx.AsyncClient(transport=api.client._transport, base_url=str(api.client.base_url),
                               headers={"Accept-Language": "zh-CN"})
    token = (await client.post("/api/auth/login", json={"username": username, "password": "Passw0rd!x"})).json()
    client.headers["Authorization"] = f"Bearer {token['access_token']}"
    return uid, client


async def create(api, form: str, values: dict) -> dict:
    response = await api.client.post(f"/api/apps/{APP}/forms/{form}/records", json=values)
    assert response.status_code == 201, (form, response.text)
    return response.json()


async def shop(api) -> dict:
    """The template imported without demo data and the hand-made rows written; ids, clients and today."""
    await api.import_app(json.loads(TEMPLATE_PATH.read_text()))
    today = local_today(api)
    wang_id, wang = await person(api, "wang", "leader")
    leaders = [(await create(api, "leader", {"name": name, "phone": phone, "level": level, "account": account}))["id"]
               for name, phone, level, account in (("王团长", "13900000001", "gold", wang_id),
                                                   ("李团长", "13900000002", "silver", None))]
    channels = [(await create(api, "channel", {"name": name, "kind": kind}))["id"]
                for name, kind in (("企业微信", "wecom"), ("小程序商城", "miniapp"))]
    products = [(await create(api, "product", {"sku": sku, "name": name, "category": category, "price": price,
                                                "cost": cost, "on_sale": True}))["id"]
                for sku, name, category, price, cost in PRODUCTS]
    for product in products:  # stock first: an order may not sell more than there is
        await create(api, "stock_move", {"product": product, "kind": "purchase_in", "qty": 1000,
                                         "moved_at": paid_at(today, 3, 1)})
    customers = [(await create(api, "customer", {"name": name, "phone": phone, "leader": leaders[leader],
                                                 "source": source, "tags": tags, "channel": channels[i % 2]}))["id"]
                 for i, (name, phone, leader, source, tags) in enumerate(CUSTOMERS)]
    orders = []
    for c, leader, status, lines, discount, back, day in ORDERS:
        values = {"customer": customers[c], "leader": leaders[leader], "status": status, "delivery": "pickup",
                  "channel": channels[c % 2],
                  "lines": [{"product": products[p], "qty": qty, "price": PRODUCTS[p][3]} for p, qty in lines],
                  "discount": discount, "amount": amount((c, leader, status, lines, discount))}
        if status != "pending":
            values["paid_at"] = paid_at(today, back, day)
        if status == "refunded":
            values["refund_reason"] = "水果坏了"
        orders.append(await create(api, "order", values))
    return {"today": today, "wang": wang, "leaders": leaders, "customers": customers, "products": products,
            "channels": channels, "orders": orders}


async def board(client: httpx.AsyncClient, key: str, **filters) -> dict[str, dict]:
    """A dashboard's widgets by report key; every widget must have data."""
    response = await client.get(f"/api/apps/{APP}/dashboards/{key}", params=filters)
    assert response.status_code == 200, response.text
    widgets = response.json()["widgets"]
    failed = {w["report"]: w["error"] for w in widgets if "error" in w}
    assert not failed, failed
    for w in widgets:
        assert w["data"]["chart"]["type"], w["report"]
    return {w["report"]: w["data"] for w in widgets}


def rows(answer: dict, *keys: str) -> list[tuple]:
    return [tuple(row[k] for k in keys) for row in answer["rows"]]


def total(answer: dict) -> dict:
    grand, = [t for t in answer["totals"] if not t["_keys"]]
    return grand


def only(answer: dict) -> dict:
    row, = answer["rows"]
    return row


ALL_TIME = "2000-01-01..2100-12-31"


# ---- 经营看板 --------------------------------------------------------------------------------------------------
async def test_main_dashboard_numbers(api):
    ids = await shop(api)
    today = ids["today"]
    data = await board(api.client, "main", period=ALL_TIME)
    months = by_month(today)
    paid = paid_orders()
    gmv = sum(amount(o) for o in paid)
    buyers = {o[0] for o in paid}

    expected = [(m, v["gmv"], v["orders"], len(v["buyers"]), pytest.approx(v["gmv"] / v["orders"], abs=1e-6))
                for m, v in sorted(months.items())]
    assert rows(data["gmv_by_month"], "month", "gmv", "orders", "buyers", "aov") == expected
    assert (total(data["gmv_by_month"])["gmv"], total(data["gmv_by_month"])["orders"]) == (gmv, len(paid))

    aov = data["aov"]["chart"]  # KPI card: this month against the month before
    this, before = months[month_label(today, 0)], months[month_label(today, 1)]
    assert aov["value"] == pytest.approx(this["gmv"] / this["orders"], abs=1e-6)
    assert aov["previous"] == pytest.approx(before["gmv"] / before["orders"], abs=1e-6)

    ltv = data["ltv_average"]
    assert only(ltv)["ltv"] == pytest.approx(gmv / len(buyers), abs=1e-6)
    assert ltv["chart"]["value"] == pytest.approx(gmv / len(buyers), abs=1e-6)

    per_leader: dict[str, float] = defaultdict(float)
    for o in paid:
        per_leader[("王团长", "李团长")[o[1]]] += amount(o)
    ranking = sorted(per_leader.items(), key=lambda kv: -kv[1])
    assert rows(data["leader_ranking"], "leader", "gmv") == ranking
    assert [(e["rank"], e["name"]) for e in data["leader_ranking"]["chart"]["items"]] == [
        (i + 1, name) for i, (name, _) in enumerate(ranking)]
    assert ranking[0][0] == "王团长"  # the data set ranks 王 first by GMV, though 李 has the bigger single orders

    # repurchase: customers with two orders in the month; 30 days: a paid order followed by another within 30 days
    twice = {m: sum(1 for n in v["buyers"].values() if n >= 2) / len(v["buyers"]) for m, v in months.items()}
    assert rows(data["repurchase"], "month", "repeat") == [(m, pytest.approx(r, abs=1e-6))
                                                           for m, r in sorted(twice.items())]
    assert twice[month_label(today, 2)] == 1  # 张三 twice two months ago: the data set does test something
    back = back_within_30_days(today)
    assert rows(data["repurchase"], "month", "back_30d") == [(m, pytest.approx(r, abs=1e-6))
                                                             for m, r in sorted(back.items())]
    # last month's buyers both come back within 30 days, in this month; this month's have not come back yet
    assert (back[month_label(today, 1)], back[month_label(today, 0)]) == (1, 0)
    half = data["repurchase_half_year"]  # everything is within the last six months
    assert rows(half, "month", "buyers", "repeat", "back_30d") == rows(
        data["repurchase"], "month", "buyers", "repeat", "back_30d")

    day_rows = rows(data["daily_sales"], "day", "gmv", "orders")
    expected_days: dict[str, list] = defaultdict(lambda: [0, 0])
    for o in paid:
        day = paid_at(today, o[5], o[6])[:10]
        expected_days[day][0] += amount(o)
        expected_days[day][1] += 1
    assert day_rows == [(d, g, n) for d, (g, n) in sorted(expected_days.items())]

    categories = category_totals()
    hot = max(categories, key=lambda c: categories[c][1])
    sales = only(data["category_sales"])
    keys = {"水果": "fruit", "粮油": "grain", "日百": "daily", "生鲜": "fresh", "母婴": "baby"}
    for category, key in keys.items():
        qty, money = categories.get(category, (0, 0))
        assert (sales[f"qty_{key}"], sales[f"amount_{key}"]) == (qty, money), category
    slices = data["category_sales"]["chart"]["option"]["series"][0]["data"]
    assert max(slices, key=lambda s: s["value"])["name"] == f"{hot}销售额" == "粮油销售额"

    # hot products: the rows of paid and delivered orders by product, ranked by amount
    hot = hot_products(paid)
    ranked = sorted(hot.items(), key=lambda kv: -kv[1][1])
    assert rows(data["hot_products"], "product", "qty", "amount", "orders") == [
        (name, qty, money, n) for name, (qty, money, n) in ranked]
    assert data["hot_products"]["chart"]["items"][0]["name"] == ranked[0][0] == "大米"  # by amount; 苹果 by units
    assert max(hot, key=lambda name: hot[name][0]) == "苹果"
    rice = data["hot_products"]["rows"][0]  # a click lists the orders with such a line
    listed = (await api.client.get(f"/api/apps/{APP}/forms/order/records", params={"filter": rice["_drill"]})).json()
    assert listed["total"] == hot["大米"][2]

    # profit and commission: the report adds up what each order record says
    records = (await api.client.get(f"/api/apps/{APP}/forms/order/records",
                                    params={"filter": "status IN ('paid', 'delivered')", "page_size": 100})).json()
    assert records["total"] == len(paid)
    profit: dict[str, float] = defaultdict(float)
    for record in records["items"]:
        profit[record["paid_at"][:7]] += record["profit"] or 0
    assert rows(data["profit_by_month"], "month", "profit") == [(m, pytest.approx(p, abs=0.01))
                                                                for m, p in sorted(profit.items())]
    line_profit: dict[str, float] = defaultdict(float)  # per category: units × (price − cost)
    for o in paid:
        for p, qty in o[3]:
            line_profit[PRODUCTS[p][2]] += qty * (PRODUCTS[p][3] - PRODUCTS[p][4])
    by_category = total(data["profit_by_category"])
    assert {c: by_category[f"profit_{k}"] for c, k in keys.items()} == {
        c: pytest.approx(line_profit.get(c, 0), abs=0.01) for c in keys}

    top = data["ltv_by_customer"]["rows"][0]
    spent: dict[str, float] = defaultdict(float)
    for o in paid:
        spent[CUSTOMERS[o[0]][0]] += amount(o)
    assert (top["customer"], top["gmv"]) == max(spent.items(), key=lambda kv: kv[1])


async def test_the_main_dashboard_filters_by_leader_and_period(api):
    ids = await shop(api)
    today = ids["today"]
    this_month = f"{month_start(today, 0).isoformat()}..{month_start(today, -1).isoformat()}"
    data = await board(api.client, "main", period=this_month, leader=str(ids["leaders"][1]))
    li = [o for o in paid_orders() if o[1] == 1 and o[5] == 0]
    assert rows(data["gmv_by_month"], "month", "gmv", "orders") == [
        (month_label(today, 0), sum(amount(o) for o in li), len(li))]
    assert rows(data["leader_ranking"], "leader") == [("李团长",)]
    assert {r["product"]: (r["qty"], r["amount"]) for r in data["hot_products"]["rows"]} == {
        name: (qty, money) for name, (qty, money, _) in hot_products(li).items()}

    wecom = await board(api.client, "main", period=ALL_TIME, channel=str(ids["channels"][0]))
    ordered_there = [o for o in paid_orders() if o[0] % 2 == 0]  # 张三 and 王五 order through 企业微信
    assert total(wecom["gmv_by_month"])["gmv"] == sum(amount(o) for o in ordered_there)
    assert only(wecom["ltv_average"])["buyers"] == 2


# ---- 团长看板 --------------------------------------------------------------------------------------------------
async def test_leader_dashboard_shows_a_leader_only_their_month(api):
    ids = await shop(api)
    data = await board(ids["wang"], "leader")  # default period: this month
    mine = [o for o in paid_orders() if o[1] == 0 and o[5] == 0]
    sales = only(data["my_sales"])
    assert (sales["gmv"], sales["orders"], sales["buyers"]) == (
        sum(amount(o) for o in mine), len(mine), len({o[0] for o in mine}))
    assert data["my_sales"]["chart"]["value"] == sales["gmv"]
    assert only(data["my_customers"])["customers"] == sum(1 for c in CUSTOMERS if c[2] == 0)

    records = (await api.client.get(f"/api/apps/{APP}/forms/order/records", params={
        "filter": f"leader = {ids['leaders'][0]} AND status IN ('paid', 'delivered')", "page_size": 100})).json()
    month = month_label(ids["today"], 0)
    commission = sum(r["commission"] or 0 for r in records["items"] if r["paid_at"][:7] == month)
    assert commission > 0
    assert only(data["my_commission"])["commission"] == pytest.approx(commission, abs=0.01)
    assert {r["customer"] for r in data["ltv_by_customer"]["rows"]} == {"张三", "李四"}  # not 王五 of 李团长
    assert sum(r["customers"] for r in data["customer_lifecycle"]["rows"]) == 2

    everyone = await board(api.client, "leader")  # the operator sees every leader
    assert only(everyone["my_customers"])["customers"] == len(CUSTOMERS)


# ---- 客户运营看板 ----------------------------------------------------------------------------------------------
async def test_customer_ops_dashboard_numbers(api):
    ids = await shop(api)
    today = ids["today"]
    customers, channels = ids["customers"], ids["channels"]
    coupons = [(await create(api, "coupon", {"name": name, "kind": "amount_off", "value": 5, "threshold": 30,
                                             "valid_days": 30, "total": 100, "active": True}))["id"]
               for name in ("满30减5", "新人券")]
    # coupon, customer, status
    claims = [(0, 0, "used"), (0, 1, "unused"), (0, 2, "used"), (1, 3, "expired"), (1, 0, "unused")]
    orders = {0: ids["orders"][5]["id"], 2: ids["orders"][7]["id"]}  # the orders 张三 and 王五 used them on
    for coupon, customer, status in claims:
        used = {"order": orders[customer]} if status == "used" else {}
        await create(api, "coupon_claim", {"coupon": coupons[coupon], "customer": customers[customer],
                                           "status": status, "claimed_at": paid_at(today, 0, 1), **used})
    # customer, kind: 4 viewers, 3 carts, 2 orders
    events = [(0, "view"), (0, "view"), (1, "view"), (2, "view"), (3, "view"), (0, "add_cart"), (1, "add_cart"),
              (2, "add_cart"), (0, "order"), (2, "order"), (3, "message")]
    for customer, kind in events:
        await create(api, "event", {"customer": customers[customer], "kind": kind,
                                    "occurred_at": today.isoformat() + "T09:00:00"})
    scores = [10, 9, 8, 6, 3, 10]
    for i, score in enumerate(scores):
        await create(api, "nps", {"customer": customers[i % 4], "score": score,
                                  "at": today.isoformat() + "T12:00:00", "channel": channels[0]})
    stages = ["初步接触", "需求确认", "方案报价", "成交", "成交", "输单"]
    for i, stage in enumerate(stages):
        await create(api, "lead", {"name": f"线索{i}", "stage": stage, "expected_amount": 1000})

    data = await board(api.client, "customer_ops", period=f"{month_start(today, 0).isoformat()}..")

    assert sum(r["customers"] for r in data["new_customers_daily"]["rows"]) == len(CUSTOMERS)
    assert total(data["customer_source"])["customers"] == len(CUSTOMERS)
    source_counts = defaultdict(int)
    for c in CUSTOMERS:
        source_counts[c[3]] += 1
    assert {r["source"]: r["customers"] for r in data["customer_source"]["rows"]} == source_counts
    assert sum(r["customers"] for r in data["customer_lifecycle"]["rows"]) == len(CUSTOMERS)
    assert total(data["rfm_distribution"])["customers"] == len(CUSTOMERS)
    assert only(data["churn_risk"])["customers"] == len(CUSTOMERS)
    assert {r["channel"]: r["customers"] for r in data["customer_channel"]["rows"]} == {"企业微信": 2, "小程序商城": 2}
    # one row per tag, a customer counted under each of theirs: worked out from the customer records as they
    # are now (rules add and clear lifecycle tags), and the preference tags from the rows written above
    records = (await api.client.get(f"/api/apps/{APP}/forms/customer/records", params={"page_size": 100})).json()
    per_tag: dict[str, int] = defaultdict(int)
    for record in records["items"]:
        for tag in record["tags"] or []:
            per_tag[tag] += 1
    tags = {r["tag"]: r["customers"] for r in data["tag_distribution"]["rows"]}
    assert tags == per_tag
    assert (tags["宝妈"], tags["价格敏感"]) == (2, 1)  # preference tags: no rule sets or clears them
    assert [r["customers"] for r in data["tag_distribution"]["rows"]] == sorted(tags.values(), reverse=True)

    per_coupon = {name: (sum(1 for c, _, _ in claims if c == i), sum(1 for c, _, s in claims if c == i and s == "used"))
                  for i, name in enumerate(("满30减5", "新人券"))}
    assert {r["coupon"]: (r["claimed"], r["used"]) for r in data["coupon_conversion"]["rows"]} == per_coupon
    assert total(data["coupon_conversion"])["use_rate"] == pytest.approx(
        sum(1 for *_, s in claims if s == "used") / len(claims), abs=1e-6)

    funnel = only(data["behavior_funnel"])
    distinct = {k: len({c for c, kind in events if kind == k}) for k in ("view", "add_cart", "order")}
    assert (funnel["viewers"], funnel["carts"], funnel["buyers"]) == (
        distinct["view"], distinct["add_cart"], distinct["order"])
    assert funnel["conversion"] == pytest.approx(distinct["order"] / distinct["view"], abs=1e-6)

    leads = only(data["lead_funnel"])
    reached = [len(stages), sum(s in ("需求确认", "方案报价", "成交") for s in stages),
               sum(s in ("方案报价", "成交") for s in stages), stages.count("成交")]
    assert [leads[k] for k in ("leads", "confirmed", "quoted", "won")] == reached

    promoters, detractors = sum(s >= 9 for s in scores), sum(s <= 6 for s in scores)
    nps = only(data["nps"])
    assert nps["nps"] == pytest.approx((promoters - detractors) / len(scores) * 100, abs=1e-6)

    # the channel filter narrows the NPS answers to those given on one channel: all of them here, none on the other
    other = await board(api.client, "customer_ops", period=f"{month_start(today, 0).isoformat()}..",
                        channel=str(channels[1]))
    assert other["nps"]["rows"] == []


# ---- the demo data -----------------------------------------------------------------------------------------------
async def test_every_dashboard_runs_on_the_demo_data(api):
    await api.import_app(json.loads(TEMPLATE_PATH.read_text()), demo_data=True)
    for key in ("main", "leader", "customer_ops"):
        data = await board(api.client, key, period=ALL_TIME)
        assert any(answer["rows"] for answer in data.values()), key
    _, leader = await person(api, "tuan", "leader")  # a 团长 without a 团 yet: empty numbers, never an error
    mine = await board(leader, "leader")
    assert only(mine["my_customers"])["customers"] == 0
