"""Demo data from an app's `demo` recipe (issue 10): the recipe checked with JSON pointers, rows generated
deterministically per seed, written through the bulk path, relations valid and computed fields right after the
load, stock never below zero; the SCRM template at a small scale through the command line."""
from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import date, timezone

import pytest
from sqlalchemy import select

from builder import lifecycle
from builder.validate import validate_app
from engines.demo import DemoPlan
from engines.demo.plan import field_order
from engines.form.fields.base import Context
from engines.problems import ProblemsError
from runtime.db import create_engine
from runtime.demo import load_demo
from runtime.seed import load_seed_data
from runtime.tables import SchemaCache
from runtime.write import RecordWriter
from tests.conftest import TEMPLATE_PATH, run

TODAY = date(2026, 11, 26)

APP = {
    "format": "nocode.app/v1", "key": "shop", "name": "演示店",
    "forms": [
        {"key": "leader", "name": "团长", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "姓名", "required": True},
            {"key": "phone", "type": "phone", "label": "手机", "unique": True},
            {"key": "level", "type": "select", "label": "等级", "options": ["bronze", "silver", "gold"]}]},
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "姓名", "required": True},
            {"key": "phone", "type": "phone", "label": "手机", "unique": True},
            {"key": "region", "type": "region", "label": "地区"},
            {"key": "leader", "type": "relation", "label": "团长", "target": "leader"},
            {"key": "total_spent", "type": "rollup", "label": "累计消费", "source": "order", "via": "customer",
             "agg": "sum", "field": "amount", "filter": "status = 'paid'"},
            {"key": "order_count", "type": "rollup", "label": "订单数", "source": "order", "via": "customer",
             "agg": "count"}]},
        {"key": "product", "name": "商品", "title_field": "name", "fields": [
            {"key": "sku", "type": "text", "label": "SKU", "required": True, "unique": True},
            {"key": "name", "type": "text", "label": "名称", "required": True},
            {"key": "price", "type": "money", "label": "售价", "required": True},
            {"key": "received", "type": "rollup", "label": "入库", "source": "stock_move", "via": "product",
             "agg": "sum", "field": "qty"},
            {"key": "sold", "type": "rollup", "label": "已售", "source": "order.lines", "via": "product",
             "agg": "sum", "field": "qty"},
            {"key": "stock", "type": "formula", "label": "库存", "expr": "received - sold", "min": 0}]},
        {"key": "order", "name": "订单", "fields": [
            {"key": "customer", "type": "relation", "label": "客户", "target": "customer", "required": True},
            {"key": "leader", "type": "relation", "label": "团长", "target": "leader"},
            {"key": "status", "type": "select", "label": "状态", "options": ["paid", "refunded"]},
            {"key": "lines", "type": "subtable", "label": "明细", "fields": [
                {"key": "product", "type": "relation", "label": "商品", "target": "product", "required": True},
                {"key": "qty", "type": "number", "label": "数量", "min": 1, "decimals": 0},
                {"key": "price", "type": "money", "label": "单价"},
                {"key": "subtotal", "type": "formula", "label": "小计", "expr": "qty * price", "result": "money"}]},
            {"key": "amount", "type": "money", "label": "实付"},
            {"key": "paid_at", "type": "datetime", "label": "支付时间"}]},
        {"key": "stock_move", "name": "库存流水", "fields": [
            {"key": "product", "type": "relation", "label": "商品", "target": "product", "required": True},
            {"key": "qty", "type": "number", "label": "数量", "decimals": 0},
            {"key": "moved_at", "type": "datetime", "label": "时间"}]},
    ],
    "data": {"leader": [{"name": "王姐", "phone": "13900000001", "level": "gold"}],
             "product": [{"sku": "SKU00001", "name": "荔枝", "price": 59.9}]},  # the recipe's first SKU: taken
    "demo": {"seed": 7, "forms": {
        # fields in any order: each is generated after the ones it reads (amount after lines, leader after customer)
        "order": {"count": 300, "fields": {
            "amount": {"gen": "expr", "expr": "SUM(lines.qty * lines.price)"},
            "customer": {"gen": "ref", "dist": "pareto", "alpha": 1.2, "idle": 0.2},
            "leader": {"gen": "expr", "expr": "customer.leader"},
            "status": {"gen": "pick", "weights": [9, 1]},
            "lines": {"gen": "rows", "count": [1, 3], "distinct": "product", "fields": {
                "price": {"gen": "expr", "expr": "product.price"},
                "product": {"gen": "ref", "dist": "zipf"},
                "qty": {"gen": "number", "min": 1, "max": 5, "skew": 2}}},
            "paid_at": {"gen": "datetime", "days": [-90, 0], "when": "status = 'paid'"}}},
        "leader": {"count": 5, "fields": {
            "name": {"gen": "name"}, "phone": {"gen": "mobile"}, "level": {"gen": "pick", "weights": [5, 3, 1]}}},
        "customer": {"count": 60, "fields": {
            "name": {"gen": "name"}, "phone": {"gen": "mobile", "blank": 0.1}, "region": {"gen": "region"},
            "leader": {"gen": "ref", "dist": "zipf"}}},
        "product": {"count": 10, "scale": False, "fields": {
            "sku": {"gen": "format", "pattern": "SKU{n:05}"},
            "name": {"gen": "cycle", "values": ["荔枝", "大米", "牛奶", "纸尿裤", "抽纸"]},
            "price": {"gen": "money", "min": 5, "max": 100}}},
        "stock_move": {"each": {"form": "product", "field": "product"}, "fields": {
            "qty": {"gen": "tally", "form": "order.lines", "field": "qty", "by": "product", "times": [1.1, 1.3],
                    "plus": 5},
            "moved_at": {"gen": "datetime", "days": [-120, -91]}}},
    }},
}


