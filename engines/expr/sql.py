"""Back end (b): a checked expression → a SQLAlchemy expression over the form's table, for SQLite and PostgreSQL.

Links are followed with correlated scalar subqueries (one row each, by primary key); sub-table and
many-relation aggregates are scalar subqueries over the child rows. Empty values follow the rules of
engines.expr.python, so both back ends give the same answer; the property tests hold them to it.
"""
from __future__ import annotations

from datetime import date, timedelta, timezone
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import (Boolean, Date, DateTime, Float, Integer, Numeric, String, Text, and_, case, cast, false, func,
                        literal, not_, null, or_, select, true, type_coerce)
from sqlalchemy.sql.elements import ColumnElement, Grouping

from engines.expr.ast import Binary, Call, In, Literal, Member, Name, Node, Unary, reads_fields
from engines.expr.functions.base import EvalContext
from engines.expr.python import compile_python
from engines.expr.types import T

_SQL_TYPES = {"number": Float, "text": Text, "bool": Boolean, "date": Date, "datetime": DateTime, "ref": Integer}


class Tables(Protocol):
    """Where forms live, as the runtime built them."""

    def table(self, form: str) -> Any: ...  # the Table of a form ("order") or sub-table ("order.lines")

    def column_name(self, form: str, field: str) -> str: ...

    def link(self, form: str, field: str) -> Any: ...  # link table (source_id, target_id) of a many-relation


