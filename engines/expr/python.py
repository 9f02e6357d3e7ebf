"""Back end (a): a checked expression → a tree of Python closures, built once and called per record.

A record is a mapping of field key → value as stored (numbers as float or Decimal, dates as date,
date-times as naive UTC). A relation is the linked record's id, or the linked record itself (a mapping
with "id") when the expression reads through it; a sub-table is a list of row mappings; a many-relation
a list of ids or records.

Empty values (None): arithmetic with an empty value is empty; comparisons are never empty — `=` and
`!=` treat two empties as equal, and <, <=, >, >= with an empty side are false; & treats empty as "".
A condition that is empty all the same (NULL, an IF without its else) counts as false: NOT makes it true,
AND and OR read it as false, IF takes the else branch. `x IN (…)` is false for an empty x (NOT IN true), and an
empty option matches nothing.

Inside an aggregate, the rows' fields come from the row and every other name from the record that owns the
rows: `SUM(lines.qty * discount)`. `&` writes numbers without a needless ".0", dates as YYYY-MM-DD and
date-times as the wall-clock time in the deployment's zone, to the second (as the SQL back end does).
A date moved off the calendar (past year 9999) is empty here and on SQLite; PostgreSQL refuses the query.
The SQL back end (engines.expr.sql) follows every rule above; tests/runtime/expr/test_properties.py holds it
to them on generated expressions and records.
"""
from __future__ import annotations

import math
import operator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

from engines.expr.ast import Binary, Call, In, Literal, Member, Name, Node, Unary, reads_fields
from engines.expr.functions.base import EvalContext

PyFn = Callable[[Any, EvalContext], Any]
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def number(value):
    return float(value) if isinstance(value, Decimal) else value


def ref_id(value):
    return value.get("id") if isinstance(value, dict) else value