def app_with(**demo_forms) -> dict:
    doc = copy.deepcopy(APP)
    doc["demo"]["forms"].update(demo_forms)
    return doc


def problems_of(doc) -> set[tuple[str, str]]:
    with pytest.raises(ProblemsError) as caught:
        validate_app(doc)
    return {(p.path, p.code) for p in caught.value.problems}


# ---- the recipe is checked, every mistake with its place -------------------------------------------------------
def test_a_sound_recipe_passes():
    assert validate_app(copy.deepcopy(APP)).demo.forms["order"].count == 300


@pytest.mark.parametrize("change, path, code", [
    (lambda d: d["forms"].update(nope={"count": 1}), "/demo/forms/nope", "demo_unknown_form"),
    (lambda d: d["forms"]["leader"]["fields"].update(age={"gen": "number"}), "/demo/forms/leader/fields/age",
     "unknown_field"),
    (lambda d: d["forms"]["customer"]["fields"].update(total_spent={"gen": "money"}),
     "/demo/forms/customer/fields/total_spent", "demo_generated_field"),
    (lambda d: d["forms"]["leader"]["fields"].update(level={"gen": "mobile"}), "/demo/forms/leader/fields/level/gen",
     "demo_gen_type"),
    (lambda d: d["forms"]["leader"]["fields"].update(level={"gen": "pick", "values": ["gold", "diamond"]}),
     "/demo/forms/leader/fields/level/values/1", "demo_not_option"),
    (lambda d: d["forms"]["leader"]["fields"].update(level={"gen": "pick", "weights": [1, 2]}),
     "/demo/forms/leader/fields/level/weights", "demo_weights"),
    (lambda d: d["forms"]["order"]["fields"]["lines"]["fields"].update(price={"gen": "expr", "expr": "product.cost"}),
     "/demo/forms/order/fields/lines/fields/price/expr", "expr_unknown_field"),
    (lambda d: d["forms"]["order"]["fields"].update(leader={"gen": "expr", "expr": "customer.total_spent"}),
     "/demo/forms/order/fields/leader/expr", "demo_reads_computed"),
    (lambda d: d["forms"]["order"]["fields"].pop("paid_at") and d["forms"]["order"]["fields"].update(
        amount={"gen": "money", "when": "ISBLANK(paid_at)"}),
     "/demo/forms/order/fields/amount/when", "demo_reads_unset"),
    (lambda d: d["forms"]["order"]["fields"].update(amount={"gen": "expr", "expr": "paid_at"},
                                                    paid_at={"gen": "expr", "expr": "amount"}),
     "/demo/forms/order/fields", "demo_field_cycle"),
    (lambda d: d["forms"]["customer"]["fields"].update(phone={"gen": "number", "min": 9, "max": 1}),
     "/demo/forms/customer/fields/phone/gen", "demo_gen_type"),
    (lambda d: d["forms"]["product"]["fields"].update(price={"gen": "money", "min": 9, "max": 1}),
     "/demo/forms/product/fields/price/min", "demo_range"),
    (lambda d: d["forms"]["product"]["fields"].update(sku={"gen": "format", "pattern": "SKU{n.__class__}"}),
     "/demo/forms/product/fields/sku/pattern", "demo_pattern"),
    (lambda d: d["forms"]["stock_move"].update(each={"form": "product", "field": "moved_at"}),
     "/demo/forms/stock_move/each/field", "demo_each_field"),
    (lambda d: d["forms"]["stock_move"]["fields"]["qty"].update(field="amount"),
     "/demo/forms/stock_move/fields/qty/field", "demo_tally_source"),
    (lambda d: d["forms"]["leader"].pop("count"), "/demo/forms/leader", "demo_count_or_each"),
    (lambda d: d["forms"]["leader"]["fields"].update(name={"gen": "hologram"}),
     "/demo/forms/leader/fields/name/gen", "demo_unknown_gen"),
    (lambda d: d["forms"]["leader"]["fields"].update(level={"gen": "pick", "colour": "red"}),
     "/demo/forms/leader/fields/level/colour", "unknown_key"),
    (lambda d: d["forms"]["customer"]["fields"].update(leader={"gen": "ref", "dist": "zipf", "a": -1}),
     "/demo/forms/customer/fields/leader/a", "schema"),
])
def test_recipe_mistakes_are_reported_with_their_place(change, path, code):
    doc = copy.deepcopy(APP)
    change(doc["demo"])
    found = problems_of(doc)
    assert (path, code) in found, found