class SqlCompiler:
    def __init__(self, tables: Tables, form: str, ctx: EvalContext, dialect: str, base=None):
        self.tables, self.form, self.ctx, self.dialect = tables, form, ctx, dialect
        self.base = base if base is not None else tables.table(form)
        self.rows: dict[str, Any] = {}  # inside an aggregate: collection → the row alias being aggregated
        self._aliases = 0

    # ---- helpers the functions use -----------------------------------------------------------------------------
    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def literal(self, value: Any, kind: str) -> ColumnElement:
        if value is None:
            return null()
        return literal(value, _SQL_TYPES.get(kind, String)())

    def now(self) -> ColumnElement:
        return literal(self.ctx.now.astimezone(timezone.utc).replace(tzinfo=None), DateTime())

    def today(self) -> ColumnElement:
        return literal(self.ctx.now.astimezone(self.ctx.tz).date(), Date())

    def as_float(self, column) -> ColumnElement:
        return cast(column, Float)

    def local(self, column) -> ColumnElement:
        """A stored UTC date-time as wall-clock time in the deployment's zone."""
        if self.sqlite:  # SQLite knows no zones: the zone's offset now (exact for zones without DST)
            minutes = int(self.ctx.now.astimezone(self.ctx.tz).utcoffset().total_seconds() // 60)
            return func.datetime(column, f"{minutes:+d} minutes")
        return func.timezone(self.ctx.tz.key if hasattr(self.ctx.tz, "key") else "UTC", func.timezone("UTC", column))

    def day_number(self, column, kind: str) -> ColumnElement:
        """Days since an epoch as a number, for date arithmetic and comparisons that work on both databases."""
        if self.sqlite:
            return func.julianday(column)
        if kind == "date":
            return cast(column - literal(date(2000, 1, 1), Date()), Float)
        return func.extract("epoch", column) / 86400.0

    def floor(self, column) -> ColumnElement:
        if self.sqlite:  # the driver's own floor() fails on NULL; this one gives NULL
            whole = cast(column, Integer)
            return whole - case((column < whole, 1), else_=0)
        return func.floor(column)

    def trunc(self, column) -> ColumnElement:
        """Toward zero, as whole days are taken from a number of days."""
        return cast(column, Integer) if self.sqlite else cast(func.trunc(column), Integer)

    def is_blank(self, column) -> ColumnElement:
        return or_(column.is_(None), cast(column, Text) == "", cast(column, Text) == "[]")

    def text(self, column, kind: str) -> ColumnElement:
        """A value as text, the way engines.expr.python.text_of writes it; empty → ""."""
        if kind == "text":
            return func.coalesce(column, "")
        if kind == "bool":
            return case((column.is_(None), ""), (column, "TRUE"), else_="FALSE")
        if kind == "number" or kind == "ref":
            from engines.expr.functions.text import number_text_sql  # numbers read as CONCAT and TEXT write them

            return func.coalesce(number_text_sql(self, column), "")
        if kind == "date":
            return func.coalesce(cast(column, Text), "")
        if kind == "datetime":
            local = self.local(column)
            formatted = func.strftime("%Y-%m-%d %H:%M:%S", local) if self.sqlite else func.to_char(local, "YYYY-MM-DD HH24:MI:SS")
            return func.coalesce(formatted, "")
        return func.coalesce(cast(column, Text), "")

    def ordered(self, left, right, kind: str, op: str) -> ColumnElement:
        if kind == "datetime" and self.sqlite:
            left, right = func.julianday(left), func.julianday(right)
        if kind == "text" and not self.sqlite:  # code-point order, as Python compares text
            left, right = left.collate("C"), right.collate("C")
        comparison = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
        return func.coalesce(comparison, false())

    def alias(self, table):
        self._aliases += 1
        return table.alias(f"x{self._aliases}")

    # ---- compilation -------------------------------------------------------------------------------------------
    def compile(self, node: Node) -> ColumnElement:
        if _scalar(node.type) == "null":  # NULL, IF(c, NULL, NULL)…: only ever empty; a bare NULL types best
            return null()
        if not isinstance(node, Literal) and not reads_fields(node) and node.type.kind in _SQL_TYPES:
            # reads no field (CURRENT_USER(), TODAY() - 365): one value, computed by the Python back end,
            # so the database sees a plain parameter it can match against an index
            value, sql_type = compile_python(node)(None, self.ctx), _SQL_TYPES[node.type.kind]()
            return cast(null(), sql_type) if value is None else literal(value, sql_type)
        return getattr(self, "_" + type(node).__name__.lower())(node)

    def condition(self, node: Node) -> ColumnElement:
        """A WHERE clause. Under AND/OR at the top, a comparison that is empty instead of false is dropped
        the same way, so the null-safe wrappers can go and the database can use its indexes."""
        if isinstance(node, Binary) and node.op in ("AND", "OR"):
            parts = [self.condition(node.left), self.condition(node.right)]
            return and_(*parts) if node.op == "AND" else or_(*parts)
        plain = self._plain_comparison(node)
        return plain if plain is not None else self.compile(node)

    def _plain_comparison(self, node: Node):
        """field = | < | <= | > | >= value, or field IN (values), as the database's own operator."""
        if isinstance(node, In) and not node.negated and isinstance(node.subject, Name) \
                and all(isinstance(o, Literal) and o.value is not None for o in node.options):
            kind = _scalar(node.subject.type)
            if kind in ("number", "text", "ref") and not node.subject.type.is_rows:
                return self._name(node.subject).in_([self._typed_value(node.subject, o.value) for o in node.options])
            return None
        if not (isinstance(node, Binary) and node.op in ("=", "<", "<=", ">", ">=")):
            return None
        field, value, op = node.left, node.right, node.op
        if isinstance(field, Literal):
            field, value = value, field
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if not isinstance(field, Name) or field.type.is_rows or isinstance(value, Name) or reads_fields(value):
            return None
        kind = _scalar(field.type)
        if kind not in ("number", "text", "ref", "date") or (kind == "text" and op != "=" and not self.sqlite):
            return None  # text ordering needs the code-point collation; others keep the general form
        right = self._typed_value(field, value.value) if isinstance(value, Literal) else self.compile(value)
        if isinstance(value, Literal) and value.value is None:
            return None
        left = self._name(field)
        return {"=": left == right, "<": left < right, "<=": left <= right, ">": left > right,
                ">=": left >= right}[op]

    def _typed_value(self, field: Name, value):
        """A literal bound with the type of the column it is compared with (an integer for an id, a
        decimal for money), so PostgreSQL compares without converting every row."""
        column = self._name(field)
        if isinstance(value, float) and value.is_integer() and isinstance(column.type, Integer):
            return literal(int(value), column.type)
        if isinstance(value, float) and isinstance(column.type, Numeric):
            return literal(Decimal(repr(value)), column.type)
        return literal(value, column.type) if not isinstance(column.type, Boolean) else literal(value)

    def typed(self, node: Node) -> ColumnElement:
        """The expression with its result type, so a SELECT hands back date, float, bool… values."""
        kind = (node.type.item or node.type).kind if node.type.is_rows else node.type.kind
        sql_type = _SQL_TYPES.get(kind)
        expression = self.compile(node)
        return type_coerce(expression, sql_type()) if sql_type else expression

    def _literal(self, node: Literal) -> ColumnElement:
        value = node.value
        if value is None:
            return null()
        if isinstance(value, bool):
            return literal(value, Boolean())
        if isinstance(value, float):
            return literal(value, Float())
        return literal(value, Text())

    def _name(self, node: Name) -> ColumnElement:
        steps = list(node.steps)
        source = node.type.source if node.type.is_rows else None
        if source in self.rows:
            first = next(i for i, s in enumerate(steps) if s.kind in ("subtable", "many"))
            value = self._follow(steps[first + 1:], self.rows[source], steps[first].target)
        else:
            value = self._follow(steps, self.base, self.form)
        if (node.type.item or node.type).kind == "bool":
            return func.coalesce(value, false())
        if (node.type.item or node.type).kind == "list":  # JSON null (how an empty list is written) is empty too
            return case((cast(value, Text) == "null", null()), else_=value)
        return value

    def _follow(self, steps, table, form: str) -> ColumnElement:
        if not steps:  # a bare row (COUNT(lines)): its id
            return table.c.id
        step, rest = steps[0], steps[1:]
        if step.kind == "system":
            return table.c[step.field]
        column = table.c[self.tables.column_name(step.form, step.field)]
        if step.kind == "value" or (step.kind == "relation" and not rest):
            return column
        target = self.alias(self.tables.table(step.target))
        inner = self._follow(rest, target, step.target)
        # correlate with every enclosing table but the new alias, however deep the nesting
        return select(inner).where(target.c.id == column).correlate_except(target).scalar_subquery()

    def truth(self, node: Node, column) -> ColumnElement:
        """A condition as Python reads it: an empty condition (NULL, IF without else) is false, never NULL —
        else NOT, AND and OR would pass SQL's unknown on where Python has an answer."""
        if isinstance(node, (Binary, In, Unary, Name)) or (isinstance(node, Literal) and node.value is not None):
            return column  # never NULL: comparisons, IN, NOT, AND, OR and checkboxes are coalesced already
        return func.coalesce(column, false())

    def _unary(self, node: Unary) -> ColumnElement:
        operand = self.compile(node.operand)
        if node.op == "NOT":  # grouped: SQLAlchemy writes NOT x unbracketed (x = 0 on SQLite), so `NOT x IS y` misreads
            return Grouping(not_(self.truth(node.operand, operand)))
        return cast(null(), Float) if _empty(node.operand) else -operand

    def _binary(self, node: Binary) -> ColumnElement:
        left, right = self.compile(node.left), self.compile(node.right)
        lt, rt = _scalar(node.left.type), _scalar(node.right.type)
        op = node.op
        if op == "AND":
            return and_(self.truth(node.left, left), self.truth(node.right, right))
        if op == "OR":
            return or_(self.truth(node.left, left), self.truth(node.right, right))
        if op in ("=", "!="):
            if _empty(node.right):
                return left.is_(None) if op == "=" else left.is_not(None)
            if _empty(node.left):
                return right.is_(None) if op == "=" else right.is_not(None)
            if "datetime" in (lt, rt) and self.sqlite:
                left, right = func.julianday(left), func.julianday(right)
            return left.is_not_distinct_from(right) if op == "=" else left.is_distinct_from(right)
        if op in ("<", "<=", ">", ">="):
            if _empty(node.left) or _empty(node.right):
                return false()  # ordering with an empty side is false (and SQLAlchemy refuses `x < NULL`)
            return self.ordered(left, right, lt if lt != "null" else rt, op)
        if op == "&":  # a joined text is never NULL: no need to convert it again (and long chains stay shallow)
            left = left if _joined(node.left) else self.text(left, lt)
            return left + (right if _joined(node.right) else self.text(right, rt))
        if "null" in (lt, rt):  # empty, typed for the database (PostgreSQL cannot add an untyped NULL to a date)
            return cast(null(), _SQL_TYPES[_scalar(node.type)]())
        return self._arithmetic(op, lt, rt, left, right)

    def _arithmetic(self, op, lt, rt, left, right) -> ColumnElement:
        if lt in ("date", "datetime"):
            if rt in ("date", "datetime"):
                difference = self.day_number(left, lt) - self.day_number(right, rt)
                if lt == "date":
                    return self.floor(difference)
                if self.sqlite:  # julianday() is off by up to 5e-10 days; SQLite keeps whole milliseconds, so round
                    return func.round(difference * 86400000.0) / 86400000.0
                return difference
            days = right if op == "+" else -right
            if lt == "date":
                if self.sqlite:  # 'N days' is NULL when N is (printf would make it '+0 days': no change)
                    return func.date(left, cast(self.trunc(days), Text) + " days")
                return left + self.trunc(days)
            if self.sqlite:
                # one function a step, so long chains stay within Python's recursion limit when compiled;
                # the six-digit fraction SQLAlchemy writes, so stored and computed values read back alike
                return func.strftime("%Y-%m-%d %H:%M:%f", left, cast(days, Text) + " days") + "000"
            return left + days * literal(timedelta(days=1))
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        return cast(left, Float) / func.nullif(cast(right, Float), 0)

    def _in(self, node: In) -> ColumnElement:
        options = [o for o in node.options if not _empty(o)]  # an empty option equals no value (Python's equal)
        if _empty(node.subject) or not options:
            return true() if node.negated else false()
        subject, values = self.compile(node.subject), [self.compile(o) for o in options]
        if _scalar(node.subject.type) == "datetime" and self.sqlite:  # as `=` compares them
            subject, values = func.julianday(subject), [func.julianday(v) for v in values]
        found = func.coalesce(subject.in_(values), false())
        return Grouping(not_(found)) if node.negated else found  # grouped: see _unary

    def _member(self, node: Member) -> ColumnElement:
        return self.compile(node.subject)  # the call computes the part it was checked for

    def _call(self, node: Call) -> ColumnElement:
        function = node.function
        if not function.aggregate:
            args = [self.compile(arg) for arg in node.args]
            params = getattr(function, "params", ())
            variadic = next((spec[1:] for spec in params if spec.startswith("*")), None)
            for i, arg in enumerate(node.args):  # condition arguments (AND, OR, NOT): empty is false
                spec = params[i] if i < len(params) and not params[i].startswith("*") else variadic
                if spec is not None and spec.rstrip("?") == "bool":
                    args[i] = self.truth(arg, args[i])
            result = function.compile_sql(node, args, self)
            if _scalar(node.type) == "bool":  # typed, so NOT applies (HAS_TAG's @> is typed JSON); grouped: see _unary
                return Grouping(type_coerce(result, Boolean()))
            return result
        return self._aggregate(node, function)

    def _aggregate(self, node: Call, function) -> ColumnElement:
        arg = node.args[0]
        source = arg.type.source
        names = [n for n in _walk_names(arg) if n.type.is_rows and n.type.source == source]
        steps = names[0].steps
        upto = next(i for i, s in enumerate(steps) if s.kind in ("subtable", "many"))
        owner_steps, collection = steps[:upto], steps[upto]
        # the record owning the rows: this one, or the one reached through links (its id is the last link)
        owner_id = self._follow(owner_steps, self.base, self.form) if owner_steps else self.base.c.id
        if collection.kind == "subtable":
            rows = self.alias(self.tables.table(collection.target))
            frm, where, own = rows, rows.c.parent_id == owner_id, (rows,)
        else:
            link = self.alias(self.tables.link(collection.form, collection.field))
            rows = self.alias(self.tables.table(collection.target))
            frm, where = link.join(rows, rows.c.id == link.c.target_id), link.c.source_id == owner_id
            own = (link, rows)
        outer, self.rows[source] = self.rows.get(source), rows
        try:
            bare = isinstance(arg, Name) and arg.path == tuple(source.split("."))
            per_row = rows.c.id if bare else self.compile(arg)
            if _scalar(arg.type) == "text" and not self.sqlite:  # MIN/MAX in code-point order, as Python and `<`
                per_row = per_row.collate("C")
        finally:  # back to the rows of an enclosing aggregate over the same collection, if any
            if outer is None:
                del self.rows[source]
            else:
                self.rows[source] = outer
        return (select(function.sql_aggregate(self, per_row)).select_from(frm).where(where)
                .correlate_except(*own).scalar_subquery())


def _joined(node: Node) -> bool:
    return isinstance(node, Binary) and node.op == "&"


def _empty(node: Node) -> bool:
    """The node can only be empty (NULL, or IF/BLANKVALUE of NULLs): the checker typed it null."""
    return _scalar(node.type) == "null"


def _scalar(t: T) -> str:
    return (t.item or t).kind if t.is_rows else t.kind


def _walk_names(node: Node):
    from engines.expr.ast import walk

    return [n for n in walk(node) if isinstance(n, Name)]

