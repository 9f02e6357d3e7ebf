"""The SCRM / 社群团购 template's rules and decision tables, on SQLite and PostgreSQL, with the template as shipped:
high_value tags exactly the customers whose paid spend is over 5000 — as orders are written and by a batch run;
rfm writes the scores an independent quintile computation gives (batch, then event time against the stored
boundaries); an order's commission follows the commission_rate table (leader level × category) and the product's own
rate where it has one; commission_bonus tiers by order amount inside the database."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import TEMPLATE_PATH
from tests.runtime.apps import records_url

TEMPLATE = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
HIGH_VALUE = "高价值客户"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def scrm(key: str, live: bool = True) -> dict:
    """The template under another key; `live=False` keeps the rules but takes their record events away, so only a
    batch run (the schedule, or "run now") does their work."""
    doc = copy.deepcopy(TEMPLATE)
    doc["key"] = key
    if not live:
        for rule in doc.get("rules", []):
            rule["on"], rule["fields"] = [], []
    return doc


def rule_of(key: str) -> dict:
    return next(r for r in TEMPLATE["rules"] if r["key"] == key)


def form_of(key: str) -> dict | None:
    return next((f for f in TEMPLATE["forms"] if f["key"] == key), None)


async def create(api, app: str, form: str, values: dict) -> dict:
    response = await api.client.post(records_url(form, app), json=values)
    assert response.status_code == 201, response.text
    return response.json()


async def read(api, app: str, form: str, record_id: int) -> dict:
    response = await api.client.get(f"{records_url(form, app)}/{record_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def change(api, app: str, form: str, record_id: int, values: dict) -> dict:
    current = await read(api, app, form, record_id)
    response = await api.client.patch(f"{records_url(form, app)}/{record_id}",
                                      json={**values, "version": current["version"]})
    assert response.status_code == 200, response.text
    return response.json()


async def listed(api, app: str, form: str, **params) -> list[dict]:
    response = await api.client.get(records_url(form, app), params={"page_size": 500, "sort": "id", **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def run_rule(api, app: str, rule: str) -> dict:
    response = await api.client.post(f"/api/apps/{app}/rules/{rule}/run")
    assert response.status_code == 200, response.text
    return response.json()


async def product(api, app: str, sku: str, category: str | None, price: float, rate: float | None = None) -> dict:
    values = {"sku": sku, "name": f"商品 {sku}", "price": price, "category": category, "commission_rate": rate}
    record = await create(api, app, "product", {k: v for k, v in values.items() if v is not None})
    if form_of("stock_move") is not None:  # stock is guarded where the template keeps it: put goods on the shelf
        await create(api, app, "stock_move", {"product": record["id"], "kind": "purchase_in", "qty": 10000})
    return record


async def order(api, app: str, customer: int, amount: float, product_id: int, status: str = "paid",
                paid_at: datetime | None = None, leader: int | None = None) -> dict:
    values = {"customer": customer, "status": status, "amount": amount, "leader": leader,
              "paid_at": (paid_at or NOW).isoformat(), "lines": [{"product": product_id, "qty": 1, "price": amount}]}
    if status == "refunded":
        values["refund_reason"] = "商品质量问题"
    return await create(api, app, "order", {k: v for k, v in values.items() if v is not None})


# ---- high_value: tags exactly the customers over 5000 --------------------------------------------------------------
# (name, [(amount, status)]) — only paid and delivered orders count towards total_spent
SPENDERS = [
    ("满五千出头", [(3000, "paid"), (2000.01, "delivered")]),  # 5000.01: over
    ("正好五千", [(2000, "paid"), (3000, "paid")]),  # 5000 is not over 5000
    ("大客户", [(8800, "delivered")]),
    ("退了款", [(6000, "refunded"), (1000, "paid")]),
    ("未支付", [(9000, "pending")]),
    ("老客户", [(2600.5, "paid"), (2600.5, "paid")]),  # 5201
    ("没下单", []),
]
OVER = {"满五千出头", "大客户", "老客户"}


async def spenders(api, app: str) -> dict[str, dict]:
    goods = await product(api, app, "HV-001", "水果", 99)
    made = {}
    for name, orders in SPENDERS:
        customer = await create(api, app, "customer", {"name": name})
        made[name] = {"customer": customer, "orders": [
            await order(api, app, customer["id"], amount, goods["id"], status) for amount, status in orders]}
    return made


async def tagged(api, app: str) -> dict[str, list]:
    return {c["name"]: c.get("tags") or [] for c in await listed(api, app, "customer")}


async def test_high_value_tags_the_customers_over_5000_as_orders_come_and_by_batch(api):
    assert rule_of("high_value")["when"] == "total_spent > 5000"
    await api.import_app(scrm("scrm"))
    await api.import_app(scrm("night", live=False))
    live = await spenders(api, "scrm")
    await spenders(api, "night")
    spent = {c["name"]: c.get("total_spent") for c in await listed(api, "scrm", "customer")}
    assert spent["满五千出头"] == 5000.01 and spent["正好五千"] == 5000 and spent["退了款"] == 1000
    assert not spent["未支付"] and not spent["没下单"]

    now = await tagged(api, "scrm")
    assert {name for name, tags in now.items() if HIGH_VALUE in tags} == OVER  # event time: as the orders came
    assert {name for name, tags in (await tagged(api, "night")).items() if HIGH_VALUE in tags} == set()
    counts = await run_rule(api, "night", "high_value")
    assert counts["matched"] == len(OVER) and counts["changed"] == len(OVER) and counts["failed"] == 0
    night = await tagged(api, "night")  # the batch agrees with event time, record for record
    assert {name: HIGH_VALUE in tags for name, tags in night.items()} == {
        name: HIGH_VALUE in tags for name, tags in now.items()}
    assert (await run_rule(api, "scrm", "high_value"))["changed"] == 0

    # the tag says which rule put it; a refund takes the customer under 5000 and the tag off at once
    big = live["大客户"]
    shown = (await api.client.get(f"{records_url('customer', 'scrm')}/{big['customer']['id']}/tags")).json()
    found = next(t for t in shown["tags"] if t["tag"] == HIGH_VALUE)
    assert found["source"] == "rule" and found["rule"] == "high_value" and found["rule_name"] == "高价值客户打标"
    await change(api, "scrm", "order", big["orders"][0]["id"], {"status": "refunded", "refund_reason": "整单退"})
    assert HIGH_VALUE not in ((await read(api, "scrm", "customer", big["customer"]["id"])).get("tags") or [])
    # a tag a person put stays, whatever the spend
    person = await create(api, "scrm", "customer", {"name": "人工标记", "tags": [HIGH_VALUE]})
    assert (await read(api, "scrm", "customer", person["id"]))["tags"] == [HIGH_VALUE]
    assert (await run_rule(api, "scrm", "high_value"))["changed"] == 0
    assert (await read(api, "scrm", "customer", person["id"]))["tags"] == [HIGH_VALUE]


# ---- rfm: scores match an independent quintile computation --------------------------------------------------------
def ntile_bounds(values: list) -> list:
    """The largest value of each of NTILE(5)'s tiles over the sorted values (the first n % 5 tiles one larger)."""
    ordered, bounds, start = sorted(values), [], 0
    size, extra = divmod(len(ordered), 5)
    for tile in range(5):
        end = start + size + (1 if tile < extra else 0)
        if end > start:
            bounds.append(ordered[end - 1])
        start = end
    return bounds