def test_forms_that_pick_each_other_are_a_cycle():
    doc = copy.deepcopy(APP)
    doc["forms"][0]["fields"].append({"key": "fan", "type": "relation", "target": "customer", "label": "粉丝"})
    doc["demo"]["forms"]["leader"]["fields"]["fan"] = {"gen": "ref"}
    assert any(code == "demo_cycle" and path.startswith("/demo/forms/") for path, code in problems_of(doc))


def test_relations_need_records_to_pick_from():
    doc = copy.deepcopy(APP)
    del doc["demo"]["forms"]["leader"]
    del doc["data"]["leader"]
    assert ("/demo/forms/customer/fields/leader", "demo_no_source") in problems_of(doc)


def test_problems_are_bilingual():
    doc = copy.deepcopy(APP)
    doc["demo"]["forms"]["nope"] = {"count": 1}
    with pytest.raises(ProblemsError) as caught:
        validate_app(doc)
    problem = caught.value.problems[0]
    assert "nope" in problem.message("en") and "没有表单" in problem.message("zh-CN")


# ---- generation: ordered by what is read, deterministic per seed -----------------------------------------------
def test_fields_come_after_the_fields_they_read():
    app = validate_app(copy.deepcopy(APP))
    order, cycle = field_order("order", app.demo.forms["order"].fields, {f.key: f for f in app.forms})
    assert cycle is None
    assert order.index("customer") < order.index("leader") and order.index("lines") < order.index("amount")
    assert order.index("status") < order.index("paid_at")


