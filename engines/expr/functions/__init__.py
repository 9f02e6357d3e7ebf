"""The function registry of the expression language. Adding a function: a class in one of these modules
and its entry in that module's FUNCTIONS list."""
from __future__ import annotations

from engines._registry import Registry
from engines.expr.functions import aggregate, date, decide, info, logic, math, text
from engines.expr.functions.base import Aggregate, EvalContext, Function, Simple

FUNCTIONS: Registry[Function] = Registry("function")
for _module in (logic, aggregate, info, math, text, date, decide):
    for _function in _module.FUNCTIONS:
        FUNCTIONS.register(_function)

__all__ = ["FUNCTIONS", "Function", "Simple", "Aggregate", "EvalContext"]
