"""What an expression function is: its signature (checked at save time), Python and SQL implementations, docs.

Two kinds: plain functions (one value from scalar arguments) and aggregates (one value from many rows of a
sub-table or many-relation). The compilers in engines.expr.python and engines.expr.sql call these.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Callable, ClassVar

from engines.expr.errors import ExprError
from engines.expr.types import KIND_NAMES, T, type_args


@dataclass(frozen=True)
class EvalContext:
    """What an evaluation may know of the world, given by the runtime: the time, the zone, the user."""
    now: datetime  # aware
    tz: tzinfo
    user_id: int | None = None


class Function(ABC):
    key: ClassVar[str]
    category: ClassVar[str]  # logic, math, text, date, aggregate, info
    doc: ClassVar[tuple[str, str]]  # (zh, en)
    signature: ClassVar[str]  # shown to builders, e.g. "ROUND(number, digits?) → number"
    aggregate: ClassVar[bool] = False
    parts: ClassVar[bool] = False  # the value has named parts, read with `.name` (DECIDE(...).rate)
    browser: ClassVar[bool] = True  # the browser's evaluator (frontend/src/expr) knows it too

    def bind(self, call, scope) -> None:
        """Called by the checker before the arguments: a function that reads the app itself (DECIDE reads its
        decision tables) keeps on the call what it needs from the scope."""

    @abstractmethod
    def check(self, call, args: list[T]) -> T:
        """The result type for these argument types, or ExprError with the position."""

    def describe(self) -> dict:
        return {"name": self.key, "category": self.category, "signature": self.signature,
                "doc": {"zh-CN": self.doc[0], "en": self.doc[1]}, "aggregate": self.aggregate}


def _accepts(spec: str, t: T) -> bool:
    kinds = spec.split("|")
    return "any" in kinds or t.kind in kinds or t.kind in ("null", "any") or (t.kind == "ref" and "number" in kinds)


class Simple(Function):
    """A function of scalar arguments. `params` are kinds like "number", "text|number", "date?" (optional)
    or "*number" (any count); `result` a kind, or "$1" for the first argument's kind. Unless `nulls` is set,
    an empty argument gives an empty result (as SQL does)."""

    params: ClassVar[tuple[str, ...]] = ()
    result: ClassVar[str] = "any"
    nulls: ClassVar[bool] = False
    literal_args: ClassVar[tuple[int, ...]] = ()  # argument positions that must be literals (units, formats)

    def check(self, call, args: list[T]) -> T:
        required = [p for p in self.params if not p.endswith("?") and not p.startswith("*")]
        variadic = next((p[1:] for p in self.params if p.startswith("*")), None)
        upper = None if variadic else len(self.params)
        if len(args) < len(required) or (upper is not None and len(args) > upper):
            expected = f"{len(required)}" + ("+" if variadic else "" if upper == len(required) else f"–{upper}")
            raise ExprError("expr_arg_count", call.start, name=self.key, expected=expected, got=len(args))
        for i, t in enumerate(args):
            spec = self.params[i].rstrip("?") if i < len(self.params) and not self.params[i].startswith("*") else variadic
            if t.is_rows:
                raise ExprError("expr_rows_outside_aggregate", call.args[i].start, name=self.key)
            if not _accepts(spec, t):
                raise ExprError("expr_arg_type", call.args[i].start, name=self.key, index=i + 1,
                                **type_args(spec.split("|")[0], t))
            if i in self.literal_args and type(call.args[i]).__name__ != "Literal":
                zh, en = KIND_NAMES.get(spec, (spec, spec))
                raise ExprError("expr_literal_arg", call.args[i].start, name=self.key, index=i + 1,
                                expected=en, expected_zh=zh)
        return self.result_type(args)

    def result_type(self, args: list[T]) -> T:
        if self.result == "$1":
            return next((a for a in args if a.kind not in ("null", "any")), args[0] if args else T("null"))
        return T(self.result)

    def py(self, ctx: EvalContext, *values: Any) -> Any:
        """The value in Python; a function that compiles itself (compile_python) needs none."""
        raise TypeError(f"{self.key} defines neither py() nor compile_python()")

    def sql(self, c, *columns):
        """The value in SQL; a function that compiles itself (compile_sql) needs none."""
        raise TypeError(f"{self.key} defines neither sql() nor compile_sql()")

    def compile_python(self, call, args: list[PyFn]) -> PyFn:
        impl = self.py
        if self.nulls:
            return lambda env, ctx: impl(ctx, *[arg(env, ctx) for arg in args])

        def run(env, ctx):
            values = [arg(env, ctx) for arg in args]
            return None if None in values else impl(ctx, *values)
        return run

    def compile_sql(self, call, args: list, c):
        return self.sql(c, *args)


class Aggregate(Function):
    """Many rows → one value. The compilers build the per-row values; this reduces them."""

    aggregate = True
    category = "aggregate"
    result: ClassVar[str] = "number"
    empty: ClassVar[Any] = None  # the answer over no rows (0 for SUM and COUNT, as in spreadsheets)
    item_kinds: ClassVar[tuple[str, ...]] = ("number",)

    def check(self, call, args: list[T]) -> T:
        if len(args) != 1:
            raise ExprError("expr_arg_count", call.start, name=self.key, expected=1, got=len(args))
        t = args[0]
        if not t.is_rows:
            raise ExprError("expr_aggregate_needs_rows", call.args[0].start, name=self.key)
        if self.item_kinds and t.item.kind not in self.item_kinds and t.item.kind != "null":
            raise ExprError("expr_arg_type", call.args[0].start, name=self.key, index=1,
                            **type_args(self.item_kinds[0], t.item))
        return T(self.result) if self.result != "$item" else t.item

    @abstractmethod
    def reduce(self, values: list) -> Any:
        """Many row values → one value, in Python."""

    @abstractmethod
    def sql_aggregate(self, c, column):
        """The same over a column of rows, as a SQL aggregate."""


PyFn = Callable[[Any, EvalContext], Any]