def score(value, bounds: list) -> int | None:
    if value is None:
        return None
    return next((i for i, bound in enumerate(bounds, 1) if value <= bound), 5)


SEGMENTS = {  # (R ≥ 3, F ≥ 3, M ≥ 3) → the classic eight RFM segments
    (True, True, True): "重要价值客户", (True, False, True): "重要发展客户", (False, True, True): "重要保持客户",
    (False, False, True): "重要挽留客户", (True, True, False): "一般价值客户", (True, False, False): "一般发展客户",
    (False, True, False): "一般保持客户", (False, False, False): "一般挽留客户"}


def measures(orders: list[tuple]) -> dict[str, tuple]:
    """customer → (last paid at, number of orders, money) over the orders that count (paid or delivered)."""
    found: dict[str, list] = {}
    for name, amount, status, at in orders:
        if status in ("paid", "delivered"):
            found.setdefault(name, []).append((amount, at))
    return {name: (max(at for _, at in rows), len(rows), round(sum(a for a, _ in rows), 2))
            for name, rows in found.items()}


def expected_scores(facts: dict[str, tuple], bounds: dict) -> dict[str, dict]:
    """customer → {"r", "f", "m", "segment"} for the customers with orders that count."""
    out = {}
    for name, (last, freq, money) in facts.items():
        r, f, m = score(last, bounds["r"]), score(freq, bounds["f"]), score(money, bounds["m"])
        out[name] = {"r": r, "f": f, "m": m, "segment": SEGMENTS[(r >= 3, f >= 3, m >= 3)]}
    return out


