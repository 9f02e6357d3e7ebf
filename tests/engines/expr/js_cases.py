"""The agreement corpus between the Python evaluator and the browser's (frontend/src/expr/): expressions over
records as the API hands them out (JSON), each evaluated here by engines.expr, written to
frontend/src/expr/cases.json for Vitest to run through the TypeScript evaluator.

    .venv/bin/python -m tests.engines.expr.js_cases      # rewrites the file
tests/engines/expr/test_js_cases.py fails when the committed file is not what this module generates.

Each case is {"expr", "env" (a record, or the name of one in "envs"), "ctx" (a name in "ctxs"), and "result" or
"error"}. Results are JSON with typed wrappers where JSON has no type: {"date": "YYYY-MM-DD"},
{"datetime": "YYYY-MM-DDTHH:MM:SS[.ffffff]"} (naive UTC, as stored), {"number": "inf" | "-inf" | "nan"}.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from engines.expr import EvalContext, ExprError, Scope, compile_expression, parse
from engines.form.definition import FormDef
from engines.form.fields.base import Context
from engines.form.fields.dates import DateTime, parse_date
from engines.form.fields.relation import record_id

OUTPUT = Path(__file__).resolve().parents[3] / "frontend" / "src" / "expr" / "cases.json"

FORMS = [
    {"key": "leader", "name": "团长", "fields": [
        {"key": "name", "type": "text"}, {"key": "level", "type": "select", "options": ["gold", "silver"]}]},
    {"key": "customer", "name": "客户", "fields": [
        {"key": "name", "type": "text"}, {"key": "leader", "type": "relation", "target": "leader"},
        {"key": "vip", "type": "checkbox"}, {"key": "tags", "type": "tags"}, {"key": "since", "type": "date"}]},
    {"key": "product", "name": "商品", "fields": [
        {"key": "name", "type": "text"}, {"key": "price", "type": "money"}]},
    {"key": "order", "name": "订单", "fields": [
        {"key": "customer", "type": "relation", "target": "customer"},
        {"key": "gifts", "type": "relation", "target": "product", "many": True},
        {"key": "status", "type": "select", "options": ["paid", "refunded", "已发货"]},
        {"key": "colors", "type": "multi_select", "options": ["red", "green", "蓝"]},
        {"key": "amount", "type": "money"}, {"key": "weight", "type": "number"}, {"key": "rate", "type": "percent"},
        {"key": "discount", "type": "number"},
        {"key": "paid_on", "type": "date"}, {"key": "due_on", "type": "date"}, {"key": "paid_at", "type": "datetime"},
        {"key": "ship_at", "type": "datetime"},
        {"key": "note", "type": "text"}, {"key": "memo", "type": "long_text"}, {"key": "vip", "type": "checkbox"},
        {"key": "tags", "type": "tags"}, {"key": "phone", "type": "phone"}, {"key": "email", "type": "email"},
        {"key": "total", "type": "formula", "expr": "amount * 2", "result": "money"},
        {"key": "label", "type": "formula", "expr": "note & status"},
        {"key": "lines", "type": "subtable", "fields": [
            {"key": "product", "type": "relation", "target": "product"},
            {"key": "qty", "type": "number"}, {"key": "price", "type": "money"}, {"key": "memo", "type": "text"},
            {"key": "gift", "type": "checkbox"}, {"key": "ship_on", "type": "date"}]}]},
]

CTXS = {
    # 2026-11-25 20:00 UTC is already the 26th in Shanghai: TODAY() follows the zone
    "shanghai": {"now": "2026-11-25T20:00:00+00:00", "tz": "Asia/Shanghai", "userId": 7},
    "new_york": {"now": "2026-03-08T06:30:00+00:00", "tz": "America/New_York", "userId": 3},
    "utc": {"now": "2026-01-31T23:59:59.500000+00:00", "tz": "UTC", "userId": None},
}

ENVS = {
    "empty": {},
    "nulls": {"amount": None, "weight": None, "note": None, "status": None, "vip": None, "tags": None,
              "paid_on": None, "paid_at": None, "customer": None, "lines": None, "gifts": None, "colors": None},
    "full": {
        "amount": 12.5, "weight": 2, "rate": 15, "discount": 10, "note": "加急", "memo": "  hello   world  ",
        "status": "paid", "vip": True, "tags": ["VIP", "宝妈"], "colors": ["red", "蓝"],
        "paid_on": "2026-11-20", "due_on": "2026-11-23", "paid_at": "2026-11-20T10:15:00+08:00",
        "ship_at": "2026-11-22T23:30:45.250000+08:00", "phone": "13800000000", "email": "a@b.cn",
        "total": 25, "label": "加急paid",
        "customer": {"id": 3, "name": "张三", "vip": False, "tags": ["VIP"], "since": "2020-02-29",
                     "leader": {"id": 1, "name": "王姐", "level": "gold"}},
        "gifts": [{"id": 1, "name": "荔枝", "price": 59.9}, {"id": 2, "name": "大米", "price": None}],
        "lines": [
            {"product": {"id": 1, "name": "荔枝", "price": 59.9}, "qty": 2, "price": 59.9, "memo": "b",
             "ship_on": "2026-12-01"},
            {"product": {"id": 2, "title": "大米"}, "qty": None, "price": 10, "memo": "a", "gift": True},
            {"product": None, "qty": 3, "price": None, "ship_on": "2026-11-28"}],
        "id": 9, "owner": {"id": 7, "title": "李四"}, "created_by": 8, "version": 2,
        "created_at": "2026-11-01T09:00:00+08:00", "updated_at": "2026-11-02T01:00:00Z",
    },
    "zero": {"amount": 0, "weight": 0, "note": "x", "vip": False, "lines": [], "gifts": [], "customer": 4,
             "tags": [], "colors": []},
    "money": {"amount": 0.1, "weight": 0.2, "discount": 2.675, "rate": -2.5,
              "lines": [{"qty": 1.15, "price": 1.1}, {"qty": 3, "price": 2.2}, {"qty": 0.05, "price": 0.3}]},
    "month_end": {"paid_on": "2024-01-31", "due_on": "2024-02-29", "paid_at": "2024-01-31T23:30:00+08:00",
                  "ship_at": "2023-12-31T16:30:00Z", "note": "  a  b  ", "weight": -7, "discount": 3},
    "dst": {"paid_at": "2026-03-07T07:30:00Z", "ship_at": "2026-11-01T05:30:00Z", "paid_on": "2026-03-08"},
    "text": {"note": "Hello 世界 World", "memo": "It's 'quoted' & \"double\"", "status": "已发货",
             "phone": "😀 emoji 𠀋", "email": "ÉCOLE école", "weight": 1234567.891, "amount": -0.005},
}

# (expression, env names); every case runs in the Shanghai context unless it names another
CASES: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], str]] = []


def add(envs: str, *exprs: str, ctx: str = "shanghai") -> None:
    for expr in exprs:
        CASES.append((expr, tuple(envs.split()), ctx))


# literals and operators
add("empty",
    "1 + 2 * 3", "(1 + 2) * 3", "-2 - -3", "+5", "7 / 2", "1 / 3", "0.1 + 0.2", "1e3 + .5", "2.5e-3 * 4",
    "10 - 4 - 3", "2 * 3 / 4", "1 / 0", "0 / 0", "-0 * 1", "1e308 * 10", "-1e308 * 10", "1e308 * 10 - 1e308 * 10",
    "'it''s'", "'it\\'s'", '"say ""hi"""', "'a\\nb'", "'tab\\there'", "'中文' & '字符'", "1 & 2", "1.5 & ''",
    "1/3 & ''", "2/3 & ''", "1e20 & ''", "1e-5 & ''", "123456789012345678 & ''", "0.1 + 0.2 & ''", "-1.25 & ''",
    "TRUE & FALSE", "NULL & 'x'", "TRUE", "false", "null", "1 = 1", "1 == 1.0", "1 <> 2", "1 != 1", "'a' < 'b'",
    "'B' < 'a'", "'é' > 'z'", "'中' > '一'", "'😀' > '\uffee'", "'abc' <= 'abc'", "'abc' >= 'abd'", "2 > 1 AND 1 > 2",
    "2 > 1 OR 1 > 2", "NOT 1 > 2", "NOT TRUE OR TRUE", "NOT (TRUE OR TRUE)", "TRUE AND NULL", "NULL OR FALSE",
    "NOT NULL", "NULL = NULL", "NULL != NULL", "NULL < 1", "1 >= NULL", "NULL + 1", "-NULL", "1 IN (1, 2)",
    "3 IN (1, 2)", "3 NOT IN (1, 2)", "NULL IN (NULL)", "NULL NOT IN (1)", "'a' in ('A', 'a')",
    "1 IN (NULL, 1)", "1 + 1 IN (2)", "'x' & 1 + 1", "1 < 2 = TRUE", "and(TRUE, 1 > 0)", "or(FALSE, NULL)",
    "not(FALSE)")
