"""A small shop for report tests: 2 leaders, 3 customers, 10 orders around month ends (Asia/Shanghai), and a
团长 role that sees only its own orders and not their cost."""
from __future__ import annotations

import copy

import httpx
from sqlalchemy import insert, select

from runtime.auth import create_user
from runtime.models import apps, user_roles
from tests.runtime.apps import records_url

APP = {
    "format": "nocode.app/v1", "key": "shop", "name": "小店",
    "forms": [
        {"key": "leader", "name": "团长", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "姓名", "required": True},
            {"key": "account", "type": "member", "label": "账号"}]},
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "姓名", "required": True},
            {"key": "leader", "type": "relation", "target": "leader", "label": "团长"},
            {"key": "source", "type": "select", "label": "来源", "options": ["社群", "直播"]}]},
        {"key": "order", "name": "订单", "title_field": "no", "fields": [
            {"key": "no", "type": "text", "label": "单号"},
            {"key": "customer", "type": "relation", "target": "customer", "label": "客户"},
            {"key": "leader", "type": "relation", "target": "leader", "label": "团长"},
            {"key": "status", "type": "select", "label": "状态",
             "options": [{"value": "paid", "label": "已支付"}, {"value": "refunded", "label": "已退款"}]},
            {"key": "amount", "type": "money", "label": "金额"},
            {"key": "cost", "type": "money", "label": "成本"},
            {"key": "paid_at", "type": "datetime", "label": "支付时间"}]},
    ],
    "roles": [
        {"key": "leader", "name": "团长", "permissions": [
            {"form": "leader", "ops": ["read"], "rows": "account = CURRENT_USER()"},
            {"form": "customer", "ops": ["read"], "rows": "leader.account = CURRENT_USER()"},
            {"form": "order", "ops": ["read"], "rows": "leader.account = CURRENT_USER()",
             "fields": {"cost": "hidden"}}]},
    ],
    "reports": [
        {"key": "gmv_by_month", "name": "月度GMV", "source": "order", "filter": "status = 'paid'",
         "dimensions": [{"field": "paid_at", "bucket": "month", "as": "month", "label": "月份"}],
         "measures": [{"agg": "sum", "field": "amount", "as": "gmv", "label": "GMV"},
                      {"agg": "count", "as": "orders", "label": "订单数"},
                      {"agg": "count_distinct", "field": "customer", "as": "buyers", "label": "买家数"}],
         "metrics": [{"as": "aov", "expr": "gmv / orders", "label": "客单价"},
                     {"as": "growth", "expr": "gmv / PREVIOUS(gmv) - 1"},
                     {"as": "share", "expr": "gmv / TOTAL(gmv)"}],
         "totals": True, "chart": {"type": "line", "x": "month", "y": ["gmv", "orders"]}},
        {"key": "leader_ranking", "name": "团长排行", "source": "order", "filter": "status = 'paid'",
         "dimensions": [{"field": "leader", "as": "leader"}],
         "measures": [{"agg": "sum", "field": "amount", "as": "gmv"}, {"agg": "count", "as": "orders"}],
         "sort": [{"by": "gmv", "desc": True}], "limit": 10, "chart": {"type": "bar", "x": "leader", "y": ["gmv"]}},
        {"key": "margin", "name": "毛利", "source": "order",
         "dimensions": [{"field": "leader", "as": "leader"}],
         "measures": [{"agg": "sum", "field": "cost", "as": "cost"}]},
    ],
}

# (customer index, leader index, status, amount, cost, local paid_at)
ORDERS = [
    (0, 0, "paid", 100, 60, "2026-01-05T10:00:00"),
    (0, 0, "paid", 50, 30, "2026-01-20T10:00:00"),
    (1, 0, "paid", 80, 50, "2026-01-31T23:30:00"),
    (2, 1, "paid", 200, 120, "2026-02-01T00:30:00"),  # still January in UTC
    (2, 1, "refunded", 60, 40, "2026-02-10T12:00:00"),
    (0, 0, "paid", 40, 20, "2026-02-14T09:00:00"),
    (1, 0, "paid", 70, 40, "2026-03-01T08:00:00"),  # still February in UTC
    (2, 1, "paid", 30, 10, "2026-03-02T07:59:00"),
    (0, 0, "refunded", 20, 10, "2026-03-15T10:00:00"),
    (1, 0, "paid", 90, 50, "2026-03-31T23:59:00"),
]


def app(*reports: dict, **sections) -> dict:
    doc = copy.deepcopy(APP)
    if reports:
        doc["reports"] = [copy.deepcopy(r) for r in reports]
    doc.update(copy.deepcopy(sections))
    return doc