def bounds_of(facts: dict[str, tuple]) -> dict:
    return {part: ntile_bounds([row[i] for row in facts.values()]) for i, part in enumerate("rfm")}


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# (customer, amount, status, paid at) — ties on purpose: equal counts and equal money share a score
RFM_ORDERS = [
    ("阿芳", 88.8, "paid", days_ago(1)), ("阿芳", 120, "delivered", days_ago(8)), ("阿芳", 66, "delivered", days_ago(15)),
    ("阿芳", 300, "paid", days_ago(22)),
    ("宝妈小林", 1500, "delivered", days_ago(3)), ("宝妈小林", 980, "paid", days_ago(40)),
    ("陈姐", 45.5, "paid", days_ago(5)),
    ("大刘", 200, "delivered", days_ago(12)), ("大刘", 200, "delivered", days_ago(60)),
    ("二妞", 200, "paid", days_ago(30)), ("二妞", 200, "paid", days_ago(31)),
    ("方阿姨", 12.9, "delivered", days_ago(90)),
    ("顾先生", 3200, "paid", days_ago(120)), ("顾先生", 18, "refunded", days_ago(2)),
    ("韩老师", 59.9, "paid", days_ago(7)), ("韩老师", 59.9, "paid", days_ago(9)), ("韩老师", 59.9, "paid", days_ago(11)),
    ("韩老师", 59.9, "delivered", days_ago(13)), ("韩老师", 59.9, "delivered", days_ago(17)),
    ("金叔", 450, "delivered", days_ago(45)),
    ("老周", 999, "pending", days_ago(1)),  # not paid: no score
    ("只退款", 520, "refunded", days_ago(4)),  # refunded only: no score
    ("马大姐", 75, "paid", days_ago(2)), ("马大姐", 75, "paid", days_ago(200)),
]
NO_ORDERS = ["新来的"]


async def test_rfm_scores_match_an_independent_quintile_computation(api):
    rule = rule_of("rfm")
    action = rule["then"][0]
    assert action["action"] == "rfm" and rule["schedule"] and action["filter"] == "status IN ('paid', 'delivered')"
    into = action["into"]  # part (r, f, m, segment) → the customer field it is written to
    await api.import_app(scrm("scrm"))
    goods = await product(api, "scrm", "RFM-001", "日百", 10)
    ids = {}
    for name in [n for n, *_ in RFM_ORDERS] + NO_ORDERS:
        if name not in ids:
            ids[name] = (await create(api, "scrm", "customer", {"name": name}))["id"]
    for name, amount, status, at in RFM_ORDERS:
        await order(api, "scrm", ids[name], amount, goods["id"], status, at)

    async def scores() -> dict[str, dict]:
        return {c["name"]: {part: c.get(key) for part, key in into.items()}
                for c in await listed(api, "scrm", "customer")}

    def expected(want: dict[str, dict]) -> dict[str, dict]:  # no orders that count: no scores
        return {name: {part: want.get(name, {}).get(part) for part in into} for name in ids}

    counts = await run_rule(api, "scrm", "rfm")  # "run now": the nightly batch, on demand
    assert counts["matched"] == len(ids) and counts["failed"] == 0
    facts = measures(RFM_ORDERS)
    bounds = bounds_of(facts)
    want = expected_scores(facts, bounds)
    assert len(want) == 10 and want["韩老师"]["f"] == 5 and want["顾先生"]["m"] == 5 and want["马大姐"]["r"] == 5
    assert want["大刘"]["m"] == want["二妞"]["m"]  # 400 each: one score
    assert await scores() == expected(want)
    assert (await run_rule(api, "scrm", "rfm"))["changed"] == 0  # run again: nothing to change

    # event time: a new order scores the customer at once against the boundaries of the last batch run
    more = [("方阿姨", 2000, "paid", days_ago(0.5)), ("新来的", 35, "paid", days_ago(0.2))]
    for name, amount, status, at in more:
        await order(api, "scrm", ids[name], amount, goods["id"], status, at)
    facts = measures(RFM_ORDERS + more)
    now, at_event = await scores(), expected(expected_scores(facts, bounds))
    assert now["方阿姨"] == at_event["方阿姨"] and now["新来的"] == at_event["新来的"]
    assert now["方阿姨"]["r"] == 5 and now["方阿姨"]["m"] == 5
    # the next batch run recomputes the boundaries over everyone
    await run_rule(api, "scrm", "rfm")
    assert await scores() == expected(expected_scores(facts, bounds_of(facts)))