add("full empty nulls zero",
    "amount + 1", "amount * 0", "-amount", "amount - weight", "amount / weight", "amount / 0", "weight * weight",
    "amount = NULL", "amount != NULL", "amount = 12.5", "amount > 5", "amount <= 5", "amount < NULL",
    "NOT (amount > 5)", "amount = weight", "note = ''", "note != 'x'", "status IN ('paid', 'refunded')",
    "status NOT IN ('paid')", "status IN (NULL)", "status NOT IN (NULL)", "vip", "NOT vip", "vip = FALSE",
    "vip = NULL", "vip & ''", "note & '!'", "amount & ''", "weight & '/' & rate", "paid_on & ''", "paid_at & ''",
    "customer & ''", "vip AND amount > 1", "vip OR amount > 1", "NOT IF(vip, TRUE)", "AND(vip, NULL)",
    "IF(amount > 1, 'big', 'small')", "IF(amount > 100, 'big')", "IF(NULL, 1, 2)",
    "IFS(amount > 100, 1, amount > 10, 2)", "IFS(amount > 100, 'a', TRUE, 'b')",
    "IF(vip, IF(amount > 10, '大客户', '小客户'), IF(ISBLANK(note), '无备注', note))",
    "ISBLANK(note)", "ISBLANK(tags)", "ISBLANK(vip)", "ISBLANK(amount)", "ISBLANK(customer)", "COUNT(IF(ISBLANK(lines.qty), 1))",
    "BLANKVALUE(amount, 0) + 1", "BLANKVALUE(note, '-')", "BLANKVALUE(paid_on, TODAY())",
    "HAS_TAG(tags, 'VIP')", "HAS_TAG(tags, '宝妈')", "HAS_TAG(tags, NULL)", "HAS_TAG(customer.tags, 'VIP')",
    "HAS_TAG(colors, '蓝')", "CONTAINS(tags, 'VIP')", "CONTAINS(tags, '')", "CONTAINS(colors, 'green')",
    "CONTAINS(note, '急')", "CONTAINS(note, '')", "CONTAINS(note, NULL)", "CONTAINS(NULL, '')",
    "customer", "customer = 3", "customer != 3", "customer IN (1, 3)", "customer.name", "customer.leader",
    "customer.leader.name", "customer.leader.level = 'gold'", "customer.vip", "customer.since + 365",
    "customer.leader = 1", "owner = CURRENT_USER()", "created_by = CURRENT_USER()", "id", "version + 1",
    "created_at < updated_at", "created_at & ''", "updated_at - created_at", "owner",
    "paid_on + 1", "paid_on + 1.9", "paid_on - 1.5", "paid_on + (-1.5)", "paid_on + weight", "due_on - paid_on",
    "paid_on - due_on", "paid_at + 0.5", "paid_at - paid_at", "NOW() - paid_at", "TODAY() - paid_on",
    "paid_on < TODAY()", "NULL - paid_on", "paid_on - NULL", "ship_at - paid_at", "paid_at + 1/3", "paid_at - 1e-7",
    "paid_at + 1e300", "paid_on + 3000000", "paid_on - 1e300",
    "SUM(lines.qty)", "SUM(lines.qty * lines.price)", "COUNT(lines)", "COUNT(lines.qty)", "COUNT(lines.price)",
    "COUNT(lines.gift)", "AVG(lines.qty)", "AVG(lines.price)", "MIN(lines.qty)", "MAX(lines.price)",
    "MIN(lines.memo)", "MAX(lines.memo)", "MIN(lines.ship_on)", "MAX(lines.ship_on)", "SUM(lines.product.price)",
    "COUNT(lines.product)", "COUNT(gifts)", "SUM(gifts.price)", "COUNT(gifts.price)", "AVG(gifts.price)",
    "SUM(lines.qty * weight)", "SUM(lines.qty + weight)", "MAX(lines.qty * amount)", "SUM(lines.qty * COUNT(gifts))",
    "SUM(lines.qty / SUM(lines.qty))", "SUM(lines.price - amount)", "SUM(ROUND(lines.qty * lines.price, 1))",
    "SUM(IF(lines.gift, 0, lines.price))", "COUNT(IF(lines.qty > 2, 1))", "SUM(lines.qty) > 4 AND vip",
    "MAX(lines.ship_on) - paid_on", "SUM(BLANKVALUE(lines.qty, 1))", "COUNT(lines.memo & '')",
    "SUM(lines.qty) * (1 - BLANKVALUE(discount, 0) / 100)", "total", "total + 1", "label", "label & '!'",
    "colors = NULL", "tags = NULL", "status = '已发货'", "email & phone", "LEN(memo)", "TRIM(memo)")
