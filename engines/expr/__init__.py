"""One expression language for every engine: Excel-like text → checked tree → Python closures or SQL.

    compiled = compile_expression("SUM(lines.qty * lines.price) > 100", Scope(forms, "order"), expect="bool")
    compiled.evaluate(record, ctx)            # one record in Python
    compiled.sql(tables, ctx, "postgresql")   # a WHERE clause / column over the form's table
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engines.expr.ast import Name, Node, walk
from engines.expr.check import Scope, check, expect as expect_type
from engines.expr.errors import ExprError
from engines.expr.functions import FUNCTIONS, EvalContext
from engines.expr.parser import parse
from engines.expr.python import compile_python
from engines.expr.sql import SqlCompiler, Tables
from engines.expr.types import T

__all__ = ["Compiled", "ExprError", "EvalContext", "Scope", "Tables", "compile_expression", "parse", "FUNCTIONS"]


@dataclass
class Compiled:
    text: str
    node: Node
    type: T
    python: Any = field(repr=False)

    def __post_init__(self):
        self.evaluate = self.python  # called per record: the closure itself, without a method around it

    def sql(self, tables: Tables, ctx: EvalContext, dialect: str, form: str, base=None, typed: bool = False,
            condition: bool = False):
        """The expression over the form's table: a value (`typed` for a SELECT) or, with `condition`, a WHERE clause."""
        compiler = SqlCompiler(tables, form, ctx, dialect, base)
        if condition:
            return compiler.condition(self.node)
        return compiler.typed(self.node) if typed else compiler.compile(self.node)

    @property
    def paths(self) -> set[tuple[str, ...]]:
        """Field paths the expression reads, so the runtime can load linked records before evaluating."""
        return {n.path for n in walk(self.node) if isinstance(n, Name)}


def compile_expression(text: str, scope: Scope, expect: str | None = None) -> Compiled:
    """Parse, type-check against the scope and build the Python closures; raises ExprError with a position."""
    node = parse(text)
    result = check(node, scope)
    if expect:
        expect_type(result, expect, node)
    return Compiled(text, node, result, compile_python(node))
