"""DECIDE in the expression language: checked against the app's decision tables, and the same answers from the
Python evaluator and the SQL compiler (SQLite and PostgreSQL) over real records."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from builder.validate import validate_app
from engines.expr import EvalContext, ExprError, Scope, compile_expression
from engines.problems import ProblemsError
from tests.runtime.expr.lab import Lab, same

TABLES = [
    {"key": "commission_rate", "inputs": ["leader_level", "category"], "outputs": ["rate", "label"],
     "rows": [{"when": ["'gold'", "'fruit'"], "then": [0.12, "金牌水果"]},
              {"when": ["'gold', 'silver'", "-"], "then": [0.08, "金银"]},
              {"when": ["NULL", "!= 'fruit'"], "then": [0.01, None]},
              {"when": ["-", "-"], "then": [0.05, "默认"]}]},
    {"key": "tier", "inputs": ["amount"], "outputs": ["name", "bonus"], "hit": "unique",
     "rows": [{"when": ["< 100"], "then": ["low", 0]}, {"when": ["[100..500)"], "then": ["mid", 10]},
              {"when": ["[500..1e6]"], "then": ["high", 50]}]},
    {"key": "due", "inputs": ["day", "vip"], "outputs": ["urgent"], "input_types": ["date", "bool"],
     "rows": [{"when": ["<= '2024-01-31'", "TRUE"], "then": [True]}, {"when": ["('2024-01-31'..'2024-12-31']", "-"],
                                                                     "then": [False]}]},
    {"key": "labels", "inputs": ["amount", "category"], "outputs": ["tag"], "hit": "collect",
     "rows": [{"when": [">= 100", "-"], "then": ["大单"]}, {"when": ["-", "'fruit'"], "then": ["水果"]},
              {"when": ["> 1000", "-"], "then": ["超大单"]}, {"when": ["-", "-"], "then": [None]}]},
    {"key": "points", "inputs": ["amount", "category"], "outputs": ["n"], "hit": "collect", "aggregate": "sum",
     "rows": [{"when": [">= 100", "-"], "then": [0.1]}, {"when": ["-", "'fruit'"], "then": [0.2]},
              {"when": ["> 1000", "-"], "then": [0.7]}]},
    {"key": "lowest", "inputs": ["amount"], "outputs": ["n"], "hit": "collect", "aggregate": "min",
     "rows": [{"when": [">= 100"], "then": [3]}, {"when": ["> 0"], "then": [5]}, {"when": ["> 1000"], "then": [-1]}]},
    {"key": "hits", "inputs": ["amount"], "outputs": ["n"], "hit": "collect", "aggregate": "count",
     "rows": [{"when": [">= 100"], "then": [3]}, {"when": ["> 0"], "then": [None]}, {"when": ["-"], "then": [1]}]},
]
APP = {
    "format": "nocode.app/v1", "key": "decidelab", "name": "决策表实验",
    "forms": [
        {"key": "leader", "name": "团长", "fields": [{"key": "level", "type": "text"}]},
        {"key": "order", "name": "订单", "fields": [
            {"key": "leader", "type": "relation", "target": "leader"}, {"key": "category", "type": "text"},
            {"key": "amount", "type": "money"}, {"key": "day", "type": "date"}, {"key": "vip", "type": "checkbox"},
            {"key": "tags", "type": "tags"},
            {"key": "lines", "type": "subtable", "fields": [{"key": "qty", "type": "number"},
                                                          {"key": "kind", "type": "text"}]}]},
    ],
    "decision_tables": TABLES,
}
LEADERS = [{"level": "gold"}, {"level": "silver"}, {"level": "bronze"}, {}]
ORDERS = [  # leader by position in LEADERS (None: no leader)
    (0, {"category": "fruit", "amount": 99.99, "day": "2024-01-31", "vip": True,
         "lines": [{"qty": 2, "kind": "fruit"}]}),
    (0, {"category": "rice", "amount": 100, "day": "2024-02-01",
         "lines": [{"qty": 600}, {"qty": 50, "kind": "fruit"}]}),
    (1, {"category": "fruit", "amount": 500, "day": "2023-12-31", "vip": True}),
    (2, {"category": "fruit", "amount": 1000.5, "day": "2025-01-01"}),
    (3, {"category": "rice", "amount": 0}),
    (None, {"category": "fruit", "amount": -5, "vip": True, "day": "2024-12-31"}),
    (None, {}),
    (1, {"category": "fruit", "amount": 5000000}),
]
EXPRESSIONS = [
    "DECIDE('commission_rate', leader.level, category).rate",
    "DECIDE('commission_rate', leader.level, category).label",
    "DECIDE('commission_rate', 'gold', category).rate * amount",
    "DECIDE('tier', amount).name", "DECIDE('tier', amount).bonus + 1",
    "DECIDE('due', day, vip).urgent", "DECIDE('labels', amount, category).tag",
    "DECIDE('points', amount, category).n", "DECIDE('lowest', amount).n", "DECIDE('hits', amount).n",
    "SUM(DECIDE('tier', lines.qty).bonus)", "COUNT(lines) + DECIDE('hits', SUM(lines.qty)).n",
    "IF(DECIDE('tier', amount).name = 'high', 'VIP', DECIDE('commission_rate', leader.level, category).label)",
]
CONDITIONS = [
    "DECIDE('commission_rate', leader.level, category).rate > 0.05", "DECIDE('tier', amount).name = 'mid'",
    "HAS_TAG(DECIDE('labels', amount, category).tag, '水果')", "ISBLANK(DECIDE('labels', amount, category).tag)",
    "DECIDE('due', day, vip).urgent", "NOT DECIDE('due', day, vip).urgent",
    "DECIDE('points', amount, category).n >= 0.3",
]
# the answers themselves, order by order (agreement alone would let both back ends be wrong alike)
EXPECTED = {
    "DECIDE('commission_rate', leader.level, category).rate": [0.12, 0.08, 0.08, 0.05, 0.01, 0.05, 0.01, 0.08],
    "DECIDE('tier', amount).name": ["low", "mid", "high", "high", "low", "low", None, None],
    "DECIDE('due', day, vip).urgent": [True, False, True, None, None, False, None, None],
    "DECIDE('labels', amount, category).tag": [["水果"], ["大单"], ["大单", "水果"], ["大单", "水果", "超大单"], None,
                                               ["水果"], None, ["大单", "水果", "超大单"]],
    "DECIDE('points', amount, category).n": [0.2, 0.1, 0.1 + 0.2, 0.1 + 0.2 + 0.7, 0.0, 0.2, 0.0, 0.1 + 0.2 + 0.7],
    "DECIDE('lowest', amount).n": [5, 3, 3, -1, None, None, None, -1],
    "DECIDE('hits', amount).n": [1, 2, 2, 2, 1, 1, 1, 2],
}


@pytest.fixture
async def lab(database_url):
    lab = await Lab.open(database_url, APP)
    leaders = await lab.insert("leader", *LEADERS)
    await lab.insert("order", *[{**order, "leader": leaders[i] if i is not None else None} for i, order in ORDERS])
    yield lab
    await lab.close()


def _value(v):
    if isinstance(v, str) and v.startswith("["):
        return json.loads(v)  # a gathered list as SQLite hands it back
    return v


def _agree(a, b) -> bool:
    b = _value(b)
    if isinstance(a, list) or isinstance(b, list):
        return a == b
    return same(a, b) and (a is None) == (b is None)


async def test_python_and_sql_agree(lab):
    failures = []
    for text in EXPRESSIONS:
        for i, (python_value, sql_value) in enumerate(await lab.both("order", text)):
            if not _agree(python_value, sql_value):
                failures.append((text, i, python_value, sql_value))
    assert not failures, "\n".join(map(repr, failures))


async def test_filters_keep_the_same_records(lab):
    failures = []
    for text in CONDITIONS:
        python_ids, sql_ids = await lab.where("order", text)
        if python_ids != sql_ids:
            failures.append((text, python_ids, sql_ids))
    assert not failures, "\n".join(map(repr, failures))


async def test_the_answers_are_the_tables_ones(lab):
    for text, values in EXPECTED.items():
        got = [python for python, _ in await lab.both("order", text)]
        assert len(got) == len(values)
        for g, v in zip(got, values):
            assert (g is None and v is None) or g == v or same(g, v), (text, got)


def _scope() -> Scope:
    app = validate_app(APP)
    return Scope({f.key: f for f in app.forms}, "order")


@pytest.mark.parametrize("text, code, position", [
    ("DECIDE('tier', amount)", "expr_decide_needs_output", 22),
    ("DECIDE('tier', amount).nope", "expr_unknown_output", 23),
    ("DECIDE('nope', amount).x", "expr_unknown_decision", 7),
    ("DECIDE(category, amount).name", "expr_decide_table", 7),
    ("DECIDE('tier', category).name", "expr_arg_type", 15),
    ("DECIDE('tier').name", "expr_arg_count", 0),
    ("DECIDE('due', amount, vip).urgent", "expr_arg_type", 14),
    ("DECIDE('tier', lines.qty).name", "expr_rows_outside_aggregate", 15),
    ("ROUND(amount).x", "expr_no_parts", 13),
    ("DECIDE('tier', amount).name + 1", "expr_operand_type", 0),
])
def test_mistakes_are_refused_with_their_place(text, code, position):
    with pytest.raises(ExprError) as caught:
        compile_expression(text, _scope())
    assert (caught.value.code, caught.value.position) == (code, position)


def test_types_follow_the_outputs():
    scope = _scope()
    kinds = {text: compile_expression(text, scope).type.kind for text in [
        "DECIDE('tier', amount).name", "DECIDE('tier', amount).bonus", "DECIDE('due', day, vip).urgent",
        "DECIDE('labels', amount, category).tag", "DECIDE('points', amount, category).n"]}
    assert list(kinds.values()) == ["text", "number", "bool", "list", "number"]


def test_a_table_without_rows_that_fit_gives_empty_in_python():
    ctx = EvalContext(now=datetime(2026, 1, 1, tzinfo=timezone.utc), tz=timezone.utc)
    compiled = compile_expression("DECIDE('due', day, vip).urgent", _scope())
    assert compiled.evaluate({"day": date(2024, 1, 1), "vip": True}, ctx) is True
    assert compiled.evaluate({"day": date(2030, 1, 1), "vip": True}, ctx) is None


def test_publish_checks_decide_in_formulas_and_keeps_it_out_of_linkage():
    app = json.loads(json.dumps(APP))
    order = app["forms"][1]
    order["fields"].append({"key": "rate", "type": "formula", "expr": "DECIDE('commission_rate', category).rate"})
    order["linkage"] = [{"when": "DECIDE('tier', amount).name = 'high'", "show": ["day"]}]
    with pytest.raises(ProblemsError) as caught:
        validate_app(app)
    found = {(p.path, p.code) for p in caught.value.problems}
    assert ("/forms/1/linkage/0/when", "linkage_server_only") in found
    del order["linkage"]
    with pytest.raises(ProblemsError) as caught:
        validate_app(app)
    assert [(p.path, p.code, p.params["position"]) for p in caught.value.problems] == [
        ("/forms/1/fields/7/expr", "expr_arg_count", 0)]
    order["fields"][-1]["expr"] = "DECIDE('commission_rate', leader.level, category).rate"
    published = validate_app(app)
    assert published.forms[1].field("rate").result == "number"
