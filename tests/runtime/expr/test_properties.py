"""Property test: for generated well-typed expressions over generated records (with empty values), the Python
back end and the SQL back end give the same answer on SQLite and on PostgreSQL — values compared with `same`,
conditions by the records a filter keeps (Lab.where).

The database is built once per dialect; each example clears the form, writes its records through the real write
path and evaluates a few expressions both ways. Hypothesis drives a plain (sync) test; the async Lab lives on one
event loop in a worker thread for the whole run, so the engine and its connections are reused between examples.

Generator restrictions (each a known, documented difference rather than a bug):
- Numbers turned into text (`&`) are exact binary fractions of modest size (integers and halves, no division,
  no AVG, no date-time differences): SQLite prints reals with 15 significant digits, Python and PostgreSQL
  with 17, and PostgreSQL switches to exponents from 1e15 on.
- Numbers added to dates and date-times are small (fields and literals, at most one operator), so no date
  leaves the calendar: Python raises OverflowError past year 9999 and PostgreSQL "date out of range".
- Date-times are added only whole or half days (exact in every back end); SQLite's julianday keeps
  milliseconds only, so `same` allows 2 ms and no date-time arithmetic result is compared for equality.
- Text values are non-blank: the write path stores blank text as empty (NULL), so '' never reaches a record.
"""
from __future__ import annotations

import asyncio
import os
import threading
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete

from tests.runtime.expr.lab import Lab, same

APP = {
    "format": "nocode.app/v1", "key": "props", "name": "Properties",
    "forms": [
        {"key": "partner", "name": "伙伴", "title_field": "name", "fields": [
            {"key": "name", "type": "text"}, {"key": "score", "type": "number"}]},
        {"key": "item", "name": "条目", "fields": [
            {"key": "n", "type": "number"}, {"key": "m", "type": "money"}, {"key": "t", "type": "text"},
            {"key": "s", "type": "select", "options": ["a", "b", "c"]},
            {"key": "d", "type": "date"}, {"key": "dt", "type": "datetime"}, {"key": "c", "type": "checkbox"},
            {"key": "r", "type": "relation", "target": "partner"}, {"key": "tg", "type": "tags"},
            {"key": "friends", "type": "relation", "target": "partner", "many": True},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "q", "type": "number"}, {"key": "p", "type": "money"}]}]},
    ],
}
PARTNERS = [{"name": "Ann", "score": 2}, {"name": "bob", "score": None}, {"name": "Émile", "score": -1.5},
            {"name": None, "score": 0}]
EXAMPLES = int(os.environ.get("NOCODE_PROPERTY_EXAMPLES", "150"))  # ~6 s a database; thousands find more


# ---- records ---------------------------------------------------------------------------------------------------
halves = st.integers(-40, 40).map(lambda k: k / 2)
small_numbers = st.one_of(st.none(), st.integers(-20, 20).map(float), halves)
texts = st.sampled_from(["a", "b", "B", "ab", "a b", "é", "中文", "it's", "10", "Z", "_"])
days = st.integers(-6, 6).map(lambda k: (date(2026, 11, 26) + timedelta(days=k)).isoformat())
# Wall-clock times in Shanghai on a half-hour grid around Lab.NOW (2026-11-26 10:30 there).
moments = st.tuples(st.integers(-3, 3), st.integers(0, 47)).map(
    lambda p: (datetime(2026, 11, 26) + timedelta(days=p[0], minutes=30 * p[1])).isoformat())