def text_of(value, tz=None) -> str:
    """A value as `&` joins it. Given the deployment's zone, a date-time is written as its wall-clock time there
    to the second, as the SQL back end writes it (stored date-times are naive UTC)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        from engines.expr.functions.text import number_text  # numbers read as CONCAT and TEXT write them

        return number_text(value)
    if isinstance(value, datetime) and tz is not None:
        return value.replace(tzinfo=timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def equal(a, b) -> bool:
    a, b = number(ref_id(a)), number(ref_id(b))
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list) or isinstance(b, list):
        return list(a or []) == list(b or [])
    return a == b


class _Row:
    """What an aggregate's per-row expression sees: the row it is on and the record that owns the rows, so
    `SUM(lines.qty * discount)` reads qty from the row and discount from the record (as the SQL does)."""
    __slots__ = ("record", "row")

    def __init__(self, record, row):
        self.record, self.row = record, row


class PythonCompiler:
    def __init__(self):
        self.row_source: str | None = None  # inside an aggregate: the collection whose rows we are on

    def compile(self, node: Node) -> PyFn:
        function = getattr(self, "_" + type(node).__name__.lower())(node)
        if isinstance(node, Literal) or reads_fields(node):
            return function
        return _once_per_context(function)  # TODAY() - 365, CURRENT_USER(): the same for every record

    def _literal(self, node: Literal) -> PyFn:
        value = node.value
        return lambda env, ctx: value

    def _name(self, node: Name) -> PyFn:
        steps = node.steps
        if node.type.is_rows and self.row_source == node.type.source:
            # inside an aggregate: read from the current row; the collection step is where rows begin
            first = next(i for i, s in enumerate(steps) if s.kind in ("subtable", "many"))
            on_row = _reader(steps[first + 1:], row=True)

            def read(env, ctx):
                return on_row(env.row, ctx)
        elif self.row_source is not None:  # inside an aggregate, a value of the record itself
            on_record = _reader(steps, row=False)

            def read(env, ctx):
                return on_record(env.record, ctx)
        else:
            read = _reader(steps, row=False)
        if (node.type.item or node.type).kind == "bool":  # an unticked checkbox is false, never empty
            return lambda env, ctx: bool(read(env, ctx))
        return read

    def _unary(self, node: Unary) -> PyFn:
        operand = self.compile(node.operand)
        if node.op == "NOT":
            return lambda env, ctx: not operand(env, ctx)

        def negate(env, ctx):
            value = number(operand(env, ctx))
            return None if value is None else -value
        return negate

    def _binary(self, node: Binary) -> PyFn:
        op = node.op
        fast = self._field_against_literal(node)
        if fast is not None:
            return fast
        if op not in ("AND", "OR"):
            left, right = self.compile(node.left), self.compile(node.right)
        if op in ("AND", "OR"):  # a chain a AND b AND c… runs in one loop, not one call per operator
            parts = [self.compile(part) for part in _chain(node, op)]
            if op == "AND":
                return lambda env, ctx: all(part(env, ctx) for part in parts)
            return lambda env, ctx: any(part(env, ctx) for part in parts)
        if op == "=":
            return lambda env, ctx: equal(left(env, ctx), right(env, ctx))
        if op == "!=":
            return lambda env, ctx: not equal(left(env, ctx), right(env, ctx))
        if op in _ORDER:
            compare = _ORDER[op]

            def ordered(env, ctx):
                a, b = number(ref_id(left(env, ctx))), number(ref_id(right(env, ctx)))
                if a is None or b is None:
                    return False
                return compare(a, b)
            return ordered
        if op == "&":
            return lambda env, ctx: text_of(left(env, ctx), ctx.tz) + text_of(right(env, ctx), ctx.tz)
        kinds = (node.left.type.item or node.left.type).kind, (node.right.type.item or node.right.type).kind
        return _arithmetic(op, kinds, left, right)

    def _field_against_literal(self, node: Binary) -> PyFn | None:
        """`amount > 100`, `status = 'paid'`: one dictionary read and one comparison, the same rules as the
        general path (empty is equal only to empty; ordering with an empty side is false)."""
        if node.op not in ("=", "!=", *_ORDER) or self.row_source is not None:
            return None
        field, value, op = node.left, node.right, node.op
        if isinstance(field, Literal):
            field, value = value, field
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if not (isinstance(field, Name) and not reads_fields(value) and len(field.steps) == 1
                and field.steps[0].kind in ("value", "system")
                and field.type.kind in ("number", "text", "date", "datetime")):
            return None
        key = field.steps[0].field
        constant, value_of = None, None
        if isinstance(value, Literal) and value.value is not None:
            constant = value.value
        else:  # TODAY() - 365 and the like: computed once per context
            value_of = self.compile(value)
        if op in ("=", "!="):
            negate = op == "!="

            def same(env, ctx):
                stored, wanted = env.get(key), constant if value_of is None else number(value_of(env, ctx))
                if stored is None or wanted is None:
                    return (stored is None and wanted is None) != negate
                return (number(stored) == wanted) != negate
            return same
        compare = _ORDER[op]

        def ordered(env, ctx):
            stored, wanted = env.get(key), constant if value_of is None else number(value_of(env, ctx))
            return stored is not None and wanted is not None and compare(number(stored), wanted)
        return ordered

    def _in(self, node: In) -> PyFn:
        subject = self.compile(node.subject)
        negated = node.negated
        if all(isinstance(o, Literal) and o.value is not None for o in node.options):
            choices = frozenset(node.options[i].value for i in range(len(node.options)))  # one set test per record

            def among(env, ctx):
                value = number(ref_id(subject(env, ctx)))
                return negated if value is None else (value in choices) != negated
            return among
        options = [self.compile(o) for o in node.options]

        def contains(env, ctx):
            value = subject(env, ctx)
            found = value is not None and any(equal(value, option(env, ctx)) for option in options)
            return found != negated if value is not None else negated
        return contains

    def _member(self, node: Member) -> PyFn:
        return self.compile(node.subject)  # the call computes the part it was checked for

    def _call(self, node: Call) -> PyFn:
        function = node.function
        if not function.aggregate:
            return function.compile_python(node, [self.compile(arg) for arg in node.args])
        arg = node.args[0]
        source = arg.type.source
        outer, self.row_source = self.row_source, source
        try:
            per_row = self.compile(arg)
        finally:
            self.row_source = outer
        collection = _collection(arg, source)
        bare = isinstance(arg, Name) and arg.path == tuple(source.split("."))
        nested = self.row_source is not None  # inside another aggregate: env is a _Row

        def aggregate(env, ctx):
            record = env.record if nested else env
            items = collection(record, ctx) or []
            values = [1 if bare else number(per_row(_Row(record, item), ctx)) for item in items]
            return function.reduce(values)
        return aggregate


def _chain(node: Node, op: str) -> list[Node]:
    """The operands of a run of one operator: a AND (b AND c) → [a, b, c]."""
    if isinstance(node, Binary) and node.op == op:
        return _chain(node.left, op) + _chain(node.right, op)
    return [node]


def _once_per_context(function: PyFn) -> PyFn:
    """A value that reads no field, computed once per evaluation context and reused for every record."""
    memo = [(None, None)]

    def constant(env, ctx):
        seen, value = memo[0]
        if seen is ctx:
            return value
        value = function(env, ctx)
        memo[0] = (ctx, value)  # one tuple swap: safe when threads share the compiled expression
        return value
    return constant


def _collection(node: Node, source: str) -> PyFn:
    """The list of rows (or linked records) an aggregate runs over."""
    names = [n for n in _names(node) if n.type.is_rows and n.type.source == source]
    steps = names[0].steps
    upto = next(i for i, s in enumerate(steps) if s.kind in ("subtable", "many"))
    reach = _reader(steps[: upto + 1], row=False)
    return lambda env, ctx: [item if isinstance(item, dict) else {"id": item} for item in (reach(env, ctx) or [])]


def _names(node: Node):
    from engines.expr.ast import walk

    return [n for n in walk(node) if isinstance(n, Name)]


def _reader(steps, row: bool) -> PyFn:
    """Follow field keys from the record (or the current row) through linked records."""
    keys = [s.field for s in steps]
    last = steps[-1].kind if steps else "value"

    def read(env, ctx):
        value = env
        for i, key in enumerate(keys):
            if value is None:
                return None
            if not isinstance(value, dict):
                value = None if i else value  # a bare id where a record was needed: nothing to read
                if value is None:
                    return None
            value = value.get(key)
        if last == "relation":
            return ref_id(value)
        return number(value)
    if not keys:  # COUNT(lines): each row counts
        return lambda env, ctx: env
    return read


def _arithmetic(op: str, kinds: tuple[str, str], left: PyFn, right: PyFn) -> PyFn:
    lk, rk = kinds

    def run(env, ctx):
        a, b = number(left(env, ctx)), number(right(env, ctx))
        if a is None or b is None:
            return None
        if lk in ("date", "datetime"):
            if rk in ("date", "datetime"):
                delta = a - b
                return delta.total_seconds() / 86400 if lk == "datetime" else float(delta.days)
            try:
                if lk == "date":  # whole days, toward zero
                    b = math.trunc(b)
                return a + timedelta(days=b) if op == "+" else a - timedelta(days=b)
            except (OverflowError, ValueError):  # off the calendar (past 9999-12-31): empty, as in SQLite
                return None
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return None if b == 0 else a / b
    return run


def compile_python(node: Node) -> PyFn:
    return PythonCompiler().compile(node)