def generate(doc: dict, scale: float = 1) -> dict[str, list[dict]]:
    """Rows of every form without a database: ids are handed out as a writer would."""
    app = validate_app(doc)
    plan = DemoPlan(app.demo, app.forms, scale, TODAY)
    made = {}
    for key in plan.order:
        rows = list(plan.rows(key))
        start = len(plan.pool(key).ids) + 1
        plan.pool(key).add(list(range(start, start + len(rows))), rows, plan.keep.get(key, set()))
        made[key] = rows
    return made


def test_the_same_seed_gives_the_same_records_and_another_seed_others():
    first, again = generate(copy.deepcopy(APP)), generate(copy.deepcopy(APP))
    assert json.dumps(first, default=str) == json.dumps(again, default=str)
    other = copy.deepcopy(APP)
    other["demo"]["seed"] = 8
    assert generate(other)["customer"] != first["customer"]


def test_counts_scale_and_fixed_forms_stay():
    made = generate(copy.deepcopy(APP), scale=0.5)
    assert len(made["order"]) == 150 and len(made["customer"]) == 30 and len(made["product"]) == 10
    assert len(made["stock_move"]) == 10  # one per product


def test_values_look_like_the_business():
    made = generate(copy.deepcopy(APP))
    phones = [c["phone"] for c in made["customer"] if "phone" in c]
    assert len(set(phones)) == len(phones) and all(len(p) == 11 and p[0] == "1" for p in phones)
    assert all(2 <= len(c["name"]) <= 4 for c in made["customer"])
    by_customer = Counter(o["customer"] for o in made["order"])
    assert max(by_customer.values()) >= 4 * (300 / 60)  # a few customers buy again and again…
    assert 40 <= len(by_customer) <= 55  # …and about a fifth never
    assert all(len({line["product"] for line in o["lines"]}) == len(o["lines"]) for o in made["order"])
    assert all(("paid_at" in o) == (o["status"] == "paid") for o in made["order"])
    for o in made["order"]:
        assert o["amount"] == pytest.approx(sum(line["qty"] * line["price"] for line in o["lines"]))
    sold = Counter()
    for o in made["order"]:
        for line in o["lines"]:
            sold[line["product"]] += line["qty"]
    assert all(m["qty"] >= sold[m["product"]] for m in made["stock_move"])


# ---- the load, on SQLite and PostgreSQL ----------------------------------------------------------------------------
async def load(url: str, doc: dict, scale: float = 1) -> dict[str, int]:
    engine = create_engine(url)
    ctx = Context(tz=timezone.utc)
    try:
        async with engine.begin() as conn:
            app, _, _ = await lifecycle.import_app(conn, doc, ctx, None)
            schema = await SchemaCache().get(conn, app.key)
            await load_seed_data(RecordWriter(conn, schema, ctx, None), app.data)
            return await load_demo(conn, schema, ctx, None, scale=scale, today=TODAY, recipe=app.demo)
    finally:
        await engine.dispose()


async def rows_of(url: str, app_key: str, form_key: str) -> list[dict]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            form = (await SchemaCache().get(conn, app_key)).forms[form_key]
            columns = [form.table.c.id] + [s.column.label(k) for k, s in form.fields.items() if s.column is not None]
            if form.parent is not None:
                columns.append(form.table.c.parent_id)
            return [dict(r._mapping) for r in (await conn.execute(select(*columns).order_by(form.table.c.id))).all()]
    finally:
        await engine.dispose()