# ---- commission: the decision table drives an order's commission --------------------------------------------------
# the operator's policy, written out independently of the template: level → (fresh & fruit, staples & baby, other)
POLICY = {"platinum": (0.15, 0.06, 0.12), "gold": (0.12, 0.05, 0.10), "silver": (0.10, 0.04, 0.08),
          "bronze": (0.08, 0.03, 0.06), None: (0, 0, 0)}  # no leader (natural traffic): no commission


def policy_rate(level: str | None, category: str | None) -> float:
    fresh, staples, other = POLICY[level]
    return fresh if category in ("水果", "生鲜") else staples if category in ("粮油", "母婴") else other


async def test_order_commission_follows_the_decision_table(api):
    await api.import_app(scrm("scrm"))
    leaders = {level: (await create(api, "scrm", "leader", {"name": f"{level}团长", "phone": f"1390000{i:04d}",
                                                             "level": level}))["id"]
               for i, level in enumerate(("platinum", "gold", "silver", "bronze"))}
    goods = {  # sku → (category, own commission rate in % or None)
        "LZ-001": ("水果", None), "XX-001": ("生鲜", None), "MI-001": ("粮油", None), "NF-001": ("母婴", None),
        "ZJ-001": ("日百", None), "WU-001": (None, None), "TJ-001": ("水果", 20)}
    products = {sku: await product(api, "scrm", sku, category, 10, rate) for sku, (category, rate) in goods.items()}
    customer = (await create(api, "scrm", "customer", {"name": "团购客户"}))["id"]
    lines = [("LZ-001", 2, 39.9), ("XX-001", 1, 25.8), ("MI-001", 3, 59), ("NF-001", 1, 128), ("ZJ-001", 4, 9.9),
             ("WU-001", 1, 5), ("TJ-001", 2, 19.9)]
    # a sub-table row cannot read its order's leader, so the table is applied on the order, line by line inside SUM
    for level in ("platinum", "gold", "silver", "bronze", None):
        values = {"customer": customer, "status": "paid", "paid_at": NOW.isoformat(),
                  "lines": [{"product": products[sku]["id"], "qty": qty, "price": price} for sku, qty, price in lines]}
        if level:
            values["leader"] = leaders[level]
        made = await create(api, "scrm", "order", values)
        expected_lines = []
        for (sku, qty, price), line in zip(lines, made["lines"]):
            category, own = goods[sku]
            subtotal = round(qty * price, 2)
            assert line["subtotal"] == pytest.approx(subtotal)
            rate = own / 100 if own is not None else policy_rate(level, category)
            expected_lines.append(subtotal * rate)
            if own is not None:  # the product's own rate wins over the table, on the line too
                assert line["commission"] == pytest.approx(subtotal * own / 100, abs=0.005), (level, sku)
        assert made["commission"] == pytest.approx(sum(expected_lines), abs=0.01), level

    # the leader's commission rollup adds up their orders
    gold = await read(api, "scrm", "leader", leaders["gold"])
    assert gold["commission"] == pytest.approx(
        sum(qty * price * (goods[sku][1] / 100 if goods[sku][1] else policy_rate("gold", goods[sku][0]))
            for sku, qty, price in lines), abs=0.01)

    # DECIDE runs inside the database too (as a filter): the products of each rate for a gold leader
    for rate in sorted({policy_rate("gold", category) for category, _ in goods.values()}):
        decided = f"DECIDE('commission_rate', 'gold', category).rate = {rate}"
        found = await listed(api, "scrm", "product", filter=decided)
        assert {p["sku"] for p in found} == {sku for sku, (c, _) in goods.items() if policy_rate("gold", c) == rate}


BONUS = [(199.99, 0), (200, 0.01), (499.99, 0.01), (500, 0.02), (999.99, 0.02), (1000, 0.03), (5000, 0.03)]