add("full",
    "IF(HAS_TAG(tags, '高价值客户'), 'VIP', '普通')", "customer.leader.name & '（' & customer.leader.level & '）'",
    "amount > 100 AND status = 'paid'", "TODAY() - paid_on > 30", "COUNT(lines) - COUNT(lines.qty)",
    "tags = tags", "colors != tags", "owner IN (7, 8)", "created_by NOT IN (8)")

# functions, each with an empty argument too
add("full money zero nulls",
    "ROUND(amount)", "ROUND(amount, 1)", "ROUND(discount, 2)", "ROUND(rate)", "ROUND(amount, NULL)",
    "ROUND(weight * 1000, -2)", "ABS(rate)", "FLOOR(discount, 0.5)", "CEILING(discount, 0.5)", "INT(rate)",
    "MOD(weight, 3)", "POWER(weight, 3)", "SQRT(weight)", "SQRT(rate)", "TEXT(amount, '0.00')",
    "TEXT(weight)", "TEXT(discount, '#,##0.0')", "TEXT(rate, '0%')", "LEN(note)", "UPPER(note)", "CONCAT(note, amount, vip)",
    "SUM(ROUND(lines.qty * lines.price, 2))", "SUM(lines.qty * lines.price)", "AVG(lines.price)")
add("empty",
    "ROUND(2.675, 2)", "ROUND(2.5)", "ROUND(-2.5)", "ROUND(0.5)", "ROUND(1.005, 2)", "ROUND(-1.005, 2)",
    "ROUND(1234.5678, -2)", "ROUND(1234.5678, 2.9)", "ROUND(1e15 + 0.5)", "ROUND(123456789012344.5)",
    "ROUND(-0.4)", "ROUND(0.285, 2)", "ROUND(1.45, 1)", "ROUND(5.015, 2)", "ROUND(1e-300, 300)", "ROUND(5, 400)",
    "ROUND(12345, -400)", "ROUND(0.1 * 3, 15)", "ROUND(1/3, 23)", "ROUND(2/3, 210)", "ROUND(1e300 * 10)",
    "ABS(-3)", "ABS(0)", "FLOOR(2.7)", "FLOOR(-2.5)", "FLOOR(0.3, 0.1)", "FLOOR(7, 0)", "FLOOR(7, -2)",
    "FLOOR(1.25, 0.05)", "FLOOR(10, 3)", "FLOOR(0.7, 0.3)", "FLOOR(1e300, 1e-300)", "CEILING(2.1)",
    "CEILING(-2.5)", "CEILING(0.3, 0.1)", "CEILING(4.01, 0.25)", "CEILING(7, 0.3)", "INT(-2.5)", "INT(2.5)",
    "MOD(-7, 3)", "MOD(7, -3)", "MOD(7, 0)", "MOD(1.15, 0.05)", "MOD(10, 2.5)", "MOD(5.5, 2)",
    "POWER(2, 10)", "POWER(2, -1)", "POWER(0, -1)", "POWER(-8, 1/3)", "POWER(-2, 3)", "POWER(10, 400)",
    "POWER(9, 0.5)", "POWER(1.05, 12)", "POWER(0, 0)", "SQRT(16)", "SQRT(2)", "SQRT(-1)",
    "CONCAT('a', 1, TRUE, NULL, 2.50)", "CONCAT(TODAY(), ' ', NOW())", "LEN('')", "LEN('中文😀')", "LEN(NULL)",
    "LEN(123.0)", "LEFT('你好世界')", "LEFT('你好世界', 2)", "LEFT('abc', -1)", "LEFT('abc', 2.9)", "LEFT('abc', 99)",
    "LEFT(NULL, 2)", "LEFT('abc', NULL)", "RIGHT('你好世界', 2)", "RIGHT('abc')", "RIGHT('abc', 0)", "RIGHT('abc', 3)",
    "RIGHT('abc', 5)", "RIGHT('😀ab', 3)", "MID('你好世界', 2, 2)", "MID('abcdef', 0, 3)", "MID('abcdef', 5, 10)",
    "MID('abc', 2, -1)", "MID('abc', NULL, 1)", "FIND('世', '你好世界')", "FIND('x', 'abc')", "FIND('', 'abc')",
    "FIND('b', '😀b')", "FIND(1, 'a1')", "CONTAINS('Hello', 'ell')", "CONTAINS('Hello', 'ELL')",
    "UPPER('abc é 中')", "LOWER('ABC É')", "UPPER(NULL)", "TRIM('  a   b  ')", "TRIM('\u3000a')", "TRIM(NULL)",
    "SUBSTITUTE('a-b-c', '-', '+')", "SUBSTITUTE('a-b-c', '', '+')", "SUBSTITUTE('a-b-c', '-', NULL)",
    "SUBSTITUTE(NULL, '-', '+')", "SUBSTITUTE('$1 $&', '$', '¥$&')", "SUBSTITUTE('中中文', '中', '汉')",
    "TEXT(1234567.891, '#,##0.00')", "TEXT(-0.004, '0.00')", "TEXT(-0.005, '0.00')", "TEXT(0.125, '0%')",
    "TEXT(0.12345, '0.0%')", "TEXT(2.675, '0.00')", "TEXT(1e15, '0')", "TEXT(999999999999999, '#,##0')",
    "TEXT(5, '0.0000000000')", "TEXT(TRUE)", "TEXT(NULL)", "TEXT(NULL, '0.00')", "TEXT(1/3)", "TEXT(-1234.5, '#,##0')",
    "TEXT(TODAY(), 'YYYY年MM月DD日')", "TEXT(NOW(), 'YYYY-MM-DD HH:mm:ss')", "TEXT(TODAY())",
    "DATEADD(TODAY(), 1, 'day')", "DATEADD(TODAY(), -2, 'weeks')", "DATEADD(DATEVALUE('2024-01-31'), 1, 'month')",
    "DATEADD(DATEVALUE('2024-02-29'), 1, 'YEAR')", "DATEADD(DATEVALUE('2024-02-29'), -12, 'months')",
    "DATEADD(DATEVALUE('9999-12-01'), 1, 'month')", "DATEADD(DATEVALUE('0001-01-05'), -1, 'week')",
    "DATEADD(TODAY(), 1.9, 'day')", "DATEADD(TODAY(), NULL, 'day')", "DATEADD(TODAY(), 1e300, 'day')",
    "DATEADD(NOW(), 1, 'month')", "DATEADD(NOW(), -0.5, 'day')",
    "DATEDIF(DATEVALUE('2020-02-29'), DATEVALUE('2021-02-28'), 'year')",
    "DATEDIF(DATEVALUE('2020-02-29'), DATEVALUE('2024-02-29'), 'Y')",
    "DATEDIF(DATEVALUE('2024-01-31'), DATEVALUE('2024-02-29'), 'month')",
    "DATEDIF(DATEVALUE('2024-01-31'), DATEVALUE('2024-03-01'), 'm')",
    "DATEDIF(DATEVALUE('2024-03-01'), DATEVALUE('2024-01-31'), 'day')",
    "DATEDIF(DATEVALUE('2024-01-01'), TODAY(), 'D')", "DATEDIF(NOW(), TODAY(), 'day')",
    "DAYS_SINCE(DATEVALUE('2026-01-01'))", "DAYS_SINCE(NOW())", "DAYS_SINCE(DATEVALUE('2027-01-01'))",
    "YEAR(TODAY())", "MONTH(TODAY())", "DAY(TODAY())", "YEAR(NOW())", "DAY(NOW())", "YEAR(NULL)",
    "WEEKDAY(TODAY())", "WEEKDAY(TODAY(), 1)", "WEEKDAY(TODAY(), 2)", "WEEKDAY(TODAY(), 3)",
    "WEEKDAY(DATEVALUE('2026-11-29'), 1)", "WEEKDAY(DATEVALUE('2026-11-29'))", "WEEKDAY(NOW())",
    "EOMONTH(TODAY(), 0)", "EOMONTH(TODAY(), -1)", "EOMONTH(DATEVALUE('2024-01-15'), 1)",
    "EOMONTH(DATEVALUE('2024-12-15'), 2.7)", "EOMONTH(DATEVALUE('9999-12-15'), 1)", "EOMONTH(NOW(), 0)",
    "DATEVALUE('2024-2-9')", "DATEVALUE('2024/02/09')", "DATEVALUE('2024-02/09')", "DATEVALUE('2023-02-29')",
    "DATEVALUE('0000-01-01')", "DATEVALUE('2024-13-01')", "DATEVALUE(' 2024-01-01')", "DATEVALUE('')",
    "DATEVALUE(NULL)", "FORMAT_DATE(TODAY(), 'YYYY/MM/DD')", "FORMAT_DATE(NOW(), 'HH:mm:ss')",
    "FORMAT_DATE(NOW(), 'YYYYY MMM mm ss%')", "FORMAT_DATE(NULL, 'YYYY')", "FORMAT_DATE(TODAY(), '今天是DD号')",
    "CURRENT_USER()", "CURRENT_USER() = 7", "TODAY()", "NOW()", "NOW() & ''", "TODAY() & ''", "TODAY() - 365",
    "TODAY() = DATEVALUE('2026-11-26')", "NOW() > NOW() - 0.001", "TODAY() + 0.5 = TODAY()",
    "ISBLANK('')", "ISBLANK(0)", "ISBLANK(FALSE)", "ISBLANK(NULL)", "BLANKVALUE('', 'x')", "BLANKVALUE(0, 5)",
    "BLANKVALUE(NULL, NULL)", "AND(TRUE, TRUE, FALSE)", "OR(FALSE, FALSE)", "NOT(NULL)", "IFS(FALSE, 1)",
    "IF(1 > 2, 1)", "IF(TRUE, NULL, 1)", "IF(IF(NULL, TRUE), 'a', 'b')")