async def test_a_recipe_loads_with_valid_relations_and_right_computed_fields(database_url):
    counts = await load(database_url, copy.deepcopy(APP))
    assert counts == {"leader": 5, "customer": 60, "product": 10, "order": 300, "stock_move": 11}
    get = lambda form: rows_of(database_url, "shop", form)  # noqa: E731
    leaders, customers, products = await get("leader"), await get("customer"), await get("product")
    orders, lines, moves = await get("order"), await get("order.lines"), await get("stock_move")
    assert len(leaders) == 6 and len(products) == 11  # the seed records stay, the recipe adds its own
    assert "SKU00001" in {p["sku"] for p in products} and len({p["sku"] for p in products}) == 11
    customer_by_id = {c["id"]: c for c in customers}
    for o in orders:  # every link points at a record, the order's leader is its customer's
        assert o["customer"] in customer_by_id
        assert o["leader"] == customer_by_id[o["customer"]]["leader"]
    assert {line["parent_id"] for line in lines} == {o["id"] for o in orders}
    assert all(c["region"]["code"] and len(c["region"]["names"]) == 3 for c in customers)
    for line in lines:  # computed after the load: formulas…
        assert float(line["subtotal"]) == pytest.approx(line["qty"] * float(line["price"]), abs=0.01)
    for c in customers:  # …rollups…
        mine = [o for o in orders if o["customer"] == c["id"]]
        assert c["order_count"] == len(mine)
        assert float(c["total_spent"]) == pytest.approx(sum(float(o["amount"]) for o in mine
                                                            if o["status"] == "paid"), abs=0.05)
    for p in products:  # …and stock = received - sold, never below zero
        assert p["sold"] == sum(line["qty"] for line in lines if line["product"] == p["id"])
        assert p["received"] == sum(m["qty"] for m in moves if m["product"] == p["id"])
        assert float(p["stock"]) == float(p["received"]) - float(p["sold"]) >= 0


async def test_a_stock_below_its_minimum_is_refused(database_url):
    doc = copy.deepcopy(APP)
    doc["demo"]["forms"]["stock_move"]["fields"]["qty"].update(times=0.5, plus=0)
    with pytest.raises(ProblemsError) as caught:
        await load(database_url, doc)
    assert [(p.path, p.code) for p in caught.value.problems] == [("/demo/forms/product", "demo_below_min")]


async def test_a_generated_value_the_form_refuses_is_reported_at_its_recipe_field(database_url):
    doc = copy.deepcopy(APP)
    doc["demo"]["forms"]["order"]["fields"]["lines"]["fields"]["qty"] = {"gen": "number", "min": 0, "max": 0}
    with pytest.raises(ProblemsError) as caught:
        await load(database_url, doc)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("/demo/forms/order/fields/lines/fields/qty", "too_small")]


async def test_a_unique_field_that_runs_out_of_values_is_reported(database_url):
    doc = copy.deepcopy(APP)
    doc["demo"]["forms"]["product"]["fields"]["sku"] = {"gen": "cycle", "values": ["A1", "A2"]}
    with pytest.raises(ProblemsError) as caught:
        await load(database_url, doc)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("/demo/forms/product/fields/sku", "demo_unique_exhausted")]


def test_the_scrm_template_loads_a_small_business_from_the_command_line(database_url, capsys):
    from runtime.cli import main

    doc = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    assert doc.get("demo"), "the template carries a demo recipe"
    main(["import-template", str(TEMPLATE_PATH), "--demo-data", "--scale", "0.02", "--database-url", database_url])
    out = capsys.readouterr().out
    assert "imported app 'scrm'" in out

    async def check():
        customers, orders = await rows_of(database_url, "scrm", "customer"), await rows_of(database_url, "scrm", "order")
        seeds = doc.get("data", {})
        assert len(customers) == len(seeds.get("customer", [])) + 40
        assert len(orders) == len(seeds.get("order", [])) + 400
        products = await rows_of(database_url, "scrm", "product")
        if products and "stock" in products[0]:
            assert all(p["stock"] is None or float(p["stock"]) >= 0 for p in products)
        ids = {c["id"] for c in customers}
        assert all(o["customer"] in ids for o in orders)
    run(check)
