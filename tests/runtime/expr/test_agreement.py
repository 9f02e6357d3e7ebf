"""Python and SQL give the same answer, on SQLite and PostgreSQL, for hand-picked expressions over real records."""
from __future__ import annotations

import pytest

from tests.runtime.expr.lab import Lab, same

APP = {
    "format": "nocode.app/v1", "key": "lab", "name": "Lab",
    "forms": [
        {"key": "leader", "name": "团长", "title_field": "name", "fields": [
            {"key": "name", "type": "text"}, {"key": "level", "type": "select", "options": ["gold", "silver"]}]},
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text"}, {"key": "leader", "type": "relation", "target": "leader"},
            {"key": "vip", "type": "checkbox"}, {"key": "tags", "type": "tags"},
            {"key": "born", "type": "date"}]},
        {"key": "product", "name": "商品", "title_field": "name", "fields": [
            {"key": "name", "type": "text"}, {"key": "price", "type": "money"}]},
        {"key": "order", "name": "订单", "fields": [
            {"key": "customer", "type": "relation", "target": "customer"},
            {"key": "gifts", "type": "relation", "target": "product", "many": True},
            {"key": "status", "type": "select", "options": ["paid", "refunded"]},
            {"key": "amount", "type": "money"}, {"key": "weight", "type": "number"},
            {"key": "paid_on", "type": "date"}, {"key": "paid_at", "type": "datetime"},
            {"key": "note", "type": "text"},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "product", "type": "relation", "target": "product"},
                {"key": "qty", "type": "number"}, {"key": "price", "type": "money"}]}]},
    ],
}

EXPRESSIONS = [
    "amount", "amount + weight", "amount * 2 - weight / 4", "weight / 0", "-amount",
    "amount > 50", "amount != 100", "amount = NULL", "status = 'paid'", "status != 'paid'",
    "status IN ('paid', 'refunded')", "status NOT IN ('paid')", "NOT (amount > 50) OR weight < 2",
    "note & '-' & status", "amount & ''", "customer.name", "customer.leader.name", "customer.leader.level = 'gold'",
    "customer.vip", "NOT customer.vip", "HAS_TAG(customer.tags, 'VIP')",
    "SUM(lines.qty * lines.price)", "COUNT(lines)", "COUNT(lines.price)", "AVG(lines.qty)", "MIN(lines.price)",
    "MAX(lines.qty)", "SUM(lines.qty) > 2", "COUNT(gifts)", "SUM(gifts.price)",
    "IF(amount > 50, 'big', 'small')", "IFS(amount > 100, 3, amount > 10, 2, TRUE, 1)", "ISBLANK(note)",
    "BLANKVALUE(weight, 0) + 1", "paid_on + 3", "paid_on - 1.5", "TODAY() - paid_on", "paid_on < TODAY()",
    "paid_at < NOW()", "NOW() - paid_at", "paid_at + 1 > NOW()", "customer.born", "AND(amount > 1, weight > 1)",
    "OR(ISBLANK(amount), status = 'refunded')", "customer = 1", "CURRENT_USER() = 7",
]


@pytest.fixture
async def lab(database_url):
    lab = await Lab.open(database_url, APP)
    gold, silver = await lab.insert("leader", {"name": "王姐", "level": "gold"}, {"name": "李哥", "level": "silver"})
    c1, c2, _ = await lab.insert("customer", {"name": "张三", "leader": gold, "vip": True, "tags": ["VIP", "宝妈"], "born": "1990-05-20"},
                                 {"name": "李四", "leader": silver, "tags": []}, {"name": "王五"})
    p1, p2 = await lab.insert("product", {"name": "荔枝", "price": 59.9}, {"name": "大米", "price": 69})
    await lab.insert(
        "order",
        {"customer": c1, "gifts": [p1, p2], "status": "paid", "amount": 100, "weight": 2.5, "paid_on": "2026-11-20",
         "paid_at": "2026-11-20T10:15:00", "note": "加急", "lines": [{"product": p1, "qty": 2, "price": 59.9},
                                                                   {"product": p2, "qty": 1, "price": None}]},
        {"customer": c2, "status": "refunded", "amount": 12.34, "weight": None, "paid_on": "2026-11-25",
         "paid_at": "2026-11-26T09:00:00", "lines": [{"qty": 3, "price": 1.5}]},
        {"customer": None, "amount": None, "weight": 0, "note": ""},
    )
    yield lab
    await lab.close()


@pytest.mark.parametrize("text", EXPRESSIONS)
async def test_python_and_sql_agree(lab, text):
    for python_value, sql_value in await lab.both("order", text):
        assert same(python_value, sql_value), (text, python_value, sql_value)


CONDITIONS = [e for e in EXPRESSIONS if any(op in e for op in (" > ", " < ", " = ", "!=", " IN ", "HAS_TAG", "vip"))
              and not e.startswith(("IF", "BLANKVALUE", "NOW() -"))]


@pytest.mark.parametrize("text", CONDITIONS)
async def test_filters_keep_the_same_records(lab, text):
    python_ids, sql_ids = await lab.where("order", text)
    assert python_ids == sql_ids, text


@pytest.mark.parametrize("text", ["SUM(ROUND(lines.qty * lines.price, 0))", "SUM(IF(lines.qty > 1, 1, 0))",
                                  "COUNT(lines.qty IN (1, 3))", "MAX(BLANKVALUE(lines.price, 0))",
                                  "BLANKVALUE(note, 'none')", "note & amount", "weight & '|' & amount"])
async def test_functions_of_rows_and_blank_text_agree(lab, text):
    for python_value, sql_value in await lab.both("order", text):
        assert same(python_value, sql_value), (text, python_value, sql_value)