add("month_end",
    "DATEADD(paid_on, 1, 'month')", "DATEADD(paid_on, 13, 'month')", "DATEADD(paid_on, -1, 'year')",
    "DATEADD(paid_at, 1, 'month')", "DATEADD(ship_at, 2, 'month')", "DATEDIF(paid_on, due_on, 'day')",
    "DATEDIF(paid_at, due_on, 'month')", "EOMONTH(paid_at, 0)", "EOMONTH(ship_at, 0)", "YEAR(ship_at)",
    "MONTH(ship_at)", "DAY(ship_at)", "WEEKDAY(ship_at)", "ship_at & ''", "FORMAT_DATE(ship_at, 'YYYY-MM-DD HH:mm')",
    "TEXT(ship_at)", "TEXT(paid_at, 'DD日HH时')", "paid_at - ship_at", "TRIM(note)", "LEN(TRIM(note))",
    "MOD(weight, discount)", "MOD(discount, weight)", "FLOOR(weight, discount)", "CEILING(weight / discount)",
    "ROUND(weight / discount, 3)", "TEXT(weight / discount, '0.000')", "weight / discount & ''")
for ctx in ("new_york", "utc"):
    add("dst month_end full",
        "paid_at & ''", "DATEADD(paid_at, 1, 'day')", "DATEADD(ship_at, 1, 'week')", "DATEADD(paid_at, 1, 'month')",
        "DAY(paid_at)", "TODAY()", "NOW()", "TODAY() - paid_on", "DAYS_SINCE(paid_at)", "FORMAT_DATE(ship_at, 'MM-DD HH:mm')",
        "HOUR_LIKE", ctx=ctx)