# ---- a sub-table's rows as the source; tags and multi-select as dimensions (rows_app) ----------------------------
# order index (ORDERS above) → its lines (product index, qty, price)
LINES = {0: [(0, 3, 10), (1, 1, 50)], 1: [(0, 2, 10)], 3: [(1, 4, 50)], 4: [(0, 6, 10)], 5: [(0, 1, 10), (1, 1, 50)],
         7: [(1, 1, 50)], 9: [(0, 5, 10)]}
PRODUCTS = [("苹果", "水果"), ("大米", "粮油")]
# customer index → tags, interests (multi-select values)
CUSTOMER_TAGS = {0: (["宝妈", "高价值客户"], ["fruit", "grain"]), 1: (None, None), 2: (["宝妈"], ["grain"])}

HOT = {"key": "hot", "name": "热销商品", "source": "order.lines", "filter": "order.status = 'paid'",
       "dimensions": [{"field": "product", "as": "product"}],
       "measures": [{"agg": "sum", "field": "qty", "as": "qty"}, {"agg": "sum", "field": "subtotal", "as": "amount"},
                    {"agg": "count_distinct", "field": "order", "as": "orders"}],
       "sort": [{"by": "amount", "desc": True}], "totals": True}
TAGS = {"key": "tags", "name": "标签分布", "source": "customer", "dimensions": [{"field": "tags", "as": "tag"}],
        "measures": [{"agg": "count", "as": "n"}], "totals": True}
INTERESTS = {"key": "interests", "name": "兴趣", "source": "customer",
             "dimensions": [{"field": "interests", "as": "interest"}], "measures": [{"agg": "count", "as": "n"}]}


def rows_app() -> dict:
    """The shop with products, order lines (a hidden `discount` for 团长), customer tags and interests."""
    doc = app(*app()["reports"], HOT, TAGS, INTERESTS)
    forms = {f["key"]: f for f in doc["forms"]}
    doc["forms"].append({"key": "product", "name": "商品", "title_field": "name", "fields": [
        {"key": "name", "type": "text", "label": "名称"},
        {"key": "category", "type": "select", "label": "品类", "options": ["水果", "粮油"]}]})
    forms["order"]["fields"].append({"key": "lines", "type": "subtable", "label": "明细", "fields": [
        {"key": "product", "type": "relation", "target": "product", "label": "商品"},
        {"key": "qty", "type": "number", "label": "数量"},
        {"key": "price", "type": "money", "label": "单价"},
        {"key": "discount", "type": "money", "label": "折让"},
        {"key": "subtotal", "type": "formula", "label": "小计", "expr": "qty * price", "result": "number"}]})
    forms["customer"]["fields"] += [
        {"key": "tags", "type": "tags", "label": "标签"},
        {"key": "interests", "type": "multi_select", "label": "兴趣",
         "options": [{"value": "fruit", "label": "水果"}, {"value": "grain", "label": "粮油"}]}]
    permissions = doc["roles"][0]["permissions"]
    permissions[2]["fields"]["lines.discount"] = "hidden"
    permissions.append({"form": "product", "ops": ["read"], "rows": "all"})
    return doc


async def add_person(api, username: str, roles: list[str]) -> tuple[int, httpx.AsyncClient]:
    async with api.platform.engine.begin() as conn:
        uid = await create_user(conn, username, "Passw0rd!x", name=username)
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "shop"))).scalar_one()
        for role in roles:
            await conn.execute(insert(user_roles).values(user_id=uid, app_id=app_id, role=role))
    client = httpx.AsyncClient(transport=api.client._transport, base_url=str(api.client.base_url),
                               headers={"Accept-Language": "en"})
    token = (await client.post("/api/auth/login", json={"username": username, "password": "Passw0rd!x"})).json()
    client.headers["Authorization"] = f"Bearer {token['access_token']}"
    return uid, client


async def seed(api, doc: dict | None = None) -> dict:
    """The app imported and its records written; returns ids and the 团长 王's client."""
    await api.import_app(doc or app())
    wang_id, wang = await add_person(api, "wang", ["leader"])
    post = api.client.post
    leaders = [(await post(records_url("leader"), json={"name": n, "account": a})).json()["id"]
               for n, a in (("王团长", wang_id), ("李团长", None))]
    customers = [(await post(records_url("customer"), json={"name": n, "leader": leaders[l], "source": s})).json()["id"]
                 for n, l, s in (("张三", 0, "社群"), ("李四", 0, "直播"), ("王五", 1, "社群"))]
    items = [{"no": f"D{i + 1:02d}", "customer": customers[c], "leader": leaders[l], "status": status,
              "amount": amount, "cost": cost, "paid_at": at}
             for i, (c, l, status, amount, cost, at) in enumerate(ORDERS)]
    response = await post(records_url("order") + "/bulk", json={"items": items})
    assert response.status_code == 201, response.text
    return {"leaders": leaders, "customers": customers, "wang": wang, "wang_id": wang_id}


def data_url(report: str, app_key: str = "shop") -> str:
    return f"/api/apps/{app_key}/reports/{report}/data"