async def test_commission_bonus_tiers_by_order_amount(api):
    await api.import_app(scrm("scrm"))
    goods = await product(api, "scrm", "BOX-001", "水果", 100)
    customer = (await create(api, "scrm", "customer", {"name": "囤货客户"}))["id"]
    for amount, _ in BONUS:
        await order(api, "scrm", customer, amount, goods["id"])
    for rate in (0, 0.01, 0.02, 0.03):
        found = await listed(api, "scrm", "order", filter=f"DECIDE('commission_bonus', goods_total).rate = {rate}")
        assert sorted(o["goods_total"] for o in found) == [a for a, r in BONUS if r == rate], rate


# ---- the operating rules: lifecycle, auto tags, churn warning and recovery, lead score, stock warning ---------------
# customer → (days ago of each paid order, days ago of the last interaction event or None)
JOURNEYS = {
    "潜客": ([], None),
    "刚下首单": ([3], None),
    "首单四十天": ([40], None),
    "首单四十天但常看群": ([40], 5),
    "活跃三单": ([2, 9, 20], None),
    "忠诚六单": ([1, 4, 8, 12, 16, 25], None),
    "沉睡两单": ([50, 70], None),
    "流失一单": ([100], 95),
}
# what an operator expects of each (lifecycle, tags the rules put, churn risk) once the nightly rules have run
EXPECTED = {
    "潜客": ("lead", set(), False),
    "刚下首单": ("new", {"新客"}, False),
    "首单四十天": ("new", {"流失预警"}, True),
    "首单四十天但常看群": ("new", set(), False),
    "活跃三单": ("active", {"复购客"}, False),
    "忠诚六单": ("loyal", {"复购客"}, False),
    "沉睡两单": ("dormant", {"复购客", "沉睡客户", "流失预警"}, True),
    "流失一单": ("lost", {"沉睡客户", "流失预警"}, True),
}
NIGHTLY = [r["key"] for r in TEMPLATE["rules"] if r.get("schedule")]


async def journeys(api, app: str) -> dict[str, int]:
    goods = await product(api, app, "OPS-001", "生鲜", 30)
    ids = {}
    for name, (orders, event) in JOURNEYS.items():
        ids[name] = (await create(api, app, "customer", {"name": name}))["id"]
        for days in orders:
            await order(api, app, ids[name], 30, goods["id"], "paid", days_ago(days))
        if event is not None:
            await create(api, app, "event", {"customer": ids[name], "kind": "view",
                                             "occurred_at": days_ago(event).isoformat()})
    return ids


async def profiles(api, app: str) -> dict[str, tuple]:
    return {c["name"]: (c.get("lifecycle"), set(c.get("tags") or []), bool(c.get("churn_risk")))
            for c in await listed(api, app, "customer")}


async def recalls(api, app: str) -> list[str]:
    """The customers the churn_recall flow was started on, one entry per start."""
    from sqlalchemy import select

    from runtime.models import apps, flow_instances

    async with api.platform.engine.connect() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == app))).scalar_one()
        started = (await conn.execute(select(flow_instances.c.record_id).where(
            flow_instances.c.app_id == app_id, flow_instances.c.flow == "churn_recall"))).scalars().all()
    names = {c["id"]: c["name"] for c in await listed(api, app, "customer")}
    return sorted(names[i] for i in started)


async def test_lifecycle_tags_and_churn_warning_as_an_operator_expects(api):
    assert {"high_value", "rfm", "lifecycle", "churn_warning", "stock_warning"} <= set(NIGHTLY)
    await api.import_app(scrm("scrm"))
    await api.import_app(scrm("night", live=False))
    ids = await journeys(api, "scrm")
    await journeys(api, "night")
    for key in NIGHTLY:  # the night: every scheduled rule runs as a batch
        for app in ("scrm", "night"):
            assert (await run_rule(api, app, key))["failed"] == 0, (app, key)
    live = await profiles(api, "scrm")
    assert live == EXPECTED
    assert await profiles(api, "night") == live  # batch only gives what event time plus the night gave
    churned = {name for name, (_, _, risk) in EXPECTED.items() if risk}
    assert await recalls(api, "scrm") == await recalls(api, "night") == sorted(churned)  # one recall each
    for app in ("scrm", "night"):  # a second night changes nothing, and starts no second recall
        for key in NIGHTLY:
            assert (await run_rule(api, app, key))["changed"] == 0, (app, key)
    assert await recalls(api, "scrm") == sorted(churned)

    # the churned customer comes back to the group: the warning lifts at once
    await create(api, "scrm", "event", {"customer": ids["首单四十天"], "kind": "join_group",
                                        "occurred_at": NOW.isoformat()})
    back = await read(api, "scrm", "customer", ids["首单四十天"])
    assert not back.get("churn_risk") and "流失预警" not in (back.get("tags") or [])
    # …and a new order wakes the sleeping one
    goods = (await listed(api, "scrm", "product"))[0]["id"]
    await order(api, "scrm", ids["沉睡两单"], 30, goods, "paid", NOW)
    woken = await read(api, "scrm", "customer", ids["沉睡两单"])
    assert woken["lifecycle"] == "active" and set(woken.get("tags") or []) == {"复购客"}
    assert not woken.get("churn_risk")