add("text",
    "note & '！'", "LEN(note)", "LEN(phone)", "LEFT(phone, 1)", "RIGHT(phone, 1)", "MID(phone, 2, 6)",
    "FIND('𠀋', phone)", "UPPER(email)", "LOWER(email)", "UPPER(note)", "SUBSTITUTE(memo, \"'\", '’')",
    "CONTAINS(memo, '&')", "memo & note", "status = '已发货'", "status IN ('已发货', 'paid')", "phone > note",
    "MIN(lines.memo)", "TEXT(weight, '#,##0.00')", "TEXT(amount, '0.00')", "ROUND(amount, 2)", "weight & ''",
    "CONCAT(note, '-', weight)", "TRIM(note)", "LEFT(note, 7) = 'Hello 世'")

# parse errors: code and position (counted in characters)
ERRORS = ["1 +", "(1 + 2", "amount >", "'unclosed", "\"open", "1 # 2", "中文", "😀 + 1", "'😀' + #", "a..b",
          "IF(1, 2", "IF(1 2)", "1e999", "NOT", "x IN 1", "x NOT 1", "1 2", "amount.", "", "   ", "'a' 'b'",
          "SUM(lines.qty", ")", "a = = b", "-" * 60 + "1", "(" * 50 + "1" + ")" * 50, "+".join(["a"] * 60),
          "x" * 4001, "IF(TRUE,)", "f(,)", "1 IN ()", "TRUE AND", "a.b.c.", "1 ¥ 2"]


