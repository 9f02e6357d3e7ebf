"""Hostile input: whatever text arrives, parse() and compile_expression() answer with a tree or an ExprError —
never another exception, never a RecursionError — and what compiles also evaluates (Python) and compiles to SQL
for both databases without raising."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from engines.expr import ExprError, compile_expression, parse
from engines.expr.parser import MAX_DEPTH, MAX_LENGTH
from engines.form.fields import field_type
from runtime.tables import SQL_TYPES
from tests.engines.expr.conftest import FORMS, NOW, SHANGHAI

from engines.expr import EvalContext, Scope

SCOPE = Scope(FORMS, "order")
CTX = EvalContext(now=NOW, tz=SHANGHAI, user_id=7)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class FakeTables:
    """engines.expr.sql.Tables over tables made from the form definitions, for compiling SQL without a database."""

    def __init__(self, scope: Scope):
        self.metadata, self.tables, self.links = MetaData(), {}, {}
        for key, form in scope.forms.items():
            name = key.replace(".", "__")
            columns = [Column("id", Integer, primary_key=True), Column("parent_id", Integer),
                       Column("created_at", DateTime), Column("updated_at", DateTime), Column("created_by", Integer),
                       Column("owner", Integer), Column("version", Integer)]
            for f in form.fields:
                storage = field_type(f.type).storage
                if storage:
                    columns.append(Column(f"c_{f.key}", SQL_TYPES[storage]()))
                if f.type == "relation" and getattr(f, "many", False):
                    self.links[(key, f.key)] = Table(f"l_{name}_{f.key}", self.metadata, Column("source_id", Integer),
                                                     Column("target_id", Integer))
            self.tables[key] = Table(name, self.metadata, *columns)

    def table(self, form):
        return self.tables[form]

    def column_name(self, form, field):
        return f"c_{field}"

    def link(self, form, field):
        return self.links[(form, field)]


TABLES = FakeTables(SCOPE)
RECORDS = [
    {},  # every field empty
    {"customer": {"id": 3, "name": "张三", "leader": {"id": 1, "name": "王姐", "level": "gold"}, "vip": True,
                  "tags": ["VIP"]},
     "gifts": [{"id": 1, "name": "荔枝", "price": Decimal("59.90")}, 2], "status": "paid", "amount": Decimal("100.00"),
     "weight": 2.5, "rate": 15.0, "paid_on": date(2026, 11, 20), "due_on": date(2026, 12, 1),
     "paid_at": datetime(2026, 11, 20, 2, 15), "note": "加急", "vip": False, "tags": ["a", "b"], "phone": "13800000000",
     "lines": [{"product": {"id": 1, "price": Decimal("59.90")}, "qty": 2.0, "price": Decimal("59.90"), "memo": "x",
                "gift": True}, {"product": 2, "qty": None, "price": None}],
     "id": 9, "owner": 7, "created_by": 7, "created_at": datetime(2026, 11, 1), "updated_at": datetime(2026, 11, 2),
     "version": 1},
    {"customer": 4, "amount": Decimal("0"), "weight": 0.0, "lines": [], "gifts": []},
]

TOKENS = ["(", ")", ",", ".", "'", '"', "''", "\\", "+", "-", "*", "/", "&", "=", "==", "!=", "<>", "<", "<=", ">",
          ">=", "AND", "OR", "NOT", "IN", "TRUE", "FALSE", "NULL", "and", "not", "0", "1", ".5", "1e3", "1e999",
          "2.5", "'a'", "''", '"b"', "'it''s'", "amount", "weight", "rate", "note", "status", "vip", "tags",
          "paid_on", "due_on", "paid_at", "customer", "customer.name", "customer.leader.level", "customer.vip",
          "lines", "lines.qty", "lines.price", "lines.product.price", "lines.memo", "gifts", "gifts.price", "id",
          "owner", "created_at", "phone", "name", "qty", "SUM(", "COUNT(", "AVG(", "MIN(", "MAX(", "IF(", "IFS(",
          "AND(", "OR(", "NOT(", "ISBLANK(", "BLANKVALUE(", "HAS_TAG(", "TODAY()", "NOW()", "CURRENT_USER()",
          "FOO(", "#", "；", "　", "中", " "]
token_text = st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join) | \
    st.lists(st.sampled_from(TOKENS), max_size=25).map("".join)

LEAVES = ["amount", "weight", "rate", "note", "status", "vip", "tags", "paid_on", "due_on", "paid_at", "customer",
          "customer.name", "customer.leader", "customer.leader.level", "customer.vip", "customer.tags", "lines",
          "lines.qty", "lines.price", "lines.memo", "lines.gift", "lines.product", "lines.product.price", "gifts",
          "gifts.price", "gifts.name", "id", "owner", "created_at", "version", "phone", "0", "1", "-1", "2.5", ".5",
          "1e3", "1e999", "'a'", "''", "'中文'", "TRUE", "FALSE", "NULL", "TODAY()", "NOW()", "CURRENT_USER()"]
FUNCTIONS = ["SUM", "COUNT", "AVG", "MIN", "MAX", "IF", "IFS", "AND", "OR", "NOT", "ISBLANK", "BLANKVALUE", "HAS_TAG"]
OPERATORS = ["+", "-", "*", "/", "&", "=", "!=", "<", "<=", ">", ">=", "AND", "OR"]


def _extend(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["-", "NOT ", ""]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.booleans(), st.lists(inner, min_size=1, max_size=3))
        .map(lambda t: f"{t[0]} {'NOT IN' if t[1] else 'IN'} ({', '.join(t[2])})"),
        st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
    )


# Syntactically valid text, mostly ill-typed: what reaches the checker and, when it passes, both back ends.
grammar_text = st.recursive(st.sampled_from(LEAVES), _extend, max_leaves=12)


def compile_everything(text: str) -> None:
    """Parse, check, then run what compiled: Python over a few records, SQL for both dialects."""
    try:
        compiled = compile_expression(text, SCOPE)
    except ExprError as e:
        assert 0 <= e.position <= len(text), (text, e.code, e.position)
        assert e.problem("/x").message("zh-CN") and e.problem("/x").message("en")
        return
    for record in RECORDS:
        compiled.evaluate(record, CTX)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        column = compiled.sql(TABLES, CTX, dialect.name, "order", typed=True)
        select(column).select_from(TABLES.table("order")).compile(dialect=dialect)


@FUZZ
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_expr_error(text):
    try:
        parse(text)
    except ExprError as e:
        assert 0 <= e.position <= len(text)


@FUZZ
@given(token_text)
def test_token_soup_compiles_or_raises_expr_error(text):
    compile_everything(text)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grammar_text)
def test_grammatical_text_compiles_runs_or_raises_expr_error(text):
    compile_everything(text)


@FUZZ
@given(st.text(alphabet="()+-*/&=<>!,.'\" aANDORTxy1", max_size=60))
def test_operator_soup_parses_or_raises_expr_error(text):
    try:
        parse(text)
    except ExprError:
        pass


NESTINGS = {
    "parentheses": lambda n: "(" * n + "1" + ")" * n,
    "unary minus": lambda n: "-" * n + "1",
    "NOT": lambda n: "NOT " * n + "TRUE",
    "functions": lambda n: "IF(TRUE, " * n + "1" + ", 2)" * n,
    "sum chain": lambda n: "+".join(["1"] * n),
    "concat chain": lambda n: " & ".join(["note"] * n),
    "AND chain": lambda n: " AND ".join(["vip"] * n),
    "comparison chain": lambda n: " = ".join(["vip"] * n),
    "date chain": lambda n: "paid_on" + " + 1" * n,
    "datetime chain": lambda n: "paid_at" + " - 0.5" * n,
    "right-nested": lambda n: "1 + (" * n + "1" + ")" * n,
}


@FUZZ
@given(st.sampled_from(sorted(NESTINGS)), st.integers(MAX_DEPTH + 1, 2000))
def test_deep_input_is_refused_as_too_deep_not_recursion(shape, n):
    text = NESTINGS[shape](n)
    assume(len(text) <= MAX_LENGTH)
    with pytest.raises(ExprError) as info:
        compile_expression(text, SCOPE)
    assert info.value.code == "expr_too_deep", (shape, n)
    assert info.value.params["limit"] == MAX_DEPTH


@pytest.mark.parametrize("shape", sorted(NESTINGS))
def test_nesting_up_to_the_limit_compiles_evaluates_and_becomes_sql(shape):
    """The deepest accepted tree of each shape must not exhaust Python's stack anywhere downstream (SQLAlchemy's
    compiler recurses several frames per level)."""
    deepest = max(n for n in range(1, MAX_DEPTH + 1) if _accepted(NESTINGS[shape](n)))
    assert deepest >= MAX_DEPTH // 3, shape
    compile_everything(NESTINGS[shape](deepest))


def _accepted(text: str) -> bool:
    try:
        parse(text)
        return True
    except ExprError:
        return False


def test_too_long_is_refused_before_anything_else():
    with pytest.raises(ExprError) as info:
        parse("(" * (MAX_LENGTH + 1))
    assert (info.value.code, info.value.position, info.value.params["limit"]) == ("expr_too_long", 0, MAX_LENGTH)
    parse("1" + " " * (MAX_LENGTH - 1))  # exactly at the limit is fine


def test_many_parts_are_refused_as_too_costly():
    with pytest.raises(ExprError) as info:
        compile_expression("1 IN (" + ",".join(["1"] * 1000) + ")", SCOPE)
    assert info.value.code == "expr_too_costly"
