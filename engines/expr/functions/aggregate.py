"""SUM, COUNT, AVG, MIN, MAX over the rows of a sub-table or a many-relation (lines.qty, gifts.price)."""
from __future__ import annotations

from sqlalchemy import func

from engines.expr.functions.base import Aggregate


class Sum(Aggregate):
    key = "SUM"
    doc = ("求和；没有行时为 0", "the total; 0 when there are no rows")
    signature = "SUM(rows) → number"
    empty = 0

    def reduce(self, values):
        present = [v for v in values if v is not None]
        return sum(present) if present else 0

    def sql_aggregate(self, c, column):
        return func.coalesce(func.sum(column), 0)


class Count(Aggregate):
    key = "COUNT"
    doc = ("行数（给出字段时只数有值的行）", "the number of rows (only rows with a value when a field is given)")
    signature = "COUNT(rows) → number"
    item_kinds = ()
    empty = 0

    def reduce(self, values):
        return sum(1 for v in values if v is not None)

    def sql_aggregate(self, c, column):
        return func.count(column)


class Avg(Aggregate):
    key = "AVG"
    doc = ("平均值；没有值时为空", "the average; empty when there are no values")
    signature = "AVG(rows) → number"

    def reduce(self, values):
        present = [v for v in values if v is not None]
        return sum(present) / len(present) if present else None

    def sql_aggregate(self, c, column):
        return func.avg(c.as_float(column))


class Min(Aggregate):
    key = "MIN"
    doc = ("最小值（数字、日期或文本）", "the smallest value (number, date or text)")
    signature = "MIN(rows) → value"
    item_kinds = ("number", "date", "datetime", "text")
    result = "$item"

    def reduce(self, values):
        present = [v for v in values if v is not None]
        return min(present) if present else None

    def sql_aggregate(self, c, column):
        return func.min(column)


class Max(Min):
    key = "MAX"
    doc = ("最大值（数字、日期或文本）", "the largest value (number, date or text)")
    signature = "MAX(rows) → value"

    def reduce(self, values):
        present = [v for v in values if v is not None]
        return max(present) if present else None

    def sql_aggregate(self, c, column):
        return func.max(column)


FUNCTIONS = [Sum(), Count(), Avg(), Min(), Max()]