# ---- evaluation ------------------------------------------------------------------------------------------------
def _forms() -> dict[str, FormDef]:
    return {form["key"]: FormDef.model_validate(form) for form in FORMS}


def _context(name: str) -> EvalContext:
    spec = CTXS[name]
    return EvalContext(now=datetime.fromisoformat(spec["now"]), tz=ZoneInfo(spec["tz"]), user_id=spec["userId"])


def _stored(fields, values: dict, forms: dict[str, FormDef], ctx: EvalContext, system: bool) -> dict:
    """A record as the API hands it out → as the database gives it to the evaluator."""
    by_key = {f.key: f for f in fields}
    record = {}
    for key, value in values.items():
        f = by_key.get(key)
        if f is None and system and key in ("created_at", "updated_at"):
            record[key] = DateTime().coerce(None, value, Context(ctx.tz))
        elif f is None and system and key in ("owner", "created_by"):
            record[key] = record_id(value)  # the database holds the user's id
        elif f is None:
            record[key] = value
        else:
            record[key] = _field_value(f, value, forms, ctx)
    return record


def _field_value(f, value, forms, ctx):
    if value is None:
        return None
    if f.type == "date":
        return parse_date(value)
    if f.type == "datetime":
        return DateTime().coerce(f, value, Context(ctx.tz))
    if f.type == "money" or (f.type == "formula" and f.result == "money"):
        return Decimal(str(value))
    if f.type in ("number", "percent"):
        return float(value)
    if f.type == "relation":
        def linked(item):
            return _stored(forms[f.target].fields, item, forms, ctx, True) if isinstance(item, dict) else item
        return [linked(item) for item in value] if f.many else linked(value)
    if f.type == "subtable":
        return [_stored(f.fields, row, forms, ctx, False) for row in value]
    return value