LEADS = [  # (values, score): base 10, source, contact details, expected amount, progress
    ({"name": "转介绍大单", "phone": "13700000001", "company": "幸福里物业", "source": "转介绍",
      "expected_amount": 20000, "status": "qualified"}, 10 + 25 + 10 + 10 + 20 + 20),
    ({"name": "直播来的", "phone": "13700000002", "source": "直播", "expected_amount": 5000, "status": "contacted"},
     10 + 15 + 10 + 10 + 10),
    ({"name": "广告表单", "source": "广告"}, 10 + 5),
    ({"name": "什么都没填"}, 10),
]


async def test_lead_score(api):
    await api.import_app(scrm("scrm"))
    await api.import_app(scrm("night", live=False))
    for values, _ in LEADS:
        await create(api, "scrm", "lead", values)
        await create(api, "night", "lead", values)
    want = {values["name"]: points for values, points in LEADS}
    assert {lead["name"]: lead.get("score") for lead in await listed(api, "scrm", "lead")} == want
    await run_rule(api, "night", "lead_score")
    assert {lead["name"]: lead.get("score") for lead in await listed(api, "night", "lead")} == want
    first = (await listed(api, "scrm", "lead"))[2]
    assert (await change(api, "scrm", "lead", first["id"], {"status": "contacted"}))["score"] == 15 + 10


async def test_stock_warning_tells_the_warehouse(api):
    from sqlalchemy import insert, select

    from runtime.models import apps, notifications, user_roles
    from tests.runtime.people import add_user

    await api.import_app(scrm("scrm"))
    keeper = await add_user(api, "warehouse_keeper")
    async with api.platform.engine.begin() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "scrm"))).scalar_one()
        await conn.execute(insert(user_roles).values(user_id=keeper, app_id=app_id, role="warehouse"))
    low = await create(api, "scrm", "product", {"sku": "LOW-001", "name": "东北大米 10kg", "price": 59,
                                               "category": "粮油", "safety_stock": 50})
    full = await create(api, "scrm", "product", {"sku": "FULL-001", "name": "金龙鱼调和油 5L", "price": 69,
                                                "category": "粮油", "safety_stock": 50})
    await create(api, "scrm", "stock_move", {"product": low["id"], "kind": "purchase_in", "qty": 20})
    await create(api, "scrm", "stock_move", {"product": full["id"], "kind": "purchase_in", "qty": 200})

    async def told() -> list[str]:
        async with api.platform.engine.connect() as conn:
            query = select(notifications.c.text).where(notifications.c.user_id == keeper,
                                                       notifications.c.reason == "rule").order_by(notifications.c.id)
            return list((await conn.execute(query)).scalars())

    buyer = (await create(api, "scrm", "customer", {"name": "买米的"}))["id"]
    await create(api, "scrm", "order", {"customer": buyer, "status": "paid", "amount": 295,
                                        "lines": [{"product": low["id"], "qty": 5, "price": 59}]})
    assert await told() == []  # stock moves and orders do not page the warehouse one by one
    counts = await run_rule(api, "scrm", "stock_warning")  # the 08:00 check
    assert counts["matched"] == 1 and counts["acted"] == 1
    now = await told()
    assert len(now) == 1 and "东北大米 10kg" in now[0] and "库存 15，" in now[0] and "50" in now[0]  # 20 in, 5 sold
    # raising a safety stock checks that product at once
    await change(api, "scrm", "product", full["id"], {"safety_stock": 300})
    now = await told()
    assert len(now) == 2 and "金龙鱼调和油 5L" in now[1] and "300" in now[1]
