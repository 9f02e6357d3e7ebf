"""engines/expr/python.py: one record in memory — the empty-value rules as a table, relations given as an id or
as the linked record, sub-table and many-relation aggregates."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from engines.expr import compile_expression

EMPTY: dict = {}  # every field empty (missing keys read as empty)
NULLS = {"amount": None, "weight": None, "note": None, "status": None, "vip": None, "tags": None, "paid_on": None,
         "paid_at": None, "customer": None, "lines": None, "gifts": None}
FULL = {
    "amount": Decimal("12.50"), "weight": 2.0, "rate": 15.0, "note": "加急", "status": "paid", "vip": True,
    "tags": ["VIP", "宝妈"], "paid_on": date(2026, 11, 20), "due_on": date(2026, 11, 23),
    "paid_at": datetime(2026, 11, 20, 2, 15), "phone": "13800000000",
    "customer": {"id": 3, "name": "张三", "vip": False, "tags": ["VIP"],
                 "leader": {"id": 1, "name": "王姐", "level": "gold"}},
    "gifts": [{"id": 1, "name": "荔枝", "price": Decimal("59.90")}, {"id": 2, "name": "大米", "price": None}],
    "lines": [{"product": {"id": 1, "price": Decimal("59.90")}, "qty": 2.0, "price": Decimal("59.90"), "memo": "b"},
              {"product": 2, "qty": None, "price": Decimal("10"), "memo": "a", "gift": True},
              {"product": None, "qty": 3.0, "price": None}],
    "id": 9, "owner": 7, "created_by": 8, "version": 2,
    "created_at": datetime(2026, 11, 1, 1, 0), "updated_at": datetime(2026, 11, 2, 1, 0),
}
ZERO = {"amount": Decimal("0"), "weight": 0.0, "note": "x", "vip": False, "lines": [], "gifts": [], "customer": 4}

# text, value on EMPTY (and NULLS), value on FULL
TABLE = [
    # arithmetic with an empty value is empty; dividing by zero is empty
    ("amount + 1", None, 13.5), ("amount * 0", None, 0.0), ("-amount", None, -12.5), ("amount - weight", None, 10.5),
    ("amount / weight", None, 6.25), ("amount / 0", None, None), ("NULL + 1", None, None), ("1 / 0", None, None),
    ("weight * weight * weight", None, 8.0),
    # = and != treat empties as values; ordering with an empty side is false
    ("amount = NULL", True, False), ("amount != NULL", False, True), ("NULL = NULL", True, True),
    ("NULL != NULL", False, False), ("amount = 12.5", False, True), ("amount != 12.5", True, False),
    ("amount > 5", False, True), ("amount <= 5", False, False), ("amount < NULL", False, False),
    ("NULL >= NULL", False, False), ("NOT (amount > 5)", True, False), ("amount = weight", True, False),
    ("note = ''", False, False), ("note != 'x'", True, True), ("status IN ('paid', 'refunded')", False, True),
    ("status NOT IN ('paid')", True, False), ("status IN (NULL)", False, False), ("status NOT IN (NULL)", True, True),
    ("'a' < 'b'", True, True), ("'B' < 'a'", True, True), ("'é' > 'z'", True, True),  # code-point order
    # an unticked (or empty) checkbox is false, never empty
    ("vip", False, True), ("NOT vip", True, False), ("vip = FALSE", True, False), ("vip = NULL", False, False),
    ("vip & ''", "FALSE", "TRUE"),
    # & joins empty as ''; numbers print without a needless .0; dates ISO; date-times in the zone (Shanghai)
    ("note & '!'", "!", "加急!"), ("amount & ''", "", "12.5"), ("weight & '/' & rate", "/", "2/15"),
    ("paid_on & ''", "", "2026-11-20"), ("paid_at & ''", "", "2026-11-20 10:15:00"), ("customer & ''", "", "3"),
    ("NULL & NULL", "", ""), ("-(weight - weight) & ''", "", "0"),
    # conditions: AND/OR/NOT of an empty condition read it as false
    ("vip AND amount > 1", False, True), ("vip OR amount > 1", False, True), ("NOT NULL", True, True),
    ("NULL AND TRUE", False, False), ("NULL OR TRUE", True, True), ("NOT IF(vip, TRUE)", True, False),
    ("AND(vip, NULL)", False, False), ("OR(NULL, TRUE)", True, True), ("NOT(NULL)", True, True),
    ("NOT(IF(amount > 100, TRUE))", True, True),
    # IF / IFS / ISBLANK / BLANKVALUE
    ("IF(amount > 1, 'big', 'small')", "small", "big"), ("IF(amount > 100, 'big')", None, None),
    ("IF(NULL, 1, 2)", 2.0, 2.0), ("IFS(amount > 100, 1, amount > 10, 2)", None, 2.0),
    ("ISBLANK(note)", True, False), ("ISBLANK(tags)", True, False), ("ISBLANK(vip)", False, False),
    ("BLANKVALUE(amount, 0) + 1", 1.0, 13.5), ("BLANKVALUE(note, '-')", "-", "加急"),
    ("HAS_TAG(tags, 'VIP')", False, True), ("HAS_TAG(customer.tags, 'VIP')", False, True),
    # relations: through the linked record; empty link → empty
    ("customer", None, 3), ("customer = 3", False, True), ("customer != 3", True, False),
    ("customer.name", None, "张三"), ("customer.leader", None, 1), ("customer.leader.name", None, "王姐"),
    ("customer.leader.level = 'gold'", False, True), ("customer.vip", False, False),
    ("customer.leader = 1", False, True),
    # dates: whole days toward zero; differences in days
    ("paid_on + 1", None, date(2026, 11, 21)), ("paid_on + 1.9", None, date(2026, 11, 21)),
    ("paid_on - 1.5", None, date(2026, 11, 19)), ("paid_on + (-1.5)", None, date(2026, 11, 19)),
    ("paid_on + weight", None, date(2026, 11, 22)), ("due_on - paid_on", None, 3.0), ("paid_on - due_on", None, -3.0),
    ("paid_at + 0.5", None, datetime(2026, 11, 20, 14, 15)), ("paid_at - paid_at", None, 0.0),
    ("NOW() - paid_at", None, 5 + 17.75 / 24), ("TODAY() - paid_on", None, 6.0), ("paid_on < TODAY()", False, True),
    ("NULL - paid_on", None, None), ("paid_on - NULL", None, None),
    # aggregates: SUM and COUNT of nothing are 0, AVG/MIN/MAX of nothing are empty; empties are skipped
    ("SUM(lines.qty)", 0, 5.0), ("SUM(lines.qty * lines.price)", 0, 119.8), ("COUNT(lines)", 0, 3),
    ("COUNT(lines.qty)", 0, 2), ("COUNT(lines.price)", 0, 2), ("COUNT(lines.gift)", 0, 3),
    ("AVG(lines.qty)", None, 2.5), ("AVG(lines.price)", None, 34.95), ("MIN(lines.qty)", None, 2.0),
    ("MAX(lines.price)", None, 59.9), ("MIN(lines.memo)", None, "a"), ("MAX(lines.memo)", None, "b"),
    ("SUM(lines.product.price)", 0, 59.9), ("COUNT(lines.product)", 0, 2),
    ("COUNT(gifts)", 0, 2), ("SUM(gifts.price)", 0, 59.9), ("COUNT(gifts.price)", 0, 1),
    ("AVG(gifts.price)", None, 59.9),
    # inside an aggregate, names outside the rows are the record's own values
    ("SUM(lines.qty * weight)", 0, 10.0), ("SUM(lines.qty + weight)", 0, 9.0), ("MAX(lines.qty * amount)", None, 37.5),
    ("SUM(lines.qty * COUNT(gifts))", 0, 10.0), ("SUM(lines.qty / SUM(lines.qty))", 0, 1.0),
    ("SUM(lines.price - amount)", 0, 44.9),
    # system fields
    ("id", None, 9), ("owner = CURRENT_USER()", False, True), ("created_by = CURRENT_USER()", False, False),
    ("version + 1", None, 3), ("created_at < updated_at", False, True),
]


def evaluate(scope, ctx, text, record):
    return compile_expression(text, scope).evaluate(record, ctx)


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return abs(a - b) < 1e-9
    return a == b and type(a) is type(b) if isinstance(a, bool) or isinstance(b, bool) else a == b


@pytest.mark.parametrize("text, on_empty, on_full", TABLE)
def test_empty_values_and_full_records(scope, ctx, text, on_empty, on_full):
    for record in (EMPTY, NULLS):
        assert same(evaluate(scope, ctx, text, record), on_empty), (text, record)
    assert same(evaluate(scope, ctx, text, FULL), on_full), text


ZERO_TABLE = [
    ("amount / weight", None), ("weight / amount", None), ("amount * 3", 0.0), ("-weight & ''", "0"),
    ("ISBLANK(amount)", False), ("BLANKVALUE(amount, 5)", 0.0), ("amount = 0", True), ("amount > NULL", False),
    ("SUM(lines.qty)", 0), ("AVG(lines.qty)", None), ("MIN(lines.qty)", None), ("COUNT(gifts)", 0),
    ("customer = 4", True), ("customer.name", None), ("customer.leader.name", None),  # a bare id: nothing to read
    ("vip OR note = 'x'", True),
]


@pytest.mark.parametrize("text, value", ZERO_TABLE)
def test_zero_is_a_value_and_a_bare_link_is_an_id(scope, ctx, text, value):
    assert same(evaluate(scope, ctx, text, ZERO), value), text


def test_relations_may_be_ids_or_records(scope, ctx):
    as_id, as_record = {"customer": 3}, {"customer": {"id": 3, "name": "张三"}}
    for record in (as_id, as_record):
        assert evaluate(scope, ctx, "customer", record) == 3
        assert evaluate(scope, ctx, "customer = 3", record) is True
        assert evaluate(scope, ctx, "customer IN (1, 3)", record) is True
        assert evaluate(scope, ctx, "customer & ''", record) == "3"
    assert evaluate(scope, ctx, "customer.name", as_record) == "张三"
    assert evaluate(scope, ctx, "customer.name", as_id) is None
    gifts_as_ids, gifts_as_records = {"gifts": [1, 2]}, {"gifts": [{"id": 1, "price": 5}, {"id": 2, "price": 7}]}
    assert evaluate(scope, ctx, "COUNT(gifts)", gifts_as_ids) == 2
    assert evaluate(scope, ctx, "COUNT(gifts)", gifts_as_records) == 2
    assert evaluate(scope, ctx, "SUM(gifts.price)", gifts_as_ids) == 0  # ids alone carry no prices
    assert evaluate(scope, ctx, "SUM(gifts.price)", gifts_as_records) == 12


def test_money_arrives_as_decimal_and_computes_as_float(scope, ctx):
    record = {"amount": Decimal("0.10"), "weight": 0.2,
              "lines": [{"price": Decimal("1.10")}, {"price": Decimal("2.20")}]}
    assert isinstance(evaluate(scope, ctx, "amount", record), float)
    assert evaluate(scope, ctx, "amount + weight", record) == pytest.approx(0.3)
    assert evaluate(scope, ctx, "SUM(lines.price)", record) == pytest.approx(3.3)
    assert evaluate(scope, ctx, "amount = 0.1", record) is True


def test_today_and_now_follow_the_context(scope, ctx):
    # ctx.now is 2026-11-25 20:00 UTC, already the 26th in Shanghai
    assert evaluate(scope, ctx, "TODAY()", EMPTY) == date(2026, 11, 26)
    assert evaluate(scope, ctx, "NOW()", EMPTY) == datetime(2026, 11, 25, 20, 0)  # naive UTC, as stored
    assert evaluate(scope, ctx, "NOW() & ''", EMPTY) == "2026-11-26 04:00:00"
    assert evaluate(scope, ctx, "CURRENT_USER()", EMPTY) == 7


def test_dates_off_the_calendar_are_empty_not_an_error(scope, ctx):
    record = {"paid_on": date(2026, 1, 1), "paid_at": datetime(2026, 1, 1), "weight": 1e9}
    for text in ("paid_on + weight", "paid_on - weight", "paid_at + weight", "paid_on + 3000000", "paid_at - 1e300"):
        assert evaluate(scope, ctx, text, record) is None, text


def test_compiled_closures_are_reusable_across_records(scope, ctx):
    compiled = compile_expression("SUM(lines.qty * weight) + COUNT(gifts)", scope)
    assert [compiled.evaluate(r, ctx) for r in (EMPTY, FULL, ZERO, FULL)] == [0, 12.0, 0, 12.0]