def encode(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return {"number": "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"}
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, list):
        return [encode(item) for item in value]
    raise TypeError(f"no JSON form for {value!r}")


def build() -> dict:
    forms = _forms()
    scope = Scope(forms, "order")
    cases = []
    for expr, env_names, ctx_name in CASES:
        if expr == "HOUR_LIKE":
            expr = "FORMAT_DATE(DATEADD(paid_at, 1, 'day'), 'YYYY-MM-DD HH:mm:ss')"
        compiled = compile_expression(expr, scope)  # every case is a valid expression: a refusal is a bug here
        ctx = _context(ctx_name)
        for env_name in env_names:
            record = _stored(forms["order"].fields, ENVS[env_name], forms, ctx, True)
            result = compiled.evaluate(record, ctx)
            cases.append({"expr": expr, "env": env_name, "ctx": ctx_name, "result": encode(result)})
    for expr in ERRORS:
        try:
            parse(expr)
        except ExprError as error:
            params = {k: v for k, v in error.params.items() if k in ("expected", "found", "char", "limit")}
            cases.append({"expr": expr, "env": "empty", "ctx": "shanghai",
                          "error": {"code": error.code, "position": error.position, "params": params}})
        else:
            raise AssertionError(f"{expr!r} parses: it belongs with the cases, not the errors")
    return {"forms": FORMS, "form": "order", "ctxs": CTXS, "envs": ENVS, "cases": cases}


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(build()['cases'])} cases)")


if __name__ == "__main__":
    main()
