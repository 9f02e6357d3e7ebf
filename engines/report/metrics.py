"""Calculated metrics: expressions over a row's measures (`gmv / orders`), with functions that read other rows
of the result — TOTAL, PREVIOUS, FIRST, RUNNING — compiled to SQL window functions.

Other rows are taken along one dimension (the metric's `along`, else the report's last dimension), within the
rows that share the other dimensions: PREVIOUS(gmv) is last month's GMV of the same leader.
"""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func

from engines._registry import Registry
from engines.expr import Scope, compile_expression
from engines.expr.functions import FUNCTIONS, Function, Simple
from engines.expr.sql import SqlCompiler

FORM = "_measures"


class _Window(Simple):
    category = "report"
    params, result, nulls = ("number",), "number", True

    def compile_sql(self, call, args, c):
        return self.window(args[0], c)


class Total(_Window):
    key = "TOTAL"
    doc = ("整个报表（本汇总层级）中该指标的合计，如 gmv / TOTAL(gmv) 为占比", "the sum over every row of the report "
           "(at this level of totals), e.g. gmv / TOTAL(gmv) is the share of the total")
    signature = "TOTAL(measure) → number"

    def window(self, value, c):
        return func.sum(value).over()


class Previous(_Window):
    key = "PREVIOUS"
    doc = ("上一期（沿最后一个维度的上一行）的值，如 gmv / PREVIOUS(gmv) - 1 为环比增长",
           "the value of the previous row along the last dimension, e.g. gmv / PREVIOUS(gmv) - 1 is the growth")
    signature = "PREVIOUS(measure) → number"

    def window(self, value, c):
        return func.lag(value).over(partition_by=c.partition or None, order_by=c.along)


class First(_Window):
    key = "FIRST"
    doc = ("沿最后一个维度的第一行的值，如留存率 active / FIRST(active)、漏斗总转化 n / FIRST(n)",
           "the value of the first row along the last dimension, e.g. retention active / FIRST(active)")
    signature = "FIRST(measure) → number"

    def window(self, value, c):
        return func.first_value(value).over(partition_by=c.partition or None, order_by=c.along)


class Running(_Window):
    key = "RUNNING"
    doc = ("沿最后一个维度的累计值", "the running total along the last dimension")
    signature = "RUNNING(measure) → number"

    def window(self, value, c):
        return func.sum(value).over(partition_by=c.partition or None, order_by=c.along, rows=(None, 0))


METRIC_FUNCTIONS: Registry[Function] = Registry("function")
for _function in [*FUNCTIONS, Total(), Previous(), First(), Running()]:
    METRIC_FUNCTIONS.register(_function)


def metric_scope(names: list[str]) -> Scope:
    """Measures (and the metrics before this one) as the number fields of one pretend form."""
    fields = [SimpleNamespace(key=name, type="number") for name in names]
    return Scope({FORM: SimpleNamespace(fields=fields)}, FORM, functions=METRIC_FUNCTIONS)


def compile_metric(text: str, names: list[str]):
    return compile_expression(text, metric_scope(names), expect="number")


class _Values:
    """A pretend table whose columns are the SQL of the measures."""

    def __init__(self, values: dict):
        self.c = values


class _Tables:
    def column_name(self, form: str, field: str) -> str:
        return field


class MetricCompiler(SqlCompiler):
    def __init__(self, values: dict, ctx, dialect: str, partition: list, along: list):
        super().__init__(_Tables(), FORM, ctx, dialect, _Values(values))
        self.partition, self.along = partition, along