def maybe(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def record(draw, partner_ids):
    return {
        "n": draw(small_numbers), "m": draw(small_numbers), "t": draw(maybe(texts)),
        "s": draw(maybe(st.sampled_from(["a", "b", "c"]))), "d": draw(maybe(days)), "dt": draw(maybe(moments)),
        "c": draw(st.sampled_from([None, True, False])), "r": draw(maybe(st.sampled_from(partner_ids))),
        "tg": draw(st.lists(st.sampled_from(["x", "y", "中"]), max_size=2, unique=True)),
        "friends": draw(st.lists(st.sampled_from(partner_ids), max_size=3, unique=True)),
        "lines": draw(st.lists(st.fixed_dictionaries({"q": small_numbers, "p": small_numbers}), max_size=3)),
    }


# ---- expressions -------------------------------------------------------------------------------------------------
# Every generator returns text that type-checks; operands are parenthesized, so precedence is not under test here.
EXACT_ATOMS = ["n", "m", "r.score", "COUNT(lines)", "COUNT(lines.q)", "SUM(lines.q)", "SUM(lines.p)",
               "MIN(lines.q)", "MAX(lines.p)", "SUM(lines.q * lines.p)", "COUNT(friends)", "SUM(friends.score)",
               "MAX(friends.score)", "COUNT(lines.q > 1)", "SUM(-lines.q)", "SUM(lines.q + m)",
               "SUM(lines.p * COUNT(friends))", "MAX(friends.score * n)", "SUM(SUM(lines.p) * lines.q)", "NULL"]
ROUGH_ATOMS = ["SUM(lines.q / SUM(lines.q))", "AVG(lines.q)", "AVG(lines.p)", "AVG(friends.score)", "dt - NOW()",
               "NOW() - dt"]
TEXT_ATOMS = ["t", "s", "r.name", "MIN(friends.name)", "MAX(friends.name)", "NULL"]
BOOL_ATOMS = ["c", "TRUE", "FALSE", "NULL", "r.score > 1", "HAS_TAG(tg, 'x')", "ISBLANK(tg)", "tg = tg"]
DATE_ATOMS = ["d", "TODAY()", "NULL"]
DATETIME_ATOMS = ["dt", "NOW()", "NULL"]
REF_ATOMS = ["r", "NULL", "CURRENT_USER()"]
LITERAL_TEXTS = ["'a'", "'B'", "''", "'é'", "'it''s'", "\"10\"", "'Z'"]
KINDS = ["number", "text", "bool", "date", "datetime", "ref"]
MAX_DEPTH = 3


def number_literal(value: float) -> str:
    text = str(int(value)) if value.is_integer() else str(value)
    return f"({text})" if value < 0 else text


def p(text: str) -> str:
    return f"({text})"


@st.composite
def number(draw, depth=0, exact=False):
    """A number expression; `exact` ones are integers or halves (safe to print as text on every back end)."""
    leaf = depth >= MAX_DEPTH or draw(st.integers(0, 2)) == 0
    if leaf:
        pool = EXACT_ATOMS if exact else EXACT_ATOMS + ROUGH_ATOMS
        return draw(st.one_of(st.sampled_from(pool), halves.map(number_literal)))
    forms = ["+", "-", "*", "neg", "if", "blank", "datediff"] + ([] if exact else ["/", "ifs"])
    form = draw(st.sampled_from(forms))
    sub = number(depth + 1, exact)
    if form in ("+", "-", "*", "/"):
        return f"{p(draw(sub))} {form} {p(draw(sub))}"
    if form == "neg":
        return f"-{p(draw(sub))}"
    if form == "if":
        return f"IF({draw(condition(depth + 1))}, {draw(sub)}, {draw(sub)})"
    if form == "ifs":
        return f"IFS({draw(condition(depth + 1))}, {draw(sub)}, {draw(condition(depth + 1))}, {draw(sub)})"
    if form == "blank":
        return f"BLANKVALUE({draw(sub)}, {draw(sub)})"
    return f"{p(draw(day(depth + 1)))} - {p(draw(day(depth + 1, nullable=False)))}"  # days between dates


@st.composite
def text(draw, depth=0):
    leaf = depth >= MAX_DEPTH or draw(st.integers(0, 2)) == 0
    if leaf:
        return draw(st.sampled_from(TEXT_ATOMS + LITERAL_TEXTS))
    form = draw(st.sampled_from(["&", "&", "if", "blank"]))
    if form == "&":
        kind = draw(st.sampled_from(KINDS))
        other = draw(printable(kind, depth + 1))
        parts = [draw(text(depth + 1)), other]
        if draw(st.booleans()):
            parts.reverse()
        return " & ".join(p(part) for part in parts)
    if form == "if":
        return f"IF({draw(condition(depth + 1))}, {draw(text(depth + 1))}, {draw(text(depth + 1))})"
    # Only values that are never '' come first: BLANKVALUE('', x) is x in Python but '' in SQL (COALESCE), see
    # engines/expr/functions/logic.py; a stored text is never '' (the write path keeps blank text as empty).
    first = draw(st.sampled_from([a for a in TEXT_ATOMS + LITERAL_TEXTS if a != "''"]))
    return f"BLANKVALUE({first}, {draw(text(depth + 1))})"


def printable(kind: str, depth: int):
    """Values that `&` turns into text the same way on every back end."""
    return number(depth, exact=True) if kind == "number" else expression(kind, depth)


@st.composite
def day(draw, depth=0, nullable=True):
    """A date; not `nullable` where it is an operand of date arithmetic, since a bare NULL there would make
    the whole expression a number (NULL + 1) or a date (d - NULL) instead."""
    leaf = depth >= MAX_DEPTH or draw(st.integers(0, 2)) == 0
    if leaf:
        return draw(st.sampled_from(DATE_ATOMS if nullable else DATE_ATOMS[:-1]))
    form = draw(st.sampled_from(["+", "-", "if"]))
    if form == "if":
        sub = day(depth + 1, nullable)
        return f"IF({draw(condition(depth + 1))}, {draw(sub)}, {draw(sub)})"
    return f"{p(draw(day(depth + 1, nullable=False)))} {form} {p(draw(small_offset()))}"


@st.composite
def moment(draw, depth=0, nullable=True):
    leaf = depth >= MAX_DEPTH or draw(st.integers(0, 2)) == 0
    if leaf:
        return draw(st.sampled_from(DATETIME_ATOMS if nullable else DATETIME_ATOMS[:-1]))
    form = draw(st.sampled_from(["+", "-", "if"]))
    if form == "if":
        sub = moment(depth + 1, nullable)
        return f"IF({draw(condition(depth + 1))}, {draw(sub)}, {draw(sub)})"
    offset = draw(st.one_of(halves.map(number_literal), st.sampled_from(["n", "m", "COUNT(lines)", "r.score"])))
    return f"{p(draw(moment(depth + 1, nullable=False)))} {form} {p(offset)}"


def small_offset():
    """Days to add to a date: small, so the result stays a real date (fractions are cut toward zero)."""
    atom = st.one_of(st.sampled_from(["n", "m", "COUNT(lines)", "SUM(lines.q)", "r.score", "NULL", "1.5"]),
                     halves.map(number_literal))
    return st.one_of(atom, st.tuples(atom, st.sampled_from(["+", "-", "*"]), atom)
                     .map(lambda t: f"{p(t[0])} {t[1]} {p(t[2])}"))


@st.composite
def reference(draw, depth=0):
    if depth >= MAX_DEPTH or draw(st.booleans()):
        return draw(st.sampled_from(REF_ATOMS))
    return f"IF({draw(condition(depth + 1))}, {draw(reference(depth + 1))}, {draw(reference(depth + 1))})"


@st.composite
def condition(draw, depth=0):
    leaf = depth >= MAX_DEPTH or draw(st.integers(0, 2)) == 0
    if leaf:
        return draw(st.sampled_from(BOOL_ATOMS))
    form = draw(st.sampled_from(["compare", "compare", "compare", "and", "or", "not", "AND()", "OR()", "NOT()",
                                 "in", "blank", "if", "if2", "tag"]))
    sub = condition(depth + 1)
    if form == "compare":
        kind = draw(st.sampled_from(KINDS))
        ops = ["=", "!=", "<>"] + ([] if kind == "bool" else ["<", "<=", ">", ">="])
        left, right = draw(expression(kind, depth + 1)), draw(expression(kind, depth + 1))
        return f"{p(left)} {draw(st.sampled_from(ops))} {p(right)}"
    if form in ("and", "or"):
        return f"{p(draw(sub))} {form.upper()} {p(draw(sub))}"
    if form == "not":
        return f"NOT {p(draw(sub))}"
    if form in ("AND()", "OR()"):
        return f"{form[:-2]}({', '.join(draw(st.lists(sub, min_size=1, max_size=3)))})"
    if form == "NOT()":
        return f"NOT({draw(sub)})"
    if form == "in":
        kind = draw(st.sampled_from(["number", "text", "date", "datetime", "ref"]))
        subject = draw(expression(kind, depth + 1))
        options = draw(st.lists(expression(kind, MAX_DEPTH), min_size=1, max_size=3))
        negated = draw(st.booleans())
        return f"{p(subject)} {'NOT IN' if negated else 'IN'} ({', '.join(options)})"
    if form == "blank":
        return f"ISBLANK({draw(expression(draw(st.sampled_from(KINDS)), depth + 1))})"
    if form == "if":
        return f"IF({draw(sub)}, {draw(sub)}, {draw(sub)})"
    if form == "tag":
        return f"HAS_TAG(tg, {draw(text(depth + 1))})"
    return f"IF({draw(sub)}, {draw(sub)})"  # empty when the condition fails: a condition that may be empty


def expression(kind: str, depth: int = 0):
    return {"number": number(depth), "text": text(depth), "bool": condition(depth), "date": day(depth),
            "datetime": moment(depth), "ref": reference(depth)}[kind]


any_expression = st.sampled_from(KINDS).flatmap(lambda kind: expression(kind).map(lambda e: (kind, e)))


# ---- the lab on a loop of its own ------------------------------------------------------------------------------
class CachedLab(Lab):
    """The Lab, with the published schema loaded once (the app never changes during the run)."""

    _schema = None

    async def schema(self, conn):
        if self._schema is None:
            self._schema = await super().schema(conn)
        return self._schema

    async def clear(self, form: str) -> None:
        async with self.engine.begin() as conn:
            store = (await self.schema(conn)).forms[form]
            for field in store.fields.values():
                if field.link is not None:
                    await conn.execute(delete(field.link))
                if field.child is not None:
                    await conn.execute(delete(field.child.table))
            await conn.execute(delete(store.table))


class Background:
    """An event loop in a worker thread; run() hands it a coroutine and waits for the answer."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@pytest.fixture
def lab(database_url):
    background = Background()
    lab = background.run(CachedLab.open(database_url, APP))
    partner_ids = background.run(lab.insert("partner", *PARTNERS))
    try:
        yield background, lab, partner_ids
    finally:
        background.run(lab.close())
        background.close()


PARTNER_IDS = [1, 2, 3, 4]  # the ids PARTNERS get in a fresh database (checked in the test)


async def check_example(lab: CachedLab, records: list[dict], expressions: list[tuple[str, str]]) -> None:
    await lab.clear("item")
    ids = await lab.insert("item", *records)
    for kind, text in expressions:
        for (python_value, sql_value), record_id in zip(await lab.both("item", text), ids):
            assert same(python_value, sql_value), (text, records[ids.index(record_id)], python_value, sql_value)
        if kind == "bool":
            python_ids, sql_ids = await lab.where("item", text)
            assert python_ids == sql_ids, (text, records, python_ids, sql_ids)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(records=st.lists(record(PARTNER_IDS), min_size=1, max_size=4),
       expressions=st.lists(any_expression, min_size=1, max_size=4))
def test_python_and_sql_agree_on_generated_expressions(lab, records, expressions):
    background, lab_, partner_ids = lab
    assert partner_ids == PARTNER_IDS
    background.run(check_example(lab_, records, expressions))
